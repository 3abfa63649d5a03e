//! The embedded store: `DIR/index.db` (SQLite, WAL, `synchronous=FULL`: a commit is on disk
//! when it returns) and `DIR/blobs/ab/<sha256>.gz`, each blob written to a temporary file,
//! fsynced and renamed before the row that refers to it commits, so every batch the
//! collector answered 202 survives a `kill -9` or a power cut.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and the blob files are
//! written under the same lock so a concurrent delete can never remove a blob a new batch
//! just referred to.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::index::Lists;
use super::{
    gunzip, gzip, now_ms, split, valid_hash, AuditEntry, BatchKey, Put, Query, SessionSummary,
    Store, StoreError,
};

pub const DB_FILE: &str = "index.db";
pub const BLOB_DIR: &str = "blobs";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0,
  close_reason TEXT,
  batches INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  start_url TEXT,
  lists TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions(last_seen_ms);
CREATE TABLE IF NOT EXISTS batches (
  session TEXT NOT NULL,
  win TEXT NOT NULL,
  seq INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  skeleton TEXT NOT NULL,
  PRIMARY KEY (session, win, seq)
);
CREATE TABLE IF NOT EXISTS blobs (
  hash TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  session TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (session, key)
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  who TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  allowed INTEGER NOT NULL
);
";

pub struct SqliteStore {
    dir: PathBuf,
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Db(e.to_string())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl SqliteStore {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let fail = |message: String| StoreError::Open {
            spec: dir.display().to_string(),
            message,
        };
        if dir.exists() && !dir.is_dir() {
            return Err(fail("it is a file, not a folder".into()));
        }
        std::fs::create_dir_all(dir.join(BLOB_DIR)).map_err(|e| fail(e.to_string()))?;
        let conn = Connection::open(dir.join(DB_FILE)).map_err(|e| fail(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| fail(e.to_string()))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| fail(e.to_string()))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| fail(e.to_string()))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn blob_path(&self, hash: &str) -> PathBuf {
        self.dir
            .join(BLOB_DIR)
            .join(&hash[..2])
            .join(format!("{hash}.gz"))
    }

