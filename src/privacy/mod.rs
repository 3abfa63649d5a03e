//! Personal data in suites: finding it (`reprise scan`) and replacing it with consistent
//! pseudonyms (`reprise redact`, `reprise import --redact`).
//!
//! Recordings come from real sessions, so they hold emails, card numbers, tokens and cookies,
//! and once committed they spread to every clone and CI log. A suite must be provably clean
//! and still replay after cleaning. Hence the split:
//!
//! - [`detect`] says what a string holds, given its context (a header, a JSON key, …);
//! - [`walk`] takes each file format apart into strings with context and a readable place;
//! - [`pseudonym`] makes shape-keeping, keyed, deterministic stand-ins;
//! - [`Plan`] (here) rewrites files *as text*: every occurrence of a value, in each of the
//!   encodings it can take inside a suite (plain, JSON-escaped, JSON inside JSON,
//!   form-encoded, HTML-escaped), becomes its pseudonym. Working on the text rather than on
//!   parsed documents keeps every byte that is not personal data as it was (key order,
//!   formatting, response bodies the app parses), and makes one value the same pseudonym in a
//!   request, a response, a recording step and a DOM snapshot by construction;
//! - the [`Ledger`] (`redactions.json`) is the mapping report: pseudonyms with keyed
//!   fingerprints of what they replaced (never the originals) and where. `scan` reads it to
//!   know that a pseudonym is not personal data.

pub mod detect;
pub mod pseudonym;
pub mod walk;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;

pub use detect::{Detector, Kind};
pub use pseudonym::Pseudonymizer;
pub use walk::Format;

use crate::config::PrivacyConfig;

/// The mapping report's file name, in the suite folder.
pub const LEDGER_FILE: &str = "redactions.json";
/// Version of the mapping report format.
pub const LEDGER_VERSION: u32 = 1;

/// Why a scan or a redaction could not proceed.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not a reprise mapping report: {message}", path.display())]
    Ledger { path: PathBuf, message: String },
    #[error("invalid `[privacy]` configuration: {0}")]
    Config(String),
    #[error("`{}` does not exist", .0.display())]
    Missing(PathBuf),
}

impl PrivacyError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Missing(_) => {
                Some("name files or folders of the suite, or run in the suite folder (`-C DIR`)")
            }
            Self::Ledger { .. } => {
                Some("restore it from version control; it is written by `reprise redact`")
            }
            Self::Config(_) => {
                Some("see the `Privacy` section of the README for the `[privacy]` keys")
            }
            Self::Read { .. } | Self::Write { .. } => None,
        }
    }
}

/// One piece of personal data: where, what, and a preview that does not reveal it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub file: String,
    pub place: String,
    pub kind: Kind,
    pub preview: String,
    #[serde(skip)]
    pub(crate) raw: walk::RawFinding,
}

/// Enough of a value for a person to recognise it, never enough to read it: the first two
/// characters (a vendor's key prefix more) and the length.
pub fn preview(kind: &Kind, value: &str) -> String {
    let n = value.chars().count();
    let keep = match kind {
        Kind::ApiKey => value.find(['_', '-']).map_or(2, |i| i + 1).min(8),
        _ if n >= 8 => 2,
        _ => 0,
    };
    let head: String = value.chars().take(keep).collect();
    format!("{head}… ({n} chars)")
}

/// Scans texts, skipping allowlisted values and pseudonyms of earlier redactions.
pub struct Scanner {
    pub detector: Detector,
    pseudonyms: HashSet<String>,
}

impl Scanner {
    pub fn new(cfg: &PrivacyConfig, ledger: &Ledger) -> Result<Self, PrivacyError> {
        Ok(Self {
            detector: Detector::new(cfg).map_err(PrivacyError::Config)?,
            pseudonyms: ledger.entries.iter().map(|e| e.pseudonym.clone()).collect(),
        })
    }

    pub fn scan_text(&self, file: &str, format: Format, text: &str) -> Vec<Finding> {
        let mut raw = Vec::new();
        walk::find(&self.detector, format, text, &mut raw);
        raw.into_iter()
            .filter(|r| {
                let hit = detect::Hit {
                    kind: r.kind.clone(),
                    value: r.value.clone(),
                };
                !self.pseudonyms.contains(&r.value) && !self.detector.allowed(&hit)
            })
            .map(|r| Finding {
                file: file.to_string(),
                place: r.place.clone(),
                kind: r.kind.clone(),
                preview: preview(&r.kind, &r.value),
                raw: r,
            })
            .collect()
    }
}

