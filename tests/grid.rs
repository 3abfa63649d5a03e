//! `--webdriver`: sessions on a real Selenium Grid 4 (standalone), with interception through
//! the Grid's `se:cdp` DevTools proxy. The Grid's jar ships inside the npm package
//! `@nightwatch/selenium-server` (tests/grid/package.json, installed by scripts/test.sh with
//! `--ignore-scripts`); it runs with Java 17 and Debian's chromedriver (tests/grid/node.toml).

use crate::support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{repo_root, TestSuite};

struct Grid {
    child: Child,
    url: String,
}

impl Drop for Grid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Grid's `/status` body, or nothing while it is not listening.
fn status(port: u16) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body
}

/// Why there is no Grid: a prerequisite is missing (skipped locally, a failure under CI),
/// or the Grid failed to start (always a failure).
enum NoGrid {
    Missing(String),
    Failed(String),
}

/// Starts the Grid, or says why it cannot.
fn start_grid() -> Result<Grid, NoGrid> {
    let dir = repo_root().join("tests/grid");
    let jar = dir.join("node_modules/@nightwatch/selenium-server/lib/selenium-server-4.20.0.jar");
    if Command::new("java").arg("-version").output().is_err() {
        return Err(NoGrid::Missing(
            "java is not installed (apt-get install openjdk-17-jre-headless)".into(),
        ));
    }
    if !jar.is_file() {
        return Err(NoGrid::Missing(format!(
            "{} is missing: run `npm ci --ignore-scripts --prefix tests/grid` (scripts/test.sh does)",
            jar.display()
        )));
    }
    let port = reprise::browser::driver::free_port().map_err(|e| NoGrid::Failed(e.to_string()))?;
    let child = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args([
            "standalone",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--config",
        ])
        .arg(dir.join("node.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| NoGrid::Failed(format!("cannot start the Grid: {e}")))?;
    let grid = Grid {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if status(port).replace(' ', "").contains("\"ready\":true") {
            return Ok(grid);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(NoGrid::Failed(
        "the Grid did not become ready within 60 s".into(),
    ))
}

#[test]
fn sessions_replay_on_a_selenium_grid_with_interception_through_se_cdp() {
    let grid = match start_grid() {
        Ok(g) => g,
        Err(NoGrid::Missing(why)) => {
            support::missing_prerequisite(&format!("Selenium Grid test: {why}"));
            return;
        }
        Err(NoGrid::Failed(why)) => panic!("the Selenium Grid failed to start: {why}"),
    };
    let suite = TestSuite::demo();
    let o = suite.run(&[
        "run",
        "--webdriver",
        &grid.url,
        "--jobs",
        "2",
        "retry",
        "checkout",
    ]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    for id in ["retry", "checkout"] {
        let s = o.session(id);
        assert_eq!(s["status"], "passed", "{}", o.stdout);
        assert_eq!(s["fidelity"], 1.0);
        // The backend was answered from the HAR: interception worked through the Grid.
        assert!(
            s["network"]["served"].as_u64().is_some_and(|n| n >= 2),
            "{}",
            s["network"]
        );
        assert_eq!(s["network"]["unmatched"], serde_json::json!([]));
    }
}
