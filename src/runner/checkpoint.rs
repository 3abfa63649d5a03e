//! One checkpoint: capture the page, compare with the approved baseline, and store what a
//! reviewer needs (this run's capture, the diffs) without ever touching an approved baseline
//! unless asked to (`--update-snapshots`).

use super::Context;
use crate::baseline::{DomSnapshot, SessionSnapshots, SnapshotHeader};
use crate::browser::Browser;
use crate::capture::{Normalizer, SERIALIZE_JS};
use crate::compare::image::{self, ImageDiffOptions};
use crate::compare::png;
use crate::compare::{compare_dom, DomDiff};
use crate::fsutil::write_atomic;
use crate::model::{CheckpointReport, CheckpointStatus};
use serde_json::json;
use std::path::Path;

/// Paints an opaque box over every element matching the mask selectors.
const PAINT_MASKS_JS: &str = "for (const sel of arguments[0]) { let els; try { els = document.querySelectorAll(sel); } catch (e) { throw new Error('invalid mask selector `' + String(sel).slice(0, 60) + '`: ' + e.message); } \
  for (const el of els) { const r = el.getBoundingClientRect(); if (!r.width || !r.height) continue; \
    const box = document.createElement('div'); box.setAttribute('data-reprise-mask', ''); \
    box.style.cssText = `position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;height:${r.height}px;background:#ff00ff;z-index:2147483647;pointer-events:none;`; \
    document.documentElement.appendChild(box); } }";

/// What the page showed at a checkpoint.
pub(super) struct Capture {
    pub dom: String,
    pub png: Vec<u8>,
    pub url: String,
    pub viewport: String,
    pub normalizer: String,
    pub environment: crate::browser::Environment,
    /// Set when the page could not be captured.
    pub problem: Option<String>,
}

impl Capture {
    pub async fn take(browser: &Browser, normalizer: &Normalizer, viewport: &str) -> Self {
        let mut problem = None;
        let serialized = crate::profile::timed(
            crate::profile::Phase::SerializeDom,
            browser.script(SERIALIZE_JS, vec![json!({ "mask": normalizer.mask })]),
        )
        .await;
        let dom = match serialized {
            Ok(v) => normalizer.apply(v.as_str().unwrap_or_default()),
            Err(e) => {
                problem = Some(format!("cannot serialize the DOM: {e}"));
                String::new()
            }
        };
        // Masks are painted as boxes laid over the page for the screenshot only, then
        // removed: the page itself is never changed, so later steps act on it as recorded.
        if !normalizer.mask.is_empty() {
            if let Err(e) = browser
                .script(PAINT_MASKS_JS, vec![json!(normalizer.mask)])
                .await
            {
                // Unmasked pixels must never pass as a capture.
                problem.get_or_insert(format!("cannot paint the masks: {e}"));
            }
        }
        let png =
            crate::profile::timed(crate::profile::Phase::Screenshot, browser.screenshot()).await;
        if !normalizer.mask.is_empty() {
            let _ = browser
                .script(
                    "document.querySelectorAll('[data-reprise-mask]').forEach(e => e.remove());",
                    vec![],
                )
                .await;
        }
        let png = match png {
            Ok(p) => p,
            Err(e) => {
                problem.get_or_insert(format!("cannot take a screenshot: {e}"));
                Vec::new()
            }
        };
        Self {
            dom,
            png,
            url: browser.current_url().await,
            viewport: viewport.to_string(),
            normalizer: normalizer.digest().to_string(),
            environment: browser.environment().await,
            problem,
        }
    }
}

/// Pixel comparison outcome, in the form the report needs.
pub(super) struct Visual {
    similarity: f64,
    diff_pixels: u64,
    pub within_tolerance: bool,
    diff_png: Option<Vec<u8>>,
    /// The kind of difference, for grouping alike checkpoints (read while both images are
    /// decoded, so grouping costs no second decode).
    change: Option<crate::grouping::VisualChange>,
}

