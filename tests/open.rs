//! `reprise open`: a watched replay that pauses at a step with the browser open.

use crate::support;

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use support::TestSuite;

#[test]
fn open_until_a_step_pauses_there_with_the_page_in_that_state() {
    let suite = TestSuite::demo();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["open", "retry", "--until", "3", "--headless"])
        .current_dir(suite.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start reprise open");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok);
    let mut seen = Vec::new();
    let paused = lines
        .by_ref()
        .inspect(|l| seen.push(l.clone()))
        .find(|l| l.contains("PAUSED"))
        .unwrap_or_else(|| panic!("no pause: {seen:#?}"));
    assert!(paused.contains("after step 3"), "{paused}");
    assert!(
        seen.iter().any(|l| l.contains("step 3 `waitForElement`")),
        "{seen:#?}"
    );
    assert!(
        !seen.iter().any(|l| l.contains("step 4")),
        "nothing ran past step 3: {seen:#?}"
    );
    let field = |key: &str| {
        paused
            .split([' ', ',', ')', '('])
            .skip_while(|w| *w != key)
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    let (webdriver, session) = (field("WebDriver"), field("session"));
    // The page is as the recording left it after step 3: the menu failed to load, the retry
    // button is there, no product yet.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let state = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{webdriver}/session/{session}/execute/sync"))
            .body(serde_json::json!({
                "script": "return [!!document.querySelector('[data-testid=retry]'), document.querySelectorAll('[data-testid=\"product-list\"] .card').length]",
                "args": []
            }).to_string())
            .header("content-type", "application/json")
            .send()
            .await
            .expect("webdriver answers")
            .text()
            .await
            .expect("body")
    });
    let v: serde_json::Value = serde_json::from_str(&state).expect("json");
    assert_eq!(v["value"], serde_json::json!([true, 0]), "{state}");
    // Enter resumes: the replay finishes and passes.
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"\n")
        .expect("enter");
    let rest: Vec<String> = lines.collect();
    let status = child.wait().expect("exit");
    assert!(status.success(), "{rest:#?}");
    assert!(rest.iter().any(|l| l.contains("PASS")), "{rest:#?}");
}

#[test]
fn open_without_a_display_says_how_to_get_one() {
    let suite = TestSuite::demo()
        .env("DISPLAY", "")
        .env("WAYLAND_DISPLAY", "");
    let o = suite.run(&["open", "retry"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("xvfb-run") && o.stderr.contains("--headless"),
        "{}",
        o.stderr
    );
    let o = suite.run(&["open", "no-such-session", "--headless"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("retry"),
        "lists the sessions: {}",
        o.stderr
    );
}
