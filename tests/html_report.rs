//! End to end: the HTML report opened in the real Chromium (Debian's chromium and
//! chromedriver), from `file://` and served for review over loopback HTTP. Recorded content
//! carries script payloads; the page must show them as text, load nothing from the network,
//! trip no Content-Security-Policy violation and still work (images, slider, review buttons).

use fantoccini::actions::InputSource as _;
use fantoccini::wd::WebDriverCompatibleCommand;
use image::{Rgba, RgbaImage};
use reprise::browser::driver::{find_chromium, open_session, Chromedriver};
use reprise::compare::image::{compare_images, ImageDiffOptions};
use reprise::compare::png::encode_png;
use reprise::mock::matching::Closest;
use reprise::mock::UnmatchedRequest;
use reprise::model::{
    BrokenStep, CheckpointReport, CheckpointStatus, ErrorKind, NetworkReport, RunReport,
    SessionReport, SessionStatus, StepReport, StepStatus, Summary, Verdict, REPORT_FORMAT_VERSION,
};
use reprise::report::html::{self, HtmlOptions};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SCRIPT: &str = "<script>window.__pwned=1</script>";
const IMG: &str = "<img src=x onerror=\"window.__pwned=1\">";
const JS_URL: &str = "javascript:window.__pwned=1";
const SCREENSHOT: &str = "/tmp/reprise-html-report.png";

/// chromedriver's legacy log endpoint (`POST /session/{id}/se/log`), which W3C sessions keep:
/// it returns and clears the browser's console entries, CSP violations included.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        (
            reqwest::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

async fn browser_log(client: &fantoccini::Client) -> Vec<Value> {
    match client.issue_cmd(BrowserLog).await.expect("browser log") {
        Value::Array(entries) => entries,
        other => panic!("unexpected log answer {other}"),
    }
}

/// A page-like screenshot: a header bar, lines of text and a button of the given colour.
fn page_png(button: [u8; 3], banner: bool) -> Vec<u8> {
    let (w, h) = (640, 400);
    let mut img = RgbaImage::from_pixel(w, h, Rgba([255, 255, 255, 255]));
    let mut rect = |x: u32, y: u32, rw: u32, rh: u32, c: [u8; 3]| {
        for yy in y..(y + rh).min(h) {
            for xx in x..(x + rw).min(w) {
                img.put_pixel(xx, yy, Rgba([c[0], c[1], c[2], 255]));
            }
        }
    };
    rect(0, 0, w, 56, [36, 41, 47]);
    rect(24, 20, 90, 16, [255, 255, 255]);
    for (i, len) in [420, 380, 450, 300, 410].iter().enumerate() {
        rect(24, 90 + i as u32 * 28, *len, 12, [208, 215, 222]);
    }
    rect(24, 250, 180, 44, button);
    if banner {
        rect(24, 320, 592, 50, [255, 223, 128]);
    }
    encode_png(&img).expect("encode png")
}

