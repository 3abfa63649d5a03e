//! `reprise check`: lints a suite without a browser, so CI can refuse a broken suite before
//! spending minutes replaying it: the configuration (keys, ranges, regexes, selectors), every
//! recording and HAR, the CSS selectors of the recorded steps, and mocks or baselines that
//! belong to no recording. Exits 2 on any problem.

use super::{exit, Failure};
use crate::config::Config;
use crate::config::{selector, validate::excerpt};
use crate::recording::SelectorPart;
use crate::suite::{self, MOCKS_DIR, SNAPSHOTS_DIR};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The suite folder.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
}

/// Every problem of the suite, one line each (`where: what`); empty when it is sound.
pub fn problems(dir: &std::path::Path) -> Result<(usize, Vec<String>), Failure> {
    let mut out = Vec::new();
    if let Err(e) = Config::load(dir) {
        out.push(e.to_string());
    }
    let specs = suite::discover(dir, &[])
        .map_err(|e| Failure::usage(e.to_string(), e.hint().as_deref()))?;
    let rel = |p: &std::path::Path| p.strip_prefix(dir).unwrap_or(p).display().to_string();
    for spec in &specs {
        match crate::recording::load_recording(&spec.recording) {
            Err(e) => out.push(format!("{}: {e}", rel(&spec.recording))),
            Ok(rec) => {
                for (i, step) in rec.steps.iter().enumerate() {
                    for sel in step.kind.selectors() {
                        for part in &sel.chain {
                            let (SelectorPart::Css(css) | SelectorPart::Pierce(css)) = part else {
                                continue;
                            };
                            if let Err(why) = selector::check(css) {
                                out.push(format!(
                                    "{}: step {}: selector {} is not valid CSS: {why}",
                                    rel(&spec.recording),
                                    i + 1,
                                    excerpt(css)
                                ));
                            }
                        }
                    }
                }
            }
        }
        if let Some(har) = &spec.mocks {
            if let Err(e) = crate::mock::load_har(har) {
                out.push(format!("{}: {e}", rel(har)));
            }
        }
    }
    let known = |stem: &str| specs.iter().any(|s| s.id == stem);
    let mocks = dir.join(MOCKS_DIR);
    for entry in std::fs::read_dir(&mocks).into_iter().flatten().flatten() {
        let path = entry.path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if path.extension().and_then(|e| e.to_str()) == Some("har") && !known(stem) {
            out.push(format!(
                "{}: no recording `recordings/{stem}.json` uses it (renamed or removed?)",
                rel(&path)
            ));
        }
    }
    let snapshots = dir.join(SNAPSHOTS_DIR);
    for entry in std::fs::read_dir(&snapshots)
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && !known(&name) {
            out.push(format!(
                "{}: baselines of no recording (`recordings/{name}.json` is missing)",
                rel(&path)
            ));
        }
    }
    Ok((specs.len(), out))
}

pub fn run(args: CheckArgs) -> Result<i32, Failure> {
    let (sessions, problems) = problems(&args.suite)?;
    if problems.is_empty() {
        println!(
            "ok: {sessions} session(s); configuration, recordings, mocks and selectors are sound"
        );
        return Ok(exit::PASSED);
    }
    for p in &problems {
        println!("problem: {p}");
    }
    Err(Failure::usage(
        format!(
            "{} problem(s) in the suite `{}`",
            problems.len(),
            args.suite.display()
        ),
        Some("fix each line above; `reprise check` exits 0 once the suite is sound"),
    ))
}
