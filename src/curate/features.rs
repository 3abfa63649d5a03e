//! What a session exercises, read from its recording and HAR alone (no replay): the cheap
//! signal every stored session gets at ingest. Curation weighs these together with the
//! coverage a replay measures (`coverage.rs`).
//!
//! Every feature is a *template*: ids, uuids, numbers and hashes are collapsed, so a thousand
//! sessions that opened a thousand different products share one route feature, and the rare
//! path stands out.
//!
//! Values the backend sent as data are collapsed too (`:slug`): a product's slug in a test id
//! (`[data-testid="add-kenya-nyeri"]`) or a path segment (`/product/kenya-nyeri`) names *which*
//! record the person touched, not *what* they did, exactly like a numeric id. Without this,
//! every product a person happened to open looks like a new path and outweighs the one session
//! that took a rare branch (see [`DataValues`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// The most bytes of an HTML response scanned for framework hints: markers sit near the top.
const HINT_SCAN_BYTES: usize = 256 * 1024;
/// The longest feature string kept (a console error quoting a whole payload is cut).
const MAX_FEATURE_CHARS: usize = 200;
/// The most features of one kind kept per session (a runaway recording stays bounded).
const MAX_PER_KIND: usize = 2_000;
/// The largest JSON response body read for data values (bigger ones are skipped).
const MAX_DATA_BODY_BYTES: usize = 4 << 20;
/// The most distinct data values kept per session.
const MAX_DATA_VALUES: usize = 20_000;
/// Data values shorter or longer than this are not treated as identifiers.
const DATA_VALUE_CHARS: std::ops::RangeInclusive<usize> = 3..=64;

/// A session's features, each list sorted and without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    /// Route templates visited: `/product/:n`, `/#/orders/:uuid`.
    pub routes: Vec<String>,
    /// Front-end frameworks the pages revealed (`react`, `next`, `angular`, `vue`, `nuxt`).
    pub frameworks: Vec<String>,
    /// `(selector, event)` pairs the person performed, as `selector|event`.
    pub interactions: Vec<String>,
    /// Backend endpoint templates: `METHOD host/path?keys STATUSCLASS [op=Name]`.
    pub endpoints: Vec<String>,
    /// Console errors, with numbers collapsed.
    pub errors: Vec<String>,
}

/// The kind of a selection unit; weights differ by kind (see `select.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Route,
    Framework,
    Interaction,
    Endpoint,
    Error,
    /// A block of JavaScript a replay ran (coverage).
    Js,
    /// A CSS rule a replay used (coverage).
    Css,
    /// An element kind visible at a checkpoint of a replay, on a route (coverage).
    View,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Route => "route",
            Kind::Framework => "fw",
            Kind::Interaction => "ui",
            Kind::Endpoint => "api",
            Kind::Error => "err",
            Kind::Js => "js",
            Kind::Css => "css",
            Kind::View => "view",
        }
    }

    /// The kind of a unit key written by [`unit_key`].
    pub fn of_key(key: &str) -> Option<Kind> {
        let prefix = key.split(':').next()?;
        [
            Kind::Route,
            Kind::Framework,
            Kind::Interaction,
            Kind::Endpoint,
            Kind::Error,
            Kind::Js,
            Kind::Css,
            Kind::View,
        ]
        .into_iter()
        .find(|k| k.prefix() == prefix)
    }
}

/// A selection unit's key: its kind's prefix, `:`, the feature.
pub fn unit_key(kind: Kind, feature: &str) -> String {
    format!("{}:{feature}", kind.prefix())
}

impl Features {
    /// Every feature as a selection unit key.
    pub fn units(&self) -> Vec<String> {
        let lists = [
            (Kind::Route, &self.routes),
            (Kind::Framework, &self.frameworks),
            (Kind::Interaction, &self.interactions),
            (Kind::Endpoint, &self.endpoints),
            (Kind::Error, &self.errors),
        ];
        lists
            .into_iter()
            .flat_map(|(k, l)| l.iter().map(move |f| unit_key(k, f)))
            .collect()
    }
}

