//! rrweb event streams (rrweb itself, PostHog, Sentry, OpenReplay) turned into a recording.
//!
//! rrweb records *what the page looked like*, not what the user did in terms a replayer can
//! act on: interactions name nodes by numeric ids that only mean something against the DOM
//! as it was at that moment. So the stream is played forward here: the DOM is rebuilt from
//! each full snapshot and mutations are applied in order ([`super::dom`]), and at each
//! interaction the node gets selector alternatives computed from that DOM (test ids, id,
//! name, accessible name, a structural path, then text; rrweb's `rr_*` and `_cssText`
//! pseudo-attributes never appear in them). Mouse down/up/click collapse into clicks
//! (double and right clicks too), runs of input events into one `change`, scrolls and
//! viewport resizes into steps; a `Meta` event with a new address splits the session into
//! pages. The DOM the stream shows when the user leaves a page and at the end is kept as the
//! expected snapshot, so the first replay is scored against what the user saw.
//! `rrweb/network@1` plugin events become HAR entries; `rrweb/console@1` messages are kept
//! in the recording's `reprise.console` for reports.
//!
//! Accepted containers: a JSON array of events, `{"events": [...]}`, PostHog's JSON export
//! (`{"data": {"snapshots": [...]}}`) and PostHog's JSONL (one `{"window_id", "data"}` per
//! line).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::dom::{collapse, Dom, Kind, NodeId};
use super::{json_message, json_place, strip_bom, ExpectedDom, ImportError, Imported, RebuiltPage};
use crate::recording::{
    format_rfc3339_ms, AssertedEvent, ClickStep, MouseButton, RecordedConsole, Recording,
    RepriseMeta, Selector, SelectorPart, Step, StepKind,
};

/// Where the page is replayed when the stream recorded no usable address (rrweb's own test
/// pages are `about:blank`).
pub const DEFAULT_URL: &str = "http://localhost/";

