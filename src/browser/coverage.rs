//! What a replay ran: CDP precise JavaScript coverage in binary block mode (each block ran or
//! not, no counts: the cheapest precise mode) and CSS rule usage, taken after every step and
//! merged, so blocks of a document the session navigated away from are kept.
//!
//! The result is plain data (`Blocks`): curation (`curate::coverage`) turns it into units with
//! stable script URLs and source-mapped files.

use super::cdp::CdpError;
use super::Browser;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The most distinct blocks kept per replay: a page generating scripts forever stays bounded.
const MAX_BLOCKS: usize = 500_000;

/// Blocks a replay ran, by script URL, and CSS rules it used, by stylesheet URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocks {
    /// Script URL → (function name, start offset, end offset) of each block that ran.
    pub js: BTreeMap<String, BTreeSet<(String, u32, u32)>>,
    /// Stylesheet URL → (start offset, end offset) of each rule used.
    pub css: BTreeMap<String, BTreeSet<(u32, u32)>>,
    /// Documents the replay showed (a change to their HTML touches the session too).
    #[serde(default)]
    pub documents: BTreeSet<String>,
    /// What each checkpoint showed: the signatures of its visible elements. Regressions are
    /// only seen at checkpoints, so two sessions that ran the same code but ended on
    /// different screens (a tooltip still open, a dialog shown) are told apart here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<View>,
}

/// The visible elements at one checkpoint, without text or data: curation collapses data
/// values and numbers in them and keys them by the route (`curate::coverage::view_units`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub checkpoint: String,
    pub url: String,
    pub elements: BTreeSet<Element>,
}

/// One kind of visible element: its tag, `role`, `data-testid` and class tokens (sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Element {
    pub tag: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub testid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

/// The most checkpoints whose view a replay keeps.
pub const MAX_VIEWS: usize = 1_000;

/// The most distinct element signatures kept per checkpoint, and the most elements looked at:
/// a page of ten thousand rows costs a bounded walk, and a checkpoint a bounded set of units.
pub const MAX_VIEW_ELEMENTS: usize = 400;
const MAX_VIEW_WALK: usize = 20_000;

/// The page's visible elements: laid out (a box with an area), not
/// `visibility: hidden` and not transparent (`opacity: 0`, its own or an ancestor's):
/// `checkVisibility` with those options, so an element kept in the DOM but hidden by CSS
/// until hovered, focused or opened counts only while it shows. reprise's own nodes, scripts
/// and styles are skipped; text, ids and other attributes are left out (they carry data).
const VIEW_JS: &str = r#"return (function (maxWalk, maxOut) {
  const out = new Map();
  const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'LINK', 'META', 'BR', 'WBR']);
  const all = document.body ? document.body.getElementsByTagName('*') : [];
  const n = Math.min(all.length, maxWalk);
  for (let i = 0; i < n; i++) {
    const el = all[i];
    if (SKIP.has(el.tagName) || el.id === '__reprise-style' || el.hasAttribute('data-reprise-mask')) continue;
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) continue;
    if (el.checkVisibility) {
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    } else {
      const cs = getComputedStyle(el);
      if (cs.visibility !== 'visible' || cs.opacity === '0') continue;
    }
    const e = {
      tag: el.tagName.toLowerCase(),
      role: (el.getAttribute('role') || '').slice(0, 40),
      testid: (el.getAttribute('data-testid') || '').slice(0, 80),
      classes: Array.from(el.classList).filter((c) => c.length <= 60).sort().slice(0, 8),
    };
    const key = JSON.stringify(e);
    if (!out.has(key)) out.set(key, e);
  }
  return Array.from(out.keys()).sort().slice(0, maxOut).map((k) => out.get(k));
})(arguments[0], arguments[1]);"#;

