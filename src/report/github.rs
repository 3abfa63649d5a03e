//! GitHub Actions output: workflow-command annotations (`::error`, `::warning`) that show
//! on the run page and the pull request, and a Markdown job summary for
//! `$GITHUB_STEP_SUMMARY`.
//!
//! `changed`, `broken` and `error` sessions are errors. `new` and `flaky` are warnings: the
//! report does not say whether the run was a CI run (`--ci`, where a missing baseline fails
//! it) nor the fidelity floor, so the summary's verdict line, not the annotation level, is
//! what says whether the run failed.
//!
//! Everything recorded (ids, messages, selectors, URLs, console output) is untrusted: in
//! annotations it is escaped so it cannot end the command line and start another one; in
//! the summary it is escaped so it cannot break the table or inject Markdown or HTML.

use super::text::reason;
use crate::model::{CheckpointStatus, RunReport, SessionReport, SessionStatus, Verdict};
use std::fmt::Write as _;
use std::io::Write as _;

/// GitHub refuses a step summary over 1 MiB; stay under it with room for the cut note.
const SUMMARY_LIMIT: usize = 1_000_000;

/// One workflow command per session that did not pass: `::error` for `changed`, `broken` and
/// `error`, `::warning` for `new` and `flaky`; title = session id, message = one line why.
pub fn annotations(report: &RunReport) -> String {
    let mut out = String::new();
    for s in &report.sessions {
        let level = match s.status {
            SessionStatus::Passed => continue,
            SessionStatus::Changed | SessionStatus::Broken | SessionStatus::Error => "error",
            SessionStatus::New | SessionStatus::Flaky => "warning",
        };
        let why = reason(s).unwrap_or_default();
        let _ = writeln!(
            out,
            "::{level} title={}::{}: {}",
            escape_property(&format!("reprise: {}", s.id)),
            escape_data(s.status.as_str()),
            escape_data(&why)
        );
    }
    out
}

/// A Markdown step summary: a verdict line, a table of sessions (status with an emoji,
/// fidelity, duration, checkpoints changed/total), then details for each failure.
pub fn step_summary(report: &RunReport) -> String {
    let mut head = String::new();
    let (icon, word) = match report.verdict {
        Verdict::Passed => ("✅", "passed"),
        Verdict::Regressed => ("❌", "regressed"),
        Verdict::Error => ("🛑", "error"),
    };
    let _ = writeln!(head, "## {icon} reprise: {word}\n");

    let mut tally = [
        (SessionStatus::Passed, 0usize),
        (SessionStatus::Changed, 0),
        (SessionStatus::Broken, 0),
        (SessionStatus::New, 0),
        (SessionStatus::Flaky, 0),
        (SessionStatus::Error, 0),
    ];
    for s in &report.sessions {
        if let Some(t) = tally.iter_mut().find(|(st, _)| *st == s.status) {
            t.1 += 1;
        }
    }
    let parts: Vec<String> = tally
        .iter()
        .filter(|(st, n)| *n > 0 || *st == SessionStatus::Passed)
        .map(|(st, n)| format!("{n} {}", st.as_str()))
        .collect();
    let n = report.sessions.len();
    let _ = writeln!(
        head,
        "{n} session{} in {}: {}.",
        if n == 1 { "" } else { "s" },
        duration(report.duration_ms),
        parts.join(", ")
    );
    if report.snapshots_written > 0 {
        let _ = writeln!(head, "{} snapshot(s) written.", report.snapshots_written);
    }
    if report.snapshots_pending > 0 {
        let _ = writeln!(
            head,
            "{} snapshot(s) pending review (`reprise review`).",
            report.snapshots_pending
        );
    }

    if !report.sessions.is_empty() {
        head.push_str("\n| Session | Status | Fidelity | Duration | Checkpoints changed |\n");
        head.push_str("| --- | --- | ---: | ---: | ---: |\n");
        for s in &report.sessions {
            let changed = s
                .checkpoints
                .iter()
                .filter(|c| c.status == CheckpointStatus::Changed)
                .count();
            let _ = writeln!(
                head,
                "| {} | {} {} | {:.3} | {} | {changed}/{} |",
                escape_md(&s.id),
                emoji(s.status),
                s.status.as_str(),
                s.fidelity,
                duration(s.duration_ms),
                s.checkpoints.len()
            );
        }
    }

    let mut details = String::new();
    let failures: Vec<&SessionReport> = report
        .sessions
        .iter()
        .filter(|s| {
            matches!(
                s.status,
                SessionStatus::Changed | SessionStatus::Broken | SessionStatus::Error
            )
        })
        .collect();
    if !failures.is_empty() {
        details.push_str("\n### Failures\n");
        for s in failures {
            failure_details(&mut details, s);
        }
    }

    if head.len() + details.len() <= SUMMARY_LIMIT {
        head.push_str(&details);
        return head;
    }
    // Cut at a line break so no table row, fence or tag is left half-open mid-line; an open
    // code fence is closed so the note renders as text.
    let room = SUMMARY_LIMIT.saturating_sub(head.len());
    let mut cut = details[..floor_char_boundary(&details, room)]
        .rfind('\n')
        .unwrap_or(0);
    let mut kept = details[..cut].to_string();
    if kept.matches("<details>").count() > kept.matches("</details>").count() {
        // Drop the unfinished collapsible block whole.
        cut = kept.rfind("<details>").unwrap_or(cut);
        kept.truncate(cut);
    }
    head.push_str(&kept);
    head.push_str("\n\n_The rest of the details were cut to fit GitHub's summary limit: see the JSON or HTML report._\n");
    truncate_bytes(head, SUMMARY_LIMIT + 200)
}