pub(super) fn compare_pngs(
    baseline: Option<&[u8]>,
    actual: &[u8],
    cfg: &crate::config::CompareConfig,
) -> Visual {
    let failed = Visual {
        similarity: 0.0,
        diff_pixels: 0,
        within_tolerance: false,
        diff_png: None,
        change: None,
    };
    let (Some(baseline), false) = (baseline, actual.is_empty()) else {
        return failed;
    };
    if baseline == actual {
        return Visual {
            similarity: 1.0,
            diff_pixels: 0,
            within_tolerance: true,
            diff_png: None,
            change: None,
        };
    }
    // Over the cap counts as different: never decoded, never a match.
    let max = cfg.max_image_pixels;
    let capped = |b: &[u8]| crate::compare::limits::check_png(b, max).is_ok();
    if !capped(baseline) || !capped(actual) {
        return failed;
    }
    let (Ok(a), Ok(b)) = (png::decode_png(baseline), png::decode_png(actual)) else {
        return failed;
    };
    let opts = ImageDiffOptions {
        threshold: cfg.threshold,
        include_aa: cfg.include_antialiasing,
        ..ImageDiffOptions::default()
    };
    let d = image::compare_images(&a, &b, &opts);
    let tolerated = cfg
        .max_diff_pixels
        .max((cfg.max_diff_ratio * d.total_pixels as f64) as u64);
    let within = d.size_mismatch.is_none() && d.diff_pixels <= tolerated;
    let change = (!within).then(|| crate::grouping::analyze(&a, &b));
    Visual {
        change,
        similarity: d.similarity(),
        diff_pixels: d.diff_pixels,
        within_tolerance: within,
        diff_png: (d.diff_pixels > 0)
            .then(|| png::encode_png(&d.diff_image).ok())
            .flatten(),
    }
}

/// A capture that may become a baseline (`--update-snapshots`) or a pending snapshot, once
/// the session is known not to be flaky.
pub(super) struct Candidate {
    pub name: String,
    pub dom: DomSnapshot,
    pub png: Vec<u8>,
}

/// Where a checkpoint belongs: its session, name, step, and where this replay's captures go.
pub(super) struct Place<'a> {
    pub session: &'a str,
    pub name: &'a str,
    pub step: usize,
    pub artifacts: &'a Path,
    /// The comparison settings for this session.
    pub compare: &'a crate::config::CompareConfig,
}

