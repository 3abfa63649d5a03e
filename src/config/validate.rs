//! Checks that run before anything replays: a configuration value out of its range or a
//! selector the browser would throw on must stop the run with the key, the value and what is
//! allowed, never pass silently (a threshold of 5 lets every colour change through; a mask
//! that throws masks nothing).

use super::selector;
use super::{CompareOverride, Config};

/// One problem in a configuration: the key (`compare.threshold`, `override[2].min_fidelity`),
/// what is wrong with the value and what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.key, self.message)
    }
}

/// A value as messages quote it: in backticks, cut by [`crate::excerpt`] when long.
pub fn excerpt(value: &str) -> String {
    format!("`{}`", crate::excerpt::excerpt(value))
}

/// Every problem of a parsed configuration, in file order; empty when it is sound.
pub fn config(c: &Config) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut unit = |key: String, v: f64, what: &str| {
        if !(0.0..=1.0).contains(&v) {
            out.push(Problem {
                key,
                message: format!("= {v} is out of range: {what} must be between 0 and 1"),
            });
        }
    };
    unit(
        "compare.threshold".into(),
        c.compare.threshold,
        "the per-pixel colour distance (0 exact, 1 anything goes)",
    );
    unit(
        "compare.max_diff_ratio".into(),
        c.compare.max_diff_ratio,
        "the ratio of pixels that may differ",
    );
    unit(
        "run.min_fidelity".into(),
        c.run.min_fidelity,
        "a fidelity floor (fidelity is in [0, 1])",
    );
    for (i, o) in c.overrides.iter().enumerate() {
        let at = format!("override[{}]", i + 1);
        if let Some(CompareOverride {
            threshold,
            max_diff_ratio,
            ..
        }) = &o.compare
        {
            if let Some(t) = threshold {
                unit(
                    format!("{at}.compare.threshold"),
                    *t,
                    "the per-pixel colour distance (0 exact, 1 anything goes)",
                );
            }
            if let Some(r) = max_diff_ratio {
                unit(
                    format!("{at}.compare.max_diff_ratio"),
                    *r,
                    "the ratio of pixels that may differ",
                );
            }
        }
        if let Some(f) = o.min_fidelity {
            unit(
                format!("{at}.min_fidelity"),
                f,
                "a fidelity floor (fidelity is in [0, 1])",
            );
        }
    }
    let mut range = |key: &str, v: u64, lo: u64, hi: u64, what: &str| {
        if !(lo..=hi).contains(&v) {
            out.push(Problem {
                key: key.into(),
                message: format!("= {v} is out of range: {what} must be between {lo} and {hi}"),
            });
        }
    };
    range(
        "run.step_timeout_ms",
        c.run.step_timeout_ms,
        MIN_STEP_TIMEOUT_MS,
        MAX_STEP_TIMEOUT_MS,
        "a step's timeout in milliseconds",
    );
    range(
        "run.flake_retries",
        u64::from(c.run.flake_retries),
        0,
        MAX_FLAKE_RETRIES,
        "the replays of a changed session",
    );
    let mut collect = Vec::new();
    super::collect::validate(&c.collect, &mut collect);
    out.extend(collect.into_iter().map(|i| Problem {
        key: i.key,
        message: i.message,
    }));
    let selectors =
        c.privacy
            .selectors
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("privacy.selectors[{}]", i + 1), s))
            .chain(
                c.normalize
                    .mask
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("normalize.mask[{}]", i + 1), s)),
            )
            .chain(c.overrides.iter().enumerate().flat_map(|(o, ov)| {
                ov.normalize.mask.iter().enumerate().map(move |(i, s)| {
                    (format!("override[{}].normalize.mask[{}]", o + 1, i + 1), s)
                })
            }));
    for (key, sel) in selectors {
        if let Err(why) = selector::check(sel) {
            out.push(Problem {
                key,
                message: format!(
                    "= {} is not a valid CSS selector: {why}; use CSS as `document.querySelectorAll` takes it",
                    excerpt(sel)
                ),
            });
        }
    }
    let attrs = c
        .normalize
        .drop_attributes
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("normalize.drop_attributes[{}]", i + 1), a));
    let override_attrs = c.overrides.iter().enumerate().flat_map(|(o, ov)| {
        ov.normalize
            .drop_attributes
            .iter()
            .enumerate()
            .map(move |(i, a)| {
                (
                    format!("override[{}].normalize.drop_attributes[{}]", o + 1, i + 1),
                    a,
                )
            })
    });
    for (key, a) in attrs.chain(override_attrs) {
        let bad = a.is_empty()
            || a.chars()
                .any(|ch| ch.is_whitespace() || matches!(ch, '"' | '\'' | '>' | '/' | '=' | '<'));
        if bad {
            out.push(Problem {
                key,
                message: format!(
                    "= {} is not an attribute name: no spaces, quotes, `<`, `>`, `/` or `=`",
                    excerpt(a)
                ),
            });
        }
    }
    for (key, value) in [("app.url", &c.app.url), ("app.origin", &c.app.origin)] {
        let Some(v) = value else { continue };
        let ok = url::Url::parse(v)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            out.push(Problem {
                key: key.into(),
                message: format!(
                    "= {} is not an http(s) URL: give a full URL such as `http://127.0.0.1:4173`",
                    excerpt(v)
                ),
            });
        }
    }
    out
}