/// When `GITHUB_ACTIONS` is `true`: prints [`annotations`] to stdout and appends
/// [`step_summary`] to the file named by `GITHUB_STEP_SUMMARY`, if set. Returns whether it
/// printed or wrote anything.
pub fn emit(report: &RunReport) -> std::io::Result<bool> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    emit_to(report, &|k| std::env::var(k).ok(), &mut lock)
}

fn emit_to(
    report: &RunReport,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<bool> {
    if env("GITHUB_ACTIONS").as_deref() != Some("true") {
        return Ok(false);
    }
    let mut did = false;
    let notes = annotations(report);
    if !notes.is_empty() {
        out.write_all(notes.as_bytes())?;
        out.flush()?;
        did = true;
    }
    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(step_summary(report).as_bytes())?;
        did = true;
    }
    Ok(did)
}

fn failure_details(d: &mut String, s: &SessionReport) {
    let _ = writeln!(
        d,
        "\n#### {} {} — {}\n",
        emoji(s.status),
        escape_md(&s.id),
        s.status.as_str()
    );
    // An error's reason is the first line of `error`, shown in full below.
    if let Some(why) = reason(s).filter(|_| s.status != SessionStatus::Error) {
        let _ = writeln!(d, "{}\n", escape_md(&why));
    }
    if !s.title.is_empty() {
        let _ = writeln!(d, "- title: {}", escape_md(&s.title));
    }
    let _ = writeln!(d, "- recording: {}", code(&s.recording));
    let _ = writeln!(
        d,
        "- steps: {} of {} completed, {} attempt{}",
        s.steps_completed,
        s.steps_total,
        s.attempts,
        if s.attempts == 1 { "" } else { "s" }
    );
    if let Some(e) = &s.error {
        let _ = writeln!(d, "- error: {}", escape_md(e));
    }
    for c in s
        .checkpoints
        .iter()
        .filter(|c| c.status == CheckpointStatus::Changed)
    {
        let pixels = match c.diff_pixels {
            u64::MAX => "screenshots could not be compared".to_string(),
            n => format!("{n} pixels differ"),
        };
        let _ = writeln!(
            d,
            "- checkpoint {} after step {}: DOM similarity {:.3}, visual similarity {:.3}, {pixels}",
            code(&c.name),
            c.step,
            c.dom_similarity,
            c.visual_similarity
        );
        if let Some(p) = &c.diff_png {
            let _ = writeln!(d, "  - diff image: {}", code(p));
        }
        if let Some(n) = &c.note {
            let _ = writeln!(d, "  - note: {}", escape_md(n));
        }
        if let Some(diff) = &c.dom_diff {
            let body: String = diff.lines().take(60).fold(String::new(), |mut acc, l| {
                acc.push_str(l);
                acc.push('\n');
                acc
            });
            let fence = fence_for(&body);
            let _ = writeln!(
                d,
                "\n<details><summary>DOM diff of {}</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n",
                super::text::escape(&c.name, false)
            );
        }
    }
    if let Some(b) = &s.broken_step {
        let _ = writeln!(
            d,
            "- broken at step {} ({}): {}",
            b.step,
            escape_md(&b.step_type),
            escape_md(&b.message)
        );
        for sel in &b.selectors {
            let _ = writeln!(d, "  - selector tried: {}", code(sel));
        }
    }
    for u in &s.network.unmatched {
        let _ = writeln!(
            d,
            "- unmatched request: {}",
            code(&format!("{} {}", u.method, u.url))
        );
        match &u.closest {
            Some(c) => {
                let _ = writeln!(
                    d,
                    "  - closest recorded: {}: {}",
                    code(&format!("{} {}", c.method, c.url)),
                    escape_md(&c.difference)
                );
            }
            None => d.push_str("  - nothing similar was recorded\n"),
        }
    }
    if !s.console_errors.is_empty() {
        let body: String = s.console_errors.iter().fold(String::new(), |mut acc, e| {
            acc.push_str(e);
            acc.push('\n');
            acc
        });
        let fence = fence_for(&body);
        let _ = writeln!(
            d,
            "\n<details><summary>{} console error{}</summary>\n\n{fence}text\n{body}{fence}\n\n</details>",
            s.console_errors.len(),
            if s.console_errors.len() == 1 { "" } else { "s" }
        );
    }
}