/// A file to scan: its path and how it is shown (relative to the suite when inside it).
#[derive(Debug, Clone)]
pub struct SuiteFile {
    pub path: PathBuf,
    pub label: String,
    pub format: Format,
}

/// The files under `paths` (files, or folders walked recursively, hidden entries skipped),
/// sorted; binary files are left out. With no paths: the suite's recordings, mocks and
/// snapshots.
pub fn collect_files(suite: &Path, paths: &[PathBuf]) -> Result<Vec<SuiteFile>, PrivacyError> {
    let roots: Vec<PathBuf> = if paths.is_empty() {
        [
            crate::suite::RECORDINGS_DIR,
            crate::suite::MOCKS_DIR,
            crate::suite::SNAPSHOTS_DIR,
        ]
        .iter()
        .map(|d| suite.join(d))
        .filter(|d| d.exists())
        .collect()
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for r in &roots {
        if !r.exists() {
            return Err(PrivacyError::Missing(r.clone()));
        }
        walk_dir(r, &mut files)?;
    }
    files.sort();
    files.dedup();
    Ok(files
        .into_iter()
        .filter_map(|path| {
            let format = Format::of(&path)?;
            let label = path
                .strip_prefix(suite)
                .ok()
                .filter(|_| suite != Path::new("."))
                .unwrap_or(&path)
                .display()
                .to_string();
            let label = label.strip_prefix("./").unwrap_or(&label).to_string();
            Some(SuiteFile {
                path,
                label,
                format,
            })
        })
        .collect())
}

fn walk_dir(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), PrivacyError> {
    if p.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let rd = std::fs::read_dir(p).map_err(|source| PrivacyError::Read {
        path: p.to_path_buf(),
        source,
    })?;
    for e in rd.flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') || name == "node_modules" {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            walk_dir(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads a file as text (invalid UTF-8 replaced: the detectors only look at text).
pub fn read_text(path: &Path) -> Result<String, PrivacyError> {
    let bytes = std::fs::read(path).map_err(|source| PrivacyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// One file's scan, by its index in the file list.
type FileScan = (usize, Result<(Vec<Finding>, u64), PrivacyError>);

/// Scans files on every core; findings in file order. Returns the findings and bytes read.
pub fn scan_files(
    scanner: &Scanner,
    files: &[SuiteFile],
) -> Result<(Vec<Finding>, u64), PrivacyError> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len().max(1));
    let results: Vec<Vec<FileScan>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        let r = read_text(&f.path)
                            .map(|t| (scanner.scan_text(&f.label, f.format, &t), t.len() as u64));
                        mine.push((i, r));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut all: Vec<FileScan> = results.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    let mut findings = Vec::new();
    let mut bytes = 0;
    for (_, r) in all {
        let (f, b) = r?;
        findings.extend(f);
        bytes += b;
    }
    Ok((findings, bytes))
}

/// One pseudonym of the mapping report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LedgerEntry {
    pub kind: String,
    pub pseudonym: String,
    /// `hmac-sha256:…` of the original under the redaction key: whoever holds the key can
    /// check which value a pseudonym replaced; nobody else can.
    pub fingerprint: String,
    /// Where the original was found (`file: place`).
    pub places: Vec<String>,
}

/// `redactions.json`: what `reprise redact` replaced, without the originals.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    pub format_version: u32,
    pub entries: Vec<LedgerEntry>,
}

