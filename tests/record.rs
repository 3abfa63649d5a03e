//! End-to-end tests of `reprise record`: the real binary records in a headless Chromium that
//! the test drives through WebDriver the way a person would (clicks and typing), ends the
//! recording with Enter on reprise's stdin, then replays what was written.

use crate::support;

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{read_json, TestSuite};

/// One recording at a time: each drives a browser, then replays in another.
static RECORD_LOCK: Mutex<()> = Mutex::new(());

fn fixtures() -> PathBuf {
    support::repo_root().join("tests/fixtures/record")
}

/// A running `reprise record`, with the WebDriver session it printed.
struct Recorder {
    child: Child,
    webdriver: String,
    session: String,
    output: std::sync::mpsc::Receiver<String>,
    lines: Vec<String>,
}

impl Drop for Recorder {
    /// A failed test must not leave its recorder (and browser) running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Recorder {
    fn start(suite: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
            .arg("record")
            .args(args)
            .arg("--headless")
            .current_dir(suite)
            .env_remove("CI")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn reprise record");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no `driving:` line; output so far:\n{}", lines.join("\n"));
            };
            lines.push(line.clone());
            if let Some(rest) = line.strip_prefix("driving: ") {
                let field = |k: &str| {
                    rest.split_whitespace()
                        .find_map(|w| w.strip_prefix(k))
                        .unwrap_or_else(|| panic!("no `{k}` in `{line}`"))
                        .to_string()
                };
                return Self {
                    webdriver: field("webdriver="),
                    session: field("session="),
                    child,
                    output: rx,
                    lines,
                };
            }
        }
    }

    async fn client(&self) -> fantoccini::Client {
        fantoccini::Client::with_existing_session(
            &self.webdriver,
            &self.session,
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .await
        .expect("attach to the recording browser")
    }

    /// Presses Enter in reprise's terminal and waits for it to record, write and replay.
    fn finish(&mut self) -> (i32, String) {
        let mut stdin = self.child.stdin.take().expect("stdin");
        stdin.write_all(b"\n").expect("write Enter");
        drop(stdin);
        let deadline = Instant::now() + Duration::from_secs(180);
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "reprise record did not finish");
            std::thread::sleep(Duration::from_millis(100));
        };
        self.lines.extend(self.output.try_iter());
        (code, self.lines.join("\n"))
    }
}

