//! What reprise records at a checkpoint: the DOM as normalized text and a screenshot.
//!
//! The DOM is serialized in the page (`serialize.js`: live form state, open shadow roots,
//! one node per line with sorted attributes, so a diff reads like a code review), then the
//! suite's ordered normalization rules run over the text. The rules' digest goes into each
//! baseline's header, so a rule change is recognisable as such.

use crate::config::NormalizeConfig;
use sha2::Digest as _;

pub const SERIALIZE_JS: &str = include_str!("serialize.js");

/// Compiled normalization rules.
pub struct Normalizer {
    replace: Vec<(regex::Regex, String)>,
    drop_attributes: Vec<regex::Regex>,
    pub mask: Vec<String>,
    digest: String,
}

impl Normalizer {
    /// Patterns were validated when the config was loaded; one that still fails to compile
    /// is skipped rather than aborting a run.
    pub fn new(cfg: &NormalizeConfig) -> Self {
        let replace = cfg
            .replace
            .iter()
            .filter_map(|r| Some((regex::Regex::new(&r.pattern).ok()?, r.replacement.clone())))
            .collect();
        let drop_attributes = cfg
            .drop_attributes
            .iter()
            .filter_map(|a| regex::Regex::new(&format!(r#" {}="[^"]*""#, regex::escape(a))).ok())
            .collect();
        let canonical = serde_json::to_string(cfg).unwrap_or_default();
        let digest = format!("sha256:{:x}", sha2::Sha256::digest(canonical.as_bytes()));
        Self {
            replace,
            drop_attributes,
            mask: cfg.mask.clone(),
            digest: digest[..23].to_string(),
        }
    }

    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn apply(&self, dom: &str) -> String {
        let mut text = dom.to_string();
        for re in &self.drop_attributes {
            text = re.replace_all(&text, "").into_owned();
        }
        for (re, with) in &self.replace {
            text = re.replace_all(&text, with.as_str()).into_owned();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ReplaceRule;

    #[test]
    fn rules_apply_in_order_and_digest_tracks_them() {
        let cfg = NormalizeConfig {
            replace: vec![
                ReplaceRule {
                    pattern: r"\d{4}-\d\d-\d\d".into(),
                    replacement: "<date>".into(),
                },
                ReplaceRule {
                    pattern: "<date>".into(),
                    replacement: "DATE".into(),
                },
            ],
            drop_attributes: vec!["data-id".into()],
            mask: vec![],
        };
        let n = Normalizer::new(&cfg);
        assert_eq!(
            n.apply("<p class=\"x\" data-id=\"17\">\n  \"on 2026-01-02\"\n"),
            "<p class=\"x\">\n  \"on DATE\"\n"
        );
        assert_ne!(
            n.digest(),
            Normalizer::new(&NormalizeConfig::default()).digest()
        );
    }
}
