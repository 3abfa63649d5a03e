//! Personal data in suites (issue 8): `reprise scan`, `reprise redact` and
//! `reprise import --redact`, run as the real binary on a fixture seeded with every kind of
//! personal data (`tests/fixtures/privacy`), and the redacted session replayed in the real
//! browser.

use crate::support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::{repo_root, TestSuite};

/// Every original value seeded in the fixture (none of them is real).
const ORIGINALS: &[&str] = &[
    "ada.lovelace@mailbox.org",
    "ada.lovelace%40mailbox.org",
    "hunter2",
    "Ada Lovelace",
    "CUST-123456",
    "+33 6 12 34 56 78",
    "FR76 3000 6000 0112 3456 7890 189",
    "4970 1012 3456 7893",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "Zx81kQ0aPqLm29Rt",
    "YWRhOmh1bnRlcjI=",
    "opaque-0a1b2c3d4e5f",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJDVVNULTEyMzQ1NiIsImVtYWlsIjoiYWRhLmxvdmVsYWNlQG1haWxib3gub3JnIiwiZXhwIjoxODkzNDU2MDAwfQ",
];

fn privacy_suite() -> TestSuite {
    let suite = TestSuite::empty();
    copy(&repo_root().join("tests/fixtures/privacy"), suite.path());
    suite
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// Runs reprise without the browser lock (scan and redact never start a browser).
fn reprise(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("REPRISE_REDACT_KEY", "privacy-test-key")
        .output()
        .expect("run reprise");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scan_json(dir: &Path, extra: &[&str]) -> (i32, Vec<(String, String, String)>) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = reprise(dir, &args);
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let findings = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("file"), s("place"), s("kind"))
        })
        .collect();
    (code, findings)
}

fn all_text(dir: &Path) -> String {
    let mut out = String::new();
    for sub in ["recordings", "mocks", "snapshots"] {
        let mut stack = vec![dir.join(sub)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x != "png") {
                    out.push_str(&std::fs::read_to_string(&p).expect("read"));
                }
            }
        }
    }
    out
}

#[test]
fn scan_finds_every_kind_of_personal_data_with_its_place() {
    let suite = privacy_suite();
    let (code, findings) = scan_json(suite.path(), &[]);
    assert_eq!(code, 1, "findings exit 1");
    let har = "mocks/account.har";
    let rec = "recordings/account.json";
    let expected = [
        (har, "entry 1, request header `x-api-key`", "api-key"),
        (har, "entry 1, request header `x-session-token`", "secret"),
        (har, "entry 1, request body, $.email", "email"),
        (har, "entry 1, request body, $.password", "password"),
        (har, "entry 1, response body, $.customer.fullName", "field"),
        (har, "entry 1, response body, $.customer.iban", "iban"),
        (
            har,
            "entry 1, response body, $.customer.id",
            "pattern:customer-id",
        ),
        (har, "entry 1, response body, $.customer.phone", "phone"),
        (har, "entry 1, response body, $.token", "jwt"),
        (har, "entry 1, response header `set-cookie`", "set-cookie"),
        (har, "entry 2, request header `authorization`", "jwt"),
        (har, "entry 2, request header `cookie`", "cookie"),
        (
            har,
            "entry 2, request.url, query parameter `email`",
            "email",
        ),
        (har, "entry 2, response body, $.orders[0].card", "card"),
        (har, "entry 2, response body, $.receipt", "email"),
        (
            har,
            "entry 3, request header `authorization`",
            "authorization",
        ),
        (
            har,
            "entry 3, request header `authorization`",
            "bearer-token",
        ),
        (har, "entry 3, request body, form field `user`", "email"),
        (
            har,
            "entry 3, request body, form field `password`",
            "password",
        ),
        (rec, "step 3 (`change`), value", "email"),
        (rec, "step 4 (`change`), value", "password"),
        ("snapshots/account/07-account.dom", "line 37", "email"),
    ];
    for (file, place, kind) in expected {
        let want = (file.to_string(), place.to_string(), kind.to_string());
        assert!(
            findings.contains(&want),
            "missing {want:?} in {findings:#?}"
        );
    }
    // The output never shows a value, only a preview.
    let (_, text, _) = reprise(suite.path(), &["scan"]);
    for o in ORIGINALS {
        assert!(!text.contains(o), "scan printed `{o}`:\n{text}");
    }
}

