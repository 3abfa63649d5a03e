//! Replaying one session: load its recording and HAR, start its backend and browser, perform
//! the steps in order with the clock moving as recorded, take checkpoints, and score it.

use super::checkpoint::{self, Candidate, Capture, Place};
use super::Context;
use crate::browser::coverage::Blocks;
use crate::browser::{Browser, SessionConfig};
use crate::capture::Normalizer;
use crate::config::SessionSettings;
use crate::determinism::Determinism;
use crate::mock::{Exchange, MockBackend};
use crate::model::{
    BrokenStep, CheckpointStatus, ErrorKind, Event, NetworkReport, SessionReport, SessionStatus,
    StepReport, StepStatus,
};
use crate::profile::{self, Phase};
use crate::recording::{self, Recording, StepKind};
use crate::suite::SessionSpec;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Quiet time required between steps and before a snapshot.
const STEP_QUIET_MS: u64 = 20;
const SNAPSHOT_QUIET_MS: u64 = 50;
const SETTLE_MAX: Duration = Duration::from_secs(5);

/// A session's inputs, read and resolved once per session: every replay of it (an
/// infrastructure retry, a flake check) uses the same recording, exchanges and settings.
pub(super) struct Prepared {
    rec: Recording,
    exchanges: Vec<Exchange>,
    app_origin: String,
    /// The recording's path relative to the suite, as reports name it.
    recording_path: String,
    /// The suite's settings with this session's overrides applied.
    pub settings: SessionSettings,
}

