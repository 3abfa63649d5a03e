//! The review queue by group: a run's report (the local last run, or a CI run's artifact with
//! `--from DIR`), its groups of alike changes, and the decisions taken on them.
//!
//! A checkpoint in several groups is accepted only once every one of its groups is, so the
//! decisions taken so far are kept beside the report (`review.json`): accepting one group
//! today and the other tomorrow accepts the checkpoint then. Rejecting a group discards the
//! pending captures of its members, and none of them is accepted by another group later.
//!
//! From an artifact, accepting writes the artifact's capture (`<session>/<checkpoint>.actual.dom`
//! and `.png` in the out folder) as the working tree's baseline; rejecting leaves the
//! baseline as it is.

use super::{exit, Failure, LAST_REPORT, LAST_RUN_DIR};
use crate::baseline::{self, Action, DomSnapshot, Pending, SessionSnapshots};
use crate::grouping::{Group, Member};
use crate::model::{RunReport, REPORT_FORMAT_OLDEST, REPORT_FORMAT_VERSION};
use crate::suite::{RECORDINGS_DIR, SNAPSHOTS_DIR};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The decisions file, beside the report it is about.
const DECISIONS: &str = "review.json";

/// Largest report read (a CI artifact is input like any other).
const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Decisions {
    /// Digest of the report the decisions are about: a later run's report starts afresh
    /// (group ids are stable across runs, decisions are not).
    report: String,
    accepted: Vec<String>,
    rejected: Vec<String>,
}

/// Where the captures to accept come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The local run's pending `.new` files under `snapshots/`.
    Local,
    /// A CI run's out folder.
    Artifact(PathBuf),
}

pub(crate) struct Queue {
    pub suite: PathBuf,
    pub report: RunReport,
    pub source: Source,
    /// The folder the report and the decisions file are in.
    dir: PathBuf,
    decisions: Decisions,
}

/// What deciding a group did to each of its members.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Checkpoints accepted or rejected now.
    pub done: Vec<Member>,
    /// Members waiting for another of their groups, with those groups' ids.
    pub waiting: Vec<(Member, Vec<String>)>,
    /// Members with nothing left to act on (accepted or discarded before).
    pub gone: Vec<Member>,
}

