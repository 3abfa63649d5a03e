//! Where the HTML report's screenshots go.
//!
//! - [`Images::Inline`] (`--report html-inline=FILE`, and the page `review --serve` shows):
//!   each PNG as a `data:` URI, so one file holds everything. Fine for a few sessions; a run
//!   where every checkpoint changed makes it tens of megabytes.
//! - [`Images::Files`] (`--report html=DIR`): each PNG is written once to `DIR/img/`, named by
//!   a hash of its bytes (a screenshot that repeats, such as the second replay of a stable
//!   session, is stored once), with a downscaled thumbnail beside it. The page shows the
//!   thumbnails, lazy-loaded, each a link to its full-size file.
//!
//! Either way the URLs in the page are built from hex digests and fixed names only, never from
//! report text, so they need no escaping and cannot point anywhere but `img/`.

use crate::compare::png::decode_png;
use base64::Engine as _;
use sha2::Digest as _;
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

/// The folder, inside the report's folder, that holds the image files.
pub(super) const IMG_DIR: &str = "img";

/// Thumbnails are this wide at most: a figure is a third of the page's width.
const THUMB_WIDTH: u32 = 400;

/// One screenshot as the page refers to it.
#[derive(Debug, Clone)]
pub(super) struct Shot {
    /// What the `<img>` shows: a `data:` URI, or a thumbnail's relative path.
    pub src: String,
    /// The full-size file's relative path, when `src` is not the full image.
    pub full: Option<String>,
    /// The image's width and height in pixels (from its header), to reserve its box before it
    /// loads.
    pub size: Option<(u32, u32)>,
}

pub(super) enum Images {
    Inline,
    Files(Files),
}

