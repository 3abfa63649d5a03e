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

use super::model::{CheckpointReport, CheckpointStatus, RunReport, SessionReport, SessionStatus};
use std::fmt::Write as _;
use std::path::Path;

/// Lines of a checkpoint's DOM diff quoted in a failure body; the rest is in the diff files.
const DOM_DIFF_LINES: usize = 60;
/// Characters of a one-line failure message (the body has everything).
const MESSAGE_CHARS: usize = 400;

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
    crate::baseline::write_atomic(path, render(report).as_bytes())
}

/// Writes [`render_rooted`]'s XML to `path` atomically.
pub fn write_rooted(report: &RunReport, path: &Path, suite_dir: &Path) -> std::io::Result<()> {
    crate::baseline::write_atomic(path, render_rooted(report, suite_dir).as_bytes())
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

/// Why a session did not pass, in one line, for people: a failure message here and an
/// annotation in `github`. `None` for `passed`.
pub(super) fn reason(s: &SessionReport) -> Option<String> {
    let line = match s.status {
        SessionStatus::Passed => return None,
        SessionStatus::Changed => {
            let changed: Vec<&CheckpointReport> = s
                .checkpoints
                .iter()
                .filter(|c| c.status == CheckpointStatus::Changed)
                .collect();
            let mut parts = Vec::new();
            if !changed.is_empty() {
                let names: Vec<String> = changed
                    .iter()
                    .map(|c| {
                        format!(
                            "`{}` (DOM {:.3}, visual {:.3})",
                            c.name, c.dom_similarity, c.visual_similarity
                        )
                    })
                    .collect();
                parts.push(format!(
                    "{} of {} checkpoint{} changed: {}",
                    changed.len(),
                    s.checkpoints.len(),
                    plural(s.checkpoints.len()),
                    names.join(", ")
                ));
            }
            let unmatched = s.network.unmatched.len();
            if unmatched > 0 {
                parts.push(format!(
                    "{unmatched} request{} matched no recorded exchange",
                    plural(unmatched)
                ));
            }
            if parts.is_empty() {
                parts.push(format!("changed, fidelity {:.3}", s.fidelity));
            }
            parts.join("; ")
        }
        SessionStatus::Broken => match (&s.broken_step, &s.error) {
            (Some(b), _) => format!(
                "step {} ({}) failed: {}",
                b.step,
                b.step_type,
                first_line(&b.message)
            ),
            (None, Some(e)) => first_line(e).to_string(),
            (None, None) => format!(
                "broken after {} of {} steps",
                s.steps_completed, s.steps_total
            ),
        },
        SessionStatus::New => {
            let new = s
                .checkpoints
                .iter()
                .filter(|c| c.status == CheckpointStatus::New)
                .count();
            format!("no baseline yet for {new} checkpoint{}", plural(new))
        }
        SessionStatus::Flaky => format!(
            "results differed between attempts ({} attempt{})",
            s.attempts,
            plural(s.attempts as usize)
        ),
        SessionStatus::Error => s
            .error
            .as_deref()
            .map(first_line)
            .unwrap_or("the session could not be replayed")
            .to_string(),
    };
    Some(truncate(&line, MESSAGE_CHARS))
}

/// Escapes `s` for XML 1.0 text (`attr: false`) or a double-quoted attribute value
/// (`attr: true`), dropping characters XML 1.0 cannot represent at all (control characters
/// other than tab, newline and carriage return; U+FFFE, U+FFFF). In attributes, tab and line
/// breaks become character references so that attribute normalization keeps them.
pub fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' if attr => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// XML 1.0's `Char` production (Rust's `char` already excludes surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
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
        super::model::Verdict::Passed => "passed",
        super::model::Verdict::Regressed => "regressed",
        super::model::Verdict::Error => "error",
    }
}

