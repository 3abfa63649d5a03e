//! One browser per session: a WebDriver session on chromedriver (fantoccini) for the user's
//! steps, plus a CDP connection to the same browser for interception and emulation.

pub mod cdp;
pub mod coverage;
pub mod driver;
mod environment;
pub mod hygiene;
pub mod input;
pub mod intercept;
mod script;
mod sink;
pub mod steps;

use crate::determinism::Determinism;
use cdp::Cdp;
use driver::{DriverError, LaunchOptions};
pub use environment::Environment;
use futures_util::FutureExt;
use intercept::{AppSource, Interceptor, NetworkLog};
pub use script::ScriptError;
use serde_json::{json, Value};
use sink::Sink;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Waits in the page (up to its second argument, real ms) until the document is loaded, fonts
/// are ready, no request or short timer is pending and the DOM has not changed for the
/// first argument's ms; answers whether it got there, and whether the document is still the
/// one [`Browser::begin_step`] marked. Polling in the page saves the WebDriver round trip
/// of each look: a settle used to take three to five of them.
const SETTLE_JS: &str = "const [quietMs, maxMs] = arguments; const done = arguments[arguments.length - 1];\
  const s = window.__repriseShim; const later = (s && s.realTimeout) || setTimeout;\
  const now = () => (s ? s.realNow() : performance.now()); const until = now() + maxMs;\
  const look = () => {\
    const quiet = document.readyState === 'complete'\
      && (!document.fonts || document.fonts.status === 'loaded')\
      && (!s || (s.state.pending + s.state.timers === 0 && now() - s.state.lastMutation >= quietMs));\
    if (quiet || now() >= until) return done({ quiet, marked: window.__repriseMarker === true });\
    later(look, 5);\
  };\
  look();";
/// The longest one look at the page waits for it to settle, before the runner checks the
/// requests in flight on its side again.
const SETTLE_WAIT_MS: u64 = 250;

/// How long leaving a session's tab clean for the next session may take before its browser
/// context is disposed of instead.
const PARK_WAIT: Duration = Duration::from_secs(3);

/// How long ending the WebDriver session of a browser that stopped answering may take.
const QUIT_WAIT: Duration = Duration::from_secs(3);

/// In-page helpers, evaluated before scripts that need them.
const PAGE_JS: &str = include_str!("page.js");

/// Which common font families the browser has, and how its generic families render: text
/// measured in each family against a fallback (fonts cannot be listed from a page).
const FONT_PROBE_JS: &str = "const c = document.createElement('canvas').getContext('2d'); \
  const w = (f) => { c.font = '72px ' + f; return c.measureText('mmmmmmmmmmlli WwQq 0123').width.toFixed(2); }; \
  const generic = ['sans-serif', 'serif', 'monospace', 'system-ui', 'cursive'].map(g => g + '=' + w(g)); \
  const families = ['Arial', 'Helvetica', 'Liberation Sans', 'Liberation Serif', 'Liberation Mono', 'DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'Noto Sans', 'Noto Serif', 'Noto Color Emoji', 'Roboto', 'Ubuntu', 'Cantarell', 'Times New Roman', 'Courier New', 'Georgia', 'Verdana', 'Segoe UI', 'San Francisco', 'Inter', 'Open Sans', 'FreeSans', 'Nimbus Sans']; \
  const present = families.filter(f => w('\\'' + f + '\\', monospace') !== w('monospace') || w('\\'' + f + '\\', serif') !== w('serif')); \
  return generic.concat(present).join('|');";

/// The full Chromium's default font families on Linux (its en-US locale resources hold these
/// names), set in every session whichever build runs it: see `apply_environment`.
const DEFAULT_FONT_FAMILIES: FontFamilies = FontFamilies {
    standard: "Times New Roman",
    serif: "Times New Roman",
    sans_serif: "Arial",
    fixed: "Monospace",
    cursive: "Comic Sans MS",
    fantasy: "Impact",
    math: "Latin Modern Math",
};

