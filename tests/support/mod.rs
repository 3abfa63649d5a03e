//! A readable builder for end-to-end runs of the real `reprise` binary: a suite copied into a
//! temporary folder, edited the way a change to the app would, and replayed with the real
//! Chromium, chromedriver and wiremock.

#![allow(
    dead_code,
    reason = "each test binary uses a part of the support module"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Replays run one at a time: they drive real browsers, and a machine with two cores replays
/// faster and more predictably one suite at a time.
static BROWSER_LOCK: Mutex<()> = Mutex::new(());

/// A test's prerequisite (node and the pixelmatch reference, Java and the Grid) is missing.
/// Under CI (`CI` set and not `false`/`0`) that fails the test: `.ci/run` installs every
/// prerequisite (scripts/test.sh), so a missing one is a broken pipeline, not a pass.
/// Elsewhere the test is skipped, saying so.
pub fn missing_prerequisite(what: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!ci, "prerequisite missing under CI: {what}");
    eprintln!("SKIPPED: {what}");
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct TestSuite {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub report: Value,
}

impl Outcome {
    pub fn session(&self, id: &str) -> &Value {
        self.report["sessions"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("no session `{id}` in the report:\n{}", self.stdout))
    }

    pub fn status(&self, id: &str) -> String {
        self.session(id)["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

impl TestSuite {
    /// An empty suite.
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            env: vec![
                ("CI".into(), "true".into()),
                ("NO_COLOR".into(), "1".into()),
            ],
        }
    }

    /// A copy of the bundled demo suite, with its approved baselines.
    pub fn demo() -> Self {
        let suite = Self::empty();
        let root = repo_root();
        for d in ["demo", "recordings", "mocks", "snapshots"] {
            copy_dir(&root.join(d), &suite.path().join(d));
        }
        std::fs::copy(root.join("reprise.toml"), suite.path().join("reprise.toml"))
            .expect("copy config");
        suite
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(self, rel: &str, content: &str) -> Self {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
        self
    }

    /// Edits a file of the suite; panics when the edit changes nothing, so a test never
    /// silently tests the unchanged app.
    pub fn edit(self, rel: &str, f: impl FnOnce(&str) -> String) -> Self {
        let p = self.path().join(rel);
        let before = std::fs::read_to_string(&p).expect("read");
        let after = f(&before);
        assert_ne!(before, after, "the edit of {rel} changed nothing");
        std::fs::write(p, after).expect("write");
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Runs `reprise` in the suite folder with a JSON report.
    pub fn run(&self, args: &[&str]) -> Outcome {
        let report_path = self.path().join("report.json");
        let _ = std::fs::remove_file(&report_path);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_reprise"));
        cmd.args(args).current_dir(self.path());
        if args.first() == Some(&"run") {
            cmd.arg("--report")
                .arg(format!("json={}", report_path.display()));
        }
        cmd.env_remove("CI");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = {
            let _guard = BROWSER_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            cmd.output().expect("run reprise")
        };
        let report = std::fs::read_to_string(&report_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        // Every report a test produces honours the published contract.
        if !report.is_null() {
            assert_report_schema(&report);
        }
        if let Ok(text) = std::fs::read_to_string(self.path().join(".reprise/out/report.json")) {
            let last: Value = serde_json::from_str(&text).expect("the last run's report is JSON");
            assert_report_schema(&last);
        }
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            report,
        }
    }
}

/// Panics unless `report` is valid against `docs/report.schema.json`, listing every violation
/// with where it is.
pub fn assert_report_schema(report: &Value) {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema = read_json(&repo_root().join("docs/report.schema.json"));
        jsonschema::validator_for(&schema).expect("docs/report.schema.json is a valid JSON Schema")
    });
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not follow docs/report.schema.json:\n{}",
        errors.join("\n")
    );
}

/// Reads a JSON file, naming it when it cannot.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The requests of a HAR file as `METHOD URL` lines, in order.
pub fn har_requests(path: &Path) -> Vec<String> {
    read_json(path)["log"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["request"]["method"].as_str().unwrap_or(""),
                e["request"]["url"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// The report without what legitimately varies between runs: durations and attempt counts.
pub fn stable(report: &Value) -> Value {
    let mut v = report.clone();
    strip(&mut v);
    v
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("duration_ms");
            for (_, x) in m.iter_mut() {
                strip(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// Every file under `dir`, at any depth (none when it does not exist).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// A headless Chromium driven through chromedriver, for tests that look at what reprise
/// serves or writes (reports, the review UI) the way a person's browser would: the full
/// browser, not the headless shell replays use.
pub async fn headless_browser() -> (
    reprise::browser::driver::Chromedriver,
    fantoccini::Client,
    tempfile::TempDir,
) {
    use reprise::browser::driver::{find_chromium, open_session, Chromedriver};
    let chromium = find_chromium(false).expect("chromium");
    let driver = Chromedriver::start().await.expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile dir");
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
                format!("--user-data-dir={}", profile.path().display()),
                "--window-size=1280,900",
            ],
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    let (client, _) = open_session(driver.url(), caps).await.expect("session");
    (driver, client, profile)
}
