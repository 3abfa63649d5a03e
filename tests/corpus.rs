//! The real-app corpus (`corpus/suites/*`): apps built with React, Vue, Svelte, Preact and Lit
//! by `scripts/build-corpus.sh` (their `dist/` is committed, so nothing is built here), each
//! with Chrome Recorder flows and the HAR of its backend on another origin. Each suite is
//! replayed by the real binary in a temporary copy: once with `-u` to write baselines (every
//! flow must complete), then `--repeat 2`, where every flow must pass in both runs with
//! byte-identical captures. One `reprise run` per pass covers the whole suite (`--jobs 2`).
//!
//! Flows that reprise cannot complete yet are listed in [`KNOWN_FAILING`] with the failure
//! they must show; when a fix lands the flow passes, this test fails, and the entry goes.

use crate::support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{read_json, repo_root, TestSuite};

/// A corpus flow reprise fails today, the text its report must contain, and why.
struct KnownFailure {
    flow: &'static str,
    /// Found in the session's `error` or `divergence` of the JSON report.
    expect: &'static str,
    #[expect(dead_code, reason = "documentation for the reader of a failing test")]
    cause: &'static str,
}

/// Flip these (remove the entry) when the fix is merged: the test then asserts the flow passes.
// Emptied when the step semantics of issue 13 landed: the custom checkbox (opacity 0), `change`
// replacing the field's text as @puppeteer/replay does (caret and shadow roots), and popups by
// `target` were the four failures listed here.
const KNOWN_FAILING: &[KnownFailure] = &[];

fn known(flow: &str) -> Option<&'static KnownFailure> {
    KNOWN_FAILING.iter().find(|k| k.flow == flow)
}

fn corpus_dir(suite: &str) -> PathBuf {
    repo_root().join("corpus/suites").join(suite)
}

/// A temporary copy of a corpus suite's recordings and mocks, its app served from the
/// repository's committed `dist/`.
fn corpus_suite(name: &str) -> TestSuite {
    let src = corpus_dir(name);
    let config = std::fs::read_to_string(src.join("reprise.toml")).expect("reprise.toml");
    let rel = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("dir = \""))
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no `[app] dir` in {}/reprise.toml", src.display()));
    let app = src.join(rel);
    assert!(
        app.join("index.html").is_file(),
        "{} is not built: run scripts/build-corpus.sh and commit dist/",
        app.display()
    );
    let mut suite = TestSuite::empty().file(
        "reprise.toml",
        &format!("[app]\ndir = {:?}\n", app.display().to_string()),
    );
    for folder in ["recordings", "mocks"] {
        for entry in std::fs::read_dir(src.join(folder)).expect("read suite") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            let rel = format!(
                "{folder}/{}",
                path.file_name().expect("name").to_string_lossy()
            );
            suite = suite.file(&rel, &text);
        }
    }
    suite
}

fn flows(suite: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(corpus_dir(suite).join("recordings"))
        .expect("recordings")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn sessions(report: &Value) -> BTreeMap<String, Value> {
    report["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("no sessions in the report: {report}"))
        .iter()
        .map(|s| (s["id"].as_str().unwrap_or_default().to_string(), s.clone()))
        .collect()
}

/// Asserts a known-failing flow fails the way it is known to, so a fix (or a new failure)
/// is noticed.
fn assert_known_failure(k: &KnownFailure, s: &Value, output: &str) {
    let text = format!("{} {}", s["error"], s["divergence"]);
    assert_eq!(
        s["status"], "broken",
        "known-failing flow `{}` now ends `{}`: if it passes, remove it from KNOWN_FAILING\n{output}",
        k.flow, s["status"]
    );
    assert!(
        text.replace("\\\"", "\"").contains(k.expect),
        "known-failing flow `{}` fails differently than expected (`{}`):\n{text}",
        k.flow,
        k.expect
    );
}

/// The capture files (`*.actual.dom`, `*.actual.png`) of a session in one run's folder.
fn captures(run_dir: &Path, session: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = run_dir.join(session);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".actual.dom") || n.ends_with(".actual.png")
        })
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read capture"))
        })
        .collect()
}

