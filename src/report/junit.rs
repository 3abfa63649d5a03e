//! The JUnit XML report (`--report junit=PATH`): one `<testsuite name="reprise">` with one
//! `<testcase>` per session, in the dialect Jenkins, GitLab, GitHub test-report actions and
//! Azure read (the Jenkins/Surefire `junit-10.xsd`, plus per-testcase `<properties>`, which
//! the Jenkins JUnit plugin and GitLab accept; `tests/junit_schema.rs` checks both).
//!
//! Status mapping:
//! - `passed` → a plain testcase;
//! - `changed`, `broken` → `<failure type="changed|broken">`, its body saying which
//!   checkpoints changed (similarities, diff images), the broken step and its selectors, and
//!   the requests no recorded exchange answered, with the closest recorded one;
//! - `new` → `<skipped message="no baseline yet"/>`. A missing baseline fails a CI run, but
//!   the report does not say whether the run was one (`--ci`), so this reporter cannot tell
//!   a failure from a first local run; the run's exit status still fails CI, and the
//!   `status` property says `new`;
//! - `flaky` → a passed testcase with a `<system-out>` note;
//! - `error` → `<error type="error">`.
//!
//! Diff images are listed as `[[ATTACHMENT|path]]` lines in `<system-out>`, which GitLab
//! and the Jenkins attachments plugin turn into links. Paths in the report are relative to
//! the suite folder; [`render_rooted`] prefixes them when CI runs from elsewhere.
//!
//! The XML is written by hand: the format is small, and every value goes through
//! [`escape`], which also drops characters XML 1.0 cannot carry (console errors and page
//! content are untrusted).

use super::text::{escape, plural, reason};
use crate::model::{CheckpointReport, CheckpointStatus, RunReport, SessionReport, SessionStatus};
use std::fmt::Write as _;
use std::path::Path;

/// Lines of a checkpoint's DOM diff quoted in a failure body; the rest is in the diff files.
const DOM_DIFF_LINES: usize = 60;

/// The JUnit XML for a run, with paths as the report has them (relative to the suite folder).
pub fn render(report: &RunReport) -> String {
    Renderer { root: None }.run(report)
}

/// As [`render`], with every path joined to `suite_dir`: CI tools resolve attachment paths
/// against their working directory, which is not always the suite folder.
pub fn render_rooted(report: &RunReport, suite_dir: &Path) -> String {
    Renderer {
        root: Some(suite_dir),
    }
    .run(report)
}

/// Writes [`render`]'s XML to `path` atomically: CI never reads a half-written report.
pub fn write(report: &RunReport, path: &Path) -> std::io::Result<()> {
    crate::fsutil::write_atomic(path, render(report).as_bytes())
}

/// Writes [`render_rooted`]'s XML to `path` atomically.
pub fn write_rooted(report: &RunReport, path: &Path, suite_dir: &Path) -> std::io::Result<()> {
    crate::fsutil::write_atomic(path, render_rooted(report, suite_dir).as_bytes())
}

/// Testcase counts as the `<testsuite>` element states them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tests: usize,
    /// `changed` and `broken` sessions.
    pub failures: usize,
    /// `error` sessions.
    pub errors: usize,
    /// `new` sessions.
    pub skipped: usize,
}

/// Counts from the sessions themselves, so they always agree with the testcases written.
pub fn counts(report: &RunReport) -> Counts {
    let mut c = Counts {
        tests: report.sessions.len(),
        ..Counts::default()
    };
    for s in &report.sessions {
        match s.status {
            SessionStatus::Changed | SessionStatus::Broken => c.failures += 1,
            SessionStatus::Error => c.errors += 1,
            SessionStatus::New => c.skipped += 1,
            SessionStatus::Passed | SessionStatus::Flaky => {}
        }
    }
    c
}

struct Renderer<'a> {
    root: Option<&'a Path>,
}

