//! A gate that a typo cannot turn green: configuration values out of range, selectors the
//! browser would throw on, filters that select nothing, and `list` / `check` as CI lints.
//! Each case here used to replay and pass (exit 0).

use crate::support;

use support::TestSuite;

#[test]
fn numbers_out_of_range_are_config_errors_naming_key_value_and_range() {
    for (toml, key, value) in [
        ("[compare]\nthreshold = -1", "`compare.threshold`", "-1"),
        ("[compare]\nthreshold = 5", "`compare.threshold`", "5"),
        (
            "[compare]\nmax_diff_ratio = 2",
            "`compare.max_diff_ratio`",
            "2",
        ),
        ("[run]\nmin_fidelity = 7", "`run.min_fidelity`", "7"),
        ("[run]\nstep_timeout_ms = 0", "`run.step_timeout_ms`", "0"),
        (
            "[[override]]\nsessions = [\"checkout\"]\ncompare = { threshold = -1 }",
            "`override[1].compare.threshold`",
            "-1",
        ),
    ] {
        // the demo's reprise.toml has [compare] and [run] tables already: merge into them
        let o = run_with_config_merged(toml);
        assert_eq!(o.code, 2, "{toml}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains(key), "{toml}: {}", o.stderr);
        assert!(
            o.stderr.contains(&format!("= {value} ")),
            "{toml}: {}",
            o.stderr
        );
        assert!(o.stderr.contains("between"), "{toml}: {}", o.stderr);
    }
}

/// The demo config with `toml`'s keys merged into its tables (TOML forbids a table twice).
fn run_with_config_merged(toml: &str) -> support::Outcome {
    let suite = TestSuite::demo().edit("reprise.toml", |t| merge_toml(t, toml));
    let o = suite.run(&["run", "checkout"]);
    assert!(o.report.is_null(), "{}", o.stdout);
    o
}

fn merge_toml(base: &str, extra: &str) -> String {
    let mut doc: toml::Table = base.parse().expect("demo config");
    let extra: toml::Table = extra.parse().expect("extra config");
    for (k, v) in extra {
        match (doc.get_mut(&k), v) {
            (Some(toml::Value::Table(t)), toml::Value::Table(e)) => t.extend(e),
            (Some(toml::Value::Array(a)), toml::Value::Array(e)) => a.extend(e),
            (_, v) => {
                doc.insert(k, v);
            }
        }
    }
    toml::to_string(&doc).expect("serialize")
}

#[test]
fn invalid_selectors_are_refused_before_any_page_sees_them() {
    for (toml, key) in [
        (
            "[privacy]\nselectors = [\"div[[[\"]",
            "`privacy.selectors[1]` = `div[[[`",
        ),
        (
            "[normalize]\nmask = [\":contains(x)\"]",
            "`normalize.mask[1]` = `:contains(x)`",
        ),
        (
            "[normalize]\nmask = [\">> span\"]",
            "`normalize.mask[1]` = `>> span`",
        ),
    ] {
        let o = run_with_config_merged(toml);
        assert_eq!(o.code, 2, "{toml}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains(key), "{toml}: {}", o.stderr);
        assert!(
            o.stderr.contains("not a valid CSS selector"),
            "{}",
            o.stderr
        );
    }
    // a huge value is echoed as an excerpt with its length, not whole
    let long = format!("div[[[{}", "x".repeat(200_000));
    let o = run_with_config_merged(&format!("[privacy]\nselectors = [\"{long}\"]"));
    assert_eq!(o.code, 2, "{}", o.stdout);
    assert!(o.stderr.len() < 2_000, "{} bytes on stderr", o.stderr.len());
    assert!(o.stderr.contains("(200006 bytes)"), "{}", o.stderr);
}

#[test]
fn a_filter_that_selects_nothing_is_an_error_with_the_closest_name() {
    let suite = TestSuite::demo();
    let o = suite.run(&["run", "chekout"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("no session matches `chekout`"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("did you mean `checkout`"), "{}", o.stderr);
    assert!(
        o.stderr.contains("browse, checkout, keyboard"),
        "{}",
        o.stderr
    );
    // a second filter that matches nothing is a typo too, even beside one that matches
    let o = suite.run(&["run", "checkout", "=serch"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("did you mean `search`"), "{}", o.stderr);
}

#[test]
fn a_repeat_count_out_of_range_is_refused_before_any_replay() {
    let suite = TestSuite::demo();
    for k in ["0", "1001"] {
        let o = suite.run(&["run", "--repeat", k, "browse"]);
        assert_eq!(o.code, 2, "--repeat {k}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains("1..=1000"), "{}", o.stderr);
        assert!(o.report.is_null(), "nothing replayed: {}", o.report);
    }
}

#[test]
fn accepting_a_session_or_checkpoint_that_is_not_there_is_a_typo_not_a_pass() {
    let suite = TestSuite::demo();
    let o = suite.run(&["accept", "chekout"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("no session `chekout`"), "{}", o.stderr);
    assert!(o.stderr.contains("did you mean `checkout`"), "{}", o.stderr);
    // a real session with nothing pending is no error: there is nothing to decide
    let o = suite.run(&["accept", "checkout"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // a checkpoint no pending snapshot has, beside ones that are pending
    let pending = suite.path().join("snapshots/checkout/02-index.dom.new");
    std::fs::copy(
        suite.path().join("snapshots/checkout/02-index.dom"),
        &pending,
    )
    .expect("a pending snapshot");
    let o = suite.run(&["accept", "checkout", "--checkpoint", "02-indx"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("no pending snapshot of checkpoint `02-indx`")
            && o.stderr.contains("did you mean `02-index`"),
        "{}",
        o.stderr
    );
    assert!(pending.exists(), "nothing was accepted");
}

#[test]
fn a_pause_no_session_reaches_is_refused_before_any_replay() {
    let suite = TestSuite::demo();
    for step in ["0", "11"] {
        let o = suite.run(&["run", "--until", step, "browse"]);
        assert_eq!(o.code, 2, "--until {step}: {}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains("give a step from 1 to 10"),
            "{}",
            o.stderr
        );
        assert!(o.report.is_null(), "nothing replayed: {}", o.report);
    }
}

#[test]
fn a_suite_without_recordings_is_an_error_not_a_pass() {
    let suite = TestSuite::demo();
    for entry in std::fs::read_dir(suite.path().join("recordings")).expect("recordings") {
        std::fs::remove_file(entry.expect("entry").path()).expect("remove");
    }
    let o = suite.run(&["run"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("holds no recording"), "{}", o.stderr);
}

#[test]
fn an_empty_shard_of_a_non_empty_suite_passes_and_says_so() {
    let suite = TestSuite::demo();
    // one session, two shards: shard 2 has nothing to do, which is no error
    let o = suite.run(&["run", "=checkout", "--shard", "2/2"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("shard 2/2 holds none"), "{}", o.stdout);
    assert_eq!(o.report["summary"]["sessions"], 0);
}

#[test]
fn list_and_check_fail_on_a_broken_suite() {
    let suite = TestSuite::demo();
    let o = suite.run(&["check"]);
    assert_eq!(
        o.code, 0,
        "the demo suite is sound: {}{}",
        o.stdout, o.stderr
    );
    assert!(o.stdout.contains("ok: 8 session(s)"), "{}", o.stdout);
    let o = suite.run(&["list"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);

    // a broken configuration
    let bad = TestSuite::demo().edit("reprise.toml", |t| merge_toml(t, "[run]\nmin_fidelity = 7"));
    for cmd in ["list", "check"] {
        let o = bad.run(&[cmd]);
        assert_eq!(o.code, 2, "{cmd}: {}{}", o.stdout, o.stderr);
        assert!(
            format!("{}{}", o.stdout, o.stderr).contains("`run.min_fidelity` = 7"),
            "{cmd}: {}{}",
            o.stdout,
            o.stderr
        );
    }

    // a recording that does not parse, a HAR that does not, an orphan mock, a bad selector
    let broken = TestSuite::demo()
        .file(
            "recordings/typo.json",
            "{ \"title\": \"typo\", \"steps\": [ ",
        )
        .file("mocks/orphan.har", "{}")
        .edit("mocks/search.har", |_| "not json".into())
        .edit("recordings/browse.json", |t| {
            let mut v: serde_json::Value = serde_json::from_str(t).expect("json");
            let steps = v["steps"].as_array_mut().expect("steps");
            let step = steps
                .iter_mut()
                .find(|s| s["selectors"].is_array())
                .expect("a step with selectors");
            step["selectors"] = serde_json::json!([["div[[["]]);
            serde_json::to_string_pretty(&v).expect("json")
        });
    let o = broken.run(&["list"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("problem:"), "{}", o.stdout);
    let o = broken.run(&["check"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    for want in [
        "recordings/typo.json",
        "mocks/search.har",
        "mocks/orphan.har: no recording",
        "recordings/browse.json: step",
        "`div[[[` is not valid CSS",
    ] {
        assert!(o.stdout.contains(want), "missing `{want}`:\n{}", o.stdout);
    }
    assert!(o.stderr.contains("4 problem(s)"), "{}", o.stderr);
}