#[test]
fn redacted_fixture_scans_clean_and_replays_with_the_same_verdict() {
    let suite = privacy_suite().env("REPRISE_REDACT_KEY", "privacy-test-key");
    let before = suite.run(&["run"]);
    assert_eq!(before.code, 0, "{}\n{}", before.stdout, before.stderr);
    let (code, stdout, stderr) = reprise(suite.path(), &["redact"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, left) = scan_json(suite.path(), &[]);
    assert_eq!((code, left), (0, vec![]), "scan is clean after redact");
    let text = all_text(suite.path());
    for o in ORIGINALS {
        assert!(!text.contains(o), "`{o}` survived redaction");
    }
    let ledger =
        std::fs::read_to_string(suite.path().join("redactions.json")).expect("mapping report");
    for o in ORIGINALS {
        assert!(!ledger.contains(o), "the mapping report holds `{o}`");
    }
    let after = suite.run(&["run"]);
    assert_eq!(
        after.code, before.code,
        "{}\n{}",
        after.stdout, after.stderr
    );
    assert_eq!(after.report["verdict"], before.report["verdict"]);
    assert_eq!(after.status("account"), before.status("account"));
    assert_eq!(
        after.session("account")["fidelity"],
        before.session("account")["fidelity"]
    );
    assert_eq!(
        after.session("account")["network"]["unmatched"],
        serde_json::json!([])
    );
}

#[test]
fn one_email_becomes_one_pseudonym_in_request_response_and_dom() {
    let suite = privacy_suite();
    let (code, stdout, stderr) = reprise(suite.path(), &["redact"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let ledger: Value = serde_json::from_str(
        &std::fs::read_to_string(suite.path().join("redactions.json")).expect("mapping report"),
    )
    .expect("json");
    let emails: Vec<&Value> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["kind"] == "email")
        .collect();
    assert_eq!(emails.len(), 1, "one email, one pseudonym: {emails:#?}");
    let pseudo = emails[0]["pseudonym"].as_str().expect("pseudonym");
    assert!(pseudo.ends_with("@example.com") && pseudo.len() == "ada.lovelace@example.com".len());
    assert!(emails[0]["fingerprint"]
        .as_str()
        .is_some_and(|f| f.starts_with("hmac-sha256:")));
    let har: Value = serde_json::from_str(
        &std::fs::read_to_string(suite.path().join("mocks/account.har")).expect("har"),
    )
    .expect("json");
    let request: Value = serde_json::from_str(
        har["log"]["entries"][0]["request"]["postData"]["text"]
            .as_str()
            .expect("body"),
    )
    .expect("json body");
    let response: Value = serde_json::from_str(
        har["log"]["entries"][0]["response"]["content"]["text"]
            .as_str()
            .expect("body"),
    )
    .expect("json body");
    assert_eq!(request["email"], pseudo);
    assert_eq!(response["customer"]["email"], pseudo);
    let url = har["log"]["entries"][1]["request"]["url"]
        .as_str()
        .expect("url");
    assert!(url.contains(&pseudo.replace('@', "%40")), "{url}");
    let dom = std::fs::read_to_string(suite.path().join("snapshots/account/07-account.dom"))
        .expect("dom");
    assert!(dom.contains(&format!("\"{pseudo}\"")), "{dom}");
    let rec =
        std::fs::read_to_string(suite.path().join("recordings/account.json")).expect("recording");
    assert!(rec.contains(pseudo));
    // Consistent across runs with the same key.
    let again = privacy_suite();
    reprise(again.path(), &["redact"]);
    let second: Value = serde_json::from_str(
        &std::fs::read_to_string(again.path().join("redactions.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(second, ledger);
}

#[test]
fn bundled_demo_suite_has_no_false_positive() {
    let (code, findings) = scan_json(&repo_root(), &[]);
    assert_eq!((code, findings), (0, vec![]));
}

#[test]
fn allowlisted_test_data_is_not_a_finding() {
    let suite = privacy_suite().edit("reprise.toml", |t| {
        format!(
            "{t}allow = [\"hunter2\"]\nallow_patterns = [\"ada\\\\.lovelace@mailbox\\\\.org\"]\n"
        )
    });
    let (_, findings) = scan_json(suite.path(), &["recordings"]);
    assert_eq!(findings, vec![]);
    let (code, _, stderr) = reprise(suite.path(), &["scan", "--format", "yaml"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn import_with_redact_writes_nothing_personal() {
    let suite = TestSuite::empty();
    let fixture = repo_root().join("tests/fixtures/privacy");
    let rec = fixture.join("recordings/account.json");
    let har = fixture.join("mocks/account.har");
    let (code, stdout, stderr) = reprise(
        suite.path(),
        &[
            "import",
            "chrome-recorder",
            rec.to_str().expect("path"),
            "--har",
            har.to_str().expect("path"),
            "--name",
            "account",
            "--redact",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = all_text(suite.path());
    assert!(text.contains("api.privacy.test"), "the mocks were written");
    for o in [
        "ada.lovelace@mailbox.org",
        "hunter2",
        "Zx81kQ0aPqLm29Rt",
        "4970 1012 3456 7893",
    ] {
        assert!(!text.contains(o), "`{o}` was imported");
    }
    let (code, findings) = scan_json(suite.path(), &[]);
    assert_eq!((code, findings), (0, vec![]));
}