/// The features of one session: its recording (Chrome DevTools Recorder JSON, with reprise's
/// extensions), its HAR (1.2 log) and the console errors seen while it was captured.
pub fn of_session(recording: &Value, har: &Value, console_errors: &[String]) -> Features {
    let data = DataValues::of_har(har);
    let mut routes = BTreeSet::new();
    let mut frameworks = BTreeSet::new();
    let mut interactions = BTreeSet::new();
    let mut endpoints = BTreeSet::new();
    let mut errors = BTreeSet::new();

    let steps = recording["steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for step in steps {
        let ty = step["type"].as_str().unwrap_or("");
        if ty == "navigate" {
            if let Some(u) = step["url"].as_str() {
                insert(&mut routes, data.collapse_path(&route_template(u)));
            }
        }
        for ev in step["assertedEvents"].as_array().into_iter().flatten() {
            if ev["type"] == "navigation" {
                if let Some(u) = ev["url"].as_str() {
                    insert(&mut routes, data.collapse_path(&route_template(u)));
                }
            }
        }
        if let Some(pair) = interaction(step, ty, &data) {
            insert(&mut interactions, pair);
        }
    }
    // Hints the capture wrote into the recording's extensions.
    let ext = &recording["reprise"];
    for key in ["framework", "frameworks"] {
        match &ext[key] {
            Value::String(s) => insert(&mut frameworks, s.to_ascii_lowercase()),
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .for_each(|s| insert(&mut frameworks, s.to_ascii_lowercase())),
            _ => {}
        }
    }
    for c in ext["console"].as_array().into_iter().flatten() {
        if c["level"] == "error" {
            if let Some(t) = c["text"].as_str().or_else(|| c["message"].as_str()) {
                insert(&mut errors, collapse_numbers(t));
            }
        }
    }

    for entry in har["log"]["entries"].as_array().into_iter().flatten() {
        let req = &entry["request"];
        let res = &entry["response"];
        let url = req["url"].as_str().unwrap_or("");
        let mime = res["content"]["mimeType"].as_str().unwrap_or("");
        if mime.contains("html") {
            if let Some(text) = res["content"]["text"].as_str() {
                for fw in framework_hints(text) {
                    insert(&mut frameworks, fw.to_string());
                }
            }
            if req["method"] == "GET" {
                insert(&mut routes, data.collapse_path(&route_template(url)));
            }
            continue;
        }
        if is_static_asset(url, mime) {
            continue;
        }
        let method = req["method"].as_str().unwrap_or("GET").to_ascii_uppercase();
        let status = res["status"].as_i64().unwrap_or(0);
        let class = if (100..600).contains(&status) {
            format!("{}xx", status / 100)
        } else {
            "failed".into()
        };
        let mut feature = format!(
            "{method} {} {class}",
            data.collapse_path(&endpoint_template(url))
        );
        if let Some(op) = graphql_operation(req) {
            feature.push_str(" op=");
            feature.push_str(&op);
        }
        insert(&mut endpoints, feature);
    }
    for e in console_errors {
        insert(&mut errors, collapse_numbers(e));
    }
    Features {
        routes: routes.into_iter().collect(),
        frameworks: frameworks.into_iter().collect(),
        interactions: interactions.into_iter().collect(),
        endpoints: endpoints.into_iter().collect(),
        errors: errors.into_iter().collect(),
    }
}

fn insert(set: &mut BTreeSet<String>, mut s: String) {
    if s.is_empty() || set.len() >= MAX_PER_KIND {
        return;
    }
    if s.chars().count() > MAX_FEATURE_CHARS {
        s = s.chars().take(MAX_FEATURE_CHARS).collect();
    }
    set.insert(s);
}

