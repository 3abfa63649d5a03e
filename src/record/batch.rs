//! One batch of the capture snippet (`capture.js`), as `POST /v1/ingest/{session}/{window}/{seq}`
//! carries it (docs/capture.md, "Wire format"). The snippet, the collector, the store and the
//! assembler all agree on these types; `Batch::parse` is the one place a batch from the
//! network is read, so its limits hold everywhere (a batch is untrusted input: the write token
//! that sends it sits in a public page).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The wire format version this build reads and writes.
pub const VERSION: u32 = 1;
/// Most events one batch may hold (the snippet flushes every 2 s or 512 KB, far below).
pub const MAX_EVENTS: usize = 20_000;
/// Largest decoded (gunzipped) batch accepted.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// One batch of one window (a browser tab) of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub v: u32,
    pub session: String,
    pub window: String,
    pub seq: u32,
    /// Present in a window's first batch and on every new document (a reload, a link to a
    /// new page): a later `start` in the same window is a navigation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Start>,
    #[serde(default)]
    pub events: Vec<CaptureEvent>,
}

/// The state a document started in: what replay must reproduce before the first step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Start {
    pub url: String,
    #[serde(default)]
    pub title: String,
    pub viewport: Viewport,
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    /// Epoch milliseconds when this document started. Events' `t` count from the window's
    /// first `startTime` (the snippet keeps it across reloads).
    #[serde(deserialize_with = "de_ms_i64")]
    pub start_time: i64,
    #[serde(default)]
    pub build_id: Option<String>,
    #[serde(default)]
    pub local_storage: BTreeMap<String, String>,
    #[serde(default)]
    pub session_storage: BTreeMap<String, String>,
    /// `document.cookie` as the page read it (`a=1; b=2`; HttpOnly cookies are not in it).
    #[serde(default)]
    pub cookies: String,
    /// Extension (optional): how this document was reached, from the Navigation Timing
    /// entry: `navigate`, `reload`, `back_forward`, `prerender`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub navigation: Option<String>,
    /// Extension (optional): the URL the snippet itself was loaded from, so the assembled
    /// HAR can answer it on replay (where the snippet sees the replay marker and stays idle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    #[serde(default = "one")]
    pub device_scale_factor: f64,
}

fn one() -> f64 {
    1.0
}

/// What happened in the page, `t` ms after the window's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CaptureEvent {
    /// One Chrome DevTools Recorder step, as `reprise record` writes it.
    Step {
        #[serde(deserialize_with = "de_ms")]
        t: u64,
        step: Value,
    },
    /// One HAR 1.2 entry (request, response with `content.text`, `startedDateTime`, `time`).
    Exchange {
        #[serde(deserialize_with = "de_ms")]
        t: u64,
        entry: Value,
        #[serde(default)]
        truncated: bool,
    },
    /// A connection HAR cannot hold (WebSocket, EventSource) or a beacon.
    Stream {
        #[serde(deserialize_with = "de_ms")]
        t: u64,
        kind: String,
        url: String,
    },
    /// An error the page logged or threw.
    Error {
        #[serde(deserialize_with = "de_ms")]
        t: u64,
        source: String,
        message: String,
    },
    /// Extension: a same-document navigation (`pushState`, `replaceState`, `popstate`,
    /// `hashchange`) and the URL after it.
    Navigation {
        #[serde(deserialize_with = "de_ms")]
        t: u64,
        kind: String,
        url: String,
    },
    /// The window's recording ended (`pagehide`, `stop`, `idle`).
    End {
        #[serde(deserialize_with = "de_ms")]
        t: u64,
        reason: String,
    },
    /// An event type a newer snippet sends: kept out of the way, never an error.
    #[serde(other)]
    Unknown,
}

impl CaptureEvent {
    /// Milliseconds since the window's start (unknown events sort first).
    pub fn t(&self) -> u64 {
        match self {
            Self::Step { t, .. }
            | Self::Exchange { t, .. }
            | Self::Stream { t, .. }
            | Self::Error { t, .. }
            | Self::Navigation { t, .. }
            | Self::End { t, .. } => *t,
            Self::Unknown => 0,
        }
    }
}

