//! The HTML report: `--report html=DIR` writes `DIR/index.html` with the screenshots as files
//! in `DIR/img/` (drawn as layers: roots, patches of what differs, masks; see [`images`]);
//! `--report html-inline=FILE` and the page `reprise review --serve` shows are one
//! self-contained file with the screenshots as `data:` URIs. Both open from `file://` with no
//! network.
//!
//! Everything in a run report that came from a recording (ids, titles, URLs, console output,
//! DOM text, selectors) is untrusted: it is written only through [`Esc`], always inside
//! double-quoted attributes or as text, and never reaches a URL attribute (`href`, `src`);
//! the only URLs in the page are fragment links and the screenshots we read from disk and
//! check to be PNG, as `data:` URIs or as `img/<hex digest>.png` files. The script never builds markup: it toggles classes, sets
//! `textContent`, `clipPath` and `img.src`. A strict Content-Security-Policy (hashes of the
//! one inline `<style>` and `<script>`; images from `data:` or, for the folder form, the page's
//! own origin, never a remote host) backs this up: an injected script or style would not run
//! even if escaping were wrong.

mod images;

use crate::model::{
    CheckpointReport, CheckpointStatus, RunReport, SessionReport, SessionStatus, StepStatus,
    Verdict,
};
use base64::Engine as _;
use sha2::Digest as _;
use std::fmt::{self, Display, Write as _};
use std::path::{Path, PathBuf};

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Larger DOM diffs and texts are cut: a report that a browser cannot open helps no one.
const MAX_TEXT_BYTES: usize = 256 * 1024;
const MAX_TEXT_LINES: usize = 5000;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// When set, the page is served by `reprise review --serve` and shows accept/reject
    /// buttons that POST to `/{token}/accept` and `/{token}/reject` with JSON
    /// `{"session": "...", "checkpoint": "..." or null for the whole session}`; on a 2xx answer
    /// the UI marks the item accepted/rejected.
    pub review_token: Option<String>,
}

/// Writes `DIR/index.html` and the images it shows in `DIR/img/` (each file atomically; the
/// page last, so it never points at an image not yet written) and returns the page's path.
/// An error names the path that could not be written.
pub fn write(report: &RunReport, suite_dir: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join("index.html");
    let mut images = images::Images::files(dir)?;
    let html = render_with(report, suite_dir, &HtmlOptions::default(), &mut images);
    images.finish()?;
    crate::fsutil::write_atomic(&path, html.as_bytes())
        .map_err(|e| std::io::Error::new(e.kind(), format!("`{}`: {e}", path.display())))?;
    Ok(path)
}

/// Writes the self-contained page (screenshots inline) to `file` atomically.
pub fn write_inline(report: &RunReport, suite_dir: &Path, file: &Path) -> std::io::Result<()> {
    let html = render(report, suite_dir, &HtmlOptions::default());
    crate::fsutil::write_atomic(file, html.as_bytes())
        .map_err(|e| std::io::Error::new(e.kind(), format!("`{}`: {e}", file.display())))
}

/// The whole page, self-contained. Image and DOM paths in the report are relative to
/// `suite_dir`.
pub fn render(report: &RunReport, suite_dir: &Path, opts: &HtmlOptions) -> String {
    render_with(report, suite_dir, opts, &mut images::Images::Inline)
}

fn render_with(
    report: &RunReport,
    suite_dir: &Path,
    opts: &HtmlOptions,
    images: &mut images::Images,
) -> String {
    let mut out = String::with_capacity(64 * 1024);
    Page {
        report,
        suite_dir,
        opts,
        images,
        out: &mut out,
    }
    .render();
    out
}

/// `sha256-…` source expression of an inline block, as CSP computes it over the exact text
/// between the tags.
fn csp_hash(text: &str) -> String {
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// `files`: the page shows images from files beside it (`'self'`: the page's own origin, its
/// folder on `file://`; never a remote host).
fn content_security_policy(review: bool, files: bool) -> String {
    let connect = if review { " connect-src 'self';" } else { "" };
    let img = if files { "'self' data:" } else { "data:" };
    format!(
        "default-src 'none'; img-src {img}; style-src {}; script-src {};{connect} base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(JS),
    )
}

/// HTML-escapes text for element content and double- or single-quoted attribute values.
struct Esc<'a>(&'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'', '\0']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => "\u{fffd}",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.2} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Regressed => "regressed",
        Verdict::Error => "error",
    }
}

fn checkpoint_status_str(s: CheckpointStatus) -> &'static str {
    match s {
        CheckpointStatus::Match => "match",
        CheckpointStatus::Changed => "changed",
        CheckpointStatus::New => "new",
    }
}

fn step_status_str(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
        StepStatus::Skipped => "skipped",
    }
}

fn needs_review(c: &CheckpointReport) -> bool {
    matches!(c.status, CheckpointStatus::Changed | CheckpointStatus::New)
}

