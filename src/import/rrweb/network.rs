//! `rrweb/network@1` plugin events (and PostHog's network payloads) turned into HAR entries,
//! so an imported session replays against the responses the user's browser received.

use serde_json::{json, Value};

use crate::recording::format_rfc3339_ms;

/// Whether the replay's HAR loader accepts the entry, so a written HAR always loads (found
/// by fuzzing: a request URL that is not a URL made the whole mocks file unusable).
pub(super) fn replayable(entry: &Value) -> bool {
    let doc = json!({ "log": { "entries": [entry] } });
    serde_json::to_vec(&doc).is_ok_and(|bytes| crate::mock::har::parse_har(&bytes).is_ok())
}

/// A HAR entry from one `rrweb/network@1` request (PostHog's field names too).
pub(super) fn network_entry(r: &Value, start: Option<i64>) -> Option<Value> {
    let url = r
        .get("url")
        .or_else(|| r.get("name"))
        .and_then(Value::as_str)?;
    let status = r
        .get("status")
        .or_else(|| r.get("responseStatus"))
        .and_then(Value::as_i64)?;
    let method = r.get("method").and_then(Value::as_str).unwrap_or("GET");
    let headers = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| json!({"name": k, "value": v.as_str().map_or_else(|| v.to_string(), str::to_owned)}))
                    .collect()
            })
            .unwrap_or_default()
    };
    let body_text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    };
    let header = |v: Option<&Value>, name: &str| {
        v.and_then(Value::as_object).and_then(|m| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str().map(str::to_owned))
        })
    };
    let req_headers = r.get("requestHeaders");
    let resp_headers = r.get("responseHeaders");
    let started = r.get("startTime").and_then(Value::as_f64).unwrap_or(0.0);
    let ended = r.get("endTime").and_then(Value::as_f64).unwrap_or(started);
    // The plugin reports `performance.now()`-style times: relative to the page, not epoch.
    let epoch = if started > 1e11 {
        started as i64
    } else {
        start.unwrap_or(0).saturating_add(started as i64)
    };
    let mut request = json!({
        "method": method.to_ascii_uppercase(), "url": url, "httpVersion": "HTTP/1.1",
        "headers": headers(req_headers), "queryString": [], "cookies": [],
        "headersSize": -1, "bodySize": -1,
    });
    if let Some(body) = body_text(r.get("requestBody")) {
        let mime = header(req_headers, "content-type").unwrap_or_else(|| "text/plain".into());
        request["postData"] = json!({"mimeType": mime, "text": body});
    }
    let body = body_text(r.get("responseBody")).unwrap_or_default();
    let mime = header(resp_headers, "content-type").unwrap_or_else(|| "text/plain".into());
    Some(json!({
        "startedDateTime": format_rfc3339_ms(epoch).unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into()),
        "time": (ended - started).max(0.0),
        "request": request,
        "response": {
            "status": status, "statusText": "", "httpVersion": "HTTP/1.1",
            "headers": headers(resp_headers), "cookies": [],
            "content": {"size": body.len(), "mimeType": mime, "text": body},
            "redirectURL": "", "headersSize": -1, "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": (ended - started).max(0.0), "receive": 0},
        "_initiatorType": r.get("initiatorType").cloned().unwrap_or(Value::Null),
    }))
}

/// Counts per HAR entry, used by tests and the CLI summary.
pub fn entry_count(har: &serde_json::value::RawValue) -> usize {
    crate::import::har::entry_count(har)
}
