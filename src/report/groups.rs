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

/// A group's summary holds recorded text (a page's words): control characters, newlines
/// included, are shown escaped so they cannot drive a terminal.
pub fn clean_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// "26 checkpoints of 8 sessions".
pub fn size(g: &Group) -> String {
    format!(
        "{} of {}",
        plural(g.members.len(), "checkpoint", "checkpoints"),
        plural(g.sessions, "session", "sessions")
    )
}

/// Members listed per group in the HTML report; the rest are counted.
const HTML_MEMBERS: usize = 200;

/// The HTML report's first section: one card per group, with what its members share, its
/// representative (the first member: its difference image's layers are copied from that member's card by the
/// page's script, never embedded twice) and the member list linking to each card. Served by
/// `review --serve`, each group has accept and reject buttons.
pub fn html_section(r: &RunReport, review: bool, out: &mut String) {
    use std::fmt::Write as _;
    let Some(head) = headline(r) else {
        return;
    };
    let esc = |s: &str| super::text::escape(s, true);
    // Where each checkpoint's card is (`s{i}-c{j}`, as the session sections number them).
    let mut anchors = std::collections::HashMap::new();
    for (i, s) in r.sessions.iter().enumerate() {
        for (j, c) in s.checkpoints.iter().enumerate() {
            anchors.insert((s.id.as_str(), c.name.as_str()), format!("s{i}-c{j}"));
        }
    }
    let _ = writeln!(out, r#"<section class="groups"><h2>{}</h2>"#, esc(&head));
    for g in &r.groups {
        let rep = g
            .members
            .first()
            .and_then(|m| anchors.get(&(m.session.as_str(), m.checkpoint.as_str())));
        let _ = write!(
            out,
            r#"<article class="group" id="group-{id}" data-review-item="" data-group-id="{id}"{rep}><div class="cp-head"><span class="badge">{kind}</span><h4>{summary}</h4><span class="facts"><span>{size}</span><span>group <code>{id}</code></span></span><span class="review-state"></span>"#,
            id = esc(&g.id),
            rep = rep
                .map(|a| format!(r#" data-representative="{}""#, esc(a)))
                .unwrap_or_default(),
            kind = esc(&g.kind),
            summary = esc(&g.summary),
            size = esc(&size(g)),
        );
        if review {
            out.push_str(r#"<span class="review">"#);
            for action in ["accept", "reject"] {
                let _ = write!(
                    out,
                    r#"<button type="button" class="btn {action}" data-action="{action}" data-group="{}">{action} group</button>"#,
                    esc(&g.id)
                );
            }
            out.push_str("</span>");
        }
        out.push_str(
            r#"</div><div class="group-body"><figure class="rep"><figcaption>Representative"#,
        );
        if let (Some(m), Some(a)) = (g.members.first(), rep) {
            let _ = write!(
                out,
                r##": <a href="#{}">{} / {}</a>"##,
                esc(a),
                esc(&m.session),
                esc(&m.checkpoint)
            );
        }
        // up to five layers: a difference in a report folder is a root, up to three patches and a
        // mask
        out.push_str(r#"</figcaption><div class="stack rep"><img class="rep-img" alt="the representative's difference" loading="lazy" hidden><img class="rep-img" alt="" loading="lazy" hidden><img class="rep-img" alt="" loading="lazy" hidden><img class="rep-img" alt="" loading="lazy" hidden><img class="rep-img" alt="" loading="lazy" hidden></div></figure><ol class="members">"#);
        for m in g.members.iter().take(HTML_MEMBERS) {
            match anchors.get(&(m.session.as_str(), m.checkpoint.as_str())) {
                Some(a) => {
                    let _ = write!(
                        out,
                        r##"<li><a href="#{}">{} / {}</a></li>"##,
                        esc(a),
                        esc(&m.session),
                        esc(&m.checkpoint)
                    );
                }
                None => {
                    let _ = write!(out, "<li>{} / {}</li>", esc(&m.session), esc(&m.checkpoint));
                }
            }
        }
        if g.members.len() > HTML_MEMBERS {
            let _ = write!(
                out,
                "<li>… and {} more</li>",
                g.members.len() - HTML_MEMBERS
            );
        }
        out.push_str("</ol></div></article>\n");
    }
    out.push_str("</section>\n");
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

    #[test]
    fn html_section_escapes_and_links_members() {
        let mut r = crate::report::fixtures::report(Vec::new());
        let mut out = String::new();
        html_section(&r, false, &mut out);
        assert!(out.is_empty(), "no groups, no section");
        let mut g = group("a\"<b", &[("s", "01")]);
        g.summary = "text of `p` \"<script>\" → \"x\"".into();
        r.groups = vec![g];
        html_section(&r, true, &mut out);
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(out.contains("data-group=\"a&quot;&lt;b\""), "{out}");
        assert!(
            out.contains("<li>s / 01</li>"),
            "a member without a card is listed: {out}"
        );
    }
}