    /// Writes a blob file durably unless it is already there.
    fn write_blob(&self, hash: &str, gz: &[u8]) -> Result<(), StoreError> {
        let path = self.blob_path(hash);
        if path.exists() {
            return Ok(());
        }
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        // Unique per writer: two batches may write the same blob at once.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = parent.join(format!(".{hash}.{}.{n}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(gz).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        // The rename itself is durable once the folder is synced.
        if let Ok(d) = std::fs::File::open(parent) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn read_blob(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        if !valid_hash(hash) {
            return Err(StoreError::Blob(hash.to_string()));
        }
        let gz = std::fs::read(self.blob_path(hash)).map_err(|_| StoreError::Blob(hash.into()))?;
        let data = gunzip(&gz, hash)?;
        if super::sha256_hex(&data) != hash {
            return Err(StoreError::Blob(hash.to_string()));
        }
        Ok(data)
    }

    /// Drops one reference to each blob; deletes the files no batch refers to any more.
    fn unref(
        &self,
        tx: &rusqlite::Transaction<'_>,
        hashes: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut gone = Vec::new();
        for h in hashes {
            tx.execute("UPDATE blobs SET refs = refs - 1 WHERE hash = ?1", [h])
                .map_err(db)?;
            let n = tx
                .execute("DELETE FROM blobs WHERE hash = ?1 AND refs <= 0", [h])
                .map_err(db)?;
            if n > 0 {
                gone.push(h.clone());
            }
        }
        Ok(gone)
    }

    fn delete_locked(&self, conn: &mut Connection, session: &str) -> Result<bool, StoreError> {
        let tx = conn.transaction().map_err(db)?;
        let skeletons: Vec<String> = {
            let mut st = tx
                .prepare("SELECT skeleton FROM batches WHERE session = ?1")
                .map_err(db)?;
            let rows = st
                .query_map([session], |r| r.get::<_, String>(0))
                .map_err(db)?;
            rows.collect::<Result<_, _>>().map_err(db)?
        };
        let mut hashes = Vec::new();
        for s in &skeletons {
            hashes.push(s.clone());
        }
        for s in &skeletons {
            if let Ok(data) = self.read_blob(s) {
                if let Ok(v) = serde_json::from_slice::<Value>(&data) {
                    hashes.extend(super::refs(&v));
                }
            }
        }
        let gone = self.unref(&tx, &hashes)?;
        tx.execute("DELETE FROM batches WHERE session = ?1", [session])
            .map_err(db)?;
        tx.execute("DELETE FROM meta WHERE session = ?1", [session])
            .map_err(db)?;
        let n = tx
            .execute("DELETE FROM sessions WHERE id = ?1", [session])
            .map_err(db)?;
        tx.commit().map_err(db)?;
        // Files go after the commit: a crash in between leaves an unreferenced file, never a
        // reference to a missing one.
        for h in gone {
            let _ = std::fs::remove_file(self.blob_path(&h));
        }
        Ok(n > 0)
    }

    fn audit_locked(
        conn: &Connection,
        who: &str,
        action: &str,
        target: &str,
        allowed: bool,
    ) -> Result<(), StoreError> {
        conn.execute(
            "INSERT INTO audit (at_ms, who, action, target, allowed) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![now_ms(), who, action, target, allowed as i64],
        )
        .map_err(db)?;
        Ok(())
    }
}

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionSummary> {
    let lists: String = r.get(8)?;
    let lists: Lists = serde_json::from_str(&lists).unwrap_or_default();
    let features: Option<String> = r.get(9)?;
    Ok(SessionSummary {
        id: r.get(0)?,
        first_seen_ms: r.get(1)?,
        last_seen_ms: r.get(2)?,
        closed: r.get::<_, i64>(3)? != 0,
        close_reason: r.get(4)?,
        batches: r.get::<_, i64>(5)? as u64,
        bytes: r.get::<_, i64>(6)? as u64,
        start_url: r.get(7)?,
        windows: lists.windows.len() as u64,
        routes: lists.routes,
        endpoints: lists.endpoints,
        errors: lists.errors,
        selectors: lists.selectors,
        texts: lists.texts,
        features: features.and_then(|f| serde_json::from_str(&f).ok()),
    })
}

impl Store for SqliteStore {
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
        let mut blobs: Vec<(String, usize, Vec<u8>)> = sp
            .bodies
            .iter()
            .map(|(h, b)| (h.clone(), b.len(), gzip(b)))
            .collect();
        blobs.push((skel_hash.clone(), sp.skeleton.len(), gzip(&sp.skeleton)));
        let seen = |conn: &Connection| -> Result<bool, StoreError> {
            conn.query_row(
                "SELECT 1 FROM batches WHERE session = ?1 AND win = ?2 AND seq = ?3",
                params![key.session, key.window, key.seq],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|x| x.is_some())
            .map_err(db)
        };
        if seen(&self.lock())? {
            return Ok(Put::Duplicate);
        }
        // The blob files are written and fsynced outside the lock, so concurrent batches
        // wait on their disk writes together rather than one after another; content
        // addressing makes two writers of one blob harmless.
        for (h, _, gz) in &blobs {
            self.write_blob(h, gz)?;
        }
        let mut conn = self.lock();
        if seen(&conn)? {
            return Ok(Put::Duplicate);
        }
        // A delete between the writes and the lock may have removed a file this batch
        // shares with the deleted session: written again (deletes run under this lock).
        for (h, _, gz) in &blobs {
            self.write_blob(h, gz)?;
        }
        let tx = conn.transaction().map_err(db)?;
        for (h, size, _) in &blobs {
            tx.execute(
                "INSERT INTO blobs (hash, size, refs) VALUES (?1, ?2, 1)
                 ON CONFLICT(hash) DO UPDATE SET refs = refs + 1",
                params![h, *size as i64],
            )
            .map_err(db)?;
        }
        tx.execute(
            "INSERT INTO batches (session, win, seq, received_ms, bytes, skeleton)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                key.session,
                key.window,
                key.seq,
                received_ms,
                raw_json.len() as i64,
                skel_hash
            ],
        )
        .map_err(db)?;
        let old: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT lists, start_url FROM sessions WHERE id = ?1",
                [&key.session],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        let mut lists: Lists = old
            .as_ref()
            .and_then(|(l, _)| serde_json::from_str(l).ok())
            .unwrap_or_default();
        let start = lists.add(&parsed);
        let lists_json =
            serde_json::to_string(&lists).map_err(|e| StoreError::Db(e.to_string()))?;
        match old {
            None => {
                tx.execute(
                    "INSERT INTO sessions (id, first_seen_ms, last_seen_ms, batches, bytes, start_url, lists)
                     VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5)",
                    params![key.session, received_ms, raw_json.len() as i64, start, lists_json],
                )
                .map_err(db)?;
            }
            Some((_, old_start)) => {
                // The first window's first start is the session's start URL.
                let start_url = old_start.or(start);
                tx.execute(
                    "UPDATE sessions SET last_seen_ms = MAX(last_seen_ms, ?2),
                       first_seen_ms = MIN(first_seen_ms, ?2), batches = batches + 1,
                       bytes = bytes + ?3, start_url = ?4, lists = ?5, closed = 0,
                       close_reason = NULL
                     WHERE id = ?1",
                    params![
                        key.session,
                        received_ms,
                        raw_json.len() as i64,
                        start_url,
                        lists_json
                    ],
                )
                .map_err(db)?;
            }
        }
        tx.commit().map_err(db)?;
        Ok(Put::Stored)
    }

    fn end_session(&self, session: &str, reason: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "UPDATE sessions SET closed = 1, close_reason = ?2 WHERE id = ?1",
                params![session, reason],
            )
            .map_err(db)?;
        Ok(())
    }

    fn list(&self, q: &Query) -> Result<Vec<SessionSummary>, StoreError> {
        let conn = self.lock();
        let mut st = conn
            .prepare(
                "SELECT s.id, s.first_seen_ms, s.last_seen_ms, s.closed, s.close_reason, s.batches,
                        s.bytes, s.start_url, s.lists, m.value
                 FROM sessions s LEFT JOIN meta m ON m.session = s.id AND m.key = 'features'
                 WHERE (?1 IS NULL OR s.id = ?1)",
            )
            .map_err(db)?;
        let rows = st.query_map([&q.session], summary).map_err(db)?;
        let all: Vec<SessionSummary> = rows.collect::<Result<_, _>>().map_err(db)?;
        Ok(q.apply(all))
    }

    fn batches(&self, session: &str, who: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let conn = self.lock();
        Self::audit_locked(&conn, who, "read", session, true)?;
        // Windows in the order they were first seen, then by seq.
        let mut st = conn
            .prepare(
                "SELECT b.skeleton FROM batches b
                 JOIN (SELECT win, MIN(received_ms) AS first FROM batches WHERE session = ?1
                       GROUP BY win) w ON w.win = b.win
                 WHERE b.session = ?1 ORDER BY w.first, b.win, b.seq",
            )
            .map_err(db)?;
        let rows = st
            .query_map([session], |r| r.get::<_, String>(0))
            .map_err(db)?;
        let skeletons: Vec<String> = rows.collect::<Result<_, _>>().map_err(db)?;
        drop(st);
        drop(conn);
        skeletons
            .iter()
            .map(|h| {
                let sk = self.read_blob(h)?;
                super::join(&sk, |b| self.read_blob(b))
            })
            .collect()
    }

    fn set_meta(&self, session: &str, key: &str, value: &Value) -> Result<(), StoreError> {
        let text = serde_json::to_string(value).map_err(|e| StoreError::Db(e.to_string()))?;
        self.lock()
            .execute(
                "INSERT INTO meta (session, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(session, key) DO UPDATE SET value = excluded.value",
                params![session, key, text],
            )
            .map_err(db)?;
        Ok(())
    }

    fn meta(&self, session: &str, key: &str) -> Result<Option<Value>, StoreError> {
        let text: Option<String> = self
            .lock()
            .query_row(
                "SELECT value FROM meta WHERE session = ?1 AND key = ?2",
                params![session, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    fn delete(&self, session: &str, who: &str) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        Self::audit_locked(&conn, who, "delete", session, true)?;
        self.delete_locked(&mut conn, session)
    }

    fn expire(&self, older_than_ms: i64) -> Result<u64, StoreError> {
        let mut conn = self.lock();
        let ids: Vec<String> = {
            let mut st = conn
                .prepare("SELECT id FROM sessions WHERE last_seen_ms < ?1")
                .map_err(db)?;
            let rows = st.query_map([older_than_ms], |r| r.get(0)).map_err(db)?;
            rows.collect::<Result<_, _>>().map_err(db)?
        };
        for id in &ids {
            Self::audit_locked(&conn, "retention", "expire", id, true)?;
            self.delete_locked(&mut conn, id)?;
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
        Self::audit_locked(&self.lock(), who, action, target, allowed)
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.lock();
        let mut st = conn
            .prepare(
                "SELECT at_ms, who, action, target, allowed FROM audit ORDER BY id DESC LIMIT ?1",
            )
            .map_err(db)?;
        let rows = st
            .query_map([limit as i64], |r| {
                Ok(AuditEntry {
                    at_ms: r.get(0)?,
                    who: r.get(1)?,
                    action: r.get(2)?,
                    target: r.get(3)?,
                    allowed: r.get::<_, i64>(4)? != 0,
                })
            })
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    /// After a WAL checkpoint, so the figure is the store's size, not the log's.
    fn size_bytes(&self) -> Result<u64, StoreError> {
        let _ = self
            .lock()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        fn walk(p: &Path) -> u64 {
            let Ok(rd) = std::fs::read_dir(p) else {
                return 0;
            };
            rd.flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    _ => e.metadata().map_or(0, |m| m.len()),
                })
                .sum()
        }
        Ok(walk(&self.dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(session: &str, seq: u32, body: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"v":1,"session":session,"window":"win00001","seq":seq,
          "start": if seq == 0 { serde_json::json!({"url":"http://h/shop","title":"Shop"}) } else { Value::Null },
          "events":[{"t":1,"type":"exchange","entry":{"request":{"method":"GET","url":"http://h/api/items"},
            "response":{"status":200,"content":{"text":body}}}}]}))
        .unwrap()
    }

    fn key(s: &str, seq: u32) -> BatchKey {
        BatchKey {
            session: s.into(),
            window: "win00001".into(),
            seq,
        }
    }

    #[test]
    fn stores_once_dedups_bodies_reads_back_in_order_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let st = SqliteStore::open(dir.path()).unwrap();
        let body = "{\"items\":[".to_string() + &"1,".repeat(500) + "1]}";
        for s in ["sessionA1", "sessionB2"] {
            for seq in [1, 0] {
                assert_eq!(
                    st.put_batch(&key(s, seq), &batch(s, seq, &body), 1000 + seq as i64)
                        .unwrap(),
                    Put::Stored
                );
            }
        }
        assert_eq!(
            st.put_batch(&key("sessionA1", 0), &batch("sessionA1", 0, &body), 5)
                .unwrap(),
            Put::Duplicate
        );
        let n: i64 = st
            .lock()
            .query_row(
                "SELECT refs FROM blobs WHERE size = ?1",
                [body.len() as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 4, "one blob for the body shared by four batches");
        let got = st.batches("sessionA1", "tester").unwrap();
        assert_eq!(got.len(), 2);
        let first: Value = serde_json::from_slice(&got[0]).unwrap();
        assert_eq!(first["seq"], 0);
        assert_eq!(
            first["events"][0]["entry"]["response"]["content"]["text"],
            body.as_str()
        );
        let list = st.list(&Query::default()).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].start_url.as_deref(), Some("http://h/shop"));
        assert_eq!(list[0].endpoints, ["GET /api/items"]);
        assert_eq!(list[0].batches, 2);
        st.end_session("sessionA1", "pagehide").unwrap();
        let a = st
            .list(&Query {
                session: Some("sessionA1".into()),
                ..Default::default()
            })
            .unwrap();
        assert!(a[0].closed);
        st.set_meta("sessionA1", "features", &serde_json::json!({"steps": 3}))
            .unwrap();
        assert_eq!(
            st.list(&Query {
                session: Some("sessionA1".into()),
                ..Default::default()
            })
            .unwrap()[0]
                .features,
            Some(serde_json::json!({"steps": 3}))
        );
        assert!(st.delete("sessionA1", "tester").unwrap());
        assert!(!st.delete("sessionA1", "tester").unwrap());
        assert!(st.batches("sessionA1", "tester").unwrap().is_empty());
        // The shared body is still there for the other session.
        let b = st.batches("sessionB2", "tester").unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(st.expire(2000).unwrap(), 1);
        let blobs = std::fs::read_dir(dir.path().join(BLOB_DIR))
            .unwrap()
            .flatten()
            .map(|d| std::fs::read_dir(d.path()).unwrap().count())
            .sum::<usize>();
        assert_eq!(
            blobs, 0,
            "every blob file removed with the last session using it"
        );
        let log = st.audit_log(100).unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "expire" && e.target == "sessionB2"));
        assert!(log
            .iter()
            .any(|e| e.action == "delete" && e.who == "tester"));
        st.audit("anonymous", "read", "sessionB2", false).unwrap();
        assert!(!st.audit_log(1).unwrap()[0].allowed);
    }

    #[test]
    fn reopening_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        {
            let st = SqliteStore::open(dir.path()).unwrap();
            st.put_batch(&key("sessionC3", 0), &batch("sessionC3", 0, "small"), 1)
                .unwrap();
        }
        let st = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(st.batches("sessionC3", "t").unwrap().len(), 1);
        assert!(SqliteStore::open(&dir.path().join(DB_FILE)).is_err());
    }
}
