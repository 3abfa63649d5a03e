//! Performing one recorded step in the browser, the way a user would: wait for the target to
//! be actionable (present, visible, enabled, not moving), trying selector alternatives in
//! order, then act through WebDriver input actions so the page sees real trusted events.

use super::Browser;
use crate::recording::{ClickStep, MouseButton, Selector, Step, StepKind};
use fantoccini::actions::{InputSource, KeyAction, KeyActions, MouseActions, PointerAction};
use fantoccini::elements::{Element, ElementRef};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Why a step could not be performed: makes the session `broken`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub message: String,
    /// The selector alternatives that were tried, in order.
    pub selectors: Vec<String>,
}

impl StepError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            selectors: Vec::new(),
        }
    }
}

/// The id of a web element reference returned by a script. W3C names the key
/// `element-6066-11e4-a52f-4664ac76b36b`; chromedriver 156 answers with a variant of it, so
/// any `element-6066-…` key is accepted.
fn element_id(v: &Value) -> Option<&str> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.starts_with("element-6066-"))
        .and_then(|(_, id)| id.as_str())
}

fn alternatives_js(selectors: &[Selector]) -> Value {
    Value::Array(selectors.iter().map(Selector::to_js).collect())
}

/// An element ready for input, with its box in CSS pixels.
struct Target {
    element: Element,
    rect: [f64; 4],
}

impl Browser {
    /// Performs a step; the caller settles the page afterwards.
    pub async fn perform(&self, step: &Step, timeout: Duration) -> Result<(), StepError> {
        self.enter_frames(&step.frame).await?;
        let result = self.perform_in_frame(&step.kind, timeout).await;
        if !step.frame.is_empty() {
            for _ in &step.frame {
                let _ = self.client.enter_parent_frame().await;
            }
        }
        result
    }

    async fn enter_frames(&self, frames: &[u32]) -> Result<(), StepError> {
        for &f in frames {
            let index = u16::try_from(f)
                .map_err(|_| StepError::new(format!("frame index {f} is too large")))?;
            self.client
                .enter_frame(index)
                .await
                .map_err(|e| StepError::new(format!("cannot enter frame {f}: {e}")))?;
        }
        Ok(())
    }

