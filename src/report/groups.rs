//! The wording of change groups shared by the reporters: the headline ("1 change in 26
//! checkpoints of 8 sessions: colour #2b1f19 → #1d4ed8") and a group's one-line size.

use crate::grouping::Group;
use crate::model::RunReport;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Checkpoints and sessions the groups cover (a checkpoint in several groups counts once).
fn coverage(groups: &[Group]) -> (usize, usize) {
    let mut checkpoints = std::collections::BTreeSet::new();
    let mut sessions = std::collections::BTreeSet::new();
    for g in groups {
        for m in &g.members {
            checkpoints.insert((m.session.as_str(), m.checkpoint.as_str()));
            sessions.insert(m.session.as_str());
        }
    }
    (checkpoints.len(), sessions.len())
}

/// "1 change in 26 checkpoints of 8 sessions: …" (the summary is the group's when there is
/// one group, else a colon ends it and the groups follow); `None` when nothing needs a
/// decision.
pub fn headline(r: &RunReport) -> Option<String> {
    let first = r.groups.first()?;
    let (checkpoints, sessions) = coverage(&r.groups);
    let head = format!(
        "{} in {} of {}",
        plural(r.groups.len(), "change", "changes"),
        plural(checkpoints, "checkpoint", "checkpoints"),
        plural(sessions, "session", "sessions"),
    );
    Some(if r.groups.len() == 1 {
        format!("{head}: {}", first.summary)
    } else {
        format!("{head}:")
    })
}

/// "26 checkpoints of 8 sessions".
pub fn size(g: &Group) -> String {
    format!(
        "{} of {}",
        plural(g.members.len(), "checkpoint", "checkpoints"),
        plural(g.sessions, "session", "sessions")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grouping::Member;

    fn group(id: &str, members: &[(&str, &str)]) -> Group {
        Group {
            id: id.into(),
            kind: "colour".into(),
            summary: format!("change {id}"),
            sessions: members
                .iter()
                .map(|m| m.0)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            members: members
                .iter()
                .map(|(s, c)| Member {
                    session: (*s).into(),
                    checkpoint: (*c).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn headline_counts_each_checkpoint_once() {
        let mut r = crate::report::fixtures::report(Vec::new());
        assert_eq!(headline(&r), None);
        r.groups = vec![group("a", &[("s", "01"), ("t", "01")])];
        assert_eq!(
            headline(&r).as_deref(),
            Some("1 change in 2 checkpoints of 2 sessions: change a")
        );
        r.groups.push(group("b", &[("s", "01")]));
        assert_eq!(
            headline(&r).as_deref(),
            Some("2 changes in 2 checkpoints of 2 sessions:")
        );
        assert_eq!(size(&r.groups[1]), "1 checkpoint of 1 session");
    }
}
