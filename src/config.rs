//! `reprise.toml`: the suite's configuration. Every key has a default, so a suite without the
//! file still runs once the build under test is given on the command line.

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
            message: e.to_string().trim().replace('\n', " "),
        })?;
        for rule in &config.normalize.replace {
            regex::Regex::new(&rule.pattern).map_err(|e| ConfigError {
                path: path.clone(),
                message: format!("`normalize.replace` pattern `{}`: {e}", rule.pattern),
            })?;
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