    async fn perform_in_frame(&self, kind: &StepKind, timeout: Duration) -> Result<(), StepError> {
        match kind {
            StepKind::SetViewport {
                width,
                height,
                device_scale_factor,
                is_mobile,
                has_touch,
                ..
            } => self
                .set_viewport(
                    *width,
                    *height,
                    *device_scale_factor,
                    *is_mobile,
                    *has_touch,
                )
                .await
                .map_err(|e| StepError::new(e.to_string())),
            StepKind::Navigate { url } => self
                .client
                .goto(url)
                .await
                .map_err(|e| StepError::new(format!("cannot navigate to `{url}`: {e}"))),
            StepKind::Click(c) => self.click(c, 1, timeout).await,
            StepKind::DoubleClick(c) => self.click(c, 2, timeout).await,
            StepKind::Hover { selectors } => {
                let t = self.actionable(selectors, timeout).await?;
                let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                    element: t.element,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                });
                self.client
                    .perform_actions(mouse)
                    .await
                    .map_err(|e| StepError::new(format!("hover failed: {e}")))
            }
            StepKind::Change { selectors, value } => self.change(selectors, value, timeout).await,
            StepKind::KeyDown { key } => self.key(key, true).await,
            StepKind::KeyUp { key } => self.key(key, false).await,
            StepKind::Scroll { selectors, x, y } => {
                if selectors.is_empty() {
                    self.js(
                        "window.scrollTo(arguments[0], arguments[1]);",
                        vec![json!(x), json!(y)],
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| StepError::new(format!("scroll failed: {e}")))
                } else {
                    let t = self.present(selectors, timeout).await?;
                    self.js(
                        "arguments[0].scrollTo(arguments[1], arguments[2]);",
                        vec![
                            serde_json::to_value(&t.element).unwrap_or(Value::Null),
                            json!(x),
                            json!(y),
                        ],
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| StepError::new(format!("scroll failed: {e}")))
                }
            }
            StepKind::WaitForElement {
                selectors,
                operator,
                count,
                visible,
                ..
            } => {
                let deadline = Instant::now() + timeout;
                let mut polls = 0u32;
                let mut last;
                loop {
                    let v = self
                        .js(
                            "return __reprisePage.count(arguments[0], arguments[1]).count;",
                            vec![alternatives_js(selectors), json!(visible)],
                        )
                        .await
                        .ok()
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0);
                    last = u32::try_from(v).unwrap_or(u32::MAX);
                    if operator.holds(last, *count) {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        break;
                    }
                    self.wait_a_moment(&mut polls).await;
                }
                Err(StepError {
                    message: format!(
                        "expected {} {count} matching element(s), found {last} after {} ms",
                        operator.as_str(),
                        timeout.as_millis()
                    ),
                    selectors: selectors.iter().map(ToString::to_string).collect(),
                })
            }
            StepKind::WaitForExpression { expression } => {
                let deadline = Instant::now() + timeout;
                let mut polls = 0u32;
                loop {
                    let ok = self
                        .client
                        .execute(
                            "return Promise.resolve((0, eval)(arguments[0])).then(Boolean);",
                            vec![json!(expression)],
                        )
                        .await
                        .ok()
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                    if ok {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        return Err(StepError::new(format!(
                            "expression `{expression}` stayed false for {} ms",
                            timeout.as_millis()
                        )));
                    }
                    self.wait_a_moment(&mut polls).await;
                }
            }
            StepKind::Close => Ok(()),
            StepKind::EmulateNetworkConditions {
                download,
                upload,
                latency,
            } => {
                self.emulate_network(false, *latency, *download, *upload)
                    .await;
                Ok(())
            }
            // Checkpoints are taken by the runner; other custom steps need an extension
            // reprise does not have, and are skipped like @puppeteer/replay's default runner.
            StepKind::Checkpoint { .. } | StepKind::Custom { .. } => Ok(()),
        }
    }

    async fn click(&self, c: &ClickStep, times: usize, timeout: Duration) -> Result<(), StepError> {
        let t = self.actionable(&c.selectors, timeout).await?;
        let [_, _, w, h] = t.rect;
        // The Recorder's offsets are from the element's top-left; WebDriver's from its centre.
        // An offset outside the element's current box (it was resized) falls back to the centre.
        let inside = c.offset_x >= 0.0 && c.offset_x < w && c.offset_y >= 0.0 && c.offset_y < h;
        let (dx, dy) = if inside {
            (
                (c.offset_x - w / 2.0).trunc(),
                (c.offset_y - h / 2.0).trunc(),
            )
        } else {
            (0.0, 0.0)
        };
        let button = match c.button {
            MouseButton::Primary => 0,
            MouseButton::Auxiliary => 1,
            MouseButton::Secondary => 2,
            MouseButton::Back => 3,
            MouseButton::Forward => 4,
        };
        let mut mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: t.element,
            duration: None,
            x: dx,
            y: dy,
        });
        for _ in 0..times {
            mouse = mouse
                .then(PointerAction::Down { button })
                .then(PointerAction::Up { button });
        }
        self.client
            .perform_actions(mouse)
            .await
            .map_err(|e| StepError::new(format!("click failed: {e}")))?;
        let _ = self.client.release_actions().await;
        Ok(())
    }

    async fn change(
        &self,
        selectors: &[Selector],
        value: &str,
        timeout: Duration,
    ) -> Result<(), StepError> {
        let t = self.actionable(selectors, timeout).await?;
        let el = serde_json::to_value(&t.element).unwrap_or(Value::Null);
        // Selects, and inputs a keyboard cannot type into (date, color, range), get their value
        // set directly with the events a user's change would fire.
        let direct = self
            .js(
                "const el = arguments[0]; const v = arguments[1]; const t = (el.type || '').toLowerCase();\
                 if (el.tagName === 'SELECT' || ['date','datetime-local','month','week','time','color','range','file'].includes(t)) {\
                   el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return 'done'; }\
                 if (el.value === v) return 'done';\
                 if (v.startsWith(el.value || '')) return 'append';\
                 return 'replace';",
                vec![el, json!(value)],
            )
            .await
            .map_err(|e| StepError::new(format!("change failed: {e}")))?;
        let typed = match direct.as_str() {
            Some("done") => return Ok(()),
            Some("append") => {
                let current = t
                    .element
                    .prop("value")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                value.get(current.len()..).unwrap_or(value).to_string()
            }
            _ => {
                // Select the old text so typing replaces it, as a user would; WebDriver's
                // `clear` would also blur the field and fire `change` early.
                self.js(
                    "const el = arguments[0]; el.focus(); if (el.select) el.select(); else document.execCommand('selectAll');",
                    vec![serde_json::to_value(&t.element).unwrap_or(Value::Null)],
                )
                .await
                .map_err(|e| StepError::new(format!("change failed: {e}")))?;
                if value.is_empty() {
                    "\u{E003}".to_string()
                } else {
                    value.to_string()
                }
            }
        };
        t.element
            .send_keys(&typed)
            .await
            .map_err(|e| StepError::new(format!("typing failed: {e}")))
    }

    async fn key(&self, key: &str, down: bool) -> Result<(), StepError> {
        let value =
            webdriver_key(key).ok_or_else(|| StepError::new(format!("unknown key `{key}`")))?;
        let action = if down {
            KeyAction::Down { value }
        } else {
            KeyAction::Up { value }
        };
        self.client
            .perform_actions(KeyActions::new("keyboard".into()).then(action))
            .await
            .map_err(|e| StepError::new(format!("key `{key}` failed: {e}")))
    }

    /// Pauses between polls of a waiting step; every few polls on an idle page, lets the
    /// virtual clock move to the next timer, as time would pass for a user who waits.
    async fn wait_a_moment(&self, polls: &mut u32) {
        *polls += 1;
        if *polls % 3 == 0 {
            self.advance_if_idle().await;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }

    /// The first alternative that yields an element, present in the document.
    async fn present(
        &self,
        selectors: &[Selector],
        timeout: Duration,
    ) -> Result<Target, StepError> {
        self.wait_for_target(selectors, timeout, false).await
    }

    /// The first alternative that yields an element that is visible, enabled and not moving.
    async fn actionable(
        &self,
        selectors: &[Selector],
        timeout: Duration,
    ) -> Result<Target, StepError> {
        self.wait_for_target(selectors, timeout, true).await
    }

    async fn wait_for_target(
        &self,
        selectors: &[Selector],
        timeout: Duration,
        actionable: bool,
    ) -> Result<Target, StepError> {
        let deadline = Instant::now() + timeout;
        let mut polls = 0u32;
        let mut last_state;
        loop {
            match self
                .js_async(
                    TARGET_JS,
                    vec![
                        alternatives_js(selectors),
                        json!(actionable),
                        json!(STABLE_WAIT_MS),
                    ],
                )
                .await
            {
                Ok(v) if v["state"] == "ok" => {
                    if let Some(id) = element_id(&v["element"]) {
                        return Ok(Target {
                            element: Element::from_element_id(
                                self.client.clone(),
                                ElementRef::from(id.to_string()),
                            ),
                            rect: rect_of(&v["rect"]),
                        });
                    }
                    last_state = "missing".into();
                }
                Ok(v) => last_state = v["state"].as_str().unwrap_or("missing").to_string(),
                Err(e) => last_state = format!("script error: {e}"),
            }
            if Instant::now() > deadline {
                let what = match last_state.as_str() {
                    "missing" => "no selector matched an element".to_string(),
                    s => format!("the element is {s}"),
                };
                return Err(StepError {
                    message: format!("{what} within {} ms", timeout.as_millis()),
                    selectors: selectors.iter().map(ToString::to_string).collect(),
                });
            }
            self.wait_a_moment(&mut polls).await;
        }
    }
}

