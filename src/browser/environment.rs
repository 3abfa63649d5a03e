//! What a screenshot depends on besides the app. The browser measures it; baselines store it,
//! so a checkpoint can say why its pixels differ when the environment changed.

/// What a screenshot depends on besides the app: the browser, the OS, and the fonts it has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Environment {
    /// e.g. `Chromium 156.0.8078.108`.
    pub browser: String,
    pub platform: String,
    /// Digest of the font families the browser can use.
    pub fonts: String,
}

impl Environment {
    /// What differs between the environment a baseline was made in and this one, in a form a
    /// person can act on; `None` when they are compatible (or the baseline does not say).
    pub fn incompatibility(&self, current: &Environment) -> Option<String> {
        let major = |v: &str| {
            v.split_whitespace()
                .last()
                .and_then(|x| x.split('.').next())
                .unwrap_or("")
                .to_string()
        };
        let mut diffs = Vec::new();
        if !self.browser.is_empty() && major(&self.browser) != major(&current.browser) {
            diffs.push(format!(
                "browser `{}` → `{}`",
                self.browser, current.browser
            ));
        }
        if !self.platform.is_empty() && self.platform != current.platform {
            diffs.push(format!(
                "platform `{}` → `{}`",
                self.platform, current.platform
            ));
        }
        if !self.fonts.is_empty() && self.fonts != current.fonts {
            diffs.push("a different set of fonts".into());
        }
        (!diffs.is_empty()).then(|| diffs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_compatible_within_a_major_version_and_font_set() {
        let base = Environment {
            browser: "Chromium 156.0.8078.108".into(),
            platform: "linux".into(),
            fonts: "sha256:a".into(),
        };
        let mut now = base.clone();
        now.browser = "Chromium 156.0.9000.1".into();
        assert_eq!(base.incompatibility(&now), None);
        now.browser = "Chromium 157.0.1.1".into();
        now.fonts = "sha256:b".into();
        let why = base.incompatibility(&now).expect("incompatible");
        assert!(why.contains("157") && why.contains("fonts"), "{why}");
        assert_eq!(
            Environment::default().incompatibility(&now),
            None,
            "old baselines do not say"
        );
    }
}
