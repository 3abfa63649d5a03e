//! Request interception: every request of every target (page, iframes, workers, popups) is
//! paused by CDP `Fetch` and answered by reprise, so nothing reaches the real network.
//!
//! App assets (the app's origin, document/script/style/image/font/media) come from the build
//! under test; everything else is forwarded to the session's wiremock backend, which answers
//! from the HAR or says it has no match, in which case the request fails in the page. Each
//! paused request is handled in its own task: answering inline would stall the event loop
//! behind one slow asset.

use super::cdp::{Cdp, CdpEvent};
use crate::mock::{ORIGINAL_URL_HEADER, UNMATCHED_HEADER};
use base64::Engine as _;
use serde_json::{json, Value};
use std::path::{Component, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Where the build under test comes from.
#[derive(Debug, Clone)]
pub enum AppSource {
    /// A folder served at the app's origin.
    Dir(PathBuf),
    /// A running server whose assets are fetched and served at the app's origin.
    Url(url::Url),
}

/// Counters and journals the runner reads to settle pages and to score the session.
#[derive(Default)]
pub struct NetworkLog {
    in_flight: AtomicUsize,
    pub app_served: AtomicUsize,
    /// Console errors and uncaught exceptions, with the step they happened in.
    pub console_errors: Mutex<Vec<(usize, String)>>,
    /// The step the replay is at.
    pub step: AtomicUsize,
    /// Sessions of attached page/iframe targets, with the id of their determinism script.
    documents: Mutex<Vec<(String, Option<String>)>>,
    /// Page targets (the main page, popups) by target id, with their CDP session.
    pages: Mutex<Vec<(String, String)>>,
    /// Stylesheets by id, with their URL (`CSS.styleSheetAdded`, while coverage is on).
    pub stylesheets: Mutex<std::collections::BTreeMap<String, String>>,
    /// The main page's frame id (its target id) and whether it is loading a new document.
    navigation: Mutex<Navigation>,
    /// The origins of the documents the session loaded (main page, iframes, popups): what
    /// it may have stored something for (see [`Browser::recycle`](super::Browser)). At most
    /// [`MAX_DOCUMENT_ORIGINS`]; more only ever means "more than one".
    document_origins: Mutex<std::collections::BTreeSet<String>>,
}

const MAX_DOCUMENT_ORIGINS: usize = 8;

/// What the main frame's `Page` events say about a navigation in progress.
#[derive(Default)]
struct Navigation {
    main_frame: String,
    /// Between `frameStartedLoading` and `frameStoppedLoading`.
    loading: bool,
    /// When the page asked for a navigation in its own tab that has not started loading yet.
    requested: Option<std::time::Instant>,
}

/// How long a requested navigation that never starts loading (cancelled, a download, a
/// 204 answer) counts as pending.
const REQUESTED_NAVIGATION_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl NetworkLog {
    /// The origins of the documents loaded so far, sorted.
    pub fn document_origins(&self) -> Vec<String> {
        self.document_origins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The DevTools session of the main page (the first document attached).
    pub fn main_session(&self) -> Option<String> {
        self.documents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first()
            .map(|(s, _)| s.clone())
    }

    /// The targets of the pages other than `main` (popups, new tabs) the session attached.
    pub fn other_pages(&self, main: &str) -> usize {
        self.pages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(id, _)| id != main)
            .count()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    fn lock_navigation(&self) -> std::sync::MutexGuard<'_, Navigation> {
        self.navigation.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the main page is loading a new document, or has asked for one: a script run
    /// now could see the document the page is leaving.
    pub fn navigation_pending(&self) -> bool {
        let n = self.lock_navigation();
        n.loading
            || n.requested
                .is_some_and(|at| at.elapsed() < REQUESTED_NAVIGATION_TTL)
    }

    /// Follows the main frame's navigation events (`Page` domain, main page session).
    fn on_page_event(&self, method: &str, params: &Value) {
        let mut n = self.lock_navigation();
        if n.main_frame.is_empty() || params["frameId"].as_str() != Some(n.main_frame.as_str()) {
            return;
        }
        match method {
            "Page.frameRequestedNavigation" if params["disposition"] == "currentTab" => {
                n.requested = Some(std::time::Instant::now());
            }
            "Page.frameStartedLoading" => {
                n.loading = true;
                n.requested = None;
            }
            "Page.frameStoppedLoading" => {
                n.loading = false;
                n.requested = None;
            }
            _ => {}
        }
    }
}

pub struct Interceptor {
    pub cdp: Cdp,
    pub app_origin: String,
    pub app: AppSource,
    pub backend: String,
    pub http: reqwest::Client,
    pub log: Arc<NetworkLog>,
    /// The determinism script, as it stands now (its clock moves per step).
    pub script: Mutex<String>,
    /// Emulation commands a new page (a popup) gets before it runs: the main page's device,
    /// timezone and locale, by method.
    pub new_pages: Mutex<Vec<(String, Value)>>,
}

/// Whether a paused request (`Fetch.requestPaused` parameters) reads one of the app's own
/// assets: a GET or HEAD of an asset type on the app's origin. Replay serves those from the
/// build under test; recording leaves them out of the HAR.
pub fn is_app_asset(params: &Value, app_origin: &str) -> bool {
    let method = params["request"]["method"].as_str().unwrap_or("GET");
    let kind = params["resourceType"].as_str().unwrap_or("Other");
    url::Url::parse(params["request"]["url"].as_str().unwrap_or_default())
        .is_ok_and(|u| u.origin().ascii_serialization() == app_origin)
        && ASSET_TYPES.contains(&kind)
        && (method == "GET" || method == "HEAD")
}

/// Resource types served from the build under test when they are for the app's origin.
pub const ASSET_TYPES: &[&str] = &[
    "Document",
    "Stylesheet",
    "Image",
    "Media",
    "Font",
    "Script",
    "TextTrack",
    "Manifest",
    "Other",
];

impl Interceptor {
    /// Starts handling events; auto-attach must be enabled by the caller afterwards.
    pub fn spawn(
        self: Arc<Self>,
        mut events: mpsc::UnboundedReceiver<CdpEvent>,
    ) -> tokio::task::JoinHandle<()> {
        // Backend requests are answered one at a time in the order the browser made them:
        // the Nth identical request must get the Nth recorded answer, and parallel hops to
        // the mock server could overtake each other. Answers come from memory, so this is
        // cheap; app assets stay parallel.
        let (backend_tx, mut backend_rx) = mpsc::unbounded_channel::<(Value, Option<String>)>();
        let backend = self.clone();
        tokio::spawn(async move {
            while let Some((params, session)) = backend_rx.recv().await {
                backend.handle_request(params, session).await;
                backend.log.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
        });
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                let me = self.clone();
                match ev.method.as_str() {
                    "Fetch.requestPaused" => {
                        me.log.in_flight.fetch_add(1, Ordering::SeqCst);
                        if me.is_app_request(&ev.params) {
                            tokio::spawn(async move {
                                me.handle_request(ev.params, ev.session_id).await;
                                me.log.in_flight.fetch_sub(1, Ordering::SeqCst);
                            });
                        } else {
                            let _ = backend_tx.send((ev.params, ev.session_id));
                        }
                    }
                    "Page.frameRequestedNavigation"
                    | "Page.frameStartedLoading"
                    | "Page.frameStoppedLoading" => me.log.on_page_event(&ev.method, &ev.params),
                    "Target.attachedToTarget" => {
                        let mut params = ev.params;
                        params["parentSession"] = json!(ev.session_id);
                        tokio::spawn(async move { me.setup_target(params).await });
                    }
                    "Target.detachedFromTarget" => {
                        if let Some(s) = ev.params["sessionId"].as_str() {
                            me.log
                                .documents
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .retain(|(id, _)| id != s);
                        }
                    }
                    "CSS.styleSheetAdded" => {
                        let h = &ev.params["header"];
                        if let Some(id) = h["styleSheetId"].as_str() {
                            let url = h["sourceURL"].as_str().unwrap_or("").to_string();
                            let mut sheets =
                                me.log.stylesheets.lock().unwrap_or_else(|p| p.into_inner());
                            if sheets.len() < 100_000 {
                                sheets.insert(id.to_string(), url);
                            }
                        }
                    }
                    "Runtime.exceptionThrown" => {
                        let d = &ev.params["exceptionDetails"];
                        let text = d["exception"]["description"]
                            .as_str()
                            .or_else(|| d["text"].as_str())
                            .unwrap_or("uncaught exception");
                        me.push_console(format!("uncaught: {}", first_line(text)));
                    }
                    "Runtime.consoleAPICalled" if ev.params["type"] == "error" => {
                        let args: Vec<String> = ev.params["args"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|x| {
                                        x["value"]
                                            .as_str()
                                            .map(str::to_string)
                                            .or_else(|| {
                                                x["description"].as_str().map(str::to_string)
                                            })
                                            .unwrap_or_else(|| x["value"].to_string())
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        me.push_console(first_line(&args.join(" ")).to_string());
                    }
                    _ => {}
                }
            }
        })
    }

    fn push_console(&self, s: String) {
        let step = self.log.step.load(Ordering::SeqCst);
        self.log
            .console_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((step, s));
    }

    /// Attaches to the page chromedriver drives (its window handle is the CDP target id) and
    /// intercepts it; its iframes and workers follow through auto-attach.
    pub async fn attach_page(&self, target_id: &str) -> Result<(), super::cdp::CdpError> {
        // A page's main frame has its target's id.
        self.log.lock_navigation().main_frame = target_id.to_string();
        let v = self
            .cdp
            .send(
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
                None,
            )
            .await?;
        let session = v["sessionId"].as_str().unwrap_or_default().to_string();
        self.setup_target(json!({ "sessionId": session, "explicit": true, "targetInfo": { "type": "page", "targetId": target_id } }))
            .await;
        // The attach event may have started the same set-up first: wait until it is done.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let ready = self
                .log
                .documents
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .any(|(s, id)| *s == session && id.is_some());
            if ready {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Err(super::cdp::CdpError::Timeout(
            "Page.addScriptToEvaluateOnNewDocument".into(),
        ))
    }

    /// Intercepts a newly attached target before it runs (it waits for the debugger).
    async fn setup_target(&self, params: Value) {
        let Some(session) = params["sessionId"].as_str() else {
            return;
        };
        let kind = params["targetInfo"]["type"].as_str().unwrap_or("");
        let s = Some(session);
        // The browser-wide auto-attach also reports pages that were open before it (the
        // driver's first tab, this session's own tab again, which `attach_page` sets up):
        // those are left alone. A popup waits for the debugger until it is set up.
        let explicit = params["explicit"] == true;
        let popup = kind == "page" && !explicit && params["waitingForDebugger"] == true;
        if kind == "page" && !explicit && !popup && ev_is_top_level(&params) {
            return;
        }
        if kind == "page" {
            if let Some(id) = params["targetInfo"]["targetId"].as_str() {
                self.log
                    .pages
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((id.to_string(), session.to_string()));
            }
        }
        if popup {
            self.setup_popup(session).await;
            return;
        }
        let _ = self
            .cdp
            .send(
                "Fetch.enable",
                json!({ "patterns": [{ "urlPattern": "*", "requestStage": "Request" }] }),
                s,
            )
            .await;
        if kind == "page" || kind == "iframe" {
            {
                // The event for an explicit attach repeats the set-up `attach_page` does.
                let mut docs = self.log.documents.lock().unwrap_or_else(|p| p.into_inner());
                if docs.iter().any(|(s, _)| s == session) {
                    return;
                }
                docs.push((session.to_string(), None));
            }
            let _ = self.cdp.send("Page.enable", json!({}), s).await;
            let source = self
                .script
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let id = self
                .cdp
                .send(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": source }),
                    s,
                )
                .await
                .ok()
                .and_then(|v| v["identifier"].as_str().map(str::to_string));
            let _ = self.cdp.send("Runtime.enable", json!({}), s).await;
            if let Some(entry) = self
                .log
                .documents
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter_mut()
                .find(|(s, _)| s == session)
            {
                entry.1 = id;
            }
        }
        self.cdp.follow_children_and_resume(s).await;
    }

    /// Sets up a new page (a popup, a new tab) that waits for the debugger. Its commands are
    /// sent in order without waiting for each answer: a tab opened by a `target=_blank` link
    /// answers the commands its renderer handles only once it runs, so waiting for them
    /// before letting it run would stall until they time out.
    async fn setup_popup(&self, session: &str) {
        self.log
            .documents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((session.to_string(), None));
        let source = self
            .script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut commands = vec![
            (
                "Fetch.enable".to_string(),
                json!({ "patterns": [{ "urlPattern": "*", "requestStage": "Request" }] }),
            ),
            ("Page.enable".to_string(), json!({})),
            (
                "Page.addScriptToEvaluateOnNewDocument".to_string(),
                json!({ "source": source }),
            ),
            ("Runtime.enable".to_string(), json!({})),
        ];
        commands.extend(
            self.new_pages
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned(),
        );
        commands.push((
            "Target.setAutoAttach".to_string(),
            json!({ "autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true }),
        ));
        commands.push(("Runtime.runIfWaitingForDebugger".to_string(), json!({})));
        let answers = futures_util::future::join_all(
            commands
                .iter()
                .map(|(method, params)| self.cdp.send(method, params.clone(), Some(session))),
        )
        .await;
        let id = answers
            .get(2)
            .and_then(|a| a.as_ref().ok())
            .and_then(|v| v["identifier"].as_str().map(str::to_string));
        if let Some(entry) = self
            .log
            .documents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter_mut()
            .find(|(s, _)| s == session)
        {
            entry.1 = id;
        }
    }

    /// Replaces the determinism script in every attached document target, for documents
    /// created from now on (the clock moved).
    pub async fn update_script(&self, source: String) {
        *self.script.lock().unwrap_or_else(|p| p.into_inner()) = source.clone();
        let docs = self
            .log
            .documents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for (session, old) in docs {
            let s = Some(session.as_str());
            if let Some(old) = old {
                let _ = self
                    .cdp
                    .send(
                        "Page.removeScriptToEvaluateOnNewDocument",
                        json!({ "identifier": old }),
                        s,
                    )
                    .await;
            }
            let id = self
                .cdp
                .send(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": source }),
                    s,
                )
                .await
                .ok()
                .and_then(|v| v["identifier"].as_str().map(str::to_string));
            let mut docs = self.log.documents.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = docs.iter_mut().find(|(id, _)| *id == session) {
                entry.1 = id;
            }
        }
    }

    /// Remembers an emulation command for pages opened from now on (popups).
    pub fn for_new_pages(&self, method: &str, params: Value) {
        let mut commands = self.new_pages.lock().unwrap_or_else(|p| p.into_inner());
        commands.retain(|(m, _)| m != method);
        commands.push((method.to_string(), params));
    }

    /// Sends a command to a page target by its id (a popup's window handle), or to the main
    /// page for `None`.
    pub async fn target_command(
        &self,
        target: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, super::cdp::CdpError> {
        let Some(target) = target else {
            return self.page_command(method, params).await;
        };
        let session = self
            .log
            .pages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .rev()
            .find(|(t, _)| t == target)
            .map(|(_, s)| s.clone());
        match session {
            Some(s) => self.cdp.send(method, params, Some(&s)).await,
            None => Err(super::cdp::CdpError::Command {
                method: method.to_string(),
                message: format!("the page `{target}` is not attached"),
            }),
        }
    }

    /// Sends a command to the main page target (the first document attached).
    pub async fn page_command(
        &self,
        method: &str,
        params: Value,
    ) -> Result<Value, super::cdp::CdpError> {
        let page = self.log.main_session();
        self.cdp.send(method, params, page.as_deref()).await
    }

    /// Whether a paused request is for the build under test rather than the backend.
    fn is_app_request(&self, params: &Value) -> bool {
        is_app_asset(params, &self.app_origin)
    }

    async fn handle_request(&self, params: Value, session: Option<String>) {
        let id = params["requestId"].as_str().unwrap_or_default().to_string();
        let s = session.as_deref();
        let req = &params["request"];
        let url_text = req["url"].as_str().unwrap_or_default();
        let method = req["method"].as_str().unwrap_or("GET");
        let Ok(url) = url::Url::parse(url_text) else {
            self.fail(&id, s).await;
            return;
        };
        if params["resourceType"] == "Document" {
            let mut origins = self
                .log
                .document_origins
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if origins.len() < MAX_DOCUMENT_ORIGINS {
                origins.insert(url.origin().ascii_serialization());
            }
        }
        let started = std::time::Instant::now();
        let app = self.is_app_request(&params);
        let answer = if app {
            self.log.app_served.fetch_add(1, Ordering::Relaxed);
            self.serve_app(&url, method).await
        } else {
            self.serve_backend(&url, method, req).await
        };
        match answer {
            Some((status, headers, body)) => {
                let headers: Vec<Value> = headers
                    .into_iter()
                    .map(|(n, v)| json!({ "name": n, "value": v }))
                    .collect();
                let body = base64::engine::general_purpose::STANDARD.encode(body);
                let r = self
                    .cdp
                    .send(
                        "Fetch.fulfillRequest",
                        json!({ "requestId": id, "responseCode": status, "responseHeaders": headers, "body": body }),
                        s,
                    )
                    .await;
                if r.is_err() {
                    self.fail(&id, s).await;
                }
            }
            None => self.fail(&id, s).await,
        }
        use crate::profile::{add, Phase};
        add(
            if app {
                Phase::ServeAsset
            } else {
                Phase::ServeBackend
            },
            started.elapsed(),
        );
    }

    async fn fail(&self, id: &str, session: Option<&str>) {
        let _ = self
            .cdp
            .send(
                "Fetch.failRequest",
                json!({ "requestId": id, "errorReason": "BlockedByClient" }),
                session,
            )
            .await;
    }

    async fn serve_app(&self, url: &url::Url, method: &str) -> Option<Answer> {
        match &self.app {
            AppSource::Dir(dir) => Some(serve_file(dir, url.path())),
            AppSource::Url(base) => {
                let mut target = base.clone();
                target.set_path(url.path());
                target.set_query(url.query());
                let m = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
                Some(fetch_app(&self.http, base, m, target).await)
            }
        }
    }

    async fn serve_backend(&self, url: &url::Url, method: &str, req: &Value) -> Option<Answer> {
        ask_backend(&self.http, &self.backend, url, method, req).await
    }
}

/// Forwards a paused request to a mock backend (`backend` is its base URL), carrying the
/// page's URL in a header; `None` when no recorded exchange answers it. Shared by replay and
/// by `reprise record --mocks`.
pub async fn ask_backend(
    http: &reqwest::Client,
    backend: &str,
    url: &url::Url,
    method: &str,
    req: &Value,
) -> Option<Answer> {
    let mut target = format!("{backend}{}", url.path());
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let m = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
    let mut builder = http
        .request(m, target)
        .header(ORIGINAL_URL_HEADER, url.as_str());
    if let Some(h) = req["headers"].as_object() {
        for (name, value) in h {
            let lower = name.to_ascii_lowercase();
            if matches!(lower.as_str(), "host" | "content-length" | "connection") {
                continue;
            }
            if let Some(v) = value.as_str() {
                builder = builder.header(name.as_str(), v);
            }
        }
    }
    if let Some(body) = request_body(req) {
        builder = builder.body(body);
    }
    let resp = builder.send().await.ok()?;
    if resp.headers().contains_key(UNMATCHED_HEADER) {
        return None;
    }
    Some(to_answer(resp).await)
}

/// Whether an attach event came from the browser-wide auto-attach (no parent session) rather
/// than from a page's own (its iframes and workers).
fn ev_is_top_level(params: &Value) -> bool {
    params["parentSession"].is_null()
}

/// How many redirects of the app's server reprise follows for one asset.
pub const MAX_APP_REDIRECTS: usize = 10;

/// Fetches an asset from the app's running server, following the server's redirects to
/// itself (a preview server sends `/` to `/index.html` or `/about` to `/about/`, often as an
/// absolute URL of its own address, which the page must not see: the page lives at the
/// recorded origin). A redirect elsewhere is handed to the browser as it is; a chain longer
/// than [`MAX_APP_REDIRECTS`] is answered with 508.
pub async fn fetch_app(
    http: &reqwest::Client,
    base: &url::Url,
    method: reqwest::Method,
    target: url::Url,
) -> Answer {
    let bad_gateway = |why: String| {
        (
            502,
            vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            why.into_bytes(),
        )
    };
    let (mut method, mut target) = (method, target);
    for _ in 0..=MAX_APP_REDIRECTS {
        let resp = match http.request(method.clone(), target.clone()).send().await {
            Ok(r) => r,
            Err(e) => {
                return bad_gateway(format!(
                    "reprise: the app server did not answer `{target}`: {e}"
                ))
            }
        };
        let status = resp.status();
        let next = status
            .is_redirection()
            .then(|| resp.headers().get("location"))
            .flatten()
            .and_then(|l| l.to_str().ok())
            .and_then(|l| target.join(l).ok())
            .filter(|n| n.origin() == base.origin());
        let Some(next) = next else {
            return to_answer(resp).await;
        };
        // As browsers do: 301/302/303 turn a POST into a GET, 307/308 keep the method.
        if matches!(status.as_u16(), 301..=303) && method != reqwest::Method::HEAD {
            method = reqwest::Method::GET;
        }
        target = next;
    }
    (
        508,
        vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        format!("reprise: the app server redirected more than {MAX_APP_REDIRECTS} times, last to `{target}`").into_bytes(),
    )
}

/// A response as reprise hands it to `Fetch.fulfillRequest`: status, headers, body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The request body as Chrome reports it: `postDataEntries` (base64 parts) when present,
/// which carries binary bodies intact, else `postData`.
pub fn request_body(req: &Value) -> Option<Vec<u8>> {
    if let Some(entries) = req["postDataEntries"].as_array() {
        let mut out = Vec::new();
        for e in entries {
            if let Some(b) = e["bytes"].as_str() {
                out.extend(base64::engine::general_purpose::STANDARD.decode(b).ok()?);
            }
        }
        return Some(out);
    }
    req["postData"].as_str().map(|s| s.as_bytes().to_vec())
}

async fn to_answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "content-length"
                    | "transfer-encoding"
                    | "connection"
                    | "content-encoding"
                    | "keep-alive"
            )
        })
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    (status, headers, body)
}

/// Serves a file of the app folder the way a static server would; never outside the folder.
pub fn serve_file(dir: &std::path::Path, url_path: &str) -> Answer {
    let decoded = percent_decode(url_path);
    let rel = PathBuf::from(decoded.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return not_found();
    }
    let mut path = dir.join(&rel);
    if path.is_dir() {
        path = path.join("index.html");
    }
    match std::fs::read(&path) {
        Ok(body) => (
            200,
            vec![
                ("content-type".into(), content_type(&path).into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body,
        ),
        Err(_) => not_found(),
    }
}

/// Decodes `%XX` escapes of a URL path (invalid UTF-8 is replaced, `+` stays a plus).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn not_found() -> Answer {
    (
        404,
        vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        b"not found".to_vec(),
    )
}

fn content_type(path: &std::path::Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("txt") => "text/plain; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_files_stay_inside_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("index.html"), "<p>hi</p>").expect("write");
        assert_eq!(serve_file(dir.path(), "/").0, 200);
        assert_eq!(
            serve_file(dir.path(), "/index.html").1[0].1,
            "text/html; charset=utf-8"
        );
        assert_eq!(serve_file(dir.path(), "/../etc/passwd").0, 404);
        assert_eq!(serve_file(dir.path(), "/%2e%2e/etc/passwd").0, 404);
        assert_eq!(serve_file(dir.path(), "/missing.js").0, 404);
        std::fs::write(dir.path().join("a&b c.txt"), "x").expect("write");
        assert_eq!(serve_file(dir.path(), "/a&b%20c.txt").0, 200);
    }
}