/// When nothing asynchronous is outstanding in the page (no request, no short real timer, no
/// image or font loading), nothing can move an element between two measurements: animations
/// and transitions are off, and `requestAnimationFrame` and longer timers run on the virtual
/// clock, which stands still during the check. Otherwise the box is measured again after
/// this long (real ms, a rendering frame or two) and must be the same.
const STABLE_WAIT_MS: u64 = 25;

/// Finds the first alternative with an element; when actionable is asked for, checks it is
/// visible, enabled and not moving, and scrolls it into view. One round trip: the stability
/// check (Playwright's "stable" box across frames) waits inside the page instead of between
/// two polls, which cost a 40 ms pause and a second script on every click.
const TARGET_JS: &str = "const [sels, actionable, waitMs] = arguments; const done = arguments[arguments.length - 1];\
    const r = __reprisePage.find(sels);\
    if (!r) return done({ state: 'missing' });\
    const why = actionable ? __reprisePage.notActionable(r.element) : '';\
    if (why) return done({ state: why, index: r.index });\
    r.element.scrollIntoView({ block: 'center', inline: 'center' });\
    const first = __reprisePage.rect(r.element);\
    const ok = (rect) => done({ state: 'ok', element: r.element, rect, index: r.index });\
    const s = window.__repriseShim;\
    const idle = s && !s.state.pending && !s.state.timers\
      && (!document.fonts || document.fonts.status === 'loaded')\
      && Array.from(document.images).every((i) => i.complete);\
    if (!actionable || idle) return ok(first);\
    const later = (s && s.realTimeout) || setTimeout;\
    later(() => {\
      if (!r.element.isConnected) return done({ state: 'missing' });\
      const now = __reprisePage.rect(r.element);\
      if (now.every((v, i) => v === first[i])) ok(now); else done({ state: 'moving', index: r.index });\
    }, waitMs);";

