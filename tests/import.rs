//! `reprise import`: every public sample in `tests/fixtures/` imported by the real binary and
//! snapshotted; imported flows replayed end to end in the real Chromium; the HAR backend
//! compared case by case with Playwright's `routeFromHAR`.

use crate::support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::{read_json, repo_root, TestSuite};

fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

fn fixtures(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixture(dir))
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    out.sort();
    out
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .and_then(|s| s.to_str())
        .expect("stem")
        .to_owned()
}

fn import(suite: &TestSuite, args: &[&str]) -> support::Outcome {
    let o = suite.run(args);
    assert_eq!(o.code, 0, "{args:?}\n{}\n{}", o.stdout, o.stderr);
    o
}

/// What a HAR answers, without the bulk: enough to see every quirk's effect.
fn har_summary(har: &Value) -> Value {
    let entries = har["log"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Value::Array(
        entries
            .iter()
            .map(|e| {
                let text = e["response"]["content"]["text"].as_str().unwrap_or("");
                json!({
                    "method": e["request"]["method"],
                    "url": e["request"]["url"],
                    "status": e["response"]["status"],
                    "mimeType": e["response"]["content"]["mimeType"],
                    "encoding": e["response"]["content"]["encoding"],
                    "bodyChars": text.len(),
                    "file": e["response"]["content"]["_file"],
                })
            })
            .collect(),
    )
}

#[test]
fn every_chrome_recorder_fixture_imports_and_is_snapshotted() {
    for file in fixtures("chrome-recorder", "json") {
        let name = stem(&file);
        if name.contains("invalid") {
            continue;
        }
        let suite = TestSuite::empty();
        import(
            &suite,
            &["import", "chrome-recorder", file.to_str().expect("utf-8")],
        );
        let rec = read_json(&suite.path().join(format!("recordings/{name}.json")));
        assert_puppeteer_replay_valid(&rec, &name);
        insta::assert_json_snapshot!(format!("chrome-recorder__{name}"), rec);
    }
}

#[test]
fn the_invalid_recorder_fixture_is_refused_naming_the_field_and_fix() {
    let suite = TestSuite::empty();
    let file = fixture("chrome-recorder/puppeteer-replay-invalid-missing-title.json");
    let o = suite.run(&["import", "chrome-recorder", file.to_str().expect("utf-8")]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("puppeteer-replay-invalid-missing-title.json"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("field `title`: required field is missing"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("hint: add a top-level \"title\""),
        "{}",
        o.stderr
    );
    assert!(!suite.path().join("recordings").exists(), "nothing written");
}

#[test]
fn every_rrweb_fixture_imports_and_is_snapshotted() {
    for file in fixtures("rrweb", "json") {
        let name = stem(&file);
        let suite = TestSuite::empty();
        import(&suite, &["import", "rrweb", file.to_str().expect("utf-8")]);
        let rec = read_json(&suite.path().join(format!("recordings/{name}.json")));
        assert_puppeteer_replay_valid(&rec, &name);
        let selectors = rec["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["selectors"].to_string())
            .collect::<String>();
        assert!(
            !selectors.contains("rr_") && !selectors.contains("_cssText"),
            "{name}: rrweb pseudo-attributes in selectors: {selectors}"
        );
        insta::assert_json_snapshot!(format!("rrweb__{name}"), rec);
        let snaps = suite.path().join(format!("snapshots/{name}"));
        let mut doms: Vec<PathBuf> = std::fs::read_dir(&snaps)
            .expect("expected DOM snapshots")
            .flatten()
            .map(|e| e.path())
            .collect();
        doms.sort();
        assert!(!doms.is_empty(), "{name}: no expected DOM");
        for d in doms {
            let text = std::fs::read_to_string(&d).expect("read");
            insta::assert_snapshot!(format!("rrweb_dom__{name}__{}", stem(&d)), text);
        }
    }
}

#[test]
fn every_har_fixture_imports_and_is_snapshotted() {
    for file in fixtures("har", "har") {
        let name = stem(&file);
        let suite = TestSuite::empty();
        let o = import(
            &suite,
            &[
                "import",
                "har",
                file.to_str().expect("utf-8"),
                "--keep-assets",
            ],
        );
        let har = read_json(&suite.path().join(format!("mocks/{name}.har")));
        insta::assert_json_snapshot!(format!("har__{name}"), har_summary(&har));
        // Without --keep-assets the app's own documents, scripts and styles stay out.
        let lean = TestSuite::empty();
        let o2 = import(&lean, &["import", "har", file.to_str().expect("utf-8")]);
        let lean_har = read_json(&lean.path().join(format!("mocks/{name}.har")));
        let kept = lean_har["log"]["entries"].as_array().map_or(0, Vec::len);
        let all = har["log"]["entries"].as_array().map_or(0, Vec::len);
        assert!(kept <= all, "{name}");
        if kept < all {
            assert!(o2.stdout.contains("--keep-assets"), "{}", o2.stdout);
        }
        let _ = o;
    }
}

#[test]
fn playwright_file_sidecar_bodies_are_inlined() {
    let suite = TestSuite::empty();
    let file = fixture("har/playwright-har-sha1.har");
    import(
        &suite,
        &[
            "import",
            "har",
            file.to_str().expect("utf-8"),
            "--keep-assets",
        ],
    );
    let har = read_json(&suite.path().join("mocks/playwright-har-sha1.har"));
    let content = &har["log"]["entries"][0]["response"]["content"];
    let expected =
        std::fs::read_to_string(fixture("har/har-sha1-main-response.txt")).expect("sidecar");
    assert_eq!(content["text"], expected.as_str());
    assert!(content.get("_file").is_none());
}

#[test]
fn a_file_that_is_not_what_it_claims_is_refused() {
    let suite = TestSuite::empty();
    let har = fixture("har/mitmproxy-postdata.har");
    let o = suite.run(&["import", "rrweb", har.to_str().expect("utf-8")]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("is not an rrweb event stream: it looks like a HAR file"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("hint: import it as that: `reprise import har"),
        "{}",
        o.stderr
    );
    let garbage = TestSuite::empty().file("notes.json", "[1, 2");
    let o = garbage.run(&["import", "rrweb", "notes.json"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("line 1, column 5"), "{}", o.stderr);
}

#[test]
fn format_auto_sniffs_and_posthog_jsonl_is_read_per_window() {
    let events = read_json(&fixture("rrweb/rrweb-integration-clicks.json"));
    let line = json!({"window_id": "w1", "data": events}).to_string();
    let suite = TestSuite::empty().file("export.jsonl", &format!("{line}\n"));
    let o = import(
        &suite,
        &["import", "export.jsonl", "--format", "auto", "--name", "ph"],
    );
    assert!(o.stdout.contains("recordings/ph.json"), "{}", o.stdout);
    let rec = read_json(&suite.path().join("recordings/ph.json"));
    let clicks = rec["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["type"] == "click")
        .count();
    assert_eq!(clicks, 3, "{rec:#}");
    // A broken line is named.
    let bad = TestSuite::empty().file("bad.jsonl", &format!("{line}\n{{\"window_id\": 1,\n"));
    let o = bad.run(&["import", "rrweb", "bad.jsonl"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("line 2"), "{}", o.stderr);
}

#[test]
fn rrweb_network_and_console_plugins_are_kept() {
    let events = json!([
        {"type": 4, "data": {"href": "https://shop.test/cart", "width": 800, "height": 600}, "timestamp": 1_700_000_000_000_i64},
        {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 4, "tagName": "button", "attributes": {"data-testid": "buy", "rr_width": "10px"}, "childNodes": [
                        {"type": 3, "id": 5, "textContent": "Buy"}]}]}]}]}}, "timestamp": 1_700_000_000_010_i64},
        {"type": 6, "data": {"plugin": "rrweb/network@1", "payload": {"requests": [
            {"url": "https://api.shop.test/cart?b=2&a=1", "method": "GET", "initiatorType": "fetch", "status": 200,
             "startTime": 120.0, "endTime": 150.0, "requestHeaders": {}, "responseHeaders": {"content-type": "application/json"},
             "responseBody": {"items": 2}}]}}, "timestamp": 1_700_000_000_200_i64},
        {"type": 6, "data": {"plugin": "rrweb/console@1", "payload": {"level": "warn", "trace": [], "payload": ["\"low stock\""]}}, "timestamp": 1_700_000_000_300_i64},
        {"type": 3, "data": {"source": 2, "type": 2, "id": 4, "x": 5, "y": 5}, "timestamp": 1_700_000_001_000_i64}
    ]);
    let suite = TestSuite::empty().file("s.json", &events.to_string());
    import(&suite, &["import", "rrweb", "s.json", "--name", "shop"]);
    let rec = read_json(&suite.path().join("recordings/shop.json"));
    assert_eq!(rec["reprise"]["console"][0]["level"], "warn");
    assert_eq!(rec["reprise"]["startTime"], "2023-11-14T22:13:20.000Z");
    let click = &rec["steps"][2];
    assert_eq!(click["type"], "click");
    assert_eq!(click["timestamp"], 1000);
    assert_eq!(click["selectors"][0], json!(["[data-testid=\"buy\"]"]));
    let har = read_json(&suite.path().join("mocks/shop.har"));
    let entry = &har["log"]["entries"][0];
    assert_eq!(
        entry["request"]["url"],
        "https://api.shop.test/cart?b=2&a=1"
    );
    assert_eq!(entry["response"]["content"]["text"], "{\"items\":2}");
    // The HAR loads with the replay's own loader.
    reprise::mock::load_har(&suite.path().join("mocks/shop.har")).expect("loads");
}

