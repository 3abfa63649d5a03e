//! Full disks are errors, never greens: snapshots, diff images and reports that cannot be
//! written make the run fail with exit 3 and the path, summaries count only what was written,
//! and baselines stay whole. The full disk is real: a tmpfs of a few kilobytes, mounted over
//! the folder (this needs root, as CI has; without it the test fails under `CI`).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::TestSuite;

/// A tmpfs of `kib` KiB mounted at `dir`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` (after saying why) when mounting is not allowed here; under `CI` that fails.
    fn mount(dir: &Path, kib: u32) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self(dir.to_path_buf())),
            other => {
                support::missing_prerequisite(&format!(
                    "cannot mount a tmpfs (root needed): {other:?}"
                ));
                None
            }
        }
    }

    /// Fills the filesystem but for `keep` bytes, so the next writes run out of space.
    fn fill(&self, keep: usize) {
        let mut f = std::fs::File::create(self.0.join("ballast")).expect("ballast");
        let block = vec![0u8; 1024];
        loop {
            use std::io::Write;
            if f.write_all(&block).and_then(|()| f.sync_all()).is_err() {
                break;
            }
        }
        drop(f);
        let len = std::fs::metadata(self.0.join("ballast")).map_or(0, |m| m.len());
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(self.0.join("ballast"))
            .expect("ballast");
        f.set_len(len.saturating_sub(keep as u64)).expect("shrink");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p, suffix));
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out
}

#[test]
fn update_snapshots_on_a_full_disk_fails_and_counts_only_what_was_written() {
    let suite = TestSuite::demo();
    let snapshots = suite.path().join("snapshots");
    std::fs::remove_dir_all(&snapshots).expect("clear baselines");
    let Some(disk) = Tmpfs::mount(&snapshots, 256) else {
        return;
    };
    // room for a snapshot or two of the ten these sessions take, not for all
    disk.fill(120 * 1024);
    let o = suite.run(&["run", "-u", "checkout", "browse"]);
    assert_eq!(
        o.code, 3,
        "a lost snapshot is a failed run:\n{}{}",
        o.stdout, o.stderr
    );
    assert!(
        o.stdout.contains("cannot write the snapshot `") && o.stdout.contains("/snapshots/"),
        "the message names the path:\n{}",
        o.stdout
    );
    let pngs = files(&snapshots, ".png");
    let doms = files(&snapshots, ".dom");
    let written = o.report["snapshots_written"]
        .as_u64()
        .expect("snapshots_written") as usize;
    assert!(written < 10, "not everything fit, yet {written} written");
    assert_eq!(
        written,
        doms.len(),
        "the report counts the baselines on disk"
    );
    assert!(
        o.stdout.contains(&format!("{written} snapshot(s) written")) || written == 0,
        "{}",
        o.stdout
    );
    // every baseline on disk is whole: PNGs decode, DOM files end where their writer ended
    for p in &pngs {
        let bytes = std::fs::read(p).expect("png");
        assert!(
            reprise::compare::png::decode_png(&bytes).is_ok(),
            "{} is torn",
            p.display()
        );
    }
    for d in &doms {
        let text = std::fs::read_to_string(d).expect("dom");
        assert!(text.ends_with('\n'), "{} is truncated", d.display());
    }
    assert!(files(&snapshots, "").iter().all(|p| !p
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(".reprise-tmp-"))));
    assert!(o.report["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .any(|s| s["status"] == "error" && s["error_kind"] == "infrastructure"));
}

#[test]
fn diffs_and_the_run_report_on_a_full_disk_fail_the_run_with_their_path() {
    let suite = TestSuite::demo().edit("demo/styles.css", |t| {
        t.replacen(
            "grid-template-columns: 1fr auto 90px;",
            "grid-template-columns: 1fr auto;",
            1,
        )
    });
    let mount = suite.path().join("disk");
    let Some(disk) = Tmpfs::mount(&mount, 64) else {
        return;
    };
    disk.fill(4 * 1024);
    // a new folder on the full disk: room for the folder and its marker, not for captures
    let out = mount.join("out");
    let o = suite.run(&["run", "checkout", "--out", out.to_str().expect("utf-8")]);
    assert_eq!(
        o.code, 3,
        "diffs that were not written fail the run:\n{}{}",
        o.stdout, o.stderr
    );
    let text = format!("{}{}", o.stdout, o.stderr);
    assert!(
        text.contains(&format!("cannot write `{}", out.display())),
        "the message names the path:\n{text}"
    );
    // the requested report (elsewhere) says what happened, with no path to a missing file
    let s = o.session("checkout");
    assert_eq!(s["status"], "error", "{s}");
    for c in s["checkpoints"].as_array().expect("checkpoints") {
        for key in ["actual_dom", "actual_png", "diff_png"] {
            if let Some(p) = c[key].as_str() {
                assert!(
                    Path::new(p).is_file() || suite.path().join(p).is_file(),
                    "{key} points at `{p}`, which was not written"
                );
            }
        }
    }
}

#[test]
fn a_report_that_cannot_be_written_fails_the_run_with_its_path() {
    let suite = TestSuite::demo();
    let dir = suite.path().join("reports");
    let Some(disk) = Tmpfs::mount(&dir, 64) else {
        return;
    };
    disk.fill(0);
    let target = dir.join("run.json");
    let o = suite.run(&[
        "run",
        "=browse",
        "--report",
        &format!("json={}", target.display()),
    ]);
    assert_eq!(o.code, 3, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains(&target.display().to_string()),
        "{}",
        o.stderr
    );
    assert!(!target.exists());
}
