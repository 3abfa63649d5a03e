//! Sessions' ends: closing on an `end` event or after the idle timeout, computing the
//! session's features for curation when it closes, and the retention sweep.

use std::sync::Arc;
use std::time::Duration;

use crate::store::{Query, Store};

/// Closes a session and stores what curation wants to know about it. Errors are logged:
/// closing never loses a batch (they are stored already) and is retried by the next sweep
/// only for idle sessions.
pub fn close(store: &dyn Store, session: &str, reason: &str) {
    if let Err(e) = store.end_session(session, reason) {
        eprintln!("collect: cannot close session {session}: {e}");
        return;
    }
    if let Err(e) = features_at_close(store, session) {
        eprintln!("collect: no features for session {session}: {e}");
    }
}

/// THE single call site of curation's features (issue 18, `crate::curate::features`): the
/// session assembled once at close, its features stored as meta "features", so `sessions`
/// and `curate` read them for free. Curation computes them on the fly when missing.
fn features_at_close(store: &dyn Store, session: &str) -> Result<(), String> {
    let a =
        super::export::assemble_session(store, session, "collector").map_err(|e| e.to_string())?;
    let f = crate::curate::features::of_session(&a.recording, &a.har, &a.console_errors);
    let v = serde_json::to_value(&f).map_err(|e| e.to_string())?;
    store
        .set_meta(session, "features", &v)
        .map_err(|e| e.to_string())
}

/// One sweep: closes sessions idle for longer than `idle`, deletes those last seen before
/// the retention window. Returns (closed, expired).
pub fn sweep(store: &dyn Store, idle: Duration, retain: Duration) -> (u64, u64) {
    let now = crate::store::now_ms();
    let mut closed = 0;
    match store.list(&Query {
        closed: Some(false),
        ..Default::default()
    }) {
        Ok(open) => {
            for s in open {
                if s.last_seen_ms < now - idle.as_millis() as i64 {
                    close(store, &s.id, "idle");
                    closed += 1;
                }
            }
        }
        Err(e) => eprintln!("collect: cannot list open sessions: {e}"),
    }
    let expired = store
        .expire(now - retain.as_millis() as i64)
        .unwrap_or_else(|e| {
            eprintln!("collect: retention sweep failed: {e}");
            0
        });
    (closed, expired)
}

/// Sweeps every `every` until aborted.
pub async fn sweep_loop(store: Arc<dyn Store>, idle: Duration, retain: Duration, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let s = store.clone();
        let _ = tokio::task::spawn_blocking(move || sweep(&*s, idle, retain)).await;
    }
}
