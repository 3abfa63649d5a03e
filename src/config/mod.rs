//! `reprise.toml`: the suite's configuration. Every key has a default, so a suite without the
//! file still runs once the build under test is given on the command line.

pub mod collect;
pub mod selector;
pub mod validate;

use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "reprise.toml";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub app: AppConfig,
    pub compare: CompareConfig,
    pub normalize: NormalizeConfig,
    pub run: RunConfig,
    /// Personal data: what `reprise scan` looks for besides the built-in kinds, what it
    /// tolerates, and which elements are masked at capture time.
    pub privacy: PrivacyConfig,
    /// The collector and the session store (`reprise collect`, `reprise sessions`).
    pub collect: collect::CollectConfig,
    /// Settings for some sessions only, chosen by name glob or tag, applied in order.
    #[serde(rename = "override")]
    pub overrides: Vec<Override>,
}

/// `[[override]]`: settings for the sessions whose name matches one of `sessions` (globs with
/// `*` and `?`) or that carry one of `tags`. Compare settings replace the suite's; normalize
/// rules are added after the suite's; `min_fidelity` and `fail_on_flaky` replace them.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Override {
    pub sessions: Vec<String>,
    pub tags: Vec<String>,
    pub compare: Option<CompareOverride>,
    pub normalize: NormalizeConfig,
    pub min_fidelity: Option<f64>,
    pub fail_on_flaky: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CompareOverride {
    pub threshold: Option<f64>,
    pub max_diff_pixels: Option<u64>,
    pub max_diff_ratio: Option<f64>,
    pub include_antialiasing: Option<bool>,
    pub ignore_invisible_class_changes: Option<bool>,
}

/// The settings that apply to one session, after overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSettings {
    pub compare: CompareConfig,
    pub normalize: NormalizeConfig,
    pub min_fidelity: f64,
    pub fail_on_flaky: bool,
}

/// Matches a session name against a glob: `*` any run of characters, `?` one character.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Override {
    fn applies(&self, session: &str, tags: &[String]) -> bool {
        self.sessions.iter().any(|g| glob_match(g, session))
            || self.tags.iter().any(|t| tags.contains(t))
    }
}

impl Config {
    /// The settings for one session: the suite's, then every matching override in order.
    pub fn for_session(&self, session: &str, tags: &[String]) -> SessionSettings {
        let mut normalize = self.normalize.clone();
        // Private selectors are masks like any other: the DOM text is replaced and the
        // screenshot painted over at capture time, so no baseline ever holds what they show.
        for sel in &self.privacy.selectors {
            if !normalize.mask.contains(sel) {
                normalize.mask.push(sel.clone());
            }
        }
        let mut s = SessionSettings {
            compare: self.compare.clone(),
            normalize,
            min_fidelity: self.run.min_fidelity,
            fail_on_flaky: self.run.fail_on_flaky,
        };
        for o in self.overrides.iter().filter(|o| o.applies(session, tags)) {
            if let Some(c) = &o.compare {
                s.compare.threshold = c.threshold.unwrap_or(s.compare.threshold);
                s.compare.max_diff_pixels = c.max_diff_pixels.unwrap_or(s.compare.max_diff_pixels);
                s.compare.max_diff_ratio = c.max_diff_ratio.unwrap_or(s.compare.max_diff_ratio);
                s.compare.include_antialiasing = c
                    .include_antialiasing
                    .unwrap_or(s.compare.include_antialiasing);
                s.compare.ignore_invisible_class_changes = c
                    .ignore_invisible_class_changes
                    .unwrap_or(s.compare.ignore_invisible_class_changes);
            }
            s.normalize
                .replace
                .extend(o.normalize.replace.iter().cloned());
            s.normalize
                .drop_attributes
                .extend(o.normalize.drop_attributes.iter().cloned());
            s.normalize.mask.extend(o.normalize.mask.iter().cloned());
            s.min_fidelity = o.min_fidelity.unwrap_or(s.min_fidelity);
            s.fail_on_flaky = o.fail_on_flaky.unwrap_or(s.fail_on_flaky);
        }
        s
    }
}

/// The build under test.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AppConfig {
    /// A folder served at the recorded app origin.
    pub dir: Option<PathBuf>,
    /// A running server the app's assets are taken from.
    pub url: Option<String>,
    /// Started before the run and stopped after it (with `url`).
    pub command: Option<String>,
    /// The app origin, when the first navigation of a recording is not on it.
    pub origin: Option<String>,
}

