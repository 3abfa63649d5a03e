//! Grouping checkpoints by the likeness of their change, so one review decision covers every
//! checkpoint a single cause changed (one stylesheet edit turns dozens of checkpoints of many
//! sessions; they should be one decision, not dozens).
//!
//! A checkpoint's change is split into its distinct changes, each with a signature (a key)
//! and a sentence saying what it is:
//! - each structural DOM change (added, removed, text, attribute), normalized so that where
//!   it sits in the tree does not matter: the element is named by tag, id and classes, and
//!   the key holds the old and new values, plus whether pixels changed too;
//! - each recolouring the screenshots show (an old colour consistently turned into a new
//!   one; [`visual::analyze`]);
//! - when neither names the difference, the shape of the changed pixels (size and form of the
//!   largest region), or the checkpoint's note.
//!
//! Checkpoints sharing a signature share a group; a checkpoint with several distinct changes
//! is a member of several groups and is accepted only once all of them are. Groups, their ids
//! and their order depend only on the report, never on timing or hashing order.

pub mod visual;

use crate::compare::dom::{DomChange, DomChangeKind};
use serde::{Deserialize, Serialize};
pub use visual::{analyze, Recolour, VisualChange};

/// One distinct change of one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The signature: checkpoints with equal keys are alike.
    pub key: String,
    /// What kind of change (`dom`, `colour`, `pixels`, `new`, `other`).
    pub kind: &'static str,
    /// What it is, for people (Markdown-ish: element names in backticks).
    pub summary: String,
    /// For a recolouring, its colours (old, new) as `0xRRGGBB`.
    pub shift: Option<(u32, u32)>,
}

/// A checkpoint of the run, as a group lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub session: String,
    pub checkpoint: String,
}

/// Checkpoints whose change has the same signature (`groups` in the JSON report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Stable id (a digest of the signature): the same change gets the same id in every run,
    /// so `reprise accept --group ID` can be copied from a CI log.
    pub id: String,
    /// `dom`, `colour`, `pixels`, `new` or `other`.
    pub kind: String,
    /// What the members share.
    pub summary: String,
    /// How many distinct sessions the members belong to.
    pub sessions: usize,
    /// The members, in the report's order; the first is the representative.
    pub members: Vec<Member>,
}

/// 64-bit FNV-1a: a stable digest (Rust's `DefaultHasher` may change between releases).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The id of the group with this signature.
pub fn group_id(key: &str) -> String {
    format!("{:010x}", fnv(key) >> 24)
}

/// `name="value"` pairs of an element line (`<button class="btn primary" id="buy">`).
fn attributes(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit(' ').next().unwrap_or("").to_string();
        let after = &rest[eq + 2..];
        let Some(end) = after.find('"') else { break };
        out.push((name, after[..end].to_string()));
        rest = &after[end + 1..];
    }
    out
}

/// An element line as a CSS-like name that does not depend on where it sits:
/// `button#buy.btn.primary`; a text line or the document stays as it is.
pub fn element_name(line: &str) -> String {
    let t = line.trim();
    let Some(rest) = t.strip_prefix('<') else {
        return t.to_string();
    };
    let tag: String = rest
        .chars()
        .take_while(|c| !matches!(c, ' ' | '>' | '/'))
        .collect();
    let mut name = tag;
    let attrs = attributes(t);
    if let Some((_, id)) = attrs.iter().find(|(k, _)| k == "id") {
        name.push('#');
        name.push_str(id);
    }
    if let Some((_, class)) = attrs.iter().find(|(k, _)| k == "class") {
        let mut classes: Vec<&str> = class.split_whitespace().collect();
        classes.sort_unstable();
        for c in classes {
            name.push('.');
            name.push_str(c);
        }
    }
    name
}

/// Characters of an old or new value quoted in a group's sentence (the signature keeps all).
const SHOWN_CHARS: usize = 60;

/// A value cut for a sentence: its start, an ellipsis, and its end, where the two values of
/// a text change most often differ.
fn short(s: &str) -> String {
    let n = s.chars().count();
    if n <= SHOWN_CHARS {
        return s.to_string();
    }
    let head: String = s.chars().take(SHOWN_CHARS / 2).collect();
    let tail: String = s.chars().skip(n - SHOWN_CHARS / 2).collect();
    format!("{head}…{tail}")
}