/// `selector|event` for a step a person performs; `None` for navigation and waits.
fn interaction(step: &Value, ty: &str, data: &DataValues) -> Option<String> {
    let event = match ty {
        "click" | "doubleClick" | "hover" | "change" | "scroll" => ty.to_string(),
        "keyDown" | "keyUp" => format!("{ty}:{}", step["key"].as_str().unwrap_or("?")),
        _ => return None,
    };
    let selector = best_selector(step).unwrap_or_else(|| "document".into());
    let selector = data.collapse_quoted(&selector);
    Some(format!("{}|{event}", collapse_numbers(&selector)))
}

/// The identifier-like strings of a session's JSON responses (`"id": "kenya-nyeri"`, a
/// category `"beans"`): values that name records of the backend's data. A selector's quoted
/// attribute value or a path segment that is one of them, or ends or starts with one after a
/// `-`/`_`/`:`/`.` separator (`add-kenya-nyeri`), has it replaced by `:slug`.
///
/// Why the session's own data and not a shape rule (e.g. "any hyphenated value"): a test id
/// such as `co-email` or `detail-close` names a control of the page and must stay distinct,
/// while `add-kenya-nyeri` differs from `add-brazil-cerrado` only by a record the backend
/// listed. Only string *values* count (keys are the schema), lowercase slug-shaped ones
/// (`[a-z0-9_-]`, with a letter, 3 to 64 characters), so free text, prices and flags do not.
#[derive(Debug, Default)]
pub struct DataValues(std::collections::HashSet<String>);

