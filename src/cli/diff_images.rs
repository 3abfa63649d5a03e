//! `reprise diff-images`: the runner's screenshot comparator as a command, in the manner of
//! odiff's and pixelmatch's CLIs, so a pair of screenshots can be checked (or a threshold tuned)
//! without replaying anything.
//!
//! Output, one line on stdout, stable for scripts:
//!
//! ```text
//! different pixels: 1234 of 1024000 (0.121%)
//! different pixels: 102400 of 1024000 (10.000%); sizes differ: 1280x800 vs 1280x720
//! ```
//!
//! The count is pixelmatch 7's (anti-aliased pixels ignored unless `--antialiasing`). Images of
//! different sizes are compared over the union canvas: every pixel inside only one of them
//! counts as different (see `compare::image::compare_images`). Exit status: 0 when the images
//! match (same size, no differing pixel), 1 when they differ, 2 when an input cannot be read or
//! is not a PNG, an argument is invalid, or the diff image cannot be written.
use super::{exit, Failure};
use crate::compare::image::{compare_images, ImageDiff, ImageDiffOptions};
use crate::compare::png::{decode_png, encode_png};
use image::RgbaImage;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct DiffImagesArgs {
    /// The expected image (the baseline), a PNG file.
    expected: PathBuf,
    /// The actual image, a PNG file.
    actual: PathBuf,
    /// Write the diff image (PNG) here: differing pixels red, ignored anti-aliasing yellow,
    /// the rest of the expected image faded.
    #[arg(long, value_name = "OUT.png")]
    diff: Option<PathBuf>,
    /// Per-pixel YIQ colour distance tolerated, from 0 to 1 (pixelmatch's `threshold`).
    #[arg(long, short = 't', default_value_t = 0.1, value_parser = parse_threshold)]
    threshold: f64,
    /// Count anti-aliased pixels as differences (they are ignored by default).
    #[arg(long)]
    antialiasing: bool,
    /// Refuse an image with more pixels than this (read from its header, before decoding).
    #[arg(long, value_name = "N", default_value_t = crate::compare::limits::DEFAULT_MAX_IMAGE_PIXELS)]
    max_image_pixels: u64,
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    let t: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&t) {
        Ok(t)
    } else {
        Err(format!("`{s}` is outside 0..=1"))
    }
}

pub fn run(args: DiffImagesArgs) -> Result<i32, Failure> {
    // Decoding dominates a whole-process diff: the two files are decoded at once.
    let (expected, actual) = std::thread::scope(|s| {
        let (max, expected) = (args.max_image_pixels, &args.expected);
        let a = s.spawn(move || load(expected, max));
        let b = load(&args.actual, max);
        let a = a.join().unwrap_or_else(|_| {
            Err(Failure::usage(
                format!("cannot decode `{}`", args.expected.display()),
                None,
            ))
        });
        (a, b)
    });
    let (expected, actual) = (expected?, actual?);
    let opts = ImageDiffOptions {
        threshold: args.threshold,
        include_aa: args.antialiasing,
        ..ImageDiffOptions::default()
    };
    let diff = compare_images(&expected, &actual, &opts);
    if let Some(path) = &args.diff {
        write_diff(&diff, path)?;
    }
    println!("{}", summary_line(&diff));
    Ok(if diff.matches() {
        exit::PASSED
    } else {
        exit::REGRESSION
    })
}

/// The documented one-line summary (see the module docs).
fn summary_line(diff: &ImageDiff) -> String {
    let percent = if diff.total_pixels == 0 {
        0.0
    } else {
        100.0 * diff.diff_pixels as f64 / diff.total_pixels as f64
    };
    let mut line = format!(
        "different pixels: {} of {} ({percent:.3}%)",
        diff.diff_pixels, diff.total_pixels
    );
    if let Some(((ew, eh), (aw, ah))) = diff.size_mismatch {
        line.push_str(&format!("; sizes differ: {ew}x{eh} vs {aw}x{ah}"));
    }
    line
}

fn load(path: &Path, max_pixels: u64) -> Result<RgbaImage, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::usage(format!("cannot read image `{}`: {e}", path.display()), None)
    })?;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(Failure::usage(
            format!("`{}` is not a PNG image", path.display()),
            Some("diff-images compares PNG files, such as the screenshots under `snapshots/`"),
        ));
    }
    crate::compare::limits::check_png(&bytes, max_pixels).map_err(|e| {
        Failure::usage(
            format!("cannot compare `{}`: {e}", path.display()),
            Some(e.hint()),
        )
    })?;
    decode_png(&bytes).map_err(|e| {
        Failure::usage(
            format!("cannot decode PNG image `{}`: {e}", path.display()),
            None,
        )
    })
}

fn write_diff(diff: &ImageDiff, path: &Path) -> Result<(), Failure> {
    let bytes = encode_png(&diff.diff_image).map_err(|e| {
        Failure::usage(
            format!("cannot encode the diff image `{}`: {e}", path.display()),
            None,
        )
    })?;
    std::fs::write(path, bytes).map_err(|e| {
        Failure::usage(
            format!("cannot write the diff image `{}`: {e}", path.display()),
            Some("check that the folder exists and is writable"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(diff_pixels: u64, total: u64, mismatch: Option<((u32, u32), (u32, u32))>) -> ImageDiff {
        ImageDiff {
            width: 0,
            height: 0,
            diff_pixels,
            total_pixels: total,
            size_mismatch: mismatch,
            diff_image: RgbaImage::new(0, 0),
        }
    }

    #[test]
    fn summary_line_format_is_stable() {
        assert_eq!(
            summary_line(&diff(0, 1_024_000, None)),
            "different pixels: 0 of 1024000 (0.000%)"
        );
        assert_eq!(
            summary_line(&diff(1234, 1_024_000, None)),
            "different pixels: 1234 of 1024000 (0.121%)"
        );
        assert_eq!(
            summary_line(&diff(80, 960, Some(((10, 8), (12, 5))))),
            "different pixels: 80 of 960 (8.333%); sizes differ: 10x8 vs 12x5"
        );
        assert_eq!(
            summary_line(&diff(0, 0, None)),
            "different pixels: 0 of 0 (0.000%)"
        );
    }

    #[test]
    fn threshold_must_be_between_0_and_1() {
        assert_eq!(parse_threshold("0.2"), Ok(0.2));
        assert_eq!(parse_threshold("0"), Ok(0.0));
        assert_eq!(parse_threshold("1"), Ok(1.0));
        assert!(parse_threshold("1.5").is_err());
        assert!(parse_threshold("-0.1").is_err());
        assert!(parse_threshold("abc").is_err());
        assert!(parse_threshold("NaN").is_err());
    }
}
