//! `reprise diff-images` on real screenshots: the demo suite's baselines (Chromium screenshots
//! of the bundled app) and images derived from them here (inverse, shifted, cropped). The
//! real binary is run; counts are cross-checked against pixelmatch 7 in Node when Node is
//! installed (`npm ci --prefix bench` installs it from bench/package-lock.json).

use crate::support;

use image::{Rgba, RgbaImage};
use reprise::compare::png::{decode_png, encode_png};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn snapshot(session_and_name: &str) -> PathBuf {
    root().join("snapshots").join(session_and_name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn diff_images(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .arg("diff-images")
        .args(args.iter().map(|a| a.as_ref()))
        .env("NO_COLOR", "1")
        .output()
        .expect("run reprise");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Parses the documented line `different pixels: D of T (P%)[; sizes differ: ...]`.
fn counts(stdout: &str) -> (u64, u64) {
    let line = stdout.trim_end();
    assert_eq!(line.lines().count(), 1, "one line: {stdout:?}");
    let rest = line
        .strip_prefix("different pixels: ")
        .unwrap_or_else(|| panic!("unexpected output {line:?}"));
    let mut words = rest.split(' ');
    let diff = words.next().and_then(|w| w.parse().ok()).expect("count");
    assert_eq!(words.next(), Some("of"), "{line:?}");
    let total = words.next().and_then(|w| w.parse().ok()).expect("total");
    let percent = words.next().expect("percentage");
    let expected = format!("({:.3}%)", 100.0 * diff as f64 / total as f64);
    assert!(
        percent == expected || percent == format!("{expected};"),
        "{line:?}"
    );
    (diff, total)
}

fn load(path: &Path) -> RgbaImage {
    decode_png(&std::fs::read(path).unwrap()).unwrap()
}

fn save(img: &RgbaImage, path: &Path) {
    std::fs::write(path, encode_png(img).unwrap()).unwrap();
}

/// Derived screenshots, written once per test binary.
struct Derived {
    _dir: tempfile::TempDir,
    base: PathBuf,
    other: PathBuf,
    changed: PathBuf,
    inverse: PathBuf,
    shifted: PathBuf,
    cropped: PathBuf,
    wider: PathBuf,
}

fn derived() -> &'static Derived {
    static D: OnceLock<Derived> = OnceLock::new();
    D.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let base = snapshot("checkout/02-index.png");
        let img = load(&base);
        let (w, h) = img.dimensions();
        let mut inverse = img.clone();
        for p in inverse.pixels_mut() {
            for c in p.0.iter_mut().take(3) {
                *c = 255 - *c;
            }
        }
        // the page moved 3 pixels right and 2 down (a layout shift), white filling the gap
        let shifted = RgbaImage::from_fn(w, h, |x, y| {
            if x >= 3 && y >= 2 {
                *img.get_pixel(x - 3, y - 2)
            } else {
                Rgba([255, 255, 255, 255])
            }
        });
        let cropped = RgbaImage::from_fn(w, h - 80, |x, y| *img.get_pixel(x, y));
        let wider = RgbaImage::from_fn(w + 40, h - 100, |x, y| {
            if x < w {
                *img.get_pixel(x, y)
            } else {
                Rgba([250, 250, 250, 255])
            }
        });
        let paths: Vec<PathBuf> = [
            ("inverse", &inverse),
            ("shifted", &shifted),
            ("cropped", &cropped),
            ("wider", &wider),
        ]
        .into_iter()
        .map(|(name, im)| {
            let p = dir.path().join(format!("{name}.png"));
            save(im, &p);
            p
        })
        .collect();
        Derived {
            base,
            other: snapshot("browse/02-index.png"),
            changed: snapshot("checkout/07-cart-filled.png"),
            inverse: paths[0].clone(),
            shifted: paths[1].clone(),
            cropped: paths[2].clone(),
            wider: paths[3].clone(),
            _dir: dir,
        }
    })
}

#[test]
fn a_screenshot_matches_itself_with_exit_0() {
    let d = derived();
    let r = diff_images(&[&d.base, &d.base]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "different pixels: 0 of 1024000 (0.000%)\n");
}

