//! CSS selectors checked before any page sees them. The page's `querySelectorAll` throws on a
//! bad selector; a mask or a private selector that throws masks nothing, so personal data
//! would reach a baseline. Servo's selector parser (the `selectors` crate, what Firefox
//! uses) decides the syntax here, with the pseudo-classes browsers support.

use cssparser::{CowRcStr, ParseError, ParserInput, SourceLocation, ToCss};
use selectors::parser::{ParseRelative, SelectorList, SelectorParseErrorKind};

/// Checks one selector list (`a, b > c`) as `document.querySelectorAll` would take it.
/// Pseudo-elements (`::before`) are refused too: they match no element, so a mask using one
/// would hide nothing.
pub fn check(selector: &str) -> Result<(), String> {
    if selector.trim().is_empty() {
        return Err("an empty selector matches nothing".into());
    }
    let mut input = ParserInput::new(selector);
    let mut parser = cssparser::Parser::new(&mut input);
    let parsed = SelectorList::<Impl>::parse(&Syntax, &mut parser, ParseRelative::No)
        .and_then(|list| parser.expect_exhausted().map(|()| list).map_err(Into::into));
    match parsed {
        Ok(_) => Ok(()),
        Err(e) => Err(describe(&e)),
    }
}

/// [`check`] as a command-line value parser (`record --private SELECTOR`).
pub fn arg(selector: &str) -> Result<String, String> {
    check(selector)
        .map(|()| selector.to_string())
        .map_err(|why| format!("not a valid CSS selector: {why}"))
}

fn describe(e: &ParseError<'_, SelectorParseErrorKind<'_>>) -> String {
    use cssparser::ParseErrorKind as K;
    use SelectorParseErrorKind as S;
    let at = format!("at column {}", e.location.column);
    match &e.kind {
        K::Custom(S::UnsupportedPseudoClassOrElement(name)) => format!(
            "`{name}` is not a pseudo-class or pseudo-element browsers support ({at}; \
             pseudo-elements and jQuery/Playwright extensions such as `:contains()` are not CSS)"
        ),
        K::Custom(S::DanglingCombinator) => format!("a combinator with nothing after it ({at})"),
        K::Custom(S::EmptySelector) => format!("an empty selector ({at})"),
        K::Custom(kind) => format!("{kind:?} ({at})"),
        K::Basic(b) => format!("{b} ({at})"),
    }
}

/// The selector implementation the parser needs: names are plain strings, nothing is
/// matched (the browser matches; this only checks syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Impl;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Name(String);

impl<'a> From<&'a str> for Name {
    fn from(s: &'a str) -> Self {
        Self(s.to_string())
    }
}

impl ToCss for Name {
    fn to_css<W: std::fmt::Write>(&self, dest: &mut W) -> std::fmt::Result {
        dest.write_str(&self.0)
    }
}

impl precomputed_hash::PrecomputedHash for Name {
    fn precomputed_hash(&self) -> u32 {
        self.0
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
    }
}

/// A non-tree-structural pseudo-class browsers support (`:hover`, `:checked`, `:lang(en)`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PseudoClass(String);

impl ToCss for PseudoClass {
    fn to_css<W: std::fmt::Write>(&self, dest: &mut W) -> std::fmt::Result {
        dest.write_char(':')?;
        dest.write_str(&self.0)
    }
}

impl selectors::parser::NonTSPseudoClass for PseudoClass {
    type Impl = Impl;
    fn is_active_or_hover(&self) -> bool {
        matches!(self.0.as_str(), "active" | "hover")
    }
    fn is_user_action_state(&self) -> bool {
        matches!(self.0.as_str(), "active" | "hover" | "focus")
    }
}

/// Never constructed: every pseudo-element is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PseudoElement {}

impl ToCss for PseudoElement {
    fn to_css<W: std::fmt::Write>(&self, _dest: &mut W) -> std::fmt::Result {
        match *self {}
    }
}

impl selectors::parser::PseudoElement for PseudoElement {
    type Impl = Impl;
}

