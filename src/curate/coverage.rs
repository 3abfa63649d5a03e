//! From what a replay ran (`browser::coverage::Blocks`) to curation units and to the source
//! files a session touches.
//!
//! Units must survive a rebuild that changes nothing a session runs, so scripts are keyed by
//! their URL path without the content hash bundlers put in file names (`index-3f9a8b7c.js`,
//! `main.3f9a8b7c.chunk.js`) and without the query (`?v=12`). When the build serves a source
//! map beside a script (`//# sourceMappingURL=app.js.map`), blocks are mapped to the original
//! files, which is also how `run --affected-by` goes from a changed file to the sessions
//! that ran it.

use super::features::{collapse_numbers, route_template, DataValues};
use crate::browser::coverage::{Blocks, Element, MAX_VIEW_ELEMENTS};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The largest script or source map read from the app folder.
const MAX_SOURCE_BYTES: u64 = 32 << 20;

/// A session's stored coverage: `.reprise/coverage/<session>.json` in a suite or pool, or the
/// meta "coverage" of a stored session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stored {
    pub session: String,
    /// The build the replays ran against (`--app-dir` or `--app-url`).
    pub build: String,
    /// Whether the replays agreed; a session whose replays disagree is set aside.
    pub agreed: bool,
    /// Why it was set aside (the replays disagreed, a replay broke, coverage failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Replay durations (ms), with and without coverage when measured.
    pub replay_ms: Vec<u64>,
    /// Unit keys (`js:…`, `css:…`, `view:…`), sorted.
    pub units: Vec<String>,
    /// Files of the app folder (or original sources through source maps) the replays ran,
    /// relative to the app folder, `/`-separated.
    pub files: Vec<String>,
}

/// A script URL as a stable key: the path, without the origin, the query and the content
/// hash. `https://a.test/assets/index-3f9a8b7c.js?v=2` → `/assets/index.js`.
pub fn stable_url(url: &str) -> String {
    let path = match url::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) => url.split(['?', '#']).next().unwrap_or(url).to_string(),
    };
    let (dir, file) = match path.rsplit_once('/') {
        Some((d, f)) => (format!("{d}/"), f.to_string()),
        None => (String::new(), path.clone()),
    };
    let mut parts: Vec<&str> = file.split('.').collect();
    // `name-HASH.ext`: the hash after the last dash of the first part
    if let Some(first) = parts.first_mut() {
        if let Some((stem, tail)) = first.rsplit_once('-') {
            if is_hash(tail) {
                *first = stem;
            }
        }
    }
    // `name.HASH.chunk.ext`: a part that is all hash
    let kept: Vec<&str> = parts
        .iter()
        .enumerate()
        .filter(|(i, p)| *i == 0 || !is_hash(p))
        .map(|(_, p)| *p)
        .collect();
    format!("{dir}{}", kept.join("."))
}

fn is_hash(s: &str) -> bool {
    s.len() >= 8
        && s.chars().all(|c| c.is_ascii_hexdigit())
        && s.chars().any(|c| c.is_ascii_digit())
}

/// A source map read from the build: the sources and, per generated line, the segments
/// `(generated column, source index, original line)`.
#[derive(Debug, Default)]
pub struct SourceMap {
    pub sources: Vec<String>,
    lines: Vec<Vec<(u32, u32, u32)>>,
}

