//! Scheduling sessions and turning their replays into a run report. The runner never
//! prints: it emits [`Event`]s that reporters consume.

mod checkpoint;
mod divergence;
mod flake;
mod pool;
mod session;
pub mod shard;

use crate::browser::driver::{self, Chromedriver, DriverError};
use crate::browser::intercept::AppSource;
use crate::config::{Config, SessionSettings};
use crate::model::{
    ErrorKind, Event, RunReport, SessionReport, SessionStatus, Summary, Verdict,
    REPORT_FORMAT_VERSION,
};
use crate::suite::{self, SessionSpec, SuiteError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// Everything a run needs, resolved from the CLI and `reprise.toml`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub suite_dir: PathBuf,
    pub filters: Vec<String>,
    pub app: AppSource,
    pub config: Config,
    pub update_snapshots: bool,
    /// In CI nothing is written under `snapshots/` unless asked, and a missing baseline fails.
    pub ci: bool,
    pub jobs: usize,
    /// `jobs` is the default (`--jobs` not given): a suite too short to pay for another
    /// browser runs on fewer (see [`shard::workers_worth`]).
    pub jobs_auto: bool,
    pub retries: u32,
    pub headed: bool,
    /// A remote WebDriver endpoint instead of a local chromedriver.
    pub webdriver: Option<String>,
    /// Where captures and diff images of this run go.
    pub out_dir: PathBuf,
    /// Remove baselines no checkpoint uses any more.
    pub prune: bool,
    /// Replay only this part of the suite.
    pub shard: Option<shard::Shard>,
    /// Write every checkpoint's capture to the output folder, matching or not.
    pub keep_captures: bool,
    /// Watching a replay: pause after a step, slow it down, print each step.
    pub watch: Option<Watch>,
    /// Measure what each replay runs (JS block coverage, CSS rule usage) into its report.
    pub coverage: bool,
}

/// How a person watches a replay (`reprise open`, `run --until`).
#[derive(Debug, Clone)]
pub struct Watch {
    /// Pause after this 1-based step (`usize::MAX`: at the end, before the browser closes).
    pub until: usize,
    /// Wait this long before each step.
    pub slow_mo: std::time::Duration,
    /// Each value received resumes a paused replay (the CLI sends one per Enter).
    pub resume: std::sync::Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<()>>>,
}

/// What every session of a run shares: the options, the driver, the event channel and the
/// browser pool. It lives here, above the per-session modules, so `session`, `checkpoint` and
/// `flake` all read it without importing each other for it.
struct Context {
    opts: RunOptions,
    events: mpsc::UnboundedSender<Event>,
    pool: pool::Pool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error(transparent)]
    Driver(#[from] DriverError),
    #[error("cannot prepare the output folder `{}`: {}", .0.display(), .1)]
    Output(PathBuf, std::io::Error),
}