/// Milliseconds may come as floats (`performance.now()` arithmetic): rounded, never negative.
fn de_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let f = f64::deserialize(d)?;
    if !f.is_finite() || f < 0.0 {
        return Err(serde::de::Error::custom(format!(
            "expected a non-negative number of milliseconds, found {f}"
        )));
    }
    Ok(f.round().min(u64::MAX as f64) as u64)
}

fn de_ms_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let f = f64::deserialize(d)?;
    if !f.is_finite() || f.abs() > 9.0e15 {
        return Err(serde::de::Error::custom(format!(
            "expected epoch milliseconds, found {f}"
        )));
    }
    Ok(f.round() as i64)
}

/// Why a batch was refused. Each names the field and says what a valid batch holds.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BatchError {
    #[error("the batch is {size} bytes, more than the {max} bytes allowed")]
    TooLarge { size: usize, max: usize },
    #[error("the batch is not valid JSON of the capture format: {0}")]
    Json(String),
    #[error("the batch has version {0}; this reprise reads version {VERSION}")]
    Version(u32),
    #[error(
        "the batch's `{field}` `{value}` is not an id of 8 to 64 characters from A-Z a-z 0-9 _ -"
    )]
    BadId { field: &'static str, value: String },
    #[error("the batch holds {0} events, more than the {MAX_EVENTS} allowed")]
    TooManyEvents(usize),
}

impl BatchError {
    pub fn hint(&self) -> String {
        match self {
            Self::TooLarge { .. } | Self::TooManyEvents(_) => {
                "the snippet sends a batch every 2 s or 512 KB; send smaller batches".into()
            }
            Self::Json(_) | Self::BadId { .. } => {
                "send batches as the reprise snippet (`/v1/capture.js`) writes them; see docs/capture.md, \"Wire format\"".into()
            }
            Self::Version(_) => {
                "load the snippet from this collector (`/v1/capture.js`) so both speak the same version".into()
            }
        }
    }
}