impl SourceMap {
    /// Parses a v3 source map; `sources` resolved against the map's folder (relative to the
    /// app folder).
    pub fn parse(json: &str, map_dir: &str) -> Option<SourceMap> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        let root = v["sourceRoot"].as_str().unwrap_or("");
        let sources: Vec<String> = v["sources"]
            .as_array()?
            .iter()
            .map(|s| join_rel(map_dir, &format!("{root}{}", s.as_str().unwrap_or(""))))
            .collect();
        let mappings = v["mappings"].as_str()?;
        let mut lines = Vec::new();
        let (mut src, mut oline) = (0i64, 0i64);
        for line in mappings.split(';') {
            let mut col = 0i64;
            let mut segs = Vec::new();
            for seg in line.split(',').filter(|s| !s.is_empty()) {
                let f = decode_vlq(seg)?;
                col += f.first().copied().unwrap_or(0);
                if f.len() >= 4 {
                    src += f[1];
                    oline += f[2];
                    segs.push((col.max(0) as u32, src.max(0) as u32, oline.max(0) as u32));
                }
            }
            lines.push(segs);
        }
        Some(SourceMap { sources, lines })
    }

    /// The original (source, line) of a generated position.
    pub fn lookup(&self, line: usize, col: u32) -> Option<(&str, u32)> {
        let segs = self.lines.get(line)?;
        let seg = segs.iter().rev().find(|s| s.0 <= col).or(segs.first())?;
        Some((self.sources.get(seg.1 as usize)?.as_str(), seg.2 + 1))
    }
}

fn decode_vlq(seg: &str) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let (mut value, mut shift) = (0i64, 0u32);
    for c in seg.bytes() {
        let d = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as i64;
        if shift > 60 {
            return None;
        }
        value += (d & 31) << shift;
        if d & 32 != 0 {
            shift += 5;
        } else {
            let v = if value & 1 == 1 {
                -(value >> 1)
            } else {
                value >> 1
            };
            out.push(v);
            value = 0;
            shift = 0;
        }
    }
    Some(out)
}

/// `dir` + `rel`, with `.` and `..` resolved, `/`-separated, no leading `/`.
fn join_rel(dir: &str, rel: &str) -> String {
    let rel = rel
        .strip_prefix("webpack:///")
        .or_else(|| rel.strip_prefix("file://"))
        .unwrap_or(rel);
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            // a source outside the app folder keeps its `..`: `run --affected` compares it
            // with the changed file's path relative to the app folder
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A build on disk: the app folder a replay served, to read scripts and their source maps.
pub struct AppDir {
    root: PathBuf,
    /// Per script URL path: its text and source map, read once.
    cache: BTreeMap<String, Option<(String, Option<SourceMap>)>>,
}

impl AppDir {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            cache: BTreeMap::new(),
        }
    }

    /// The file a URL path names in the app folder (`/` → `index.html`), relative to it.
    pub fn file_of(&self, url_path: &str) -> Option<String> {
        let mut rel = url_path.trim_start_matches('/').to_string();
        if rel.is_empty() || rel.ends_with('/') {
            rel.push_str("index.html");
        }
        if rel.split('/').any(|p| p == "..") {
            return None;
        }
        self.root.join(&rel).is_file().then_some(rel)
    }

    fn script(&mut self, url_path: &str) -> Option<&(String, Option<SourceMap>)> {
        if !self.cache.contains_key(url_path) {
            let loaded = self.file_of(url_path).and_then(|rel| {
                let text = read_bounded(&self.root.join(&rel))?;
                let map = source_map_name(&text).and_then(|name| {
                    let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    let map_rel = join_rel(dir, &name);
                    let json = read_bounded(&self.root.join(&map_rel))?;
                    let map_dir = map_rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    SourceMap::parse(&json, map_dir)
                });
                Some((text, map))
            });
            self.cache.insert(url_path.to_string(), loaded);
        }
        self.cache.get(url_path).and_then(Option::as_ref)
    }
}

fn read_bounded(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_SOURCE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The `sourceMappingURL` a script names, when it is a file (not a data: URL).
fn source_map_name(text: &str) -> Option<String> {
    let tail = &text[text.len().saturating_sub(4096).min(text.len())..];
    let tail = if text.is_char_boundary(text.len() - tail.len()) {
        tail
    } else {
        return None;
    };
    let at = tail.rfind("sourceMappingURL=")?;
    let name = tail[at + "sourceMappingURL=".len()..]
        .split_whitespace()
        .next()?
        .trim_end_matches("*/");
    (!name.is_empty() && !name.starts_with("data:") && !name.contains("://"))
        .then(|| name.to_string())
}

/// Line and column (UTF-16 units, as V8 counts) of a UTF-16 offset in `text`.
fn line_col(text: &str, offset: u32) -> (usize, u32) {
    let (mut line, mut col, mut at) = (0usize, 0u32, 0u32);
    for c in text.chars() {
        if at >= offset {
            break;
        }
        at += c.len_utf16() as u32;
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += c.len_utf16() as u32;
        }
    }
    (line, col)
}

