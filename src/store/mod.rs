//! The session store: where `reprise collect` keeps captured batches and where `reprise
//! sessions` and curation read them, behind one sync trait so the collector (in
//! `spawn_blocking`) and the CLI commands share it.
//!
//! Two backends with one schema: [`sqlite`] (the embedded default: a SQLite index in WAL mode
//! and content-addressed gzip blobs on disk) and [`postgres`] (the scale-out backend, blobs in
//! a `bytea` table). Both split each batch into a *skeleton* (the batch JSON with every large
//! exchange body replaced by a reference) and one blob per body, keyed by the SHA-256 of its
//! content, so a response body repeated across sessions (the app's config, a product list) is
//! kept once. [`split`] and [`join`] are that transformation; [`index`] reads what a batch
//! adds to its session's summary (routes, endpoints, selectors, texts, errors) for search.
//!
//! Layer 2: imports nothing above `fsutil`; the batch is read as plain JSON here (the typed
//! batch belongs to `record`, a layer above).

pub mod index;
pub mod postgres;
pub mod sqlite;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Bodies shorter than this stay inline in the skeleton: a blob costs a file (or a row) and a
/// hash, more than it saves on a short body.
pub const MIN_BLOB_BODY: usize = 256;

/// Where a batch belongs: the contract's (session, window, seq), the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BatchKey {
    pub session: String,
    pub window: String,
    pub seq: u32,
}

/// What `put_batch` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Stored,
    /// The same (session, window, seq) was stored before; nothing new was written.
    Duplicate,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the session store `{spec}`: {message}")]
    Open { spec: String, message: String },
    #[error("session store I/O on `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("session store database error: {0}")]
    Db(String),
    #[error("the batch is not valid JSON: {0}")]
    Batch(String),
    #[error("stored blob `{0}` is missing or corrupt")]
    Blob(String),
}

impl StoreError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Open { .. } => Some(
                "give `--store DIR` (a folder, created if missing) or `--store postgres://USER@HOST:PORT/DB`",
            ),
            Self::Io { .. } => Some("check the folder's permissions and free space"),
            Self::Blob(_) => Some("the store was changed by hand or the disk lost data; delete the session"),
            Self::Db(_) | Self::Batch(_) => None,
        }
    }
}

/// A session as `sessions list` shows it and search filters it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SessionSummary {
    pub id: String,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub closed: bool,
    /// Why it closed (`end` event reason, `idle`), when closed.
    pub close_reason: Option<String>,
    pub batches: u64,
    /// Bytes received (decoded batch JSON, before redaction), summed.
    pub bytes: u64,
    pub start_url: Option<String>,
    /// Paths visited (`/cart`), in first-seen order.
    pub routes: Vec<String>,
    /// Backend endpoints called (`GET /api/items`), in first-seen order.
    pub endpoints: Vec<String>,
    /// Console, window and unhandled-rejection errors, and backend answers of 5xx.
    pub errors: Vec<String>,
    /// Selectors of the steps (first selector of each).
    pub selectors: Vec<String>,
    /// Visible texts the steps name (aria/text selectors, typed values after redaction, titles).
    pub texts: Vec<String>,
    pub windows: u64,
    /// Meta "features", when curation computed it.
    pub features: Option<Value>,
}

/// Which sessions `list` returns. Every set field must match (substring, case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub session: Option<String>,
    pub route: Option<String>,
    pub endpoint: Option<String>,
    pub selector: Option<String>,
    pub text: Option<String>,
    /// Sessions seen at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Sessions first seen at or before this time.
    pub until_ms: Option<i64>,
    /// Only sessions with (true) or without (false) errors.
    pub errors: Option<bool>,
    /// Only closed (true) or open (false) sessions.
    pub closed: Option<bool>,
    pub limit: Option<usize>,
}

fn has(list: &[String], needle: &Option<String>) -> bool {
    match needle {
        None => true,
        Some(n) => {
            let n = n.to_lowercase();
            list.iter().any(|x| x.to_lowercase().contains(&n))
        }
    }
}

impl Query {
    pub fn matches(&self, s: &SessionSummary) -> bool {
        self.session.as_ref().is_none_or(|id| &s.id == id)
            && has(&s.routes, &self.route)
            && has(&s.endpoints, &self.endpoint)
            && has(&s.selectors, &self.selector)
            && (has(&s.texts, &self.text) || has(&s.errors, &self.text))
            && self.since_ms.is_none_or(|t| s.last_seen_ms >= t)
            && self.until_ms.is_none_or(|t| s.first_seen_ms <= t)
            && self.errors.is_none_or(|e| e != s.errors.is_empty())
            && self.closed.is_none_or(|c| c == s.closed)
    }

