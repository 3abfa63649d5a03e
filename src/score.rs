//! Fidelity: one number per session saying how faithfully the replay reproduced the
//! recording, and the rules that turn a replay into a status.
//!
//! fidelity = steps × network × checkpoints, where
//! - steps = completed steps / recorded steps,
//! - network = matched requests / (matched + unmatched) backend requests (1 with none),
//! - checkpoints = mean over compared checkpoints of dom_similarity × visual_similarity
//!   (1 with none; checkpoints without a baseline are not compared).
//!
//! It is 1 exactly when every step completed, every request matched a recorded exchange and
//! every compared checkpoint matched its baseline, and falls with each of those.

use crate::model::{CheckpointReport, CheckpointStatus};

pub fn fidelity(
    steps_total: usize,
    steps_completed: usize,
    served: usize,
    unmatched: usize,
    checkpoints: &[CheckpointReport],
) -> f64 {
    let steps = if steps_total == 0 {
        1.0
    } else {
        steps_completed as f64 / steps_total as f64
    };
    let requests = served + unmatched;
    let network = if requests == 0 {
        1.0
    } else {
        served as f64 / requests as f64
    };
    let compared: Vec<f64> = checkpoints
        .iter()
        .filter(|c| c.status != CheckpointStatus::New)
        .map(|c| {
            // A checkpoint within the configured tolerance matched: it costs nothing.
            if c.status == CheckpointStatus::Match {
                return 1.0;
            }
            let s = c.dom_similarity * c.visual_similarity;
            // A changed checkpoint whose similarities round to 1 must still cost something.
            if c.status == CheckpointStatus::Changed {
                s.min(1.0 - 1e-9)
            } else {
                s
            }
        })
        .collect();
    let snapshots = if compared.is_empty() {
        1.0
    } else {
        compared.iter().sum::<f64>() / compared.len() as f64
    };
    steps * network * snapshots
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
    }

    #[test]
    fn falls_with_each_cause() {
        let ok = [cp(CheckpointStatus::Match, 1.0, 1.0)];
        assert!((fidelity(4, 3, 0, 0, &ok) - 0.75).abs() < 1e-12);
        assert!((fidelity(4, 4, 3, 1, &ok) - 0.75).abs() < 1e-12);
        let changed = [cp(CheckpointStatus::Changed, 1.0, 1.0)];
        assert!(fidelity(4, 4, 0, 0, &changed) < 1.0);
        let half = [
            cp(CheckpointStatus::Changed, 0.5, 1.0),
            cp(CheckpointStatus::Match, 1.0, 1.0),
        ];
        assert!((fidelity(4, 4, 0, 0, &half) - 0.75).abs() < 1e-6);
    }
}
