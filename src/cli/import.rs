//! `reprise import chrome-recorder|rrweb|har FILE…`: runs the importers of `crate::import`
//! and writes what they produce into the suite (`recordings/NAME.json`, `mocks/NAME.har`,
//! and for rrweb streams the DOM the user saw as `snapshots/NAME/NN-label.dom`). Nothing is
//! overwritten without `--force`, and nothing is written unless every file imported, so a
//! failed import leaves the suite as it was.

use std::path::{Path, PathBuf};

use super::{exit, Failure};
use crate::baseline::{DomSnapshot, SnapshotHeader};
use crate::fsutil::write_atomic;
use crate::import::{
    self, chrome_recorder, har, rrweb, session_name, ImportError, ImportKind, Imported,
};
use crate::recording::{to_recorder_json, Recording, StepKind};
use crate::suite::{MOCKS_DIR, RECORDINGS_DIR, SNAPSHOTS_DIR};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The kind (`chrome-recorder`, `rrweb` or `har`; optional with `--format auto`), then
    /// the files to import.
    #[arg(required = true, value_name = "KIND|FILE")]
    args: Vec<String>,
    /// The session name (default: each file's name); several HAR files with one name are
    /// merged into one.
    #[arg(long)]
    name: Option<String>,
    /// HAR files captured with the recording: written as the session's `mocks/NAME.har`.
    #[arg(long)]
    har: Vec<PathBuf>,
    /// The kind of the files when no KIND is given: `auto` sniffs it from the content.
    #[arg(
        long,
        default_value = "auto",
        value_name = "auto|chrome-recorder|rrweb|har"
    )]
    format: String,
    /// The suite folder to write into.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// rrweb: the address the recorded page is replayed at (its origin replaces the
    /// recorded origin), e.g. when the stream recorded a production host.
    #[arg(long)]
    url: Option<String>,
    /// HAR: the app's origin, whose own assets are left out of the mocks (default: the
    /// recording's first navigation, else the first document in the HAR).
    #[arg(long)]
    origin: Option<String>,
    /// HAR: keep the entries for the app's own assets (documents, scripts, styles, images,
    /// fonts, media).
    #[arg(long)]
    keep_assets: bool,
    /// Replace existing recordings, mocks and expected snapshots.
    #[arg(long)]
    force: bool,
    /// Replace personal data with pseudonyms before anything is written (as `reprise
    /// redact` would, with the suite's `[privacy]` settings and key).
    #[arg(long)]
    redact: bool,
    /// rrweb: also write each page rebuilt from the stream (static, scripts disabled) into
    /// this folder, laid out by URL path, to replay the stream without the original build.
    #[arg(long, value_name = "DIR")]
    rebuild_dir: Option<PathBuf>,
}

