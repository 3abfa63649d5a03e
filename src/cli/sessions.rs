//! `reprise sessions list | show | search | export | delete | audit`: the captured sessions
//! in the store. Every command is audited (who, what, when, allowed); when the store was
//! given a read token (the collector records its SHA-256 in the store, or `[collect]
//! read_token`), a command without the right `--token` / `REPRISE_READ_TOKEN` is refused
//! (exit 2) and the refusal is logged.

use std::path::PathBuf;

use super::collect::{
    load_config, open_store, store_spec, READ_TOKEN_ENV, READ_TOKEN_META, STORE_META_SESSION,
};
use super::{exit, Failure};
use crate::store::{Query, SessionSummary, Store};

#[derive(clap::Args, Debug)]
pub struct SessionsArgs {
    #[command(subcommand)]
    command: SessionsCommand,
    /// The store: a folder or `postgres://…` (default: `[collect] store`, else
    /// `.reprise/sessions` in the suite).
    #[arg(long, global = true)]
    store: Option<String>,
    /// The read token (default: `REPRISE_READ_TOKEN`).
    #[arg(long, global = true)]
    token: Option<String>,
    /// The suite folder: its reprise.toml, and where `export` writes.
    #[arg(long, short = 'C', alias = "suite", global = true, default_value = ".")]
    suite: PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Format {
    Text,
    Json,
}

#[derive(clap::Subcommand, Debug)]
enum SessionsCommand {
    /// The sessions, most recent first.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// At most this many.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One session's summary (routes, endpoints, errors, features).
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Sessions matching every filter given (substrings, case-insensitive).
    Search {
        /// A route visited (`/cart`).
        #[arg(long)]
        route: Option<String>,
        /// An endpoint called (`POST /api/orders`, or part of it).
        #[arg(long)]
        endpoint: Option<String>,
        /// A selector a step used.
        #[arg(long)]
        selector: Option<String>,
        /// A text a step named, a page title, or an error message.
        #[arg(long)]
        text: Option<String>,
        /// Seen at or after: `2024-06-01`, `2024-06-01T12:00:00Z`, epoch ms, or `2h`, `7d` ago.
        #[arg(long)]
        since: Option<String>,
        /// First seen at or before (same forms).
        #[arg(long)]
        until: Option<String>,
        /// Only sessions that saw errors (console, window, 5xx answers).
        #[arg(long)]
        errors: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Write a session into the suite: recordings/NAME.json and mocks/NAME.har.
    Export {
        id: String,
        #[arg(long)]
        name: String,
        /// Replace existing files of that name.
        #[arg(long)]
        force: bool,
    },
    /// Delete a session and the stored bodies only it used.
    Delete { id: String },
    /// The audit log, most recent first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

fn infra(e: crate::store::StoreError) -> Failure {
    Failure {
        message: e.to_string(),
        hint: e.hint().map(str::to_string),
        code: exit::INFRASTRUCTURE,
    }
}

/// Who the audit log names: the OS user, and a fingerprint of the token used, if any.
fn who(token: Option<&str>) -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    match token {
        Some(t) => format!(
            "cli:{user} (token {})",
            &crate::store::sha256_hex(t.as_bytes())[..8]
        ),
        None => format!("cli:{user}"),
    }
}

/// Checks the read token when the store requires one; logs a refusal.
fn authorize(
    store: &dyn Store,
    configured: Option<&str>,
    token: Option<&str>,
    action: &str,
    target: &str,
) -> Result<String, Failure> {
    let stored = store
        .meta(STORE_META_SESSION, READ_TOKEN_META)
        .map_err(infra)?
        .and_then(|v| v.as_str().map(str::to_string));
    let required: Vec<String> = stored
        .into_iter()
        .chain(configured.map(|t| crate::store::sha256_hex(t.as_bytes())))
        .collect();
    let who = who(token);
    if required.is_empty() {
        return Ok(who);
    }
    let given = token.map(|t| crate::store::sha256_hex(t.as_bytes()));
    if given.as_ref().is_some_and(|g| required.contains(g)) {
        return Ok(who);
    }
    store.audit(&who, action, target, false).map_err(infra)?;
    Err(Failure::usage(
        format!(
            "this store requires its read token to {action}{}",
            if token.is_some() {
                ": the token given is wrong"
            } else {
                ""
            }
        ),
        Some(&format!("pass `--token TOKEN` or set `{READ_TOKEN_ENV}`")),
    ))
}

pub fn run(args: SessionsArgs) -> Result<i32, Failure> {
    let config = load_config(&args.suite)?;
    let spec = store_spec(&args.store, &config, &args.suite);
    if !crate::store::is_postgres(&spec)
        && !std::path::Path::new(&spec)
            .join(crate::store::sqlite::DB_FILE)
            .exists()
    {
        return Err(Failure::usage(
            format!("no session store at `{spec}`"),
            Some("run `reprise collect` first, or name the store with `--store DIR|postgres://…`"),
        ));
    }
    let store = open_store(&spec)?;
    let token = args
        .token
        .clone()
        .or_else(|| std::env::var(READ_TOKEN_ENV).ok().filter(|t| !t.is_empty()));
    let configured = config.collect.read_token.as_deref();
    let auth = |action: &str, target: &str| {
        authorize(&*store, configured, token.as_deref(), action, target)
    };
    match args.command {
        SessionsCommand::List { format, limit } => {
            let who = auth("list", "*")?;
            store.audit(&who, "list", "*", true).map_err(infra)?;
            let q = Query {
                limit,
                ..Default::default()
            };
            print_list(&list(&*store, &q)?, format);
        }
        SessionsCommand::Show { id, format } => {
            let who = auth("show", &id)?;
            store.audit(&who, "show", &id, true).map_err(infra)?;
            let q = Query {
                session: Some(id.clone()),
                ..Default::default()
            };
            let Some(s) = list(&*store, &q)?.into_iter().next() else {
                return Err(unknown(&id));
            };
            if format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                print_show(&s);
            }
        }
        SessionsCommand::Search {
            route,
            endpoint,
            selector,
            text,
            since,
            until,
            errors,
            format,
            limit,
        } => {
            let now = crate::store::now_ms();
            let since_ms = since
                .as_deref()
                .map(|s| parse_time(s, now).map_err(|m| bad_time("--since", s, &m)))
                .transpose()?;
            let until_ms = until
                .as_deref()
                .map(|s| parse_time(s, now).map_err(|m| bad_time("--until", s, &m)))
                .transpose()?;
            let who = auth("search", "*")?;
            store.audit(&who, "search", "*", true).map_err(infra)?;
            let q = Query {
                route,
                endpoint,
                selector,
                text,
                since_ms,
                until_ms,
                errors: errors.then_some(true),
                limit,
                ..Default::default()
            };
            print_list(&list(&*store, &q)?, format);
        }
        SessionsCommand::Export { id, name, force } => {
            let who = auth("export", &id)?;
            let e = crate::collect::export::export_session(
                &*store,
                &id,
                &args.suite,
                &name,
                force,
                &who,
            )
            .map_err(|e| Failure {
                message: e.to_string(),
                hint: e.hint(),
                code: e.exit_code(),
            })?;
            println!(
                "exported session {id} as `{name}`:\n  {}\n  {}",
                e.recording.display(),
                e.har.display()
            );
            for n in &e.notes {
                println!("  note: {n}");
            }
            for c in &e.console_errors {
                println!("  console error during the session: {c}");
            }
            println!("next: `reprise run -u {name}` to make its baselines, then `reprise run`");
        }
        SessionsCommand::Delete { id } => {
            let who = auth("delete", &id)?;
            if !store.delete(&id, &who).map_err(infra)? {
                return Err(unknown(&id));
            }
            println!("deleted session {id}");
        }
        SessionsCommand::Audit { limit, format } => {
            let who = auth("audit", "*")?;
            store.audit(&who, "audit", "*", true).map_err(infra)?;
            let log = store.audit_log(limit).map_err(infra)?;
            if format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&log).unwrap_or_default());
            } else {
                for e in log {
                    println!(
                        "{}  {:<8} {:<7} {} {}",
                        iso(e.at_ms),
                        if e.allowed { "allowed" } else { "REFUSED" },
                        e.action,
                        e.target,
                        e.who
                    );
                }
            }
        }
    }
    Ok(exit::PASSED)
}

