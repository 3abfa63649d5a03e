//! Reviewing pending snapshots: `reprise review` (a terminal walk-through, or a local web UI
//! with `--serve`), and `reprise accept` / `reprise reject` in bulk.

use super::queue::{print_outcome, Queue};
use super::{exit, Failure};
use crate::baseline::{self, Action, DomSnapshot, Pending, SessionSnapshots};
use crate::grouping::Member;
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
    /// Act on one group of alike changes (its id from the run's summary or report); a
    /// checkpoint in several groups is accepted once all of them are.
    #[arg(long, conflicts_with_all = ["sessions", "all", "checkpoint"])]
    group: Option<String>,
    /// Review a CI run's artifact (its out folder with `report.json`) instead of the local
    /// run: accepting writes its captures as this working tree's baselines.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
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
    /// Review a CI run's artifact (its out folder with `report.json`) instead of the local
    /// run: accepting writes its captures as this working tree's baselines.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// The suite folder.
    #[arg(long, short = 'C', default_value = ".")]
    suite: PathBuf,
}

/// The queue `--from DIR` names, or the local run's (which must exist).
fn queue(suite: &Path, from: Option<&Path>) -> Result<Queue, Failure> {
    match from {
        Some(dir) => Queue::artifact(suite, dir),
        None => Queue::local(suite)?.ok_or_else(|| {
            Failure::usage(
                format!(
                    "no run to review: `{}` does not exist",
                    suite
                        .join(super::LAST_RUN_DIR)
                        .join(super::LAST_REPORT)
                        .display()
                ),
                Some("run `reprise run` first, or review a CI run's artifact with `--from DIR`"),
            )
        }),
    }
}

/// `accept`/`reject --group ID`.
fn bulk_group(args: &BulkArgs, id: &str, action: Action) -> Result<i32, Failure> {
    let mut q = queue(&args.suite, args.from.as_deref())?;
    let outcome = q.decide_group(id, action)?;
    print_outcome(&mut std::io::stdout(), action, &outcome);
    if outcome.done.is_empty() && outcome.waiting.is_empty() {
        return Err(Failure::usage(
            format!("nothing pending in group `{id}`: its checkpoints were decided before"),
            Some("`reprise run` again to see what still differs"),
        ));
    }
    Ok(exit::PASSED)
}

/// `accept`/`reject --from DIR` by session or `--all`: every checkpoint of the artifact that
/// needs a decision.
fn bulk_from(args: &BulkArgs, dir: &Path, action: Action) -> Result<i32, Failure> {
    let q = Queue::artifact(&args.suite, dir)?;
    let mut todo: Vec<Member> = Vec::new();
    for g in &q.report.groups {
        for m in &g.members {
            let wanted = (args.sessions.is_empty() || args.sessions.contains(&m.session))
                && args.checkpoint.as_ref().is_none_or(|c| *c == m.checkpoint);
            if wanted && !todo.contains(m) {
                todo.push(m.clone());
            }
        }
    }
    if let Some(s) = args
        .sessions
        .iter()
        .find(|s| !todo.iter().any(|m| &m.session == *s))
    {
        return Err(Failure::usage(
            format!("the artifact has nothing to decide for session `{s}`"),
            None,
        ));
    }
    if todo.is_empty() {
        return Err(Failure::usage(
            "the artifact has nothing to decide (no changed or new checkpoint matches)".into(),
            None,
        ));
    }
    for m in &todo {
        q.decide_checkpoint(m, action)?;
        println!("{:>9} {}/{}", action.past(), m.session, m.checkpoint);
    }
    Ok(exit::PASSED)
}