fn rect_of(v: &Value) -> [f64; 4] {
    let g = |i: usize| v[i].as_f64().unwrap_or(0.0);
    [g(0), g(1), g(2), g(3)]
}

/// Maps a key name as Puppeteer and the Recorder write it to WebDriver's code point.
pub fn webdriver_key(key: &str) -> Option<char> {
    let special = match key {
        "Cancel" => '\u{E001}',
        "Help" => '\u{E002}',
        "Backspace" => '\u{E003}',
        "Tab" => '\u{E004}',
        "Clear" => '\u{E005}',
        "Enter" | "NumpadEnter" => '\u{E007}',
        "Shift" | "ShiftLeft" => '\u{E008}',
        "Control" | "ControlLeft" => '\u{E009}',
        "Alt" | "AltLeft" => '\u{E00A}',
        "Pause" => '\u{E00B}',
        "Escape" => '\u{E00C}',
        "Space" => ' ',
        "PageUp" => '\u{E00E}',
        "PageDown" => '\u{E00F}',
        "End" => '\u{E010}',
        "Home" => '\u{E011}',
        "ArrowLeft" => '\u{E012}',
        "ArrowUp" => '\u{E013}',
        "ArrowRight" => '\u{E014}',
        "ArrowDown" => '\u{E015}',
        "Insert" => '\u{E016}',
        "Delete" => '\u{E017}',
        "Meta" | "MetaLeft" => '\u{E03D}',
        "ShiftRight" => '\u{E050}',
        "ControlRight" => '\u{E051}',
        "AltRight" => '\u{E052}',
        "MetaRight" => '\u{E053}',
        _ => {
            if let Some(n) = key.strip_prefix('F').and_then(|n| n.parse::<u32>().ok()) {
                if (1..=12).contains(&n) {
                    return char::from_u32(0xE031 + n - 1);
                }
            }
            let mut chars = key.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) => Some(c),
                _ => None,
            };
        }
    };
    Some(special)
}

#[cfg(test)]
mod tests {
    use super::webdriver_key;

    #[test]
    fn recorder_key_names_map_to_webdriver() {
        assert_eq!(webdriver_key("Enter"), Some('\u{E007}'));
        assert_eq!(webdriver_key("Tab"), Some('\u{E004}'));
        assert_eq!(webdriver_key("/"), Some('/'));
        assert_eq!(webdriver_key("F5"), Some('\u{E035}'));
        assert_eq!(webdriver_key("NoSuchKey"), None);
    }
}