async fn wait_for(client: &fantoccini::Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` did not appear: {e}"))
}

/// Moves the pointer onto the element the selector finds, as a person's mouse would.
async fn move_pointer_to(client: &fantoccini::Client, css: &str) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    let element = wait_for(client, css).await;
    client
        .perform_actions(
            MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                element,
                duration: None,
                x: 0.0,
                y: 0.0,
            }),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot move the pointer to `{css}`: {e}"));
}

fn types(rec: &Value) -> Vec<String> {
    rec["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| match s["type"].as_str() {
            Some("customStep") => format!(
                "checkpoint:{}",
                s["parameters"]["name"].as_str().unwrap_or("")
            ),
            Some(t) => t.to_string(),
            None => "?".into(),
        })
        .collect()
}

fn first_selector(step: &Value) -> String {
    step["selectors"][0][0]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_demo_session_recorded_through_webdriver_replays_step_for_step_with_fidelity_one() {
    let _guard = RECORD_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let suite = TestSuite::demo();
    let mut recorder = Recorder::start(
        suite.path(),
        &[
            "https://shop.reprise.test/",
            "--name",
            "signup",
            "--app-dir",
            "demo",
            "--mocks",
            "mocks/newsletter.har",
        ],
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let c = recorder.client().await;
        wait_for(&c, "[data-testid=\"product-list\"] .card").await;
        wait_for(&c, "[data-testid=\"nl-name\"]")
            .await
            .click()
            .await
            .expect("click name");
        c.find(fantoccini::Locator::Css("[data-testid=\"nl-name\"]"))
            .await
            .expect("name")
            .send_keys("Ada Lovelace")
            .await
            .expect("type name");
        let email = wait_for(&c, "[data-testid=\"nl-email\"]").await;
        email.click().await.expect("click email");
        email
            .send_keys("ada@example.com")
            .await
            .expect("type email");
        wait_for(&c, "[data-testid=\"nl-plan\"]")
            .await
            .select_by_value("monthly")
            .await
            .expect("select plan");
        wait_for(&c, "[data-testid=\"nl-terms\"]")
            .await
            .click()
            .await
            .expect("terms");
        wait_for(&c, "[data-testid=\"nl-submit\"]")
            .await
            .click()
            .await
            .expect("submit");
        wait_for(&c, "[data-testid=\"newsletter-success\"]:not([hidden])").await;
        // An on-demand checkpoint: the key chord, pressed in the page.
        c.find(fantoccini::Locator::Css("body"))
            .await
            .expect("body")
            .send_keys("\u{E009}\u{E008}k\u{E000}")
            .await
            .expect("chord");
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    let (code, out) = recorder.finish();
    drop(recorder);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("baselines written"), "{out}");

    let rec = read_json(&suite.path().join("recordings/signup.json"));
    assert_eq!(
        types(&rec),
        [
            "setViewport",
            "navigate",
            "click",
            "change",
            "click",
            "change",
            "change",
            "click",
            "click",
            "checkpoint:index-1",
        ],
        "{rec:#}"
    );
    let steps = rec["steps"].as_array().expect("steps");
    assert_eq!(steps[1]["url"], "https://shop.reprise.test/");
    assert_eq!(first_selector(&steps[2]), "[data-testid=\"nl-name\"]");
    assert_eq!(steps[3]["value"], "Ada Lovelace");
    assert_eq!(first_selector(&steps[5]), "[data-testid=\"nl-email\"]");
    assert_eq!(steps[5]["value"], "ada@example.com");
    assert_eq!(steps[6]["value"], "monthly");
    assert_eq!(first_selector(&steps[7]), "[data-testid=\"nl-terms\"]");
    assert_eq!(first_selector(&steps[8]), "[data-testid=\"nl-submit\"]");
    // Ranked alternatives, like the Recorder: test id, id, name, aria, CSS path, XPath.
    let alts: Vec<String> = steps[3]["selectors"]
        .as_array()
        .expect("selectors")
        .iter()
        .map(|s| s[0].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(alts.contains(&"#nl-name".to_string()), "{alts:?}");
    assert!(
        alts.contains(&"input[name=\"name\"]".to_string()),
        "{alts:?}"
    );
    assert!(alts.iter().any(|a| a.starts_with("aria/")), "{alts:?}");
    assert!(alts.iter().any(|a| a.starts_with("xpath/")), "{alts:?}");
    // Timestamps grow; the environment is in the extension object.
    let stamps: Vec<u64> = steps
        .iter()
        .map(|s| s["timestamp"].as_u64().unwrap_or(0))
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
    assert!(rec["reprise"]["startTime"].is_string());
    assert!(rec["reprise"]["timezone"].is_string());
    assert!(rec["reprise"]["locale"].is_string());

    // The HAR holds the backend, not the app's assets.
    let urls = support::har_requests(&suite.path().join("mocks/signup.har"));
    assert!(
        urls.iter().all(|u| u.contains("api.reprise.test")),
        "{urls:?}"
    );
    assert!(
        urls.iter()
            .any(|u| u.starts_with("POST https://api.reprise.test/api/newsletter")),
        "{urls:?}"
    );
    assert!(suite.path().join("snapshots/signup").is_dir());

    let o = suite.run(&["run", "=signup"]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let s = o.session("signup");
    assert_eq!(s["status"], "passed", "{}", o.stdout);
    assert_eq!(s["fidelity"], 1.0);
    assert_eq!(s["network"]["unmatched"], serde_json::json!([]));
    assert_eq!(s["steps_completed"], s["steps_total"]);
}

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
            hits.push(p.display().to_string());
        }
    }
    hits
}

#[test]
fn a_password_typed_while_recording_appears_nowhere_in_the_suite() {
    let _guard = RECORD_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    const PASSWORD: &str = "Tr0ub4dor&3-horse";
    let suite = TestSuite::empty();
    let backend = fixtures().join("login-backend.har");
    let app = fixtures().join("login");
    let mut recorder = Recorder::start(
        suite.path(),
        &[
            "https://login.test/",
            "--name",
            "login",
            "--app-dir",
            app.to_str().expect("utf-8 path"),
            "--mocks",
            backend.to_str().expect("utf-8 path"),
        ],
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let c = recorder.client().await;
        let user = wait_for(&c, "[data-testid=\"user\"]").await;
        user.click().await.expect("click user");
        user.send_keys("ada").await.expect("type user");
        let pw = wait_for(&c, "[data-testid=\"password\"]").await;
        pw.click().await.expect("click password");
        pw.send_keys(PASSWORD).await.expect("type password");
        pw.send_keys("\u{E007}").await.expect("Enter");
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(fantoccini::Locator::XPath(
                "//p[@id='result'][contains(., 'Welcome')]",
            ))
            .await
            .expect("signed in while recording");
    });
    let (code, out) = recorder.finish();
    drop(recorder);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("masked"), "{out}");

    let rec = read_json(&suite.path().join("recordings/login.json"));
    assert_eq!(
        types(&rec),
        [
            "setViewport",
            "navigate",
            "click",
            "change",
            "click",
            "change",
            "keyDown",
            "keyUp"
        ],
        "{rec:#}"
    );
    assert_eq!(rec["steps"][5]["value"], "redacted-secret");
    let o = suite.run(&[
        "run",
        "=login",
        "--app-dir",
        app.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(o.session("login")["fidelity"], 1.0, "{}", o.stdout);
    assert_eq!(
        o.session("login")["network"]["unmatched"],
        serde_json::json!([])
    );
    // Nowhere: recording, HAR, baselines, the run's captures and report.
    for needle in [PASSWORD, "Tr0ub4dor", "Tr0ub4dor%263-horse"] {
        let hits = files_containing(suite.path(), needle.as_bytes());
        assert!(hits.is_empty(), "`{needle}` found in {hits:?}");
    }
    // The baselines show the signed-in page the masked replay reached.
    let signed_in = files_containing(&suite.path().join("snapshots/login"), b"Welcome, Ada");
    assert!(
        signed_in.iter().any(|p| p.ends_with(".dom")),
        "{signed_in:?}"
    );
}

#[test]
fn record_refuses_to_overwrite_a_session_without_force() {
    let suite = TestSuite::demo();
    let o = suite.run(&[
        "record",
        "https://shop.reprise.test/",
        "--name",
        "checkout",
        "--headless",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("recordings/checkout.json` already exists"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
}

