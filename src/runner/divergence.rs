//! "Why it changed": the first point where a replay diverged from the recording and its
//! baselines, across every kind of evidence the replay collected. A request that matched
//! nothing at step 4 explains a checkpoint that differs after step 4, so earlier evidence
//! wins, and at the same step a request or a console error comes before its consequences.

use crate::mock::UnmatchedRequest;
use crate::model::{BrokenStep, CheckpointReport, CheckpointStatus, Divergence, DivergenceKind};

/// How many structural DOM changes a divergence lists.
const MAX_DETAILS: usize = 12;

pub(super) fn first(
    broken: Option<&BrokenStep>,
    unmatched: &[UnmatchedRequest],
    console: &[(usize, String)],
    checkpoints: &[CheckpointReport],
) -> Option<Divergence> {
    let mut found: Vec<(usize, u8, Divergence)> = Vec::new();
    if let Some(u) = unmatched.first() {
        let mut details = Vec::new();
        match &u.closest {
            Some(c) => {
                details.push(format!("closest recorded: {} {}", c.method, c.url));
                details.push(c.difference.clone());
            }
            None => details.push("nothing similar was recorded".into()),
        }
        found.push((
            u.step,
            0,
            Divergence {
                step: u.step,
                kind: DivergenceKind::Request,
                summary: format!("{} {} matched no recorded request", u.method, u.url),
                details,
            },
        ));
    }
    if let Some((step, text)) = console.first() {
        found.push((
            *step,
            1,
            Divergence {
                step: *step,
                kind: DivergenceKind::Console,
                summary: format!("console error: {text}"),
                details: Vec::new(),
            },
        ));
    }
    if let Some(b) = broken {
        let mut details = Vec::new();
        if !b.selectors.is_empty() {
            details.push(format!("selectors tried: {}", b.selectors.join(", ")));
        }
        found.push((
            b.step,
            2,
            Divergence {
                step: b.step,
                kind: DivergenceKind::Step,
                summary: format!(
                    "step {} (`{}`) could not be performed: {}",
                    b.step, b.step_type, b.message
                ),
                details,
            },
        ));
    }
    if let Some(c) = checkpoints
        .iter()
        .find(|c| c.status == CheckpointStatus::Changed)
    {
        let what = if c.dom_changes.is_empty() {
            format!("the screenshot differs ({} pixels)", c.diff_pixels)
        } else {
            format!("{} DOM change(s)", c.dom_changes.len())
        };
        found.push((
            c.step,
            3,
            Divergence {
                step: c.step,
                kind: DivergenceKind::Checkpoint,
                summary: format!("checkpoint `{}` differs from its baseline: {what}", c.name),
                details: c
                    .dom_changes
                    .iter()
                    .take(MAX_DETAILS)
                    .map(ToString::to_string)
                    .collect(),
            },
        ));
    }
    found.sort_by_key(|(step, rank, _)| (*step, *rank));
    found.into_iter().next().map(|(_, _, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(step: usize) -> BrokenStep {
        BrokenStep {
            step,
            step_type: "click".into(),
            message: "no selector matched an element".into(),
            selectors: vec!["#pay".into()],
        }
    }

    #[test]
    fn earliest_evidence_wins_and_causes_come_before_effects() {
        let unmatched = vec![UnmatchedRequest {
            step: 4,
            method: "POST".into(),
            url: "https://api.test/orders".into(),
            closest: None,
        }];
        let d = first(Some(&broken(6)), &unmatched, &[], &[]).expect("a divergence");
        assert_eq!((d.step, d.kind), (4, DivergenceKind::Request));
        let d = first(
            Some(&broken(4)),
            &unmatched,
            &[(4, "TypeError".into())],
            &[],
        )
        .expect("one");
        assert_eq!(
            d.kind,
            DivergenceKind::Request,
            "at the same step the request comes first"
        );
        let d = first(Some(&broken(3)), &unmatched, &[], &[]).expect("one");
        assert_eq!(d.kind, DivergenceKind::Step);
        assert!(d.details[0].contains("#pay"));
        assert_eq!(first(None, &[], &[], &[]), None);
    }
}
