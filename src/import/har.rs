//! HAR captures from Chrome, Firefox, Safari, Charles, Insomnia, Playwright and mitmproxy,
//! turned into the self-contained HAR a suite keeps in `mocks/`.
//!
//! The written HAR is the input's entries, mostly verbatim (so nothing an exporter recorded
//! is lost for later tools), with what would make it unusable on its own fixed: the BOM goes,
//! Playwright's `_file` bodies are inlined (base64 when they are not UTF-8), and entries for
//! the app's own assets are left out unless asked, because the build under test serves those
//! and a stale copy in the mocks would hide a regression. Every kept entry is checked with
//! the loader the replay uses (`mock::har`), so an import that succeeds also replays.

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::{json_message, json_place, strip_bom, ImportError};
use crate::mock::har::{parse_har_in, read_sidecar};

/// Resource types the build under test answers (README, "How requests are answered").
const ASSET_TYPES: &[&str] = &["document", "script", "stylesheet", "image", "font", "media"];

/// Choices the CLI passes through.
#[derive(Debug, Clone, Default)]
pub struct HarOptions {
    /// The app's origin (`https://shop.example`); when `None`, the origin of the first
    /// document entry, if any.
    pub app_origin: Option<String>,
    /// Keep entries for the app's own assets too.
    pub keep_assets: bool,
}

/// The result of one HAR import.
#[derive(Debug, Clone)]
pub struct HarImport {
    pub har: Value,
    pub entries: usize,
    pub notes: Vec<String>,
}

/// Reads a HAR file (and its `_file` bodies next to it).
pub fn import_file(path: &Path, opts: &HarOptions) -> Result<HarImport, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ImportError::new(path, None, format!("cannot read the file: {e}"))
            .hint("pass the path of a `.har` file exported from the browser or proxy")
    })?;
    let text = String::from_utf8_lossy(&bytes);
    import_text(path, &text, path.parent(), opts)
}

/// Imports HAR text; `base` is the folder `_file` bodies are read from.
pub fn import_text(
    path: &Path,
    text: &str,
    base: Option<&Path>,
    opts: &HarOptions,
) -> Result<HarImport, ImportError> {
    let doc: Value = serde_json::from_str(strip_bom(text)).map_err(|e| {
        ImportError::new(path, Some(json_place(&e)), json_message(&e)).hint(
            "the file is not valid JSON; export the HAR again (\"Save all as HAR with content\")",
        )
    })?;
    let not_har = || {
        ImportError::new(path, None, "not a HAR file: no `log.entries` array")
            .hint("a HAR file is an object `{\"log\": {\"entries\": [...]}}`; check the file is the network export")
    };
    let log = doc
        .get("log")
        .and_then(Value::as_object)
        .ok_or_else(not_har)?;
    let raw = log
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(not_har)?;
    let mut notes = Vec::new();
    let mut entries = Vec::with_capacity(raw.len());
    for (i, entry) in raw.iter().enumerate() {
        let mut entry = entry.clone();
        inline_sidecar(&mut entry, base).map_err(|m| {
            ImportError::new(path, Some(format!("entry {}", i + 1)), m)
                .hint("keep the body files Playwright wrote next to the HAR, or record with `content: 'embed'`")
        })?;
        entries.push(entry);
    }
    // The loader the replay uses is the judge of what can be served.
    let check = json!({ "log": { "entries": entries } });
    let bytes = serde_json::to_vec(&check).unwrap_or_default();
    parse_har_in(&bytes, base).map_err(|(entry, message)| {
        ImportError::new(path, entry.map(|n| format!("entry {n}")), message).hint(
            "fix or delete that entry; a HAR entry needs `request.method`, `request.url` and `response.status`",
        )
    })?;

    let origin = opts
        .app_origin
        .clone()
        .or_else(|| first_document_origin(&entries));
    let total = entries.len();
    let mut kept = Vec::with_capacity(total);
    let mut assets = 0;
    let mut failed = 0;
    for entry in entries {
        if !opts.keep_assets && origin.as_deref().is_some_and(|o| is_app_asset(&entry, o)) {
            assets += 1;
            continue;
        }
        if entry
            .pointer("/response/status")
            .and_then(Value::as_i64)
            .is_some_and(|s| s <= 0)
        {
            failed += 1;
        }
        kept.push(entry);
    }
    if assets > 0 {
        notes.push(format!(
            "left out {assets} {} for the app's own assets on `{}` (the build under test serves them; pass --keep-assets to keep them)",
            plural(assets, "entry", "entries"),
            origin.as_deref().unwrap_or_default()
        ));
    }
    if failed > 0 {
        notes.push(format!(
            "{failed} {} got no response when recorded (status 0); replay fails them in the page as the network did",
            plural(failed, "request", "requests")
        ));
    }
    let mut out_log = Map::new();
    out_log.insert(
        "version".into(),
        log.get("version").cloned().unwrap_or_else(|| "1.2".into()),
    );
    out_log.insert(
        "creator".into(),
        log.get("creator")
            .cloned()
            .unwrap_or_else(|| json!({ "name": "reprise", "version": env!("CARGO_PKG_VERSION") })),
    );
    if let Some(pages) = log.get("pages") {
        out_log.insert("pages".into(), pages.clone());
    }
    let entries = kept.len();
    out_log.insert("entries".into(), Value::Array(kept));
    Ok(HarImport {
        har: json!({ "log": out_log }),
        entries,
        notes,
    })
}