/// The units and files of one replay's blocks. With an app folder, scripts that have a
/// source map beside them give units in their original files.
pub fn units_and_files(
    blocks: &Blocks,
    mut app: Option<&mut AppDir>,
) -> (Vec<String>, Vec<String>) {
    let mut units = BTreeSet::new();
    let mut files = BTreeSet::new();
    for (url, set) in &blocks.js {
        let path = url::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| url.clone());
        let key = stable_url(url);
        let script = app.as_deref_mut().map(|a| {
            let file = a.file_of(&path);
            (file, a.script(&path))
        });
        match script {
            Some((_, Some((text, Some(map))))) => {
                for (name, start, _end) in set {
                    let (l, c) = line_col(text, *start);
                    if let Some((src, oline)) = map.lookup(l, c) {
                        units.insert(format!("js:{src}|{name}|{oline}"));
                        files.insert(src.to_string());
                    }
                }
            }
            other => {
                if let Some((Some(file), _)) = other {
                    files.insert(file);
                }
                for (name, start, end) in set {
                    units.insert(format!("js:{key}|{name}|{start}-{end}"));
                }
            }
        }
    }
    if let Some(a) = app.as_deref() {
        for url in &blocks.documents {
            let path = url::Url::parse(url)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| url.clone());
            if let Some(f) = a.file_of(&path) {
                files.insert(f);
            }
        }
    }
    for (url, set) in &blocks.css {
        let key = stable_url(url);
        if let Some(a) = app.as_deref() {
            let path = url::Url::parse(url)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| url.clone());
            if let Some(f) = a.file_of(&path) {
                files.insert(f);
            }
        }
        for (s, e) in set {
            units.insert(format!("css:{key}|{s}-{e}"));
        }
    }
    (units.into_iter().collect(), files.into_iter().collect())
}

/// What a replay's checkpoints showed, as units: `view:ROUTE|SIGNATURE`, one per kind of
/// element visible at a checkpoint on that route, e.g. `view:/|span[role=tooltip].tooltip`.
///
/// Regressions are only seen at checkpoints, so what a session shows there is part of what
/// it can catch: two sessions that ran the same code and used the same CSS rules, one of which
/// ended with a tooltip open, differ only here. The route is the checkpoint URL's template with
/// data values collapsed, as features are; in a signature the test id and class tokens have
/// their data values as `:slug` and digits as `N` (which product's badge is shown is not a
/// different state), and the tag and role are kept as they are. At most
/// `MAX_VIEW_ELEMENTS` units per checkpoint, in sorted order, so the result is deterministic
/// and bounded.
pub fn view_units(blocks: &Blocks, data: &DataValues) -> Vec<String> {
    let mut units = BTreeSet::new();
    for view in &blocks.views {
        let route = data.collapse_path(&route_template(&view.url));
        let sigs: BTreeSet<String> = view.elements.iter().map(|e| signature(e, data)).collect();
        for sig in sigs.into_iter().take(MAX_VIEW_ELEMENTS) {
            units.insert(format!("view:{route}|{sig}"));
        }
    }
    units.into_iter().collect()
}

/// `tag[role=R][testid=T].class.class`, data values and digits collapsed.
fn signature(e: &Element, data: &DataValues) -> String {
    let token = |t: &str| collapse_numbers(&data.collapse_token(t));
    let mut sig = e.tag.clone();
    if !e.role.is_empty() {
        sig.push_str(&format!("[role={}]", e.role));
    }
    if !e.testid.is_empty() {
        sig.push_str(&format!("[testid={}]", token(&e.testid)));
    }
    let classes: BTreeSet<String> = e.classes.iter().map(|c| token(c)).collect();
    for c in classes {
        sig.push('.');
        sig.push_str(&c);
    }
    sig
}