/// `Page.setFontFamilies`' families, in the protocol's field names.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FontFamilies {
    standard: &'static str,
    serif: &'static str,
    sans_serif: &'static str,
    fixed: &'static str,
    cursive: &'static str,
    fantasy: &'static str,
    math: &'static str,
}

/// What a session's browser needs to know.
pub struct SessionConfig<'a> {
    pub webdriver_url: &'a str,
    pub app_origin: String,
    pub app: AppSource,
    pub backend_uri: String,
    pub determinism: Determinism,
}

/// A live browser for one session.
pub struct Browser {
    pub client: fantoccini::Client,
    intercept: Arc<Interceptor>,
    determinism: Mutex<Determinism>,
    environment: Mutex<Option<Environment>>,
    time_limit: Mutex<Option<i64>>,
    sink: Sink,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    debugger: driver::DevTools,
    /// The window the WebDriver session opened with, kept while sessions come and go.
    home: String,
    /// The browser context this session runs in, when it has its own.
    context: Option<String>,
    /// Sessions this browser has served, this one included.
    sessions: usize,
    /// The window (CDP target id) of the session's main page.
    main_window: String,
    /// The popup the current step acts on, when it is not the main page.
    current_target: Mutex<Option<String>>,
    /// The CDP modifier bits of the keys `keyDown` steps hold.
    modifiers: AtomicU32,
    /// How many frames deep WebDriver is, while a step in an iframe runs.
    frame_depth: AtomicUsize,
    /// Whether WebDriver's current window is the session's tab (see
    /// [`Browser::webdriver_on_tab`]).
    on_tab: AtomicBool,
}

/// A browser context whose one tab a session left blank, with everything it stored cleared
/// (see [`Browser::recycle`]).
struct Parked {
    context: String,
    target: String,
}

/// A browser started ahead of the session that will use it: a fresh profile (chromedriver
/// makes it, see [`driver::Chromedriver::start`]), its loopback sink, and a WebDriver session.
/// Starting Chromium is most of a session's set-up, so the runner launches the next sessions'
/// browsers while others replay. A browser then serves sessions one after another, each on a
/// cleared tab or in a new browser context (see [`Browser::recycle`]).
pub struct Launched {
    client: fantoccini::Client,
    debugger: driver::DevTools,
    sink: Sink,
    home: String,
    /// Run each session in a browser context of its own (see [`Browser::recycle`]).
    isolate: bool,
    /// The browser context and blank tab the last session left clean for the next one.
    parked: Option<Parked>,
    sessions: usize,
    /// The environment measured by an earlier session, with the app origin it measured on.
    environment: Option<(String, Environment)>,
}

impl Launched {
    /// Starts a browser. With `isolate`, each session it serves runs in a browser context
    /// of its own, so the browser can serve one session after another.
    pub async fn start(
        webdriver_url: &str,
        chromium: Option<&std::path::Path>,
        headed: bool,
        isolate: bool,
    ) -> Result<Self, DriverError> {
        let infra = |message: String| DriverError::Session {
            url: webdriver_url.to_string(),
            message,
        };
        let sink = Sink::start().await.map_err(|e| infra(e.to_string()))?;
        let caps = driver::capabilities(&LaunchOptions {
            chromium,
            sink_port: sink.port,
            headed,
            window: (1280, 800),
        });
        let (client, debugger) = driver::open_session(webdriver_url, caps).await?;
        let home = match client.window().await {
            Ok(h) => String::from(h),
            Err(e) => {
                let _ = client.clone().close().await;
                return Err(infra(format!("the session has no window: {e}")));
            }
        };
        Ok(Self {
            client,
            debugger,
            sink,
            home,
            isolate,
            parked: None,
            sessions: 0,
            environment: None,
        })
    }

    /// Sessions this browser has served.
    pub fn sessions(&self) -> usize {
        self.sessions
    }