#[test]
fn existing_sessions_are_not_overwritten_without_force() {
    let file = fixture("chrome-recorder/puppeteer-replay-minimal.json");
    let f = file.to_str().expect("utf-8");
    let suite = TestSuite::empty();
    import(&suite, &["import", f]);
    let o = suite.run(&["import", f]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("exists already"), "{}", o.stderr);
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    import(&suite, &["import", f, "--force"]);
}

#[test]
fn chrome_recorder_with_har_writes_both_and_leaves_app_assets_out() {
    let rec = json!({"title": "fulfill", "steps": [{"type": "navigate", "url": "http://no.playwright/"}]});
    let suite = TestSuite::empty().file("flow.json", &rec.to_string());
    let har = fixture("har/playwright-har-fulfill.har");
    let o = import(
        &suite,
        &[
            "import",
            "chrome-recorder",
            "flow.json",
            "--har",
            har.to_str().expect("utf-8"),
        ],
    );
    assert!(o.stdout.contains("mocks/flow.har"), "{}", o.stdout);
    let urls = support::har_requests(&suite.path().join("mocks/flow.har"));
    // The document and GET assets are the build's; the POST and the redirect stay.
    assert!(
        urls.contains(&"POST http://no.playwright/style.css".to_owned()),
        "{urls:?}"
    );
    assert!(
        !urls.contains(&"GET http://no.playwright/".to_owned()),
        "{urls:?}"
    );
}