/// Sessions, without the store's own bookkeeping entry.
fn list(store: &dyn Store, q: &Query) -> Result<Vec<SessionSummary>, Failure> {
    Ok(store
        .list(q)
        .map_err(infra)?
        .into_iter()
        .filter(|s| s.id != STORE_META_SESSION)
        .collect())
}

fn unknown(id: &str) -> Failure {
    Failure::usage(
        format!("no session `{}` in the store", crate::excerpt::excerpt(id)),
        Some("list the sessions with `reprise sessions list`"),
    )
}

fn bad_time(flag: &str, value: &str, why: &str) -> Failure {
    Failure::usage(
        format!("`{flag} {}`: {why}", crate::excerpt::excerpt(value)),
        Some("use `2024-06-01`, `2024-06-01T12:00:00Z`, epoch milliseconds, or an age like `30m`, `2h`, `7d`"),
    )
}

fn print_list(list: &[SessionSummary], format: Format) {
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(list).unwrap_or_default());
        return;
    }
    if list.is_empty() {
        println!("no sessions");
        return;
    }
    println!(
        "{:<24} {:<20} {:>7} {:>9} {:<7} {:>6}  start",
        "id", "last seen (UTC)", "batches", "bytes", "state", "errors"
    );
    for s in list {
        println!(
            "{:<24} {:<20} {:>7} {:>9} {:<7} {:>6}  {}",
            s.id,
            iso(s.last_seen_ms),
            s.batches,
            s.bytes,
            if s.closed { "closed" } else { "open" },
            s.errors.len(),
            s.start_url.as_deref().unwrap_or("-")
        );
    }
}