/// Seconds with millisecond precision: the form junit-10.xsd's `SUREFIRE_TIME` allows
/// (no exponent, at most three decimals).
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::mock::matching::Closest;
    use crate::mock::UnmatchedRequest;
    use crate::report::model::{
        BrokenStep, ErrorKind, NetworkReport, StepReport, StepStatus, Summary, Verdict,
    };

    pub(in crate::report) fn checkpoint(name: &str, status: CheckpointStatus) -> CheckpointReport {
        let differs = status != CheckpointStatus::Match;
        CheckpointReport {
            name: name.into(),
            status,
            dom_similarity: if differs { 0.912 } else { 1.0 },
            visual_similarity: if differs { 0.981 } else { 1.0 },
            diff_pixels: if differs { 1234 } else { 0 },
            step: 2,
            url: "http://localhost:8080/cart?x=1&y=2".into(),
            baseline_dom: Some(format!("snapshots/s/{name}.html")),
            baseline_png: Some(format!("snapshots/s/{name}.png")),
            actual_dom: differs.then(|| format!(".reprise/run/s/{name}.html")),
            actual_png: differs.then(|| format!(".reprise/run/s/{name}.png")),
            diff_png: (status == CheckpointStatus::Changed)
                .then(|| format!(".reprise/run/s/{name}.diff.png")),
            dom_diff: (status == CheckpointStatus::Changed)
                .then(|| "-<b>Total</b>\n+<b>Sum & total</b>".into()),
            note: None,
            second_capture: None,
            dom_changes: Vec::new(),
        }
    }

    pub(in crate::report) fn session(id: &str, status: SessionStatus) -> SessionReport {
        let mut s = SessionReport {
            id: id.into(),
            title: format!("Session {id}"),
            status,
            fidelity: 1.0,
            duration_ms: 1500,
            attempts: 1,
            steps_total: 3,
            steps_completed: 3,
            steps: vec![StepReport {
                step: 1,
                step_type: "navigate".into(),
                description: "http://localhost:8080/".into(),
                status: StepStatus::Passed,
                duration_ms: 10,
            }],
            checkpoints: vec![checkpoint("home", CheckpointStatus::Match)],
            network: NetworkReport::default(),
            console_errors: Vec::new(),
            error: None,
            error_kind: None,
            broken_step: None,
            tags: Vec::new(),
            divergence: None,
            recording: format!("recordings/{id}.json"),
        };
        match status {
            SessionStatus::Passed => {}
            SessionStatus::Changed => {
                s.fidelity = 0.87;
                s.checkpoints
                    .push(checkpoint("cart <total>", CheckpointStatus::Changed));
                s.network.unmatched.push(UnmatchedRequest {
                    step: 0,
                    method: "POST".into(),
                    url: "http://api.test/cart?id=1&x=2".into(),
                    closest: Some(Closest {
                        method: "POST".into(),
                        url: "http://api.test/cart".into(),
                        difference: "body differs: field `email` missing".into(),
                    }),
                });
            }
            SessionStatus::Broken => {
                s.fidelity = 0.4;
                s.steps_completed = 1;
                s.broken_step = Some(BrokenStep {
                    step: 2,
                    step_type: "click".into(),
                    message: "no element matched any selector".into(),
                    selectors: vec!["#buy".into(), "aria/Buy \"now\"".into()],
                });
            }
            SessionStatus::New => {
                s.checkpoints = vec![checkpoint("home", CheckpointStatus::New)];
            }
            SessionStatus::Flaky => s.attempts = 2,
            SessionStatus::Error => {
                s = SessionReport::error(
                    id,
                    &format!("recordings/{id}.json"),
                    ErrorKind::Input,
                    "cannot read `recordings/bad.json`\n  caused by: line 3".into(),
                );
            }
        }
        s
    }

    pub(in crate::report) fn report(sessions: Vec<SessionReport>) -> RunReport {
        RunReport {
            format_version: 1,
            verdict: Verdict::Regressed,
            duration_ms: 12_345,
            summary: Summary {
                sessions: sessions.len(),
                ..Summary::default()
            },
            sessions,
            snapshots_written: 0,
            snapshots_pending: 0,
            unused_baselines: Vec::new(),
            pruned: false,
        }
    }

    pub(in crate::report) fn all_statuses() -> RunReport {
        report(
            [
                SessionStatus::Passed,
                SessionStatus::Changed,
                SessionStatus::Broken,
                SessionStatus::New,
                SessionStatus::Flaky,
                SessionStatus::Error,
            ]
            .into_iter()
            .map(|st| session(st.as_str(), st))
            .collect(),
        )
    }

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
    fn escape_handles_markup_quotes_and_line_breaks() {
        assert_eq!(escape("a<b>&\"c'", false), "a&lt;b&gt;&amp;\"c'");
        assert_eq!(escape("a<b>&\"c'", true), "a&lt;b&gt;&amp;&quot;c'");
        assert_eq!(escape("x\ny\tz\r", true), "x&#10;y&#9;z&#13;");
        assert_eq!(escape("x\ny\tz\r", false), "x\ny\tz&#13;");
        assert_eq!(escape("]]>", false), "]]&gt;");
    }

    #[test]
    fn escape_drops_characters_xml_cannot_carry() {
        let hostile = "ok\u{0}\u{1}\u{8}\u{b}\u{c}\u{1b}[31mred\u{7f}\u{fffe}\u{ffff}é😀";
        assert_eq!(escape(hostile, false), "ok[31mred\u{7f}é😀");
        assert_eq!(escape(hostile, true), "ok[31mred\u{7f}é😀");
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