/// The rules @puppeteer/replay's `parse()` applies (SchemaUtils.ts), mirrored: what reprise
/// writes must load there too.
fn assert_puppeteer_replay_valid(rec: &Value, name: &str) {
    assert!(rec["title"].is_string(), "{name}: title");
    if let Some(t) = rec.get("timeout") {
        assert!(t.is_u64(), "{name}: timeout");
    }
    let steps = rec["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: steps"));
    let num = |s: &Value, k: &str| assert!(s[k].is_number(), "{name}: {k} in {s}");
    let string = |s: &Value, k: &str| assert!(s[k].is_string(), "{name}: {k} in {s}");
    let boolean = |s: &Value, k: &str| assert!(s[k].is_boolean(), "{name}: {k} in {s}");
    let selectors = |s: &Value| {
        let list = s["selectors"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: selectors in {s}"));
        for sel in list {
            let ok = sel.is_string()
                || sel
                    .as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string));
            assert!(ok, "{name}: selector {sel}");
        }
    };
    for s in steps {
        if let Some(f) = s.get("frame") {
            assert!(
                f.as_array().is_some_and(|a| a.iter().all(Value::is_u64)),
                "{name}: frame"
            );
        }
        if let Some(t) = s.get("target") {
            assert!(t.is_string(), "{name}: target");
        }
        if let Some(ev) = s.get("assertedEvents") {
            for e in ev.as_array().expect("assertedEvents array") {
                assert_eq!(e["type"], "navigation", "{name}");
            }
        }
        match s["type"].as_str().unwrap_or_else(|| panic!("{name}: type")) {
            "setViewport" => {
                for k in ["width", "height", "deviceScaleFactor"] {
                    num(s, k);
                }
                for k in ["isMobile", "hasTouch", "isLandscape"] {
                    boolean(s, k);
                }
            }
            "navigate" => string(s, "url"),
            "click" | "doubleClick" => {
                selectors(s);
                num(s, "offsetX");
                num(s, "offsetY");
            }
            "hover" => selectors(s),
            "change" => {
                selectors(s);
                string(s, "value");
            }
            "keyDown" | "keyUp" => string(s, "key"),
            "scroll" => {
                if s.get("selectors").is_some() {
                    selectors(s);
                }
            }
            "waitForElement" => selectors(s),
            "waitForExpression" => string(s, "expression"),
            "emulateNetworkConditions" => {
                for k in ["download", "upload", "latency"] {
                    num(s, k);
                }
            }
            "customStep" => {
                string(s, "name");
                assert!(s.get("parameters").is_some(), "{name}: parameters");
            }
            "close" => {}
            other => panic!("{name}: unknown step type {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// End to end, in the real Chromium.

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

fn sessions_ok(o: &support::Outcome, id: &str) -> Value {
    let s = o.session(id).clone();
    assert!(
        s["broken_step"].is_null() && s["error"].is_null(),
        "{id} did not replay: {}\n{}\n{}",
        s,
        o.stdout,
        o.stderr
    );
    assert_eq!(s["network"]["unmatched"], json!([]), "{s}");
    s
}

fn lighthouse_flow_replays(variant: &str) {
    // The recorded origin http://localhost:10200 is served from app/, so /flow/ is the site.
    let suite = TestSuite::empty();
    copy_dir(
        &fixture("chrome-recorder/lighthouse-flow-site"),
        &suite.path().join("app/flow"),
    );
    let file = fixture(&format!(
        "chrome-recorder/lighthouse-{variant}-test-flow.json"
    ));
    import(
        &suite,
        &["import", file.to_str().expect("utf-8"), "--name", variant],
    );
    let o = suite.run(&["run", "--app-dir", "app", "--update-snapshots"]);
    let s = sessions_ok(&o, variant);
    assert!(
        matches!(s["status"].as_str(), Some("passed" | "new")),
        "{s}\n{}",
        o.stdout
    );
    // Every step ran, the navigation assertions included.
    let timeline = s["steps"].as_array().or_else(|| s["timeline"].as_array());
    if let Some(steps) = timeline {
        assert_eq!(steps.len(), 7, "{s}");
    }
    // The link click's navigation assertion held: the flow reached next.html.
    let names: Vec<&str> = s["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["02-index", "06-next", "07-end"], "{s}");
    let next = std::fs::read_to_string(
        suite
            .path()
            .join(format!("snapshots/{variant}/06-next.dom")),
    )
    .expect("the next.html snapshot");
    assert!(
        next.contains("\"New page after clicking the link!\""),
        "{next}"
    );
    assert!(
        next.contains("# url: http://localhost:10200/flow/next.html"),
        "{next}"
    );
}

#[test]
fn lighthouse_desktop_flow_replays_end_to_end_with_its_asserted_events() {
    lighthouse_flow_replays("desktop");
}

#[test]
fn lighthouse_mobile_flow_replays_end_to_end_with_its_asserted_events() {
    lighthouse_flow_replays("mobile");
}

#[test]
fn rrweb_form_interactions_replay_to_the_dom_the_stream_shows() {
    let suite = TestSuite::empty();
    let file = fixture("rrweb/rrweb-integration-form-interactions.json");
    import(
        &suite,
        &[
            "import",
            "rrweb",
            file.to_str().expect("utf-8"),
            "--name",
            "form",
            "--rebuild-dir",
            "app",
        ],
    );
    let o = suite.run(&["run", "--app-dir", "app"]);
    let s = sessions_ok(&o, "form");
    let end = s["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .find(|c| c["name"] == "08-end")
        .unwrap_or_else(|| panic!("no 08-end checkpoint: {s}"))
        .clone();
    // The expected DOM is the stream's: typed text, checked boxes and selected options equal.
    assert_eq!(end["dom_similarity"], 1.0, "{end:#}\n{}", o.stdout);
}

#[test]
fn rrweb_clicks_replay_on_the_rebuilt_page() {
    let suite = TestSuite::empty();
    let file = fixture("rrweb/rrweb-integration-clicks.json");
    import(
        &suite,
        &[
            "import",
            "rrweb",
            file.to_str().expect("utf-8"),
            "--name",
            "clicks",
            "--rebuild-dir",
            "app",
        ],
    );
    let o = suite.run(&["run", "--app-dir", "app"]);
    let s = sessions_ok(&o, "clicks");
    let end = s["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .find(|c| c["name"] == "06-end")
        .unwrap_or_else(|| panic!("no 06-end checkpoint: {s}"))
        .clone();
    assert_eq!(end["dom_similarity"], 1.0, "{end:#}\n{}", o.stdout);
}

// ---------------------------------------------------------------------------------------
// The HAR backend against Playwright's routeFromHAR (harBackend.ts) on its own fixtures.

mod har_semantics {
    use super::fixture;
    use reprise::mock::load_har;
    use reprise::mock::matching::{ExchangeIndex, IncomingRequest, Lookup};

    fn req(method: &str, url: &str, body: Option<&str>) -> IncomingRequest {
        IncomingRequest {
            method: method.into(),
            url: url::Url::parse(url).expect("url"),
            content_type: body.map(|_| "text/plain".into()),
            body: body.map(|b| b.as_bytes().to_vec()),
        }
    }

    fn answer(index: &ExchangeIndex, r: &IncomingRequest) -> Option<(u16, String)> {
        match index.lookup(r) {
            Lookup::Matched(i) => {
                let ex = &index.exchanges()[i];
                Some((
                    ex.status,
                    String::from_utf8_lossy(&ex.response_body).into_owned(),
                ))
            }
            Lookup::Unmatched { .. } => None,
        }
    }

    fn fulfill() -> ExchangeIndex {
        ExchangeIndex::new(load_har(&fixture("har/playwright-har-fulfill.har")).expect("loads"))
    }

    #[test]
    fn playwright_matches_the_method_get_and_post_of_one_url_differ() {
        let idx = fulfill();
        let get = answer(&idx, &req("GET", "http://no.playwright/style.css", None));
        assert_eq!(get.map(|a| a.1), Some("body { background: red }".into()));
        let post = answer(&idx, &req("POST", "http://no.playwright/style.css", None));
        assert_eq!(post.map(|a| a.1), Some("body { background:cyan }".into()));
    }

    #[test]
    fn playwright_follows_redirects_the_browser_gets_the_301_then_the_target() {
        let ex = load_har(&fixture("har/playwright-har-fulfill.har")).expect("loads");
        let idx = ExchangeIndex::new(ex);
        let r = req("GET", "http://no.playwright/script.js", None);
        let Lookup::Matched(i) = idx.lookup(&r) else {
            panic!("redirect not matched")
        };
        let first = &idx.exchanges()[i];
        assert_eq!(first.status, 301);
        let location = first
            .response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.clone())
            .expect("location");
        let end = answer(&idx, &req("GET", &location, None));
        assert_eq!(end, Some((200, "window.value='foo'".into())));
    }

    #[test]
    fn missing_redirect_location_is_restored_from_redirect_url() {
        let har = br#"{"log":{"entries":[{"request":{"method":"GET","url":"https://a.test/old"},"response":{"status":302,"headers":[],"redirectURL":"https://a.test/new"}}]}}"#;
        let ex = reprise::mock::har::parse_har(har).expect("parses");
        assert!(ex[0]
            .response_headers
            .contains(&("location".to_string(), "https://a.test/new".to_string())));
    }

    #[test]
    fn playwright_sidecar_file_bodies_are_served() {
        let idx =
            ExchangeIndex::new(load_har(&fixture("har/playwright-har-sha1.har")).expect("loads"));
        let expected =
            std::fs::read_to_string(fixture("har/har-sha1-main-response.txt")).expect("sidecar");
        assert_eq!(
            answer(&idx, &req("GET", "http://no.playwright/", None)),
            Some((200, expected))
        );
    }

    #[test]
    fn playwright_unmatched_url_is_not_answered() {
        // routeFromHAR's default `notFound: 'abort'`; reprise fails it in the page too.
        let idx = fulfill();
        assert_eq!(
            answer(&idx, &req("GET", "http://no.playwright/missing.js", None)),
            None
        );
    }

    #[test]
    fn beyond_playwright_query_order_does_not_matter() {
        let har = br#"{"log":{"entries":[{"request":{"method":"GET","url":"https://api.test/items?a=1&b=2"},"response":{"status":200,"content":{"text":"ok"}}}]}}"#;
        let idx = ExchangeIndex::new(reprise::mock::har::parse_har(har).expect("parses"));
        assert_eq!(
            answer(&idx, &req("GET", "https://api.test/items?b=2&a=1", None)),
            Some((200, "ok".into()))
        );
    }

    #[test]
    fn beyond_playwright_the_nth_call_gets_the_nth_answer_then_the_last() {
        let har = br#"{"log":{"entries":[
            {"request":{"method":"GET","url":"https://api.test/n"},"response":{"status":200,"content":{"text":"1"}}},
            {"request":{"method":"GET","url":"https://api.test/n"},"response":{"status":200,"content":{"text":"2"}}}]}}"#;
        let idx = ExchangeIndex::new(reprise::mock::har::parse_har(har).expect("parses"));
        let r = req("GET", "https://api.test/n", None);
        let got: Vec<String> = (0..3)
            .filter_map(|_| answer(&idx, &r).map(|a| a.1))
            .collect();
        assert_eq!(got, ["1", "2", "2"]);
    }

    #[test]
    fn chrome_304_with_its_body_is_served_as_200_and_status_0_is_not_served() {
        // Every case present, so each assertion has something to check (the Chrome fixture
        // alone has neither a status 0 nor a 304 with its body, and could not fail).
        let entry = |url: &str, status: i64, body: &str| {
            serde_json::json!({"request": {"method": "GET", "url": url, "headers": []},
                   "response": {"status": status, "headers": [],
                                "content": {"mimeType": "text/plain", "text": body}}})
        };
        let har = serde_json::json!({"log": {"entries": [
            entry("https://a.test/ok", 200, "ok"),
            entry("https://a.test/failed", 0, ""),
            entry("https://a.test/revalidated", 304, "kept body"),
            entry("https://a.test/not-modified", 304, ""),
        ]}});
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.har");
        std::fs::write(&path, har.to_string()).expect("write");
        let ex = load_har(&path).expect("loads");
        let got: Vec<(String, u16, &[u8])> = ex
            .iter()
            .map(|e| {
                (
                    e.url.path().to_string(),
                    e.status,
                    e.response_body.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("/ok".to_string(), 200, &b"ok"[..]),
                ("/revalidated".to_string(), 200, &b"kept body"[..]),
                ("/not-modified".to_string(), 304, &b""[..]),
            ]
        );
        // and the real Chrome export loads under the same rules
        let chrome = load_har(&fixture("har/mitmproxy-chrome.har")).expect("loads");
        assert!(chrome.iter().all(|e| e.status != 0));
        assert!(chrome
            .iter()
            .all(|e| e.status != 304 || e.response_body.is_empty()));
    }

    #[test]
    fn head_is_answered_from_the_recorded_head_or_else_the_get() {
        let ex = load_har(&fixture("har/mitmproxy-head-content-length.har")).expect("loads");
        let url = ex[0].url.to_string();
        let idx = ExchangeIndex::new(ex);
        assert!(matches!(
            idx.lookup(&req("HEAD", &url, None)),
            Lookup::Matched(_)
        ));
        let fulfill = fulfill();
        assert!(matches!(
            fulfill.lookup(&req("HEAD", "http://no.playwright/script2.js", None)),
            Lookup::Matched(_)
        ));
    }

    #[test]
    fn event_stream_and_bom_hars_load() {
        for f in [
            "har/mitmproxy-event_stream.har",
            "har/mitmproxy-with-bom.har",
        ] {
            let ex = load_har(&fixture(f)).expect("loads");
            assert!(!ex.is_empty(), "{f}");
        }
    }
}

/// A HAR of `mb` megabytes: JSON, HTML and base64 bodies, a dozen headers per side.
fn generated_har(path: &std::path::Path, mb: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let headers = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"name": format!("x-header-{i}"), "value": "v".repeat(10 + 3 * i)}))
            .collect()
    };
    write!(
        f,
        r#"{{"log":{{"version":"1.2","creator":{{"name":"t","version":"1"}},"entries":["#
    )
    .expect("write");
    let (mut written, mut i) = (0, 0);
    while written < mb << 20 {
        let size = 1000 + (i * 7919) % 59_000;
        let content = match i % 3 {
            0 => {
                json!({"mimeType": "application/json", "text": format!("{{\"items\":\"{}\"}}", "x".repeat(size))})
            }
            1 => json!({"mimeType": "text/html", "text": format!("<p>{}</p>", "a".repeat(size))}),
            _ => {
                json!({"mimeType": "image/png", "encoding": "base64", "text": "QUJD".repeat(size / 4)})
            }
        };
        let e = json!({
            "startedDateTime": "2024-01-01T00:00:00Z", "time": 12,
            "request": {"method": "GET", "url": format!("https://api.example.test/items/{i}"),
                "httpVersion": "HTTP/1.1", "headers": headers(14), "queryString": [], "cookies": [],
                "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "headers": headers(12), "cookies": [], "content": content, "redirectURL": "",
                "headersSize": -1, "bodySize": size},
            "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1}
        });
        let s = format!("{}{e}", if i > 0 { "," } else { "" });
        f.write_all(s.as_bytes()).expect("write");
        written += s.len();
        i += 1;
    }
    write!(f, "]}}}}").expect("write");
}