impl Ledger {
    /// Reads the suite's mapping report; none yet is an empty one.
    pub fn load(suite: &Path) -> Result<Self, PrivacyError> {
        let path = suite.join(LEDGER_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(PrivacyError::Read { path, source }),
        };
        let l: Ledger = serde_json::from_str(&text).map_err(|e| PrivacyError::Ledger {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if l.format_version != LEDGER_VERSION {
            return Err(PrivacyError::Ledger {
                path,
                message: format!(
                    "format v{}; this reprise reads v{LEDGER_VERSION}",
                    l.format_version
                ),
            });
        }
        Ok(l)
    }

    /// Adds a plan's entries (places merged by pseudonym).
    pub fn merge(&mut self, new: Vec<LedgerEntry>) {
        self.format_version = LEDGER_VERSION;
        for n in new {
            match self.entries.iter_mut().find(|e| e.pseudonym == n.pseudonym) {
                Some(e) => {
                    for p in n.places {
                        if !e.places.contains(&p) {
                            e.places.push(p);
                        }
                    }
                }
                None => self.entries.push(n),
            }
        }
        self.entries
            .sort_by(|a, b| (&a.kind, &a.pseudonym).cmp(&(&b.kind, &b.pseudonym)));
    }

    pub fn write(&self, suite: &Path) -> Result<(), PrivacyError> {
        let path = suite.join(LEDGER_FILE);
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        crate::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|source| PrivacyError::Write { path, source })
    }
}

/// How findings become text replacements, for every file at once.
pub struct Plan {
    /// Every encoded form of every original, mapped to the same form of its pseudonym.
    map: HashMap<String, String>,
    matcher: Option<regex::Regex>,
    /// Base64 HAR bodies that hold findings.
    base64: BTreeSet<String>,
    pub ledger: Vec<LedgerEntry>,
}

/// The encodings a string takes inside a suite.
fn encodings(s: &str) -> Vec<String> {
    let json = |x: &str| {
        let q = serde_json::to_string(x).unwrap_or_default();
        q[1..q.len().saturating_sub(1)].to_string()
    };
    let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
    let html = s
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    // Fixed positions: `Plan::new` picks encodings by index.
    vec![
        s.to_string(),
        json(s),
        json(&json(s)),
        form.clone(),
        form.replace('+', "%20"),
        html,
    ]
}

impl Plan {
    /// Pseudonyms for every finding. A value distinctive by shape (or long and mixed enough)
    /// is replaced wherever it occurs; a weak one (a short password, a cookie) only where the
    /// whole string it was found in occurs, quoted, or as its form field.
    pub fn new(findings: &[Finding], ps: &Pseudonymizer, det: &Detector) -> Self {
        // One kind per value, whatever the file order: the most specific one.
        let mut kinds: BTreeMap<&str, &Kind> = BTreeMap::new();
        for f in findings {
            let k = kinds.entry(&f.raw.value).or_insert(&f.raw.kind);
            if f.raw.kind < **k {
                *k = &f.raw.kind;
            }
        }
        let pseudo: BTreeMap<&str, String> = kinds
            .iter()
            .map(|(v, k)| (*v, ps.pseudonym(k, v, det)))
            .collect();
        let mut map: HashMap<String, String> = HashMap::new();
        let add = |old: &str, new: &str, map: &mut HashMap<String, String>| {
            for (o, n) in encodings(old).into_iter().zip(encodings(new)) {
                if o != n && !o.is_empty() {
                    map.entry(o).or_insert(n);
                }
            }
        };
        let distinctive = |k: &Kind, v: &str| {
            let classes = [
                v.bytes().any(|b| b.is_ascii_lowercase()),
                v.bytes().any(|b| b.is_ascii_uppercase()),
                v.bytes().any(|b| b.is_ascii_digit()),
                v.bytes().any(|b| !b.is_ascii_alphanumeric()),
            ];
            k.by_shape() || (v.chars().count() >= 8 && classes.iter().filter(|c| **c).count() >= 2)
        };
        let mut weak_wholes: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        let mut forms: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (v, k) in &kinds {
            if distinctive(k, v) {
                add(v, &pseudo[v], &mut map);
            }
        }
        for f in findings {
            let v = f.raw.value.as_str();
            if distinctive(kinds[v], v) {
                continue;
            }
            weak_wholes
                .entry(&f.raw.whole)
                .or_default()
                .push((v, &pseudo[v]));
            if let Some(name) = &f.raw.form_name {
                forms.insert((name, v));
            }
        }
        let sweep = |s: &str, map: &HashMap<String, String>| -> String {
            let mut keys: Vec<&String> = map.keys().filter(|k| s.contains(k.as_str())).collect();
            keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
            let mut out = s.to_string();
            for k in keys {
                out = out.replace(k.as_str(), &map[k]);
            }
            out
        };
        let mut literal: Vec<(String, String)> = Vec::new();
        for (whole, values) in &weak_wholes {
            let mut new = whole.to_string();
            for (v, p) in values {
                new = new.replace(v, p);
            }
            let new = sweep(&new, &map);
            let (jo, jn) = (encodings(whole), encodings(&new));
            literal.push((format!("\"{}\"", jo[1]), format!("\"{}\"", jn[1])));
            literal.push((format!("\\\"{}\\\"", jo[2]), format!("\\\"{}\\\"", jn[2])));
        }
        for (name, v) in &forms {
            let n: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
            for (o, p) in encodings(v)
                .iter()
                .zip(encodings(&pseudo[v]))
                .skip(3)
                .take(2)
            {
                for end in ["&", "\"", "\\", "#", ";"] {
                    literal.push((format!("{n}={o}{end}"), format!("{n}={p}{end}")));
                }
            }
        }
        for (o, n) in literal {
            if o != n {
                map.insert(o, n);
            }
        }
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let pattern = keys
            .iter()
            .map(|k| regex::escape(k))
            .collect::<Vec<_>>()
            .join("|");
        let matcher = (!keys.is_empty())
            .then(|| {
                regex::RegexBuilder::new(&pattern)
                    .size_limit(1 << 30)
                    .dfa_size_limit(1 << 28)
                    .build()
                    .ok()
            })
            .flatten();
        let mut places: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for f in findings {
            let p = places.entry(&f.raw.value).or_default();
            let place = format!("{}: {}", f.file, f.place);
            if !p.contains(&place) {
                p.push(place);
            }
        }
        let ledger = kinds
            .iter()
            .map(|(v, k)| LedgerEntry {
                kind: k.as_str(),
                pseudonym: pseudo[v].clone(),
                fingerprint: ps.fingerprint(v),
                places: places.remove(v).unwrap_or_default(),
            })
            .collect();
        Self {
            map,
            matcher,
            base64: findings
                .iter()
                .filter_map(|f| f.raw.base64.clone())
                .collect(),
            ledger,
        }
    }

