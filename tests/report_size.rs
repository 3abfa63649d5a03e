//! The HTML report of a run where everything changed stays small: one colour in the demo's
//! stylesheet changes every checkpoint of its 8 sessions. `html=DIR` keeps the page under
//! 300 KB and its folder under 3 MB (screenshots as layers: roots, patches of what differs,
//! masks; lazy) and opens quickly in the real Chromium; `html-inline=FILE` is the
//! single file it was; `merge-reports` writes the same forms; a report that cannot be written
//! fails with its path. The run is the one of tests/groups.rs's colour change.

use crate::support;

use std::path::Path;
use support::TestSuite;

fn size_of_folder(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("read folder").flatten() {
        let meta = entry.metadata().expect("stat");
        total += if meta.is_dir() {
            size_of_folder(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The checks, on a run of the demo where a stylesheet colour changed every session, made
/// with `--report html=DIR --report html-inline=INLINE`. Called by
/// `groups::one_colour_change_is_one_decision_and_accepting_its_group_passes_the_next_run`,
/// whose run is exactly that: one replay of the suite serves both (the demo's replays are the
/// bulk of CI's time).
pub(crate) fn check_all_changed_reports(
    suite: &TestSuite,
    o: &support::Outcome,
    dir: &Path,
    inline: &Path,
) {
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert_eq!(o.report["summary"]["changed"], 8, "{}", o.stdout);

    let page = dir.join("index.html");
    let page_size = std::fs::metadata(&page).expect("index.html").len();
    let folder_size = size_of_folder(dir);
    let inline_size = std::fs::metadata(inline).expect("inline report").len();
    let images = names(&dir.join("img"));
    let text = std::fs::read_to_string(&page).expect("read");
    eprintln!(
        "all-changed demo: index.html {page_size} bytes, folder {folder_size} bytes in {} files \
         ({} drawn as layers), inline report {inline_size} bytes",
        images.len() + 1,
        text.matches("<figure class=\"layered\"").count(),
    );
    assert!(page_size < 300_000, "index.html is {page_size} bytes");
    assert!(
        // decimal megabytes, as the goal counts them (its 14.6 MB file is 14,593,889 bytes)
        folder_size < 3_000_000,
        "the folder is {folder_size} bytes, over 3 MB"
    );
    assert!(
        folder_size < inline_size,
        "the folder is larger than the inline file"
    );
    assert!(!text.contains("data:image/png"), "no image is inline");
    let inline_text = std::fs::read_to_string(inline).expect("read");
    assert!(inline_text.contains("data:image/png;base64,"));
    // every image file is referenced by the page, and every reference is a file
    for n in &images {
        assert!(text.contains(&format!("img/{n}")), "img/{n} is not used");
    }

    // merge-reports writes the same forms from the run's JSON (no replay).
    // (the last run's report: `suite.run` removes `report.json` before each command)
    let json = suite.path().join(".reprise/out/report.json");
    let merged = suite.path().join("merged-html");
    let merged_inline = suite.path().join("merged.html");
    let m = suite.run(&[
        "merge-reports",
        json.to_str().expect("utf-8"),
        "--report",
        &format!("html={}", merged.display()),
        "--report",
        &format!("html={}", merged_inline.display()),
    ]);
    assert_eq!(m.code, 1, "{}{}", m.stdout, m.stderr);
    assert_eq!(names(&merged.join("img")), images, "the same image files");
    // `html=FILE.html` (the old way to ask for a file) still gets the single file, with a notice
    assert!(m.stderr.contains("html-inline="), "{}", m.stderr);
    let merged_text = std::fs::read_to_string(&merged_inline).expect("a file, not a folder");
    assert!(merged_text.contains("data:image/png;base64,"));

    // A folder that cannot be written is an infrastructure failure naming the path.
    let blocker = suite.path().join("a-file");
    std::fs::write(&blocker, b"x").expect("write");
    let refused = blocker.join("html");
    let r = suite.run(&[
        "merge-reports",
        json.to_str().expect("utf-8"),
        "--report",
        &format!("html={}", refused.display()),
    ]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&refused.display().to_string()),
        "the message names the path: {}",
        r.stderr
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(open_in_chromium(&page, inline));
}

/// Opens both forms in headless Chromium and reports navigation-to-load (not asserted: the
/// machine's load decides it).
async fn open_in_chromium(page: &Path, inline: &Path) {
    let (_driver, client, _profile) = support::headless_browser().await;
    let mut result = Ok(());
    for (form, path) in [("html=DIR", page), ("html-inline=FILE", inline)] {
        let url = url::Url::from_file_path(path).expect("file url");
        let mut times = Vec::new();
        for _ in 0..3 {
            if let Err(e) = client.goto(url.as_str()).await {
                result = Err(e.to_string());
                break;
            }
            let ms = client
                .execute(
                    "const n = performance.getEntriesByType('navigation')[0]; \
                     return n ? n.loadEventEnd - n.startTime : -1;",
                    vec![],
                )
                .await;
            match ms {
                Ok(v) => times.push(v.as_f64().unwrap_or(-1.0)),
                Err(e) => result = Err(e.to_string()),
            }
        }
        let shown = client
            .execute(
                "return Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        eprintln!(
            "{form}: navigation-to-load {times:?} ms (first load, then twice again); {shown} images loaded at the top"
        );
        if times.iter().any(|t| *t < 0.0) {
            result = Err(format!("{form}: no navigation timing"));
        }
    }
    let _ = client.close().await;
    if let Err(e) = result {
        panic!("{e}");
    }
}