#[test]
fn different_screenshots_exit_1_and_write_the_diff_image() {
    let d = derived();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("diff.png");
    let r = diff_images(&[&d.base, &d.changed, &"--diff", &out]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let (diff, total) = counts(&r.stdout);
    assert_eq!(total, 1280 * 800);
    assert!(diff > 10_000, "{}", r.stdout);
    let img = load(&out);
    assert_eq!(img.dimensions(), (1280, 800));
    let red = img.pixels().filter(|p| p.0 == [255, 0, 0, 255]).count() as u64;
    assert_eq!(red, diff, "every counted pixel is drawn red");
}

#[test]
fn a_small_change_is_counted_and_the_threshold_decides() {
    let d = derived();
    let r = diff_images(&[&d.base, &d.other]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let (default, _) = counts(&r.stdout);
    assert!(default > 0 && default < 10_000, "{}", r.stdout);
    let strict = counts(&diff_images(&[&d.base, &d.other, &"--threshold", &"0"]).stdout).0;
    let lax = counts(&diff_images(&[&d.base, &d.other, &"-t", &"0.9"]).stdout).0;
    assert!(
        strict >= default && default >= lax,
        "{strict} {default} {lax}"
    );
    let with_aa = counts(&diff_images(&[&d.base, &d.other, &"--antialiasing"]).stdout).0;
    assert!(with_aa >= default, "{with_aa} < {default}");
}

#[test]
fn a_screenshot_against_its_inverse_differs_almost_everywhere() {
    let d = derived();
    let r = diff_images(&[&d.base, &d.inverse]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let (diff, total) = counts(&r.stdout);
    // all but mid-grey pixels (their inverse is close) and anti-aliasing: 94.7% here
    assert!(diff * 100 > total * 90, "{}", r.stdout);
}

#[test]
fn a_shifted_page_is_reported() {
    let d = derived();
    let r = diff_images(&[&d.base, &d.shifted]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(counts(&r.stdout).0 > 0);
}

#[test]
fn images_of_different_sizes_are_reported_not_crashed() {
    let d = derived();
    let r = diff_images(&[&d.base, &d.cropped]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.ends_with("; sizes differ: 1280x800 vs 1280x720\n"),
        "{}",
        r.stdout
    );
    // the 80 missing rows count as different; the rest is the same page
    assert_eq!(counts(&r.stdout), (1280 * 80, 1280 * 800));

    let r = diff_images(&[&d.cropped, &d.wider]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("sizes differ: 1280x720 vs 1320x700"));
    assert_eq!(counts(&r.stdout).1, 1320 * 720);
}

#[test]
fn unreadable_or_non_png_input_exits_2_naming_the_file() {
    let d = derived();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.png");
    let r = diff_images(&[&d.base, &missing]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr
            .contains(&format!("cannot read image `{}`", missing.display())),
        "{}",
        r.stderr
    );

    let text = root().join("README.md");
    let r = diff_images(&[&text, &d.base]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains(&format!("`{}` is not a PNG image", text.display())),
        "{}",
        r.stderr
    );

    let truncated = dir.path().join("truncated.png");
    let bytes = std::fs::read(&d.base).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let r = diff_images(&[&truncated, &d.base]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!(
            "cannot decode PNG image `{}`",
            truncated.display()
        )),
        "{}",
        r.stderr
    );

    let r = diff_images(&[&d.base, &d.base, &"--threshold", &"2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = diff_images(&[&d.base]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = diff_images(&[
        &d.base,
        &d.base,
        &"--diff",
        &dir.path().join("no/such/dir.png"),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot write the diff image"),
        "{}",
        r.stderr
    );
}

/// pixelmatch 7 in Node, from bench/. scripts/test.sh installs it (`npm install --prefix
/// bench`) before the tests: no test reaches a package registry. A missing node or package
/// fails the test under CI ([`support::missing_prerequisite`]).
fn pixelmatch_reference() -> Option<PathBuf> {
    let bench = root().join("bench");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        support::missing_prerequisite("the pixelmatch cross-check needs `node` on PATH");
        return None;
    }
    if !bench.join("node_modules/pixelmatch").is_dir() {
        support::missing_prerequisite(
            "the pixelmatch cross-check needs bench/node_modules: run `npm install --prefix bench` (scripts/test.sh does)",
        );
        return None;
    }
    Some(bench.join("pixelmatch-count.mjs"))
}

fn reference_count(script: &Path, a: &Path, b: &Path, include_aa: bool) -> (u64, u64) {
    let out = Command::new("node")
        .arg(script)
        .arg(a)
        .arg(b)
        .arg("0.1")
        .arg(include_aa.to_string())
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["diff"].as_u64().unwrap(), v["total"].as_u64().unwrap())
}

#[test]
fn counts_agree_with_pixelmatch_7_within_a_tenth_of_a_percent() {
    let Some(script) = pixelmatch_reference() else {
        return;
    };
    let d = derived();
    let pairs: [(&Path, &Path); 7] = [
        (&d.base, &d.base),
        (&d.base, &d.other),
        (&d.base, &d.changed),
        (&d.base, &d.inverse),
        (&d.base, &d.shifted),
        (&d.base, &d.cropped),
        (&d.cropped, &d.wider),
    ];
    for (a, b) in pairs {
        for include_aa in [false, true] {
            let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&a, &b];
            if include_aa {
                args.push(&"--antialiasing");
            }
            let ours = counts(&diff_images(&args).stdout);
            let theirs = reference_count(&script, a, b, include_aa);
            assert_eq!(ours.1, theirs.1, "total pixels of {a:?} vs {b:?}");
            let gap = ours.0.abs_diff(theirs.0) as f64 / theirs.1 as f64;
            assert!(
                gap <= 0.001,
                "{a:?} vs {b:?} (antialiasing {include_aa}): reprise {} pixelmatch {}",
                ours.0,
                theirs.0
            );
            // equal-size pairs: the same algorithm, so the same count
            if !(a == d.cropped || b == d.cropped) {
                assert_eq!(ours.0, theirs.0, "{a:?} vs {b:?} (aa {include_aa})");
            }
        }
    }
}

/// Runs `reprise diff-images` and answers its exit status, stderr and peak resident memory
/// in KiB (its own, from `wait4`, not the test process's other children).
fn diff_images_peak_rss(args: &[&Path]) -> (i32, String, i64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .arg("diff-images")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run reprise");
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut stderr)
        .expect("stderr");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child spawned above, which nothing else waits for.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    // already reaped by wait4; this only marks the child as waited for
    let _ = child.try_wait();
    (libc::WEXITSTATUS(status), stderr, usage.ru_maxrss)
}

