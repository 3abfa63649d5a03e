//! Recorder selectors: the prefixed strings (`aria/`, `text/`, `xpath/`,
//! `pierce/`, or plain CSS) and the chains that cross shadow roots and
//! iframes. This lives apart from the step model because the replayer hands
//! selectors to in-page JavaScript, and both the recorder spelling and the
//! JavaScript shape must come from one place so they never drift apart.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{json, Value};

/// One alternative of a step's `selectors` list. The chain is never empty in a
/// parsed recording: the parser rejects empty chains so the replayer can
/// always start from the outermost part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    /// Outermost first; each later part is resolved inside the shadow root or
    /// iframe document of the element the previous part matched.
    pub chain: Vec<SelectorPart>,
}

/// A single selector string with its recorder prefix decoded, so the replayer
/// can pick the matching query strategy without re-parsing strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SelectorPart {
    Css(String),
    Aria(String),
    Text(String),
    XPath(String),
    Pierce(String),
}

impl SelectorPart {
    /// Never fails: anything without a known prefix is CSS, exactly as the
    /// recorder treats it. Emptiness is checked by the parser, which knows
    /// which step and field to blame.
    pub fn parse(s: &str) -> Self {
        if let Some(rest) = s.strip_prefix("aria/") {
            Self::Aria(rest.to_owned())
        } else if let Some(rest) = s.strip_prefix("text/") {
            Self::Text(rest.to_owned())
        } else if let Some(rest) = s.strip_prefix("xpath/") {
            Self::XPath(rest.to_owned())
        } else if let Some(rest) = s.strip_prefix("pierce/") {
            Self::Pierce(rest.to_owned())
        } else {
            Self::Css(s.to_owned())
        }
    }

    /// The tag the in-page resolver switches on.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Css(_) => "css",
            Self::Aria(_) => "aria",
            Self::Text(_) => "text",
            Self::XPath(_) => "xpath",
            Self::Pierce(_) => "pierce",
        }
    }

    /// The expression without its prefix, as the query engine expects it.
    pub fn value(&self) -> &str {
        match self {
            Self::Css(v) | Self::Aria(v) | Self::Text(v) | Self::XPath(v) | Self::Pierce(v) => v,
        }
    }

    /// Inverse of [`SelectorPart::parse`], so recordings written back by
    /// importers read the same in Chrome DevTools.
    pub fn to_recorder_string(&self) -> String {
        match self {
            Self::Css(v) => v.clone(),
            other => format!("{}/{}", other.kind(), other.value()),
        }
    }

    /// The `{"kind", "value"}` object the in-page resolver consumes.
    pub fn to_js(&self) -> Value {
        json!({ "kind": self.kind(), "value": self.value() })
    }
}

impl Selector {
    /// Lets callers build chains without touching the field, keeping the
    /// "non-empty" promise visible at construction sites.
    pub fn new(chain: Vec<SelectorPart>) -> Self {
        Self { chain }
    }

    /// The JSON handed to in-page JavaScript: one `{"kind","value"}` object per
    /// chain part, outermost first, so the script never parses prefixes.
    pub fn to_js(&self) -> Value {
        Value::Array(self.chain.iter().map(SelectorPart::to_js).collect())
    }
}

impl From<SelectorPart> for Selector {
    fn from(part: SelectorPart) -> Self {
        Self { chain: vec![part] }
    }
}

/// Recorder spelling joined with ` >> `, so failure messages show the selector
/// the way the user sees it in DevTools.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.chain.iter().enumerate() {
            if i > 0 {
                f.write_str(" >> ")?;
            }
            f.write_str(&part.to_recorder_string())?;
        }
        Ok(())
    }
}

/// The recorder form (a plain string for one part, else an array), so
/// serialized recordings and reports stay readable by DevTools users.
impl Serialize for Selector {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.chain.as_slice() {
            [single] => serializer.serialize_str(&single.to_recorder_string()),
            parts => serializer.collect_seq(parts.iter().map(SelectorPart::to_recorder_string)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_decoded() {
        assert_eq!(
            SelectorPart::parse("aria/Espresso"),
            SelectorPart::Aria("Espresso".into())
        );
        assert_eq!(
            SelectorPart::parse("text/Total: $29.00"),
            SelectorPart::Text("Total: $29.00".into())
        );
        assert_eq!(
            SelectorPart::parse("xpath///*[@data-test=\"Espresso\"]"),
            SelectorPart::XPath("//*[@data-test=\"Espresso\"]".into())
        );
        assert_eq!(
            SelectorPart::parse("pierce/#btn"),
            SelectorPart::Pierce("#btn".into())
        );
        assert_eq!(
            SelectorPart::parse("#app > ul"),
            SelectorPart::Css("#app > ul".into())
        );
    }

    #[test]
    fn recorder_string_round_trips() {
        for s in [
            "aria/Name",
            "text/Submit",
            "xpath///*[@id=\"name\"]",
            "pierce/div",
            "[data-test=Mocha]",
        ] {
            assert_eq!(SelectorPart::parse(s).to_recorder_string(), s);
        }
    }

    #[test]
    fn display_joins_chain() {
        let sel = Selector::new(vec![
            SelectorPart::parse("my-app"),
            SelectorPart::parse("pierce/button"),
        ]);
        assert_eq!(sel.to_string(), "my-app >> pierce/button");
    }

    #[test]
    fn serializes_in_recorder_form() {
        let one = Selector::from(SelectorPart::parse("aria/Espresso"));
        assert_eq!(serde_json::to_value(&one).unwrap(), json!("aria/Espresso"));
        let two = Selector::new(vec![
            SelectorPart::parse("iframe"),
            SelectorPart::parse("#x"),
        ]);
        assert_eq!(serde_json::to_value(&two).unwrap(), json!(["iframe", "#x"]));
    }

    #[test]
    fn to_js_lists_kind_and_value() {
        let sel = Selector::new(vec![
            SelectorPart::parse("xpath///a"),
            SelectorPart::parse("#x"),
        ]);
        assert_eq!(
            sel.to_js(),
            json!([{"kind": "xpath", "value": "//a"}, {"kind": "css", "value": "#x"}])
        );
    }
}