/// A step may wait at least this long for its target: 0 would fail every step that waits.
pub const MIN_STEP_TIMEOUT_MS: u64 = 1;
/// And at most an hour: a longer wait is a typo (seconds as milliseconds) that stalls CI.
pub const MAX_STEP_TIMEOUT_MS: u64 = 3_600_000;
/// Replays of a changed session to tell it from a flaky one.
pub const MAX_FLAKE_RETRIES: u64 = 10;
/// Sessions at once (`--jobs`): each is a browser.
pub const MAX_JOBS: u64 = 256;
/// Retries of an infrastructure failure (`--retries`).
pub const MAX_RETRIES: u64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(toml: &str) -> Vec<String> {
        let c: Config = toml::from_str(toml).expect("parses");
        config(&c).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_default_and_the_demo_config_are_sound() {
        assert!(config(&Config::default()).is_empty());
        let demo = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reprise.toml"),
        )
        .expect("demo config");
        assert_eq!(problems(&demo), Vec::<String>::new());
    }

    #[test]
    fn every_number_out_of_range_names_key_value_and_range() {
        let p = problems(
            "[compare]\nthreshold = -1\nmax_diff_ratio = 2\n[run]\nmin_fidelity = 7\nstep_timeout_ms = 0\nflake_retries = 99\n\
             [[override]]\nsessions = [\"a\"]\ncompare = { threshold = 5, max_diff_ratio = -0.5 }\nmin_fidelity = 1.5\n",
        );
        let expect = [
            "`compare.threshold` = -1 is out of range",
            "`compare.max_diff_ratio` = 2 is out of range",
            "`run.min_fidelity` = 7 is out of range",
            "`override[1].compare.threshold` = 5 is out of range",
            "`override[1].compare.max_diff_ratio` = -0.5 is out of range",
            "`override[1].min_fidelity` = 1.5 is out of range",
            "`run.step_timeout_ms` = 0 is out of range",
            "`run.flake_retries` = 99 is out of range",
        ];
        assert_eq!(p.len(), expect.len(), "{p:#?}");
        for (got, want) in p.iter().zip(expect) {
            assert!(got.starts_with(want), "{got} / {want}");
            assert!(got.contains("between"), "{got}");
        }
        let nan = problems("[compare]\nthreshold = nan\n");
        assert_eq!(nan.len(), 1, "{nan:?}");
    }

    #[test]
    fn invalid_selectors_anywhere_are_problems() {
        let p = problems(
            "[privacy]\nselectors = [\".ok\", \"div[[[\"]\n[normalize]\nmask = [\":contains(x)\"]\n\
             [[override]]\ntags = [\"t\"]\nnormalize = { mask = [\">> span\"] }\n",
        );
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with("`privacy.selectors[2]` = `div[[[`"),
            "{}",
            p[0]
        );
        assert!(
            p[1].starts_with("`normalize.mask[1]` = `:contains(x)`"),
            "{}",
            p[1]
        );
        assert!(
            p[2].starts_with("`override[1].normalize.mask[1]` = `>> span`"),
            "{}",
            p[2]
        );
    }

    #[test]
    fn long_values_are_echoed_as_an_excerpt_with_their_length() {
        let long = format!("div[[[{}", "x".repeat(1_000_000));
        let toml = format!("[normalize]\nmask = [\"{long}\"]\n");
        let p = problems(&toml);
        assert_eq!(p.len(), 1);
        assert!(p[0].len() < 400, "{} bytes", p[0].len());
        assert!(p[0].contains("(1000006 bytes)"), "{}", p[0]);
    }

    #[test]
    fn urls_and_attribute_names() {
        let p = problems("[app]\norigin = \"shop.example\"\n[normalize]\ndrop_attributes = [\"data-x\", \"a b\"]\n");
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(p[0].contains("drop_attributes[2]"), "{}", p[0]);
        assert!(p[1].contains("app.origin"), "{}", p[1]);
    }
}
