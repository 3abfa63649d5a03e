//! Parallel sessions, retries of infrastructure failures, shards and merged reports, through
//! the real binary and the real browser.

use crate::support;

use serde_json::Value;
use support::{stable, TestSuite};

/// Orphaned Chromium processes started by reprise: their profiles are `reprise-profile-*`,
/// and an orphan has been re-parented to init. (Browsers of other test processes running at
/// the same time still have their chromedriver as parent.)
fn reprise_browsers() -> usize {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0;
    };
    procs
        .flatten()
        .filter(|p| {
            std::fs::read(p.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("reprise-profile-"))
        })
        .filter(|p| {
            // /proc/PID/stat: "pid (comm) state ppid …"; comm may contain spaces.
            std::fs::read_to_string(p.path().join("stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .and_then(|rest| rest.split_whitespace().nth(1))
                    == Some("1")
            })
        })
        .count()
}

#[test]
fn parallel_results_equal_serial_ones_and_no_browser_is_left_behind() {
    let suite = TestSuite::demo();
    let sessions = ["browse", "search", "retry", "newsletter-invalid"];
    let mut args = vec!["run", "--jobs", "1"];
    args.extend(sessions);
    let serial = suite.run(&args);
    assert_eq!(serial.code, 0, "{}", serial.stdout);
    assert_eq!(reprise_browsers(), 0, "no Chromium survives a serial run");
    args[2] = "2";
    let parallel = suite.run(&args);
    assert_eq!(parallel.code, 0, "{}", parallel.stdout);
    assert!(
        parallel.stdout.contains("(2 at a time)"),
        "{}",
        parallel.stdout
    );
    assert_eq!(stable(&serial.report), stable(&parallel.report));
    assert_eq!(reprise_browsers(), 0, "no Chromium survives a parallel run");
}

