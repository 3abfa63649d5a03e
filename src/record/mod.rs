//! Recording a session: a real Chromium the person (or a test, through WebDriver) uses, with
//! a script in every document that reports actions through a CDP binding
//! (`Runtime.addBinding` → `Runtime.bindingCalled`), so nothing depends on polling the page,
//! and every request captured by `capture` while it is answered.
//!
//! The result is what a suite holds: Chrome Recorder JSON (written through
//! `recording::to_recorder_json` after validating it with the same parser replay uses) and a
//! HAR that `mock::har` serves. This module never prints: it sends [`Notice`]s, and the CLI
//! decides what the person sees.

pub mod assemble;
pub mod batch;
mod capture;
pub mod har;
pub mod snippet;
pub mod steps;

use crate::browser::cdp::{self, Cdp, CdpEvent};
use crate::browser::driver::{self, Chromedriver, DriverError, LaunchOptions};
use capture::NetCapture;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use steps::{NavigationCause, StepLog};
use tokio::sync::{mpsc, watch};

/// The replay's helpers: the recorder checks each selector it writes with the very resolver
/// replay uses, so a recorded selector always finds its element.
const PAGE_JS: &str = include_str!("../browser/page.js");
const RECORDER_JS: &str = include_str!("recorder.js");
const BINDING: &str = "__repriseRecord";

/// What typed secrets become, in the recording and in the HAR alike, so that replaying the
/// masked `change` sends exactly the masked request body that was recorded.
pub const MASK: &str = "redacted-secret";

/// What to record and how.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    pub url: url::Url,
    pub title: String,
    pub headed: bool,
    /// Serve the app from this folder at the URL's origin instead of the live server.
    pub app_dir: Option<PathBuf>,
    /// Answer the backend from this HAR instead of the live backend.
    pub mocks: Option<PathBuf>,
    pub keep_assets: bool,
    pub test_id_attribute: String,
    pub privacy_selectors: Vec<String>,
    pub checkpoint_every: Option<usize>,
    /// The key that, with Ctrl+Shift, takes a checkpoint.
    pub checkpoint_key: char,
    /// Where uploaded files go, relative to the recordings folder (`NAME.files`).
    pub files_dir: String,
}

/// What the recorder tells the person while it runs.
#[derive(Debug, Clone)]
pub enum Notice {
    /// The browser is ready: where a WebDriver client can attach to drive it.
    Driving { webdriver: String, session: String },
    /// A step was recorded (its number and a short description).
    Step(usize, String),
}

/// Why the end of recording came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The person asked (Enter, Ctrl-C).
    Asked,
    /// The browser window was closed.
    WindowClosed,
}

/// A finished recording, ready to be written.
#[derive(Debug)]
pub struct Recorded {
    /// Chrome Recorder JSON with reprise's extensions.
    pub recording: Value,
    pub har: Value,
    pub steps: usize,
    pub exchanges: usize,
    pub secrets_masked: usize,
    /// Requests the `--mocks` HAR could not answer (they went to the network).
    pub unanswered: Vec<String>,
    pub ended: Ended,
    /// Files picked in file inputs, to be written beside the recording (paths relative to
    /// the recordings folder, as the steps refer to them).
    pub files: Vec<steps::UploadedFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Driver(#[from] DriverError),
    #[error("cannot prepare the recording browser: {0}")]
    Browser(String),
    #[error(transparent)]
    Mocks(#[from] crate::mock::har::HarError),
    #[error("cannot open `{url}` in the recording browser: {message}")]
    Open { url: String, message: String },
    #[error("the recording is not valid: {0}")]
    Invalid(String),
}

impl RecordError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Driver(d) => d.hint(),
            Self::Browser(_) => Some("check that Chromium starts: `chromium --headless=new --dump-dom about:blank`".into()),
            Self::Mocks(_) => Some("pass a HAR 1.2 file with response bodies, such as one in `mocks/`".into()),
            Self::Open { .. } => Some("check that the app is running at that URL, or serve it with `--app-dir DIR` (and its backend with `--mocks FILE.har`)".into()),
            Self::Invalid(_) => Some("this is a bug in reprise's recorder; please report it with the page you recorded".into()),
        }
    }
}

