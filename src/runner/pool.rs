//! The browsers of a run: launched when a session needs one, and, on a local chromedriver,
//! handed from session to session.
//!
//! Starting Chromium was a third of a short session's wall time and most of the machine's
//! CPU in a run (a run of the demo suite burnt twice the CPU of @puppeteer/replay on the same
//! recordings, nearly all of it in the browsers). So a browser serves one session after
//! another, each in a browser context of its own (cookies, storage, cache and service workers
//! start empty, as on a fresh profile), which is disposed of when the session ends. A browser
//! that fails to come back (crashed, driver gone) is closed and the next session launches a
//! new one. Browsers on a remote WebDriver endpoint (a Grid) serve one session each: the Grid
//! schedules sessions, and its DevTools proxy is not asked to manage contexts.
use crate::browser::driver::DriverError;
use crate::browser::{Browser, Launched};
use std::path::PathBuf;
use std::sync::Mutex;

/// A browser is relaunched after this many sessions, bounding what a long run can
/// accumulate in one browser process.
const SESSIONS_PER_BROWSER: usize = 50;

pub(super) struct Pool {
    webdriver_url: String,
    chromium: Option<PathBuf>,
    headed: bool,
    reuse: bool,
    idle: Mutex<Vec<Launched>>,
}

impl Pool {
    pub(super) fn new(
        webdriver_url: String,
        chromium: Option<PathBuf>,
        headed: bool,
        reuse: bool,
    ) -> Self {
        Self {
            webdriver_url,
            chromium,
            headed,
            reuse,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A browser for a session: an idle one if there is one, else a new one.
    pub(super) async fn take(&self) -> Result<Launched, DriverError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(b) => Ok(b),
            None => {
                Launched::start(
                    &self.webdriver_url,
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
        if let Some(b) = browser.recycle().await {
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
