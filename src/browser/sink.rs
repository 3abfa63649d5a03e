//! The backstop: Chromium is launched with every host name resolving to this loopback
//! listener, so a connection that escaped request interception lands here instead of on the
//! network. It records the host each connection was for (TLS SNI or HTTP `Host`), so the
//! report can tell the browser's own background chatter from a request of the page.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Hosts Chromium contacts on its own (updates, sign-in, search-engine warm-up) even with
/// background networking disabled. A connection to them is not the page's doing.
const BROWSER_SERVICE_DOMAINS: &[&str] = &[
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "gvt1.com",
    "gvt2.com",
    "duckduckgo.com",
    "bing.com",
];

pub struct Sink {
    pub port: u16,
    hosts: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let hosts: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = hosts.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n =
                        match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
                            .await
                        {
                            Ok(Ok(n)) => n,
                            _ => 0,
                        };
                    let host = host_of(&buf[..n]).unwrap_or_else(|| "<unknown>".into());
                    seen.lock().unwrap_or_else(|p| p.into_inner()).push(host);
                });
            }
        });
        Ok(Self { port, hosts, task })
    }

    /// Hosts of connections the page (not the browser itself) tried to open.
    pub fn escaped(&self) -> Vec<String> {
        self.hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|h| !is_browser_service(h))
            .cloned()
            .collect()
    }

    /// Forgets what was counted: the browser is about to serve another session.
    pub fn reset(&self) {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn is_browser_service(host: &str) -> bool {
    BROWSER_SERVICE_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// The host a connection was for, from its first bytes.
fn host_of(data: &[u8]) -> Option<String> {
    if data.first() == Some(&0x16) {
        return sni(data);
    }
    let text = std::str::from_utf8(data).ok()?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("Host: ")
                .or_else(|| l.strip_prefix("host: "))
        })
        .map(|h| h.split(':').next().unwrap_or(h).trim().to_string())
}

/// The server name of a TLS ClientHello.
fn sni(data: &[u8]) -> Option<String> {
    let rd16 = |at: usize| -> Option<usize> {
        Some(usize::from(*data.get(at)?) << 8 | usize::from(*data.get(at + 1)?))
    };
    // record header (5) + handshake header (4) + version (2) + random (32)
    let mut at = 5 + 4 + 2 + 32;
    at += 1 + usize::from(*data.get(at)?); // session id
    at += 2 + rd16(at)?; // cipher suites
    at += 1 + usize::from(*data.get(at)?); // compression methods
    let end = at + 2 + rd16(at)?;
    at += 2;
    while at + 4 <= end.min(data.len()) {
        let (kind, len) = (rd16(at)?, rd16(at + 2)?);
        if kind == 0 {
            // server_name list: list length (2), name type (1), name length (2), name
            let name_len = rd16(at + 4 + 3)?;
            let start = at + 4 + 5;
            return data
                .get(start..start + name_len)
                .map(|b| String::from_utf8_lossy(b).into_owned());
        }
        at += 4 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_from_http_and_service_domains() {
        assert_eq!(
            host_of(b"GET / HTTP/1.1\r\nHost: evil.test:8080\r\n\r\n").as_deref(),
            Some("evil.test")
        );
        assert!(is_browser_service("update.googleapis.com"));
        assert!(!is_browser_service("notgoogle.com"));
        assert!(!is_browser_service("api.reprise.test"));
    }

    #[test]
    fn host_from_tls_client_hello() {
        // A minimal ClientHello with only the server_name extension for "a.test".
        let name = b"a.test";
        let mut ext = vec![0, 0];
        let list_len = 3 + name.len();
        ext.extend([
            0,
            (list_len + 2) as u8,
            0,
            list_len as u8,
            0,
            0,
            name.len() as u8,
        ]);
        ext.extend(name);
        let mut body = vec![3, 3];
        body.extend([0u8; 32]);
        body.extend([0, 0, 2, 0x13, 0x01, 1, 0]);
        body.extend([0, ext.len() as u8]);
        body.extend(&ext);
        let mut hs = vec![1, 0, 0, body.len() as u8];
        hs.extend(&body);
        let mut rec = vec![0x16, 3, 1, 0, hs.len() as u8];
        rec.extend(&hs);
        assert_eq!(sni(&rec).as_deref(), Some("a.test"));
    }
}
