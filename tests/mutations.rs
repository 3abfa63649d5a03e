//! Catch rate, measured: small changes to the demo app, each either a regression a user would
//! report or a harmless change, applied one at a time to a fresh copy of the demo suite and
//! replayed with the real `reprise` against the sessions whose recordings exercise that code.
//!
//! A regression is caught when the run exits 1 with at least one session not `passed` and a
//! session fidelity under 0.95 (the SLO line); a harmless change is quiet when the run exits 0
//! with every session `passed` at fidelity 1. The test prints a
//! table and the totals, writes them to `target/mutation-report.json`, and fails on a missed
//! regression or a false alarm, except for the mutations marked `known_gap` (a real limit of
//! reprise, explained in one line), which are still run, printed and counted.
//!
//! `scripts/mutations.sh` runs it (three tests, each a third of the table, side by side);
//! `REPRISE_MUTATIONS=id,id` runs only those mutations.

use crate::support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Instant;
use support::{repo_root, Outcome, TestSuite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Css,
    Markup,
    Text,
    JsLogic,
    Request,
    Response,
    Timing,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Css => "css",
            Kind::Markup => "markup",
            Kind::Text => "text",
            Kind::JsLogic => "js-logic",
            Kind::Request => "request",
            Kind::Response => "response",
            Kind::Timing => "timing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A user would call it a regression: reprise must fail the run.
    Regression,
    /// Nothing a user can see or the backend can tell: reprise must pass the run.
    Harmless,
}

impl Expect {
    fn as_str(self) -> &'static str {
        match self {
            Expect::Regression => "regression",
            Expect::Harmless => "harmless",
        }
    }
}

struct Mutation {
    id: &'static str,
    /// The part of the app the change touches.
    kind: Kind,
    expect: Expect,
    description: &'static str,
    /// Relative to the suite root.
    file: &'static str,
    /// Must occur exactly once in `file`.
    from: &'static str,
    to: &'static str,
    /// The sessions whose recordings exercise the changed code.
    sessions: &'static [&'static str],
    /// The ones replayed: all of `sessions` unless a mutation that touches every session
    /// names a few, to keep CI time down.
    replay: &'static [&'static str],
    /// Set when reprise misses it because of a real gap in reprise: the one-line reason.
    known_gap: Option<&'static str>,
}

const fn regression(
    id: &'static str,
    kind: Kind,
    description: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    sessions: &'static [&'static str],
) -> Mutation {
    Mutation {
        id,
        kind,
        expect: Expect::Regression,
        description,
        file,
        from,
        to,
        sessions,
        replay: sessions,
        known_gap: None,
    }
}

const fn harmless(
    id: &'static str,
    kind: Kind,
    description: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    sessions: &'static [&'static str],
) -> Mutation {
    Mutation {
        id,
        kind,
        expect: Expect::Harmless,
        description,
        file,
        from,
        to,
        sessions,
        replay: sessions,
        known_gap: None,
    }
}

impl Mutation {
    const fn replaying(self, replay: &'static [&'static str]) -> Self {
        Mutation { replay, ..self }
    }

    #[allow(dead_code, reason = "no gap is known today; marks the next one found")]
    const fn known_gap(self, reason: &'static str) -> Self {
        Mutation {
            known_gap: Some(reason),
            ..self
        }
    }
}

