//! Turning the recorder script's messages into Chrome Recorder steps.
//!
//! Pure and synchronous, so the rules are unit-tested without a browser: a navigation the
//! page made after a step (a link, a form) becomes that step's `assertedEvents`, one the
//! person made (the address bar, a reload) a `navigate` step; two clicks followed by a
//! double click become one `doubleClick`; checkpoints come from the key chord and from
//! `--checkpoint-every`; each step gets its `timestamp` (ms since the recording started).

use serde_json::{json, Map, Value};
use sha2::Digest as _;
use std::collections::HashMap;

/// How the browser says a document was reached (`Page.getNavigationHistory`'s
/// `transitionType`), reduced to what decides the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavigationCause {
    /// A link or a form of the page: the consequence of the previous step.
    Page,
    /// The person (address bar, reload, bookmark) or the tool itself.
    Person,
}

impl NavigationCause {
    pub fn from_transition(t: &str) -> Self {
        match t {
            "link" | "form_submit" | "auto_subframe" | "manual_subframe" => Self::Page,
            _ => Self::Person,
        }
    }
}

/// Steps recorded so far, with the secrets seen (kept in memory for scrubbing the HAR).
#[derive(Debug, Default)]
pub struct StepLog {
    steps: Vec<Value>,
    secrets: Vec<String>,
    checkpoint_every: Option<usize>,
    actions_since_checkpoint: usize,
    checkpoints: usize,
    current_url: String,
    /// Whether a step happened since the last document loaded.
    acted_since_load: bool,
    /// Uploaded files' names and bytes by the id their `change` step refers to.
    files: HashMap<String, (String, Vec<u8>)>,
}

