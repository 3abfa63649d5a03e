//! Turning a captured session's batches into what a suite holds: a Chrome Recorder recording
//! (with reprise's start-state extensions) and a HAR that `mock` serves.
//!
//! Batches arrive as the network delivered them: out of order, repeated (retries), with holes
//! (a tab closed before its last flush), and from several windows (tabs). The assembler sorts
//! them by window (first seen) and sequence number, keeps the first of each sequence number,
//! and says in `notes` what it could not use. One window replays per recording: the one with
//! the most steps. Steps go through the same [`StepLog`] rules as `reprise record`, so a
//! captured session and a recorded one read alike: a navigation the page made after a step is
//! that step's `assertedEvents`, one the person made (reload, back) is a `navigate` step.

use super::batch::{Batch, CaptureEvent, Start};
use super::steps::{NavigationCause, StepLog};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// What a session becomes.
#[derive(Debug, Clone)]
pub struct Assembled {
    /// A Recorder recording reprise replays: `setViewport` and `navigate` first, the start
    /// state in `reprise` (startTime, timezone, locale, storage).
    pub recording: Value,
    /// A HAR 1.2 log of the window's backend exchanges.
    pub har: Value,
    /// What the recording cannot hold or what was missing, for the person exporting it.
    pub notes: Vec<String>,
    /// Errors the page logged or threw (`source: message`).
    pub console_errors: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AssembleError {
    #[error("the session has no batches")]
    Empty,
    #[error("the batches belong to more than one session (`{0}` and `{1}`)")]
    MixedSessions(String, String),
    #[error("window `{0}` has no batch with a `start` (its first batch is missing), so it cannot be replayed")]
    NoStart(String),
    #[error("the assembled recording is not valid: {0}")]
    Invalid(String),
}

impl AssembleError {
    pub fn hint(&self) -> String {
        match self {
            Self::Empty => "the session sent nothing; check the snippet's settings (consent, sample rate, allow list)".into(),
            Self::MixedSessions(..) => "assemble one session at a time".into(),
            Self::NoStart(_) => "the window's first batch never arrived; the session cannot be exported".into(),
            Self::Invalid(_) => "this is a bug in reprise's assembler; please report it with the session".into(),
        }
    }
}

/// How long after a step a new document or a same-document navigation still counts as that
/// step's consequence (a link's page load, a router's `pushState`).
const CONSEQUENCE_MS: u64 = 5_000;
/// A `popstate` or `hashchange` this soon after a step was the page's doing (an app's back
/// button calls `history.back()`); later, the person's (the browser's back button).
const HISTORY_CONSEQUENCE_MS: u64 = 1_000;

/// The test-id attribute the snippet ranks first, as `reprise record` does by default.
const TEST_ID: &str = "data-testid";

pub fn assemble(batches: &[Batch]) -> Result<Assembled, AssembleError> {
    let first = batches.first().ok_or(AssembleError::Empty)?;
    if let Some(other) = batches.iter().find(|b| b.session != first.session) {
        return Err(AssembleError::MixedSessions(
            first.session.clone(),
            other.session.clone(),
        ));
    }
    let mut notes = Vec::new();
    // Windows in the order they were first seen, each with its batches by sequence number.
    let mut order: Vec<&str> = Vec::new();
    let mut windows: HashMap<&str, BTreeMap<u32, &Batch>> = HashMap::new();
    for b in batches {
        let w = windows.entry(b.window.as_str()).or_insert_with(|| {
            order.push(b.window.as_str());
            BTreeMap::new()
        });
        if let Some(kept) = w.get(&b.seq) {
            if *kept != b {
                notes.push(format!(
                    "window {}: two different batches with seq {}; the first received was kept",
                    b.window, b.seq
                ));
            }
            continue;
        }
        w.insert(b.seq, b);
    }
    for w in &order {
        let seqs = &windows[w];
        let max = seqs.keys().next_back().copied().unwrap_or(0);
        let missing: Vec<u32> = (0..=max).filter(|s| !seqs.contains_key(s)).collect();
        if !missing.is_empty() {
            notes.push(format!(
                "window {w}: {} batch(es) missing (seq {}); what they held is not in the recording",
                missing.len(),
                ranges(&missing)
            ));
        }
    }
    // The replayable window: the most steps (the first seen on a tie).
    let steps_of = |w: &str| -> usize {
        windows[w]
            .values()
            .flat_map(|b| &b.events)
            .filter(|e| matches!(e, CaptureEvent::Step { .. }))
            .count()
    };
    let chosen = order
        .iter()
        .copied()
        .max_by(|a, b| {
            steps_of(a).cmp(&steps_of(b)).then_with(|| {
                // `max_by` keeps the last of equals: rank earlier windows higher.
                let pos = |w: &str| order.iter().position(|o| *o == w).unwrap_or(0);
                pos(b).cmp(&pos(a))
            })
        })
        .unwrap_or(order[0]);
    for w in order.iter().filter(|w| **w != chosen) {
        notes.push(format!(
            "window {w} ({} steps) is not in this recording: one window replays per recording (window {chosen} has the most steps)",
            steps_of(w)
        ));
    }
    let mut out = assemble_window(&first.session, chosen, &windows[chosen])?;
    notes.append(&mut out.notes);
    out.notes = notes;
    Ok(out)
}

fn ranges(seqs: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seqs.len() {
        let mut j = i;
        while j + 1 < seqs.len() && seqs[j + 1] == seqs[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            seqs[i].to_string()
        } else {
            format!("{}-{}", seqs[i], seqs[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// One window, its batches by sequence number.
fn assemble_window(
    session: &str,
    window: &str,
    batches: &BTreeMap<u32, &Batch>,
) -> Result<Assembled, AssembleError> {
    let mut notes: Vec<String> = Vec::new();
    let mut console_errors = Vec::new();
    let start: &Start = batches
        .values()
        .find_map(|b| b.start.as_ref())
        .ok_or_else(|| AssembleError::NoStart(window.to_string()))?;
    if !batches.contains_key(&0) {
        notes.push(format!(
            "window {window}: its first batch is missing; the recording starts at the first document seen ({})",
            start.url
        ));
    }
    let vp = start.viewport;
    let mut log = StepLog::new(
        &start.url,
        (vp.width.max(1), vp.height.max(1), vp.device_scale_factor),
        None,
    );
    // Every item in time order: documents (a `start` after the first) and events. A batch's
    // `start` comes before its events; `t` of a later document is its start time minus the
    // window's.
    enum Item<'a> {
        Document(&'a Start),
        Event(&'a CaptureEvent),
    }
    let mut items: Vec<(u64, usize, Item)> = Vec::new();
    for b in batches.values() {
        if let Some(s) = &b.start {
            if !std::ptr::eq(s, start) {
                let t = u64::try_from(s.start_time.saturating_sub(start.start_time)).unwrap_or(0);
                items.push((t, items.len(), Item::Document(s)));
            }
        }
        for e in &b.events {
            items.push((e.t(), items.len(), Item::Event(e)));
        }
    }
    items.sort_by_key(|(t, i, _)| (*t, *i));

    let mut entries: Vec<Value> = Vec::new();
    let mut console: Vec<Value> = Vec::new();
    let mut last_action: Option<u64> = None;
    let note = |notes: &mut Vec<String>, n: String| {
        if !notes.contains(&n) {
            notes.push(n);
        }
    };
    for (t, _, item) in &items {
        let t = *t;
        match item {
            Item::Document(s) => {
                let reload = matches!(s.navigation.as_deref(), Some("reload" | "back_forward"));
                let caused = last_action.is_some_and(|a| t.saturating_sub(a) <= CONSEQUENCE_MS);
                let cause = if !reload && caused {
                    NavigationCause::Page
                } else {
                    NavigationCause::Person
                };
                log.on_message(&json!({ "t": "page", "url": s.url }), t, cause);
                last_action = None;
            }
            Item::Event(CaptureEvent::Step { step, .. }) => {
                if step.get("type").and_then(Value::as_str).is_none() {
                    continue;
                }
                // A file picked in a file input: the snippet does not send its bytes, and the
                // browser's fake path cannot be typed into a file input on replay.
                if step["type"] == "change"
                    && step["value"]
                        .as_str()
                        .is_some_and(|v| v.starts_with("C:\\fakepath\\"))
                {
                    note(
                        &mut notes,
                        "a file upload was left out: the snippet does not capture file contents"
                            .into(),
                    );
                    continue;
                }
                log.on_message(
                    &json!({ "t": "step", "step": step }),
                    t,
                    NavigationCause::Person,
                );
                if step["type"] != "setViewport" && step["type"] != "scroll" {
                    last_action = Some(t);
                }
            }
            Item::Event(CaptureEvent::Navigation { kind, url, .. }) => {
                // The router's own `pushState`/`replaceState` happens again when the steps
                // replay; a history move long after any step was the browser's back/forward
                // or a typed hash, which only a `navigate` reproduces.
                let history = kind == "popstate" || kind == "hashchange";
                let caused =
                    last_action.is_some_and(|a| t.saturating_sub(a) <= HISTORY_CONSEQUENCE_MS);
                if history && !caused {
                    log.navigate(url, t);
                    note(
                        &mut notes,
                        "a back/forward or hash navigation replays as a `navigate` step (a full load of that URL)".into(),
                    );
                }
            }
            Item::Event(CaptureEvent::Exchange {
                entry, truncated, ..
            }) => {
                let entry = normalize_entry(entry);
                let label = format!(
                    "{} {}",
                    entry["request"]["method"].as_str().unwrap_or("?"),
                    crate::excerpt::excerpt(entry["request"]["url"].as_str().unwrap_or("?"))
                );
                if let Err(e) = crate::mock::har::check_entry(&entry.to_string(), None) {
                    note(&mut notes, format!("exchange {label} left out: {e}"));
                    continue;
                }
                if *truncated {
                    note(
                        &mut notes,
                        format!("a body of {label} was cut at 1 MB by the snippet; replay answers with the cut body"),
                    );
                }
                entries.push(entry);
            }
            Item::Event(CaptureEvent::Stream { kind, url, .. }) => {
                let n = match kind.as_str() {
                    "beacon" => format!("sendBeacon to {} (recorded as an exchange when its body was readable; beacons get no answer the page sees)", crate::excerpt::excerpt(url)),
                    k => format!("{k} {}: HAR cannot hold it, replay does not answer it", crate::excerpt::excerpt(url)),
                };
                note(&mut notes, n);
            }
            Item::Event(CaptureEvent::Error {
                source, message, ..
            }) => {
                console_errors.push(format!("{source}: {message}"));
                console.push(json!({ "level": "error", "args": [message], "timestamp": t }));
            }
            Item::Event(CaptureEvent::End { .. } | CaptureEvent::Unknown) => {}
        }
    }
    // The snippet itself: answered on replay, where it sees the replay marker and stays idle.
    if let Some(src) = start.snippet.as_deref().filter(|s| s.starts_with("http")) {
        let url = src.split('#').next().unwrap_or(src);
        let origin = url::Url::parse(url).ok().map(|u| u.origin());
        let app = url::Url::parse(&start.url).ok().map(|u| u.origin());
        if origin.is_some() && origin != app {
            entries.push(snippet_entry(url, start.start_time));
        }
    }

    let mut meta = serde_json::Map::new();
    meta.insert("startTime".into(), json!(start.start_time));
    if let Some(tz) = start.timezone.as_deref().filter(|s| !s.is_empty()) {
        meta.insert("timezone".into(), json!(tz));
    }
    if let Some(l) = start.locale.as_deref().filter(|s| !s.is_empty()) {
        meta.insert("locale".into(), json!(l));
    }
    if !start.local_storage.is_empty()
        || !start.session_storage.is_empty()
        || !start.cookies.is_empty()
    {
        meta.insert(
            "storage".into(),
            json!({
                "localStorage": start.local_storage,
                "sessionStorage": start.session_storage,
                "cookies": start.cookies,
            }),
        );
    }
    meta.insert("tags".into(), json!([format!("captured:{session}")]));
    if !console.is_empty() {
        meta.insert("console".into(), Value::Array(console));
    }
    let title = if start.title.is_empty() {
        format!("captured session {session}")
    } else {
        format!("{} (captured session {session})", start.title)
    };
    let doc = json!({
        "title": title,
        "selectorAttribute": TEST_ID,
        "reprise": meta,
        "steps": log.steps(),
    });
    let parsed = crate::recording::parse_recording_value(&doc)
        .map_err(|e| AssembleError::Invalid(e.to_string()))?;
    let mut recording = crate::recording::to_recorder_json(&parsed);
    if let Some(m) = recording.get_mut("reprise").and_then(Value::as_object_mut) {
        m.insert(
            "viewport".into(),
            json!({ "width": vp.width, "height": vp.height, "deviceScaleFactor": vp.device_scale_factor }),
        );
        if let Some(b) = &start.build_id {
            m.insert("buildId".into(), json!(b));
        }
    }
    let har = json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "reprise capture", "version": env!("CARGO_PKG_VERSION") },
            "pages": [],
            "entries": entries,
        }
    });
    Ok(Assembled {
        recording,
        har,
        notes,
        console_errors,
    })
}

/// Fills what HAR 1.2 requires and the snippet may leave out.
fn normalize_entry(entry: &Value) -> Value {
    let mut e = entry.clone();
    if let Some(o) = e.as_object_mut() {
        o.entry("startedDateTime")
            .or_insert_with(|| json!("1970-01-01T00:00:00.000Z"));
        o.entry("time").or_insert(json!(0));
        o.entry("cache").or_insert(json!({}));
        o.entry("timings")
            .or_insert(json!({ "send": 0, "wait": 0, "receive": 0 }));
    }
    for part in ["request", "response"] {
        if let Some(o) = e.get_mut(part).and_then(Value::as_object_mut) {
            o.entry("httpVersion").or_insert(json!("HTTP/1.1"));
            o.entry("headers").or_insert(json!([]));
            o.entry("cookies").or_insert(json!([]));
            o.entry("headersSize").or_insert(json!(-1));
            o.entry("bodySize").or_insert(json!(-1));
        }
    }
    if let Some(o) = e.get_mut("request").and_then(Value::as_object_mut) {
        o.entry("queryString").or_insert(json!([]));
    }
    if let Some(o) = e.get_mut("response").and_then(Value::as_object_mut) {
        o.entry("statusText").or_insert(json!(""));
        o.entry("redirectURL").or_insert(json!(""));
        o.entry("content")
            .or_insert(json!({ "size": 0, "mimeType": "" }));
    }
    e
}

fn snippet_entry(url: &str, started: i64) -> Value {
    let body = super::snippet::CAPTURE_JS;
    json!({
        "startedDateTime": crate::recording::format_rfc3339_ms(started).unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into()),
        "time": 0,
        "request": { "method": "GET", "url": url, "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                     "queryString": [], "headersSize": -1, "bodySize": 0 },
        "response": { "status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                      "headers": [{ "name": "content-type", "value": "application/javascript" }],
                      "cookies": [], "content": { "size": body.len(), "mimeType": "application/javascript", "text": body },
                      "redirectURL": "", "headersSize": -1, "bodySize": body.len() },
        "cache": {}, "timings": { "send": 0, "wait": 0, "receive": 0 },
        "_reprise": "the capture snippet, answered so replay loads it (it stays idle there)"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T0: i64 = 1_733_900_000_000;

    fn start(url: &str, at: i64, nav: &str) -> Value {
        json!({ "url": url, "title": "Demo", "viewport": {"width": 1024, "height": 700, "deviceScaleFactor": 1},
                "userAgent": "UA", "timezone": "Europe/Paris", "locale": "fr-FR", "startTime": at, "buildId": "b1",
                "localStorage": {"theme": "dark"}, "sessionStorage": {}, "cookies": "a=1",
                "navigation": nav, "snippet": "http://127.0.0.1:9/v1/capture.js" })
    }

    fn batch(window: &str, seq: u32, start: Option<Value>, events: Vec<Value>) -> Batch {
        let mut v = json!({ "v": 1, "session": "session-1", "window": window, "seq": seq, "events": events });
        if let Some(s) = start {
            v["start"] = s;
        }
        Batch::parse(v.to_string().as_bytes()).expect("valid batch")
    }

    fn click(t: u64, sel: &str) -> Value {
        json!({ "t": t, "type": "step", "step": {"type": "click", "selectors": [[sel]], "offsetX": 3, "offsetY": 4} })
    }

    fn exchange(t: u64, path: &str, body: &str) -> Value {
        json!({ "t": t, "type": "exchange", "truncated": false, "entry": {
            "startedDateTime": "2024-12-11T07:33:20.000Z", "time": 5,
            "request": {"method": "GET", "url": format!("http://127.0.0.1:8/api{path}"), "headers": []},
            "response": {"status": 200, "headers": [{"name": "content-type", "value": "application/json"}],
                         "content": {"mimeType": "application/json", "text": body}} } })
    }

    fn types(a: &Assembled) -> Vec<String> {
        a.recording["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["type"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn har_loads(a: &Assembled) -> Vec<crate::mock::har::Exchange> {
        crate::mock::har::parse_har(a.har.to_string().as_bytes()).expect("the HAR loads in mock")
    }

    #[test]
    fn out_of_order_and_duplicate_batches_assemble_in_order() {
        let b0 = batch(
            "window-1",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![click(100, "#one"), exchange(110, "/a", "1")],
        );
        let b1 = batch(
            "window-1",
            1,
            None,
            vec![click(2100, "#two"), exchange(2110, "/b", "2")],
        );
        let b2 = batch(
            "window-1",
            2,
            None,
            vec![
                click(4100, "#three"),
                json!({"t": 5000, "type": "end", "reason": "pagehide"}),
            ],
        );
        let a = assemble(&[b2.clone(), b0.clone(), b1.clone(), b0.clone(), b1]).expect("assembles");
        assert_eq!(
            types(&a),
            ["setViewport", "navigate", "click", "click", "click"]
        );
        let sels: Vec<&str> = a.recording["steps"].as_array().expect("steps")[2..]
            .iter()
            .map(|s| s["selectors"][0][0].as_str().unwrap_or(""))
            .collect();
        assert_eq!(sels, ["#one", "#two", "#three"]);
        assert!(a.notes.is_empty(), "{:?}", a.notes);
        let ex = har_loads(&a);
        let urls: Vec<String> = ex.iter().map(|e| e.url.path().to_string()).collect();
        assert_eq!(urls, ["/api/a", "/api/b", "/v1/capture.js"]);
        // Start state lands where the runner reads it.
        let rec = crate::recording::parse_recording_value(&a.recording).expect("parses");
        assert_eq!(rec.meta.start_time_ms, Some(T0));
        assert_eq!(rec.meta.timezone.as_deref(), Some("Europe/Paris"));
        assert_eq!(rec.meta.locale.as_deref(), Some("fr-FR"));
        let st = rec.meta.storage.expect("storage");
        assert_eq!(
            st.local_storage.get("theme").map(String::as_str),
            Some("dark")
        );
        assert_eq!(st.cookies, "a=1");
        assert_eq!(a.recording["steps"][0]["width"], 1024);
        assert_eq!(a.recording["steps"][1]["url"], "http://127.0.0.1:7/");
        assert_eq!(a.recording["steps"][3]["timestamp"], 2100);
    }

    #[test]
    fn gaps_and_conflicting_duplicates_are_noted() {
        let b0 = batch(
            "window-1",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![click(100, "#one")],
        );
        let b3 = batch("window-1", 3, None, vec![click(9000, "#four")]);
        let b3b = batch("window-1", 3, None, vec![click(9000, "#other")]);
        let a = assemble(&[b0, b3, b3b]).expect("assembles");
        assert!(
            a.notes
                .iter()
                .any(|n| n.contains("2 batch(es) missing (seq 1-2)")),
            "{:?}",
            a.notes
        );
        assert!(
            a.notes
                .iter()
                .any(|n| n.contains("two different batches with seq 3")),
            "{:?}",
            a.notes
        );
        assert_eq!(types(&a).len(), 4);
    }

    #[test]
    fn reload_becomes_navigate_and_link_load_is_asserted() {
        let b0 = batch(
            "window-1",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![click(100, "a.next")],
        );
        // A new document 300 ms after the click: the link's load.
        let b1 = batch(
            "window-1",
            1,
            Some(start("http://127.0.0.1:7/next", T0 + 400, "navigate")),
            vec![],
        );
        // A reload, long after.
        let b2 = batch(
            "window-1",
            2,
            Some(start("http://127.0.0.1:7/next", T0 + 20_000, "reload")),
            vec![click(21_000, "#x")],
        );
        let a = assemble(&[b0, b1, b2]).expect("assembles");
        assert_eq!(
            types(&a),
            ["setViewport", "navigate", "click", "navigate", "click"]
        );
        assert_eq!(
            a.recording["steps"][2]["assertedEvents"][0]["url"],
            "http://127.0.0.1:7/next"
        );
        assert_eq!(a.recording["steps"][3]["url"], "http://127.0.0.1:7/next");
        assert_eq!(a.recording["steps"][3]["timestamp"], 20_000);
        // A reload right after a click is still the person's.
        let b0 = batch(
            "window-2",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![click(100, "#a")],
        );
        let b1 = batch(
            "window-2",
            1,
            Some(start("http://127.0.0.1:7/", T0 + 200, "reload")),
            vec![],
        );
        let a = assemble(&[b0, b1]).expect("assembles");
        assert_eq!(types(&a), ["setViewport", "navigate", "click", "navigate"]);
    }

    #[test]
    fn push_state_is_replayed_by_its_step_and_back_navigation_is_a_navigate() {
        let nav = |t: u64, kind: &str, url: &str| json!({"t": t, "type": "navigation", "kind": kind, "url": url});
        let b0 = batch(
            "window-1",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![
                click(100, "a.route"),
                nav(120, "pushState", "http://127.0.0.1:7/items"),
                nav(130, "replaceState", "http://127.0.0.1:7/items?x=1"),
                // The browser's back button, much later.
                nav(8_000, "popstate", "http://127.0.0.1:7/"),
                click(9_000, "button.back"),
                // The app's own back button: history.back() right after its click.
                nav(9_050, "popstate", "http://127.0.0.1:7/prev"),
                nav(20_000, "hashchange", "http://127.0.0.1:7/#faq"),
            ],
        );
        let a = assemble(&[b0]).expect("assembles");
        assert_eq!(
            types(&a),
            [
                "setViewport",
                "navigate",
                "click",
                "navigate",
                "click",
                "navigate"
            ]
        );
        assert_eq!(a.recording["steps"][3]["url"], "http://127.0.0.1:7/");
        assert_eq!(a.recording["steps"][5]["url"], "http://127.0.0.1:7/#faq");
        assert!(
            a.notes.iter().any(|n| n.contains("back/forward")),
            "{:?}",
            a.notes
        );
    }

    #[test]
    fn two_windows_replay_the_one_with_most_steps_and_name_the_other() {
        let w1 = batch(
            "window-1",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![click(100, "#a")],
        );
        let w2 = batch(
            "window-2",
            0,
            Some(start("http://127.0.0.1:7/b", T0 + 5, "navigate")),
            vec![click(100, "#b"), click(200, "#c")],
        );
        let a = assemble(&[w1, w2]).expect("assembles");
        assert_eq!(a.recording["steps"][1]["url"], "http://127.0.0.1:7/b");
        assert!(
            a.notes
                .iter()
                .any(|n| n.contains("window window-1 (1 steps) is not in this recording")),
            "{:?}",
            a.notes
        );
    }

    #[test]
    fn truncated_bodies_streams_and_errors_are_reported() {
        let mut ex = exchange(200, "/big", "xxxx");
        ex["truncated"] = json!(true);
        let b0 = batch(
            "window-1",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![
                ex,
                json!({"t": 300, "type": "stream", "kind": "websocket", "url": "ws://127.0.0.1:7/live"}),
                json!({"t": 400, "type": "error", "source": "window", "message": "TypeError: x is undefined"}),
                json!({"t": 450, "type": "step", "step": {"type": "change", "selectors": [["#f"]], "value": "C:\\fakepath\\a.txt"}}),
                json!({"t": 500, "type": "exchange", "truncated": false, "entry": {"request": {"method": "GET", "url": "not a url"}, "response": {"status": 200}}}),
            ],
        );
        let a = assemble(&[b0]).expect("assembles");
        assert!(
            a.notes
                .iter()
                .any(|n| n.contains("cut at 1 MB") && n.contains("/api/big")),
            "{:?}",
            a.notes
        );
        assert!(
            a.notes
                .iter()
                .any(|n| n.starts_with("websocket ws://127.0.0.1:7/live")),
            "{:?}",
            a.notes
        );
        assert!(
            a.notes.iter().any(|n| n.contains("left out:")),
            "{:?}",
            a.notes
        );
        assert!(
            a.notes
                .iter()
                .any(|n| n.contains("file upload was left out")),
            "{:?}",
            a.notes
        );
        assert_eq!(types(&a), ["setViewport", "navigate"]);
        assert_eq!(a.console_errors, ["window: TypeError: x is undefined"]);
        assert_eq!(a.recording["reprise"]["console"][0]["level"], "error");
        assert_eq!(har_loads(&a).len(), 2, "the cut body and the snippet");
    }

    #[test]
    fn refuses_empty_mixed_and_startless_sessions() {
        assert_eq!(assemble(&[]).unwrap_err(), AssembleError::Empty);
        let a = batch(
            "window-1",
            0,
            Some(start("http://127.0.0.1:7/", T0, "navigate")),
            vec![],
        );
        let mut b = a.clone();
        b.session = "session-2".into();
        assert!(matches!(
            assemble(&[a, b]),
            Err(AssembleError::MixedSessions(..))
        ));
        let c = batch("window-1", 1, None, vec![click(1, "#a")]);
        assert_eq!(
            assemble(&[c]).unwrap_err(),
            AssembleError::NoStart("window-1".into())
        );
        assert!(!AssembleError::Empty.hint().is_empty());
    }
}
