//! Wording and escaping every reporter shares: the one-line reason a session did not pass
//! (a JUnit failure message, a GitHub annotation) and markup escaping that also drops what
//! XML 1.0 cannot carry (console errors and page content are untrusted).

use crate::model::{CheckpointReport, CheckpointStatus, SessionReport, SessionStatus};

/// Characters of a one-line failure message (the body has everything).
const MESSAGE_CHARS: usize = 400;

/// Why a session did not pass, in one line, for people: a failure message here and an
/// annotation in `github`. `None` for `passed`.
pub fn reason(s: &SessionReport) -> Option<String> {
    let line = match s.status {
        SessionStatus::Passed => return None,
        SessionStatus::Changed => {
            let changed: Vec<&CheckpointReport> = s
                .checkpoints
                .iter()
                .filter(|c| c.status == CheckpointStatus::Changed)
                .collect();
            let mut parts = Vec::new();
            if !changed.is_empty() {
                let names: Vec<String> = changed
                    .iter()
                    .map(|c| {
                        format!(
                            "`{}` (DOM {:.3}, visual {:.3})",
                            c.name, c.dom_similarity, c.visual_similarity
                        )
                    })
                    .collect();
                parts.push(format!(
                    "{} of {} checkpoint{} changed: {}",
                    changed.len(),
                    s.checkpoints.len(),
                    plural(s.checkpoints.len()),
                    names.join(", ")
                ));
            }
            let unmatched = s.network.unmatched.len();
            if unmatched > 0 {
                parts.push(format!(
                    "{unmatched} request{} matched no recorded exchange",
                    plural(unmatched)
                ));
            }
            if parts.is_empty() {
                parts.push(format!("changed, fidelity {:.3}", s.fidelity));
            }
            parts.join("; ")
        }
        SessionStatus::Broken => match (&s.broken_step, &s.error) {
            (Some(b), _) => format!(
                "step {} ({}) failed: {}",
                b.step,
                b.step_type,
                first_line(&b.message)
            ),
            (None, Some(e)) => first_line(e).to_string(),
            (None, None) => format!(
                "broken after {} of {} steps",
                s.steps_completed, s.steps_total
            ),
        },
        SessionStatus::New => {
            let new = s
                .checkpoints
                .iter()
                .filter(|c| c.status == CheckpointStatus::New)
                .count();
            format!("no baseline yet for {new} checkpoint{}", plural(new))
        }
        SessionStatus::Flaky => format!(
            "results differed between attempts ({} attempt{})",
            s.attempts,
            plural(s.attempts as usize)
        ),
        SessionStatus::Error => s
            .error
            .as_deref()
            .map(first_line)
            .unwrap_or("the session could not be replayed")
            .to_string(),
    };
    Some(truncate(&line, MESSAGE_CHARS))
}

/// Escapes `s` for XML 1.0 text (`attr: false`) or a double-quoted attribute value
/// (`attr: true`), dropping characters XML 1.0 cannot represent at all (control characters
/// other than tab, newline and carriage return; U+FFFE, U+FFFF). In attributes, tab and line
/// breaks become character references so that attribute normalization keeps them.
pub fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' if attr => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// XML 1.0's `Char` production (Rust's `char` already excludes surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

pub fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_handles_markup_quotes_and_line_breaks() {
        assert_eq!(escape("a<b>&\"c'", false), "a&lt;b&gt;&amp;\"c'");
        assert_eq!(escape("a<b>&\"c'", true), "a&lt;b&gt;&amp;&quot;c'");
        assert_eq!(escape("x\ny\tz\r", true), "x&#10;y&#9;z&#13;");
        assert_eq!(escape("x\ny\tz\r", false), "x\ny\tz&#13;");
        assert_eq!(escape("]]>", false), "]]&gt;");
    }

    #[test]
    fn escape_drops_characters_xml_cannot_carry() {
        let hostile = "ok\u{0}\u{1}\u{8}\u{b}\u{c}\u{1b}[31mred\u{7f}\u{fffe}\u{ffff}é😀";
        assert_eq!(escape(hostile, false), "ok[31mred\u{7f}é😀");
        assert_eq!(escape(hostile, true), "ok[31mred\u{7f}é😀");
    }
}
