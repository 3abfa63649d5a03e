//! Ingest benchmark: the collector in-process on 127.0.0.1 with a SQLite store in a temporary
//! folder, and a generator of concurrent sessions posting batches over loopback (one HTTP/1.1
//! connection per batch, as `fetch` with `keepalive` does).
//!
//! `cargo run --release --example ingest -- [SESSIONS] [BATCHES_PER_SESSION]` (default 200 10)
//! prints batches/s, MB/s, p50/p99 latency, store bytes per session against the raw bytes
//! posted, and the time from a session's last batch to exportable.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reprise::collect::{self, redact::Redactor};
use reprise::store::Store;
use serde_json::{json, Value};

const TOKEN: &str = "bench-write-token-0123456789";

fn post(addr: &str, path: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Reprise-Token: {TOKEN}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(body).expect("write");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read");
    String::from_utf8_lossy(&resp[..resp.len().min(12)])
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// A batch as the snippet sends one for a shop page: two steps, a shared product list (the
/// same in every session), a cart answer of its own.
fn batch(session: &str, seq: u32, products: &str, last: bool) -> Vec<u8> {
    let exchange = |t: u32, url: &str, body: &str| {
        json!({"t":t,"type":"exchange","truncated":false,"entry":{
        "startedDateTime":"2024-06-01T12:00:00.000Z","time":4,
        "request":{"method":"GET","url":url,"httpVersion":"HTTP/1.1","headers":[{"name":"Accept","value":"application/json"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
        "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[{"name":"Content-Type","value":"application/json"}],"cookies":[],
          "content":{"size":body.len(),"mimeType":"application/json","text":body},"redirectURL":"","headersSize":-1,"bodySize":body.len()},
        "cache":{},"timings":{"send":0,"wait":4,"receive":0}}})
    };
    let mut events = vec![
        json!({"t":seq*2000+10,"type":"step","step":{"type":"click","selectors":[[format!("[data-testid=\"add-{seq}\"]")],[format!("aria/Add item {seq}")]],"offsetX":4,"offsetY":4}}),
        exchange(
            seq * 2000 + 20,
            "http://127.0.0.1:5173/api/products",
            products,
        ),
        exchange(
            seq * 2000 + 30,
            &format!("http://127.0.0.1:5173/api/cart?item={seq}"),
            &format!("{{\"items\":{seq},\"total\":{}.50}}", seq * 7),
        ),
        json!({"t":seq*2000+40,"type":"step","step":{"type":"scroll","x":0,"y":seq*120}}),
    ];
    if last {
        events.push(json!({"t":seq*2000+50,"type":"end","reason":"pagehide"}));
    }
    let mut b = json!({"v":1,"session":session,"window":format!("win-{session}"),"seq":seq,"events":events});
    if seq == 0 {
        b["start"] = json!({"url":"http://127.0.0.1:5173/","title":"Shop","viewport":{"width":1280,"height":720,"deviceScaleFactor":1},
            "userAgent":"bench","timezone":"UTC","locale":"en-US","startTime":1733900000000u64,"buildId":null,"localStorage":{},"sessionStorage":{},"cookies":""});
    }
    serde_json::to_vec(&b).expect("json")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sessions: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let per: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::from(reprise::store::open(dir.path().to_str().expect("utf-8")).expect("store"));
    let redactor = Redactor::with_key(&Default::default(), b"bench-key").expect("redactor");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let opts = collect::Options {
        listen: "127.0.0.1:0".into(),
        write_token: TOKEN.into(),
        allow_origins: vec![],
        idle_timeout: Duration::from_secs(1800),
        retain: Duration::from_secs(30 * 86_400),
        sweep_every: Duration::from_secs(60),
    };
    let server_store = store.clone();
    let server = rt.spawn(async move {
        collect::serve(
            opts,
            server_store,
            redactor,
            async {
                let _ = stop_rx.await;
            },
            move |a| {
                let _ = addr_tx.send(a);
            },
        )
        .await
    });
    let addr = addr_rx.recv().expect("bound").to_string();
    let products: String = {
        let items: Vec<String> = (0..80)
            .map(|i| {
                format!(
                    "{{\"id\":{i},\"name\":\"Product {i}\",\"price\":{}.99,\"stock\":{}}}",
                    i * 3,
                    i % 7
                )
            })
            .collect();
        format!("{{\"products\":[{}]}}", items.join(","))
    };
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let raw_bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let t0 = Instant::now();
    let threads: Vec<_> = (0..sessions)
        .map(|i| {
            let (addr, products, lat, raw) = (
                addr.clone(),
                products.clone(),
                latencies.clone(),
                raw_bytes.clone(),
            );
            std::thread::spawn(move || {
                let id = format!("bench{i:08}");
                for seq in 0..per {
                    let body = batch(&id, seq, &products, seq + 1 == per);
                    raw.fetch_add(body.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    let path = format!("/v1/ingest/{id}/win-{id}/{seq}");
                    let t = Instant::now();
                    let code = post(&addr, &path, &body);
                    assert_eq!(code, 202, "{path}: HTTP {code}");
                    lat.lock().expect("lock").push(t.elapsed());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("generator thread");
    }
    let wall = t0.elapsed();
    let mut lat = latencies.lock().expect("lock").clone();
    lat.sort();
    let n = lat.len();
    let pct = |p: f64| lat[((n as f64 * p) as usize).min(n - 1)];
    let raw = raw_bytes.load(std::sync::atomic::Ordering::Relaxed);
    let stored = store.size_bytes().expect("size");
    println!(
        "sessions {sessions}, batches {n}, wall {:.2} s",
        wall.as_secs_f64()
    );
    println!(
        "throughput: {:.0} batches/s, {:.2} MB/s (raw JSON)",
        n as f64 / wall.as_secs_f64(),
        raw as f64 / 1e6 / wall.as_secs_f64()
    );
    println!(
        "latency: p50 {:.1} ms, p99 {:.1} ms",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
    println!(
        "store: {:.1} KB per session against {:.1} KB raw ({:.1}%)",
        stored as f64 / sessions as f64 / 1e3,
        raw as f64 / sessions as f64 / 1e3,
        stored as f64 * 100.0 / raw as f64
    );
    // Time to exportable: one more session, its last batch answered, then read back whole.
    let mut ready = Vec::new();
    for k in 0..5 {
        let id = format!("ready{k:07}");
        for seq in 0..per {
            let path = format!("/v1/ingest/{id}/win-{id}/{seq}");
            assert_eq!(
                post(&addr, &path, &batch(&id, seq, &products, seq + 1 == per)),
                202
            );
        }
        let t = Instant::now();
        let got = exportable(&*store, &id);
        assert_eq!(got, per as usize);
        ready.push(t.elapsed());
    }
    ready.sort();
    println!(
        "time from last batch to exportable: median {:.1} ms",
        ready[2].as_secs_f64() * 1e3
    );
    let _ = stop_tx.send(());
    let _ = rt.block_on(server);
}

/// Reads the session back as an export does (every batch, bodies joined and parsed);
/// returns the number of batches.
fn exportable(store: &dyn Store, id: &str) -> usize {
    let batches = store.batches(id, "bench").expect("read");
    for b in &batches {
        let _: Value = serde_json::from_slice(b).expect("json");
    }
    batches.len()
}