fn failure(e: ImportError) -> Failure {
    Failure {
        message: e.to_string(),
        hint: e.hint,
        code: exit::USAGE,
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::usage(
            format!("cannot read `{}`: {e}", path.display()),
            Some("check the path; files are read relative to the current folder"),
        )
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One session to write.
struct Output {
    name: String,
    source: PathBuf,
    imported: Imported,
}

pub fn run(args: ImportArgs) -> Result<i32, Failure> {
    let (kind, files) = kind_and_files(&args)?;
    if files.is_empty() {
        return Err(Failure::usage(
            "no file to import".into(),
            Some("name the files: `reprise import rrweb session.json`"),
        ));
    }
    if let Some(n) = &args.name {
        if session_name(Path::new(&format!("{n}.json"))) != *n {
            return Err(Failure::usage(
                format!("invalid session name `{n}`"),
                Some("use lowercase letters, digits, `-` and `_`"),
            ));
        }
    }
    let mut outputs: Vec<Output> = Vec::new();
    for file in &files {
        let text = read(file)?;
        let sniffed = import::sniff(&text);
        let kind = match (kind, sniffed) {
            (Some(k), Some(s)) if k != s => {
                return Err(Failure::usage(
                    format!(
                        "`{}` is not {}: it looks like {}",
                        file.display(),
                        k.describe(),
                        s.describe()
                    ),
                    Some(&format!(
                        "import it as that: `reprise import {} {}`, or use `--format auto`",
                        s.as_str(),
                        file.display()
                    )),
                ))
            }
            (Some(k), _) => k,
            (None, Some(s)) => s,
            (None, None) => {
                return Err(Failure::usage(
                    format!(
                        "cannot tell what `{}` is: not a Chrome DevTools Recorder recording, an rrweb stream or a HAR file",
                        file.display()
                    ),
                    Some("name the kind: `reprise import chrome-recorder|rrweb|har FILE`"),
                ))
            }
        };
        let name = args.name.clone().unwrap_or_else(|| session_name(file));
        let imported = match kind {
            ImportKind::ChromeRecorder => chrome_recorder::import(file, &text).map_err(failure)?,
            ImportKind::Rrweb => {
                let opts = rrweb::RrwebOptions {
                    title: name.clone(),
                    url: args.url.clone(),
                };
                rrweb::import(file, &text, &opts).map_err(failure)?
            }
            ImportKind::Har => {
                let opts = har::HarOptions {
                    app_origin: args.origin.clone(),
                    keep_assets: args.keep_assets,
                };
                let h = har::import_text(file, &text, file.parent(), &opts).map_err(failure)?;
                Imported {
                    har: Some(h.har),
                    notes: h.notes,
                    ..Imported::default()
                }
            }
        };
        // Several HAR files named as one session are merged.
        if let Some(prev) = outputs.iter_mut().find(|o| {
            o.name == name && o.imported.recording.is_none() && imported.recording.is_none()
        }) {
            let docs = [prev.imported.har.take(), imported.har]
                .into_iter()
                .flatten()
                .collect();
            prev.imported.har = Some(har::merge(docs));
            prev.imported.notes.extend(imported.notes);
            continue;
        }
        if outputs.iter().any(|o| o.name == name) {
            return Err(Failure::usage(
                format!("two files would both be imported as session `{name}`"),
                Some("import them one at a time, each with its own `--name`"),
            ));
        }
        outputs.push(Output {
            name,
            source: file.clone(),
            imported,
        });
    }
    if !args.har.is_empty() {
        let [out] = outputs.as_mut_slice() else {
            return Err(Failure::usage(
                "`--har` goes with exactly one recording".into(),
                Some("import the recordings one at a time, each with its own `--har`"),
            ));
        };
        let origin = args
            .origin
            .clone()
            .or_else(|| out.imported.recording.as_ref().and_then(app_origin_of));
        let opts = har::HarOptions {
            app_origin: origin,
            keep_assets: args.keep_assets,
        };
        let mut docs: Vec<Box<serde_json::value::RawValue>> =
            out.imported.har.take().into_iter().collect();
        for h in &args.har {
            let imported = har::import_file(h, &opts).map_err(failure)?;
            out.imported.notes.extend(imported.notes);
            docs.push(imported.har);
        }
        out.imported.har = Some(har::merge(docs));
    }
    write_all(&args, &outputs)
}

/// The first argument is the kind when it names one; else `--format` says it.
fn kind_and_files(args: &ImportArgs) -> Result<(Option<ImportKind>, Vec<PathBuf>), Failure> {
    let format = match args.format.as_str() {
        "auto" => None,
        f => Some(ImportKind::from_cli(f).ok_or_else(|| {
            Failure::usage(
                format!("unknown format `{f}`"),
                Some("use `--format auto`, `chrome-recorder`, `rrweb` or `har`"),
            )
        })?),
    };
    let (first, rest) = args
        .args
        .split_first()
        .map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
    match ImportKind::from_cli(first) {
        Some(k) if !Path::new(first).exists() => {
            if format.is_some_and(|f| f != k) {
                return Err(Failure::usage(
                    format!("`{first}` and `--format {}` disagree", args.format),
                    Some("give the kind once"),
                ));
            }
            Ok((Some(k), rest.iter().map(PathBuf::from).collect()))
        }
        _ => Ok((format, args.args.iter().map(PathBuf::from).collect())),
    }
}

/// The origin of the app a recording drives: `reprise.origin`, else its first navigation.
fn app_origin_of(rec: &Recording) -> Option<String> {
    rec.meta.origin.clone().or_else(|| {
        rec.steps.iter().find_map(|s| match &s.kind {
            StepKind::Navigate { url } => url::Url::parse(url)
                .ok()
                .map(|u| u.origin().ascii_serialization()),
            _ => None,
        })
    })
}

fn write_all(args: &ImportArgs, outputs: &[Output]) -> Result<i32, Failure> {
    let suite = &args.suite;
    let config = crate::config::Config::load(suite).map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("see the `reprise.toml` section of the README for the keys"),
        )
    })?;
    let normalizer = crate::capture::Normalizer::new(&config.normalize);
    // Every target is checked before anything is written.
    let mut writes: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for o in outputs {
        let imp = &o.imported;
        if let Some(rec) = &imp.recording {
            let mut text = serde_json::to_string_pretty(&to_recorder_json(rec)).unwrap_or_default();
            text.push('\n');
            writes.push((
                suite.join(RECORDINGS_DIR).join(format!("{}.json", o.name)),
                text.into_bytes(),
            ));
        }
        if let Some(h) = &imp.har {
            // Written as built: entries verbatim from the source, no tree of the whole HAR.
            let mut text = Vec::with_capacity(h.get().len() + 1);
            text.extend_from_slice(h.get().as_bytes());
            text.push(b'\n');
            writes.push((suite.join(MOCKS_DIR).join(format!("{}.har", o.name)), text));
        }
        for e in &imp.expected {
            let snap = DomSnapshot {
                header: SnapshotHeader {
                    session: o.name.clone(),
                    checkpoint: e.checkpoint.clone(),
                    step: e.step,
                    url: e.url.clone(),
                    viewport: e.viewport.clone(),
                    normalizer: normalizer.digest().to_owned(),
                    // The user's DOM was not rendered by reprise: no environment to compare.
                    environment: Default::default(),
                },
                body: normalizer.apply(&e.body),
            };
            writes.push((
                suite
                    .join(SNAPSHOTS_DIR)
                    .join(&o.name)
                    .join(format!("{}.dom", e.checkpoint)),
                snap.render().into_bytes(),
            ));
        }
        if let Some(dir) = &args.rebuild_dir {
            for p in &imp.pages {
                writes.push((dir.join(page_file(&p.url)), p.html.clone().into_bytes()));
            }
        }
    }
    let ledger = if args.redact {
        Some(redact_writes(suite, &config, &mut writes)?)
    } else {
        None
    };
    if !args.force {
        if let Some((p, _)) = writes.iter().find(|(p, _)| p.exists()) {
            return Err(Failure::usage(
                format!("`{}` exists already", p.display()),
                Some("pass `--force` to replace it, or `--name` to import under another name"),
            ));
        }
    }
    if let Some(l) = ledger.filter(|l| !l.entries.is_empty()) {
        l.write(suite).map_err(super::scan::privacy_failure)?;
    }
    for (path, bytes) in &writes {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_failure(parent, &e))?;
        }
        write_atomic(path, bytes).map_err(|e| io_failure(path, &e))?;
    }
    for o in outputs {
        let imp = &o.imported;
        let mut parts = Vec::new();
        if let Some(rec) = &imp.recording {
            parts.push(format!(
                "{RECORDINGS_DIR}/{}.json ({} steps)",
                o.name,
                rec.steps.len()
            ));
        }
        if let Some(h) = &imp.har {
            parts.push(format!(
                "{MOCKS_DIR}/{}.har ({} entries)",
                o.name,
                rrweb::entry_count(h)
            ));
        }
        if !imp.expected.is_empty() {
            parts.push(format!(
                "{} expected DOM snapshots in {SNAPSHOTS_DIR}/{}/",
                imp.expected.len(),
                o.name
            ));
        }
        println!("imported {} -> {}", o.source.display(), parts.join(", "));
        for n in &imp.notes {
            println!("  note: {n}");
        }
    }
    Ok(exit::PASSED)
}

