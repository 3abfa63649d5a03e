//! Process hygiene under signals: whatever ends reprise (SIGTERM, SIGHUP, even SIGKILL), no
//! chromedriver or Chromium outlives it, and its browser profile folders do not pile up in
//! the temp folder.
//!
//! The test process makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`), so processes
//! orphaned by reprise's death are reparented to it instead of init, and stay visible as its
//! descendants.

use crate::support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The tests here count every descendant of the test process: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Every process of the machine: pid → (parent pid, state, comm).
fn processes() -> HashMap<i32, (i32, char, String)> {
    let mut all = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return all;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = rest.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        all.insert(pid, (ppid, state, comm));
    }
    all
}

/// The live (not zombie) descendants of this test process, as `pid comm`. Zombies that were
/// reparented here are reaped on the way, so they do not pile up.
fn live_descendants(own_children: &HashSet<i32>) -> Vec<(i32, String)> {
    let me = std::process::id() as i32;
    let all = processes();
    let mut found = Vec::new();
    for (&pid, (_, state, comm)) in &all {
        let mut p = pid;
        let mut hops = 0;
        while p > 1 && hops < 64 {
            let Some((ppid, ..)) = all.get(&p) else { break };
            if *ppid == me {
                if *state == 'Z' {
                    if all.get(&pid).map(|x| x.0) == Some(me) && !own_children.contains(&pid) {
                        // SAFETY: reaps one specific orphan reparented to this process.
                        unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
                    }
                } else {
                    found.push((pid, comm.clone()));
                }
                break;
            }
            p = *ppid;
            hops += 1;
        }
    }
    found.sort();
    found
}

fn become_subreaper() {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER only changes how orphans are reparented.
    let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(r, 0, "cannot become a child subreaper");
}

fn profile_dirs(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("reprise-profile-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `reprise run` on the demo suite with its temp folder in `tmp`, and waits until a
/// browser runs under it.
fn start_run(suite: &support::TestSuite, tmp: &Path) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["run", "--jobs", "2"])
        .current_dir(suite.path())
        .env("TMPDIR", tmp)
        .env("CI", "true")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start reprise");
    let own = HashSet::from([child.id() as i32]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = live_descendants(&own);
        let browsers = d
            .iter()
            .filter(|(_, c)| c.starts_with("chrom") && c != "chromedriver");
        if browsers.count() >= 2 && !profile_dirs(tmp).is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no browser started under reprise within 60 s: {d:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // mid-session, not while the browser is still starting
    std::thread::sleep(Duration::from_millis(1500));
    child
}

fn assert_no_survivors(case: &str, own: &HashSet<i32>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = live_descendants(own);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{case}: processes outlived reprise by 10 s: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: sends a signal to the reprise process this test started.
    let r = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(r, 0, "kill failed");
}

#[test]
fn sigterm_sighup_and_sigkill_leave_no_browser_driver_or_profile_behind() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    become_subreaper();
    let suite = support::TestSuite::demo();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, sig) in [("SIGTERM", libc::SIGTERM), ("SIGHUP", libc::SIGHUP)] {
        let mut child = start_run(&suite, tmp.path());
        let own = HashSet::from([child.id() as i32]);
        signal(&child, sig);
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{name}: reprise did not exit within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut stderr)
            .expect("read stderr");
        assert_eq!(
            status.code(),
            Some(128 + sig),
            "{name}: exit status {status}\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("interrupted by {name}")),
            "{stderr}"
        );
        assert_no_survivors(name, &own);
        assert_eq!(
            profile_dirs(tmp.path()),
            Vec::<String>::new(),
            "{name}: profile folders left"
        );
    }

    // SIGKILL: reprise cannot clean up; its processes must die anyway.
    let mut child = start_run(&suite, tmp.path());
    let own = HashSet::from([child.id() as i32]);
    signal(&child, libc::SIGKILL);
    let _ = child.wait();
    assert_no_survivors("SIGKILL", &own);
    let left = profile_dirs(tmp.path());
    assert!(!left.is_empty(), "SIGKILL cannot remove profiles: {left:?}");
    // ... and the next run sweeps them.
    let mut next = start_run(&suite, tmp.path());
    let still = profile_dirs(tmp.path());
    assert!(
        left.iter().all(|d| !still.contains(d)),
        "the next run did not sweep the killed run's profiles: {left:?} still in {still:?}"
    );
    let own = HashSet::from([next.id() as i32]);
    signal(&next, libc::SIGTERM);
    let _ = next.wait();
    assert_no_survivors("SIGTERM after the sweep", &own);
}