impl selectors::parser::SelectorImpl for Impl {
    type ExtraMatchingData<'a> = ();
    type AttrValue = Name;
    type Identifier = Name;
    type LocalName = Name;
    type NamespaceUrl = Name;
    type NamespacePrefix = Name;
    type BorrowedNamespaceUrl = Name;
    type BorrowedLocalName = Name;
    type NonTSPseudoClass = PseudoClass;
    type PseudoElement = PseudoElement;
}

/// The pseudo-classes without arguments that Chromium's `querySelectorAll` accepts, beside
/// the structural ones the parser knows itself (`:first-child`, `:nth-of-type()`, `:not()`,
/// `:is()`, `:where()`, `:has()`, `:root`, `:empty`).
const PSEUDO_CLASSES: &[&str] = &[
    "active",
    "any-link",
    "autofill",
    "checked",
    "default",
    "defined",
    "disabled",
    "enabled",
    "focus",
    "focus-visible",
    "focus-within",
    "fullscreen",
    "hover",
    "in-range",
    "indeterminate",
    "invalid",
    "link",
    "modal",
    "open",
    "optional",
    "out-of-range",
    "paused",
    "picture-in-picture",
    "placeholder-shown",
    "playing",
    "popover-open",
    "read-only",
    "read-write",
    "required",
    "scope",
    "target",
    "user-invalid",
    "user-valid",
    "valid",
    "visited",
];

struct Syntax;

impl<'i> selectors::parser::Parser<'i> for Syntax {
    type Impl = Impl;
    type Error = SelectorParseErrorKind<'i>;

    fn parse_nth_child_of(&self) -> bool {
        true
    }
    fn parse_is_and_where(&self) -> bool {
        true
    }
    fn parse_has(&self) -> bool {
        true
    }
    fn parse_non_ts_pseudo_class(
        &self,
        location: SourceLocation,
        name: CowRcStr<'i>,
    ) -> Result<PseudoClass, ParseError<'i, Self::Error>> {
        let lower = name.to_ascii_lowercase();
        if PSEUDO_CLASSES.contains(&lower.as_str()) {
            Ok(PseudoClass(lower))
        } else {
            Err(
                location.new_custom_error(SelectorParseErrorKind::UnsupportedPseudoClassOrElement(
                    name,
                )),
            )
        }
    }
    fn parse_non_ts_functional_pseudo_class<'t>(
        &self,
        name: CowRcStr<'i>,
        parser: &mut cssparser::Parser<'i, 't>,
        _after_part: bool,
    ) -> Result<PseudoClass, ParseError<'i, Self::Error>> {
        // `:lang(en, "fr-*")` and `:dir(rtl)`: identifiers or strings, comma-separated.
        let lower = name.to_ascii_lowercase();
        if lower == "lang" || lower == "dir" {
            parser.parse_comma_separated(|p| {
                let location = p.current_source_location();
                match p.next()? {
                    cssparser::Token::Ident(_) | cssparser::Token::QuotedString(_) => Ok(()),
                    t => {
                        let t = t.clone();
                        Err(location.new_unexpected_token_error(t))
                    }
                }
            })?;
            return Ok(PseudoClass(lower));
        }
        Err(
            parser.new_custom_error(SelectorParseErrorKind::UnsupportedPseudoClassOrElement(
                name,
            )),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn browsers_selectors_pass() {
        for s in [
            ".account",
            "#card-number",
            "input[type=\"password\"]",
            "[data-testid=total] > span",
            "ul li:nth-child(2n+1)",
            "a:not(.x), b ~ c + d",
            "section:has(> h2)",
            ":is(h1, h2):hover",
            "input:checked",
            "p:lang(en)",
            "*|*",
            "svg|rect",
        ] {
            if s.contains('|') && s != "*|*" {
                // a namespace prefix nobody declared: browsers throw too
                assert!(check(s).is_err(), "{s}");
                continue;
            }
            assert_eq!(check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn invalid_selectors_are_refused_with_a_reason() {
        for s in [
            "div[[[",
            ":contains(\"x\")",
            "p:contains(x)",
            ">> span",
            "div >",
            "",
            "  ",
            "p::before",
            "a,",
            ".x {",
            "#",
        ] {
            let e = check(s).expect_err(s);
            assert!(!e.is_empty(), "{s}");
        }
        assert!(check(":contains(x)").expect_err("x").contains("contains"));
    }
}
