//! The command line: parses arguments, resolves the suite and the build under test, runs, and
//! maps the outcome to the documented exit status. Only `main` exits.

mod affected;
mod app_command;
mod check;
mod collect;
mod curate;
mod diff_images;
mod import;
mod list;
mod queue;
mod record;
mod redact;
mod repeat;

/// The most replays `run --repeat` makes of a suite: 20 is the determinism suite's figure; a
/// thousand replays of a suite is a day, not a check.
const MAX_REPEAT: u64 = 1000;
mod review;
mod scan;
mod serve;
mod sessions;
mod signals;

use crate::browser::intercept::AppSource;
use crate::config::Config;
use crate::model::{ErrorKind, RunReport, SessionStatus};
use crate::report::terminal::TerminalReporter;
use crate::runner::{self, RunError, RunOptions};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Exit statuses (README, "Exit status"): 0 every session passed, 1 a regression, 2 usage,
/// config or recording error, 3 infrastructure failure.
pub mod exit {
    pub const PASSED: i32 = 0;
    pub const REGRESSION: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const INFRASTRUCTURE: i32 = 3;
    /// Interrupted by Ctrl-C (the shell convention, 128 + SIGINT); SIGTERM and SIGHUP exit
    /// with 128 + their number too (143, 129).
    pub const INTERRUPTED: i32 = 130;
}

/// A run ended by a signal (SIGINT, SIGTERM, SIGHUP), with the signal's number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interrupted(pub i32);