impl DataValues {
    /// The data values of every JSON response in a HAR (bodies over 4 MiB skipped; at most
    /// 20,000 values).
    pub fn of_har(har: &Value) -> Self {
        let mut set = std::collections::HashSet::new();
        for entry in har["log"]["entries"].as_array().into_iter().flatten() {
            let content = &entry["response"]["content"];
            let mime = content["mimeType"].as_str().unwrap_or("");
            let Some(text) = content["text"].as_str() else {
                continue;
            };
            if !mime.contains("json") || text.len() > MAX_DATA_BODY_BYTES {
                continue;
            }
            // Base64 bodies are not JSON text; they fail to parse and are skipped.
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                collect_values(&v, &mut set);
            }
        }
        DataValues(set)
    }

    fn is_data(&self, s: &str) -> bool {
        !s.is_empty() && self.0.contains(s)
    }

    /// `s` with its data value part as `:slug`: the whole of it, else the longest suffix or
    /// prefix at a separator; `None` when no part is a data value.
    fn collapse_value(&self, s: &str) -> Option<String> {
        if self.is_data(s) {
            return Some(":slug".into());
        }
        let seps: Vec<usize> = s
            .char_indices()
            .filter(|(_, c)| matches!(c, '-' | '_' | ':' | '.'))
            .map(|(i, _)| i)
            .collect();
        // Earliest separator first: the longest suffix.
        for &i in &seps {
            if self.is_data(&s[i + 1..]) {
                return Some(format!("{}:slug", &s[..=i]));
            }
        }
        for &i in seps.iter().rev() {
            if self.is_data(&s[..i]) {
                return Some(format!(":slug{}", &s[i..]));
            }
        }
        None
    }

    /// A token (a class name, a test id) with its data value part as `:slug`, else as it is.
    pub fn collapse_token(&self, s: &str) -> String {
        self.collapse_value(s).unwrap_or_else(|| s.to_string())
    }

    /// Every `"…"` / `'…'` quoted value in a selector, collapsed where it is data.
    pub fn collapse_quoted(&self, selector: &str) -> String {
        if self.0.is_empty() {
            return selector.to_string();
        }
        let mut out = String::with_capacity(selector.len());
        let mut rest = selector;
        while let Some(open) = rest.find(['"', '\'']) {
            let q = rest.as_bytes()[open] as char;
            out.push_str(&rest[..=open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find(q) else {
                rest = after;
                break;
            };
            let value = &after[..close];
            match self.collapse_value(value) {
                Some(c) => out.push_str(&c),
                None => out.push_str(value),
            }
            out.push(q);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A path template's segments collapsed where they are data (the query part untouched).
    pub fn collapse_path(&self, template: &str) -> String {
        if self.0.is_empty() {
            return template.to_string();
        }
        let (path, query) = match template.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (template, None),
        };
        let mut out: String = path
            .split('/')
            .map(|seg| self.collapse_value(seg).unwrap_or_else(|| seg.to_string()))
            .collect::<Vec<_>>()
            .join("/");
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        out
    }
}

fn collect_values(v: &Value, set: &mut std::collections::HashSet<String>) {
    if set.len() >= MAX_DATA_VALUES {
        return;
    }
    match v {
        Value::String(s) if is_data_value(s) => {
            set.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| collect_values(x, set)),
        Value::Object(o) => o.values().for_each(|x| collect_values(x, set)),
        _ => {}
    }
}

/// Slug-shaped: lowercase letters, digits, `-` and `_`, with a letter, 3 to 64 characters.
fn is_data_value(s: &str) -> bool {
    DATA_VALUE_CHARS.contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && s.chars().any(|c| c.is_ascii_lowercase())
}

/// The selector a person would read: a test id or CSS selector before ARIA, text and XPath.
fn best_selector(step: &Value) -> Option<String> {
    let groups = step["selectors"].as_array()?;
    let first = |g: &Value| -> Option<String> {
        match g {
            Value::Array(parts) => {
                let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                (!parts.is_empty()).then(|| parts.join(" >>> "))
            }
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    };
    let all: Vec<String> = groups.iter().filter_map(first).collect();
    let rank = |s: &String| {
        if s.contains("data-testid") || s.contains("data-test") {
            0
        } else if s.starts_with("aria/") {
            2
        } else if s.starts_with("xpath/") || s.starts_with("text/") || s.starts_with("pierce/") {
            3
        } else {
            1
        }
    };
    all.into_iter().min_by_key(rank)
}

/// Framework markers an HTML page carries in its markup.
pub fn framework_hints(html: &str) -> Vec<&'static str> {
    let mut cut = html.len().min(HINT_SCAN_BYTES);
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &html[..cut];
    let mut found = Vec::new();
    let markers: [(&str, &'static str); 7] = [
        ("__NEXT_DATA__", "next"),
        ("data-reactroot", "react"),
        ("ng-version", "angular"),
        ("__NUXT__", "nuxt"),
        ("data-v-app", "vue"),
        ("data-svelte", "svelte"),
        ("data-turbo", "turbo"),
    ];
    for (marker, name) in markers {
        if head.contains(marker) {
            found.push(name);
        }
    }
    found
}

fn is_static_asset(url: &str, mime: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let ext = path.rsplit('/').next().unwrap_or("").rsplit_once('.');
    let static_ext = matches!(
        ext.map(|(_, e)| e.to_ascii_lowercase()).as_deref(),
        Some(
            "js" | "mjs"
                | "css"
                | "png"
                | "jpg"
                | "jpeg"
                | "gif"
                | "svg"
                | "webp"
                | "ico"
                | "woff"
                | "woff2"
                | "ttf"
                | "map"
        )
    );
    static_ext
        || mime.starts_with("image/")
        || mime.starts_with("font/")
        || mime.contains("javascript")
        || mime == "text/css"
}

/// A route template: the path (and an SPA's `#/` route) with variable segments collapsed;
/// the origin, query and ordinary fragments dropped (the same page either way).
pub fn route_template(url: &str) -> String {
    let Ok(u) = url::Url::parse(url) else {
        return collapse_path(url.split(['?', '#']).next().unwrap_or(url));
    };
    let mut out = collapse_path(u.path());
    if let Some(f) = u.fragment() {
        if let Some(rest) = f.strip_prefix('/').or_else(|| f.strip_prefix("!/")) {
            let route = rest.split('?').next().unwrap_or("");
            out.push_str("#/");
            out.push_str(collapse_path(route).trim_start_matches('/'));
        }
    }
    out
}

/// An endpoint template: host, collapsed path and the sorted query keys (values dropped).
pub fn endpoint_template(url: &str) -> String {
    let Ok(u) = url::Url::parse(url) else {
        return collapse_path(url.split(['?', '#']).next().unwrap_or(url));
    };
    let mut keys: Vec<String> = u.query_pairs().map(|(k, _)| k.into_owned()).collect();
    keys.sort();
    keys.dedup();
    let mut out = format!("{}{}", u.host_str().unwrap_or(""), collapse_path(u.path()));
    if !keys.is_empty() {
        out.push('?');
        out.push_str(&keys.join("&"));
    }
    out
}

fn collapse_path(path: &str) -> String {
    let segs: Vec<String> = path.split('/').map(collapse_segment).collect();
    let joined = segs.join("/");
    if joined.is_empty() {
        "/".into()
    } else {
        joined
    }
}

/// One path segment: `:n` for numbers, `:uuid`, `:hash` for long hex, `:id` for long tokens
/// mixing letters and digits; anything else kept as it is.
fn collapse_segment(seg: &str) -> String {
    if seg.is_empty() {
        return String::new();
    }
    if seg.chars().all(|c| c.is_ascii_digit()) {
        return ":n".into();
    }
    if is_uuid(seg) {
        return ":uuid".into();
    }
    let hex = seg.chars().all(|c| c.is_ascii_hexdigit());
    let digits = seg.chars().filter(char::is_ascii_digit).count();
    if hex && seg.len() >= 8 && digits > 0 {
        return ":hash".into();
    }
    let alnum = seg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if alnum && seg.len() >= 16 && digits >= 2 {
        return ":id".into();
    }
    seg.to_string()
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Every run of digits as `N` (ids, line numbers, counts in a message).
pub fn collapse_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// A GraphQL request's operation: `operationName` in the JSON body or the query string, else
/// the name after `query`/`mutation`/`subscription` in the document.
fn graphql_operation(req: &Value) -> Option<String> {
    let url = req["url"].as_str().unwrap_or("");
    if let Ok(u) = url::Url::parse(url) {
        if let Some((_, v)) = u.query_pairs().find(|(k, _)| k == "operationName") {
            return Some(v.into_owned());
        }
    }
    let text = req["postData"]["text"].as_str()?;
    if !text.trim_start().starts_with('{') && !text.trim_start().starts_with('[') {
        return None;
    }
    let body: Value = serde_json::from_str(text).ok()?;
    let body = match &body {
        Value::Array(a) => a.first()?,
        v => v,
    };
    if let Some(op) = body["operationName"].as_str() {
        return Some(op.to_string());
    }
    let doc = body["query"].as_str()?;
    let mut words = doc.split(|c: char| !(c.is_alphanumeric() || c == '_'));
    while let Some(w) = words.next() {
        if matches!(w, "query" | "mutation" | "subscription") {
            let name = words.find(|w| !w.is_empty())?;
            return Some(format!("{w} {name}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_collapse_ids_uuids_numbers_and_hashes() {
        assert_eq!(
            route_template("https://a.test/product/123?x=1"),
            "/product/:n"
        );
        assert_eq!(
            route_template("https://a.test/o/3f2b8c1e-1a2b-4c3d-9e8f-0123456789ab/edit"),
            "/o/:uuid/edit"
        );
        assert_eq!(
            route_template("https://a.test/build/deadbeef12"),
            "/build/:hash"
        );
        assert_eq!(
            route_template("https://a.test/u/aZ09xY8wVq7r6s5t"),
            "/u/:id"
        );
        assert_eq!(route_template("https://a.test/#menu"), "/");
        assert_eq!(route_template("https://a.test/#/orders/42"), "/#/orders/:n");
        assert_eq!(
            route_template("https://a.test/checkout.html"),
            "/checkout.html"
        );
    }

    #[test]
    fn endpoints_keep_method_status_class_query_keys_and_graphql_operation() {
        let rec = json!({ "steps": [] });
        let har = json!({ "log": { "entries": [
            { "request": { "method": "get", "url": "https://api.test/api/products/17?sort=name&category=all" },
              "response": { "status": 200, "content": { "mimeType": "application/json" } } },
            { "request": { "method": "POST", "url": "https://api.test/graphql",
                           "postData": { "text": "{\"operationName\":\"AddToCart\",\"query\":\"mutation AddToCart {}\"}" } },
              "response": { "status": 500, "content": { "mimeType": "application/json" } } },
            { "request": { "method": "POST", "url": "https://api.test/graphql",
                           "postData": { "text": "{\"query\":\"query Products { all }\"}" } },
              "response": { "status": 200, "content": {} } },
            { "request": { "method": "GET", "url": "https://a.test/app-3f9a8b7c.js" },
              "response": { "status": 200, "content": { "mimeType": "application/javascript" } } }
        ] } });
        let f = of_session(&rec, &har, &[]);
        assert_eq!(
            f.endpoints,
            vec![
                "GET api.test/api/products/:n?category&sort 2xx",
                "POST api.test/graphql 2xx op=query Products",
                "POST api.test/graphql 5xx op=AddToCart",
            ]
        );
    }

    #[test]
    fn interactions_routes_frameworks_and_errors_from_a_session() {
        let rec = json!({
            "reprise": { "framework": "React", "console": [ { "level": "error", "text": "boom at 12:7" } ] },
            "steps": [
                { "type": "navigate", "url": "https://shop.test/item/99",
                  "assertedEvents": [ { "type": "navigation", "url": "https://shop.test/item/99" } ] },
                { "type": "click", "selectors": [ ["aria/Add"], ["[data-testid=\"add-7\"]"], ["xpath///x"] ] },
                { "type": "keyDown", "key": "Tab" },
                { "type": "change", "selectors": [["#email"]], "value": "a@b" },
                { "type": "waitForElement", "selectors": [["#done"]] }
            ] });
        let har = json!({ "log": { "entries": [
            { "request": { "method": "GET", "url": "https://shop.test/" },
              "response": { "status": 200, "content": { "mimeType": "text/html",
                "text": "<div id=__next></div><script id=\"__NEXT_DATA__\">{}</script>" } } }
        ] } });
        let f = of_session(&rec, &har, &["TypeError: x is 3".to_string()]);
        assert_eq!(f.routes, vec!["/", "/item/:n"]);
        assert_eq!(f.frameworks, vec!["next", "react"]);
        assert_eq!(
            f.interactions,
            vec![
                "#email|change",
                "[data-testid=\"add-N\"]|click",
                "document|keyDown:Tab"
            ]
        );
        assert_eq!(f.errors, vec!["TypeError: x is N", "boom at N:N"]);
        let units = f.units();
        assert!(units.contains(&"route:/item/:n".to_string()));
        assert_eq!(Kind::of_key("ui:#email|change"), Some(Kind::Interaction));
    }

    #[test]
    fn values_the_backend_sent_as_data_collapse_to_slug_and_controls_stay_distinct() {
        let har = |products: &[&str]| {
            let list: Vec<Value> = products
                .iter()
                .map(|p| json!({ "id": p, "name": "Some Coffee", "category": "beans" }))
                .collect();
            json!({ "log": { "entries": [
                { "request": { "method": "GET", "url": "https://shop.test/api/products" },
                  "response": { "status": 200, "content": { "mimeType": "application/json",
                    "text": json!({ "products": list }).to_string() } } },
                { "request": { "method": "GET", "url": "https://shop.test/api/products/kenya-nyeri" },
                  "response": { "status": 200, "content": { "mimeType": "application/json", "text": "{}" } } }
            ] } })
        };
        let rec = |slug: &str| {
            json!({ "steps": [
                { "type": "navigate", "url": format!("https://shop.test/product/{slug}") },
                { "type": "hover", "selectors": [[format!("[data-testid=\"roast-{slug}\"]")]] },
                { "type": "click", "selectors": [[format!("[data-testid=\"{slug}\"]")]] },
                { "type": "click", "selectors": [[format!("[data-slug='{slug}'] > .tag-beans")]] },
                { "type": "change", "selectors": [["[data-testid=\"co-email\"]"]] },
                { "type": "click", "selectors": [["[data-testid=\"detail-close\"]"]] }
            ] })
        };
        let a = of_session(
            &rec("kenya-nyeri"),
            &har(&["kenya-nyeri", "brazil-cerrado"]),
            &[],
        );
        let b = of_session(
            &rec("brazil-cerrado"),
            &har(&["kenya-nyeri", "brazil-cerrado"]),
            &[],
        );
        // Two sessions that differ only by the product they opened share every template.
        assert_eq!(a, b);
        assert_eq!(a.routes, vec!["/product/:slug"]);
        assert_eq!(
            a.interactions,
            vec![
                "[data-slug=':slug'] > .tag-beans|click",
                "[data-testid=\":slug\"]|click",
                "[data-testid=\"co-email\"]|change",
                "[data-testid=\"detail-close\"]|click",
                "[data-testid=\"roast-:slug\"]|hover",
            ]
        );
        assert!(a
            .endpoints
            .contains(&"GET shop.test/api/products/:slug 2xx".to_string()));
        // A value the responses do not list stays as it is: it names a control, not a record.
        let c = of_session(&rec("kenya-nyeri"), &json!({}), &[]);
        assert!(c
            .interactions
            .contains(&"[data-testid=\"roast-kenya-nyeri\"]|hover".to_string()));
        assert_eq!(c.routes, vec!["/product/kenya-nyeri"]);
    }

    #[test]
    fn only_slug_shaped_string_values_count_as_data() {
        let body = json!({ "id": "ethiopia-guji", "n": "ab", "t": "Free text, With Caps",
            "price": 1200, "ok": true, "kind": "beans", "key_is_not_a-value": 1 });
        let har = json!({ "log": { "entries": [
            { "response": { "content": { "mimeType": "application/json", "text": body.to_string() } } },
            { "response": { "content": { "mimeType": "text/plain", "text": "{\"id\":\"not-json-mime\"}" } } },
            { "response": { "content": { "mimeType": "application/json", "text": "not json" } } }
        ] } });
        let d = DataValues::of_har(&har);
        let mut got: Vec<&String> = d.0.iter().collect();
        got.sort();
        assert_eq!(got, vec!["beans", "ethiopia-guji"]);
        assert_eq!(
            d.collapse_path("/c/beans/ethiopia-guji.json?x"),
            "/c/:slug/:slug.json?x"
        );
        assert_eq!(d.collapse_quoted("[x=\"unterminated"), "[x=\"unterminated");
        assert_eq!(
            d.collapse_quoted("a[title='beans-x']"),
            "a[title=':slug-x']"
        );
    }

    #[test]
    fn a_huge_feature_is_cut_and_non_ascii_html_is_scanned_safely() {
        let long = "é".repeat(1000);
        let f = of_session(&json!({}), &json!({}), &[long]);
        assert_eq!(f.errors[0].chars().count(), MAX_FEATURE_CHARS);
        let html = "é".repeat(HINT_SCAN_BYTES);
        assert!(framework_hints(&html).is_empty());
    }
}
