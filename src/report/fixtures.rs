//! Run reports with one session of each status, for the reporters' unit tests.

use crate::mock::matching::Closest;
use crate::mock::UnmatchedRequest;
use crate::model::{
    BrokenStep, CheckpointReport, CheckpointStatus, ErrorKind, NetworkReport, RunReport,
    SessionReport, SessionStatus, StepReport, StepStatus, Summary, Verdict,
};

pub(crate) fn checkpoint(name: &str, status: CheckpointStatus) -> CheckpointReport {
    let differs = status != CheckpointStatus::Match;
    CheckpointReport {
        name: name.into(),
        status,
        dom_similarity: if differs { 0.912 } else { 1.0 },
        visual_similarity: if differs { 0.981 } else { 1.0 },
        diff_pixels: if differs { 1234 } else { 0 },
        step: 2,
        url: "http://localhost:8080/cart?x=1&y=2".into(),
        baseline_dom: Some(format!("snapshots/s/{name}.html")),
        baseline_png: Some(format!("snapshots/s/{name}.png")),
        actual_dom: differs.then(|| format!(".reprise/run/s/{name}.html")),
        actual_png: differs.then(|| format!(".reprise/run/s/{name}.png")),
        diff_png: (status == CheckpointStatus::Changed)
            .then(|| format!(".reprise/run/s/{name}.diff.png")),
        dom_diff: (status == CheckpointStatus::Changed)
            .then(|| "-<b>Total</b>\n+<b>Sum & total</b>".into()),
        note: None,
        second_capture: None,
        dom_changes: Vec::new(),
        visual_change: None,
        groups: Vec::new(),
    }
}

pub(crate) fn session(id: &str, status: SessionStatus) -> SessionReport {
    let mut s = SessionReport {
        id: id.into(),
        title: format!("Session {id}"),
        status,
        fidelity: 1.0,
        duration_ms: 1500,
        attempts: 1,
        steps_total: 3,
        steps_completed: 3,
        steps: vec![StepReport {
            step: 1,
            step_type: "navigate".into(),
            description: "http://localhost:8080/".into(),
            status: StepStatus::Passed,
            duration_ms: 10,
        }],
        checkpoints: vec![checkpoint("home", CheckpointStatus::Match)],
        network: NetworkReport::default(),
        console_errors: Vec::new(),
        error: None,
        error_kind: None,
        broken_step: None,
        tags: Vec::new(),
        divergence: None,
        recording: format!("recordings/{id}.json"),
        coverage: None,
    };
    match status {
        SessionStatus::Passed => {}
        SessionStatus::Changed => {
            s.fidelity = 0.87;
            s.checkpoints
                .push(checkpoint("cart <total>", CheckpointStatus::Changed));
            s.network.unmatched.push(UnmatchedRequest {
                step: 0,
                method: "POST".into(),
                url: "http://api.test/cart?id=1&x=2".into(),
                closest: Some(Closest {
                    method: "POST".into(),
                    url: "http://api.test/cart".into(),
                    difference: "body differs: field `email` missing".into(),
                }),
            });
        }
        SessionStatus::Broken => {
            s.fidelity = 0.4;
            s.steps_completed = 1;
            s.broken_step = Some(BrokenStep {
                step: 2,
                step_type: "click".into(),
                message: "no element matched any selector".into(),
                selectors: vec!["#buy".into(), "aria/Buy \"now\"".into()],
            });
        }
        SessionStatus::New => {
            s.checkpoints = vec![checkpoint("home", CheckpointStatus::New)];
        }
        SessionStatus::Flaky => s.attempts = 2,
        SessionStatus::Error => {
            s = SessionReport::error(
                id,
                &format!("recordings/{id}.json"),
                ErrorKind::Input,
                "cannot read `recordings/bad.json`\n  caused by: line 3".into(),
            );
        }
    }
    s
}

pub(crate) fn report(sessions: Vec<SessionReport>) -> RunReport {
    RunReport {
        format_version: 1,
        verdict: Verdict::Regressed,
        duration_ms: 12_345,
        summary: Summary {
            sessions: sessions.len(),
            ..Summary::default()
        },
        sessions,
        snapshots_written: 0,
        snapshots_pending: 0,
        unused_baselines: Vec::new(),
        pruned: false,
        groups: Vec::new(),
    }
}

pub(crate) fn all_statuses() -> RunReport {
    report(
        [
            SessionStatus::Passed,
            SessionStatus::Changed,
            SessionStatus::Broken,
            SessionStatus::New,
            SessionStatus::Flaky,
            SessionStatus::Error,
        ]
        .into_iter()
        .map(|st| session(st.as_str(), st))
        .collect(),
    )
}
