//! The JUnit report against the JUnit XML schema CI tools use (`junit-10.xsd`, from the
//! Jenkins xUnit plugin by way of pytest: see tests/fixtures/junit/README.txt), validated by
//! `xmllint` (Debian package `libxml2-utils`), then read back to check the counts.

use crate::support;

use reprise::mock::matching::Closest;
use reprise::mock::UnmatchedRequest;
use reprise::model::{
    BrokenStep, CheckpointReport, CheckpointStatus, ErrorKind, NetworkReport, RunReport,
    SessionReport, SessionStatus, StepReport, StepStatus, Summary, Verdict,
};
use reprise::report::junit;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/junit")
        .join(name)
}

fn checkpoint(name: &str, status: CheckpointStatus) -> CheckpointReport {
    let differs = status != CheckpointStatus::Match;
    CheckpointReport {
        name: name.into(),
        status,
        dom_similarity: if differs { 0.5 } else { 1.0 },
        visual_similarity: if differs { 0.75 } else { 1.0 },
        diff_pixels: if status == CheckpointStatus::Changed {
            u64::MAX
        } else {
            0
        },
        step: 1,
        url: "http://localhost/a?b=1&c=<2>".into(),
        baseline_dom: Some(format!("snapshots/{name}.html")),
        baseline_png: Some(format!("snapshots/{name}.png")),
        actual_dom: differs.then(|| format!(".reprise/{name}.html")),
        actual_png: differs.then(|| format!(".reprise/{name}.png")),
        diff_png: (status == CheckpointStatus::Changed)
            .then(|| format!(".reprise/{name}.diff.png")),
        dom_diff: (status == CheckpointStatus::Changed)
            .then(|| "-<p>a</p>\n+<p>b & \"c\" ]]></p>\n".into()),
        note: Some("baseline made with other normalization rules".into()),
        second_capture: None,
        dom_changes: Vec::new(),
        visual_change: None,
        groups: Vec::new(),
    }
}

fn session(id: &str, status: SessionStatus) -> SessionReport {
    if status == SessionStatus::Error {
        return SessionReport::error(
            id,
            "recordings/bad.json",
            ErrorKind::Infrastructure,
            "chromedriver exited\n\u{1b}[31mstatus 1\u{1b}[0m".into(),
        );
    }
    let mut s = SessionReport {
        id: id.into(),
        title: "A \"title\" <with> markup & more".into(),
        status,
        fidelity: 0.9,
        duration_ms: 2_001,
        attempts: if status == SessionStatus::Flaky { 3 } else { 1 },
        steps_total: 2,
        steps_completed: 2,
        steps: vec![StepReport {
            step: 1,
            step_type: "click".into(),
            description: "#go".into(),
            status: StepStatus::Passed,
            duration_ms: 5,
        }],
        checkpoints: vec![checkpoint("start", CheckpointStatus::Match)],
        network: NetworkReport::default(),
        // Untrusted page output: NUL, bell, ESC, vertical tab, U+FFFF, markup and `]]>`.
        console_errors: vec!["bad \u{0}\u{7}\u{1b}[1m\u{b}\u{ffff} <b>&</b> ]]> \r\n end".into()],
        error: None,
        error_kind: None,
        broken_step: None,
        tags: vec!["shop.cart".into()],
        divergence: None,
        recording: format!("recordings/{id}.json"),
        coverage: None,
    };
    match status {
        SessionStatus::Changed => {
            s.checkpoints
                .push(checkpoint("cart & <total>", CheckpointStatus::Changed));
            s.network.unmatched.push(UnmatchedRequest {
                step: 0,
                method: "GET".into(),
                url: "http://api/x?y=<1>".into(),
                closest: Some(Closest {
                    method: "GET".into(),
                    url: "http://api/x".into(),
                    difference: "query differs: `y`".into(),
                }),
            });
            s.network.unmatched.push(UnmatchedRequest {
                step: 0,
                method: "POST".into(),
                url: "http://api/z".into(),
                closest: None,
            });
            s.network.escaped.push("evil.example".into());
        }
        SessionStatus::Broken => {
            s.steps_completed = 1;
            s.broken_step = Some(BrokenStep {
                step: 2,
                step_type: "change".into(),
                message: "element not interactable\n(it is hidden)".into(),
                selectors: vec!["input[name=\"q\"]".into(), "xpath///input[@id='q']".into()],
            });
        }
        SessionStatus::New => s.checkpoints = vec![checkpoint("start", CheckpointStatus::New)],
        _ => {}
    }
    s
}

fn sample() -> RunReport {
    let sessions: Vec<SessionReport> = [
        SessionStatus::Passed,
        SessionStatus::Changed,
        SessionStatus::Broken,
        SessionStatus::New,
        SessionStatus::Flaky,
        SessionStatus::Error,
    ]
    .into_iter()
    .map(|st| session(&format!("{}-session <&>", st.as_str()), st))
    .collect();
    RunReport {
        format_version: 1,
        verdict: Verdict::Error,
        duration_ms: 61_234,
        summary: Summary {
            sessions: sessions.len(),
            passed: 1,
            changed: 1,
            broken: 1,
            new: 1,
            flaky: 1,
            error: 1,
        },
        sessions,
        snapshots_written: 0,
        snapshots_pending: 2,
        unused_baselines: Vec::new(),
        pruned: false,
        groups: Vec::new(),
    }
}

fn xmllint(args: &[&str]) -> std::process::Output {
    match Command::new("xmllint").args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "xmllint is not installed: install it with `apt-get install -y libxml2-utils` \
             (Debian/Ubuntu; `libxml2` on Homebrew)"
        ),
        Err(e) => panic!("cannot run xmllint: {e}"),
    }
}

