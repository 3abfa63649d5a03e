//! Walkers: the files of a suite taken apart into strings with their place and context.
//!
//! A HAR is JSON whose strings hold more formats: headers, cookies, URLs with query
//! parameters, and bodies that are JSON, form-encoded or base64 text. A recording is JSON
//! whose `change` steps hold what the user typed. A DOM snapshot is one node per line. Each
//! walker knows its format well enough to give every string its [`Context`] (a header's name,
//! a JSON key, a form field) and a place a person can find (`entry 12, request header
//! `Authorization``, `step 5 (`change`), value`, `line 40`), formatted only when there is a
//! finding so the common case costs nothing.

use base64::Engine as _;
use serde_json::Value;

use super::detect::{Context, Detector, Hit, Kind};

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// HAR, recordings, rrweb streams, any JSON.
    Json,
    /// DOM snapshots and other text, line by line.
    Text,
}

impl Format {
    /// By file name; `None` for files that are not text (screenshots, fonts).
    pub fn of(path: &std::path::Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".new").unwrap_or(&name);
        let ext = name.rsplit('.').next().unwrap_or("");
        match ext {
            "har" | "json" => Some(Self::Json),
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "ico" | "ttf" | "otf" | "woff" | "woff2"
            | "zip" | "gz" | "pdf" | "wasm" | "xsd" => None,
            _ => Some(Self::Text),
        }
    }
}

