//! Reviewing snapshots: the web UI driven by a real browser, bulk accept on a subset, and
//! baselines that survive a `kill -9` in the middle of an accept.

use crate::support;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::TestSuite;

fn files_with_suffix(dir: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn accepting_in_the_web_ui_updates_the_baseline_and_rejecting_keeps_it() {
    let suite = TestSuite::demo()
        .edit("demo/styles.css", |css| {
            format!("{css}\n.site-header {{ background: #1d4ed8; }}\n")
        })
        .env("CI", "");
    let o = suite.run(&["run", "retry", "browse"]);
    assert_eq!(o.status("retry"), "changed", "{}", o.stdout);
    assert_eq!(o.status("browse"), "changed", "{}", o.stdout);
    let retry_dir = suite.path().join("snapshots/retry");
    let browse_dir = suite.path().join("snapshots/browse");
    let retry_new: Vec<Vec<u8>> = files_with_suffix(&retry_dir, ".png.new")
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    assert!(!retry_new.is_empty(), "pending snapshots were written");
    let browse_before: Vec<Vec<u8>> = files_with_suffix(&browse_dir, ".png")
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();

    let mut server = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["review", "--serve"])
        .current_dir(suite.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start review --serve");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("http://127.0.0.1:"))
                .map(str::to_string)
        })
        .expect("the server prints its URL");

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (_driver, client, _profile) = support::headless_browser().await;
        client.goto(&url).await.expect("open the review UI");
        for (session, action) in [("retry", "accept"), ("browse", "reject")] {
            let button = client
                .find(fantoccini::Locator::Css(&format!(
                    "button[data-action=\"{action}\"][data-session=\"{session}\"]:not([data-checkpoint])"
                )))
                .await
                .expect("a session-level button");
            button.click().await.expect("click");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let done = client
                    .execute(
                        "return document.querySelectorAll('.accepted, .rejected').length",
                        vec![],
                    )
                    .await
                    .expect("script");
                let marked = done.as_u64().unwrap_or(0) > 0;
                let gone = files_with_suffix(&suite.path().join(format!("snapshots/{session}")), ".new").is_empty();
                if marked && gone {
                    break;
                }
                assert!(Instant::now() < deadline, "{session} was not {action}ed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let _ = client.close().await;
    });
    let _ = server.kill();
    let _ = server.wait();

    let retry_now: Vec<Vec<u8>> = files_with_suffix(&retry_dir, ".png")
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    for new in &retry_new {
        assert!(
            retry_now.contains(new),
            "the accepted capture is the baseline now"
        );
    }
    let browse_now: Vec<Vec<u8>> = files_with_suffix(&browse_dir, ".png")
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    assert_eq!(
        browse_before, browse_now,
        "rejecting leaves the baseline as it was"
    );

    let suite = suite.env("CI", "true");
    let o = suite.run(&["run", "retry", "browse"]);
    assert_eq!(o.status("retry"), "passed", "{}", o.stdout);
    assert_eq!(o.status("browse"), "changed", "{}", o.stdout);
}

fn pending_pair(dir: &std::path::Path, name: &str, old: &[u8], new: &[u8]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join(format!("{name}.png")), old).expect("write");
    std::fs::write(dir.join(format!("{name}.png.new")), new).expect("write");
    let dom = |body: &str| {
        format!("# reprise snapshot v1\n# session: s\n# checkpoint: {name}\n---\n{body}")
    };
    std::fs::write(dir.join(format!("{name}.dom")), dom("old")).expect("write");
    std::fs::write(dir.join(format!("{name}.dom.new")), dom("new")).expect("write");
}

