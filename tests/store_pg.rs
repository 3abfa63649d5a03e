//! The PostgreSQL store against a real PostgreSQL: a throwaway cluster made with `initdb` in
//! a temporary folder, run as the `postgres` user (PostgreSQL refuses to run as root) on a
//! free loopback port, and stopped when the test ends, even when it panics.

use std::path::{Path, PathBuf};
use std::process::Command;

use reprise::store::{BatchKey, Put, Query};
use serde_json::{json, Value};

use crate::support;

/// A running throwaway PostgreSQL; stopped on drop.
pub struct Pg {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    pub port: u16,
}

fn initdb() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

/// Runs a PostgreSQL program as the `postgres` user when we are root.
fn as_postgres(bin: &Path, args: &[&str]) -> Command {
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin).args(args);
        c
    } else {
        let mut c = Command::new(bin);
        c.args(args);
        c
    }
}

impl Pg {
    /// Starts one, or `None` (skipped, or failed under CI) when PostgreSQL is not installed.
    pub fn start() -> Option<Pg> {
        let Some(bin) = initdb() else {
            support::missing_prerequisite(
                "PostgreSQL (`/usr/lib/postgresql/*/bin/initdb`; apt install postgresql)",
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("reprise-pg")
            .tempdir()
            .expect("tempdir");
        let data = dir.path().join("data");
        let sock = dir.path().join("sock");
        std::fs::create_dir_all(&sock).expect("mkdir");
        if unsafe { libc::geteuid() } == 0 {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown of the cluster folder to postgres failed");
        }
        let out = as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )
        .output()
        .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB",
            sock.display()
        );
        let log = dir.path().join("pg.log");
        let out = as_postgres(
            &bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .output()
        .expect("pg_ctl runs");
        let pg = Pg {
            bin,
            data,
            _dir: dir,
            port,
        };
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(pg)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                self.data.to_str().unwrap_or(""),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
        .output();
    }
}

fn batch(session: &str, window: &str, seq: u32, body: &str) -> Vec<u8> {
    let mut b = json!({"v":1,"session":session,"window":window,"seq":seq,"events":[
        {"t":5,"type":"step","step":{"type":"click","selectors":[["#buy"],"aria/Buy now"]}},
        {"t":10,"type":"exchange","entry":{"request":{"method":"GET","url":"http://app.test/api/items"},
          "response":{"status":200,"content":{"mimeType":"application/json","text":body}}}}]});
    if seq == 0 {
        b["start"] = json!({"url":"http://app.test/shop","title":"Shop"});
    }
    serde_json::to_vec(&b).unwrap()
}

fn key(s: &str, w: &str, seq: u32) -> BatchKey {
    BatchKey {
        session: s.into(),
        window: w.into(),
        seq,
    }
}

#[test]
fn postgres_store_keeps_dedups_searches_audits_and_expires() {
    let Some(pg) = Pg::start() else { return };
    let url = pg.url();
    let body = format!(
        "{{\"items\":[{}]}}",
        vec!["{\"id\":1,\"name\":\"lamp\"}"; 40].join(",")
    );
    // Its own thread: the sync client runs a runtime of its own.
    std::thread::spawn(move || {
        let store = reprise::store::open(&url).expect("connect");
        for s in ["sessionPG1", "sessionPG2"] {
            for seq in [2, 0, 1] {
                let put = store
                    .put_batch(
                        &key(s, "windowAA", seq),
                        &batch(s, "windowAA", seq, &body),
                        1_000 + i64::from(seq),
                    )
                    .unwrap();
                assert_eq!(put, Put::Stored);
            }
        }
        let again = store
            .put_batch(
                &key("sessionPG1", "windowAA", 1),
                &batch("sessionPG1", "windowAA", 1, &body),
                9,
            )
            .unwrap();
        assert_eq!(again, Put::Duplicate);
        // One row for the body six batches share.
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let refs: i64 = c
            .query_one(
                "SELECT refs FROM reprise_blobs WHERE size = $1",
                &[&(body.len() as i64)],
            )
            .unwrap()
            .get(0);
        assert_eq!(refs, 6);
        let got = store.batches("sessionPG1", "tester").unwrap();
        let seqs: Vec<u64> = got
            .iter()
            .map(|b| {
                serde_json::from_slice::<Value>(b).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seqs, [0, 1, 2]);
        let first: Value = serde_json::from_slice(&got[0]).unwrap();
        assert_eq!(
            first["events"][1]["entry"]["response"]["content"]["text"],
            body.as_str()
        );
        let all = store.list(&Query::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].batches, 3);
        assert_eq!(all[0].start_url.as_deref(), Some("http://app.test/shop"));
        let q = Query {
            endpoint: Some("/api/items".into()),
            selector: Some("#buy".into()),
            text: Some("buy now".into()),
            ..Default::default()
        };
        assert_eq!(store.list(&q).unwrap().len(), 2);
        let q = Query {
            route: Some("/checkout".into()),
            ..Default::default()
        };
        assert!(store.list(&q).unwrap().is_empty());
        store.end_session("sessionPG1", "pagehide").unwrap();
        store
            .set_meta("sessionPG1", "features", &json!({"steps": 3}))
            .unwrap();
        let one = store
            .list(&Query {
                session: Some("sessionPG1".into()),
                ..Default::default()
            })
            .unwrap();
        assert!(one[0].closed);
        assert_eq!(one[0].features, Some(json!({"steps": 3})));
        assert_eq!(
            store.meta("sessionPG1", "features").unwrap(),
            Some(json!({"steps": 3}))
        );
        assert!(store.delete("sessionPG1", "tester").unwrap());
        let refs: i64 = c
            .query_one(
                "SELECT refs FROM reprise_blobs WHERE size = $1",
                &[&(body.len() as i64)],
            )
            .unwrap()
            .get(0);
        assert_eq!(refs, 3, "the other session still uses the body");
        assert_eq!(store.expire(5_000).unwrap(), 1);
        let blobs: i64 = c
            .query_one("SELECT COUNT(*) FROM reprise_blobs", &[])
            .unwrap()
            .get(0);
        assert_eq!(blobs, 0, "no blob outlives the last batch using it");
        store
            .audit("anonymous", "read", "sessionPG2", false)
            .unwrap();
        let log = store.audit_log(10).unwrap();
        assert!(!log[0].allowed);
        assert!(log
            .iter()
            .any(|e| e.action == "expire" && e.target == "sessionPG2" && e.who == "retention"));
        assert!(log
            .iter()
            .any(|e| e.action == "delete" && e.who == "tester"));
        assert!(log
            .iter()
            .any(|e| e.action == "read" && e.target == "sessionPG1"));
    })
    .join()
    .expect("the store checks passed");
}