/// Reads a session's recording and HAR and resolves its settings; a report of the input
/// error when they cannot be used.
pub(super) fn prepare(ctx: &Context, spec: &SessionSpec) -> Result<Prepared, Box<SessionReport>> {
    let rel = |p: &std::path::Path| {
        p.strip_prefix(&ctx.opts.suite_dir)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let recording_path = rel(&spec.recording);
    let input_error = |msg: String| {
        Err(Box::new(SessionReport::error(
            &spec.id,
            &recording_path,
            ErrorKind::Input,
            msg,
        )))
    };
    // The id names folders under snapshots/ and the output folder: keep it a plain name.
    let valid_id = !spec.id.starts_with('.')
        && spec
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_id {
        return input_error(format!(
            "`{recording_path}`: the session name `{}` is not a plain file name\nhint: rename the recording using letters, digits, `-`, `_` and `.` (not first)",
            spec.id
        ));
    }
    let rec = match recording::load_recording(&spec.recording) {
        Ok(r) => r,
        Err(e) => {
            let e = e.with_path(&recording_path);
            let msg = match e.hint() {
                Some(h) => format!("{e}\nhint: {h}"),
                None => e.to_string(),
            };
            return input_error(msg);
        }
    };
    let mut rec = rec;
    // Uploaded files (`reprise.files`) live beside the recording: resolve them now, so a
    // missing file is a recording error before any browser starts.
    let base = spec
        .recording
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    for (i, step) in rec.steps.iter_mut().enumerate() {
        for f in &mut step.files {
            let path = base.join(&*f);
            if !path.is_file() {
                return input_error(format!(
                    "`{recording_path}`: step {} uploads `{f}`, which does not exist beside the recording\nhint: keep the recording's `.files` folder next to it (`reprise record` writes it)",
                    i + 1
                ));
            }
            *f = std::path::absolute(&path)
                .unwrap_or(path)
                .display()
                .to_string();
        }
    }
    let exchanges = match &spec.mocks {
        Some(path) => match crate::mock::load_har(path) {
            Ok(x) => x,
            Err(mut e) => {
                e.path = PathBuf::from(rel(path));
                return input_error(e.to_string());
            }
        },
        None => Vec::new(),
    };
    let Some(app_origin) = app_origin(&rec, ctx.opts.config.app.origin.as_deref()) else {
        return input_error(format!(
            "`{recording_path}`: cannot tell the app's origin: the recording has no `navigate` step\nhint: add a `navigate` step, or set `\"reprise\": {{\"origin\": \"https://…\"}}` in the recording"
        ));
    };
    let settings = ctx.opts.config.for_session(&spec.id, &rec.meta.tags);
    Ok(Prepared {
        rec,
        exchanges,
        app_origin,
        recording_path,
        settings,
    })
}

/// Replays a session once. `pass` numbers the replays of one run (a flake check replays a
/// changed session again); captures of pass N > 1 go to their own folder. Captures that may
/// become baselines are handed back in `candidates`, for the runner to persist once it
/// knows the session is not flaky.
pub(super) async fn replay(
    ctx: &Context,
    spec: &SessionSpec,
    prepared: &Prepared,
    pass: u32,
    candidates: &mut Vec<Candidate>,
) -> SessionReport {
    let started = Instant::now();
    let Prepared {
        rec,
        exchanges,
        app_origin,
        recording_path,
        settings,
    } = prepared;
    let recording_path = recording_path.clone();
    let backend = profile::timed(Phase::Mock, MockBackend::start(exchanges.clone())).await;
    let determinism = Determinism::for_recording(rec);
    ctx.pool.replace_dead_driver().await;
    let generation = ctx.pool.generation().await;
    let webdriver_url = ctx.pool.webdriver_url();
    let opened = match profile::timed(Phase::Launch, ctx.pool.take()).await {
        Ok(launched) => {
            profile::timed(
                Phase::Bind,
                Browser::bind(
                    launched,
                    SessionConfig {
                        webdriver_url: &webdriver_url,
                        app_origin: app_origin.clone(),
                        app: ctx.opts.app.clone(),
                        backend_uri: backend.uri(),
                        determinism: determinism.clone(),
                    },
                ),
            )
            .await
        }
        Err(e) => Err(e),
    };
    let browser = match opened {
        Ok(b) => b,
        Err(e) => {
            // Say what happened when the driver died; the hint is for drivers that never
            // worked.
            let msg = match ctx.pool.driver_death(generation).await {
                Some(why) => format!("{why}; this session could not start its browser: {e}"),
                None => match e.hint() {
                    Some(h) => format!("{e}\nhint: {h}"),
                    None => e.to_string(),
                },
            };
            return SessionReport::error(&spec.id, &recording_path, ErrorKind::Infrastructure, msg);
        }
    };
    let mut artifacts = ctx.opts.out_dir.join(&spec.id);
    if pass > 1 {
        artifacts = artifacts.join(format!("replay-{pass}"));
    }
    let mut run = Replay {
        ctx,
        spec,
        browser: &browser,
        checkpoints: Vec::new(),
        timeline: Vec::new(),
        viewport: "1280x800@1".into(),
        artifacts,
        candidates: Vec::new(),
        unwritten: Vec::new(),
        backend: &backend,
        normalizer: Normalizer::new(&settings.normalize),
        settings,
        coverage: None,
        coverage_error: None,
    };
    if ctx.opts.coverage {
        // A replay that cannot measure what it ran would be stored as covering nothing.
        run.coverage = Some(Blocks::default());
        if let Err(e) = browser.start_coverage().await {
            run.coverage_error = Some(e.to_string());
        }
    }
    let outcome = run.steps(rec, &determinism).await;
    let coverage = match (run.coverage.take(), run.coverage_error.take()) {
        (Some(_), Some(e)) => Some(serde_json::json!({ "error": e })),
        (Some(mut blocks), None) => {
            let _ = browser.take_coverage(&mut blocks).await;
            serde_json::to_value(&blocks).ok()
        }
        _ => None,
    };
    let checkpoints = std::mem::take(&mut run.checkpoints);
    let unwritten = std::mem::take(&mut run.unwritten);
    *candidates = std::mem::take(&mut run.candidates);
    let mut steps = std::mem::take(&mut run.timeline);
    for (i, step) in rec.steps.iter().enumerate().skip(steps.len()) {
        steps.push(StepReport {
            step: i + 1,
            step_type: step.kind.type_name().to_string(),
            description: describe(&step.kind),
            status: StepStatus::Skipped,
            duration_ms: 0,
        });
    }

    let network = NetworkReport {
        recorded: backend.recorded(),
        served: backend.served(),
        app_assets: browser.app_assets_served(),
        unmatched: backend.unmatched(),
        escaped: browser.escaped(),
    };
    let console = browser.console_errors();
    let console_errors: Vec<String> = console.iter().map(|(_, text)| text.clone()).collect();
    // A step that failed because the browser or driver died is not the app's fault: report
    // it as infrastructure, which the runner retries, rather than as a broken flow.
    let crashed = outcome.is_err() && !browser.alive().await;
    profile::timed(Phase::Recycle, ctx.pool.retire(browser)).await;
    if let (true, Err((_, b))) = (crashed, &outcome) {
        let what = ctx
            .pool
            .driver_death(generation)
            .await
            .unwrap_or_else(|| "the browser stopped responding".into());
        return SessionReport::error(
            &spec.id,
            &recording_path,
            ErrorKind::Infrastructure,
            format!(
                "{what} at step {} (`{}`): {}",
                b.step, b.step_type, b.message
            ),
        );
    }

    let (completed, broken) = match outcome {
        Ok(n) => (n, None),
        Err((n, b)) => (n, Some(b)),
    };
    let fidelity = crate::score::fidelity(
        rec.steps.len(),
        completed,
        network.served,
        network.unmatched.len(),
        &checkpoints,
    );
    let status = if broken.is_some() {
        SessionStatus::Broken
    } else if checkpoints
        .iter()
        .any(|c| c.status == CheckpointStatus::Changed)
        || !network.unmatched.is_empty()
    {
        SessionStatus::Changed
    } else if checkpoints
        .iter()
        .any(|c| c.status == CheckpointStatus::New)
    {
        SessionStatus::New
    } else {
        SessionStatus::Passed
    };
    let error = broken.as_ref().map(|b| {
        format!(
            "step {} (`{}`) could not be performed: {}",
            b.step, b.step_type, b.message
        )
    });
    let divergence = matches!(status, SessionStatus::Changed | SessionStatus::Broken)
        .then(|| {
            super::divergence::first(broken.as_ref(), &network.unmatched, &console, &checkpoints)
        })
        .flatten();
    let mut report = SessionReport {
        id: spec.id.clone(),
        title: rec.title.clone(),
        status,
        fidelity,
        duration_ms: started.elapsed().as_millis() as u64,
        attempts: 1,
        steps_total: rec.steps.len(),
        steps_completed: completed,
        steps,
        checkpoints,
        network,
        console_errors,
        error,
        error_kind: None,
        broken_step: broken,
        tags: rec.meta.tags.clone(),
        divergence,
        recording: recording_path,
        coverage,
    };
    if !unwritten.is_empty() {
        // A capture or diff that was not written leaves a report pointing at nothing.
        super::checkpoint::fail_writes(&mut report, &unwritten);
    }
    report
}

/// The origin the app is served at: the suite's override, the recording's, else the origin of
/// its first navigation.
fn app_origin(rec: &Recording, configured: Option<&str>) -> Option<String> {
    let from = |s: &str| {
        url::Url::parse(s)
            .ok()
            .map(|u| u.origin().ascii_serialization())
    };
    if let Some(o) = configured.and_then(from) {
        return Some(o);
    }
    if let Some(o) = rec.meta.origin.as_deref().and_then(from) {
        return Some(o);
    }
    rec.steps.iter().find_map(|s| match &s.kind {
        StepKind::Navigate { url } => from(url),
        _ => None,
    })
}

struct Replay<'a> {
    ctx: &'a Context,
    spec: &'a SessionSpec,
    browser: &'a Browser,
    checkpoints: Vec<crate::model::CheckpointReport>,
    timeline: Vec<StepReport>,
    viewport: String,
    artifacts: PathBuf,
    candidates: Vec<Candidate>,
    /// Files of this replay that could not be written (each message names its path).
    unwritten: Vec<String>,
    backend: &'a MockBackend,
    settings: &'a SessionSettings,
    normalizer: Normalizer,
    /// What the replay ran so far, when the run measures coverage.
    coverage: Option<Blocks>,
    coverage_error: Option<String>,
}

