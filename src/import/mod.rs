//! Importers: pure functions from other tools' captures to what a suite holds (a
//! [`Recording`], a HAR document for `mocks/`, and for rrweb streams the DOM the user saw).
//!
//! Teams do not record for reprise: QA records flows in Chrome DevTools' Recorder and
//! exports HAR files from whatever proxy or browser they use; product teams collect
//! production sessions with rrweb-based tools. Each importer here turns one of those files
//! into the suite's native formats without touching the disk beyond reading its input
//! (and, for Playwright HARs, the `_file` bodies beside it), so the CLI decides where things
//! go and tests can snapshot the results directly. Errors name the file and the place
//! (step, event, entry, line) and say how to fix it.

pub mod chrome_recorder;
mod dom;
pub mod har;
pub mod rrweb;
mod selectors;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::recording::Recording;

/// What kind of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    ChromeRecorder,
    Rrweb,
    Har,
}

impl ImportKind {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChromeRecorder => "chrome-recorder",
            Self::Rrweb => "rrweb",
            Self::Har => "har",
        }
    }

    /// How users call the format in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ChromeRecorder => "a Chrome DevTools Recorder recording",
            Self::Rrweb => "an rrweb event stream",
            Self::Har => "a HAR file",
        }
    }

    pub fn from_cli(s: &str) -> Option<Self> {
        Some(match s {
            "chrome-recorder" | "recorder" | "chrome" => Self::ChromeRecorder,
            "rrweb" | "posthog" => Self::Rrweb,
            "har" => Self::Har,
            _ => return None,
        })
    }
}

/// Why a file could not be imported: the file, where in it, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ImportError {
    pub path: PathBuf,
    /// `step 3 (`click`)`, `event 12`, `entry 4`, `line 2, column 5`; `None` for the file.
    pub place: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl ImportError {
    pub fn new(path: &Path, place: Option<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            place,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot import `{}`", self.path.display())?;
        if let Some(place) = &self.place {
            write!(f, ": {place}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The DOM a stream showed at a checkpoint: written as the checkpoint's baseline DOM so the
/// first replay is scored against what the user really saw.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedDom {
    /// The checkpoint name as the runner forms it: `NN-label`.
    pub checkpoint: String,
    /// 1-based step after which the checkpoint is taken.
    pub step: usize,
    pub url: String,
    /// `WIDTHxHEIGHT@SCALE`, as snapshot headers spell it.
    pub viewport: String,
    /// Serialized like `capture/serialize.js` does in the page, before normalization.
    pub body: String,
}

/// A page rebuilt from a stream's full snapshot (scripts disabled), for serving when the
/// real build is not at hand and for checking an import end to end.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuiltPage {
    pub url: String,
    pub html: String,
}

/// Everything one import produced.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub recording: Option<Recording>,
    /// A HAR 1.2 document for `mocks/`.
    /// The session's HAR as JSON text (entries copied verbatim from the sources).
    pub har: Option<Box<serde_json::value::RawValue>>,
    pub expected: Vec<ExpectedDom>,
    pub pages: Vec<RebuiltPage>,
    /// What was dropped or approximated, one line each, for the CLI to tell the user.
    pub notes: Vec<String>,
}

/// Strips what editors and exporters put before JSON (a UTF-8 BOM) so every importer
/// accepts the same files.
pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Guesses the kind of a file from its content (`--format auto`). `None` when it is none of
/// them.
pub fn sniff(text: &str) -> Option<ImportKind> {
    let text = strip_bom(text).trim_start();
    let body = chrome_recorder::strip_source_map(text);
    // HARs and recordings are told apart by their top-level keys, read without building a
    // tree of the whole file (a HAR's tree takes many times its size).
    type Shallow<'a> = std::collections::BTreeMap<String, &'a serde_json::value::RawValue>;
    if let Ok(top) = serde_json::from_str::<Shallow<'_>>(body) {
        let has_entries = top
            .get("log")
            .and_then(|l| serde_json::from_str::<Shallow<'_>>(l.get()).ok())
            .is_some_and(|l| l.contains_key("entries"));
        if has_entries {
            return Some(ImportKind::Har);
        }
        if top.get("steps").is_some_and(|s| s.get().starts_with('[')) {
            return Some(ImportKind::ChromeRecorder);
        }
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        return sniff_value(&v);
    }
    // JSONL (PostHog exports one window per line): judge by the first line.
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let v: serde_json::Value = serde_json::from_str(first).ok()?;
    match sniff_value(&v) {
        Some(ImportKind::Rrweb) => Some(ImportKind::Rrweb),
        _ if rrweb::is_event(&v) => Some(ImportKind::Rrweb),
        _ => None,
    }
}

fn sniff_value(v: &serde_json::Value) -> Option<ImportKind> {
    use serde_json::Value;
    match v {
        Value::Object(o) if o.get("log").is_some_and(|l| l.get("entries").is_some()) => {
            Some(ImportKind::Har)
        }
        Value::Object(o) if o.get("steps").is_some_and(Value::is_array) => {
            Some(ImportKind::ChromeRecorder)
        }
        Value::Array(items) if items.first().is_some_and(rrweb::is_event) => {
            Some(ImportKind::Rrweb)
        }
        Value::Object(_) if rrweb::is_container(v) => Some(ImportKind::Rrweb),
        _ => None,
    }
}

/// `"line L, column C"` for a serde_json error, as editors count.
pub(crate) fn json_place(e: &serde_json::Error) -> String {
    format!("line {}, column {}", e.line(), e.column())
}

/// serde_json's message without its own " at line X column Y" suffix (the place says it).
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let cut = full.rfind(" at line ").unwrap_or(full.len());
    format!("invalid JSON: {}", &full[..cut])
}

/// A session name from a file name: lowercase letters, digits, `-` and `_`, so it is safe
/// as a file stem on every system.
pub fn session_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("session");
    let stem = stem.strip_suffix(".har").unwrap_or(stem);
    let mut out = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "session".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_kind() {
        assert_eq!(
            sniff(r#"{"title":"x","steps":[]}"#),
            Some(ImportKind::ChromeRecorder)
        );
        assert_eq!(
            sniff("\u{feff}{\"log\":{\"entries\":[]}}"),
            Some(ImportKind::Har)
        );
        assert_eq!(
            sniff(r#"[{"type":4,"data":{"href":"x"}}]"#),
            Some(ImportKind::Rrweb)
        );
        assert_eq!(
            sniff("{\"window_id\":\"a\",\"data\":[{\"type\":4,\"data\":{}}]}\n{\"window_id\":\"b\",\"data\":[]}\n"),
            Some(ImportKind::Rrweb)
        );
        assert_eq!(sniff("hello"), None);
        assert_eq!(sniff("{\"a\":1}"), None);
    }

    #[test]
    fn session_names_are_safe_stems() {
        assert_eq!(session_name(Path::new("a/My Flow (1).json")), "my-flow-1");
        assert_eq!(session_name(Path::new("x.har")), "x");
        assert_eq!(session_name(Path::new("???.json")), "session");
    }
}
