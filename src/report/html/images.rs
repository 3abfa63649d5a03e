//! Where the HTML report's screenshots go.
//!
//! - [`Images::Inline`] (`--report html-inline=FILE`, and the page `review --serve` shows):
//!   each PNG as a `data:` URI, so one file holds everything. Fine for a few sessions; a run
//!   where every checkpoint changed makes it tens of megabytes.
//! - [`Images::Files`] (`--report html=DIR`): images are files in `DIR/img/`, and a screenshot
//!   is shown as a stack of layers (CSS grid, one cell) rather than one file: most screenshots
//!   of a suite are nearly the same picture (the same page in another state; a replay that
//!   differs from its baseline by a colour), so a screenshot that differs from one already
//!   written (its *root*) in under half of its pixels is written as a *patch*: a PNG of the
//!   same size, transparent except the pixels that differ, which hold the screenshot's own
//!   (opaque) pixels. Drawn over the root it gives back the screenshot exactly. The
//!   difference image is the baseline's layers under a *mask*: a white veil with the diff
//!   image's marked pixels (red, yellow) opaque. Every file is named by a hash of its bytes
//!   (a repeat is stored once). The demo with every checkpoint changed goes from 13.1 MB to
//!   2.5 MB this way.
//!
//! Either way the URLs in the page are built from hex digests and fixed names only, never from
//! report text, so they need no escaping and cannot point anywhere but `img/`.

use crate::compare::png::{decode_png, encode_png_small};
use ::image::RgbaImage;
use base64::Engine as _;
use sha2::Digest as _;
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

/// The folder, inside the report's folder, that holds the image files.
pub(super) const IMG_DIR: &str = "img";

/// Pixels of the screenshots kept decoded to patch against (the latest ones; 4 bytes a pixel,
/// 128 MB), so a report's memory stays bounded whatever the number of screenshots.
const MAX_BASE_PIXELS: u64 = 32_000_000;

/// Layers of a screenshot at most: a root and three patches (a replay over its baseline over
/// another page's root, say). The difference's mask makes one more.
const MAX_LAYERS: usize = 4;

/// Screenshots larger than this are written whole, never decoded here.
const MAX_LAYERED_PIXELS: u64 = crate::compare::limits::DEFAULT_MAX_IMAGE_PIXELS;

/// Opacity of the white veil over the baseline in a difference mask (pixelmatch fades the
/// picture to a tenth; a little more of the page stays readable here).
const VEIL_ALPHA: u8 = 215;

/// One layer of a shot: its URL and what it is (`root`, `patch`, `mask`: a class name).
#[derive(Debug, Clone)]
pub(super) struct Layer {
    pub src: String,
    pub kind: &'static str,
}

/// One screenshot as the page refers to it.
#[derive(Debug, Clone)]
pub(super) struct Shot {
    /// What the page draws, bottom first: one image (a `data:` URI or a file), or a root and
    /// the patches and mask drawn over it.
    pub layers: Vec<Layer>,
    /// The image's width and height in pixels (from its header), to reserve its box before it
    /// loads.
    pub size: Option<(u32, u32)>,
}

impl Shot {
    /// The file that is this whole image, when one is.
    pub(super) fn file(&self) -> Option<&str> {
        match self.layers.as_slice() {
            [one] if one.src.starts_with("img/") => Some(&one.src),
            _ => None,
        }
    }
}

pub(super) enum Images {
    Inline,
    Files(Files),
}

/// A screenshot already written, decoded, that a later one may be drawn over.
struct Base {
    pixels: RgbaImage,
    layers: Vec<Layer>,
}

/// The image files of a report folder being written.
pub(super) struct Files {
    dir: PathBuf,
    /// Digest of a screenshot's PNG → its shot, so a repeat costs nothing.
    done: HashMap<String, Shot>,
    /// Screenshots written, to patch later ones against (at most [`MAX_BASE_PIXELS`]).
    bases: std::collections::VecDeque<Base>,
    /// The file names this report refers to; others in `img/` are left from earlier reports.
    names: HashSet<String>,
    /// The first write that failed, with its path: the report is incomplete, and says so.
    error: Option<io::Error>,
}