pub async fn run(
    opts: RunOptions,
    events: mpsc::UnboundedSender<Event>,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let mut specs = suite::discover_for_run(&opts.suite_dir, &opts.filters)?;
    if let Some(s) = opts.shard {
        specs = shard::select(specs, s, shard::weight);
    }
    // read before the output folder is cleared: the last run's durations order this one
    let previous = shard::previous_durations(&opts.out_dir.join(LAST_REPORT));
    prepare_out_dir(&opts.out_dir)?;
    let mut jobs = opts.jobs.max(1).min(specs.len().max(1));
    if opts.jobs_auto {
        let work = specs.iter().map(|s| shard::expected_ms(s, &previous)).sum();
        jobs = jobs.min(shard::workers_worth(work));
    }
    let _ = events.send(Event::RunStarted {
        sessions: specs.len(),
        jobs,
    });
    let mut reports = Vec::new();
    if !specs.is_empty() {
        // A remote WebDriver endpoint brings its own browser unless one is named.
        let chromium = match &opts.webdriver {
            None => Some(driver::find_chromium(!opts.headed)?),
            Some(_) => std::env::var_os("REPRISE_CHROMIUM").map(PathBuf::from),
        };
        // A local chromedriver lives as long as the run (the pool replaces it if it dies);
        // dropping it kills its process group.
        let endpoint = match &opts.webdriver {
            Some(url) => Err(url.clone()),
            None => Ok(Chromedriver::start().await?),
        };
        let pool = pool::Pool::new(endpoint, chromium, opts.headed, !opts.coverage);
        let ctx = Arc::new(Context {
            opts: opts.clone(),
            events: events.clone(),
            pool,
        });
        // `jobs` workers take sessions longest first, so no long session starts last and
        // leaves the other workers idle at the end of the run.
        let order = shard::longest_first(&specs, |s| shard::expected_ms(s, &previous));
        let queue = Arc::new(std::sync::Mutex::new(
            order
                .into_iter()
                .collect::<std::collections::VecDeque<usize>>(),
        ));
        let specs = Arc::new(specs);
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..jobs {
            let (ctx, queue, specs) = (ctx.clone(), queue.clone(), specs.clone());
            workers.spawn(async move {
                let mut done = Vec::new();
                loop {
                    let next = {
                        let mut queue = queue.lock().unwrap_or_else(|p| p.into_inner());
                        let next = queue.pop_front();
                        ctx.pool.set_queued(queue.len());
                        next
                    };
                    let Some(i) = next else {
                        return done;
                    };
                    let spec = specs[i].clone();
                    let _ = ctx.events.send(Event::SessionStarted {
                        id: spec.id.clone(),
                    });
                    // its own task, so a panic costs this session only
                    let task = tokio::spawn({
                        let (ctx, spec) = (ctx.clone(), spec.clone());
                        async move { replay_with_retries(&ctx, &spec).await }
                    });
                    let (report, regression, written) = task.await.unwrap_or_else(|e| {
                        let report = SessionReport::error(
                            &spec.id,
                            "",
                            ErrorKind::Infrastructure,
                            format!("session task failed: {e}"),
                        );
                        (report, false, 0)
                    });
                    let _ = ctx
                        .events
                        .send(Event::SessionFinished(Box::new(report.clone())));
                    done.push((i, report, regression, written));
                }
            });
        }
        while let Some(joined) = workers.join_next().await {
            if let Ok(done) = joined {
                reports.extend(done);
            }
        }
        reports.sort_by_key(|(i, _, _, _)| *i);
        ctx.pool.shutdown().await;
    }
    let regressed = reports.iter().any(|(_, _, regression, _)| *regression);
    let stored: usize = reports.iter().map(|(_, _, _, n)| n).sum();
    let sessions: Vec<SessionReport> = reports.into_iter().map(|(_, r, _, _)| r).collect();
    let elapsed = started.elapsed().as_millis() as u64;
    let mut report = finish(sessions, regressed, elapsed, &opts, stored);
    let snapshots = opts.suite_dir.join(suite::SNAPSHOTS_DIR);
    let all_sessions = suite::discover(&opts.suite_dir, &[])?;
    report.unused_baselines = crate::baseline::unused(
        &snapshots,
        &report.sessions,
        &all_sessions,
        opts.filters.is_empty() && opts.shard.is_none(),
    )
    .into_iter()
    .map(|p| {
        p.strip_prefix(&opts.suite_dir)
            .unwrap_or(&p)
            .display()
            .to_string()
    })
    .collect();
    if opts.prune && !report.unused_baselines.is_empty() {
        for rel in &report.unused_baselines {
            let _ = std::fs::remove_file(opts.suite_dir.join(rel));
        }
        report.pruned = true;
    }
    Ok(report)
}

/// The JSON report of a run inside its output folder; the next run reads its durations.
pub const LAST_REPORT: &str = "report.json";

/// Marks a folder as reprise's own output, so clearing it can never delete anything else.
const OUT_MARKER: &str = ".reprise-out";

