//! DOM comparison: normalized DOM texts compared line by line with `similar`, giving a
//! similarity ratio for the fidelity score and a unified diff for people.

/// The result of comparing a baseline DOM with a replay's.
#[derive(Debug, Clone, PartialEq)]
pub struct DomDiff {
    pub equal: bool,
    /// In [0, 1]; 1 exactly when the texts are equal.
    pub similarity: f64,
    /// Unified diff (baseline → replay), empty when equal.
    pub unified: String,
}

pub fn compare_dom(baseline: &str, actual: &str) -> DomDiff {
    if baseline == actual {
        return DomDiff {
            equal: true,
            similarity: 1.0,
            unified: String::new(),
        };
    }
    let diff = similar::TextDiff::from_lines(baseline, actual);
    // `similar`'s ratio can round to 1.0 for a one-line change in a huge page; a different
    // text must never score as equal.
    let similarity = f64::from(diff.ratio()).min(1.0 - f64::EPSILON);
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header("baseline", "replay")
        .to_string();
    DomDiff {
        equal: false,
        similarity,
        unified,
    }
}

/// One change between two DOM snapshots, in the terms a person reviews: an element added or
/// removed, a text changed, an attribute changed; where it happened is the element line that
/// contains it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DomChange {
    pub kind: DomChangeKind,
    /// The element the change is in (its opening line, e.g. `<span id="cart-count">`).
    pub within: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomChangeKind {
    Added,
    Removed,
    Text,
    Attribute,
}

impl DomChange {
    /// Whether the change is to `class` attributes and nothing else.
    pub fn is_class_only(&self) -> bool {
        let only_class = |s: &Option<String>| {
            s.as_deref().is_none_or(|s| {
                s.is_empty() || (s.starts_with("class=\"") && s.matches("=\"").count() == 1)
            })
        };
        self.kind == DomChangeKind::Attribute && only_class(&self.before) && only_class(&self.after)
    }
}

impl std::fmt::Display for DomChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |s: &Option<String>| s.clone().unwrap_or_default();
        match self.kind {
            DomChangeKind::Added => write!(f, "added {} in {}", show(&self.after), self.within),
            DomChangeKind::Removed => {
                write!(f, "removed {} from {}", show(&self.before), self.within)
            }
            DomChangeKind::Text => write!(
                f,
                "text in {}: {} → {}",
                self.within,
                show(&self.before),
                show(&self.after)
            ),
            DomChangeKind::Attribute => write!(
                f,
                "attribute of {}: {} → {}",
                self.within,
                show(&self.before),
                show(&self.after)
            ),
        }
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The nearest enclosing element line of line `i` (the closest earlier line indented less).
fn parent(lines: &[&str], i: usize) -> String {
    let d = indent(lines[i]);
    lines[..i]
        .iter()
        .rev()
        .find(|l| indent(l) < d)
        .map_or_else(|| "the document".to_string(), |l| l.trim().to_string())
}

fn tag(line: &str) -> Option<&str> {
    let t = line.trim().strip_prefix('<')?;
    Some(t.split([' ', '>']).next().unwrap_or(""))
}

/// `name="value"` pairs of an element line, in order.
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

/// Lines of a removed or added block that are not inside another line of the block: the
/// roots of the subtrees that went or came.
fn roots(lines: &[&str], block: &[usize]) -> Vec<usize> {
    block
        .iter()
        .copied()
        .filter(|&i| {
            let d = indent(lines[i]);
            // Inside a block line when an earlier block line, with nothing shallower between,
            // is indented less.
            !block.iter().any(|&p| {
                p < i
                    && indent(lines[p]) < d
                    && (p + 1..i).all(|k| indent(lines[k]) > indent(lines[p]))
            })
        })
        .collect()
}