/// The normalized form of one DOM change: its key part and its sentence.
fn dom_change(c: &DomChange) -> (String, String) {
    let v = |s: &Option<String>| s.as_deref().unwrap_or("").to_string();
    match c.kind {
        DomChangeKind::Added => {
            let what = element_name(&v(&c.after));
            let within = element_name(&c.within);
            (
                format!("added|{within}|{what}"),
                format!("`{what}` added in `{within}`"),
            )
        }
        DomChangeKind::Removed => {
            let what = element_name(&v(&c.before));
            let within = element_name(&c.within);
            (
                format!("removed|{within}|{what}"),
                format!("`{what}` removed from `{within}`"),
            )
        }
        DomChangeKind::Text => {
            let within = element_name(&c.within);
            let (b, a) = (v(&c.before), v(&c.after));
            (
                format!("text|{within}|{b}|{a}"),
                format!("text of `{within}` {} → {}", short(&b), short(&a)),
            )
        }
        DomChangeKind::Attribute => {
            let within = element_name(&c.within);
            let (b, a) = (v(&c.before), v(&c.after));
            let show = |s: &str| {
                if s.is_empty() {
                    "(none)".to_string()
                } else {
                    s.to_string()
                }
            };
            (
                format!("attribute|{within}|{b}|{a}"),
                format!(
                    "attributes of `{within}` {} → {}",
                    short(&show(&b)),
                    short(&show(&a))
                ),
            )
        }
    }
}

/// What a checkpoint that needs a decision holds, for [`changes`].
pub struct Checkpoint<'a> {
    /// True for a checkpoint with no baseline yet.
    pub new: bool,
    pub dom_changes: &'a [DomChange],
    pub visual: Option<&'a VisualChange>,
    /// Pixels pixelmatch counted as different.
    pub diff_pixels: u64,
    pub note: Option<&'a str>,
}

/// The distinct changes of one checkpoint, each with its signature; never empty, so every
/// checkpoint that needs a decision is in at least one group.
pub fn changes(cp: &Checkpoint<'_>) -> Vec<Change> {
    if cp.new {
        return vec![Change {
            key: "new".into(),
            kind: "new",
            shift: None,
            summary: "new checkpoints (no baseline yet)".into(),
        }];
    }
    let mut out: Vec<Change> = Vec::new();
    let push = |out: &mut Vec<Change>, c: Change| {
        if !out.iter().any(|o| o.key == c.key) {
            out.push(c);
        }
    };
    let visible = cp.diff_pixels > 0 || cp.visual.is_some_and(|v| v.pixels > 0);
    for c in cp.dom_changes {
        let (key, summary) = dom_change(c);
        let (key, summary) = if visible {
            (format!("dom|{key}|visible"), summary)
        } else {
            (
                format!("dom|{key}|invisible"),
                format!("{summary} (no visible change)"),
            )
        };
        push(
            &mut out,
            Change {
                key,
                kind: "dom",
                summary,
                shift: None,
            },
        );
    }
    let recolours = cp.visual.map_or(&[][..], |v| &v.recolours[..]);
    let mut shifts: Vec<(u32, u32)> = Vec::new();
    for r in recolours {
        let (Some(from), Some(to)) = (rgb(&r.from), rgb(&r.to)) else {
            continue;
        };
        // The same shift seen through a translucent layer is the same change (the largest
        // pair comes first: it is the one seen directly).
        if shifts.iter().any(|&p| same_shift(p, (from, to))) {
            continue;
        }
        shifts.push((from, to));
        push(
            &mut out,
            Change {
                key: format!("colour|{}|{}", r.from, r.to),
                kind: "colour",
                summary: format!("colour {} → {}", r.from, r.to),
                shift: Some((from, to)),
            },
        );
    }
    if out.is_empty() {
        match cp.visual.filter(|v| v.pixels > 0) {
            Some(v) => {
                let regions = if v.regions == 1 {
                    "1 region".to_string()
                } else {
                    format!("{} regions", v.regions)
                };
                push(
                    &mut out,
                    Change {
                        key: format!("pixels|{}", v.shape),
                        kind: "pixels",
                        shift: None,
                        summary: format!(
                        "pixels changed, the largest region {} ({regions}); the DOM is the same",
                        v.shape
                    ),
                    },
                );
            }
            None => {
                // A baseline that cannot be read, or one from another environment: the note
                // says which, and its first words are what such checkpoints share.
                let note = cp.note.unwrap_or("differs from its baseline");
                let head: String = note
                    .split(':')
                    .next()
                    .unwrap_or(note)
                    .chars()
                    .take(80)
                    .collect();
                push(
                    &mut out,
                    Change {
                        key: format!("other|{head}"),
                        kind: "other",
                        shift: None,
                        summary: head,
                    },
                );
            }
        }
    }
    out
}

