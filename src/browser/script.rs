//! Scripts in the session's page, and where they are sent.
//!
//! The main page's top document is reached through the DevTools session reprise already
//! holds for interception (`Runtime.evaluate`): one message. The same script sent as a
//! WebDriver `executeScript` is an HTTP round trip to chromedriver, which turns it into about
//! six DevTools messages of its own, 7–10 ms of CPU against 1 ms (docs/performance.md). A
//! replay sends a few scripts per step (the step's marker, the settle looks, element
//! look-ups, snapshots), so this is most of what a step costs beyond the page's own work.
//!
//! WebDriver is still used where its current frame or window is what the step needs: a step
//! in an iframe or in a popup, and a file upload. Its current window is moved to the
//! session's tab only then ([`Browser::webdriver_on_tab`]): most sessions never need it, and
//! chromedriver attaching to a new tab costs more than a whole simple step (137 ms, and 55 ms
//! to leave it at the end).

use super::{Browser, PAGE_JS};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A script that could not run or threw.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ScriptError(pub String);

/// How long a script waits for a navigation the main page started to finish loading, before
/// it runs anyway. chromedriver waits the same way before each script; a navigation that
/// never ends must not stall the replay past what a settle would wait.
const NAVIGATION_WAIT: Duration = Duration::from_secs(10);

/// How long a script is retried while the page is between two documents (the old one's
/// context destroyed, the new one's not created yet).
const CONTEXT_WAIT: Duration = Duration::from_secs(10);

/// Wraps a WebDriver-style script body (`arguments`, and for an asynchronous script the
/// callback as its last argument) into an expression `Runtime.evaluate` awaits.
///
/// Element references cannot cross `Runtime.evaluate` by value: a result whose `element` is
/// a DOM element keeps the element in the page, under a symbol no page script enumerates,
/// and returns `{"__repriseTarget": true}` in its place; that stand-in given back as an
/// argument is the element again.
fn expression(body: &str, args: &[Value], asynchronous: bool) -> String {
    let args = Value::Array(args.to_vec());
    format!(
        "(async () => {{\
           const T = Symbol.for('reprise.target');\
           const args = {args}.map((a) => (a && a.__repriseTarget === true ? window[T] : a));\
           const f = function () {{\n{body}\n}};\
           let r = await ({asynchronous} ? new Promise((resolve) => f.apply(window, args.concat([resolve]))) : f.apply(window, args));\
           if (r && typeof r === 'object' && r.element instanceof Element) {{\
             window[T] = r.element;\
             r = Object.assign({{}}, r, {{ element: {{ __repriseTarget: true }} }});\
           }}\
           return r;\
         }})()"
    )
}

/// Whether a failed evaluation only met the page between two documents.
fn between_documents(message: &str) -> bool {
    message.contains("Execution context was destroyed")
        || message.contains("Cannot find default execution context")
        || message.contains("Cannot find context with specified id")
        || message.contains("Inspected target navigated or closed")
}

impl Browser {
    /// Runs a script with the page helpers (`__reprisePage`) defined.
    pub async fn js(&self, body: &str, args: Vec<Value>) -> Result<Value, ScriptError> {
        self.script(&with_page_helpers(body), args).await
    }

    /// Runs an asynchronous script (it calls its last argument with the result) with the page
    /// helpers defined.
    pub async fn js_async(&self, body: &str, args: Vec<Value>) -> Result<Value, ScriptError> {
        self.script_async(&with_page_helpers(body), args).await
    }

    /// Runs a script body in the document the current step acts on, as WebDriver's
    /// `executeScript` does (a returned promise is awaited).
    pub async fn script(&self, body: &str, args: Vec<Value>) -> Result<Value, ScriptError> {
        self.run(body, args, false).await
    }

    /// Runs an asynchronous script body (it calls its last argument with the result), as
    /// WebDriver's `executeAsyncScript` does.
    pub async fn script_async(&self, body: &str, args: Vec<Value>) -> Result<Value, ScriptError> {
        self.run(body, args, true).await
    }

    async fn run(
        &self,
        body: &str,
        args: Vec<Value>,
        asynchronous: bool,
    ) -> Result<Value, ScriptError> {
        if self.on_main_document() {
            return self.evaluate_in_main(body, &args, asynchronous).await;
        }
        let client = self.webdriver().await?;
        let ran = match asynchronous {
            true => client.execute_async(body, args).await,
            false => client.execute(body, args).await,
        };
        ran.map_err(|e| ScriptError(e.to_string()))
    }

    /// Whether the current step acts on the main page's top document (not in a frame, not in
    /// a popup): scripts for it go through DevTools.
    fn on_main_document(&self) -> bool {
        self.frame_depth.load(Ordering::SeqCst) == 0 && self.lock_current().is_none()
    }

    /// The WebDriver client, on the page the current step acts on: a popup the step entered,
    /// else the session's tab.
    pub(super) async fn webdriver(&self) -> Result<&fantoccini::Client, ScriptError> {
        if self.lock_current().is_some() {
            return Ok(&self.client);
        }
        self.webdriver_on_tab().await
    }

