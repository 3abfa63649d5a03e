//! Reading Chrome DevTools Recorder JSON (`super::write` writes it back). Parsing goes through
//! `serde_json::Value` one step at a time instead of a serde derive, because
//! the errors are the product here: each one must name the file, the step
//! (with its type) and the field, and come with a one-line fix. Unknown
//! fields are ignored everywhere so newer recorder exports keep loading.

use crate::excerpt::excerpt;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::model::{
    AssertedEvent, ClickStep, CountOperator, MouseButton, RecordedConsole, Recording, RepriseMeta,
    StartStorage, Step, StepKind,
};
use super::selector::{Selector, SelectorPart};
use super::time::parse_rfc3339_ms;

const RECORDER_REFERENCE: &str = "https://developer.chrome.com/docs/devtools/recorder/reference";

/// Every step `type` reprise replays, in the order users meet them in the
/// recorder docs; listed in "unknown type" errors.
pub const SUPPORTED_STEP_TYPES: &[&str] = &[
    "setViewport",
    "navigate",
    "click",
    "doubleClick",
    "hover",
    "change",
    "keyDown",
    "keyUp",
    "scroll",
    "waitForElement",
    "waitForExpression",
    "close",
    "emulateNetworkConditions",
    "customStep",
];

/// Why a recording could not be loaded, precise enough to fix the file
/// without opening a debugger.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct RecordingError {
    /// Set when the recording came from a file; `None` for in-memory text.
    pub path: Option<PathBuf>,
    pub location: ErrorLocation,
    pub message: String,
    pub hint: Option<String>,
}

/// Where in the recording the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorLocation {
    /// The file as a whole (unreadable, not an object).
    File,
    /// A JSON syntax error, 1-based as editors count.
    Json { line: usize, column: usize },
    /// A step, 0-based here and shown 1-based; `step_type` is `None` when the
    /// step has no usable `type`.
    Step {
        index: usize,
        step_type: Option<String>,
    },
    /// A top-level field, dotted for nested ones (`reprise.startTime`).
    Field(String),
}

impl RecordingError {
    fn new(location: ErrorLocation, message: impl Into<String>) -> Self {
        Self {
            path: None,
            location,
            message: message.into(),
            hint: None,
        }
    }

    fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches the file name; public so callers that read recordings from
    /// elsewhere (archives, stdin) can still say where they came from.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// A one-line suggested fix, printed under the error by the CLI.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "`{}`: ", path.display())?;
        }
        if self.location != ErrorLocation::File {
            write!(f, "{}: ", self.location)?;
        }
        f.write_str(&self.message)
    }
}

impl fmt::Display for ErrorLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File => f.write_str("file"),
            Self::Json { line, column } => write!(f, "line {line}, column {column}"),
            Self::Step {
                index,
                step_type: Some(t),
            } => write!(f, "step {} (`{}`)", index + 1, excerpt(t)),
            Self::Step {
                index,
                step_type: None,
            } => write!(f, "step {}", index + 1),
            Self::Field(name) => write!(f, "field `{name}`"),
        }
    }
}

/// Reads and parses a recording file; every error carries `path`.
pub fn load_recording(path: &Path) -> Result<Recording, RecordingError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        RecordingError::new(ErrorLocation::File, format!("cannot read recording: {e}"))
            .with_path(path)
            .with_hint("pass the path of a JSON file exported from Chrome DevTools Recorder")
    })?;
    parse_recording(&text).map_err(|e| e.with_path(path))
}

/// Parses recorder export text, tolerating a UTF-8 BOM and the trailing
/// `//# recorderSourceMap=...` line that DevTools appends.
pub fn parse_recording(text: &str) -> Result<Recording, RecordingError> {
    let body = strip_envelope(text);
    let value: Value = serde_json::from_str(body).map_err(|e| json_error(&e))?;
    parse_recording_value(&value)
}

/// Parses an already-decoded JSON document, for importers that build recorder
/// JSON in memory and want the same validation.
pub fn parse_recording_value(value: &Value) -> Result<Recording, RecordingError> {
    let obj = value.as_object().ok_or_else(|| {
        RecordingError::new(
            ErrorLocation::File,
            format!("expected a JSON object at the top level, found {}", describe(value)),
        )
        .with_hint("a recording is an object with \"title\" and \"steps\", as Chrome DevTools Recorder exports it")
    })?;
    let top = Fields::top(obj, "");

    let title = top.opt_str("title")?.ok_or_else(|| {
        top.missing("title")
            .with_hint("add a top-level \"title\" string, as Chrome DevTools Recorder exports have")
    })?;
    let raw_steps = top.get("steps").ok_or_else(|| {
        top.missing("steps")
            .with_hint("add a top-level \"steps\" array; export the recording again from Chrome DevTools Recorder")
    })?;
    let raw_steps = raw_steps
        .as_array()
        .ok_or_else(|| top.wrong("steps", "an array of steps", raw_steps))?;

    let meta = match top.get("reprise") {
        None => RepriseMeta::default(),
        Some(Value::Object(m)) => parse_meta(&Fields::top(m, "reprise."))?,
        Some(other) => return Err(top.wrong("reprise", "an object", other)),
    };

    let steps = raw_steps
        .iter()
        .enumerate()
        .map(|(index, raw)| parse_step(index, raw))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Recording {
        title,
        timeout_ms: top.opt_u64("timeout")?,
        selector_attribute: top.opt_str("selectorAttribute")?,
        meta,
        steps,
    })
}