/// Compares a capture with its baseline and writes this run's files; the third value lists the
/// files that could not be written (each with its path), which make the session an error.
pub(super) async fn compare_and_store(
    ctx: &Context,
    place: Place<'_>,
    capture: Capture,
) -> (CheckpointReport, Option<Candidate>, Vec<String>) {
    let mut unwritten = Vec::new();
    let Place {
        session,
        name,
        step,
        artifacts,
        compare,
    } = place;
    let opts = &ctx.opts;
    let suite = &opts.suite_dir;
    let rel = |p: &Path| p.strip_prefix(suite).unwrap_or(p).display().to_string();
    let snaps = SessionSnapshots::new(&suite.join(crate::suite::SNAPSHOTS_DIR), session);
    let actual = DomSnapshot {
        header: SnapshotHeader {
            session: session.to_string(),
            checkpoint: name.to_string(),
            step,
            url: capture.url.clone(),
            viewport: capture.viewport.clone(),
            normalizer: capture.normalizer.clone(),
            environment: capture.environment.clone(),
        },
        body: capture.dom.clone(),
    };
    let mut report = CheckpointReport {
        name: name.to_string(),
        status: CheckpointStatus::New,
        dom_similarity: 0.0,
        visual_similarity: 0.0,
        diff_pixels: 0,
        step,
        url: capture.url.clone(),
        baseline_dom: None,
        baseline_png: None,
        actual_dom: None,
        actual_png: None,
        diff_png: None,
        dom_diff: None,
        note: capture.problem.clone(),
        second_capture: None,
        dom_changes: Vec::new(),
        visual_change: None,
        groups: Vec::new(),
    };
    let baseline = match snaps.load(name) {
        Ok(b) => b,
        Err(msg) => {
            // An unreadable baseline is a difference to review, never something to overwrite
            // silently.
            report.note = Some(msg);
            report.status = CheckpointStatus::Changed;
            store_artifacts(
                ctx,
                artifacts,
                name,
                &actual,
                &capture.png,
                None,
                None,
                &mut report,
                &mut unwritten,
            );
            return (report, None, unwritten);
        }
    };
    let Some(baseline) = baseline else {
        store_artifacts(
            ctx,
            artifacts,
            name,
            &actual,
            &capture.png,
            None,
            None,
            &mut report,
            &mut unwritten,
        );
        let candidate = candidate(name, actual, capture.png);
        return (report, candidate, unwritten);
    };
    report.baseline_dom = Some(rel(&snaps.dom_path(name)));
    report.baseline_png = baseline.png.as_ref().map(|_| rel(&snaps.png_path(name)));
    if let Some(why) = baseline
        .dom
        .header
        .environment
        .incompatibility(&capture.environment)
    {
        // Pixels from another browser or font set differ everywhere: say so instead of
        // leaving people to read a thousand-pixel diff.
        let note = format!(
            "environment: the baseline was made with {why}; re-approve baselines made here"
        );
        if compare.environment == crate::config::EnvironmentPolicy::Error {
            report.status = CheckpointStatus::Changed;
            report.note = Some(note);
            return (report, None, unwritten);
        }
        report.note = Some(note);
    }
    if baseline.dom.header.normalizer != capture.normalizer {
        report.note = Some(
            "baseline made with other normalization rules: re-approve it after checking the diff"
                .into(),
        );
    }
    let dom: DomDiff = compare_dom(&baseline.dom.body, &actual.body);
    let cfg = compare.clone();
    let png = capture.png.clone();
    let base_png = baseline.png.clone();
    let visual = if base_png.is_none() {
        // A DOM-only baseline (an imported rrweb session shows what the user saw, but no
        // pixels): the screenshot has nothing to be compared with.
        report.note.get_or_insert_with(|| {
            "the baseline has no screenshot: compared the DOM only (`--update-snapshots` adds one)".into()
        });
        Visual {
            similarity: 1.0,
            diff_pixels: 0,
            within_tolerance: true,
            diff_png: None,
            change: None,
        }
    } else {
        // Pixel work is CPU-bound: keep it off the async workers that drive the browsers.
        tokio::task::spawn_blocking(move || compare_pngs(base_png.as_deref(), &png, &cfg))
            .await
            .unwrap_or(Visual {
                similarity: 0.0,
                diff_pixels: 0,
                within_tolerance: false,
                diff_png: None,
                change: None,
            })
    };
    report.dom_similarity = dom.similarity;
    report.visual_similarity = visual.similarity;
    report.diff_pixels = visual.diff_pixels;
    // A DOM that differs only in `class` attributes, with the same pixels, is a refactor of
    // class names (an added unused class), not something a user sees.
    let class_only = !dom.equal
        && compare.ignore_invisible_class_changes
        && visual.within_tolerance
        && baseline.png.is_some()
        && {
            let changes =
                crate::compare::dom::structural_changes(&baseline.dom.body, &actual.body, 10_000);
            !changes.is_empty()
                && changes
                    .iter()
                    .all(crate::compare::dom::DomChange::is_class_only)
        };
    if class_only {
        report.note = Some("only `class` attributes changed, with no visible difference".into());
    }
    if (dom.equal || class_only) && visual.within_tolerance && capture.problem.is_none() {
        report.status = CheckpointStatus::Match;
        if opts.keep_captures {
            store_artifacts(
                ctx,
                artifacts,
                name,
                &actual,
                &capture.png,
                None,
                None,
                &mut report,
                &mut unwritten,
            );
        }
        if !opts.ci {
            snaps.remove_pending(name);
        }
        return (report, None, unwritten);
    }
    report.status = CheckpointStatus::Changed;
    report.visual_change = visual.change;
    if !dom.equal {
        report.dom_changes =
            crate::compare::dom::structural_changes(&baseline.dom.body, &actual.body, 50);
    }
    let dom_diff = (!dom.equal).then_some(dom.unified);
    store_artifacts(
        ctx,
        artifacts,
        name,
        &actual,
        &capture.png,
        visual.diff_png.as_deref(),
        dom_diff.as_deref(),
        &mut report,
        &mut unwritten,
    );
    report.dom_diff = dom_diff;
    let candidate = candidate(name, actual, capture.png);
    (report, candidate, unwritten)
}

