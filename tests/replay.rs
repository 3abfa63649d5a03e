//! End-to-end tests: the real `reprise` binary replays suites in the real Chromium through
//! the real chromedriver, with the backend served by wiremock on 127.0.0.1.

use crate::support;

use serde_json::Value;
use support::{stable, TestSuite};

fn sessions(o: &support::Outcome) -> &Vec<Value> {
    o.report["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("no report:\n{}\n{}", o.stdout, o.stderr))
}

#[test]
fn demo_suite_passes_three_times_in_a_row_with_identical_reports() {
    let suite = TestSuite::demo();
    let mut reports = Vec::new();
    for _ in 0..3 {
        let o = suite.run(&["run"]);
        assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
        assert!(sessions(&o).len() >= 6);
        for s in sessions(&o) {
            assert_eq!(s["status"], "passed", "{}", o.stdout);
            assert_eq!(s["fidelity"], 1.0, "{}", s["id"]);
            assert_eq!(s["network"]["unmatched"], serde_json::json!([]));
            assert_eq!(s["network"]["escaped"], serde_json::json!([]));
            assert!(s["checkpoints"].as_array().is_some_and(|c| !c.is_empty()));
        }
        assert_eq!(o.report["verdict"], "passed");
        reports.push(stable(&o.report));
    }
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[1], reports[2]);
    // In CI nothing is written under snapshots/.
    let pending = walk(&suite.path().join("snapshots"))
        .into_iter()
        .filter(|p| p.ends_with(".new"))
        .count();
    assert_eq!(pending, 0);
}

/// Every file under `dir`, as text (for `ends_with` on a name's suffix).
fn walk(dir: &std::path::Path) -> Vec<String> {
    support::walk(dir)
        .into_iter()
        .map(|p| p.display().to_string())
        .collect()
}