fn emoji(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Passed => "✅",
        SessionStatus::Changed => "❌",
        SessionStatus::Broken => "💥",
        SessionStatus::New => "🆕",
        SessionStatus::Flaky => "⚠️",
        SessionStatus::Error => "🛑",
    }
}

fn duration(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// The message part of a workflow command: GitHub decodes `%25`, `%0D` and `%0A`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`title=…`): also `:` and `,`, which end the value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Recorded text as inert Markdown on one line: HTML's specials as entities, Markdown's
/// punctuation backslash-escaped (`|` included, which would split a table cell), control
/// characters and line breaks as spaces.
pub fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!'
            | '|' | '~' | '$' | '@' | ':' | '"' | '\'' | '=' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An inline code span that holds any text: the delimiter is one backtick longer than the
/// longest run inside, line breaks become spaces, and `|` is escaped (GitHub splits table
/// cells on it even inside code).
fn code(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.replace('|', "\\|");
    let ticks = "`".repeat(longest_run(&flat, '`') + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') || flat.is_empty() {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{flat}{pad}{ticks}")
}

/// A code fence longer than any backtick run in `body`, so the body cannot close it.
fn fence_for(body: &str) -> String {
    "`".repeat((longest_run(body, '`') + 1).max(3))
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == ch {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn truncate_bytes(mut s: String, max: usize) -> String {
    let at = floor_char_boundary(&s, max);
    s.truncate(at);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{all_statuses, report, session};

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn annotations_are_errors_for_failures_and_warnings_for_new_and_flaky() {
        let text = annotations(&all_statuses());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(!text.contains("title=reprise%3A passed"));
        assert!(
            lines[0].starts_with(
                "::error title=reprise%3A changed::changed: 1 of 2 checkpoints changed"
            ),
            "{text}"
        );
        assert!(lines[1].starts_with(
            "::error title=reprise%3A broken::broken: step 2 (click) failed: no element matched"
        ));
        assert!(lines[2].starts_with("::warning title=reprise%3A new::new: no baseline yet"));
        assert!(lines[3].starts_with("::warning title=reprise%3A flaky::flaky: "));
        assert_eq!(
            lines[4],
            "::error title=reprise%3A error::error: cannot read `recordings/bad.json`"
        );
    }

    #[test]
    fn hostile_ids_and_messages_cannot_start_another_command() {
        let mut s = session("id,x::y\n::set-output name=z::1", SessionStatus::Error);
        s.error = Some("50% broke\r\n::add-mask::secret".into());
        let text = annotations(&report(vec![s]));
        assert_eq!(text.lines().count(), 1, "{text}");
        assert_eq!(
            text,
            "::error title=reprise%3A id%2Cx%3A%3Ay%0A%3A%3Aset-output name=z%3A%3A1::error: 50%25 broke\n"
        );
    }

    #[test]
    fn markdown_escaping_neutralises_tables_html_and_markup() {
        assert_eq!(escape_md("a|b"), "a\\|b");
        assert_eq!(
            escape_md("<img src=x onerror=alert(1)>"),
            "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;"
        );
        assert_eq!(
            escape_md("**bold** [l](u) @team"),
            "\\*\\*bold\\*\\* \\[l\\]\\(u\\) \\@team"
        );
        assert_eq!(escape_md("a\nb\tc"), "a b c");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x `y` z"), "``x `y` z``");
        assert_eq!(code("`"), "`` ` ``");
        assert_eq!(fence_for("````"), "`````");
    }

    #[test]
    fn summary_has_verdict_table_and_failure_details() {
        let md = step_summary(&all_statuses());
        assert!(md.starts_with("## ❌ reprise: regressed\n"), "{md}");
        assert!(md.contains(
            "6 sessions in 12.3 s: 1 passed, 1 changed, 1 broken, 1 new, 1 flaky, 1 error."
        ));
        assert!(md.contains("| Session | Status | Fidelity | Duration | Checkpoints changed |"));
        assert!(
            md.contains("| passed | ✅ passed | 1.000 | 1.5 s | 0/1 |"),
            "{md}"
        );
        assert!(md.contains("| changed | ❌ changed | 0.870 | 1.5 s | 1/2 |"));
        assert!(md.contains("| new | 🆕 new | 1.000 | 1.5 s | 0/1 |"));
        assert!(md.contains("| error | 🛑 error | 0.000 | 0.0 s | 0/0 |"));
        assert!(md.contains("#### ❌ changed — changed"));
        assert!(md.contains("- checkpoint `cart <total>` after step 2: DOM similarity 0.912"));
        assert!(md.contains("  - diff image: `.reprise/run/s/cart <total>.diff.png`"));
        assert!(
            md.contains("```diff\n-<b>Total</b>\n+<b>Sum & total</b>\n```"),
            "{md}"
        );
        assert!(md.contains("  - selector tried: `aria/Buy \"now\"`"));
        assert!(md.contains(
            "  - closest recorded: `POST http://api.test/cart`: body differs\\: field \\`email\\` missing"
        ), "{md}");
        assert!(!md.contains("#### 🆕") && !md.contains("#### ⚠️"));
    }

    #[test]
    fn summary_table_survives_pipes_and_html_in_ids() {
        let r = report(vec![session("a|b<script>", SessionStatus::Passed)]);
        let md = step_summary(&r);
        assert!(md.contains("| a\\|b&lt;script&gt; | ✅ passed |"), "{md}");
    }

    #[test]
    fn huge_summaries_are_cut_under_githubs_limit() {
        let mut s = session("big", SessionStatus::Error);
        s.console_errors = vec!["x".repeat(2000); 1000];
        let md = step_summary(&report(vec![s]));
        assert!(md.len() <= SUMMARY_LIMIT + 200, "{}", md.len());
        assert!(md.contains("were cut to fit"));
        assert!(md.contains("| big |"));
    }

    #[test]
    fn emit_does_nothing_outside_github_actions() {
        let mut out = Vec::new();
        let env = |_: &str| None;
        assert!(!emit_to(&all_statuses(), &env, &mut out).expect("emit"));
        assert!(out.is_empty());
    }

    #[test]
    fn emit_prints_annotations_and_appends_the_summary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("summary.md");
        std::fs::write(&path, "earlier step\n").expect("seed");
        let p = path.display().to_string();
        let env = move |k: &str| match k {
            "GITHUB_ACTIONS" => Some("true".to_string()),
            "GITHUB_STEP_SUMMARY" => Some(p.clone()),
            _ => None,
        };
        let mut out = Vec::new();
        assert!(emit_to(&all_statuses(), &env, &mut out).expect("emit"));
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            annotations(&all_statuses())
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("earlier step\n## ❌ reprise: regressed"),
            "{text}"
        );

        // All passed and no summary file: nothing to do.
        let env = |k: &str| (k == "GITHUB_ACTIONS").then(|| "true".to_string());
        let mut out = Vec::new();
        let passed = report(vec![session("ok", SessionStatus::Passed)]);
        assert!(!emit_to(&passed, &env, &mut out).expect("emit"));
    }
}
