//! `reprise redact [PATH…]`: replaces every finding of `scan` with a pseudonym of the same
//! shape, the same one in every file, so the session still replays with the same verdict.
//! Each file is rewritten atomically (old or new, never half), the mapping report
//! (`redactions.json`) is written before any file so a crash never leaves pseudonyms that
//! `scan` would not recognise, and the result is scanned again before anything is written:
//! what could not be redacted is reported, never silently kept.

use std::path::PathBuf;

use super::scan::{load, privacy_failure};
use super::{exit, Failure};
use crate::privacy::{self, Format, Plan, Pseudonymizer, Scanner};

#[derive(clap::Args, Debug)]
pub struct RedactArgs {
    /// Files or folders (default: the suite's recordings/, mocks/ and snapshots/).
    paths: Vec<PathBuf>,
    /// The suite folder: its reprise.toml (`[privacy]`), redactions.json and key.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// Show what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// A file's text before and after.
pub(crate) struct Rewrite {
    pub label: String,
    pub path: PathBuf,
    pub format: Format,
    pub before: String,
    pub after: String,
}

/// Redacts texts in memory: returns the plan (for its ledger) and what is still found in
/// the rewritten texts (nothing, unless a value hides in an encoding the plan does not know).
pub(crate) fn redact_texts(
    suite: &std::path::Path,
    texts: &mut [Rewrite],
    config: &crate::config::Config,
    ledger: &privacy::Ledger,
) -> Result<(Plan, Vec<privacy::Finding>, privacy::Ledger), Failure> {
    let scanner = Scanner::new(&config.privacy, ledger).map_err(privacy_failure)?;
    let findings: Vec<privacy::Finding> = texts
        .iter()
        .flat_map(|t| scanner.scan_text(&t.label, t.format, &t.before))
        .collect();
    let ps = Pseudonymizer::for_suite(suite).map_err(|e| Failure {
        message: format!(
            "cannot read or create the redaction key `{}`: {e}",
            suite.join(privacy::pseudonym::KEY_FILE).display()
        ),
        hint: Some(format!(
            "set `{}` to a secret shared by the team",
            privacy::pseudonym::KEY_ENV
        )),
        code: exit::INFRASTRUCTURE,
    })?;
    let plan = Plan::new(&findings, &ps, &scanner.detector);
    for t in texts.iter_mut() {
        t.after = plan.apply(&t.before);
    }
    let mut merged = ledger.clone();
    merged.merge(plan.ledger.clone());
    let check = Scanner::new(&config.privacy, &merged).map_err(privacy_failure)?;
    let left = texts
        .iter()
        .flat_map(|t| check.scan_text(&t.label, t.format, &t.after))
        .collect();
    Ok((plan, left, merged))
}

pub fn run(args: RedactArgs) -> Result<i32, Failure> {
    let (config, ledger) = load(&args.suite)?;
    let files = privacy::collect_files(&args.suite, &args.paths).map_err(privacy_failure)?;
    let mut texts = Vec::new();
    for f in files {
        let before = privacy::read_text(&f.path).map_err(privacy_failure)?;
        texts.push(Rewrite {
            label: f.label,
            path: f.path,
            format: f.format,
            before,
            after: String::new(),
        });
    }
    let (plan, left, merged) = redact_texts(&args.suite, &mut texts, &config, &ledger)?;
    let changed: Vec<&Rewrite> = texts.iter().filter(|t| t.before != t.after).collect();
    if !args.dry_run && !plan.ledger.is_empty() {
        merged.write(&args.suite).map_err(privacy_failure)?;
    }
    for t in &changed {
        if !args.dry_run {
            crate::fsutil::write_atomic(&t.path, t.after.as_bytes()).map_err(|e| Failure {
                message: format!("cannot write `{}`: {e}", t.path.display()),
                hint: None,
                code: exit::INFRASTRUCTURE,
            })?;
        }
        println!(
            "{} {}",
            if args.dry_run {
                "would redact"
            } else {
                "redacted"
            },
            t.label
        );
    }
    for t in &changed {
        if let Some(stem) = t.label.strip_suffix(".dom") {
            let png = t.path.with_extension("png");
            if png.exists() {
                println!("  note: `{stem}.png` may show what was redacted in its DOM: mask it with `[privacy] selectors` and re-capture (`reprise run -u`)");
            }
        }
    }
    let n = plan.ledger.len();
    if n > 0 {
        println!(
            "{n} value{} replaced by pseudonyms; mapping report: {}",
            if n == 1 { "" } else { "s" },
            args.suite.join(privacy::LEDGER_FILE).display()
        );
    } else {
        println!("nothing to redact");
    }
    if !left.is_empty() {
        for f in &left {
            eprintln!("{}: {}: {} `{}`", f.file, f.place, f.kind, f.preview);
        }
        return Err(Failure {
            message: format!(
                "{} finding{} could not be redacted",
                left.len(),
                if left.len() == 1 { "" } else { "s" }
            ),
            hint: Some(
                "edit them by hand, or allowlist them in `[privacy] allow` if they are test data"
                    .into(),
            ),
            code: exit::REGRESSION,
        });
    }
    Ok(exit::PASSED)
}
