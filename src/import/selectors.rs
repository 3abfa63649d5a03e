//! Selectors for a node of a rebuilt DOM ([`super::dom`]), computed at the moment an
//! importer sees an interaction with it: test ids, a unique id, `name`, the accessible name,
//! a structural path, then text, each kept only when it matches that one element in its
//! scope (a document or a shadow root). rrweb's `rr_*` and `_cssText` pseudo-attributes are
//! state, not markup, so they never appear in a selector.

use super::dom::{collapse, Dom, Kind, NodeId};
use crate::recording::{Selector, SelectorPart};

/// What a step acts on: selector alternatives, best first, and the frame path (iframe
/// indexes from the top document).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub selectors: Vec<Selector>,
    pub frame: Vec<u32>,
}

const TEST_ATTRS: &[&str] = &[
    "data-testid",
    "data-test-id",
    "data-test",
    "data-cy",
    "data-qa",
];

/// The elements of one selector scope (a document or a shadow root), in document order,
/// not crossing into nested documents or shadow roots.
fn scope_elements(dom: &Dom, roots: &[NodeId]) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut stack: Vec<NodeId> = roots.iter().rev().copied().collect();
    while let Some(x) = stack.pop() {
        let Some(n) = dom.get(x) else { continue };
        if !matches!(n.kind, Kind::Element { .. }) {
            continue;
        }
        out.push(x);
        stack.extend(
            n.children
                .iter()
                .rev()
                .copied()
                .filter(|c| dom.get(*c).is_some_and(|c| !c.in_shadow)),
        );
    }
    out
}

/// Where a node lives: the roots of its scope, the shadow host (if any) and the iframe
/// element whose document holds it (if any).
struct Scope {
    roots: Vec<NodeId>,
    host: Option<NodeId>,
    iframe: Option<NodeId>,
}

fn scope_of(dom: &Dom, id: NodeId) -> Option<Scope> {
    let mut cur = id;
    loop {
        let n = dom.get(cur)?;
        if n.in_shadow {
            let host = n.parent?;
            let roots = dom
                .get(host)?
                .children
                .iter()
                .copied()
                .filter(|c| dom.get(*c).is_some_and(|c| c.in_shadow))
                .collect();
            return Some(Scope {
                roots,
                host: Some(host),
                iframe: None,
            });
        }
        if matches!(n.kind, Kind::Document) {
            let html = dom.document_element(cur)?;
            let iframe = n.parent.filter(|p| dom.tag(*p) == Some("iframe"));
            return Some(Scope {
                roots: vec![html],
                host: None,
                iframe,
            });
        }
        cur = n.parent?;
    }
}

/// Selector alternatives and frame path for a node, or `None` when the node is not in the
/// DOM (or not an element and has no element parent).
pub fn target_of(dom: &Dom, id: NodeId) -> Option<Target> {
    // Text nodes are targeted through their element.
    let mut el = id;
    while dom.tag(el).is_none() {
        el = dom.get(el)?.parent?;
    }
    let scope = scope_of(dom, el)?;
    let elements = scope_elements(dom, &scope.roots);
    let parts = alternatives(dom, el, &elements);
    if parts.is_empty() {
        return None;
    }
    if let Some(host) = scope.host {
        // Inside a shadow root: the host's best selector, then the inner CSS, resolved in
        // the host's shadow root (a selector chain).
        let outer = target_of(dom, host)?;
        let head = outer.selectors.first()?.chain.clone();
        let selectors: Vec<Selector> = parts
            .into_iter()
            .filter_map(|p| match p {
                SelectorPart::Css(c) => {
                    let mut chain = head.clone();
                    chain.push(SelectorPart::Css(c));
                    Some(Selector::new(chain))
                }
                _ => None,
            })
            .collect();
        return (!selectors.is_empty()).then_some(Target {
            selectors,
            frame: outer.frame,
        });
    }
    let mut frame = Vec::new();
    if let Some(iframe) = scope.iframe {
        let outer_scope = scope_of(dom, iframe)?;
        frame = target_of(dom, iframe)?.frame;
        let index = scope_elements(dom, &outer_scope.roots)
            .iter()
            .filter(|e| dom.tag(**e) == Some("iframe"))
            .position(|e| *e == iframe)?;
        frame.push(u32::try_from(index).ok()?);
    }
    Some(Target {
        selectors: parts.into_iter().map(Selector::from).collect(),
        frame,
    })
}