/// Each regression (not a known gap) with the demo sessions whose recordings exercise the
/// changed code: curation's proof (tests/curate.rs) counts the regressions a chosen set of
/// sessions would catch.
pub(crate) fn regressions_by_session() -> Vec<(&'static str, &'static [&'static str])> {
    MUTATIONS
        .iter()
        .filter(|m| m.expect == Expect::Regression && m.known_gap.is_none())
        .map(|m| (m.id, m.sessions))
        .collect()
}

const MUTATIONS: &[Mutation] = &[
    // --- CSS -------------------------------------------------------------------------------
    regression(
        "css-tooltip-unreadable",
        Kind::Css,
        "the roast tooltip loses its dark background: white text on a white card",
        "demo/styles.css",
        "border-radius: 8px; background: var(--dark); color: #fff; font-size: 13px;",
        "border-radius: 8px; color: #fff; font-size: 13px;",
        &["browse"],
    ),
    regression(
        "css-invalid-border",
        Kind::Css,
        "invalid form fields are no longer outlined in red",
        "demo/styles.css",
        ".field.invalid input, .field.invalid select { border-color: var(--error); }",
        ".field.invalid input, .field.invalid select { border-color: #d8cbbd; }",
        &["newsletter-invalid"],
    ),
    regression(
        "css-cart-line-columns",
        Kind::Css,
        "cart lines lose a grid column: each line total wraps under the product name",
        "demo/styles.css",
        "grid-template-columns: 1fr auto 90px;",
        "grid-template-columns: 1fr auto;",
        &["checkout"],
    ),
    // --- Markup ----------------------------------------------------------------------------
    regression(
        "markup-success-class",
        Kind::Markup,
        "the newsletter confirmation loses its class: no green box, plain heading",
        "demo/index.html",
        r#"<div id="newsletter-success" class="success" role="status""#,
        r#"<div id="newsletter-success" role="status""#,
        &["newsletter"],
    ),
    regression(
        "markup-total-class",
        Kind::Markup,
        "the order total amount loses its class: not bold, no rule above it",
        "demo/checkout.html",
        r#"<dd id="total" class="total" data-testid="total">"#,
        r#"<dd id="total" data-testid="total">"#,
        &["checkout"],
    ),
    regression(
        "markup-close-label",
        Kind::Markup,
        "the detail dialog's close button (a bare ×) loses its accessible name",
        "demo/index.html",
        r#"type="button" aria-label="Close details" data-testid="detail-close">"#,
        r#"type="button" data-testid="detail-close">"#,
        &["product-detail"],
    ),
    // --- Text ------------------------------------------------------------------------------
    regression(
        "text-stock-promise",
        Kind::Text,
        "product details promise shipping in 5 days instead of tomorrow",
        "demo/shop.js",
        "left, ships tomorrow`",
        "left, ships in 5 days`",
        &["product-detail", "keyboard"],
    ),
    regression(
        "text-name-error",
        Kind::Text,
        "copy-paste slip: the empty Name field asks for an email address",
        "demo/shop.js",
        "'nl-name': (v) => (v ? '' : 'Please enter your name.'),",
        "'nl-name': (v) => (v ? '' : 'Please enter your email.'),",
        &["newsletter-invalid"],
    ),
    // --- JS logic --------------------------------------------------------------------------
    regression(
        "js-total-without-shipping",
        Kind::JsLogic,
        "the checkout total forgets the shipping cost",
        "demo/checkout.js",
        "$('total').textContent = formatPrice(subtotal + shipping);",
        "$('total').textContent = formatPrice(subtotal);",
        &["checkout"],
    ),
    regression(
        "js-escape-keeps-filter",
        Kind::JsLogic,
        "Escape empties the search box but the list stays filtered",
        "demo/shop.js",
        "      search.value = '';\n      applyFilter();\n    } else if (event.key === 'Enter') {",
        "      search.value = '';\n    } else if (event.key === 'Enter') {",
        &["search", "keyboard"],
    ),
    regression(
        "js-email-validation",
        Kind::JsLogic,
        "email validation loosened: `ada@example` (no domain suffix) is accepted",
        "demo/common.js",
        r"const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;",
        r"const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;",
        &["newsletter-invalid"],
    ),
    // --- API request shape -----------------------------------------------------------------
    regression(
        "request-quantity-string",
        Kind::Request,
        "the order POST sends quantities as strings (\"2\" instead of 2)",
        "demo/checkout.js",
        "({ id: item.id, quantity: item.quantity })",
        "({ id: item.id, quantity: String(item.quantity) })",
        &["checkout"],
    ),
    regression(
        "request-newsletter-field",
        Kind::Request,
        "the newsletter POST renames `plan` to `frequency`",
        "demo/shop.js",
        "          plan: $('nl-plan').value,",
        "          frequency: $('nl-plan').value,",
        &["newsletter"],
    ),
    regression(
        "request-detail-path",
        Kind::Request,
        "product details are fetched from /api/product/{id} (singular)",
        "demo/shop.js",
        "api(`/api/products/${encodeURIComponent(id)}`)",
        "api(`/api/product/${encodeURIComponent(id)}`)",
        &["product-detail", "keyboard"],
    ),
    // --- API response handling -------------------------------------------------------------
    regression(
        "response-total-object",
        Kind::Response,
        "the order confirmation formats `total` (an object) instead of `total.amount`: €NaN",
        "demo/checkout.js",
        "We charged ${formatPrice(order.total.amount)}",
        "We charged ${formatPrice(order.total)}",
        &["checkout"],
    ),
    regression(
        "response-error-message",
        Kind::Response,
        "API errors read `message` at the top level: the server's explanation is lost",
        "demo/common.js",
        "const message = data && data.error && data.error.message;",
        "const message = data && data.message;",
        &["retry"],
    ),
    regression(
        "response-newsletter-message",
        Kind::Response,
        "the newsletter confirmation reads `result.detail`: the message is blank",
        "demo/shop.js",
        "$('newsletter-message').textContent = result.message;",
        "$('newsletter-message').textContent = result.detail || '';",
        &["newsletter"],
    ),
    // --- Timing ----------------------------------------------------------------------------
    regression(
        "timing-detail-delay",
        Kind::Timing,
        "product details render 2 s after their response arrived (a setTimeout before rendering)",
        "demo/shop.js",
        "    const d = detailCache.get(id);\n",
        "    const d = detailCache.get(id);\n    await new Promise((resolve) => setTimeout(resolve, 2000));\n",
        &["product-detail", "keyboard"],
    ),
    regression(
        "timing-search-debounce",
        Kind::Timing,
        "the search filter is debounced by 1500 ms: results lag well behind typing",
        "demo/shop.js",
        "  $('search').addEventListener('input', applyFilter);",
        "  let searchTimer;\n  $('search').addEventListener('input', () => {\n    clearTimeout(searchTimer);\n    searchTimer = setTimeout(applyFilter, 1500);\n  });",
        &["search", "keyboard"],
    ),
    regression(
        "timing-menu-delay",
        Kind::Timing,
        "the menu renders 2 s after its response arrived (a setTimeout before rendering)",
        "demo/shop.js",
        "    const data = await api('/api/products?category=all&sort=name');\n",
        "    const data = await api('/api/products?category=all&sort=name');\n    await new Promise((resolve) => setTimeout(resolve, 2000));\n",
        &["browse", "checkout", "keyboard", "newsletter", "newsletter-invalid", "product-detail", "retry", "search"],
    )
    // Every session loads the menu: the shortest one, and `retry`, which loads it twice.
    .replaying(&["browse", "retry"]),
    regression(
        "timing-cart-min-delay",
        Kind::Timing,
        "the checkout shows its cart only after a 1.5 s \"no flash\" delay: empty cart and totals meanwhile",
        "demo/checkout.js",
        "document.addEventListener('DOMContentLoaded', () => {\n  renderCart();\n",
        "document.addEventListener('DOMContentLoaded', () => {\n  setTimeout(renderCart, 1500); // let the page fade in first\n",
        &["checkout"],
    ),
    // --- Harmless --------------------------------------------------------------------------
    harmless(
        "harmless-comment",
        Kind::JsLogic,
        "a comment above a function",
        "demo/checkout.js",
        "function shippingCost(subtotal, method) {",
        "// Standard shipping is free from FREE_SHIPPING_FROM; express never is.\nfunction shippingCost(subtotal, method) {",
        &["checkout"],
    ),
    harmless(
        "harmless-whitespace",
        Kind::Markup,
        "the totals list reflowed: one element per line",
        "demo/checkout.html",
        r#"          <dt>Subtotal</dt><dd id="subtotal" data-testid="subtotal"></dd>
          <dt>Shipping</dt><dd id="shipping-cost" data-testid="shipping-cost"></dd>
"#,
        r#"          <dt>Subtotal</dt>
          <dd id="subtotal" data-testid="subtotal"></dd>

          <dt>Shipping</dt>
          <dd id="shipping-cost" data-testid="shipping-cost"></dd>
"#,
        &["checkout"],
    ),
    harmless(
        "harmless-css-reorder",
        Kind::Css,
        "two independent CSS rules swapped",
        "demo/styles.css",
        ".facts dt { color: var(--muted); }\n.facts dd { margin: 0; }\n",
        ".facts dd { margin: 0; }\n.facts dt { color: var(--muted); }\n",
        &["product-detail", "keyboard"],
    ),
    harmless(
        "harmless-rename-variable",
        Kind::JsLogic,
        "internal variables of the search matcher renamed",
        "demo/shop.js",
        "  const haystack = [product.name, product.origin, product.roast, ...product.notes].join(' ').toLowerCase();
  return query.split(/\\s+/).every((word) => haystack.includes(word));",
        "  const text = [product.name, product.origin, product.roast, ...product.notes].join(' ').toLowerCase();
  return query.split(/\\s+/).every((term) => text.includes(term));",
        &["search", "keyboard"],
    ),
    harmless(
        "harmless-unused-class",
        Kind::Markup,
        "a class no stylesheet or script uses added to the cart panel",
        "demo/checkout.html",
        r#"<section class="panel" aria-labelledby="cart-title">"#,
        r#"<section class="panel panel-cart" aria-labelledby="cart-title">"#,
        &["checkout"],
    ),
    harmless(
        "harmless-noop-refactor",
        Kind::JsLogic,
        "shippingCost rewritten as a single expression",
        "demo/checkout.js",
        "  if (method === 'standard' && subtotal >= FREE_SHIPPING_FROM) return 0;
  return SHIPPING[method];",
        "  const free = method === 'standard' && subtotal >= FREE_SHIPPING_FROM;
  return free ? 0 : SHIPPING[method];",
        &["checkout"],
    ),
    harmless(
        "harmless-minify",
        Kind::Css,
        "the checkout section of the stylesheet minified",
        "demo/styles.css",
        "/* Checkout */
.checkout { padding-top: 32px; padding-bottom: 64px; }
.checkout-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 32px; align-items: start; }
.panel { background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius); padding: 24px; }
.cart-lines { list-style: none; margin: 0 0 16px; padding: 0; }
.cart-line { display: grid; grid-template-columns: 1fr auto 90px; align-items: center; gap: 12px; padding: 12px 0; border-bottom: 1px solid var(--line); }
.line-name { font-weight: 600; }
.qty { display: inline-flex; align-items: center; gap: 8px; }
.qty output { min-width: 20px; text-align: center; font-variant-numeric: tabular-nums; }
.line-total { text-align: right; font-variant-numeric: tabular-nums; }
.totals { display: grid; grid-template-columns: 1fr auto; gap: 6px; margin: 0; }
.totals[hidden] { display: none; }
.totals dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
.totals .total { font-weight: 700; font-size: 18px; padding-top: 8px; border-top: 1px solid var(--line); }
",
        ".checkout{padding-top:32px;padding-bottom:64px}.checkout-grid{display:grid;grid-template-columns:1fr 1fr;gap:32px;align-items:start}.panel{background:var(--surface);border:1px solid var(--line);border-radius:var(--radius);padding:24px}.cart-lines{list-style:none;margin:0 0 16px;padding:0}.cart-line{display:grid;grid-template-columns:1fr auto 90px;align-items:center;gap:12px;padding:12px 0;border-bottom:1px solid var(--line)}.line-name{font-weight:600}.qty{display:inline-flex;align-items:center;gap:8px}.qty output{min-width:20px;text-align:center;font-variant-numeric:tabular-nums}.line-total{text-align:right;font-variant-numeric:tabular-nums}.totals{display:grid;grid-template-columns:1fr auto;gap:6px;margin:0}.totals[hidden]{display:none}.totals dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}.totals .total{font-weight:700;font-size:18px;padding-top:8px;border-top:1px solid var(--line)}
",
        &["checkout"],
    ),
    harmless(
        "harmless-json-key-order",
        Kind::Request,
        "the newsletter POST body built with its keys in another order",
        "demo/shop.js",
        "          name: $('nl-name').value.trim(),
          email: $('nl-email').value.trim(),
          plan: $('nl-plan').value,
          terms: $('nl-terms').checked,",
        "          terms: $('nl-terms').checked,
          email: $('nl-email').value.trim(),
          plan: $('nl-plan').value,
          name: $('nl-name').value.trim(),",
        &["newsletter"],
    ),
    harmless(
        "harmless-short-debounce",
        Kind::Timing,
        "the search filter debounced by 120 ms, well under the user's pauses",
        "demo/shop.js",
        "  $('search').addEventListener('input', applyFilter);",
        "  let searchTimer;\n  $('search').addEventListener('input', () => {\n    clearTimeout(searchTimer);\n    searchTimer = setTimeout(applyFilter, 120);\n  });",
        &["search", "keyboard"],
    ),
];

