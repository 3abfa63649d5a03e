//! Pseudonyms: a stand-in for each personal value that keeps its shape, so the app under test
//! behaves the same with it (an email stays an email, a card number stays Luhn-valid with its
//! brand's prefix, an IBAN keeps its country and a valid checksum, a JWT stays three base64url
//! parts whose payload still decodes, with the same claims).
//!
//! A pseudonym is derived from the value with HMAC-SHA256 under a key, so the same value gets
//! the same pseudonym in every file and every later import (consistency), while nobody without
//! the key can test guesses against it: phone and card numbers are few enough that a plain
//! hash of them could be reversed by enumeration.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::detect::{digits_of, iban_mod97, Detector, Kind};

/// The pseudonymization key: `REPRISE_REDACT_KEY`, else a random key kept in the suite's
/// `.reprise/redact.key` (git-ignored), created on first use.
pub const KEY_ENV: &str = "REPRISE_REDACT_KEY";
pub const KEY_FILE: &str = ".reprise/redact.key";

pub struct Pseudonymizer {
    key: Vec<u8>,
}

/// HMAC-SHA256 (RFC 2104), written out because it is twenty lines over `sha2`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

impl Pseudonymizer {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    /// Loads the key for a suite: the environment variable, else the key file (created).
    pub fn for_suite(suite: &std::path::Path) -> std::io::Result<Self> {
        if let Ok(k) = std::env::var(KEY_ENV) {
            if !k.is_empty() {
                return Ok(Self::new(k.as_bytes()));
            }
        }
        let path = suite.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(k) if !k.is_empty() => return Ok(Self::new(&k)),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut key = [0u8; 32];
        use std::io::Read as _;
        std::fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &hex)?;
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        Ok(Self::new(hex.as_bytes()))
    }

    /// A keyed fingerprint of an original value, for the mapping report: lets whoever holds
    /// the key check which value a pseudonym stands for, and nobody else.
    pub fn fingerprint(&self, original: &str) -> String {
        let mac = hmac_sha256(&self.key, format!("fingerprint\0{original}").as_bytes());
        let hex: String = mac[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("hmac-sha256:{hex}")
    }

    /// A stream of pseudo-random bytes determined by the key, a purpose and a value.
    fn stream(&self, purpose: &str, value: &str) -> Stream {
        Stream {
            key: self.key.clone(),
            seed: format!("{purpose}\0{value}"),
            block: Vec::new(),
            counter: 0,
        }
    }

    /// The pseudonym of `original`, of kind `kind`.
    pub fn pseudonym(&self, kind: &Kind, original: &str, det: &Detector) -> String {
        match kind {
            Kind::Email => self.email(original),
            Kind::Card => self.card(original),
            Kind::Phone => self.phone(original),
            Kind::Iban => self.iban(original),
            Kind::Jwt => self.jwt(original, det),
            Kind::ApiKey => self.api_key(original),
            Kind::Pattern(name) => {
                let p = self.shaped(original, "pattern");
                match det.custom(name) {
                    Some(r) if r.find(&p).is_none_or(|m| m.as_str() != p) => {
                        self.digits_only(original)
                    }
                    _ => p,
                }
            }
            _ => self.shaped(original, &kind.as_str()),
        }
    }

    /// Every ASCII letter and digit replaced by one of the same class (case kept), other
    /// characters kept: the same length, the same punctuation.
    fn shaped(&self, original: &str, purpose: &str) -> String {
        let mut s = self.stream(purpose, original);
        original
            .chars()
            .map(|c| match c {
                'a'..='z' => (b'a' + s.next() % 26) as char,
                'A'..='Z' => (b'A' + s.next() % 26) as char,
                '0'..='9' => (b'0' + s.next() % 10) as char,
                c if c.is_alphabetic() => (b'a' + s.next() % 26) as char,
                c => c,
            })
            .collect()
    }

    fn digits_only(&self, original: &str) -> String {
        let mut s = self.stream("digits", original);
        original
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    (b'0' + s.next() % 10) as char
                } else {
                    c
                }
            })
            .collect()
    }

    /// The local part keeps its shape; the domain becomes `example.com`, reserved for
    /// examples (RFC 2606), so mail can never reach a real mailbox.
    fn email(&self, original: &str) -> String {
        let (local, _) = original.rsplit_once('@').unwrap_or((original, ""));
        let seed = original.to_ascii_lowercase();
        let mut s = self.stream("email", &seed);
        let local: String = local
            .chars()
            .map(|c| match c {
                'A'..='Z' => (b'A' + s.next() % 26) as char,
                '0'..='9' => (b'0' + s.next() % 10) as char,
                c if c.is_alphanumeric() => (b'a' + s.next() % 26) as char,
                c => c,
            })
            .collect();
        format!("{local}@example.com")
    }

    /// Digits replaced in place, separators kept; the first `keep` digits stay and `fix`
    /// rewrites the digits afterwards (check digits). Seeded by the digits alone, so
    /// `4000 0566…` and `40000566…` get the same digits.
    fn redigit(
        &self,
        original: &str,
        purpose: &str,
        keep: usize,
        fix: impl Fn(&mut Vec<u8>),
    ) -> String {
        let digits = digits_of(original);
        let mut s = self.stream(purpose, &digits);
        let mut new: Vec<u8> = digits
            .bytes()
            .enumerate()
            .map(|(i, d)| if i < keep { d } else { b'0' + s.next() % 10 })
            .collect();
        fix(&mut new);
        let mut it = new.into_iter();
        original
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    it.next().map_or(c, char::from)
                } else {
                    c
                }
            })
            .collect()
    }

    /// The brand's leading digits stay (apps pick the card logo from them); the check digit
    /// is recomputed so the number stays Luhn-valid.
    fn card(&self, original: &str) -> String {
        self.redigit(original, "card", 2, |d| {
            let n = d.len();
            if n == 0 {
                return;
            }
            d[n - 1] = b'0';
            for check in b'0'..=b'9' {
                d[n - 1] = check;
                if super::detect::luhn_valid(std::str::from_utf8(d).unwrap_or("")) {
                    break;
                }
            }
        })
    }

    /// The country code (or trunk prefix) and the separators stay.
    fn phone(&self, original: &str) -> String {
        let keep = if original.trim_start().starts_with('+') {
            2
        } else {
            1
        };
        self.redigit(original, "phone", keep, |_| {})
    }

    /// The country stays, the account number is replaced, and the check digits are
    /// recomputed so the IBAN still validates.
    fn iban(&self, original: &str) -> String {
        let compact: String = original.chars().filter(|c| *c != ' ').collect();
        if compact.len() < 5 {
            return self.shaped(original, "iban");
        }
        let bban = self.shaped(&compact[4..], "iban").to_ascii_uppercase();
        let country = &compact[..2];
        let r = iban_mod97(&format!("{country}00{bban}"));
        let new = format!("{country}{:02}{bban}", 98 - r);
        let mut it = new.chars();
        original
            .chars()
            .map(|c| if c == ' ' { c } else { it.next().unwrap_or(c) })
            .collect()
    }

    /// The header stays; every string claim but the token's plumbing (`alg`, `typ`, `iss`,
    /// `aud`, …) gets its own pseudonym (an email claim the same one as elsewhere); numbers
    /// (`exp`, `iat`) stay; the signature becomes other base64url of the same length.
    fn jwt(&self, original: &str, det: &Detector) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = original.split('.').collect();
        let [header, payload, sig] = parts.as_slice() else {
            return self.shaped(original, "jwt");
        };
        let claims = b64
            .decode(payload.trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        let payload = match claims {
            Some(mut v) => {
                self.claims(&mut v, det, None);
                b64.encode(serde_json::to_vec(&v).unwrap_or_default())
            }
            None => self.shaped(payload, "jwt"),
        };
        let mut s = self.stream("jwt-signature", original);
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let sig: String = sig
            .chars()
            .map(|_| ALPHABET[usize::from(s.next() % 64)] as char)
            .collect();
        format!("{header}.{payload}.{sig}")
    }

    fn claims(&self, v: &mut serde_json::Value, det: &Detector, key: Option<&str>) {
        const PLUMBING: &[&str] = &[
            "alg",
            "typ",
            "iss",
            "aud",
            "scope",
            "kid",
            "azp",
            "token_use",
            "nonce_supported",
        ];
        match v {
            serde_json::Value::String(s) => {
                if key.is_some_and(|k| PLUMBING.contains(&k)) {
                    return;
                }
                *s = if det.is_email(s) {
                    self.email(s)
                } else {
                    self.shaped(s, "claim")
                };
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.claims(x, det, key)),
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    self.claims(x, det, Some(k));
                }
            }
            _ => {}
        }
    }

    /// Vendors' prefixes stay (they say what the key is for), the secret part changes.
    fn api_key(&self, original: &str) -> String {
        const PREFIXES: &[&str] = &[
            "sk_live_",
            "sk_test_",
            "rk_live_",
            "rk_test_",
            "github_pat_",
            "ghp_",
            "gho_",
            "ghs_",
            "ghu_",
            "ghr_",
            "AKIA",
            "xoxa-",
            "xoxb-",
            "xoxp-",
            "xoxr-",
            "xoxs-",
            "AIza",
            "glpat-",
            "SG.",
            "sk-proj-",
            "sk-",
            "npm_",
        ];
        let prefix = PREFIXES
            .iter()
            .find(|p| original.starts_with(**p))
            .copied()
            .unwrap_or("");
        format!(
            "{prefix}{}",
            self.shaped(&original[prefix.len()..], "api-key")
        )
    }
}

