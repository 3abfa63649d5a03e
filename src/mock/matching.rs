//! Which recorded exchange answers a request: pure logic, kept apart from the HTTP server so it
//! can be tested exhaustively.
//!
//! A request matches an exchange when method, scheme, host, path, the query parameters as a
//! multiset (order is free: apps build query strings from objects) and the body agree. Bodies
//! are compared by meaning: JSON as values, form bodies as fields, anything else as bytes.
//! Identical requests are answered in recorded order (the Nth call gets the Nth response, then
//! the last), which is what makes polling and retries replay faithfully.

use super::har::Exchange;
use std::collections::HashMap;
use std::sync::Mutex;

/// A request as the browser made it, in the form matching needs.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    pub method: String,
    pub url: url::Url,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
}

/// The outcome of looking a request up.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Index of the exchange that answers it.
    Matched(usize),
    /// No exchange matches; the nearest one, if any, and why it differs.
    Unmatched { closest: Option<Closest> },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Closest {
    pub method: String,
    pub url: String,
    /// What differs, e.g. "body differs: field `email` missing".
    pub difference: String,
}

/// Exchanges indexed by method, origin and path, with per-request-shape call counters.
pub struct ExchangeIndex {
    exchanges: Vec<Exchange>,
    by_route: HashMap<RouteKey, Vec<usize>>,
    calls: Mutex<HashMap<(RouteKey, usize), usize>>,
}

type RouteKey = (String, String, String);

fn route_key(method: &str, url: &url::Url) -> RouteKey {
    (
        method.to_ascii_uppercase(),
        origin_of(url),
        url.path().to_string(),
    )
}

fn origin_of(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

impl ExchangeIndex {
    pub fn new(exchanges: Vec<Exchange>) -> Self {
        let mut by_route: HashMap<RouteKey, Vec<usize>> = HashMap::new();
        for (i, ex) in exchanges.iter().enumerate() {
            by_route
                .entry(route_key(&ex.method, &ex.url))
                .or_default()
                .push(i);
        }
        Self {
            exchanges,
            by_route,
            calls: Mutex::new(HashMap::new()),
        }
    }

    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// Finds the exchange for a request and counts the call.
    pub fn lookup(&self, req: &IncomingRequest) -> Lookup {
        let found = self.lookup_as(req, &req.method);
        // A HEAD the capture did not record is answered like the recorded GET (the server
        // drops the body), as the origin server would have.
        match found {
            Lookup::Unmatched { .. } if req.method.eq_ignore_ascii_case("HEAD") => {
                match self.lookup_as(req, "GET") {
                    m @ Lookup::Matched(_) => m,
                    Lookup::Unmatched { .. } => found,
                }
            }
            other => other,
        }
    }

    fn lookup_as(&self, req: &IncomingRequest, method: &str) -> Lookup {
        let key = route_key(method, &req.url);
        let candidates: Vec<usize> = self
            .by_route
            .get(&key)
            .map(|ids| {
                ids.iter()
                    .copied()
                    .filter(|&i| self.same_request(&self.exchanges[i], req))
                    .collect()
            })
            .unwrap_or_default();
        let Some(&first) = candidates.first() else {
            return Lookup::Unmatched {
                closest: self.closest(req),
            };
        };
        // Requests identical to the first candidate share one counter: the Nth call gets the
        // Nth recorded answer, and the last answer once the recording runs out.
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let n = calls.entry((key, first)).or_insert(0);
        let pick = candidates[(*n).min(candidates.len() - 1)];
        *n += 1;
        Lookup::Matched(pick)
    }

    fn same_request(&self, ex: &Exchange, req: &IncomingRequest) -> bool {
        same_query(&ex.url, &req.url)
            && same_body(
                ex.request_body.as_deref(),
                ex.request_mime.as_deref(),
                req.body.as_deref(),
                req.content_type.as_deref(),
            )
    }

    fn closest(&self, req: &IncomingRequest) -> Option<Closest> {
        let mut best: Option<(u32, usize)> = None;
        for (i, ex) in self.exchanges.iter().enumerate() {
            let mut score = 0;
            if origin_of(&ex.url) == origin_of(&req.url) {
                score += 4;
            }
            if ex.url.path() == req.url.path() {
                score += 8;
            } else if common_prefix_segments(ex.url.path(), req.url.path()) > 0 {
                score += 2 * common_prefix_segments(ex.url.path(), req.url.path()).min(3);
            }
            if ex.method.eq_ignore_ascii_case(&req.method) {
                score += 3;
            }
            if same_query(&ex.url, &req.url) {
                score += 1;
            }
            // Only an entry on the same origin or the same path is "close"; anything else
            // would send the reader after an unrelated request.
            let related =
                origin_of(&ex.url) == origin_of(&req.url) || ex.url.path() == req.url.path();
            if related && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i));
            }
        }
        let (_, i) = best?;
        let ex = &self.exchanges[i];
        Some(Closest {
            method: ex.method.clone(),
            url: ex.url.to_string(),
            difference: describe_difference(ex, req),
        })
    }
}

