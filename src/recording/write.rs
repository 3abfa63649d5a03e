//! Writing a recording back as Chrome DevTools Recorder JSON, with reprise's extensions, so
//! importers and the recorder emit files that both DevTools and reprise read. Parsing the
//! result (`super::parse`) yields an equal [`Recording`].

use serde_json::{Map, Value};

use super::model::{MouseButton, Recording, RepriseMeta, Step, StepKind};
use super::selector::Selector;
use super::time::format_rfc3339_ms;

/// Writes a recording back as recorder JSON (with the reprise extensions), so
/// importers can emit files that both DevTools and reprise read; parsing the
/// result yields an equal [`Recording`].
pub fn to_recorder_json(rec: &Recording) -> Value {
    let mut top = Map::new();
    top.insert("title".into(), rec.title.clone().into());
    if let Some(t) = rec.timeout_ms {
        top.insert("timeout".into(), t.into());
    }
    if let Some(a) = &rec.selector_attribute {
        top.insert("selectorAttribute".into(), a.clone().into());
    }
    let meta = meta_json(&rec.meta);
    if !meta.is_empty() {
        top.insert("reprise".into(), Value::Object(meta));
    }
    top.insert(
        "steps".into(),
        Value::Array(rec.steps.iter().map(step_json).collect()),
    );
    Value::Object(top)
}

fn meta_json(meta: &RepriseMeta) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(ms) = meta.start_time_ms {
        let v = format_rfc3339_ms(ms).map_or_else(|| ms.into(), Value::from);
        m.insert("startTime".into(), v);
    }
    if let Some(seed) = meta.seed {
        m.insert("seed".into(), seed.into());
    }
    for (key, v) in [
        ("timezone", &meta.timezone),
        ("locale", &meta.locale),
        ("origin", &meta.origin),
    ] {
        if let Some(v) = v {
            m.insert(key.into(), v.clone().into());
        }
    }
    if !meta.tags.is_empty() {
        m.insert("tags".into(), meta.tags.clone().into());
    }
    if !meta.console.is_empty() {
        let list = meta
            .console
            .iter()
            .map(|c| {
                let mut o = Map::new();
                o.insert("level".into(), c.level.clone().into());
                o.insert("args".into(), c.args.clone().into());
                if let Some(t) = c.timestamp {
                    o.insert("timestamp".into(), t.into());
                }
                Value::Object(o)
            })
            .collect();
        m.insert("console".into(), Value::Array(list));
    }
    if let Some(st) = &meta.storage {
        m.insert(
            "storage".into(),
            serde_json::json!({
                "localStorage": st.local_storage,
                "sessionStorage": st.session_storage,
                "cookies": st.cookies,
            }),
        );
    }
    m
}

fn step_json(step: &Step) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    let type_name = match step.kind {
        StepKind::Checkpoint { .. } => "customStep",
        ref other => other.type_name(),
    };
    put("type", type_name.into());
    match &step.kind {
        StepKind::SetViewport {
            width,
            height,
            device_scale_factor,
            is_mobile,
            has_touch,
            is_landscape,
        } => {
            put("width", (*width).into());
            put("height", (*height).into());
            put("deviceScaleFactor", num(*device_scale_factor));
            put("isMobile", (*is_mobile).into());
            put("hasTouch", (*has_touch).into());
            put("isLandscape", (*is_landscape).into());
        }
        StepKind::Navigate { url } => put("url", url.clone().into()),
        StepKind::Click(c) | StepKind::DoubleClick(c) => {
            put("selectors", selectors_json(&c.selectors));
            put("offsetX", num(c.offset_x));
            put("offsetY", num(c.offset_y));
            if c.button != MouseButton::Primary {
                put("button", c.button.as_str().into());
            }
            if let Some(d) = c.duration_ms {
                put("duration", d.into());
            }
            if let Some(d) = &c.device_type {
                put("deviceType", d.clone().into());
            }
        }
        StepKind::Hover { selectors } => put("selectors", selectors_json(selectors)),
        StepKind::Change { selectors, value } => {
            put("selectors", selectors_json(selectors));
            put("value", value.clone().into());
        }
        StepKind::KeyDown { key } | StepKind::KeyUp { key } => put("key", key.clone().into()),
        StepKind::Scroll { selectors, x, y } => {
            if !selectors.is_empty() {
                put("selectors", selectors_json(selectors));
            }
            put("x", num(*x));
            put("y", num(*y));
        }
        StepKind::WaitForElement {
            selectors,
            operator,
            count,
            visible,
            attributes,
            properties,
        } => {
            put("selectors", selectors_json(selectors));
            put("operator", operator.as_str().into());
            put("count", (*count).into());
            if let Some(v) = visible {
                put("visible", (*v).into());
            }
            if !attributes.is_empty() {
                let attrs = attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect();
                put("attributes", Value::Object(attrs));
            }
            if !properties.is_null() {
                put("properties", properties.clone());
            }
        }
        StepKind::WaitForExpression { expression } => put("expression", expression.clone().into()),
        StepKind::Close => {}
        StepKind::EmulateNetworkConditions {
            download,
            upload,
            latency,
        } => {
            put("download", num(*download));
            put("upload", num(*upload));
            put("latency", num(*latency));
        }
        StepKind::Checkpoint { name } => {
            put("name", "checkpoint".into());
            let mut params = Map::new();
            if let Some(n) = name {
                params.insert("name".into(), n.clone().into());
            }
            put("parameters", Value::Object(params));
        }
        StepKind::Custom { name, parameters } => {
            put("name", name.clone().into());
            if !parameters.is_null() {
                put("parameters", parameters.clone());
            }
        }
    }
    if let Some(t) = step.timeout_ms {
        put("timeout", t.into());
    }
    if let Some(t) = step.timestamp_ms {
        put("timestamp", t.into());
    }
    if !step.frame.is_empty() {
        put("frame", step.frame.clone().into());
    }
    put("target", step.target.clone().into());
    if !step.files.is_empty() {
        put("reprise", serde_json::json!({ "files": step.files }));
    }
    if !step.asserted_events.is_empty() {
        let events = step
            .asserted_events
            .iter()
            .map(|e| {
                let mut ev = Map::new();
                ev.insert("type".into(), "navigation".into());
                if let Some(u) = &e.url {
                    ev.insert("url".into(), u.clone().into());
                }
                if let Some(t) = &e.title {
                    ev.insert("title".into(), t.clone().into());
                }
                Value::Object(ev)
            })
            .collect();
        put("assertedEvents", Value::Array(events));
    }
    Value::Object(m)
}

fn selectors_json(selectors: &[Selector]) -> Value {
    // Always the array-of-chains form, which is what DevTools itself exports.
    Value::Array(
        selectors
            .iter()
            .map(|s| {
                Value::Array(
                    s.chain
                        .iter()
                        .map(|p| Value::String(p.to_recorder_string()))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// Whole numbers are written as integers, as DevTools does; non-finite values
/// (never produced by the parser) become `null`.
fn num(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}
