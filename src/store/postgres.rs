//! The scale-out store: PostgreSQL, with the SQLite store's schema and the blobs in a `bytea`
//! table keyed by their SHA-256. A commit returns once PostgreSQL has made it durable (its
//! default `synchronous_commit`), so a 202 survives the collector being killed.
//!
//! The sync `postgres` client runs its own small runtime: call it from plain threads or
//! `spawn_blocking`, never from inside an async task.

use std::sync::Mutex;

use postgres::{Client, NoTls};
use serde_json::Value;

use super::index::Lists;
use super::{
    gunzip, gzip, split, AuditEntry, BatchKey, Put, Query, SessionSummary, Store, StoreError,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reprise_sessions (
  id TEXT PRIMARY KEY,
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  closed BOOLEAN NOT NULL DEFAULT FALSE,
  close_reason TEXT,
  batches BIGINT NOT NULL DEFAULT 0,
  bytes BIGINT NOT NULL DEFAULT 0,
  start_url TEXT,
  lists TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS reprise_sessions_last_seen ON reprise_sessions(last_seen_ms);
CREATE TABLE IF NOT EXISTS reprise_batches (
  session TEXT NOT NULL,
  win TEXT NOT NULL,
  seq BIGINT NOT NULL,
  received_ms BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  skeleton TEXT NOT NULL,
  PRIMARY KEY (session, win, seq)
);
CREATE TABLE IF NOT EXISTS reprise_blobs (
  hash TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  refs BIGINT NOT NULL,
  data BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS reprise_meta (
  session TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (session, key)
);
CREATE TABLE IF NOT EXISTS reprise_audit (
  id BIGSERIAL PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  who TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  allowed BOOLEAN NOT NULL
);
";

pub struct PgStore {
    client: Mutex<Client>,
}

fn db(e: postgres::Error) -> StoreError {
    StoreError::Db(e.to_string())
}

impl PgStore {
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let fail = |e: postgres::Error| StoreError::Open {
            // The URL may hold a password: name the store without it.
            spec: url::Url::parse(url)
                .map(|mut u| {
                    let _ = u.set_password(None);
                    u.to_string()
                })
                .unwrap_or_else(|_| "postgres://…".into()),
            message: e.to_string(),
        };
        let mut client = Client::connect(url, NoTls).map_err(fail)?;
        client.batch_execute(SCHEMA).map_err(fail)?;
        Ok(Self {
            client: Mutex::new(client),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn blob(c: &mut impl postgres::GenericClient, hash: &str) -> Result<Vec<u8>, StoreError> {
        let row = c
            .query_opt("SELECT data FROM reprise_blobs WHERE hash = $1", &[&hash])
            .map_err(db)?
            .ok_or_else(|| StoreError::Blob(hash.to_string()))?;
        let gz: Vec<u8> = row.get(0);
        let data = gunzip(&gz, hash)?;
        if super::sha256_hex(&data) != hash {
            return Err(StoreError::Blob(hash.to_string()));
        }
        Ok(data)
    }

    fn delete_in(c: &mut Client, session: &str) -> Result<bool, StoreError> {
        let mut tx = c.transaction().map_err(db)?;
        let skeletons: Vec<String> = tx
            .query(
                "SELECT skeleton FROM reprise_batches WHERE session = $1",
                &[&session],
            )
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut hashes = skeletons.clone();
        for s in &skeletons {
            if let Ok(data) = Self::blob(&mut tx, s) {
                if let Ok(v) = serde_json::from_slice::<Value>(&data) {
                    hashes.extend(super::refs(&v));
                }
            }
        }
        for h in &hashes {
            tx.execute(
                "UPDATE reprise_blobs SET refs = refs - 1 WHERE hash = $1",
                &[h],
            )
            .map_err(db)?;
        }
        tx.execute("DELETE FROM reprise_blobs WHERE refs <= 0", &[])
            .map_err(db)?;
        tx.execute(
            "DELETE FROM reprise_batches WHERE session = $1",
            &[&session],
        )
        .map_err(db)?;
        tx.execute("DELETE FROM reprise_meta WHERE session = $1", &[&session])
            .map_err(db)?;
        let n = tx
            .execute("DELETE FROM reprise_sessions WHERE id = $1", &[&session])
            .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(n > 0)
    }

    fn audit_in(
        c: &mut impl postgres::GenericClient,
        who: &str,
        action: &str,
        target: &str,
        allowed: bool,
    ) -> Result<(), StoreError> {
        c.execute(
            "INSERT INTO reprise_audit (at_ms, who, action, target, allowed) VALUES ($1, $2, $3, $4, $5)",
            &[&super::now_ms(), &who, &action, &target, &allowed],
        )
        .map_err(db)?;
        Ok(())
    }
}

impl Store for PgStore {
    fn put_batch(
        &self,
        key: &BatchKey,
        raw_json: &[u8],
        received_ms: i64,
    ) -> Result<Put, StoreError> {
        let parsed: Value =
            serde_json::from_slice(raw_json).map_err(|e| StoreError::Batch(e.to_string()))?;
        let sp = split(raw_json)?;
        let skel_hash = super::sha256_hex(&sp.skeleton);
        let mut blobs: Vec<(String, i64, Vec<u8>)> = sp
            .bodies
            .iter()
            .map(|(h, b)| (h.clone(), b.len() as i64, gzip(b)))
            .collect();
        blobs.push((
            skel_hash.clone(),
            sp.skeleton.len() as i64,
            gzip(&sp.skeleton),
        ));
        let seq = i64::from(key.seq);
        let bytes = raw_json.len() as i64;
        let mut c = self.lock();
        let mut tx = c.transaction().map_err(db)?;
        // The insert is the idempotency check: a concurrent collector inserting the same key
        // waits on the primary key and then sees the conflict.
        let n = tx
            .execute(
                "INSERT INTO reprise_batches (session, win, seq, received_ms, bytes, skeleton)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[
                    &key.session,
                    &key.window,
                    &seq,
                    &received_ms,
                    &bytes,
                    &skel_hash,
                ],
            )
            .map_err(db)?;
        if n == 0 {
            return Ok(Put::Duplicate);
        }
        for (h, size, gz) in &blobs {
            tx.execute(
                "INSERT INTO reprise_blobs (hash, size, refs, data) VALUES ($1, $2, 1, $3)
                 ON CONFLICT (hash) DO UPDATE SET refs = reprise_blobs.refs + 1",
                &[h, size, gz],
            )
            .map_err(db)?;
        }
        // Created first so two collectors' first batches of a session never race on it.
        tx.execute(
            "INSERT INTO reprise_sessions (id, first_seen_ms, last_seen_ms) VALUES ($1, $2, $2)
             ON CONFLICT DO NOTHING",
            &[&key.session, &received_ms],
        )
        .map_err(db)?;
        let old = tx
            .query_one(
                "SELECT lists, start_url FROM reprise_sessions WHERE id = $1 FOR UPDATE",
                &[&key.session],
            )
            .map_err(db)?;
        let mut lists: Lists = serde_json::from_str(&old.get::<_, String>(0)).unwrap_or_default();
        let start = lists.add(&parsed);
        let lists_json =
            serde_json::to_string(&lists).map_err(|e| StoreError::Db(e.to_string()))?;
        // The first window's first start is the session's start URL.
        let start_url: Option<String> = old.get::<_, Option<String>>(1).or(start);
        tx.execute(
            "UPDATE reprise_sessions SET last_seen_ms = GREATEST(last_seen_ms, $2),
               first_seen_ms = LEAST(first_seen_ms, $2), batches = batches + 1,
               bytes = bytes + $3, start_url = $4, lists = $5, closed = FALSE,
               close_reason = NULL
             WHERE id = $1",
            &[&key.session, &received_ms, &bytes, &start_url, &lists_json],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(Put::Stored)
    }

    fn end_session(&self, session: &str, reason: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "UPDATE reprise_sessions SET closed = TRUE, close_reason = $2 WHERE id = $1",
                &[&session, &reason],
            )
            .map_err(db)?;
        Ok(())
    }

    fn list(&self, q: &Query) -> Result<Vec<SessionSummary>, StoreError> {
        let rows = self
            .lock()
            .query(
                "SELECT s.id, s.first_seen_ms, s.last_seen_ms, s.closed, s.close_reason, s.batches,
                        s.bytes, s.start_url, s.lists, m.value
                 FROM reprise_sessions s
                 LEFT JOIN reprise_meta m ON m.session = s.id AND m.key = 'features'
                 WHERE ($1::TEXT IS NULL OR s.id = $1)",
                &[&q.session],
            )
            .map_err(db)?;
        let all = rows
            .iter()
            .map(|r| {
                let lists: Lists = serde_json::from_str(&r.get::<_, String>(8)).unwrap_or_default();
                let features: Option<String> = r.get(9);
                SessionSummary {
                    id: r.get(0),
                    first_seen_ms: r.get(1),
                    last_seen_ms: r.get(2),
                    closed: r.get(3),
                    close_reason: r.get(4),
                    batches: r.get::<_, i64>(5) as u64,
                    bytes: r.get::<_, i64>(6) as u64,
                    start_url: r.get(7),
                    windows: lists.windows.len() as u64,
                    routes: lists.routes,
                    endpoints: lists.endpoints,
                    errors: lists.errors,
                    selectors: lists.selectors,
                    texts: lists.texts,
                    features: features.and_then(|f| serde_json::from_str(&f).ok()),
                }
            })
            .collect();
        Ok(q.apply(all))
    }

    fn batches(&self, session: &str, who: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut c = self.lock();
        Self::audit_in(&mut *c, who, "read", session, true)?;
        let skeletons: Vec<String> = c
            .query(
                "SELECT b.skeleton FROM reprise_batches b
                 JOIN (SELECT win, MIN(received_ms) AS first FROM reprise_batches
                       WHERE session = $1 GROUP BY win) w ON w.win = b.win
                 WHERE b.session = $1 ORDER BY w.first, b.win, b.seq",
                &[&session],
            )
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        skeletons
            .iter()
            .map(|h| {
                let sk = Self::blob(&mut *c, h)?;
                super::join(&sk, |b| Self::blob(&mut *c, b))
            })
            .collect()
    }

    fn set_meta(&self, session: &str, key: &str, value: &Value) -> Result<(), StoreError> {
        let text = serde_json::to_string(value).map_err(|e| StoreError::Db(e.to_string()))?;
        self.lock()
            .execute(
                "INSERT INTO reprise_meta (session, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (session, key) DO UPDATE SET value = excluded.value",
                &[&session, &key, &text],
            )
            .map_err(db)?;
        Ok(())
    }

    fn meta(&self, session: &str, key: &str) -> Result<Option<Value>, StoreError> {
        let row = self
            .lock()
            .query_opt(
                "SELECT value FROM reprise_meta WHERE session = $1 AND key = $2",
                &[&session, &key],
            )
            .map_err(db)?;
        Ok(row.and_then(|r| serde_json::from_str(&r.get::<_, String>(0)).ok()))
    }

    fn delete(&self, session: &str, who: &str) -> Result<bool, StoreError> {
        let mut c = self.lock();
        Self::audit_in(&mut *c, who, "delete", session, true)?;
        Self::delete_in(&mut c, session)
    }

    fn expire(&self, older_than_ms: i64) -> Result<u64, StoreError> {
        let mut c = self.lock();
        let ids: Vec<String> = c
            .query(
                "SELECT id FROM reprise_sessions WHERE last_seen_ms < $1",
                &[&older_than_ms],
            )
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in &ids {
            Self::audit_in(&mut *c, "retention", "expire", id, true)?;
            Self::delete_in(&mut c, id)?;
        }
        Ok(ids.len() as u64)
    }

    fn audit(
        &self,
        who: &str,
        action: &str,
        target: &str,
        allowed: bool,
    ) -> Result<(), StoreError> {
        Self::audit_in(&mut *self.lock(), who, action, target, allowed)
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self
            .lock()
            .query(
                "SELECT at_ms, who, action, target, allowed FROM reprise_audit ORDER BY id DESC LIMIT $1",
                &[&(limit as i64)],
            )
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                at_ms: r.get(0),
                who: r.get(1),
                action: r.get(2),
                target: r.get(3),
                allowed: r.get(4),
            })
            .collect())
    }

    fn size_bytes(&self) -> Result<u64, StoreError> {
        let row = self
            .lock()
            .query_one(
                "SELECT (pg_total_relation_size('reprise_sessions') + pg_total_relation_size('reprise_batches')
                   + pg_total_relation_size('reprise_blobs') + pg_total_relation_size('reprise_meta'))::BIGINT",
                &[],
            )
            .map_err(db)?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}