/// `#rrggbb` as `0xRRGGBB`.
fn rgb(hex: &str) -> Option<u32> {
    let h = hex.strip_prefix('#')?;
    (h.len() == 6)
        .then(|| u32::from_str_radix(h, 16).ok())
        .flatten()
}

fn channels(c: u32) -> [f64; 3] {
    [
        f64::from((c >> 16) & 0xff),
        f64::from((c >> 8) & 0xff),
        f64::from(c & 0xff),
    ]
}

/// Whether `other` is the colour shift `seen` looks like through a translucent layer (a
/// dialog's backdrop, a semi-transparent button over a recoloured header): a colour X turned
/// Y, under a layer of colour O and opacity a, shows as `aO + (1-a)X → aO + (1-a)Y`, so the
/// two shifts are parallel, the seen-through one no larger, and the layer's colour O that
/// explains it is a real colour. Equal shifts of different colours are different changes.
pub fn same_shift(seen: (u32, u32), other: (u32, u32)) -> bool {
    let (x, y) = (channels(seen.0), channels(seen.1));
    let (x2, y2) = (channels(other.0), channels(other.1));
    let d: Vec<f64> = (0..3).map(|i| y[i] - x[i]).collect();
    let d2: Vec<f64> = (0..3).map(|i| y2[i] - x2[i]).collect();
    let dd: f64 = d.iter().map(|v| v * v).sum();
    if dd == 0.0 || d2.iter().all(|v| *v == 0.0) {
        return false;
    }
    let k = d.iter().zip(&d2).map(|(a, b)| a * b).sum::<f64>() / dd;
    if !(0.05..=1.03).contains(&k) {
        return false;
    }
    // Screenshots round every channel: allow a few units of it.
    let residual = (0..3)
        .map(|i| (d2[i] - k * d[i]).powi(2))
        .sum::<f64>()
        .sqrt();
    if residual > 3.0 + 0.03 * dd.sqrt() {
        return false;
    }
    let a = 1.0 - k;
    if a < 0.03 {
        // No layer at all: the very same colours (within rounding).
        return (0..3).all(|i| (x2[i] - x[i]).abs() <= 4.0);
    }
    let slack = 3.0 / a + 3.0;
    (0..3).all(|i| {
        let o = (x2[i] - k * x[i]) / a;
        (-slack..=255.0 + slack).contains(&o)
    })
}