    fn replace(&self, text: &str) -> String {
        match &self.matcher {
            Some(m) => m
                .replace_all(text, |c: &regex::Captures<'_>| {
                    self.map
                        .get(&c[0])
                        .cloned()
                        .unwrap_or_else(|| c[0].to_string())
                })
                .into_owned(),
            None => text.to_string(),
        }
    }

    /// The text with every planned replacement made (base64 HAR bodies decoded, rewritten
    /// and encoded again).
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for b in &self.base64 {
            if !out.contains(b.as_str()) {
                continue;
            }
            let engine = base64::engine::general_purpose::STANDARD;
            let Some(decoded) = engine
                .decode(b.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
            else {
                continue;
            };
            let new = engine.encode(self.replace(&decoded));
            out = out.replace(b.as_str(), &new);
        }
        self.replace(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_one_pseudonym_in_every_encoding() {
        let cfg = PrivacyConfig::default();
        let scanner = Scanner::new(&cfg, &Ledger::default()).expect("scanner");
        let har = r#"{"log":{"entries":[{"request":{"method":"POST","url":"https://a.test/o?email=ada%40mailbox.org",
          "postData":{"mimeType":"application/json","text":"{\"email\":\"ada@mailbox.org\",\"password\":\"hunter2\"}"}},
          "response":{"status":200,"content":{"mimeType":"application/json","encoding":"base64","text":"eyJlbWFpbCI6ImFkYUBtYWlsYm94Lm9yZyJ9"}}}]}}"#;
        let rec = r##"{"title":"t","steps":[{"type":"change","selectors":[["#password"]],"value":"hunter2"}]}"##;
        let dom = "<p>\n  \"Receipt sent to ada@mailbox.org\"\n";
        let mut findings = scanner.scan_text("mocks/a.har", Format::Json, har);
        findings.extend(scanner.scan_text("recordings/a.json", Format::Json, rec));
        findings.extend(scanner.scan_text("snapshots/a/01.dom", Format::Text, dom));
        assert_eq!(findings.len(), 6, "{findings:#?}");
        let plan = Plan::new(&findings, &Pseudonymizer::new(b"k"), &scanner.detector);
        let (har2, rec2, dom2) = (plan.apply(har), plan.apply(rec), plan.apply(dom));
        let pseudo =
            Pseudonymizer::new(b"k").pseudonym(&Kind::Email, "ada@mailbox.org", &scanner.detector);
        assert!(
            har2.contains(&pseudo.replace('@', "%40")) && dom2.contains(&pseudo),
            "{har2}\n{dom2}"
        );
        assert!(
            !har2.contains("hunter2") && !rec2.contains("hunter2"),
            "{har2}\n{rec2}"
        );
        let ledger = Ledger {
            format_version: 1,
            entries: plan.ledger.clone(),
        };
        let after = Scanner::new(&cfg, &ledger).expect("scanner");
        for (f, t) in [
            (Format::Json, &har2),
            (Format::Json, &rec2),
            (Format::Text, &dom2),
        ] {
            assert!(after.scan_text("x", f, t).is_empty(), "{t}");
        }
        let text = serde_json::to_string(&ledger).expect("json");
        assert!(
            !text.contains("mailbox.org") && !text.contains("hunter2"),
            "{text}"
        );
    }

    #[test]
    fn previews_do_not_reveal() {
        assert_eq!(preview(&Kind::Password, "hunter2"), "… (7 chars)");
        assert_eq!(preview(&Kind::Email, "ada@mailbox.org"), "ad… (15 chars)");
        assert_eq!(
            preview(&Kind::ApiKey, "sk_live_abcdefghijklmnop"),
            "sk_… (24 chars)"
        );
    }
}