/// A file picked in an `<input type=file>`, to be written beside the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadedFile {
    /// Relative to the recordings folder, as the step's `reprise.files` says.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl StepLog {
    /// Starts with the initial viewport and navigation, as Chrome's Recorder does.
    pub fn new(url: &str, viewport: (u32, u32, f64), checkpoint_every: Option<usize>) -> Self {
        let mut log = Self {
            checkpoint_every: checkpoint_every.filter(|n| *n > 0),
            current_url: url.to_string(),
            ..Self::default()
        };
        log.steps.push(viewport_step(viewport, 0));
        log.steps
            .push(json!({ "type": "navigate", "url": url, "timestamp": 0 }));
        log
    }

    pub fn steps(&self) -> &[Value] {
        &self.steps
    }

    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Handles one message of the recorder script; `cause` is only read for `page` messages.
    pub fn on_message(&mut self, msg: &Value, at_ms: u64, cause: NavigationCause) {
        match msg["t"].as_str().unwrap_or("") {
            "step" => self.on_step(msg, at_ms),
            "secret" => {
                if let Some(v) = msg["value"].as_str().filter(|v| !v.is_empty()) {
                    if !self.secrets.iter().any(|s| s == v) {
                        self.secrets.push(v.to_string());
                    }
                }
            }
            "checkpoint" => self.checkpoint(at_ms),
            "viewport" => {
                let w = msg["width"].as_u64().unwrap_or(0) as u32;
                let h = msg["height"].as_u64().unwrap_or(0) as u32;
                let scale = msg["scale"].as_f64().unwrap_or(1.0);
                if w > 0 && h > 0 {
                    self.steps.push(viewport_step((w, h, scale), at_ms));
                }
            }
            "page" => self.on_page(msg, at_ms, cause),
            "file" => {
                let (Some(id), Some(name)) = (msg["id"].as_str(), msg["name"].as_str()) else {
                    return;
                };
                let Some(bytes) = msg["data"].as_str().and_then(|d| {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD.decode(d).ok()
                }) else {
                    return;
                };
                self.files.insert(id.to_string(), (name.to_string(), bytes));
            }
            _ => {}
        }
    }

    fn on_step(&mut self, msg: &Value, at_ms: u64) {
        let Some(step) = msg["step"].as_object() else {
            return;
        };
        let mut step: Map<String, Value> = step.clone();
        let kind = step
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if kind.is_empty() {
            return;
        }
        if let Some(frame) = msg["frame"].as_array().filter(|f| !f.is_empty()) {
            step.insert("frame".into(), Value::Array(frame.clone()));
        }
        if let Some(target) = msg["target"].as_str() {
            // A step in a popup or a new tab: the Recorder names the page by its URL.
            step.insert("target".into(), json!(target));
        } else if matches!(
            kind.as_str(),
            "click" | "doubleClick" | "change" | "hover" | "customStep"
        ) {
            step.insert("target".into(), json!("main"));
        }
        if kind == "doubleClick" {
            // The two clicks a double click is made of are part of it.
            for _ in 0..2 {
                let same = self
                    .steps
                    .last()
                    .is_some_and(|s| s["type"] == "click" && s["selectors"] == step["selectors"]);
                if same {
                    self.steps.pop();
                    self.actions_since_checkpoint = self.actions_since_checkpoint.saturating_sub(1);
                }
            }
        }
        step.insert("timestamp".into(), json!(at_ms));
        self.steps.push(Value::Object(step));
        self.acted_since_load = true;
        if kind != "keyUp" {
            self.actions_since_checkpoint += 1;
            if let Some(n) = self.checkpoint_every {
                // A key press is one action with its key up: wait for it.
                if self.actions_since_checkpoint >= n && kind != "keyDown" {
                    self.checkpoint(at_ms);
                }
            }
        } else if let Some(n) = self.checkpoint_every {
            if self.actions_since_checkpoint >= n {
                self.checkpoint(at_ms);
            }
        }
    }

    fn on_page(&mut self, msg: &Value, at_ms: u64, cause: NavigationCause) {
        let Some(url) = msg["url"].as_str() else {
            return;
        };
        if !(url.starts_with("http:") || url.starts_with("https:") || url.starts_with("file:")) {
            return;
        }
        let first_load = self.steps.len() == 2 && !self.acted_since_load;
        if first_load {
            // The document of the initial `navigate` (after any redirect).
            self.current_url = url.to_string();
            return;
        }
        let last_is_action = self.steps.last().is_some_and(|s| {
            matches!(
                s["type"].as_str(),
                Some("click" | "doubleClick" | "keyDown" | "keyUp" | "change")
            )
        });
        if cause == NavigationCause::Page && self.acted_since_load && last_is_action {
            // Chrome's Recorder puts the navigation on the step that caused it (the key down
            // of a key press, the press itself).
            let idx = self
                .steps
                .iter()
                .rposition(|s| s["type"] != "keyUp")
                .unwrap_or(self.steps.len() - 1);
            if let Some(step) = self.steps.get_mut(idx).and_then(Value::as_object_mut) {
                step.insert(
                    "assertedEvents".into(),
                    json!([{ "type": "navigation", "url": url }]),
                );
            }
        } else {
            self.steps
                .push(json!({ "type": "navigate", "url": url, "timestamp": at_ms }));
        }
        self.current_url = url.to_string();
        self.acted_since_load = false;
    }

    /// A navigation the person made without a new document (back/forward between router
    /// states, a typed hash): replayed as a `navigate` to that URL.
    pub fn navigate(&mut self, url: &str, at_ms: u64) {
        if !(url.starts_with("http:") || url.starts_with("https:")) {
            return;
        }
        self.steps
            .push(json!({ "type": "navigate", "url": url, "timestamp": at_ms }));
        self.current_url = url.to_string();
        self.acted_since_load = false;
    }

    fn checkpoint(&mut self, at_ms: u64) {
        if self.steps.last().is_some_and(|s| s["name"] == "checkpoint") {
            return;
        }
        self.checkpoints += 1;
        // Already a slug, so the runner names the checkpoint's files after it unchanged.
        let label = crate::recording::slug(&crate::recording::page_label(&self.current_url));
        let name = format!("{label}-{}", self.checkpoints);
        self.steps.push(json!({
            "type": "customStep",
            "name": "checkpoint",
            "parameters": { "name": name },
            "timestamp": at_ms,
        }));
        self.actions_since_checkpoint = 0;
    }

    /// Gives each uploaded file its place beside the recording (`DIR/<sha256 prefix>/<name>`,
    /// so the same bytes are stored once and different files never collide) and points the
    /// steps' `reprise.files` at them. A file whose bytes never arrived is left out of its
    /// step, which then fails on replay with the step's own message rather than silently.
    pub fn take_files(&mut self, dir: &str) -> Vec<UploadedFile> {
        let mut out: Vec<UploadedFile> = Vec::new();
        for step in &mut self.steps {
            let Some(ids) = step
                .pointer_mut("/reprise/files")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            let mut paths = Vec::new();
            for id in ids.iter() {
                let Some((name, bytes)) = id.as_str().and_then(|i| self.files.get(i)) else {
                    continue;
                };
                let digest = sha2::Sha256::digest(bytes);
                let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                // The file keeps its name (pages show it, and replay attaches the file by
                // path); the content hash folder keeps different files of one name apart.
                let path = format!("{dir}/{hex}/{}", safe_file_name(name));
                if !out.iter().any(|f| f.path == path) {
                    out.push(UploadedFile {
                        path: path.clone(),
                        bytes: bytes.clone(),
                    });
                }
                paths.push(Value::String(path));
            }
            *ids = paths;
        }
        out
    }

    /// Masks in steps what a secret became known only after (a field's value sent before
    /// it turned private cannot be, but a later secret may equal an earlier `change`).
    pub fn scrubbed_steps(&self, mask: &str) -> Vec<Value> {
        self.steps
            .iter()
            .map(|s| {
                let text = s.to_string();
                let clean = super::har::scrub(&text, &self.secrets, mask);
                if clean == text {
                    s.clone()
                } else {
                    serde_json::from_str(&clean).unwrap_or_else(|_| s.clone())
                }
            })
            .collect()
    }
}

