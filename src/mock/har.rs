//! The HAR 1.2 model reprise reads from `mocks/`, reduced to what answering a request needs.
//!
//! Exporters disagree on optional fields (Charles omits `redirectURL`, Firefox omits `text` for
//! empty bodies, Chrome base64-encodes binary bodies, Playwright may store bodies in `_file`
//! sidecars next to the HAR), so everything that is not needed to answer a request is
//! optional here and unknown fields are ignored. What the replay browser must see differently
//! from the recording is fixed here, once: a `304` that carries its body becomes a `200` (the
//! replay starts with an empty cache, so the page can only have used that body), and a
//! redirect whose `Location` header was dropped gets it back from `redirectURL`.

use base64::Engine as _;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One recorded request/response pair, flattened from a HAR entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub method: String,
    pub url: url::Url,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Vec<u8>>,
    pub request_mime: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Vec<u8>,
}

/// Why a HAR file could not be used; names the file and the entry.
#[derive(Debug, thiserror::Error)]
#[error("cannot read HAR file `{}`{}: {message}", path.display(), entry.map(|e| format!(", entry {e}")).unwrap_or_default())]
pub struct HarError {
    pub path: PathBuf,
    pub entry: Option<usize>,
    pub message: String,
}

#[derive(Deserialize)]
struct HarFile {
    log: HarLog,
}

#[derive(Deserialize)]
struct HarLog {
    #[serde(default)]
    entries: Entries,
}

/// The entries, read straight into [`HarEntry`]s: no `serde_json::Value` tree of the file,
/// which took many times the file's size (a 112 MB HAR took 10 GB). An entry that does not
/// fit says its number, through the error's message (see [`ENTRY_ERROR`]).
#[derive(Default)]
struct Entries(Vec<HarEntry>);

/// How an entry's error starts, so that [`parse_har_in`] can take the number back out.
const ENTRY_ERROR: &str = "\u{1}entry ";

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of HAR entries")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Entries, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                loop {
                    match seq.next_element::<HarEntry>() {
                        Ok(Some(e)) => out.push(e),
                        Ok(None) => return Ok(Entries(out)),
                        Err(e) => {
                            let n = out.len() + 1;
                            return Err(serde::de::Error::custom(format!(
                                "{ENTRY_ERROR}{n}\u{1}{e}"
                            )));
                        }
                    }
                }
            }
        }
        d.deserialize_seq(Visit)
    }
}

/// Splits an error that [`Entries`] marked into the entry number and the message.
fn entry_error(e: serde_json::Error) -> (Option<usize>, String) {
    let full = e.to_string();
    if let Some(rest) = full.strip_prefix(ENTRY_ERROR) {
        if let Some((n, msg)) = rest.split_once('\u{1}') {
            if let Ok(n) = n.parse() {
                return (Some(n), msg.to_string());
            }
        }
    }
    (None, full)
}

#[derive(Deserialize)]
struct HarEntry {
    request: HarRequest,
    response: HarResponse,
}

#[derive(Deserialize)]
struct HarRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<HarHeader>,
    #[serde(default, rename = "postData")]
    post_data: Option<HarPostData>,
}

#[derive(Deserialize)]
struct HarPostData {
    #[serde(default, rename = "mimeType")]
    mime_type: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct HarResponse {
    status: i64,
    #[serde(default, rename = "redirectURL")]
    redirect_url: Option<String>,
    #[serde(default)]
    headers: Vec<HarHeader>,
    #[serde(default)]
    content: Option<HarContent>,
}

#[derive(Deserialize)]
struct HarContent {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
    /// Playwright's out-of-line body: a file name relative to the HAR's folder.
    #[serde(default, rename = "_file")]
    file: Option<String>,
}

#[derive(Deserialize)]
struct HarHeader {
    name: String,
    value: String,
}

/// Reads a HAR file into exchanges, in recorded order.
pub fn load_har(path: &Path) -> Result<Vec<Exchange>, HarError> {
    let err = |entry: Option<usize>, message: String| HarError {
        path: path.to_path_buf(),
        entry,
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(None, e.to_string()))?;
    parse_har_in(&bytes, path.parent()).map_err(|(entry, message)| err(entry, message))
}

/// Parses HAR bytes; errors carry the 1-based entry number where one applies. `_file` bodies
/// cannot be resolved without a folder and are read as empty: use [`parse_har_in`].
pub fn parse_har(bytes: &[u8]) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    parse_har_in(bytes, None)
}

