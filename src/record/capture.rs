//! The recorder's side of the browser: every request of the page, its iframes and workers
//! is paused by CDP `Fetch`, answered (the app folder, the `--mocks` HAR) or let through to
//! the live network and paused again at the response stage to read the full body. Capturing
//! at the `Fetch` response stage rather than from `Network` events gives the body before
//! the page can see it, with no race against the browser evicting it from its buffers.
//!
//! What is captured is what replay will need: backend exchanges, plus app assets only when
//! asked (`--keep-assets`), since replay serves those from the build under test with the
//! same rule as `browser::intercept`.

use super::har::Captured;
use crate::browser::cdp::Cdp;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Network state of one recording.
pub struct NetCapture {
    pub cdp: Cdp,
    pub app_origin: String,
    pub app_dir: Option<PathBuf>,
    /// The `--mocks` backend's base URI, when the backend is answered from a HAR.
    pub backend: Option<String>,
    pub keep_assets: bool,
    pub http: reqwest::Client,
    pub entries: Mutex<Vec<Captured>>,
    /// Request start times by interception id, until the response stage.
    started: Mutex<HashMap<String, (i64, Instant)>>,
    in_flight: AtomicUsize,
    /// Requests the `--mocks` HAR had no answer for.
    pub unanswered: Mutex<Vec<String>>,
}

impl NetCapture {
    pub fn new(
        cdp: Cdp,
        app_origin: String,
        app_dir: Option<PathBuf>,
        backend: Option<String>,
        keep_assets: bool,
        http: reqwest::Client,
    ) -> Self {
        Self {
            cdp,
            app_origin,
            app_dir,
            backend,
            keep_assets,
            http,
            entries: Mutex::default(),
            started: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            unanswered: Mutex::default(),
        }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn take_entries(&self) -> Vec<Captured> {
        let mut e = std::mem::take(&mut *self.entries.lock().unwrap_or_else(|p| p.into_inner()));
        e.sort_by_key(|c| c.started_ms);
        e
    }

    fn is_app_asset(&self, params: &Value) -> bool {
        crate::browser::intercept::is_app_asset(params, &self.app_origin)
    }

    /// Handles one `Fetch.requestPaused`, at either stage; never leaves a request paused.
    pub async fn handle(&self, params: Value, session: Option<String>) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let id = params["requestId"].as_str().unwrap_or_default().to_string();
        let s = session.as_deref();
        let response_stage = params.get("responseStatusCode").is_some()
            || params.get("responseErrorReason").is_some();
        let done = if response_stage {
            self.at_response(&id, &params, s).await
        } else {
            self.at_request(&id, &params, s).await
        };
        if !done {
            let _ = self
                .cdp
                .send("Fetch.continueRequest", json!({ "requestId": id }), s)
                .await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Answers the request when reprise serves it; `false` lets it go to the network.
    async fn at_request(&self, id: &str, params: &Value, s: Option<&str>) -> bool {
        let now = (now_ms(), Instant::now());
        self.started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), now);
        let req = &params["request"];
        let url_text = req["url"].as_str().unwrap_or_default();
        let method = req["method"].as_str().unwrap_or("GET");
        let Ok(url) = url::Url::parse(url_text) else {
            return false;
        };
        let asset = self.is_app_asset(params);
        let answer = match (&self.app_dir, &self.backend) {
            (Some(dir), _) if asset => Some(crate::browser::intercept::serve_file(dir, url.path())),
            (_, Some(backend)) if !asset && url.scheme().starts_with("http") => {
                match self.ask_backend(backend, &url, method, req).await {
                    Some(a) => Some(a),
                    None => {
                        self.unanswered
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{method} {url}"));
                        None
                    }
                }
            }
            _ => None,
        };
        let Some((status, headers, body)) = answer else {
            return false;
        };
        let header_json: Vec<Value> = headers
            .iter()
            .map(|(n, v)| json!({ "name": n, "value": v }))
            .collect();
        let sent = self
            .cdp
            .send(
                "Fetch.fulfillRequest",
                json!({
                    "requestId": id,
                    "responseCode": status,
                    "responseHeaders": header_json,
                    "body": base64::engine::general_purpose::STANDARD.encode(&body),
                }),
                s,
            )
            .await
            .is_ok();
        if sent && self.should_keep(params) {
            self.push(params, now, status, headers, body);
        }
        sent
    }

    async fn at_response(&self, id: &str, params: &Value, s: Option<&str>) -> bool {
        let started = self
            .started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .unwrap_or((now_ms(), Instant::now()));
        let Some(status) = params["responseStatusCode"].as_u64() else {
            return false; // a network error: nothing to capture, the page sees it as is
        };
        if !self.should_keep(params) {
            return false;
        }
        let body = match self
            .cdp
            .send("Fetch.getResponseBody", json!({ "requestId": id }), s)
            .await
        {
            Ok(v) => {
                let text = v["body"].as_str().unwrap_or_default();
                if v["base64Encoded"].as_bool() == Some(true) {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .unwrap_or_default()
                } else {
                    text.as_bytes().to_vec()
                }
            }
            // Redirects and empty answers have no body to read.
            Err(_) => Vec::new(),
        };
        let headers: Vec<(String, String)> = params["responseHeaders"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| {
                        Some((
                            h["name"].as_str()?.to_string(),
                            h["value"].as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.push(params, started, status as u16, headers, body);
        false
    }

    /// Backend exchanges always; app assets only with `--keep-assets`; never CORS
    /// preflights (replay answers those itself).
    fn should_keep(&self, params: &Value) -> bool {
        let req = &params["request"];
        let preflight = req["method"] == "OPTIONS"
            && req["headers"].as_object().is_some_and(|h| {
                h.keys()
                    .any(|k| k.eq_ignore_ascii_case("access-control-request-method"))
            });
        let url = req["url"].as_str().unwrap_or_default();
        let web = url.starts_with("http:") || url.starts_with("https:");
        web && !preflight && (self.keep_assets || !self.is_app_asset(params))
    }

    fn push(
        &self,
        params: &Value,
        (started_ms, started): (i64, Instant),
        status: u16,
        response_headers: Vec<(String, String)>,
        response_body: Vec<u8>,
    ) {
        let req = &params["request"];
        let request_headers: Vec<(String, String)> = req["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let entry = Captured {
            started_ms,
            duration_ms: started.elapsed().as_millis() as u64,
            method: req["method"].as_str().unwrap_or("GET").to_string(),
            url: req["url"].as_str().unwrap_or_default().to_string(),
            request_headers,
            request_body: request_body(req),
            status,
            status_text: params["responseStatusText"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            response_headers,
            response_body,
            resource_type: params["resourceType"]
                .as_str()
                .unwrap_or("Other")
                .to_string(),
        };
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
    }

    /// Asks the `--mocks` backend (reprise's own mock server, with its matching and CORS
    /// answers); `None` when the HAR has no answer.
    async fn ask_backend(
        &self,
        backend: &str,
        url: &url::Url,
        method: &str,
        req: &Value,
    ) -> Option<(u16, Vec<(String, String)>, Vec<u8>)> {
        crate::browser::intercept::ask_backend(&self.http, backend, url, method, req).await
    }
}

use crate::browser::intercept::request_body;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
