//! Detectors: which strings are personal data, and of what kind.
//!
//! Shape alone finds most of it (emails, Luhn-valid card numbers, mod-97-valid IBANs, JWTs,
//! API keys with their vendors' prefixes, phone numbers written like phone numbers). The rest
//! is only recognisable by where it sits: the value of a `password` field, of an
//! `Authorization` header or a cookie, a high-entropy value in a `token` query parameter. So
//! every string is examined together with its [`Context`], and the walkers in `walk.rs`
//! supply it. Each detector validates its candidates (checksums, lengths, boundaries)
//! because a scanner that cries wolf on every order number gets switched off.

use regex::Regex;

use crate::config::PrivacyConfig;

/// What a finding is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Email,
    Phone,
    Card,
    Iban,
    Jwt,
    BearerToken,
    ApiKey,
    /// A high-entropy value in a header or parameter whose name says it is a credential.
    Secret,
    Authorization,
    Cookie,
    SetCookie,
    Password,
    /// The value of a field named in `[privacy] fields`.
    Field,
    /// A `[[privacy.patterns]]` match, by its name.
    Pattern(String),
}

impl Kind {
    pub fn as_str(&self) -> String {
        match self {
            Self::Email => "email".into(),
            Self::Phone => "phone".into(),
            Self::Card => "card".into(),
            Self::Iban => "iban".into(),
            Self::Jwt => "jwt".into(),
            Self::BearerToken => "bearer-token".into(),
            Self::ApiKey => "api-key".into(),
            Self::Secret => "secret".into(),
            Self::Authorization => "authorization".into(),
            Self::Cookie => "cookie".into(),
            Self::SetCookie => "set-cookie".into(),
            Self::Password => "password".into(),
            Self::Field => "field".into(),
            Self::Pattern(n) => format!("pattern:{n}"),
        }
    }