fn css_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn is_css_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn alternatives(dom: &Dom, el: NodeId, elements: &[NodeId]) -> Vec<SelectorPart> {
    let mut out = Vec::new();
    let count = |f: &dyn Fn(NodeId) -> bool| elements.iter().filter(|e| f(**e)).count();
    let tag = dom.tag(el).unwrap_or("*").to_owned();
    for a in TEST_ATTRS {
        if let Some(v) = dom.attr(el, a).filter(|v| !v.is_empty()) {
            if count(&|e| dom.attr(e, a) == Some(v)) == 1 {
                out.push(SelectorPart::Css(format!("[{a}={}]", css_string(v))));
            }
        }
    }
    if let Some(id) = unique_id(dom, el, elements) {
        out.push(SelectorPart::Css(id));
    }
    if let Some(v) = dom.attr(el, "name").filter(|v| !v.is_empty()) {
        if count(&|e| dom.tag(e) == Some(tag.as_str()) && dom.attr(e, "name") == Some(v)) == 1 {
            out.push(SelectorPart::Css(format!("{tag}[name={}]", css_string(v))));
        }
    }
    if let Some(name) = accessible_name(dom, el).filter(|n| n.chars().count() <= 80) {
        if count(&|e| accessible_name(dom, e).as_deref() == Some(name.as_str())) == 1 {
            out.push(SelectorPart::Aria(name));
        }
    }
    out.push(SelectorPart::Css(structural_path(dom, el, elements)));
    if matches!(
        tag.as_str(),
        "a" | "button"
            | "summary"
            | "label"
            | "li"
            | "span"
            | "option"
            | "td"
            | "th"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "p"
            | "div"
    ) {
        let text = collapse(&dom.text(el));
        let leaf = |e: NodeId| {
            dom.get(e).is_some_and(|n| {
                !n.children.iter().any(|c| {
                    dom.tag(*c).is_some() && collapse(&dom.text(*c)).contains(text.as_str())
                })
            })
        };
        if !text.is_empty()
            && text.chars().count() <= 60
            && leaf(el)
            && count(&|e| leaf(e) && collapse(&dom.text(e)).contains(text.as_str())) == 1
        {
            out.push(SelectorPart::Text(text));
        }
    }
    out
}

fn unique_id(dom: &Dom, el: NodeId, elements: &[NodeId]) -> Option<String> {
    let v = dom.attr(el, "id").filter(|v| !v.is_empty())?;
    if elements
        .iter()
        .filter(|e| dom.attr(**e, "id") == Some(v))
        .count()
        != 1
    {
        return None;
    }
    Some(if is_css_ident(v) {
        format!("#{v}")
    } else {
        format!("[id={}]", css_string(v))
    })
}

/// The CSS path from the nearest ancestor with a unique id (or the scope's root), using
/// `:nth-child` only where a sibling shares the tag, as Chrome's Recorder writes paths.
fn structural_path(dom: &Dom, el: NodeId, elements: &[NodeId]) -> String {
    let mut parts = Vec::new();
    let mut cur = el;
    loop {
        if cur != el {
            if let Some(id) = unique_id(dom, cur, elements) {
                parts.push(id);
                break;
            }
        }
        let tag = dom.tag(cur).unwrap_or("*").to_owned();
        let Some(parent) = dom
            .get(cur)
            .and_then(|n| n.parent)
            .filter(|p| dom.tag(*p).is_some() && !dom.get(cur).is_some_and(|n| n.in_shadow))
        else {
            parts.push(tag);
            break;
        };
        let siblings: Vec<NodeId> = dom
            .get(parent)
            .map(|p| {
                p.children
                    .iter()
                    .copied()
                    .filter(|c| dom.tag(*c).is_some() && dom.get(*c).is_some_and(|c| !c.in_shadow))
                    .collect()
            })
            .unwrap_or_default();
        let same_tag = siblings
            .iter()
            .filter(|s| dom.tag(**s) == Some(tag.as_str()))
            .count();
        if same_tag > 1 {
            let k = siblings.iter().position(|s| *s == cur).unwrap_or(0) + 1;
            parts.push(format!("{tag}:nth-child({k})"));
        } else {
            parts.push(tag);
        }
        cur = parent;
    }
    parts.reverse();
    parts.join(" > ")
}

