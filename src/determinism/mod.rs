//! What makes two replays of the same build render the same pixels: a frozen clock that only
//! moves when the recording says time passed, seeded randomness, no animations or caret, a
//! fixed timezone and locale. The in-page part lives in `shim.js`.

use crate::recording::Recording;

const SHIM_JS: &str = include_str!("shim.js");

/// Start of the virtual clock when a recording does not say (2025-01-01T12:00:00Z): a fixed
/// instant, so recordings without metadata are still deterministic.
pub const DEFAULT_START_MS: i64 = 1_735_732_800_000;
/// How far the clock moves per step when steps carry no timestamps.
pub const DEFAULT_STEP_MS: i64 = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Determinism {
    pub start_ms: i64,
    pub now_ms: i64,
    pub seed: u32,
    pub timezone: String,
    pub locale: String,
    /// The recording's start storage (`reprise.storage`) with the origin it belongs to, as
    /// the shim's config: set by the shim in the app's first document, then dropped (see
    /// `Browser::forget_start_storage`) so later documents see what the page made of it.
    pub storage: Option<serde_json::Value>,
}

impl Determinism {
    pub fn for_recording(rec: &Recording) -> Self {
        let start = rec.meta.start_time_ms.unwrap_or(DEFAULT_START_MS);
        Self {
            start_ms: start,
            now_ms: start,
            // Seeds above 32 bits fold into the generator's state size.
            seed: rec.meta.seed.map_or(1, |s| (s ^ (s >> 32)) as u32),
            timezone: rec.meta.timezone.clone().unwrap_or_else(|| "UTC".into()),
            locale: rec.meta.locale.clone().unwrap_or_else(|| "en-US".into()),
            storage: start_storage(rec),
        }
    }

    /// The virtual time at step `index`: the step's recorded timestamp, else one fixed
    /// interval per step.
    pub fn time_of_step(&self, index: usize, timestamp_ms: Option<u64>) -> i64 {
        match timestamp_ms {
            Some(t) => self
                .start_ms
                .saturating_add(i64::try_from(t).unwrap_or(i64::MAX)),
            None => self.start_ms + DEFAULT_STEP_MS * index as i64,
        }
    }

    /// The script for new documents, with the clock as it stands now.
    pub fn script(&self) -> String {
        let mut cfg = serde_json::json!({ "now": self.now_ms, "seed": self.seed });
        if let Some(st) = &self.storage {
            cfg["storage"] = st.clone();
        }
        SHIM_JS.replace("__REPRISE_CONFIG__", &cfg.to_string())
    }
}

/// `reprise.storage` for the shim, on the origin the recording starts at (its `origin`, else
/// its first `navigate`'s).
fn start_storage(rec: &Recording) -> Option<serde_json::Value> {
    let st = rec.meta.storage.as_ref()?;
    let origin_of = |s: &str| {
        url::Url::parse(s)
            .ok()
            .map(|u| u.origin().ascii_serialization())
    };
    let origin = rec.meta.origin.as_deref().and_then(origin_of).or_else(|| {
        rec.steps.iter().find_map(|s| match &s.kind {
            crate::recording::StepKind::Navigate { url } => origin_of(url),
            _ => None,
        })
    })?;
    Some(serde_json::json!({
        "origin": origin,
        "localStorage": st.local_storage,
        "sessionStorage": st.session_storage,
        "cookies": st.cookies,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_follows_timestamps_or_steps() {
        let d = Determinism {
            start_ms: 1000,
            now_ms: 1000,
            seed: 1,
            timezone: "UTC".into(),
            locale: "en-US".into(),
            storage: None,
        };
        assert_eq!(d.time_of_step(3, Some(250)), 1250);
        assert_eq!(d.time_of_step(3, None), 1000 + 3 * DEFAULT_STEP_MS);
        assert!(d.script().contains("\"now\":1000"));
        assert!(!d.script().contains("__REPRISE_CONFIG__"));
    }
}
