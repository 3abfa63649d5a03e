//! Reviewing pending snapshots: `reprise review` (a terminal walk-through, or a local web UI
//! with `--serve`), and `reprise accept` / `reprise reject` in bulk.

use super::{exit, Failure};
use crate::baseline::{self, Action, DomSnapshot, Pending, SessionSnapshots};
use crate::suite::SNAPSHOTS_DIR;
use std::io::{BufRead, IsTerminal as _, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct BulkArgs {
    /// Sessions whose pending snapshots to act on.
    sessions: Vec<String>,
    /// Act on every pending snapshot of the suite.
    #[arg(long, conflicts_with = "sessions")]
    all: bool,
    /// Only this checkpoint (e.g. `08-checkout`).
    #[arg(long)]
    checkpoint: Option<String>,
    /// The suite folder.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct ReviewArgs {
    /// Only these sessions.
    sessions: Vec<String>,
    /// Serve the last run's HTML report on 127.0.0.1 with accept and reject buttons.
    #[arg(long)]
    serve: bool,
    /// Port for --serve (default: any free port).
    #[arg(long, requires = "serve")]
    port: Option<u16>,
    /// The suite folder.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
}

pub fn bulk(args: BulkArgs, action: Action) -> Result<i32, Failure> {
    if args.sessions.is_empty() && !args.all {
        return Err(Failure::usage(
            "name the sessions whose snapshots to act on, or pass `--all`".into(),
            Some("`reprise review` lists pending snapshots one by one"),
        ));
    }
    let root = args.suite.join(SNAPSHOTS_DIR);
    let mut todo = baseline::pending(&root, &args.sessions);
    if let Some(c) = &args.checkpoint {
        todo.retain(|p| &p.checkpoint == c);
    }
    let unknown: Vec<&String> = args
        .sessions
        .iter()
        .filter(|s| !todo.iter().any(|p| &p.session == *s))
        .collect();
    for s in &unknown {
        eprintln!("warning: no pending snapshot for session `{s}`");
    }
    if todo.is_empty() {
        println!("no pending snapshots");
        return Ok(exit::PASSED);
    }
    for p in &todo {
        baseline::apply(&args.suite.join(SNAPSHOTS_DIR), p, action).map_err(|e| Failure {
            message: format!("cannot update `{}/{}`: {e}", p.session, p.checkpoint),
            hint: None,
            code: exit::INFRASTRUCTURE,
        })?;
        println!("{:>9} {}/{}", action.past(), p.session, p.checkpoint);
    }
    Ok(exit::PASSED)
}

pub async fn review(args: ReviewArgs) -> Result<i32, Failure> {
    if args.serve {
        return super::serve::serve(&args.suite, &args.sessions, args.port).await;
    }
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "`reprise review` is interactive and needs a terminal".into(),
            Some("without a terminal use `reprise accept SESSION…` / `reprise accept --all`, `reprise reject …`, or `reprise review --serve` for the browser"),
        ));
    }
    let todo = baseline::pending(&args.suite.join(SNAPSHOTS_DIR), &args.sessions);
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    interactive(&args.suite, &todo, &mut lines, &mut std::io::stdout())
}

/// The terminal walk-through, over any line source (tests feed it a script of answers).
pub(crate) fn interactive(
    suite: &Path,
    todo: &[Pending],
    answers: &mut dyn Iterator<Item = std::io::Result<String>>,
    out: &mut dyn Write,
) -> Result<i32, Failure> {
    if todo.is_empty() {
        let _ = writeln!(out, "no pending snapshots");
        return Ok(exit::PASSED);
    }
    let root = suite.join(SNAPSHOTS_DIR);
    let mut accept_rest = false;
    for (i, p) in todo.iter().enumerate() {
        let snaps = SessionSnapshots::new(&root, &p.session);
        let _ = writeln!(
            out,
            "\n[{}/{}] {} / {}",
            i + 1,
            todo.len(),
            p.session,
            p.checkpoint
        );
        let read = |path: PathBuf| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| DomSnapshot::parse(&t).ok())
                .map(|s| s.body)
        };
        let old = read(snaps.dom_path(&p.checkpoint));
        let new = read(snaps.pending_dom_path(&p.checkpoint)).unwrap_or_default();
        match &old {
            None => {
                let _ = writeln!(
                    out,
                    "  new checkpoint: no baseline yet ({} lines of DOM)",
                    new.lines().count()
                );
            }
            Some(old) => {
                let diff = crate::compare::compare_dom(old, &new);
                if diff.equal {
                    let _ = writeln!(out, "  DOM unchanged; the screenshot differs");
                } else {
                    for line in diff.unified.lines().take(80) {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
        }
        let show = |label: &str, path: PathBuf, out: &mut dyn Write| {
            if path.exists() {
                let _ = writeln!(out, "  {label:<9} {}", path.display());
            }
        };
        show("baseline", snaps.png_path(&p.checkpoint), out);
        show("replay", snaps.pending_png_path(&p.checkpoint), out);
        show(
            "diff",
            suite
                .join(super::LAST_RUN_DIR)
                .join(&p.session)
                .join(format!("{}.diff.png", p.checkpoint)),
            out,
        );
        let action = if accept_rest {
            Some(Action::Accept)
        } else {
            loop {
                let _ = write!(out, "  [a]ccept, [r]eject, [s]kip, accept [A]ll, [q]uit? ");
                let _ = out.flush();
                let Some(Ok(answer)) = answers.next() else {
                    return Ok(exit::PASSED);
                };
                match answer.trim() {
                    "a" | "accept" => break Some(Action::Accept),
                    "r" | "reject" => break Some(Action::Reject),
                    "s" | "skip" | "" => break None,
                    "A" | "all" => {
                        accept_rest = true;
                        break Some(Action::Accept);
                    }
                    "q" | "quit" => return Ok(exit::PASSED),
                    _ => continue,
                }
            }
        };
        if let Some(action) = action {
            baseline::apply(&root, p, action).map_err(|e| Failure {
                message: format!("cannot update `{}/{}`: {e}", p.session, p.checkpoint),
                hint: None,
                code: exit::INFRASTRUCTURE,
            })?;
            let _ = writeln!(out, "  {}", action.past());
        }
    }
    Ok(exit::PASSED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::SnapshotHeader;

    #[test]
    fn walk_through_accepts_rejects_and_skips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join(SNAPSHOTS_DIR);
        let s = SessionSnapshots::new(&root, "a");
        let dom = |b: &str| DomSnapshot {
            header: SnapshotHeader::default(),
            body: b.into(),
        };
        s.approve("01-x", &dom("old\n"), b"old").expect("approve");
        for c in ["01-x", "02-y", "03-z"] {
            s.write_pending(c, &dom("new\n"), b"new").expect("pending");
        }
        let todo = baseline::pending(&root, &[]);
        let mut answers = ["a", "r", "s"].into_iter().map(|x| Ok(x.to_string()));
        let mut out = Vec::new();
        interactive(dir.path(), &todo, &mut answers, &mut out).expect("ok");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.contains("-old") && text.contains("+new"), "{text}");
        assert_eq!(std::fs::read(s.png_path("01-x")).expect("read"), b"new");
        assert!(!s.png_path("02-y").exists() && !s.pending_png_path("02-y").exists());
        assert!(s.pending_png_path("03-z").exists());
    }
}