/// Groups checkpoints by their changes. `items` are (session, checkpoint, changes) in the
/// report's order; groups come out largest first, ties by id. A colour group whose shift is
/// a larger group's seen through a translucent layer ([`same_shift`]) joins it.
pub fn group(items: &[(String, String, Vec<Change>)]) -> Vec<Group> {
    let mut groups: Vec<(String, Group)> = Vec::new();
    let mut shifts: Vec<Option<(u32, u32)>> = Vec::new();
    for (session, checkpoint, changes) in items {
        for c in changes {
            let i = match groups.iter().position(|(k, _)| *k == c.key) {
                Some(i) => i,
                None => {
                    groups.push((
                        c.key.clone(),
                        Group {
                            id: group_id(&c.key),
                            kind: c.kind.to_string(),
                            summary: c.summary.clone(),
                            sessions: 0,
                            members: Vec::new(),
                        },
                    ));
                    shifts.push(c.shift);
                    groups.len() - 1
                }
            };
            let g = &mut groups[i].1;
            if !g.members.iter().any(|m| m.session == *session) {
                g.sessions += 1;
            }
            g.members.push(Member {
                session: session.clone(),
                checkpoint: checkpoint.clone(),
            });
        }
    }
    let order = |a: &Group, b: &Group| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then_with(|| a.id.cmp(&b.id))
    };
    let mut all: Vec<(Group, Option<(u32, u32)>)> =
        groups.into_iter().map(|(_, g)| g).zip(shifts).collect();
    all.sort_by(|a, b| order(&a.0, &b.0));
    let mut out: Vec<(Group, Option<(u32, u32)>)> = Vec::new();
    for (g, shift) in all {
        let into = shift.and_then(|s| {
            out.iter()
                .position(|(_, p)| p.is_some_and(|p| same_shift(p, s)))
        });
        match into {
            Some(i) => {
                let target = &mut out[i].0;
                for m in g.members {
                    if !target.members.contains(&m) {
                        target.members.push(m);
                    }
                }
                let mut sessions: Vec<&str> =
                    target.members.iter().map(|m| m.session.as_str()).collect();
                sessions.sort_unstable();
                sessions.dedup();
                target.sessions = sessions.len();
            }
            None => out.push((g, shift)),
        }
    }
    let place: std::collections::HashMap<(&str, &str), usize> = items
        .iter()
        .enumerate()
        .map(|(i, (s, c, _))| ((s.as_str(), c.as_str()), i))
        .collect();
    let mut out: Vec<Group> = out.into_iter().map(|(g, _)| g).collect();
    for g in &mut out {
        g.members.sort_by_key(|m| {
            place
                .get(&(m.session.as_str(), m.checkpoint.as_str()))
                .copied()
        });
    }
    out.sort_by(order);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dom(kind: DomChangeKind, within: &str, before: &str, after: &str) -> DomChange {
        DomChange {
            kind,
            within: within.into(),
            before: Some(before.into()),
            after: Some(after.into()),
        }
    }

    #[test]
    fn elements_are_named_without_their_place() {
        assert_eq!(
            element_name("    <button type=\"button\" class=\"primary btn\" id=\"buy\">"),
            "button#buy.btn.primary"
        );
        assert_eq!(element_name("<p>"), "p");
        assert_eq!(element_name("the document"), "the document");
    }

    #[test]
    fn alike_changes_share_a_group_and_distinct_ones_do_not() {
        let header = VisualChange {
            pixels: 900,
            recolours: vec![Recolour {
                from: "#2b1f19".into(),
                to: "#1d4ed8".into(),
                pixels: 800,
            }],
            regions: 1,
            shape: "medium wide".into(),
        };
        let text = dom(
            DomChangeKind::Text,
            "  <h2 id=\"detail-title\">",
            "\"Ethiopia\"",
            "\"Kenya\"",
        );
        let ch = |dom_changes: &[DomChange], visual: Option<&VisualChange>| {
            changes(&Checkpoint {
                new: false,
                dom_changes,
                visual,
                diff_pixels: 900,
                note: None,
            })
        };
        let items = vec![
            (
                "a".to_string(),
                "01-index".to_string(),
                ch(&[], Some(&header)),
            ),
            (
                "b".to_string(),
                "01-index".to_string(),
                ch(&[], Some(&header)),
            ),
            (
                "b".to_string(),
                "05-detail".to_string(),
                ch(std::slice::from_ref(&text), Some(&header)),
            ),
        ];
        let groups = group(&items);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].summary, "colour #2b1f19 → #1d4ed8");
        assert_eq!(groups[0].members.len(), 3);
        assert_eq!(groups[0].sessions, 2);
        assert_eq!(groups[1].kind, "dom");
        assert_eq!(
            groups[1].summary,
            "text of `h2#detail-title` \"Ethiopia\" → \"Kenya\""
        );
        assert_eq!(
            groups[1].members,
            vec![Member {
                session: "b".into(),
                checkpoint: "05-detail".into()
            }]
        );
        assert_eq!(group(&items), groups, "deterministic");
        assert_eq!(groups[0].id, group_id("colour|#2b1f19|#1d4ed8"));
        assert_eq!(groups[0].id.len(), 10);
    }

    #[test]
    fn a_shift_seen_through_a_translucent_layer_is_the_same_shift() {
        // The demo's header #2b1f19 → #1d4ed8, under a 10% white button and under a dialog's
        // 55% backdrop (measured in real screenshots).
        let seen = (0x2b1f19, 0x1d4ed8);
        assert!(same_shift(seen, (0x403530, 0x3460dc)));
        assert!(same_shift(seen, (0x2b1f19, 0x25346f)));
        assert!(same_shift(seen, (0x352923, 0x2f3c71)));
        assert!(same_shift(seen, seen));
        // Another direction, a larger shift, or the same shift of another colour: not it.
        assert!(!same_shift(seen, (0xb4532a, 0xc0392b)));
        assert!(!same_shift((0x2b1f19, 0x25346f), seen));
        assert!(!same_shift(seen, (0x3b2f29, 0x2d5ee8)));
        let cp = VisualChange {
            pixels: 80_000,
            recolours: vec![
                Recolour {
                    from: "#2b1f19".into(),
                    to: "#1d4ed8".into(),
                    pixels: 73_000,
                },
                Recolour {
                    from: "#403530".into(),
                    to: "#3460dc".into(),
                    pixels: 4_000,
                },
            ],
            regions: 1,
            shape: "medium wide".into(),
        };
        let dimmed = VisualChange {
            recolours: vec![Recolour {
                from: "#2b1f19".into(),
                to: "#25346f".into(),
                pixels: 73_000,
            }],
            ..cp.clone()
        };
        let of = |v: &VisualChange| {
            changes(&Checkpoint {
                new: false,
                dom_changes: &[],
                visual: Some(v),
                diff_pixels: 1,
                note: None,
            })
        };
        assert_eq!(of(&cp).len(), 1, "one change, seen twice");
        let items = vec![
            ("d".to_string(), "07-detail".to_string(), of(&dimmed)),
            ("a".to_string(), "01-index".to_string(), of(&cp)),
            ("b".to_string(), "01-index".to_string(), of(&cp)),
        ];
        let groups = group(&items);
        assert_eq!(groups.len(), 1, "{groups:#?}");
        assert_eq!(groups[0].summary, "colour #2b1f19 → #1d4ed8");
        assert_eq!(groups[0].sessions, 3);
        assert_eq!(
            groups[0].members[0].session, "d",
            "members keep the report's order"
        );
    }

    #[test]
    fn every_checkpoint_needing_a_decision_has_a_change() {
        let none = changes(&Checkpoint {
            new: false,
            dom_changes: &[],
            visual: None,
            diff_pixels: 0,
            note: Some("environment: the baseline was made with chromium 120"),
        });
        assert_eq!(none[0].kind, "other");
        assert_eq!(none[0].summary, "environment");
        let new = changes(&Checkpoint {
            new: true,
            dom_changes: &[],
            visual: None,
            diff_pixels: 0,
            note: None,
        });
        assert_eq!(new[0].key, "new");
        let moved = VisualChange {
            pixels: 50,
            recolours: vec![],
            regions: 2,
            shape: "small wide".into(),
        };
        let px = changes(&Checkpoint {
            new: false,
            dom_changes: &[],
            visual: Some(&moved),
            diff_pixels: 50,
            note: None,
        });
        assert_eq!(px[0].key, "pixels|small wide");
        let invisible = changes(&Checkpoint {
            new: false,
            dom_changes: &[dom(
                DomChangeKind::Attribute,
                "<a href=\"/x\">",
                "href=\"/x\"",
                "href=\"/y\"",
            )],
            visual: None,
            diff_pixels: 0,
            note: None,
        });
        assert!(
            invisible[0].summary.ends_with("(no visible change)"),
            "{invisible:?}"
        );
    }
}