/// Cuts text at a line and byte budget (on a char boundary); says how much was left out.
fn truncate(text: &str) -> (&str, Option<String>) {
    let mut end = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Some((i, _)) = text[..end].match_indices('\n').nth(MAX_TEXT_LINES - 1) {
        end = i;
    }
    if end >= text.len() {
        return (text, None);
    }
    let rest = &text[end..];
    let left = rest.strip_prefix('\n').unwrap_or(rest).lines().count();
    (&text[..end], Some(format!("… {left} more lines not shown")))
}

enum Image {
    Png(images::Shot),
    Missing(String),
}

struct Page<'a> {
    report: &'a RunReport,
    suite_dir: &'a Path,
    opts: &'a HtmlOptions,
    images: &'a mut images::Images,
    out: &'a mut String,
}

// Writing to a String cannot fail: `w!` drops the always-Ok result.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        let _ = write!($out, $($arg)*);
    };
}

impl Page<'_> {
    fn review(&self) -> bool {
        self.opts.review_token.is_some()
    }

    fn render(&mut self) {
        let r = self.report;
        let files = matches!(self.images, images::Images::Files(_));
        let csp = content_security_policy(self.review(), files);
        w!(
            self.out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>reprise: {} ({} sessions)</title>\n\
             <link rel=\"icon\" href=\"data:,\">\n<style>{CSS}</style>\n</head>\n",
            Esc(&csp),
            verdict_str(r.verdict),
            r.summary.sessions,
        );
        match &self.opts.review_token {
            Some(t) => {
                w!(self.out, "<body data-review-token=\"{}\">\n", Esc(t));
            }
            None => self.out.push_str("<body>\n"),
        }
        self.out.push_str("<main>\n");
        self.summary();
        // Groups of alike changes first: one decision can cover many checkpoints.
        super::groups::html_section(r, self.review(), self.out);
        self.overview();
        for (i, s) in r.sessions.iter().enumerate() {
            self.session(i, s);
        }
        w!(
            self.out,
            "</main>\n<footer>reprise report, format version {}</footer>\n<script>{JS}</script>\n</body>\n</html>\n",
            r.format_version
        );
    }

    fn summary(&mut self) {
        let r = self.report;
        let verdict = verdict_str(r.verdict);
        let mean = if r.sessions.is_empty() {
            "–".to_string()
        } else {
            format!(
                "{:.3}",
                r.sessions.iter().map(|s| s.fidelity).sum::<f64>() / r.sessions.len() as f64
            )
        };
        w!(
            self.out,
            "<header class=\"summary\">\n<div class=\"title\"><span class=\"brand\">reprise</span>\
             <h1>Replay report</h1><span class=\"verdict v-{verdict}\">{verdict}</span></div>\n\
             <dl class=\"stats\">\
             <div><dt>sessions</dt><dd>{}</dd></div>\
             <div><dt>duration</dt><dd>{}</dd></div>\
             <div><dt>mean fidelity</dt><dd>{mean}</dd></div>\
             <div><dt>snapshots written</dt><dd>{}</dd></div>\
             <div><dt>pending review</dt><dd>{}</dd></div></dl>\n<ul class=\"counts\">",
            r.summary.sessions,
            duration(r.duration_ms),
            r.snapshots_written,
            r.snapshots_pending,
        );
        let s = &r.summary;
        for (status, n) in [
            (SessionStatus::Passed, s.passed),
            (SessionStatus::Changed, s.changed),
            (SessionStatus::Broken, s.broken),
            (SessionStatus::New, s.new),
            (SessionStatus::Flaky, s.flaky),
            (SessionStatus::Error, s.error),
        ] {
            let zero = if n == 0 { " zero" } else { "" };
            w!(
                self.out,
                "<li class=\"count st-{0}{zero}\"><span class=\"n\">{n}</span> {0}</li>",
                status.as_str()
            );
        }
        self.out.push_str("</ul>\n");
        if !r.unused_baselines.is_empty() {
            let what = if r.pruned {
                "Unused baselines removed (<code>--prune</code>)"
            } else {
                "Baselines no checkpoint used (remove them with <code>--prune</code>)"
            };
            w!(
                self.out,
                "<details class=\"unused\"><summary>{what} <span class=\"n\">{}</span></summary><ul>",
                r.unused_baselines.len()
            );
            for b in &r.unused_baselines {
                w!(self.out, "<li><code>{}</code></li>", Esc(b));
            }
            self.out.push_str("</ul></details>\n");
        }
        self.out.push_str("</header>\n");
    }

    fn overview(&mut self) {
        if self.report.sessions.is_empty() {
            self.out
                .push_str("<p class=\"empty\">No sessions were run.</p>\n");
            return;
        }
        self.out.push_str(
            "<section class=\"overview\"><table>\n<thead><tr><th>status</th><th>session</th>\
             <th class=\"num\">fidelity</th><th class=\"num\">steps</th><th>checkpoints</th>\
             <th class=\"num\">duration</th></tr></thead>\n<tbody>\n",
        );
        for (i, s) in self.report.sessions.iter().enumerate() {
            let status = s.status.as_str();
            let changed = count(s, CheckpointStatus::Changed);
            let new = count(s, CheckpointStatus::New);
            let mut cps = format!("{}", s.checkpoints.len());
            if changed > 0 {
                let _ = write!(cps, " · <span class=\"t-changed\">{changed} changed</span>");
            }
            if new > 0 {
                let _ = write!(cps, " · <span class=\"t-new\">{new} new</span>");
            }
            w!(
                self.out,
                "<tr><td><span class=\"badge st-{status}\">{status}</span></td>\
                 <td><a href=\"#s{i}\">{}</a>{}</td><td class=\"num\">{:.3}</td>\
                 <td class=\"num\">{}/{}</td><td>{cps}</td><td class=\"num\">{}</td></tr>\n",
                Esc(&s.id),
                title_suffix(s),
                s.fidelity,
                s.steps_completed,
                s.steps_total,
                duration(s.duration_ms),
            );
        }
        self.out.push_str("</tbody></table></section>\n");
    }

    fn session(&mut self, i: usize, s: &SessionReport) {
        let status = s.status.as_str();
        let open = if s.status == SessionStatus::Passed {
            ""
        } else {
            " open"
        };
        w!(
            self.out,
            "<details class=\"session st-{status}\" id=\"s{i}\" data-review-item=\"\"{open}>\n\
             <summary><span class=\"badge st-{status}\">{status}</span>\
             <span class=\"sid\">{}</span>{}<span class=\"facts\">\
             <span>fidelity <b>{:.3}</b></span><span>{}</span><span>steps {}/{}</span>",
            Esc(&s.id),
            title_suffix(s),
            s.fidelity,
            duration(s.duration_ms),
            s.steps_completed,
            s.steps_total,
        );
        if s.attempts > 1 {
            w!(self.out, "<span>{} attempts</span>", s.attempts);
        }
        self.out.push_str("</span>");
        for tag in &s.tags {
            w!(self.out, "<span class=\"tag\">{}</span>", Esc(tag));
        }
        self.out
            .push_str("<span class=\"review-state\"></span></summary>\n<div class=\"body\">\n");
        w!(
            self.out,
            "<p class=\"meta\">recording <code>{}</code></p>\n",
            Esc(&s.recording)
        );
        if self.review() && s.checkpoints.iter().any(needs_review) {
            self.out.push_str("<div class=\"review\">");
            self.review_buttons(&s.id, None, "all checkpoints");
            self.out.push_str("</div>\n");
        }
        if let Some(e) = &s.error {
            let kind = match s.error_kind {
                Some(super::model::ErrorKind::Input) => " (input)",
                Some(super::model::ErrorKind::Infrastructure) => " (infrastructure)",
                None => "",
            };
            w!(
                self.out,
                "<div class=\"callout error\"><h3>Error{kind}</h3><pre>{}</pre></div>\n",
                Esc(e)
            );
        }
        if let Some(d) = &s.divergence {
            w!(
                self.out,
                "<div class=\"callout divergence\"><h3>First divergence, at step {}</h3><p>{}</p>",
                d.step,
                Esc(&d.summary)
            );
            if !d.details.is_empty() {
                self.out.push_str("<ul>");
                for line in &d.details {
                    w!(self.out, "<li><code>{}</code></li>", Esc(line));
                }
                self.out.push_str("</ul>");
            }
            self.out.push_str("</div>\n");
        }
        // The failed step's reason goes on its row of the timeline; a callout only when the
        // timeline has no such row.
        let on_timeline = s.broken_step.as_ref().is_some_and(|b| {
            s.steps
                .iter()
                .any(|st| st.step == b.step && st.status == StepStatus::Failed)
        });
        if let Some(b) = s.broken_step.as_ref().filter(|_| !on_timeline) {
            w!(
                self.out,
                "<div class=\"callout broken\"><h3>Step {} ({}) could not be performed</h3><pre>{}</pre>",
                b.step,
                Esc(&b.step_type),
                Esc(&b.message)
            );
            self.selectors(&b.selectors);
            self.out.push_str("</div>\n");
        }
        self.steps(s);
        self.checkpoints(i, s);
        self.network(s);
        if !s.console_errors.is_empty() {
            w!(
                self.out,
                "<section><h3>Console errors <span class=\"n\">{}</span></h3><ol class=\"console\">",
                s.console_errors.len()
            );
            for e in &s.console_errors {
                w!(self.out, "<li><pre>{}</pre></li>", Esc(e));
            }
            self.out.push_str("</ol></section>\n");
        }
        self.out.push_str("</div>\n</details>\n");
    }

    fn selectors(&mut self, selectors: &[String]) {
        if selectors.is_empty() {
            return;
        }
        self.out
            .push_str("<p class=\"selectors-title\">selectors tried:</p><ul class=\"selectors\">");
        for sel in selectors {
            w!(self.out, "<li><code>{}</code></li>", Esc(sel));
        }
        self.out.push_str("</ul>");
    }

    fn steps(&mut self, s: &SessionReport) {
        if s.steps.is_empty() {
            return;
        }
        self.out.push_str(
            "<section><h3>Steps</h3><table class=\"steps\"><thead><tr><th class=\"num\">#</th>\
             <th>type</th><th>description</th><th>status</th><th class=\"num\">duration</th>\
             </tr></thead><tbody>\n",
        );
        for st in &s.steps {
            let status = step_status_str(st.status);
            w!(
                self.out,
                "<tr class=\"step-{status}\"><td class=\"num\">{}</td><td><code>{}</code></td>\
                 <td class=\"desc\">{}</td><td><span class=\"dot\"></span>{status}</td>\
                 <td class=\"num\">{}</td></tr>\n",
                st.step,
                Esc(&st.step_type),
                Esc(&st.description),
                duration(st.duration_ms),
            );
            if let Some(b) = s
                .broken_step
                .as_ref()
                .filter(|b| b.step == st.step && st.status == StepStatus::Failed)
            {
                w!(
                    self.out,
                    "<tr class=\"step-why\"><td></td><td colspan=\"4\"><pre>{}</pre>",
                    Esc(&b.message)
                );
                self.selectors(&b.selectors);
                self.out.push_str("</td></tr>\n");
            }
        }
        self.out.push_str("</tbody></table></section>\n");
    }

    fn checkpoints(&mut self, i: usize, s: &SessionReport) {
        if s.checkpoints.is_empty() {
            return;
        }
        w!(
            self.out,
            "<section><h3>Checkpoints <span class=\"n\">{}</span></h3>\n",
            s.checkpoints.len()
        );
        for (j, c) in s.checkpoints.iter().enumerate() {
            if needs_review(c) {
                self.checkpoint_card(i, j, &s.id, c);
            }
        }
        let matching: Vec<_> = s.checkpoints.iter().filter(|c| !needs_review(c)).collect();
        if !matching.is_empty() {
            self.out.push_str(
                "<table class=\"matching\"><thead><tr><th>matching checkpoint</th>\
                 <th class=\"num\">after step</th><th class=\"num\">DOM</th>\
                 <th class=\"num\">visual</th><th>note</th></tr></thead><tbody>\n",
            );
            for c in matching {
                w!(
                    self.out,
                    "<tr><td><span class=\"dot ok\"></span>{}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td>{}</td></tr>\n",
                    Esc(&c.name),
                    c.step,
                    c.dom_similarity,
                    c.visual_similarity,
                    Esc(c.note.as_deref().unwrap_or("")),
                );
            }
            self.out.push_str("</tbody></table>\n");
        }
        self.out.push_str("</section>\n");
    }

    fn checkpoint_card(&mut self, i: usize, j: usize, session: &str, c: &CheckpointReport) {
        let status = checkpoint_status_str(c.status);
        w!(
            self.out,
            "<article class=\"cp st-{status}\" id=\"s{i}-c{j}\" data-review-item=\"\">\n\
             <div class=\"cp-head\"><span class=\"badge st-{status}\">{status}</span>\
             <h4>{}</h4><span class=\"facts\"><span>after step {}</span>",
            Esc(&c.name),
            c.step,
        );
        if c.status == CheckpointStatus::Changed {
            w!(
                self.out,
                "<span>DOM <b>{:.3}</b></span><span>visual <b>{:.3}</b></span><span>{} px differ</span>",
                c.dom_similarity,
                c.visual_similarity,
                c.diff_pixels
            );
        }
        self.out
            .push_str("</span><span class=\"review-state\"></span>");
        if self.review() {
            self.out.push_str("<span class=\"review\">");
            self.review_buttons(session, Some(&c.name), "");
            self.out.push_str("</span>");
        }
        w!(
            self.out,
            "</div>\n<p class=\"url\"><code>{}</code></p>\n",
            Esc(&c.url)
        );
        if let Some(note) = &c.note {
            w!(self.out, "<p class=\"note\">{}</p>\n", Esc(note));
        }

        let id = format!("s{i}-c{j}");
        if c.status == CheckpointStatus::New {
            let actual = self.image(c.actual_png.as_deref());
            self.out.push_str("<div class=\"shots one\">");
            self.figure("Replay (no baseline yet)", "actual", &actual, &id);
            self.out.push_str("</div>\n");
        } else {
            // the baseline first: in a folder, the replay is drawn over it
            let baseline = self.image(c.baseline_png.as_deref());
            let actual = self.image(c.actual_png.as_deref());
            let diff = self.diff_image(c.diff_png.as_deref(), &baseline);
            self.out.push_str("<div class=\"shots\">");
            self.figure("Baseline", "baseline", &baseline, &id);
            self.figure("Replay", "actual", &actual, &id);
            self.figure("Difference", "diff", &diff, &id);
            self.out.push_str("</div>\n");
            // A flaky session shows what a second replay of the same build captured.
            if let Some(second) = &c.second_capture {
                let again = self.image(second.png.as_deref());
                self.out.push_str("<div class=\"shots one\">");
                let label = format!(
                    "Replay {} of the same build ({})",
                    second.replay,
                    checkpoint_status_str(second.status)
                );
                self.figure(&label, "second", &again, &id);
                self.out.push_str("</div>\n");
            }
            if let (Image::Png(b), Image::Png(a)) = (&baseline, &actual) {
                // The overlay copies the two images' layers' `src` in script rather than
                // embedding them again: it needs the script for its slider anyway, and the
                // inline page stays half the size. Without script it stays hidden.
                let blanks = |n: usize| "<img alt=\"\" loading=\"lazy\">".repeat(n);
                w!(
                    self.out,
                    "<div class=\"overlay\" hidden><div class=\"overlay-label\">\
                     <span>Baseline</span><input type=\"range\" min=\"0\" max=\"100\" value=\"50\" \
                     aria-label=\"Replay shown over the baseline, percent from the left\">\
                     <span>Replay</span></div><div class=\"overlay-stage\">\
                     <div class=\"overlay-base\">{}</div><div class=\"overlay-top\">{}</div>\
                     <div class=\"overlay-line\"></div></div></div>\n",
                    blanks(b.layers.len()),
                    blanks(a.layers.len()),
                );
            }
        }

        if let Some(diff) = &c.dom_diff {
            self.dom_diff(diff);
        } else if c.status == CheckpointStatus::New {
            if let Some(p) = &c.actual_dom {
                match std::fs::read(self.suite_dir.join(p)) {
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        let (shown, more) = truncate(&text);
                        w!(
                            self.out,
                            "<details class=\"dom\"><summary>DOM snapshot</summary><pre class=\"code\">{}</pre>",
                            Esc(shown)
                        );
                        if let Some(more) = more {
                            w!(self.out, "<p class=\"more\">{more}</p>");
                        }
                        self.out.push_str("</details>\n");
                    }
                    Err(_) => {
                        w!(
                            self.out,
                            "<p class=\"missing-inline\">DOM snapshot not found: <code>{}</code></p>\n",
                            Esc(p)
                        );
                    }
                }
            }
        }
        self.out.push_str("</article>\n");
    }

    fn dom_diff(&mut self, diff: &str) {
        let (shown, more) = truncate(diff);
        let is_add = |l: &str| l.starts_with('+') && !l.starts_with("+++");
        let is_del = |l: &str| l.starts_with('-') && !l.starts_with("---");
        let added = diff.lines().filter(|l| is_add(l)).count();
        let removed = diff.lines().filter(|l| is_del(l)).count();
        w!(
            self.out,
            "<details class=\"dom\" open><summary>DOM diff <span class=\"t-add\">+{added}</span> \
             <span class=\"t-del\">−{removed}</span></summary><pre class=\"code diff\">"
        );
        for line in shown.lines() {
            let class = if is_add(line) {
                "add"
            } else if is_del(line) {
                "del"
            } else if line.starts_with("@@") {
                "hunk"
            } else if line.starts_with("+++") || line.starts_with("---") {
                "file"
            } else {
                "ctx"
            };
            w!(self.out, "<span class=\"{class}\">{}\n</span>", Esc(line));
        }
        self.out.push_str("</pre>");
        if let Some(more) = more {
            w!(self.out, "<p class=\"more\">{more}</p>");
        }
        self.out.push_str("</details>\n");
    }

    fn network(&mut self, s: &SessionReport) {
        let n = &s.network;
        if n.recorded == 0
            && n.served == 0
            && n.app_assets == 0
            && n.unmatched.is_empty()
            && n.escaped.is_empty()
        {
            return;
        }
        w!(
            self.out,
            "<section><h3>Network</h3><p class=\"meta\">{} recorded exchanges · {} requests answered from the HAR · {} app assets</p>\n",
            n.recorded,
            n.served,
            n.app_assets
        );
        if !n.unmatched.is_empty() {
            w!(
                self.out,
                "<h4>Unmatched requests <span class=\"n\">{}</span></h4><table class=\"unmatched\">\
                 <thead><tr><th>method</th><th>URL</th><th>closest recorded</th><th>difference</th>\
                 </tr></thead><tbody>\n",
                n.unmatched.len()
            );
            for u in &n.unmatched {
                w!(
                    self.out,
                    "<tr><td><code>{}</code></td><td class=\"u\"><code>{}</code></td>",
                    Esc(&u.method),
                    Esc(&u.url)
                );
                match &u.closest {
                    Some(c) => {
                        w!(
                            self.out,
                            "<td class=\"u\"><code>{} {}</code></td><td>{}</td></tr>\n",
                            Esc(&c.method),
                            Esc(&c.url),
                            Esc(&c.difference)
                        );
                    }
                    None => self
                        .out
                        .push_str("<td class=\"none\">none</td><td></td></tr>\n"),
                }
            }
            self.out.push_str("</tbody></table>\n");
        }
        if !n.escaped.is_empty() {
            w!(
                self.out,
                "<h4>Escaped hosts <span class=\"n\">{}</span></h4><ul class=\"hosts\">",
                n.escaped.len()
            );
            for h in &n.escaped {
                w!(self.out, "<li><code>{}</code></li>", Esc(h));
            }
            self.out.push_str("</ul>\n");
        }
        self.out.push_str("</section>\n");
    }

    fn review_buttons(&mut self, session: &str, checkpoint: Option<&str>, what: &str) {
        let cp = match checkpoint {
            Some(c) => format!(" data-checkpoint=\"{}\"", Esc(c)),
            None => String::new(),
        };
        let what = if what.is_empty() {
            String::new()
        } else {
            format!(" {what}")
        };
        for action in ["accept", "reject"] {
            w!(
                self.out,
                "<button type=\"button\" class=\"btn {action}\" data-action=\"{action}\" data-session=\"{}\"{cp}>{action}{what}</button>",
                Esc(session)
            );
        }
    }

    /// Reads a PNG the report points at; anything else (missing, unreadable, not a PNG)
    /// becomes a placeholder rather than a broken or misleading image.
    fn image(&mut self, rel: Option<&str>) -> Image {
        self.read_png(rel, |images, bytes| images.shot(bytes))
    }

    /// The difference image of a checkpoint whose baseline is `baseline` (in a folder, a mask
    /// drawn over the baseline's layers).
    fn diff_image(&mut self, rel: Option<&str>, baseline: &Image) -> Image {
        match baseline {
            Image::Png(base) => self.read_png(rel, |images, bytes| images.diff(bytes, base)),
            Image::Missing(_) => self.image(rel),
        }
    }

    fn read_png(
        &mut self,
        rel: Option<&str>,
        shot: impl FnOnce(&mut images::Images, Vec<u8>) -> Result<images::Shot, String>,
    ) -> Image {
        let Some(rel) = rel else {
            return Image::Missing("not captured".into());
        };
        match std::fs::read(self.suite_dir.join(rel)) {
            Ok(bytes) if bytes.starts_with(PNG_SIGNATURE) => match shot(&mut *self.images, bytes) {
                Ok(shot) => Image::Png(shot),
                Err(why) => Image::Missing(format!("{why}: {rel}")),
            },
            Ok(_) => Image::Missing(format!("not a PNG file: {rel}")),
            Err(_) => Image::Missing(format!("image not found: {rel}")),
        }
    }

    /// A figure of checkpoint card `card` (its id).
    fn figure(&mut self, caption: &str, class: &str, img: &Image, card: &str) {
        match img {
            Image::Png(shot) => self.shot_figure(caption, class, shot, &format!("{card}-{class}")),
            Image::Missing(why) => {
                w!(
                    self.out,
                    "<figure><figcaption>{caption}</figcaption><div class=\"missing\">{}</div></figure>",
                    Esc(why)
                );
            }
        }
    }
}

