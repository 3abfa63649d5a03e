//! What a batch adds to its session's searchable summary: the routes visited, endpoints
//! called, selectors used, texts named and errors seen. Kept bounded: a session with a
//! thousand routes keeps the first [`MAX_ITEMS`] of each list, each cut to [`MAX_LEN`] bytes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const MAX_ITEMS: usize = 200;
pub const MAX_LEN: usize = 200;

/// The list fields of a [`super::SessionSummary`], stored as one JSON column.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Lists {
    pub routes: Vec<String>,
    pub endpoints: Vec<String>,
    pub errors: Vec<String>,
    pub selectors: Vec<String>,
    pub texts: Vec<String>,
    pub windows: Vec<String>,
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_LEN {
        return s.to_string();
    }
    let mut end = MAX_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn push(list: &mut Vec<String>, s: &str) {
    let s = cut(s.trim());
    if !s.is_empty() && list.len() < MAX_ITEMS && !list.contains(&s) {
        list.push(s);
    }
}

/// The path of a URL (`/cart`), or the fragment route (`/#/cart`) for hash routers.
pub fn route_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let mut r = u.path().to_string();
    if let Some(f) = u.fragment().filter(|f| f.starts_with('/')) {
        r.push('#');
        r.push_str(f);
    }
    Some(r)
}

impl Lists {
    /// Adds what one batch shows; returns the start URL when the batch has a `start`.
    pub fn add(&mut self, batch: &Value) -> Option<String> {
        if let Some(w) = batch.get("window").and_then(Value::as_str) {
            push(&mut self.windows, w);
        }
        let start = batch
            .get("start")
            .and_then(|s| s.get("url"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(u) = &start {
            if let Some(r) = route_of(u) {
                push(&mut self.routes, &r);
            }
        }
        if let Some(t) = batch
            .get("start")
            .and_then(|s| s.get("title"))
            .and_then(Value::as_str)
        {
            push(&mut self.texts, t);
        }
        let events = batch.get("events").and_then(Value::as_array);
        for ev in events.into_iter().flatten() {
            match ev.get("type").and_then(Value::as_str) {
                Some("step") => self.step(ev.get("step").unwrap_or(&Value::Null)),
                Some("exchange") => self.exchange(ev.get("entry").unwrap_or(&Value::Null)),
                Some("error") => {
                    let src = ev.get("source").and_then(Value::as_str).unwrap_or("error");
                    let msg = ev.get("message").and_then(Value::as_str).unwrap_or("");
                    push(&mut self.errors, &format!("{src}: {msg}"));
                }
                _ => {}
            }
        }
        start
    }

    fn step(&mut self, step: &Value) {
        if let Some(u) = step.get("url").and_then(Value::as_str) {
            if let Some(r) = route_of(u) {
                push(&mut self.routes, &r);
            }
        }
        if let Some(first) = step
            .get("selectors")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            // A selector is a string or, for shadow DOM, a list of strings.
            let sel = match first {
                Value::String(s) => s.clone(),
                Value::Array(parts) => parts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" >>> "),
                _ => String::new(),
            };
            push(&mut self.selectors, &sel);
        }
        for sel in step
            .get("selectors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if let Some(t) = sel
                .strip_prefix("aria/")
                .or_else(|| sel.strip_prefix("text/"))
            {
                push(&mut self.texts, t);
            }
        }
        if let Some(v) = step.get("value").and_then(Value::as_str) {
            push(&mut self.texts, v);
        }
    }

    fn exchange(&mut self, entry: &Value) {
        let req = entry.get("request");
        let method = req
            .and_then(|r| r.get("method"))
            .and_then(Value::as_str)
            .unwrap_or("GET");
        let Some(url) = req.and_then(|r| r.get("url")).and_then(Value::as_str) else {
            return;
        };
        let path = url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.path().to_string());
        let ep = format!("{method} {path}");
        push(&mut self.endpoints, &ep);
        let status = entry
            .get("response")
            .and_then(|r| r.get("status"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if status >= 500 {
            push(&mut self.errors, &format!("HTTP {status} {ep}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_adds_routes_endpoints_selectors_texts_errors() {
        let b = serde_json::json!({"window":"w1","start":{"url":"http://h/app?x=1","title":"Shop"},
          "events":[
            {"type":"step","step":{"type":"click","selectors":[["#buy"],"aria/Buy now"]}},
            {"type":"step","step":{"type":"navigate","url":"http://h/#/cart"}},
            {"type":"exchange","entry":{"request":{"method":"POST","url":"http://h/api/cart?id=2"},
              "response":{"status":502}}},
            {"type":"error","source":"console","message":"boom"}]});
        let mut l = Lists::default();
        assert_eq!(l.add(&b).as_deref(), Some("http://h/app?x=1"));
        assert_eq!(l.routes, ["/app", "/#/cart"]);
        assert_eq!(l.endpoints, ["POST /api/cart"]);
        assert_eq!(l.selectors, ["#buy"]);
        assert!(l.texts.contains(&"Buy now".to_string()));
        assert_eq!(l.errors, ["HTTP 502 POST /api/cart", "console: boom"]);
        assert_eq!(l.windows, ["w1"]);
    }
}