fn write(suite: &Path, rel: &str, bytes: &[u8]) {
    let path = suite.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

fn evil(prefix: &str) -> String {
    format!("{prefix}{SCRIPT}{IMG}'\"{JS_URL}")
}

fn step(n: usize, step_type: &str, description: &str, status: StepStatus, ms: u64) -> StepReport {
    StepReport {
        step: n,
        step_type: step_type.into(),
        description: description.into(),
        status,
        duration_ms: ms,
    }
}

fn checkpoint(
    session: &str,
    name: &str,
    status: CheckpointStatus,
    step: usize,
) -> CheckpointReport {
    let out = |ext: &str| Some(format!(".reprise/out/{session}/{name}{ext}"));
    let changed = status == CheckpointStatus::Changed;
    let new = status == CheckpointStatus::New;
    CheckpointReport {
        name: name.into(),
        status,
        dom_similarity: if changed { 0.962 } else { 1.0 },
        visual_similarity: if changed { 0.9791 } else { 1.0 },
        diff_pixels: if changed { 5348 } else { 0 },
        step,
        url: format!("https://shop.example/{name}?q={}", evil("")),
        baseline_dom: (!new).then(|| format!("snapshots/{session}/{name}.dom")),
        baseline_png: (!new).then(|| format!("snapshots/{session}/{name}.png")),
        actual_dom: (changed || new).then(|| out(".dom")).flatten(),
        actual_png: (changed || new).then(|| out(".png")).flatten(),
        diff_png: changed.then(|| out(".diff.png")).flatten(),
        dom_diff: None,
        note: None,
        second_capture: None,
        dom_changes: Vec::new(),
        visual_change: None,
        groups: Vec::new(),
    }
}

fn session(id: &str, title: &str, status: SessionStatus) -> SessionReport {
    SessionReport {
        id: id.into(),
        title: title.into(),
        status,
        fidelity: 1.0,
        duration_ms: 2541,
        attempts: 1,
        steps_total: 4,
        steps_completed: 4,
        steps: vec![
            step(1, "setViewport", "1280×720", StepStatus::Passed, 3),
            step(
                2,
                "navigate",
                "https://shop.example/",
                StepStatus::Passed,
                412,
            ),
            step(3, "click", "aria/Add to cart", StepStatus::Passed, 96),
            step(4, "customStep", "checkpoint cart", StepStatus::Passed, 180),
        ],
        checkpoints: vec![],
        network: NetworkReport {
            recorded: 6,
            served: 6,
            app_assets: 9,
            unmatched: vec![],
            escaped: vec![],
        },
        console_errors: vec![],
        error: None,
        error_kind: None,
        broken_step: None,
        tags: vec!["smoke".into()],
        divergence: None,
        recording: format!("recordings/{id}.json"),
        coverage: None,
    }
}

/// A changed, a broken, a new, a passed and an error session, with their images on disk.
fn build_suite(suite: &Path) -> RunReport {
    let changed_id = evil("checkout");
    let mut changed = session(
        &changed_id,
        "Checkout with a coupon",
        SessionStatus::Changed,
    );
    changed.fidelity = 0.8127;
    changed.tags.push(evil("tag"));
    let mut cp = checkpoint("checkout", "04-cart", CheckpointStatus::Changed, 4);
    cp.dom_diff = Some(format!(
        "--- baseline\n+++ replay\n@@ -3,5 +3,6 @@\n <main class=\"cart\">\n   <h1>Your cart</h1>\n-  <button class=\"buy\">Buy now</button>\n+  <button class=\"buy buy--alert\">Buy now</button>\n+  <p class=\"banner\">{SCRIPT}</p>\n-  <p>{IMG}</p>\n   <a href=\"{JS_URL}\">terms</a>\n </main>\n"
    ));
    write(
        suite,
        "snapshots/checkout/04-cart.png",
        &page_png([9, 105, 218], false),
    );
    let actual = page_png([207, 34, 46], true);
    write(suite, ".reprise/out/checkout/04-cart.png", &actual);
    let diff = compare_images(
        &reprise::compare::png::decode_png(&page_png([9, 105, 218], false)).expect("decode"),
        &reprise::compare::png::decode_png(&actual).expect("decode"),
        &ImageDiffOptions::default(),
    );
    write(
        suite,
        ".reprise/out/checkout/04-cart.diff.png",
        &encode_png(&diff.diff_image).expect("encode"),
    );
    let mut second = checkpoint("checkout", "05-end", CheckpointStatus::Changed, 4);
    second.diff_png = Some(".reprise/out/checkout/missing.diff.png".into());
    second.dom_diff = Some("@@ -1 +1 @@\n-<p>Total: 12 €</p>\n+<p>Total: 13 €</p>\n".into());
    second.note = Some("baseline written with other normalization rules".into());
    write(
        suite,
        "snapshots/checkout/05-end.png",
        &page_png([9, 105, 218], false),
    );
    write(
        suite,
        ".reprise/out/checkout/05-end.png",
        &page_png([9, 105, 218], true),
    );
    changed.checkpoints = vec![
        checkpoint("checkout", "02-index", CheckpointStatus::Match, 2),
        cp,
        second,
    ];
    changed.console_errors = vec![
        evil("Uncaught TypeError: "),
        "Failed to load resource: the server responded with a status of 404 ()".into(),
    ];
    changed.network.served = 5;
    changed.network.unmatched = vec![
        UnmatchedRequest {
            step: 0,
            method: "POST".into(),
            url: format!("https://api.reprise.test/coupon?code={}", evil("")),
            closest: Some(Closest {
                method: "POST".into(),
                url: "https://api.reprise.test/coupon".into(),
                difference: evil("body differs: field `code` "),
            }),
        },
        UnmatchedRequest {
            step: 0,
            method: "GET".into(),
            url: JS_URL.into(),
            closest: None,
        },
    ];
    changed.network.escaped = vec![evil("tracker.example")];

    let mut broken = session("login", &evil("Login "), SessionStatus::Broken);
    broken.fidelity = 0.5;
    broken.steps_completed = 2;
    broken.steps[2] = step(3, "click", &evil("#submit"), StepStatus::Failed, 5003);
    broken.steps[3].status = StepStatus::Skipped;
    broken.steps[3].duration_ms = 0;
    broken.broken_step = Some(BrokenStep {
        step: 3,
        step_type: "click".into(),
        message: evil("no element matches any selector within 5000 ms: "),
        selectors: vec![
            evil("#submit"),
            "aria/Sign in".into(),
            "xpath//html/body/form/button".into(),
        ],
    });
    broken.checkpoints = vec![checkpoint("login", "02-login", CheckpointStatus::Match, 2)];

    let mut new = session("search", "Search for shoes", SessionStatus::New);
    new.checkpoints = vec![checkpoint("search", "02-results", CheckpointStatus::New, 2)];
    write(
        suite,
        ".reprise/out/search/02-results.png",
        &page_png([26, 127, 55], false),
    );
    write(
        suite,
        ".reprise/out/search/02-results.dom",
        format!(
            "<html><body><h1>Results</h1>{SCRIPT}{IMG}<a href=\"{JS_URL}\">x</a></body></html>\n"
        )
        .as_bytes(),
    );

    let mut passed = session("browse", "Browse the catalogue", SessionStatus::Passed);
    passed.checkpoints = vec![
        checkpoint("browse", "02-index", CheckpointStatus::Match, 2),
        checkpoint("browse", "04-end", CheckpointStatus::Match, 4),
    ];

    let error = SessionReport::error(
        &evil("refund"),
        "recordings/refund.json",
        ErrorKind::Input,
        evil("cannot import HAR file `mocks/refund.har`: entry 12: "),
    );

    RunReport {
        format_version: REPORT_FORMAT_VERSION,
        verdict: Verdict::Regressed,
        duration_ms: 12102,
        summary: Summary {
            sessions: 5,
            passed: 1,
            changed: 1,
            broken: 1,
            new: 1,
            flaky: 0,
            error: 1,
        },
        sessions: vec![changed, broken, new, passed, error],
        snapshots_written: 0,
        snapshots_pending: 3,
        unused_baselines: vec![],
        pruned: false,
        groups: Vec::new(),
    }
}

async fn browser() -> (Chromedriver, fantoccini::Client, tempfile::TempDir) {
    let chromium = find_chromium(false).expect("chromium");
    let driver = Chromedriver::start().await.expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile dir");
    let caps = json!({
        "browserName": "chrome",
        "goog:loggingPrefs": { "browser": "ALL" },
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.path().display()),
                "--window-size=1280,900",
            ],
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let (client, _) = open_session(driver.url(), caps).await.expect("session");
    (driver, client, profile)
}

async fn eval(client: &fantoccini::Client, script: &str) -> Value {
    client.execute(script, vec![]).await.expect(script)
}

async fn wait_for(client: &fantoccini::Client, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while eval(client, script).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "timed out waiting for {script}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Entries worth failing on: anything at warning level or above (console errors, CSP
/// violations, failed loads).
fn problems(log: &[Value]) -> Vec<&Value> {
    log.iter()
        .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_opens_from_file_safely_with_working_images_slider_and_review() {
    let suite = tempfile::tempdir().expect("suite");
    let report = build_suite(suite.path());
    let out = suite.path().join(".reprise/report");
    let path = html::write(&report, suite.path(), &out).expect("write report");
    assert_eq!(path, out.join("index.html"));
    let size = std::fs::metadata(&path).expect("stat").len();
    eprintln!("report: {} ({size} bytes)", path.display());
    let inline = suite.path().join(".reprise/report.html");
    html::write_inline(&report, suite.path(), &inline).expect("write the inline report");

    let (_driver, client, _profile) = browser().await;
    let mut result = check_file_page(&client, &path, Form::Files).await;
    if result.is_ok() {
        result = check_file_page(&client, &inline, Form::Inline).await;
    }
    let review = match result {
        Ok(()) => check_review(&client, &report, suite.path()).await,
        Err(e) => Err(e),
    };
    let _ = client.close().await;
    if let Err(e) = review {
        panic!("{e}");
    }
}

/// The two forms of the report: images as files beside the page, or inline.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    Files,
    Inline,
}

async fn check_file_page(
    client: &fantoccini::Client,
    path: &Path,
    form: Form,
) -> Result<(), String> {
    let url = url::Url::from_file_path(path).map_err(|()| "file url".to_string())?;
    client.goto(url.as_str()).await.map_err(|e| e.to_string())?;
    wait_for(client, "return document.readyState === 'complete'").await;
    // Images are lazy: load them all to check each one.
    assert_eq!(
        eval(
            client,
            "return Array.from(document.images).every(i => i.loading === 'lazy')"
        )
        .await,
        true
    );
    eval(
        client,
        "Array.from(document.images).forEach(i => { i.loading = 'eager'; })",
    )
    .await;
    wait_for(
        client,
        "return Array.from(document.images).every(i => i.complete)",
    )
    .await;

    // The payloads stayed text.
    assert_eq!(
        eval(client, "return typeof window.__pwned").await,
        "undefined"
    );
    assert_eq!(eval(client, "return document.scripts.length").await, 1);
    assert_eq!(
        eval(client, "return document.querySelectorAll('[onerror], a[href^=\"javascript\"], img[src=\"x\"]').length").await,
        0
    );
    let text = eval(client, "return document.body.textContent").await;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains(SCRIPT), "the script payload is shown as text");
    assert!(text.contains(IMG), "the img payload is shown as text");
    assert!(text.contains(JS_URL));

    // Every image is one of the report's own PNGs (data: URIs, or files in the report's
    // img/ folder), and decoded.
    let images = eval(
        client,
        "return Array.from(document.images).map(i => [i.className, i.naturalWidth, i.src, i.dataset.full || null])",
    )
    .await;
    let images = images.as_array().cloned().unwrap_or_default();
    // Inline, 04-cart: 3 shots + 2 overlay; 05-end: 2 shots + 2 overlay; 02-results: 1.
    // As files, a screenshot that differs from an earlier one is drawn as that one's layers and
    // a patch, and the difference as the baseline's layers and a mask: 04-cart: 1 + 2 + 2,
    // overlay 1 + 2; 05-end (its baseline is 04-cart's, its replay differs from 04-cart's by
    // the button): 1 + 3, overlay 1 + 3; 02-results (04-cart's baseline, green): 2.
    let expected = if form == Form::Files { 18 } else { 10 };
    assert_eq!(images.len(), expected, "{images:?}");
    let img_dir = url.join("img/").map_err(|e| e.to_string())?;
    for i in &images {
        assert!(i[1].as_u64().unwrap_or(0) > 0, "not decoded: {i}");
        let src = i[2].as_str().unwrap_or_default();
        match form {
            Form::Inline => assert!(src.starts_with("data:image/png;base64,"), "{i}"),
            Form::Files => {
                assert!(src.starts_with(img_dir.as_str()), "{i}");
                let file = url::Url::parse(src)
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .ok_or(format!("not a file: {src}"))?;
                assert!(file.is_file(), "{i}");
            }
        }
    }
    if form == Form::Files {
        // The layers of a stack are files of one size; a stack's "full size" shows it at its
        // natural size over the page (CSS :target), and "close" puts it back.
        let stacks = eval(client, "return Array.from(document.querySelectorAll('.cp .stack')).map(s => Array.from(s.querySelectorAll('img')).map(i => [i.className, i.naturalWidth, i.naturalHeight]))").await;
        let stacks = stacks.as_array().cloned().unwrap_or_default();
        assert_eq!(
            stacks.len(),
            4,
            "two replays, a difference and a new shot: {stacks:?}"
        );
        for s in &stacks {
            let layers = s.as_array().cloned().unwrap_or_default();
            assert!(layers.len() >= 2, "{s}");
            assert_eq!(layers[0][0], "layer root", "{s}");
            for l in &layers {
                assert_eq!(
                    (l[1].as_u64(), l[2].as_u64()),
                    (Some(640), Some(400)),
                    "{s}"
                );
            }
        }
        let zoom = "const f = document.querySelector('figure.layered'); const i = f.querySelector('.stack img'); \
                    return [getComputedStyle(f).position, Math.round(i.getBoundingClientRect().width)]";
        let small = eval(client, zoom).await;
        assert_eq!(small[0], "static", "{small}");
        client
            .find(fantoccini::Locator::Css("figure.layered a.full"))
            .await
            .map_err(|e| e.to_string())?
            .click()
            .await
            .map_err(|e| e.to_string())?;
        assert_eq!(eval(client, zoom).await, json!(["fixed", 640]));
        client
            .find(fantoccini::Locator::Css("figure.layered:target a.close"))
            .await
            .map_err(|e| e.to_string())?
            .click()
            .await
            .map_err(|e| e.to_string())?;
        assert_eq!(eval(client, zoom).await, small);
        assert_eq!(
            eval(client, "return Array.from(document.querySelectorAll('.overlay img')).map(i => i.naturalWidth)").await,
            json!([640, 640, 640, 640, 640, 640, 640])
        );
        // Each link opens an image file of the folder.
        let links = eval(client, "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')).filter(h => !h.startsWith('#'))").await;
        let links = links.as_array().cloned().unwrap_or_default();
        assert!(!links.is_empty());
        for l in &links {
            let l = l.as_str().unwrap_or_default();
            assert!(
                l.starts_with("img/") && path.with_file_name(l).is_file(),
                "{l}"
            );
        }
    }
    assert_eq!(
        eval(
            client,
            "return document.querySelectorAll('.missing').length"
        )
        .await,
        1,
        "the missing diff image of 05-end is a placeholder"
    );
    // Nothing was fetched but the report's own image files (data: URIs are not resources).
    let fetched = eval(
        client,
        "return performance.getEntriesByType('resource').map(e => e.name)",
    )
    .await;
    let fetched = fetched.as_array().cloned().unwrap_or_default();
    match form {
        Form::Inline => assert!(fetched.is_empty(), "{fetched:?}"),
        // (Chromium keeps no resource timing for file: loads; the sources are checked above.)
        Form::Files => {
            for f in &fetched {
                assert!(
                    f.as_str().is_some_and(|f| f.starts_with(img_dir.as_str())),
                    "{f}"
                );
            }
        }
    }

    // Failing sessions are open, the passed one closed.
    assert_eq!(
        eval(
            client,
            "return Array.from(document.querySelectorAll('details.session')).map(d => d.open)"
        )
        .await,
        json!([true, true, true, false, true])
    );

    // The slider moves the clip of the replay over the baseline.
    let clip = "return getComputedStyle(document.querySelector('.overlay-top')).clipPath";
    assert_eq!(
        eval(client, "return document.querySelector('.overlay').hidden").await,
        false
    );
    let before = eval(client, clip).await;
    assert_eq!(before, "inset(0px 50% 0px 0px)");
    let range = client
        .find(fantoccini::Locator::Css(".overlay input[type=range]"))
        .await
        .map_err(|e| e.to_string())?;
    eval(
        client,
        "document.querySelector('.overlay').scrollIntoView({block: 'center'})",
    )
    .await;
    // A real pointer drag: press in the middle of the range and move to its left quarter.
    let rect = eval(client, "const r = document.querySelector('.overlay input').getBoundingClientRect(); return [r.width, r.height]").await;
    let width = rect[0].as_f64().unwrap_or(0.0);
    let actions = fantoccini::actions::MouseActions::new("mouse".into())
        .then(fantoccini::actions::PointerAction::MoveToElement {
            element: range.clone(),
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(fantoccini::actions::PointerAction::Down {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        })
        .then(fantoccini::actions::PointerAction::MoveToElement {
            element: range.clone(),
            duration: Some(Duration::from_millis(100)),
            x: -(width / 4.0),
            y: 0.0,
        })
        .then(fantoccini::actions::PointerAction::Up {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        });
    client
        .perform_actions(actions)
        .await
        .map_err(|e| e.to_string())?;
    let value: f64 = eval(
        client,
        "return document.querySelector('.overlay input').value",
    )
    .await
    .as_str()
    .and_then(|v| v.parse().ok())
    .unwrap_or(-1.0);
    assert!((15.0..=35.0).contains(&value), "slider value {value}");
    let after = eval(client, clip).await;
    assert_eq!(after, format!("inset(0px {}% 0px 0px)", 100.0 - value));
    let line = eval(
        client,
        "return document.querySelector('.overlay-line').style.left",
    )
    .await;
    assert_eq!(line, format!("{value}%"));

    // Back to the top for the screenshot.
    eval(client, "window.scrollTo(0, 0)").await;
    let png = client.screenshot().await.map_err(|e| e.to_string())?;
    std::fs::write(SCREENSHOT, png).map_err(|e| e.to_string())?;
    if let Ok(dir) = std::env::var("REPRISE_HTML_SHOTS") {
        // Screenshots of every part of the page, to look at the design.
        let height = eval(client, "return document.documentElement.scrollHeight")
            .await
            .as_u64()
            .unwrap_or(0);
        let mut y = 0;
        let mut n = 0;
        while y < height {
            eval(client, &format!("window.scrollTo(0, {y})")).await;
            let png = client.screenshot().await.map_err(|e| e.to_string())?;
            std::fs::write(format!("{dir}/shot-{n:02}.png"), png).map_err(|e| e.to_string())?;
            y += 850;
            n += 1;
        }
    }

    // No console error, CSP violation or failed load.
    let log = browser_log(client).await;
    assert!(problems(&log).is_empty(), "browser log: {log:#?}");

    // The log and the policy are really in force: an injected inline script is refused and
    // reported.
    eval(
        client,
        "const s = document.createElement('script'); s.textContent = 'window.__probe = 1'; document.body.append(s);",
    )
    .await;
    assert_eq!(
        eval(client, "return typeof window.__probe").await,
        "undefined"
    );
    let log = browser_log(client).await;
    assert!(
        log.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("Content Security Policy"))),
        "no CSP report in {log:#?}"
    );
    // Images from anywhere but the report itself are refused too.
    eval(
        client,
        "const i = new Image(); i.src = 'http://127.0.0.1:9/remote.png'; document.body.append(i);",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = browser_log(client).await;
    assert!(
        log.iter().any(|e| e["message"].as_str().is_some_and(|m| {
            m.contains("Content Security Policy") && m.contains("remote.png")
        })),
        "no CSP report for a remote image in {log:#?}"
    );
    Ok(())
}

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    body: String,
}

/// A loopback server standing in for `reprise review --serve`: the page at `/{token}/`,
/// accept answered 204, reject answered 500.
async fn serve(page: String, token: &str) -> (u16, Arc<Mutex<Vec<Request>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, token) = (seen.clone(), token.to_string());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (log, page, token) = (log.clone(), page.clone(), token.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let req = loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(head_end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let head = &text[..head_end];
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if buf.len() < head_end + 4 + len {
                        continue;
                    }
                    let mut parts = head.split(' ');
                    break Request {
                        method: parts.next().unwrap_or_default().into(),
                        path: parts.next().unwrap_or_default().into(),
                        body: text[head_end + 4..].into(),
                    };
                };
                let (status, ctype, body) = match (req.method.as_str(), req.path.as_str()) {
                    ("GET", p) if p == format!("/{token}/") => {
                        ("200 OK", "text/html; charset=utf-8", page)
                    }
                    ("POST", p) if p == format!("/{token}/accept") => {
                        ("204 No Content", "text/plain", String::new())
                    }
                    ("POST", p) if p == format!("/{token}/reject") => {
                        ("500 Internal Server Error", "text/plain", "no".into())
                    }
                    _ => ("404 Not Found", "text/plain", "not found".into()),
                };
                log.lock().expect("lock").push(req);
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (port, seen)
}

async fn check_review(
    client: &fantoccini::Client,
    report: &RunReport,
    suite: &Path,
) -> Result<(), String> {
    let token = "t0k3n";
    let page = html::render(
        report,
        suite,
        &HtmlOptions {
            review_token: Some(token.into()),
        },
    );
    let (port, seen) = serve(page, token).await;
    client
        .goto(&format!("http://127.0.0.1:{port}/{token}/"))
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "return document.readyState === 'complete'").await;
    let _ = browser_log(client).await;

    // Accept the first changed checkpoint of the payload-named session.
    let accept = client
        .find(fantoccini::Locator::Css(
            "#s0-c1 button[data-action=accept]",
        ))
        .await
        .map_err(|e| e.to_string())?;
    accept.click().await.map_err(|e| e.to_string())?;
    wait_for(
        client,
        "return document.getElementById('s0-c1').classList.contains('accepted')",
    )
    .await;
    assert_eq!(
        eval(
            client,
            "return document.querySelector('#s0-c1 .review-state').textContent"
        )
        .await,
        "accepted"
    );
    // A failed answer leaves the item unmarked and says so.
    let reject = client
        .find(fantoccini::Locator::Css(
            "#s0-c2 button[data-action=reject]",
        ))
        .await
        .map_err(|e| e.to_string())?;
    reject.click().await.map_err(|e| e.to_string())?;
    wait_for(
        client,
        "return document.querySelector('#s0-c2 .review-state').textContent !== ''",
    )
    .await;
    assert_eq!(
        eval(
            client,
            "return document.querySelector('#s0-c2 .review-state').textContent"
        )
        .await,
        "reject failed: HTTP 500"
    );
    assert_eq!(
        eval(
            client,
            "return document.getElementById('s0-c2').classList.contains('rejected')"
        )
        .await,
        false
    );
    // Accepting a whole session marks its checkpoints too.
    let all = client
        .find(fantoccini::Locator::Css(
            "#s2 .body > .review button[data-action=accept]",
        ))
        .await
        .map_err(|e| e.to_string())?;
    all.click().await.map_err(|e| e.to_string())?;
    wait_for(
        client,
        "return document.querySelector('#s2 .cp').classList.contains('accepted')",
    )
    .await;
    assert_eq!(
        eval(client, "return typeof window.__pwned").await,
        "undefined"
    );
    if let Ok(dir) = std::env::var("REPRISE_HTML_SHOTS") {
        eval(client, "document.getElementById('s0-c1').scrollIntoView()").await;
        let png = client.screenshot().await.map_err(|e| e.to_string())?;
        std::fs::write(format!("{dir}/review.png"), png).map_err(|e| e.to_string())?;
        eval(client, "document.getElementById('s0-c2').scrollIntoView()").await;
        let png = client.screenshot().await.map_err(|e| e.to_string())?;
        std::fs::write(format!("{dir}/review-2.png"), png).map_err(|e| e.to_string())?;
    }

    let posts: Vec<Request> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| r.method == "POST")
        .cloned()
        .collect();
    assert_eq!(posts.len(), 3, "{posts:?}");
    let body = |i: usize| -> Value { serde_json::from_str(&posts[i].body).expect("json body") };
    assert_eq!(posts[0].path, format!("/{token}/accept"));
    assert_eq!(
        body(0),
        json!({ "session": report.sessions[0].id, "checkpoint": "04-cart" })
    );
    assert_eq!(posts[1].path, format!("/{token}/reject"));
    assert_eq!(
        body(1),
        json!({ "session": report.sessions[0].id, "checkpoint": "05-end" })
    );
    assert_eq!(body(2), json!({ "session": "search", "checkpoint": null }));
    // Only the answer we made fail is in the log; no CSP violation (connect-src 'self').
    let log = browser_log(client).await;
    let unexpected: Vec<_> = problems(&log)
        .into_iter()
        .filter(|e| {
            !e["message"]
                .as_str()
                .is_some_and(|m| m.contains("/reject") && m.contains("500"))
        })
        .collect();
    assert!(unexpected.is_empty(), "browser log: {log:#?}");
    Ok(())
}
