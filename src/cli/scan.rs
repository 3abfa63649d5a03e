//! `reprise scan [PATH…]`: lists every piece of personal data in recordings, HARs and
//! snapshots with its file, place and kind, and exits 1 when there is any, so a commit hook
//! or a CI job can refuse a suite that is not clean. Values are never printed, only a
//! preview (two characters and the length): the output itself lands in CI logs.

use std::path::PathBuf;
use std::time::Instant;

use super::{exit, Failure};
use crate::privacy::{self, Finding, Ledger, PrivacyError, Scanner};

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Files or folders (default: the suite's recordings/, mocks/ and snapshots/).
    paths: Vec<PathBuf>,
    /// The suite folder: its reprise.toml (`[privacy]`) and redactions.json apply.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// `text` (one finding a line) or `json` (format version 1).
    #[arg(long, default_value = "text", value_name = "text|json")]
    format: String,
}

pub(crate) fn privacy_failure(e: PrivacyError) -> Failure {
    let code = match e {
        PrivacyError::Write { .. } => exit::INFRASTRUCTURE,
        _ => exit::USAGE,
    };
    Failure {
        message: e.to_string(),
        hint: e.hint().map(str::to_string),
        code,
    }
}

/// The suite's `[privacy]` settings and mapping report.
pub(crate) fn load(suite: &std::path::Path) -> Result<(crate::config::Config, Ledger), Failure> {
    let config = crate::config::Config::load(suite).map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("see the `Privacy` section of the README for the `[privacy]` keys"),
        )
    })?;
    let ledger = Ledger::load(suite).map_err(privacy_failure)?;
    Ok((config, ledger))
}

pub fn run(args: ScanArgs) -> Result<i32, Failure> {
    let json = match args.format.as_str() {
        "text" => false,
        "json" => true,
        f => {
            return Err(Failure::usage(
                format!("unknown format `{f}`"),
                Some("use `--format text` or `--format json`"),
            ))
        }
    };
    let (config, ledger) = load(&args.suite)?;
    let scanner = Scanner::new(&config.privacy, &ledger).map_err(privacy_failure)?;
    let files = privacy::collect_files(&args.suite, &args.paths).map_err(privacy_failure)?;
    let started = Instant::now();
    let (findings, bytes) = privacy::scan_files(&scanner, &files).map_err(privacy_failure)?;
    let secs = started.elapsed().as_secs_f64();
    if json {
        let doc = serde_json::json!({
            "format_version": 1,
            "files_scanned": files.len(),
            "bytes_scanned": bytes,
            "findings": findings,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print_text(&findings, files.len(), bytes, secs);
    }
    Ok(if findings.is_empty() {
        exit::PASSED
    } else {
        exit::REGRESSION
    })
}

fn print_text(findings: &[Finding], files: usize, bytes: u64, secs: f64) {
    for f in findings {
        println!("{}: {}: {} `{}`", f.file, f.place, f.kind, f.preview);
    }
    let mb = bytes as f64 / 1e6;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    if findings.is_empty() {
        eprintln!(
            "clean: no personal data in {} ({mb:.1} MB in {secs:.2}s)",
            plural(files, "file")
        );
    } else {
        let in_files: std::collections::BTreeSet<&str> =
            findings.iter().map(|f| f.file.as_str()).collect();
        eprintln!(
            "found {} in {} of {} scanned ({mb:.1} MB in {secs:.2}s)",
            plural(findings.len(), "finding"),
            plural(in_files.len(), "file"),
            files
        );
        eprintln!(
            "\nhint: `reprise redact` replaces them with pseudonyms; known test data goes in `[privacy] allow` in reprise.toml"
        );
    }
}