/// The view units both replays showed. A state only one replay reached (a checkpoint taken
/// while something was still settling) is not a property of the session and is dropped; it
/// does not set the session aside, since its code and rules ran the same (the runner's own
/// comparison deals with a flaky checkpoint).
pub fn stable_views(a: &[String], b: &[String]) -> Vec<String> {
    let b: BTreeSet<&String> = b.iter().collect();
    a.iter().filter(|u| b.contains(u)).cloned().collect()
}

/// Why two replays' units disagree, or `None` when they agree.
pub fn disagreement(a: &[String], b: &[String]) -> Option<String> {
    let a: BTreeSet<&String> = a.iter().collect();
    let b: BTreeSet<&String> = b.iter().collect();
    let only_a: Vec<&&String> = a.difference(&b).collect();
    let only_b: Vec<&&String> = b.difference(&a).collect();
    if only_a.is_empty() && only_b.is_empty() {
        return None;
    }
    let example = only_a
        .first()
        .or(only_b.first())
        .map(|s| s.as_str())
        .unwrap_or("");
    Some(format!(
        "its two replays ran different code: {} unit(s) only in the first, {} only in the second (e.g. `{example}`)",
        only_a.len(),
        only_b.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashes_and_queries_are_stripped_from_script_urls() {
        assert_eq!(
            stable_url("https://a.test/assets/index-3f9a8b7c.js?v=2"),
            "/assets/index.js"
        );
        assert_eq!(
            stable_url("https://a.test/static/js/main.3f9a8b7c.chunk.js"),
            "/static/js/main.chunk.js"
        );
        assert_eq!(stable_url("https://a.test/shop.js"), "/shop.js");
        assert_eq!(
            stable_url("https://a.test/date-picker.js"),
            "/date-picker.js"
        );
        assert_eq!(stable_url("https://a.test/"), "/");
    }

    #[test]
    fn vlq_and_a_source_map_lookup() {
        assert_eq!(decode_vlq("AAAA"), Some(vec![0, 0, 0, 0]));
        assert_eq!(decode_vlq("AACA"), Some(vec![0, 0, 1, 0]));
        assert_eq!(decode_vlq("D"), Some(vec![-1]));
        assert_eq!(decode_vlq("gB"), Some(vec![16]));
        // line 0 → a.js line 1; line 1 col 0 → a.js line 2, col 10 → ../src/b.js line 1
        let map = r#"{"version":3,"sources":["a.js","../src/b.js"],"mappings":"AAAA;AACA,UCDA"}"#;
        let m = SourceMap::parse(map, "dist").expect("map");
        assert_eq!(m.sources, vec!["dist/a.js", "src/b.js"]);
        assert_eq!(m.lookup(0, 5), Some(("dist/a.js", 1)));
        assert_eq!(m.lookup(1, 3), Some(("dist/a.js", 2)));
        assert_eq!(m.lookup(1, 12), Some(("src/b.js", 1)));
    }

    #[test]
    fn blocks_map_through_a_source_map_served_beside_the_script() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("dist")).expect("mkdir");
        std::fs::write(
            dir.path().join("dist/app-0a1b2c3d4e.js"),
            "function a(){}\nfunction b(){}\n//# sourceMappingURL=app.js.map\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("dist/app.js.map"),
            r#"{"version":3,"sources":["../src/a.js","../src/b.js"],"mappings":"AAAA;ACAA"}"#,
        )
        .expect("write");
        std::fs::write(dir.path().join("plain.js"), "x()").expect("write");
        let mut blocks = Blocks::default();
        blocks
            .js
            .entry("https://a.test/dist/app-0a1b2c3d4e.js".into())
            .or_default()
            .insert(("b".into(), 15, 29));
        blocks
            .js
            .entry("https://a.test/plain.js".into())
            .or_default()
            .insert(("".into(), 0, 3));
        let mut app = AppDir::new(dir.path());
        let (units, files) = units_and_files(&blocks, Some(&mut app));
        assert_eq!(units, vec!["js:/plain.js||0-3", "js:src/b.js|b|1"]);
        assert_eq!(files, vec!["plain.js", "src/b.js"]);
        let (units, files) = units_and_files(&blocks, None);
        assert_eq!(units[0], "js:/dist/app.js|b|15-29");
        assert!(files.is_empty());
    }

    fn element(tag: &str, role: &str, testid: &str, classes: &[&str]) -> Element {
        Element {
            tag: tag.into(),
            role: role.into(),
            testid: testid.into(),
            classes: classes.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn view(url: &str, elements: Vec<Element>) -> crate::browser::coverage::View {
        crate::browser::coverage::View {
            checkpoint: "end".into(),
            url: url.into(),
            elements: elements.into_iter().collect(),
        }
    }

    #[test]
    fn what_a_checkpoint_shows_becomes_view_units_keyed_by_route_without_data() {
        let har = serde_json::json!({ "log": { "entries": [ { "response": { "content": {
            "mimeType": "application/json",
            "text": r#"[{"id":"kenya-nyeri","roast":"light"},{"id":"brazil-cerrado","roast":"dark"}]"#
        } } } ] } });
        let data = DataValues::of_har(&har);
        let mut blocks = Blocks::default();
        blocks.views.push(view(
            "https://shop.test/product/kenya-nyeri?ref=3",
            vec![
                element("h1", "", "", &[]),
                element("span", "", "roast-kenya-nyeri", &["roast", "roast-light"]),
                element("span", "tooltip", "", &["tooltip"]),
                element("li", "", "row-17", &["card"]),
            ],
        ));
        // another product's page showing the same kinds of element: the same units
        blocks.views.push(view(
            "https://shop.test/product/brazil-cerrado",
            vec![
                element("h1", "", "", &[]),
                element("span", "", "roast-brazil-cerrado", &["roast-dark", "roast"]),
                element("span", "tooltip", "", &["tooltip"]),
                element("li", "", "row-4", &["card"]),
            ],
        ));
        assert_eq!(
            view_units(&blocks, &data),
            vec![
                "view:/product/:slug|h1",
                "view:/product/:slug|li[testid=row-N].card",
                "view:/product/:slug|span[role=tooltip].tooltip",
                "view:/product/:slug|span[testid=roast-:slug].roast.roast-:slug",
            ]
        );
        // without the HAR's data the product names stay: other states
        let raw = view_units(&blocks, &DataValues::default());
        assert!(
            raw.contains(&"view:/product/kenya-nyeri|h1".to_string()),
            "{raw:?}"
        );
        assert_eq!(raw.len(), 8, "{raw:?}");
    }

    #[test]
    fn view_units_are_bounded_per_checkpoint_and_deterministic() {
        let many: Vec<Element> = (0..MAX_VIEW_ELEMENTS + 50)
            .map(|i| {
                element(
                    "div",
                    "",
                    "",
                    &[&format!("c{}", char::from(b'a' + (i % 26) as u8)).repeat(1 + i / 26)],
                )
            })
            .collect();
        let mut a = Blocks::default();
        a.views.push(view("https://a.test/", many.clone()));
        let mut b = Blocks::default();
        b.views
            .push(view("https://a.test/", many.into_iter().rev().collect()));
        let ua = view_units(&a, &DataValues::default());
        assert_eq!(ua.len(), MAX_VIEW_ELEMENTS);
        assert_eq!(ua, view_units(&b, &DataValues::default()));
    }

    #[test]
    fn a_state_only_one_replay_showed_is_dropped() {
        let a = vec![
            "view:/|div".to_string(),
            "view:/|span[role=tooltip].tooltip".to_string(),
        ];
        let b = vec!["view:/|div".to_string()];
        assert_eq!(stable_views(&a, &b), vec!["view:/|div"]);
        assert_eq!(stable_views(&a, &a), a);
    }

    #[test]
    fn disagreeing_replays_are_explained() {
        let a = vec!["js:/a.js|f|1-2".to_string()];
        let b = vec!["js:/a.js|f|1-2".to_string(), "js:/a.js|g|3-4".to_string()];
        assert!(disagreement(&a, &a).is_none());
        let why = disagreement(&a, &b).expect("differs");
        assert!(
            why.contains("0 unit(s) only in the first, 1 only in the second"),
            "{why}"
        );
    }
}
