//! `reprise collect`: resolves tokens, origins and the store from flags, `[collect]` and the
//! environment, then runs the collector until SIGINT or SIGTERM.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{exit, Failure};
use crate::collect::{self, CollectError};
use crate::config::collect::{origin_problem, token_problem};
use crate::config::Config;

pub const WRITE_TOKEN_ENV: &str = "REPRISE_WRITE_TOKEN";
pub const READ_TOKEN_ENV: &str = "REPRISE_READ_TOKEN";
/// Where the store keeps the read token's SHA-256, so `reprise sessions` on any machine
/// knows a token is required even without the collector's reprise.toml.
pub const STORE_META_SESSION: &str = "_store";
pub const READ_TOKEN_META: &str = "read_token_sha256";
/// The default store, relative to the suite folder.
pub const DEFAULT_STORE: &str = ".reprise/sessions";

#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    /// Address to listen on (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// A folder (SQLite and blobs) or `postgres://…` (default: `[collect] store`, else
    /// `.reprise/sessions` in the suite).
    #[arg(long)]
    store: Option<String>,
    /// An origin whose pages may post batches (repeatable; added to `[collect] allow_origins`).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Print the `<script>` tag to paste into the app (before its own scripts), and exit.
    #[arg(long)]
    snippet: bool,
    /// The URL the browser reaches the collector at, for `--snippet` (default: from `--listen`).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Close a session after this many seconds without a batch (default: `[collect]
    /// idle_timeout_secs`).
    #[arg(long, value_name = "SECS", value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=86_400))]
    idle_timeout: Option<u64>,
    /// The suite folder: its reprise.toml (`[collect]`, `[privacy]`) and redaction key.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
}

fn usage(e: CollectError) -> Failure {
    Failure {
        message: e.to_string(),
        hint: e.hint(),
        code: exit::USAGE,
    }
}

/// A token from the environment (which wins) or the configuration, checked.
pub(crate) fn token(env: &str, configured: &Option<String>) -> Result<Option<String>, Failure> {
    let (value, source) = match std::env::var(env) {
        Ok(v) if !v.is_empty() => (Some(v), format!("`{env}`")),
        _ => (configured.clone(), "reprise.toml".to_string()),
    };
    if let Some(why) = value.as_deref().and_then(token_problem) {
        return Err(usage(CollectError::BadToken {
            source_name: source,
            why,
        }));
    }
    Ok(value)
}

pub(crate) fn load_config(suite: &Path) -> Result<Config, Failure> {
    Config::load(suite).map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("see docs/capture.md for the `[collect]` keys"),
        )
    })
}

/// The store spec: the flag, `[collect] store`, else `.reprise/sessions` in the suite.
pub(crate) fn store_spec(flag: &Option<String>, config: &Config, suite: &Path) -> String {
    flag.clone()
        .or_else(|| config.collect.store.clone())
        .unwrap_or_else(|| suite.join(DEFAULT_STORE).display().to_string())
}

pub(crate) fn open_store(spec: &str) -> Result<Box<dyn crate::store::Store>, Failure> {
    crate::store::open(spec).map_err(|e| Failure {
        message: e.to_string(),
        hint: e.hint().map(str::to_string),
        code: if matches!(e, crate::store::StoreError::Open { .. }) {
            exit::USAGE
        } else {
            exit::INFRASTRUCTURE
        },
    })
}

pub fn run(args: CollectArgs) -> Result<i32, Failure> {
    let config = load_config(&args.suite)?;
    let write_token = token(WRITE_TOKEN_ENV, &config.collect.write_token)?
        .ok_or_else(|| usage(CollectError::NoWriteToken))?;
    let read_token = token(READ_TOKEN_ENV, &config.collect.read_token)?;
    if read_token.as_deref() == Some(write_token.as_str()) {
        return Err(Failure::usage(
            "the read token equals the write token, which is public (it sits in the page)".into(),
            Some("use two different tokens"),
        ));
    }
    let mut origins = config.collect.allow_origins.clone();
    for o in &args.allow_origins {
        if let Some(why) = origin_problem(o) {
            return Err(usage(CollectError::BadOrigin {
                origin: crate::excerpt::excerpt(o),
                why,
            }));
        }
        if !origins.contains(o) {
            origins.push(o.clone());
        }
    }
    if args.snippet {
        let url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen));
        println!("{}", collect::snippet_tag(&url, &write_token));
        return Ok(exit::PASSED);
    }
    let spec = store_spec(&args.store, &config, &args.suite);
    let store: Arc<dyn crate::store::Store> = Arc::from(open_store(&spec)?);
    if let Some(t) = &read_token {
        store
            .set_meta(
                STORE_META_SESSION,
                READ_TOKEN_META,
                &serde_json::Value::String(crate::store::sha256_hex(t.as_bytes())),
            )
            .map_err(|e| Failure {
                message: e.to_string(),
                hint: None,
                code: exit::INFRASTRUCTURE,
            })?;
    }
    let redactor = collect::redact::Redactor::new(&config.privacy, &args.suite).map_err(|m| {
        let e = CollectError::Redaction(m);
        Failure {
            message: e.to_string(),
            hint: e.hint(),
            code: exit::INFRASTRUCTURE,
        }
    })?;
    let idle = Duration::from_secs(
        args.idle_timeout
            .unwrap_or(config.collect.idle_timeout_secs),
    );
    let opts = collect::Options {
        listen: args.listen.clone(),
        write_token,
        allow_origins: origins,
        idle_timeout: idle,
        retain: Duration::from_secs(config.collect.retain_days * 86_400),
        sweep_every: (idle / 2).clamp(Duration::from_millis(250), Duration::from_secs(60)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            message: format!("cannot start the async runtime: {e}"),
            hint: None,
            code: exit::INFRASTRUCTURE,
        })?;
    let store_label = if crate::store::is_postgres(&spec) {
        "PostgreSQL".to_string()
    } else {
        spec.clone()
    };
    let result = rt.block_on(collect::serve(opts, store, redactor, shutdown(), |addr| {
        println!("listening on http://{addr} (store: {store_label})");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    }));
    drop(rt);
    match result {
        Ok(()) => {
            println!("collector stopped");
            Ok(exit::PASSED)
        }
        Err(e) => Err(Failure {
            code: if matches!(e, CollectError::Listen { .. }) {
                exit::USAGE
            } else {
                exit::INFRASTRUCTURE
            },
            message: e.to_string(),
            hint: e.hint(),
        }),
    }
}

/// Resolves on SIGINT or SIGTERM: in-flight batches finish (and are answered) first.
async fn shutdown() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
