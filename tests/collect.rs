//! `reprise collect` and `reprise sessions`, end to end with the real binary on 127.0.0.1:
//! the ingest contract (tokens, ids, limits, gzip, CORS, idempotency), the second redaction
//! (nothing personal reaches the store's bytes), a load of 200 concurrent sessions that
//! loses and duplicates nothing, and a `kill -9` mid-load after which every batch answered
//! 202 is still there.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const WRITE: &str = "write-token-0123456789";
pub const READ: &str = "read-token-9876543210";

/// A collector process; killed on drop.
pub struct Collector {
    child: Child,
    pub addr: String,
}

impl Collector {
    pub fn start(suite: &Path, store: &str, extra: &[&str]) -> Collector {
        Self::start_logging(suite, store, extra, Stdio::inherit())
    }

    /// Started with its log (stderr) going to `log`.
    pub fn start_logging(suite: &Path, store: &str, extra: &[&str], log: Stdio) -> Collector {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
            .args(["collect", "--listen", "127.0.0.1:0", "--store", store, "-C"])
            .arg(suite)
            .args(extra)
            .env("REPRISE_WRITE_TOKEN", WRITE)
            .env("REPRISE_READ_TOKEN", READ)
            .env("REPRISE_REDACT_KEY", "test-redaction-key")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start reprise collect");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("a line").expect("read");
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_string();
        // Keep draining stdout so the collector never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Collector { child, addr }
    }

    pub fn kill9(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }

