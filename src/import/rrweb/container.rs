//! The containers rrweb events come in: a JSON array, `{"events": [...]}`, PostHog's JSON
//! export (`{"data": {"snapshots": [...]}}`) and PostHog's JSONL. Reading them yields the
//! events in order, each with where it was found, for error messages.

use std::path::Path;

use serde_json::Value;

use crate::import::{json_message, json_place, strip_bom, ImportError};

/// An rrweb event: an object with a numeric `type` (0–6) and `data`.
pub fn is_event(v: &Value) -> bool {
    v.get("type")
        .and_then(Value::as_u64)
        .is_some_and(|t| t <= 6)
        && v.get("data").is_some()
}

/// A container of rrweb events (see the module docs).
pub fn is_container(v: &Value) -> bool {
    let arr_of_events = |x: Option<&Value>| {
        x.and_then(Value::as_array).is_some_and(|a| {
            a.first()
                .is_none_or(|e| is_event(e) || e.get("data").is_some())
        })
    };
    arr_of_events(v.get("events"))
        || arr_of_events(v.pointer("/data/snapshots"))
        || (v.get("window_id").is_some() || v.get("windowId").is_some())
            && arr_of_events(v.get("data"))
}

/// An event with where it came from, for error messages.
pub(super) struct Located {
    pub place: String,
    pub event: Value,
}

fn flatten(v: Value, place: &str, out: &mut Vec<Located>) {
    match v {
        Value::Array(items) => {
            for (i, e) in items.into_iter().enumerate() {
                flatten_one(e, &format!("{place}event {}", i + 1), out);
            }
        }
        other => flatten_one(other, place, out),
    }
}

fn flatten_one(v: Value, place: &str, out: &mut Vec<Located>) {
    if is_event(&v) {
        out.push(Located {
            place: place.trim_end_matches(", ").to_owned(),
            event: v,
        });
        return;
    }
    let inner = v
        .get("events")
        .or_else(|| v.pointer("/data/snapshots"))
        .or_else(|| v.get("data").filter(|d| d.is_array()))
        .cloned();
    match inner {
        Some(list) => flatten(list, &format!("{place}, "), out),
        None => out.push(Located {
            place: place.trim_end_matches(", ").to_owned(),
            event: v,
        }),
    }
}

/// Reads the events of any accepted container.
pub(super) fn read_events(path: &Path, text: &str) -> Result<Vec<Located>, ImportError> {
    let text = strip_bom(text).trim();
    let hint = "export the session again as rrweb events (a JSON array) or PostHog JSONL";
    let mut out = Vec::new();
    match serde_json::from_str::<Value>(text) {
        Ok(v) => flatten(v, "", &mut out),
        Err(whole) => {
            if !text.contains('\n') {
                return Err(
                    ImportError::new(path, Some(json_place(&whole)), json_message(&whole))
                        .hint(hint),
                );
            }
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(line).map_err(|e| {
                    ImportError::new(
                        path,
                        Some(format!("line {}, column {}", i + 1, e.column())),
                        json_message(&e),
                    )
                    .hint(hint)
                })?;
                flatten(v, &format!("line {}, ", i + 1), &mut out);
            }
        }
    }
    if out.is_empty() {
        return Err(ImportError::new(path, None, "the stream holds no events").hint(hint));
    }
    for l in &out {
        if !is_event(&l.event) {
            return Err(ImportError::new(
                path,
                Some(l.place.clone()),
                "not an rrweb event: expected an object with a numeric `type` (0–6) and `data`",
            )
            .hint(hint));
        }
    }
    if !out.iter().any(|l| l.event["type"] == 2) {
        return Err(ImportError::new(
            path,
            None,
            "the stream has no full snapshot (event type 2), so its node ids cannot be resolved",
        )
        .hint(
            "export the whole session: rrweb streams start with a Meta and a FullSnapshot event",
        ));
    }
    // Streams merged from several windows are ordered by time when they carry it.
    if out.iter().all(|l| l.event.get("timestamp").is_some()) {
        out.sort_by_key(|l| l.event["timestamp"].as_i64().unwrap_or(0));
    }
    Ok(out)
}
