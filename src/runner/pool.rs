//! The browsers of a run: launched when a session needs one, and, on a local chromedriver,
//! handed from session to session.
//!
//! Starting Chromium was a third of a short session's wall time and most of the machine's
//! CPU in a run (a run of the demo suite burnt twice the CPU of @puppeteer/replay on the same
//! recordings, nearly all of it in the browsers). So a browser serves one session after
//! another, each in a browser context of its own (cookies, storage, cache and service workers
//! start empty, as on a fresh profile). When the session ends, its tab is left blank and
//! everything it stored is cleared, so the next session runs in the same context and
//! renderer process (`Browser::park`); when that cannot be complete (documents of two
//! origins, a popup) the context is disposed of and the next session gets a new one. A browser
//! that fails to come back (crashed, driver gone) is closed and the next session launches a
//! new one. Browsers on a remote WebDriver endpoint (a Grid) serve one session each: the Grid
//! schedules sessions, and its DevTools proxy is not asked to manage contexts.
//!
//! The pool also owns the local chromedriver. A chromedriver that dies mid-run (killed, OOM)
//! is noticed by the first session that fails on it ([`Pool::driver_death`]), and replaced,
//! so the sessions after it, and that session's retry, run on a new one.
use crate::browser::driver::{describe_exit, Chromedriver, DriverError};
use crate::browser::{Browser, Launched};
use std::path::PathBuf;
use std::sync::Mutex;

/// The local chromedriver of a run, replaced when it dies.
struct LocalDriver {
    driver: Chromedriver,
    /// Bumped at each replacement; a session remembers the one it started on.
    generation: u64,
    /// What happened to the previous chromedriver, for sessions that ran on it.
    previous_exit: Option<String>,
}

/// A browser is relaunched after this many sessions, bounding what a long run can
/// accumulate in one browser process.
const SESSIONS_PER_BROWSER: usize = 50;

pub(super) struct Pool {
    webdriver_url: Mutex<String>,
    /// The local chromedriver; `None` on a remote WebDriver endpoint.
    local: Option<tokio::sync::Mutex<LocalDriver>>,
    chromium: Option<PathBuf>,
    headed: bool,
    reuse: bool,
    /// Whether a session may leave its tab clean for the next one (`Browser::recycle`).
    /// Not on a coverage run: code coverage must start in a new renderer, whose script
    /// engine has compiled none of the app's code.
    park: bool,
    /// Sessions the run has not started yet: a tab is left clean for the next session only
    /// when one will come (the last session's browser context is disposed of, cheaper).
    queued: std::sync::atomic::AtomicUsize,
    idle: Mutex<Vec<Launched>>,
}

impl Pool {
    /// A pool on a local chromedriver it owns (browsers are reused), or on a remote endpoint.
    pub(super) fn new(
        endpoint: Result<Chromedriver, String>,
        chromium: Option<PathBuf>,
        headed: bool,
        park: bool,
    ) -> Self {
        let (url, local) = match endpoint {
            Ok(driver) => (
                driver.url().to_string(),
                Some(tokio::sync::Mutex::new(LocalDriver {
                    driver,
                    generation: 0,
                    previous_exit: None,
                })),
            ),
            Err(url) => (url, None),
        };
        Self {
            webdriver_url: Mutex::new(url),
            reuse: local.is_some(),
            local,
            chromium,
            headed,
            park,
            queued: std::sync::atomic::AtomicUsize::new(0),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// How many sessions the run has not started yet.
    pub(super) fn set_queued(&self, n: usize) {
        self.queued.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// The WebDriver endpoint sessions start on now.
    pub(super) fn webdriver_url(&self) -> String {
        self.webdriver_url
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The local chromedriver's generation, to hand to [`Pool::driver_death`] later.
    pub(super) async fn generation(&self) -> u64 {
        match &self.local {
            Some(l) => l.lock().await.generation,
            None => 0,
        }
    }

    /// After a session failed on the browser side: whether the local chromedriver it ran on
    /// (`generation`) has died, and how ("chromedriver exited with signal 9"). A dead one is
    /// replaced here, once, by whichever session notices first; its idle browsers go with it.
    pub(super) async fn driver_death(&self, generation: u64) -> Option<String> {
        let mut local = self.local.as_ref()?.lock().await;
        if local.generation != generation {
            return local.previous_exit.clone();
        }
        let status = local.driver.exited()?;
        let why = format!("chromedriver {}", describe_exit(status));
        // Browsers of the dead driver cannot serve anyone; their processes die with its
        // group when it is dropped below.
        drop(std::mem::take(
            &mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()),
        ));
        let why = match Chromedriver::start().await {
            Ok(new) => {
                *self.webdriver_url.lock().unwrap_or_else(|p| p.into_inner()) =
                    new.url().to_string();
                local.driver = new;
                format!("{why}; a new chromedriver was started")
            }
            Err(e) => format!("{why}, and a new one could not start: {e}"),
        };
        local.generation += 1;
        local.previous_exit = Some(why.clone());
        Some(why)
    }

    /// Replaces the local chromedriver if it died since the last session. A session talks to
    /// its page through DevTools and needs chromedriver only for a new browser, a window or
    /// frame switch, or a file upload, so a driver can die unnoticed: it is checked here,
    /// before a session depends on it, rather than when a session fails on it.
    pub(super) async fn replace_dead_driver(&self) {
        let generation = self.generation().await;
        let _ = self.driver_death(generation).await;
    }

    /// A browser for a session: an idle one if there is one, else a new one.
    pub(super) async fn take(&self) -> Result<Launched, DriverError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(b) => Ok(b),
            None => {
                Launched::start(
                    &self.webdriver_url(),
                    self.chromium.as_deref(),
                    self.headed,
                    self.reuse,
                )
                .await
            }
        }
    }

    /// Ends a session's use of its browser: back to the idle ones, or closed.
    pub(super) async fn retire(&self, browser: Browser) {
        let park = self.park && self.queued.load(std::sync::atomic::Ordering::SeqCst) > 0;
        if let Some(b) = browser.recycle(park).await {
            if b.sessions() < SESSIONS_PER_BROWSER {
                self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(b);
            } else {
                b.close().await;
            }
        }
    }

    /// Closes the idle browsers; the run is over.
    pub(super) async fn shutdown(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for b in idle {
            b.close().await;
        }
    }
}