/// `file` with the mutation applied; panics unless `from` occurs exactly once.
fn apply(m: &Mutation, text: &str) -> String {
    let n = text.matches(m.from).count();
    assert_eq!(
        n, 1,
        "mutation `{}`: `from` must occur exactly once in {}, found {n} times:\n{}",
        m.id, m.file, m.from
    );
    assert_ne!(m.from, m.to, "mutation `{}` changes nothing", m.id);
    text.replacen(m.from, m.to, 1)
}

fn selected() -> Vec<&'static Mutation> {
    let only: Option<BTreeSet<String>> = std::env::var("REPRISE_MUTATIONS")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    if let Some(only) = &only {
        for id in only {
            assert!(
                MUTATIONS.iter().any(|m| m.id == id),
                "REPRISE_MUTATIONS names an unknown mutation `{id}`"
            );
        }
    }
    MUTATIONS
        .iter()
        .filter(|m| only.as_ref().is_none_or(|o| o.contains(m.id)))
        .collect()
}

/// The table is sound without running anything: every mutation applies exactly once to the
/// bundled demo, names real sessions, and the set covers every kind with enough of each.
#[test]
fn the_mutation_table_is_well_formed() {
    let root = repo_root();
    let mut ids = BTreeSet::new();
    for m in MUTATIONS {
        assert!(ids.insert(m.id), "duplicate mutation id `{}`", m.id);
        let text = std::fs::read_to_string(root.join(m.file))
            .unwrap_or_else(|e| panic!("mutation `{}`: {}: {e}", m.id, m.file));
        let after = apply(m, &text);
        assert_ne!(after, text);
        assert!(
            !m.sessions.is_empty(),
            "mutation `{}` runs no session",
            m.id
        );
        for s in m.sessions {
            assert!(
                root.join("recordings").join(format!("{s}.json")).is_file(),
                "mutation `{}`: no recording for session `{s}`",
                m.id
            );
        }
        assert!(!m.replay.is_empty(), "mutation `{}` replays nothing", m.id);
        for s in m.replay {
            assert!(
                m.sessions.contains(s),
                "mutation `{}` replays `{s}`, which it does not affect",
                m.id
            );
        }
    }
    let regressions = MUTATIONS
        .iter()
        .filter(|m| m.expect == Expect::Regression)
        .count();
    let harmless = MUTATIONS.len() - regressions;
    assert!(regressions >= 12, "{regressions} regressions");
    assert!(harmless >= 6, "{harmless} harmless changes");
    for kind in [
        Kind::Css,
        Kind::Markup,
        Kind::Text,
        Kind::JsLogic,
        Kind::Request,
        Kind::Response,
        Kind::Timing,
    ] {
        assert!(
            MUTATIONS
                .iter()
                .any(|m| m.kind == kind && m.expect == Expect::Regression),
            "no {} regression",
            kind.as_str()
        );
    }
}