fn candidate(name: &str, dom: DomSnapshot, png: Vec<u8>) -> Option<Candidate> {
    (!dom.body.is_empty() && !png.is_empty()).then(|| Candidate {
        name: name.to_string(),
        dom,
        png,
    })
}

/// Approves (`--update-snapshots`) or leaves a pending pair for review (local runs only).
/// Returns how many snapshots were written. A snapshot that cannot be written makes the
/// session an infrastructure error naming the path: a run must never claim a baseline it
/// did not write.
pub(super) fn persist(
    ctx: &Context,
    session: &mut crate::model::SessionReport,
    candidates: &[Candidate],
) -> usize {
    let snaps = SessionSnapshots::new(
        &ctx.opts.suite_dir.join(crate::suite::SNAPSHOTS_DIR),
        &session.id,
    );
    let mut written = 0;
    let mut failed = Vec::new();
    for c in candidates {
        let result = if ctx.opts.update_snapshots {
            snaps.approve(&c.name, &c.dom, &c.png)
        } else if !ctx.opts.ci {
            snaps.write_pending(&c.name, &c.dom, &c.png)
        } else {
            continue;
        };
        match result {
            Ok(()) => written += 1,
            Err(e) => {
                let message = format!("cannot write the snapshot {e}");
                if let Some(r) = session.checkpoints.iter_mut().find(|r| r.name == c.name) {
                    r.note = Some(message.clone());
                }
                failed.push(message);
            }
        }
    }
    if !failed.is_empty() {
        fail_writes(session, &failed);
    }
    written
}

/// Makes a session an infrastructure error (exit 3) because files could not be written.
pub(super) fn fail_writes(session: &mut crate::model::SessionReport, failed: &[String]) {
    session.status = crate::model::SessionStatus::Error;
    session.error_kind = Some(crate::model::ErrorKind::Infrastructure);
    let mut message = failed.join("\n");
    if let Some(before) = session.error.take() {
        message.push_str(&format!("\n{before}"));
    }
    session.error = Some(message);
}

/// Writes this run's capture and diffs under the output folder, for reports and CI artifacts.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per outcome; a struct would only rename them"
)]
fn store_artifacts(
    ctx: &Context,
    dir: &Path,
    name: &str,
    actual: &DomSnapshot,
    png: &[u8],
    diff_png: Option<&[u8]>,
    dom_diff: Option<&str>,
    report: &mut CheckpointReport,
    unwritten: &mut Vec<String>,
) {
    let suite = &ctx.opts.suite_dir;
    let rel = |p: &Path| p.strip_prefix(suite).unwrap_or(p).display().to_string();
    let mut write = |path: &Path, bytes: &[u8]| match write_atomic(path, bytes) {
        Ok(()) => Some(rel(path)),
        Err(e) => {
            unwritten.push(format!("cannot write `{}`: {e}", path.display()));
            None
        }
    };
    let dom_path = dir.join(format!("{name}.actual.dom"));
    report.actual_dom = write(&dom_path, actual.render().as_bytes());
    if !png.is_empty() {
        report.actual_png = write(&dir.join(format!("{name}.actual.png")), png);
    }
    if let Some(d) = diff_png {
        report.diff_png = write(&dir.join(format!("{name}.diff.png")), d);
    }
    if let Some(d) = dom_diff {
        write(&dir.join(format!("{name}.dom.diff")), d.as_bytes());
    }
}