/// Empties the output folder of the previous run (stale diffs would mislead), but only a
/// folder reprise made: `--out .` must not wipe a suite.
fn prepare_out_dir(dir: &std::path::Path) -> Result<(), RunError> {
    let err = |e: std::io::Error| RunError::Output(dir.to_path_buf(), e);
    if dir.exists() {
        let ours = dir.join(OUT_MARKER).is_file();
        let empty = std::fs::read_dir(dir).map_err(err)?.next().is_none();
        if ours {
            std::fs::remove_dir_all(dir).map_err(err)?;
        } else if !empty {
            return Err(err(std::io::Error::other(
                "it exists and was not made by reprise; give `--out` a new or empty folder",
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(err)?;
    std::fs::write(
        dir.join(OUT_MARKER),
        b"reprise run output; cleared at the start of each run\n",
    )
    .map_err(err)
}

/// Infrastructure failures (the browser would not start, the driver died) are retried; a
/// recording that replays badly is not: retrying would hide a real difference.
/// Returns the session's report, whether it fails the run (judged by its own settings), and
/// how many of its snapshots were written (baselines with `--update-snapshots`, else pending
/// ones).
async fn replay_with_retries(ctx: &Context, spec: &SessionSpec) -> (SessionReport, bool, usize) {
    let prepared = match session::prepare(ctx, spec) {
        Ok(p) => p,
        Err(report) => return (*report, false, 0),
    };
    let mut attempt = 1;
    let mut candidates = Vec::new();
    let mut report = loop {
        let mut report = session::replay(ctx, spec, &prepared, 1, &mut candidates).await;
        report.attempts = attempt;
        let infra = report.error_kind == Some(ErrorKind::Infrastructure);
        if !infra || attempt > ctx.opts.retries {
            break report;
        }
        attempt += 1;
    };
    if report.status == SessionStatus::Changed {
        crate::profile::timed(
            crate::profile::Phase::FlakeReplay,
            flake::check(ctx, spec, &prepared, &mut report, &candidates),
        )
        .await;
    }
    below_floor(&prepared.settings, &mut report);
    // A flaky capture never becomes a baseline, nor a pending one.
    let written = if report.status == SessionStatus::Flaky {
        0
    } else {
        checkpoint::persist(ctx, &mut report, &candidates)
    };
    let regression = is_regression(&report, &prepared.settings, &ctx.opts);
    (report, regression, written)
}

/// A session under its `min_fidelity` says so, with what lowered its score, so a failed run
/// never shows only passing sessions.
fn below_floor(settings: &crate::config::SessionSettings, report: &mut SessionReport) {
    let floor = settings.min_fidelity;
    if report.status == SessionStatus::Error || report.fidelity >= floor {
        return;
    }
    let d = crate::score::Discrepancies::of(
        report.steps_total,
        report.steps_completed,
        report.network.unmatched.len(),
        &report.checkpoints,
    );
    let why = format!(
        "fidelity {:.3} is below `min_fidelity` {floor}: {}",
        report.fidelity,
        d.explain()
    );
    if report.status == SessionStatus::Passed {
        report.status = SessionStatus::Changed;
    }
    report.error = Some(match report.error.take() {
        Some(e) => format!("{why}\n{e}"),
        None => why,
    });
}

/// The run report of finished sessions; `regressed` says whether any of them fails the run,
/// and `stored` counts the snapshots actually written, which the summary reports (as
/// baselines with `--update-snapshots`, else as pending), never the ones merely meant to be.
fn finish(
    sessions: Vec<SessionReport>,
    regressed: bool,
    duration_ms: u64,
    opts: &RunOptions,
    stored: usize,
) -> RunReport {
    let summary = Summary::of(&sessions);
    let (written, pending) = if opts.update_snapshots {
        (stored, 0)
    } else {
        (0, stored)
    };
    let verdict = if summary.error > 0 {
        Verdict::Error
    } else if regressed {
        Verdict::Regressed
    } else {
        Verdict::Passed
    };
    let mut report = RunReport {
        format_version: REPORT_FORMAT_VERSION,
        verdict,
        duration_ms,
        summary,
        sessions,
        snapshots_written: written,
        snapshots_pending: pending,
        unused_baselines: Vec::new(),
        pruned: false,
        groups: Vec::new(),
    };
    report.regroup();
    report
}

/// Whether a session fails the run: changed, broken, a baseline missing in CI, or a
/// fidelity under the floor of its settings.
fn is_regression(s: &SessionReport, settings: &SessionSettings, opts: &RunOptions) -> bool {
    match s.status {
        // With --update-snapshots differing checkpoints became the new baselines; requests
        // that matched nothing still fail.
        SessionStatus::Changed => !(opts.update_snapshots && s.network.unmatched.is_empty()),
        SessionStatus::Broken => true,
        SessionStatus::New => opts.ci && !opts.update_snapshots,
        SessionStatus::Flaky => settings.fail_on_flaky || s.fidelity < settings.min_fidelity,
        SessionStatus::Passed => s.fidelity < settings.min_fidelity,
        SessionStatus::Error => false,
    }
}