impl Blocks {
    pub fn len(&self) -> usize {
        self.js.values().map(BTreeSet::len).sum::<usize>()
            + self.css.values().map(BTreeSet::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds the blocks of one `Profiler.takePreciseCoverage` answer that ran. In block mode
    /// a function's first range is the function itself; nested ranges with count 0 are the
    /// blocks that did not run.
    pub fn add_js(&mut self, result: &Value) {
        for script in result["result"].as_array().into_iter().flatten() {
            let url = script["url"].as_str().unwrap_or("");
            // scripts reprise itself evaluates (the determinism shim, WebDriver's) have no URL
            if url.is_empty() || url.starts_with("chrome") || url.starts_with("devtools") {
                continue;
            }
            for f in script["functions"].as_array().into_iter().flatten() {
                let name = f["functionName"].as_str().unwrap_or("");
                for r in f["ranges"].as_array().into_iter().flatten() {
                    if r["count"].as_u64().unwrap_or(0) == 0 {
                        continue;
                    }
                    let (Some(s), Some(e)) = (r["startOffset"].as_u64(), r["endOffset"].as_u64())
                    else {
                        continue;
                    };
                    if self.len() >= MAX_BLOCKS {
                        return;
                    }
                    self.js.entry(url.to_string()).or_default().insert((
                        name.to_string(),
                        s as u32,
                        e as u32,
                    ));
                }
            }
        }
    }

    /// Adds the rules of one `CSS.takeCoverageDelta` answer that were used.
    pub fn add_css(&mut self, result: &Value, sheets: &BTreeMap<String, String>) {
        for r in result["coverage"].as_array().into_iter().flatten() {
            if r["used"] != true {
                continue;
            }
            let id = r["styleSheetId"].as_str().unwrap_or("");
            let Some(url) = sheets.get(id).filter(|u| !u.is_empty()) else {
                continue;
            };
            let (Some(s), Some(e)) = (r["startOffset"].as_f64(), r["endOffset"].as_f64()) else {
                continue;
            };
            if self.len() >= MAX_BLOCKS {
                return;
            }
            self.css
                .entry(url.clone())
                .or_default()
                .insert((s as u32, e as u32));
        }
    }
}

impl Browser {
    /// Turns coverage on in the main page, before its first navigation.
    pub async fn start_coverage(&self) -> Result<(), CdpError> {
        let cmd = |m: &'static str, p: Value| self.intercept.page_command(m, p);
        cmd("Profiler.enable", json!({})).await?;
        cmd(
            "Profiler.startPreciseCoverage",
            json!({ "callCount": false, "detailed": true }),
        )
        .await?;
        cmd("DOM.enable", json!({})).await?;
        cmd("CSS.enable", json!({})).await?;
        cmd("CSS.startRuleUsageTracking", json!({})).await?;
        Ok(())
    }

    /// Adds what the page shows now, as a checkpoint sees it, to `blocks.views`.
    pub async fn take_view(&self, checkpoint: &str, blocks: &mut Blocks) -> Result<(), String> {
        if blocks.views.len() >= MAX_VIEWS {
            return Ok(());
        }
        let v = self
            .script(
                VIEW_JS,
                vec![json!(MAX_VIEW_WALK), json!(MAX_VIEW_ELEMENTS)],
            )
            .await
            .map_err(|e| e.to_string())?;
        let elements = v
            .as_array()
            .into_iter()
            .flatten()
            .take(MAX_VIEW_ELEMENTS)
            .filter_map(|e| serde_json::from_value::<Element>(e.clone()).ok())
            .collect();
        blocks.views.push(View {
            checkpoint: checkpoint.to_string(),
            url: self.current_url().await,
            elements,
        });
        Ok(())
    }

    /// Adds what ran since the last call to `blocks`.
    pub async fn take_coverage(&self, blocks: &mut Blocks) -> Result<(), CdpError> {
        let js = self
            .intercept
            .page_command("Profiler.takePreciseCoverage", json!({}))
            .await?;
        blocks.add_js(&js);
        let css = self
            .intercept
            .page_command("CSS.takeCoverageDelta", json!({}))
            .await?;
        let sheets = self
            .intercept
            .log
            .stylesheets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        blocks.add_css(&css, &sheets);
        let here = self
            .intercept
            .page_command(
                "Runtime.evaluate",
                json!({ "expression": "location.href", "returnByValue": true }),
            )
            .await?;
        if let Some(url) = here["result"]["value"].as_str() {
            if url.starts_with("http") && blocks.documents.len() < 10_000 {
                blocks.documents.insert(url.to_string());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_optional_in_stored_blocks() {
        // coverage stored before views existed still reads
        let old: Blocks = serde_json::from_value(json!({ "js": {}, "css": {} })).expect("reads");
        assert!(old.views.is_empty());
        let mut b = Blocks::default();
        b.views.push(View {
            checkpoint: "3-end".into(),
            url: "https://a.test/".into(),
            elements: [Element {
                tag: "span".into(),
                role: "tooltip".into(),
                ..Element::default()
            }]
            .into(),
        });
        let v = serde_json::to_value(&b).expect("json");
        assert_eq!(
            v["views"][0]["elements"][0],
            json!({ "tag": "span", "role": "tooltip" })
        );
        assert_eq!(serde_json::from_value::<Blocks>(v).expect("reads"), b);
    }

    #[test]
    fn only_blocks_that_ran_and_used_rules_are_kept() {
        let mut b = Blocks::default();
        b.add_js(&json!({ "result": [
            { "url": "https://a.test/app.js", "functions": [
                { "functionName": "", "ranges": [ { "startOffset": 0, "endOffset": 100, "count": 1 } ] },
                { "functionName": "go", "ranges": [ { "startOffset": 10, "endOffset": 50, "count": 1 },
                                                   { "startOffset": 20, "endOffset": 30, "count": 0 } ] },
                { "functionName": "never", "ranges": [ { "startOffset": 60, "endOffset": 90, "count": 0 } ] } ] },
            { "url": "", "functions": [ { "functionName": "", "ranges": [ { "startOffset": 0, "endOffset": 5, "count": 1 } ] } ] }
        ] }));
        assert_eq!(b.js.len(), 1);
        assert_eq!(b.js["https://a.test/app.js"].len(), 2);
        let sheets = BTreeMap::from([("s1".to_string(), "https://a.test/s.css".to_string())]);
        b.add_css(
            &json!({ "coverage": [
                { "styleSheetId": "s1", "startOffset": 0.0, "endOffset": 20.0, "used": true },
                { "styleSheetId": "s1", "startOffset": 30.0, "endOffset": 40.0, "used": false },
                { "styleSheetId": "zz", "startOffset": 0.0, "endOffset": 1.0, "used": true } ] }),
            &sheets,
        );
        assert_eq!(b.css["https://a.test/s.css"].len(), 1);
        assert_eq!(b.len(), 3);
    }
}
