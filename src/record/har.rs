//! Writing what the recorder captured as HAR 1.2, in the shape `mock::har` reads back.
//!
//! The writer owns two decisions. Bodies are stored decoded (`Fetch.getResponseBody` hands
//! them over decompressed), so `content-encoding` and length headers are dropped: served
//! again with the decoded body they would make the browser fail to decode it. And every
//! secret typed into a private field is replaced by the mask wherever it appears (URL,
//! headers, bodies; raw, JSON-escaped and form-encoded), with the same mask the recording's
//! `change` step types, so the replayed request still matches its recorded exchange.

use base64::Engine as _;
use serde_json::{json, Value};

/// One captured exchange.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// Wall-clock epoch milliseconds when the request started.
    pub started_ms: i64,
    pub duration_ms: u64,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Vec<u8>>,
    pub status: u16,
    pub status_text: String,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Vec<u8>,
    /// CDP's resource type (`XHR`, `Fetch`, `Document`, …), kept as `_resourceType`.
    pub resource_type: String,
}

/// Headers that describe the transport, not the body as stored here.
const TRANSPORT_HEADERS: &[&str] = &["content-encoding", "content-length", "transfer-encoding"];

/// Replaces every secret in `text`, in the encodings a request or response can carry it in.
pub fn scrub(text: &str, secrets: &[String], mask: &str) -> String {
    let mut out = text.to_string();
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    // Longer secrets first, so one secret containing another is replaced whole.
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in sorted {
        let json_escaped = serde_json::to_string(secret)
            .map(|q| q[1..q.len() - 1].to_string())
            .unwrap_or_else(|_| secret.to_string());
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let percent = form.replace('+', "%20");
        for form_of_secret in [secret.as_str(), &json_escaped, &form, &percent] {
            if !form_of_secret.is_empty() && out.contains(form_of_secret) {
                out = out.replace(form_of_secret, mask);
            }
        }
    }
    out
}

fn header_list(headers: &[(String, String)], secrets: &[String], mask: &str) -> Vec<Value> {
    headers
        .iter()
        .filter(|(n, _)| !TRANSPORT_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
        .map(|(n, v)| json!({ "name": n, "value": scrub(v, secrets, mask) }))
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn is_text(mime: &str) -> bool {
    let m = mime.to_ascii_lowercase();
    m.starts_with("text/")
        || m.contains("json")
        || m.contains("xml")
        || m.contains("javascript")
        || m.contains("x-www-form-urlencoded")
        || m.contains("graphql")
}

/// The HAR document for `entries`, with `secrets` replaced by `mask` everywhere.
pub fn to_har(entries: &[Captured], secrets: &[String], mask: &str) -> Value {
    let list: Vec<Value> = entries.iter().map(|e| entry(e, secrets, mask)).collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "reprise", "version": env!("CARGO_PKG_VERSION") },
            "entries": list,
        }
    })
}

fn entry(e: &Captured, secrets: &[String], mask: &str) -> Value {
    let url = scrub(&e.url, secrets, mask);
    let query: Vec<Value> = url::Url::parse(&url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| json!({ "name": k, "value": v }))
                .collect()
        })
        .unwrap_or_default();
    let mut request = json!({
        "method": e.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": header_list(&e.request_headers, secrets, mask),
        "queryString": query,
        "headersSize": -1,
        "bodySize": e.request_body.as_ref().map_or(0, |b| b.len()),
    });
    if let Some(body) = &e.request_body {
        let mime = header(&e.request_headers, "content-type").unwrap_or("");
        let text = scrub(&String::from_utf8_lossy(body), secrets, mask);
        request["bodySize"] = json!(text.len());
        request["postData"] = json!({ "mimeType": mime, "text": text });
    }
    let mime = header(&e.response_headers, "content-type")
        .unwrap_or("")
        .to_string();
    let mut content = json!({ "size": e.response_body.len(), "mimeType": mime });
    match std::str::from_utf8(&e.response_body) {
        Ok(text) if is_text(&mime) || mime.is_empty() => {
            content["text"] = json!(scrub(text, secrets, mask));
        }
        _ => {
            content["text"] =
                json!(base64::engine::general_purpose::STANDARD.encode(&e.response_body));
            content["encoding"] = json!("base64");
        }
    }
    let redirect = header(&e.response_headers, "location").unwrap_or("");
    let started = crate::recording::format_rfc3339_ms(e.started_ms).unwrap_or_default();
    json!({
        "startedDateTime": started,
        "time": e.duration_ms,
        "request": request,
        "response": {
            "status": e.status,
            "statusText": e.status_text,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": header_list(&e.response_headers, secrets, mask),
            "content": content,
            "redirectURL": redirect,
            "headersSize": -1,
            "bodySize": e.response_body.len(),
        },
        "cache": {},
        "timings": { "send": 0, "wait": e.duration_ms, "receive": 0 },
        "_resourceType": e.resource_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> Captured {
        Captured {
            started_ms: 1_700_000_000_000,
            duration_ms: 12,
            method: "POST".into(),
            url: "https://api.example.test/login?next=%2Fhome".into(),
            request_headers: vec![("Content-Type".into(), "application/json".into())],
            request_body: Some(br#"{"user":"ada","password":"p\"w d+1"}"#.to_vec()),
            status: 200,
            status_text: "OK".into(),
            response_headers: vec![
                ("content-type".into(), "application/json".into()),
                ("content-encoding".into(), "gzip".into()),
            ],
            response_body: br#"{"ok":true}"#.to_vec(),
            resource_type: "Fetch".into(),
        }
    }

    #[test]
    fn written_har_is_served_by_the_loader() {
        let har = to_har(&[login()], &[], "x");
        let bytes = serde_json::to_vec(&har).expect("json");
        let ex = crate::mock::har::parse_har(&bytes).expect("reprise reads its own HAR");
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].method, "POST");
        assert_eq!(ex[0].status, 200);
        assert_eq!(ex[0].response_body, br#"{"ok":true}"#);
        assert!(ex[0].request_body.is_some());
        // The body is stored decoded: announcing gzip would break serving it again.
        assert!(!ex[0]
            .response_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-encoding")));
    }

    #[test]
    fn secrets_are_scrubbed_in_every_encoding() {
        let secret = "p\"w d+1".to_string();
        let mut e = login();
        e.url = "https://api.example.test/q?pw=p%22w+d%2B1".into();
        e.response_body = b"echo p\"w d+1".to_vec();
        e.response_headers = vec![("content-type".into(), "text/plain".into())];
        let har = to_har(&[e], std::slice::from_ref(&secret), "MASK");
        let text = serde_json::to_string(&har).expect("json");
        assert!(!text.contains("w d+1"), "{text}");
        assert!(!text.contains("p%22w"), "{text}");
        assert!(text.contains(r#"\"password\":\"MASK\""#), "{text}");
    }

    #[test]
    fn binary_bodies_are_base64() {
        let mut e = login();
        e.response_headers = vec![("content-type".into(), "image/png".into())];
        e.response_body = vec![0x89, b'P', b'N', b'G', 0xff];
        let har = to_har(&[e], &[], "x");
        assert_eq!(
            har["log"]["entries"][0]["response"]["content"]["encoding"],
            "base64"
        );
        let ex =
            crate::mock::har::parse_har(&serde_json::to_vec(&har).expect("json")).expect("har");
        assert_eq!(ex[0].response_body, vec![0x89, b'P', b'N', b'G', 0xff]);
    }
}