/// A plain name: what session ids and checkpoint names are on disk (never a path).
pub(crate) fn plain(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn read_report(path: &Path, hint: &str) -> Result<(RunReport, String), Failure> {
    let size = std::fs::metadata(path).map(|m| m.len()).map_err(|e| {
        Failure::usage(
            format!("no report to review: cannot read `{}`: {e}", path.display()),
            Some(hint),
        )
    })?;
    if size > MAX_REPORT_BYTES {
        return Err(Failure::usage(
            format!(
                "`{}` is {size} bytes, over the {MAX_REPORT_BYTES}-byte limit of a report",
                path.display()
            ),
            None,
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display()), None))?;
    // The version first, so a newer report says so rather than failing on a field.
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format_version").and_then(serde_json::Value::as_u64));
    match version {
        Some(v) if (u64::from(REPORT_FORMAT_OLDEST)..=u64::from(REPORT_FORMAT_VERSION)).contains(&v) => {}
        Some(v) => {
            return Err(Failure::usage(
                format!(
                    "`{}` has report format v{v}; this reprise reads v{REPORT_FORMAT_OLDEST} to v{REPORT_FORMAT_VERSION}",
                    path.display()
                ),
                Some("review it with the reprise version that wrote it (the one CI runs)"),
            ))
        }
        None => {
            return Err(Failure::usage(
                format!("`{}` is not a reprise JSON report", path.display()),
                Some(hint),
            ))
        }
    }
    let mut report: RunReport = serde_json::from_str(&text).map_err(|e| {
        Failure::usage(
            format!("`{}` is not a reprise JSON report: {e}", path.display()),
            Some(hint),
        )
    })?;
    // Version 1 has no groups; a newer one is grouped again so the ids are this reprise's.
    report.regroup();
    Ok((report, crate::grouping::group_id(&text)))
}

impl Queue {
    /// The local last run (`.reprise/out/report.json`), or `None` when there is none.
    pub fn local(suite: &Path) -> Result<Option<Self>, Failure> {
        let dir = suite.join(LAST_RUN_DIR);
        if !dir.join(LAST_REPORT).exists() {
            return Ok(None);
        }
        Self::open(suite, dir, Source::Local, "run `reprise run` again").map(Some)
    }

    /// A CI run's artifact: its out folder, with the run's `report.json` in it.
    pub fn artifact(suite: &Path, dir: &Path) -> Result<Self, Failure> {
        if !dir.is_dir() {
            return Err(Failure::usage(
                format!("`--from {}`: no such folder", dir.display()),
                Some("unpack the CI run's artifact (its out folder, `.reprise/out` by default) and name that folder"),
            ));
        }
        let mut q = Self::open(
            suite,
            dir.to_path_buf(),
            Source::Artifact(dir.to_path_buf()),
            "name the CI run's out folder (`.reprise/out` by default), which holds `report.json`",
        )?;
        q.check_artifact()?;
        // The report's paths are relative to CI's suite folder: point them at the artifact
        // and at this working tree, so the HTML review shows the right images.
        let snapshots = suite.join(SNAPSHOTS_DIR);
        for s in &mut q.report.sessions {
            let base = dir.join(&s.id);
            for c in &mut s.checkpoints {
                let at = |ext: &str| {
                    let p = base.join(format!("{}.{ext}", c.name));
                    p.exists().then(|| p.display().to_string())
                };
                c.actual_png = at("actual.png");
                c.actual_dom = at("actual.dom");
                c.diff_png = at("diff.png");
                let png = SessionSnapshots::new(&snapshots, &s.id).png_path(&c.name);
                c.baseline_png = png.exists().then(|| png.display().to_string());
            }
        }
        Ok(q)
    }

    fn open(suite: &Path, dir: PathBuf, source: Source, hint: &str) -> Result<Self, Failure> {
        let (report, digest) = read_report(&dir.join(LAST_REPORT), hint)?;
        let decisions = std::fs::read_to_string(dir.join(DECISIONS))
            .ok()
            .and_then(|t| serde_json::from_str::<Decisions>(&t).ok())
            .filter(|d| d.report == digest)
            .unwrap_or(Decisions {
                report: digest,
                ..Decisions::default()
            });
        Ok(Self {
            suite: suite.to_path_buf(),
            report,
            source,
            dir,
            decisions,
        })
    }

    /// An artifact must belong to this suite: every session to decide on has a recording
    /// here, and its captures are in the artifact.
    fn check_artifact(&self) -> Result<(), Failure> {
        let Source::Artifact(dir) = &self.source else {
            return Ok(());
        };
        let mut missing_sessions = Vec::new();
        let mut missing_files = Vec::new();
        for g in &self.report.groups {
            for m in &g.members {
                if !plain(&m.session) || !plain(&m.checkpoint) {
                    return Err(Failure::usage(
                        format!(
                            "the artifact's report names `{}/{}`, which is not a session and checkpoint name",
                            crate::excerpt::message(&m.session),
                            crate::excerpt::message(&m.checkpoint)
                        ),
                        None,
                    ));
                }
                let recording = self
                    .suite
                    .join(RECORDINGS_DIR)
                    .join(format!("{}.json", m.session));
                if !recording.exists() && !missing_sessions.contains(&m.session) {
                    missing_sessions.push(m.session.clone());
                }
                for ext in ["actual.dom", "actual.png"] {
                    let f = dir.join(&m.session).join(format!("{}.{ext}", m.checkpoint));
                    if !f.exists() && missing_files.len() < 5 {
                        missing_files.push(f.display().to_string());
                    }
                }
            }
        }
        if !missing_sessions.is_empty() {
            return Err(Failure::usage(
                format!(
                    "the artifact does not match this suite: no recording for session(s) {} in `{}`",
                    missing_sessions
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.suite.join(RECORDINGS_DIR).display()
                ),
                Some("run the review in the working tree of the commit CI tested (or pass `-C SUITE`)"),
            ));
        }
        if !missing_files.is_empty() {
            return Err(Failure::usage(
                format!(
                    "the artifact lacks the captures its report lists: {}",
                    missing_files.join(", ")
                ),
                Some("upload the whole out folder as the CI artifact, not only the report"),
            ));
        }
        Ok(())
    }

    /// The group with `id`, or a usage error listing the ids there are.
    pub fn group(&self, id: &str) -> Result<&Group, Failure> {
        self.report.group(id).ok_or_else(|| {
            let known: Vec<&str> = self
                .report
                .groups
                .iter()
                .take(10)
                .map(|g| g.id.as_str())
                .collect();
            Failure::usage(
                format!(
                    "no group `{}` in the run being reviewed",
                    crate::excerpt::message(id)
                ),
                Some(&if known.is_empty() {
                    "that run has no change to decide on".to_string()
                } else {
                    format!("its groups: {}", known.join(", "))
                }),
            )
        })
    }

    /// Ids of the groups a checkpoint belongs to.
    fn groups_of(&self, m: &Member) -> Vec<String> {
        self.report
            .groups
            .iter()
            .filter(|g| g.members.contains(m))
            .map(|g| g.id.clone())
            .collect()
    }

    /// Whether a group was decided (in this review or an earlier one).
    pub fn decided(&self, id: &str) -> Option<Action> {
        if self.decisions.rejected.iter().any(|d| d == id) {
            Some(Action::Reject)
        } else if self.decisions.accepted.iter().any(|d| d == id) {
            Some(Action::Accept)
        } else {
            None
        }
    }

    /// Decides a whole group: accepts the members whose every group is now accepted, or
    /// rejects every member.
    pub fn decide_group(&mut self, id: &str, action: Action) -> Result<Outcome, Failure> {
        let group = self.group(id)?.clone();
        let list = match action {
            Action::Accept => &mut self.decisions.accepted,
            Action::Reject => &mut self.decisions.rejected,
        };
        if !list.iter().any(|d| d == id) {
            list.push(id.to_string());
        }
        self.save()?;
        let mut out = Outcome::default();
        for m in &group.members {
            let others: Vec<String> = self
                .groups_of(m)
                .into_iter()
                .filter(|g| g != id && self.decided(g) != Some(Action::Accept))
                .collect();
            if action == Action::Accept && !others.is_empty() {
                out.waiting.push((m.clone(), others));
                continue;
            }
            if self.decide_checkpoint(m, action)? {
                out.done.push(m.clone());
            } else {
                out.gone.push(m.clone());
            }
        }
        Ok(out)
    }

    /// Decides one checkpoint (a group split by the reviewer, or the last group of a member);
    /// false when there was nothing left to act on.
    pub fn decide_checkpoint(&self, m: &Member, action: Action) -> Result<bool, Failure> {
        let root = self.suite.join(SNAPSHOTS_DIR);
        let failed = |e: String| Failure {
            message: format!("cannot update `{}/{}`: {e}", m.session, m.checkpoint),
            hint: None,
            code: exit::INFRASTRUCTURE,
        };
        match (&self.source, action) {
            (Source::Local, _) => {
                let p = Pending {
                    session: m.session.clone(),
                    checkpoint: m.checkpoint.clone(),
                };
                baseline::apply(&root, &p, action).map_err(|e| failed(e.to_string()))
            }
            (Source::Artifact(_), Action::Reject) => Ok(true),
            (Source::Artifact(dir), Action::Accept) => {
                let at = |ext: &str| dir.join(&m.session).join(format!("{}.{ext}", m.checkpoint));
                let dom = std::fs::read_to_string(at("actual.dom"))
                    .map_err(|e| failed(format!("{}: {e}", at("actual.dom").display())))?;
                let dom = DomSnapshot::parse(&dom)
                    .map_err(|e| failed(format!("{}: {e}", at("actual.dom").display())))?;
                let png = std::fs::read(at("actual.png"))
                    .map_err(|e| failed(format!("{}: {e}", at("actual.png").display())))?;
                SessionSnapshots::new(&root, &m.session)
                    .approve(&m.checkpoint, &dom, &png)
                    .map_err(|e| failed(e.to_string()))?;
                Ok(true)
            }
        }
    }

    fn save(&self) -> Result<(), Failure> {
        let path = self.dir.join(DECISIONS);
        let text = serde_json::to_string_pretty(&self.decisions).unwrap_or_default();
        crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(|e| Failure {
            message: format!("cannot record the decision in `{}`: {e}", path.display()),
            hint: None,
            code: exit::INFRASTRUCTURE,
        })
    }

    /// Where a member's screenshots are, for people: baseline, replay, diff.
    pub fn images(&self, m: &Member) -> Vec<(&'static str, PathBuf)> {
        let snaps = SessionSnapshots::new(&self.suite.join(SNAPSHOTS_DIR), &m.session);
        let out_dir = match &self.source {
            Source::Local => self.suite.join(LAST_RUN_DIR),
            Source::Artifact(d) => d.clone(),
        };
        let replay = match &self.source {
            Source::Local => snaps.pending_png_path(&m.checkpoint),
            Source::Artifact(d) => d
                .join(&m.session)
                .join(format!("{}.actual.png", m.checkpoint)),
        };
        [
            ("baseline", snaps.png_path(&m.checkpoint)),
            ("replay", replay),
            (
                "diff",
                out_dir
                    .join(&m.session)
                    .join(format!("{}.diff.png", m.checkpoint)),
            ),
        ]
        .into_iter()
        .filter(|(_, p)| p.exists())
        .collect()
    }
}

/// Prints what deciding a group did, one line per checkpoint.
pub(crate) fn print_outcome(out: &mut dyn std::io::Write, action: Action, o: &Outcome) {
    for m in &o.done {
        let _ = writeln!(out, "{:>9} {}/{}", action.past(), m.session, m.checkpoint);
    }
    for (m, others) in &o.waiting {
        let _ = writeln!(
            out,
            "  waiting {}/{}: also in group(s) {} (accepted once they are)",
            m.session,
            m.checkpoint,
            others.join(", ")
        );
    }
    for m in &o.gone {
        let _ = writeln!(
            out,
            "  nothing pending for {}/{} (decided before)",
            m.session, m.checkpoint
        );
    }
}