    /// Ends the WebDriver session of a browser no session used.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

impl Browser {
    /// Binds a launched browser to a session: request interception towards the session's
    /// backend and app, the determinism script, timezone, locale and viewport.
    pub async fn bind(launched: Launched, cfg: SessionConfig<'_>) -> Result<Self, DriverError> {
        let infra = |message: String| DriverError::Session {
            url: cfg.webdriver_url.to_string(),
            message,
        };
        let Launched {
            client,
            debugger,
            sink,
            home,
            isolate,
            parked,
            sessions,
            environment,
        } = launched;
        sink.reset();
        let setup = async {
            let ws = match &debugger {
                driver::DevTools::Websocket(ws) => Ok(ws.clone()),
                driver::DevTools::Address(addr) => cdp::browser_ws_url(addr).await,
            }
            .map_err(|e| infra(e.to_string()))?;
            let (cdp, events) = Cdp::connect(&ws).await.map_err(|e| infra(e.to_string()))?;
            let cdp_err = |e: cdp::CdpError| infra(e.to_string());
            // A session of its own in a browser that serves several: the tab the previous
            // session left blank and cleared (see `park`), or else a new browser context
            // (cookies, storage, cache, service workers, permissions all empty, as on a fresh
            // profile) with one tab, driven through DevTools. WebDriver stays on the first
            // window until a step needs it there (see `webdriver_on_tab`).
            let (context, target) = if let Some(Parked { context, target }) = parked {
                cdp.send("Target.activateTarget", json!({ "targetId": target }), None)
                    .await
                    .map_err(cdp_err)?;
                (Some(context), target)
            } else if isolate {
                let c = cdp
                    .send("Target.createBrowserContext", json!({}), None)
                    .await
                    .map_err(cdp_err)?;
                let context = c["browserContextId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let t = cdp
                    .send(
                        "Target.createTarget",
                        json!({ "url": "about:blank", "browserContextId": context }),
                        None,
                    )
                    .await
                    .map_err(cdp_err)?;
                let target = t["targetId"].as_str().unwrap_or_default().to_string();
                // The focused tab, as WebDriver's window switch would make it: focus and
                // blur events, `:focus-visible` and `document.hasFocus()` depend on it.
                cdp.send("Target.activateTarget", json!({ "targetId": target }), None)
                    .await
                    .map_err(cdp_err)?;
                (Some(context), target)
            } else {
                let handle = client.window().await.map_err(|e| infra(e.to_string()))?;
                (None, String::from(handle))
            };
            let http = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| infra(e.to_string()))?;
            let intercept = Arc::new(Interceptor {
                cdp: cdp.clone(),
                app_origin: cfg.app_origin.clone(),
                app: cfg.app.clone(),
                backend: cfg.backend_uri.clone(),
                http,
                log: Arc::new(NetworkLog::default()),
                script: Mutex::new(cfg.determinism.script()),
                new_pages: Mutex::new(Vec::new()),
            });
            let task = intercept.clone().spawn(events);
            if let Err(e) = intercept.attach_page(&target).await {
                task.abort();
                cdp.close();
                return Err(infra(e.to_string()));
            }
            // Popups and new tabs are pages of their own, not children of this one: the
            // browser attaches each new page paused, so its interception is on before its
            // first request.
            let _ = cdp
                .send(
                    "Target.setAutoAttach",
                    json!({ "autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true,
                            "filter": [{ "type": "page" }] }),
                    None,
                )
                .await;
            Ok::<_, DriverError>((intercept, task, context, target))
        };
        let (intercept, task, context, main_window) = match setup.await {
            Ok(x) => x,
            Err(e) => {
                let _ = client.close().await;
                return Err(e);
            }
        };
        let browser = Self {
            client,
            intercept,
            determinism: Mutex::new(cfg.determinism),
            // the same browser measured on the same app already: the fonts are the same
            environment: Mutex::new(
                environment
                    .filter(|(origin, _)| *origin == cfg.app_origin)
                    .map(|(_, env)| env),
            ),
            time_limit: Mutex::new(None),
            sink,
            tasks: vec![task],
            debugger,
            home,
            context,
            sessions: sessions + 1,
            main_window,
            current_target: Mutex::new(None),
            modifiers: AtomicU32::new(0),
            frame_depth: AtomicUsize::new(0),
            on_tab: AtomicBool::new(!isolate),
        };
        browser.apply_environment().await;
        Ok(browser)
    }