fn validate(xsd: &Path, xml: &Path) -> std::process::Output {
    xmllint(&[
        "--noout",
        "--nonet",
        "--schema",
        &xsd.display().to_string(),
        &xml.display().to_string(),
    ])
}

/// junit-10.xsd with one change: `<properties>` allowed inside `<testcase>`.
fn schema_with_testcase_properties(dir: &Path) -> PathBuf {
    let original = std::fs::read_to_string(fixture("junit-10.xsd")).expect("read junit-10.xsd");
    let anchor = "<xs:choice minOccurs=\"0\" maxOccurs=\"unbounded\">\n                    <xs:element ref=\"skipped\"/>";
    assert_eq!(
        original.matches(anchor).count(),
        1,
        "the testcase choice is not where expected in junit-10.xsd"
    );
    let patched = original.replace(
        anchor,
        &anchor.replace(
            "<xs:element ref=\"skipped\"/>",
            "<xs:element ref=\"properties\"/>\n                    <xs:element ref=\"skipped\"/>",
        ),
    );
    let path = dir.join("junit-10-testcase-properties.xsd");
    std::fs::write(&path, patched).expect("write patched xsd");
    path
}

/// The XML without the `<properties>` blocks of testcases (the suite's stay).
fn without_testcase_properties(xml: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in xml.split_inclusive('\n') {
        match line {
            "      <properties>\n" => skipping = true,
            "      </properties>\n" => skipping = false,
            _ if !skipping => out.push_str(line),
            _ => {}
        }
    }
    out
}

fn attr(xml: &str, element: &str, name: &str) -> usize {
    let start = xml
        .find(&format!("<{element} "))
        .unwrap_or_else(|| panic!("no <{element}>"));
    let tag = &xml[start..start + xml[start..].find('>').expect("tag end")];
    let key = format!(" {name}=\"");
    let from = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + key.len();
    tag[from..from + tag[from..].find('"').expect("quote")]
        .parse()
        .expect("number")
}

fn xpath_count(xml: &Path, expr: &str) -> usize {
    let o = xmllint(&["--xpath", expr, &xml.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("xpath {expr} gave {text}"))
}

#[test]
fn junit_report_is_valid_against_junit_10_xsd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = sample();
    let xml_path = dir.path().join("junit.xml");
    junit::write(&report, &xml_path).expect("write report");
    let xml = std::fs::read_to_string(&xml_path).expect("read report");

    // 1. The whole report, against the schema plus testcase <properties>.
    let patched = schema_with_testcase_properties(dir.path());
    let o = validate(&patched, &xml_path);
    assert!(
        o.status.success(),
        "invalid JUnit XML:\n{}\n{xml}",
        String::from_utf8_lossy(&o.stderr)
    );

    // 2. Everything but the testcase <properties>, against the schema as CI tools ship it.
    let strict_path = dir.path().join("junit-strict.xml");
    std::fs::write(&strict_path, without_testcase_properties(&xml)).expect("write");
    let o = validate(&fixture("junit-10.xsd"), &strict_path);
    assert!(
        o.status.success(),
        "invalid against the unmodified junit-10.xsd:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // 3. And the validator is really checking: the full report fails the unmodified schema,
    //    on the testcase <properties> only.
    let o = validate(&fixture("junit-10.xsd"), &xml_path);
    assert!(
        !o.status.success(),
        "expected testcase <properties> to be rejected"
    );
    let errors = String::from_utf8_lossy(&o.stderr);
    let violations: Vec<&str> = errors
        .lines()
        .filter(|l| l.contains("validity error"))
        .collect();
    assert_eq!(violations.len(), report.sessions.len(), "{errors}");
    for line in violations {
        assert!(line.contains("Element 'properties'"), "unexpected: {line}");
    }
}

/// The same sample, every optional part of the model filled in, as the JSON report writes it:
/// the published schema must accept it, so a field added to the model without the schema (or
/// the other way round) fails here.
#[test]
fn the_json_report_of_the_sample_follows_the_published_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.json");
    reprise::report::json::write(&sample(), &path).expect("write");
    support::assert_report_schema(&support::read_json(&path));
}

#[test]
fn junit_counts_read_back_match_the_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = sample();
    let xml = junit::render(&report);
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, &xml).expect("write");

    let tests = attr(&xml, "testsuite", "tests");
    let failures = attr(&xml, "testsuite", "failures");
    let errors = attr(&xml, "testsuite", "errors");
    let skipped = attr(&xml, "testsuite", "skipped");
    assert_eq!((tests, failures, errors, skipped), (6, 2, 1, 1));
    assert_eq!(attr(&xml, "testsuites", "tests"), tests);

    // Read back with a real XML parser.
    assert_eq!(xpath_count(&path, "count(//testcase)"), tests);
    assert_eq!(xpath_count(&path, "count(//testcase/failure)"), failures);
    assert_eq!(xpath_count(&path, "count(//testcase/error)"), errors);
    assert_eq!(xpath_count(&path, "count(//testcase/skipped)"), skipped);
    assert_eq!(
        xpath_count(&path, "count(//testcase/failure[@type='changed'])"),
        1
    );
    assert_eq!(
        xpath_count(&path, "count(//testcase/failure[@type='broken'])"),
        1
    );
    assert_eq!(
        xpath_count(
            &path,
            "count(//testcase[@name='changed-session <&>' and @classname='reprise.shop_cart'])"
        ),
        1
    );
    assert_eq!(
        xpath_count(
            &path,
            "count(//testcase/properties/property[@name='diff.cart & <total>' and @value='.reprise/cart & <total>.diff.png'])"
        ),
        1
    );
    assert_eq!(
        xpath_count(
            &path,
            "count(//system-out[contains(., '[[ATTACHMENT|.reprise/cart & <total>.diff.png]]')])"
        ),
        1
    );
}
