//! `reprise review --serve`: the last run's HTML report as a local web UI with accept and
//! reject buttons, on 127.0.0.1 only.
//!
//! Every URL carries a random token (the page at `/{token}/`, the actions at
//! `/{token}/accept` and `/{token}/reject`), and the `Host` and `Origin` headers must name
//! the loopback address, so neither another site in the reviewer's browser nor a DNS
//! rebinding attack can accept baselines.

use super::queue::{plain, Queue, Source};
use super::{exit, Failure, LAST_REPORT, LAST_RUN_DIR};
use crate::baseline::{self, Action, Pending};
use crate::grouping::Member;
use crate::model::RunReport;
use crate::report::html::{render, HtmlOptions};
use crate::suite::SNAPSHOTS_DIR;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Server {
    suite: PathBuf,
    token: String,
    port: u16,
    report: RunReport,
    /// The groups and the decisions taken on them; also where an artifact's captures are.
    queue: std::sync::Mutex<Queue>,
}

fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub async fn serve(
    suite: &Path,
    sessions: &[String],
    port: Option<u16>,
    from: Option<&Path>,
) -> Result<i32, Failure> {
    let queue = match from {
        Some(dir) => Queue::artifact(suite, dir)?,
        None => Queue::local(suite)?.ok_or_else(|| {
            Failure::usage(
                format!(
                    "no run to review: `{}` does not exist",
                    suite.join(LAST_RUN_DIR).join(LAST_REPORT).display()
                ),
                Some("run `reprise run` first; its report is what `review --serve` shows"),
            )
        })?,
    };
    let mut report = queue.report.clone();
    if !sessions.is_empty() {
        report.sessions.retain(|s| sessions.contains(&s.id));
        report
            .groups
            .retain(|g| g.members.iter().any(|m| sessions.contains(&m.session)));
    }
    let infra = |e: std::io::Error| Failure {
        message: format!("cannot start the review server: {e}"),
        hint: None,
        code: exit::INFRASTRUCTURE,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
        .await
        .map_err(infra)?;
    let port = listener.local_addr().map_err(infra)?.port();
    let server = Arc::new(Server {
        suite: suite.to_path_buf(),
        token: random_token().map_err(infra)?,
        port,
        report,
        queue: std::sync::Mutex::new(queue),
    });
    let pending = baseline::pending(&suite.join(SNAPSHOTS_DIR), sessions).len();
    println!(
        "Reviewing {pending} pending snapshot(s) at http://127.0.0.1:{port}/{}/",
        server.token
    );
    println!("Press Ctrl-C to stop.");
    let waiting = Arc::new(std::sync::Mutex::new(Waiting::default()));
    let accept_loop = async {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors (or another transient failure): retrying at
                    // once spun a core at 100%; wait, and free a slot.
                    waiting
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .evict_oldest();
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let server = server.clone();
            // Registered before the task can run, so it never finds itself missing.
            let mut w = waiting.lock().unwrap_or_else(|p| p.into_inner());
            while w.conns.len() >= MAX_WAITING {
                w.evict_oldest();
            }
            w.next += 1;
            let (waiting_here, id) = (waiting.clone(), w.next);
            let task = tokio::spawn(async move {
                let _ = server
                    .handle(stream, || {
                        waiting_here
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .conns
                            .retain(|(i, _)| *i != id);
                    })
                    .await;
            });
            w.conns.push_back((id, task.abort_handle()));
        }
    };
    tokio::select! {
        () = accept_loop => {}
        _ = super::signals::terminated() => {}
    }
    Ok(exit::PASSED)
}

/// A parsed HTTP/1.1 request: only what the review UI sends.
struct Request {
    method: String,
    path: String,
    host: Option<String>,
    origin: Option<String>,
    body: Vec<u8>,
}

/// Connections still sending their request; beyond this many, the oldest is closed. Idle
/// sockets (a browser's preconnects, or someone holding them open on purpose) otherwise
/// pile up until the process runs out of file descriptors, and then nothing is served.
const MAX_WAITING: usize = 32;

/// How long a connection may take to send its whole request.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The connections that have not sent a whole request yet, oldest first.
#[derive(Default)]
struct Waiting {
    next: u64,
    conns: std::collections::VecDeque<(u64, tokio::task::AbortHandle)>,
}

impl Waiting {
    fn evict_oldest(&mut self) {
        if let Some((_, task)) = self.conns.pop_front() {
            task.abort();
        }
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let (method, path) = (
        first.next().unwrap_or("").to_string(),
        first.next().unwrap_or("").to_string(),
    );
    let mut host = None;
    let mut origin = None;
    let mut length = 0usize;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "host" => host = Some(v),
                "origin" => origin = Some(v),
                "content-length" => length = v.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    if length > 1024 * 1024 {
        return Ok(None);
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some(Request {
        method,
        path,
        host,
        origin,
        body,
    }))
}

impl Server {
    /// Answers one request; `received` is called once the request is in (from then on the
    /// connection is no longer evicted as idle).
    async fn handle(
        &self,
        mut stream: tokio::net::TcpStream,
        received: impl FnOnce(),
    ) -> std::io::Result<()> {
        let read = tokio::time::timeout(REQUEST_TIMEOUT, read_request(&mut stream)).await;
        received();
        let Ok(Some(req)) = read.unwrap_or(Ok(None)) else {
            return Ok(());
        };
        let (status, content_type, body) = self.respond(&req);
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await
    }

