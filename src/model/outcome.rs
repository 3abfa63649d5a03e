//! The outcome of a run, as the runner produces it and the JSON report (format version 2,
//! docs/report-format.md, docs/report.schema.json) writes it. Fields may be added; existing
//! ones keep their meaning. A field added here goes into the schema too: the tests validate
//! every report against it.

use crate::mock::UnmatchedRequest;
use serde::{Deserialize, Serialize};

/// Version 2 added `groups` and, per checkpoint, `visual_change` and `groups`; version 1
/// reports are still read (their groups are computed again, from what they hold).
pub const REPORT_FORMAT_VERSION: u32 = 2;

/// The oldest report format this reprise reads.
pub const REPORT_FORMAT_OLDEST: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Passed,
    Changed,
    Broken,
    New,
    Flaky,
    Error,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Changed => "changed",
            Self::Broken => "broken",
            Self::New => "new",
            Self::Flaky => "flaky",
            Self::Error => "error",
        }
    }
}

/// What kind of error made a session `error`: decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// A bad recording, HAR or suite layout: exit 2.
    Input,
    /// The browser or driver failed: exit 3.
    Infrastructure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckpointStatus {
    Match,
    Changed,
    New,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointReport {
    pub name: String,
    pub status: CheckpointStatus,
    pub dom_similarity: f64,
    pub visual_similarity: f64,
    pub diff_pixels: u64,
    /// 1-based step after which it was taken (0: before any step).
    pub step: usize,
    pub url: String,
    pub baseline_dom: Option<String>,
    pub baseline_png: Option<String>,
    /// Where this run's capture and diffs were written, when they differ or are new.
    pub actual_dom: Option<String>,
    pub actual_png: Option<String>,
    pub diff_png: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dom_diff: Option<String>,
    /// Set when the baseline was written by a different set of normalization rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What a second replay of the same build captured, when the session is `flaky`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_capture: Option<SecondCapture>,
    /// The DOM differences as structural changes (added, removed, text, attribute).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dom_changes: Vec<crate::compare::dom::DomChange>,
    /// The kind of visual difference (recolourings, changed regions), when pixels differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visual_change: Option<crate::grouping::VisualChange>,
    /// Ids of the groups (`RunReport::groups`) this checkpoint's changes belong to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// The first point where a replay diverged from the recording and its baselines: what a
/// person should look at first to learn why a session changed or broke.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Divergence {
    /// 1-based step during or after which it happened.
    pub step: usize,
    pub kind: DivergenceKind,
    pub summary: String,
    pub details: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DivergenceKind {
    /// A request matched nothing recorded.
    Request,
    /// A console error or uncaught exception.
    Console,
    /// A step could not be performed.
    Step,
    /// A checkpoint differs from its baseline.
    Checkpoint,
}

/// The capture of a later replay of a flaky session, beside the first one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecondCapture {
    /// Which replay of the run (2 for the first re-run).
    pub replay: u32,
    pub status: CheckpointStatus,
    pub dom: Option<String>,
    pub png: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NetworkReport {
    /// Exchanges in the session's HAR.
    pub recorded: usize,
    /// Requests answered from the HAR.
    pub served: usize,
    /// Requests answered from the build under test.
    pub app_assets: usize,
    pub unmatched: Vec<UnmatchedRequest>,
    /// Hosts of connections that escaped interception and were stopped by the loopback
    /// backstop (the browser's own background traffic is not counted).
    pub escaped: Vec<String>,
}

/// One step of the session's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepReport {
    /// 1-based step number.
    pub step: usize,
    pub step_type: String,
    /// What the step did, for people: its URL, first selector, value or key.
    pub description: String,
    pub status: StepStatus,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrokenStep {
    /// 1-based step number.
    pub step: usize,
    pub step_type: String,
    pub message: String,
    pub selectors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionReport {
    pub id: String,
    pub title: String,
    pub status: SessionStatus,
    pub fidelity: f64,
    pub duration_ms: u64,
    pub attempts: u32,
    pub steps_total: usize,
    pub steps_completed: usize,
    pub steps: Vec<StepReport>,
    pub checkpoints: Vec<CheckpointReport>,
    pub network: NetworkReport,
    pub console_errors: Vec<String>,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_step: Option<BrokenStep>,
    /// Where a changed or broken session first diverged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divergence: Option<Divergence>,
    pub tags: Vec<String>,
    pub recording: String,
    /// What the replay ran (`browser::coverage::Blocks` as JSON), when the run measured
    /// coverage (`reprise curate --coverage`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<serde_json::Value>,
}

impl SessionReport {
    /// A session that could not be replayed at all.
    pub fn error(id: &str, recording: &str, kind: ErrorKind, message: String) -> Self {
        Self {
            id: id.into(),
            title: String::new(),
            status: SessionStatus::Error,
            fidelity: 0.0,
            duration_ms: 0,
            attempts: 1,
            steps_total: 0,
            steps_completed: 0,
            steps: Vec::new(),
            checkpoints: Vec::new(),
            network: NetworkReport::default(),
            console_errors: Vec::new(),
            error: Some(message),
            error_kind: Some(kind),
            broken_step: None,
            tags: Vec::new(),
            divergence: None,
            recording: recording.into(),
            coverage: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Regressed,
    Error,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub sessions: usize,
    pub passed: usize,
    pub changed: usize,
    pub broken: usize,
    pub new: usize,
    pub flaky: usize,
    pub error: usize,
}

impl Summary {
    /// Counts sessions by status.
    pub fn of(sessions: &[SessionReport]) -> Self {
        let mut s = Self {
            sessions: sessions.len(),
            ..Self::default()
        };
        for session in sessions {
            let n = match session.status {
                SessionStatus::Passed => &mut s.passed,
                SessionStatus::Changed => &mut s.changed,
                SessionStatus::Broken => &mut s.broken,
                SessionStatus::New => &mut s.new,
                SessionStatus::Flaky => &mut s.flaky,
                SessionStatus::Error => &mut s.error,
            };
            *n += 1;
        }
        s
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub format_version: u32,
    pub verdict: Verdict,
    pub duration_ms: u64,
    pub summary: Summary,
    pub sessions: Vec<SessionReport>,
    /// Baselines written by this run (`--update-snapshots`), or left pending for review.
    pub snapshots_written: usize,
    pub snapshots_pending: usize,
    /// Baselines no checkpoint of this run used (removed with `--prune`).
    #[serde(default)]
    pub unused_baselines: Vec<String>,
    #[serde(default)]
    pub pruned: bool,
    /// Checkpoints that need a decision, grouped by the likeness of their change, largest
    /// group first (format version 2; computed again when a version 1 report is read).
    #[serde(default)]
    pub groups: Vec<crate::grouping::Group>,
}

impl RunReport {
    /// Computes `groups` (and each checkpoint's `groups`) from the checkpoints that need a
    /// decision: changed or new ones of sessions that are not flaky (a flaky session's
    /// captures never become baselines).
    pub fn regroup(&mut self) {
        let mut items = Vec::new();
        for s in &self.sessions {
            if s.status == SessionStatus::Flaky {
                continue;
            }
            for c in &s.checkpoints {
                if c.status == CheckpointStatus::Match {
                    continue;
                }
                let changes = crate::grouping::changes(&crate::grouping::Checkpoint {
                    new: c.status == CheckpointStatus::New,
                    dom_changes: &c.dom_changes,
                    visual: c.visual_change.as_ref(),
                    diff_pixels: c.diff_pixels,
                    note: c.note.as_deref(),
                });
                items.push((s.id.clone(), c.name.clone(), changes));
            }
        }
        self.groups = crate::grouping::group(&items);
        let mut ids: std::collections::HashMap<(&str, &str), Vec<String>> =
            std::collections::HashMap::new();
        for g in &self.groups {
            for m in &g.members {
                ids.entry((m.session.as_str(), m.checkpoint.as_str()))
                    .or_default()
                    .push(g.id.clone());
            }
        }
        let mut assigned: Vec<Vec<String>> = Vec::new();
        for s in &self.sessions {
            for c in &s.checkpoints {
                assigned.push(
                    ids.remove(&(s.id.as_str(), c.name.as_str()))
                        .unwrap_or_default(),
                );
            }
        }
        let mut assigned = assigned.into_iter();
        for s in &mut self.sessions {
            for c in &mut s.checkpoints {
                c.groups = assigned.next().unwrap_or_default();
            }
        }
    }

    /// The group with this id.
    pub fn group(&self, id: &str) -> Option<&crate::grouping::Group> {
        self.groups.iter().find(|g| g.id == id)
    }
}