/// The fidelity SLO line: caught regressions score under it.
const SLO: f64 = 0.95;

struct Row {
    mutation: &'static Mutation,
    code: i32,
    statuses: Vec<(String, String)>,
    /// Caught (regression) or quiet (harmless).
    ok: bool,
    outcome: &'static str,
    why: String,
    duration_ms: u128,
    /// Each replayed session's fidelity, as its JSON report gives it.
    fidelity: Vec<(String, f64)>,
    /// The replayed sessions' JSON reports, whole: what the fidelity was computed from.
    reports: Vec<Value>,
}

fn judge(m: &'static Mutation, o: &Outcome, duration_ms: u128) -> Row {
    let sessions: &[Value] = o.report["sessions"].as_array().map_or(&[], |a| a);
    let statuses: Vec<(String, String)> = m
        .replay
        .iter()
        .map(|id| {
            let status = sessions
                .iter()
                .find(|s| s["id"] == *id)
                .and_then(|s| s["status"].as_str())
                .unwrap_or("missing");
            (id.to_string(), status.to_string())
        })
        .collect();
    let all_passed = statuses.iter().all(|(_, s)| s == "passed");
    let infrastructure = !matches!(o.code, 0 | 1) || o.report.is_null();
    let (ok, outcome) = match m.expect {
        _ if infrastructure => (false, "error"),
        Expect::Regression if o.code == 1 && !all_passed => (true, "caught"),
        Expect::Regression => (false, "MISSED"),
        Expect::Harmless if o.code == 0 && all_passed => (true, "quiet"),
        Expect::Harmless => (false, "FALSE ALARM"),
    };
    // Fidelity is an SLO figure: a caught regression must score under 0.95 in a session it
    // failed, a harmless change exactly 1 everywhere.
    let fidelities: Vec<f64> = m
        .replay
        .iter()
        .filter_map(|id| sessions.iter().find(|s| s["id"] == *id))
        .map(|s| s["fidelity"].as_f64().unwrap_or(f64::NAN))
        .collect();
    let lowest = fidelities.iter().copied().fold(f64::INFINITY, f64::min);
    let (ok, outcome) = match (ok, m.expect) {
        (true, Expect::Regression) if lowest.is_nan() || lowest >= SLO => {
            (false, "FIDELITY >= 0.95")
        }
        (true, Expect::Harmless) if fidelities.iter().any(|f| *f != 1.0) => (false, "FIDELITY < 1"),
        _ => (ok, outcome),
    };
    let why = if infrastructure {
        format!(
            "exit {}: {}",
            o.code,
            first_line(o.stderr.trim()).unwrap_or("no report")
        )
    } else {
        m.replay
            .iter()
            .filter_map(|id| sessions.iter().find(|s| s["id"] == *id))
            .find(|s| s["status"] != "passed")
            .map(why_not_passed)
            .unwrap_or_default()
    };
    let replayed: Vec<&Value> = m
        .replay
        .iter()
        .filter_map(|id| sessions.iter().find(|s| s["id"] == *id))
        .collect();
    Row {
        mutation: m,
        code: o.code,
        statuses,
        ok,
        outcome,
        why,
        duration_ms,
        fidelity: replayed
            .iter()
            .map(|s| {
                let id = s["id"].as_str().unwrap_or("?").to_string();
                (id, s["fidelity"].as_f64().unwrap_or(f64::NAN))
            })
            .collect(),
        reports: replayed.into_iter().cloned().collect(),
    }
}