    /// The WebDriver client, with the session's tab as its current window. WebDriver starts
    /// each session on the browser's first window: it is moved here the first time a step
    /// needs it.
    pub(super) async fn webdriver_on_tab(&self) -> Result<&fantoccini::Client, ScriptError> {
        if !self.on_tab.load(Ordering::SeqCst) {
            let tab = fantoccini::wd::WindowHandle::try_from(self.main_window.clone())
                .map_err(|e| ScriptError(format!("the session's tab: {e}")))?;
            self.client
                .switch_to_window(tab)
                .await
                .map_err(|e| ScriptError(format!("cannot switch to the session's tab: {e}")))?;
            self.on_tab.store(true, Ordering::SeqCst);
        }
        Ok(&self.client)
    }

    /// Evaluates a script in the main page's top document through its DevTools session.
    /// Waits first for a navigation the page started to finish loading, and again when the
    /// script met the page between two documents, as chromedriver does before each script:
    /// a look at the page must see the document a step led to, not the one it left.
    pub(super) async fn evaluate_in_main(
        &self,
        body: &str,
        args: &[Value],
        asynchronous: bool,
    ) -> Result<Value, ScriptError> {
        let params = json!({
            "expression": expression(body, args, asynchronous),
            "awaitPromise": true,
            "returnByValue": true,
        });
        let deadline = Instant::now() + CONTEXT_WAIT;
        loop {
            self.wait_for_navigation(NAVIGATION_WAIT).await;
            let answer = self
                .intercept
                .page_command("Runtime.evaluate", params.clone())
                .await;
            let message = match answer {
                Ok(v) => match v.get("exceptionDetails") {
                    None => return Ok(v["result"].get("value").cloned().unwrap_or(Value::Null)),
                    Some(d) => d["exception"]["description"]
                        .as_str()
                        .or_else(|| d["text"].as_str())
                        .unwrap_or("the script threw")
                        .to_string(),
                },
                Err(e) => e.to_string(),
            };
            if !between_documents(&message) || Instant::now() > deadline {
                return Err(ScriptError(message));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits (up to `max`) while the main page is loading a new document or about to.
    pub(super) async fn wait_for_navigation(&self, max: Duration) {
        let deadline = Instant::now() + max;
        while self.intercept.log.navigation_pending() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Navigates the main page and waits for its load, as WebDriver's `navigateTo` does:
    /// a connection error is an error (chromedriver's rule); a page the interception
    /// answered with an error loads as the browser's error page, as it would for a user.
    pub(super) async fn navigate_main(&self, url: &str, timeout: Duration) -> Result<(), String> {
        let v = self
            .intercept
            .page_command("Page.navigate", json!({ "url": url }))
            .await
            .map_err(|e| e.to_string())?;
        if let Some(error) = v["errorText"].as_str().filter(|e| is_connection_error(e)) {
            return Err(error.to_string());
        }
        if v.get("loaderId").is_none() {
            // Within the document (a fragment): nothing loads.
            return Ok(());
        }
        // Until the load, or the step's timeout: each look waits in the page for the load
        // (a DevTools command that may itself wait up to its own timeout), so the loop's
        // deadline alone could not end a load that never comes.
        let loaded = async {
            loop {
                let loaded = self
                    .script_async(
                        "const done = arguments[arguments.length - 1];\
                         if (document.readyState === 'complete') done(true);\
                         else window.addEventListener('load', () => done(true), { once: true });",
                        vec![],
                    )
                    .await;
                if loaded.is_ok() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(timeout, loaded).await;
        Ok(())
    }
}

/// chromedriver's rule for a failed navigation: only connection errors (net error codes
/// -100 to -199) fail `navigateTo`; an aborted or blocked request shows an error page.
fn is_connection_error(error: &str) -> bool {
    const CONNECTION: &[&str] = &[
        "net::ERR_CONNECTION_",
        "net::ERR_NAME_NOT_RESOLVED",
        "net::ERR_INTERNET_DISCONNECTED",
        "net::ERR_SSL_PROTOCOL_ERROR",
        "net::ERR_ADDRESS_",
        "net::ERR_TUNNEL_CONNECTION_FAILED",
        "net::ERR_NO_SSL_VERSIONS_ENABLED",
        "net::ERR_SOCKS_CONNECTION_",
        "net::ERR_PROXY_CONNECTION_FAILED",
        "net::ERR_NAME_RESOLUTION_FAILED",
        "net::ERR_NETWORK_ACCESS_DENIED",
    ];
    CONNECTION.iter().any(|p| error.starts_with(p))
}

/// A script body with the in-page helpers defined before it.
pub(super) fn with_page_helpers(body: &str) -> String {
    format!("{PAGE_JS}\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_fail_a_navigation_and_blocked_requests_do_not() {
        assert!(is_connection_error("net::ERR_CONNECTION_REFUSED"));
        assert!(is_connection_error("net::ERR_NAME_NOT_RESOLVED"));
        assert!(!is_connection_error("net::ERR_BLOCKED_BY_CLIENT"));
        assert!(!is_connection_error("net::ERR_ABORTED"));
        assert!(!is_connection_error("net::ERR_FAILED"));
    }

    #[test]
    fn a_script_body_keeps_its_arguments_and_its_own_lines() {
        let e = expression("return arguments[0] + 1; // a comment", &[json!(41)], false);
        assert!(e.contains("[41].map"));
        // the body ends its own line: a trailing comment cannot swallow the wrapper
        assert!(e.contains("// a comment\n}"));
        assert!(e.contains("false ? new Promise"));
    }

    #[test]
    fn only_the_gap_between_two_documents_is_retried() {
        assert!(between_documents(
            "DevTools command `Runtime.evaluate` failed: Execution context was destroyed."
        ));
        assert!(!between_documents("TypeError: x is not a function"));
    }
}