/// Choices the CLI passes through.
#[derive(Debug, Clone, Default)]
pub struct RrwebOptions {
    /// Title of the recording.
    pub title: String,
    /// The address the first page is replayed at, replacing the recorded one (its origin
    /// replaces the recorded origin on later pages too).
    pub url: Option<String>,
}

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
struct Located {
    place: String,
    event: Value,
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
fn read_events(path: &Path, text: &str) -> Result<Vec<Located>, ImportError> {
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

/// The steps being written and what the stream has shown so far.
struct Builder {
    dom: Dom,
    steps: Vec<Step>,
    expected: Vec<ExpectedDom>,
    pages: Vec<RebuiltPage>,
    console: Vec<RecordedConsole>,
    network: Vec<Value>,
    start: Option<i64>,
    now: Option<u64>,
    /// The address rrweb recorded for the current page, and the one it is replayed at.
    href: Option<String>,
    url: String,
    replay_origin: Option<(String, String)>,
    viewport: (u32, u32),
    page_needs_rebuild: bool,
    pending_input: Option<PendingInput>,
    /// The node of the last click step, to fold the radio/checkbox inputs it caused.
    last_click: Option<NodeId>,
    ignored: BTreeMap<&'static str, usize>,
    unresolved: usize,
    opts: RrwebOptions,
}

struct PendingInput {
    node: NodeId,
    target: Target,
    value: String,
    at: Option<u64>,
}

#[derive(Clone)]
struct Target {
    selectors: Vec<Selector>,
    frame: Vec<u32>,
}

/// Imports an rrweb stream; `path` is only used in errors.
pub fn import(path: &Path, text: &str, opts: &RrwebOptions) -> Result<Imported, ImportError> {
    let events = read_events(path, text)?;
    let mut b = Builder {
        dom: Dom::default(),
        steps: Vec::new(),
        expected: Vec::new(),
        pages: Vec::new(),
        console: Vec::new(),
        network: Vec::new(),
        start: None,
        now: None,
        href: None,
        url: String::new(),
        replay_origin: None,
        viewport: (0, 0),
        page_needs_rebuild: false,
        pending_input: None,
        last_click: None,
        ignored: BTreeMap::new(),
        unresolved: 0,
        opts: opts.clone(),
    };
    for l in &events {
        b.event(&l.event)
            .map_err(|m| ImportError::new(path, Some(l.place.clone()), m).hint("the stream is inconsistent at that event; export the session again, or cut the events before it"))?;
    }
    b.finish(path)
}

impl Builder {
    fn event(&mut self, e: &Value) -> Result<(), String> {
        if let Some(ts) = e.get("timestamp").and_then(Value::as_i64) {
            let start = *self.start.get_or_insert(ts);
            self.now = u64::try_from(ts - start).ok();
        }
        let data = &e["data"];
        match e["type"].as_u64().unwrap_or(99) {
            2 => {
                let node = data
                    .get("node")
                    .ok_or("full snapshot without `data.node`")?;
                self.flush_input();
                self.dom.load_snapshot(node)?;
                if self.href.is_none() {
                    self.meta(&json!({"href": "", "width": 0, "height": 0}));
                }
                if self.page_needs_rebuild {
                    if let Some(root) = self.dom.root {
                        let href = self.href.clone().unwrap_or_default();
                        self.pages.push(RebuiltPage {
                            url: self.url.clone(),
                            html: self.dom.to_html(root, &href),
                        });
                    }
                    self.page_needs_rebuild = false;
                }
            }
            3 => self.incremental(data)?,
            4 => self.meta(data),
            5 => *self.ignored.entry("custom events").or_default() += 1,
            6 => self.plugin(data),
            _ => {}
        }
        Ok(())
    }

    fn push(&mut self, kind: StepKind, target: Option<&Target>) {
        let mut step = Step::new(kind);
        step.timestamp_ms = self.now;
        if let Some(t) = target {
            step.frame = t.frame.clone();
        }
        self.steps.push(step);
    }

    fn map_url(&mut self, href: &str) -> String {
        let parsed = url::Url::parse(href)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        if self.replay_origin.is_none() {
            let chosen = self.opts.url.clone().unwrap_or_else(|| match &parsed {
                Some(u) => u.to_string(),
                None => DEFAULT_URL.to_owned(),
            });
            let recorded = parsed
                .as_ref()
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            let new = url::Url::parse(&chosen)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            self.replay_origin = Some((recorded, new));
            return chosen;
        }
        let (from, to) = self.replay_origin.clone().unwrap_or_default();
        match parsed {
            Some(u) if !from.is_empty() && u.origin().ascii_serialization() == from => {
                format!("{to}{}", &u[url::Position::BeforePath..])
            }
            Some(u) => u.to_string(),
            None => self.url.clone(),
        }
    }

    fn meta(&mut self, data: &Value) {
        let href = data.get("href").and_then(Value::as_str).unwrap_or_default();
        let w = data.get("width").and_then(Value::as_u64).unwrap_or(0) as u32;
        let h = data.get("height").and_then(Value::as_u64).unwrap_or(0) as u32;
        self.flush_input();
        let first = self.href.is_none();
        if !first && self.href.as_deref() == Some(href) {
            // A new full snapshot of the same page (rrweb takes one every few minutes).
            self.set_viewport(w, h);
            return;
        }
        if first {
            self.set_viewport(w, h);
            self.url = self.map_url(href);
            self.push(
                StepKind::Navigate {
                    url: self.url.clone(),
                },
                None,
            );
        } else {
            let new_url = self.map_url(href);
            let leave = format!("leave-{}", page_label(&self.url));
            // A click just before the new page is what navigated: check it arrives there.
            let caused_by_click = matches!(
                self.steps.last().map(|s| &s.kind),
                Some(StepKind::Click(_) | StepKind::DoubleClick(_))
            );
            if caused_by_click {
                let click = self.steps.pop();
                self.checkpoint(&leave);
                if let Some(mut click) = click {
                    click.asserted_events.push(AssertedEvent {
                        url: Some(new_url.clone()),
                        title: None,
                    });
                    self.steps.push(click);
                }
            } else {
                self.checkpoint(&leave);
                self.push(
                    StepKind::Navigate {
                        url: new_url.clone(),
                    },
                    None,
                );
            }
            self.url = new_url;
            self.set_viewport(w, h);
        }
        self.href = Some(href.to_owned());
        self.page_needs_rebuild = true;
        self.last_click = None;
    }

    fn set_viewport(&mut self, w: u32, h: u32) {
        if w == 0 || h == 0 || (w, h) == self.viewport {
            return;
        }
        self.viewport = (w, h);
        let kind = StepKind::SetViewport {
            width: w,
            height: h,
            device_scale_factor: 1.0,
            is_mobile: false,
            has_touch: false,
            is_landscape: false,
        };
        match self.steps.last_mut() {
            Some(last) if matches!(last.kind, StepKind::SetViewport { .. }) => last.kind = kind,
            _ => self.push(kind, None),
        }
    }

    /// A checkpoint step whose expected DOM is the stream's current one.
    fn checkpoint(&mut self, name: &str) {
        let Some(root) = self.dom.root else {
            return;
        };
        self.push(
            StepKind::Checkpoint {
                name: Some(name.to_owned()),
            },
            None,
        );
        let step = self.steps.len();
        self.expected.push(ExpectedDom {
            checkpoint: format!("{step:02}-{name}"),
            step,
            url: self.url.clone(),
            viewport: format!("{}x{}@1", self.viewport.0, self.viewport.1),
            body: self
                .dom
                .serialize(root, self.href.as_deref().unwrap_or_default()),
        });
    }

    fn target(&mut self, id: NodeId) -> Option<Target> {
        let t = target_of(&self.dom, id);
        if t.is_none() {
            self.unresolved += 1;
        }
        t
    }

    fn flush_input(&mut self) {
        if let Some(p) = self.pending_input.take() {
            let mut step = Step::new(StepKind::Change {
                selectors: p.target.selectors,
                value: p.value,
            });
            step.timestamp_ms = p.at;
            step.frame = p.target.frame;
            self.steps.push(step);
        }
    }

    fn incremental(&mut self, data: &Value) -> Result<(), String> {
        let source = data.get("source").and_then(Value::as_u64).unwrap_or(99);
        let id = data.get("id").and_then(Value::as_i64);
        match source {
            0 => {
                let orphans = self.dom.apply_mutation(data)?;
                if orphans > 0 {
                    *self
                        .ignored
                        .entry("added nodes without a parent")
                        .or_default() += orphans;
                }
            }
            2 => self.mouse(data, id),
            3 => {
                let (Some(id), x, y) = (
                    id,
                    data.get("x").and_then(Value::as_f64).unwrap_or(0.0),
                    data.get("y").and_then(Value::as_f64).unwrap_or(0.0),
                ) else {
                    return Ok(());
                };
                self.flush_input();
                let is_window = self.dom.tag(id).is_none_or(|t| t == "html" || t == "body");
                let target = if is_window {
                    Some(Target {
                        selectors: Vec::new(),
                        frame: Vec::new(),
                    })
                } else {
                    self.target(id)
                };
                let Some(target) = target else {
                    return Ok(());
                };
                if let Some(last) = self.steps.last_mut() {
                    if let StepKind::Scroll {
                        selectors,
                        x: lx,
                        y: ly,
                    } = &mut last.kind
                    {
                        if *selectors == target.selectors && last.frame == target.frame {
                            (*lx, *ly) = (x, y);
                            return Ok(());
                        }
                    }
                }
                self.push(
                    StepKind::Scroll {
                        selectors: target.selectors.clone(),
                        x,
                        y,
                    },
                    Some(&target),
                );
            }
            4 => {
                let w = data.get("width").and_then(Value::as_u64).unwrap_or(0) as u32;
                let h = data.get("height").and_then(Value::as_u64).unwrap_or(0) as u32;
                self.flush_input();
                self.set_viewport(w, h);
            }
            5 => {
                let Some(id) = id else { return Ok(()) };
                self.input(data, id);
            }
            1 | 6 | 12 => {}
            other => {
                let name = match other {
                    7 => "media interactions",
                    8 | 13 | 15 => "style sheet changes",
                    9 => "canvas drawings",
                    10 => "font loads",
                    11 => "log events",
                    14 => "text selections",
                    16 => "custom element definitions",
                    _ => "unknown incremental events",
                };
                *self.ignored.entry(name).or_default() += 1;
            }
        }
        Ok(())
    }

    fn mouse(&mut self, data: &Value, id: Option<NodeId>) {
        let Some(id) = id else { return };
        let kind = data.get("type").and_then(Value::as_u64).unwrap_or(99);
        let device_type = match data.get("pointerType").and_then(Value::as_u64) {
            Some(1) => Some("pen".to_owned()),
            Some(2) => Some("touch".to_owned()),
            _ => None,
        };
        let button = match kind {
            2 | 4 => MouseButton::Primary,
            3 => MouseButton::Secondary,
            // Down/up, focus/blur and touches are the parts of a click rrweb also reports.
            _ => return,
        };
        if self.pending_input.as_ref().is_some_and(|p| p.node != id) || kind != 2 {
            self.flush_input();
        }
        let Some(target) = self.target(id) else {
            return;
        };
        let click = ClickStep {
            selectors: target.selectors.clone(),
            // rrweb reports page coordinates, not the element's box: a point just inside
            // its top-left corner is on the element whatever its size.
            offset_x: 1.0,
            offset_y: 1.0,
            button,
            duration_ms: None,
            device_type,
        };
        if kind == 4 {
            // rrweb reports a double click as click, click, dblclick.
            let n = self.steps.len();
            let same =
                |s: &Step| matches!(&s.kind, StepKind::Click(c) if c.selectors == click.selectors);
            let folded = self.steps[n.saturating_sub(2)..]
                .iter()
                .rev()
                .take_while(|s| same(s))
                .count();
            self.steps.truncate(n - folded);
            self.push(StepKind::DoubleClick(click), Some(&target));
        } else {
            // Typing continues after a click into the same field: flush it first so the
            // change lands after the click, as the user did it.
            self.flush_input();
            self.push(StepKind::Click(click), Some(&target));
        }
        self.last_click = Some(id);
    }

    fn input(&mut self, data: &Value, id: NodeId) {
        let text = data.get("text").and_then(Value::as_str);
        let checked = data.get("isChecked").and_then(Value::as_bool);
        let tag = self.dom.tag(id).unwrap_or_default().to_owned();
        let ty = self
            .dom
            .attr(id, "type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let was_checked = self.dom.get(id).and_then(|n| n.checked);
        self.dom.apply_input(id, text, checked);
        if tag == "input" && (ty == "checkbox" || ty == "radio") {
            // The click that toggled it is already a step; a radio unchecked by its group
            // needs none either.
            let caused_by_click = self.last_click.is_some()
                && matches!(self.steps.last().map(|s| &s.kind), Some(StepKind::Click(_)));
            if checked != Some(true) && ty == "radio" || caused_by_click || was_checked == checked {
                return;
            }
            self.flush_input();
            if let Some(target) = self.target(id) {
                let click = ClickStep {
                    selectors: target.selectors.clone(),
                    offset_x: 1.0,
                    offset_y: 1.0,
                    button: MouseButton::Primary,
                    duration_ms: None,
                    device_type: None,
                };
                self.push(StepKind::Click(click), Some(&target));
            }
            return;
        }
        let value = text.unwrap_or_default().to_owned();
        match &mut self.pending_input {
            Some(p) if p.node == id => {
                p.value = value;
                p.at = self.now;
                return;
            }
            _ => self.flush_input(),
        }
        let Some(target) = self.target(id) else {
            return;
        };
        self.pending_input = Some(PendingInput {
            node: id,
            target,
            value,
            at: self.now,
        });
        self.last_click = None;
    }

    fn plugin(&mut self, data: &Value) {
        let name = data
            .get("plugin")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let payload = &data["payload"];
        match name {
            "rrweb/console@1" => {
                let args = payload
                    .get("payload")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                self.console.push(RecordedConsole {
                    level: payload
                        .get("level")
                        .and_then(Value::as_str)
                        .unwrap_or("log")
                        .to_owned(),
                    args,
                    timestamp: self.now,
                });
            }
            "rrweb/network@1" => {
                let requests = payload
                    .get("requests")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for r in &requests {
                    match network_entry(r, self.start) {
                        Some(e) => self.network.push(e),
                        None => {
                            *self
                                .ignored
                                .entry("network requests without a response")
                                .or_default() += 1
                        }
                    }
                }
            }
            _ => *self.ignored.entry("other plugin events").or_default() += 1,
        }
    }

    fn finish(mut self, path: &Path) -> Result<Imported, ImportError> {
        self.flush_input();
        self.checkpoint("end");
        let title = if self.opts.title.is_empty() {
            "rrweb session".to_owned()
        } else {
            self.opts.title.clone()
        };
        let mut notes = Vec::new();
        for (what, n) in &self.ignored {
            notes.push(format!("{n} {what} not replayed"));
        }
        if self.unresolved > 0 {
            notes.push(format!(
                "{} interactions named nodes missing from the DOM at that moment and were skipped",
                self.unresolved
            ));
        }
        if self.href.as_deref().is_some_and(|h| !h.starts_with("http")) && self.opts.url.is_none() {
            notes.push(format!(
                "the stream recorded no web address; the page is replayed at `{DEFAULT_URL}` (pass --url to choose)"
            ));
        }
        let recording = Recording {
            title,
            timeout_ms: None,
            selector_attribute: None,
            meta: RepriseMeta {
                start_time_ms: self.start.filter(|s| *s > 0),
                console: self.console,
                ..RepriseMeta::default()
            },
            steps: self.steps,
        };
        // What reprise writes must load again: check it with the recording parser.
        let written = crate::recording::to_recorder_json(&recording);
        crate::recording::parse_recording_value(&written)
            .map_err(|e| super::chrome_recorder::from_recording_error(path, e))?;
        let har = (!self.network.is_empty())
            .then(|| {
                let v = json!({"log": {"version": "1.2",
                    "creator": {"name": "reprise import rrweb", "version": env!("CARGO_PKG_VERSION")},
                    "entries": self.network}});
                serde_json::to_string_pretty(&v)
                    .ok()
                    .and_then(|t| serde_json::value::RawValue::from_string(t).ok())
            })
            .flatten();
        Ok(Imported {
            recording: Some(recording),
            har,
            expected: self.expected,
            pages: self.pages,
            notes,
        })
    }
}

/// The runner's checkpoint label for a page: the last path segment without extension.
fn page_label(url: &str) -> String {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let stem = last.split('.').next().unwrap_or("");
    let slug: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "index".into()
    } else {
        slug.into()
    }
}

/// A HAR entry from one `rrweb/network@1` request (PostHog's field names too).
fn network_entry(r: &Value, start: Option<i64>) -> Option<Value> {
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
        start.unwrap_or(0) + started as i64
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

// ---------------------------------------------------------------------------------------
// Selectors from the DOM at the moment of an interaction.

const TEST_ATTRS: &[&str] = &[
    "data-testid",
    "data-test-id",
    "data-test",
    "data-cy",
    "data-qa",
];

/// The elements of one selector scope (a document or a shadow root), in document order,
/// not crossing into nested documents or shadow roots.
fn scope_elements(dom: &Dom, roots: &[NodeId]) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut stack: Vec<NodeId> = roots.iter().rev().copied().collect();
    while let Some(x) = stack.pop() {
        let Some(n) = dom.get(x) else { continue };
        if !matches!(n.kind, Kind::Element { .. }) {
            continue;
        }
        out.push(x);
        stack.extend(
            n.children
                .iter()
                .rev()
                .copied()
                .filter(|c| dom.get(*c).is_some_and(|c| !c.in_shadow)),
        );
    }
    out
}

/// Where a node lives: the roots of its scope, the shadow host (if any) and the iframe
/// element whose document holds it (if any).
struct Scope {
    roots: Vec<NodeId>,
    host: Option<NodeId>,
    iframe: Option<NodeId>,
}

fn scope_of(dom: &Dom, id: NodeId) -> Option<Scope> {
    let mut cur = id;
    loop {
        let n = dom.get(cur)?;
        if n.in_shadow {
            let host = n.parent?;
            let roots = dom
                .get(host)?
                .children
                .iter()
                .copied()
                .filter(|c| dom.get(*c).is_some_and(|c| c.in_shadow))
                .collect();
            return Some(Scope {
                roots,
                host: Some(host),
                iframe: None,
            });
        }
        if matches!(n.kind, Kind::Document) {
            let html = dom.document_element(cur)?;
            let iframe = n.parent.filter(|p| dom.tag(*p) == Some("iframe"));
            return Some(Scope {
                roots: vec![html],
                host: None,
                iframe,
            });
        }
        cur = n.parent?;
    }
}

/// Selector alternatives and frame path for a node, or `None` when the node is not in the
/// DOM (or not an element and has no element parent).
fn target_of(dom: &Dom, id: NodeId) -> Option<Target> {
    // Text nodes are targeted through their element.
    let mut el = id;
    while dom.tag(el).is_none() {
        el = dom.get(el)?.parent?;
    }
    let scope = scope_of(dom, el)?;
    let elements = scope_elements(dom, &scope.roots);
    let parts = alternatives(dom, el, &elements);
    if parts.is_empty() {
        return None;
    }
    if let Some(host) = scope.host {
        // Inside a shadow root: the host's best selector, then the inner CSS, resolved in
        // the host's shadow root (a selector chain).
        let outer = target_of(dom, host)?;
        let head = outer.selectors.first()?.chain.clone();
        let selectors: Vec<Selector> = parts
            .into_iter()
            .filter_map(|p| match p {
                SelectorPart::Css(c) => {
                    let mut chain = head.clone();
                    chain.push(SelectorPart::Css(c));
                    Some(Selector::new(chain))
                }
                _ => None,
            })
            .collect();
        return (!selectors.is_empty()).then_some(Target {
            selectors,
            frame: outer.frame,
        });
    }
    let mut frame = Vec::new();
    if let Some(iframe) = scope.iframe {
        let outer_scope = scope_of(dom, iframe)?;
        frame = target_of(dom, iframe)?.frame;
        let index = scope_elements(dom, &outer_scope.roots)
            .iter()
            .filter(|e| dom.tag(**e) == Some("iframe"))
            .position(|e| *e == iframe)?;
        frame.push(u32::try_from(index).ok()?);
    }
    Some(Target {
        selectors: parts.into_iter().map(Selector::from).collect(),
        frame,
    })
}

fn css_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn is_css_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn alternatives(dom: &Dom, el: NodeId, elements: &[NodeId]) -> Vec<SelectorPart> {
    let mut out = Vec::new();
    let count = |f: &dyn Fn(NodeId) -> bool| elements.iter().filter(|e| f(**e)).count();
    let tag = dom.tag(el).unwrap_or("*").to_owned();
    for a in TEST_ATTRS {
        if let Some(v) = dom.attr(el, a).filter(|v| !v.is_empty()) {
            if count(&|e| dom.attr(e, a) == Some(v)) == 1 {
                out.push(SelectorPart::Css(format!("[{a}={}]", css_string(v))));
            }
        }
    }
    if let Some(id) = unique_id(dom, el, elements) {
        out.push(SelectorPart::Css(id));
    }
    if let Some(v) = dom.attr(el, "name").filter(|v| !v.is_empty()) {
        if count(&|e| dom.tag(e) == Some(tag.as_str()) && dom.attr(e, "name") == Some(v)) == 1 {
            out.push(SelectorPart::Css(format!("{tag}[name={}]", css_string(v))));
        }
    }
    if let Some(name) = accessible_name(dom, el).filter(|n| n.chars().count() <= 80) {
        if count(&|e| accessible_name(dom, e).as_deref() == Some(name.as_str())) == 1 {
            out.push(SelectorPart::Aria(name));
        }
    }
    out.push(SelectorPart::Css(structural_path(dom, el, elements)));
    if matches!(
        tag.as_str(),
        "a" | "button"
            | "summary"
            | "label"
            | "li"
            | "span"
            | "option"
            | "td"
            | "th"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "p"
            | "div"
    ) {
        let text = collapse(&dom.text(el));
        let leaf = |e: NodeId| {
            dom.get(e).is_some_and(|n| {
                !n.children.iter().any(|c| {
                    dom.tag(*c).is_some() && collapse(&dom.text(*c)).contains(text.as_str())
                })
            })
        };
        if !text.is_empty()
            && text.chars().count() <= 60
            && leaf(el)
            && count(&|e| leaf(e) && collapse(&dom.text(e)).contains(text.as_str())) == 1
        {
            out.push(SelectorPart::Text(text));
        }
    }
    out
}

fn unique_id(dom: &Dom, el: NodeId, elements: &[NodeId]) -> Option<String> {
    let v = dom.attr(el, "id").filter(|v| !v.is_empty())?;
    if elements
        .iter()
        .filter(|e| dom.attr(**e, "id") == Some(v))
        .count()
        != 1
    {
        return None;
    }
    Some(if is_css_ident(v) {
        format!("#{v}")
    } else {
        format!("[id={}]", css_string(v))
    })
}

/// The CSS path from the nearest ancestor with a unique id (or the scope's root), using
/// `:nth-child` only where a sibling shares the tag, as Chrome's Recorder writes paths.
fn structural_path(dom: &Dom, el: NodeId, elements: &[NodeId]) -> String {
    let mut parts = Vec::new();
    let mut cur = el;
    loop {
        if cur != el {
            if let Some(id) = unique_id(dom, cur, elements) {
                parts.push(id);
                break;
            }
        }
        let tag = dom.tag(cur).unwrap_or("*").to_owned();
        let Some(parent) = dom
            .get(cur)
            .and_then(|n| n.parent)
            .filter(|p| dom.tag(*p).is_some() && !dom.get(cur).is_some_and(|n| n.in_shadow))
        else {
            parts.push(tag);
            break;
        };
        let siblings: Vec<NodeId> = dom
            .get(parent)
            .map(|p| {
                p.children
                    .iter()
                    .copied()
                    .filter(|c| dom.tag(*c).is_some() && dom.get(*c).is_some_and(|c| !c.in_shadow))
                    .collect()
            })
            .unwrap_or_default();
        let same_tag = siblings
            .iter()
            .filter(|s| dom.tag(**s) == Some(tag.as_str()))
            .count();
        if same_tag > 1 {
            let k = siblings.iter().position(|s| *s == cur).unwrap_or(0) + 1;
            parts.push(format!("{tag}:nth-child({k})"));
        } else {
            parts.push(tag);
        }
        cur = parent;
    }
    parts.reverse();
    parts.join(" > ")
}

/// An approximation of the accessible name the `aria/` resolver computes: `aria-label`,
/// a label (wrapping or `for`), `alt`, `title`, then text for elements named by content.
fn accessible_name(dom: &Dom, el: NodeId) -> Option<String> {
    let attr = |n: &str| dom.attr(el, n).map(collapse).filter(|s| !s.is_empty());
    if let Some(v) = attr("aria-label") {
        return Some(v);
    }
    let tag = dom.tag(el)?;
    match tag {
        "input" | "select" | "textarea" => {
            let ty = dom.attr(el, "type").unwrap_or_default();
            if matches!(ty, "submit" | "button" | "reset") {
                return attr("value");
            }
            if matches!(ty, "hidden") {
                return None;
            }
            if let Some(id) = dom.attr(el, "id").filter(|s| !s.is_empty()) {
                let root = dom.document_of(el)?;
                if let Some(label) = dom
                    .descendants(root, |d, x| {
                        d.tag(x) == Some("label") && d.attr(x, "for") == Some(id)
                    })
                    .first()
                {
                    let t = collapse(&dom.text(*label));
                    if !t.is_empty() {
                        return Some(t);
                    }
                }
            }
            if let Some(label) = dom.ancestor(el, "label") {
                // The control's own text (a select's options) is not part of its name.
                let own = dom.text(el);
                let full = dom.text(label);
                let t = collapse(&full.replacen(own.as_str(), " ", 1));
                if !t.is_empty() {
                    return Some(t);
                }
            }
            attr("title").or_else(|| attr("placeholder"))
        }
        "img" => attr("alt").or_else(|| attr("title")),
        "a" | "button" | "summary" | "option" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let t = collapse(&dom.text(el));
            (!t.is_empty()).then_some(t).or_else(|| attr("title"))
        }
        _ => attr("title"),
    }
}

/// Counts per HAR entry, used by tests and the CLI summary.
pub fn entry_count(har: &serde_json::value::RawValue) -> usize {
    super::har::entry_count(har)
}
