//! `POST /v1/ingest/{session}/{window}/{seq}`, its CORS preflight and `GET /v1/capture.js`.
//!
//! Checks run cheapest first: origin, ids, token, size on the wire, bounded gunzip, then the
//! batch itself; only then is CPU spent on redaction. Every refusal is JSON
//! `{"error", "hint"}` with 400, 401, 403 or 413.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::State;
use crate::store::{BatchKey, Put};

/// A JSON refusal.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: String,
    pub hint: &'static str,
}

impl Refusal {
    fn new(status: StatusCode, error: impl Into<String>, hint: &'static str) -> Self {
        Self {
            status,
            error: error.into(),
            hint,
        }
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        json_response(self.status, json!({"error": self.error, "hint": self.hint}))
    }
}

/// Session and window ids: `[A-Za-z0-9_-]{8,64}`.
pub fn valid_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Compares in time independent of where the strings first differ.
fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The allowed origin of a request, when it sent one that is allowed.
fn allowed_origin<'h>(state: &State, headers: &'h HeaderMap) -> Result<Option<&'h str>, Refusal> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let origin = origin.to_str().unwrap_or("");
    if state.allow_origins.iter().any(|o| o == origin) {
        Ok(Some(origin))
    } else {
        Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "origin `{}` is not allowed",
                crate::excerpt::excerpt(origin)
            ),
            "add it with `reprise collect --allow-origin ORIGIN` or `[collect] allow_origins`",
        ))
    }
}

fn with_cors(mut r: Response, origin: Option<&str>) -> Response {
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    r
}