fn first_line(s: &str) -> Option<&str> {
    s.lines().map(str::trim).find(|l| !l.is_empty())
}

/// Why a session did not pass, from its JSON report: a `flaky` verdict's reason first, then the
/// first point where the replay diverged.
fn why_not_passed(s: &Value) -> String {
    let id = s["id"].as_str().unwrap_or("?");
    let diverged = first_divergence(s);
    if s["status"] == "flaky" {
        let flaky = s["error"].as_str().and_then(first_line).unwrap_or("flaky");
        return format!("{id} {flaky}; {diverged}");
    }
    diverged
}

/// The first point where the replay diverged: the report's own `divergence` when it has one,
/// else a request that matched nothing recorded, the step that broke, the first checkpoint
/// that differs (with its first DOM change), a console error or the session's error.
fn first_divergence(s: &Value) -> String {
    let id = s["id"].as_str().unwrap_or("?");
    let status = s["status"].as_str().unwrap_or("?");
    let d = &s["divergence"];
    if let Some(summary) = d["summary"].as_str() {
        let mut why = format!("{id}: step {}: {summary}", d["step"]);
        if let Some(detail) = d["details"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .and_then(first_line)
        {
            why.push_str(&format!("; {detail}"));
        }
        return why;
    }
    if let Some(u) = s["network"]["unmatched"].as_array().and_then(|a| a.first()) {
        let mut why = format!(
            "{id}: unmatched request {} {}",
            u["method"].as_str().unwrap_or("?"),
            u["url"].as_str().unwrap_or("?")
        );
        if let Some(d) = u["closest"]["difference"].as_str().and_then(first_line) {
            why.push_str(&format!(" (closest recorded: {d})"));
        }
        return why;
    }
    let b = &s["broken_step"];
    if b.is_object() {
        return format!(
            "{id}: step {} (`{}`) broke: {}",
            b["step"],
            b["step_type"].as_str().unwrap_or("?"),
            b["message"].as_str().and_then(first_line).unwrap_or("")
        );
    }
    let checkpoints = s["checkpoints"].as_array().map_or(&[][..], |a| a);
    if let Some(c) = checkpoints.iter().find(|c| c["status"] != "match") {
        let mut why = format!(
            "{id}: checkpoint {} {} (DOM {:.1}% similar, {} px differ)",
            c["name"].as_str().unwrap_or("?"),
            c["status"].as_str().unwrap_or("?"),
            c["dom_similarity"].as_f64().unwrap_or(0.0) * 100.0,
            c["diff_pixels"]
        );
        if let Some(change) = c["dom_diff"].as_str().and_then(first_dom_change) {
            why.push_str(&format!("; {change}"));
        }
        return why;
    }
    if let Some(e) = s["console_errors"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_str)
    {
        return format!("{id}: console error: {e}");
    }
    match s["error"].as_str().and_then(first_line) {
        Some(e) => format!("{id} {status}: {e}"),
        None => format!("{id} {status}"),
    }
}

/// The first removed and the first added line of a unified DOM diff.
fn first_dom_change(diff: &str) -> Option<String> {
    let mut lines = diff
        .lines()
        .filter(|l| !l.starts_with("---") && !l.starts_with("+++"));
    let first = lines.find(|l| l.starts_with('-') || l.starts_with('+'))?;
    let mut out = format!("{} {}", &first[..1], first[1..].trim());
    if first.starts_with('-') {
        if let Some(added) = lines.find(|l| l.starts_with('+')) {
            out.push_str(&format!(" → + {}", added[1..].trim()));
        }
    }
    Some(out)
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// `browse=changed search=passed`, or `all 8 changed` when many sessions agree.
fn statuses_cell(r: &Row) -> String {
    let first = r.statuses.first().map(|(_, s)| s.as_str());
    if r.statuses.len() > 2 && r.statuses.iter().all(|(_, s)| Some(s.as_str()) == first) {
        return format!("all {} {}", r.statuses.len(), first.unwrap_or_default());
    }
    let mut cell = r
        .statuses
        .iter()
        .map(|(id, s)| format!("{id}={s}"))
        .collect::<Vec<_>>()
        .join(" ");
    let skipped = r.mutation.sessions.len() - r.mutation.replay.len();
    if skipped > 0 {
        cell.push_str(&format!(" (+{skipped} not replayed)"));
    }
    cell
}

fn outcome_cell(r: &Row) -> String {
    match r.mutation.known_gap {
        Some(_) => format!("{} (known gap)", r.outcome),
        None => r.outcome.to_string(),
    }
}

fn print_table(rows: &[Row]) {
    let width = |f: &dyn Fn(&Row) -> usize, header: &str| {
        rows.iter().map(f).max().unwrap_or(0).max(header.len())
    };
    let wid = width(&|r| r.mutation.id.len(), "id");
    let wkind = width(&|r| r.mutation.kind.as_str().len(), "kind");
    let wexp = width(&|r| r.mutation.expect.as_str().len(), "expected");
    let wout = width(&|r| outcome_cell(r).chars().count(), "outcome");
    let wst = width(&|r| statuses_cell(r).chars().count(), "statuses");
    println!(
        "{:wid$}  {:wkind$}  {:wexp$}  {:wout$}  {:wst$}  fidelity  why",
        "id", "kind", "expected", "outcome", "statuses"
    );
    println!("{}", "-".repeat(wid + wkind + wexp + wout + wst + 10 + 60));
    for r in rows {
        let why = if r.why.is_empty() { "-" } else { &r.why };
        let lowest = r
            .fidelity
            .iter()
            .map(|(_, f)| *f)
            .fold(f64::INFINITY, f64::min);
        println!(
            "{:wid$}  {:wkind$}  {:wexp$}  {:wout$}  {:wst$}  {:>8.4}  {}",
            r.mutation.id,
            r.mutation.kind.as_str(),
            r.mutation.expect.as_str(),
            outcome_cell(r),
            statuses_cell(r),
            lowest,
            clip(why, 150)
        );
    }
}

fn report_path() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                repo_root().join(p)
            }
        })
        .unwrap_or_else(|| repo_root().join("target"))
        .join("mutation-report.json")
}

