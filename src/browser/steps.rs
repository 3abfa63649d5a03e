//! Performing one recorded step in the browser the way @puppeteer/replay does: wait for the
//! target to be ready (Puppeteer's locator conditions: present, visible, enabled, in view,
//! not moving), trying selector alternatives in order, then act with trusted CDP input at
//! page coordinates (see [`super::input`]). The rules are in docs/recording-format.md.

use super::{input, Browser};
use crate::recording::{ClickStep, Selector, Step, StepKind};
use fantoccini::elements::{Element, ElementRef};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
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

/// An element ready for input, with its box in CSS pixels. `element` is what later scripts
/// of the step get as the element: a WebDriver element reference, or the stand-in for the
/// element the DevTools look-up kept in the page.
struct Target {
    element: Value,
    rect: [f64; 4],
}

impl Browser {
    /// Performs a step; the caller settles the page afterwards. A step with a `target` other
    /// than `main` acts in the page (a popup or a new tab) whose URL is the target, as
    /// @puppeteer/replay finds it; WebDriver is back on the main page when it returns.
    pub async fn perform(&self, step: &Step, timeout: Duration) -> Result<(), StepError> {
        if step.target.is_empty() || step.target == "main" {
            return self.perform_in_page(step, timeout).await;
        }
        let entered = self.enter_target(&step.target, timeout).await;
        let handle = match entered {
            Ok(h) => h,
            Err(e) => {
                self.back_to_main().await;
                return Err(e);
            }
        };
        *self.lock_current() = Some(handle.clone());
        let result = if matches!(step.kind, StepKind::Close) {
            self.client
                .close_window()
                .await
                .map_err(|e| StepError::new(format!("cannot close `{}`: {e}", step.target)))
        } else {
            self.perform_in_page(step, timeout).await
        };
        *self.lock_current() = None;
        self.back_to_main().await;
        result
    }

    /// Leaves WebDriver on the main page after a step in a popup; the next step that needs
    /// WebDriver there switches again if this failed.
    async fn back_to_main(&self) {
        self.on_tab.store(false, Ordering::SeqCst);
        let _ = self.webdriver_on_tab().await;
    }

    async fn perform_in_page(&self, step: &Step, timeout: Duration) -> Result<(), StepError> {
        if !step.frame.is_empty() {
            // WebDriver's frames: on the step's popup, else on the session's tab.
            self.webdriver()
                .await
                .map_err(|e| StepError::new(e.to_string()))?;
        }
        self.enter_frames(&step.frame).await?;
        self.frame_depth.store(step.frame.len(), Ordering::SeqCst);
        let result = match &step.kind {
            StepKind::Change { selectors, .. } if !step.files.is_empty() => {
                self.upload(selectors, &step.files, timeout).await
            }
            StepKind::Custom { name, parameters } if name == DRAG_STEP => {
                self.drag(parameters, &step.frame, timeout).await
            }
            kind => self.perform_in_frame(kind, &step.frame, timeout).await,
        };
        for _ in &step.frame {
            let _ = self.client.enter_parent_frame().await;
        }
        self.frame_depth.store(0, Ordering::SeqCst);
        result
    }