impl Replay<'_> {
    /// Performs every step; returns how many completed, or where it broke.
    async fn steps(
        &mut self,
        rec: &Recording,
        det: &Determinism,
    ) -> Result<usize, (usize, BrokenStep)> {
        let default_timeout = rec
            .timeout_ms
            .unwrap_or(self.ctx.opts.config.run.step_timeout_ms);
        let total = rec.steps.len();
        let mut last_had_checkpoint = false;
        for (i, step) in rec.steps.iter().enumerate() {
            let n = i + 1;
            let step_started = Instant::now();
            let record = |timeline: &mut Vec<StepReport>, status| {
                timeline.push(StepReport {
                    step: n,
                    step_type: step.kind.type_name().to_string(),
                    description: describe(&step.kind),
                    status,
                    duration_ms: step_started.elapsed().as_millis() as u64,
                });
            };
            let _ = self.ctx.events.send(Event::StepStarted {
                id: self.spec.id.clone(),
                step: n,
                total,
            });
            if let Some(w) = &self.ctx.opts.watch {
                tokio::time::sleep(w.slow_mo).await;
            }
            self.backend.set_step(n);
            self.browser.set_step(n);
            self.browser
                .begin_step(det.time_of_step(i, step.timestamp_ms))
                .await;
            // While this step waits, the page's time may run up to the person's next action.
            let next_action = rec
                .steps
                .get(i + 1)
                .map(|next| det.time_of_step(i + 1, next.timestamp_ms));
            self.browser.set_time_limit(next_action);
            let timeout = Duration::from_millis(step.timeout_ms.unwrap_or(default_timeout));
            if let StepKind::SetViewport {
                width,
                height,
                device_scale_factor,
                ..
            } = &step.kind
            {
                self.viewport = format!("{width}x{height}@{device_scale_factor}");
            }
            let broken = |message: String, selectors: Vec<String>| {
                (
                    i,
                    BrokenStep {
                        step: n,
                        step_type: step.kind.type_name().to_string(),
                        message,
                        selectors,
                    },
                )
            };
            // Taken before each step, so what a document ran is kept before a step leaves it.
            if let Some(blocks) = self.coverage.as_mut() {
                if let Err(e) = self.browser.take_coverage(blocks).await {
                    self.coverage_error.get_or_insert(e.to_string());
                }
            }
            if let Err(e) =
                profile::timed(Phase::Perform, self.browser.perform(step, timeout)).await
            {
                record(&mut self.timeline, StepStatus::Failed);
                return Err(broken(e.message, e.selectors));
            }
            if matches!(step.kind, StepKind::Navigate { .. }) {
                self.browser.forget_start_storage().await;
            }
            // Closing the main page ends the replay; closing a popup only closes it.
            if matches!(step.kind, StepKind::Close) && step.target == "main" {
                record(&mut self.timeline, StepStatus::Passed);
                return Ok(n);
            }
            let marked = profile::timed(
                Phase::Settle,
                self.browser.settle(STEP_QUIET_MS, SETTLE_MAX),
            )
            .await;
            for ev in &step.asserted_events {
                if let Err(msg) = self.check_navigation(ev).await {
                    record(&mut self.timeline, StepStatus::Failed);
                    return Err(broken(msg, Vec::new()));
                }
            }
            // The document marked before the step is gone: the step navigated. The settle
            // looked last; checking the navigation's asserted events does not navigate.
            let marked = match (marked, step.asserted_events.is_empty()) {
                (Some(m), true) => Some(m),
                _ => self
                    .browser
                    .script("return window.__repriseMarker === true;", vec![])
                    .await
                    .ok()
                    .and_then(|v| v.as_bool()),
            };
            let navigated = matches!(step.kind, StepKind::Navigate { .. }) || marked == Some(false);
            record(&mut self.timeline, StepStatus::Passed);
            if let Some(done) = self.timeline.last() {
                let _ = self.ctx.events.send(Event::StepFinished {
                    id: self.spec.id.clone(),
                    step: done.clone(),
                });
            }
            if self.ctx.opts.watch.as_ref().is_some_and(|w| w.until == n) {
                self.pause(n).await;
            }
            last_had_checkpoint = false;
            if let StepKind::Checkpoint { name } = &step.kind {
                let label = name.clone().unwrap_or_else(|| "checkpoint".into());
                self.checkpoint(n, &label).await;
                last_had_checkpoint = true;
            } else if navigated {
                let url = self.browser.current_url().await;
                self.checkpoint(n, &recording::page_label(&url)).await;
                last_had_checkpoint = true;
            }
        }
        if !last_had_checkpoint {
            self.checkpoint(total, "end").await;
        }
        if self
            .ctx
            .opts
            .watch
            .as_ref()
            .is_some_and(|w| w.until == usize::MAX)
        {
            self.pause(total).await;
        }
        Ok(total)
    }

    /// Holds the replay with the browser open until the person resumes it.
    async fn pause(&self, step: usize) {
        let Some(w) = &self.ctx.opts.watch else {
            return;
        };
        let session = self.browser.webdriver_session().await;
        let _ = self.ctx.events.send(Event::Paused {
            id: self.spec.id.clone(),
            step,
            url: self.browser.current_url().await,
            webdriver: self.ctx.pool.webdriver_url(),
            session,
        });
        let _ = w.resume.lock().await.recv().await;
    }

    async fn check_navigation(&self, ev: &recording::AssertedEvent) -> Result<(), String> {
        if let Some(want) = &ev.url {
            let got = self.browser.current_url().await;
            if &got != want {
                return Err(format!(
                    "expected navigation to `{want}`, the page is at `{got}`"
                ));
            }
        }
        if let Some(want) = &ev.title {
            let got = self.browser.title().await;
            if &got != want {
                return Err(format!("expected the page title `{want}`, found `{got}`"));
            }
        }
        Ok(())
    }

    async fn checkpoint(&mut self, step: usize, label: &str) {
        let name = recording::checkpoint_name(step, label);
        profile::timed(
            Phase::Settle,
            self.browser.settle(SNAPSHOT_QUIET_MS, SETTLE_MAX),
        )
        .await;
        profile::timed(Phase::PrepareSnapshot, self.browser.prepare_snapshot()).await;
        let capture = Capture::take(self.browser, &self.normalizer, &self.viewport).await;
        // With coverage on, what this checkpoint shows is measured too (curation's view
        // units): the page is settled and prepared exactly as the capture saw it.
        if let Some(blocks) = self.coverage.as_mut() {
            if let Err(e) = self.browser.take_view(&name, blocks).await {
                self.coverage_error
                    .get_or_insert(format!("cannot read what checkpoint `{name}` shows: {e}"));
            }
        }
        let place = Place {
            session: &self.spec.id,
            name: &name,
            step,
            artifacts: &self.artifacts,
            compare: &self.settings.compare,
        };
        let (report, candidate, unwritten) = profile::timed(
            Phase::Compare,
            checkpoint::compare_and_store(self.ctx, place, capture),
        )
        .await;
        self.unwritten.extend(unwritten);
        self.checkpoints.push(report);
        self.candidates.extend(candidate);
    }
}

/// A one-line description of a step for timelines.
fn describe(kind: &StepKind) -> String {
    let first =
        |sels: &[recording::Selector]| sels.first().map(ToString::to_string).unwrap_or_default();
    match kind {
        StepKind::SetViewport { width, height, .. } => format!("{width}×{height}"),
        StepKind::Navigate { url } => url.clone(),
        StepKind::Click(c) | StepKind::DoubleClick(c) => first(&c.selectors),
        StepKind::Change { selectors, value } => format!("{} ← {value:?}", first(selectors)),
        StepKind::KeyDown { key } | StepKind::KeyUp { key } => key.clone(),
        StepKind::Scroll { selectors, x, y } if selectors.is_empty() => {
            format!("window to {x}, {y}")
        }
        StepKind::Scroll { selectors, x, y } => format!("{} to {x}, {y}", first(selectors)),
        StepKind::WaitForExpression { expression } => expression.clone(),
        StepKind::Checkpoint { name } => name.clone().unwrap_or_default(),
        StepKind::Custom { name, .. } => name.clone(),
        other => first(other.selectors()),
    }
}