/// A line replaced by another of the same kind: a changed text or changed attributes.
fn in_place(old: &[&str], new: &[&str], i: usize, j: usize) -> Option<DomChange> {
    let (a, b) = (old[i], new[j]);
    if a == b {
        return None;
    }
    if tag(a).is_none() {
        return Some(DomChange {
            kind: DomChangeKind::Text,
            within: parent(old, i),
            before: Some(a.trim().to_string()),
            after: Some(b.trim().to_string()),
        });
    }
    let (x, y) = (attributes(a), attributes(b));
    let fmt = |v: Vec<&(String, String)>| {
        v.iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(DomChange {
        kind: DomChangeKind::Attribute,
        within: a.trim().to_string(),
        before: Some(fmt(x.iter().filter(|p| !y.contains(p)).collect())),
        after: Some(fmt(y.iter().filter(|p| !x.contains(p)).collect())),
    })
}

/// Groups a line diff into structural changes, at most `limit` of them. A removed or added
/// subtree is one change named by its root element.
pub fn structural_changes(baseline: &str, actual: &str, limit: usize) -> Vec<DomChange> {
    use similar::DiffOp;
    let old: Vec<&str> = baseline.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let diff = similar::TextDiff::from_lines(baseline, actual);
    let mut out = Vec::new();
    for op in diff.ops() {
        if out.len() >= limit {
            break;
        }
        let (removed, added) = match *op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len, 0..0),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (0..0, new_index..new_index + new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (
                old_index..old_index + old_len,
                new_index..new_index + new_len,
            ),
        };
        // Align the replaced lines by what they are (element tag and id, or text at a depth),
        // so a changed attribute or text is reported in place rather than as a removal and
        // an addition.
        let key = |l: &str| {
            let id = attributes(l)
                .into_iter()
                .find(|(k, _)| k == "id")
                .map(|(_, v)| v);
            match tag(l) {
                Some(t) => format!("{}<{t}#{}", indent(l), id.unwrap_or_default()),
                None => format!("{}#text", indent(l)),
            }
        };
        let old_keys: Vec<String> = removed.clone().map(|i| key(old[i])).collect();
        let new_keys: Vec<String> = added.clone().map(|j| key(new[j])).collect();
        let mut gone = Vec::new();
        let mut came = Vec::new();
        for inner in similar::capture_diff_slices(similar::Algorithm::Myers, &old_keys, &new_keys) {
            match inner {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => {
                    for k in 0..len {
                        let (i, j) = (removed.start + old_index + k, added.start + new_index + k);
                        if let Some(c) = in_place(&old, &new, i, j) {
                            out.push(c);
                        }
                    }
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => {
                    gone.extend((0..old_len).map(|k| removed.start + old_index + k));
                }
                DiffOp::Insert {
                    new_index, new_len, ..
                } => {
                    came.extend((0..new_len).map(|k| added.start + new_index + k));
                }
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    gone.extend((0..old_len).map(|k| removed.start + old_index + k));
                    came.extend((0..new_len).map(|k| added.start + new_index + k));
                }
            }
        }
        for i in roots(&old, &gone) {
            out.push(DomChange {
                kind: DomChangeKind::Removed,
                within: parent(&old, i),
                before: Some(old[i].trim().to_string()),
                after: None,
            });
        }
        for j in roots(&new, &came) {
            out.push(DomChange {
                kind: DomChangeKind::Added,
                within: parent(&new, j),
                before: None,
                after: Some(new[j].trim().to_string()),
            });
        }
    }
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts() {
        let d = compare_dom("<p>\n  \"a\"\n", "<p>\n  \"a\"\n");
        assert!(d.equal);
        assert_eq!(d.similarity, 1.0);
        assert!(d.unified.is_empty());
    }

    #[test]
    fn changes_are_grouped_by_kind() {
        let base = "<body>\n  <p id=\"a\">\n    \"one\"\n  <ul>\n    <li>\n      \"x\"\n  <span class=\"c\" id=\"s\">\n";
        let now = "<body>\n  <p id=\"a\">\n    \"two\"\n  <span class=\"d\" id=\"s\">\n  <b>\n    \"new\"\n";
        let changes = structural_changes(base, now, 10);
        let kinds: Vec<DomChangeKind> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![
                DomChangeKind::Text,
                DomChangeKind::Attribute,
                DomChangeKind::Removed,
                DomChangeKind::Added
            ],
            "{changes:#?}"
        );
        assert_eq!(changes[0].within, "<p id=\"a\">");
        assert_eq!(
            changes[0].to_string(),
            "text in <p id=\"a\">: \"one\" → \"two\""
        );
        assert_eq!(changes[1].within, "<span class=\"c\" id=\"s\">");
        assert_eq!(changes[1].before.as_deref(), Some("class=\"c\""));
        assert_eq!(changes[1].after.as_deref(), Some("class=\"d\""));
        assert_eq!(
            changes[2].before.as_deref(),
            Some("<ul>"),
            "a removed subtree is named by its root"
        );
        assert_eq!(changes[3].after.as_deref(), Some("<b>"));
        assert!(structural_changes(base, base, 10).is_empty());
        assert!(changes[1].is_class_only(), "{:?}", changes[1]);
        assert!(!changes[0].is_class_only());
        let id_too = structural_changes(
            "<p class=\"a\" id=\"x\">\n",
            "<p class=\"b\" id=\"y\">\n",
            10,
        );
        assert!(!id_too[0].is_class_only(), "{id_too:?}");
        assert_eq!(structural_changes(base, now, 2).len(), 2);
    }

    #[test]
    fn changed_line_shows_in_the_diff() {
        let d = compare_dom("<p>\n  \"a\"\n", "<p>\n  \"b\"\n");
        assert!(!d.equal);
        assert!(d.similarity < 1.0 && d.similarity > 0.0);
        assert!(d.unified.contains("-  \"a\""), "{}", d.unified);
        assert!(d.unified.contains("+  \"b\""), "{}", d.unified);
    }
}