impl Images {
    /// Image files written under `dir/img/`, which is created here so that an unwritable
    /// folder is refused before the page is rendered.
    pub(super) fn files(dir: &Path) -> io::Result<Images> {
        let img = dir.join(IMG_DIR);
        std::fs::create_dir_all(&img).map_err(|e| with_path(&img, e))?;
        Ok(Images::Files(Files {
            dir: dir.to_path_buf(),
            done: HashMap::new(),
            bases: std::collections::VecDeque::new(),
            names: HashSet::new(),
            error: None,
        }))
    }

    /// The shot for PNG `bytes` (already checked to carry the PNG signature), or why it cannot
    /// be shown.
    pub(super) fn shot(&mut self, bytes: Vec<u8>) -> Result<Shot, String> {
        match self {
            Images::Inline => Ok(inline(&bytes)),
            Images::Files(files) => files.shot(&bytes),
        }
    }

    /// The shot of a difference image `bytes` drawn for `baseline`: in a folder, the
    /// baseline's layers under a mask of the marked pixels; inline, the image itself.
    pub(super) fn diff(&mut self, bytes: Vec<u8>, baseline: &Shot) -> Result<Shot, String> {
        match self {
            Images::Inline => Ok(inline(&bytes)),
            Images::Files(files) => match files.mask(&bytes, baseline) {
                Some(shot) => Ok(shot),
                None => files.shot(&bytes),
            },
        }
    }

    /// Ends a folder report: removes the image files of earlier reports in `img/` (only names
    /// this writer gives: hex digests) and returns the first write error.
    pub(super) fn finish(self) -> io::Result<()> {
        match self {
            Images::Inline => Ok(()),
            Images::Files(files) => files.finish(),
        }
    }
}

fn inline(bytes: &[u8]) -> Shot {
    Shot {
        size: png_size(bytes),
        layers: vec![Layer {
            src: format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
            kind: "root",
        }],
    }
}

/// `img/<first 128 bits of the SHA-256 of bytes, hex>.png`: collisions among a report's
/// images are not a concern.
fn name_of(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{IMG_DIR}/{hash}.png")
}

impl Files {
    fn shot(&mut self, bytes: &[u8]) -> Result<Shot, String> {
        let full = name_of(bytes);
        if let Some(shot) = self.done.get(&full) {
            return Ok(shot.clone());
        }
        let size = png_size(bytes);
        let small = size.is_some_and(|(w, h)| u64::from(w) * u64::from(h) <= MAX_LAYERED_PIXELS);
        let shot = if small {
            // decoded first: a PNG that does not decode is shown as such, and not written
            let img = decode_png(bytes).map_err(|e| format!("unreadable PNG ({e})"))?;
            self.layered(bytes, img, &full)
        } else {
            self.put(&full, bytes);
            Shot {
                layers: vec![Layer {
                    src: full.clone(),
                    kind: "root",
                }],
                size,
            }
        };
        self.done.insert(full, shot.clone());
        Ok(shot)
    }

    /// `img` as a patch over the closest screenshot already written (the one with the fewest
    /// differing rows, under half of them), when that patch is smaller than `bytes`; else a
    /// new root, written as `bytes`.
    fn layered(&mut self, bytes: &[u8], img: RgbaImage, full: &str) -> Shot {
        let size = Some(img.dimensions());
        // a patch's pixels must be opaque to cover the layers under it exactly
        let opaque = img.pixels().all(|p| p.0[3] == 255);
        let mut best: Option<(usize, usize)> = None;
        if opaque {
            // the latest first: a replay is drawn over its baseline
            for (i, base) in self.bases.iter().enumerate().rev() {
                if base.pixels.dimensions() != img.dimensions() || base.layers.len() >= MAX_LAYERS {
                    continue;
                }
                let limit = best.map_or(img.height() as usize / 2, |(_, n)| n);
                if let Some(n) = differing_rows(&base.pixels, &img, limit) {
                    best = Some((i, n));
                }
            }
        }
        let patched = best.and_then(|(i, _)| {
            let base = &self.bases[i];
            let png = encode_png_small(&patch(&base.pixels, &img)).ok()?;
            (png.len() < bytes.len()).then(|| (base.layers.clone(), png))
        });
        // A large patch against the image re-encoded: the smaller is written (and a root is
        // the better base for the screenshots that follow).
        let mut reencoded = None;
        let patched = match patched {
            Some((layers, png)) if png.len() > bytes.len() / 4 => {
                let whole = encode_png_small(&img).ok();
                match whole {
                    Some(w) if w.len() <= png.len() => {
                        reencoded = Some(w);
                        None
                    }
                    _ => Some((layers, png)),
                }
            }
            other => other,
        };
        let layers = match patched {
            Some((mut layers, png)) => {
                let name = name_of(&png);
                self.put(&name, &png);
                layers.push(Layer {
                    src: name,
                    kind: "patch",
                });
                layers
            }
            None => {
                // written as captured, or re-encoded when that is smaller
                let src = match reencoded.map_or_else(|| encode_png_small(&img), Ok) {
                    Ok(png) if png.len() < bytes.len() => {
                        let name = name_of(&png);
                        self.put(&name, &png);
                        name
                    }
                    _ => {
                        self.put(full, bytes);
                        full.to_string()
                    }
                };
                vec![Layer { src, kind: "root" }]
            }
        };
        let pixels = |b: &Base| u64::from(b.pixels.width()) * u64::from(b.pixels.height());
        let mut kept = pixels_of(&img) + self.bases.iter().map(pixels).sum::<u64>();
        while kept > MAX_BASE_PIXELS {
            match self.bases.pop_front() {
                Some(b) => kept -= pixels(&b),
                None => break,
            }
        }
        let shot = Shot {
            layers: layers.clone(),
            size,
        };
        if pixels_of(&img) <= MAX_BASE_PIXELS {
            self.bases.push_back(Base {
                pixels: img,
                layers,
            });
        }
        shot
    }