impl Interrupted {
    /// The shell's convention: 128 + the signal's number.
    pub(crate) fn exit_code(self) -> i32 {
        128 + self.0
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "reprise",
    version,
    about = "Replay recorded user sessions of a web app in a real browser, with the backend answered from captured payloads, and gate CI on what changed."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Replay the suite in the current folder (or --suite) and compare with the baselines.
    Run(RunArgs),
    /// List the sessions of the suite: steps, tags, checkpoints, mocks, baselines, last run.
    List(list::ListArgs),
    /// Lint the suite without replaying it: configuration, recordings, mocks, selectors.
    /// Exits 2 on any problem.
    Check(check::CheckArgs),
    /// Import recordings and captures from other tools into this suite.
    Import(import::ImportArgs),
    /// Compare two PNG images as the runner does; exit 0 when they match, 1 when they differ.
    DiffImages(diff_images::DiffImagesArgs),
    /// Merge the JSON reports of shards (`run --shard I/N`) into one, and render its reports.
    MergeReports(MergeArgs),
    /// Record a new session in a real browser: its steps and its backend exchanges.
    Record(record::RecordArgs),
    /// Find personal data in recordings, HARs and snapshots.
    Scan(scan::ScanArgs),
    /// Replace personal data with consistent pseudonyms.
    Redact(redact::RedactArgs),
    /// Replay one session in a visible browser, pausing at a step (or the end) with the
    /// browser open and the mocks live, until Enter.
    Open(OpenArgs),
    /// Review pending snapshots: interactively in a terminal, or in the browser with --serve.
    Review(review::ReviewArgs),
    /// Choose, from a pool of captured sessions, the few that cover the most within a
    /// budget; with --apply, bring them into the suite.
    Curate(curate::CurateArgs),
    /// Make pending snapshots the baselines.
    Accept(review::BulkArgs),
    /// Discard pending snapshots; the baselines stay as they are.
    Reject(review::BulkArgs),
    /// Run the collector the capture snippet posts sessions to (docs/capture.md).
    Collect(collect::CollectArgs),
    /// Captured sessions in the store: list, show, search, export into the suite, delete.
    Sessions(sessions::SessionsArgs),
}

#[derive(clap::Args, Debug)]
struct OpenArgs {
    /// The session to open.
    session: String,
    /// Pause after this step (1-based); default: at the end.
    #[arg(long, value_name = "STEP")]
    until: Option<usize>,
    /// Wait this many milliseconds before each step.
    #[arg(long, value_name = "MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    slow_mo: u64,
    /// Replay without a window (for scripts and machines without a display).
    #[arg(long)]
    headless: bool,
    /// The suite folder.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// Serve the build under test from this folder.
    #[arg(long, conflicts_with = "app_url")]
    app_dir: Option<PathBuf>,
    /// Take the app's assets from this running server.
    #[arg(long)]
    app_url: Option<String>,
}

/// `reprise open`: a watched replay of one session.
async fn open(args: OpenArgs) -> Result<i32, Failure> {
    let specs = crate::suite::discover(&args.suite, &[])
        .map_err(|e| Failure::usage(e.to_string(), e.hint().as_deref()))?;
    if !specs.iter().any(|s| s.id == args.session) {
        let names: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
        return Err(Failure::usage(
            format!(
                "no session `{}` in `{}`",
                args.session,
                args.suite.display()
            ),
            Some(&format!("sessions: {}", names.join(", "))),
        ));
    }
    /// Parses `run`'s defaults, so `open` stays in step with them.
    #[derive(Parser)]
    struct Defaults {
        #[command(flatten)]
        run: RunArgs,
    }
    let run = RunArgs {
        filters: vec![format!("={}", args.session)],
        suite: args.suite,
        app_dir: args.app_dir,
        app_url: args.app_url,
        headed: !args.headless,
        until: Some(args.until.unwrap_or(usize::MAX)),
        slow_mo: args.slow_mo,
        jobs: Some(1),
        ..Defaults::parse_from(["reprise"]).run
    };
    self::run(run).await
}

#[derive(clap::Args, Debug)]
struct MergeArgs {
    /// JSON reports of the shards.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write a report of the merged run: `json=PATH`, `junit=PATH`, `html=DIR` or
    /// `html-inline=FILE`.
    #[arg(long = "report", value_name = "KIND=PATH")]
    reports: Vec<String>,
    /// The suite folder the reports' paths are relative to (captures gathered from the shards).
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Replay only sessions whose name equals or contains one of these.
    filters: Vec<String>,
    /// The suite folder (holding reprise.toml, recordings/, mocks/, snapshots/).
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// Serve the build under test from this folder at the recorded app origin.
    #[arg(long, conflicts_with = "app_url")]
    app_dir: Option<PathBuf>,
    /// Take the app's assets from this running server.
    #[arg(long)]
    app_url: Option<String>,
    /// Sessions replayed at once (default: the number of cores, fewer when the suite is
    /// too short to pay for another browser).
    #[arg(long, short = 'j', value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=crate::config::validate::MAX_JOBS))]
    jobs: Option<usize>,
    /// Replay only shard I of N (e.g. `2/4`): a deterministic split, even by recorded steps.
    #[arg(long, value_name = "I/N")]
    shard: Option<runner::shard::Shard>,
    /// Times an infrastructure failure (browser or driver) is retried.
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<u32>::new().range(0..=crate::config::validate::MAX_RETRIES))]
    retries: u32,
    /// A remote WebDriver endpoint (Selenium Grid) instead of a local chromedriver.
    #[arg(long)]
    webdriver: Option<String>,
    /// Write missing and differing snapshots as the new baselines.
    #[arg(long, short = 'u')]
    update_snapshots: bool,
    /// Show the browser window.
    #[arg(long)]
    headed: bool,
    /// Write a report: `json=PATH`, `junit=PATH`, `html=DIR` (index.html and img/) or
    /// `html-inline=FILE` (one self-contained file); repeatable.
    #[arg(long = "report", value_name = "KIND=PATH")]
    reports: Vec<String>,
    /// Where this run's captures and diff images go (default: .reprise/out in the suite).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Remove baselines no checkpoint uses any more.
    #[arg(long)]
    prune: bool,
    /// Pause after this step (1-based) with the browser open, until Enter; sessions run
    /// one at a time.
    #[arg(long, value_name = "STEP")]
    until: Option<usize>,
    /// Wait this many milliseconds before each step, to watch a replay (at most a minute).
    #[arg(long, value_name = "MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    slow_mo: u64,
    /// Measure determinism: replay K times against the same build and report, per
    /// checkpoint, whether the DOM and the screenshot were identical in every run.
    /// K is 1 to 1000 (0 would replay once and pass without measuring anything).
    #[arg(long, value_name = "K", default_value_t = 1, conflicts_with_all = ["update_snapshots", "prune"],
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_REPEAT))]
    repeat: usize,
    /// Replay only the sessions whose stored coverage touches a file changed since REF
    /// (`git diff REF...HEAD` and the working tree), plus those tagged `always`.
    #[arg(long, value_name = "REF", conflicts_with_all = ["affected", "filters"])]
    affected_by: Option<String>,
    /// Replay only the sessions whose stored coverage touches one of these files.
    #[arg(long, value_name = "FILE", num_args = 1.., value_delimiter = ',', conflicts_with = "filters")]
    affected: Vec<PathBuf>,
    /// With --affected-by/--affected: when no session is affected, pass instead of failing.
    #[arg(long)]
    allow_empty: bool,
}

