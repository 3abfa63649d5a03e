//! `reprise curate`: measure what a pool's sessions run, choose the few that cover the most
//! within a budget, and (with `--apply`) bring them into the suite. docs/curation.md.

use super::{exit, Failure};
use crate::browser::coverage::Blocks;
use crate::browser::intercept::AppSource;
use crate::config::Config;
use crate::curate::coverage::{self, AppDir, Stored};
use crate::curate::pool::{self, Member};
use crate::curate::select::{self, Budget, Selection};
use crate::model::{RunReport, SessionStatus};
use crate::runner::{self, RunOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct CurateArgs {
    /// The pool of candidate sessions: a folder with recordings/ and mocks/ like a suite
    /// (default: the suite itself).
    #[arg(long, conflicts_with = "store")]
    pool: Option<PathBuf>,
    /// A session store (a folder or postgres://…), as `collect` and `sessions` use.
    #[arg(long)]
    store: Option<String>,
    /// The suite the chosen sessions join (holding reprise.toml, recordings/, snapshots/).
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// Replay every candidate twice with coverage on and store what it ran.
    #[arg(long)]
    coverage: bool,
    /// Also replay once without coverage and report the overhead.
    #[arg(long, requires = "coverage")]
    measure_overhead: bool,
    /// Serve the build the coverage replays run against from this folder.
    #[arg(long, conflicts_with = "app_url")]
    app_dir: Option<PathBuf>,
    /// Take the build's assets from this running server.
    #[arg(long)]
    app_url: Option<String>,
    /// Choose at most N sessions.
    #[arg(long, value_name = "N", conflicts_with = "budget_seconds")]
    budget_sessions: Option<usize>,
    /// Choose sessions whose replays take at most S seconds in all.
    #[arg(long, value_name = "S")]
    budget_seconds: Option<f64>,
    /// Cover each unit K times when the pool allows (a second witness for each path).
    #[arg(long, value_name = "K", default_value_t = 1)]
    min_cover: u32,
    /// Always choose this session (first, even past the budget); repeatable.
    #[arg(long = "pin", value_name = "ID")]
    pins: Vec<String>,
    /// `table` (default) or `json`.
    #[arg(long, default_value = "table")]
    format: String,
    /// Export the chosen sessions into the suite and record their baselines.
    #[arg(long)]
    apply: bool,
    /// With `--apply`: replace a suite session whose recording or HAR differs from the pool's
    /// session of the same id (its baselines are recorded again).
    #[arg(long, requires = "apply")]
    force: bool,
    /// Sessions replayed at once.
    #[arg(long, short = 'j', default_value_t = 2)]
    jobs: usize,
    /// Benchmark: choose among N synthetic sessions and print how long it took (bench/).
    #[arg(long, hide = true, value_name = "N")]
    synthetic: Option<usize>,
}

/// At most this many sessions or seconds: larger is a typo.
const MAX_BUDGET: f64 = 1_000_000.0;

pub async fn run(args: CurateArgs) -> Result<i32, Failure> {
    let json = match args.format.as_str() {
        "json" => true,
        "table" => false,
        other => {
            return Err(Failure::usage(
                format!("unknown --format `{other}`"),
                Some("use `--format table` or `--format json`"),
            ))
        }
    };
    let budget = budget(&args)?;
    if args.min_cover == 0 || args.min_cover > 100 {
        return Err(Failure::usage(
            format!("--min-cover {} is out of range", args.min_cover),
            Some("give K between 1 and 100"),
        ));
    }
    if let Some(n) = args.synthetic {
        if n == 0 || n > 1_000_000 {
            return Err(Failure::usage(
                format!("--synthetic {n} is out of range"),
                Some("give between 1 and 1000000 sessions"),
            ));
        }
        let (cands, weights) = select::synthetic(n, (n / 2).max(10), 42);
        let started = Instant::now();
        let s = select::select(&cands, &weights, budget, args.min_cover);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{}",
            serde_json::json!({ "sessions": n, "units": weights.len(), "selected": s.picks.len(),
                                "coverage": round(s.share()), "selection_ms": round(ms) })
        );
        return Ok(exit::PASSED);
    }
    let store = match &args.store {
        Some(spec) => Some(crate::store::open(spec).map_err(|e| Failure {
            message: format!("cannot open the store `{spec}`: {e}"),
            hint: e.hint().map(str::to_string),
            code: exit::USAGE,
        })?),
        None => None,
    };
    let (pool_dir, skipped) = match &store {
        Some(s) => pool_from_store(s.as_ref(), &args.suite)?,
        None => (
            args.pool.clone().unwrap_or_else(|| args.suite.clone()),
            Vec::new(),
        ),
    };
    if !json {
        for (id, why) in &skipped {
            eprintln!("curate: session {id} skipped: {why}");
        }
    }
    let load = || {
        pool::load(&pool_dir).map_err(|e| {
            Failure::usage(
                format!("cannot read the pool `{}`: {e}", pool_dir.display()),
                Some("a pool is a folder with recordings/*.json and mocks/*.har, like a suite"),
            )
        })
    };
    let members = load()?;
    if members.is_empty() {
        return Err(Failure::usage(
            format!("the pool `{}` holds no session", pool_dir.display()),
            Some("add recordings under recordings/ (or export sessions from the store)"),
        ));
    }
    for p in &args.pins {
        if !members.iter().any(|m| &m.spec.id == p) {
            let ids: Vec<String> = members.iter().map(|m| m.spec.id.clone()).collect();
            let near = crate::suite::closest(p, &ids)
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            return Err(Failure::usage(
                format!("--pin `{p}`: no such session in the pool"),
                Some(format!("{near}pin a session id from `{}`", pool_dir.display()).as_str()),
            ));
        }
    }
    let members = if args.coverage {
        let app = resolve_app(&args, &pool_dir)?;
        measure(&args, &pool_dir, &app, &members, json).await?;
        if let Some(s) = &store {
            coverage_to_store(s.as_ref(), &pool_dir)?;
        }
        load()?
    } else {
        members
    };
    let suite_ids: Vec<String> = crate::suite::discover(&args.suite, &[])
        .map(|s| s.into_iter().map(|s| s.id).collect())
        .unwrap_or_default();
    let (cands, keys, weights) = pool::candidates(&members, &args.pins, &suite_ids);
    let started = Instant::now();
    let selection = select::select(&cands, &weights, budget, args.min_cover);
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    let set_aside: Vec<(&str, &str)> = members
        .iter()
        .filter_map(|m| {
            let c = m.coverage.as_ref()?;
            (!c.agreed).then(|| (m.spec.id.as_str(), c.reason.as_deref().unwrap_or("")))
        })
        .collect();
    let chosen: Vec<&str> = selection.picks.iter().map(|p| p.id.as_str()).collect();
    let unjustified: Vec<&String> = suite_ids
        .iter()
        .filter(|id| !chosen.contains(&id.as_str()))
        .collect();
    if json {
        let out = serde_json::json!({
            "pool": members.len(),
            "budget": match budget { Budget::Sessions(n) => serde_json::json!({"sessions": n}), Budget::Seconds(s) => serde_json::json!({"seconds": s}) },
            "min_cover": args.min_cover,
            "selected": selection.picks.iter().enumerate().map(|(i, p)| serde_json::json!({
                "rank": i + 1, "id": p.id, "gain": round(p.gain), "seconds": round(p.cost),
                "coverage": round(p.cumulative), "pinned": p.pinned, "in_suite": p.in_suite,
            })).collect::<Vec<_>>(),
            "coverage": round(selection.share()),
            "uncovered": selection.uncovered.iter().map(|&u| &keys[u as usize]).collect::<Vec<_>>(),
            "set_aside": set_aside.iter().map(|(id, why)| serde_json::json!({"id": id, "reason": why})).collect::<Vec<_>>(),
            "skipped": skipped.iter().map(|(id, why)| serde_json::json!({"id": id, "reason": why})).collect::<Vec<_>>(),
            "not_justified": unjustified,
            "selection_ms": round(took_ms),
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        print_table(&selection, &keys, &members, took_ms);
        for (id, why) in &set_aside {
            println!("set aside: {id}: {why}");
        }
        if !unjustified.is_empty() && args.apply {
            println!(
                "suite sessions the pool no longer justifies (kept; remove them yourself if you agree): {}",
                unjustified.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            );
        }
    }
    if args.apply {
        return apply(&args, &pool_dir, &members, &selection, json).await;
    }
    Ok(exit::PASSED)
}

/// Where a store's sessions are exported for curation: a pool folder in the suite's
/// `.reprise/`, refreshed on every `curate --store`.
fn store_pool_dir(suite: &Path) -> PathBuf {
    suite.join(".reprise").join("store-pool")
}

/// Exports every closed session of the store into a pool folder (recording + HAR, through
/// the snippet's assembler), storing features as meta "features" where missing. A session
/// whose stored data does not assemble is skipped, and returned with why (both output forms
/// list it: a pool that silently lost sessions would choose from less than the user has). A
/// file that cannot be written, or a store that fails, ends the command (exit 3): the pool
/// would be incomplete for a reason that is not the session's.
fn pool_from_store(
    store: &dyn crate::store::Store,
    suite: &Path,
) -> Result<(PathBuf, Vec<(String, String)>), Failure> {
    use crate::collect::export::ExportError;
    let dir = store_pool_dir(suite);
    let sessions = store
        .list(&crate::store::Query {
            closed: Some(true),
            ..Default::default()
        })
        .map_err(|e| Failure {
            message: format!("cannot list the store's sessions: {e}"),
            hint: e.hint().map(str::to_string),
            code: exit::INFRASTRUCTURE,
        })?;
    let mut skipped = Vec::new();
    for s in &sessions {
        let rec = dir.join("recordings").join(format!("{}.json", s.id));
        if rec.is_file() && s.features.is_some() {
            continue;
        }
        match crate::collect::export::export_session(store, &s.id, &dir, &s.id, true, "curate") {
            Ok(done) => {
                if s.features.is_none() {
                    let read = |p: &Path| {
                        std::fs::read(p)
                            .ok()
                            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                            .unwrap_or_default()
                    };
                    let f = crate::curate::features::of_session(
                        &read(&done.recording),
                        &read(&done.har),
                        &done.console_errors,
                    );
                    if let Ok(v) = serde_json::to_value(&f) {
                        // a cache: features are computed again when missing
                        let _ = store.set_meta(&s.id, "features", &v);
                    }
                }
            }
            Err(e @ (ExportError::Write { .. } | ExportError::Store(_))) => {
                return Err(Failure {
                    message: format!("cannot export session {} into the pool: {e}", s.id),
                    hint: Some(format!(
                        "the pool is `{}`: check that it is writable and that the store answers",
                        dir.display()
                    )),
                    code: exit::INFRASTRUCTURE,
                });
            }
            Err(e) => skipped.push((s.id.clone(), e.to_string())),
        }
    }
    Ok((dir, skipped))
}

/// Stores each session's measured coverage as its meta "coverage".
fn coverage_to_store(store: &dyn crate::store::Store, pool_dir: &Path) -> Result<(), Failure> {
    let dir = pool::coverage_dir(pool_dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let Some(id) = e
            .path()
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if let Some(c) = pool::load_coverage(&dir, &id) {
            let v = serde_json::to_value(&c).unwrap_or_default();
            store.set_meta(&id, "coverage", &v).map_err(|e| Failure {
                message: format!("cannot store the coverage of session {id}: {e}"),
                hint: e.hint().map(str::to_string),
                code: exit::INFRASTRUCTURE,
            })?;
        }
    }
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn budget(args: &CurateArgs) -> Result<Budget, Failure> {
    match (args.budget_sessions, args.budget_seconds) {
        (Some(0), _) => Err(Failure::usage(
            "--budget-sessions 0 chooses nothing".into(),
            Some("give a budget of at least 1 session"),
        )),
        (Some(n), _) if n as f64 > MAX_BUDGET => Err(Failure::usage(
            format!("--budget-sessions {n} is out of range"),
            Some("give at most 1000000"),
        )),
        (Some(n), _) => Ok(Budget::Sessions(n)),
        (None, Some(s)) if s.is_nan() || s <= 0.0 || s > MAX_BUDGET => Err(Failure::usage(
            format!("--budget-seconds {s} is out of range"),
            Some("give a number of seconds above 0 (at most 1000000)"),
        )),
        (None, Some(s)) => Ok(Budget::Seconds(s)),
        (None, None) => Err(Failure::usage(
            "no budget: curate needs to know how many sessions it may choose".into(),
            Some("pass `--budget-sessions N` or `--budget-seconds S`"),
        )),
    }
}

fn resolve_app(args: &CurateArgs, pool_dir: &Path) -> Result<AppSource, Failure> {
    if let Some(d) = &args.app_dir {
        return if d.is_dir() {
            Ok(AppSource::Dir(d.clone()))
        } else {
            Err(Failure::usage(
                format!("the app folder `{}` does not exist", d.display()),
                Some("point `--app-dir` at the folder holding the built app"),
            ))
        };
    }
    if let Some(u) = &args.app_url {
        return url::Url::parse(u).map(AppSource::Url).map_err(|e| {
            Failure::usage(
                format!("invalid app URL `{u}`: {e}"),
                Some("give a full URL such as `http://127.0.0.1:4173`"),
            )
        });
    }
    for root in [pool_dir, args.suite.as_path()] {
        if let Ok(c) = Config::load(root) {
            if let Some(d) = c.app.dir {
                let d = root.join(d);
                if d.is_dir() {
                    return Ok(AppSource::Dir(d));
                }
            }
        }
    }
    Err(Failure::usage(
        "--coverage needs the build to replay against".into(),
        Some("pass `--app-dir DIR` or `--app-url URL`"),
    ))
}

/// One replay of the pool's sessions; coverage on or off.
pub(crate) async fn replay_pool(
    pool_dir: &Path,
    app: &AppSource,
    filters: &[String],
    with_coverage: bool,
    jobs: usize,
) -> Result<RunReport, Failure> {
    let config = Config::load(pool_dir).map_err(|e| Failure::usage(e.to_string(), None))?;
    let out = tempfile::tempdir().map_err(|e| Failure {
        message: format!("cannot make a temporary folder: {e}"),
        hint: None,
        code: exit::INFRASTRUCTURE,
    })?;
    let opts = RunOptions {
        suite_dir: pool_dir.to_path_buf(),
        filters: filters.to_vec(),
        app: app.clone(),
        config,
        update_snapshots: false,
        // nothing is written under the pool's snapshots/
        ci: true,
        jobs: jobs.max(1),
        jobs_auto: false,
        retries: 1,
        headed: false,
        webdriver: None,
        out_dir: out.path().to_path_buf(),
        prune: false,
        shard: None,
        keep_captures: false,
        watch: None,
        coverage: with_coverage,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let report = runner::run(opts, tx).await.map_err(|e| Failure {
        message: e.to_string(),
        hint: None,
        code: exit::INFRASTRUCTURE,
    })?;
    let _ = drain.await;
    Ok(report)
}

/// Replays every candidate twice with coverage, compares the replays and stores each
/// session's coverage in `.reprise/coverage/`.
async fn measure(
    args: &CurateArgs,
    pool_dir: &Path,
    app: &AppSource,
    members: &[Member],
    quiet: bool,
) -> Result<(), Failure> {
    let note = |s: String| eprintln!("{s}");
    let t0 = Instant::now();
    let first = replay_pool(pool_dir, app, &[], true, args.jobs).await?;
    let t1 = Instant::now();
    let second = replay_pool(pool_dir, app, &[], true, args.jobs).await?;
    let passes = [(t1 - t0).as_secs_f64(), t1.elapsed().as_secs_f64()];
    // one pass with coverage, the faster of the two (the first also warms caches)
    let covered_s = passes[0].min(passes[1]);
    let build = match app {
        AppSource::Dir(d) => d.display().to_string(),
        AppSource::Url(u) => u.to_string(),
    };
    let mut app_dir = match app {
        AppSource::Dir(d) => Some(AppDir::new(d)),
        AppSource::Url(_) => None,
    };
    let by_id = |r: &RunReport| -> BTreeMap<String, crate::model::SessionReport> {
        r.sessions
            .iter()
            .map(|s| (s.id.clone(), s.clone()))
            .collect()
    };
    let (a, b) = (by_id(&first), by_id(&second));
    let dir = pool::coverage_dir(pool_dir);
    std::fs::create_dir_all(&dir).map_err(|e| Failure {
        message: format!("cannot create `{}`: {e}", dir.display()),
        hint: Some("check the pool folder's permissions".into()),
        code: exit::INFRASTRUCTURE,
    })?;
    let mut stored = 0;
    for m in members {
        let id = &m.spec.id;
        let (Some(ra), Some(rb)) = (a.get(id), b.get(id)) else {
            continue;
        };
        let mut replays = Vec::new();
        let mut views = Vec::new();
        let mut reason = None;
        let data = pool::data_values(&m.spec);
        for r in [ra, rb] {
            if matches!(r.status, SessionStatus::Broken | SessionStatus::Error) {
                reason.get_or_insert(format!(
                    "a replay did not complete: {}",
                    r.error.clone().unwrap_or_else(|| "broken".into())
                ));
            }
            let blocks: Option<Blocks> = r
                .coverage
                .as_ref()
                .filter(|v| v.get("error").is_none())
                .and_then(|v| serde_json::from_value(v.clone()).ok());
            match blocks {
                Some(b) => {
                    replays.push(coverage::units_and_files(&b, app_dir.as_mut()));
                    views.push(coverage::view_units(&b, &data));
                }
                None => {
                    let why = r
                        .coverage
                        .as_ref()
                        .and_then(|v| v["error"].as_str())
                        .unwrap_or("no coverage came back");
                    reason.get_or_insert(format!("coverage could not be measured: {why}"));
                }
            }
        }
        if reason.is_none() && replays.len() == 2 {
            reason = coverage::disagreement(&replays[0].0, &replays[1].0);
        }
        let (mut units, files) = replays.into_iter().next().unwrap_or_default();
        if let [va, vb] = views.as_slice() {
            units.extend(coverage::stable_views(va, vb));
            units.sort();
        }
        let record = Stored {
            session: id.clone(),
            build: build.clone(),
            agreed: reason.is_none(),
            reason,
            replay_ms: vec![ra.duration_ms, rb.duration_ms],
            units,
            files,
        };
        let path = dir.join(format!("{id}.json"));
        let bytes = serde_json::to_vec_pretty(&record).unwrap_or_default();
        crate::fsutil::write_atomic(&path, &bytes).map_err(|e| Failure {
            message: format!("cannot write `{}`: {e}", path.display()),
            hint: Some("free space or check the pool folder's permissions".into()),
            code: exit::INFRASTRUCTURE,
        })?;
        stored += 1;
    }
    if !quiet {
        note(format!(
            "coverage: {stored} session(s) replayed twice against {build} in {:.1} s",
            passes[0] + passes[1]
        ));
    }
    if args.measure_overhead {
        let t = Instant::now();
        let plain = replay_pool(pool_dir, app, &[], false, args.jobs).await?;
        let plain_s = t.elapsed().as_secs_f64();
        // per session: the faster coverage replay against the plain one, so the machine's
        // noise between whole passes weighs less
        let mut ratios: Vec<f64> = plain
            .sessions
            .iter()
            .filter_map(|p| {
                let cov = a.get(&p.id)?.duration_ms.min(b.get(&p.id)?.duration_ms);
                (p.duration_ms > 0).then(|| cov as f64 / p.duration_ms as f64)
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        let median = ratios.get(ratios.len() / 2).copied().unwrap_or(1.0);
        note(format!(
            "overhead: per session, a replay with coverage takes {:+.0}% (median of {}); whole pass {covered_s:.1} s with coverage, {plain_s:.1} s without",
            (median - 1.0) * 100.0,
            ratios.len()
        ));
    }
    Ok(())
}

fn print_table(s: &Selection, keys: &[String], members: &[Member], took_ms: f64) {
    println!(
        "{:>4}  {:<32} {:>9} {:>8} {:>9}  note",
        "rank", "session", "gain", "seconds", "coverage"
    );
    for (i, p) in s.picks.iter().enumerate() {
        let note = match (p.pinned, p.in_suite) {
            (true, _) => "pinned",
            (false, true) => "in suite",
            _ => "",
        };
        println!(
            "{:>4}  {:<32} {:>9.2} {:>8.1} {:>8.1}%  {note}",
            i + 1,
            p.id,
            p.gain,
            p.cost,
            p.cumulative * 100.0
        );
    }
    println!(
        "{} of {} session(s) chosen, {:.1} s of replay, {:.1}% of the pool's weighted coverage (selection {:.1} ms)",
        s.picks.len(),
        members.len(),
        s.cost,
        s.share() * 100.0,
        took_ms
    );
    if !s.uncovered.is_empty() {
        const SHOWN: usize = 20;
        println!(
            "left uncovered ({} unit(s) the pool covers):",
            s.uncovered.len()
        );
        for &u in s.uncovered.iter().take(SHOWN) {
            println!("  {}", keys[u as usize]);
        }
        if s.uncovered.len() > SHOWN {
            println!(
                "  … and {} more (`--format json` lists all)",
                s.uncovered.len() - SHOWN
            );
        }
    }
}

/// Copies the chosen sessions into the suite (recording, HAR, stored coverage) and records
/// their baselines with a replay that writes them.
async fn apply(
    args: &CurateArgs,
    pool_dir: &Path,
    members: &[Member],
    selection: &Selection,
    quiet: bool,
) -> Result<i32, Failure> {
    let io = |what: &Path, e: std::io::Error| Failure {
        message: format!("cannot write `{}`: {e}", what.display()),
        hint: Some("check the suite folder's permissions and free space".into()),
        code: exit::INFRASTRUCTURE,
    };
    let same = std::fs::canonicalize(pool_dir).ok() == std::fs::canonicalize(&args.suite).ok();
    // What to copy: a chosen session the suite lacks, or holds with other bytes (only with
    // --force: the suite's session of that id is someone's reviewed recording). Decided for
    // every session before anything is written, so a refusal leaves the suite as it was.
    let mut todo = Vec::new();
    let mut conflicts = Vec::new();
    for p in &selection.picks {
        let Some(m) = members.iter().find(|m| m.spec.id == p.id) else {
            continue;
        };
        if same {
            continue;
        }
        let rec = args.suite.join("recordings").join(format!("{}.json", p.id));
        let har = args.suite.join("mocks").join(format!("{}.har", p.id));
        if rec.exists() {
            let differs = |ours: &Path, theirs: Option<&PathBuf>| {
                let theirs = theirs.and_then(|t| std::fs::read(t).ok());
                let ours = std::fs::read(ours).ok();
                theirs.is_some() && ours != theirs
            };
            if differs(&rec, Some(&m.spec.recording)) || differs(&har, m.spec.mocks.as_ref()) {
                conflicts.push(p.id.clone());
            } else {
                continue;
            }
        }
        todo.push((p, m, rec, har));
    }
    if !conflicts.is_empty() && !args.force {
        return Err(Failure::usage(
            format!(
                "--apply would replace suite session(s) whose recording or HAR differs from the pool's session of the same id: {}",
                conflicts.join(", ")
            ),
            Some("rename or remove the suite's session, or pass `--force` to replace it (its baselines are recorded again)"),
        ));
    }
    let mut added = Vec::new();
    for (p, m, rec, har) in todo {
        for (from, to) in [
            (Some(m.spec.recording.clone()), rec),
            (m.spec.mocks.clone(), har),
            (
                Some(pool::coverage_dir(pool_dir).join(format!("{}.json", p.id))),
                pool::coverage_dir(&args.suite).join(format!("{}.json", p.id)),
            ),
        ] {
            let Some(from) = from.filter(|f| f.is_file()) else {
                continue;
            };
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            std::fs::copy(&from, &to).map_err(|e| io(&to, e))?;
        }
        added.push(p.id.clone());
    }
    if added.is_empty() {
        if !quiet {
            println!("apply: every chosen session is already in the suite");
        }
        return Ok(exit::PASSED);
    }
    let config = Config::load(&args.suite).map_err(|e| Failure::usage(e.to_string(), None))?;
    let app = match (&args.app_dir, &args.app_url) {
        (None, None) => match config.app.dir.clone() {
            Some(d) => AppSource::Dir(args.suite.join(d)),
            None => resolve_app(args, pool_dir)?,
        },
        _ => resolve_app(args, pool_dir)?,
    };
    let filters: Vec<String> = added.iter().map(|id| format!("={id}")).collect();
    let opts = RunOptions {
        suite_dir: args.suite.clone(),
        filters,
        app,
        config,
        update_snapshots: true,
        ci: false,
        jobs: args.jobs.max(1),
        jobs_auto: false,
        retries: 1,
        headed: false,
        webdriver: None,
        out_dir: args.suite.join(super::LAST_RUN_DIR),
        // a replaced session's checkpoints that its new recording no longer reaches
        prune: args.force,
        shard: None,
        keep_captures: false,
        watch: None,
        coverage: false,
    };
    let report = match super::replay(opts, !quiet).await? {
        Ok(r) => r,
        Err(i) => return Ok(i.exit_code()),
    };
    if !quiet {
        println!(
            "apply: {} session(s) added to the suite with baselines: {}",
            added.len(),
            added.join(", ")
        );
    }
    let broken = report
        .sessions
        .iter()
        .any(|s| matches!(s.status, SessionStatus::Broken | SessionStatus::Error));
    Ok(if broken {
        exit::REGRESSION
    } else {
        exit::PASSED
    })
}

/// A session chosen for a change, with why.
type Chosen = (String, String);

/// Sessions of a suite whose stored coverage touches one of `changed_app_files` (paths
/// relative to the app folder) or whose own recording or HAR is among `changed_suite_files`,
/// with why each was chosen; plus the changed files that chose no session (app files no
/// coverage maps to, then suite files that are no session's own).
pub(crate) fn affected(
    suite: &Path,
    changed_app_files: &[String],
    changed_suite_files: &[String],
) -> Result<(Vec<Chosen>, Vec<String>), Failure> {
    let specs = crate::suite::discover(suite, &[])
        .map_err(|e| Failure::usage(e.to_string(), e.hint().as_deref()))?;
    let dir = pool::coverage_dir(suite);
    let mut chosen = Vec::new();
    let mut mapped = std::collections::BTreeSet::new();
    for spec in &specs {
        let tags: Vec<String> = std::fs::read(&spec.recording)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| {
                v["reprise"]["tags"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
            })
            .unwrap_or_default();
        let own = [
            format!("recordings/{}.json", spec.id),
            format!("mocks/{}.har", spec.id),
        ];
        if let Some(f) = changed_suite_files.iter().find(|f| own.contains(f)) {
            mapped.insert(f.clone());
            chosen.push((spec.id.clone(), format!("its own file `{f}` changed")));
            continue;
        }
        if tags.iter().any(|t| t == "always") {
            chosen.push((spec.id.clone(), "tagged `always`".into()));
            continue;
        }
        match pool::load_coverage(&dir, &spec.id) {
            Some(c) => {
                let hits: Vec<&String> = changed_app_files
                    .iter()
                    .filter(|f| c.files.contains(f))
                    .collect();
                for h in &hits {
                    mapped.insert((*h).clone());
                }
                if !hits.is_empty() {
                    let list: Vec<String> = hits.iter().map(|h| format!("`{h}`")).collect();
                    chosen.push((
                        spec.id.clone(),
                        format!("its replays ran {}", list.join(", ")),
                    ));
                }
            }
            None => chosen.push((
                spec.id.clone(),
                "no stored coverage (run `reprise curate --coverage`), so it may be affected"
                    .into(),
            )),
        }
    }
    let unmapped = changed_app_files
        .iter()
        .chain(changed_suite_files)
        .filter(|f| !mapped.contains(*f))
        .cloned()
        .collect();
    Ok((chosen, unmapped))
}