#[test]
fn an_infrastructure_failure_is_retried_and_does_not_take_other_sessions_down() {
    // A browser that fails to start the first time it is launched for `retry`... and for every
    // session: the marker makes only the very first launch fail.
    let suite = TestSuite::demo();
    let marker = suite.path().join("first-launch-done");
    let chromium = reprise::browser::driver::find_chromium(true).expect("chromium");
    let wrapper = suite.path().join("flaky-chromium.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ ! -e '{m}' ]; then touch '{m}'; echo 'simulated crash' >&2; exit 1; fi\nexec '{c}' \"$@\"\n",
            m = marker.display(),
            c = chromium.display()
        ),
    )
    .expect("write wrapper");
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let suite = suite.env("REPRISE_CHROMIUM", &wrapper.display().to_string());
    let o = suite.run(&["run", "--jobs", "1", "--retries", "1", "browse", "retry"]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let attempts: Vec<u64> = ["browse", "retry"]
        .iter()
        .map(|s| o.session(s)["attempts"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(
        attempts.iter().sum::<u64>(),
        3,
        "one session needed a second attempt: {attempts:?}"
    );

    std::fs::remove_file(&marker).expect("reset");
    let o = suite.run(&["run", "--jobs", "1", "--retries", "0", "browse", "retry"]);
    assert_eq!(
        o.code, 3,
        "without retries the failure is infrastructure: {}",
        o.stdout
    );
    let statuses: Vec<String> = ["browse", "retry"].iter().map(|s| o.status(s)).collect();
    assert!(
        statuses.contains(&"error".to_string()) && statuses.contains(&"passed".to_string()),
        "{statuses:?}"
    );
    let failed = if statuses[0] == "error" {
        "browse"
    } else {
        "retry"
    };
    assert_eq!(o.session(failed)["error_kind"], "infrastructure");
}

#[test]
fn shards_split_the_suite_and_merge_back_into_one_report() {
    let suite = TestSuite::demo();
    let mut ids: Vec<String> = Vec::new();
    let mut files = Vec::new();
    for i in 1..=3 {
        let path = suite.path().join(format!("shard-{i}.json"));
        let o = suite.run(&[
            "run",
            "--shard",
            &format!("{i}/3"),
            "--report",
            &format!("json={}", path.display()),
        ]);
        assert_eq!(o.code, 0, "{}", o.stdout);
        let part: Vec<String> = o.report["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(!part.is_empty(), "every shard has work");
        ids.extend(part);
        files.push(path);
    }
    ids.sort();
    let mut all: Vec<String> = std::fs::read_dir(suite.path().join("recordings"))
        .expect("recordings")
        .flatten()
        .map(|e| {
            e.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    all.sort();
    assert_eq!(ids, all, "every session ran in exactly one shard");

    let merged_json = suite.path().join("merged.json");
    let junit = suite.path().join("merged.xml");
    let html = suite.path().join("merged-html");
    let mut args: Vec<String> = vec!["merge-reports".into()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    for r in [
        format!("json={}", merged_json.display()),
        format!("junit={}", junit.display()),
        format!("html={}", html.display()),
    ] {
        args.push("--report".into());
        args.push(r);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = suite.run(&args);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_json).expect("merged"))
            .expect("json");
    support::assert_report_schema(&merged);
    for f in &files {
        support::assert_report_schema(&support::read_json(f));
    }
    assert_eq!(merged["summary"]["sessions"], all.len());
    assert_eq!(merged["summary"]["passed"], all.len());
    assert_eq!(merged["verdict"], "passed");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert_eq!(xml.matches("<testcase ").count(), all.len());
    assert!(html.join("index.html").is_file());
}

/// A browser serves one session after another: each must start as on a fresh profile. The
/// page reports what an earlier session could have left behind (local and session storage, a
/// cookie, IndexedDB, Cache Storage, a service worker, `window.name`, the back/forward list),
/// then leaves all of it for the next; three sessions in one worker must all see a clean
/// browser, and the same page.
#[test]
fn sessions_sharing_a_browser_start_from_a_clean_slate() {
    let page = r#"<!doctype html><html><body><p id="state">checking</p><script>
      const open = indexedDB.open('reprise-isolation');
      open.onupgradeneeded = () => open.result.createObjectStore('s');
      open.onsuccess = () => {
        const db = open.result;
        const get = db.transaction('s').objectStore('s').get('seen');
        get.onsuccess = async () => {
          const left = [];
          if (localStorage.getItem('seen')) left.push('localStorage');
          if (sessionStorage.getItem('seen')) left.push('sessionStorage');
          if (document.cookie.includes('seen=1')) left.push('cookie');
          if (get.result) left.push('indexedDB');
          if (window.name) left.push('window.name');
          if ((await caches.keys()).length) left.push('caches');
          if ((await navigator.serviceWorker.getRegistrations()).length) left.push('serviceWorker');
          document.getElementById('state').textContent =
            (left.length ? 'left: ' + left.join(' ') : 'fresh') + ', history ' + history.length;
          localStorage.setItem('seen', '1');
          sessionStorage.setItem('seen', '1');
          document.cookie = 'seen=1; max-age=3600';
          window.name = 'seen';
          db.transaction('s', 'readwrite').objectStore('s').put(1, 'seen');
          await caches.open('seen');
          await navigator.serviceWorker.register('sw.js');
          document.body.dataset.done = 'yes';
        };
      };
    </script></body></html>"#;
    let recording = |title: &str| {
        format!(
            r#"{{"title":"{title}","steps":[
              {{"type":"setViewport","width":800,"height":600,"deviceScaleFactor":1,"isMobile":false,"hasTouch":false,"isLandscape":true}},
              {{"type":"navigate","url":"https://isolation.reprise.test/"}},
              {{"type":"waitForExpression","expression":"document.body.dataset.done === 'yes'","timeout":3000}}
            ]}}"#
        )
    };
    let suite = TestSuite::empty()
        .file("app/index.html", page)
        .file("app/sw.js", "self.addEventListener('fetch', () => {});\n")
        .file("recordings/first.json", &recording("first"))
        .file("recordings/second.json", &recording("second"))
        .file("recordings/third.json", &recording("third"))
        .file("reprise.toml", "[app]\ndir = \"app\"\n");
    let o = suite.run(&["run", "--jobs", "1", "--update-snapshots"]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let mut states = Vec::new();
    for s in ["first", "second", "third"] {
        assert_eq!(o.session(s)["steps_completed"], 3, "{s}: {}", o.stdout);
        let dom = std::fs::read_to_string(suite.path().join(format!("snapshots/{s}/03-end.dom")))
            .unwrap_or_default();
        let state = dom
            .lines()
            .find(|l| l.contains("history "))
            .unwrap_or_default()
            .trim()
            .to_string();
        assert!(
            state.contains("fresh"),
            "{s} saw an earlier session's data:\n{dom}"
        );
        states.push(state);
    }
    assert!(
        states.iter().all(|s| *s == states[0]),
        "every session saw the page the first one saw: {states:?}"
    );
    assert_eq!(reprise_browsers(), 0, "no Chromium survives the run");
}