/// Where a run keeps its captures and report, relative to the suite.
pub const LAST_RUN_DIR: &str = ".reprise/out";
/// The last run's JSON report inside [`LAST_RUN_DIR`].
pub use crate::runner::LAST_REPORT;

/// A user-facing error: message, optional hint, exit status.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
    pub(crate) code: i32,
}

impl Failure {
    pub(crate) fn usage(message: String, hint: Option<&str>) -> Self {
        Self {
            message,
            hint: hint.map(str::to_string),
            code: exit::USAGE,
        }
    }
}

/// Runs the CLI; returns the process exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    // Commands that never touch the network or a browser run without the async runtime:
    // `diff-images` is timed as a whole process against odiff, and a runtime's worker
    // threads cost more than its comparison of two identical screenshots.
    let result = match cli.command {
        Command::List(args) => list::run(args),
        Command::Check(args) => check::run(args),
        Command::Import(args) => import::run(args),
        Command::DiffImages(args) => diff_images::run(args),
        Command::MergeReports(args) => merge_reports(args),
        Command::Scan(args) => scan::run(args),
        Command::Redact(args) => redact::run(args),
        Command::Accept(args) => review::bulk(args, crate::baseline::Action::Accept),
        Command::Reject(args) => review::bulk(args, crate::baseline::Action::Reject),
        // Both run the sync store outside any runtime (its PostgreSQL client runs its own);
        // `collect` starts the server's runtime after opening the store.
        Command::Collect(args) => collect::run(args),
        Command::Sessions(args) => sessions::run(args),
        command => {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return exit::INFRASTRUCTURE;
                }
            };
            rt.block_on(async {
                match command {
                    Command::Run(args) => run(args).await,
                    Command::Record(args) => record::run(args).await,
                    Command::Open(args) => open(args).await,
                    Command::Review(args) => review::review(args).await,
                    Command::Curate(args) => curate::run(args).await,
                    Command::List(_)
                    | Command::Check(_)
                    | Command::Import(_)
                    | Command::DiffImages(_)
                    | Command::MergeReports(_)
                    | Command::Scan(_)
                    | Command::Redact(_)
                    | Command::Accept(_)
                    | Command::Reject(_)
                    | Command::Collect(_)
                    | Command::Sessions(_) => unreachable!("dispatched above"),
                }
            })
        }
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            // values echoed whole by a library's message are cut here
            eprintln!("error: {}", crate::excerpt::message(&f.message));
            if let Some(h) = f.hint {
                eprintln!("\nhint: {h}");
            }
            f.code
        }
    }
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn parse_reports(specs: &[String]) -> Result<Vec<(String, PathBuf)>, Failure> {
    specs
        .iter()
        .map(|s| match s.split_once('=') {
            Some(("html", path)) if html_file_name(path) => {
                // Before the folder form, `html=report.html` was a common way to ask for one
                // file: it still gets one (never a folder where a file was expected, nor a
                // lost report), with a notice.
                eprintln!(
                    "warning: `--report html={path}` names a file: writing the single-file report; \
                     use `--report html-inline={path}` for that, or `--report html=DIR` for a \
                     folder with the images beside index.html"
                );
                Ok(("html-inline".to_string(), PathBuf::from(path)))
            }
            Some((kind @ ("json" | "junit" | "html" | "html-inline"), path))
                if !path.is_empty() =>
            {
                Ok((kind.to_string(), PathBuf::from(path)))
            }
            _ => Err(Failure::usage(
                format!("invalid `--report {s}`"),
                Some(
                    "use `--report json=PATH`, `--report junit=PATH`, `--report html=DIR` or \
                     `--report html-inline=FILE`",
                ),
            )),
        })
        .collect()
}

