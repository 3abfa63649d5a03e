//! The page as an rrweb stream describes it: a tree rebuilt from a full snapshot and kept
//! current by applying mutations in rrweb's order, plus the live form state (values,
//! checked boxes, selected options) that input events change.
//!
//! The importer needs the DOM *at the moment* of each interaction: node ids only mean
//! something against that tree, and selectors computed from a later or earlier DOM would
//! pick the wrong element. The same tree is serialized exactly as `capture/serialize.js`
//! serializes a live page (so it can serve as the expected snapshot of what the user saw)
//! and written back as static HTML with scripts disabled (so a stream can be replayed
//! without the original build). rrweb's pseudo-attributes (`rr_*`, `_cssText`, the `value`
//! it stores on `textarea`/`select`, boolean `checked`/`selected`) are state, not markup:
//! they never reach selectors or the written markup as such.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

pub type NodeId = i64;

#[derive(Debug, Clone)]
pub enum Kind {
    Document,
    Doctype,
    Element {
        tag: String,
        attrs: BTreeMap<String, String>,
    },
    Text(String),
    Comment,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    /// A child of its parent's shadow root rather than of the element itself.
    pub in_shadow: bool,
    /// Live state: the value of a text field, textarea or select.
    pub value: Option<String>,
    /// Live state: a checkbox's or radio's `checked`, an option's `selected`.
    pub checked: Option<bool>,
    /// Text of a `<style>` rrweb inlined (`_cssText`), kept for the rebuilt page.
    pub css: Option<String>,
}

/// Why a snapshot or mutation could not be applied.
pub type DomError = String;

#[derive(Debug, Default, Clone)]
pub struct Dom {
    pub nodes: HashMap<NodeId, Node>,
    /// The top document's node id.
    pub root: Option<NodeId>,
}

fn is_pseudo(name: &str) -> bool {
    name.starts_with("rr_") || name.starts_with('_')
}

fn attr_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some(String::new()),
        Value::Bool(false) | Value::Null => None,
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

impl Dom {
    /// Replaces the tree with a full snapshot's.
    pub fn load_snapshot(&mut self, node: &Value) -> Result<(), DomError> {
        self.nodes.clear();
        let id = self.add_tree(node, None)?;
        self.root = Some(id);
        Ok(())
    }