    /// Ends this session and hands the browser back for the next one, as clean as a new
    /// browser context: with `park`, the session's tab is left blank with everything the
    /// session stored cleared ([`Browser::park`]); without, or when parking is not certain to
    /// be complete, the context is disposed of (its tabs and everything they stored). Then the DevTools
    /// connection closes, which ends the session's interception, scripts and emulation,
    /// and WebDriver goes back to the browser's first window. `None` (and the browser
    /// closed) when the session had no context of its own or the browser does not answer.
    pub async fn recycle(self, park: bool) -> Option<Launched> {
        let Some(context) = self.context.clone() else {
            self.close().await;
            return None;
        };
        let cdp = self.intercept.cdp.clone();
        let parked = park
            && tokio::time::timeout(PARK_WAIT, self.park(&context))
                .await
                .is_ok_and(|parked| parked.is_ok());
        let parked = parked.then(|| Parked {
            context: context.clone(),
            target: self.main_window.clone(),
        });
        for t in &self.tasks {
            t.abort();
        }
        let disposed = parked.is_some()
            || cdp
                .send(
                    "Target.disposeBrowserContext",
                    json!({ "browserContextId": context }),
                    None,
                )
                .await
                .is_ok();
        cdp.close();
        // WebDriver goes back to the first window only when a step moved it to this tab.
        let home = fantoccini::wd::WindowHandle::try_from(self.home.clone()).ok();
        let back = match home {
            Some(_) if disposed && !self.on_tab.load(Ordering::SeqCst) => true,
            Some(h) if disposed => self.client.switch_to_window(h).await.is_ok(),
            _ => false,
        };
        if !back {
            // The browser is gone or wedged: chromedriver's quit would wait on it (tens of
            // seconds); the driver's process group is killed with it at the latest.
            let _ = tokio::time::timeout(QUIT_WAIT, self.client.clone().close()).await;
            return None;
        }
        let environment = self
            .environment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .map(|env| (self.intercept.app_origin.clone(), env));
        Some(Launched {
            client: self.client,
            debugger: self.debugger,
            sink: self.sink,
            home: self.home,
            isolate: true,
            parked,
            sessions: self.sessions,
            environment,
        })
    }