/// Whether an `html=` value names a file (ends in `.html` or `.htm`) rather than a folder. An
/// existing folder of that name (an older reprise's `html=report.html`) stays a folder.
fn html_file_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    (lower.ends_with(".html") || lower.ends_with(".htm")) && !std::path::Path::new(path).is_dir()
}

async fn run(args: RunArgs) -> Result<i32, Failure> {
    let reports = parse_reports(&args.reports)?;
    let suite = args.suite.clone();
    let config = Config::load(&suite).map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("see the `reprise.toml` section of the README for the keys"),
        )
    })?;
    let (app, _server) = resolve_app(&args, &config, &suite).await?;
    let mut filters = args.filters.clone();
    if args.affected_by.is_some() || !args.affected.is_empty() {
        match affected::filters(&args, &suite, &app)? {
            Some(f) => filters.extend(f),
            None => return Ok(exit::PASSED),
        }
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let display = |v: &str| std::env::var_os(v).is_some_and(|d| !d.is_empty());
    if args.headed && !display("DISPLAY") && !display("WAYLAND_DISPLAY") {
        return Err(Failure::usage(
            "there is no display to show the browser on (`DISPLAY` is not set)".into(),
            Some("run it under Xvfb (`xvfb-run -a reprise …`), or replay without a window: `reprise open --headless`, or `reprise run` without `--headed`"),
        ));
    }
    let opts = RunOptions {
        suite_dir: suite.clone(),
        filters,
        app,
        config,
        update_snapshots: args.update_snapshots,
        ci: is_ci(),
        jobs,
        jobs_auto: args.jobs.is_none(),
        retries: args.retries,
        headed: args.headed,
        webdriver: args.webdriver.clone(),
        out_dir: args.out.clone().unwrap_or_else(|| suite.join(LAST_RUN_DIR)),
        prune: args.prune,
        shard: args.shard,
        keep_captures: false,
        watch: None,
        coverage: false,
    };
    if args.until.is_some() || args.slow_mo > 0 {
        return watch(opts, args.until, args.slow_mo).await;
    }
    if args.repeat > 1 {
        return repeat::repeat(opts, args.repeat).await;
    }
    let report = match replay(opts.clone(), true).await? {
        Ok(r) => r,
        Err(i) => return Ok(i.exit_code()),
    };
    if let (true, Some(s)) = (report.sessions.is_empty(), args.shard) {
        // Not an error: shards outnumber the sessions, and another shard replays them.
        println!(
            "note: shard {}/{} holds none of the selected sessions: nothing replayed here",
            s.index, s.count
        );
    }
    // The last run's report stays beside its captures for `reprise review`; one that cannot
    // be written is a failed run (exit 3), after the requested reports had their chance.
    let last = opts.out_dir.join(LAST_REPORT);
    let kept = crate::report::json::write(&report, &last);
    write_reports(&report, &reports, &opts.suite_dir)?;
    kept.map_err(|e| Failure {
        message: format!("cannot write the run's report `{}`: {e}", last.display()),
        hint: Some("free space or choose another folder with `--out DIR`".into()),
        code: exit::INFRASTRUCTURE,
    })?;
    Ok(exit_status(&report))
}

/// One replay of the suite with terminal output (per session when `verbose`, else only the
/// summary); `Err(Interrupted)` when a signal ended it.
pub(crate) async fn replay(
    opts: RunOptions,
    verbose: bool,
) -> Result<Result<RunReport, Interrupted>, Failure> {
    let watching = opts.watch.is_some();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        let mut reporter = TerminalReporter::stdout();
        reporter.steps = watching;
        while let Some(ev) = rx.recv().await {
            if verbose {
                reporter.on_event(&ev);
            }
        }
        reporter
    });
    // A signal drops the run: its chromedriver process group (and the browsers in it) is
    // killed on drop, so an interrupted run leaves no Chromium behind.
    let result = tokio::select! {
        r = runner::run(opts, tx) => r,
        sig = signals::terminated() => {
            crate::browser::hygiene::stop_all();
            eprintln!("interrupted by {}: browsers stopped, nothing written", signals::name(sig));
            return Ok(Err(Interrupted(sig)));
        }
    };
    let mut reporter = printer.await.unwrap_or_else(|_| TerminalReporter::stdout());
    let report = result.map_err(|e| match &e {
        RunError::Suite(s) => Failure::usage(s.to_string(), s.hint().as_deref()),
        RunError::Driver(d) => Failure {
            message: d.to_string(),
            hint: d.hint(),
            code: exit::INFRASTRUCTURE,
        },
        RunError::Output(..) => Failure::usage(e.to_string(), None),
    })?;
    reporter.summary(&report);
    print_profile(report.duration_ms);
    Ok(Ok(report))
}