/// Drops what DevTools puts around the JSON so serde_json sees only the
/// document; only the tail is cut, so reported line numbers stay right.
fn strip_envelope(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut body = text.trim_end();
    loop {
        let line_start = body.rfind('\n').map_or(0, |i| i + 1);
        if body[line_start..].trim_start().starts_with("//#") {
            body = body[..line_start].trim_end();
        } else {
            return body;
        }
    }
}

fn json_error(e: &serde_json::Error) -> RecordingError {
    let full = e.to_string();
    // serde_json appends " at line X column Y"; the location says that already.
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    let hint = if e.is_eof() {
        "the file ends early; it may be truncated, export the recording again"
    } else {
        "the file is not valid JSON; look for a missing comma, quote or bracket near that position"
    };
    RecordingError::new(
        ErrorLocation::Json {
            line: e.line(),
            column: e.column(),
        },
        format!("invalid JSON: {message}"),
    )
    .with_hint(hint)
}

fn parse_meta(f: &Fields<'_>) -> Result<RepriseMeta, RecordingError> {
    let start_time_ms = match f.get("startTime") {
        None => None,
        Some(Value::String(s)) => Some(parse_rfc3339_ms(s).ok_or_else(|| {
            f.err(
                "startTime",
                format!("expected an RFC 3339 timestamp, found `{}`", excerpt(s)),
            )
            .with_hint("write it like \"2026-03-14T09:26:53Z\" or \"2026-03-14T09:26:53.120+01:00\", or as epoch milliseconds")
        })?),
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| f.wrong("startTime", "an RFC 3339 string or integer epoch milliseconds", v))?,
        ),
    };
    Ok(RepriseMeta {
        start_time_ms,
        seed: f.opt_u64("seed")?,
        timezone: f.opt_str("timezone")?,
        locale: f.opt_str("locale")?,
        tags: f.opt_str_list("tags")?,
        origin: f.opt_str("origin")?,
        console: parse_console(f)?,
        storage: parse_storage(f)?,
    })
}

/// `reprise.storage`: `{"localStorage": {k: v}, "sessionStorage": {k: v}, "cookies": "a=1"}`.
fn parse_storage(f: &Fields<'_>) -> Result<Option<StartStorage>, RecordingError> {
    let Some(v) = f.get("storage") else {
        return Ok(None);
    };
    let obj = v.as_object().ok_or_else(|| {
        f.wrong(
            "storage",
            "an object with `localStorage`, `sessionStorage` and `cookies`",
            v,
        )
    })?;
    let map = |key: &str| -> Result<std::collections::BTreeMap<String, String>, RecordingError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Default::default()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    other => Err(f.wrong(&format!("storage.{key}.{k}"), "a string", other)),
                })
                .collect(),
            Some(other) => Err(f.wrong(&format!("storage.{key}"), "an object of strings", other)),
        }
    };
    let cookies = match obj.get("cookies") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(f.wrong("storage.cookies", "a string like `a=1; b=2`", other)),
    };
    Ok(Some(StartStorage {
        local_storage: map("localStorage")?,
        session_storage: map("sessionStorage")?,
        cookies,
    }))
}

fn parse_step(index: usize, raw: &Value) -> Result<Step, RecordingError> {
    let Some(obj) = raw.as_object() else {
        return Err(RecordingError::new(
            ErrorLocation::Step {
                index,
                step_type: None,
            },
            format!("expected a step object, found {}", describe(raw)),
        ));
    };
    let type_hint = format!("every step needs a `type`; see {RECORDER_REFERENCE}");
    let step_type = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        None | Some(Value::Null) => {
            return Err(RecordingError::new(
                ErrorLocation::Step {
                    index,
                    step_type: None,
                },
                "missing field `type`",
            )
            .with_hint(type_hint))
        }
        Some(other) => {
            return Err(RecordingError::new(
                ErrorLocation::Step {
                    index,
                    step_type: None,
                },
                format!("field `type`: expected a string, found {}", describe(other)),
            )
            .with_hint(type_hint))
        }
    };
    let f = Fields::step(obj, index, step_type);

    let kind = match step_type {
        "setViewport" => StepKind::SetViewport {
            width: f.req_u32("width")?,
            height: f.req_u32("height")?,
            device_scale_factor: f.req_f64("deviceScaleFactor")?,
            is_mobile: f.req_bool("isMobile")?,
            has_touch: f.req_bool("hasTouch")?,
            is_landscape: f.req_bool("isLandscape")?,
        },
        "navigate" => StepKind::Navigate {
            url: f.req_str("url")?,
        },
        "click" => StepKind::Click(parse_click(&f)?),
        "doubleClick" => StepKind::DoubleClick(parse_click(&f)?),
        "hover" => StepKind::Hover {
            selectors: f.selectors(true)?,
        },
        "change" => StepKind::Change {
            selectors: f.selectors(true)?,
            value: f.req_str("value")?,
        },
        "keyDown" => StepKind::KeyDown {
            key: f.req_str("key")?,
        },
        "keyUp" => StepKind::KeyUp {
            key: f.req_str("key")?,
        },
        "scroll" => StepKind::Scroll {
            selectors: f.selectors(false)?,
            x: f.opt_f64("x")?.unwrap_or(0.0),
            y: f.opt_f64("y")?.unwrap_or(0.0),
        },
        "waitForElement" => parse_wait_for_element(&f)?,
        "waitForExpression" => StepKind::WaitForExpression {
            expression: f.req_str("expression")?,
        },
        "close" => StepKind::Close,
        "emulateNetworkConditions" => StepKind::EmulateNetworkConditions {
            download: f.req_f64("download")?,
            upload: f.req_f64("upload")?,
            latency: f.req_f64("latency")?,
        },
        "customStep" => parse_custom(&f)?,
        other => {
            let list = SUPPORTED_STEP_TYPES
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(f
                .error(format!(
                    "unknown step type `{}`; supported types: {list}",
                    excerpt(other)
                ))
                .with_hint(format!(
                    "use one of the Chrome DevTools Recorder step types; see {RECORDER_REFERENCE}"
                )));
        }
    };

    Ok(Step {
        kind,
        timeout_ms: f.opt_u64("timeout")?,
        timestamp_ms: f.opt_u64("timestamp")?,
        frame: parse_frame(&f)?,
        target: f.opt_str("target")?.unwrap_or_else(|| "main".to_owned()),
        asserted_events: parse_asserted_events(&f)?,
        files: parse_files(&f)?,
    })
}