    /// The difference image `bytes` as a mask over `baseline`'s layers: `None` when it does
    /// not decode or is not the baseline's size (shown whole then).
    fn mask(&mut self, bytes: &[u8], baseline: &Shot) -> Option<Shot> {
        let size = png_size(bytes);
        if size.is_none() || size != baseline.size || baseline.layers.is_empty() {
            return None;
        }
        let diff = decode_png(bytes).ok()?;
        let png = encode_png_small(&veil(diff)).ok()?;
        let name = name_of(&png);
        self.put(&name, &png);
        let mut layers = baseline.layers.clone();
        layers.push(Layer {
            src: name,
            kind: "mask",
        });
        Some(Shot { layers, size })
    }

    /// Writes `rel` under the report folder unless a file of that name (the same content, as
    /// names are digests) is there from an earlier report.
    fn put(&mut self, rel: &str, bytes: &[u8]) {
        self.names
            .insert(rel.trim_start_matches("img/").to_string());
        if self.error.is_some() {
            return;
        }
        let path = self.dir.join(rel);
        if path.is_file() {
            return;
        }
        if let Err(e) = crate::fsutil::write_atomic(&path, bytes) {
            self.error = Some(with_path(&path, e));
        }
    }

    fn finish(self) -> io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let img = self.dir.join(IMG_DIR);
        let entries = std::fs::read_dir(&img).map_err(|e| with_path(&img, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_ours(name) && !self.names.contains(name) {
                // a stale image costs disk, not correctness: a failed removal is not an error
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

fn pixels_of(img: &RgbaImage) -> u64 {
    u64::from(img.width()) * u64::from(img.height())
}

/// How many rows of two images of one size differ (one `memcmp` a row), or `None` when at
/// least `limit` do.
fn differing_rows(a: &RgbaImage, b: &RgbaImage, limit: usize) -> Option<usize> {
    let (ra, rb) = (crate::compare::png::raw(a), crate::compare::png::raw(b));
    let stride = (a.width() as usize * 4).max(4);
    let mut n = 0;
    for (x, y) in ra.chunks(stride).zip(rb.chunks(stride)) {
        if x != y {
            n += 1;
            if n >= limit {
                return None;
            }
        }
    }
    Some(n)
}

/// `img`'s pixels where they differ from `base`'s, transparent elsewhere.
fn patch(base: &RgbaImage, img: &RgbaImage) -> RgbaImage {
    let mut out = RgbaImage::new(img.width(), img.height());
    let stride = (img.width() as usize * 4).max(4);
    let rows = crate::compare::png::raw(base)
        .chunks(stride)
        .zip(crate::compare::png::raw(img).chunks(stride));
    for ((b, p), o) in rows.zip(out.chunks_mut(stride)) {
        // a row that is the same stays transparent without a look at its pixels
        if b == p {
            continue;
        }
        for ((b, p), o) in b
            .chunks_exact(4)
            .zip(p.chunks_exact(4))
            .zip(o.chunks_exact_mut(4))
        {
            if b != p {
                o.copy_from_slice(p);
            }
        }
    }
    out
}

/// A diff image (pixelmatch draws unchanged pixels in grey, marked ones in colour) as a
/// white veil with the marked pixels opaque: drawn over the baseline, it reads as the diff
/// image does, and compresses to a few kilobytes.
fn veil(mut diff: RgbaImage) -> RgbaImage {
    for p in diff.pixels_mut() {
        let [r, g, b, a] = p.0;
        let grey = r == g && g == b;
        p.0 = if grey || a == 0 {
            [255, 255, 255, VEIL_ALPHA]
        } else {
            [r, g, b, 255]
        };
    }
    diff
}

impl super::Page<'_> {
    /// A screenshot's figure. Every image is lazy-loaded (a long report opens at its top
    /// without reading the rest). One file links to itself for its full size; a stack of
    /// layers has a "full size" link to its own figure, which CSS (`:target`) then shows at
    /// its natural size over the page, no script needed. `id` names the figure.
    pub(super) fn shot_figure(&mut self, caption: &str, class: &str, shot: &Shot, id: &str) {
        use std::fmt::Write as _;
        let caption = super::Esc(caption);
        let size = match shot.size {
            Some((w, h)) => format!(" width=\"{w}\" height=\"{h}\""),
            None => String::new(),
        };
        let img = |class: &str, alt: &str, src: &str| {
            format!(
                "<img class=\"{class}\" alt=\"{alt}\" src=\"{src}\"{size} loading=\"lazy\" decoding=\"async\">"
            )
        };
        // Writing to a String cannot fail.
        let _ = match (shot.file(), shot.layers.as_slice()) {
            (Some(file), _) => write!(
                self.out,
                "<figure><figcaption>{caption} <a class=\"full\" href=\"{file}\" target=\"_blank\" rel=\"noopener\">full size</a></figcaption><a href=\"{file}\" target=\"_blank\" rel=\"noopener\">{}</a></figure>",
                img(&format!("shot-{class}"), &caption.to_string(), file)
            ),
            (None, [one]) => write!(
                self.out,
                "<figure><figcaption>{caption}</figcaption>{}</figure>",
                img(&format!("shot-{class}"), &caption.to_string(), &one.src)
            ),
            (None, layers) => {
                let _ = write!(
                    self.out,
                    "<figure class=\"layered\" id=\"{id}\"><figcaption>{caption} <a class=\"full\" href=\"#{id}\">full size</a><a class=\"close\" href=\"#{id}-back\">close</a></figcaption><div class=\"stack shot-{class}\" id=\"{id}-back\">"
                );
                for (k, l) in layers.iter().enumerate() {
                    let alt = if k == 0 { caption.to_string() } else { String::new() };
                    self.out.push_str(&img(&format!("layer {}", l.kind), &alt, &l.src));
                }
                self.out.push_str("</div></figure>");
                Ok(())
            }
        };
    }
}

/// Whether `name` is one this writer gives: 32 hex digits, then `.png` (or `.thumb.png`,
/// which earlier versions wrote).
fn is_ours(name: &str) -> bool {
    let stem = name
        .strip_suffix(".thumb.png")
        .or_else(|| name.strip_suffix(".png"));
    stem.is_some_and(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("`{}`: {e}", path.display()))
}

/// Width and height from the PNG's `IHDR` chunk (the first, at a fixed offset).
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Some((be(16), be(20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = ::image::RgbaImage::from_fn(w, h, |x, y| {
            ::image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
        });
        crate::compare::png::encode_png(&img).expect("encode")
    }

    fn decode(dir: &Path, rel: &str) -> ::image::RgbaImage {
        decode_png(&std::fs::read(dir.join(rel)).expect("read")).expect("decode")
    }

    #[test]
    fn files_are_content_addressed_alike_shots_are_patches_and_stale_ones_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("img")).expect("mkdir");
        let stale = dir
            .path()
            .join("img/0123456789abcdef0123456789abcdef.thumb.png");
        let foreign = dir.path().join("img/notes.txt");
        std::fs::write(&stale, b"old").expect("write");
        std::fs::write(&foreign, b"mine").expect("write");

        let mut images = Images::files(dir.path()).expect("files");
        let big = png(1280, 800);
        let a = images.shot(big.clone()).expect("shot");
        let again = images.shot(big.clone()).expect("shot");
        assert_eq!(a.file(), again.file());
        let full = a.file().expect("a first screenshot is a file").to_string();
        assert_eq!(a.size, Some((1280, 800)));
        // its captured bytes, or a re-encoding when that is smaller (which one depends on the
        // deflate back end the build links): the same pixels either way, never larger
        let written = std::fs::read(dir.path().join(&full)).expect("full");
        assert!(
            written.len() <= big.len(),
            "{} > {}",
            written.len(),
            big.len()
        );
        assert_eq!(
            decode_png(&written).expect("decode"),
            decode_png(&big).expect("decode")
        );

        // The same picture with a band of another colour: the root and a patch.
        let mut changed = decode_png(&big).expect("decode");
        for y in 0..64 {
            for x in 0..1280 {
                changed.put_pixel(x, y, ::image::Rgba([200, 30, 30, 255]));
            }
        }
        let b = images
            .shot(crate::compare::png::encode_png(&changed).expect("encode"))
            .expect("shot");
        assert!(b.file().is_none(), "{b:?}");
        let srcs: Vec<&str> = b.layers.iter().map(|l| l.src.as_str()).collect();
        assert_eq!(srcs[0], full, "drawn over the first screenshot");
        assert_eq!(b.layers[1].kind, "patch");
        // the patch over its root is the screenshot, pixel for pixel
        let mut drawn = decode(dir.path(), srcs[0]);
        let patch = decode(dir.path(), srcs[1]);
        for (d, p) in drawn.pixels_mut().zip(patch.pixels()) {
            if p.0[3] == 255 {
                *d = *p;
            } else {
                assert_eq!(p.0[3], 0, "a patch pixel is opaque or transparent");
            }
        }
        assert_eq!(drawn, changed);
        let patch_len = std::fs::metadata(dir.path().join(srcs[1]))
            .expect("stat")
            .len();
        assert!(
            patch_len * 10 < big.len() as u64,
            "{patch_len} vs {}",
            big.len()
        );

        // A difference image: the baseline's layers under a veil with the marks opaque.
        let mut diff =
            ::image::RgbaImage::from_pixel(1280, 800, ::image::Rgba([240, 240, 240, 255]));
        diff.put_pixel(5, 6, ::image::Rgba([255, 0, 0, 255]));
        let d = images
            .diff(crate::compare::png::encode_png(&diff).expect("encode"), &b)
            .expect("diff");
        assert_eq!(d.layers.len(), 3);
        assert_eq!(d.layers[2].kind, "mask");
        let mask = decode(dir.path(), &d.layers[2].src);
        assert_eq!(mask.get_pixel(5, 6).0, [255, 0, 0, 255]);
        assert_eq!(mask.get_pixel(7, 6).0, [255, 255, 255, VEIL_ALPHA]);

        // A picture unlike any other is a root of its own.
        let other = ::image::RgbaImage::from_fn(1280, 800, |x, y| {
            ::image::Rgba([(y % 256) as u8, (x % 256) as u8, 10, 255])
        });
        let c = images
            .shot(crate::compare::png::encode_png(&other).expect("encode"))
            .expect("shot");
        assert!(c.file().is_some_and(|f| f != full), "{c:?}");

        let small = images.shot(png(100, 50)).expect("shot");
        assert!(small.file().is_some(), "{small:?}");
        images.finish().expect("finish");
        assert!(!stale.exists(), "images of an earlier report are removed");
        assert!(foreign.exists(), "files reprise did not name are kept");
        let n = std::fs::read_dir(dir.path().join("img")).unwrap().count();
        assert_eq!(
            n, 6,
            "two roots, a patch, a mask, the small image, notes.txt"
        );
    }

    #[test]
    fn inline_images_are_data_uris() {
        let shot = Images::Inline.shot(png(3, 2)).expect("shot");
        assert_eq!(shot.layers.len(), 1);
        assert!(shot.layers[0].src.starts_with("data:image/png;base64,"));
        assert_eq!((shot.file(), shot.size), (None, Some((3, 2))));
    }

    #[test]
    fn a_damaged_png_is_refused_not_linked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut images = Images::files(dir.path()).expect("files");
        let mut bytes = png(800, 600);
        bytes.truncate(60);
        assert!(images.shot(bytes).is_err());
    }

    #[test]
    fn an_unwritable_folder_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").expect("write");
        let Err(e) = Images::files(&file.join("report")) else {
            panic!("a folder under a file was accepted");
        };
        assert!(e.to_string().contains("file/report/img"), "{e}");
    }
}