/// A HAR import used 9 to 90 times the file's size in memory (a `serde_json::Value` tree of
/// every entry, cloned twice); it must stay within 3 times (scripts/har-memory.sh prints
/// the figures for 10, 50 and 100 MB).
#[test]
fn har_import_peak_memory_is_at_most_three_times_the_file() {
    let suite = TestSuite::empty();
    let har = suite.path().join("big.har");
    generated_har(&har, 40);
    let size = std::fs::metadata(&har).expect("size").len() as i64;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["import", "har"])
        .arg(&har)
        .args(["--name", "big"])
        .current_dir(suite.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run reprise");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child spawned above, which nothing else waits for.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let _ = child.try_wait();
    assert_eq!(libc::WEXITSTATUS(status), 0, "import failed");
    let peak = usage.ru_maxrss * 1024;
    assert!(
        peak <= 3 * size,
        "peak RSS {} MB for a {} MB HAR ({:.1}x)",
        peak >> 20,
        size >> 20,
        peak as f64 / size as f64
    );
    let written = std::fs::read_to_string(suite.path().join("mocks/big.har")).expect("written");
    let v: Value = serde_json::from_str(&written).expect("the written HAR is JSON");
    assert!(v["log"]["entries"]
        .as_array()
        .is_some_and(|e| e.len() > 100));
}