    /// Leaves the session's tab on a blank page and clears what the session left in its
    /// browser context, so the next session can use both as it would a new context and tab:
    /// a new context costs a renderer process and about twice the CPU of a short session
    /// (docs/performance.md, "Parked tabs").
    ///
    /// What a context and tab keep, and how each is cleared: the document (replaced by
    /// `about:blank`, from the page, so it stays in its renderer process; `window.name`
    /// emptied first), the back/forward list (reset), cookies (all of the context's),
    /// the storage of the session's document origin (local and session storage, IndexedDB,
    /// Cache Storage, service workers, file systems), the HTTP cache, the renderer's memory
    /// caches (a critical memory-pressure signal) and permissions. Interception, the
    /// determinism script and emulation belong to the DevTools session and end with it.
    ///
    /// Only a session whose documents all had one origin, in one tab, is parked: storage
    /// of a second origin may be partitioned under the first, which the DevTools commands
    /// do not reach. Anything else, or any command failing, is an error, and the context is
    /// disposed of instead.
    async fn park(&self, context: &str) -> Result<(), String> {
        let log = &self.intercept.log;
        let origins = log.document_origins();
        if origins.len() > 1 || log.other_pages(&self.main_window) > 0 {
            return Err("more than one origin or page".into());
        }
        let session = log.main_session().ok_or("no page session")?;
        let cdp = &self.intercept.cdp;
        let page = |method: &'static str, params: Value| {
            let session = session.clone();
            async move {
                cdp.send(method, params, Some(&session))
                    .await
                    .map_err(|e| format!("{method}: {e}"))
            }
        };
        // The answer may be lost to the navigation it starts ("Inspected target navigated").
        if let Ok(v) = page(
            "Runtime.evaluate",
            json!({ "expression": "window.name = ''; location.replace('about:blank')" }),
        )
        .await
        {
            if v.get("exceptionDetails").is_some() {
                return Err("the page did not leave".into());
            }
        }
        // The page's unload handlers run, then `about:blank` commits (a beforeunload
        // prompt would stop it: the wait in `recycle` ends that). The main document's script
        // path waits out the navigation and a look that meets the page between documents.
        loop {
            let href = self
                .evaluate_in_main("return location.href;", &[], false)
                .await;
            if href.is_ok_and(|h| h == "about:blank") && !log.navigation_pending() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let browser = |method: &'static str| async move {
            cdp.send(method, json!({ "browserContextId": context }), None)
                .await
                .map_err(|e| format!("{method}: {e}"))
        };
        // Independent of each other: sent together, answered in one round trip's time.
        let mut clears = vec![
            page("Page.resetNavigationHistory", json!({})).boxed(),
            page("Network.clearBrowserCache", json!({})).boxed(),
            page(
                "Memory.simulatePressureNotification",
                json!({ "level": "critical" }),
            )
            .boxed(),
            browser("Storage.clearCookies").boxed(),
            browser("Browser.resetPermissions").boxed(),
        ];
        // At most one origin (see above); an opaque one ("null") stored nothing.
        if let Some(origin) = origins.first().filter(|o| o.as_str() != "null") {
            clears.push(
                page(
                    "Storage.clearDataForOrigin",
                    json!({ "origin": origin, "storageTypes": "all" }),
                )
                .boxed(),
            );
            clears.push(
                page(
                    "DOMStorage.clear",
                    json!({ "storageId": { "securityOrigin": origin, "isLocalStorage": false } }),
                )
                .boxed(),
            );
        }
        futures_util::future::try_join_all(clears).await?;
        // Detached before the next session attaches: its interception must be the only one.
        cdp.send(
            "Target.detachFromTarget",
            json!({ "sessionId": session }),
            None,
        )
        .await
        .map_err(|e| format!("Target.detachFromTarget: {e}"))?;
        Ok(())
    }

    /// Timezone, locale and the default viewport, before the first navigation.
    async fn apply_environment(&self) {
        let (tz, locale) = {
            let d = self.determinism.lock().unwrap_or_else(|p| p.into_inner());
            (d.timezone.clone(), d.locale.clone())
        };
        let _ = self
            .intercept
            .page_command("Emulation.setTimezoneOverride", json!({ "timezoneId": tz }))
            .await;
        self.intercept
            .for_new_pages("Emulation.setTimezoneOverride", json!({ "timezoneId": tz }));
        self.intercept
            .for_new_pages("Emulation.setLocaleOverride", json!({ "locale": locale }));
        let _ = self
            .intercept
            .page_command("Emulation.setLocaleOverride", json!({ "locale": locale }))
            .await;
        // The generic families' defaults come from the build, not the page: the headless shell
        // maps `monospace` to Courier New (Liberation Mono here) where the full browser maps it
        // to Monospace (DejaVu Sans Mono), so every `<kbd>` drew in another font. Pinning the
        // full browser's Linux defaults makes both builds, and any profile, draw the same text.
        for (method, params) in [
            (
                "Page.setFontFamilies",
                json!({ "fontFamilies": DEFAULT_FONT_FAMILIES }),
            ),
            (
                "Page.setFontSizes",
                json!({ "fontSizes": { "standard": 16, "fixed": 13 } }),
            ),
        ] {
            let _ = self.intercept.page_command(method, params.clone()).await;
            self.intercept.for_new_pages(method, params);
        }
        let _ = self.set_viewport(1280, 800, 1.0, false, false).await;
    }