/// Parses HAR bytes, reading Playwright's `_file` bodies from `base` (the HAR's folder).
pub fn parse_har_in(
    bytes: &[u8],
    base: Option<&Path>,
) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let file: HarFile = serde_json::from_slice(bytes).map_err(entry_error)?;
    let entries = file.log.entries.0;
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let n = i + 1;
        if let Some(x) = exchange(entry, base).map_err(|m| (Some(n), m))? {
            out.push(x);
        }
    }
    Ok(out)
}

/// Checks one entry's JSON as [`parse_har_in`] would read it (an importer's check that
/// what it writes will load), without keeping the exchange.
pub fn check_entry(json: &str, base: Option<&Path>) -> Result<(), String> {
    let entry: HarEntry = serde_json::from_str(json).map_err(|e| e.to_string())?;
    exchange(entry, base).map(drop)
}

/// One entry as an exchange; `None` for a request that never got an answer.
fn exchange(entry: HarEntry, base: Option<&Path>) -> Result<Option<Exchange>, String> {
    {
        let url = url::Url::parse(&entry.request.url).map_err(|e| {
            format!(
                "invalid request url `{}`: {e}",
                crate::excerpt::excerpt(&entry.request.url)
            )
        })?;
        // Status 0 marks a request that never got an answer (Chrome's `_error` entries); the
        // browser saw a network failure, so replay cannot answer it either.
        if entry.response.status <= 0 {
            return Ok(None);
        }
        let status = u16::try_from(entry.response.status)
            .ok()
            .filter(|s| (100..=999).contains(s))
            .ok_or_else(|| format!("invalid `response.status` `{}`", entry.response.status))?;
        let content = entry.response.content.unwrap_or(HarContent {
            text: None,
            encoding: None,
            file: None,
        });
        let sidecar = match (&content.file, base) {
            (Some(name), Some(dir)) => Some(read_sidecar(dir, name)?),
            _ => None,
        };
        let response_body = match (content.text, content.encoding.as_deref()) {
            _ if sidecar.is_some() => sidecar.unwrap_or_default(),
            (Some(text), Some("base64")) => base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|e| format!("`response.content.text` is not valid base64: {e}"))?,
            (Some(text), _) => text.into_bytes(),
            (None, _) => Vec::new(),
        };
        let (request_body, request_mime) = match entry.request.post_data {
            Some(pd) => (pd.text.map(String::into_bytes), pd.mime_type),
            None => (None, None),
        };
        let mut response_headers = headers(entry.response.headers);
        let redirect_to = entry.response.redirect_url.filter(|u| !u.is_empty());
        if let (300..=399, Some(to)) = (status, redirect_to) {
            if !response_headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("location"))
                && wiremock::http::HeaderValue::from_str(&to).is_ok()
            {
                response_headers.push(("location".into(), to));
            }
        }
        // The replay browser's cache is empty: a revalidation answer that kept its body
        // (Chrome exports do) must be served as the full answer it stood for.
        let status = if status == 304 && !response_body.is_empty() {
            200
        } else {
            status
        };
        Ok(Some(Exchange {
            method: entry.request.method.to_ascii_uppercase(),
            url,
            request_headers: headers(entry.request.headers),
            request_body,
            request_mime,
            status,
            response_headers,
            response_body,
        }))
    }
}