    /// Kinds recognisable by their shape alone: their values are distinctive enough to be
    /// replaced wherever they occur, even inside other text.
    pub fn by_shape(&self) -> bool {
        matches!(
            self,
            Self::Email
                | Self::Phone
                | Self::Card
                | Self::Iban
                | Self::Jwt
                | Self::ApiKey
                | Self::BearerToken
                | Self::Pattern(_)
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

/// Where a string sits, as far as detection cares.
#[derive(Debug, Clone, Copy)]
pub enum Context<'a> {
    /// Free text: a body, a DOM line, a selector.
    Plain,
    /// The value of a JSON key, form field or query parameter with this name.
    Key(&'a str),
    /// The value of an HTTP header with this name.
    Header(&'a str),
    /// A HAR `cookies` item with this name (`true` in a response: a `Set-Cookie`).
    Cookie(&'a str, bool),
    /// The value typed by a recording's `change` step; `true` when its selectors say the
    /// field is a password field.
    Typed(bool),
}

/// One detected value.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    pub value: String,
}

/// Cookie values shorter than this cannot identify a person or authenticate a session
/// (`lang=en`, `theme=dark`); flagging them would bury the real findings.
const MIN_COOKIE_LEN: usize = 8;

/// Compiled detectors plus the allowlist.
pub struct Detector {
    email: Regex,
    phone: Regex,
    card: Regex,
    iban: Regex,
    jwt: Regex,
    api_key: Regex,
    bearer: Regex,
    custom: Vec<(String, Regex)>,
    fields: Vec<String>,
    allow: Vec<String>,
    allow_patterns: Vec<Regex>,
}

fn re(p: &str) -> Regex {
    // The built-in patterns are constants covered by the unit tests below.
    Regex::new(p).unwrap_or_else(|e| panic!("built-in pattern `{p}`: {e}"))
}

impl Detector {
    /// Compiles the detectors; a bad `[privacy]` regex is reported with its key.
    pub fn new(cfg: &PrivacyConfig) -> Result<Self, String> {
        let mut custom = Vec::new();
        for p in &cfg.patterns {
            let r = Regex::new(&p.pattern)
                .map_err(|e| format!("`privacy.patterns` `{}`: {e}", p.name))?;
            custom.push((p.name.clone(), r));
        }
        let mut allow_patterns = Vec::new();
        for p in &cfg.allow_patterns {
            let anchored = format!("^(?:{p})$");
            allow_patterns.push(
                Regex::new(&anchored)
                    .map_err(|e| format!("`privacy.allow_patterns` `{p}`: {e}"))?,
            );
        }
        Ok(Self {
            email: re(r"[A-Za-z0-9._%+\-]{1,64}@(?:[A-Za-z0-9\-]{1,63}\.)+[A-Za-z]{2,24}"),
            phone: re(concat!(
                r"\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,6}",
                r"|\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}",
                r"|0\d(?:[ .]\d{2}){4}|0\d{4} \d{6}"
            )),
            card: re(r"\d(?:[ \-]?\d){12,18}"),
            iban: re(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"),
            jwt: re(r"eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"),
            api_key: re(concat!(
                r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|gh[opsur]_[0-9A-Za-z]{36}",
                r"|github_pat_[0-9A-Za-z_]{40,}|AKIA[0-9A-Z]{16}|xox[abprs]-[0-9A-Za-z\-]{10,}",
                r"|AIza[0-9A-Za-z_\-]{35}|glpat-[0-9A-Za-z_\-]{20,}",
                r"|SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}|sk-(?:proj-)?[0-9A-Za-z_\-]{32,}",
                r"|npm_[0-9A-Za-z]{36}"
            )),
            bearer: re(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)"),
            custom,
            fields: cfg.fields.iter().map(|f| f.to_ascii_lowercase()).collect(),
            allow: cfg.allow.clone(),
            allow_patterns,
        })
    }

    /// Every personal value in `text`, given where it sits.
    pub fn detect(&self, text: &str, ctx: Context<'_>, out: &mut Vec<Hit>) {
        if text.is_empty() {
            return;
        }
        let before = out.len();
        let mut plain = true;
        match ctx {
            Context::Plain => {}
            Context::Header(name) => plain = self.header(name, text, out),
            Context::Cookie(_, set) => {
                if text.len() >= MIN_COOKIE_LEN {
                    let kind = if set { Kind::SetCookie } else { Kind::Cookie };
                    push(out, kind, text);
                    plain = false;
                }
            }
            Context::Key(name) => self.key(name, text, out),
            Context::Typed(password) => {
                if password {
                    push(out, Kind::Password, text);
                    plain = false;
                }
            }
        }
        if plain {
            self.shapes(text, out);
        }
        dedupe(out, before);
    }

    /// Header values; `false` when the whole value is accounted for.
    fn header(&self, name: &str, value: &str, out: &mut Vec<Hit>) -> bool {
        let lname = name.to_ascii_lowercase();
        match lname.as_str() {
            "authorization" | "proxy-authorization" => {
                let (scheme, cred) = value.split_once(' ').unwrap_or(("", value));
                let cred = cred.trim();
                if cred.is_empty() {
                    return true;
                }
                let kind = if self.jwt.is_match(cred) {
                    Kind::Jwt
                } else if scheme.eq_ignore_ascii_case("bearer") {
                    Kind::BearerToken
                } else {
                    Kind::Authorization
                };
                push(out, kind, cred);
                false
            }
            "cookie" => {
                for pair in value.split(';') {
                    if let Some((_, v)) = pair.trim().split_once('=') {
                        if v.len() >= MIN_COOKIE_LEN {
                            push(out, Kind::Cookie, v);
                        }
                    }
                }
                false
            }
            "set-cookie" => {
                let first = value.split(';').next().unwrap_or("");
                if let Some((_, v)) = first.trim().split_once('=') {
                    if v.len() >= MIN_COOKIE_LEN {
                        push(out, Kind::SetCookie, v);
                    }
                }
                false
            }
            _ if credential_name(&lname) && high_entropy(value) => {
                self.secret(value, out);
                false
            }
            _ => true,
        }
    }

    fn key(&self, name: &str, value: &str, out: &mut Vec<Hit>) {
        let lname = name.to_ascii_lowercase();
        if password_name(&lname) {
            push(out, Kind::Password, value);
        } else if self.fields.contains(&lname) {
            if value.chars().count() >= 2 {
                push(out, Kind::Field, value);
            }
        } else if credential_name(&lname) && high_entropy(value) {
            self.secret(value, out);
        } else if phone_name(&lname) {
            let digits = value.bytes().filter(u8::is_ascii_digit).count();
            let phone_chars = value
                .bytes()
                .all(|b| b.is_ascii_digit() || b" +-.()/".contains(&b));
            if (7..=15).contains(&digits) && phone_chars {
                push(out, Kind::Phone, value);
            }
        }
    }

    /// A credential by its name: a JWT or a vendor's key when it has their shape, else a
    /// generic secret.
    fn secret(&self, value: &str, out: &mut Vec<Hit>) {
        let before = out.len();
        self.shapes(value, out);
        if !out[before..].iter().any(|h| h.value == value) {
            out.truncate(before);
            push(out, Kind::Secret, value);
        }
    }

    /// Shape-based detectors, run on every string.
    fn shapes(&self, text: &str, out: &mut Vec<Hit>) {
        if text.len() < 6 {
            return;
        }
        let bytes = text.as_bytes();
        if memchr(b'@', bytes) {
            for m in self.email.find_iter(text) {
                if bounded(bytes, m.start(), m.end(), b"._%+-")
                    && !file_like(m.as_str())
                    && !m.as_str().starts_with('.')
                {
                    push(out, Kind::Email, m.as_str());
                }
            }
        }
        if text.contains("eyJ") {
            for m in self.jwt.find_iter(text) {
                if bounded(bytes, m.start(), m.end(), b"_-.") {
                    push(out, Kind::Jwt, m.as_str());
                }
            }
        }
        for m in self.api_key.find_iter(text) {
            if bounded(bytes, m.start(), m.end(), b"_-") {
                push(out, Kind::ApiKey, m.as_str());
            }
        }
        if text.len() >= 15 && contains_ci(bytes, b"bearer") {
            for c in self.bearer.captures_iter(text) {
                if let Some(m) = c.get(1) {
                    let kind = if self.jwt.is_match(m.as_str()) {
                        Kind::Jwt
                    } else {
                        Kind::BearerToken
                    };
                    push(out, kind, m.as_str());
                }
            }
        }
        let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
        if digits >= 8 {
            for m in self.card.find_iter(text) {
                if bounded(bytes, m.start(), m.end(), b"-/_") && card_like(m.as_str()) {
                    push(out, Kind::Card, m.as_str());
                }
            }
            for m in self.iban.find_iter(text) {
                if bounded(bytes, m.start(), m.end(), b"-_") && iban_valid(m.as_str()) {
                    push(out, Kind::Iban, m.as_str());
                }
            }
            for m in self.phone.find_iter(text) {
                let s = m.as_str();
                let n = s.bytes().filter(u8::is_ascii_digit).count();
                if (8..=15).contains(&n)
                    && bounded(bytes, m.start(), m.end(), b"+-/:_")
                    && (m.start() == 0 || bytes[m.start() - 1] != b'.')
                    && !out
                        .iter()
                        .any(|h| h.kind == Kind::Card && h.value.contains(s))
                {
                    push(out, Kind::Phone, s.trim_end());
                }
            }
        }
        for (name, r) in &self.custom {
            for m in r.find_iter(text) {
                if !m.as_str().is_empty() {
                    push(out, Kind::Pattern(name.clone()), m.as_str());
                }
            }
        }
    }

    /// Known test data: listed in `[privacy] allow` or `allow_patterns`, an email on a
    /// domain reserved for documentation and tests (RFC 2606, RFC 6761), or a card number
    /// the payment providers publish for testing.
    pub fn allowed(&self, hit: &Hit) -> bool {
        if self.allow.contains(&hit.value)
            || self.allow_patterns.iter().any(|r| r.is_match(&hit.value))
        {
            return true;
        }
        match hit.kind {
            Kind::Email => reserved_email(&hit.value),
            Kind::Card => TEST_CARDS.contains(&digits_of(&hit.value).as_str()),
            _ => false,
        }
    }

    /// Whether `s` is a JWT (used when pseudonymizing nested claims).
    pub fn is_jwt(&self, s: &str) -> bool {
        self.jwt.find(s).is_some_and(|m| m.as_str() == s)
    }

    /// Whether `s` is wholly an email address.
    pub fn is_email(&self, s: &str) -> bool {
        self.email.find(s).is_some_and(|m| m.as_str() == s)
    }

    /// The custom pattern named `name`, to keep a pseudonym matching it.
    pub fn custom(&self, name: &str) -> Option<&Regex> {
        self.custom.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }
}

/// Published test card numbers (Stripe, Adyen, Braintree documentation).
const TEST_CARDS: &[&str] = &[
    "4242424242424242",
    "4000056655665556",
    "4111111111111111",
    "4012888888881881",
    "5555555555554444",
    "5105105105105100",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "3056930009020004",
    "36227206271667",
    "3566002020360505",
    "6200000000000005",
];

fn push(out: &mut Vec<Hit>, kind: Kind, value: &str) {
    out.push(Hit {
        kind,
        value: value.to_string(),
    });
}

/// One hit per value: the first detector to claim a value names its kind (context before
/// shape, JWT before bearer).
fn dedupe(out: &mut Vec<Hit>, from: usize) {
    let mut i = from;
    while i < out.len() {
        if out[from..i].iter().any(|h| h.value == out[i].value) {
            out.remove(i);
        } else {
            i += 1;
        }
    }
}

fn memchr(needle: u8, hay: &[u8]) -> bool {
    hay.contains(&needle)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The match is not part of a longer token: the characters around it are neither
/// alphanumeric nor one of `joiners`.
fn bounded(text: &[u8], start: usize, end: usize, joiners: &[u8]) -> bool {
    let ok = |b: u8| !b.is_ascii_alphanumeric() && !joiners.contains(&b);
    (start == 0 || ok(text[start - 1])) && (end >= text.len() || ok(text[end]))
}

/// `logo@2x.png` is an asset name, not an address.
fn file_like(email: &str) -> bool {
    let tld = email.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    matches!(
        tld.as_str(),
        "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "svg"
            | "webp"
            | "avif"
            | "ico"
            | "css"
            | "js"
            | "mjs"
            | "map"
            | "json"
            | "html"
            | "woff"
            | "woff2"
            | "ttf"
    )
}

/// Domains reserved for documentation and testing: never a real person's mailbox.
pub fn reserved_email(email: &str) -> bool {
    let domain = email
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_ascii_lowercase();
    let reserved_tld = ["test", "example", "invalid", "localhost", "local"];
    matches!(
        domain.as_str(),
        "example.com" | "example.org" | "example.net"
    ) || [".example.com", ".example.org", ".example.net"]
        .iter()
        .any(|s| domain.ends_with(s))
        || reserved_tld
            .iter()
            .any(|t| domain.rsplit('.').next() == Some(t))
}

pub fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Luhn-valid, the length and leading digits of a card brand, and separators (if any) that
/// group digits the way cards are printed.
fn card_like(s: &str) -> bool {
    let digits = digits_of(s);
    let n = digits.len();
    if !(13..=19).contains(&n) || !luhn_valid(&digits) {
        return false;
    }
    let seps: Vec<char> = s.chars().filter(|c| !c.is_ascii_digit()).collect();
    if !seps.is_empty() {
        if seps.iter().any(|c| *c != seps[0]) {
            return false;
        }
        if s.split(seps[0]).any(|g| g.len() < 3) {
            return false;
        }
    }
    // The same digit over and over is a placeholder, not a card.
    if digits.bytes().all(|b| b == digits.as_bytes()[0]) {
        return false;
    }
    let p2: u32 = digits[..2].parse().unwrap_or(0);
    let p4: u32 = digits[..4].parse().unwrap_or(0);
    match digits.as_bytes()[0] {
        b'4' => matches!(n, 13 | 16 | 19),
        b'5' => (51..=55).contains(&p2) && n == 16,
        b'2' => (2221..=2720).contains(&p4) && n == 16,
        b'3' => {
            (matches!(p2, 34 | 37) && n == 15)
                || (matches!(p2, 36 | 38 | 30) && n == 14)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&n))
        }
        b'6' => (p4 == 6011 || p2 == 65 || p2 == 62 || (644..=649).contains(&(p4 / 10))) && n >= 16,
        _ => false,
    }
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// The ISO 7064 mod-97 remainder of an IBAN rearranged for checking.
pub fn iban_mod97(compact: &str) -> u32 {
    let (head, rest) = compact.split_at(4.min(compact.len()));
    let mut r: u32 = 0;
    for c in rest.chars().chain(head.chars()) {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return u32::MAX,
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r
}

fn iban_valid(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| *c != ' ').collect();
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| compact.starts_with(c)) else {
        return false;
    };
    compact.len() == len && iban_mod97(&compact) == 1
}

fn password_name(n: &str) -> bool {
    ["password", "passwd", "passcode", "passphrase"]
        .iter()
        .any(|p| n.contains(p))
        || matches!(n, "pass" | "pwd" | "pin")
}

fn credential_name(n: &str) -> bool {
    [
        "token",
        "secret",
        "api-key",
        "apikey",
        "api_key",
        "access_key",
        "access-key",
        "signature",
        "session",
        "auth",
        "csrf",
        "xsrf",
    ]
    .iter()
    .any(|p| n.contains(p))
        || matches!(n, "key" | "sig" | "sid" | "code" | "x-amz-credential")
}

fn phone_name(n: &str) -> bool {
    ["phone", "mobile", "msisdn", "fax"]
        .iter()
        .any(|p| n.contains(p))
        || matches!(n, "tel" | "telephone")
}

/// Long, made of token characters, and close to random: a credential, not a word.
pub fn high_entropy(v: &str) -> bool {
    if v.len() < 16
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_.~-".contains(&b))
    {
        return false;
    }
    let classes = [
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    let mut counts = [0u32; 256];
    for b in v.bytes() {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum();
    classes >= 2 && entropy >= 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, ctx: Context<'_>) -> Vec<(String, String)> {
        let d = Detector::new(&PrivacyConfig::default()).expect("detector");
        let mut out = Vec::new();
        d.detect(text, ctx, &mut out);
        out.into_iter()
            .map(|h| (h.kind.as_str(), h.value))
            .collect()
    }

    #[test]
    fn finds_shapes_with_validation() {
        let k = kinds(
            "mail ada.lovelace@mailbox.org, card 4000 0566 5566 5556, iban FR76 3000 6000 0112 3456 7890 189, call +33 6 12 34 56 78",
            Context::Plain,
        );
        let names: Vec<&str> = k.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["email", "card", "iban", "phone"], "{k:?}");
        // Not Luhn-valid, a timestamp, a date, an order number, an asset name.
        assert!(kinds(
            "4000 0566 5566 5557 at 1710409625000 on 2026-03-14 order RC-260314-1042 logo@2x.png",
            Context::Plain
        )
        .is_empty());
    }

    #[test]
    fn context_finds_what_shape_cannot() {
        assert_eq!(
            kinds("hunter2", Context::Key("new_password"))[0].0,
            "password"
        );
        assert_eq!(
            kinds("Bearer abcdefgh12", Context::Header("Authorization"))[0].0,
            "bearer-token"
        );
        assert_eq!(
            kinds("sid=Zx81kQ0aPq; lang=en", Context::Header("cookie")),
            vec![("cookie".to_string(), "Zx81kQ0aPq".to_string())]
        );
        assert_eq!(
            kinds("q8Hf2kLm9Zp4Rt7Wx1Yv", Context::Key("access_token"))[0].0,
            "secret"
        );
        assert!(kinds("light-mode", Context::Key("theme")).is_empty());
        assert_eq!(kinds("0612345678", Context::Key("phone"))[0].0, "phone");
    }

    #[test]
    fn test_data_is_allowed() {
        let d = Detector::new(&PrivacyConfig::default()).expect("detector");
        let hit = |kind, v: &str| Hit {
            kind,
            value: v.into(),
        };
        assert!(d.allowed(&hit(Kind::Email, "grace@example.com")));
        assert!(d.allowed(&hit(Kind::Email, "qa@shop.test")));
        assert!(!d.allowed(&hit(Kind::Email, "ada@mailbox.org")));
        assert!(d.allowed(&hit(Kind::Card, "4242 4242 4242 4242")));
    }
}