    fn respond(&self, req: &Request) -> (&'static str, &'static str, Vec<u8>) {
        let text = "text/plain; charset=utf-8";
        let allowed_hosts = [
            format!("127.0.0.1:{}", self.port),
            format!("localhost:{}", self.port),
        ];
        if !req.host.as_ref().is_some_and(|h| allowed_hosts.contains(h)) {
            return ("403 Forbidden", text, b"wrong host".to_vec());
        }
        if let Some(o) = &req.origin {
            if !allowed_hosts.iter().any(|h| *o == format!("http://{h}")) {
                return (
                    "403 Forbidden",
                    text,
                    b"cross-origin requests are refused".to_vec(),
                );
            }
        }
        let prefix = format!("/{}/", self.token);
        let Some(rest) = req.path.strip_prefix(&prefix) else {
            return (
                "404 Not Found",
                text,
                b"open the URL `reprise review --serve` printed".to_vec(),
            );
        };
        match (req.method.as_str(), rest) {
            ("GET", "") => {
                let html = render(
                    &self.report,
                    &self.suite,
                    &HtmlOptions {
                        review_token: Some(self.token.clone()),
                    },
                );
                ("200 OK", "text/html; charset=utf-8", html.into_bytes())
            }
            ("POST", "accept") => self.act(&req.body, Action::Accept),
            ("POST", "reject") => self.act(&req.body, Action::Reject),
            _ => ("404 Not Found", text, b"not found".to_vec()),
        }
    }

    fn act(&self, body: &[u8], action: Action) -> (&'static str, &'static str, Vec<u8>) {
        let json = "application/json";
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
            return (
                "400 Bad Request",
                json,
                br#"{"error":"invalid JSON"}"#.to_vec(),
            );
        };
        if let Some(id) = v.get("group") {
            return self.act_group(id.as_str().unwrap_or_default(), action);
        }
        let session = v["session"].as_str().unwrap_or_default();
        let checkpoint = v["checkpoint"].as_str();
        if !plain(session) || checkpoint.is_some_and(|c| !plain(c)) {
            return (
                "400 Bad Request",
                json,
                br#"{"error":"invalid name"}"#.to_vec(),
            );
        }
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(queue.source, Source::Artifact(_)) {
            // An artifact has no pending files: its members are what there is to decide.
            let mut todo: Vec<Member> = Vec::new();
            for g in &queue.report.groups {
                for m in &g.members {
                    if m.session == session
                        && checkpoint.is_none_or(|c| m.checkpoint == c)
                        && !todo.contains(m)
                    {
                        todo.push(m.clone());
                    }
                }
            }
            if todo.is_empty() {
                return (
                    "404 Not Found",
                    json,
                    br#"{"error":"nothing pending"}"#.to_vec(),
                );
            }
            for m in &todo {
                if let Err(e) = queue.decide_checkpoint(m, action) {
                    let msg = serde_json::json!({ "error": e.message }).to_string();
                    return ("500 Internal Server Error", json, msg.into_bytes());
                }
                let _ = writeln!(
                    std::io::stdout(),
                    "{:>9} {}/{}",
                    action.past(),
                    m.session,
                    m.checkpoint
                );
            }
            let msg = serde_json::json!({ "done": todo.len() }).to_string();
            return ("200 OK", json, msg.into_bytes());
        }
        drop(queue);
        let todo: Vec<Pending> =
            baseline::pending(&self.suite.join(SNAPSHOTS_DIR), &[session.to_string()])
                .into_iter()
                .filter(|p| checkpoint.is_none_or(|c| p.checkpoint == c))
                .collect();
        if todo.is_empty() {
            return (
                "404 Not Found",
                json,
                br#"{"error":"nothing pending"}"#.to_vec(),
            );
        }
        for p in &todo {
            if let Err(e) = baseline::apply(&self.suite.join(SNAPSHOTS_DIR), p, action) {
                let msg = serde_json::json!({ "error": e.to_string() }).to_string();
                return ("500 Internal Server Error", json, msg.into_bytes());
            }
            println!("{:>9} {}/{}", action.past(), p.session, p.checkpoint);
        }
        let msg = serde_json::json!({ "done": todo.len() }).to_string();
        ("200 OK", json, msg.into_bytes())
    }

    /// Accepts or rejects a whole group: one click for every checkpoint it covers.
    fn act_group(&self, id: &str, action: Action) -> (&'static str, &'static str, Vec<u8>) {
        let json = "application/json";
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if queue.report.group(id).is_none() {
            return (
                "404 Not Found",
                json,
                br#"{"error":"no such group"}"#.to_vec(),
            );
        }
        match queue.decide_group(id, action) {
            Ok(o) => {
                // A closed stdout must not fail the decision already taken.
                super::queue::print_outcome(&mut std::io::stdout(), action, &o);
                let msg = serde_json::json!({
                    "done": o.done.len(),
                    "waiting": o.waiting.len(),
                })
                .to_string();
                ("200 OK", json, msg.into_bytes())
            }
            Err(e) => {
                let msg = serde_json::json!({ "error": e.message }).to_string();
                ("500 Internal Server Error", json, msg.into_bytes())
            }
        }
    }
}