    pub fn sigterm(&mut self) -> std::process::ExitStatus {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().expect("wait")
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client (one request per connection): status, headers, body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    // A server refusing a large body answers before reading it all, and may close early.
    let _ = s.write_all(body);
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    Ok((status, head, resp[split + 4..].to_vec()))
}

pub fn post_batch(addr: &str, b: &Value) -> std::io::Result<(u16, Value)> {
    let path = format!(
        "/v1/ingest/{}/{}/{}",
        b["session"].as_str().unwrap(),
        b["window"].as_str().unwrap(),
        b["seq"]
    );
    let (code, _, body) = http(
        addr,
        "POST",
        &path,
        &[("X-Reprise-Token", WRITE), ("Content-Type", "text/plain")],
        &serde_json::to_vec(b).unwrap(),
    )?;
    Ok((code, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

pub fn batch(session: &str, window: &str, seq: u32, events: Value) -> Value {
    let mut b = json!({"v":1,"session":session,"window":window,"seq":seq,"events":events});
    if seq == 0 {
        b["start"] = json!({"url":"http://127.0.0.1:5173/","title":"Shop","viewport":{"width":1280,"height":720,"deviceScaleFactor":1},
            "userAgent":"test","timezone":"UTC","locale":"en-US","startTime":1733900000000u64,"buildId":null,
            "localStorage":{},"sessionStorage":{},"cookies":""});
    }
    b
}

fn exchange(t: u64, url: &str, body: &str) -> Value {
    json!({"t":t,"type":"exchange","truncated":false,"entry":{"startedDateTime":"2024-06-01T12:00:00.000Z","time":3,
      "request":{"method":"GET","url":url,"httpVersion":"HTTP/1.1","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
      "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[{"name":"Content-Type","value":"application/json"}],"cookies":[],
        "content":{"size":body.len(),"mimeType":"application/json","text":body},"redirectURL":"","headersSize":-1,"bodySize":body.len()},
      "cache":{},"timings":{"send":0,"wait":3,"receive":0}}})
}

fn reprise(suite: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_reprise"));
    c.args(args)
        .current_dir(suite)
        .env_remove("REPRISE_READ_TOKEN")
        .env_remove("REPRISE_WRITE_TOKEN");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run reprise");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every byte the store holds: the database files raw, and each blob decompressed.
fn store_bytes(dir: &Path) -> Vec<u8> {
    fn walk(p: &Path, out: &mut Vec<u8>) {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            if path.extension().is_some_and(|x| x == "gz") {
                let mut d = Vec::new();
                flate2::read::GzDecoder::new(&data[..])
                    .read_to_end(&mut d)
                    .unwrap();
                out.extend(d);
            }
            out.extend(data);
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn ingest_contract_redaction_and_sessions_commands() {
    let suite = tempfile::tempdir().unwrap();
    let store = suite.path().join("store");
    let store_s = store.to_str().unwrap();
    // Without a write token the collector refuses to start.
    let (code, _, err) = reprise(
        suite.path(),
        &["collect", "--store", store_s, "--listen", "127.0.0.1:0"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("REPRISE_WRITE_TOKEN"), "{err}");
    let (code, out, _) = reprise(
        suite.path(),
        &["collect", "--snippet", "--listen", "127.0.0.1:8787"],
        &[("REPRISE_WRITE_TOKEN", WRITE)],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("<script src=\"http://127.0.0.1:8787/v1/capture.js\"") && out.contains(WRITE),
        "{out}"
    );

    let c = Collector::start(
        suite.path(),
        store_s,
        &[
            "--allow-origin",
            "http://app.example:5173",
            "--idle-timeout",
            "1",
        ],
    );
    let a = &c.addr;
    let (code, head, _) = http(a, "GET", "/v1/capture.js", &[], b"").unwrap();
    assert_eq!(code, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/javascript"),
        "{head}"
    );
    // Refusals: JSON with a hint.
    let ok = batch("sessionAAA1", "windowAAA1", 0, json!([]));
    let body = serde_json::to_vec(&ok).unwrap();
    let refused = |path: &str, headers: &[(&str, &str)], body: &[u8], want: u16| {
        let (code, _, b) = http(a, "POST", path, headers, body).unwrap();
        assert_eq!(code, want, "{path}: {}", String::from_utf8_lossy(&b));
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert!(v["error"].is_string() && v["hint"].is_string(), "{v}");
    };
    let good = "/v1/ingest/sessionAAA1/windowAAA1/0";
    refused(good, &[], &body, 401);
    refused(
        good,
        &[("X-Reprise-Token", "wrong-token-0123456789")],
        &body,
        401,
    );
    refused(
        "/v1/ingest/bad/windowAAA1/0",
        &[("X-Reprise-Token", WRITE)],
        &body,
        400,
    );
    refused(
        "/v1/ingest/sessionAAA1/windowAAA1/x1",
        &[("X-Reprise-Token", WRITE)],
        &body,
        400,
    );
    refused(
        "/v1/ingest/sessionAAA1/windowAAA1/1",
        &[("X-Reprise-Token", WRITE)],
        &body,
        400,
    );
    refused(good, &[("X-Reprise-Token", WRITE)], b"{not json", 400);
    refused(
        good,
        &[
            ("X-Reprise-Token", WRITE),
            ("Origin", "http://evil.example"),
        ],
        &body,
        403,
    );
    let bomb = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b' '; 40 << 20]).unwrap();
        e.finish().unwrap()
    };
    refused(
        good,
        &[("X-Reprise-Token", WRITE), ("Content-Encoding", "gzip")],
        &bomb,
        413,
    );
    refused(
        good,
        &[("X-Reprise-Token", WRITE)],
        &vec![b' '; 17 << 20],
        413,
    );
    // Preflight from an allowed origin.
    let (code, head, _) = http(
        a,
        "OPTIONS",
        good,
        &[
            ("Origin", "http://app.example:5173"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .unwrap();
    assert_eq!(code, 204);
    assert!(
        head.to_ascii_lowercase()
            .contains("access-control-allow-origin: http://app.example:5173"),
        "{head}"
    );
    // Accepted: token in the query, gzip sniffed without a header; then a duplicate.
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&body).unwrap();
        e.finish().unwrap()
    };
    let q = format!("{good}?token={WRITE}");
    let (code, head, b) =
        http(a, "POST", &q, &[("Origin", "http://app.example:5173")], &gz).unwrap();
    assert_eq!(
        (code, serde_json::from_slice::<Value>(&b).unwrap()),
        (202, json!({"ok":true,"duplicate":false}))
    );
    assert!(head
        .to_ascii_lowercase()
        .contains("access-control-allow-origin: http://app.example:5173"));
    let (code, v) = post_batch(a, &ok).unwrap();
    assert_eq!((code, v), (202, json!({"ok":true,"duplicate":true})));

    // Personal data the page failed to redact never reaches the store.
    let secret_password = "Tr0ub4dor&3-horse";
    let secret_email = "grace.hopper@navy-example.org";
    let secret_bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIzNDU2";
    let mut ex = exchange(
        40,
        "http://127.0.0.1:5173/api/me",
        &format!("{{\"name\":\"Grace\",\"email\":\"{secret_email}\"}}"),
    );
    ex["entry"]["request"]["headers"] = json!([{"name":"Authorization","value":secret_bearer}]);
    let events = json!([
        {"t":10,"type":"step","step":{"type":"click","selectors":[["#login"],"aria/Log in"],"offsetX":1,"offsetY":1}},
        {"t":20,"type":"step","step":{"type":"change","selectors":[["#password"]],"value":secret_password}},
        ex,
        {"t":50,"type":"error","source":"console","message":"boom in checkout"},
        {"t":60,"type":"end","reason":"pagehide"}]);
    let (code, _) = post_batch(a, &batch("sessionAAA1", "windowAAA1", 1, events)).unwrap();
    assert_eq!(code, 202);
    let bytes = store_bytes(&store);
    for s in [
        secret_password,
        secret_email,
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIzNDU2",
    ] {
        assert!(!contains(&bytes, s), "`{s}` reached the store");
    }
    assert!(
        contains(&bytes, "boom in checkout"),
        "the store holds the batches (the grep looks at real bytes)"
    );

    // sessions: the read token is required, refusals are audited.
    let st = ["--store", store_s];
    let (code, _, err) = reprise(suite.path(), &["sessions", "list", st[0], st[1]], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("read token"), "{err}");
    let tok = [("REPRISE_READ_TOKEN", READ)];
    let (code, out, err) = reprise(
        suite.path(),
        &["sessions", "list", "--format", "json", st[0], st[1]],
        &tok,
    );
    assert_eq!(code, 0, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    let s = &list[0];
    assert_eq!(s["id"], "sessionAAA1");
    assert_eq!(s["batches"], 2);
    assert_eq!(s["closed"], true, "the end event closed it: {s}");
    assert_eq!(s["endpoints"], json!(["GET /api/me"]));
    let search = |args: &[&str]| {
        let mut all = vec!["sessions", "search", "--format", "json", st[0], st[1]];
        all.extend_from_slice(args);
        let (code, out, err) = reprise(suite.path(), &all, &tok);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(search(&["--endpoint", "/api/me", "--errors"]), 1);
    assert_eq!(
        search(&["--text", "log in", "--selector", "#login", "--route", "/"]),
        1
    );
    assert_eq!(search(&["--since", "1h", "--until", "2999-01-01"]), 1);
    assert_eq!(search(&["--endpoint", "/api/nothing"]), 0);
    let (code, _, err) = reprise(
        suite.path(),
        &["sessions", "search", "--since", "yesterday", st[0], st[1]],
        &tok,
    );
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = reprise(
        suite.path(),
        &["sessions", "show", "sessionAAA1", st[0], st[1]],
        &tok,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("closed (pagehide)") && out.contains("console: boom in checkout"),
        "{out}"
    );
    let (code, _, err) = reprise(
        suite.path(),
        &["sessions", "show", "sessionZZZ9", st[0], st[1]],
        &tok,
    );
    assert_eq!(code, 2, "{err}");
    // An idle session is closed by the sweep.
    let (code, _) = post_batch(a, &batch("sessionIDLE", "windowAAA1", 0, json!([]))).unwrap();
    assert_eq!(code, 202);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, out, _) = reprise(
            suite.path(),
            &[
                "sessions",
                "show",
                "sessionIDLE",
                "--format",
                "json",
                st[0],
                st[1],
            ],
            &tok,
        );
        if serde_json::from_str::<Value>(&out).unwrap()["close_reason"] == "idle" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the idle session was not closed: {out}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, out, _) = reprise(
        suite.path(),
        &["sessions", "delete", "sessionIDLE", st[0], st[1]],
        &tok,
    );
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = reprise(
        suite.path(),
        &["sessions", "delete", "sessionIDLE", st[0], st[1]],
        &tok,
    );
    assert_eq!(code, 2);
    let (code, out, _) = reprise(
        suite.path(),
        &["sessions", "audit", "--format", "json", st[0], st[1]],
        &tok,
    );
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&out).unwrap();
    let log = log.as_array().unwrap();
    assert!(
        log.iter()
            .any(|e| e["action"] == "list" && e["allowed"] == false),
        "the refusal is logged"
    );
    assert!(log
        .iter()
        .any(|e| e["action"] == "delete" && e["target"] == "sessionIDLE" && e["allowed"] == true));
    // SIGTERM: a graceful stop.
    let mut c = c;
    assert!(c.sigterm().success());
}

/// One generated session's batches: `n` batches, each with a step and a response body
/// shared by every session (so the store's dedup is exercised) and one of its own.
pub fn generated(session: &str, n: u32, shared: &str) -> Vec<Value> {
    (0..n).map(|seq| gen_batch(session, seq, shared)).collect()
}

pub fn gen_batch(session: &str, seq: u32, shared: &str) -> Value {
    batch(
        session,
        "windowGEN1",
        seq,
        json!([
            {"t":seq * 100 + 1,"type":"step","step":{"type":"click","selectors":[[format!("#item-{seq}")]],"offsetX":1,"offsetY":1}},
            exchange(u64::from(seq) * 100 + 2, "http://127.0.0.1:5173/api/products", shared),
            exchange(u64::from(seq) * 100 + 3, &format!("http://127.0.0.1:5173/api/cart/{seq}"), &format!("{{\"session\":\"{session}\",\"seq\":{seq}}}")),
        ]),
    )
}

fn shared_body() -> String {
    let items: Vec<String> = (0..60)
        .map(|i| {
            format!(
                "{{\"id\":{i},\"name\":\"Product {i}\",\"price\":{}.99}}",
                i * 3
            )
        })
        .collect();
    format!("{{\"products\":[{}]}}", items.join(","))
}

#[test]
fn two_hundred_concurrent_sessions_lose_and_duplicate_nothing_and_survive_kill_9() {
    let suite = tempfile::tempdir().unwrap();
    let store = suite.path().join("store");
    let store_s = store.to_str().unwrap().to_string();
    let c = Collector::start(suite.path(), &store_s, &[]);
    let shared = shared_body();
    let per = 4;
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let (addr, shared) = (c.addr.clone(), shared.clone());
            std::thread::spawn(move || {
                let id = format!("load{i:06}");
                let batches = generated(&id, per, &shared);
                for b in &batches {
                    let (code, v) = post_batch(&addr, b).expect("post");
                    assert_eq!((code, v["duplicate"].clone()), (202, json!(false)), "{id}");
                }
                // A retry of the last batch is acknowledged and not stored twice.
                let (code, v) = post_batch(&addr, &batches[per as usize - 1]).expect("post");
                assert_eq!((code, v["duplicate"].clone()), (202, json!(true)));
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a session's batches were accepted");
    }
    {
        let st = reprise::store::open(&store_s).unwrap();
        let all = st.list(&reprise::store::Query::default()).unwrap();
        assert_eq!(all.len(), 200);
        assert!(
            all.iter().all(|s| s.batches == u64::from(per)),
            "every batch once"
        );
        let b = st.batches("load000007", "test").unwrap();
        let seqs: Vec<u64> = b
            .iter()
            .map(|x| {
                serde_json::from_slice::<Value>(x).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
        for x in &b {
            let v: Value = serde_json::from_slice(x).unwrap();
            assert_eq!(
                v["events"][1]["entry"]["response"]["content"]["text"],
                shared.as_str(),
                "bodies joined back"
            );
        }
    }
    // The shared body is stored once, though 800 batches carried it.
    let blob_files = walkdir(&store.join("blobs"));
    assert!(
        blob_files < 800 * 2,
        "{blob_files} blob files for 800 batches"
    );

    // kill -9 mid-load: every 202 is still there after a restart.
    let mut c = c;
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, u32)>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..20)
        .map(|i| {
            let (addr, shared, acked, stop) =
                (c.addr.clone(), shared.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let id = format!("kill{i:06}");
                for seq in 0..10_000 {
                    let b = gen_batch(&id, seq, &shared);
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    match post_batch(&addr, &b) {
                        Ok((202, _)) => acked
                            .lock()
                            .unwrap()
                            .push((id.clone(), b["seq"].as_u64().unwrap() as u32)),
                        _ => break,
                    }
                }
            })
        })
        .collect();
    let t0 = Instant::now();
    while acked.lock().unwrap().len() < 100 && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    c.kill9();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 100,
        "only {} batches acknowledged before the kill",
        acked.len()
    );
    let c2 = Collector::start(suite.path(), &store_s, &[]);
    let st = reprise::store::open(&store_s).unwrap();
    for i in 0..20 {
        let id = format!("kill{i:06}");
        let have: std::collections::HashSet<u64> = st
            .batches(&id, "test")
            .unwrap()
            .iter()
            .map(|x| {
                serde_json::from_slice::<Value>(x).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        for (_, seq) in acked.iter().filter(|(s, _)| *s == id) {
            assert!(
                have.contains(&u64::from(*seq)),
                "{id} seq {seq} was answered 202 but is gone"
            );
        }
    }
    // The restarted collector takes the next batches.
    let (code, _) =
        post_batch(&c2.addr, &batch("afterkill01", "windowGEN1", 0, json!([]))).unwrap();
    assert_eq!(code, 202);
}

fn walkdir(p: &Path) -> usize {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walkdir(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[allow(dead_code)]
fn suite_root() -> PathBuf {
    crate::support::repo_root()
}

/// The demo's newsletter session as the snippet would have sent it: its user steps and its
/// backend exchanges, in two batches of one window.
fn newsletter_batches(session: &str, window: &str) -> Vec<Value> {
    let root = crate::support::repo_root();
    let rec: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("recordings/newsletter.json")).unwrap(),
    )
    .unwrap();
    let har: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("mocks/newsletter.har")).unwrap())
            .unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    let steps: Vec<Value> = rec["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| matches!(s["type"].as_str(), Some("click" | "change" | "scroll")))
        .cloned()
        .collect();
    let mut first =
        vec![json!({"t": 300, "type": "exchange", "entry": entries[0], "truncated": false})];
    let mut second = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let t = s["timestamp"].as_u64().unwrap();
        let ev = json!({"t": t, "type": "step", "step": s});
        if i < 3 {
            first.push(ev)
        } else {
            second.push(ev)
        }
    }
    let last_t = steps.last().unwrap()["timestamp"].as_u64().unwrap();
    second.push(
        json!({"t": last_t + 150, "type": "exchange", "entry": entries[1], "truncated": false}),
    );
    second.push(json!({"t": last_t + 3000, "type": "end", "reason": "pagehide"}));
    let mut b0 = batch(session, window, 0, Value::Array(first));
    b0["start"] = json!({"url": "https://shop.reprise.test/", "title": "Reprise Coffee | Specialty beans, roasted in Paris",
        "viewport": {"width": 1280, "height": 800, "deviceScaleFactor": 1}, "userAgent": "Mozilla/5.0",
        "timezone": "Europe/Paris", "locale": "en-GB", "startTime": 1773481092000u64, "buildId": null,
        "localStorage": {}, "sessionStorage": {}, "cookies": ""});
    vec![b0, batch(session, window, 1, Value::Array(second))]
}

#[test]
fn a_captured_session_exports_and_replays_with_fidelity_one() {
    let suite = crate::support::TestSuite::demo();
    for d in ["recordings", "mocks", "snapshots"] {
        std::fs::remove_dir_all(suite.path().join(d)).unwrap();
    }
    let store = suite.path().join(".reprise/sessions");
    let store_s = store.to_str().unwrap().to_string();
    {
        let c = Collector::start(suite.path(), &store_s, &[]);
        // Out of order, with a retry: the store and the assembler put them right.
        let mut batches = newsletter_batches("sessionNEWS01", "windowNEWS01");
        batches.reverse();
        for b in batches.iter().chain(batches.iter().take(1)) {
            let (code, v) = post_batch(&c.addr, b).unwrap();
            assert_eq!(code, 202, "{v}");
        }
    }
    let tok = [("REPRISE_READ_TOKEN", READ)];
    let (code, out, err) = reprise(
        suite.path(),
        &["sessions", "export", "sessionNEWS01", "--name", "captured"],
        &tok,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        suite.path().join("recordings/captured.json").exists()
            && suite.path().join("mocks/captured.har").exists()
    );
    let (code, _, err) = reprise(
        suite.path(),
        &["sessions", "export", "sessionNEWS01", "--name", "captured"],
        &tok,
    );
    assert_eq!(code, 2, "no overwrite without --force: {err}");
    let (code, _, err) = reprise(
        suite.path(),
        &["sessions", "export", "sessionNOPE01", "--name", "other"],
        &tok,
    );
    assert_eq!(code, 2, "unknown id: {err}");
    let (code, _, _) = reprise(
        suite.path(),
        &[
            "sessions",
            "export",
            "sessionNEWS01",
            "--name",
            "captured",
            "--force",
        ],
        &tok,
    );
    assert_eq!(code, 0);
    let first = suite.run(&["run", "-u"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let again = suite.run(&["run"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let s = again.session("captured");
    assert_eq!(s["fidelity"], 1.0, "{s:#}");
    assert_eq!(s["network"]["unmatched"], json!([]), "{s:#}");
}

/// The whole chain with the real parts: the demo app with the snippet served by the real
/// collector, a real backend, a real Chromium through chromedriver; then `sessions export`,
/// `run -u` and `run`. A typed password, an Authorization header and an email the backend
/// answered appear nowhere in the store's bytes.
#[test]
fn a_real_browser_session_through_the_collector_exports_and_replays_with_fidelity_one() {
    use crate::capture::{self as cap, find};
    if !cap::prerequisites() {
        return;
    }
    let email = "grace.hopper@navy-example.org";
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let store_s = store.to_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The backend answers the demo's API, with a customer's email in the product list.
    let inner = cap::backend();
    let backend: cap::Handler = std::sync::Arc::new(move |r: cap::Req| {
        let mut resp = inner(r);
        if resp.body.starts_with(b"{") && resp.status == 200 {
            let mut v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("accountManager".into(), json!(email));
                resp.body = serde_json::to_vec(&v).unwrap();
            }
        }
        resp
    });
    let api = rt.block_on(cap::serve(backend));
    // The app's origin must be known before the collector starts: bind the app server first.
    let app = work.path().join("demo");
    let placeholder: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    cap::app_dir(&app, api, placeholder, "");
    let app_addr = rt.block_on(cap::serve(cap::static_files(app.clone())));
    let c = Collector::start(
        work.path(),
        &store_s,
        &["--allow-origin", &format!("http://{app_addr}")],
    );
    let index = app.join("index.html");
    let html = std::fs::read_to_string(&index)
        .unwrap()
        .replace(
            &format!("http://{placeholder}/v1/capture.js"),
            &format!("http://{}/v1/capture.js", c.addr),
        )
        .replace(
            "data-token=\"write-token\"",
            &format!("data-token=\"{WRITE}\""),
        );
    assert!(html.contains(&c.addr) && html.contains(WRITE));
    std::fs::write(&index, html).unwrap();
    let session = rt.block_on(async {
        let (_driver, b, _profile) = crate::support::headless_browser().await;
        b.goto(&format!("http://{app_addr}/"))
            .await
            .expect("open the demo");
        find(&b, "[data-testid=\"product-list\"] .card").await;
        let id = b
            .execute("return reprise.sessionId", vec![])
            .await
            .expect("session id");
        let name = find(&b, "[data-testid=\"nl-name\"]").await;
        name.click().await.unwrap();
        name.send_keys("Ada Lovelace").await.unwrap();
        let mail = find(&b, "[data-testid=\"nl-email\"]").await;
        mail.click().await.unwrap();
        mail.send_keys("ada@example.com").await.unwrap();
        find(&b, "[data-testid=\"nl-plan\"]")
            .await
            .select_by_value("monthly")
            .await
            .unwrap();
        let pw = find(&b, "[data-testid=\"nl-pw\"]").await;
        pw.click().await.unwrap();
        pw.send_keys(cap::PASSWORD).await.unwrap();
        find(&b, "[data-testid=\"nl-terms\"]")
            .await
            .click()
            .await
            .unwrap();
        find(&b, "[data-testid=\"nl-submit\"]")
            .await
            .click()
            .await
            .unwrap();
        find(&b, "[data-testid=\"newsletter-success\"]:not([hidden])").await;
        b.execute("reprise.flush()", vec![]).await.expect("flush");
        // Leaving the page sends the rest with `keepalive`.
        b.goto(&format!("http://{app_addr}/styles.css"))
            .await
            .unwrap();
        let _ = b.close().await;
        id.as_str().unwrap_or_default().to_string()
    });
    assert!(!session.is_empty());
    // Wait until the session's submit click is stored.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let st = reprise::store::open(&store_s).unwrap();
        let got = st
            .list(&reprise::store::Query {
                session: Some(session.clone()),
                ..Default::default()
            })
            .unwrap();
        if got
            .first()
            .is_some_and(|s| s.selectors.iter().any(|x| x.contains("nl-submit")))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the session never reached the store: {got:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(c);
    let bytes = store_bytes(&store);
    for secret in [cap::PASSWORD, "tok-9f8e7d6c5b4a", email] {
        assert!(!contains(&bytes, secret), "`{secret}` reached the store");
    }
    // Export into a suite with the app, then replay.
    let suite = crate::support::TestSuite::empty().file("reprise.toml", "[app]\ndir = \"demo\"\n");
    let demo = suite.path().join("demo");
    std::fs::create_dir_all(&demo).unwrap();
    for e in std::fs::read_dir(&app).unwrap().flatten() {
        std::fs::copy(e.path(), demo.join(e.file_name())).unwrap();
    }
    let (code, out, err) = reprise(
        suite.path(),
        &[
            "sessions", "export", &session, "--name", "real", "--store", &store_s,
        ],
        &[("REPRISE_READ_TOKEN", READ)],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let o = suite.run(&["run", "-u"]);
    assert_eq!(o.code, 0, "{}\n{}\n{out}", o.stdout, o.stderr);
    let o = suite.run(&["run"]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let s = o.session("real");
    assert_eq!(s["fidelity"], 1.0, "{s:#}");
    assert_eq!(s["network"]["unmatched"], json!([]), "{s:#}");
}

/// No batch goes unaccounted for: the snippet cannot retry a 4xx, so every refused batch is
/// logged with its reason and counted; a batch whose client went away is still stored and
/// closes its session; the collector's last line sums up what became of every batch posted.
/// (Found capturing the curation pool: the bench closes the browser right after leaving each
/// page, and 2 of 20 sessions whose `end` batch had arrived were closed as idle instead.)
#[test]
fn every_refused_batch_is_logged_with_its_reason_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let suite = dir.path().join("suite");
    std::fs::create_dir_all(&suite).expect("mkdir");
    let store = dir.path().join("store");
    let log_path = dir.path().join("collect.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut col = Collector::start_logging(&suite, store.to_str().expect("utf-8"), &[], log.into());
    let good = batch("sessionA1", "windowA1", 0, json!([]));
    for expect in [202, 202] {
        assert_eq!(post_batch(&col.addr, &good).expect("post").0, expect);
    }
    // the URL's seq differs from the batch's
    let mut wrong_seq = batch("sessionA1", "windowA1", 1, json!([]));
    wrong_seq["seq"] = json!(2);
    let body = serde_json::to_vec(&wrong_seq).expect("json");
    let (code, _, _) = http(
        &col.addr,
        "POST",
        "/v1/ingest/sessionA1/windowA1/1",
        &[("X-Reprise-Token", WRITE)],
        &body,
    )
    .expect("post");
    assert_eq!(code, 400);
    let (code, _, _) = http(
        &col.addr,
        "POST",
        "/v1/ingest/sessionA1/windowA1/3",
        &[("X-Reprise-Token", "not-the-token")],
        b"{}",
    )
    .expect("post");
    assert_eq!(code, 401);
    // The client goes away right after sending its last batch (a keepalive request the
    // browser cancels as it closes): the batch is stored all the same and its `end` closes
    // the session, though no one reads the answer.
    let last = batch(
        "sessionB1x",
        "windowB1x",
        0,
        json!([{"t": 5, "type": "end", "reason": "pagehide"}]),
    );
    let body = serde_json::to_vec(&last).expect("json");
    let mut s = TcpStream::connect(&col.addr).expect("connect");
    let head = format!(
        "POST /v1/ingest/sessionB1x/windowB1x/0 HTTP/1.1\r\nHost: {}\r\nX-Reprise-Token: {WRITE}\r\nContent-Length: {}\r\n\r\n",
        col.addr,
        body.len()
    );
    s.write_all(head.as_bytes()).expect("send the head");
    s.write_all(&body).expect("send the batch");
    drop(s);
    let store_s = store.to_str().expect("utf-8");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, out, err) = reprise(
            &suite,
            &[
                "sessions",
                "show",
                "sessionB1x",
                "--format",
                "json",
                "--store",
                store_s,
            ],
            &[("REPRISE_READ_TOKEN", READ)],
        );
        let reason = serde_json::from_str::<Value>(&out).map(|v| v["close_reason"].clone());
        if matches!(reason, Ok(ref r) if r == "pagehide") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the abandoned batch did not close its session: {out}{err}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(col.sigterm().success());
    let log = std::fs::read_to_string(&log_path).expect("the log");
    for line in [
        "collect: refused batch sessionA1/windowA1/1: 400 the batch's `seq` differs from the URL's (1 refused since start)",
        "collect: refused batch sessionA1/windowA1/3: 401 wrong write token (2 refused since start)",
        "collect: 2 batches stored, 1 duplicates, 2 refused",
    ] {
        assert!(log.lines().any(|l| l == line), "`{line}` in the log:\n{log}");
    }
}