impl Renderer<'_> {
    fn path(&self, p: &str) -> String {
        match self.root {
            Some(root) => root.join(p).display().to_string(),
            None => p.to_string(),
        }
    }

    fn run(&self, report: &RunReport) -> String {
        let c = counts(report);
        let time = seconds(report.duration_ms);
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        // `skipped` is not an attribute of <testsuites> in junit-10.xsd: only the suite has it.
        let _ = writeln!(
            x,
            "<testsuites name=\"reprise\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{time}\">",
            c.tests, c.failures, c.errors
        );
        let _ = writeln!(
            x,
            "  <testsuite name=\"reprise\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time}\">",
            c.tests, c.failures, c.errors, c.skipped
        );
        x.push_str("    <properties>\n");
        property(&mut x, 6, "reprise.version", env!("CARGO_PKG_VERSION"));
        property(&mut x, 6, "verdict", verdict_str(report));
        property(
            &mut x,
            6,
            "snapshots.written",
            &report.snapshots_written.to_string(),
        );
        property(
            &mut x,
            6,
            "snapshots.pending",
            &report.snapshots_pending.to_string(),
        );
        x.push_str("    </properties>\n");
        for s in &report.sessions {
            self.testcase(&mut x, s);
        }
        x.push_str("  </testsuite>\n</testsuites>\n");
        x
    }

    fn testcase(&self, x: &mut String, s: &SessionReport) {
        let group = s
            .tags
            .first()
            .filter(|t| !t.trim().is_empty())
            // Jenkins splits the class name at dots into packages: keep `reprise.<tag>` two levels.
            .map(|t| t.replace('.', "_"))
            .unwrap_or_else(|| "sessions".into());
        let _ = writeln!(
            x,
            "    <testcase classname=\"reprise.{}\" name=\"{}\" time=\"{}\">",
            escape(&group, true),
            escape(&s.id, true),
            seconds(s.duration_ms)
        );

        x.push_str("      <properties>\n");
        property(x, 8, "status", s.status.as_str());
        property(x, 8, "fidelity", &format!("{:.3}", s.fidelity));
        property(x, 8, "attempts", &s.attempts.to_string());
        property(x, 8, "steps.completed", &s.steps_completed.to_string());
        property(x, 8, "steps.total", &s.steps_total.to_string());
        property(x, 8, "recording", &self.path(&s.recording));
        if let Some(kind) = s.error_kind {
            let kind = match kind {
                super::model::ErrorKind::Input => "input",
                super::model::ErrorKind::Infrastructure => "infrastructure",
            };
            property(x, 8, "error.kind", kind);
        }
        for c in &s.checkpoints {
            property(
                x,
                8,
                &format!("checkpoint.{}", c.name),
                checkpoint_status(c.status),
            );
            if let Some(d) = &c.diff_png {
                property(x, 8, &format!("diff.{}", c.name), &self.path(d));
            }
        }
        x.push_str("      </properties>\n");

        let message = reason(s).unwrap_or_default();
        match s.status {
            SessionStatus::Passed | SessionStatus::Flaky => {}
            SessionStatus::Changed | SessionStatus::Broken => {
                let _ = writeln!(
                    x,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    escape(&message, true),
                    s.status.as_str(),
                    escape(&self.details(s), false)
                );
            }
            SessionStatus::New => x.push_str("      <skipped message=\"no baseline yet\"/>\n"),
            SessionStatus::Error => {
                let _ = writeln!(
                    x,
                    "      <error message=\"{}\" type=\"error\">{}</error>",
                    escape(&message, true),
                    escape(&self.details(s), false)
                );
            }
        }

        let out = self.system_out(s);
        if !out.is_empty() {
            let _ = writeln!(x, "      <system-out>{}</system-out>", escape(&out, false));
        }
        if !s.console_errors.is_empty() {
            let mut err = String::from("console errors:\n");
            for e in &s.console_errors {
                let _ = writeln!(err, "{e}");
            }
            let _ = writeln!(x, "      <system-err>{}</system-err>", escape(&err, false));
        }
        x.push_str("    </testcase>\n");
    }

    /// The flaky note, new checkpoints, and one attachment line per diff image.
    fn system_out(&self, s: &SessionReport) -> String {
        let mut out = String::new();
        if s.status == SessionStatus::Flaky {
            let _ = writeln!(
                out,
                "flaky: results differed between attempts; counted as passed after {} attempt{} (fidelity {:.3})",
                s.attempts,
                plural(s.attempts as usize),
                s.fidelity
            );
        }
        if s.status == SessionStatus::New {
            let _ = writeln!(
                out,
                "no baseline yet: review the new captures with `reprise review` and accept them"
            );
            for c in s
                .checkpoints
                .iter()
                .filter(|c| c.status == CheckpointStatus::New)
            {
                let file = c.actual_png.as_deref().or(c.actual_dom.as_deref());
                match file {
                    Some(f) => {
                        let _ = writeln!(out, "new checkpoint `{}`: {}", c.name, self.path(f));
                    }
                    None => {
                        let _ = writeln!(out, "new checkpoint `{}`", c.name);
                    }
                }
            }
        }
        for c in &s.checkpoints {
            if let Some(d) = &c.diff_png {
                let _ = writeln!(out, "[[ATTACHMENT|{}]]", self.path(d));
            }
        }
        out
    }

    /// The failure or error body: what a developer needs to act without opening the report.
    fn details(&self, s: &SessionReport) -> String {
        let mut d = String::new();
        let title = if s.title.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.title)
        };
        let _ = writeln!(
            d,
            "session `{}`{title}: {}, fidelity {:.3}",
            s.id,
            s.status.as_str(),
            s.fidelity
        );
        let _ = writeln!(d, "recording: {}", self.path(&s.recording));
        let _ = writeln!(
            d,
            "steps: {} of {} completed, {} attempt{}",
            s.steps_completed,
            s.steps_total,
            s.attempts,
            plural(s.attempts as usize)
        );

        if let Some(e) = &s.error {
            d.push('\n');
            let _ = writeln!(d, "error: {e}");
        }

        for c in s
            .checkpoints
            .iter()
            .filter(|c| c.status == CheckpointStatus::Changed)
        {
            d.push('\n');
            self.checkpoint(&mut d, c);
        }
        let new: Vec<&str> = s
            .checkpoints
            .iter()
            .filter(|c| c.status == CheckpointStatus::New)
            .map(|c| c.name.as_str())
            .collect();
        if !new.is_empty() {
            d.push('\n');
            let _ = writeln!(d, "new checkpoints (no baseline yet): {}", new.join(", "));
        }

        if let Some(b) = &s.broken_step {
            d.push('\n');
            let _ = writeln!(
                d,
                "broken at step {} ({}): {}",
                b.step, b.step_type, b.message
            );
            if let Some(step) = s.steps.iter().find(|st| st.step == b.step) {
                if !step.description.is_empty() {
                    let _ = writeln!(d, "  step: {}", step.description);
                }
            }
            if b.selectors.is_empty() {
                let _ = writeln!(d, "  no selectors");
            } else {
                let _ = writeln!(d, "  selectors tried:");
                for sel in &b.selectors {
                    let _ = writeln!(d, "    {sel}");
                }
            }
        }

        if !s.network.unmatched.is_empty() {
            d.push('\n');
            let _ = writeln!(d, "requests that matched no recorded exchange:");
            for u in &s.network.unmatched {
                let _ = writeln!(d, "  {} {}", u.method, u.url);
                match &u.closest {
                    Some(c) => {
                        let _ = writeln!(
                            d,
                            "    closest recorded: {} {}: {}",
                            c.method, c.url, c.difference
                        );
                    }
                    None => {
                        let _ = writeln!(d, "    nothing similar was recorded");
                    }
                }
            }
        }
        if !s.network.escaped.is_empty() {
            d.push('\n');
            let _ = writeln!(
                d,
                "connections that escaped interception (stopped): {}",
                s.network.escaped.join(", ")
            );
        }
        d
    }

    fn checkpoint(&self, d: &mut String, c: &CheckpointReport) {
        let _ = writeln!(
            d,
            "checkpoint `{}` after step {} ({}): changed",
            c.name, c.step, c.url
        );
        let pixels = match c.diff_pixels {
            u64::MAX => "screenshots could not be compared".to_string(),
            n => format!("{n} pixel{} differ", if n == 1 { "" } else { "s" }),
        };
        let _ = writeln!(
            d,
            "  DOM similarity {:.3}, visual similarity {:.3}, {pixels}",
            c.dom_similarity, c.visual_similarity
        );
        for (label, p) in [
            ("baseline DOM:", &c.baseline_dom),
            ("actual DOM:  ", &c.actual_dom),
            ("baseline PNG:", &c.baseline_png),
            ("actual PNG:  ", &c.actual_png),
            ("diff image:  ", &c.diff_png),
        ] {
            if let Some(p) = p {
                let _ = writeln!(d, "  {label} {}", self.path(p));
            }
        }
        if let Some(n) = &c.note {
            let _ = writeln!(d, "  note: {n}");
        }
        if let Some(diff) = &c.dom_diff {
            let _ = writeln!(d, "  DOM diff:");
            let lines: Vec<&str> = diff.lines().collect();
            for l in lines.iter().take(DOM_DIFF_LINES) {
                let _ = writeln!(d, "    {l}");
            }
            if lines.len() > DOM_DIFF_LINES {
                let _ = writeln!(
                    d,
                    "    … {} more lines (see the DOM files above)",
                    lines.len() - DOM_DIFF_LINES
                );
            }
        }
    }
}

