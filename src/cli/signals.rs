//! The signals that end a run early: SIGINT (Ctrl-C), SIGTERM (what `timeout`, GitLab,
//! Kubernetes and systemd send) and SIGHUP (a closed terminal or SSH session). Each is
//! handled the same way: the run is dropped, which kills the chromedriver process group
//! and removes the browser profiles, and reprise exits with 128 + the signal's number.

use tokio::signal::unix::{signal, SignalKind};

/// Waits for SIGINT, SIGTERM or SIGHUP; answers the signal's number. If a handler cannot be
/// installed, that signal keeps its default action (the process dies, and the watchdog in
/// [`crate::browser::hygiene`] still ends the browsers).
pub async fn terminated() -> i32 {
    let mut handlers = Vec::new();
    for (kind, number) in [
        (SignalKind::interrupt(), libc::SIGINT),
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::hangup(), libc::SIGHUP),
    ] {
        if let Ok(s) = signal(kind) {
            handlers.push((s, number));
        }
    }
    if handlers.is_empty() {
        return std::future::pending().await;
    }
    let waits: Vec<_> = handlers
        .iter_mut()
        .map(|(s, number)| {
            let number = *number;
            Box::pin(async move {
                s.recv().await;
                number
            })
        })
        .collect();
    let (number, _, _) = futures_util::future::select_all(waits).await;
    number
}

/// A signal's name, for messages.
pub fn name(number: i32) -> &'static str {
    match number {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}