/// Errors used to echo an offending value whole (10 MB on stderr); they quote an excerpt
/// with the value's length.
#[test]
fn errors_echo_an_excerpt_of_a_huge_value_with_its_length() {
    let huge = "A".repeat(1_000_000);
    let suite = TestSuite::empty()
        .file(
            "huge-type.json",
            &json!({"title": "x", "steps": [{"type": "navigate", "url": "https://a.test/"}, {"type": huge}]})
                .to_string(),
        )
        .file(
            "huge-url.har",
            &json!({"log": {"entries": [{"request": {"method": "GET", "url": format!("not a url {huge}")}, "response": {"status": 200}}]}})
                .to_string(),
        )
        .file(
            "huge-status.har",
            &json!({"log": {"entries": [{"request": {"method": "GET", "url": "https://a.test/"}, "response": {"status": huge}}]}})
                .to_string(),
        );
    for (kind, file, shown) in [
        ("chrome-recorder", "huge-type.json", "… (1000000 bytes)"),
        ("har", "huge-url.har", "… (1000010 bytes)"),
        ("har", "huge-status.har", "…"),
    ] {
        let o = suite.run(&["import", kind, file]);
        assert_eq!(o.code, 2, "{file}");
        assert!(
            o.stderr.len() < 2000,
            "{file}: {} bytes on stderr",
            o.stderr.len()
        );
        assert!(o.stderr.contains(shown), "{file}: {}", o.stderr);
    }
}