/// The picked file's name, made safe in any file system: path separators, characters
/// Windows forbids and control characters become `_`, and it never starts with a dot.
fn safe_file_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let s = s.trim_start_matches('.');
    if s.is_empty() {
        "file".into()
    } else {
        s.chars().take(80).collect()
    }
}

fn viewport_step((w, h, scale): (u32, u32, f64), at_ms: u64) -> Value {
    json!({
        "type": "setViewport",
        "width": w,
        "height": h,
        "deviceScaleFactor": scale,
        "isMobile": false,
        "hasTouch": false,
        "isLandscape": w > h,
        "timestamp": at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(sel: &str) -> Value {
        json!({ "t": "step", "frame": [], "step": { "type": "click", "selectors": [[sel]], "offsetX": 1, "offsetY": 2 } })
    }

    fn types(log: &StepLog) -> Vec<String> {
        log.steps()
            .iter()
            .map(|s| s["type"].as_str().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn starts_with_viewport_and_navigation() {
        let mut log = StepLog::new("https://a.test/", (1280, 720, 1.0), None);
        log.on_message(
            &json!({ "t": "page", "url": "https://a.test/home" }),
            50,
            NavigationCause::Person,
        );
        assert_eq!(types(&log), ["setViewport", "navigate"]);
        assert_eq!(log.steps()[0]["width"], 1280);
    }

    #[test]
    fn a_link_navigation_is_asserted_on_its_click_and_a_typed_one_is_a_step() {
        let mut log = StepLog::new("https://a.test/", (800, 600, 1.0), None);
        log.on_message(
            &json!({ "t": "page", "url": "https://a.test/" }),
            10,
            NavigationCause::Person,
        );
        log.on_message(&click("#go"), 100, NavigationCause::Person);
        log.on_message(
            &json!({ "t": "page", "url": "https://a.test/b.html" }),
            150,
            NavigationCause::Page,
        );
        assert_eq!(
            log.steps()[2]["assertedEvents"][0]["url"],
            "https://a.test/b.html"
        );
        assert_eq!(log.steps()[2]["timestamp"], 100);
        log.on_message(
            &json!({ "t": "page", "url": "https://a.test/c" }),
            900,
            NavigationCause::Person,
        );
        assert_eq!(
            types(&log),
            ["setViewport", "navigate", "click", "navigate"]
        );
    }

    #[test]
    fn a_double_click_replaces_its_two_clicks() {
        let mut log = StepLog::new("https://a.test/", (800, 600, 1.0), None);
        log.on_message(&click("#x"), 1, NavigationCause::Person);
        log.on_message(&click("#x"), 2, NavigationCause::Person);
        let dbl = json!({ "t": "step", "step": { "type": "doubleClick", "selectors": [["#x"]], "offsetX": 1, "offsetY": 2 } });
        log.on_message(&dbl, 3, NavigationCause::Person);
        assert_eq!(types(&log), ["setViewport", "navigate", "doubleClick"]);
    }

    #[test]
    fn checkpoints_every_n_actions_and_on_demand() {
        let mut log = StepLog::new("https://a.test/cart.html", (800, 600, 1.0), Some(2));
        log.on_message(&click("#a"), 1, NavigationCause::Person);
        log.on_message(&click("#b"), 2, NavigationCause::Person);
        log.on_message(&json!({ "t": "checkpoint" }), 3, NavigationCause::Person);
        log.on_message(&click("#c"), 4, NavigationCause::Person);
        log.on_message(&json!({ "t": "checkpoint" }), 5, NavigationCause::Person);
        assert_eq!(
            types(&log),
            [
                "setViewport",
                "navigate",
                "click",
                "click",
                "customStep",
                "click",
                "customStep"
            ]
        );
        assert_eq!(log.steps()[4]["parameters"]["name"], "cart-1");
        assert_eq!(log.steps()[6]["parameters"]["name"], "cart-2");
    }

    #[test]
    fn secrets_are_kept_apart_and_scrubbed_from_steps() {
        let mut log = StepLog::new("https://a.test/", (800, 600, 1.0), None);
        log.on_message(
            &json!({ "t": "secret", "value": "hunter22" }),
            1,
            NavigationCause::Person,
        );
        let change = json!({ "t": "step", "step": { "type": "change", "selectors": [["#note"]], "value": "my hunter22" } });
        log.on_message(&change, 2, NavigationCause::Person);
        assert_eq!(log.secrets(), ["hunter22"]);
        let steps = log.scrubbed_steps("MASK");
        assert_eq!(steps[2]["value"], "my MASK");
    }

    #[test]
    fn uploaded_files_get_a_content_addressed_place_and_the_step_points_at_it() {
        let mut log = StepLog::new("https://a.test/", (800, 600, 1.0), None);
        let change = json!({ "t": "step", "step": { "type": "change", "selectors": [["#f"]],
            "value": "C:\\fakepath\\my notes.txt", "reprise": { "files": ["f1"] } } });
        log.on_message(&change, 1, NavigationCause::Person);
        log.on_message(
            &json!({ "t": "file", "id": "f1", "name": "my notes.txt", "data": "aGVsbG8=" }),
            2,
            NavigationCause::Person,
        );
        let files = log.take_files("up.files");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].bytes, b"hello");
        assert_eq!(files[0].path, "up.files/2cf24dba5fb0a30e/my notes.txt");
        assert_eq!(log.steps()[2]["reprise"]["files"], json!([files[0].path]));
        assert_eq!(log.steps()[2]["target"], "main");
    }

    #[test]
    fn uploaded_files_survive_parsing_and_writing_the_recording() {
        let doc = json!({ "title": "t", "steps": [
            { "type": "navigate", "url": "https://a.test/" },
            { "type": "change", "selectors": [["#f"]], "value": "C:\\fakepath\\a.txt",
              "reprise": { "files": ["t.files/00/a.txt", "t.files/01/b.txt"] } }
        ] });
        let parsed = crate::recording::parse_recording_value(&doc).expect("valid");
        assert_eq!(
            parsed.steps[1].files,
            ["t.files/00/a.txt", "t.files/01/b.txt"]
        );
        let written = crate::recording::to_recorder_json(&parsed);
        assert_eq!(
            written["steps"][1]["reprise"]["files"],
            json!(["t.files/00/a.txt", "t.files/01/b.txt"])
        );
        assert!(written["steps"][0].get("reprise").is_none());
        let bad = json!({ "title": "t", "steps": [
            { "type": "change", "selectors": [["#f"]], "value": "x", "reprise": { "files": "a.txt" } }
        ] });
        let e = crate::recording::parse_recording_value(&bad).expect_err("not a list");
        assert!(e.to_string().contains("reprise.files"), "{e}");
    }

    #[test]
    fn a_step_in_a_popup_names_its_page() {
        let mut log = StepLog::new("https://a.test/", (800, 600, 1.0), None);
        let mut msg = click("#ok");
        msg["target"] = json!("https://a.test/popup.html");
        log.on_message(&msg, 1, NavigationCause::Person);
        assert_eq!(log.steps()[2]["target"], "https://a.test/popup.html");
    }

    #[test]
    fn page_labels() {
        let label = |url: &str| crate::recording::slug(&crate::recording::page_label(url));
        assert_eq!(label("https://a.test/"), "index");
        assert_eq!(label("https://a.test/checkout.html?x=1"), "checkout");
        assert_eq!(label("https://a.test/a/Order_Done/"), "order-done");
    }
}