fn print_show(s: &SessionSummary) {
    println!("session {}", s.id);
    println!("  first seen   {}", iso(s.first_seen_ms));
    println!("  last seen    {}", iso(s.last_seen_ms));
    println!(
        "  state        {}",
        if s.closed {
            format!("closed ({})", s.close_reason.as_deref().unwrap_or("?"))
        } else {
            "open".into()
        }
    );
    println!(
        "  batches      {} in {} window(s), {} bytes received",
        s.batches, s.windows, s.bytes
    );
    println!("  start        {}", s.start_url.as_deref().unwrap_or("-"));
    for (label, list) in [
        ("routes", &s.routes),
        ("endpoints", &s.endpoints),
        ("errors", &s.errors),
    ] {
        println!(
            "  {label:<12} {}",
            if list.is_empty() {
                "-".into()
            } else {
                list.join(", ")
            }
        );
    }
    if let Some(f) = &s.features {
        println!("  features     {f}");
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` from epoch milliseconds.
pub fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A time for `--since`/`--until`: an age (`30s`, `15m`, `2h`, `7d`), epoch milliseconds,
/// or a UTC date (`2024-06-01`, `2024-06-01T12:00`, `2024-06-01T12:00:00Z`).
pub fn parse_time(s: &str, now_ms: i64) -> Result<i64, String> {
    let s = s.trim();
    if let Some(unit) = s.chars().last().filter(|c| "smhd".contains(*c)) {
        if let Ok(n) = s[..s.len() - 1].parse::<u32>() {
            let mult: i64 = match unit {
                's' => 1_000,
                'm' => 60_000,
                'h' => 3_600_000,
                _ => 86_400_000,
            };
            return Ok(now_ms - i64::from(n) * mult);
        }
    }
    if s.len() >= 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map_err(|_| "not a number of milliseconds".into());
    }
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, ""));
    let nums: Vec<i64> = date
        .split('-')
        .map(|p| p.parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| "not a date".to_string())?;
    let [y, m, d] = nums[..] else {
        return Err("a date is YYYY-MM-DD".into());
    };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err("the date is out of range".into());
    }
    let time = time.trim_end_matches('Z');
    let hms: Vec<i64> = if time.is_empty() {
        vec![]
    } else {
        time.split(':')
            .map(|p| p.parse::<i64>())
            .collect::<Result<_, _>>()
            .map_err(|_| "not a time of day (HH:MM[:SS], UTC)".to_string())?
    };
    let (h, mi, se) = (
        hms.first().copied().unwrap_or(0),
        hms.get(1).copied().unwrap_or(0),
        hms.get(2).copied().unwrap_or(0),
    );
    if hms.len() > 3 || h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0 {
        return Err("the time of day is out of range".into());
    }
    Ok((days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + se) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_print() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        let t = parse_time("2024-06-01T12:30:05Z", 0).unwrap();
        assert_eq!(iso(t), "2024-06-01T12:30:05Z");
        assert_eq!(
            iso(parse_time("2024-02-29", 0).unwrap()),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            parse_time("2h", 10_000_000).unwrap(),
            10_000_000 - 7_200_000
        );
        assert_eq!(parse_time("1717245005000", 0).unwrap(), 1_717_245_005_000);
        for bad in ["yesterday", "2024-13-01", "2024-06-01T25:00", "1-2"] {
            assert!(parse_time(bad, 0).is_err(), "{bad}");
        }
    }
}