#[test]
fn a_visual_change_makes_sessions_changed_with_a_diff_image() {
    let suite = TestSuite::demo().edit("demo/styles.css", |css| {
        format!("{css}\n.hero h1 {{ color: #c0392b; }}\n")
    });
    let o = suite.run(&["run", "browse", "retry"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    // Two short sessions (16 steps: under 2 s of expected work) do not pay for a second
    // browser when `--jobs` is not given.
    assert!(o.stdout.contains("(1 at a time)"), "{}", o.stdout);
    for id in ["browse", "retry"] {
        let s = o.session(id);
        assert_eq!(s["status"], "changed", "{}", o.stdout);
        assert!(s["fidelity"].as_f64().is_some_and(|f| f < 1.0));
        let changed: Vec<&Value> = s["checkpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["status"] == "changed")
            .collect();
        assert!(!changed.is_empty());
        for c in changed {
            assert!(c["diff_pixels"].as_u64().is_some_and(|n| n > 0));
            assert!(c["visual_similarity"].as_f64().is_some_and(|v| v < 1.0));
            let diff = suite
                .path()
                .join(c["diff_png"].as_str().expect("a diff image path"));
            let bytes = std::fs::read(&diff).expect("the diff image exists");
            assert!(bytes.starts_with(b"\x89PNG"));
        }
    }
    assert!(o.stdout.contains("CHANGED"), "{}", o.stdout);
    assert_eq!(o.report["verdict"], "regressed");
}

#[test]
fn a_removed_button_breaks_the_flow_naming_the_step() {
    let suite = TestSuite::demo().edit("demo/shop.js", |js| {
        js.replace(
            r#"<button id="retry" class="btn" type="button" data-testid="retry">Try again</button>"#,
            r#"<p class="hint">Reload the page later.</p>"#,
        )
        .replace("$('retry').addEventListener('click', loadProducts);", "")
    });
    let o = suite.run(&["run", "retry"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    let s = o.session("retry");
    assert_eq!(s["status"], "broken", "{}", o.stdout);
    // The first step of the recording that needs the button is the one that breaks.
    let rec: Value = serde_json::from_str(
        &std::fs::read_to_string(suite.path().join("recordings/retry.json")).expect("read"),
    )
    .expect("json");
    let (index, step) = rec["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .enumerate()
        .find(|(_, st)| st["selectors"].to_string().contains("retry"))
        .expect("a step targets the retry button");
    let (n, kind) = (index + 1, step["type"].as_str().expect("type"));
    let b = &s["broken_step"];
    assert_eq!(b["step"], n);
    assert_eq!(b["step_type"], kind);
    assert!(
        s["error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!("step {n} (`{kind}`)"))),
        "{}",
        s["error"]
    );
    assert!(b["selectors"].as_array().is_some_and(|a| a
        .iter()
        .any(|x| x.as_str().is_some_and(|x| x.contains("retry")))));
    assert!(s["fidelity"].as_f64().is_some_and(|f| f < 1.0));
    assert!(
        o.stdout.contains("BROKEN") && o.stdout.contains(&format!("step {n} (`{kind}`)")),
        "{}",
        o.stdout
    );
}

#[test]
fn a_renamed_json_field_is_an_unmatched_request_with_the_closest_entry() {
    let suite = TestSuite::demo().edit("demo/checkout.js", |js| {
        js.replacen("customer: {", "buyer: {", 1)
    });
    let o = suite.run(&["run", "checkout"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    let s = o.session("checkout");
    assert_ne!(s["status"], "passed");
    let unmatched = s["network"]["unmatched"]
        .as_array()
        .expect("unmatched list");
    let order = unmatched
        .iter()
        .find(|u| u["url"] == "https://api.reprise.test/api/orders")
        .unwrap_or_else(|| panic!("the order POST is reported: {unmatched:?}"));
    assert_eq!(order["method"], "POST");
    assert_eq!(
        order["closest"]["url"],
        "https://api.reprise.test/api/orders"
    );
    let why = order["closest"]["difference"].as_str().unwrap_or_default();
    assert!(why.contains("customer") || why.contains("buyer"), "{why}");
    assert!(
        o.stdout
            .contains("unmatched request: POST https://api.reprise.test/api/orders"),
        "{}",
        o.stdout
    );
    // Why it changed: the request is the first divergence, before what it caused.
    let d = &s["divergence"];
    assert_eq!(d["kind"], "request", "{d}");
    assert!(
        d["summary"]
            .as_str()
            .is_some_and(|x| x.contains("/api/orders")),
        "{d}"
    );
    assert!(d["details"].to_string().contains("customer"), "{d}");
    assert!(
        o.stdout.contains("first divergence at step"),
        "{}",
        o.stdout
    );
}

#[test]
fn a_text_change_is_explained_as_a_structural_dom_change() {
    let suite = TestSuite::demo().edit("demo/index.html", |html| {
        html.replacen(
            "Small-batch coffee, roasted every Tuesday.",
            "Small-batch coffee, roasted every Friday.",
            1,
        )
    });
    let o = suite.run(&["run", "retry"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    let s = o.session("retry");
    let d = &s["divergence"];
    assert_eq!(d["kind"], "checkpoint", "{d}");
    let details = d["details"].to_string();
    assert!(
        details.contains("text in <h1>") && details.contains("every Friday"),
        "{details}"
    );
    let changes = s["checkpoints"][0]["dom_changes"]
        .as_array()
        .expect("structural changes");
    assert!(changes.iter().any(|c| c["kind"] == "text"), "{changes:?}");
}

#[test]
fn a_harmless_change_keeps_every_session_passed() {
    let suite = TestSuite::demo()
        .edit("demo/styles.css", |css| {
            format!("/* refactor: nothing visible */\n{css}")
        })
        .edit("demo/index.html", |html| {
            html.replacen("<body", "<!-- build 2026-11-29 -->\n<body", 1)
        });
    let o = suite.run(&["run"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    for s in sessions(&o) {
        assert_eq!(s["status"], "passed", "{}: {}", s["id"], o.stdout);
    }
}

#[test]
fn a_malformed_recording_exits_2_naming_file_and_step_and_the_rest_still_runs() {
    let bad = r#"{"title": "bad", "steps": [
        {"type": "navigate", "url": "https://shop.reprise.test/"},
        {"type": "click", "offsetX": 1, "offsetY": 1}
    ]}"#;
    let suite = TestSuite::demo().file("recordings/bad-click.json", bad);
    let o = suite.run(&["run", "bad-click", "retry"]);
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    let s = o.session("bad-click");
    assert_eq!(s["status"], "error");
    let msg = s["error"].as_str().unwrap_or_default();
    assert!(msg.contains("recordings/bad-click.json"), "{msg}");
    assert!(msg.contains("step 2"), "{msg}");
    assert!(msg.contains("selectors"), "{msg}");
    assert_eq!(o.status("retry"), "passed");
    assert!(
        o.stdout.contains("recordings/bad-click.json"),
        "{}",
        o.stdout
    );
}

#[test]
fn a_missing_baseline_fails_in_ci_and_is_left_pending_locally() {
    let suite = TestSuite::demo();
    std::fs::remove_dir_all(suite.path().join("snapshots/retry")).expect("remove baselines");
    let ci = suite.run(&["run", "retry"]);
    assert_eq!(ci.code, 1, "{}", ci.stdout);
    assert_eq!(ci.status("retry"), "new");
    assert!(
        !suite.path().join("snapshots/retry").exists(),
        "nothing written in CI"
    );

    let local = suite.env("CI", "");
    let o = local.run(&["run", "retry"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    let files = walk(&local.path().join("snapshots/retry"));
    assert!(
        files.iter().any(|f| f.ends_with(".dom.new"))
            && files.iter().any(|f| f.ends_with(".png.new")),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with(".dom")),
        "pending only: {files:?}"
    );

    let o = local.run(&["run", "retry", "--update-snapshots"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    let files = walk(&local.path().join("snapshots/retry"));
    assert!(
        files.iter().any(|f| f.ends_with(".dom")) && !files.iter().any(|f| f.ends_with(".new")),
        "{files:?}"
    );
    let o = local.run(&["run", "retry"]);
    assert_eq!(o.status("retry"), "passed", "{}", o.stdout);
}

#[test]
fn without_a_build_under_test_it_says_how_to_set_one() {
    let suite = TestSuite::empty().file("recordings/a.json", r#"{"title":"a","steps":[]}"#);
    let o = suite.run(&["run"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--app-dir"), "{}", o.stderr);
}

/// A loopback server that counts every connection it accepts.
struct Canary {
    port: u16,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Canary {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                use std::io::{Read, Write};
                let mut s = stream;
                let mut buf = [0u8; 512];
                let n = s.read(&mut buf).unwrap_or(0);
                eprintln!(
                    "canary reached: {:?}",
                    String::from_utf8_lossy(&buf[..n]).lines().next()
                );
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nLEAKED");
            }
        });
        Self { port, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[test]
fn nothing_reaches_the_real_network_canary() {
    let canary = Canary::start();
    let c = canary.port;
    let page = format!(
        r#"<!doctype html><html><head><title>canary</title>
<link rel="stylesheet" href="http://127.0.0.1:{c}/style.css">
</head><body><h1>canary</h1><p id="out">waiting</p>
<img src="http://127.0.0.1:{c}/pixel.gif" alt="">
<iframe src="https://frames.example/frame.html"></iframe>
<script>
  const tries = [
    fetch('https://not-in-the-har.example/collect', {{ method: 'POST', body: 'secret' }}),
    fetch('http://127.0.0.1:{c}/leak'),
    fetch('https://api.example/data?b=2&a=1').then(r => r.json()).then(d => d.value),
  ];
  const ws = new WebSocket('ws://127.0.0.1:{c}/socket');
  ws.onerror = () => {{}};
  navigator.sendBeacon && navigator.sendBeacon('http://127.0.0.1:{c}/beacon', 'x');
  const w = new Worker(URL.createObjectURL(new Blob([`fetch('http://127.0.0.1:{c}/worker').catch(() => 0)`])));
  Promise.allSettled(tries).then(r => {{
    document.getElementById('out').textContent = r.map(x => x.status + ':' + (x.value === undefined ? '' : x.value)).join(' ');
  }});
</script></body></html>"#
    );
    let frame = format!(
        r#"<!doctype html><p>frame</p><script>fetch('http://127.0.0.1:{c}/from-frame').catch(() => 0); fetch('https://frames.example/ping').catch(() => 0);</script>"#
    );
    let har = serde_json::json!({ "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": [
        { "request": { "method": "GET", "url": "https://api.example/data?a=1&b=2", "headers": [] },
          "response": { "status": 200, "headers": [ { "name": "content-type", "value": "application/json" } ],
                        "content": { "mimeType": "application/json", "text": "{\"value\":\"mocked\"}" } } },
        { "request": { "method": "GET", "url": "https://frames.example/frame.html", "headers": [] },
          "response": { "status": 200, "headers": [ { "name": "content-type", "value": "text/html" } ],
                        "content": { "mimeType": "text/html", "text": frame } } }
    ] } });
    let recording = r#"{"title": "canary", "steps": [
        {"type": "setViewport", "width": 800, "height": 600, "deviceScaleFactor": 1, "isMobile": false, "hasTouch": false, "isLandscape": false},
        {"type": "navigate", "url": "https://app.example/"},
        {"type": "waitForElement", "selectors": [["text/fulfilled:mocked"]]},
        {"type": "customStep", "name": "checkpoint", "parameters": {"name": "after-requests"}}
    ]}"#;
    let suite = TestSuite::empty()
        .file("app/index.html", &page)
        .file("recordings/canary.json", recording)
        .file("mocks/canary.har", &har.to_string())
        .file("reprise.toml", "[app]\ndir = \"app\"\n");
    let o = suite.run(&["run", "--update-snapshots"]);
    // Give a straggling connection time to arrive before counting.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(canary.hits(), 0, "the canary was reached:\n{}", o.stdout);
    let s = o.session("canary");
    assert_ne!(s["status"], "broken", "{}", o.stdout);
    let unmatched: Vec<String> = s["network"]["unmatched"]
        .as_array()
        .expect("unmatched")
        .iter()
        .map(|u| u["url"].as_str().unwrap_or_default().to_string())
        .collect();
    for want in [
        "https://not-in-the-har.example/collect".to_string(),
        format!("http://127.0.0.1:{c}/leak"),
        format!("http://127.0.0.1:{c}/pixel.gif"),
        format!("http://127.0.0.1:{c}/from-frame"),
    ] {
        assert!(
            unmatched.contains(&want),
            "{want} is reported unmatched: {unmatched:?}"
        );
    }
    assert_eq!(
        s["network"]["served"], 2,
        "the HAR answered the API call and the frame"
    );
    let console = s["console_errors"].to_string();
    assert!(
        console.contains(&format!("WebSocket to ws://127.0.0.1:{c}/socket refused")),
        "{console}"
    );
    assert_eq!(
        s["network"]["escaped"],
        serde_json::json!([]),
        "{}",
        o.stdout
    );
}

#[test]
fn a_difference_the_same_build_does_not_reproduce_is_flaky_and_never_a_baseline() {
    // performance.timeOrigin is the real wall clock: outside the determinism shim, so every
    // replay renders a different value.
    let leak = |js: &str| {
        js.replacen(
            "function showSessionId() {",
            "function showSessionId() {\n  document.querySelector('footer p')?.append(' build ' + Math.round(performance.timeOrigin % 100000));",
            1,
        )
    };
    let suite = TestSuite::demo().edit("demo/common.js", leak);
    let o = suite.run(&["run", "retry"]);
    assert_eq!(o.code, 0, "flaky does not fail by default: {}", o.stdout);
    let s = o.session("retry");
    assert_eq!(s["status"], "flaky", "{}", o.stdout);
    assert!(
        s["error"].as_str().is_some_and(|e| e.contains("disagreed")),
        "{}",
        s["error"]
    );
    let second = s["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .find_map(|c| c["second_capture"]["png"].as_str())
        .expect("the second replay's capture is reported");
    assert!(suite.path().join(second).is_file());
    assert!(o.stdout.contains("FLAKY"), "{}", o.stdout);

    // Locally, a flaky capture is not left pending either.
    let local = suite.env("CI", "");
    let o = local.run(&["run", "retry"]);
    assert_eq!(o.status("retry"), "flaky", "{}", o.stdout);
    assert!(walk(&local.path().join("snapshots/retry"))
        .iter()
        .all(|f| !f.ends_with(".new")));

    let strict = local.env("CI", "true").file(
        "reprise.toml",
        "[app]\ndir = \"demo\"\n[run]\nfail_on_flaky = true\n",
    );
    let o = strict.run(&["run", "retry"]);
    assert_eq!(o.code, 1, "fail_on_flaky makes it fail: {}", o.stdout);
}

#[test]
fn a_baseline_from_another_environment_is_named_as_such() {
    let other_env = |dom: &str| {
        dom.replacen("# browser: Chromium 156.", "# browser: Chromium 120.", 1)
            .replacen("# fonts: sha256:", "# fonts: sha256:00", 1)
    };
    let suite = TestSuite::demo().edit("snapshots/retry/06-end.dom", other_env);
    let o = suite.run(&["run", "retry"]);
    assert_eq!(o.code, 0, "a warning by default: {}", o.stdout);
    let c = o.session("retry")["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .find(|c| c["name"] == "06-end")
        .cloned()
        .expect("06-end");
    let note = c["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("Chromium 120") && note.contains("fonts"),
        "{note}"
    );
    assert!(o.stdout.contains("warning: environment"), "{}", o.stdout);

    let strict = suite.file(
        "reprise.toml",
        "[app]\ndir = \"demo\"\n[compare]\nenvironment = \"error\"\n",
    );
    let o = strict.run(&["run", "retry"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert_eq!(o.status("retry"), "changed");
}

#[test]
fn overrides_set_thresholds_and_rules_per_session_by_glob_or_tag() {
    let config = r#"[app]
dir = "demo"

[[override]]
sessions = ["bro*"]
compare = { max_diff_pixels = 50000 }

[[override]]
tags = ["resilience"]
normalize = { mask = [".hero h1"] }
"#;
    let suite = TestSuite::demo()
        .edit("demo/styles.css", |css| {
            format!("{css}\n.hero h1 {{ color: #c0392b; }}\n")
        })
        .file("reprise.toml", config);
    let o = suite.run(&["run", "browse", "retry"]);
    // browse tolerates the changed pixels by its name.
    assert_eq!(o.status("browse"), "passed", "{}", o.stdout);
    // retry (tagged `resilience`) masks the heading: its baselines were made with other rules,
    // and the report says so rather than only showing a diff.
    assert_eq!(o.status("retry"), "changed", "{}", o.stdout);
    let notes = o.session("retry")["checkpoints"].to_string();
    assert!(notes.contains("other normalization rules"), "{notes}");
    assert!(
        notes.contains("[masked]"),
        "the heading is masked in the DOM: {notes}"
    );
}

#[test]
fn list_shows_the_suite_with_baselines_mocks_and_the_last_run() {
    let suite = TestSuite::demo();
    let _ = suite.run(&["run", "retry"]);
    let o = suite.run(&["list", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let entries: Value = serde_json::from_str(&o.stdout).expect("json");
    let retry = entries
        .as_array()
        .and_then(|a| a.iter().find(|e| e["id"] == "retry"))
        .expect("retry listed");
    assert_eq!(retry["exchanges"], 2);
    assert_eq!(retry["baselines"]["state"], "approved");
    assert_eq!(retry["last_run"]["status"], "passed");
    assert_eq!(retry["tags"], serde_json::json!(["resilience"]));
    let browse = entries
        .as_array()
        .and_then(|a| a.iter().find(|e| e["id"] == "browse"))
        .expect("browse");
    assert_eq!(browse["last_run"], Value::Null, "browse did not run");
    let text = suite.run(&["list"]);
    assert!(
        text.stdout.contains("retry") && text.stdout.contains("3 approved"),
        "{}",
        text.stdout
    );
}
