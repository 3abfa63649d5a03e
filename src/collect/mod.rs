//! `reprise collect`: the HTTP server the capture snippet posts batches to.
//!
//! Each batch is checked (token, ids, size, gzip bounded), redacted again with the
//! `privacy` detectors (the page's own redaction may have missed something), and stored
//! durably before the collector answers 202: a batch answered 202 survives a `kill -9`.
//! Sessions close on an `end` event or after an idle timeout; the retention sweep deletes
//! sessions older than `retain_days`. The store is sync ([`crate::store::Store`]): every
//! call runs in `spawn_blocking`.
//!
//! Layer 3: uses `store`, `privacy`, `config` and `record` (the batch types, the snippet).

pub mod export;
pub mod ingest;
pub mod lifecycle;
pub mod redact;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

use crate::store::Store;

/// Largest request body accepted on the wire (compressed or not).
pub const MAX_WIRE_BYTES: usize = 16 * 1024 * 1024;
/// Largest decoded batch: the batch contract's limit.
pub const MAX_DECODED_BYTES: usize = crate::record::batch::MAX_BATCH_BYTES;
/// Batches redacted and stored at once; more wait (bounded memory under a burst).
pub const MAX_IN_FLIGHT: usize = 64;

/// The capture snippet the collector serves at `/v1/capture.js`.
pub fn capture_js() -> &'static str {
    crate::record::snippet::CAPTURE_JS
}

/// Why the collector could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("no write token: the collector would accept batches from anyone")]
    NoWriteToken,
    #[error("invalid token from {source_name}: {why}")]
    BadToken { source_name: String, why: String },
    #[error("invalid origin `{origin}`: {why}")]
    BadOrigin { origin: String, why: String },
    #[error("cannot listen on `{addr}`: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("redaction setup failed: {0}")]
    Redaction(String),
}

impl CollectError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NoWriteToken => Some(
                "set `REPRISE_WRITE_TOKEN` (e.g. `export REPRISE_WRITE_TOKEN=$(openssl rand -hex 16)`) or `[collect] write_token` in reprise.toml".into(),
            ),
            Self::BadToken { .. } => Some("use a random token, e.g. `openssl rand -hex 16`".into()),
            Self::BadOrigin { .. } => {
                Some("give origins as `https://staging.example.com` (scheme, host, port; no path)".into())
            }
            Self::Listen { .. } => Some("choose a free address with `--listen 127.0.0.1:PORT`".into()),
            Self::Store(e) => e.hint().map(str::to_string),
            Self::Redaction(_) => Some(format!(
                "set `{}` to the team's redaction key",
                crate::privacy::pseudonym::KEY_ENV
            )),
        }
    }
}

/// Everything the collector runs with, resolved from flags, `[collect]` and the environment.
pub struct Options {
    pub listen: String,
    pub write_token: String,
    pub allow_origins: Vec<String>,
    pub idle_timeout: Duration,
    pub retain: Duration,
    /// How often idle sessions are closed and expired ones deleted.
    pub sweep_every: Duration,
}

/// Shared by every request.
pub struct State {
    pub store: Arc<dyn Store>,
    pub write_token: String,
    pub allow_origins: Vec<String>,
    pub redactor: redact::Redactor,
    pub in_flight: tokio::sync::Semaphore,
    pub counts: Counts,
}

/// What became of the batches posted since the collector started: no batch goes unaccounted
/// for. Each refusal is also logged with its reason (`collect: refused batch …`), since the
/// snippet cannot retry a 4xx and would otherwise lose it without a trace.
#[derive(Debug, Default)]
pub struct Counts {
    pub stored: std::sync::atomic::AtomicU64,
    pub duplicates: std::sync::atomic::AtomicU64,
    pub refused: std::sync::atomic::AtomicU64,
}

impl Counts {
    /// `N batches stored, N duplicates, N refused`.
    pub fn summary(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        format!(
            "{} batches stored, {} duplicates, {} refused",
            self.stored.load(Relaxed),
            self.duplicates.load(Relaxed),
            self.refused.load(Relaxed)
        )
    }
}

/// The router: ingest, preflight, the snippet.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route(
            "/v1/ingest/{session}/{window}/{seq}",
            post(ingest::ingest).options(ingest::preflight),
        )
        .route("/v1/capture.js", get(ingest::capture_js))
        .route("/v1/health", get(|| async { "ok" }))
        .fallback(ingest::not_found)
        .with_state(state)
}

/// Runs the collector until `shutdown` resolves; prints `listening on http://ADDR` once
/// bound (a port of 0 is chosen by the system), which scripts and tests wait for.
pub async fn serve(
    opts: Options,
    store: Arc<dyn Store>,
    redactor: redact::Redactor,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<(), CollectError> {
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .map_err(|source| CollectError::Listen {
            addr: opts.listen.clone(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| CollectError::Listen {
            addr: opts.listen.clone(),
            source,
        })?;
    let state = Arc::new(State {
        store: store.clone(),
        write_token: opts.write_token.clone(),
        allow_origins: opts.allow_origins.clone(),
        redactor,
        in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
        counts: Counts::default(),
    });
    let sweeper = tokio::spawn(lifecycle::sweep_loop(
        store,
        opts.idle_timeout,
        opts.retain,
        opts.sweep_every,
    ));
    on_bound(addr);
    accept_loop(listener, router(state.clone()), shutdown).await;
    sweeper.abort();
    eprintln!("collect: {}", state.counts.summary());
    Ok(())
}

/// Serves connections until `shutdown` resolves, then lets those open finish (batches in
/// flight are stored and answered). Not `axum::serve`: its connections close as soon as the
/// client stops sending, and hyper then drops a request it has read in full without calling
/// the handler, which is how the last batch of a page arrives when the browser closes right
/// after leaving it (its keepalive request cancelled once sent). Half-closed connections
/// (`half_close`) keep the request, so the batch is stored and its `end` closes the session.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder.http1().half_close(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, _) = tokio::select! {
            conn = listener.accept() => match conn {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: passes; wait rather than spin.
                    eprintln!("collect: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = builder
            .serve_connection(TokioIo::new(io), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The `<script>` tag to paste into the app's HTML, before the app's own scripts.
pub fn snippet_tag(public_url: &str, write_token: &str) -> String {
    let base = public_url.trim_end_matches('/');
    format!(
        "<script src=\"{base}/v1/capture.js\" data-endpoint=\"{base}\" data-token=\"{write_token}\"></script>"
    )
}