/// The image files of a report folder being written.
pub(super) struct Files {
    dir: PathBuf,
    /// Digest → the shot written for it, so a repeat costs nothing.
    done: HashMap<String, Shot>,
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
            names: HashSet::new(),
            error: None,
        }))
    }

    /// The shot for PNG `bytes` (already checked to carry the PNG signature), or why it cannot
    /// be shown.
    pub(super) fn shot(&mut self, bytes: Vec<u8>) -> Result<Shot, String> {
        match self {
            Images::Inline => Ok(Shot {
                size: png_size(&bytes),
                src: format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(&bytes)
                ),
                full: None,
            }),
            Images::Files(files) => files.shot(&bytes),
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

impl Files {
    fn shot(&mut self, bytes: &[u8]) -> Result<Shot, String> {
        let digest = sha2::Sha256::digest(bytes);
        // 128 bits: collisions among a report's images are not a concern
        let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        if let Some(shot) = self.done.get(&hash) {
            return Ok(shot.clone());
        }
        let size = png_size(bytes);
        let full = format!("{IMG_DIR}/{hash}.png");
        let shot = match size {
            Some((w, _)) if w > THUMB_WIDTH => {
                // made first: a PNG that does not decode is shown as such, and not written
                let png = thumbnail(bytes).map_err(|e| format!("unreadable PNG ({e})"))?;
                let thumb = format!("{IMG_DIR}/{hash}.thumb.png");
                self.put(&thumb, &png);
                Shot {
                    src: thumb,
                    full: Some(full.clone()),
                    size,
                }
            }
            // small already: the image is its own thumbnail
            _ => Shot {
                src: full.clone(),
                full: None,
                size,
            },
        };
        self.put(&full, bytes);
        self.done.insert(hash, shot.clone());
        Ok(shot)
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

impl super::Page<'_> {
    /// A screenshot's figure. Every image is lazy-loaded (a long report opens at its top
    /// without reading the rest), and a thumbnail links to its full-size file, which the
    /// overlay slider also shows (`data-full`).
    pub(super) fn shot_figure(&mut self, caption: &str, class: &str, shot: &Shot) {
        use std::fmt::Write as _;
        let caption = super::Esc(caption);
        let size = match shot.size {
            Some((w, h)) => format!(" width=\"{w}\" height=\"{h}\""),
            None => String::new(),
        };
        let img = |full: &str| {
            format!(
                "<img class=\"shot-{class}\" alt=\"{caption}\" src=\"{}\"{full}{size} loading=\"lazy\" decoding=\"async\">",
                shot.src
            )
        };
        // Writing to a String cannot fail.
        let _ = match &shot.full {
            Some(full) => write!(
                self.out,
                "<figure><figcaption>{caption} <a class=\"full\" href=\"{full}\" target=\"_blank\" rel=\"noopener\">full size</a></figcaption><a href=\"{full}\" target=\"_blank\" rel=\"noopener\">{}</a></figure>",
                img(&format!(" data-full=\"{full}\""))
            ),
            None => write!(
                self.out,
                "<figure><figcaption>{caption}</figcaption>{}</figure>",
                img("")
            ),
        };
    }
}

/// Whether `name` is one this writer gives: 32 hex digits, then `.png` or `.thumb.png`.
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

/// A PNG at most [`THUMB_WIDTH`] wide. `thumbnail` averages whole source pixels (no filter
/// kernel), a few milliseconds for a 1280×800 screenshot; text stays legible enough to tell
/// which screen it is, and the full image is one click away.
fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use ::image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use ::image::{ExtendedColorType, ImageEncoder};
    let img = decode_png(bytes).map_err(|e| e.to_string())?;
    let (w, h) = img.dimensions();
    let height = ((u64::from(h) * u64::from(THUMB_WIDTH)) / u64::from(w.max(1))).max(1);
    let small = ::image::imageops::thumbnail(&img, THUMB_WIDTH, height.min(u64::from(h)) as u32);
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(
            small.as_raw(),
            small.width(),
            small.height(),
            ExtendedColorType::Rgba8,
        )
        .map_err(|e| e.to_string())?;
    Ok(out)
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

    #[test]
    fn files_are_content_addressed_with_thumbnails_and_stale_ones_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("img")).expect("mkdir");
        let stale = dir.path().join("img/0123456789abcdef0123456789abcdef.png");
        let foreign = dir.path().join("img/notes.txt");
        std::fs::write(&stale, b"old").expect("write");
        std::fs::write(&foreign, b"mine").expect("write");

        let mut images = Images::files(dir.path()).expect("files");
        let big = png(1280, 800);
        let a = images.shot(big.clone()).expect("shot");
        let again = images.shot(big.clone()).expect("shot");
        assert_eq!(a.src, again.src);
        assert!(
            a.src.starts_with("img/") && a.src.ends_with(".thumb.png"),
            "{a:?}"
        );
        let full = a.full.clone().expect("a full-size link");
        assert_eq!(a.size, Some((1280, 800)));
        assert_eq!(std::fs::read(dir.path().join(&full)).expect("full"), big);
        let thumb = ::image::load_from_memory(&std::fs::read(dir.path().join(&a.src)).unwrap())
            .expect("thumbnail decodes");
        assert_eq!((thumb.width(), thumb.height()), (THUMB_WIDTH, 250));

        let small = images.shot(png(100, 50)).expect("shot");
        assert!(
            small.full.is_none() && small.src.ends_with(".png"),
            "{small:?}"
        );
        images.finish().expect("finish");
        assert!(!stale.exists(), "images of an earlier report are removed");
        assert!(foreign.exists(), "files reprise did not name are kept");
        let n = std::fs::read_dir(dir.path().join("img")).unwrap().count();
        assert_eq!(n, 4, "full + thumbnail, the small image, notes.txt");
    }

    #[test]
    fn inline_images_are_data_uris() {
        let shot = Images::Inline.shot(png(3, 2)).expect("shot");
        assert!(shot.src.starts_with("data:image/png;base64,"));
        assert_eq!((shot.full, shot.size), (None, Some((3, 2))));
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