/// A finding before it is tied to a file.
#[derive(Debug, Clone)]
pub struct RawFinding {
    pub place: String,
    pub kind: Kind,
    pub value: String,
    /// The whole string the value was found in, as it is stored (a JSON string's content,
    /// a form field's decoded value): values that are not distinctive enough to be replaced
    /// wherever they occur are replaced where this whole string occurs.
    pub whole: String,
    /// The form field or query parameter the value was in, when form-encoded.
    pub form_name: Option<String>,
    /// The base64 text of the HAR body the value was decoded from.
    pub base64: Option<String>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
    Entry(usize),
    Step(usize, &'a str),
    Named(&'a str, &'a str),
    Body(&'a str),
    Query(&'a str),
    Form(&'a str),
    Line(usize),
}

#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    fn child(&'a self, seg: Seg<'a>) -> Path<'a> {
        Path {
            parent: Some(self),
            seg,
        }
    }

    fn key_at(&self, up: usize) -> Option<&'a str> {
        let mut p = Some(self);
        for _ in 0..up {
            p = p.and_then(|x| x.parent);
        }
        match p?.seg {
            Seg::Key(k) => Some(k),
            _ => None,
        }
    }

    /// `entry 12, request header `authorization``, `step 5 (`change`), value`,
    /// `response body $.customer.email`.
    fn describe(&self) -> String {
        let mut segs = Vec::new();
        let mut p = Some(self);
        while let Some(x) = p {
            segs.push(x.seg);
            p = x.parent;
        }
        segs.reverse();
        let mut parts: Vec<String> = Vec::new();
        let mut json = String::new();
        let mut in_body = false;
        let flush = |json: &mut String, parts: &mut Vec<String>, in_body: bool| {
            if !json.is_empty() {
                let j = std::mem::take(json);
                parts.push(if in_body {
                    format!("${j}")
                } else {
                    j.trim_start_matches('.').to_string()
                });
            }
        };
        for s in segs {
            match s {
                Seg::Root => {}
                Seg::Key(k) => {
                    if !in_body && parts.is_empty() && json.is_empty() && matches!(k, "log") {
                        continue;
                    }
                    if !in_body && matches!(k, "entries" | "steps") {
                        continue;
                    }
                    json.push('.');
                    json.push_str(k);
                }
                Seg::Index(i) => json.push_str(&format!("[{i}]")),
                Seg::Entry(i) => {
                    json.clear();
                    parts.push(format!("entry {}", i + 1));
                }
                Seg::Step(i, t) => {
                    json.clear();
                    parts.push(format!("step {} (`{t}`)", i + 1));
                }
                Seg::Named(label, name) => {
                    json.clear();
                    parts.push(format!("{label} `{name}`"));
                }
                Seg::Body(label) => {
                    json.clear();
                    parts.push(label.to_string());
                    in_body = true;
                }
                Seg::Query(name) => {
                    flush(&mut json, &mut parts, in_body);
                    parts.push(format!("query parameter `{name}`"));
                }
                Seg::Form(name) => {
                    flush(&mut json, &mut parts, in_body);
                    parts.push(format!("form field `{name}`"));
                }
                Seg::Line(n) => parts.push(format!("line {n}")),
            }
        }
        flush(&mut json, &mut parts, in_body);
        if parts.is_empty() {
            "document".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Finds personal data in one file's text.
pub fn find(det: &Detector, format: Format, text: &str, out: &mut Vec<RawFinding>) {
    let root = Path {
        parent: None,
        seg: Seg::Root,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if format == Format::Json {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            let mut w = Walker {
                det,
                out,
                hits: Vec::new(),
                base64: None,
            };
            w.value(&v, &root);
            return;
        }
    }
    lines(det, text, &root, out);
}

fn lines(det: &Detector, text: &str, root: &Path<'_>, out: &mut Vec<RawFinding>) {
    let mut hits = Vec::new();
    for (n, line) in text.lines().enumerate() {
        hits.clear();
        det.detect(line, Context::Plain, &mut hits);
        if hits.is_empty() {
            continue;
        }
        let p = root.child(Seg::Line(n + 1));
        let place = p.describe();
        // A DOM line holds a JSON-quoted text node or attributes: the unit a value that
        // is not distinctive by shape is replaced in is the quoted text.
        let whole = line
            .trim()
            .strip_prefix('"')
            .and_then(|l| l.strip_suffix('"'))
            .and_then(|l| serde_json::from_str::<String>(&format!("\"{l}\"")).ok())
            .unwrap_or_else(|| line.to_string());
        for h in hits.drain(..) {
            out.push(RawFinding {
                place: place.clone(),
                kind: h.kind,
                value: h.value,
                whole: whole.clone(),
                form_name: None,
                base64: None,
            });
        }
    }
}

struct Walker<'d, 'o> {
    det: &'d Detector,
    out: &'o mut Vec<RawFinding>,
    hits: Vec<Hit>,
    base64: Option<String>,
}

impl Walker<'_, '_> {
    fn emit(&mut self, p: &Path<'_>, whole: &str, form_name: Option<&str>) {
        if self.hits.is_empty() {
            return;
        }
        let place = p.describe();
        for h in std::mem::take(&mut self.hits) {
            self.out.push(RawFinding {
                place: place.clone(),
                kind: h.kind,
                value: h.value,
                whole: whole.to_string(),
                form_name: form_name.map(str::to_string),
                base64: self.base64.clone(),
            });
        }
    }

    fn string(&mut self, s: &str, ctx: Context<'_>, p: &Path<'_>) {
        let before = self.out.len();
        if s.starts_with("http://") || s.starts_with("https://") {
            self.url(s, p);
        }
        self.det.detect(s, ctx, &mut self.hits);
        // A value already reported as its query parameter is not reported again for the URL.
        let seen = &self.out[before..];
        self.hits
            .retain(|h| !seen.iter().any(|f| f.value == h.value));
        self.emit(p, s, None);
    }

    /// Query parameters are examined decoded and by name.
    fn url(&mut self, s: &str, p: &Path<'_>) {
        let Some((_, query)) = s.split_once('?') else {
            return;
        };
        let query = query.split('#').next().unwrap_or("");
        self.form(query, p, Seg::Query);
    }

    fn form<'a>(&mut self, body: &'a str, p: &Path<'_>, seg: fn(&'a str) -> Seg<'a>) {
        for pair in body.split('&') {
            let (name, raw) = pair.split_once('=').unwrap_or((pair, ""));
            if raw.is_empty() {
                continue;
            }
            let value: String = url::form_urlencoded::parse(format!("v={raw}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let decoded_name: String = url::form_urlencoded::parse(format!("{name}=").as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            self.det
                .detect(&value, Context::Key(&decoded_name), &mut self.hits);
            let child = p.child(seg(name));
            self.emit(&child, &value, Some(&decoded_name));
        }
    }

    fn value(&mut self, v: &Value, p: &Path<'_>) {
        match v {
            Value::String(s) => {
                let ctx = p.key_at(0).map_or(Context::Plain, Context::Key);
                self.string(s, ctx, p);
            }
            Value::Array(a) => {
                let parent_key = p.key_at(0);
                for (i, x) in a.iter().enumerate() {
                    let seg = match (parent_key, x) {
                        (Some("entries"), _) => Seg::Entry(i),
                        (Some("steps"), Value::Object(m)) => {
                            Seg::Step(i, m.get("type").and_then(Value::as_str).unwrap_or("?"))
                        }
                        _ => Seg::Index(i),
                    };
                    self.value(x, &p.child(seg));
                }
            }
            Value::Object(m) => self.object(m, p),
            _ => {}
        }
    }

    fn object(&mut self, m: &serde_json::Map<String, Value>, p: &Path<'_>) {
        // HAR `{name, value}` items: headers, cookies, query parameters, form params.
        if let (Some(Value::String(name)), Some(Value::String(value))) =
            (m.get("name"), m.get("value"))
        {
            let list = p.parent.and_then(|x| x.key_at(0));
            let side = p.parent.and_then(|x| x.key_at(1)).unwrap_or("");
            let item = match list {
                Some("headers") => Some((
                    if side == "response" {
                        "response header"
                    } else {
                        "request header"
                    },
                    Context::Header(name),
                )),
                Some("cookies") => Some((
                    if side == "response" {
                        "response cookie"
                    } else {
                        "request cookie"
                    },
                    Context::Cookie(name, side == "response"),
                )),
                Some("queryString") => Some(("query parameter", Context::Key(name))),
                Some("params") => Some(("form field", Context::Key(name))),
                _ => None,
            };
            if let Some((label, ctx)) = item {
                let child = p.child(Seg::Named(label, name));
                if value.starts_with("http://") || value.starts_with("https://") {
                    self.url(value, &child);
                }
                self.det.detect(value, ctx, &mut self.hits);
                let form = (list == Some("params")).then_some(name.as_str());
                self.emit(&child, value, form);
                for (k, x) in m {
                    if k != "name" && k != "value" {
                        self.value(x, &p.child(Seg::Key(k)));
                    }
                }
                return;
            }
        }
        // A recording's `change` step: what the user typed.
        if m.get("type").and_then(Value::as_str) == Some("change") {
            if let Some(Value::String(typed)) = m.get("value") {
                let sel = m
                    .get("selectors")
                    .map(Value::to_string)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let password = sel.contains("password") || sel.contains("passwd");
                let child = p.child(Seg::Key("value"));
                self.det
                    .detect(typed, Context::Typed(password), &mut self.hits);
                self.emit(&child, typed, None);
                for (k, x) in m {
                    if k != "value" {
                        self.value(x, &p.child(Seg::Key(k)));
                    }
                }
                return;
            }
        }
        // HAR bodies: `postData` and `content`.
        let body_side = match p.key_at(0) {
            Some("postData") => Some("request body"),
            Some("content") => Some("response body"),
            _ => None,
        };
        for (k, x) in m {
            match (body_side, k.as_str(), x) {
                (Some(label), "text", Value::String(text)) => {
                    let mime = m.get("mimeType").and_then(Value::as_str).unwrap_or("");
                    let b64 = m.get("encoding").and_then(Value::as_str) == Some("base64");
                    self.body(label, text, mime, b64, p);
                }
                _ => self.value(x, &p.child(Seg::Key(k))),
            }
        }
    }

    fn body(&mut self, label: &'static str, text: &str, mime: &str, b64: bool, p: &Path<'_>) {
        let mime = mime.to_ascii_lowercase();
        let decoded;
        let text = if b64 {
            let textual = mime.starts_with("text/")
                || ["json", "javascript", "xml", "x-www-form-urlencoded", "html"]
                    .iter()
                    .any(|t| mime.contains(t));
            if !textual {
                return;
            }
            let Some(d) = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            else {
                return;
            };
            decoded = d;
            self.base64 = Some(text.to_string());
            decoded.as_str()
        } else {
            text
        };
        let bp = p.child(Seg::Body(label));
        let trimmed = text.trim_start();
        if mime.contains("json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                self.value(&v, &bp);
                self.base64 = None;
                return;
            }
        }
        if mime.contains("x-www-form-urlencoded") {
            self.form(text, &bp, Seg::Form);
        } else {
            self.det.detect(text, Context::Plain, &mut self.hits);
            self.emit(&bp, text, None);
        }
        self.base64 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PrivacyConfig;

    fn places(format: Format, text: &str) -> Vec<(String, String)> {
        let det = Detector::new(&PrivacyConfig::default()).expect("detector");
        let mut out = Vec::new();
        find(&det, format, text, &mut out);
        out.into_iter()
            .map(|f| (f.place, f.kind.as_str()))
            .collect()
    }

    #[test]
    fn har_places_name_entry_header_body_and_field() {
        let har = r#"{"log":{"entries":[{"request":{"method":"POST","url":"https://a.test/x?token=Q8hF2kLm9Zp4Rt7Wx1Yv",
          "headers":[{"name":"Authorization","value":"Bearer abc.def-ghi_123"}],
          "postData":{"mimeType":"application/x-www-form-urlencoded","text":"user=ada%40mailbox.org&password=hunter2"}},
          "response":{"status":200,"headers":[],"content":{"mimeType":"application/json","text":"{\"customer\":{\"email\":\"ada@mailbox.org\"}}"}}}]}}"#;
        assert_eq!(
            places(Format::Json, har),
            [
                (
                    "entry 1, request header `Authorization`".to_string(),
                    "bearer-token".to_string()
                ),
                (
                    "entry 1, request body, form field `user`".into(),
                    "email".into()
                ),
                (
                    "entry 1, request body, form field `password`".into(),
                    "password".into()
                ),
                (
                    "entry 1, request.url, query parameter `token`".into(),
                    "secret".into()
                ),
                (
                    "entry 1, response body, $.customer.email".into(),
                    "email".into()
                ),
            ]
        );
    }

    #[test]
    fn recording_and_dom_places() {
        let rec = r##"{"title":"t","steps":[{"type":"navigate","url":"https://a.test/"},
            {"type":"change","selectors":[["#password"]],"value":"hunter2"},
            {"type":"change","selectors":[["#email"]],"value":"ada@mailbox.org"}]}"##;
        assert_eq!(
            places(Format::Json, rec),
            [
                (
                    "step 2 (`change`), value".to_string(),
                    "password".to_string()
                ),
                ("step 3 (`change`), value".into(), "email".into()),
            ]
        );
        assert_eq!(
            places(Format::Text, "<p>\n  \"Receipt sent to ada@mailbox.org\"\n"),
            [("line 2".to_string(), "email".to_string())]
        );
    }
}