/// When a screenshot counts as matching its baseline.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CompareConfig {
    /// Per-pixel colour distance (YIQ, as pixelmatch): 0 exact, 1 anything goes.
    pub threshold: f64,
    /// Differing pixels tolerated.
    pub max_diff_pixels: u64,
    /// Differing pixels tolerated, as a ratio of all pixels.
    pub max_diff_ratio: f64,
    /// Count anti-aliased pixels as differences.
    pub include_antialiasing: bool,
    /// What a baseline made in another environment (browser major version, platform, fonts)
    /// does: `warn` compares anyway with a note, `error` refuses the comparison.
    pub environment: EnvironmentPolicy,
    /// A DOM that differs only in `class` attributes while the screenshot matches is not a
    /// change (renamed or added classes nothing styles).
    pub ignore_invisible_class_changes: bool,
    /// The most pixels a screenshot or baseline may have; a larger one is refused before
    /// it is decoded (a few hundred bytes of PNG can declare gigabytes).
    pub max_image_pixels: u64,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentPolicy {
    #[default]
    Warn,
    Error,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            threshold: 0.1,
            max_diff_pixels: 0,
            max_diff_ratio: 0.0,
            include_antialiasing: false,
            environment: EnvironmentPolicy::Warn,
            ignore_invisible_class_changes: true,
            max_image_pixels: crate::compare::limits::DEFAULT_MAX_IMAGE_PIXELS,
        }
    }
}

/// Ordered rules applied to the DOM text before it is compared or stored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NormalizeConfig {
    pub replace: Vec<ReplaceRule>,
    pub drop_attributes: Vec<String>,
    /// CSS selectors masked in the DOM (content replaced) and the screenshot (painted box).
    pub mask: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceRule {
    pub pattern: String,
    pub replacement: String,
}

/// `[privacy]`: personal data in recordings, HARs and snapshots (see `crate::privacy`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// CSS selectors of elements that show personal data: masked in DOM snapshots and
    /// painted over in screenshots when they are captured.
    pub selectors: Vec<String>,
    /// Site-specific personal data (customer ids, member numbers), found by regex.
    pub patterns: Vec<PrivacyPattern>,
    /// JSON keys, form fields and query parameters whose values are personal whatever
    /// they look like (`fullName`, `address`).
    pub fields: Vec<String>,
    /// Known test data that is never a finding (exact values).
    pub allow: Vec<String>,
    /// Known test data that is never a finding (regexes matched against the whole value).
    pub allow_patterns: Vec<String>,
}

/// One `[[privacy.patterns]]` entry; `name` becomes the finding's kind (`pattern:NAME`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrivacyPattern {
    pub name: String,
    pub pattern: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Default time a step waits for its target, when the recording does not say.
    pub step_timeout_ms: u64,
    /// Sessions below this fidelity fail the run even when every checkpoint matched.
    pub min_fidelity: f64,
    /// Times a changed session is replayed again to tell a real change from a flaky one.
    pub flake_retries: u32,
    /// Whether a `flaky` session fails the run.
    pub fail_on_flaky: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            step_timeout_ms: 5_000,
            min_fidelity: 0.0,
            flake_retries: 1,
            fail_on_flaky: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid config `{}`: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

use validate::excerpt;

/// A parser's message, which may quote a whole (huge) line of the file, cut to a few lines.
fn cut(message: &str) -> String {
    const MAX: usize = 600;
    if message.len() <= MAX {
        return message.to_string();
    }
    let mut end = MAX;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &message[..end], message.len())
}