    /// Adds a serialized subtree (as rrweb writes nodes) under `parent`; returns its id.
    pub fn add_tree(&mut self, node: &Value, parent: Option<NodeId>) -> Result<NodeId, DomError> {
        let id = node
            .get("id")
            .and_then(Value::as_i64)
            .ok_or("a node has no numeric `id`")?;
        let t = node
            .get("type")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("node {id} has no numeric `type`"))?;
        // An id already in the tree is a node that moved: its old copy goes, unless it is
        // where this one is being put, which would make the tree a cycle (found by fuzzing:
        // serializing such a tree never returned).
        if self.nodes.contains_key(&id) {
            if self.is_ancestor_or_self(id, parent) {
                return Err(format!("node {id} is inside itself"));
            }
            self.remove(id);
        }
        let mut n = Node {
            kind: Kind::Comment,
            parent,
            children: Vec::new(),
            in_shadow: node.get("isShadow").and_then(Value::as_bool) == Some(true),
            value: None,
            checked: None,
            css: None,
        };
        n.kind = match t {
            0 => Kind::Document,
            1 => Kind::Doctype,
            2 => {
                let tag = node
                    .get("tagName")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("element {id} has no `tagName`"))?
                    .to_ascii_lowercase();
                let mut attrs = BTreeMap::new();
                if let Some(map) = node.get("attributes").and_then(Value::as_object) {
                    for (k, v) in map {
                        self.set_initial_attr(&mut n, &tag, &mut attrs, k, v);
                    }
                }
                if (tag == "input") && !attrs.contains_key("value") && n.value.is_none() {
                    n.value = Some(String::new());
                }
                Kind::Element { tag, attrs }
            }
            3 => {
                let text = node
                    .get("textContent")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Kind::Text(text.to_owned())
            }
            4 => Kind::Text(String::new()),
            _ => Kind::Comment,
        };
        let is_textarea = matches!(&n.kind, Kind::Element { tag, .. } if tag == "textarea");
        self.nodes.insert(id, n);
        if let Some(children) = node.get("childNodes").and_then(Value::as_array) {
            for c in children {
                let cid = self.add_tree(c, Some(id))?;
                if let Some(p) = self.nodes.get_mut(&id) {
                    p.children.push(cid);
                }
            }
        }
        // rrweb keeps a textarea's text as its `value`; the page's markup holds it as text.
        if is_textarea {
            let default = self.nodes.get(&id).and_then(|n| n.value.clone());
            let has_text = self.nodes.get(&id).is_some_and(|n| !n.children.is_empty());
            if let (Some(text), false) = (default, has_text) {
                let tid = self.synthetic_id();
                self.nodes.insert(
                    tid,
                    Node {
                        kind: Kind::Text(text),
                        parent: Some(id),
                        children: Vec::new(),
                        in_shadow: false,
                        value: None,
                        checked: None,
                        css: None,
                    },
                );
                if let Some(p) = self.nodes.get_mut(&id) {
                    p.children.push(tid);
                }
            }
            if let Some(n) = self.nodes.get_mut(&id) {
                n.value.get_or_insert_with(String::new);
            }
        }
        Ok(id)
    }

    /// Whether `id` is `of` or one of its ancestors.
    fn is_ancestor_or_self(&self, id: NodeId, of: Option<NodeId>) -> bool {
        let mut at = of;
        // The tree has no cycles, so the walk ends; the bound is a second guard.
        for _ in 0..=self.nodes.len() {
            match at {
                Some(x) if x == id => return true,
                Some(x) => at = self.nodes.get(&x).and_then(|n| n.parent),
                None => return false,
            }
        }
        true
    }

    /// Ids rrweb never uses, for nodes the rebuild adds.
    fn synthetic_id(&self) -> NodeId {
        let min = self.nodes.keys().copied().min().unwrap_or(0).min(0);
        // A stream may use `i64::MIN` itself (found by fuzzing: the subtraction overflowed);
        // then the first free id from the bottom.
        min.checked_sub(1).unwrap_or_else(|| {
            (i64::MIN..)
                .find(|id| !self.nodes.contains_key(id))
                .unwrap_or(i64::MAX)
        })
    }

    fn set_initial_attr(
        &self,
        n: &mut Node,
        tag: &str,
        attrs: &mut BTreeMap<String, String>,
        k: &str,
        v: &Value,
    ) {
        match (tag, k) {
            (_, "_cssText") => n.css = v.as_str().map(str::to_owned),
            (_, k) if is_pseudo(k) => {}
            ("textarea" | "select", "value") => n.value = attr_text(v),
            ("input", "checked") | ("option", "selected") => {
                let on = attr_text(v).is_some();
                n.checked = Some(on);
                if on {
                    attrs.insert(k.to_owned(), String::new());
                }
            }
            ("input", "value") => {
                let s = attr_text(v).unwrap_or_default();
                n.value = Some(s.clone());
                attrs.insert(k.to_owned(), s);
            }
            _ => {
                if let Some(s) = attr_text(v) {
                    attrs.insert(k.to_owned(), s);
                }
            }
        }
    }

    pub fn get(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(&id)
    }

    pub fn tag(&self, id: NodeId) -> Option<&str> {
        match &self.nodes.get(&id)?.kind {
            Kind::Element { tag, .. } => Some(tag),
            _ => None,
        }
    }

    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        match &self.nodes.get(&id)?.kind {
            Kind::Element { attrs, .. } => attrs.get(name).map(String::as_str),
            _ => None,
        }
    }

    /// Detaches a node and forgets its subtree.
    pub fn remove(&mut self, id: NodeId) {
        if let Some(parent) = self.nodes.get(&id).and_then(|n| n.parent) {
            if let Some(p) = self.nodes.get_mut(&parent) {
                p.children.retain(|c| *c != id);
            }
        }
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            if let Some(n) = self.nodes.remove(&x) {
                stack.extend(n.children);
            }
        }
    }

    /// Inserts an already-added node under `parent`, before `next` when it is a child.
    fn attach(&mut self, id: NodeId, parent: NodeId, next: Option<NodeId>) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.parent = Some(parent);
        }
        if let Some(p) = self.nodes.get_mut(&parent) {
            let at = next
                .and_then(|nx| p.children.iter().position(|c| *c == nx))
                .unwrap_or(p.children.len());
            p.children.insert(at, id);
        }
    }

    /// Applies one rrweb mutation event (`source: 0`) the way rrweb's replayer does:
    /// removes, then adds (each waiting for its parent and next sibling), then texts, then
    /// attributes. Returns how many adds found no parent (applied nowhere).
    pub fn apply_mutation(&mut self, data: &Value) -> Result<usize, DomError> {
        let list = |k: &str| {
            data.get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        for r in list("removes") {
            if let Some(id) = r.get("id").and_then(Value::as_i64) {
                self.remove(id);
            }
        }
        let mut pending: Vec<Value> = list("adds");
        let mut orphans = 0;
        loop {
            let before = pending.len();
            let mut rest = Vec::new();
            for add in pending {
                let parent = add.get("parentId").and_then(Value::as_i64);
                let next = add.get("nextId").and_then(Value::as_i64);
                let ready = parent.is_some_and(|p| self.nodes.contains_key(&p))
                    && next.is_none_or(|n| self.nodes.contains_key(&n));
                if !ready {
                    rest.push(add);
                    continue;
                }
                let (Some(parent), Some(node)) = (parent, add.get("node")) else {
                    continue;
                };
                if let Some(old) = node.get("id").and_then(Value::as_i64) {
                    if self.nodes.contains_key(&old) {
                        self.remove(old);
                    }
                }
                // The parent went with the old copy: the node was moved into itself.
                if !self.nodes.contains_key(&parent) {
                    orphans += 1;
                    continue;
                }
                let id = self.add_tree(node, Some(parent))?;
                self.attach(id, parent, next);
            }
            pending = rest;
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        // Adds whose next sibling never arrived go last, as rrweb's replayer does; those
        // without a parent cannot be placed.
        for add in pending {
            let parent = add.get("parentId").and_then(Value::as_i64);
            match (
                parent.filter(|p| self.nodes.contains_key(p)),
                add.get("node"),
            ) {
                (Some(parent), Some(node)) => {
                    let id = self.add_tree(node, Some(parent))?;
                    self.attach(id, parent, None);
                }
                _ => orphans += 1,
            }
        }
        for t in list("texts") {
            if let (Some(id), Some(v)) = (t.get("id").and_then(Value::as_i64), t.get("value")) {
                if let Some(Node {
                    kind: Kind::Text(text),
                    ..
                }) = self.nodes.get_mut(&id)
                {
                    *text = v.as_str().unwrap_or_default().to_owned();
                }
            }
        }
        for a in list("attributes") {
            let Some(id) = a.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let Some(map) = a.get("attributes").and_then(Value::as_object) else {
                continue;
            };
            for (k, v) in map {
                self.set_attr(id, k, v);
            }
        }
        Ok(orphans)
    }

    fn set_attr(&mut self, id: NodeId, k: &str, v: &Value) {
        if is_pseudo(k) {
            return;
        }
        let Some(Node {
            kind: Kind::Element { attrs, .. },
            ..
        }) = self.nodes.get_mut(&id)
        else {
            return;
        };
        match v {
            // rrweb sends style changes as `{prop: value | [value, priority] | false}`.
            Value::Object(props) if k == "style" => {
                let mut decls = parse_style(attrs.get("style").map_or("", String::as_str));
                for (p, val) in props {
                    match val {
                        Value::String(s) => set_decl(&mut decls, p, s.clone()),
                        Value::Array(a) => {
                            let s = a.first().and_then(Value::as_str).unwrap_or_default();
                            let prio = a.get(1).and_then(Value::as_str).unwrap_or_default();
                            let s = if prio.is_empty() {
                                s.to_owned()
                            } else {
                                format!("{s} !{prio}")
                            };
                            set_decl(&mut decls, p, s);
                        }
                        _ => decls.retain(|(name, _)| name != p),
                    }
                }
                let text = decls
                    .iter()
                    .map(|(p, v)| format!("{p}: {v};"))
                    .collect::<Vec<_>>()
                    .join(" ");
                attrs.insert("style".into(), text);
            }
            other => match attr_text(other) {
                Some(s) => {
                    attrs.insert(k.to_owned(), s);
                }
                None => {
                    attrs.remove(k);
                }
            },
        }
    }

    /// Applies an input event: a field's value, or a checkbox's/radio's state. A radio
    /// being checked unchecks the others of its group, as the browser does.
    pub fn apply_input(&mut self, id: NodeId, text: Option<&str>, checked: Option<bool>) {
        let tag = self.tag(id).unwrap_or_default().to_owned();
        let ty = self
            .attr(id, "type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if tag == "select" {
            if let Some(v) = text {
                self.select_value(id, v);
            }
            return;
        }
        if tag == "input" && (ty == "checkbox" || ty == "radio") {
            let on = checked.unwrap_or(false);
            if on && ty == "radio" {
                if let Some(name) = self.attr(id, "name").map(str::to_owned) {
                    let others: Vec<NodeId> = self
                        .nodes
                        .iter()
                        .filter(|(oid, _)| **oid != id)
                        .filter(|(oid, _)| {
                            self.tag(**oid) == Some("input")
                                && self.attr(**oid, "type") == Some("radio")
                                && self.attr(**oid, "name") == Some(name.as_str())
                        })
                        .map(|(oid, _)| *oid)
                        .collect();
                    for o in others {
                        if let Some(n) = self.nodes.get_mut(&o) {
                            n.checked = Some(false);
                        }
                    }
                }
            }
            if let Some(n) = self.nodes.get_mut(&id) {
                n.checked = Some(on);
            }
            return;
        }
        if let (Some(n), Some(v)) = (self.nodes.get_mut(&id), text) {
            n.value = Some(v.to_owned());
        }
    }

    fn select_value(&mut self, select: NodeId, value: &str) {
        let options = self.descendants(select, |d, x| d.tag(x) == Some("option"));
        let mut found = false;
        for o in options {
            let v = self.option_value(o);
            let on = !found && v == value;
            found |= on;
            if let Some(n) = self.nodes.get_mut(&o) {
                n.checked = Some(on);
            }
        }
        if let Some(n) = self.nodes.get_mut(&select) {
            n.value = Some(value.to_owned());
        }
    }

    /// An option's value: its `value` attribute, else its text, as the browser defines it.
    pub fn option_value(&self, id: NodeId) -> String {
        self.attr(id, "value")
            .map(str::to_owned)
            .unwrap_or_else(|| collapse(&self.text(id)))
    }

    /// All descendants (document order, not crossing into iframe documents) matching `f`.
    pub fn descendants(&self, id: NodeId, f: impl Fn(&Dom, NodeId) -> bool) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self
            .nodes
            .get(&id)
            .map(|n| n.children.iter().rev().copied().collect())
            .unwrap_or_default();
        while let Some(x) = stack.pop() {
            let Some(n) = self.nodes.get(&x) else {
                continue;
            };
            if matches!(n.kind, Kind::Document) {
                continue;
            }
            if f(self, x) {
                out.push(x);
            }
            stack.extend(n.children.iter().rev().copied());
        }
        out
    }

    /// The text content of a subtree (iframe documents excluded).
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.collect_text(id, &mut out);
        out
    }

    fn collect_text(&self, id: NodeId, out: &mut String) {
        let Some(n) = self.nodes.get(&id) else {
            return;
        };
        match &n.kind {
            Kind::Text(t) => out.push_str(t),
            Kind::Element { tag, .. } if tag == "script" || tag == "style" => {}
            Kind::Element { .. } => {
                for c in &n.children {
                    if !matches!(self.nodes.get(c).map(|n| &n.kind), Some(Kind::Document)) {
                        self.collect_text(*c, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// The document node a node belongs to (the top one, or an iframe's).
    pub fn document_of(&self, mut id: NodeId) -> Option<NodeId> {
        loop {
            let n = self.nodes.get(&id)?;
            if matches!(n.kind, Kind::Document) {
                return Some(id);
            }
            id = n.parent?;
        }
    }

    /// The `<html>` element of a document node.
    pub fn document_element(&self, doc: NodeId) -> Option<NodeId> {
        self.nodes
            .get(&doc)?
            .children
            .iter()
            .copied()
            .find(|c| self.tag(*c).is_some())
    }

    /// Serializes a document like `capture/serialize.js` does a live page: one node per
    /// line, sorted attributes, live form state, scripts and comments dropped.
    /// Links to `recorded_href#…` are written as `#…`, as in the rebuilt page: the page is
    /// replayed at another address, where only the fragment keeps them on the page.
    pub fn serialize(&self, doc: NodeId, recorded_href: &str) -> String {
        let mut lines = Vec::new();
        if let Some(html) = self.document_element(doc) {
            self.serialize_node(html, 0, recorded_href, &mut lines);
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }

    fn serialize_node(&self, id: NodeId, depth: usize, href: &str, lines: &mut Vec<String>) {
        let Some(n) = self.nodes.get(&id) else {
            return;
        };
        let pad = "  ".repeat(depth);
        match &n.kind {
            Kind::Text(t) => {
                let t = collapse(t);
                if !t.is_empty() {
                    lines.push(format!("{pad}{}", serde_json::Value::String(t)));
                }
            }
            Kind::Element { tag, attrs } => {
                if matches!(tag.as_str(), "script" | "noscript" | "template")
                    || attrs.get("id").map(String::as_str) == Some("__reprise-style")
                    || attrs.contains_key("data-reprise-mask")
                {
                    return;
                }
                let mut all: BTreeMap<String, String> = attrs.clone();
                let ty = attrs
                    .get("type")
                    .map_or("", String::as_str)
                    .to_ascii_lowercase();
                match tag.as_str() {
                    "input" if ty == "checkbox" || ty == "radio" => {
                        all.insert(":checked".into(), n.checked.unwrap_or(false).to_string());
                    }
                    "input" if ty == "password" => {
                        let v = n.value.as_deref().unwrap_or_default();
                        let shown = if v.is_empty() { "" } else { "••••" };
                        all.insert(":value".into(), shown.into());
                    }
                    "input" | "textarea" => {
                        all.insert(":value".into(), n.value.clone().unwrap_or_default());
                    }
                    "select" => {
                        all.insert(":value".into(), self.select_current(id));
                    }
                    "option" => {
                        let sel = self.option_selected(id);
                        all.insert(":selected".into(), sel.to_string());
                    }
                    "details" | "dialog" => {
                        all.insert(":open".into(), attrs.contains_key("open").to_string());
                    }
                    _ => {}
                }
                let attr_text: String = all
                    .iter()
                    .map(|(k, v)| format!(" {k}=\"{}\"", esc_attr(rebase(v, href))))
                    .collect();
                lines.push(format!("{pad}<{tag}{attr_text}>"));
                if tag == "style" {
                    return;
                }
                let (shadow, light): (Vec<NodeId>, Vec<NodeId>) = n
                    .children
                    .iter()
                    .partition(|c| self.nodes.get(c).is_some_and(|c| c.in_shadow));
                if !shadow.is_empty() {
                    lines.push(format!("{pad}  #shadow-root"));
                    for c in shadow {
                        self.serialize_node(c, depth + 2, href, lines);
                    }
                }
                if tag == "iframe" {
                    if let Some(doc) = light.iter().copied().find(|c| {
                        matches!(self.nodes.get(c).map(|n| &n.kind), Some(Kind::Document))
                    }) {
                        if let Some(html) = self.document_element(doc) {
                            lines.push(format!("{pad}  #document"));
                            self.serialize_node(html, depth + 2, href, lines);
                        }
                    }
                    return;
                }
                for c in light {
                    self.serialize_node(c, depth + 1, href, lines);
                }
            }
            _ => {}
        }
    }

    /// Which option is selected: the last explicitly selected one, else the first, as a
    /// single-choice select shows it.
    fn option_selected(&self, option: NodeId) -> bool {
        let Some(select) = self.ancestor(option, "select") else {
            return self.nodes.get(&option).and_then(|n| n.checked) == Some(true);
        };
        if self.attr(select, "multiple").is_some() {
            return self.nodes.get(&option).and_then(|n| n.checked) == Some(true);
        }
        self.selected_option(select) == Some(option)
    }

    fn selected_option(&self, select: NodeId) -> Option<NodeId> {
        let options = self.descendants(select, |d, x| d.tag(x) == Some("option"));
        options
            .iter()
            .rev()
            .copied()
            .find(|o| self.nodes.get(o).and_then(|n| n.checked) == Some(true))
            .or_else(|| options.first().copied())
    }

    fn select_current(&self, select: NodeId) -> String {
        self.selected_option(select)
            .map(|o| self.option_value(o))
            .unwrap_or_default()
    }

    pub fn ancestor(&self, id: NodeId, tag: &str) -> Option<NodeId> {
        let mut cur = self.nodes.get(&id)?.parent;
        while let Some(p) = cur {
            if self.tag(p) == Some(tag) {
                return Some(p);
            }
            cur = self.nodes.get(&p)?.parent;
        }
        None
    }

    /// Static HTML of a document with scripts disabled (kept as empty, inert elements so
    /// structural selectors still count them), event-handler attributes dropped, and links to
    /// the recorded page's own address rebased onto the address it is served at.
    pub fn to_html(&self, doc: NodeId, recorded_href: &str) -> String {
        let mut out = String::new();
        let Some(d) = self.nodes.get(&doc) else {
            return out;
        };
        for c in &d.children {
            self.html_node(*c, recorded_href, &mut out);
        }
        out.push('\n');
        out
    }

    fn html_node(&self, id: NodeId, href: &str, out: &mut String) {
        let Some(n) = self.nodes.get(&id) else {
            return;
        };
        match &n.kind {
            Kind::Doctype => out.push_str("<!DOCTYPE html>\n"),
            Kind::Text(t) => {
                let raw_parent = n
                    .parent
                    .and_then(|p| self.tag(p))
                    .is_some_and(|t| t == "style" || t == "textarea" || t == "title");
                if raw_parent && self.parent_tag(id) == Some("style") {
                    out.push_str(&t.replace("</", "<\\/"));
                } else {
                    out.push_str(&esc_text(t));
                }
            }
            Kind::Element { tag, attrs } => {
                if tag == "script" {
                    out.push_str("<script type=\"text/x-reprise-disabled\"></script>");
                    return;
                }
                out.push('<');
                out.push_str(tag);
                for (k, v) in attrs {
                    if k.starts_with("on") || (tag == "iframe" && k == "src") {
                        continue;
                    }
                    out.push_str(&format!(" {k}=\"{}\"", esc_attr_html(rebase(v, href))));
                }
                out.push('>');
                if is_void(tag) {
                    return;
                }
                if let Some(css) = &n.css {
                    if tag == "style" {
                        out.push_str(&css.replace("</", "<\\/"));
                    }
                }
                if n.css.is_none() || tag != "style" {
                    for c in &n.children {
                        let child = self.nodes.get(c);
                        if child.is_some_and(|c| c.in_shadow || matches!(c.kind, Kind::Document)) {
                            continue;
                        }
                        self.html_node(*c, href, out);
                    }
                }
                out.push_str(&format!("</{tag}>"));
            }
            _ => {}
        }
    }

    fn parent_tag(&self, id: NodeId) -> Option<&str> {
        self.tag(self.nodes.get(&id)?.parent?)
    }
}

/// `recorded#frag` → `#frag` (see [`Dom::serialize`]).
fn rebase<'a>(v: &'a str, recorded_href: &str) -> &'a str {
    match v.strip_prefix(recorded_href) {
        Some(rest) if rest.starts_with('#') && !recorded_href.is_empty() => rest,
        _ => v,
    }
}

fn set_decl(decls: &mut Vec<(String, String)>, prop: &str, value: String) {
    match decls.iter_mut().find(|(p, _)| p == prop) {
        Some(d) => d.1 = value,
        None => decls.push((prop.to_owned(), value)),
    }
}

fn parse_style(s: &str) -> Vec<(String, String)> {
    s.split(';')
        .filter_map(|d| {
            let (p, v) = d.split_once(':')?;
            Some((p.trim().to_owned(), v.trim().to_owned()))
        })
        .filter(|(p, _)| !p.is_empty())
        .collect()
}

/// Whitespace collapsed and trimmed, as the serializer and selectors see text.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `capture/serialize.js`'s attribute escaping.
fn esc_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('\n', "&#10;")
}

fn esc_attr_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

fn esc_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn is_void(tag: &str) -> bool {
    matches!(
        tag,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Found by fuzzing (fuzz/regressions/rrweb/synthetic-id-below-i64-min.json): the id for
    /// a textarea's text overflowed when the stream used `i64::MIN`.
    #[test]
    fn synthetic_ids_do_not_overflow() {
        let mut d = Dom::default();
        d.load_snapshot(&json!({"type": 0, "id": i64::MIN, "childNodes": [
            {"type": 2, "id": 2, "tagName": "textarea", "attributes": {"value": "typed"}, "childNodes": []}]}))
        .expect("loads");
        let text = d
            .get(2)
            .and_then(|n| n.children.first().copied())
            .expect("a text child");
        assert_ne!(text, i64::MIN);
        assert_eq!(d.text(2), "typed");
    }

    /// Found by fuzzing (fuzz/regressions/rrweb/cycle-*): a node added under itself, or an
    /// id repeated inside its own subtree, made the tree a cycle and serializing it never
    /// returned.
    #[test]
    fn a_node_cannot_become_its_own_ancestor() {
        let mut d = page();
        let add = json!({"adds": [{"parentId": 4, "node":
            {"type": 2, "id": 4, "tagName": "body", "attributes": {}, "childNodes": []}}]});
        assert_eq!(d.apply_mutation(&add).expect("applies"), 1, "an orphan");
        assert!(d.get(4).is_none(), "the moved node went with its old copy");
        assert!(d.serialize(1, "http://localhost/").contains("<html"));

        let nested = json!({"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "div", "attributes": {}, "childNodes": [
                {"type": 2, "id": 2, "tagName": "p", "attributes": {}, "childNodes": []}]}]});
        let e = Dom::default().load_snapshot(&nested).expect_err("a cycle");
        assert!(e.contains("node 2 is inside itself"), "{e}");

        let siblings = json!({"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "div", "attributes": {}, "childNodes": []},
            {"type": 2, "id": 2, "tagName": "p", "attributes": {}, "childNodes": []}]});
        let mut d = Dom::default();
        d.load_snapshot(&siblings)
            .expect("a repeated sibling id is a move");
        assert_eq!(d.get(1).map(|n| n.children.clone()), Some(vec![2]));
        assert_eq!(d.tag(2), Some("p"));
    }

    fn page() -> Dom {
        let mut d = Dom::default();
        d.load_snapshot(&json!({"type": 0, "id": 1, "childNodes": [
            {"type": 1, "id": 2, "name": "html"},
            {"type": 2, "id": 3, "tagName": "html", "attributes": {}, "childNodes": [
                {"type": 2, "id": 4, "tagName": "body", "attributes": {"rr_scrollTop": 5}, "childNodes": [
                    {"type": 2, "id": 5, "tagName": "textarea", "attributes": {"value": "pre"}, "childNodes": []},
                    {"type": 2, "id": 6, "tagName": "select", "attributes": {"value": "a"}, "childNodes": [
                        {"type": 2, "id": 7, "tagName": "option", "attributes": {"value": "a", "selected": true}, "childNodes": []},
                        {"type": 2, "id": 8, "tagName": "option", "attributes": {"value": "b"}, "childNodes": []}
                    ]},
                    {"type": 2, "id": 9, "tagName": "style", "attributes": {"_cssText": "p { color: red; }"}, "childNodes": []}
                ]}
            ]}
        ]}))
        .expect("loads");
        d
    }

    #[test]
    fn pseudo_attributes_become_state_not_markup() {
        let mut d = page();
        d.apply_input(5, Some("typed"), None);
        d.apply_input(6, Some("b"), None);
        let text = d.serialize(1, "about:blank");
        assert!(!text.contains("rr_"), "{text}");
        assert!(text.contains("<textarea :value=\"typed\">"), "{text}");
        assert!(text.contains("\"pre\""), "{text}");
        assert!(
            text.contains("<option :selected=\"false\" selected=\"\" value=\"a\">"),
            "{text}"
        );
        assert!(
            text.contains("<option :selected=\"true\" value=\"b\">"),
            "{text}"
        );
        let html = d.to_html(1, "about:blank");
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<textarea>pre</textarea>"), "{html}");
        assert!(html.contains("<style>p { color: red; }</style>"), "{html}");
        assert!(!html.contains("_cssText"), "{html}");
    }

    #[test]
    fn mutations_apply_in_rrweb_order() {
        let mut d = page();
        let orphans = d
            .apply_mutation(&json!({
                "removes": [{"parentId": 4, "id": 9}],
                "adds": [
                    {"parentId": 4, "nextId": 11, "node": {"type": 2, "id": 10, "tagName": "p", "attributes": {}, "childNodes": []}},
                    {"parentId": 4, "nextId": null, "node": {"type": 2, "id": 11, "tagName": "div", "attributes": {"style": "color: red;"}, "childNodes": []}},
                    {"parentId": 99, "nextId": null, "node": {"type": 3, "id": 12, "textContent": "x"}}
                ],
                "texts": [],
                "attributes": [{"id": 11, "attributes": {"style": {"color": ["black", "important"]}, "title": "t"}}]
            }))
            .expect("applies");
        assert_eq!(orphans, 1);
        assert!(d.get(9).is_none());
        let body = &d.get(4).expect("body").children;
        assert_eq!(&body[body.len() - 2..], &[10, 11]);
        assert_eq!(d.attr(11, "style"), Some("color: black !important;"));
        assert_eq!(d.attr(11, "title"), Some("t"));
    }
}
