//! Fidelity: one number per session saying how faithfully the replay reproduced the
//! recording, and the rules that turn a replay into a status.
//!
//! fidelity = 0.9 ^ discrepancies, where the discrepancies are
//! - each recorded step not performed (`steps_total - steps_completed`),
//! - each backend request that matched nothing recorded,
//! - per checkpoint that differs from its baseline beyond the tolerance (`changed`): its DOM
//!   changes (elements added or removed, texts and attributes changed; at least 1 when the
//!   DOM differs at all) plus its differing pixels / 16, and 1 when neither is counted (an
//!   unreadable baseline, another environment, a failed capture).
//!
//! Matching checkpoints (within `[compare]` tolerances) and new ones cost nothing. So fidelity
//! is 1 exactly when every step completed, every request matched and every compared checkpoint
//! matched; one discrepancy puts it at 0.9, under a 0.95 SLO, while a single differing pixel
//! (an anti-aliasing wobble counted as a difference) costs 0.7% (0.9^(1/16) = 0.9934).
//! The share-of-pixels and line-ratio figures stay in the report as each checkpoint's
//! `visual_similarity` and `dom_similarity`; they do not enter the score, because a visible
//! regression changes a tiny share of a page (0.1% of its pixels, one DOM line in 500).

use crate::model::{CheckpointReport, CheckpointStatus};

/// What one discrepancy leaves of the score.
pub const PER_DISCREPANCY: f64 = 0.9;
/// Differing pixels that count as one discrepancy (a 4×4 block).
pub const PIXELS_PER_DISCREPANCY: f64 = 16.0;

/// The discrepancies of a replay, by cause (the terms of the sum above).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Discrepancies {
    pub steps_missed: usize,
    pub unmatched_requests: usize,
    /// Checkpoints that differ from their baseline.
    pub changed_checkpoints: usize,
    pub dom_changes: usize,
    pub diff_pixels: u64,
    /// Changed checkpoints with neither DOM changes nor pixels counted.
    pub other: usize,
}

impl Discrepancies {
    pub fn of(
        steps_total: usize,
        steps_completed: usize,
        unmatched: usize,
        checkpoints: &[CheckpointReport],
    ) -> Self {
        let mut d = Self {
            steps_missed: steps_total.saturating_sub(steps_completed),
            unmatched_requests: unmatched,
            ..Self::default()
        };
        for c in checkpoints
            .iter()
            .filter(|c| c.status == CheckpointStatus::Changed)
        {
            d.changed_checkpoints += 1;
            let dom = if c.dom_similarity < 1.0 {
                c.dom_changes.len().max(1)
            } else {
                0
            };
            d.dom_changes += dom;
            d.diff_pixels += c.diff_pixels;
            if dom == 0 && c.diff_pixels == 0 {
                d.other += 1;
            }
        }
        d
    }

    pub fn total(&self) -> f64 {
        (self.steps_missed + self.unmatched_requests + self.dom_changes + self.other) as f64
            + self.diff_pixels as f64 / PIXELS_PER_DISCREPANCY
    }

    pub fn fidelity(&self) -> f64 {
        PER_DISCREPANCY.powf(self.total())
    }