/// Reads a `_file` body; only plain names inside the HAR's folder, so a HAR cannot make
/// reprise read arbitrary files.
pub fn read_sidecar(dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    let rel = Path::new(name);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!(
            "`response.content._file` `{name}` must be a file name next to the HAR"
        ));
    }
    std::fs::read(dir.join(rel)).map_err(|e| {
        format!(
            "cannot read the body file `{name}` (`response.content._file`) next to the HAR: {e}"
        )
    })
}

/// Headers as they can be sent again: HTTP/2 pseudo-headers (`:authority`) are transport
/// details; Firefox joins repeated headers (`set-cookie`) with newlines, which become
/// separate headers; names and values HTTP cannot carry are dropped.
fn headers(list: Vec<HarHeader>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for h in list {
        if h.name.starts_with(':')
            || wiremock::http::HeaderName::from_bytes(h.name.as_bytes()).is_err()
        {
            continue;
        }
        for value in h.value.split('\n') {
            let value = value.trim_end_matches('\r');
            if wiremock::http::HeaderValue::from_str(value).is_ok() {
                out.push((h.name.clone(), value.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/har")
            .join(name)
    }

    #[test]
    fn reads_every_fixture() {
        for name in [
            "mitmproxy-chrome.har",
            "mitmproxy-charles.har",
            "mitmproxy-postdata.har",
            "mitmproxy-with-bom.har",
            "mitmproxy-insomnia.har",
            "mitmproxy-head-content-length.har",
            "mitmproxy-event_stream.har",
            "playwright-har-fulfill.har",
        ] {
            let ex = load_har(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!ex.is_empty(), "{name} has exchanges");
        }
    }

    #[test]
    fn bom_and_post_data() {
        let ex = load_har(&fixture("mitmproxy-with-bom.har")).expect("loads");
        let post = ex.iter().find(|e| e.method == "POST").expect("a POST");
        assert!(post.request_body.as_ref().is_some_and(|b| !b.is_empty()));
    }

    #[test]
    fn chrome_export_skips_status_zero_and_decodes_base64() {
        let text = std::fs::read_to_string(fixture("mitmproxy-chrome.har")).expect("read");
        let raw: serde_json::Value = serde_json::from_str(&text).expect("json");
        let total = raw["log"]["entries"].as_array().map_or(0, Vec::len);
        let ex = load_har(&fixture("mitmproxy-chrome.har")).expect("loads");
        assert!(ex.len() < total, "status-0 entries are skipped");
        // Its 304 kept the body: the replay's empty cache needs it as a full answer.
        assert!(raw["log"]["entries"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["response"]["status"] == 304)));
        assert!(ex
            .iter()
            .all(|e| e.status != 304 || e.response_body.is_empty()));
    }

    #[test]
    fn unsendable_headers_and_statuses_are_handled() {
        let har = br#"{"log":{"entries":[{"request":{"method":"GET","url":"https://a.test/"},"response":{"status":200,"headers":[{"name":"set-cookie","value":"a=1\nb=2"},{"name":"bad name","value":"x"},{"name":"x","value":"\u0001"}]}}]}}"#;
        let ex = parse_har(har).expect("parses");
        assert_eq!(
            ex[0].response_headers,
            vec![
                ("set-cookie".to_string(), "a=1".to_string()),
                ("set-cookie".to_string(), "b=2".to_string())
            ]
        );
        let bad = br#"{"log":{"entries":[{"request":{"method":"GET","url":"https://a.test/"},"response":{"status":70000}}]}}"#;
        assert!(parse_har(bad).is_err());
    }

    #[test]
    fn names_the_broken_entry() {
        let bad = br#"{"log":{"entries":[{"request":{"method":"GET","url":"https://a.test/"},"response":{"status":200}},{"request":{"url":"x"},"response":{"status":200}}]}}"#;
        let (entry, msg) = parse_har(bad).expect_err("entry 2 lacks a method");
        assert_eq!(entry, Some(2));
        assert!(msg.contains("method"), "{msg}");
    }
}
