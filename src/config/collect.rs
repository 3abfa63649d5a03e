//! `[collect]`: the collector (`reprise collect`) and the session store (`reprise sessions`).
//! Every value is checked when the file is loaded, so a typo in an origin or a retention of
//! zero days stops the collector before it accepts (or throws away) a single session.

use serde::Deserialize;

/// One problem: the key and what is wrong (`validate` turns it into its `Problem`; this file
/// does not import `validate`, which imports it).
pub struct Issue {
    pub key: String,
    pub message: String,
}
use Issue as Problem;

fn excerpt(value: &str) -> String {
    format!("`{}`", crate::excerpt::excerpt(value))
}

/// Shortest token accepted: the write token is public (it sits in the page), but the read
/// token guards every captured session and must not be guessable.
pub const MIN_TOKEN_LEN: usize = 16;
pub const MAX_RETAIN_DAYS: u64 = 3650;
pub const MIN_IDLE_TIMEOUT_SECS: u64 = 1;
pub const MAX_IDLE_TIMEOUT_SECS: u64 = 86_400;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CollectConfig {
    /// Token the snippet sends; can only add batches. `REPRISE_WRITE_TOKEN` overrides it.
    pub write_token: Option<String>,
    /// Token `reprise sessions` needs to read, export or delete. `REPRISE_READ_TOKEN`
    /// overrides it.
    pub read_token: Option<String>,
    /// Origins (`https://staging.example.com`) whose pages may post batches (CORS).
    pub allow_origins: Vec<String>,
    /// Sessions last seen longer ago than this are deleted by the collector.
    pub retain_days: u64,
    /// A session with no batch for this long is closed.
    pub idle_timeout_secs: u64,
    /// A folder (SQLite and blobs) or `postgres://…`; default `.reprise/sessions`.
    pub store: Option<String>,
}

impl Default for CollectConfig {
    fn default() -> Self {
        Self {
            write_token: None,
            read_token: None,
            allow_origins: Vec::new(),
            retain_days: 30,
            idle_timeout_secs: 1800,
            store: None,
        }
    }
}

/// Whether a token is acceptable: long enough, printable ASCII without spaces (it travels
/// in a header and a query string).
pub fn token_problem(token: &str) -> Option<String> {
    if token.len() < MIN_TOKEN_LEN {
        return Some(format!(
            "is {} characters long: use at least {MIN_TOKEN_LEN} (e.g. `openssl rand -hex 16`)",
            token.len()
        ));
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'&' && b != b'#')
    {
        return Some("must be printable ASCII without spaces, `&` or `#`".into());
    }
    None
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing after.
pub fn origin_problem(origin: &str) -> Option<String> {
    let Ok(u) = url::Url::parse(origin) else {
        return Some("is not a URL".into());
    };
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Some("must be an http or https origin".into());
    }
    if u.path() != "/" || u.query().is_some() || origin.ends_with('/') {
        return Some("must be an origin only, without a path or a trailing `/`".into());
    }
    None
}

pub fn validate(c: &CollectConfig, out: &mut Vec<Problem>) {
    for (key, t) in [
        ("collect.write_token", &c.write_token),
        ("collect.read_token", &c.read_token),
    ] {
        if let Some(why) = t.as_deref().and_then(token_problem) {
            out.push(Problem {
                key: key.into(),
                message: why,
            });
        }
    }
    if let (Some(w), Some(r)) = (&c.write_token, &c.read_token) {
        if w == r {
            out.push(Problem {
                key: "collect.read_token".into(),
                message: "equals the write token: the write token is public (it is in the page), so the read token must differ".into(),
            });
        }
    }
    for (i, o) in c.allow_origins.iter().enumerate() {
        if let Some(why) = origin_problem(o) {
            out.push(Problem {
                key: format!("collect.allow_origins[{}]", i + 1),
                message: format!(
                    "= {} {why} (like `https://staging.example.com`)",
                    excerpt(o)
                ),
            });
        }
    }
    if !(1..=MAX_RETAIN_DAYS).contains(&c.retain_days) {
        out.push(Problem {
            key: "collect.retain_days".into(),
            message: format!(
                "= {} is out of range: between 1 and {MAX_RETAIN_DAYS} days",
                c.retain_days
            ),
        });
    }
    if !(MIN_IDLE_TIMEOUT_SECS..=MAX_IDLE_TIMEOUT_SECS).contains(&c.idle_timeout_secs) {
        out.push(Problem {
            key: "collect.idle_timeout_secs".into(),
            message: format!(
                "= {} is out of range: between {MIN_IDLE_TIMEOUT_SECS} and {MAX_IDLE_TIMEOUT_SECS} seconds",
                c.idle_timeout_secs
            ),
        });
    }
    if c.store.as_deref().is_some_and(|s| s.trim().is_empty()) {
        out.push(Problem {
            key: "collect.store".into(),
            message: "is empty: name a folder or a `postgres://` URL".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_section_is_checked() {
        let c: CollectConfig = toml::from_str(
            "write_token = \"short\"\nallow_origins = [\"https://ok.example\", \"https://x.example/\", \"ftp://a\"]\nretain_days = 0\nidle_timeout_secs = 5",
        )
        .unwrap();
        let mut p = Vec::new();
        validate(&c, &mut p);
        let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "collect.write_token",
                "collect.allow_origins[2]",
                "collect.allow_origins[3]",
                "collect.retain_days"
            ]
        );
        let mut p = Vec::new();
        validate(&CollectConfig::default(), &mut p);
        assert!(p.is_empty());
    }
}
