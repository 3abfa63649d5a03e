//! `reprise record URL --name NAME`: capture a new session in a real browser, write it into
//! the suite (`recordings/NAME.json`, `mocks/NAME.har`), then replay it once to write its
//! baselines, as `reprise run =NAME --update-snapshots` would.
//!
//! The recording engine lives in `src/record/`; this file owns the terminal side: options,
//! refusing to overwrite, ending on Enter / Ctrl-C / window close, and saying why the
//! baselines could not be written when the replay did not pass.

// The engine is its own folder (`src/record/`), declared here until `lib.rs` lists it as
// `pub mod record;`.

use super::{exit, Failure};
use crate::browser::intercept::AppSource;
use crate::config::Config;
use crate::model::SessionStatus;
use crate::record::{Notice, RecordOptions};
use crate::runner::RunOptions;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// The URL to start at.
    url: String,
    /// The session's name: the stem of `recordings/NAME.json` and `mocks/NAME.har`.
    #[arg(long)]
    name: String,
    /// The suite folder to write into.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
    /// Replace an existing session of that name (its baselines are discarded).
    #[arg(long)]
    force: bool,
    /// Serve the app from this folder at the URL's origin (instead of a running server).
    #[arg(long)]
    app_dir: Option<PathBuf>,
    /// Answer the backend from this HAR instead of the live backend (requests it cannot
    /// answer go to the network and are listed at the end).
    #[arg(long, value_name = "FILE.har")]
    mocks: Option<PathBuf>,
    /// Keep the app's own assets (its origin's documents, scripts, styles, images, fonts)
    /// in the HAR; replay serves them from the build under test anyway.
    #[arg(long)]
    keep_assets: bool,
    /// The attribute holding test ids, preferred in selectors.
    #[arg(long, default_value = "data-testid", value_name = "ATTR")]
    test_id_attribute: String,
    /// Elements whose values are never captured in clear (password fields always are not).
    /// Repeatable; CSS selectors.
    #[arg(long = "private", value_name = "SELECTOR", value_parser = crate::config::selector::arg)]
    privacy_selectors: Vec<String>,
    /// Add a checkpoint after every N actions (Ctrl+Shift+K in the page adds one any time).
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<usize>,
    /// Show the browser window (the default when a display is available).
    #[arg(long, conflicts_with = "headless")]
    headed: bool,
    /// No window, even with a display: drive the browser through WebDriver (the session
    /// is printed on a `driving:` line).
    #[arg(long)]
    headless: bool,
    /// Do not replay the session after recording (no baselines are written).
    #[arg(long)]
    no_replay: bool,
    /// A title for the recording (default: the name).
    #[arg(long)]
    title: Option<String>,
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub async fn run(args: RecordArgs) -> Result<i32, Failure> {
    if !valid_name(&args.name) {
        return Err(Failure::usage(
            format!("invalid session name `{}`", args.name),
            Some("use letters, digits, `-`, `_` and `.`, e.g. `--name checkout-guest`"),
        ));
    }
    let url = url::Url::parse(&args.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            Failure::usage(
                format!("invalid URL `{}`", args.url),
                Some("give a full http(s) URL, e.g. `https://shop.example.com/`"),
            )
        })?;
    let recording_path = args
        .suite
        .join(crate::suite::RECORDINGS_DIR)
        .join(format!("{}.json", args.name));
    let har_path = args
        .suite
        .join(crate::suite::MOCKS_DIR)
        .join(format!("{}.har", args.name));
    if !args.force {
        for p in [&recording_path, &har_path] {
            if p.exists() {
                return Err(Failure::usage(
                    format!("`{}` already exists", p.display()),
                    Some("pick another `--name`, or pass `--force` to replace that session"),
                ));
            }
        }
    }
    for (flag, p) in [("--app-dir", &args.app_dir), ("--mocks", &args.mocks)] {
        if let Some(p) = p {
            if !p.exists() {
                return Err(Failure::usage(
                    format!("`{flag} {}` does not exist", p.display()),
                    None,
                ));
            }
        }
    }
    let checkpoint_every = match args.checkpoint_every {
        Some(0) => {
            return Err(Failure::usage(
                "`--checkpoint-every` must be at least 1".into(),
                None,
            ))
        }
        n => n,
    };
    // Read the config first: a broken reprise.toml should stop us before the person works.
    let config = Config::load(&args.suite).map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("see the `reprise.toml` section of the README for the keys"),
        )
    })?;
    let headed = args.headed || (!args.headless && has_display());
    let opts = RecordOptions {
        url: url.clone(),
        title: args.title.clone().unwrap_or_else(|| args.name.clone()),
        headed,
        app_dir: args.app_dir.clone(),
        mocks: args.mocks.clone(),
        keep_assets: args.keep_assets,
        test_id_attribute: args.test_id_attribute.clone(),
        privacy_selectors: args.privacy_selectors.clone(),
        checkpoint_every,
        checkpoint_key: 'K',
        files_dir: format!("{}.files", args.name),
    };

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let shown = url.clone();
    let printer = tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            match n {
                Notice::Driving { webdriver, session } => {
                    println!("driving: webdriver={webdriver} session={session}");
                    println!(
                        "recording {}: use the app{}; press Enter here (or Ctrl-C) to finish, Ctrl+Shift+K in the page for a checkpoint",
                        shown,
                        if headed { ", close the window" } else { "" }
                    );
                }
                Notice::Step(n, text) => println!("  {n:>3} {text}"),
            }
        }
    });
    // Enter in the terminal ends the recording. stdin is read on a thread of its own (a
    // blocking read; tokio's stdin needs a feature this crate does not enable).
    let (enter_tx, enter_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        // End of input (no terminal) is not a request to stop: wait for the others.
        if matches!(std::io::stdin().read_line(&mut line), Ok(n) if n > 0) {
            let _ = enter_tx.send(());
        }
    });
    let stop = async {
        tokio::select! {
            _ = async {
                if enter_rx.await.is_err() {
                    std::future::pending::<()>().await;
                }
            } => {}
            _ = super::signals::terminated() => {}
        }
    };
    let recorded = crate::record::record(opts, tx, stop)
        .await
        .map_err(|e| Failure {
            message: e.to_string(),
            hint: e.hint(),
            code: match e {
                crate::record::RecordError::Mocks(_) | crate::record::RecordError::Open { .. } => {
                    exit::USAGE
                }
                _ => exit::INFRASTRUCTURE,
            },
        })?;
    let _ = printer.await;
    if recorded.ended == crate::record::Ended::WindowClosed {
        println!("the browser window was closed: recording finished");
    }

    // Uploaded files first: a recording never refers to a file that is not there.
    let recordings_dir = args.suite.join(crate::suite::RECORDINGS_DIR);
    for f in &recorded.files {
        let path = recordings_dir.join(&f.path);
        crate::fsutil::write_atomic(&path, &f.bytes).map_err(|e| Failure {
            message: format!("cannot write `{}`: {e}", path.display()),
            hint: None,
            code: exit::INFRASTRUCTURE,
        })?;
    }
    write_json(&recording_path, &recorded.recording)?;
    write_json(&har_path, &recorded.har)?;
    println!(
        "wrote {} ({} steps) and {} ({} exchanges){}",
        recording_path.display(),
        recorded.steps,
        har_path.display(),
        recorded.exchanges,
        match recorded.secrets_masked {
            0 => String::new(),
            n => format!("; {n} private value(s) masked as `{}`", crate::record::MASK),
        }
    );
    for u in &recorded.unanswered {
        eprintln!("warning: `--mocks` had no answer for {u}; it went to the network");
    }
    if args.force {
        let _ = std::fs::remove_dir_all(
            args.suite
                .join(crate::suite::SNAPSHOTS_DIR)
                .join(&args.name),
        );
    }
    if args.no_replay {
        println!(
            "not replayed: write its baselines with `reprise run ={} --update-snapshots`",
            args.name
        );
        return Ok(exit::PASSED);
    }
    replay_for_baselines(&args, config, &url).await
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure {
        message: format!("cannot write `{}`: {e}", path.display()),
        hint: None,
        code: exit::INFRASTRUCTURE,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    // Written beside, then renamed: a suite never holds half a recording.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The build under test for the first replay: `--app-dir`, else the suite's `[app]`, else
/// the live server the session was recorded on.
fn app_source(args: &RecordArgs, config: &Config, url: &url::Url) -> AppSource {
    if let Some(d) = &args.app_dir {
        return AppSource::Dir(d.clone());
    }
    if let Some(u) = config
        .app
        .url
        .as_ref()
        .and_then(|u| url::Url::parse(u).ok())
    {
        return AppSource::Url(u);
    }
    if let Some(d) = &config.app.dir {
        return AppSource::Dir(args.suite.join(d));
    }
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    AppSource::Url(origin)
}

async fn replay_for_baselines(
    args: &RecordArgs,
    config: Config,
    url: &url::Url,
) -> Result<i32, Failure> {
    println!("replaying {} to write its baselines…", args.name);
    let opts = RunOptions {
        suite_dir: args.suite.clone(),
        // `=NAME`: exactly this session, never others whose names contain it.
        filters: vec![format!("={}", args.name)],
        app: app_source(args, &config, url),
        config,
        update_snapshots: true,
        ci: false,
        jobs: 1,
        jobs_auto: false,
        retries: 1,
        headed: false,
        webdriver: None,
        out_dir: args.suite.join(super::LAST_RUN_DIR),
        prune: false,
        shard: None,
        keep_captures: false,
        watch: None,
        coverage: false,
    };
    let retry = format!("reprise run ={} --update-snapshots", args.name);
    let report = match super::replay(opts, false).await {
        Ok(Ok(r)) => r,
        Ok(Err(i)) => {
            println!(
                "replay interrupted: the recording is kept; write its baselines with `{retry}`"
            );
            return Ok(i.exit_code());
        }
        Err(f) => {
            return Err(Failure {
                message: format!(
                    "the session was recorded, but replaying it failed: {}",
                    f.message
                ),
                hint: Some(
                    f.hint
                        .unwrap_or_else(|| format!("fix that, then run `{retry}`")),
                ),
                code: f.code,
            })
        }
    };
    let Some(s) = report.sessions.first() else {
        return Err(Failure::usage(
            format!("the replay did not find the session `{}`", args.name),
            Some("check `--suite`"),
        ));
    };
    let unmatched = &s.network.unmatched;
    let ok = matches!(s.status, SessionStatus::Passed | SessionStatus::New)
        && s.broken_step.is_none()
        && unmatched.is_empty();
    if ok {
        println!(
            "baselines written: {} checkpoint(s) in {}",
            s.checkpoints.len(),
            args.suite
                .join(crate::suite::SNAPSHOTS_DIR)
                .join(&args.name)
                .display()
        );
        return Ok(exit::PASSED);
    }
    let mut why = Vec::new();
    if let Some(b) = &s.broken_step {
        why.push(format!(
            "step {} ({}) could not be performed: {}",
            b.step, b.step_type, b.message
        ));
    }
    for u in unmatched {
        why.push(format!("{} {} had no recorded answer", u.method, u.url));
    }
    if let Some(e) = &s.error {
        why.push(e.clone());
    }
    if why.is_empty() {
        why.push(format!("the replay ended `{:?}`", s.status).to_lowercase());
    }
    Err(Failure {
        message: format!(
            "the session was recorded, but it does not replay faithfully (fidelity {:.3}):\n  {}",
            s.fidelity,
            why.join("\n  ")
        ),
        hint: Some(format!(
            "the recording is kept; edit `recordings/{}.json` (or record again with `--force`), then run `{retry}`",
            args.name
        )),
        code: exit::REGRESSION,
    })
}