#[test]
fn accept_on_a_subset_leaves_the_other_sessions_pending() {
    let suite = TestSuite::empty().file("recordings/a.json", "{}");
    for s in ["a", "b"] {
        pending_pair(
            &suite.path().join(format!("snapshots/{s}")),
            "01-index",
            b"old",
            b"new",
        );
    }
    let o = suite.run(&["accept", "a"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("accepted a/01-index"), "{}", o.stdout);
    assert_eq!(
        std::fs::read(suite.path().join("snapshots/a/01-index.png")).expect("read"),
        b"new"
    );
    assert_eq!(
        std::fs::read(suite.path().join("snapshots/b/01-index.png")).expect("read"),
        b"old"
    );
    assert!(suite.path().join("snapshots/b/01-index.png.new").exists());
    let o = suite.run(&["reject", "--all"]);
    assert_eq!(o.code, 0);
    assert!(!suite.path().join("snapshots/b/01-index.png.new").exists());
    assert_eq!(
        std::fs::read(suite.path().join("snapshots/b/01-index.png")).expect("read"),
        b"old"
    );
    let o = suite.run(&["accept"]);
    assert_eq!(o.code, 2, "naming nothing is a usage error");
    let o = suite.run(&["review"]);
    assert_eq!(o.code, 2, "no terminal: review refuses");
    assert!(o.stderr.contains("reprise accept"), "{}", o.stderr);
}

#[test]
fn kill_9_during_accept_leaves_every_baseline_old_or_new() {
    let suite = TestSuite::empty().file("recordings/a.json", "{}");
    let old = vec![1u8; 256 * 1024];
    let new = vec![2u8; 256 * 1024];
    for i in 0..400 {
        pending_pair(
            &suite.path().join("snapshots/big"),
            &format!("{i:03}-cp"),
            &old,
            &new,
        );
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["accept", "--all"])
        .current_dir(suite.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill as soon as the first checkpoint is accepted, so the kill lands mid-accept.
    let dir = suite.path().join("snapshots/big");
    let deadline = Instant::now() + Duration::from_secs(30);
    while dir.join("000-cp.png.new").exists() {
        assert!(Instant::now() < deadline, "accept never started");
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "accept finished before the test could kill it"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut accepted = 0;
    for i in 0..400 {
        let png =
            std::fs::read(dir.join(format!("{i:03}-cp.png"))).expect("a baseline is always there");
        assert!(
            png == old || png == new,
            "baseline {i} is neither old nor new ({} bytes)",
            png.len()
        );
        accepted += usize::from(png == new);
        // an old baseline keeps its pending snapshot: nothing to accept was lost
        assert_eq!(
            png == old,
            dir.join(format!("{i:03}-cp.png.new")).exists(),
            "checkpoint {i}: baseline and pending snapshot disagree"
        );
        let dom =
            std::fs::read_to_string(dir.join(format!("{i:03}-cp.dom"))).expect("dom baseline");
        assert!(dom.ends_with("old") || dom.ends_with("new"), "{dom}");
    }
    assert!(
        (1..400).contains(&accepted),
        "the kill did not land mid-accept: {accepted} of 400 accepted"
    );
    // Nothing but the baselines and pending snapshots: no temporary file, whatever its name.
    let expected = baseline_names();
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !expected(n))
        .collect();
    assert_eq!(
        leftovers,
        Vec::<String>::new(),
        "files left by the killed accept"
    );
    eprintln!("accepted before the kill: {accepted} of 400");
}

/// Whether a file name is a checkpoint's baseline or pending snapshot (`NNN-cp.png`,
/// `NNN-cp.dom.new`, ...).
fn baseline_names() -> impl Fn(&str) -> bool {
    |n: &str| {
        let Some((num, rest)) = n.split_once("-cp.") else {
            return false;
        };
        num.len() == 3
            && num.bytes().all(|b| b.is_ascii_digit())
            && ["png", "dom", "png.new", "dom.new"].contains(&rest)
    }
}

#[test]
fn a_run_lists_baselines_no_checkpoint_uses_and_prune_removes_them() {
    let suite = TestSuite::demo();
    let stale = suite.path().join("snapshots/retry/09-removed-step.dom");
    std::fs::copy(suite.path().join("snapshots/retry/06-end.dom"), &stale).expect("copy");
    std::fs::copy(
        suite.path().join("snapshots/retry/06-end.png"),
        suite.path().join("snapshots/retry/09-removed-step.png"),
    )
    .expect("copy");
    let o = suite.run(&["run", "retry"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    let unused = o.report["unused_baselines"].to_string();
    assert!(
        unused.contains("snapshots/retry/09-removed-step.dom"),
        "{unused}"
    );
    assert!(o.stdout.contains("--prune"), "{}", o.stdout);
    assert!(stale.exists(), "listing removes nothing");
    let o = suite.run(&["run", "retry", "--prune"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(
        !stale.exists()
            && !suite
                .path()
                .join("snapshots/retry/09-removed-step.png")
                .exists()
    );
    assert!(
        suite.path().join("snapshots/retry/06-end.dom").exists(),
        "used baselines stay"
    );
}

/// 200 connections that never send a request used to starve `review --serve`: once the
/// process ran out of file descriptors its accept loop spun at 100% CPU and answered
/// nothing. The server runs here with 64 descriptors, so the idle sockets exhaust them
/// unless it closes the oldest idle ones.
#[test]
fn idle_connections_do_not_starve_review_serve() {
    let suite = TestSuite::empty().file(
        ".reprise/out/report.json",
        r#"{"format_version":1,"verdict":"passed","duration_ms":1,"summary":{"sessions":0,"passed":0,"changed":0,"broken":0,"new":0,"flaky":0,"error":0},"sessions":[],"snapshots_written":0,"snapshots_pending":0}"#,
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reprise"));
    cmd.args(["review", "--serve"])
        .current_dir(suite.path())
        .stdout(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; it lowers the server's descriptor limit.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            let lim = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut server = cmd.spawn().expect("start review --serve");
    let stdout = server.stdout.take().expect("stdout");
    // kept open: the server prints on after its URL
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("http://127.0.0.1:"))
                .map(str::to_string)
        })
        .expect("the server prints its URL");
    let rest = url.trim_start_matches("http://");
    let (addr, path) = rest.split_at(rest.find('/').expect("a path"));
    let idle: Vec<std::net::TcpStream> = (0..200)
        .filter_map(|_| std::net::TcpStream::connect(addr).ok())
        .collect();
    assert_eq!(idle.len(), 200, "the idle sockets could not all connect");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let answer = (|| -> std::io::Result<String> {
        let to = addr.parse().map_err(std::io::Error::other)?;
        let mut s = std::net::TcpStream::connect_timeout(&to, Duration::from_secs(5))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        std::io::Write::write_all(
            &mut s,
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )?;
        let mut out = String::new();
        std::io::Read::read_to_string(&mut s, &mut out)?;
        Ok(out)
    })();
    let took = started.elapsed();
    let _ = server.kill();
    let _ = server.wait();
    drop((idle, lines));
    let answer = answer.expect("the real request was not answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
}
