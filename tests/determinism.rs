//! Measured determinism (`reprise run --repeat K`) on a page built to be hostile: timers and
//! intervals, a requestAnimationFrame loop drawing on a canvas, Date, performance.now,
//! Math.random, crypto, CSS and Web Animations, a transition, a web font loading late, a lazy
//! image under the fold, an IntersectionObserver, and two responses racing each other.

use crate::support;

use support::{repo_root, TestSuite};

fn hostile_suite() -> TestSuite {
    let fx = repo_root().join("tests/fixtures/hostile");
    let read = |f: &str| std::fs::read(fx.join(f)).expect("fixture");
    let suite = TestSuite::empty()
        .file(
            "recordings/hostile.json",
            &String::from_utf8(read("recording.json")).expect("utf8"),
        )
        .file(
            "mocks/hostile.har",
            &String::from_utf8(read("mocks.har")).expect("utf8"),
        )
        .file(
            "app/index.html",
            &String::from_utf8(read("index.html")).expect("utf8"),
        )
        .file("reprise.toml", "[app]\ndir = \"app\"\n");
    for bin in ["late-font.ttf", "tile.png"] {
        std::fs::write(suite.path().join("app").join(bin), read(bin)).expect("write");
    }
    suite
}

#[test]
fn a_hostile_page_replays_identically_every_time() {
    let suite = hostile_suite();
    let o = suite.run(&["run", "--repeat", "5"]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("determinism: 3 of 3 checkpoint(s) identical across 5 runs"),
        "{}",
        o.stdout
    );
    // The page did run its hostile code: timers fired, frames were drawn, the click's timer
    // and the late font arrived, and the lazy image was seen once scrolled to.
    let dom = std::fs::read_to_string(
        suite
            .path()
            .join(".reprise/out/repeat/run-01/hostile/08-scrolled.actual.dom"),
    )
    .expect("capture");
    for want in [
        "clicked at 2026-05-01T08:00:02",
        "lazy image seen at",
        "slow fast",
        "font-family: Later",
    ] {
        assert!(dom.contains(want), "{want} in:\n{dom}");
    }
    assert!(
        !suite.path().join("snapshots").exists(),
        "measuring writes no baseline"
    );
}

#[test]
fn repeat_reports_a_page_that_is_not_deterministic() {
    // Real time leaks in through a source the shim does not control: the page's own
    // navigation timing. Different runs must be reported as different. The whole time origin
    // (ms since the epoch), not its milliseconds within a second: two runs a second apart (a
    // one-session run on the headless shell takes about that) had the same milliseconds now
    // and then, and the test failed.
    let suite = hostile_suite().edit("app/index.html", |html| {
        html.replacen(
            "$('perf').textContent = performance.now().toFixed(3);",
            "$('perf').textContent = String(Math.floor(performance.timeOrigin));",
            1,
        )
    });
    let o = suite.run(&["run", "--repeat", "2"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("DIFFERS hostile/"), "{}", o.stdout);
}

/// Headless runs use Chromium's headless shell when it is installed; a machine without it,
/// and `--headed`, use the full browser. Both must write the same snapshots, byte for byte, or
/// a baseline made with one would fail with the other. Until reprise pinned the default font
/// families they did not: the shell's `monospace` is another font, which moved every `<kbd>`
/// of the demo (its index page's search tip, the keyboard session's hints).
#[test]
fn the_headless_shell_and_the_full_browser_write_the_same_snapshots() {
    let shell = std::path::Path::new(reprise::browser::driver::DEBIAN_HEADLESS_SHELL);
    if !shell.is_file() {
        support::missing_prerequisite(
            "chromium-headless-shell (apt-get install chromium-headless-shell)",
        );
        return;
    }
    let full = reprise::browser::driver::find_chromium(false).expect("chromium");
    let snapshots = |binary: &std::path::Path| {
        let suite = TestSuite::demo().env("REPRISE_CHROMIUM", &binary.display().to_string());
        std::fs::remove_dir_all(suite.path().join("snapshots")).expect("remove the baselines");
        let o = suite.run(&["run", "-u", "browse", "keyboard"]);
        assert_eq!(
            o.code,
            0,
            "{}: {}\n{}",
            binary.display(),
            o.stdout,
            o.stderr
        );
        let dir = suite.path().join("snapshots");
        let mut files: Vec<(String, Vec<u8>)> = support::walk(&dir)
            .into_iter()
            .map(|p| {
                let rel = p
                    .strip_prefix(&dir)
                    .expect("under snapshots")
                    .display()
                    .to_string();
                (rel, std::fs::read(&p).expect("snapshot"))
            })
            .collect();
        files.sort();
        files
    };
    let from_shell = snapshots(shell);
    let from_full = snapshots(&full);
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&from_shell), names(&from_full));
    assert!(
        from_shell
            .iter()
            .filter(|(n, _)| n.ends_with(".png"))
            .count()
            >= 4,
        "{:?}",
        names(&from_shell)
    );
    for ((name, a), (_, b)) in from_shell.iter().zip(&from_full) {
        assert!(
            a == b,
            "{name} differs between the headless shell and the full browser"
        );
    }
}
