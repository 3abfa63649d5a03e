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

mod container;
mod network;

pub use container::{is_container, is_event};
pub use network::entry_count;

use super::dom::{Dom, NodeId};
use super::selectors::{target_of, Target};
use super::{ExpectedDom, ImportError, Imported, RebuiltPage};
use crate::recording::{
    self, AssertedEvent, ClickStep, MouseButton, RecordedConsole, Recording, RepriseMeta, Step,
    StepKind,
};
use container::read_events;
use network::{network_entry, replayable};

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
            // Timestamps are whatever the file says: a difference out of range is no time.
            self.now = ts.checked_sub(start).and_then(|d| u64::try_from(d).ok());
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
            let leave = format!(
                "leave-{}",
                recording::slug(&recording::page_label(&self.url))
            );
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
            checkpoint: recording::checkpoint_name(step, name),
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
                        Some(e) if replayable(&e) => self.network.push(e),
                        Some(_) => {
                            *self
                                .ignored
                                .entry("network requests replay cannot answer (bad URL or status)")
                                .or_default() += 1
                        }
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
