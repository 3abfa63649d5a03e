//! The collector's second redaction: every batch goes through the same detectors and the
//! same keyed pseudonyms as `reprise redact`, so what the page's own redaction missed (an
//! email in a response body, an `Authorization` header a custom client added) is never
//! stored, and one value becomes the same pseudonym in every batch of every session.
//!
//! The key: `REPRISE_REDACT_KEY`, else the suite's `.reprise/redact.key` (created on first
//! use) — the key `reprise redact` uses, so a session exported from the store and a suite
//! redacted by hand agree on pseudonyms.

use crate::config::PrivacyConfig;
use crate::privacy::{Format, Ledger, Plan, Pseudonymizer, Scanner};

pub struct Redactor {
    scanner: Scanner,
    ps: Pseudonymizer,
}

impl Redactor {
    pub fn new(cfg: &PrivacyConfig, suite: &std::path::Path) -> Result<Self, String> {
        let scanner = Scanner::new(cfg, &Ledger::default()).map_err(|e| e.to_string())?;
        let ps = Pseudonymizer::for_suite(suite).map_err(|e| {
            format!(
                "cannot read or create the redaction key `{}`: {e}",
                suite.join(crate::privacy::pseudonym::KEY_FILE).display()
            )
        })?;
        Ok(Self { scanner, ps })
    }

    /// With a given key (tests, embedding).
    pub fn with_key(cfg: &PrivacyConfig, key: &[u8]) -> Result<Self, String> {
        let scanner = Scanner::new(cfg, &Ledger::default()).map_err(|e| e.to_string())?;
        Ok(Self {
            scanner,
            ps: Pseudonymizer::new(key),
        })
    }

    /// The batch with every finding replaced by its pseudonym. The envelope (`v`,
    /// `session`, `window`, `seq`) is kept as sent: random ids look like secrets to a
    /// detector that reads a key named `session`, and they are the store's keys.
    pub fn redact(&self, batch: &[u8]) -> Result<Vec<u8>, String> {
        let mut v: serde_json::Value =
            serde_json::from_slice(batch).map_err(|e| format!("the batch is not JSON: {e}"))?;
        let obj = v.as_object_mut().ok_or("the batch is not a JSON object")?;
        let envelope: Vec<(String, serde_json::Value)> = ["v", "session", "window", "seq"]
            .iter()
            .filter_map(|k| obj.remove(*k).map(|x| (k.to_string(), x)))
            .collect();
        let text = serde_json::to_string(&v).map_err(|e| e.to_string())?;
        let findings = self.scanner.scan_text("batch", Format::Json, &text);
        let mut out: serde_json::Value = if findings.is_empty() {
            v
        } else {
            let plan = Plan::new(&findings, &self.ps, &self.scanner.detector);
            serde_json::from_str(&plan.apply(&text))
                .map_err(|e| format!("redaction broke the batch's JSON: {e}"))?
        };
        if let Some(o) = out.as_object_mut() {
            for (k, x) in envelope {
                o.insert(k, x);
            }
        }
        serde_json::to_vec(&out).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_headers_and_passwords_are_replaced_consistently() {
        let r = Redactor::with_key(&PrivacyConfig::default(), b"k").unwrap();
        let batch = |seq: u32| {
            format!(
                r##"{{"v":1,"session":"s","window":"w","seq":{seq},"events":[
                {{"t":1,"type":"step","step":{{"type":"change","selectors":[["#password"]],"value":"hunter2"}}}},
                {{"t":2,"type":"exchange","entry":{{"request":{{"method":"GET","url":"http://h/api/me",
                  "headers":[{{"name":"Authorization","value":"Bearer abcdefgh12345678"}}]}},
                  "response":{{"status":200,"content":{{"text":"{{\"email\":\"ada.lovelace@mailbox.org\"}}"}}}}}}}}]}}"##
            )
        };
        let a = String::from_utf8(r.redact(batch(0).as_bytes()).unwrap()).unwrap();
        let b = String::from_utf8(r.redact(batch(1).as_bytes()).unwrap()).unwrap();
        for secret in ["hunter2", "abcdefgh12345678", "ada.lovelace@mailbox.org"] {
            assert!(!a.contains(secret), "{secret} left in {a}");
        }
        serde_json::from_str::<serde_json::Value>(&a).unwrap();
        assert_eq!(
            a.replace("\"seq\":0", ""),
            b.replace("\"seq\":1", ""),
            "same pseudonyms in both batches"
        );
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert_eq!(
            (v["session"].as_str(), v["window"].as_str()),
            (Some("s"), Some("w"))
        );
        // A random-looking session id in the envelope is kept.
        let id = r#"{"v":1,"session":"k3J9xQ_aZ81mPq0vT7yW","window":"w","seq":0,"events":[]}"#;
        let kept: serde_json::Value =
            serde_json::from_slice(&r.redact(id.as_bytes()).unwrap()).unwrap();
        assert_eq!(kept["session"], "k3J9xQ_aZ81mPq0vT7yW");
    }
}
