//! Where a run's time goes, by phase: cheap counters (a few atomic adds per timed call) that the
//! browser and runner add to, and `reprise run` prints to stderr when `REPRISE_PROFILE=1`
//! (docs/performance.md). Times of concurrent sessions add up, so with `--jobs 2` the phases
//! can sum to more than the wall time. Process-wide, since one process runs one suite.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A phase of replaying a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Starting a browser (a new WebDriver session), when no idle one is reused.
    Launch,
    /// Attaching CDP, interception and the determinism script to a browser.
    Bind,
    /// Starting the session's mock backend (wiremock, from the HAR).
    Mock,
    /// Performing a step (click, type, navigate, wait for an element).
    Perform,
    /// Waiting for the page to settle after a step.
    Settle,
    /// One look at the page while settling (a WebDriver round trip).
    SettlePoll,
    /// Finishing animations and waiting for fonts and images before a snapshot.
    PrepareSnapshot,
    /// Serializing and normalizing the DOM.
    SerializeDom,
    /// `Page.captureScreenshot` (the browser encodes a PNG) and its base64 decoding.
    Screenshot,
    /// Comparing with the baseline (the DOM diff, the pixel comparison) and writing captures.
    Compare,
    /// Answering one app asset from the build under test (CDP `Fetch`, base64).
    ServeAsset,
    /// Answering one backend request from the mock.
    ServeBackend,
    /// Replaying a changed session again (flake check).
    FlakeReplay,
    /// Resetting a browser for the next session, or closing it.
    Recycle,
}

const PHASES: [Phase; 14] = [
    Phase::Launch,
    Phase::Bind,
    Phase::Mock,
    Phase::Perform,
    Phase::Settle,
    Phase::SettlePoll,
    Phase::PrepareSnapshot,
    Phase::SerializeDom,
    Phase::Screenshot,
    Phase::Compare,
    Phase::ServeAsset,
    Phase::ServeBackend,
    Phase::FlakeReplay,
    Phase::Recycle,
];

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Launch => "launch browser",
            Phase::Bind => "bind (CDP, interception)",
            Phase::Mock => "start mock backend",
            Phase::Perform => "perform steps",
            Phase::Settle => "settle after steps",
            Phase::SettlePoll => "  settle polls",
            Phase::PrepareSnapshot => "prepare snapshot",
            Phase::SerializeDom => "serialize DOM",
            Phase::Screenshot => "screenshot",
            Phase::Compare => "compare and store",
            Phase::ServeAsset => "serve app assets",
            Phase::ServeBackend => "serve backend",
            Phase::FlakeReplay => "flake re-replay",
            Phase::Recycle => "recycle browser",
        }
    }
}

static NANOS: [AtomicU64; PHASES.len()] = [const { AtomicU64::new(0) }; PHASES.len()];
static COUNTS: [AtomicU64; PHASES.len()] = [const { AtomicU64::new(0) }; PHASES.len()];

/// Adds one occurrence of `phase` that took `took`.
pub fn add(phase: Phase, took: Duration) {
    let i = phase as usize;
    NANOS[i].fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
    COUNTS[i].fetch_add(1, Ordering::Relaxed);
}

/// Runs `f`, adding its duration to `phase`.
pub async fn timed<F: Future>(phase: Phase, f: F) -> F::Output {
    let started = Instant::now();
    let out = f.await;
    add(phase, started.elapsed());
    out
}

/// Every phase that occurred: its name, how many times, and its total time.
pub fn totals() -> Vec<(&'static str, u64, Duration)> {
    PHASES
        .iter()
        .map(|p| {
            let i = *p as usize;
            (
                p.name(),
                COUNTS[i].load(Ordering::Relaxed),
                Duration::from_nanos(NANOS[i].load(Ordering::Relaxed)),
            )
        })
        .filter(|(_, n, _)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_up_by_phase() {
        add(Phase::Recycle, Duration::from_millis(3));
        add(Phase::Recycle, Duration::from_millis(4));
        let (_, n, d) = totals()
            .into_iter()
            .find(|(name, ..)| *name == Phase::Recycle.name())
            .expect("recycle counted");
        assert!(n >= 2 && d >= Duration::from_millis(7), "{n} {d:?}");
    }
}