/// The mutations run as three tests, so that a runner with cores to spare (nextest) replays
/// them side by side: together they were a third of CI's test time, in one test. Each shard
/// takes every third mutation of the table, writes its rows beside the report, and the report
/// is the union of the shards written so far (the last shard to finish writes the whole).
const SHARDS: usize = 3;

#[test]
fn every_regression_is_caught_and_no_harmless_change_is_flagged_1_of_3() {
    run_shard(0);
}

#[test]
fn every_regression_is_caught_and_no_harmless_change_is_flagged_2_of_3() {
    run_shard(1);
}

#[test]
fn every_regression_is_caught_and_no_harmless_change_is_flagged_3_of_3() {
    run_shard(2);
}

/// The shards take every mutation exactly once.
#[test]
fn the_shards_take_every_mutation_once() {
    let mut seen: Vec<&str> = (0..SHARDS)
        .flat_map(|k| shard(k).into_iter().map(|m| m.id))
        .collect();
    seen.sort_unstable();
    let mut all: Vec<&str> = selected().iter().map(|m| m.id).collect();
    all.sort_unstable();
    assert_eq!(seen, all);
}

fn shard(k: usize) -> Vec<&'static Mutation> {
    selected()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % SHARDS == k)
        .map(|(_, m)| m)
        .collect()
}