struct Stream {
    key: Vec<u8>,
    seed: String,
    block: Vec<u8>,
    counter: u32,
}

impl Stream {
    fn next(&mut self) -> u8 {
        if self.block.is_empty() {
            let msg = format!("{}\0{}", self.seed, self.counter);
            self.counter += 1;
            let mut b = hmac_sha256(&self.key, msg.as_bytes()).to_vec();
            // Bytes above 249 are dropped so `% 10`, `% 26` and `% 64` stay close to uniform.
            b.retain(|x| *x < 250);
            b.reverse();
            self.block = b;
        }
        self.block.pop().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PrivacyConfig;

    fn p() -> (Pseudonymizer, Detector) {
        (
            Pseudonymizer::new(b"test-key"),
            Detector::new(&PrivacyConfig::default()).expect("detector"),
        )
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn pseudonyms_keep_shape_and_are_consistent() {
        let (ps, d) = p();
        let e = ps.pseudonym(&Kind::Email, "Ada.Lovelace@mailbox.org", &d);
        assert!(
            e.ends_with("@example.com") && e.len() == "Ada.Lovelace@example.com".len(),
            "{e}"
        );
        assert_eq!(
            e,
            ps.pseudonym(&Kind::Email, "Ada.Lovelace@mailbox.org", &d)
        );
        let c = ps.pseudonym(&Kind::Card, "4000 0566 5566 5556", &d);
        assert!(c.starts_with("40") && c.len() == 19, "{c}");
        assert!(super::super::detect::luhn_valid(&digits_of(&c)));
        assert_eq!(
            digits_of(&c),
            digits_of(&ps.pseudonym(&Kind::Card, "4000056655665556", &d))
        );
        let i = ps.pseudonym(&Kind::Iban, "FR76 3000 6000 0112 3456 7890 189", &d);
        assert!(
            i.starts_with("FR") && iban_mod97(&i.replace(' ', "")) == 1,
            "{i}"
        );
        let ph = ps.pseudonym(&Kind::Phone, "+33 6 12 34 56 78", &d);
        assert!(ph.starts_with("+33 ") && ph.len() == 17, "{ph}");
        let k = ps.pseudonym(&Kind::ApiKey, "sk_live_4eC39HqLyjWDarjtT1zdp7dc", &d);
        assert!(k.starts_with("sk_live_") && k != "sk_live_4eC39HqLyjWDarjtT1zdp7dc");
        assert_ne!(
            Pseudonymizer::new(b"other").pseudonym(&Kind::Email, "ada@mailbox.org", &d),
            ps.pseudonym(&Kind::Email, "ada@mailbox.org", &d)
        );
    }

    #[test]
    fn jwt_keeps_header_claim_names_and_numbers() {
        let (ps, d) = p();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let jwt = format!(
            "{}.{}.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
            b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            b64.encode(br#"{"sub":"user-4711","email":"ada@mailbox.org","exp":1893456000,"iss":"https://id.shop"}"#)
        );
        let p = ps.pseudonym(&Kind::Jwt, &jwt, &d);
        let parts: Vec<&str> = p.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], jwt.split('.').next().unwrap_or_default());
        let claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).expect("base64url")).expect("json");
        assert_eq!(claims["exp"], 1893456000);
        assert_eq!(claims["iss"], "https://id.shop");
        assert_eq!(
            claims["email"],
            ps.pseudonym(&Kind::Email, "ada@mailbox.org", &d)
        );
        assert_ne!(claims["sub"], "user-4711");
    }
}
