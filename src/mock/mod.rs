//! The session's backend: recorded HAR exchanges served by a wiremock server on loopback.
//!
//! The browser never talks to this server directly: the interceptor (see `browser::intercept`)
//! forwards every non-asset request here, carrying the page's original URL in a header,
//! because the page must keep its recorded `https://` origins. One catch-all mock with an
//! indexed responder replaces one mock per exchange: wiremock scans its mocks linearly under a
//! lock, which is slow for large HARs.

pub mod har;
pub mod matching;

use matching::{Closest, ExchangeIndex, IncomingRequest, Lookup};
use std::sync::{Arc, Mutex};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub use har::{load_har, Exchange, HarError};

/// Header carrying the URL the page asked for.
pub const ORIGINAL_URL_HEADER: &str = "x-reprise-url";
/// Header set on the answer when no exchange matched.
pub const UNMATCHED_HEADER: &str = "x-reprise-unmatched";

/// A request no recorded exchange answered.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UnmatchedRequest {
    /// The step during which the page sent it (1-based; 0 before the first step).
    #[serde(default)]
    pub step: usize,
    pub method: String,
    pub url: String,
    pub closest: Option<Closest>,
}

/// A running mock backend for one session.
pub struct MockBackend {
    server: MockServer,
    state: Arc<State>,
}

struct State {
    index: ExchangeIndex,
    served: Mutex<usize>,
    unmatched: Mutex<Vec<UnmatchedRequest>>,
    /// The step the replay is at, to place unmatched requests in the session's timeline.
    step: std::sync::atomic::AtomicUsize,
}

impl MockBackend {
    /// Starts a dedicated server (not wiremock's shared pool: sessions run in parallel and
    /// must not see each other's requests).
    pub async fn start(exchanges: Vec<Exchange>) -> Self {
        let state = Arc::new(State {
            index: ExchangeIndex::new(exchanges),
            served: Mutex::new(0),
            unmatched: Mutex::new(Vec::new()),
            step: std::sync::atomic::AtomicUsize::new(0),
        });
        let server = MockServer::builder().start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder(state.clone()))
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// Base URL of the server, e.g. `http://127.0.0.1:40123`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Tells the backend which step the replay is at.
    pub fn set_step(&self, step: usize) {
        self.state
            .step
            .store(step, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn recorded(&self) -> usize {
        self.state.index.exchanges().len()
    }

    pub fn served(&self) -> usize {
        *self.state.served.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn unmatched(&self) -> Vec<UnmatchedRequest> {
        self.state
            .unmatched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

struct Responder(Arc<State>);

impl Respond for Responder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let Some(url) = header(ORIGINAL_URL_HEADER).and_then(|u| url::Url::parse(&u).ok()) else {
            return ResponseTemplate::new(400).set_body_string("missing x-reprise-url");
        };
        let method = request.method.as_str().to_string();
        let incoming = IncomingRequest {
            method: method.clone(),
            url: url.clone(),
            content_type: header("content-type"),
            body: (!request.body.is_empty()).then(|| request.body.clone()),
        };
        let origin = header("origin");
        match self.0.index.lookup(&incoming) {
            Lookup::Matched(i) => {
                *self.0.served.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                respond_with(&self.0.index.exchanges()[i], origin.as_deref())
            }
            Lookup::Unmatched { .. } if is_preflight(&method, &request.headers) => {
                preflight(&request.headers, origin.as_deref())
            }
            Lookup::Unmatched { closest } => {
                let record = UnmatchedRequest {
                    step: self.0.step.load(std::sync::atomic::Ordering::SeqCst),
                    method,
                    url: url.to_string(),
                    closest,
                };
                let body = serde_json::to_vec(&record).unwrap_or_default();
                self.0
                    .unmatched
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(record);
                ResponseTemplate::new(404)
                    .insert_header(UNMATCHED_HEADER, "1")
                    .set_body_raw(body, "application/json")
            }
        }
    }
}

fn is_preflight(method: &str, headers: &wiremock::http::HeaderMap) -> bool {
    method == "OPTIONS" && headers.contains_key("access-control-request-method")
}

/// Answers a CORS preflight the recording lacks: exporters usually drop preflights, and the
/// real server allowed the request since the app got its recorded answer.
fn preflight(headers: &wiremock::http::HeaderMap, origin: Option<&str>) -> ResponseTemplate {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut t = ResponseTemplate::new(204)
        .insert_header("access-control-allow-origin", origin.unwrap_or("*"))
        .insert_header(
            "access-control-allow-methods",
            get("access-control-request-method"),
        )
        .insert_header("access-control-max-age", "600")
        .insert_header("vary", "origin");
    let req_headers = get("access-control-request-headers");
    if !req_headers.is_empty() {
        t = t.insert_header("access-control-allow-headers", req_headers);
    }
    if origin.is_some() {
        t = t.insert_header("access-control-allow-credentials", "true");
    }
    t
}

/// Headers that described the original transfer, not the content reprise serves: bodies are
/// stored decoded in HAR files and re-framed by the server.
const TRANSFER_HEADERS: &[&str] = &[
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

fn respond_with(ex: &Exchange, origin: Option<&str>) -> ResponseTemplate {
    let mut t = ResponseTemplate::new(ex.status);
    let mut has_acao = false;
    for (name, value) in &ex.response_headers {
        let lower = name.to_ascii_lowercase();
        if TRANSFER_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        has_acao |= lower == "access-control-allow-origin";
        t = t.append_header(lower.as_str(), value.as_str());
    }
    // Exporters often drop CORS headers; the app did get this answer, so the real server
    // allowed its origin.
    if let (false, Some(origin)) = (has_acao, origin) {
        t = t
            .append_header("access-control-allow-origin", origin)
            .append_header("access-control-allow-credentials", "true");
    }
    t.set_body_bytes(ex.response_body.clone())
}
