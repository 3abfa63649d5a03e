//! Reporters: consumers of runner events and of the final run report. None of them decides
//! the exit status; `cli` does.

#[cfg(test)]
mod fixtures;
pub mod github;
pub mod groups;
pub mod html;
pub mod json;
pub mod junit;
pub mod terminal;
pub mod text;

use crate::model::{self, RunReport, Summary, Verdict};

/// Merges the reports of shards into one run: sessions sorted by id, counts recomputed, the
/// worst verdict, and the longest duration (shards run side by side).
pub fn merge(parts: Vec<RunReport>) -> RunReport {
    let verdict = parts
        .iter()
        .map(|p| p.verdict)
        .max_by_key(|v| match v {
            Verdict::Passed => 0,
            Verdict::Regressed => 1,
            Verdict::Error => 2,
        })
        .unwrap_or(Verdict::Passed);
    let duration_ms = parts.iter().map(|p| p.duration_ms).max().unwrap_or(0);
    let mut merged = RunReport {
        format_version: model::REPORT_FORMAT_VERSION,
        verdict,
        duration_ms,
        summary: Summary::default(),
        sessions: Vec::new(),
        snapshots_written: 0,
        snapshots_pending: 0,
        unused_baselines: Vec::new(),
        pruned: false,
        groups: Vec::new(),
    };
    for p in parts {
        merged.snapshots_written += p.snapshots_written;
        merged.snapshots_pending += p.snapshots_pending;
        merged.unused_baselines.extend(p.unused_baselines);
        merged.pruned |= p.pruned;
        merged.sessions.extend(p.sessions);
    }
    merged.sessions.sort_by(|a, b| a.id.cmp(&b.id));
    merged.unused_baselines.sort();
    merged.unused_baselines.dedup();
    merged.summary = Summary::of(&merged.sessions);
    // Alike changes in different shards are one group of the whole run.
    merged.regroup();
    merged
}