fn row_json(r: &Row) -> Value {
    json!({
        "id": r.mutation.id,
        "kind": r.mutation.kind.as_str(),
        "expected": r.mutation.expect.as_str(),
        "description": r.mutation.description,
        "file": r.mutation.file,
        "from": r.mutation.from,
        "to": r.mutation.to,
        "sessions": r.mutation.sessions,
        "replayed": r.mutation.replay,
        "exit_code": r.code,
        "statuses": r.statuses.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect::<serde_json::Map<_, _>>(),
        "outcome": r.outcome,
        "ok": r.ok,
        "why": r.why,
        "fidelity": r.fidelity.iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>(),
        "reports": r.reports,
        "known_gap": r.mutation.known_gap,
        "duration_ms": r.duration_ms as u64,
    })
}

/// Writes this shard's rows, then the report from every shard's rows found (in table order),
/// under a lock so that two shards finishing together do not lose each other's rows.
fn write_report(k: usize, rows: &[Row], elapsed_ms: u64) -> std::path::PathBuf {
    let path = report_path();
    let dir = path.with_extension("d");
    std::fs::create_dir_all(&dir).expect("mutation report folder");
    // A folder as the lock: creating one is atomic, and std's file locks are newer than the
    // crate's minimum Rust. A lock left by a killed run is taken over after a minute.
    let lock = dir.join("lock");
    let waited = Instant::now();
    while std::fs::create_dir(&lock).is_err() && waited.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mine = json!({
        "shard": k,
        "duration_ms": elapsed_ms,
        "mutations": rows.iter().map(row_json).collect::<Vec<_>>(),
    });
    std::fs::write(
        dir.join(format!("shard-{k}.json")),
        serde_json::to_string_pretty(&mine).expect("serialize"),
    )
    .expect("write the shard's rows");
    let mut all: Vec<Value> = Vec::new();
    let mut duration_ms = 0;
    let mut shards = Vec::new();
    for j in 0..SHARDS {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("shard-{j}.json"))) else {
            continue;
        };
        let v: Value = serde_json::from_str(&text).expect("a shard's rows");
        duration_ms += v["duration_ms"].as_u64().unwrap_or(0);
        all.extend(v["mutations"].as_array().cloned().unwrap_or_default());
        shards.push(j + 1);
    }
    let order = |v: &Value| MUTATIONS.iter().position(|m| v["id"] == m.id);
    all.sort_by_key(order);
    let count = |expected: &str, ok: Option<bool>| {
        all.iter()
            .filter(|r| r["expected"] == expected && ok.is_none_or(|ok| r["ok"] == ok))
            .count()
    };
    let json = json!({
        "caught": count("regression", Some(true)),
        "regressions": count("regression", None),
        "false_alarms": count("harmless", Some(false)),
        "harmless": count("harmless", None),
        "shards": shards,
        "complete": shards.len() == SHARDS,
        "known_gaps": all.iter().filter(|r| !r["known_gap"].is_null()).map(|r| json!({
            "id": r["id"],
            "reason": r["known_gap"],
            "outcome": r["outcome"],
        })).collect::<Vec<_>>(),
        "duration_ms": duration_ms,
        "mutations": all,
    });
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json).expect("serialize"),
    )
    .expect("write the mutation report");
    let _ = std::fs::remove_dir(&lock);
    path
}

