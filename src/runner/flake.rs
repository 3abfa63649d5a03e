//! Flake detection: a session whose checkpoints differ from their baselines is replayed again
//! against the same build. If the second replay disagrees with the first (a checkpoint matched
//! this time, or its capture differs), the difference is the replay's, not the app's: the
//! session is `flaky`, both captures are reported, and neither becomes a baseline.

use super::checkpoint::Candidate;
use super::session::{self, Prepared};
use super::Context;
use crate::model::{CheckpointStatus, SecondCapture, SessionReport, SessionStatus};
use crate::suite::SessionSpec;

pub(super) async fn check(
    ctx: &Context,
    spec: &SessionSpec,
    prepared: &Prepared,
    first: &mut SessionReport,
    first_captures: &[Candidate],
) {
    let cfg = &prepared.settings.compare;
    for pass in 2..=(1 + ctx.opts.config.run.flake_retries) {
        let mut captures = Vec::new();
        let again = session::replay(ctx, spec, prepared, pass, &mut captures).await;
        if let Some(why) = disagreement(first, first_captures, &again, &captures, cfg) {
            first.status = SessionStatus::Flaky;
            first.error = Some(format!(
                "flaky: replay {pass} of the same build disagreed with the first: {why}"
            ));
            for c in &mut first.checkpoints {
                if let Some(c2) = again.checkpoints.iter().find(|x| x.name == c.name) {
                    c.second_capture = Some(SecondCapture {
                        replay: pass,
                        status: c2.status,
                        dom: c2.actual_dom.clone(),
                        png: c2.actual_png.clone(),
                    });
                }
            }
            return;
        }
    }
}

/// Why two replays of the same build disagree, if they do.
fn disagreement(
    first: &SessionReport,
    first_captures: &[Candidate],
    again: &SessionReport,
    captures: &[Candidate],
    cfg: &crate::config::CompareConfig,
) -> Option<String> {
    if again.status != first.status {
        return Some(format!("it was `{}` this time", again.status.as_str()));
    }
    for c in first
        .checkpoints
        .iter()
        .filter(|c| c.status == CheckpointStatus::Changed)
    {
        let Some(c2) = again.checkpoints.iter().find(|x| x.name == c.name) else {
            return Some(format!("checkpoint `{}` was not reached", c.name));
        };
        if c2.status != CheckpointStatus::Changed {
            return Some(format!("checkpoint `{}` matched its baseline", c.name));
        }
        let a = first_captures.iter().find(|x| x.name == c.name);
        let b = captures.iter().find(|x| x.name == c.name);
        if let (Some(a), Some(b)) = (a, b) {
            if a.dom.body != b.dom.body {
                return Some(format!(
                    "checkpoint `{}`: the DOM differs between the replays",
                    c.name
                ));
            }
            // Screenshots agree when the verdict's own comparator (threshold, tolerance)
            // finds them equal: sub-threshold anti-aliasing noise is not a disagreement.
            if a.png != b.png
                && !super::checkpoint::compare_pngs(Some(&a.png), &b.png, cfg).within_tolerance
            {
                return Some(format!(
                    "checkpoint `{}`: the screenshot differs between the replays",
                    c.name
                ));
            }
        }
    }
    let urls = |s: &SessionReport| {
        s.network
            .unmatched
            .iter()
            .map(|u| format!("{} {}", u.method, u.url))
            .collect::<Vec<_>>()
    };
    if urls(first) != urls(again) {
        return Some("the requests that matched nothing differ".into());
    }
    None
}