/// The reprise extension of a `change` on a file input: `"reprise": {"files": ["…"]}`.
fn parse_files(f: &Fields<'_>) -> Result<Vec<String>, RecordingError> {
    let Some(files) = f.get("reprise").and_then(|r| r.get("files")) else {
        return Ok(Vec::new());
    };
    let wrong = || f.wrong("reprise.files", "an array of file paths", files);
    files
        .as_array()
        .ok_or_else(wrong)?
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong))
        .collect()
}

fn parse_click(f: &Fields<'_>) -> Result<ClickStep, RecordingError> {
    let button = match f.opt_str("button")? {
        None => MouseButton::Primary,
        Some(b) => MouseButton::from_recorder(&b).ok_or_else(|| {
            f.err(
                "button",
                format!("unknown mouse button `{}`; expected `primary`, `auxiliary`, `secondary`, `back` or `forward`", excerpt(&b)),
            )
        })?,
    };
    let device_type = match f.opt_str("deviceType")? {
        Some(d) if !matches!(d.as_str(), "mouse" | "pen" | "touch") => {
            return Err(f.err(
                "deviceType",
                format!(
                    "unknown device type `{}`; expected `mouse`, `pen` or `touch`",
                    excerpt(&d)
                ),
            ))
        }
        other => other,
    };
    Ok(ClickStep {
        selectors: f.selectors(true)?,
        offset_x: f.req_f64("offsetX")?,
        offset_y: f.req_f64("offsetY")?,
        button,
        duration_ms: f.opt_u64("duration")?,
        device_type,
    })
}

fn parse_wait_for_element(f: &Fields<'_>) -> Result<StepKind, RecordingError> {
    let operator = match f.opt_str("operator")? {
        None => CountOperator::AtLeast,
        Some(op) => CountOperator::from_recorder(&op).ok_or_else(|| {
            f.err(
                "operator",
                format!(
                    "unknown operator `{}`; expected `>=`, `==` or `<=`",
                    excerpt(&op)
                ),
            )
        })?,
    };
    let attributes = match f.get("attributes") {
        None => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(f.wrong(&format!("attributes.{k}"), "a string", other)),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(f.wrong("attributes", "an object of strings", other)),
    };
    let properties = match f.get("properties") {
        None => Value::Null,
        Some(v @ Value::Object(_)) => v.clone(),
        Some(other) => return Err(f.wrong("properties", "an object", other)),
    };
    Ok(StepKind::WaitForElement {
        selectors: f.selectors(true)?,
        operator,
        count: f.opt_u32("count")?.unwrap_or(1),
        visible: f.opt_bool("visible")?,
        attributes,
        properties,
    })
}

fn parse_custom(f: &Fields<'_>) -> Result<StepKind, RecordingError> {
    let name = f.req_str("name")?;
    let parameters = f.get("parameters").cloned().unwrap_or(Value::Null);
    if name != "checkpoint" {
        return Ok(StepKind::Custom { name, parameters });
    }
    let name = match parameters.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(f.wrong("parameters.name", "a string", other)),
    };
    Ok(StepKind::Checkpoint { name })
}

fn parse_frame(f: &Fields<'_>) -> Result<Vec<u32>, RecordingError> {
    let Some(v) = f.get("frame") else {
        return Ok(Vec::new());
    };
    let items = v
        .as_array()
        .ok_or_else(|| f.wrong("frame", "an array of frame indices", v))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            as_u64(item)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    f.wrong(
                        &format!("frame[{i}]"),
                        "a frame index (unsigned integer)",
                        item,
                    )
                })
        })
        .collect()
}

fn parse_asserted_events(f: &Fields<'_>) -> Result<Vec<AssertedEvent>, RecordingError> {
    let Some(v) = f.get("assertedEvents") else {
        return Ok(Vec::new());
    };
    let items = v
        .as_array()
        .ok_or_else(|| f.wrong("assertedEvents", "an array of events", v))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("assertedEvents[{i}]");
            let obj = item
                .as_object()
                .ok_or_else(|| f.wrong(&field, "an event object", item))?;
            let ev = Fields { obj, ..*f };
            let prefixed = |name: &str| format!("{field}.{name}");
            match obj.get("type") {
                Some(Value::String(t)) if t == "navigation" => {}
                Some(Value::String(t)) => {
                    return Err(f
                        .err(
                            &prefixed("type"),
                            format!(
                                "unknown event type `{}`; only `navigation` is supported",
                                excerpt(t)
                            ),
                        )
                        .with_hint("remove the event or change its \"type\" to \"navigation\""))
                }
                Some(other) => {
                    return Err(f.wrong(&prefixed("type"), "the string \"navigation\"", other))
                }
                None => return Err(f.missing(&prefixed("type"))),
            }
            let opt = |name: &str| match ev.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(f.wrong(&prefixed(name), "a string", other)),
            };
            Ok(AssertedEvent {
                url: opt("url")?,
                title: opt("title")?,
            })
        })
        .collect()
}

