//! The chromedriver process and the WebDriver sessions reprise opens on it.
//!
//! chromedriver runs in its own process group so that killing the group also ends the
//! Chromium processes it spawned: an orphaned Chromium otherwise survives reprise, which CI
//! runners notice as a hung job. [`super::hygiene`] makes that hold when reprise itself is
//! killed (`kill -9` included).

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Why the browser side could not start; always an infrastructure failure (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("cannot find `{what}`")]
    NotFound { what: &'static str, hint: String },
    #[error("cannot start chromedriver `{}`: {message}", path.display())]
    Spawn { path: PathBuf, message: String },
    #[error("cannot open a browser session on `{url}`: {message}")]
    Session { url: String, message: String },
}

impl DriverError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotFound { hint, .. } => Some(hint.clone()),
            Self::Spawn { .. } => Some("check that `chromedriver --version` runs and matches the installed Chromium".into()),
            Self::Session { .. } => Some("chromedriver and Chromium must have the same major version; on Debian install both: `apt-get install chromium chromium-driver`".into()),
        }
    }
}

/// Locates an executable from an environment variable, then the usual names on `PATH`.
fn locate(env_var: &str, names: &[&str]) -> Option<PathBuf> {
    from_env(env_var).or_else(|| on_path(names))
}

/// The path an environment variable names, when it is set and not empty.
fn from_env(env_var: &str) -> Option<PathBuf> {
    std::env::var_os(env_var)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// The first of `names` found in a `PATH` folder.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Debian's headless shell binary. `/usr/bin/chromium-headless-shell` is a script that runs it
/// as its child without `exec`: a browser chromedriver killed would leave the real one running.
pub const DEBIAN_HEADLESS_SHELL: &str = "/usr/lib/chromium/chromium-headless-shell";

/// The browser binary. A headless run prefers Chromium's headless shell when it is installed
/// (Debian's `chromium-headless-shell`, the build Playwright runs headless by default): the
/// same Blink and Skia, without the desktop browser's services, so a session costs about half
/// the CPU (docs/performance.md, "The headless shell"). Screenshots are the same pixels,
/// since [`super::Browser`] pins the default fonts both builds would otherwise choose
/// differently. A headed run needs the full browser, and so does recording (`record`).
pub fn find_chromium(headless: bool) -> Result<PathBuf, DriverError> {
    const SHELLS: &[&str] = &["chrome-headless-shell", "chromium-headless-shell"];
    const BROWSERS: &[&str] = &["chromium", "chromium-browser", "google-chrome", "chrome"];
    let debian_shell = Path::new(DEBIAN_HEADLESS_SHELL);
    let names: Vec<&str> = if headless {
        SHELLS.iter().chain(BROWSERS).copied().collect()
    } else {
        BROWSERS.to_vec()
    };
    let hint = "install it with `sudo apt-get install chromium chromium-headless-shell \
                chromium-driver`, or set REPRISE_CHROMIUM to the browser binary";
    from_env("REPRISE_CHROMIUM")
        .or_else(|| (headless && debian_shell.is_file()).then(|| debian_shell.to_path_buf()))
        .or_else(|| on_path(&names))
        .ok_or(DriverError::NotFound {
            what: "chromium",
            hint: hint.into(),
        })
}

fn find_chromedriver() -> Result<PathBuf, DriverError> {
    locate("REPRISE_CHROMEDRIVER", &["chromedriver"]).ok_or(DriverError::NotFound {
        what: "chromedriver",
        hint: "install it with `sudo apt-get install chromium-driver`, or set REPRISE_CHROMEDRIVER"
            .into(),
    })
}

/// Asks the OS for a free loopback port.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A chromedriver process owned by this run.
pub struct Chromedriver {
    child: std::sync::Mutex<std::process::Child>,
    /// Kills chromedriver's process group if reprise dies without dropping this.
    watchdog: Option<std::process::Child>,
    url: String,
    /// chromedriver's `TMPDIR`, named for [`super::hygiene::sweep_profiles`]: the profile
    /// folder chromedriver makes for each browser lands in it. Removed after the process
    /// group is killed (fields drop after `drop`).
    _tmp: tempfile::TempDir,
}

/// How a process ended, in words: "exited with status 1", "exited with signal 9".
pub fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("exited with signal {sig}"),
        (None, None) => format!("exited ({status})"),
    }
}