/// The gaps record once had, in one recording to save CI time: a hover that opens a menu, a
/// keyboard shortcut and plain and shifted keys, a pointer-driven drag and drop, a file
/// upload and a click in a popup. The replay must reproduce every effect, which the
/// baseline the replay wrote (the final checkpoint's DOM) shows.
#[test]
fn hover_keys_drag_upload_and_popup_are_recorded_and_replayed() {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    let _guard = RECORD_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let suite = TestSuite::empty();
    let app = fixtures().join("gaps");
    let upload = suite.path().join("notes.txt");
    std::fs::write(&upload, "hello upload\n").expect("write upload");
    let mut recorder = Recorder::start(
        suite.path(),
        &[
            "https://gaps.test/",
            "--name",
            "gaps",
            "--app-dir",
            app.to_str().expect("utf-8 path"),
        ],
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let c = recorder.client().await;
        // Hover: the pointer moves onto the menu, which opens; then its item is clicked.
        move_pointer_to(&c, "[data-testid=\"menu\"]").await;
        wait_for(&c, "[data-testid=\"menu-item\"]:not([hidden])")
            .await
            .click()
            .await
            .expect("click the menu item");
        // The pointer rests on the ticking clock: its text changes, and that is no hover.
        move_pointer_to(&c, "[data-testid=\"clock\"]").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        // Keys outside text fields: a shortcut, a plain key, a shifted key.
        let body = c
            .find(fantoccini::Locator::Css("body"))
            .await
            .expect("body");
        body.send_keys("\u{E009}b\u{E000}x\u{E008}y\u{E000}")
            .await
            .expect("keys");
        // Drag the card into the done zone with the pointer.
        let card = wait_for(&c, "[data-testid=\"card\"]").await;
        let done = wait_for(&c, "[data-testid=\"done\"]").await;
        c.perform_actions(
            MouseActions::new("drag".into())
                .then(PointerAction::MoveToElement {
                    element: card,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                })
                .then(PointerAction::MoveToElement {
                    element: done,
                    duration: Some(Duration::from_millis(200)),
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                }),
        )
        .await
        .expect("drag");
        wait_for(&c, "[data-testid=\"done\"] [data-testid=\"card\"]").await;
        // A file picked in the file input.
        wait_for(&c, "[data-testid=\"file\"]")
            .await
            .send_keys(upload.to_str().expect("utf-8 path"))
            .await
            .expect("pick a file");
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(fantoccini::Locator::XPath(
                "//p[@id='file-result'][contains(., 'hello upload')]",
            ))
            .await
            .expect("the page read the file");
        // A popup: confirm in it, back on the main page.
        let main = c.window().await.expect("main window");
        wait_for(&c, "[data-testid=\"open-popup\"]")
            .await
            .click()
            .await
            .expect("open popup");
        let deadline = Instant::now() + Duration::from_secs(10);
        let popup = loop {
            let handles = c.windows().await.expect("windows");
            if let Some(h) = handles.into_iter().find(|h| *h != main) {
                break h;
            }
            assert!(Instant::now() < deadline, "the popup did not open");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        c.switch_to_window(popup).await.expect("to popup");
        wait_for(&c, "[data-testid=\"popup-ok\"]")
            .await
            .click()
            .await
            .expect("confirm");
        c.switch_to_window(main).await.expect("back to main");
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(fantoccini::Locator::XPath(
                "//p[@id='popup-result'][contains(., 'popup confirmed')]",
            ))
            .await
            .expect("confirmed in the popup");
        c.find(fantoccini::Locator::Css("body"))
            .await
            .expect("body")
            .send_keys("\u{E009}\u{E008}k\u{E000}")
            .await
            .expect("chord");
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    let (code, out) = recorder.finish();
    drop(recorder);
    let rec_path = suite.path().join("recordings/gaps.json");
    let rec = read_json(&rec_path);
    assert_eq!(code, 0, "{out}\n{rec:#}");
    let steps = rec["steps"].as_array().expect("steps");
    let find = |pred: &dyn Fn(&Value) -> bool| steps.iter().position(pred);
    // Hover, recorded because it opened the menu, before the item's click; the only one (the
    // clock's ticks under the resting pointer are not a hover).
    let hover = find(&|s| s["type"] == "hover").unwrap_or_else(|| panic!("no hover: {rec:#}"));
    assert_eq!(
        steps.iter().filter(|s| s["type"] == "hover").count(),
        1,
        "{rec:#}"
    );
    assert_eq!(first_selector(&steps[hover]), "[data-testid=\"menu\"]");
    assert_eq!(
        first_selector(&steps[hover + 1]),
        "[data-testid=\"menu-item\"]",
        "{rec:#}"
    );
    // Every key, modifiers included, and nothing of the checkpoint chord.
    let keys: Vec<String> = steps
        .iter()
        .filter(|s| s["type"] == "keyDown" || s["type"] == "keyUp")
        .map(|s| {
            format!(
                "{}:{}",
                s["type"].as_str().unwrap_or(""),
                s["key"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            "keyDown:Control",
            "keyDown:b",
            "keyUp:b",
            "keyUp:Control",
            "keyDown:x",
            "keyUp:x",
            "keyDown:Shift",
            "keyDown:Y",
            "keyUp:Y",
            "keyUp:Shift",
        ],
        "{rec:#}"
    );
    // The drag, from the card to the done zone.
    let drag = find(&|s| s["name"] == "reprise:drag").unwrap_or_else(|| panic!("no drag: {rec:#}"));
    let params = &steps[drag]["parameters"];
    assert_eq!(params["from"]["selectors"][0][0], "[data-testid=\"card\"]");
    assert_eq!(params["to"]["selectors"][0][0], "[data-testid=\"done\"]");
    // The upload: the file's bytes beside the recording, referenced from the step.
    let up =
        find(&|s| s["reprise"]["files"].is_array()).unwrap_or_else(|| panic!("no upload: {rec:#}"));
    let stored = steps[up]["reprise"]["files"][0]
        .as_str()
        .expect("a file path");
    assert!(
        stored.starts_with("gaps.files/") && stored.ends_with("/notes.txt"),
        "{stored}"
    );
    assert_eq!(
        std::fs::read(suite.path().join("recordings").join(stored)).expect("stored file"),
        b"hello upload\n"
    );
    // The popup's click names the popup's page.
    let in_popup = find(&|s| s["target"] == "https://gaps.test/popup.html")
        .unwrap_or_else(|| panic!("no step in the popup: {rec:#}"));
    assert_eq!(
        first_selector(&steps[in_popup]),
        "[data-testid=\"popup-ok\"]"
    );
    assert_eq!(
        steps.last().map(|s| s["type"].clone()),
        Some(Value::from("customStep"))
    );

    // The upload is re-attached from the stored copy, not the original.
    std::fs::remove_file(&upload).expect("remove the original");
    let o = suite.run(&[
        "run",
        "=gaps",
        "--app-dir",
        app.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let s = o.session("gaps");
    assert_eq!(s["status"], "passed", "{}", o.stdout);
    assert_eq!(s["steps_completed"], s["steps_total"]);
    // Every effect was reproduced by the replay that wrote the baselines.
    for effect in [
        "archived from the menu",
        "keys: C-b x S-Y",
        "card in done",
        "file notes.txt: hello upload",
        "popup confirmed",
    ] {
        let hits = files_containing(&suite.path().join("snapshots/gaps"), effect.as_bytes());
        assert!(
            hits.iter().any(|p| p.ends_with(".dom")),
            "`{effect}` is in no baseline: {hits:?}\n{rec:#}"
        );
    }
}

/// A recording whose uploaded file is missing is a recording error (exit 2) that names the
/// file, before any browser starts: never a replay that silently uploads nothing.
#[test]
fn a_missing_uploaded_file_is_a_recording_error() {
    let suite = TestSuite::empty();
    let rec = serde_json::json!({
        "title": "upload",
        "steps": [
            { "type": "navigate", "url": "https://gaps.test/" },
            { "type": "change", "selectors": [["#file"]], "value": "C:\\fakepath\\a.txt",
              "reprise": { "files": ["upload.files/0000/a.txt"] } }
        ]
    });
    let dir = suite.path().join("recordings");
    std::fs::create_dir_all(&dir).expect("recordings");
    std::fs::write(dir.join("upload.json"), rec.to_string()).expect("write recording");
    let app = fixtures().join("gaps");
    let o = suite.run(&[
        "run",
        "=upload",
        "--app-dir",
        app.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    let all = format!("{}{}", o.stdout, o.stderr);
    assert!(all.contains("upload.files/0000/a.txt"), "{all}");
    assert!(all.contains("does not exist beside the recording"), "{all}");
}

/// A `reprise:drag` replays a native HTML5 drag and drop too (`draggable`, `dragstart`,
/// `drop`): the pointer input reprise sends starts a real drag in headless Chromium.
#[test]
fn a_recorded_drag_replays_native_html5_drag_and_drop() {
    let suite = TestSuite::empty();
    let rec = serde_json::json!({
        "title": "html5",
        "steps": [
            { "type": "setViewport", "width": 800, "height": 600, "deviceScaleFactor": 1,
              "isMobile": false, "hasTouch": false, "isLandscape": true },
            { "type": "navigate", "url": "https://gaps.test/html5.html" },
            { "type": "customStep", "name": "reprise:drag", "parameters": {
                "from": { "selectors": [["#src"]], "offsetX": 10, "offsetY": 10 },
                "to": { "selectors": [["#dst"]], "offsetX": 50, "offsetY": 50 } } },
            { "type": "customStep", "name": "checkpoint", "parameters": { "name": "after" } }
        ]
    });
    let dir = suite.path().join("recordings");
    std::fs::create_dir_all(&dir).expect("recordings");
    std::fs::write(dir.join("html5.json"), rec.to_string()).expect("write recording");
    let app = fixtures().join("gaps");
    let app = app.to_str().expect("utf-8 path");
    let o = suite.run(&["run", "=html5", "--app-dir", app, "--update-snapshots"]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let hits = files_containing(&suite.path().join("snapshots/html5"), b"dropped html5");
    assert!(
        hits.iter().any(|p| p.ends_with(".dom")),
        "{hits:?}\n{}",
        o.stdout
    );
}