/// Whether `id` is a valid session or window id: `[A-Za-z0-9_-]{8,64}`.
pub fn valid_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Batch {
    /// Reads one decoded (not gzipped) batch, checking its size, version, ids and event count.
    pub fn parse(bytes: &[u8]) -> Result<Batch, BatchError> {
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(BatchError::TooLarge {
                size: bytes.len(),
                max: MAX_BATCH_BYTES,
            });
        }
        // The version first, so a future format is refused for what it is.
        let probe: Value =
            serde_json::from_slice(bytes).map_err(|e| BatchError::Json(e.to_string()))?;
        match probe.get("v").and_then(Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(BatchError::Version(u32::try_from(v).unwrap_or(u32::MAX))),
            None => {
                return Err(BatchError::Json(
                    "missing field `v` (the format version)".into(),
                ))
            }
        }
        if let Some(n) = probe.get("events").and_then(Value::as_array).map(Vec::len) {
            if n > MAX_EVENTS {
                return Err(BatchError::TooManyEvents(n));
            }
        }
        let batch: Batch =
            serde_json::from_value(probe).map_err(|e| BatchError::Json(e.to_string()))?;
        for (field, value) in [("session", &batch.session), ("window", &batch.window)] {
            if !valid_id(value) {
                return Err(BatchError::BadId {
                    field,
                    value: crate::excerpt::excerpt(value),
                });
            }
        }
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "v": 1, "session": "sess-0001", "window": "win_0001", "seq": 0,
            "start": {
                "url": "http://127.0.0.1:5173/", "title": "Demo",
                "viewport": {"width": 1280, "height": 720, "deviceScaleFactor": 1},
                "userAgent": "UA", "timezone": "Europe/Paris", "locale": "fr-FR",
                "startTime": 1_733_900_000_000i64, "buildId": null,
                "localStorage": {"k": "v"}, "sessionStorage": {}, "cookies": "a=1; b=2"
            },
            "events": [
                {"t": 120, "type": "step", "step": {"type": "click", "selectors": [["#a"]], "offsetX": 1, "offsetY": 2}},
                {"t": 130.4, "type": "exchange", "entry": {"request": {}}, "truncated": false},
                {"t": 140, "type": "stream", "kind": "websocket", "url": "ws://x/"},
                {"t": 150, "type": "error", "source": "window", "message": "boom"},
                {"t": 160, "type": "navigation", "kind": "pushState", "url": "http://127.0.0.1:5173/a"},
                {"t": 170, "type": "future-thing", "x": 1},
                {"t": 9000, "type": "end", "reason": "pagehide"}
            ]
        })
    }

    #[test]
    fn parses_every_event_type_and_tolerates_unknown_ones() {
        let b = Batch::parse(sample().to_string().as_bytes()).expect("parses");
        let start = b.start.as_ref().expect("start");
        assert_eq!(start.timezone.as_deref(), Some("Europe/Paris"));
        assert_eq!(start.local_storage.get("k").map(String::as_str), Some("v"));
        assert_eq!(start.viewport.device_scale_factor, 1.0);
        assert_eq!(b.events.len(), 7);
        assert!(matches!(b.events[1], CaptureEvent::Exchange { t: 130, .. }));
        assert!(
            matches!(&b.events[4], CaptureEvent::Navigation { kind, .. } if kind == "pushState")
        );
        assert_eq!(b.events[5], CaptureEvent::Unknown);
        assert!(
            matches!(&b.events[6], CaptureEvent::End { reason, t: 9000 } if reason == "pagehide")
        );
        // Round trip through serde keeps it.
        let again = Batch::parse(serde_json::to_vec(&b).expect("ser").as_slice()).expect("again");
        assert_eq!(again.events.len(), 7);
    }

    #[test]
    fn refuses_bad_ids_versions_sizes_and_counts() {
        let mut v = sample();
        v["session"] = json!("short");
        assert!(matches!(
            Batch::parse(v.to_string().as_bytes()),
            Err(BatchError::BadId {
                field: "session",
                ..
            })
        ));
        let mut v = sample();
        v["window"] = json!("has/slash-in-it");
        assert!(matches!(
            Batch::parse(v.to_string().as_bytes()),
            Err(BatchError::BadId {
                field: "window",
                ..
            })
        ));
        let mut v = sample();
        v["v"] = json!(2);
        assert_eq!(
            Batch::parse(v.to_string().as_bytes()),
            Err(BatchError::Version(2))
        );
        let mut v = sample();
        v["events"] = Value::Array(vec![
            json!({"t": 1, "type": "end", "reason": "idle"});
            MAX_EVENTS + 1
        ]);
        assert_eq!(
            Batch::parse(v.to_string().as_bytes()),
            Err(BatchError::TooManyEvents(MAX_EVENTS + 1))
        );
        let big = vec![b' '; MAX_BATCH_BYTES + 1];
        assert!(matches!(
            Batch::parse(&big),
            Err(BatchError::TooLarge { .. })
        ));
        assert!(matches!(
            Batch::parse(b"{not json"),
            Err(BatchError::Json(_))
        ));
        let mut v = sample();
        v["events"][0]["t"] = json!(-5);
        assert!(matches!(
            Batch::parse(v.to_string().as_bytes()),
            Err(BatchError::Json(_))
        ));
        let mut v = sample();
        v["seq"] = json!(-1);
        assert!(matches!(
            Batch::parse(v.to_string().as_bytes()),
            Err(BatchError::Json(_))
        ));
        assert!(!BatchError::Version(2).hint().is_empty());
    }

    #[test]
    fn ids() {
        assert!(valid_id("abcdEFGH"));
        assert!(valid_id(&"a".repeat(64)));
        assert!(!valid_id(&"a".repeat(65)));
        assert!(!valid_id("abc defg"));
        assert!(!valid_id("abcdefé1"));
    }
}