/// One message of the recorder script, with the target it came from and when.
struct Message {
    session: Option<String>,
    payload: Value,
    at_ms: u64,
}

/// Records until `stop` resolves or the window is closed.
pub async fn record(
    opts: RecordOptions,
    notices: mpsc::UnboundedSender<Notice>,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Recorded, RecordError> {
    let origin = opts.url.origin().ascii_serialization();
    // `--mocks`: reprise's own mock server, so recording answers exactly as replay will.
    let backend = match &opts.mocks {
        Some(path) => {
            let exchanges = crate::mock::har::load_har(path)?;
            Some(crate::mock::MockBackend::start(exchanges).await)
        }
        None => None,
    };
    // The full browser, even headless: recording is a person's session, in the browser a
    // person uses. (On the headless shell a recording test once recorded a `hover` that a
    // ticking clock had caused; the recorder now ignores changes of text alone.)
    let chromium = driver::find_chromium(false)?;
    let chromedriver = Chromedriver::start().await?;
    let mut caps = driver::capabilities(&LaunchOptions {
        chromium: Some(&chromium),
        sink_port: 0,
        headed: opts.headed,
        window: (1280, 800),
    });
    // Recording talks to the live app: no loopback backstop; and a person wants scrollbars.
    if let Some(args) = caps
        .get_mut("goog:chromeOptions")
        .and_then(|o| o.get_mut("args"))
        .and_then(Value::as_array_mut)
    {
        args.retain(|a| {
            a.as_str().is_some_and(|a| {
                !a.starts_with("--host-resolver-rules") && a != "--hide-scrollbars"
            })
        });
    }
    let (client, devtools) = driver::open_session(chromedriver.url(), caps).await?;
    let result = drive(
        &opts,
        &client,
        devtools,
        &origin,
        backend.as_ref(),
        &chromedriver,
        notices,
        stop,
    )
    .await;
    let _ = client.clone().close().await;
    drop(chromedriver);
    result
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are all owned by `record`"
)]
async fn drive(
    opts: &RecordOptions,
    client: &fantoccini::Client,
    devtools: driver::DevTools,
    origin: &str,
    backend: Option<&crate::mock::MockBackend>,
    chromedriver: &Chromedriver,
    notices: mpsc::UnboundedSender<Notice>,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Recorded, RecordError> {
    let browser_err = |e: String| RecordError::Browser(e);
    let ws = match devtools {
        driver::DevTools::Websocket(ws) => ws,
        driver::DevTools::Address(addr) => cdp::browser_ws_url(&addr)
            .await
            .map_err(|e| browser_err(e.to_string()))?,
    };
    let (cdp, events) = Cdp::connect(&ws)
        .await
        .map_err(|e| browser_err(e.to_string()))?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| browser_err(e.to_string()))?;
    let net = Arc::new(NetCapture::new(
        cdp.clone(),
        origin.to_string(),
        opts.app_dir.clone(),
        backend.map(|b| b.uri()),
        opts.keep_assets,
        http,
    ));
    let config = json!({
        "testIdAttribute": opts.test_id_attribute,
        "privacySelectors": opts.privacy_selectors,
        "mask": MASK,
        "checkpointKey": opts.checkpoint_key.to_ascii_uppercase().to_string(),
    });
    let script = format!("window.__repriseRecorderConfig = {config};\n{PAGE_JS}\n{RECORDER_JS}");
    let started = Instant::now();
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel::<Message>();
    let (closed_tx, mut closed_rx) = watch::channel(false);
    let main_session: Arc<Mutex<Option<String>>> = Arc::default();
    // Sessions of top-level pages other than the recorded one: popups and new tabs.
    let pages: Arc<Mutex<std::collections::HashSet<String>>> = Arc::default();
    let main_target: Arc<Mutex<Option<String>>> = Arc::default();
    let setup = Arc::new(TargetSetup {
        cdp: cdp.clone(),
        script,
    });
    let event_task = tokio::spawn(event_loop(
        events,
        net.clone(),
        setup.clone(),
        msg_tx,
        closed_tx,
        main_session.clone(),
        pages.clone(),
        main_target.clone(),
        started,
    ));

    // Attach to the page chromedriver drives; its window handle is the CDP target id.
    let handle = client
        .window()
        .await
        .map_err(|e| browser_err(e.to_string()))?;
    let target: String = handle.into();
    *main_target.lock().unwrap_or_else(|p| p.into_inner()) = Some(target.clone());
    let attached = cdp
        .send(
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
            None,
        )
        .await
        .map_err(|e| browser_err(e.to_string()))?;
    let session = attached["sessionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    *main_session.lock().unwrap_or_else(|p| p.into_inner()) = Some(session.clone());
    setup.prepare(&session, "page").await;
    // Popups and new tabs are not children of the page: attach to every new page at the
    // browser level, paused before its first request until it is prepared like the first.
    let _ = cdp
        .send(
            "Target.setAutoAttach",
            json!({ "autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true,
                    "filter": [{ "type": "page", "exclude": false }] }),
            None,
        )
        .await;

    // The environment the person sees, kept so replay reproduces it.
    let env = client
        .execute(
            "const o = Intl.DateTimeFormat().resolvedOptions(); \
             return [innerWidth, innerHeight, devicePixelRatio, o.timeZone, navigator.language || o.locale];",
            vec![],
        )
        .await
        .map_err(|e| browser_err(e.to_string()))?;
    let viewport = (
        env[0].as_u64().unwrap_or(1280) as u32,
        env[1].as_u64().unwrap_or(800) as u32,
        env[2].as_f64().unwrap_or(1.0),
    );
    let timezone = env[3].as_str().unwrap_or("UTC").to_string();
    let locale = env[4].as_str().unwrap_or("en-US").to_string();
    let start_ms = capture::now_ms();
    let log = Arc::new(Mutex::new(StepLog::new(
        opts.url.as_str(),
        viewport,
        opts.checkpoint_every,
    )));

    // Messages are applied in order by one task, which may ask the browser how a document
    // was reached without holding up request interception.
    let step_task = {
        let log = log.clone();
        let cdp = cdp.clone();
        let notices = notices.clone();
        let main_session = main_session.clone();
        let pages = pages.clone();
        tokio::spawn(async move {
            // The current URL of each popup, which is how the Recorder's `target` names it.
            let mut popup_urls: std::collections::HashMap<String, String> = Default::default();
            while let Some(mut m) = msg_rx.recv().await {
                let main = main_session
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                let popup = m.session.as_ref().filter(|s| {
                    Some(*s) != main.as_ref()
                        && pages.lock().unwrap_or_else(|p| p.into_inner()).contains(*s)
                });
                if let Some(popup) = popup {
                    match m.payload["t"].as_str() {
                        Some("page") => {
                            if let Some(url) = m.payload["url"].as_str() {
                                popup_urls.insert(popup.clone(), url.to_string());
                            }
                            continue;
                        }
                        Some("viewport") => continue,
                        Some("step") => {
                            if let Some(url) = popup_urls.get(popup) {
                                m.payload["target"] = Value::String(url.clone());
                            }
                        }
                        _ => {}
                    }
                }
                let cause = if m.payload["t"] == "page" {
                    navigation_cause(&cdp, m.session.as_deref()).await
                } else {
                    NavigationCause::Person
                };
                let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                let before = log.steps().len();
                log.on_message(&m.payload, m.at_ms, cause);
                for (i, s) in log.steps().iter().enumerate().skip(before) {
                    let _ = notices.send(Notice::Step(i + 1, describe(s)));
                }
            }
        })
    };

    let session_id = client.session_id().await.ok().flatten().unwrap_or_default();
    let _ = notices.send(Notice::Driving {
        webdriver: chromedriver.url().to_string(),
        session: session_id,
    });
    client
        .goto(opts.url.as_str())
        .await
        .map_err(|e| RecordError::Open {
            url: opts.url.to_string(),
            message: e.to_string(),
        })?;

    let ended = tokio::select! {
        _ = stop => Ended::Asked,
        _ = closed_rx.wait_for(|c| *c) => Ended::WindowClosed,
    };
    if ended == Ended::Asked {
        // What is being typed has not become a step yet.
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            cdp.send(
                "Runtime.evaluate",
                json!({ "expression": "window.__repriseRecorder && window.__repriseRecorder.flush()" }),
                Some(&session),
            ),
        )
        .await;
    }
    // Let the last messages and answers arrive.
    let deadline = Instant::now() + Duration::from_secs(3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    while net.in_flight() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    event_task.abort();
    let _ = tokio::time::timeout(Duration::from_secs(2), step_task).await;

    let mut log = std::mem::take(&mut *log.lock().unwrap_or_else(|p| p.into_inner()));
    let files = log.take_files(&opts.files_dir);
    let secrets = log.secrets().to_vec();
    let steps = log.scrubbed_steps(MASK);
    let doc = json!({
        "title": opts.title,
        "selectorAttribute": opts.test_id_attribute,
        "reprise": {
            "startTime": start_ms,
            "timezone": timezone,
            "locale": locale,
        },
        "steps": steps,
    });
    let parsed = crate::recording::parse_recording_value(&doc)
        .map_err(|e| RecordError::Invalid(e.to_string()))?;
    let mut recording = crate::recording::to_recorder_json(&parsed);
    if let Some(meta) = recording.get_mut("reprise").and_then(Value::as_object_mut) {
        // Informational: replay takes the viewport from the first `setViewport` step.
        meta.insert(
            "viewport".into(),
            json!({ "width": viewport.0, "height": viewport.1, "deviceScaleFactor": viewport.2 }),
        );
    }
    let entries = net.take_entries();
    let har = har::to_har(&entries, &secrets, MASK);
    let unanswered = std::mem::take(&mut *net.unanswered.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(Recorded {
        steps: parsed.steps.len(),
        recording,
        har,
        exchanges: entries.len(),
        secrets_masked: secrets.len(),
        unanswered,
        ended,
        files,
    })
}

/// What each new target gets before it runs: interception, the binding and the script.
struct TargetSetup {
    cdp: Cdp,
    script: String,
}

impl TargetSetup {
    async fn prepare(&self, session: &str, kind: &str) {
        let s = Some(session);
        let _ = self
            .cdp
            .send(
                "Fetch.enable",
                json!({ "patterns": [
                    { "urlPattern": "*", "requestStage": "Request" },
                    { "urlPattern": "*", "requestStage": "Response" },
                ] }),
                s,
            )
            .await;
        if kind == "page" || kind == "iframe" {
            let _ = self
                .cdp
                .send("Runtime.addBinding", json!({ "name": BINDING }), s)
                .await;
            let _ = self.cdp.send("Page.enable", json!({}), s).await;
            let _ = self
                .cdp
                .send(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": self.script }),
                    s,
                )
                .await;
            let _ = self.cdp.send("Runtime.enable", json!({}), s).await;
        }
        self.cdp.follow_children_and_resume(s).await;
        if kind == "page" {
            // A page that was paused before its first document (a popup) does not always
            // get a binding added while paused; adding it again once it runs is harmless.
            let _ = self
                .cdp
                .send("Runtime.addBinding", json!({ "name": BINDING }), s)
                .await;
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are all owned by `drive`"
)]
async fn event_loop(
    mut events: mpsc::UnboundedReceiver<CdpEvent>,
    net: Arc<NetCapture>,
    setup: Arc<TargetSetup>,
    messages: mpsc::UnboundedSender<Message>,
    closed: watch::Sender<bool>,
    main_session: Arc<Mutex<Option<String>>>,
    pages: Arc<Mutex<std::collections::HashSet<String>>>,
    main_target: Arc<Mutex<Option<String>>>,
    started: Instant,
) {
    while let Some(ev) = events.recv().await {
        match ev.method.as_str() {
            "Fetch.requestPaused" => {
                let net = net.clone();
                tokio::spawn(async move { net.handle(ev.params, ev.session_id).await });
            }
            "Target.attachedToTarget" => {
                let setup = setup.clone();
                let main = main_target
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                let is_main = main.is_some()
                    && ev.params["targetInfo"]["targetId"].as_str() == main.as_deref();
                if is_main {
                    // Prepared when it was attached; the browser-level auto-attach attaches
                    // it again, and that second session is not used.
                    continue;
                }
                if ev.params["targetInfo"]["type"] == "page" {
                    if let Some(s) = ev.params["sessionId"].as_str() {
                        pages
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(s.to_string());
                    }
                }
                tokio::spawn(async move {
                    let session = ev.params["sessionId"].as_str().unwrap_or_default();
                    let kind = ev.params["targetInfo"]["type"].as_str().unwrap_or("");
                    setup.prepare(session, kind).await;
                });
            }
            "Runtime.bindingCalled" if ev.params["name"] == BINDING => {
                let payload = ev.params["payload"]
                    .as_str()
                    .and_then(|p| serde_json::from_str::<Value>(p).ok());
                if let Some(payload) = payload {
                    let _ = messages.send(Message {
                        session: ev.session_id,
                        payload,
                        at_ms: started.elapsed().as_millis() as u64,
                    });
                }
            }
            // A popup's first page reuses the window of its initial about:blank, and Chromium
            // does not run the new-document script there: run it when that page commits.
            "Page.frameNavigated"
                if ev.params["frame"]["parentId"].is_null()
                    && ev.session_id.as_ref().is_some_and(|s| {
                        pages.lock().unwrap_or_else(|p| p.into_inner()).contains(s)
                    }) =>
            {
                let setup = setup.clone();
                tokio::spawn(async move {
                    let _ = setup
                        .cdp
                        .send(
                            "Runtime.evaluate",
                            json!({ "expression": setup.script }),
                            ev.session_id.as_deref(),
                        )
                        .await;
                });
            }
            "Target.detachedFromTarget" => {
                let main = main_session
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                if main.is_some() && ev.params["sessionId"].as_str() == main.as_deref() {
                    let _ = closed.send(true);
                }
            }
            _ => {}
        }
    }
    // The connection is gone: the browser was closed.
    let _ = closed.send(true);
}

/// Asks the browser how the current document of a target was reached.
async fn navigation_cause(cdp: &Cdp, session: Option<&str>) -> NavigationCause {
    let history = cdp
        .send("Page.getNavigationHistory", json!({}), session)
        .await
        .unwrap_or(Value::Null);
    let idx = history["currentIndex"].as_u64().unwrap_or(0) as usize;
    let transition = history["entries"][idx]["transitionType"]
        .as_str()
        .unwrap_or("typed");
    NavigationCause::from_transition(transition)
}

/// A one-line description of a recorded step, for the person watching the terminal.
pub fn describe(step: &Value) -> String {
    let kind = step["type"].as_str().unwrap_or("?");
    let first = step["selectors"][0][0].as_str().unwrap_or("");
    match kind {
        "navigate" => format!("navigate {}", step["url"].as_str().unwrap_or("")),
        "setViewport" => format!("setViewport {}x{}", step["width"], step["height"]),
        "change" if step["reprise"]["files"].is_array() => {
            format!("upload {first} ({})", step["value"])
        }
        "change" => format!("change {first} = {}", step["value"]),
        "keyDown" | "keyUp" => format!("{kind} {}", step["key"].as_str().unwrap_or("")),
        "customStep" if step["name"] == "reprise:drag" => format!(
            "drag {} to {}",
            step["parameters"]["from"]["selectors"][0][0]
                .as_str()
                .unwrap_or(""),
            step["parameters"]["to"]["selectors"][0][0]
                .as_str()
                .unwrap_or("")
        ),
        "scroll" => format!("scroll {first} to {},{}", step["x"], step["y"]),
        "customStep" => format!(
            "checkpoint {}",
            step["parameters"]["name"].as_str().unwrap_or("")
        ),
        _ => format!("{kind} {first}"),
    }
}