    pub(super) fn lock_current(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.current_target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Switches WebDriver to the window whose URL is `url`, waiting for it to open.
    async fn enter_target(&self, url: &str, timeout: Duration) -> Result<String, StepError> {
        let deadline = Instant::now() + timeout;
        self.on_tab.store(false, Ordering::SeqCst);
        loop {
            if let Ok(handles) = self.client.windows().await {
                for h in handles {
                    let id = String::from(h.clone());
                    if id == self.main_window || id == self.home {
                        continue;
                    }
                    if self.client.switch_to_window(h).await.is_err() {
                        continue;
                    }
                    let here = self.client.current_url().await.map(|u| u.to_string());
                    if here.is_ok_and(|u| u == url) {
                        return Ok(id);
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(StepError::new(format!(
                    "no page at `{url}` (the step's `target`) opened within {} ms",
                    timeout.as_millis()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn enter_frames(&self, frames: &[u32]) -> Result<(), StepError> {
        for (depth, &f) in frames.iter().enumerate() {
            let entered = match u16::try_from(f) {
                Ok(index) => self
                    .client
                    .enter_frame(index)
                    .await
                    .map_err(|e| e.to_string()),
                Err(_) => Err("the index is too large".to_string()),
            };
            if let Err(e) = entered {
                for _ in 0..depth {
                    let _ = self.client.enter_parent_frame().await;
                }
                return Err(StepError::new(format!(
                    "cannot enter frame {f} of the step's `frame` {frames:?}: {e}"
                )));
            }
        }
        Ok(())
    }

    /// Where the top-left of the innermost frame's viewport is in the page's viewport: input
    /// is dispatched to the page, at page coordinates. Measured from the top down (WebDriver
    /// ends inside the innermost frame again); a cross-origin frame is found by comparing
    /// window proxies, which works across origins.
    async fn frame_origin(&self, frames: &[u32]) -> Result<(f64, f64), StepError> {
        if frames.is_empty() {
            return Ok((0.0, 0.0));
        }
        for _ in frames {
            let _ = self.client.enter_parent_frame().await;
        }
        let (mut x, mut y) = (0.0, 0.0);
        let mut error = None;
        for (depth, &f) in frames.iter().enumerate() {
            if error.is_none() {
                match self.client.execute(FRAME_ORIGIN_JS, vec![json!(f)]).await {
                    Ok(v) if v.is_array() => {
                        x += v[0].as_f64().unwrap_or(0.0);
                        y += v[1].as_f64().unwrap_or(0.0);
                    }
                    Ok(_) => error = Some(format!("frame {f} has no element in its parent")),
                    Err(e) => error = Some(e.to_string()),
                }
            }
            let index = u16::try_from(f).unwrap_or(u16::MAX);
            if let Err(e) = self.client.enter_frame(index).await {
                for _ in 0..depth {
                    let _ = self.client.enter_parent_frame().await;
                }
                // Back where the caller expects to be is impossible: say so.
                return Err(StepError::new(format!("cannot enter frame {f} again: {e}")));
            }
        }
        match error {
            None => Ok((x, y)),
            Some(e) => Err(StepError::new(format!(
                "cannot place frame {frames:?} in the page: {e}"
            ))),
        }
    }

    async fn perform_in_frame(
        &self,
        kind: &StepKind,
        frames: &[u32],
        timeout: Duration,
    ) -> Result<(), StepError> {
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
            StepKind::Navigate { url } => {
                let navigated = if self.lock_current().is_none() && frames.is_empty() {
                    self.navigate_main(url, timeout).await
                } else {
                    self.client.goto(url).await.map_err(|e| e.to_string())
                };
                navigated.map_err(|e| StepError::new(format!("cannot navigate to `{url}`: {e}")))
            }
            StepKind::Click(c) => self.click(c, 1, frames, timeout).await,
            StepKind::DoubleClick(c) => self.click(c, 2, frames, timeout).await,
            StepKind::Hover { selectors } => {
                let t = self
                    .wait_for_target(selectors, timeout, Mode::Hover)
                    .await?;
                let (x, y) = self.point(&t, frames, None).await?;
                self.mouse("mouseMoved", x, y, "none", 0, 0).await
            }
            StepKind::Change { selectors, value } => self.change(selectors, value, timeout).await,
            StepKind::KeyDown { key } => self.key(key, true).await,
            StepKind::KeyUp { key } => self.key(key, false).await,
            StepKind::Scroll { selectors, x, y } => {
                let scrolled = if selectors.is_empty() {
                    self.js(
                        "window.scroll(arguments[0], arguments[1]);",
                        vec![json!(x), json!(y)],
                    )
                    .await
                } else {
                    let t = self
                        .wait_for_target(selectors, timeout, Mode::InView)
                        .await?;
                    self.js(
                        "arguments[0].scrollTop = arguments[2]; arguments[0].scrollLeft = arguments[1];",
                        vec![t.element, json!(x), json!(y)],
                    )
                    .await
                };
                scrolled
                    .map(|_| ())
                    .map_err(|e| StepError::new(format!("scroll failed: {e}")))
            }
            StepKind::WaitForElement {
                selectors,
                operator,
                count,
                visible,
                attributes,
                properties,
            } => {
                // `visible: false` inverts the step (the Recorder's schema): it waits until
                // the condition no longer holds, e.g. until a spinner is gone.
                let want = visible.unwrap_or(true);
                let attributes = if attributes.is_empty() {
                    Value::Null
                } else {
                    json!(attributes)
                };
                let deadline = Instant::now() + timeout;
                let mut polls = 0u32;
                let mut last = 0u64;
                loop {
                    let v = self
                        .js(
                            "return __reprisePage.waitState(arguments[0], arguments[1], arguments[2], arguments[3], arguments[4]);",
                            vec![
                                alternatives_js(selectors),
                                json!(operator.as_str()),
                                json!(count),
                                attributes.clone(),
                                properties.clone(),
                            ],
                        )
                        .await
                        .unwrap_or(Value::Null);
                    last = v["count"].as_u64().unwrap_or(last);
                    if v["ok"].as_bool() == Some(want) {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        break;
                    }
                    self.wait_a_moment(&mut polls).await;
                }
                let mut expected = format!("{} {count} matching element(s)", operator.as_str());
                if !attributes.is_null() {
                    expected.push_str(&format!(" with attributes {attributes}"));
                }
                if !properties.is_null() {
                    expected.push_str(&format!(" with properties {properties}"));
                }
                let message = if want {
                    format!(
                        "expected {expected}, found {last} after {} ms",
                        timeout.as_millis()
                    )
                } else {
                    format!(
                        "expected no longer {expected} (`visible: false`), still {last} after {} ms",
                        timeout.as_millis()
                    )
                };
                Err(StepError {
                    message,
                    selectors: selectors.iter().map(ToString::to_string).collect(),
                })
            }
            StepKind::WaitForExpression { expression } => {
                let deadline = Instant::now() + timeout;
                let mut polls = 0u32;
                loop {
                    let ok = self
                        .script(
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

    /// The page point a pointer step acts on: the recorded offset from the element's
    /// top-left when it lies inside the element's box, else the box's centre.
    async fn point(
        &self,
        t: &Target,
        frames: &[u32],
        offset: Option<(f64, f64)>,
    ) -> Result<(f64, f64), StepError> {
        let [x, y, w, h] = t.rect;
        let (dx, dy) = match offset {
            Some((ox, oy)) if ox >= 0.0 && ox < w && oy >= 0.0 && oy < h => (ox, oy),
            _ => (w / 2.0, h / 2.0),
        };
        let (fx, fy) = self.frame_origin(frames).await?;
        Ok((fx + x + dx, fy + y + dy))
    }

    /// A CDP command to the page the step acts on (a popup, or the main page).
    async fn page_input(&self, method: &str, params: Value) -> Result<Value, StepError> {
        let target = self.lock_current().clone();
        self.intercept
            .target_command(target.as_deref(), method, params)
            .await
            .map_err(|e| StepError::new(format!("input failed: {e}")))
    }

    async fn mouse(
        &self,
        kind: &str,
        x: f64,
        y: f64,
        button: &str,
        buttons: u32,
        clicks: u32,
    ) -> Result<(), StepError> {
        let modifiers = self.modifiers.load(Ordering::SeqCst);
        self.page_input(
            "Input.dispatchMouseEvent",
            json!({ "type": kind, "x": x, "y": y, "button": button, "buttons": buttons,
                    "clickCount": clicks, "modifiers": modifiers, "pointerType": "mouse" }),
        )
        .await
        .map(|_| ())
    }

    async fn click(
        &self,
        c: &ClickStep,
        times: u32,
        frames: &[u32],
        timeout: Duration,
    ) -> Result<(), StepError> {
        let t = self
            .wait_for_target(&c.selectors, timeout, Mode::Actionable)
            .await?;
        let (x, y) = self
            .point(&t, frames, Some((c.offset_x, c.offset_y)))
            .await?;
        let hold = c.duration_ms.map(Duration::from_millis);
        if c.device_type.as_deref() == Some("touch") {
            let modifiers = self.modifiers.load(Ordering::SeqCst);
            for _ in 0..times {
                self.page_input(
                    "Input.dispatchTouchEvent",
                    json!({ "type": "touchStart", "modifiers": modifiers,
                            "touchPoints": [{ "x": x, "y": y, "radiusX": 0.5, "radiusY": 0.5, "force": 0.5, "id": 0 }] }),
                )
                .await?;
                if let Some(d) = hold {
                    tokio::time::sleep(d).await;
                }
                self.page_input(
                    "Input.dispatchTouchEvent",
                    json!({ "type": "touchEnd", "modifiers": modifiers, "touchPoints": [] }),
                )
                .await?;
            }
            return Ok(());
        }
        let (button, bit) = input::mouse_button(c.button);
        self.mouse("mouseMoved", x, y, "none", 0, 0).await?;
        for n in 1..=times {
            self.mouse("mousePressed", x, y, button, bit, n).await?;
            if let Some(d) = hold {
                tokio::time::sleep(d).await;
            }
            self.mouse("mouseReleased", x, y, button, 0, n).await?;
        }
        Ok(())
    }

    /// Attaches the recorded files to a file input (reprise's `reprise.files` extension),
    /// through WebDriver's file upload, which sets them with CDP `DOM.setFileInputFiles` and
    /// fires `input` and `change` as a person's pick does. The input need only be present:
    /// pages commonly hide it behind a styled label.
    async fn upload(
        &self,
        selectors: &[Selector],
        files: &[String],
        timeout: Duration,
    ) -> Result<(), StepError> {
        let deadline = Instant::now() + timeout;
        let mut polls = 0u32;
        // A file is attached through WebDriver, which needs a WebDriver element reference.
        let client = self
            .webdriver()
            .await
            .map_err(|e| StepError::new(e.to_string()))?;
        let element = loop {
            let v = client
                .execute(
                    &super::script::with_page_helpers(
                        "const r = __reprisePage.find(arguments[0]); return r && r.element.tagName === 'INPUT' && r.element.type === 'file' ? r.element : null;",
                    ),
                    vec![alternatives_js(selectors)],
                )
                .await
                .unwrap_or(Value::Null);
            if let Some(id) = element_id(&v) {
                break Element::from_element_id(
                    self.client.clone(),
                    ElementRef::from(id.to_string()),
                );
            }
            if Instant::now() > deadline {
                return Err(StepError {
                    message: format!(
                        "no selector matched a file input within {} ms",
                        timeout.as_millis()
                    ),
                    selectors: selectors.iter().map(ToString::to_string).collect(),
                });
            }
            self.wait_a_moment(&mut polls).await;
        };
        element
            .send_keys(&files.join("\n"))
            .await
            .map_err(|e| StepError::new(format!("cannot attach {files:?} to the file input: {e}")))
    }

    /// Performs a recorded drag (`customStep` `reprise:drag`): the pointer presses on the
    /// `from` element at its offset, moves to the `to` element in steps and releases there,
    /// which is what both HTML5 drag and drop and pointer-driven sortables react to.
    async fn drag(
        &self,
        params: &Value,
        frames: &[u32],
        timeout: Duration,
    ) -> Result<(), StepError> {
        let end = |which: &str| -> Result<DragEnd, StepError> {
            let p = &params[which];
            let selectors = selectors_of(&p["selectors"]).ok_or_else(|| {
                StepError::new(format!(
                    "the drag's `parameters.{which}.selectors` is not a list of selectors"
                ))
            })?;
            let offset = p["offsetX"].as_f64().zip(p["offsetY"].as_f64());
            Ok((selectors, offset))
        };
        let (from_sel, from_off) = end("from")?;
        let (to_sel, to_off) = end("to")?;
        let from = self
            .wait_for_target(&from_sel, timeout, Mode::Hover)
            .await?;
        let (x0, y0) = self.point(&from, frames, from_off).await?;
        let to = self.wait_for_target(&to_sel, timeout, Mode::InView).await?;
        let (x1, y1) = self.point(&to, frames, to_off).await?;
        self.mouse("mouseMoved", x0, y0, "none", 0, 0).await?;
        self.mouse("mousePressed", x0, y0, "left", 1, 1).await?;
        const MOVES: u32 = 10;
        for i in 1..=MOVES {
            let f = f64::from(i) / f64::from(MOVES);
            let (x, y) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
            self.mouse("mouseMoved", x, y, "left", 1, 0).await?;
            tokio::time::sleep(Duration::from_millis(16)).await;
        }
        self.mouse("mouseReleased", x1, y1, "left", 0, 1).await
    }

    /// Fills a field as Puppeteer's `Locator.fill` does: a select or an input a keyboard
    /// cannot type into (date, color, range, …) gets its value set with `input` and `change`
    /// events; a text field or a contenteditable is typed into, only the missing end when it
    /// already holds the start of the value, else over its selected content.
    async fn change(
        &self,
        selectors: &[Selector],
        value: &str,
        timeout: Duration,
    ) -> Result<(), StepError> {
        let t = self
            .wait_for_target(selectors, timeout, Mode::Actionable)
            .await?;
        let how = self
            .js(FILL_JS, vec![t.element, json!(value)])
            .await
            .map_err(|e| StepError::new(format!("change failed: {e}")))?;
        let typed = match how["action"].as_str() {
            Some("done") => return Ok(()),
            Some("type") => how["text"].as_str().unwrap_or(value).to_string(),
            Some("clear") => {
                return self.press("Backspace").await;
            }
            _ => {
                return Err(StepError::new(
                    "the element cannot be filled in: it is not an input, a select, a textarea or contenteditable",
                ))
            }
        };
        self.type_text(&typed).await
    }

    /// Types text into the focused element, a key press per character (`Input.insertText`
    /// for a character no key types), like Puppeteer's `keyboard.type`.
    async fn type_text(&self, text: &str) -> Result<(), StepError> {
        for c in text.chars() {
            let name = c.to_string();
            let shift = self.modifiers.load(Ordering::SeqCst) & 8 != 0;
            match input::key_definition(&name, shift) {
                Some(k) if !k.code.is_empty() => {
                    self.press(&name).await?;
                }
                _ => {
                    self.page_input("Input.insertText", json!({ "text": name }))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn press(&self, key: &str) -> Result<(), StepError> {
        self.key(key, true).await?;
        self.key(key, false).await
    }

    /// Presses or releases a key; modifiers stay held for later keys and pointer events
    /// until their `keyUp`, as in Puppeteer.
    async fn key(&self, key: &str, down: bool) -> Result<(), StepError> {
        let held = self.modifiers.load(Ordering::SeqCst);
        let k = input::key_definition(key, held & 8 != 0).ok_or_else(|| {
            StepError::new(format!(
                "unknown key `{key}`: expected a key name of Puppeteer's US keyboard layout"
            ))
        })?;
        let bit = input::modifier_bit(&k.key);
        let modifiers = if down { held | bit } else { held & !bit };
        self.modifiers.store(modifiers, Ordering::SeqCst);
        self.page_input(
            "Input.dispatchKeyEvent",
            input::key_event(&k, down, modifiers),
        )
        .await
        .map(|_| ())
        .map_err(|e| StepError::new(format!("key `{key}`: {}", e.message)))
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

    /// The first alternative that yields an element ready for `mode`, scrolled into view
    /// and not moving (see [`Mode`]).
    async fn wait_for_target(
        &self,
        selectors: &[Selector],
        timeout: Duration,
        mode: Mode,
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
                        json!(mode.as_str()),
                        json!(STABLE_WAIT_MS),
                    ],
                )
                .await
            {
                Ok(v) if v["state"] == "ok" => {
                    let element = &v["element"];
                    if element_id(element).is_some() || element["__repriseTarget"] == true {
                        return Ok(Target {
                            element: element.clone(),
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

/// What a step needs of its element before it acts (Puppeteer's locator conditions).
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// `scroll`: rendered (a box), scrolled into view, not moving.
    InView,
    /// `hover`: visible, scrolled into view, not moving.
    Hover,
    /// `click`, `doubleClick`, `change`: visible, enabled, scrolled into view, not moving.
    Actionable,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Self::InView => "inview",
            Self::Hover => "hover",
            Self::Actionable => "actionable",
        }
    }
}

/// One end of a drag: where to find the element, and the recorded offset in it.
type DragEnd = (Vec<Selector>, Option<(f64, f64)>);

/// The `customStep` name of a recorded drag and drop (see docs/recording-format.md).
pub const DRAG_STEP: &str = "reprise:drag";

/// Selector alternatives as the Recorder writes them: strings or chains of strings.
fn selectors_of(v: &Value) -> Option<Vec<Selector>> {
    use crate::recording::SelectorPart;
    v.as_array()?
        .iter()
        .map(|alt| match alt {
            Value::String(s) => Some(Selector::from(SelectorPart::parse(s))),
            Value::Array(chain) => chain
                .iter()
                .map(|p| p.as_str().map(SelectorPart::parse))
                .collect::<Option<Vec<_>>>()
                .map(Selector::new),
            _ => None,
        })
        .collect()
}

/// The content-box origin of child frame `arguments[0]` of this document, in this
/// document's viewport.
const FRAME_ORIGIN_JS: &str = "const w = window.frames[arguments[0]];\
    const f = w && Array.from(document.querySelectorAll('iframe, frame')).find((e) => e.contentWindow === w);\
    if (!f) return null;\
    const r = f.getBoundingClientRect(); const cs = getComputedStyle(f);\
    return [r.left + f.clientLeft + parseFloat(cs.paddingLeft || '0'), r.top + f.clientTop + parseFloat(cs.paddingTop || '0')];";

/// Decides how to fill a field and prepares it: `done` (a value set directly, or already
/// there), `type` with the text to type (the caret at the end of what stays, or the old
/// content selected so typing replaces it), `clear` (select all: one Backspace empties it),
/// or `unknown`.
const FILL_JS: &str = "const [el, v] = arguments;\
    const TYPEABLE = ['textarea', 'text', 'url', 'tel', 'search', 'password', 'number', 'email'];\
    const fire = () => { el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); };\
    if (el instanceof HTMLSelectElement) {\
      for (const o of el.options) o.selected = o.value === v;\
      if (!el.multiple && el.value !== v) el.value = v;\
      fire(); return { action: 'done' };\
    }\
    const editable = !(el instanceof HTMLInputElement) && !(el instanceof HTMLTextAreaElement) && el.isContentEditable;\
    const typeable = el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && TYPEABLE.includes(el.type));\
    if (el instanceof HTMLInputElement && !typeable) { el.focus(); el.value = v; fire(); return { action: 'done' }; }\
    if (!typeable && !editable) return { action: 'unknown' };\
    const current = editable ? el.innerText : el.value;\
    el.focus();\
    if (current === v) return { action: 'done' };\
    if (v.startsWith(current)) {\
      if (editable) { const r = document.createRange(); r.selectNodeContents(el); r.collapse(false); const s = getSelection(); s.removeAllRanges(); s.addRange(r); }\
      else { el.value = ''; el.value = current; }\
      return { action: 'type', text: v.slice(current.length) };\
    }\
    if (editable) { const r = document.createRange(); r.selectNodeContents(el); const s = getSelection(); s.removeAllRanges(); s.addRange(r); }\
    else if (el.select) el.select();\
    return v === '' ? { action: 'clear' } : { action: 'type', text: v };";

/// When nothing asynchronous is outstanding in the page (no request, no short real timer, no
/// image or font loading), nothing can move an element between two measurements: animations
/// and transitions are off, and `requestAnimationFrame` and longer timers run on the virtual
/// clock, which stands still during the check. Otherwise the box is measured again after
/// this long (real ms, a rendering frame or two) and must be the same.
const STABLE_WAIT_MS: u64 = 25;

/// Finds the first alternative with an element, checks it is ready for the step's mode
/// (`arguments[1]`), scrolls it to the centre of the view and checks it is not moving. One
/// round trip: the stability check (Puppeteer's box compared across frames) waits inside the
/// page instead of between two polls, which cost a 40 ms pause and a second script on every
/// click.
const TARGET_JS: &str = "const [sels, mode, waitMs] = arguments; const done = arguments[arguments.length - 1];\
    const r = __reprisePage.find(sels);\
    if (!r) return done({ state: 'missing' });\
    const why = __reprisePage.notActionable(r.element, mode);\
    if (why) return done({ state: why, index: r.index });\
    r.element.scrollIntoView({ block: 'center', inline: 'center' });\
    const first = __reprisePage.rect(r.element);\
    const ok = (rect) => done({ state: 'ok', element: r.element, rect, index: r.index });\
    const s = window.__repriseShim;\
    const idle = s && !s.state.pending && !s.state.timers\
      && (!document.fonts || document.fonts.status === 'loaded')\
      && Array.from(document.images).every((i) => i.complete);\
    if (idle) return ok(first);\
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