fn run_shard(k: usize) {
    let started = Instant::now();
    let mut rows = Vec::new();
    for m in shard(k) {
        let suite = TestSuite::demo().edit(m.file, |text| apply(m, text));
        let mut args = vec!["run"];
        args.extend(m.replay.iter().copied());
        let t = Instant::now();
        let o = suite.run(&args);
        let row = judge(m, &o, t.elapsed().as_millis());
        eprintln!(
            "mutation {:28} {:12} in {:5.1}s",
            m.id,
            row.outcome,
            row.duration_ms as f64 / 1000.0
        );
        if !row.ok && m.known_gap.is_none() {
            eprintln!("{}\n{}", o.stdout, o.stderr);
        }
        rows.push(row);
    }
    let elapsed = started.elapsed();

    let of = |e: Expect| rows.iter().filter(move |r| r.mutation.expect == e);
    let caught = of(Expect::Regression).filter(|r| r.ok).count();
    let regressions = of(Expect::Regression).count();
    let false_alarms = of(Expect::Harmless).filter(|r| !r.ok).count();
    let harmless = of(Expect::Harmless).count();
    let gaps: Vec<&Row> = rows
        .iter()
        .filter(|r| r.mutation.known_gap.is_some())
        .collect();
    let totals = format!(
        "caught {caught}/{regressions} regressions, false alarms {false_alarms}/{harmless} \
         ({} known gap{}) in {:.1}s",
        gaps.len(),
        if gaps.len() == 1 { "" } else { "s" },
        elapsed.as_secs_f64()
    );

    println!();
    print_table(&rows);
    println!();
    println!("{totals}");
    for r in &gaps {
        println!(
            "known gap {}: {}",
            r.mutation.id,
            r.mutation.known_gap.unwrap_or_default()
        );
    }

    let path = write_report(k, &rows, elapsed.as_millis() as u64);
    println!("report: {}", path.display());

    let failures: Vec<String> = rows
        .iter()
        .filter(|r| !r.ok && (r.mutation.known_gap.is_none() || r.outcome == "error"))
        .map(|r| format!("{} {}: {}", r.mutation.id, r.outcome, r.why))
        .collect();
    assert!(failures.is_empty(), "{totals}\n{}", failures.join("\n"));
    let fixed: Vec<&str> = gaps
        .iter()
        .filter(|r| r.ok)
        .map(|r| r.mutation.id)
        .collect();
    if !fixed.is_empty() {
        println!(
            "known gaps caught this run (remove the mark once they always are): {}",
            fixed.join(", ")
        );
    }
}