fn common_prefix_segments(a: &str, b: &str) -> u32 {
    a.split('/')
        .zip(b.split('/'))
        .skip(1)
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count() as u32
}

fn sorted_pairs(url: &url::Url) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn same_query(a: &url::Url, b: &url::Url) -> bool {
    sorted_pairs(a) == sorted_pairs(b)
}

/// A body in the form it is compared in.
#[derive(Debug, PartialEq)]
enum Body {
    Empty,
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
    /// Multipart parts without the boundary, which the browser picks at random per request.
    Multipart(Vec<Vec<u8>>),
    Bytes(Vec<u8>),
}

fn multipart_parts(bytes: &[u8], boundary: &str) -> Vec<Vec<u8>> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + d.len() <= bytes.len() {
        if &bytes[i..i + d.len()] == d {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    for w in starts.windows(2) {
        let part = &bytes[w[0] + d.len()..w[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        parts.push(part.to_vec());
    }
    parts
}

fn body_of(bytes: Option<&[u8]>, mime: Option<&str>) -> Body {
    let bytes = match bytes {
        None => return Body::Empty,
        Some([]) => return Body::Empty,
        Some(b) => b,
    };
    let raw_mime = mime.unwrap_or("");
    let mime = raw_mime.to_ascii_lowercase();
    if mime.contains("multipart/form-data") {
        if let Some(b) = raw_mime
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
        {
            return Body::Multipart(multipart_parts(bytes, b.trim_matches('"')));
        }
    }
    if mime.contains("application/x-www-form-urlencoded") {
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        return Body::Form(pairs);
    }
    // JSON is recognised by content rather than only by type: many apps post JSON as
    // `text/plain` to avoid CORS preflights.
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v)
            if !matches!(
                v,
                serde_json::Value::String(_) | serde_json::Value::Number(_)
            ) =>
        {
            Body::Json(v)
        }
        _ => Body::Bytes(bytes.to_vec()),
    }
}

fn same_body(
    a: Option<&[u8]>,
    a_mime: Option<&str>,
    b: Option<&[u8]>,
    b_mime: Option<&str>,
) -> bool {
    body_of(a, a_mime) == body_of(b, b_mime)
}

fn describe_difference(ex: &Exchange, req: &IncomingRequest) -> String {
    if !ex.method.eq_ignore_ascii_case(&req.method) {
        return format!(
            "method differs: recorded `{}`, sent `{}`",
            ex.method, req.method
        );
    }
    if origin_of(&ex.url) != origin_of(&req.url) {
        return format!(
            "origin differs: recorded `{}`, sent `{}`",
            origin_of(&ex.url),
            origin_of(&req.url)
        );
    }
    if ex.url.path() != req.url.path() {
        return format!(
            "path differs: recorded `{}`, sent `{}`",
            ex.url.path(),
            req.url.path()
        );
    }
    if !same_query(&ex.url, &req.url) {
        return format!(
            "query differs: recorded `{}`, sent `{}`",
            ex.url.query().unwrap_or(""),
            req.url.query().unwrap_or("")
        );
    }
    let recorded = body_of(ex.request_body.as_deref(), ex.request_mime.as_deref());
    let sent = body_of(req.body.as_deref(), req.content_type.as_deref());
    match (&recorded, &sent) {
        (Body::Json(r), Body::Json(s)) => format!("body differs: {}", json_difference(r, s, "")),
        _ => format!(
            "body differs: recorded {}, sent {}",
            body_summary(&recorded),
            body_summary(&sent)
        ),
    }
}

fn body_summary(b: &Body) -> String {
    match b {
        Body::Empty => "no body".into(),
        Body::Json(v) => format!("JSON `{}`", truncate(&v.to_string(), 120)),
        Body::Form(f) => format!("form with {} field(s)", f.len()),
        Body::Multipart(p) => format!("multipart form with {} part(s)", p.len()),
        Body::Bytes(b) => format!("{} byte(s)", b.len()),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// The first place two JSON values differ, as a path, for a message a developer can act on.
fn json_difference(recorded: &serde_json::Value, sent: &serde_json::Value, path: &str) -> String {
    use serde_json::Value;
    match (recorded, sent) {
        (Value::Object(r), Value::Object(s)) => {
            for k in r.keys() {
                if !s.contains_key(k) {
                    return format!("field `{path}{k}` is missing");
                }
            }
            for k in s.keys() {
                if !r.contains_key(k) {
                    return format!("field `{path}{k}` was not recorded");
                }
            }
            for (k, rv) in r {
                if let Some(sv) = s.get(k) {
                    if rv != sv {
                        return json_difference(rv, sv, &format!("{path}{k}."));
                    }
                }
            }
            "objects differ".into()
        }
        (Value::Array(r), Value::Array(s)) if r.len() == s.len() => {
            for (i, (rv, sv)) in r.iter().zip(s).enumerate() {
                if rv != sv {
                    return json_difference(rv, sv, &format!("{path}{i}."));
                }
            }
            "arrays differ".into()
        }
        _ => format!(
            "`{}`: recorded `{}`, sent `{}`",
            path.trim_end_matches('.'),
            truncate(&recorded.to_string(), 60),
            truncate(&sent.to_string(), 60)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(method: &str, url: &str, body: Option<&str>, resp: &str) -> Exchange {
        Exchange {
            method: method.into(),
            url: url::Url::parse(url).expect("url"),
            request_headers: vec![],
            request_body: body.map(|b| b.as_bytes().to_vec()),
            request_mime: body.map(|_| "application/json".into()),
            status: 200,
            response_headers: vec![],
            response_body: resp.as_bytes().to_vec(),
        }
    }

    fn req(method: &str, url: &str, body: Option<&str>) -> IncomingRequest {
        IncomingRequest {
            method: method.into(),
            url: url::Url::parse(url).expect("url"),
            content_type: body.map(|_| "application/json".into()),
            body: body.map(|b| b.as_bytes().to_vec()),
        }
    }

    #[test]
    fn query_order_does_not_matter() {
        let idx = ExchangeIndex::new(vec![ex("GET", "https://api.test/p?a=1&b=2", None, "x")]);
        assert_eq!(
            idx.lookup(&req("GET", "https://api.test/p?b=2&a=1", None)),
            Lookup::Matched(0)
        );
        assert!(matches!(
            idx.lookup(&req("GET", "https://api.test/p?a=1&b=3", None)),
            Lookup::Unmatched { .. }
        ));
    }

    #[test]
    fn json_bodies_compare_as_values() {
        let idx = ExchangeIndex::new(vec![ex(
            "POST",
            "https://api.test/o",
            Some(r#"{"a":1,"b":[1,2]}"#),
            "x",
        )]);
        assert_eq!(
            idx.lookup(&req(
                "POST",
                "https://api.test/o",
                Some(r#"{ "b":[1,2], "a":1 }"#)
            )),
            Lookup::Matched(0)
        );
        let Lookup::Unmatched { closest: Some(c) } = idx.lookup(&req(
            "POST",
            "https://api.test/o",
            Some(r#"{"b":[1,2],"c":1}"#),
        )) else {
            panic!("renamed field must not match");
        };
        assert!(
            c.difference.contains("field `a` is missing"),
            "{}",
            c.difference
        );
    }

    #[test]
    fn nth_call_gets_nth_response_then_the_last() {
        let idx = ExchangeIndex::new(vec![
            ex("GET", "https://api.test/poll", None, "1"),
            ex("GET", "https://api.test/other", None, "o"),
            ex("GET", "https://api.test/poll", None, "2"),
        ]);
        let r = req("GET", "https://api.test/poll", None);
        assert_eq!(idx.lookup(&r), Lookup::Matched(0));
        assert_eq!(idx.lookup(&r), Lookup::Matched(2));
        assert_eq!(idx.lookup(&r), Lookup::Matched(2));
    }

    #[test]
    fn form_bodies_compare_as_fields() {
        let mut e = ex("POST", "https://api.test/f", Some("a=1&b=2"), "x");
        e.request_mime = Some("application/x-www-form-urlencoded".into());
        let idx = ExchangeIndex::new(vec![e]);
        let mut r = req("POST", "https://api.test/f", Some("b=2&a=1"));
        r.content_type = Some("application/x-www-form-urlencoded; charset=UTF-8".into());
        assert_eq!(idx.lookup(&r), Lookup::Matched(0));
    }

    #[test]
    fn multipart_bodies_ignore_the_boundary() {
        let body = |b: &str| {
            format!("--{b}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--{b}--\r\n")
        };
        let mut e = ex("POST", "https://api.test/up", Some(&body("AAA")), "x");
        e.request_mime = Some("multipart/form-data; boundary=AAA".into());
        let idx = ExchangeIndex::new(vec![e]);
        let mut r = req(
            "POST",
            "https://api.test/up",
            Some(&body("----WebKitFormBoundaryXYZ")),
        );
        r.content_type = Some("multipart/form-data; boundary=----WebKitFormBoundaryXYZ".into());
        assert_eq!(idx.lookup(&r), Lookup::Matched(0));
        let mut other = req(
            "POST",
            "https://api.test/up",
            Some(&body("B").replace("\r\n1\r\n", "\r\n2\r\n")),
        );
        other.content_type = Some("multipart/form-data; boundary=B".into());
        assert!(matches!(idx.lookup(&other), Lookup::Unmatched { .. }));
    }

    #[test]
    fn closest_prefers_same_path() {
        let idx = ExchangeIndex::new(vec![
            ex("GET", "https://api.test/a", None, "x"),
            ex("GET", "https://api.test/products?page=1", None, "x"),
        ]);
        let Lookup::Unmatched { closest: Some(c) } =
            idx.lookup(&req("GET", "https://api.test/products?page=2", None))
        else {
            panic!("must not match");
        };
        assert_eq!(c.url, "https://api.test/products?page=1");
        assert!(c.difference.starts_with("query differs"));
    }

    #[test]
    fn nothing_close_to_an_unknown_host() {
        let idx = ExchangeIndex::new(vec![ex("GET", "https://api.test/a", None, "x")]);
        assert_eq!(
            idx.lookup(&req("POST", "https://evil.test/zzz", None)),
            Lookup::Unmatched { closest: None }
        );
    }
}