impl Config {
    /// Reads `reprise.toml` from the suite folder; a missing file is the default config.
    pub fn load(suite: &Path) -> Result<Self, ConfigError> {
        let path = suite.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(ConfigError {
                    path,
                    message: e.to_string(),
                })
            }
        };
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError {
            path: path.clone(),
            message: cut(e.to_string().trim()).replace('\n', " "),
        })?;
        let override_rules = config
            .overrides
            .iter()
            .flat_map(|o| o.normalize.replace.iter());
        for rule in config.normalize.replace.iter().chain(override_rules) {
            regex::Regex::new(&rule.pattern).map_err(|e| ConfigError {
                path: path.clone(),
                message: format!(
                    "`normalize.replace` pattern {}: {}",
                    excerpt(&rule.pattern),
                    cut(&e.to_string())
                ),
            })?;
        }
        for p in &config.privacy.patterns {
            if p.name.trim().is_empty() {
                return Err(ConfigError {
                    path: path.clone(),
                    message: format!(
                        "`privacy.patterns` entry {} has an empty `name`",
                        excerpt(&p.pattern)
                    ),
                });
            }
            regex::Regex::new(&p.pattern).map_err(|e| ConfigError {
                path: path.clone(),
                message: format!(
                    "`privacy.patterns` {} pattern {}: {}",
                    excerpt(&p.name),
                    excerpt(&p.pattern),
                    cut(&e.to_string())
                ),
            })?;
        }
        for pattern in &config.privacy.allow_patterns {
            regex::Regex::new(pattern).map_err(|e| ConfigError {
                path: path.clone(),
                message: format!(
                    "`privacy.allow_patterns` pattern {}: {}",
                    excerpt(pattern),
                    cut(&e.to_string())
                ),
            })?;
        }
        // Ranges and selectors: a value outside them would pass regressions or mask nothing.
        let problems = validate::config(&config);
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(ConfigError {
                path,
                message: lines.join("\n  "),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Config::load(dir.path()).expect("loads"), Config::default());
    }

    #[test]
    fn unknown_keys_and_bad_regexes_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(CONFIG_FILE), "[app]\ndri = \"demo\"\n").expect("write");
        let e = Config::load(dir.path()).expect_err("typo");
        assert!(e.to_string().contains("dri"), "{e}");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[[normalize.replace]]\npattern = \"(\"\nreplacement = \"\"\n",
        )
        .expect("write");
        assert!(Config::load(dir.path()).is_err());
    }

    #[test]
    fn overrides_apply_by_glob_and_tag_in_order() {
        let c: Config = toml::from_str(
            r#"
[compare]
max_diff_pixels = 5
[normalize]
drop_attributes = ["data-a"]
[[override]]
sessions = ["check*"]
compare = { max_diff_pixels = 50 }
normalize = { mask = [".ad"] }
min_fidelity = 0.9
[[override]]
tags = ["visual"]
compare = { threshold = 0.3 }
"#,
        )
        .expect("parses");
        let s = c.for_session("checkout", &[]);
        assert_eq!(s.compare.max_diff_pixels, 50);
        assert_eq!(s.normalize.drop_attributes, vec!["data-a".to_string()]);
        assert_eq!(s.normalize.mask, vec![".ad".to_string()]);
        assert_eq!(s.min_fidelity, 0.9);
        let s = c.for_session("browse", &["visual".into()]);
        assert_eq!((s.compare.threshold, s.compare.max_diff_pixels), (0.3, 5));
        assert_eq!(c.for_session("browse", &[]), c.for_session("other", &[]));
        assert!(glob_match("a*c?", "abbbcd") && !glob_match("a*c", "abd") && glob_match("*", ""));
    }

    #[test]
    fn private_selectors_become_masks_of_every_session() {
        let c: Config = toml::from_str(
            r#"
[normalize]
mask = [".ad"]
[privacy]
selectors = [".account", ".ad"]
allow = ["qa@acme.dev"]
patterns = [{ name = "customer-id", pattern = "CUST-\\d{6}" }]
[[override]]
sessions = ["checkout"]
normalize = { mask = [".promo"] }
"#,
        )
        .expect("parses");
        assert_eq!(
            c.for_session("checkout", &[]).normalize.mask,
            vec![".ad".to_string(), ".account".into(), ".promo".into()]
        );
        assert_eq!(
            c.for_session("browse", &[]).normalize.mask,
            vec![".ad".to_string(), ".account".into()]
        );
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[[privacy.patterns]]\nname = \"x\"\npattern = \"(\"\n",
        )
        .expect("write");
        let e = Config::load(dir.path()).expect_err("bad regex");
        assert!(e.to_string().contains("privacy.patterns"), "{e}");
        std::fs::write(dir.path().join(CONFIG_FILE), "[privacy]\nselector = []\n").expect("write");
        assert!(Config::load(dir.path()).is_err(), "typos are errors");
    }

    #[test]
    fn reads_app_and_thresholds() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[app]\ndir = \"demo\"\n[compare]\nmax_diff_pixels = 5\n",
        )
        .expect("write");
        let c = Config::load(dir.path()).expect("loads");
        assert_eq!(c.app.dir.as_deref(), Some(Path::new("demo")));
        assert_eq!(c.compare.max_diff_pixels, 5);
        assert_eq!(c.compare.threshold, 0.1);
    }
}
