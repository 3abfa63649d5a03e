//! Short excerpts of values echoed in messages. An error that quotes what it found helps,
//! until what it found is a 10 MB string: then the message buries the terminal or a CI log.
//! Every value a message echoes goes through [`excerpt`].

/// Characters of a value shown in full; a longer one is cut.
const MAX_CHARS: usize = 80;
/// Characters kept from the start of a value that is cut.
const KEPT_CHARS: usize = 60;

/// `s` itself when short; else its first characters, `…`, and its length in bytes:
/// `aaaaaaaa… (10485760 bytes)`.
pub fn excerpt(s: &str) -> String {
    if s.chars().count() <= MAX_CHARS {
        return s.to_string();
    }
    let kept: String = s.chars().take(KEPT_CHARS).collect();
    format!("{kept}… ({} bytes)", s.len())
}

/// A whole message with each overlong line cut the same way: the last guard before a
/// message reaches the terminal, for values echoed by code that did not cut them (a
/// library's error text that quotes its input).
pub fn message(s: &str) -> String {
    const MAX_LINE: usize = 400;
    s.lines()
        .map(|l| {
            if l.chars().count() <= MAX_LINE {
                l.to_string()
            } else {
                let kept: String = l.chars().take(MAX_LINE - 40).collect();
                format!("{kept}… ({} bytes in this line)", l.len())
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_with_their_length() {
        assert_eq!(excerpt("short"), "short");
        let long = "a".repeat(10 << 20);
        let e = excerpt(&long);
        assert_eq!(e, format!("{}… (10485760 bytes)", "a".repeat(60)));
        let multibyte = "é".repeat(100);
        assert!(excerpt(&multibyte).ends_with("… (200 bytes)"));
        let m = message(&format!("error: `{long}`\nhint: fix it"));
        assert!(m.len() < 500, "{}", m.len());
        assert!(m.ends_with("\nhint: fix it"));
    }
}