    /// For people: what lowered the score (`2 steps not performed, 40 differing pixels in 1
    /// checkpoint`), or `no discrepancy`.
    pub fn explain(&self) -> String {
        let mut parts = Vec::new();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if self.steps_missed > 0 {
            parts.push(format!(
                "{} step{} not performed",
                self.steps_missed,
                plural(self.steps_missed)
            ));
        }
        if self.unmatched_requests > 0 {
            parts.push(format!(
                "{} request{} matched nothing recorded",
                self.unmatched_requests,
                plural(self.unmatched_requests)
            ));
        }
        if self.changed_checkpoints > 0 {
            parts.push(format!(
                "{} DOM change{} and {} differing pixel{} in {} changed checkpoint{}",
                self.dom_changes,
                plural(self.dom_changes),
                self.diff_pixels,
                plural(self.diff_pixels as usize),
                self.changed_checkpoints,
                plural(self.changed_checkpoints)
            ));
        }
        if parts.is_empty() {
            "no discrepancy".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The session's fidelity (see the module documentation). `served` no longer enters it: an
/// unmatched request costs the same however many others matched.
pub fn fidelity(
    steps_total: usize,
    steps_completed: usize,
    _served: usize,
    unmatched: usize,
    checkpoints: &[CheckpointReport],
) -> f64 {
    Discrepancies::of(steps_total, steps_completed, unmatched, checkpoints).fidelity()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(status: CheckpointStatus, dom: f64, vis: f64) -> CheckpointReport {
        CheckpointReport {
            name: "x".into(),
            status,
            dom_similarity: dom,
            visual_similarity: vis,
            diff_pixels: 0,
            step: 1,
            url: String::new(),
            baseline_dom: None,
            baseline_png: None,
            actual_dom: None,
            actual_png: None,
            diff_png: None,
            dom_diff: None,
            note: None,
            second_capture: None,
            dom_changes: Vec::new(),
            visual_change: None,
            groups: Vec::new(),
        }
    }

    #[test]
    fn one_exactly_when_everything_matches() {
        assert_eq!(
            fidelity(5, 5, 3, 0, &[cp(CheckpointStatus::Match, 1.0, 1.0)]),
            1.0
        );
        assert_eq!(
            fidelity(5, 5, 0, 0, &[cp(CheckpointStatus::New, 0.0, 0.0)]),
            1.0
        );
        // within the tolerance: the same, whatever the pixels say
        let mut tolerated = cp(CheckpointStatus::Match, 1.0, 0.9999);
        tolerated.diff_pixels = 30;
        assert_eq!(fidelity(5, 5, 0, 0, &[tolerated]), 1.0);
    }

    #[test]
    fn one_discrepancy_of_any_kind_falls_under_a_95_percent_slo() {
        let ok = [cp(CheckpointStatus::Match, 1.0, 1.0)];
        assert!((fidelity(40, 39, 0, 0, &ok) - 0.9).abs() < 1e-12, "a step");
        assert!(
            (fidelity(4, 4, 300, 1, &ok) - 0.9).abs() < 1e-12,
            "a request"
        );
        // one attribute changed in a 2,000-line page: a line ratio of 0.9995
        let mut attr = cp(CheckpointStatus::Changed, 0.9995, 1.0);
        attr.dom_changes = vec![crate::compare::dom::DomChange {
            kind: crate::compare::dom::DomChangeKind::Attribute,
            within: "<button>".into(),
            before: Some("aria-label=\"Close\"".into()),
            after: None,
        }];
        assert!(fidelity(4, 4, 0, 0, &[attr, ok[0].clone()]) < 0.95);
        // a colour change over 0.05% of a 1280×800 screenshot
        let mut colour = cp(CheckpointStatus::Changed, 1.0, 0.9995);
        colour.diff_pixels = 512;
        assert!(fidelity(4, 4, 0, 0, &[colour]) < 0.05);
        // an unreadable baseline: nothing counted, still a discrepancy
        let unreadable = cp(CheckpointStatus::Changed, 1.0, 1.0);
        assert!((fidelity(4, 4, 0, 0, &[unreadable]) - 0.9).abs() < 1e-12);
    }

    #[test]
    fn a_one_pixel_wobble_stays_above_99_percent() {
        let mut wobble = cp(CheckpointStatus::Changed, 1.0, 1.0 - 1.0 / 1_024_000.0);
        wobble.diff_pixels = 1;
        let f = fidelity(
            12,
            12,
            5,
            0,
            &[wobble, cp(CheckpointStatus::Match, 1.0, 1.0)],
        );
        assert!(f > 0.99 && f < 1.0, "{f}");
    }

    #[test]
    fn explains_what_lowered_it() {
        let mut c = cp(CheckpointStatus::Changed, 0.9, 0.99);
        c.diff_pixels = 40;
        let d = Discrepancies::of(10, 8, 1, &[c]);
        assert_eq!(
            d.explain(),
            "2 steps not performed, 1 request matched nothing recorded, \
             1 DOM change and 40 differing pixels in 1 changed checkpoint"
        );
        assert_eq!(Discrepancies::default().explain(), "no discrepancy");
    }
}