impl Chromedriver {
    pub async fn start() -> Result<Self, DriverError> {
        let path = find_chromedriver()?;
        // Profiles of earlier runs that were killed before they could remove them.
        super::hygiene::sweep_profiles(&std::env::temp_dir());
        let spawn_err = |message: String| DriverError::Spawn {
            path: path.clone(),
            message,
        };
        // chromedriver makes each browser's profile itself (in `TMPDIR`), and only then opens
        // the first tab on `data:,`: with a `--user-data-dir` of reprise's it opens none, and
        // the headless shell, which opens no tab by itself, fails with "unable to discover
        // open pages". A URL cannot be passed, as chromedriver turns every argument into a
        // switch. So the profiles go in a folder of reprise's, swept like the profiles were.
        let mut last = String::new();
        // A port can be taken between asking for it and chromedriver binding it: try a few.
        for _ in 0..3 {
            let tmp = tempfile::Builder::new()
                .prefix(&super::hygiene::profile_prefix())
                .tempdir()
                .map_err(|e| spawn_err(e.to_string()))?;
            let port = free_port().map_err(|e| spawn_err(e.to_string()))?;
            let mut cmd = std::process::Command::new(&path);
            cmd.arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .env("TMPDIR", tmp.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let child = super::hygiene::spawn_tied(cmd).map_err(|e| spawn_err(e.to_string()))?;
            let watchdog = super::hygiene::watchdog(child.id());
            super::hygiene::register_group(child.id() as i32);
            let mut driver = Self {
                child: std::sync::Mutex::new(child),
                watchdog: None,
                url: format!("http://127.0.0.1:{port}"),
                _tmp: tmp,
            };
            driver.watchdog = Some(watchdog.map_err(|e| spawn_err(e.to_string()))?);
            match driver.wait_ready().await {
                Ok(()) => return Ok(driver),
                Err(e) => last = e,
            }
        }
        Err(spawn_err(last))
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = format!("{}/status", self.url);
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Err(format!("chromedriver {}", describe_exit(status)));
            }
            if let Ok(resp) = reqwest::get(&status).await {
                if let Ok(v) = resp.json_text().await {
                    if v["value"]["ready"].as_bool() == Some(true) {
                        return Ok(());
                    }
                }
            }
            // chromedriver listens within tens of ms: a coarser poll would wait on it.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err("chromedriver did not become ready within 15 s".into())
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// How chromedriver ended, when it has.
    pub fn exited(&self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        child.try_wait().ok().flatten()
    }

    /// chromedriver's process id (its process group's too).
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap_or_else(|p| p.into_inner()).id()
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|p| p.into_inner());
        let pgid = child.id() as i32;
        // SAFETY: killpg only sends a signal; the group is the one created at spawn. It
        // holds chromedriver, the browsers it started and the watchdog.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
        super::hygiene::unregister_group(pgid);
        let _ = child.wait();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.wait();
        }
    }
}

trait JsonText {
    async fn json_text(self) -> Result<Value, ()>;
}

impl JsonText for reqwest::Response {
    async fn json_text(self) -> Result<Value, ()> {
        let bytes = self.bytes().await.map_err(|_| ())?;
        serde_json::from_slice(&bytes).map_err(|_| ())
    }
}

/// Launch options for one browser.
pub struct LaunchOptions<'a> {
    /// The browser binary; `None` lets the WebDriver endpoint choose (a Grid node's own).
    pub chromium: Option<&'a Path>,
    pub sink_port: u16,
    pub headed: bool,
    pub window: (u32, u32),
}

/// The capabilities of a session: the launch flags, and the host resolver rule of the loopback
/// backstop (README, "How requests are answered").
pub fn capabilities(opts: &LaunchOptions<'_>) -> serde_json::Map<String, Value> {
    let mut args = vec![
        "--no-sandbox".to_string(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-default-apps".into(),
        "--disable-domain-reliability".into(),
        "--disable-client-side-phishing-detection".into(),
        "--no-pings".into(),
        "--disable-search-engine-choice-screen".into(),
        "--disable-extensions".into(),
        "--mute-audio".into(),
        "--hide-scrollbars".into(),
        "--font-render-hinting=none".into(),
        "--force-color-profile=srgb".into(),
        "--num-raster-threads=1".into(),
        "--disable-partial-raster".into(),
        "--disable-checker-imaging".into(),
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,PaintHolding".into(),
        // Backstop: whatever escapes interception resolves to a loopback sink that counts it.
        format!(
            "--host-resolver-rules=MAP * 127.0.0.1:{}",
            opts.sink_port
        ),
        format!("--window-size={},{}", opts.window.0, opts.window.1),
    ];
    if !opts.headed {
        args.insert(0, "--headless=new".into());
    }
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "unhandledPromptBehavior": "accept",
        "goog:chromeOptions": {
            "args": args,
            // chromedriver's `--enable-logging --log-level=0` has Chromium write INFO logs
            // to a stderr nobody reads: work in every process for nothing (docs/performance.md).
            "excludeSwitches": ["enable-automation", "enable-logging"],
            // No preconnects or DNS prefetches: they open sockets outside request interception.
            "prefs": {
                "net": { "network_prediction_options": 2 },
                "search": { "suggest_enabled": false },
                "signin": { "allowed": false },
            },
        }
    });
    let mut caps = match caps {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    if let (Some(bin), Some(Value::Object(chrome))) =
        (opts.chromium, caps.get_mut("goog:chromeOptions"))
    {
        chrome.insert("binary".into(), Value::String(bin.display().to_string()));
    }
    caps
}

/// Opens a WebDriver session; returns the client and the DevTools `host:port`.
pub async fn open_session(
    webdriver_url: &str,
    caps: serde_json::Map<String, Value>,
) -> Result<(fantoccini::Client, DevTools), DriverError> {
    let err = |message: String| DriverError::Session {
        url: webdriver_url.to_string(),
        message,
    };
    let client =
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(webdriver_url)
            .await
            .map_err(|e| err(e.to_string()))?;
    let caps = client.capabilities();
    // Selenium Grid proxies DevTools at `se:cdp`, so the browser may run on another machine;
    // chromedriver reports the browser's own address.
    let grid = caps
        .and_then(|c| c.get("se:cdp"))
        .and_then(Value::as_str)
        .map(|ws| DevTools::Websocket(ws.to_string()));
    let local = caps
        .and_then(|c| c.get("goog:chromeOptions"))
        .and_then(|o| o.get("debuggerAddress"))
        .and_then(Value::as_str)
        .map(|a| DevTools::Address(a.to_string()));
    match grid.or(local) {
        Some(d) => Ok((client, d)),
        None => {
            let _ = client.close().await;
            Err(err(
                "the session reported neither `se:cdp` nor `goog:chromeOptions.debuggerAddress`"
                    .into(),
            ))
        }
    }
}

/// Where a session's browser takes DevTools connections.
#[derive(Debug, Clone, PartialEq)]
pub enum DevTools {
    /// A websocket for the whole browser (Selenium Grid's `se:cdp`).
    Websocket(String),
    /// `host:port` of the browser's DevTools HTTP endpoint (chromedriver).
    Address(String),
}