/// `REPRISE_PROFILE=1`: the run's time by phase, to stderr (docs/performance.md). Sessions
/// running side by side add up, so phases may sum to more than the wall time.
fn print_profile(wall_ms: u64) {
    if std::env::var_os("REPRISE_PROFILE").is_none_or(|v| v.is_empty() || v == "0") {
        return;
    }
    eprintln!(
        "profile: wall {:.3} s; phase totals over all sessions:",
        wall_ms as f64 / 1000.0
    );
    for (name, count, took) in crate::profile::totals() {
        eprintln!(
            "  {name:<26} {:>8.3} s  {count:>6}x  {:>8.1} ms each",
            took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / count as f64
        );
    }
}

/// A watched replay (`open`, `run --until`/`--slow-mo`): one session at a time, a line per
/// step, a pause with the browser open, resumed by Enter; nothing is written under
/// snapshots/.
async fn watch(mut opts: RunOptions, until: Option<usize>, slow_mo: u64) -> Result<i32, Failure> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // Stdin is read on a thread of its own: it blocks, and a closed stdin resumes for good.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut line = String::new();
        loop {
            line.clear();
            let done = matches!(
                std::io::BufRead::read_line(&mut stdin.lock(), &mut line),
                Ok(0) | Err(_)
            );
            if tx.send(()).is_err() {
                return;
            }
            if done {
                // Keep resuming every later pause too.
                while tx.send(()).is_ok() {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                return;
            }
        }
    });
    if let Some(n) = until {
        // A pause no session reaches is a typo: the replay would run through and pass.
        let longest = crate::suite::discover(&opts.suite_dir, &opts.filters)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| crate::recording::load_recording(&s.recording).ok())
            .map(|r| r.steps.len())
            .max();
        // (`usize::MAX` is `open`'s "at the end")
        if let Some(longest) = longest.filter(|&l| n == 0 || (n > l && n != usize::MAX)) {
            return Err(Failure::usage(
                format!("--until {n}: no session has a step {n}"),
                Some(&format!(
                    "give a step from 1 to {longest} (the longest session's last); `reprise list` shows each session's steps"
                )),
            ));
        }
    }
    opts.jobs = 1;
    opts.ci = true;
    opts.update_snapshots = false;
    opts.watch = Some(runner::Watch {
        until: until.unwrap_or(usize::MAX),
        slow_mo: std::time::Duration::from_millis(slow_mo),
        resume: std::sync::Arc::new(tokio::sync::Mutex::new(rx)),
    });
    let report = match replay(opts.clone(), true).await? {
        Ok(r) => r,
        Err(i) => return Ok(i.exit_code()),
    };
    Ok(exit_status(&report))
}

/// Writes the requested report files, and GitHub's annotations when running there.
fn write_reports(
    report: &RunReport,
    reports: &[(String, PathBuf)],
    suite: &std::path::Path,
) -> Result<(), Failure> {
    for (kind, path) in reports {
        let written = match kind.as_str() {
            "json" => crate::report::json::write(report, path),
            "junit" => crate::report::junit::write_rooted(report, path, suite),
            "html-inline" => crate::report::html::write_inline(report, suite, path),
            _ => crate::report::html::write(report, suite, path).map(|_| ()),
        };
        written.map_err(|e| Failure {
            message: format!("cannot write the {kind} report `{}`: {e}", path.display()),
            hint: None,
            code: exit::INFRASTRUCTURE,
        })?;
    }
    if let Err(e) = crate::report::github::emit(report) {
        eprintln!("warning: cannot write the GitHub step summary: {e}");
    }
    Ok(())
}