/// Where field errors point: a top-level object (optionally nested under a
/// dotted prefix) or a step, whose errors keep the step as location and name
/// the field in the message.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Top { prefix: &'a str },
    Step { index: usize, step_type: &'a str },
}

/// Typed accessors over one JSON object that produce located errors; `null`
/// counts as absent so hand-edited files can blank out optional fields.
#[derive(Clone, Copy)]
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    scope: Scope<'a>,
}

impl<'a> Fields<'a> {
    fn top(obj: &'a Map<String, Value>, prefix: &'a str) -> Self {
        Self {
            obj,
            scope: Scope::Top { prefix },
        }
    }

    fn step(obj: &'a Map<String, Value>, index: usize, step_type: &'a str) -> Self {
        Self {
            obj,
            scope: Scope::Step { index, step_type },
        }
    }

    /// An error about the object as a whole (only meaningful for steps).
    fn error(&self, message: String) -> RecordingError {
        match self.scope {
            Scope::Top { prefix } => RecordingError::new(
                ErrorLocation::Field(prefix.trim_end_matches('.').to_owned()),
                message,
            ),
            Scope::Step { index, step_type } => RecordingError::new(
                ErrorLocation::Step {
                    index,
                    step_type: Some(step_type.to_owned()),
                },
                message,
            ),
        }
    }

    fn err(&self, field: &str, message: String) -> RecordingError {
        match self.scope {
            Scope::Top { prefix } => {
                RecordingError::new(ErrorLocation::Field(format!("{prefix}{field}")), message)
            }
            Scope::Step { .. } => self.error(format!("field `{field}`: {message}")),
        }
    }

    fn missing(&self, field: &str) -> RecordingError {
        match self.scope {
            Scope::Top { prefix } => RecordingError::new(
                ErrorLocation::Field(format!("{prefix}{field}")),
                "required field is missing",
            ),
            Scope::Step { .. } => self.error(format!("missing field `{field}`")),
        }
    }

    fn wrong(&self, field: &str, expected: &str, found: &Value) -> RecordingError {
        self.err(
            field,
            format!("expected {expected}, found {}", describe(found)),
        )
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    fn req(&self, field: &str) -> Result<&'a Value, RecordingError> {
        self.get(field).ok_or_else(|| self.missing(field))
    }

    fn opt_str(&self, field: &str) -> Result<Option<String>, RecordingError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong(field, "a string", other)),
        }
    }

    fn req_str(&self, field: &str) -> Result<String, RecordingError> {
        self.opt_str(field)?.ok_or_else(|| self.missing(field))
    }

    fn opt_str_list(&self, field: &str) -> Result<Vec<String>, RecordingError> {
        let Some(v) = self.get(field) else {
            return Ok(Vec::new());
        };
        let items = v
            .as_array()
            .ok_or_else(|| self.wrong(field, "an array of strings", v))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(self.wrong(&format!("{field}[{i}]"), "a string", other)),
            })
            .collect()
    }

    fn opt_u64(&self, field: &str) -> Result<Option<u64>, RecordingError> {
        self.get(field)
            .map(|v| as_u64(v).ok_or_else(|| self.wrong(field, "a non-negative integer", v)))
            .transpose()
    }

    fn opt_u32(&self, field: &str) -> Result<Option<u32>, RecordingError> {
        self.get(field)
            .map(|v| {
                as_u64(v)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| self.wrong(field, "a non-negative integer below 2^32", v))
            })
            .transpose()
    }

    fn req_u32(&self, field: &str) -> Result<u32, RecordingError> {
        self.req(field)?;
        self.opt_u32(field)?.ok_or_else(|| self.missing(field))
    }

    fn opt_f64(&self, field: &str) -> Result<Option<f64>, RecordingError> {
        self.get(field)
            .map(|v| v.as_f64().ok_or_else(|| self.wrong(field, "a number", v)))
            .transpose()
    }

    fn req_f64(&self, field: &str) -> Result<f64, RecordingError> {
        self.opt_f64(field)?.ok_or_else(|| self.missing(field))
    }

    fn opt_bool(&self, field: &str) -> Result<Option<bool>, RecordingError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(field, "`true` or `false`", other)),
        }
    }

    fn req_bool(&self, field: &str) -> Result<bool, RecordingError> {
        self.opt_bool(field)?.ok_or_else(|| self.missing(field))
    }

    /// `required` steps (click, hover, ...) cannot act without a target, so an
    /// absent or empty list is an error for them; scroll falls back to the
    /// window.
    fn selectors(&self, required: bool) -> Result<Vec<Selector>, RecordingError> {
        const HINT: &str = "add a \"selectors\" array such as [[\"#submit\"]]; each entry is a selector string or an array of them";
        let Some(v) = self.get("selectors") else {
            return if required {
                Err(self.missing("selectors").with_hint(HINT))
            } else {
                Ok(Vec::new())
            };
        };
        let alternatives = v.as_array().ok_or_else(|| {
            self.wrong("selectors", "an array of selectors", v)
                .with_hint(HINT)
        })?;
        if required && alternatives.is_empty() {
            return Err(self
                .err(
                    "selectors",
                    "expected at least one selector, found an empty array".to_owned(),
                )
                .with_hint(HINT));
        }
        alternatives
            .iter()
            .enumerate()
            .map(|(i, alt)| {
                let field = format!("selectors[{i}]");
                let chain = match alt {
                    Value::String(s) => vec![self.selector_part(&field, s)?],
                    Value::Array(parts) if !parts.is_empty() => parts
                        .iter()
                        .enumerate()
                        .map(|(j, part)| {
                            let field = format!("{field}[{j}]");
                            match part {
                                Value::String(s) => self.selector_part(&field, s),
                                other => Err(self.wrong(&field, "a selector string", other)),
                            }
                        })
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(self
                            .wrong(
                                &field,
                                "a selector string or a non-empty array of them",
                                other,
                            )
                            .with_hint(HINT))
                    }
                };
                Ok(Selector::new(chain))
            })
            .collect()
    }

    fn selector_part(&self, field: &str, s: &str) -> Result<SelectorPart, RecordingError> {
        if s.trim().is_empty() {
            return Err(self.err(field, "selector is empty".to_owned()).with_hint(
                "remove the empty selector or record the step again so DevTools generates one",
            ));
        }
        let part = SelectorPart::parse(s);
        if part.value().trim().is_empty() {
            return Err(self
                .err(
                    field,
                    format!(
                        "selector `{}` has an empty {} expression",
                        excerpt(s),
                        part.kind()
                    ),
                )
                .with_hint(format!(
                    "write the expression after the prefix, e.g. `{}/...`",
                    part.kind()
                )));
        }
        Ok(part)
    }
}