/// `OPTIONS` on the ingest path: the preflight of a `fetch` with `X-Reprise-Token`.
pub async fn preflight(AxState(state): AxState<Arc<State>>, headers: HeaderMap) -> Response {
    match allowed_origin(&state, &headers) {
        Ok(origin) => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST, OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type, content-encoding, x-reprise-token"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            with_cors(r, origin)
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /v1/capture.js`.
pub async fn capture_js() -> Response {
    let mut r = super::capture_js().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    // Any page may load the script; only allowed origins may post.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

pub async fn not_found(method: Method) -> Response {
    Refusal::new(
        if method == Method::POST || method == Method::GET {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::METHOD_NOT_ALLOWED
        },
        "no such endpoint",
        "the collector answers `POST /v1/ingest/{session}/{window}/{seq}` and `GET /v1/capture.js`",
    )
    .into_response()
}

fn token_of<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<String> {
    if let Some(t) = headers.get("x-reprise-token").and_then(|v| v.to_str().ok()) {
        return Some(t.to_string());
    }
    let q = query?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// Gunzips at most `max` bytes; `None` when the content is larger (a zip bomb) or corrupt
/// (then `Some(Err)`).
pub fn gunzip_bounded(data: &[u8], max: usize) -> Result<Vec<u8>, Refusal> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("the gzip body is corrupt: {e}"),
                "send the batch as JSON, or gzip it whole",
            )
        })?;
    if out.len() > max {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the batch decodes to more than {max} bytes"),
            "send smaller batches (the snippet flushes every 512 KB)",
        ));
    }
    Ok(out)
}

/// Checks the batch with the contract's parser (`record::batch::Batch::parse`: version,
/// ids, event count, event shapes) and its fields against the path; returns the `end`
/// reason if it ends the session.
pub fn check_batch(decoded: &[u8], key: &BatchKey) -> Result<Option<String>, Refusal> {
    use crate::record::batch::{Batch, BatchError, CaptureEvent};
    let hint = "post one batch as the capture contract defines it (docs/capture.md)";
    let batch = Batch::parse(decoded).map_err(|e| {
        let status = match e {
            BatchError::TooLarge { .. } | BatchError::TooManyEvents(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            _ => StatusCode::BAD_REQUEST,
        };
        Refusal::new(status, e.to_string(), hint)
    })?;
    for (field, got, want) in [
        ("session", &batch.session, &key.session),
        ("window", &batch.window, &key.window),
    ] {
        if got != want {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("the batch's `{field}` differs from the URL's"),
                hint,
            ));
        }
    }
    if batch.seq != key.seq {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "the batch's `seq` differs from the URL's",
            hint,
        ));
    }
    Ok(batch.events.iter().find_map(|e| match e {
        CaptureEvent::End { reason, .. } => Some(reason.chars().take(40).collect()),
        _ => None,
    }))
}

/// `POST /v1/ingest/{session}/{window}/{seq}`.
pub async fn ingest(
    AxState(state): AxState<Arc<State>>,
    Path((session, window, seq)): Path<(String, String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let batch = format!(
        "{}/{}/{}",
        crate::excerpt::excerpt(&session),
        crate::excerpt::excerpt(&window),
        crate::excerpt::excerpt(&seq)
    );
    let origin = match allowed_origin(&state, &headers) {
        Ok(o) => o.map(str::to_string),
        Err(r) => return refused(&state, &batch, r).into_response(),
    };
    // In a task of its own, not in this handler: the server drops a handler whose client went
    // away, and a page's last batch comes on a keepalive request that the browser cancels when
    // it closes right after leaving. Awaited here, the batch could then be read in full and
    // not stored, or stored and its `end` never close the session; spawned, what was received
    // is stored (or refused and logged) and counted either way.
    let query = uri.query().map(str::to_string);
    let (st, label) = (state.clone(), batch.clone());
    let task = tokio::spawn(async move {
        let result = accept(&st, session, window, seq, query.as_deref(), &headers, body).await;
        match result {
            Ok(put) => {
                let n = match put {
                    Put::Stored => &st.counts.stored,
                    Put::Duplicate => &st.counts.duplicates,
                };
                n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(put)
            }
            Err(refusal) => Err(refused(&st, &batch, refusal)),
        }
    });
    let r = match task.await {
        Ok(Ok(put)) => json_response(
            StatusCode::ACCEPTED,
            json!({"ok": true, "duplicate": put == Put::Duplicate}),
        ),
        Ok(Err(refusal)) => refusal.into_response(),
        Err(e) => refused(
            &state,
            &label,
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the batch could not be processed: {e}"),
                "retry; the collector's log says more",
            ),
        )
        .into_response(),
    };
    with_cors(r, origin.as_deref())
}

/// Counts and logs a refused batch: the page cannot retry a 4xx, so without this line the
/// batch would be gone without a trace (docs/capture.md, "The collector").
fn refused(state: &State, batch: &str, refusal: Refusal) -> Refusal {
    let n = state
        .counts
        .refused
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    eprintln!(
        "collect: refused batch {batch}: {} {} ({n} refused since start)",
        refusal.status.as_u16(),
        crate::excerpt::message(&refusal.error)
    );
    refusal
}

async fn accept(
    state: &Arc<State>,
    session: String,
    window: String,
    seq: String,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Put, Refusal> {
    for (what, id) in [("session", &session), ("window", &window)] {
        if !valid_id(id) {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("invalid {what} id `{}`", crate::excerpt::excerpt(id)),
                "ids are 8 to 64 characters of A-Z, a-z, 0-9, `_` and `-`",
            ));
        }
    }
    let seq: u32 = seq.parse().map_err(|_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("invalid seq `{}`", crate::excerpt::excerpt(&seq)),
            "seq is a decimal number from 0 to 4294967295",
        )
    })?;
    match token_of(headers, query) {
        Some(t) if same_token(&t, &state.write_token) => {}
        got => {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                if got.is_some() {
                    "wrong write token"
                } else {
                    "no write token"
                },
                "send the write token in `X-Reprise-Token` or `?token=`",
            ))
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_big = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} bytes", super::MAX_WIRE_BYTES),
            "send smaller batches (the snippet flushes every 512 KB)",
        )
    };
    if declared.is_some_and(|n| n > super::MAX_WIRE_BYTES as u64) {
        return Err(too_big());
    }
    // With a declared length within the limit, a body that cannot be read was cut short (the
    // client went away), which the log should not call too large.
    let wire = axum::body::to_bytes(body, super::MAX_WIRE_BYTES)
        .await
        .map_err(|e| match declared {
            Some(n) => Refusal::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body ended before its {n} bytes: {}",
                    crate::excerpt::excerpt(&e.to_string())
                ),
                "send the batch again",
            ),
            None => too_big(),
        })?;
    let gz_header = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let key = BatchKey {
        session,
        window,
        seq,
    };
    // CPU work (gunzip, parse, redaction) and the store's fsync run off the async threads,
    // at most MAX_IN_FLIGHT at once.
    let _permit = state.in_flight.acquire().await.map_err(|_| {
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the collector is shutting down",
            "retry later",
        )
    })?;
    let st = state.clone();
    let received = crate::store::now_ms();
    let res =
        tokio::task::spawn_blocking(move || -> Result<(Put, Option<String>, String), Refusal> {
            let decoded = if gz_header || wire.starts_with(&[0x1f, 0x8b]) {
                gunzip_bounded(&wire, super::MAX_DECODED_BYTES)?
            } else {
                wire.to_vec()
            };
            let end = check_batch(&decoded, &key)?;
            let redacted = st
                .redactor
                .redact(&decoded)
                .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e, "post valid UTF-8 JSON"))?;
            let put = st
                .store
                .put_batch(&key, &redacted, received)
                .map_err(store_failure)?;
            Ok((put, end, key.session))
        })
        .await
        .map_err(|_| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the batch could not be processed",
                "retry; the collector's log says more",
            )
        })??;
    let (put, end, session) = res;
    if let (Put::Stored, Some(reason)) = (put, end) {
        let store = state.store.clone();
        // Closing is not part of the batch's durability: the batch is stored already.
        tokio::task::spawn_blocking(move || super::lifecycle::close(&*store, &session, &reason));
    }
    Ok(put)
}

fn store_failure(e: crate::store::StoreError) -> Refusal {
    eprintln!("collect: store error: {e}");
    Refusal::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the store could not keep the batch",
        "retry later; the collector's log says why",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tokens() {
        assert!(valid_id("abcd_1234-XY"));
        assert!(!valid_id("short"));
        assert!(!valid_id("has/slash00"));
        assert!(!valid_id(&"a".repeat(65)));
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }

    #[test]
    fn a_zip_bomb_is_refused_with_413() {
        let big = vec![b' '; 4 << 20];
        let gz = crate::store::gzip(&big);
        assert!(gz.len() < 64 << 10);
        let r = gunzip_bounded(&gz, 1 << 20).err().unwrap();
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(gunzip_bounded(&gz, 8 << 20).unwrap().len(), 4 << 20);
        assert_eq!(
            gunzip_bounded(b"\x1f\x8bnot", 10).err().unwrap().status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn batch_fields_must_match_the_path() {
        let key = BatchKey {
            session: "sessionA1".into(),
            window: "windowA1".into(),
            seq: 3,
        };
        let ok = br#"{"v":1,"session":"sessionA1","window":"windowA1","seq":3,"events":[{"t":1,"type":"end","reason":"pagehide"}]}"#;
        assert_eq!(
            check_batch(ok, &key).ok().unwrap().as_deref(),
            Some("pagehide")
        );
        let wrong = br#"{"v":1,"session":"sessionA1","window":"windowA1","seq":4,"events":[]}"#;
        assert!(check_batch(wrong, &key).is_err());
        assert!(check_batch(b"nope", &key).is_err());
    }
}