/// An approximation of the accessible name the `aria/` resolver computes: `aria-label`,
/// a label (wrapping or `for`), `alt`, `title`, then text for elements named by content.
fn accessible_name(dom: &Dom, el: NodeId) -> Option<String> {
    let attr = |n: &str| dom.attr(el, n).map(collapse).filter(|s| !s.is_empty());
    if let Some(v) = attr("aria-label") {
        return Some(v);
    }
    let tag = dom.tag(el)?;
    match tag {
        "input" | "select" | "textarea" => {
            let ty = dom.attr(el, "type").unwrap_or_default();
            if matches!(ty, "submit" | "button" | "reset") {
                return attr("value");
            }
            if matches!(ty, "hidden") {
                return None;
            }
            if let Some(id) = dom.attr(el, "id").filter(|s| !s.is_empty()) {
                let root = dom.document_of(el)?;
                if let Some(label) = dom
                    .descendants(root, |d, x| {
                        d.tag(x) == Some("label") && d.attr(x, "for") == Some(id)
                    })
                    .first()
                {
                    let t = collapse(&dom.text(*label));
                    if !t.is_empty() {
                        return Some(t);
                    }
                }
            }
            if let Some(label) = dom.ancestor(el, "label") {
                // The control's own text (a select's options) is not part of its name.
                let own = dom.text(el);
                let full = dom.text(label);
                let t = collapse(&full.replacen(own.as_str(), " ", 1));
                if !t.is_empty() {
                    return Some(t);
                }
            }
            attr("title").or_else(|| attr("placeholder"))
        }
        "img" => attr("alt").or_else(|| attr("title")),
        "a" | "button" | "summary" | "option" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let t = collapse(&dom.text(el));
            (!t.is_empty()).then_some(t).or_else(|| attr("title"))
        }
        _ => attr("title"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn el(id: i64, tag: &str, attrs: Value, children: Vec<Value>) -> Value {
        json!({"type": 2, "id": id, "tagName": tag, "attributes": attrs, "childNodes": children})
    }

    fn text(id: i64, t: &str) -> Value {
        json!({"type": 3, "id": id, "textContent": t})
    }

    fn dom(body: Vec<Value>) -> Dom {
        let mut d = Dom::default();
        d.load_snapshot(&json!({"type": 0, "id": 1, "childNodes": [
            el(2, "html", json!({}), vec![el(3, "body", json!({}), body)])
        ]}))
        .expect("loads");
        d
    }

    fn selectors(d: &Dom, id: NodeId) -> Vec<String> {
        target_of(d, id)
            .expect("a target")
            .selectors
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn alternatives_come_best_first_and_only_when_unique() {
        let d = dom(vec![
            el(
                10,
                "button",
                json!({"data-testid": "buy", "id": "buy-now", "name": "go"}),
                vec![text(11, "Buy now")],
            ),
            el(12, "button", json!({"name": "go"}), vec![text(13, "Later")]),
        ]);
        assert_eq!(
            selectors(&d, 10),
            [
                "[data-testid=\"buy\"]",
                "#buy-now",
                "aria/Buy now",
                // a path never starts at the element's own id: it is the fallback when ids change
                "html > body > button:nth-child(1)",
                "text/Buy now",
            ]
        );
        // `name` is shared, so only the path and the texts tell the second button apart.
        assert_eq!(
            selectors(&d, 12),
            [
                "aria/Later",
                "html > body > button:nth-child(2)",
                "text/Later"
            ]
        );
    }

    #[test]
    fn a_text_node_is_targeted_through_its_element() {
        let d = dom(vec![el(
            10,
            "a",
            json!({"href": "/cart"}),
            vec![text(11, "Cart")],
        )]);
        assert_eq!(target_of(&d, 11), target_of(&d, 10));
        assert_eq!(target_of(&d, 999), None, "a node not in the DOM");
    }

    #[test]
    fn paths_start_at_the_nearest_unique_id_and_odd_ids_are_quoted() {
        let d = dom(vec![el(
            10,
            "ul",
            json!({"id": "list"}),
            vec![
                el(11, "li", json!({}), vec![text(12, "one")]),
                el(13, "li", json!({"id": "2nd item"}), vec![text(14, "two")]),
            ],
        )]);
        let first = selectors(&d, 11);
        assert!(
            first.contains(&"#list > li:nth-child(1)".to_string()),
            "{first:?}"
        );
        let second = selectors(&d, 13);
        assert_eq!(second[0], "[id=\"2nd item\"]", "{second:?}");
    }

    #[test]
    fn labels_name_form_controls_and_pseudo_attributes_never_appear() {
        let d = dom(vec![
            el(
                10,
                "label",
                json!({"for": "email"}),
                vec![text(11, "E-mail")],
            ),
            el(
                12,
                "input",
                json!({"id": "email", "type": "email", "rr_width": "100px"}),
                vec![],
            ),
            el(
                13,
                "input",
                json!({"type": "hidden", "name": "csrf"}),
                vec![],
            ),
        ]);
        let email = selectors(&d, 12);
        assert_eq!(email[..2], ["#email", "aria/E-mail"], "{email:?}");
        assert!(email.iter().all(|s| !s.contains("rr_")), "{email:?}");
        assert!(
            selectors(&d, 13).iter().all(|s| !s.starts_with("aria/")),
            "hidden inputs have no accessible name"
        );
    }

    #[test]
    fn shadow_roots_chain_from_the_host_and_iframes_add_a_frame_index() {
        let mut shadow_child = el(21, "button", json!({"id": "inner"}), vec![]);
        shadow_child["isShadow"] = json!(true);
        let d = dom(vec![
            el(20, "my-widget", json!({"id": "widget"}), vec![shadow_child]),
            el(30, "iframe", json!({}), vec![]),
            el(
                40,
                "iframe",
                json!({}),
                vec![json!({"type": 0, "id": 41, "childNodes": [
                    el(42, "html", json!({}), vec![el(43, "body", json!({}), vec![
                        el(44, "input", json!({"name": "q"}), vec![])
                    ])])
                ]})],
            ),
        ]);
        let inner = target_of(&d, 21).expect("shadow target");
        assert_eq!(inner.frame, Vec::<u32>::new());
        assert_eq!(inner.selectors[0].to_string(), "#widget >> #inner");
        let framed = target_of(&d, 44).expect("iframe target");
        assert_eq!(framed.frame, [1], "the second iframe of the top document");
        assert_eq!(framed.selectors[0].to_string(), "input[name=\"q\"]");
    }
}
