//! `reprise list`: the suite at a glance, for people curating it and for scripts: each
//! session's steps, tags, checkpoints, recorded exchanges, baseline state, and how it fared in
//! the last run.

use super::{exit, Failure, LAST_REPORT, LAST_RUN_DIR};
use crate::model::RunReport;
use crate::suite::{self, SNAPSHOTS_DIR};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// The suite folder.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// `text` (a table) or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

#[derive(Debug, Serialize)]
struct Entry {
    id: String,
    title: String,
    steps: usize,
    tags: Vec<String>,
    /// Checkpoint steps in the recording (navigations and the end add more).
    checkpoint_steps: usize,
    /// Exchanges in the session's HAR (None: no HAR).
    exchanges: Option<usize>,
    baselines: Baselines,
    last_run: Option<LastRun>,
    /// Why the recording or HAR cannot be read.
    problem: Option<String>,
}

#[derive(Debug, Serialize)]
struct Baselines {
    approved: usize,
    pending: usize,
    /// `approved`, `pending` (some waiting for review) or `missing` (none yet).
    state: &'static str,
}

#[derive(Debug, Serialize)]
struct LastRun {
    status: String,
    fidelity: f64,
}

fn baselines(snapshots: &Path, id: &str) -> Baselines {
    let files: Vec<String> = std::fs::read_dir(snapshots.join(id))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let approved = files.iter().filter(|f| f.ends_with(".dom")).count();
    let pending = crate::baseline::pending(snapshots, &[id.to_string()]).len();
    let state = if pending > 0 {
        "pending"
    } else if approved > 0 {
        "approved"
    } else {
        "missing"
    };
    Baselines {
        approved,
        pending,
        state,
    }
}

pub fn run(args: ListArgs) -> Result<i32, Failure> {
    // A broken configuration fails `list` too: it is what CI runs to see the suite is sane.
    crate::config::Config::load(&args.suite).map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("see the `reprise.toml` section of the README for the keys"),
        )
    })?;
    let specs = suite::discover(&args.suite, &[])
        .map_err(|e| Failure::usage(e.to_string(), e.hint().as_deref()))?;
    let last: Option<RunReport> =
        std::fs::read_to_string(args.suite.join(LAST_RUN_DIR).join(LAST_REPORT))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    let snapshots = args.suite.join(SNAPSHOTS_DIR);
    let mut entries = Vec::new();
    for spec in specs {
        let mut problem = None;
        let rec = crate::recording::load_recording(&spec.recording)
            .map_err(|e| problem = Some(e.to_string()))
            .ok();
        let exchanges = spec.mocks.as_ref().map(|h| match crate::mock::load_har(h) {
            Ok(x) => x.len(),
            Err(e) => {
                problem.get_or_insert(e.to_string());
                0
            }
        });
        let last_run = last
            .as_ref()
            .and_then(|r| r.sessions.iter().find(|s| s.id == spec.id))
            .map(|s| LastRun {
                status: s.status.as_str().to_string(),
                fidelity: s.fidelity,
            });
        entries.push(Entry {
            title: rec.as_ref().map(|r| r.title.clone()).unwrap_or_default(),
            steps: rec.as_ref().map_or(0, |r| r.steps.len()),
            tags: rec
                .as_ref()
                .map(|r| r.meta.tags.clone())
                .unwrap_or_default(),
            checkpoint_steps: rec.as_ref().map_or(0, |r| {
                r.steps
                    .iter()
                    .filter(|s| matches!(s.kind, crate::recording::StepKind::Checkpoint { .. }))
                    .count()
            }),
            exchanges,
            baselines: baselines(&snapshots, &spec.id),
            last_run,
            problem,
            id: spec.id,
        });
    }
    if args.format == "json" {
        let text = serde_json::to_string_pretty(&entries).map_err(|e| Failure {
            message: e.to_string(),
            hint: None,
            code: exit::INFRASTRUCTURE,
        })?;
        println!("{text}");
        return Ok(status(&entries));
    }
    println!(
        "{:<24} {:>5} {:>11} {:>4}  {:<22} {:<16} TAGS",
        "SESSION", "STEPS", "CHECKPOINTS", "HAR", "BASELINES", "LAST RUN"
    );
    for e in &entries {
        let har = e.exchanges.map_or("-".to_string(), |n| n.to_string());
        let base = match e.baselines.state {
            "pending" => format!(
                "{} approved, {} pending",
                e.baselines.approved, e.baselines.pending
            ),
            "approved" => format!("{} approved", e.baselines.approved),
            _ => "missing".into(),
        };
        let last = e.last_run.as_ref().map_or("-".to_string(), |l| {
            format!("{} {:.3}", l.status, l.fidelity)
        });
        println!(
            "{:<24} {:>5} {:>11} {:>4}  {:<22} {:<16} {}",
            e.id,
            e.steps,
            e.checkpoint_steps,
            har,
            base,
            last,
            e.tags.join(", ")
        );
        if let Some(p) = &e.problem {
            println!("{:<24} problem: {}", "", p.lines().next().unwrap_or(""));
        }
    }
    let code = status(&entries);
    if code != exit::PASSED {
        eprintln!("error: sessions with problems (above); `reprise check` lists every problem");
    }
    Ok(code)
}

/// Exit 2 when a recording or HAR cannot be read: `list` is a cheap lint in CI.
fn status(entries: &[Entry]) -> i32 {
    if entries.iter().any(|e| e.problem.is_some()) {
        exit::USAGE
    } else {
        exit::PASSED
    }
}
