//! Process hygiene: the browsers and drivers reprise starts die with it, however it dies, and
//! the profile folders they leave are swept.
//!
//! Three layers, because each alone has a gap:
//! - chromedriver is spawned with `PR_SET_PDEATHSIG` (SIGKILL). The kernel sends it when the
//!   *thread* that forked the child exits, not the process, so every spawn goes through one
//!   keeper thread that lives as long as the process: a tokio worker or blocking thread may
//!   exit long before reprise does.
//! - chromedriver's children (Chromium and its helpers) do not get that signal: they share
//!   chromedriver's process group, and a watchdog (`sh`) in the same group holds the read end
//!   of a pipe whose only writer is reprise. When reprise dies, even by `kill -9`, the pipe
//!   reads end-of-file and the watchdog kills the whole group, itself included.
//! - Profile folders are named with reprise's pid (`reprise-profile-<pid>-…`), so a later
//!   start removes those whose owner is gone ([`sweep_profiles`]).

use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

/// The prefix of a run's browser profile folders: `reprise-profile-<pid>-`.
pub fn profile_prefix() -> String {
    format!("{PROFILE_PREFIX}{}-", std::process::id())
}

const PROFILE_PREFIX: &str = "reprise-profile-";

type SpawnJob = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `cmd` with `PR_SET_PDEATHSIG(SIGKILL)` from the keeper thread, so the child is
/// killed when reprise exits, whichever way.
pub fn spawn_tied(mut cmd: Command) -> io::Result<Child> {
    static KEEPER: OnceLock<Mutex<mpsc::Sender<SpawnJob>>> = OnceLock::new();
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (prctl, getppid, _exit).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // reprise died between fork and prctl: the signal will never come.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnJob>();
        // If the thread cannot start, `rx` is dropped and sending fails: the caller's thread
        // spawns instead (below), and the signal then follows that thread.
        let _ = std::thread::Builder::new()
            .name("reprise-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            });
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    let sent = keeper
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send((cmd, reply_tx));
    match sent {
        Ok(()) => reply_rx
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the spawner thread stopped"))),
        Err(mpsc::SendError((mut cmd, _))) => cmd.spawn(),
    }
}

/// Kills process group `pgid` when reprise dies: a `sh` in that group waits for end-of-file
/// on a pipe only reprise writes to. Keep the returned child: dropping its stdin (or
/// reprise's death) fires it. Killing the group normally also ends the watchdog.
pub fn watchdog(pgid: u32) -> io::Result<Child> {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        // `read` returns at end of file; then the whole group, this shell included, goes
        // (dash, Debian's `sh`, takes no `--` before a negative pid).
        .arg(format!("read _ignored; kill -KILL -{pgid}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, pgid as i32);
    // std creates the pipe close-on-exec, so no other child inherits the write end.
    cmd.spawn()
}

/// Process groups of the chromedrivers this process runs (each holds its browsers).
static LIVE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Notes a chromedriver's process group, so [`stop_all`] can end it.
pub fn register_group(pgid: i32) {
    LIVE_GROUPS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(pgid);
}

/// Forgets a group its owner has killed.
pub fn unregister_group(pgid: i32) {
    LIVE_GROUPS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|g| *g != pgid);
}

/// Ends every browser and driver of this process and removes its profile folders, for a run
/// ended by a signal. The run's tasks (which own the drivers and profiles) are not dropped
/// when the process exits, so their destructors cannot be relied on: the groups are killed
/// here, and once their processes are gone (a browser still running could write into its
/// profile again), this process's profile folders are removed. Bounded: waits at most 5 s.
pub fn stop_all() {
    let groups = std::mem::take(&mut *LIVE_GROUPS.lock().unwrap_or_else(|p| p.into_inner()));
    for g in &groups {
        // SAFETY: killpg only sends a signal, to a group this process created.
        unsafe {
            libc::killpg(*g, libc::SIGKILL);
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    // SAFETY: signal 0 only checks whether a member of the group still exists.
    while groups.iter().any(|g| unsafe { libc::killpg(*g, 0) } == 0)
        && std::time::Instant::now() < deadline
    {
        // Reap what we can (chromedriver is our child); the rest are reaped by init.
        // SAFETY: a non-blocking wait for any child.
        unsafe { while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {} }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let own = std::process::id() as i32;
    remove_profiles(&std::env::temp_dir(), |pid| pid == own);
}

/// Whether a process with this pid exists.
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes profile folders in `dir` left by reprise processes that are gone (killed before
/// they could clean up). Folders of live processes, and any other name, are left alone.
/// Returns how many were removed.
pub fn sweep_profiles(dir: &Path) -> usize {
    let own = std::process::id() as i32;
    remove_profiles(dir, |pid| pid > 0 && pid != own && !alive(pid))
}

/// Removes the profile folders in `dir` whose owner's pid `owned` selects; other names are
/// left alone. Returns how many were removed.
fn remove_profiles(dir: &Path, owned: impl Fn(i32) -> bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PROFILE_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if owned(pid) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_removes_folders_of_dead_pids_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        // a pid far above pid_max's default is never alive
        let dead = dir.path().join("reprise-profile-999999999-abc");
        let live = dir
            .path()
            .join(format!("reprise-profile-{}-abc", std::process::id()));
        let other = dir.path().join("reprise-profile-abcdef");
        for d in [&dead, &live, &other] {
            std::fs::create_dir_all(d.join("Default")).expect("mkdir");
        }
        assert_eq!(sweep_profiles(dir.path()), 1);
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
    }

    /// PDEATHSIG follows the forking thread: a child spawned on behalf of a thread that
    /// then exits must outlive that thread.
    #[test]
    fn a_child_outlives_the_thread_that_asked_for_it() {
        let mut child = std::thread::spawn(|| {
            let mut c = Command::new("sleep");
            c.arg("30");
            spawn_tied(c).expect("spawn")
        })
        .join()
        .expect("thread");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let still_running = child.try_wait().expect("try_wait").is_none();
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            still_running,
            "the child died with the thread that spawned it"
        );
    }
}