fn count(s: &SessionReport, status: CheckpointStatus) -> usize {
    s.checkpoints.iter().filter(|c| c.status == status).count()
}

fn title_suffix(s: &SessionReport) -> String {
    if s.title.is_empty() || s.title == s.id {
        String::new()
    } else {
        format!(" <span class=\"stitle\">{}</span>", Esc(&s.title))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::matching::Closest;
    use crate::mock::UnmatchedRequest;
    use crate::model::{
        BrokenStep, ErrorKind, NetworkReport, StepReport, Summary, REPORT_FORMAT_VERSION,
    };

    const SCRIPT: &str = "<script>window.__pwned=1</script>";
    const IMG: &str = "<img src=x onerror=\"window.__pwned=1\">";
    const JS_URL: &str = "javascript:window.__pwned=1";

    fn evil() -> String {
        format!("{SCRIPT}{IMG}'{JS_URL}")
    }

    fn checkpoint(name: &str, status: CheckpointStatus) -> CheckpointReport {
        CheckpointReport {
            name: name.into(),
            status,
            dom_similarity: 0.9,
            visual_similarity: 0.8,
            diff_pixels: 12,
            step: 1,
            url: evil(),
            baseline_dom: None,
            baseline_png: Some("snapshots/a/01-x.png".into()),
            actual_dom: None,
            actual_png: Some("out/a/01-x.png".into()),
            diff_png: Some("out/a/01-x.diff.png".into()),
            dom_diff: None,
            note: None,
            second_capture: None,
            dom_changes: Vec::new(),
            visual_change: None,
            groups: Vec::new(),
        }
    }

    fn session(id: &str, status: SessionStatus) -> SessionReport {
        SessionReport {
            id: id.into(),
            title: evil(),
            status,
            fidelity: 0.5,
            duration_ms: 1234,
            attempts: 1,
            steps_total: 2,
            steps_completed: 1,
            steps: vec![
                StepReport {
                    step: 1,
                    step_type: "navigate".into(),
                    description: evil(),
                    status: StepStatus::Passed,
                    duration_ms: 10,
                },
                StepReport {
                    step: 2,
                    step_type: "click".into(),
                    description: evil(),
                    status: StepStatus::Failed,
                    duration_ms: 5000,
                },
            ],
            checkpoints: vec![],
            network: NetworkReport::default(),
            console_errors: vec![],
            error: None,
            error_kind: None,
            broken_step: None,
            tags: vec![evil()],
            divergence: None,
            recording: format!("recordings/{}.json", evil()),
            coverage: None,
        }
    }

    fn report(sessions: Vec<SessionReport>) -> RunReport {
        RunReport {
            format_version: REPORT_FORMAT_VERSION,
            verdict: Verdict::Regressed,
            duration_ms: 4321,
            summary: Summary {
                sessions: sessions.len(),
                changed: 1,
                ..Summary::default()
            },
            sessions,
            snapshots_written: 0,
            snapshots_pending: 1,
            unused_baselines: vec![evil()],
            pruned: false,
            groups: Vec::new(),
        }
    }

    fn evil_report() -> RunReport {
        let mut s = session(&evil(), SessionStatus::Changed);
        let mut c = checkpoint(&evil(), CheckpointStatus::Changed);
        c.dom_diff = Some(format!(
            "--- a\n+++ b\n@@ -1 +1 @@\n-{SCRIPT}\n+{IMG}\n {JS_URL}\n"
        ));
        c.note = Some(evil());
        s.checkpoints = vec![c, checkpoint(&evil(), CheckpointStatus::Match)];
        s.console_errors = vec![evil()];
        s.error = Some(evil());
        s.error_kind = Some(ErrorKind::Input);
        s.broken_step = Some(BrokenStep {
            step: 2,
            step_type: evil(),
            message: evil(),
            selectors: vec![evil(), "aria/Buy".into()],
        });
        s.network = NetworkReport {
            recorded: 3,
            served: 2,
            app_assets: 1,
            unmatched: vec![
                UnmatchedRequest {
                    step: 0,
                    method: evil(),
                    url: evil(),
                    closest: Some(Closest {
                        method: "GET".into(),
                        url: evil(),
                        difference: evil(),
                    }),
                },
                UnmatchedRequest {
                    step: 0,
                    method: "POST".into(),
                    url: JS_URL.into(),
                    closest: None,
                },
            ],
            escaped: vec![evil()],
        };
        report(vec![s])
    }

    /// Every `attr="value"` pair of the page's tags, in a simple scan good enough for our own
    /// output (all attributes are double-quoted).
    fn attributes(html: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            rest = &rest[start + 1..];
            let end = rest.find('>').expect("unterminated tag");
            let tag = &rest[..end];
            let mut t = tag;
            while let Some(eq) = t.find("=\"") {
                let name = t[..eq].rsplit(' ').next().unwrap_or("").to_string();
                let after = &t[eq + 2..];
                let close = after.find('"').expect("unterminated attribute");
                found.push((name, after[..close].to_string()));
                t = &after[close + 1..];
            }
            rest = &rest[end..];
        }
        found
    }

    /// The page without the bodies of its own style and script.
    fn markup(html: &str) -> String {
        let mut out = html.to_string();
        for (open, close) in [("<style>", "</style>"), ("<script>", "</script>")] {
            let start = out.find(open).expect("open") + open.len();
            let end = out.find(close).expect("close");
            out.replace_range(start..end, "");
        }
        out
    }

    #[test]
    fn escapes_payloads_in_every_field() {
        let page = render(
            &evil_report(),
            Path::new("/nonexistent"),
            &HtmlOptions {
                review_token: Some("tok".into()),
            },
        );
        let html = markup(&page);
        assert_eq!(html.matches("<script").count(), 1, "only our own script");
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("onerror=\""));
        assert!(html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;"));
        // Quotes cannot close an attribute: the payload stays inside data-session.
        assert!(html.contains(
            "data-session=\"&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;&#39;javascript:window.__pwned=1\""
        ));
        // The DOM diff keeps its colouring and escapes its lines.
        assert!(html.contains("<span class=\"del\">-&lt;script&gt;"));
        assert!(html.contains("<span class=\"add\">+&lt;img src=x onerror=&quot;"));
        // No recorded text reaches a URL attribute, and no attribute carries an event handler.
        for (name, value) in attributes(&html) {
            assert!(!name.starts_with("on"), "event handler attribute {name}");
            if name == "href" || name == "src" {
                assert!(
                    value.starts_with('#') || value.starts_with("data:"),
                    "{name}={value}"
                );
            }
            assert!(
                !value.contains('<') && !value.contains('>'),
                "{name}={value}"
            );
        }
        // Every tag name in the page is one we write.
        let allowed = [
            "html",
            "head",
            "meta",
            "title",
            "link",
            "style",
            "body",
            "main",
            "header",
            "div",
            "span",
            "h1",
            "h3",
            "h4",
            "dl",
            "dt",
            "dd",
            "ul",
            "ol",
            "li",
            "section",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "a",
            "details",
            "summary",
            "p",
            "code",
            "pre",
            "b",
            "article",
            "figure",
            "figcaption",
            "button",
            "footer",
            "script",
        ];
        for part in html.split('<').skip(1) {
            let name: String = part
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if part.starts_with('!') {
                continue;
            }
            assert!(allowed.contains(&name.as_str()), "unexpected tag <{name}");
        }
    }

    #[test]
    fn esc_covers_the_html_specials() {
        assert_eq!(
            Esc("a&b<c>d\"e'f\0").to_string(),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f\u{fffd}"
        );
        assert_eq!(Esc("plain ünïcode").to_string(), "plain ünïcode");
    }

    fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
        let start = html.find(open).expect("open tag") + open.len();
        let end = start + html[start..].find(close).expect("close tag");
        &html[start..end]
    }

    fn csp(html: &str) -> String {
        let meta = between(
            html,
            "http-equiv=\"Content-Security-Policy\" content=\"",
            "\"",
        );
        meta.replace("&#39;", "'")
    }

    #[test]
    fn csp_hashes_match_the_inline_blocks() {
        let html = render(
            &evil_report(),
            Path::new("/nonexistent"),
            &HtmlOptions::default(),
        );
        let policy = csp(&html);
        let style = between(&html, "<style>", "</style>");
        let script = between(&html, "<script>", "</script>");
        let b64 = |t: &str| {
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(t.as_bytes()))
        };
        assert!(policy.starts_with("default-src 'none'; img-src data:; "));
        assert!(
            policy.contains(&format!("style-src 'sha256-{}';", b64(style))),
            "{policy}"
        );
        assert!(
            policy.contains(&format!("script-src 'sha256-{}';", b64(script))),
            "{policy}"
        );
        assert!(policy.ends_with("base-uri 'none'; form-action 'none'"));
        assert!(!policy.contains("connect-src"));
        assert!(!policy.contains("unsafe"));
        // The policy is in force before the blocks it governs.
        assert!(html.find("Content-Security-Policy") < html.find("<style>"));
    }

    #[test]
    fn review_buttons_only_with_a_token() {
        let plain = render(
            &evil_report(),
            Path::new("/nonexistent"),
            &HtmlOptions::default(),
        );
        assert!(!plain.contains("data-action=\""));
        assert!(!plain.contains("<button"));
        assert!(plain.contains("<body>"));

        let served = render(
            &evil_report(),
            Path::new("/nonexistent"),
            &HtmlOptions {
                review_token: Some("t\"<k>".into()),
            },
        );
        assert!(served.contains("<body data-review-token=\"t&quot;&lt;k&gt;\">"));
        // One pair for the session, one for its changed checkpoint; none for the match.
        assert_eq!(served.matches("data-action=\"accept\"").count(), 2);
        assert_eq!(served.matches("data-action=\"reject\"").count(), 2);
        assert_eq!(served.matches("data-checkpoint=").count(), 2);
        let policy = csp(&served);
        assert!(policy.contains("; connect-src 'self'; "), "{policy}");
    }

    #[test]
    fn embeds_pngs_and_shows_placeholders_for_missing_or_bogus_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let png = crate::compare::png::encode_png(&image::RgbaImage::new(2, 2)).expect("png");
        std::fs::create_dir_all(dir.path().join("snapshots/a")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("out/a")).expect("mkdir");
        std::fs::write(dir.path().join("snapshots/a/01-x.png"), &png).expect("write");
        std::fs::write(dir.path().join("out/a/01-x.png"), b"<svg onload=alert(1)>").expect("w");
        let mut s = session("a", SessionStatus::Changed);
        s.checkpoints = vec![
            checkpoint("01-x", CheckpointStatus::Changed),
            checkpoint("02-y", CheckpointStatus::Match),
        ];
        let html = render(&report(vec![s]), dir.path(), &HtmlOptions::default());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        assert_eq!(
            html.matches(&format!("src=\"data:image/png;base64,{b64}\""))
                .count(),
            1,
            "the baseline once; the matching checkpoint has no images"
        );
        assert!(html.contains("not a PNG file: out/a/01-x.png"));
        assert!(html.contains("image not found: out/a/01-x.diff.png"));
        // Without both images there is nothing to overlay.
        assert!(!html.contains("class=\"overlay\""));
        assert!(html.contains("02-y"));
    }

    #[test]
    fn failing_sessions_are_open_and_passing_ones_closed() {
        let html = render(
            &report(vec![
                session("ok", SessionStatus::Passed),
                session("bad", SessionStatus::Broken),
            ]),
            Path::new("/nonexistent"),
            &HtmlOptions::default(),
        );
        assert!(html.contains("id=\"s0\" data-review-item=\"\">"));
        assert!(html.contains("id=\"s1\" data-review-item=\"\" open>"));
    }

    #[test]
    fn an_empty_run_renders() {
        let mut r = report(vec![]);
        r.verdict = Verdict::Passed;
        let html = render(&r, Path::new("/nonexistent"), &HtmlOptions::default());
        assert!(html.contains("No sessions were run."));
        assert!(html.contains("<dt>mean fidelity</dt><dd>–</dd>"));
        assert!(html.contains("class=\"verdict v-passed\""));
    }

    #[test]
    fn long_texts_are_truncated_on_line_and_char_boundaries() {
        let text = "é\n".repeat(MAX_TEXT_LINES + 10);
        let (shown, more) = truncate(&text);
        assert_eq!(shown.lines().count(), MAX_TEXT_LINES);
        assert_eq!(more.as_deref(), Some("… 10 more lines not shown"));
        let one_line = "é".repeat(MAX_TEXT_BYTES);
        let (shown, more) = truncate(&one_line);
        assert!(shown.len() <= MAX_TEXT_BYTES && more.is_some());
        assert_eq!(truncate("short"), ("short", None));
    }
}