/// Merges HAR documents (several captures of one session) in order.
pub fn merge(docs: Vec<Value>) -> Value {
    let mut entries = Vec::new();
    let mut first_log: Option<Map<String, Value>> = None;
    for mut doc in docs {
        if let Some(Value::Array(e)) = doc.pointer_mut("/log/entries").map(Value::take) {
            entries.extend(e);
        }
        if first_log.is_none() {
            first_log = doc.get("log").and_then(Value::as_object).cloned();
        }
    }
    let mut log = first_log.unwrap_or_default();
    log.insert("entries".into(), Value::Array(entries));
    json!({ "log": log })
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Replaces `response.content._file` with the file's content.
fn inline_sidecar(entry: &mut Value, base: Option<&Path>) -> Result<(), String> {
    let Some(content) = entry
        .pointer_mut("/response/content")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    let Some(name) = content
        .get("_file")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(());
    };
    let Some(dir) = base else {
        return Err(format!(
            "the body is in a separate file `{name}` (`response.content._file`) and the HAR's folder is unknown"
        ));
    };
    let bytes = read_sidecar(dir, &name)?;
    content.remove("_file");
    match String::from_utf8(bytes) {
        Ok(text) => {
            content.remove("encoding");
            content.insert("size".into(), text.len().into());
            content.insert("text".into(), text.into());
        }
        Err(e) => {
            let bytes = e.into_bytes();
            content.insert("size".into(), bytes.len().into());
            content.insert(
                "text".into(),
                base64::engine::general_purpose::STANDARD
                    .encode(&bytes)
                    .into(),
            );
            content.insert("encoding".into(), "base64".into());
        }
    }
    Ok(())
}

fn url_origin(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}

/// The origin of the first top-level document the capture loaded: the app's, when the
/// user did not say.
fn first_document_origin(entries: &[Value]) -> Option<String> {
    entries
        .iter()
        .find(|e| resource_type(e) == Some("document"))
        .and_then(|e| e.pointer("/request/url").and_then(Value::as_str))
        .and_then(url_origin)
}

/// Chrome records `_resourceType`; other exporters only let us infer it from the response's
/// type, as the browser would have requested it.
fn resource_type(entry: &Value) -> Option<&'static str> {
    if let Some(t) = entry.get("_resourceType").and_then(Value::as_str) {
        return ASSET_TYPES
            .iter()
            .copied()
            .find(|a| *a == t)
            .or(Some("other"));
    }
    let mime = entry
        .pointer("/response/content/mimeType")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let method = entry
        .pointer("/request/method")
        .and_then(Value::as_str)
        .unwrap_or("GET");
    if !method.eq_ignore_ascii_case("GET") {
        return Some("other");
    }
    let mime = mime.split(';').next().unwrap_or("").trim();
    Some(match mime {
        "text/html" | "application/xhtml+xml" => "document",
        m if m.contains("javascript") || m == "text/ecmascript" => "script",
        "text/css" => "stylesheet",
        m if m.starts_with("image/") => "image",
        m if m.starts_with("font/") || m.contains("font-woff") || m.contains("opentype") => "font",
        m if m.starts_with("audio/") || m.starts_with("video/") => "media",
        _ => "other",
    })
}

fn is_app_asset(entry: &Value, origin: &str) -> bool {
    let same_origin = entry
        .pointer("/request/url")
        .and_then(Value::as_str)
        .and_then(url_origin)
        .is_some_and(|o| o == origin);
    same_origin && resource_type(entry).is_some_and(|t| ASSET_TYPES.contains(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, rtype: Option<&str>, mime: &str) -> Value {
        let mut e = json!({
            "request": {"method": "GET", "url": url, "headers": []},
            "response": {"status": 200, "headers": [], "content": {"mimeType": mime, "text": "x"}}
        });
        if let Some(t) = rtype {
            e["_resourceType"] = t.into();
        }
        e
    }

    #[test]
    fn app_assets_are_left_out_unless_asked() {
        let har = json!({"log": {"entries": [
            entry("https://app.test/", Some("document"), "text/html"),
            entry("https://app.test/app.js", None, "application/javascript"),
            entry("https://app.test/api/items", Some("fetch"), "application/json"),
            entry("https://cdn.test/lib.js", Some("script"), "text/javascript"),
        ]}})
        .to_string();
        let p = Path::new("x.har");
        let out = import_text(p, &har, None, &HarOptions::default()).expect("imports");
        let urls: Vec<&str> = out.har["log"]["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(|e| e["request"]["url"].as_str())
            .collect();
        assert_eq!(
            urls,
            ["https://app.test/api/items", "https://cdn.test/lib.js"]
        );
        assert!(
            out.notes[0].contains("left out 2 entries"),
            "{:?}",
            out.notes
        );
        let all = import_text(
            p,
            &har,
            None,
            &HarOptions {
                keep_assets: true,
                ..HarOptions::default()
            },
        )
        .expect("imports");
        assert_eq!(all.entries, 4);
    }

    #[test]
    fn not_a_har_is_refused() {
        let e = import_text(
            Path::new("x.har"),
            "{\"title\":1}",
            None,
            &HarOptions::default(),
        )
        .expect_err("refused");
        assert!(e.message.contains("log.entries"), "{e}");
        assert!(e.hint.is_some());
    }

    #[test]
    fn a_broken_entry_is_named() {
        let har = r#"{"log":{"entries":[{"request":{"method":"GET","url":"https://a.test/"},"response":{"status":200}},{"request":{"method":"GET","url":"not a url"},"response":{"status":200}}]}}"#;
        let e = import_text(Path::new("x.har"), har, None, &HarOptions::default())
            .expect_err("refused");
        assert_eq!(e.place.as_deref(), Some("entry 2"));
    }
}