/// Accepts integral floats (`400.0`) because some exporters write every
/// number as a float.
fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

/// Short "type `value`" rendering for "found ..." messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "`null`".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => {
            format!(
                "string `{}`",
                excerpt(&Value::String(s.clone()).to_string())
            )
        }
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// `reprise.console`: what the page logged while it was recorded (written by importers).
fn parse_console(f: &Fields<'_>) -> Result<Vec<RecordedConsole>, RecordingError> {
    let Some(v) = f.get("console") else {
        return Ok(Vec::new());
    };
    let items = v
        .as_array()
        .ok_or_else(|| f.wrong("console", "an array of console messages", v))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("console[{i}]");
            let obj = item
                .as_object()
                .ok_or_else(|| f.wrong(&field, "an object with `level` and `args`", item))?;
            let m = Fields::top(obj, "");
            let level = m.opt_str("level").ok().flatten().ok_or_else(|| {
                f.wrong(
                    &format!("{field}.level"),
                    "a string",
                    obj.get("level").unwrap_or(&Value::Null),
                )
            })?;
            let args = m.opt_str_list("args").map_err(|_| {
                f.wrong(
                    &format!("{field}.args"),
                    "an array of strings",
                    obj.get("args").unwrap_or(&Value::Null),
                )
            })?;
            let timestamp = m.opt_u64("timestamp").map_err(|_| {
                f.wrong(
                    &format!("{field}.timestamp"),
                    "a non-negative integer",
                    obj.get("timestamp").unwrap_or(&Value::Null),
                )
            })?;
            Ok(RecordedConsole {
                level,
                args,
                timestamp,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::to_recorder_json;
    use serde_json::json;

    macro_rules! fixture {
        ($name:literal) => {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/chrome-recorder/",
                $name
            )
        };
    }

    fn load(path: &str) -> Recording {
        load_recording(Path::new(path)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str) -> RecordingError {
        parse_recording(text).expect_err("should fail")
    }

    fn with_steps(steps: Value) -> String {
        json!({ "title": "t", "steps": steps }).to_string()
    }

    fn all_parts(rec: &Recording) -> Vec<SelectorPart> {
        rec.steps
            .iter()
            .flat_map(|s| s.kind.selectors().iter().flat_map(|sel| sel.chain.clone()))
            .collect()
    }

    #[test]
    fn every_fixture_parses_except_the_invalid_one() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/chrome-recorder"
        );
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            seen += 1;
            let result = load_recording(&path);
            if path.file_name().unwrap() == "puppeteer-replay-invalid-missing-title.json" {
                let e = result.expect_err("missing title must fail");
                assert_eq!(e.location, ErrorLocation::Field("title".into()));
                assert!(e.to_string().contains("`title`"), "{e}");
            } else {
                let rec = result.unwrap_or_else(|e| panic!("{e}"));
                assert!(!rec.steps.is_empty(), "{}", path.display());
            }
        }
        assert!(seen >= 10, "only {seen} fixtures found");
    }

    #[test]
    fn missing_title_names_file_field_and_fix() {
        let e = load_recording(Path::new(fixture!(
            "puppeteer-replay-invalid-missing-title.json"
        )))
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with('`') && msg.contains("puppeteer-replay-invalid-missing-title.json`"),
            "{msg}"
        );
        assert!(msg.contains("field `title`"), "{msg}");
        assert!(e.hint().unwrap().contains("\"title\""));
    }

    #[test]
    fn order_a_coffee_timeouts() {
        let rec = load(fixture!("jecfish-order-a-coffee.json"));
        assert_eq!(rec.title, "order-a-coffee");
        assert_eq!(rec.timeout_ms, Some(7000));
        assert_eq!(rec.steps[2].timeout_ms, Some(8000));
        assert_eq!(rec.steps[2].kind.type_name(), "click");
        assert_eq!(
            rec.steps.iter().filter(|s| s.timeout_ms.is_some()).count(),
            1
        );
        match &rec.steps[0].kind {
            StepKind::SetViewport { width, height, .. } => {
                assert_eq!((*width, *height), (368, 546))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn order_a_coffee_simple_has_xpath() {
        let rec = load(fixture!("jecfish-order-a-coffee-simple.json"));
        let parts = all_parts(&rec);
        assert!(parts.contains(&SelectorPart::XPath(r#"//*[@data-test="Espresso"]"#.into())));
        assert!(parts.contains(&SelectorPart::Aria("Espresso".into())));
        let StepKind::Click(click) = &rec.steps[2].kind else {
            panic!("{:?}", rec.steps[2].kind)
        };
        assert_eq!(click.selectors.len(), 3);
        assert_eq!(click.button, MouseButton::Primary);
        assert_eq!(click.offset_x, 147.40187072753906);
        assert_eq!(
            rec.steps[1].asserted_events,
            vec![AssertedEvent {
                url: Some("https://coffee-cart.netlify.app/".into()),
                title: Some("Coffee cart".into())
            }]
        );
    }

    #[test]
    fn hover_fixture_has_hover_and_waits() {
        let rec = load(fixture!("jecfish-hover-add-a-coffee.json"));
        let kinds: Vec<_> = rec.steps.iter().map(|s| s.kind.type_name()).collect();
        assert!(kinds.contains(&"hover"));
        let wait = rec
            .steps
            .iter()
            .find_map(|s| match &s.kind {
                StepKind::WaitForElement {
                    selectors,
                    operator,
                    count,
                    ..
                } => Some((selectors, *operator, *count)),
                _ => None,
            })
            .unwrap();
        assert_eq!(wait.1, CountOperator::Exactly);
        assert_eq!(wait.2, 1);
        assert_eq!(
            wait.0[0].chain,
            vec![SelectorPart::Css(".pay-container .list-item".into())]
        );
        let StepKind::WaitForExpression { expression } = &rec.steps.last().unwrap().kind else {
            panic!("last step is not waitForExpression")
        };
        assert!(expression.contains("Total: $20.00"));
    }

    #[test]
    fn saucelabs_has_keys_and_change() {
        let rec = load(fixture!("saucelabs-coffee-cart.json"));
        let kinds: Vec<_> = rec.steps.iter().map(|s| &s.kind).collect();
        assert!(kinds.contains(&&StepKind::KeyDown { key: "Tab".into() }));
        assert!(kinds.contains(&&StepKind::KeyUp { key: "Tab".into() }));
        assert!(rec.steps.iter().any(|s| matches!(
            &s.kind,
            StepKind::Change { value, selectors } if value == "jane" && selectors[0].to_string() == "#name"
        )));
    }

    #[test]
    fn lighthouse_mobile_viewport_and_navigation_assertion() {
        let rec = load(fixture!("lighthouse-mobile-test-flow.json"));
        assert_eq!(
            rec.steps[0].kind,
            StepKind::SetViewport {
                width: 300,
                height: 600,
                device_scale_factor: 3.0,
                is_mobile: true,
                has_touch: true,
                is_landscape: false
            }
        );
        let click = rec
            .steps
            .iter()
            .find(|s| matches!(s.kind, StepKind::Click(_)) && !s.asserted_events.is_empty())
            .expect("a click asserting navigation");
        assert_eq!(
            click.asserted_events[0].url.as_deref(),
            Some("http://localhost:10200/flow/next.html")
        );
        assert_eq!(click.asserted_events[0].title.as_deref(), Some(""));
    }

    #[test]
    fn coffee_cart_and_testing_library_selectors() {
        let rec = load(fixture!("jecfish-coffee-cart-order-coffees.json"));
        assert!(all_parts(&rec).contains(&SelectorPart::Text("Total: $29.00".into())));
        let rec = load(fixture!("testing-library-example.json"));
        let StepKind::WaitForElement {
            selectors,
            operator,
            count,
            visible,
            attributes,
            properties,
        } = &rec.steps[1].kind
        else {
            panic!("{:?}", rec.steps[1].kind)
        };
        assert_eq!(
            (*operator, *count, *visible),
            (CountOperator::AtLeast, 1, None)
        );
        assert!(attributes.is_empty() && properties.is_null());
        assert_eq!(
            selectors[2].chain,
            vec![SelectorPart::XPath("/html/body/div/p[2]/a".into())]
        );
        assert_eq!(rec.steps[1].target, "main");
    }

    #[test]
    fn minimal_fixture_defaults() {
        let rec = load(fixture!("puppeteer-replay-minimal.json"));
        assert_eq!(rec.title, "wiki");
        assert_eq!(rec.meta, RepriseMeta::default());
        assert_eq!(
            rec.steps,
            vec![Step::new(StepKind::Navigate {
                url: "https://www.wikipedia.org/".into()
            })]
        );
    }

    #[test]
    fn trailing_source_map_and_bom_are_tolerated() {
        let base = std::fs::read_to_string(fixture!("puppeteer-replay-minimal.json")).unwrap();
        let expected = parse_recording(&base).unwrap();
        let with_map = format!("{base}\n//# recorderSourceMap=BCBDBEBF\n");
        assert_eq!(parse_recording(&with_map).unwrap(), expected);
        let with_bom = format!("\u{feff}{base}//# recorderSourceMap=BCBD\r\n");
        assert_eq!(parse_recording(&with_bom).unwrap(), expected);
    }

    #[test]
    fn reprise_extensions() {
        let text = json!({
            "title": "checkout",
            "selectorAttribute": "data-test",
            "futureField": {"ignored": true},
            "reprise": {
                "startTime": "2026-03-14T09:26:53.120+01:00",
                "seed": 42,
                "timezone": "Europe/Paris",
                "locale": "fr-FR",
                "tags": ["smoke", "checkout"],
                "origin": "https://shop.reprise.test",
                "unknown": 1
            },
            "steps": [
                {"type": "navigate", "url": "https://shop.reprise.test/", "timestamp": 0, "extra": "x"},
                {"type": "close", "timestamp": 1500}
            ]
        })
        .to_string();
        let rec = parse_recording(&text).unwrap();
        assert_eq!(
            rec.meta,
            RepriseMeta {
                start_time_ms: Some(1_773_476_813_120),
                seed: Some(42),
                timezone: Some("Europe/Paris".into()),
                locale: Some("fr-FR".into()),
                tags: vec!["smoke".into(), "checkout".into()],
                origin: Some("https://shop.reprise.test".into()),
                console: Vec::new(),
                storage: None,
            }
        );
        assert_eq!(rec.selector_attribute.as_deref(), Some("data-test"));
        assert_eq!(rec.steps[1].timestamp_ms, Some(1500));

        let utc = parse_recording(
            &json!({"title": "t", "steps": [], "reprise": {"startTime": "2026-03-14T09:26:53Z"}})
                .to_string(),
        )
        .unwrap();
        assert_eq!(utc.meta.start_time_ms, Some(1_773_480_413_000));
        let epoch = parse_recording(
            &json!({"title": "t", "steps": [], "reprise": {"startTime": 1_773_480_413_000i64}})
                .to_string(),
        )
        .unwrap();
        assert_eq!(epoch.meta.start_time_ms, Some(1_773_480_413_000));

        let e = err(
            &json!({"title": "t", "steps": [], "reprise": {"startTime": "yesterday"}}).to_string(),
        );
        assert_eq!(e.location, ErrorLocation::Field("reprise.startTime".into()));
        assert_eq!(
            e.to_string(),
            "field `reprise.startTime`: expected an RFC 3339 timestamp, found `yesterday`"
        );
    }

    #[test]
    fn checkpoints_and_custom_steps() {
        let rec = parse_recording(&with_steps(json!([
            {"type": "customStep", "name": "checkpoint", "parameters": {"name": "cart-filled"}},
            {"type": "customStep", "name": "checkpoint", "parameters": {}},
            {"type": "customStep", "name": "checkpoint"},
            {"type": "customStep", "name": "sendMetric", "parameters": {"k": [1, 2]}}
        ])))
        .unwrap();
        assert_eq!(
            rec.steps[0].kind,
            StepKind::Checkpoint {
                name: Some("cart-filled".into())
            }
        );
        assert_eq!(rec.steps[1].kind, StepKind::Checkpoint { name: None });
        assert_eq!(rec.steps[2].kind, StepKind::Checkpoint { name: None });
        assert_eq!(rec.steps[0].kind.type_name(), "checkpoint");
        assert_eq!(
            rec.steps[3].kind,
            StepKind::Custom {
                name: "sendMetric".into(),
                parameters: json!({"k": [1, 2]})
            }
        );
    }

    #[test]
    fn all_step_kinds_and_optional_fields() {
        let rec = parse_recording(&with_steps(json!([
            {"type": "doubleClick", "selectors": [["my-app", "pierce/button"]], "offsetX": 1, "offsetY": 2,
             "button": "secondary", "duration": 50, "deviceType": "pen", "frame": [0, 2], "target": "popup"},
            {"type": "scroll"},
            {"type": "scroll", "selectors": ["#list"], "x": 10, "y": 300.5},
            {"type": "waitForElement", "selectors": ["#x"], "operator": "<=", "count": 3, "visible": false,
             "attributes": {"data-state": "ready"}, "properties": {"value": "ok"}},
            {"type": "emulateNetworkConditions", "download": 50000, "upload": 20000, "latency": 400},
            {"type": "close"}
        ])))
        .unwrap();
        let StepKind::DoubleClick(c) = &rec.steps[0].kind else {
            panic!()
        };
        assert_eq!(c.button, MouseButton::Secondary);
        assert_eq!(
            (c.duration_ms, c.device_type.as_deref()),
            (Some(50), Some("pen"))
        );
        assert_eq!(c.selectors[0].to_string(), "my-app >> pierce/button");
        assert_eq!(
            (rec.steps[0].frame.as_slice(), rec.steps[0].target.as_str()),
            (&[0, 2][..], "popup")
        );
        assert_eq!(
            rec.steps[1].kind,
            StepKind::Scroll {
                selectors: vec![],
                x: 0.0,
                y: 0.0
            }
        );
        assert!(
            matches!(&rec.steps[2].kind, StepKind::Scroll { x, y, .. } if *x == 10.0 && *y == 300.5)
        );
        let StepKind::WaitForElement {
            operator,
            count,
            visible,
            attributes,
            properties,
            ..
        } = &rec.steps[3].kind
        else {
            panic!()
        };
        assert_eq!(
            (*operator, *count, *visible),
            (CountOperator::AtMost, 3, Some(false))
        );
        assert_eq!(
            attributes.get("data-state").map(String::as_str),
            Some("ready")
        );
        assert_eq!(properties, &json!({"value": "ok"}));
        assert_eq!(
            rec.steps[4].kind,
            StepKind::EmulateNetworkConditions {
                download: 50000.0,
                upload: 20000.0,
                latency: 400.0
            }
        );
    }

    #[test]
    fn step_errors_name_step_type_and_field() {
        let steps = json!([
            {"type": "navigate", "url": "https://a.test/"},
            {"type": "navigate", "url": "https://a.test/"},
            {"type": "click", "offsetX": 1, "offsetY": 1}
        ]);
        let e = err(&with_steps(steps)).with_path("recordings/checkout.json");
        assert_eq!(
            e.to_string(),
            "`recordings/checkout.json`: step 3 (`click`): missing field `selectors`"
        );
        assert_eq!(
            e.location,
            ErrorLocation::Step {
                index: 2,
                step_type: Some("click".into())
            }
        );
        assert!(e.hint().unwrap().contains("selectors"));

        let e = err(&with_steps(
            json!([{"type": "click", "selectors": [], "offsetX": 1, "offsetY": 1}]),
        ));
        assert!(
            e.to_string()
                .starts_with("step 1 (`click`): field `selectors`"),
            "{e}"
        );

        let e = err(&with_steps(
            json!([{"type": "setViewport", "width": "400", "height": 1,
            "deviceScaleFactor": 1, "isMobile": false, "hasTouch": false, "isLandscape": false}]),
        ));
        assert_eq!(e.to_string(), "step 1 (`setViewport`): field `width`: expected a non-negative integer below 2^32, found string `\"400\"`");

        let e = err(&with_steps(json!([{"url": "x"}])));
        assert_eq!(e.to_string(), "step 1: missing field `type`");
        assert!(e.hint().unwrap().contains("every step needs a `type`"));

        let e = err(&with_steps(json!([{"type": "hover", "selectors": [[""]]}])));
        assert!(
            e.to_string()
                .contains("field `selectors[0][0]`: selector is empty"),
            "{e}"
        );
        let e = err(&with_steps(
            json!([{"type": "hover", "selectors": ["#ok", "xpath/"]}]),
        ));
        assert!(
            e.to_string()
                .contains("field `selectors[1]`: selector `xpath/` has an empty xpath expression"),
            "{e}"
        );

        let e = err(&with_steps(
            json!([{"type": "navigate", "url": "u", "assertedEvents": [{"type": "load"}]}]),
        ));
        assert!(e.to_string().contains("`assertedEvents[0].type`"), "{e}");
        let e = err(&with_steps(
            json!([{"type": "click", "selectors": ["#a"], "offsetX": 1, "offsetY": 1, "button": "left"}]),
        ));
        assert!(e.to_string().contains("unknown mouse button `left`"), "{e}");
        let e = err(&with_steps(
            json!([{"type": "waitForElement", "selectors": ["#a"], "operator": ">"}]),
        ));
        assert!(e.to_string().contains("unknown operator `>`"), "{e}");
    }

    #[test]
    fn unknown_step_type_lists_supported() {
        let e = err(&with_steps(
            json!([{"type": "navigate", "url": "u"}, {"type": "teleport"}]),
        ));
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "step 2 (`teleport`): unknown step type `teleport`; supported types: `setViewport`"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("`waitForElement`") && msg.contains("`customStep`"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let e = err("{\n  \"title\": \"x\",\n  \"steps\": [,]\n}");
        assert_eq!(
            e.location,
            ErrorLocation::Json {
                line: 3,
                column: 13
            }
        );
        assert!(
            e.to_string()
                .starts_with("line 3, column 13: invalid JSON: "),
            "{e}"
        );
        assert!(!e.to_string().contains(" at line "), "{e}");
        let e = err("{\"title\": \"x\"");
        assert!(matches!(e.location, ErrorLocation::Json { line: 1, .. }));
        assert!(e.hint().unwrap().contains("truncated"));
        let e = err("[1, 2]");
        assert_eq!(e.location, ErrorLocation::File);
    }

    #[test]
    fn unreadable_file_names_path() {
        let e = load_recording(Path::new("/nonexistent/reprise/flow.json")).unwrap_err();
        assert_eq!(e.location, ErrorLocation::File);
        assert!(
            e.to_string()
                .starts_with("`/nonexistent/reprise/flow.json`: cannot read recording: "),
            "{e}"
        );
    }

    #[test]
    fn round_trip_through_recorder_json() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/chrome-recorder"
        );
        let mut recordings: Vec<Recording> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| load_recording(&e.unwrap().path()).ok())
            .collect();
        recordings.push(
            parse_recording(&json!({
                "title": "everything", "timeout": 5000, "selectorAttribute": "data-qa",
                "reprise": {"startTime": "2026-03-14T09:26:53.120+01:00", "seed": 7, "timezone": "UTC",
                            "locale": "en-GB", "tags": ["a"], "origin": "https://shop.reprise.test"},
                "steps": [
                    {"type": "doubleClick", "selectors": [["a", "b"], "xpath///c"], "offsetX": 0.1, "offsetY": 2,
                     "button": "forward", "duration": 9, "deviceType": "touch", "frame": [1], "target": "t", "timestamp": 12},
                    {"type": "scroll", "x": 1.5},
                    {"type": "waitForElement", "selectors": ["#x"], "operator": "==", "count": 0, "visible": true,
                     "attributes": {"a": "b"}, "properties": {"p": {"q": [1]}}},
                    {"type": "emulateNetworkConditions", "download": 1.25, "upload": 2, "latency": 3},
                    {"type": "customStep", "name": "checkpoint", "parameters": {"name": "cp"}},
                    {"type": "customStep", "name": "checkpoint"},
                    {"type": "customStep", "name": "other", "parameters": [1]},
                    {"type": "customStep", "name": "bare"},
                    {"type": "close", "timeout": 10, "assertedEvents": [{"type": "navigation"}]}
                ]
            })
            .to_string())
            .unwrap(),
        );
        assert!(recordings.len() >= 10);
        for rec in recordings {
            let value = to_recorder_json(&rec);
            assert_eq!(
                parse_recording_value(&value).unwrap(),
                rec,
                "value round trip of {}",
                rec.title
            );
            let text = serde_json::to_string_pretty(&value).unwrap();
            assert_eq!(
                parse_recording(&text).unwrap(),
                rec,
                "text round trip of {}",
                rec.title
            );
        }
    }

    #[test]
    fn written_json_looks_like_devtools_output() {
        let rec = load(fixture!("jecfish-order-a-coffee.json"));
        let v = to_recorder_json(&rec);
        assert_eq!(v["timeout"], 7000);
        assert_eq!(v["steps"][0]["deviceScaleFactor"], 1);
        assert_eq!(
            v["steps"][2]["selectors"],
            json!([["aria/Espresso"], ["[data-test=Espresso]"]])
        );
        assert_eq!(v["steps"][2]["timeout"], 8000);
        assert!(v.get("reprise").is_none());
    }
}