pub fn bulk(args: BulkArgs, action: Action) -> Result<i32, Failure> {
    if let Some(id) = &args.group {
        return bulk_group(&args, id, action);
    }
    if args.sessions.is_empty() && !args.all {
        return Err(Failure::usage(
            "name the sessions whose snapshots to act on, or pass `--all`".into(),
            Some("`reprise review` lists pending snapshots one by one"),
        ));
    }
    if let Some(dir) = &args.from {
        return bulk_from(&args, dir, action);
    }
    let root = args.suite.join(SNAPSHOTS_DIR);
    let mut todo = baseline::pending(&root, &args.sessions);
    // A name that is no session of the suite, or a checkpoint no pending snapshot has, is a
    // typo: acting on nothing and passing would leave the change undecided unnoticed.
    let ids: Vec<String> = crate::suite::discover(&args.suite, &[])
        .map(|specs| specs.into_iter().map(|s| s.id).collect())
        .unwrap_or_default();
    if let Some(s) = args
        .sessions
        .iter()
        .find(|s| !ids.contains(s) && !todo.iter().any(|p| &p.session == *s))
    {
        let near = crate::suite::closest(s, &ids)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        return Err(Failure::usage(
            format!("no session `{s}` in the suite"),
            Some(&format!("{near}`reprise list` names the sessions")),
        ));
    }
    if let Some(c) = &args.checkpoint {
        let names: Vec<String> = todo.iter().map(|p| p.checkpoint.clone()).collect();
        todo.retain(|p| &p.checkpoint == c);
        if todo.is_empty() && !names.is_empty() {
            let near = crate::suite::closest(c, &names)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            return Err(Failure::usage(
                format!("no pending snapshot of checkpoint `{c}`"),
                Some(&format!(
                    "{near}`reprise review` lists the pending snapshots"
                )),
            ));
        }
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
        return super::serve::serve(&args.suite, &args.sessions, args.port, args.from.as_deref())
            .await;
    }
    // Checked before the artifact is read: a script gets the same answer either way.
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "`reprise review` is interactive and needs a terminal".into(),
            Some("without a terminal use `reprise accept SESSION…` / `reprise accept --all` / `reprise accept --group ID`, `reprise reject …`, or `reprise review --serve` for the browser"),
        ));
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let queue = match &args.from {
        Some(dir) => Some(Queue::artifact(&args.suite, dir)?),
        None => Queue::local(&args.suite)?,
    };
    if let Some(mut q) = queue.filter(|q| !q.report.groups.is_empty()) {
        return by_group(&mut q, &args.sessions, &mut lines, &mut std::io::stdout());
    }
    let todo = baseline::pending(&args.suite.join(SNAPSHOTS_DIR), &args.sessions);
    interactive(&args.suite, &todo, &mut lines, &mut std::io::stdout())
}

/// Members listed under a group in the terminal; the rest are counted.
const MEMBERS_SHOWN: usize = 12;