/// 394 bytes of PNG used to take 3.1 GB: the comparison canvas was the union of a 1×20000
/// and a 20000×1 image, 400 megapixels.
#[test]
fn crossed_sizes_compare_in_memory_proportional_to_the_images() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tall, wide) = (dir.path().join("tall.png"), dir.path().join("wide.png"));
    save(
        &RgbaImage::from_pixel(1, 20_000, Rgba([16, 32, 48, 255])),
        &tall,
    );
    save(
        &RgbaImage::from_pixel(20_000, 1, Rgba([16, 32, 48, 255])),
        &wide,
    );
    let (code, stderr, rss_kib) = diff_images_peak_rss(&[&tall, &wide]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        rss_kib < 100 * 1024,
        "peak RSS {rss_kib} KiB for 40,000 pixels"
    );
}

/// A PNG header can declare any size: one over the cap is refused, before decoding, with
/// the size, the cap and the setting that raises it.
#[test]
fn an_image_over_the_pixel_cap_is_refused_with_its_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("small.png");
    save(&RgbaImage::from_pixel(10, 10, Rgba([1, 2, 3, 255])), &small);
    let big = dir.path().join("big.png");
    save(&RgbaImage::from_pixel(300, 200, Rgba([1, 2, 3, 255])), &big);
    let r = diff_images(&[&big, &small, &"--max-image-pixels", &"50000"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the image is 300×200 (60000 pixels), more than the 50000 allowed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("max_image_pixels"), "{}", r.stderr);
    // under the cap it compares
    assert_eq!(
        diff_images(&[&big, &big, &"--max-image-pixels", &"60000"]).code,
        0
    );
}