fn property(x: &mut String, indent: usize, name: &str, value: &str) {
    let _ = writeln!(
        x,
        "{:indent$}<property name=\"{}\" value=\"{}\"/>",
        "",
        escape(name, true),
        escape(value, true)
    );
}

fn checkpoint_status(s: CheckpointStatus) -> &'static str {
    match s {
        CheckpointStatus::Match => "match",
        CheckpointStatus::Changed => "changed",
        CheckpointStatus::New => "new",
    }
}

fn verdict_str(r: &RunReport) -> &'static str {
    match r.verdict {
        crate::model::Verdict::Passed => "passed",
        crate::model::Verdict::Regressed => "regressed",
        crate::model::Verdict::Error => "error",
    }
}

/// Seconds with millisecond precision: the form junit-10.xsd's `SUREFIRE_TIME` allows
/// (no exponent, at most three decimals).
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{all_statuses, report, session};

    /// The text between `<testcase … name="id"` and its `</testcase>`.
    fn case<'a>(xml: &'a str, id: &str) -> &'a str {
        let at = xml
            .find(&format!(" name=\"{id}\" time="))
            .unwrap_or_else(|| panic!("no testcase {id} in\n{xml}"));
        let start = xml[..at].rfind("<testcase").expect("opened");
        let end = xml[start..].find("</testcase>").expect("closed") + start;
        &xml[start..end]
    }

    #[test]
    fn counts_map_statuses() {
        let r = all_statuses();
        assert_eq!(
            counts(&r),
            Counts {
                tests: 6,
                failures: 2,
                errors: 1,
                skipped: 1
            }
        );
        let xml = render(&r);
        assert!(xml.contains(
            "<testsuite name=\"reprise\" tests=\"6\" failures=\"2\" errors=\"1\" skipped=\"1\" time=\"12.345\">"
        ), "{xml}");
        assert!(xml.contains(
            "<testsuites name=\"reprise\" tests=\"6\" failures=\"2\" errors=\"1\" time=\"12.345\">"
        ));
        assert_eq!(xml.matches("<testcase ").count(), 6);
    }

    #[test]
    fn passed_is_a_plain_testcase_with_properties() {
        let xml = render(&all_statuses());
        let c = case(&xml, "passed");
        assert!(c.contains("classname=\"reprise.sessions\""), "{c}");
        assert!(c.contains("time=\"1.500\""), "{c}");
        for p in [
            "<property name=\"fidelity\" value=\"1.000\"/>",
            "<property name=\"attempts\" value=\"1\"/>",
            "<property name=\"steps.completed\" value=\"3\"/>",
            "<property name=\"steps.total\" value=\"3\"/>",
            "<property name=\"checkpoint.home\" value=\"match\"/>",
        ] {
            assert!(c.contains(p), "missing {p} in {c}");
        }
        for tag in ["<failure", "<error", "<skipped", "<system-out", "diff."] {
            assert!(!c.contains(tag), "{tag} in {c}");
        }
    }

    #[test]
    fn changed_is_a_failure_naming_checkpoints_diffs_and_unmatched_requests() {
        let xml = render(&all_statuses());
        let c = case(&xml, "changed");
        assert!(c.contains("<failure message=\"1 of 2 checkpoints changed: `cart &lt;total&gt;` (DOM 0.912, visual 0.981); 1 request matched no recorded exchange\" type=\"changed\">"), "{c}");
        assert!(c.contains("checkpoint `cart &lt;total&gt;` after step 2 (http://localhost:8080/cart?x=1&amp;y=2): changed"), "{c}");
        assert!(c.contains("DOM similarity 0.912, visual similarity 0.981, 1234 pixels differ"));
        assert!(c.contains("diff image:   .reprise/run/s/cart &lt;total&gt;.diff.png"));
        assert!(c.contains("+&lt;b&gt;Sum &amp; total&lt;/b&gt;"), "{c}");
        assert!(c.contains("POST http://api.test/cart?id=1&amp;x=2"));
        assert!(c.contains(
            "closest recorded: POST http://api.test/cart: body differs: field `email` missing"
        ));
        assert!(c.contains("<property name=\"checkpoint.cart &lt;total&gt;\" value=\"changed\"/>"));
        assert!(c.contains("<property name=\"diff.cart &lt;total&gt;\" value=\".reprise/run/s/cart &lt;total&gt;.diff.png\"/>"));
        assert!(c.contains("[[ATTACHMENT|.reprise/run/s/cart &lt;total&gt;.diff.png]]"));
    }

    #[test]
    fn broken_is_a_failure_with_the_step_and_its_selectors() {
        let xml = render(&all_statuses());
        let c = case(&xml, "broken");
        assert!(c.contains("<failure message=\"step 2 (click) failed: no element matched any selector\" type=\"broken\">"), "{c}");
        assert!(
            c.contains("selectors tried:\n    #buy\n    aria/Buy \"now\"\n"),
            "{c}"
        );
        assert!(c.contains("steps: 1 of 3 completed"));
    }

    #[test]
    fn new_is_skipped_flaky_passes_with_a_note_error_is_an_error() {
        let xml = render(&all_statuses());
        let n = case(&xml, "new");
        assert!(n.contains("<skipped message=\"no baseline yet\"/>"), "{n}");
        assert!(n.contains("<property name=\"status\" value=\"new\"/>"));
        assert!(!n.contains("<failure"));

        let f = case(&xml, "flaky");
        assert!(!f.contains("<failure") && !f.contains("<error"), "{f}");
        assert!(f.contains("<system-out>flaky: results differed between attempts; counted as passed after 2 attempts"), "{f}");

        let e = case(&xml, "error");
        assert!(
            e.contains("<error message=\"cannot read `recordings/bad.json`\" type=\"error\">"),
            "{e}"
        );
        assert!(e.contains("caused by: line 3"));
        assert!(e.contains("<property name=\"error.kind\" value=\"input\"/>"));
    }

    #[test]
    fn untrusted_console_errors_are_escaped_and_cleaned() {
        let mut s = session("c", SessionStatus::Changed);
        s.console_errors = vec!["Uncaught <script>&\u{0}\u{1b}x</script>".into()];
        s.tags = vec!["check.out".into()];
        let xml = render(&report(vec![s]));
        assert!(xml.contains("<system-err>console errors:\nUncaught &lt;script&gt;&amp;x&lt;/script&gt;\n</system-err>"), "{xml}");
        assert!(xml.contains("classname=\"reprise.check_out\""), "{xml}");
        assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}'));
    }

    #[test]
    fn rooted_paths_are_joined_to_the_suite_folder() {
        let xml = render_rooted(&all_statuses(), Path::new("e2e/suite"));
        assert!(
            xml.contains("[[ATTACHMENT|e2e/suite/.reprise/run/s/cart &lt;total&gt;.diff.png]]"),
            "{xml}"
        );
        assert!(xml.contains("value=\"e2e/suite/recordings/passed.json\""));
    }

    #[test]
    fn long_dom_diffs_are_cut() {
        let mut s = session("c", SessionStatus::Changed);
        s.checkpoints[1].dom_diff = Some((0..100).map(|i| format!("+line {i}\n")).collect());
        let xml = render(&report(vec![s]));
        assert!(xml.contains("+line 59\n"));
        assert!(!xml.contains("+line 60\n"));
        assert!(xml.contains("… 40 more lines"));
    }

    #[test]
    fn write_is_atomic_and_complete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out/junit.xml");
        write(&all_statuses(), &path).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, render(&all_statuses()));
        assert!(text.ends_with("</testsuites>\n"));
    }

    #[test]
    fn times_fit_surefire_time() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(7), "0.007");
        assert_eq!(seconds(1_234_567), "1234.567");
    }
}