    /// Filters and orders (most recent first) summaries, then applies the limit.
    pub fn apply(&self, mut all: Vec<SessionSummary>) -> Vec<SessionSummary> {
        all.retain(|s| self.matches(s));
        all.sort_by(|a, b| {
            b.last_seen_ms
                .cmp(&a.last_seen_ms)
                .then_with(|| a.id.cmp(&b.id))
        });
        if let Some(n) = self.limit {
            all.truncate(n);
        }
        all
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub who: String,
    pub action: String,
    pub target: String,
    pub allowed: bool,
}

/// The store's operations. Sync: the collector calls it from `spawn_blocking`.
pub trait Store: Send + Sync {
    /// Stores one (already redacted) batch, durably before it returns `Stored`.
    fn put_batch(
        &self,
        key: &BatchKey,
        raw_json: &[u8],
        received_ms: i64,
    ) -> Result<Put, StoreError>;
    fn end_session(&self, session: &str, reason: &str) -> Result<(), StoreError>;
    fn list(&self, q: &Query) -> Result<Vec<SessionSummary>, StoreError>;
    /// The session's batches (JSON, bodies joined back), ordered by window first seen then
    /// seq; an audited read by `who`. Empty for an unknown session.
    fn batches(&self, session: &str, who: &str) -> Result<Vec<Vec<u8>>, StoreError>;
    fn set_meta(&self, session: &str, key: &str, value: &Value) -> Result<(), StoreError>;
    fn meta(&self, session: &str, key: &str) -> Result<Option<Value>, StoreError>;
    /// Deletes a session, its batches and the blobs no other session uses; audited.
    fn delete(&self, session: &str, who: &str) -> Result<bool, StoreError>;
    /// Deletes the sessions last seen before `older_than_ms`; returns how many.
    fn expire(&self, older_than_ms: i64) -> Result<u64, StoreError>;
    fn audit(&self, who: &str, action: &str, target: &str, allowed: bool)
        -> Result<(), StoreError>;
    /// The audit log, most recent first (at most `limit` lines).
    fn audit_log(&self, _limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(Vec::new())
    }
    /// Bytes the store occupies (database and blobs), for benchmarks and `sessions list`.
    fn size_bytes(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
}

/// Whether a store spec names a PostgreSQL server rather than a folder.
pub fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// Opens a store: a folder path (created if missing) or `postgres://…`.
pub fn open(spec: &str) -> Result<Box<dyn Store>, StoreError> {
    if is_postgres(spec) {
        Ok(Box::new(postgres::PgStore::connect(spec)?))
    } else {
        Ok(Box::new(sqlite::SqliteStore::open(std::path::Path::new(
            spec,
        ))?))
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a string is a blob hash this store made (64 lowercase hex digits): checked before
/// a hash names a file.
pub fn valid_hash(h: &str) -> bool {
    h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The key a body reference takes in the skeleton, in place of the body's text.
const BLOB_REF: &str = "$reprise_blob";

/// A batch split for storage: the skeleton (JSON bytes) and the bodies it refers to.
pub struct Split {
    pub skeleton: Vec<u8>,
    pub bodies: Vec<(String, Vec<u8>)>,
}

/// Splits a batch: each exchange's request and response body text of at least
/// [`MIN_BLOB_BODY`] bytes becomes a blob keyed by its SHA-256.
pub fn split(raw_json: &[u8]) -> Result<Split, StoreError> {
    let mut v: Value =
        serde_json::from_slice(raw_json).map_err(|e| StoreError::Batch(e.to_string()))?;
    let mut bodies = Vec::new();
    for_each_body(&mut v, |holder| {
        let Some(text) = holder.get("text").and_then(Value::as_str) else {
            return Ok(());
        };
        if text.len() < MIN_BLOB_BODY {
            return Ok(());
        }
        let bytes = text.as_bytes().to_vec();
        let hash = sha256_hex(&bytes);
        holder.insert("text".into(), serde_json::json!({ BLOB_REF: hash }));
        bodies.push((hash, bytes));
        Ok(())
    })?;
    let skeleton = serde_json::to_vec(&v).map_err(|e| StoreError::Batch(e.to_string()))?;
    Ok(Split { skeleton, bodies })
}

/// Where a batch's exchange bodies sit: each HAR entry's `response.content` and
/// `request.postData`, the objects whose `text` [`split`] moves into a blob and [`join`]
/// puts back. `f` sees each such object of every exchange event.
fn for_each_body(
    batch: &mut Value,
    mut f: impl FnMut(&mut serde_json::Map<String, Value>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let Some(events) = batch.get_mut("events").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for ev in events {
        let Some(entry) = ev.get_mut("entry") else {
            continue;
        };
        for [outer, inner] in BODY_PATHS {
            if let Some(holder) = entry
                .get_mut(outer)
                .and_then(|x| x.get_mut(inner))
                .and_then(Value::as_object_mut)
            {
                f(holder)?;
            }
        }
    }
    Ok(())
}

/// The two places of a HAR entry that hold a body.
const BODY_PATHS: [[&str; 2]; 2] = [["response", "content"], ["request", "postData"]];

/// The blob hashes a skeleton refers to.
pub fn refs(skeleton: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(events) = skeleton.get("events").and_then(Value::as_array) {
        for ev in events {
            for path in BODY_PATHS {
                if let Some(h) = ev
                    .get("entry")
                    .and_then(|e| e.get(path[0]))
                    .and_then(|x| x.get(path[1]))
                    .and_then(|x| x.get("text"))
                    .and_then(|t| t.get(BLOB_REF))
                    .and_then(Value::as_str)
                {
                    out.push(h.to_string());
                }
            }
        }
    }
    out
}

/// Joins a skeleton with its bodies, fetched by `get`.
pub fn join(
    skeleton: &[u8],
    mut get: impl FnMut(&str) -> Result<Vec<u8>, StoreError>,
) -> Result<Vec<u8>, StoreError> {
    let mut v: Value =
        serde_json::from_slice(skeleton).map_err(|e| StoreError::Batch(e.to_string()))?;
    for_each_body(&mut v, |holder| {
        let Some(hash) = holder
            .get("text")
            .and_then(|t| t.get(BLOB_REF))
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Ok(());
        };
        let bytes = get(&hash)?;
        let text = String::from_utf8(bytes).map_err(|_| StoreError::Blob(hash.clone()))?;
        holder.insert("text".into(), Value::String(text));
        Ok(())
    })?;
    serde_json::to_vec(&v).map_err(|e| StoreError::Batch(e.to_string()))
}

/// Gzip, for blobs.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// Gunzip of a stored blob, bounded (a blob is at most a decoded batch, 16 MiB).
pub fn gunzip(data: &[u8], what: &str) -> Result<Vec<u8>, StoreError> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(64 << 20)
        .read_to_end(&mut out)
        .map_err(|_| StoreError::Blob(what.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_join_round_trip_and_share_bodies() {
        let body = "x".repeat(1000);
        let batch = serde_json::json!({"v":1,"session":"s","window":"w","seq":0,"events":[
            {"t":1,"type":"exchange","entry":{"request":{"method":"GET","url":"http://a/api"},
             "response":{"status":200,"content":{"mimeType":"text/plain","text":body}}}},
            {"t":2,"type":"exchange","entry":{"request":{"method":"POST","url":"http://a/api",
             "postData":{"text":"short"}},"response":{"status":200,"content":{"text":body}}}}]});
        let raw = serde_json::to_vec(&batch).unwrap();
        let s = split(&raw).unwrap();
        assert_eq!(s.bodies.len(), 2);
        assert_eq!(s.bodies[0].0, s.bodies[1].0);
        assert!(s.skeleton.len() < 600, "{}", s.skeleton.len());
        let sk: Value = serde_json::from_slice(&s.skeleton).unwrap();
        assert_eq!(refs(&sk).len(), 2);
        let joined = join(&s.skeleton, |h| {
            Ok(s.bodies.iter().find(|b| b.0 == h).unwrap().1.clone())
        })
        .unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&joined).unwrap(), batch);
    }

    #[test]
    fn query_matches_substrings_and_times() {
        let s = SessionSummary {
            id: "abc".into(),
            first_seen_ms: 100,
            last_seen_ms: 200,
            routes: vec!["/cart".into()],
            endpoints: vec!["GET /api/items".into()],
            ..Default::default()
        };
        let q = |f: fn(&mut Query)| {
            let mut q = Query::default();
            f(&mut q);
            q.matches(&s)
        };
        assert!(q(|q| q.route = Some("CART".into())));
        assert!(!q(|q| q.route = Some("/checkout".into())));
        assert!(q(|q| q.endpoint = Some("/api/items".into())));
        assert!(q(|q| q.since_ms = Some(150)));
        assert!(!q(|q| q.since_ms = Some(250)));
        assert!(!q(|q| q.until_ms = Some(50)));
        assert!(q(|q| q.errors = Some(false)));
        assert!(!q(|q| q.errors = Some(true)));
    }
}
