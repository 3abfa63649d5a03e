//! Terminal output in the manner of cargo-nextest: a status line per session with its time
//! and fidelity, details under failures, progress while running (only on a terminal), and a
//! summary. Colour by meaning; none under `NO_COLOR` or when not a terminal.

use crate::model::Event;
use crate::model::{CheckpointStatus, RunReport, SessionReport, SessionStatus};
use std::io::{IsTerminal as _, Write};

pub struct TerminalReporter<W: Write> {
    out: W,
    color: bool,
    progress: bool,
    progress_shown: bool,
    running: Vec<String>,
    /// Print a line per step (watched replays).
    pub steps: bool,
}

impl TerminalReporter<std::io::Stdout> {
    pub fn stdout() -> Self {
        let tty = std::io::stdout().is_terminal();
        let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Self::new(
            std::io::stdout(),
            color,
            tty && std::io::stderr().is_terminal(),
        )
    }
}

const GREEN: &str = "32";
const RED: &str = "31";
const YELLOW: &str = "33";
const CYAN: &str = "36";
const MAGENTA: &str = "35";

impl<W: Write> TerminalReporter<W> {
    pub fn new(out: W, color: bool, progress: bool) -> Self {
        Self {
            out,
            color,
            progress,
            progress_shown: false,
            running: Vec::new(),
            steps: false,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[1;{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn clear_progress(&mut self) {
        if self.progress_shown {
            eprint!("\r\x1b[2K");
            self.progress_shown = false;
        }
    }

    pub fn on_event(&mut self, ev: &Event) {
        match ev {
            Event::RunStarted { sessions, jobs } => {
                let line = format!(
                    "{} {sessions} session{} ({jobs} at a time)",
                    self.paint(GREEN, "    Starting"),
                    if *sessions == 1 { "" } else { "s" }
                );
                let _ = writeln!(self.out, "{line}");
            }
            Event::SessionStarted { id } => self.running.push(id.clone()),
            Event::StepStarted { id, step, total } => {
                if self.progress {
                    eprint!(
                        "\r\x1b[2K     Running {id}: step {step}/{total}  ({} running)",
                        self.running.len()
                    );
                    self.progress_shown = true;
                }
            }
            Event::StepFinished { id, step } => {
                if self.steps {
                    self.clear_progress();
                    let _ = writeln!(
                        self.out,
                        "{:>12} {id} step {} `{}` {} ({} ms)",
                        self.paint(CYAN, "STEP"),
                        step.step,
                        step.step_type,
                        clean(&step.description),
                        step.duration_ms
                    );
                }
            }
            Event::Paused {
                id,
                step,
                url,
                webdriver,
                session,
            } => {
                self.clear_progress();
                let _ = writeln!(
                    self.out,
                    "{:>12} {id} after step {step} at {}: the browser stays open (WebDriver {webdriver}, session {session}); press Enter to continue",
                    self.paint(YELLOW, "PAUSED"),
                    clean(url)
                );
                let _ = self.out.flush();
            }
            Event::SessionFinished(report) => {
                self.running.retain(|r| r != &report.id);
                self.clear_progress();
                self.session_line(report);
            }
        }
    }

    fn session_line(&mut self, s: &SessionReport) {
        let s = &sanitized(s);
        let (label, code) = match s.status {
            SessionStatus::Passed => ("PASS", GREEN),
            SessionStatus::Changed => ("CHANGED", RED),
            SessionStatus::Broken => ("BROKEN", RED),
            SessionStatus::New => ("NEW", CYAN),
            SessionStatus::Flaky => ("FLAKY", YELLOW),
            SessionStatus::Error => ("ERROR", MAGENTA),
        };
        let head = self.paint(code, &format!("{label:>12}"));
        let secs = s.duration_ms as f64 / 1000.0;
        let mut line = format!(
            "{head} [{secs:>7.3}s] {:<28} fidelity {:.3}",
            s.id, s.fidelity
        );
        let changed = s
            .checkpoints
            .iter()
            .filter(|c| c.status == CheckpointStatus::Changed)
            .count();
        let new = s
            .checkpoints
            .iter()
            .filter(|c| c.status == CheckpointStatus::New)
            .count();
        if changed > 0 {
            line.push_str(&format!(
                "  {changed} of {} checkpoints changed",
                s.checkpoints.len()
            ));
        }
        if new > 0 {
            line.push_str(&format!(
                "  {new} new checkpoint{}",
                if new == 1 { "" } else { "s" }
            ));
        }
        let _ = writeln!(self.out, "{line}");
        let indent = "               ";
        if let Some(e) = &s.error {
            for l in e.lines() {
                let _ = writeln!(self.out, "{indent}{l}");
            }
        }
        if let Some(d) = &s.divergence {
            let _ = writeln!(
                self.out,
                "{indent}{} at step {}: {}",
                self.paint(YELLOW, "first divergence"),
                d.step,
                d.summary
            );
            for line in d.details.iter().take(6) {
                let _ = writeln!(self.out, "{indent}  {line}");
            }
            if d.details.len() > 6 {
                let _ = writeln!(self.out, "{indent}  … {} more", d.details.len() - 6);
            }
        }
        if let Some(b) = &s.broken_step {
            if !b.selectors.is_empty() {
                let _ = writeln!(
                    self.out,
                    "{indent}selectors tried: {}",
                    b.selectors.join(", ")
                );
            }
        }
        for c in s
            .checkpoints
            .iter()
            .filter(|c| c.status == CheckpointStatus::Changed)
        {
            let mut what = Vec::new();
            if c.dom_similarity < 1.0 {
                what.push(format!("DOM {:.1}% similar", c.dom_similarity * 100.0));
            }
            if c.diff_pixels > 0 {
                what.push(format!("{} pixels differ", c.diff_pixels));
            }
            let where_ = c
                .diff_png
                .as_deref()
                .or(c.actual_dom.as_deref())
                .unwrap_or("");
            let _ = writeln!(
                self.out,
                "{indent}checkpoint {}: {} {}",
                c.name,
                what.join(", "),
                self.paint(CYAN, where_)
            );
            if let Some(n) = &c.note {
                let _ = writeln!(self.out, "{indent}  note: {n}");
            }
        }
        if let Some(note) = s
            .checkpoints
            .iter()
            .filter(|c| c.status == CheckpointStatus::Match)
            .find_map(|c| c.note.as_deref().filter(|n| n.starts_with("environment:")))
        {
            let _ = writeln!(
                self.out,
                "{indent}{} {note}",
                self.paint(YELLOW, "warning:")
            );
        }
        for u in &s.network.unmatched {
            let near = u
                .closest
                .as_ref()
                .map(|c| {
                    format!(
                        " (closest recorded: {} {}; {})",
                        c.method, c.url, c.difference
                    )
                })
                .unwrap_or_else(|| " (nothing similar was recorded)".into());
            let _ = writeln!(
                self.out,
                "{indent}unmatched request: {} {}{near}",
                u.method, u.url
            );
        }
        if !s.network.escaped.is_empty() {
            let _ = writeln!(
                self.out,
                "{indent}{} connection(s) escaped interception and were stopped by the backstop: {}",
                s.network.escaped.len(),
                s.network.escaped.join(", ")
            );
        }
    }

    pub fn summary(&mut self, r: &RunReport) {
        self.clear_progress();
        let s = &r.summary;
        let mut parts = vec![format!("{} passed", s.passed)];
        for (n, label) in [
            (s.changed, "changed"),
            (s.broken, "broken"),
            (s.new, "new"),
            (s.flaky, "flaky"),
            (s.error, "error"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        let code = match r.verdict {
            super::model::Verdict::Passed => GREEN,
            _ => RED,
        };
        let _ = writeln!(self.out, "------------");
        let _ = writeln!(
            self.out,
            "{} [{:>7.3}s] {} session{} run: {}",
            self.paint(code, "     Summary"),
            r.duration_ms as f64 / 1000.0,
            s.sessions,
            if s.sessions == 1 { "" } else { "s" },
            parts.join(", ")
        );
        if r.snapshots_written > 0 {
            let _ = writeln!(
                self.out,
                "             {} snapshot(s) written to snapshots/",
                r.snapshots_written
            );
        }
        if !r.unused_baselines.is_empty() {
            let verb = if r.pruned {
                "removed"
            } else {
                "no checkpoint uses"
            };
            let _ = writeln!(
                self.out,
                "             {} baseline file(s) {verb}{}:",
                r.unused_baselines.len(),
                if r.pruned {
                    ""
                } else {
                    " (remove them with `--prune`)"
                }
            );
            for f in &r.unused_baselines {
                let _ = writeln!(self.out, "               {}", self.paint(CYAN, f));
            }
        }
        self.groups(r);
        if r.snapshots_pending > 0 {
            let _ = writeln!(
                self.out,
                "             {} snapshot(s) pending review: review them with `reprise review`, or `reprise accept --all`",
                r.snapshots_pending
            );
        }
    }
}

/// Groups of alike changes shown in the summary, at most this many (the rest are counted).
const GROUPS_SHOWN: usize = 12;

impl<W: Write> TerminalReporter<W> {
    /// The run's changes, grouped by likeness: one line when one change explains them all,
    /// else a line per group with its id for `reprise accept --group ID`.
    fn groups(&mut self, r: &RunReport) {
        let Some(head) = super::groups::headline(r) else {
            return;
        };
        let _ = writeln!(
            self.out,
            "{} {}",
            self.paint(YELLOW, "     Changes"),
            clean(&head)
        );
        for g in r.groups.iter().take(GROUPS_SHOWN) {
            let _ = writeln!(
                self.out,
                "             {} {} ({})",
                self.paint(CYAN, &g.id),
                clean(&g.summary),
                super::groups::size(g)
            );
        }
        if r.groups.len() > GROUPS_SHOWN {
            let _ = writeln!(
                self.out,
                "             … and {} more (the JSON and HTML reports list them all)",
                r.groups.len() - GROUPS_SHOWN
            );
        }
        let _ = writeln!(
            self.out,
            "             decide per group: `reprise review`, or `reprise accept --group ID`"
        );
    }
}

/// Recorded content (selectors, URLs, page errors) is untrusted: control characters are
/// shown escaped so they cannot drive the terminal or forge CI log commands.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn sanitized(s: &SessionReport) -> SessionReport {
    let mut s = s.clone();
    s.id = clean(&s.id);
    s.error = s.error.as_deref().map(clean);
    if let Some(b) = &mut s.broken_step {
        b.selectors = b.selectors.iter().map(|x| clean(x)).collect();
    }
    for c in &mut s.checkpoints {
        c.name = clean(&c.name);
        c.note = c.note.as_deref().map(clean);
    }
    for u in &mut s.network.unmatched {
        u.method = clean(&u.method);
        u.url = clean(&u.url);
        if let Some(c) = &mut u.closest {
            c.difference = clean(&c.difference);
            c.url = clean(&c.url);
        }
    }
    s.network.escaped = s.network.escaped.iter().map(|x| clean(x)).collect();
    if let Some(d) = &mut s.divergence {
        d.summary = clean(&d.summary);
        d.details = d.details.iter().map(|x| clean(x)).collect();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorKind, SessionReport};

    #[test]
    fn error_session_prints_its_message_without_colour() {
        let mut buf = Vec::new();
        {
            let mut r = TerminalReporter::new(&mut buf, false, false);
            r.on_event(&Event::SessionFinished(Box::new(SessionReport::error(
                "bad",
                "recordings/bad.json",
                ErrorKind::Input,
                "`recordings/bad.json`: step 2 (`click`): missing field `selectors`".into(),
            ))));
        }
        let text = String::from_utf8(buf).expect("utf8");
        assert!(text.contains("ERROR"), "{text}");
        assert!(text.contains("step 2 (`click`)"), "{text}");
        assert!(!text.contains("\x1b["), "{text}");
    }

    #[test]
    fn recorded_control_characters_are_escaped() {
        let mut buf = Vec::new();
        {
            let mut r = TerminalReporter::new(&mut buf, false, false);
            r.on_event(&Event::SessionFinished(Box::new(SessionReport::error(
                "x",
                "recordings/x.json",
                ErrorKind::Input,
                "bad \x1b]8;;evil\x07 and \r::error::forged".into(),
            ))));
        }
        let text = String::from_utf8(buf).expect("utf8");
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    }
}
