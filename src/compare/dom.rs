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
    fn changed_line_shows_in_the_diff() {
        let d = compare_dom("<p>\n  \"a\"\n", "<p>\n  \"b\"\n");
        assert!(!d.equal);
        assert!(d.similarity < 1.0 && d.similarity > 0.0);
        assert!(d.unified.contains("-  \"a\""), "{}", d.unified);
        assert!(d.unified.contains("+  \"b\""), "{}", d.unified);
    }
}