fn replay_corpus_suite(name: &str) {
    let suite = corpus_suite(name);
    let expected = flows(name);
    assert!(!expected.is_empty(), "corpus suite `{name}` has no flows");

    // 1. Baselines: every flow completes (or fails exactly as known).
    let o = suite.run(&["run", "-u", "--jobs", "2"]);
    assert_ne!(
        o.code, 3,
        "infrastructure failure:\n{}\n{}",
        o.stdout, o.stderr
    );
    let out = format!("{}\n{}", o.stdout, o.stderr);
    let first = sessions(&o.report);
    assert_eq!(
        first.keys().cloned().collect::<Vec<_>>(),
        expected,
        "every flow replayed\n{out}"
    );
    for (id, s) in &first {
        if let Some(k) = known(id) {
            assert_known_failure(k, s, &out);
            continue;
        }
        assert_eq!(s["status"], "new", "{id}: {}\n{out}", s["error"]);
        assert_eq!(s["steps_completed"], s["steps_total"], "{id}");
        assert_eq!(s["fidelity"], 1.0, "{id}");
        assert_eq!(s["network"]["unmatched"], serde_json::json!([]), "{id}");
    }

    // 2. Two more replays of the same build: passed both times, byte-identical captures.
    let o = suite.run(&["run", "--repeat", "2", "--jobs", "2"]);
    let out = format!("{}\n{}", o.stdout, o.stderr);
    assert_ne!(o.code, 3, "infrastructure failure:\n{out}");
    let runs: Vec<PathBuf> = (1..=2)
        .map(|i| suite.path().join(format!(".reprise/out/repeat/run-{i:02}")))
        .collect();
    for run in &runs {
        let report = sessions(&read_json(&run.join("report.json")));
        assert_eq!(
            report.keys().cloned().collect::<Vec<_>>(),
            expected,
            "{out}"
        );
        for (id, s) in &report {
            match known(id) {
                Some(k) => assert_known_failure(k, s, &out),
                None => assert_eq!(
                    s["status"],
                    "passed",
                    "{id} in {}: {}\n{out}",
                    run.display(),
                    s["error"]
                ),
            }
        }
    }
    for id in expected.iter().filter(|id| known(id).is_none()) {
        let a = captures(&runs[0], id);
        let b = captures(&runs[1], id);
        assert!(
            !a.is_empty(),
            "{id}: no captures kept in {}",
            runs[0].display()
        );
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{id}: the same checkpoints in both runs"
        );
        for (file, bytes) in &a {
            assert!(
                b.get(file) == Some(bytes),
                "{id}/{file} differs between two replays of the same build\n{out}"
            );
        }
    }
}

#[test]
fn corpus_react_shop_history_routing_lazy_route_and_form_validation() {
    replay_corpus_suite("react-shop");
}

#[test]
fn corpus_vue_tasks_hash_routing_dialog_custom_checkbox_and_select() {
    replay_corpus_suite("vue-tasks");
}

/// Also pins the capture of an iframe a `frame` step switched into: chromedriver's
/// `cd_frame_id_` marker (random per session) once made every replay's DOM differ.
#[test]
fn corpus_svelte_notes_list_form_and_iframe() {
    replay_corpus_suite("svelte-notes");
}

#[test]
fn corpus_preact_account_login_keys_and_popup() {
    replay_corpus_suite("preact-account");
}

#[test]
fn corpus_lit_profile_ui_in_nested_shadow_roots() {
    replay_corpus_suite("lit-profile");
}

/// The corpus has what issue 13 asks of it, so a trimmed flow or app is noticed.
#[test]
fn corpus_covers_the_frameworks_and_features_it_claims() {
    let mut tags = std::collections::BTreeSet::new();
    let mut count = 0;
    for entry in std::fs::read_dir(repo_root().join("corpus/suites")).expect("suites") {
        let suite = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        for flow in flows(&suite) {
            let rec = read_json(&corpus_dir(&suite).join(format!("recordings/{flow}.json")));
            for t in rec["reprise"]["tags"].as_array().into_iter().flatten() {
                tags.insert(t.as_str().unwrap_or_default().to_string());
            }
            assert!(
                corpus_dir(&suite)
                    .join(format!("mocks/{flow}.har"))
                    .is_file(),
                "{suite}/{flow} has no HAR"
            );
            count += 1;
        }
    }
    assert!(count >= 9, "{count} flows");
    for t in [
        "react",
        "vue",
        "svelte",
        "preact",
        "lit",
        "shadow-dom",
        "form-validation",
        "list",
        "hash-routing",
        "history-routing",
        "dialog",
        "custom-checkbox",
        "custom-select",
        "iframe",
        "popup",
        "lazy-route",
        "cross-origin-backend",
    ] {
        assert!(tags.contains(t), "no corpus flow tagged `{t}`: {tags:?}");
    }
    for k in KNOWN_FAILING {
        assert!(
            std::fs::read_dir(repo_root().join("corpus/suites"))
                .expect("suites")
                .any(|e| flows(&e.expect("entry").file_name().to_string_lossy())
                    .iter()
                    .any(|f| f == k.flow)),
            "KNOWN_FAILING names `{}`, which is no corpus flow",
            k.flow
        );
    }
}