/// `reprise merge-reports`: the JSON reports of shards as one run.
fn merge_reports(args: MergeArgs) -> Result<i32, Failure> {
    let reports = parse_reports(&args.reports)?;
    let mut parts = Vec::new();
    for f in &args.files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", f.display()), None))?;
        let r: RunReport = serde_json::from_str(&text).map_err(|e| {
            Failure::usage(
                format!("`{}` is not a reprise JSON report: {e}", f.display()),
                Some("pass the files written by `reprise run --report json=PATH`"),
            )
        })?;
        if !(crate::model::REPORT_FORMAT_OLDEST..=crate::model::REPORT_FORMAT_VERSION)
            .contains(&r.format_version)
        {
            return Err(Failure::usage(
                format!(
                    "`{}` has report format v{}; this reprise reads v{} to v{}",
                    f.display(),
                    r.format_version,
                    crate::model::REPORT_FORMAT_OLDEST,
                    crate::model::REPORT_FORMAT_VERSION
                ),
                None,
            ));
        }
        parts.push(r);
    }
    let merged = crate::report::merge(parts);
    let mut terminal = TerminalReporter::stdout();
    for s in &merged.sessions {
        terminal.on_event(&crate::model::Event::SessionFinished(Box::new(s.clone())));
    }
    terminal.summary(&merged);
    write_reports(&merged, &reports, &args.suite)?;
    let regressed = merged.verdict != crate::model::Verdict::Passed;
    Ok(exit_code(&merged, regressed))
}

/// Infrastructure failures outrank input errors, which outrank regressions: each asks for a
/// different person to act. The runner judged each session by its own settings when it
/// set the verdict.
pub fn exit_status(report: &RunReport) -> i32 {
    exit_code(report, report.verdict == crate::model::Verdict::Regressed)
}

/// The exit status of a report whose regression verdict is known.
fn exit_code(report: &RunReport, regressed: bool) -> i32 {
    let kinds: Vec<ErrorKind> = report
        .sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Error)
        .filter_map(|s| s.error_kind)
        .collect();
    if kinds.contains(&ErrorKind::Infrastructure) {
        exit::INFRASTRUCTURE
    } else if kinds.contains(&ErrorKind::Input) {
        exit::USAGE
    } else if regressed {
        exit::REGRESSION
    } else {
        exit::PASSED
    }
}

async fn resolve_app(
    args: &RunArgs,
    config: &Config,
    suite: &std::path::Path,
) -> Result<(AppSource, Option<app_command::AppServer>), Failure> {
    let dir_err = |d: &std::path::Path| {
        Failure::usage(
            format!("the app folder `{}` does not exist", d.display()),
            Some("point `--app-dir` (or `[app] dir` in reprise.toml) at the folder holding the built app"),
        )
    };
    if let Some(d) = &args.app_dir {
        return if d.is_dir() {
            Ok((AppSource::Dir(d.clone()), None))
        } else {
            Err(dir_err(d))
        };
    }
    let url = args.app_url.clone().or_else(|| config.app.url.clone());
    if let Some(u) = url {
        let parsed = url::Url::parse(&u).map_err(|e| {
            Failure::usage(
                format!("invalid app URL `{u}`: {e}"),
                Some("give a full URL such as `http://127.0.0.1:4173`"),
            )
        })?;
        let server = match (&config.app.command, args.app_url.is_none()) {
            (Some(cmd), true) => Some(
                app_command::AppServer::start(cmd, suite, &parsed)
                    .await
                    .map_err(|m| Failure {
                        message: m,
                        hint: Some("check `[app] command` in reprise.toml".into()),
                        code: exit::INFRASTRUCTURE,
                    })?,
            ),
            _ => None,
        };
        return Ok((AppSource::Url(parsed), server));
    }
    if let Some(d) = &config.app.dir {
        let d = suite.join(d);
        return if d.is_dir() {
            Ok((AppSource::Dir(d), None))
        } else {
            Err(dir_err(&d))
        };
    }
    Err(Failure::usage(
        "no build under test: reprise does not know where the app is".into(),
        Some("pass `--app-dir DIR` or `--app-url URL`, or set `[app] dir = \"…\"` in reprise.toml"),
    ))
}