/// `--redact`: the files about to be written, redacted in memory; returns the suite's
/// mapping report with this import's pseudonyms added. Refuses the import when something
/// could not be redacted, so nothing personal reaches the suite.
fn redact_writes(
    suite: &Path,
    config: &crate::config::Config,
    writes: &mut [(PathBuf, Vec<u8>)],
) -> Result<crate::privacy::Ledger, Failure> {
    use super::redact::{redact_texts, Rewrite};
    let ledger = crate::privacy::Ledger::load(suite).map_err(super::scan::privacy_failure)?;
    let mut texts: Vec<Rewrite> = writes
        .iter()
        .filter_map(|(path, bytes)| {
            let format = crate::privacy::Format::of(path)?;
            let label = path
                .strip_prefix(suite)
                .unwrap_or(path)
                .display()
                .to_string();
            Some(Rewrite {
                label,
                path: path.clone(),
                format,
                before: String::from_utf8_lossy(bytes).into_owned(),
                after: String::new(),
            })
        })
        .collect();
    let (_, left, merged) = redact_texts(suite, &mut texts, config, &ledger)?;
    if let Some(f) = left.first() {
        return Err(Failure::usage(
            format!(
                "cannot redact {} `{}` in {}: {}; nothing was imported",
                f.kind, f.preview, f.file, f.place
            ),
            Some("import without `--redact`, edit it, then run `reprise redact`; or allowlist it in `[privacy] allow`"),
        ));
    }
    for t in texts {
        if let Some((_, bytes)) = writes.iter_mut().find(|(p, _)| *p == t.path) {
            *bytes = t.after.into_bytes();
        }
    }
    Ok(merged)
}

fn io_failure(path: &Path, e: &std::io::Error) -> Failure {
    Failure {
        message: format!("cannot write `{}`: {e}", path.display()),
        hint: None,
        code: exit::INFRASTRUCTURE,
    }
}

/// Where a rebuilt page goes under `--rebuild-dir`: its URL path, `index.html` for folders.
fn page_file(url: &str) -> PathBuf {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    let mut out = PathBuf::new();
    for seg in path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
    {
        out.push(seg);
    }
    if path.ends_with('/') || out.as_os_str().is_empty() {
        out.push("index.html");
    }
    out
}
