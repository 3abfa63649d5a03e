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
use serde_json::{json, Value};

use super::{json_message, json_place, strip_bom, ImportError};
use crate::mock::har::{check_entry, read_sidecar};
use serde::Deserialize;
use serde_json::value::RawValue;

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
    pub har: Box<RawValue>,
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

/// The top of a HAR, entries kept as slices of the source text.
#[derive(Deserialize)]
struct DocIn<'a> {
    #[serde(borrow, default)]
    log: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct LogIn<'a> {
    #[serde(borrow, default)]
    version: Option<&'a RawValue>,
    #[serde(borrow, default)]
    creator: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pages: Option<&'a RawValue>,
    #[serde(borrow, default)]
    entries: Option<Vec<&'a RawValue>>,
}

/// What the importer needs to know of an entry, read without copying its bodies.
#[derive(Default)]
struct Facts {
    resource_type: Option<String>,
    method: Option<String>,
    url: Option<String>,
    status: Option<i64>,
    mime: Option<String>,
    sidecar: bool,
}

impl Facts {
    fn of(entry: &str) -> Self {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct E<'a> {
            #[serde(rename = "_resourceType", borrow)]
            resource_type: Option<&'a RawValue>,
            #[serde(borrow)]
            request: Option<&'a RawValue>,
            #[serde(borrow)]
            response: Option<&'a RawValue>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Req<'a> {
            #[serde(borrow)]
            method: Option<&'a RawValue>,
            #[serde(borrow)]
            url: Option<&'a RawValue>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Resp<'a> {
            #[serde(borrow)]
            status: Option<&'a RawValue>,
            #[serde(borrow)]
            content: Option<&'a RawValue>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Content<'a> {
            #[serde(rename = "mimeType", borrow)]
            mime: Option<&'a RawValue>,
            #[serde(rename = "_file", borrow)]
            file: Option<&'a RawValue>,
        }
        fn parse<'a, T: Deserialize<'a> + Default>(r: Option<&'a RawValue>) -> T {
            r.and_then(|r| serde_json::from_str(r.get()).ok())
                .unwrap_or_default()
        }
        fn string(r: Option<&RawValue>) -> Option<String> {
            r.and_then(|r| serde_json::from_str::<String>(r.get()).ok())
        }
        let e: E<'_> = serde_json::from_str(entry).unwrap_or_default();
        let req: Req<'_> = parse(e.request);
        let resp: Resp<'_> = parse(e.response);
        let content: Content<'_> = parse(resp.content);
        Self {
            resource_type: string(e.resource_type),
            method: string(req.method),
            url: string(req.url),
            status: resp.status.and_then(|r| r.get().parse().ok()),
            mime: string(content.mime),
            sidecar: content.file.is_some_and(|f| f.get() != "null"),
        }
    }
}

/// Imports HAR text; `base` is the folder `_file` bodies are read from.
///
/// Memory: the entries are never built into a `serde_json::Value` tree (which took 20 to 90
/// times the file's size). Each entry is a slice of `text`, checked on its own by the
/// replay's loader and copied once into the output; only an entry with a `_file` body is
/// rewritten. Peak use is about twice the file (`scripts/har-memory.sh` measures it).
pub fn import_text(
    path: &Path,
    text: &str,
    base: Option<&Path>,
    opts: &HarOptions,
) -> Result<HarImport, ImportError> {
    let doc: DocIn<'_> = serde_json::from_str(strip_bom(text)).map_err(|e| {
        ImportError::new(path, Some(json_place(&e)), json_message(&e)).hint(
            "the file is not valid JSON; export the HAR again (\"Save all as HAR with content\")",
        )
    })?;
    let not_har = || {
        ImportError::new(path, None, "not a HAR file: no `log.entries` array")
            .hint("a HAR file is an object `{\"log\": {\"entries\": [...]}}`; check the file is the network export")
    };
    let log: LogIn<'_> = doc
        .log
        .and_then(|l| serde_json::from_str(l.get()).ok())
        .ok_or_else(not_har)?;
    let raw = log.entries.as_ref().ok_or_else(not_har)?;
    let mut notes = Vec::new();
    let mut entries: Vec<(std::borrow::Cow<'_, str>, Facts)> = Vec::with_capacity(raw.len());
    for (i, entry) in raw.iter().enumerate() {
        let place = || Some(format!("entry {}", i + 1));
        let facts = Facts::of(entry.get());
        let json = if facts.sidecar {
            let mut v: Value = serde_json::from_str(entry.get()).unwrap_or_default();
            inline_sidecar(&mut v, base).map_err(|m| {
                ImportError::new(path, place(), m)
                    .hint("keep the body files Playwright wrote next to the HAR, or record with `content: 'embed'`")
            })?;
            std::borrow::Cow::Owned(v.to_string())
        } else {
            std::borrow::Cow::Borrowed(entry.get())
        };
        // The loader the replay uses is the judge of what can be served.
        check_entry(&json, base).map_err(|message| {
            ImportError::new(path, place(), message).hint(
                "fix or delete that entry; a HAR entry needs `request.method`, `request.url` and `response.status`",
            )
        })?;
        entries.push((json, facts));
    }

    let origin = opts.app_origin.clone().or_else(|| {
        entries
            .iter()
            .map(|(_, f)| f)
            .find(|f| resource_type(f) == Some("document"))
            .and_then(|f| f.url.as_deref())
            .and_then(url_origin)
    });
    let total = entries.len();
    let mut kept = Vec::with_capacity(total);
    let mut assets = 0;
    let mut failed = 0;
    for (json, facts) in &entries {
        if !opts.keep_assets && origin.as_deref().is_some_and(|o| is_app_asset(facts, o)) {
            assets += 1;
            continue;
        }
        if facts.status.is_some_and(|s| s <= 0) {
            failed += 1;
        }
        kept.push(json.as_ref());
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
    let creator = json!({ "name": "reprise", "version": env!("CARGO_PKG_VERSION") }).to_string();
    let har = write_har(
        log.version.map_or("\"1.2\"", RawValue::get),
        log.creator.map_or(creator.as_str(), RawValue::get),
        log.pages.map(RawValue::get),
        &kept,
    )
    .map_err(|e| ImportError::new(path, None, format!("cannot write the HAR: {e}")))?;
    Ok(HarImport {
        har,
        entries: kept.len(),
        notes,
    })
}

/// A HAR document from its parts, each already JSON text.
fn write_har(
    version: &str,
    creator: &str,
    pages: Option<&str>,
    entries: &[&str],
) -> Result<Box<RawValue>, serde_json::Error> {
    let len = entries.iter().map(|e| e.len() + 2).sum::<usize>() + creator.len() + 128;
    let mut out = String::with_capacity(len);
    out.push_str("{\n  \"log\": {\n    \"version\": ");
    out.push_str(version);
    out.push_str(",\n    \"creator\": ");
    out.push_str(creator);
    if let Some(p) = pages {
        out.push_str(",\n    \"pages\": ");
        out.push_str(p);
    }
    out.push_str(",\n    \"entries\": [");
    for (i, e) in entries.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(e);
    }
    out.push_str("\n    ]\n  }\n}");
    RawValue::from_string(out)
}

/// Entries of a HAR document (0 when it has none).
pub fn entry_count(har: &RawValue) -> usize {
    serde_json::from_str::<DocIn<'_>>(har.get())
        .ok()
        .and_then(|d| d.log)
        .and_then(|l| serde_json::from_str::<LogIn<'_>>(l.get()).ok())
        .and_then(|l| l.entries)
        .map_or(0, |e| e.len())
}

/// Merges HAR documents (several captures of one session) in order; the first one's
/// version, creator and pages are kept.
pub fn merge(docs: Vec<Box<RawValue>>) -> Box<RawValue> {
    let logs: Vec<LogIn<'_>> = docs
        .iter()
        .filter_map(|d| serde_json::from_str::<DocIn<'_>>(d.get()).ok())
        .filter_map(|d| d.log)
        .filter_map(|l| serde_json::from_str::<LogIn<'_>>(l.get()).ok())
        .collect();
    let entries: Vec<&str> = logs
        .iter()
        .flat_map(|l| l.entries.iter().flatten().map(|e| e.get()))
        .collect();
    let first = logs.first();
    let merged = write_har(
        first
            .and_then(|l| l.version)
            .map_or("\"1.2\"", RawValue::get),
        first
            .and_then(|l| l.creator)
            .map_or("{\"name\": \"reprise\"}", RawValue::get),
        first.and_then(|l| l.pages).map(RawValue::get),
        &entries,
    );
    match merged {
        Ok(m) => m,
        // every part was parsed from JSON above, so the whole is JSON
        Err(_) => docs.into_iter().next().unwrap_or_else(|| {
            RawValue::from_string("{\"log\":{\"entries\":[]}}".into())
                .unwrap_or_else(|_| unreachable!("a literal HAR"))
        }),
    }
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

/// Chrome records `_resourceType`; other exporters only let us infer it from the response's
/// type, as the browser would have requested it.
fn resource_type(entry: &Facts) -> Option<&'static str> {
    if let Some(t) = entry.resource_type.as_deref() {
        return ASSET_TYPES
            .iter()
            .copied()
            .find(|a| *a == t)
            .or(Some("other"));
    }
    let mime = entry.mime.as_deref().unwrap_or("").to_ascii_lowercase();
    let method = entry.method.as_deref().unwrap_or("GET");
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

fn is_app_asset(entry: &Facts, origin: &str) -> bool {
    let same_origin = entry
        .url
        .as_deref()
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
        let written: Value = serde_json::from_str(out.har.get()).expect("json");
        let urls: Vec<&str> = written["log"]["entries"]
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