/// What a test kills while the demo suite replays.
#[derive(Clone, Copy, PartialEq)]
enum Victim {
    /// reprise's chromedriver.
    Driver,
    /// The browser process of the session under way (a child of chromedriver).
    Browser,
}

/// What became of a run whose driver or browser was killed under it.
struct Killed {
    code: i32,
    report: serde_json::Value,
    out: String,
    /// Whether a chromedriver other than the killed one ran under reprise afterwards.
    new_driver: bool,
}

/// Runs the demo suite one session at a time and SIGKILLs its chromedriver or its browser
/// once the first session has finished, while the second replays.
fn run_killing(retries: &str, victim: Victim) -> Killed {
    let suite = support::TestSuite::demo();
    let report = suite.path().join("report.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["run", "--jobs", "1", "--retries", retries, "--report"])
        .arg(format!("json={}", report.display()))
        .current_dir(suite.path())
        .env("CI", "true")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start reprise");
    let reprise = child.id() as i32;
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut out = String::new();
    // the first session's verdict line
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(90))
            .expect("no session finished within 90 s");
        out.push_str(&line);
        out.push('\n');
        if line.contains(" PASS ") || line.trim_start().starts_with("PASS") {
            break;
        }
    }
    // The next session is replaying: kill the driver or the browser under it.
    std::thread::sleep(Duration::from_millis(800));
    let all = processes();
    let driver = all
        .iter()
        .find(|(_, (ppid, state, comm))| {
            *ppid == reprise && *state != 'Z' && comm == "chromedriver"
        })
        .map(|(pid, _)| *pid)
        .expect("no chromedriver under reprise");
    let pid = match victim {
        Victim::Driver => driver,
        Victim::Browser => all
            .iter()
            .find(|(_, (ppid, state, comm))| {
                *ppid == driver && *state != 'Z' && comm.starts_with("chrom")
            })
            .map(|(pid, _)| *pid)
            .expect("no browser under chromedriver"),
    };
    // SAFETY: kills a process this test's reprise started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let started = Instant::now();
    let mut new_driver = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        new_driver |= processes().iter().any(|(p, (ppid, state, comm))| {
            *ppid == reprise && *state != 'Z' && comm == "chromedriver" && *p != driver
        });
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "reprise did not finish within 180 s after the kill"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = reader.join();
    out.extend(rx.try_iter().map(|l| l + "\n"));
    Killed {
        code: status.code().unwrap_or(-1),
        report: support::read_json(&report),
        out,
        new_driver,
    }
}

#[test]
fn a_chromedriver_killed_mid_run_is_replaced_and_costs_no_session() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // No retries: a session lost to the dead driver would fail the run.
    let Killed {
        code,
        report,
        out,
        new_driver,
    } = run_killing("0", Victim::Driver);
    let sessions = report["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 8, "{out}");
    for s in sessions {
        assert_eq!(s["status"], "passed", "{}: {s}\n{out}", s["id"]);
        assert_eq!(s["attempts"], 1, "{}: {s}\n{out}", s["id"]);
    }
    // The session under way talks to its page through DevTools and finishes; the next one
    // finds the driver dead before it needs it and starts a new one.
    assert!(new_driver, "no new chromedriver was started:\n{out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_browser_killed_under_a_session_is_retried_and_without_retries_says_so() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let Killed {
        code, report, out, ..
    } = run_killing("1", Victim::Browser);
    let sessions = report["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 8, "{out}");
    for s in sessions {
        assert_eq!(s["status"], "passed", "{}: {s}\n{out}", s["id"]);
    }
    assert!(
        sessions.iter().any(|s| s["attempts"] == 2),
        "no session needed a second attempt, so the kill landed between sessions:\n{out}"
    );
    assert_eq!(code, 0, "{out}");

    let Killed {
        code, report, out, ..
    } = run_killing("0", Victim::Browser);
    let sessions = report["sessions"].as_array().expect("sessions");
    let errors: Vec<_> = sessions.iter().filter(|s| s["status"] == "error").collect();
    assert_eq!(errors.len(), 1, "{out}");
    let passed = sessions.iter().filter(|s| s["status"] == "passed").count();
    assert_eq!(passed, 7, "{out}");
    assert_eq!(code, 3, "{out}");
}