/// The terminal walk-through by group: one decision per group, or per checkpoint when the
/// reviewer splits a group.
pub(crate) fn by_group(
    q: &mut Queue,
    sessions: &[String],
    answers: &mut dyn Iterator<Item = std::io::Result<String>>,
    out: &mut dyn Write,
) -> Result<i32, Failure> {
    let groups: Vec<crate::grouping::Group> = q
        .report
        .groups
        .iter()
        .filter(|g| q.decided(&g.id).is_none())
        .filter(|g| sessions.is_empty() || g.members.iter().any(|m| sessions.contains(&m.session)))
        .cloned()
        .collect();
    if groups.is_empty() {
        let _ = writeln!(out, "nothing left to decide");
        return Ok(exit::PASSED);
    }
    let mut ask = |prompt: &str, out: &mut dyn Write| -> Option<String> {
        let _ = write!(out, "{prompt}");
        let _ = out.flush();
        match answers.next() {
            Some(Ok(a)) => Some(a.trim().to_string()),
            _ => None,
        }
    };
    for (i, g) in groups.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n[{}/{}] group {}: {}\n  {}",
            i + 1,
            groups.len(),
            g.id,
            crate::report::groups::clean_line(&g.summary),
            crate::report::groups::size(g)
        );
        for m in g.members.iter().take(MEMBERS_SHOWN) {
            let _ = writeln!(out, "  - {}/{}", m.session, m.checkpoint);
        }
        if g.members.len() > MEMBERS_SHOWN {
            let _ = writeln!(out, "  … and {} more", g.members.len() - MEMBERS_SHOWN);
        }
        if let Some(first) = g.members.first() {
            let _ = writeln!(
                out,
                "  representative {}/{}:",
                first.session, first.checkpoint
            );
            for (label, path) in q.images(first) {
                let _ = writeln!(out, "    {label:<9} {}", path.display());
            }
        }
        let action = loop {
            let Some(answer) = ask(
                "  [a]ccept group, [r]eject group, [s]kip, s[p]lit into checkpoints, [q]uit? ",
                out,
            ) else {
                return Ok(exit::PASSED);
            };
            match answer.as_str() {
                "a" | "accept" => break Some(Action::Accept),
                "r" | "reject" => break Some(Action::Reject),
                "s" | "skip" | "" => break None,
                "p" | "split" => {
                    for m in &g.members {
                        let _ = writeln!(out, "  {}/{}", m.session, m.checkpoint);
                        for (label, path) in q.images(m) {
                            let _ = writeln!(out, "    {label:<9} {}", path.display());
                        }
                        let choice = loop {
                            let Some(a) = ask("    [a]ccept, [r]eject, [s]kip, [q]uit? ", out)
                            else {
                                return Ok(exit::PASSED);
                            };
                            match a.as_str() {
                                "a" | "accept" => break Some(Action::Accept),
                                "r" | "reject" => break Some(Action::Reject),
                                "s" | "skip" | "" => break None,
                                "q" | "quit" => return Ok(exit::PASSED),
                                _ => continue,
                            }
                        };
                        if let Some(action) = choice {
                            q.decide_checkpoint(m, action)?;
                            let _ = writeln!(out, "    {}", action.past());
                        }
                    }
                    break None;
                }
                "q" | "quit" => return Ok(exit::PASSED),
                _ => continue,
            }
        };
        if let Some(action) = action {
            let outcome = q.decide_group(&g.id, action)?;
            print_outcome(out, action, &outcome);
        }
    }
    Ok(exit::PASSED)
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

    #[test]
    fn by_group_decides_a_group_or_splits_it_and_waits_for_every_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join(SNAPSHOTS_DIR);
        let dom = |b: &str| DomSnapshot {
            header: SnapshotHeader::default(),
            body: b.into(),
        };
        let members = [("a", "01-x"), ("a", "02-y"), ("b", "01-x")];
        for (s, c) in members {
            let snaps = SessionSnapshots::new(&root, s);
            snaps.approve(c, &dom("old\n"), b"old").expect("approve");
            snaps
                .write_pending(c, &dom("new\n"), b"new")
                .expect("pending");
        }
        let change = |after: &str| serde_json::json!({"kind": "text", "within": "<p>", "before": "\"a\"", "after": after});
        let cp = |name: &str, changes: Vec<serde_json::Value>| {
            serde_json::json!({"name": name, "status": "changed", "dom_similarity": 0.5,
                "visual_similarity": 1.0, "diff_pixels": 0, "step": 1, "url": "",
                "baseline_dom": null, "baseline_png": null, "actual_dom": null,
                "actual_png": null, "diff_png": null, "dom_changes": changes})
        };
        let session = |id: &str, checkpoints: Vec<serde_json::Value>| {
            serde_json::json!({"id": id, "title": "", "status": "changed", "fidelity": 0.5,
                "duration_ms": 1, "attempts": 1, "steps_total": 1, "steps_completed": 1,
                "steps": [], "checkpoints": checkpoints,
                "network": {"recorded": 0, "served": 0, "app_assets": 0, "unmatched": [], "escaped": []},
                "console_errors": [], "error": null, "tags": [], "recording": ""})
        };
        let report = serde_json::json!({"format_version": 1, "verdict": "regressed",
            "duration_ms": 1,
            "summary": {"sessions": 2, "passed": 0, "changed": 2, "broken": 0, "new": 0, "flaky": 0, "error": 0},
            "sessions": [
                session("a", vec![cp("01-x", vec![change("\"A\"")]), cp("02-y", vec![change("\"A\""), change("\"B\"")])]),
                session("b", vec![cp("01-x", vec![change("\"A\"")])]),
            ],
            "snapshots_written": 0, "snapshots_pending": 3});
        let out_dir = dir.path().join(super::super::LAST_RUN_DIR);
        std::fs::create_dir_all(&out_dir).expect("mkdir");
        std::fs::write(out_dir.join(super::super::LAST_REPORT), report.to_string()).expect("write");
        let mut q = Queue::local(dir.path()).expect("read").expect("a report");
        assert_eq!(
            q.report.groups.len(),
            2,
            "a version 1 report is grouped when read"
        );
        assert_eq!(q.report.groups[0].members.len(), 3);
        // Split the large group: accept, skip, reject; then accept the other group.
        let mut answers = ["p", "a", "s", "r", "a"]
            .into_iter()
            .map(|x| Ok(x.to_string()));
        let mut out = Vec::new();
        by_group(&mut q, &[], &mut answers, &mut out).expect("ok");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.contains("[1/2] group "), "{text}");
        assert!(text.contains("3 checkpoints of 2 sessions"), "{text}");
        assert!(text.contains("waiting a/02-y"), "{text}");
        let a = SessionSnapshots::new(&root, "a");
        let b = SessionSnapshots::new(&root, "b");
        assert_eq!(std::fs::read(a.png_path("01-x")).expect("read"), b"new");
        assert!(
            a.pending_png_path("02-y").exists(),
            "its other group was only split"
        );
        assert_eq!(std::fs::read(b.png_path("01-x")).expect("read"), b"old");
        assert!(!b.pending_png_path("01-x").exists());
        // The decision on the second group is kept: accepting the first later completes it.
        let mut q = Queue::local(dir.path()).expect("read").expect("a report");
        let id = q.report.groups[0].id.clone();
        let o = q.decide_group(&id, Action::Accept).expect("accept");
        assert_eq!(o.done.len(), 1, "{o:?}");
        assert_eq!(o.gone.len(), 2, "{o:?}");
        assert_eq!(std::fs::read(a.png_path("02-y")).expect("read"), b"new");
        assert!(q.decide_group("nope", Action::Accept).is_err());
    }
}