    pub async fn set_viewport(
        &self,
        width: u32,
        height: u32,
        scale: f64,
        mobile: bool,
        touch: bool,
    ) -> Result<(), cdp::CdpError> {
        let metrics = json!({ "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile });
        let touch = json!({ "enabled": touch });
        self.intercept
            .page_command("Emulation.setDeviceMetricsOverride", metrics.clone())
            .await?;
        self.intercept
            .page_command("Emulation.setTouchEmulationEnabled", touch.clone())
            .await?;
        // A popup opens with the same emulated device, so it renders the same in every run.
        self.intercept
            .for_new_pages("Emulation.setDeviceMetricsOverride", metrics);
        self.intercept
            .for_new_pages("Emulation.setTouchEmulationEnabled", touch);
        Ok(())
    }

    pub async fn emulate_network(&self, offline: bool, latency: f64, download: f64, upload: f64) {
        let _ = self
            .intercept
            .page_command(
                "Network.emulateNetworkConditions",
                json!({ "offline": offline, "latency": latency, "downloadThroughput": download, "uploadThroughput": upload }),
            )
            .await;
    }

    /// How far the virtual clock may move while the current step waits (epoch ms; `None`:
    /// no limit): the time of the person's next action in the recording.
    pub fn set_time_limit(&self, limit: Option<i64>) {
        *self.time_limit.lock().unwrap_or_else(|p| p.into_inner()) = limit;
    }

    /// Starts a step: moves the virtual clock (in the current document now, and for documents
    /// to come) and marks the current document, so the step's end can tell whether it
    /// navigated (see [`Browser::settle`]). One script, as it runs before every step.
    pub async fn begin_step(&self, now_ms: i64) {
        let script = {
            let mut d = self.determinism.lock().unwrap_or_else(|p| p.into_inner());
            let moved = d.now_ms != now_ms;
            d.now_ms = now_ms;
            moved.then(|| d.script())
        };
        let moved = script.is_some();
        if let Some(script) = script {
            self.intercept.update_script(script).await;
        }
        let _ = self
            .script(
                "if (arguments[1] && window.__repriseShim) window.__repriseShim.setNow(arguments[0]); window.__repriseMarker = true;",
                vec![json!(now_ms), json!(moved)],
            )
            .await;
    }

    /// The recording's start storage was set by the first document (the shim does it); later
    /// documents must keep what the page made of it, so it leaves the shim's config.
    pub async fn forget_start_storage(&self) {
        let script = {
            let mut d = self.determinism.lock().unwrap_or_else(|p| p.into_inner());
            d.storage.take().map(|_| d.script())
        };
        if let Some(script) = script {
            self.intercept.update_script(script).await;
        }
    }

    /// Waits until the page is quiet: no request in flight (in the browser or in the page),
    /// the document loaded, fonts ready, no short timer pending, and no DOM change for
    /// `quiet_ms`. Gives up after `max`, leaving the page as it is.
    ///
    /// Returns whether the document marked by [`Browser::begin_step`] is still the one
    /// shown, as seen by the last look at the page (`None` if the page never answered):
    /// `Some(false)` means the step navigated.
    pub async fn settle(&self, quiet_ms: u64, max: Duration) -> Option<bool> {
        let deadline = Instant::now() + max;
        let mut marked = None;
        while Instant::now() < deadline {
            if self.intercept.log.in_flight() == 0 {
                let look = crate::profile::timed(
                    crate::profile::Phase::SettlePoll,
                    self.script_async(SETTLE_JS, vec![json!(quiet_ms), json!(SETTLE_WAIT_MS)]),
                );
                if let Ok(v) = look.await {
                    marked = v["marked"].as_bool();
                    if v["quiet"] == true && self.intercept.log.in_flight() == 0 {
                        return marked;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        marked
    }

    /// Ends running animations and waits for fonts and images, right before a snapshot.
    pub async fn prepare_snapshot(&self) {
        let _ = self
            .script(
                "document.getAnimations && document.getAnimations().forEach(a => { try { a.finish(); } catch (_) { a.cancel(); } });\
                 const inView = (i) => { const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; };\
                 const imgs = Array.from(document.images).filter(i => !i.complete && (i.loading !== 'lazy' || inView(i))).map(i => i.decode().catch(() => 0));\
                 const later = (window.__repriseShim && window.__repriseShim.realTimeout) || setTimeout;\
                 const cap = new Promise(r => later(r, 3000));\
                 return Promise.race([Promise.all([document.fonts ? document.fonts.ready : 0, ...imgs]), cap]).then(() => true);",
                vec![],
            )
            .await;
    }

    /// Lets virtual time pass while a step waits on a page that has nothing else to do: when
    /// no request is in flight and no near-zero timer is pending, the clock jumps to the next
    /// timer's due time (a spinner's minimum display, a toast's delay). Returns whether a
    /// timer fired.
    pub async fn advance_if_idle(&self) -> bool {
        if self.intercept.log.in_flight() > 0 {
            return false;
        }
        let script = "const s = window.__repriseShim; if (!s || s.state.pending || s.state.timers) return false; return s.advanceToNextTimer(arguments[0]);";
        let limit = *self.time_limit.lock().unwrap_or_else(|p| p.into_inner());
        self.script(script, vec![json!(limit)])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// A PNG of the viewport, through CDP so the emulated metrics are exact.
    pub async fn screenshot(&self) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        let v = self
            .intercept
            .page_command(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": false }),
            )
            .await
            .map_err(|e| e.to_string())?;
        let data = v["data"].as_str().ok_or("no screenshot data")?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| e.to_string())
    }

    /// The environment screenshots depend on: browser version and platform from the
    /// session's capabilities, and a digest of the fonts the page can use (measured in the
    /// page, so it is right on a remote Grid node too). Computed once per browser and app
    /// origin: a browser serving several sessions of one app measures once.
    pub async fn environment(&self) -> Environment {
        if let Some(env) = self
            .environment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return env;
        }
        let caps = self.client.capabilities();
        let cap = |k: &str| {
            caps.and_then(|c| c.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let fonts = self
            .script(FONT_PROBE_JS, vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        use sha2::Digest as _;
        let digest = format!("{:x}", sha2::Sha256::digest(fonts.as_bytes()));
        let env = Environment {
            browser: format!("Chromium {}", cap("browserVersion")),
            platform: cap("platformName"),
            fonts: format!("sha256:{}", &digest[..16]),
        };
        *self.environment.lock().unwrap_or_else(|p| p.into_inner()) = Some(env.clone());
        env
    }

    /// Whether the browser still answers, through both WebDriver and DevTools.
    pub async fn alive(&self) -> bool {
        let probe = async {
            self.client.execute("return 1", vec![]).await.is_ok()
                && self
                    .intercept
                    .page_command("Runtime.evaluate", json!({ "expression": "1" }))
                    .await
                    .is_ok()
        };
        tokio::time::timeout(Duration::from_secs(5), probe)
            .await
            .unwrap_or(false)
    }

    /// The main page's URL.
    pub async fn current_url(&self) -> String {
        self.text_of("return location.href;").await
    }

    /// The main page's title.
    pub async fn title(&self) -> String {
        self.text_of("return document.title;").await
    }

    /// A script's string result; empty when it did not run.
    async fn text_of(&self, body: &str) -> String {
        self.script(body, vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The WebDriver session's id, with its current window moved to the session's tab, so
    /// that a person attaching to it (`reprise open`) drives the page the replay is on.
    pub async fn webdriver_session(&self) -> String {
        let _ = self.webdriver_on_tab().await;
        self.client
            .session_id()
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    pub fn app_assets_served(&self) -> usize {
        self.intercept.log.app_served.load(Ordering::Relaxed)
    }

    /// Hosts of connections that reached the loopback sink: they escaped interception.
    pub fn escaped(&self) -> Vec<String> {
        self.sink.escaped()
    }

    /// Console errors and uncaught exceptions, with the step they happened in.
    pub fn console_errors(&self) -> Vec<(usize, String)> {
        self.intercept
            .log
            .console_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Tells the browser side which step the replay is at.
    pub fn set_step(&self, step: usize) {
        self.intercept.log.step.store(step, Ordering::SeqCst);
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        for t in &self.tasks {
            t.abort();
        }
    }
}
