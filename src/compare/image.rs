//! Screenshot comparison: a faithful port of [pixelmatch] 7.x.
//!
//! This module owns the pixel-level half of visual regression checks: it
//! decides how many pixels of a replayed screenshot differ from the approved
//! baseline, draws the diff image shown to the user and paints masked regions.
//! PNG bytes are (de)coded by [`super::png`].
//!
//! Why pixelmatch 7: Playwright's default screenshot comparator derives from
//! pixelmatch, as do most JavaScript visual-testing tools, so its numbers are
//! what users already know how to tune (`threshold`, `maxDiffPixels`, ...).
//! The port keeps the exact arithmetic of pixelmatch 7.x (f64 everywhere, the
//! same operation order, the same neighbour visiting order in the
//! anti-aliasing detector, the same `Uint8Array` store semantics), so a pair of
//! images yields the same count here as `pixelmatch(img1, img2, out, w, h,
//! { threshold, includeAA })` in Node, and the same diff image bytes.
//! pixelmatch 8 changed the colour metric and is deliberately not followed.
//!
//! Semi-transparent pixels are blended against pixelmatch 7's default
//! background pattern (`checkerboard: true`, which every 7.x release uses);
//! for fully opaque screenshots the background plays no part.
//!
//! Performance: identical buffers are detected with one `memcmp` before any
//! per-pixel work; otherwise the buffers are walked in 8-pixel blocks compared
//! as `u64` words, and only blocks that differ go through the per-pixel YIQ
//! metric. Nothing is allocated per pixel; images of equal size are compared
//! in place on their raw `&[u8]` buffers. The work is CPU-bound and
//! synchronous: async callers should run it on a blocking thread.
//!
//! [pixelmatch]: https://github.com/mapbox/pixelmatch

use super::png::raw;
use ::image::RgbaImage;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Colour painted over masked regions (opaque magenta, as Playwright's `mask`).
pub const MASK_COLOR: [u8; 4] = [255, 0, 255, 255];

/// Maximum possible value of the YIQ difference metric (pixelmatch's constant).
const MAX_YIQ_DELTA: f64 = 35215.0;

/// Pixels per block in the block-skipping main loop (32 bytes, four `u64`s).
const BLOCK_PIXELS: usize = 8;

/// Options of [`compare_images`], named and defaulted as pixelmatch's options.
#[derive(Debug, Clone)]
pub struct ImageDiffOptions {
    /// Matching threshold (0 to 1); smaller is more sensitive. Default 0.1.
    pub threshold: f64,
    /// Count anti-aliased pixels as differences instead of ignoring them.
    /// Default `false`.
    pub include_aa: bool,
    /// Opacity of the original image drawn under the diff. Default 0.1.
    pub alpha: f64,
    /// Colour of ignored anti-aliased pixels in the diff image. Default yellow.
    pub aa_color: [u8; 3],
    /// Colour of different pixels in the diff image. Default red.
    pub diff_color: [u8; 3],
    /// Colour of different pixels where `actual` is darker than `expected`
    /// (pixelmatch's `diffColorAlt`); `None` uses `diff_color` for both.
    pub diff_color_alt: Option<[u8; 3]>,
    /// Draw only the differences, over a transparent background.
    pub diff_mask: bool,
}

impl Default for ImageDiffOptions {
    fn default() -> Self {
        Self {
            threshold: 0.1,
            include_aa: false,
            alpha: 0.1,
            aa_color: [255, 255, 0],
            diff_color: [255, 0, 0],
            diff_color_alt: None,
            diff_mask: false,
        }
    }
}

/// Result of [`compare_images`].
#[derive(Debug, Clone)]
pub struct ImageDiff {
    /// Width of the compared canvas (the larger width of the two images).
    pub width: u32,
    /// Height of the compared canvas (the larger height of the two images).
    pub height: u32,
    /// Number of pixels counted as different.
    pub diff_pixels: u64,
    /// Number of pixels of the compared canvas (`width * height`).
    pub total_pixels: u64,
    /// `Some(((expected_w, expected_h), (actual_w, actual_h)))` when the
    /// images are not the same size.
    pub size_mismatch: Option<((u32, u32), (u32, u32))>,
    /// The diff image, `width` × `height`, drawn as pixelmatch draws it.
    pub diff_image: RgbaImage,
}

impl ImageDiff {
    /// Share of matching pixels: `1 - diff_pixels / total_pixels`, and 1.0 for
    /// an empty canvas.
    pub fn similarity(&self) -> f64 {
        if self.total_pixels == 0 {
            1.0
        } else {
            1.0 - self.diff_pixels as f64 / self.total_pixels as f64
        }
    }

    /// True when no pixel differs and both images have the same size.
    pub fn matches(&self) -> bool {
        self.diff_pixels == 0 && self.size_mismatch.is_none()
    }
}

/// Compare two RGBA images. Images of different sizes are compared over the
/// union canvas (max width × max height), pixels outside one image counted as
/// different (transparent vs content), and `size_mismatch` set — never panic.
///
/// On the union canvas both images are padded with transparent pixels (as
/// Playwright does) and compared with pixelmatch; every pixel that lies inside
/// exactly one of the two images is then counted as different whatever its
/// colour, and drawn in the diff colour. Corner pixels outside both images are
/// transparent in both and so equal.
///
/// Memory stays proportional to the two images: the union canvas is only drawn
/// when it is no larger than both images together (one image taller or wider
/// than the other, the usual case). For crossed sizes (one wider, the other
/// taller) the union can be quadratic in the inputs (1×20000 and 20000×1 make a
/// 400-megapixel canvas from 40,000 pixels): then only the overlap is compared,
/// the pixels inside one image only are counted arithmetically, and the diff
/// image is the larger image's footprint (see [`compare_crossed`]).
pub fn compare_images(
    expected: &RgbaImage,
    actual: &RgbaImage,
    opts: &ImageDiffOptions,
) -> ImageDiff {
    let area = |(w, h): (u32, u32)| w as u64 * h as u64;
    let (e, a) = (expected.dimensions(), actual.dimensions());
    let union = area((e.0.max(a.0), e.1.max(a.1)));
    if e != a && union > area(e) + area(a) {
        return compare_crossed(expected, actual, opts);
    }
    compare_on_union(expected, actual, opts)
}

/// Images of crossed sizes: pixelmatch over the overlap (top-left `min w × min h`), plus
/// every pixel inside exactly one image, counted without drawing the union canvas. The
/// diff image covers the larger of the two images: the overlap's diff, the rest of that
/// image in the diff colour. Anti-aliasing detection at the overlap's right and bottom
/// edge sees no transparent padding beyond it, so a pixel there may be judged differently
/// than on the union canvas; the sizes differ, so the verdict is a difference either way.
fn compare_crossed(expected: &RgbaImage, actual: &RgbaImage, opts: &ImageDiffOptions) -> ImageDiff {
    let (ew, eh) = expected.dimensions();
    let (aw, ah) = actual.dimensions();
    let (ow, oh) = (ew.min(aw), eh.min(ah));
    let crop = |img: &RgbaImage| -> Vec<u8> {
        let stride = img.width() as usize * 4;
        let keep = ow as usize * 4;
        let mut out = Vec::with_capacity(keep * oh as usize);
        if keep > 0 {
            for row in raw(img).chunks_exact(stride).take(oh as usize) {
                out.extend_from_slice(&row[..keep]);
            }
        }
        out
    };
    let (ce, ca) = (crop(expected), crop(actual));
    let mut overlap = vec![0u8; ce.len()];
    let overlap_diff = Matcher::new(&ce, &ca, ow, oh, opts, None).run(&mut overlap);
    drop((ce, ca));
    let o = ow as u64 * oh as u64;
    let (ea, aa) = (ew as u64 * eh as u64, aw as u64 * ah as u64);
    let (dw, dh) = if ea >= aa { (ew, eh) } else { (aw, ah) };
    let mut diff_image = RgbaImage::new(dw, dh);
    let [r, g, b] = opts.diff_color;
    for (y, row) in diff_image.rows_mut().enumerate() {
        for (x, px) in row.enumerate() {
            px.0 = if x < ow as usize && y < oh as usize {
                let i = (y * ow as usize + x) * 4;
                [overlap[i], overlap[i + 1], overlap[i + 2], overlap[i + 3]]
            } else {
                [r, g, b, 255]
            };
        }
    }
    let (width, height) = (ew.max(aw), eh.max(ah));
    ImageDiff {
        width,
        height,
        diff_pixels: overlap_diff + (ea - o) + (aa - o),
        total_pixels: width as u64 * height as u64,
        size_mismatch: Some(((ew, eh), (aw, ah))),
        diff_image,
    }
}

fn compare_on_union(
    expected: &RgbaImage,
    actual: &RgbaImage,
    opts: &ImageDiffOptions,
) -> ImageDiff {
    let (ew, eh) = expected.dimensions();
    let (aw, ah) = actual.dimensions();
    let (width, height) = (ew.max(aw), eh.max(ah));
    let mut diff_image = RgbaImage::new(width, height);
    let len = width as usize * height as usize;

    let (diff_pixels, size_mismatch) = if (ew, eh) == (aw, ah) {
        let diff = Matcher::new(raw(expected), raw(actual), width, height, opts, None)
            .run(&mut diff_image);
        (diff, None)
    } else {
        let padded_expected = pad(expected, width, height);
        let padded_actual = pad(actual, width, height);
        let footprints = Footprints { ew, eh, aw, ah };
        let diff = Matcher::new(
            &padded_expected,
            &padded_actual,
            width,
            height,
            opts,
            Some(footprints),
        )
        .run(&mut diff_image);
        (diff, Some(((ew, eh), (aw, ah))))
    };

    ImageDiff {
        width,
        height,
        diff_pixels,
        total_pixels: len as u64,
        size_mismatch,
        diff_image,
    }
}

/// Masks: rectangles (x, y, w, h in pixels) painted with one opaque colour
/// (magenta 255,0,255) in both images before comparing, like Playwright's
/// `mask`. Call it on each image; rectangles are clipped to the image, and
/// rectangles wholly outside it are ignored.
pub fn apply_masks(img: &mut RgbaImage, rects: &[(u32, u32, u32, u32)]) {
    let (w, h) = img.dimensions();
    let stride = w as usize * 4;
    let buf: &mut [u8] = img;
    for &(x, y, rw, rh) in rects {
        let x_end = x.saturating_add(rw).min(w);
        let y_end = y.saturating_add(rh).min(h);
        if x >= x_end || y >= y_end {
            continue;
        }
        for row in y as usize..y_end as usize {
            let start = row * stride + x as usize * 4;
            let end = row * stride + x_end as usize * 4;
            for px in buf[start..end].chunks_exact_mut(4) {
                px.copy_from_slice(&MASK_COLOR);
            }
        }
    }
}

/// Copy `img` into the top-left corner of a transparent `width` × `height`
/// buffer.
fn pad(img: &RgbaImage, width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0u8; width as usize * height as usize * 4];
    let src_stride = img.width() as usize * 4;
    let dst_stride = width as usize * 4;
    if src_stride > 0 {
        for (y, row) in raw(img).chunks_exact(src_stride).enumerate() {
            out[y * dst_stride..y * dst_stride + src_stride].copy_from_slice(row);
        }
    }
    out
}

/// Sizes of the two images laid on a union canvas.
#[derive(Clone, Copy)]
struct Footprints {
    ew: u32,
    eh: u32,
    aw: u32,
    ah: u32,
}

impl Footprints {
    /// True for a pixel inside exactly one of the two images.
    fn in_one_only(&self, x: usize, y: usize) -> bool {
        let in_expected = x < self.ew as usize && y < self.eh as usize;
        let in_actual = x < self.aw as usize && y < self.ah as usize;
        in_expected != in_actual
    }
}

/// One pixelmatch run over two equally sized RGBA buffers.
struct Matcher<'a> {
    img1: &'a [u8],
    img2: &'a [u8],
    width: usize,
    height: usize,
    max_delta: f64,
    include_aa: bool,
    draw_background: bool,
    alpha: f64,
    aa_color: [u8; 3],
    diff_color: [u8; 3],
    diff_color_alt: [u8; 3],
    footprints: Option<Footprints>,
}

/// Below this many pixels a comparison runs on the calling thread: spawning
/// costs more than it saves.
const PARALLEL_MIN_PIXELS: usize = 1 << 17;

/// Upper bound on the threads one comparison uses.
const MAX_THREADS: usize = 8;

/// Rows in one unit of parallel work: small enough to balance uneven changes
/// across threads, large enough that taking one is noise.
const BAND_ROWS: usize = 16;

impl<'a> Matcher<'a> {
    fn new(
        img1: &'a [u8],
        img2: &'a [u8],
        width: u32,
        height: u32,
        opts: &ImageDiffOptions,
        footprints: Option<Footprints>,
    ) -> Self {
        Self {
            img1,
            img2,
            width: width as usize,
            height: height as usize,
            // maximum acceptable square distance between two colours
            max_delta: MAX_YIQ_DELTA * opts.threshold * opts.threshold,
            include_aa: opts.include_aa,
            draw_background: !opts.diff_mask,
            alpha: opts.alpha,
            aa_color: opts.aa_color,
            diff_color: opts.diff_color,
            diff_color_alt: opts.diff_color_alt.unwrap_or(opts.diff_color),
            footprints,
        }
    }

    /// Compare every pixel, draw into `output` (zero-filled, same size) and
    /// return the number of different pixels.
    ///
    /// Large images are cut into bands of [`BAND_ROWS`] rows that scoped
    /// threads take in turn from a shared counter: a change is rarely spread
    /// evenly down a page (a half-and-half split left one thread with twice
    /// the work of the other on a real screenshot pair), and small bands keep
    /// every core busy to the end. Each pixel's outcome depends only on the
    /// two (read-only) input images, never on other output pixels, so the
    /// count and the diff image are the same as a single pass.
    fn run(self, output: &mut [u8]) -> u64 {
        let len = self.width * self.height;
        debug_assert_eq!(self.img1.len(), len * 4);
        debug_assert_eq!(self.img2.len(), len * 4);
        debug_assert_eq!(output.len(), len * 4);
        let threads = if len >= PARALLEL_MIN_PIXELS {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            1
        };
        let threads = threads.clamp(1, MAX_THREADS);
        if threads == 1 {
            return self.run_band(0, output);
        }
        let band_bytes = (BAND_ROWS * self.width * 4).max(1);
        let bands: Vec<Mutex<&mut [u8]>> = output.chunks_mut(band_bytes).map(Mutex::new).collect();
        let next = AtomicUsize::new(0);
        let work = || {
            let mut diff = 0;
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(band) = bands.get(k) else {
                    return diff;
                };
                let mut out = band.lock().unwrap_or_else(PoisonError::into_inner);
                diff += self.run_band(k * BAND_ROWS * self.width, &mut out);
            }
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            // the calling thread works too
            let mut diff = work();
            for h in handles {
                diff += h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            }
            diff
        })
    }

    /// Compare the rows starting at pixel `first` (a row start) and draw
    /// them into `out`, which holds exactly those rows.
    fn run_band(&self, first: usize, out: &mut [u8]) -> u64 {
        let stride = self.width * 4;
        if stride == 0 {
            return 0;
        }
        let mut gray = GrayCache::new(self.alpha);
        let exact = self.footprints.is_none();
        let y_first = first / self.width;
        let mut diff = 0u64;
        for (dy, out_row) in out.chunks_exact_mut(stride).enumerate() {
            let y = y_first + dy;
            let row_start = y * stride;
            let a = &self.img1[row_start..row_start + stride];
            let b = &self.img2[row_start..row_start + stride];
            // Unchanged rows (most of a screenshot) cost one memcmp.
            if exact && a == b {
                if self.draw_background {
                    draw_gray_range(&mut gray, a, out_row);
                }
                continue;
            }
            let blocks = if exact { self.width / BLOCK_PIXELS } else { 0 };
            for block in 0..blocks {
                let lo = block * BLOCK_PIXELS * 4;
                let hi = lo + BLOCK_PIXELS * 4;
                if block_eq(&a[lo..hi], &b[lo..hi]) {
                    if self.draw_background {
                        draw_gray_range(&mut gray, &a[lo..hi], &mut out_row[lo..hi]);
                    }
                } else {
                    for x in lo / 4..hi / 4 {
                        let px_out = &mut out_row[x * 4..x * 4 + 4];
                        diff += self.pixel(x, y, &mut gray, px_out);
                    }
                }
            }
            for x in blocks * BLOCK_PIXELS..self.width {
                diff += self.pixel(x, y, &mut gray, &mut out_row[x * 4..x * 4 + 4]);
            }
        }
        diff
    }

    /// pixelmatch's per-pixel step for pixel (x, y), drawn into `out` (its
    /// four bytes); returns 1 when the pixel counts as different.
    #[inline]
    fn pixel(&self, x: usize, y: usize, gray: &mut GrayCache, out: &mut [u8]) -> u64 {
        let i = y * self.width + x;
        let pos = i * 4;
        let same = px32(self.img1, i) == px32(self.img2, i);
        let forced = match self.footprints {
            Some(fp) => fp.in_one_only(x, y),
            None => false,
        };
        if same && !forced {
            if self.draw_background {
                out.copy_from_slice(&gray.pixel(&self.img1[pos..pos + 4]));
            }
            return 0;
        }

        // squared YIQ distance, negative if the img2 pixel is darker
        let delta = if same {
            0.0
        } else {
            color_delta(self.img1, self.img2, pos)
        };

        if forced || delta.abs() > self.max_delta {
            let excluded_aa = !forced
                && !self.include_aa
                && (self.antialiased(self.img1, x, y, self.img1, self.img2)
                    || self.antialiased(self.img2, x, y, self.img2, self.img1));
            if excluded_aa {
                // anti-aliasing: drawn, not counted, and not part of a mask
                if self.draw_background {
                    draw_pixel(out, self.aa_color);
                }
                0
            } else {
                let color = if delta < 0.0 {
                    self.diff_color_alt
                } else {
                    self.diff_color
                };
                draw_pixel(out, color);
                1
            }
        } else {
            if self.draw_background {
                out.copy_from_slice(&gray.pixel(&self.img1[pos..pos + 4]));
            }
            0
        }
    }

    /// pixelmatch's `antialiased`: is the pixel at (x1, y1) of `img` likely
    /// part of anti-aliasing? Based on "Anti-aliased Pixel and Intensity Slope
    /// Detector" by V. Vysniauskas, 2009. `a` and `b` are the two images in the
    /// order pixelmatch passes them to `hasManySiblings`.
    fn antialiased(&self, img: &[u8], x1: usize, y1: usize, a: &[u8], b: &[u8]) -> bool {
        let (width, height) = (self.width, self.height);
        let x0 = x1.saturating_sub(1);
        let y0 = y1.saturating_sub(1);
        let x2 = (x1 + 1).min(width - 1);
        let y2 = (y1 + 1).min(height - 1);
        let pos4 = (y1 * width + x1) * 4;
        let center = [img[pos4], img[pos4 + 1], img[pos4 + 2], img[pos4 + 3]];
        let on_edge = x1 == x0 || x1 == x2 || y1 == y0 || y1 == y2;
        let mut zeroes = u32::from(on_edge);
        let (mut min, mut max) = (0.0f64, 0.0f64);
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (0, 0, 0, 0);

        // One step of pixelmatch's scan over a neighbour; `false` when the
        // pixel is definitely not anti-aliasing.
        let mut visit = |x: usize, y: usize, px: &[u8]| -> bool {
            // brightness delta between the centre pixel and the adjacent one
            let delta = brightness_delta(px, pos4, center);
            if delta == 0.0 {
                zeroes += 1;
                // more than 2 equal siblings: definitely not anti-aliasing
                if zeroes > 2 {
                    return false;
                }
            } else if delta < min {
                min = delta;
                min_x = x;
                min_y = y;
            } else if delta > max {
                max = delta;
                max_x = x;
                max_y = y;
            }
            true
        };

        // go through the 8 adjacent pixels, column by column as pixelmatch does
        if on_edge {
            for x in x0..=x2 {
                for y in y0..=y2 {
                    if x == x1 && y == y1 {
                        continue;
                    }
                    let m = (y * width + x) * 4;
                    if !visit(x, y, &img[m..m + 4]) {
                        return false;
                    }
                }
            }
        } else {
            // Interior pixel (nearly all): the three rows of the 3×3
            // neighbourhood as fixed-size slices, so the scan has no bounds
            // checks or index arithmetic; same order as above.
            let stride = width * 4;
            let rows = [
                &img[pos4 - stride - 4..pos4 - stride + 8],
                &img[pos4 - 4..pos4 + 8],
                &img[pos4 + stride - 4..pos4 + stride + 8],
            ];
            let at = |dx: usize, dy: usize| &rows[dy][dx * 4..dx * 4 + 4];
            // Exactly equal neighbours have a zero brightness delta, and more
            // than 2 zeroes end the scan with `false`: counting them first,
            // without branches, settles flat areas (most of a screenshot)
            // with the same answer as the scan.
            let c = u32::from_ne_bytes(center);
            let equal: u32 = NEIGHBOURS
                .iter()
                .map(|&(dx, dy)| {
                    let p = at(dx, dy);
                    u32::from(u32::from_ne_bytes([p[0], p[1], p[2], p[3]]) == c)
                })
                .sum();
            if equal > 2 {
                return false;
            }
            let opaque =
                center[3] == 255 && NEIGHBOURS.iter().all(|&(dx, dy)| at(dx, dy)[3] == 255);
            if !opaque {
                for (dx, dy) in NEIGHBOURS {
                    if !visit(x0 + dx, y0 + dy, at(dx, dy)) {
                        return false;
                    }
                }
            } else {
                // Opaque (every screenshot): all eight brightness deltas at
                // once, without branches, then the scan's outcome from them.
                // The zero test and the darkest/brightest pick (first of
                // equals, as the scan's strict comparisons) read the same
                // values pixelmatch computes, so the answer is the same.
                let mut deltas = [0f64; 8];
                for (d, &(dx, dy)) in deltas.iter_mut().zip(&NEIGHBOURS) {
                    let p = at(dx, dy);
                    let diff = |c: usize| f64::from(i16::from(center[c]) - i16::from(p[c]));
                    *d = diff(0) * 0.29889531 + diff(1) * 0.58662247 + diff(2) * 0.11448223;
                }
                if deltas.iter().filter(|&&d| d == 0.0).count() > 2 {
                    return false;
                }
                for (&d, &(dx, dy)) in deltas.iter().zip(&NEIGHBOURS) {
                    if d < min {
                        (min, min_x, min_y) = (d, x0 + dx, y0 + dy);
                    } else if d > max {
                        (max, max_x, max_y) = (d, x0 + dx, y0 + dy);
                    }
                }
            }
        }

        // without both darker and brighter siblings it is not anti-aliasing
        if min == 0.0 || max == 0.0 {
            return false;
        }

        // if the darkest or the brightest sibling has 3+ equal siblings in both
        // images (definitely not anti-aliased), this pixel is anti-aliased
        (self.has_many_siblings(a, min_x, min_y) && self.has_many_siblings(b, min_x, min_y))
            || (self.has_many_siblings(a, max_x, max_y) && self.has_many_siblings(b, max_x, max_y))
    }

    /// pixelmatch's `hasManySiblings`: does the pixel have 3+ adjacent pixels
    /// of exactly the same RGBA value?
    fn has_many_siblings(&self, img: &[u8], x1: usize, y1: usize) -> bool {
        let (width, height) = (self.width, self.height);
        let x0 = x1.saturating_sub(1);
        let y0 = y1.saturating_sub(1);
        let x2 = (x1 + 1).min(width - 1);
        let y2 = (y1 + 1).min(height - 1);
        let val = px32(img, y1 * width + x1);
        let on_edge = x1 == x0 || x1 == x2 || y1 == y0 || y1 == y2;
        if !on_edge {
            // interior: the same count over fixed-size rows, without branches
            let stride = width * 4;
            let pos4 = (y1 * width + x1) * 4;
            let rows = [
                &img[pos4 - stride - 4..pos4 - stride + 8],
                &img[pos4 - 4..pos4 + 8],
                &img[pos4 + stride - 4..pos4 + stride + 8],
            ];
            let equal: u32 = NEIGHBOURS
                .iter()
                .map(|&(dx, dy)| {
                    let p = &rows[dy][dx * 4..dx * 4 + 4];
                    u32::from(u32::from_ne_bytes([p[0], p[1], p[2], p[3]]) == val)
                })
                .sum();
            return equal > 2;
        }
        let mut zeroes = u32::from(on_edge);
        for x in x0..=x2 {
            for y in y0..=y2 {
                if x == x1 && y == y1 {
                    continue;
                }
                zeroes += u32::from(val == px32(img, y * width + x));
                if zeroes > 2 {
                    return true;
                }
            }
        }
        false
    }
}

/// The 8 neighbours of an interior pixel as (dx, dy) offsets from its
/// top-left neighbour, column by column (pixelmatch's visiting order).
const NEIGHBOURS: [(usize, usize); 8] = [
    (0, 0),
    (0, 1),
    (0, 2),
    (1, 0),
    (1, 2),
    (2, 0),
    (2, 1),
    (2, 2),
];

/// Pixel `i` of an RGBA buffer as one `u32` (native byte order; only ever
/// compared for equality).
#[inline(always)]
fn px32(buf: &[u8], i: usize) -> u32 {
    let p = &buf[i * 4..i * 4 + 4];
    u32::from_ne_bytes([p[0], p[1], p[2], p[3]])
}

/// Equality of two 32-byte blocks, compared as four `u64` words.
#[inline(always)]
fn block_eq(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], k: usize| {
        u64::from_ne_bytes([
            s[k],
            s[k + 1],
            s[k + 2],
            s[k + 3],
            s[k + 4],
            s[k + 5],
            s[k + 6],
            s[k + 7],
        ])
    };
    let mut acc = 0u64;
    for k in (0..BLOCK_PIXELS * 4).step_by(8) {
        acc |= word(a, k) ^ word(b, k);
    }
    acc == 0
}

#[inline(always)]
fn draw_pixel(out: &mut [u8], [r, g, b]: [u8; 3]) {
    out.copy_from_slice(&[r, g, b, 255]);
}

/// Draw the pixels of `src` into `dst` (same length, whole pixels) as faded
/// greyscale.
#[inline]
fn draw_gray_range(gray: &mut GrayCache, src: &[u8], dst: &mut [u8]) {
    for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
        d.copy_from_slice(&gray.pixel(s));
    }
}

/// JavaScript's `ToInt32` (what `x | 0` does) for a finite, non-negative
/// `x`: truncate, then wrap modulo 2^32.
#[inline(always)]
fn js_to_int32_nonneg(x: f64) -> i32 {
    // `as u64` truncates towards zero (exact below 2^64); `as u32` wraps.
    x as u64 as u32 as i32
}

/// JavaScript's `ToUint8` (what storing a number into a `Uint8Array` does).
#[inline]
fn js_to_uint8(x: f64) -> u8 {
    if (0.0..256.0).contains(&x) {
        x as u8
    } else if !x.is_finite() {
        0
    } else {
        x.trunc().rem_euclid(256.0) as u8
    }
}

/// pixelmatch 7's background for blending semi-transparent pixels at byte
/// offset `k` (the `checkerboard` pattern, its default in every 7.x).
#[inline]
fn background(k: usize) -> (f64, f64, f64) {
    // `k % 2` on the integer equals JS's `k % 2` on the (exactly
    // representable) double, without a libm `fmod` call.
    let rb = 48.0 + 159.0 * (k % 2) as f64;
    let k = k as f64;
    let gb = 48.0 + 159.0 * f64::from(js_to_int32_nonneg(k / 1.618033988749895) % 2);
    let bb = 48.0 + 159.0 * f64::from(js_to_int32_nonneg(k / 2.618033988749895) % 2);
    (rb, gb, bb)
}

/// pixelmatch's blending of two semi-transparent pixels at byte offset `k`
/// against its background: the channel differences `(dr, dg, db)`.
///
/// Out of line and cold on purpose: screenshots are opaque, and when inlined
/// the compiler hoists `background`'s divisions out of the neighbour loops,
/// paying for them on every opaque pixel too.
#[cold]
#[inline(never)]
fn blend([r1, g1, b1, a1]: [f64; 4], [r2, g2, b2, a2]: [f64; 4], k: usize) -> (f64, f64, f64) {
    let da = a1 - a2;
    let (rb, gb, bb) = background(k);
    (
        (r1 * a1 - r2 * a2 - rb * da) / 255.0,
        (g1 * a1 - g2 * a2 - gb * da) / 255.0,
        (b1 * a1 - b2 * a2 - bb * da) / 255.0,
    )
}

/// pixelmatch's `colorDelta` for two different pixels at byte offset `k` of
/// each image: the squared YIQ distance ("Measuring perceived color difference
/// using YIQ NTSC transmission color space in mobile applications",
/// Kotsarenko and Ramos), negative when the img2 pixel is darker.
#[inline]
fn color_delta(img1: &[u8], img2: &[u8], k: usize) -> f64 {
    let (p1, p2) = (&img1[k..k + 4], &img2[k..k + 4]);
    let (dr, dg, db) = if p1[3] == 255 && p2[3] == 255 {
        // Opaque: byte differences are exact in f64, so this equals the
        // general path's `r1 - r2` (and skips its blending branch).
        let d = |c: usize| f64::from(i16::from(p1[c]) - i16::from(p2[c]));
        (d(0), d(1), d(2))
    } else {
        let px = |p: &[u8]| [p[0], p[1], p[2], p[3]].map(f64::from);
        blend(px(p1), px(p2), k)
    };

    let y = dr * 0.29889531 + dg * 0.58662247 + db * 0.11448223;
    let i = dr * 0.59597799 - dg * 0.27417610 - db * 0.32180189;
    let q = dr * 0.21147017 - dg * 0.52261711 + db * 0.31114694;

    let delta = 0.5053 * y * y + 0.299 * i * i + 0.1957 * q * q;

    // encode whether the pixel lightens or darkens in the sign
    if y > 0.0 {
        -delta
    } else {
        delta
    }
}

/// pixelmatch's `brightnessDelta`: the Y (brightness) part of `colorDelta`
/// between the centre pixel (`center`, at byte offset `k`) and the adjacent
/// pixel `other` (its four bytes) of the same image.
#[inline(always)]
fn brightness_delta(other: &[u8], k: usize, center: [u8; 4]) -> f64 {
    let other = [other[0], other[1], other[2], other[3]];
    if other == center {
        return 0.0;
    }
    let (dr, dg, db) = if center[3] == 255 && other[3] == 255 {
        // Opaque (every screenshot): byte differences are exact in f64, so
        // this equals pixelmatch's `r1 - r2` on the converted values.
        let d = |c: usize| f64::from(i16::from(center[c]) - i16::from(other[c]));
        (d(0), d(1), d(2))
    } else {
        blend(center.map(f64::from), other.map(f64::from), k)
    };
    dr * 0.29889531 + dg * 0.58662247 + db * 0.11448223
}

/// pixelmatch's `drawGrayPixel` value, memoised for the last pixel seen
/// (screenshots are mostly runs of one colour).
struct GrayCache {
    alpha: f64,
    last: [u8; 4],
    value: u8,
}

impl GrayCache {
    fn new(alpha: f64) -> Self {
        let last = [0, 0, 0, 0];
        Self {
            alpha,
            last,
            value: gray_value(last, alpha),
        }
    }

    #[inline(always)]
    fn value(&mut self, px: &[u8]) -> u8 {
        let px = [px[0], px[1], px[2], px[3]];
        if px != self.last {
            self.last = px;
            self.value = gray_value(px, self.alpha);
        }
        self.value
    }

    /// The faded grey pixel drawn for `px`.
    #[inline(always)]
    fn pixel(&mut self, px: &[u8]) -> [u8; 4] {
        let v = self.value(px);
        [v, v, v, 255]
    }
}

/// Greyscale of the pixel blended with white by `alpha`, stored as a
/// `Uint8Array` stores it.
#[inline]
fn gray_value([r, g, b, a]: [u8; 4], alpha: f64) -> u8 {
    let y = f64::from(r) * 0.29889531 + f64::from(g) * 0.58662247 + f64::from(b) * 0.11448223;
    js_to_uint8(255.0 + (y - 255.0) * alpha * f64::from(a) / 255.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::png::{decode_png, encode_png};
    use ::image::Rgba;

    fn solid(w: u32, h: u32, c: [u8; 4]) -> RgbaImage {
        RgbaImage::from_pixel(w, h, Rgba(c))
    }

    /// Deterministic xorshift noise.
    fn noise(w: u32, h: u32, seed: u64, map: impl Fn(u8) -> u8) -> RgbaImage {
        let mut s = seed.max(1);
        RgbaImage::from_fn(w, h, |_, _| {
            let mut c = [0u8; 4];
            for ch in c.iter_mut().take(3) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                *ch = map((s >> 24) as u8);
            }
            c[3] = 255;
            Rgba(c)
        })
    }

    fn opts() -> ImageDiffOptions {
        ImageDiffOptions::default()
    }

    fn with_aa(include_aa: bool) -> ImageDiffOptions {
        ImageDiffOptions {
            include_aa,
            ..ImageDiffOptions::default()
        }
    }

    #[test]
    fn defaults_follow_pixelmatch() {
        let o = opts();
        assert_eq!(o.threshold, 0.1);
        assert!(!o.include_aa);
        assert_eq!(o.alpha, 0.1);
        assert_eq!(o.aa_color, [255, 255, 0]);
        assert_eq!(o.diff_color, [255, 0, 0]);
        assert_eq!(o.diff_color_alt, None);
        assert!(!o.diff_mask);
    }

    #[test]
    fn identical_images_match() {
        let a = noise(37, 23, 7, |v| v);
        let d = compare_images(&a, &a.clone(), &opts());
        assert_eq!(d.diff_pixels, 0);
        assert_eq!(d.total_pixels, 37 * 23);
        assert!(d.matches());
        assert_eq!(d.similarity(), 1.0);
        assert_eq!(d.size_mismatch, None);
        assert_eq!(d.diff_image.dimensions(), (37, 23));
        // unchanged pixels are drawn as faded greyscale, opaque
        for p in d.diff_image.pixels() {
            assert_eq!(p[0], p[1]);
            assert_eq!(p[1], p[2]);
            assert!(p[0] >= 229, "faded towards white: {p:?}");
            assert_eq!(p[3], 255);
        }
    }

    #[test]
    fn grey_background_matches_pixelmatch_formula() {
        // 255 + (y - 255) * 0.1 * a / 255, truncated like a Uint8Array store
        let a = solid(2, 1, [0, 0, 0, 255]);
        let d = compare_images(&a, &a, &opts());
        assert_eq!(d.diff_image.get_pixel(0, 0).0, [229, 229, 229, 255]);
        let t = solid(2, 1, [0, 0, 0, 0]);
        let d = compare_images(&t, &t, &opts());
        assert_eq!(d.diff_image.get_pixel(1, 0).0, [255, 255, 255, 255]);
    }

    #[test]
    fn single_changed_pixel_counts_one() {
        let a = solid(50, 40, [200, 200, 200, 255]);
        let mut b = a.clone();
        b.put_pixel(17, 9, Rgba([0, 0, 0, 255]));
        for include_aa in [false, true] {
            let d = compare_images(&a, &b, &with_aa(include_aa));
            assert_eq!(d.diff_pixels, 1);
            assert!(!d.matches());
            assert_eq!(d.diff_image.get_pixel(17, 9).0, [255, 0, 0, 255]);
            assert!((d.similarity() - (1.0 - 1.0 / 2000.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn changed_pixel_in_tail_after_blocks_is_found() {
        // 3×3 = 9 pixels: one full block of 8 plus a tail pixel
        let a = solid(3, 3, [10, 20, 30, 255]);
        let mut b = a.clone();
        b.put_pixel(2, 2, Rgba([250, 20, 30, 255]));
        assert_eq!(compare_images(&a, &b, &opts()).diff_pixels, 1);
    }

    #[test]
    fn solid_red_vs_solid_blue_counts_every_pixel() {
        let red = solid(100, 100, [255, 0, 0, 255]);
        let blue = solid(100, 100, [0, 0, 255, 255]);
        let d = compare_images(&red, &blue, &opts());
        assert_eq!(d.diff_pixels, 10_000);
        assert_eq!(d.similarity(), 0.0);
        let d = compare_images(&red, &blue, &with_aa(true));
        assert_eq!(d.diff_pixels, 10_000);
    }

    #[test]
    fn threshold_decides_small_colour_changes() {
        let a = solid(10, 10, [128, 128, 128, 255]);
        let slight = solid(10, 10, [131, 131, 131, 255]);
        let strong = solid(10, 10, [200, 200, 200, 255]);
        assert_eq!(compare_images(&a, &slight, &opts()).diff_pixels, 0);
        assert_eq!(compare_images(&a, &strong, &opts()).diff_pixels, 100);
        let strict = ImageDiffOptions {
            threshold: 0.0,
            ..opts()
        };
        assert_eq!(compare_images(&a, &slight, &strict).diff_pixels, 100);
        // right at the edge: delta 0.5053 * 3² ≈ 4.55 vs maxDelta 35215 t²
        let edge = |t: f64| {
            let o = ImageDiffOptions {
                threshold: t,
                ..opts()
            };
            compare_images(&a, &slight, &o).diff_pixels
        };
        assert_eq!(edge(0.011), 100);
        assert_eq!(edge(0.012), 0);
    }

    /// A Xiaolin-Wu style anti-aliased line, black on white, from (x0, y0)
    /// with the given slope.
    fn aa_line(w: u32, h: u32, x_shift: f64) -> RgbaImage {
        let mut img = solid(w, h, [255, 255, 255, 255]);
        for x in 0..w {
            let y = 3.0 + 0.37 * (f64::from(x) - x_shift);
            if y < 0.0 {
                continue;
            }
            let y0 = y.floor();
            let frac = y - y0;
            for (yy, cover) in [(y0 as u32, 1.0 - frac), (y0 as u32 + 1, frac)] {
                if yy < h {
                    let v = (255.0 * (1.0 - cover)).round() as u8;
                    img.put_pixel(x, yy, Rgba([v, v, v, 255]));
                }
            }
        }
        img
    }

    #[test]
    fn anti_aliased_edges_are_ignored_unless_included() {
        let a = aa_line(40, 24, 0.0);
        let b = aa_line(40, 24, 1.0);
        let without = compare_images(&a, &b, &with_aa(false));
        let with = compare_images(&a, &b, &with_aa(true));
        assert!(with.diff_pixels > 0);
        assert!(
            without.diff_pixels < with.diff_pixels,
            "AA detection should drop pixels: {} vs {}",
            without.diff_pixels,
            with.diff_pixels
        );
        // ignored pixels are drawn in the AA colour
        let yellow = without
            .diff_image
            .pixels()
            .filter(|p| p.0 == [255, 255, 0, 255])
            .count() as u64;
        assert_eq!(yellow, with.diff_pixels - without.diff_pixels);
    }

    #[test]
    fn different_sizes_are_compared_over_the_union_canvas() {
        let a = solid(10, 8, [40, 90, 200, 255]);
        let b = solid(12, 5, [40, 90, 200, 255]);
        let d = compare_images(&a, &b, &opts());
        assert_eq!((d.width, d.height), (12, 8));
        assert_eq!(d.total_pixels, 96);
        assert_eq!(d.size_mismatch, Some(((10, 8), (12, 5))));
        // inside exactly one image: 10*8 + 12*5 - 2 * 10*5
        assert_eq!(d.diff_pixels, 80 + 60 - 100);
        assert!(!d.matches());
        assert_eq!(d.diff_image.get_pixel(11, 0).0, [255, 0, 0, 255]);
        assert_eq!(d.diff_image.get_pixel(0, 7).0, [255, 0, 0, 255]);
        // the corner outside both images is equal (transparent in both)
        assert_eq!(d.diff_image.get_pixel(11, 7).0, [255, 255, 255, 255]);
        assert_eq!(d.diff_image.dimensions(), (12, 8));

        // even fully transparent extra content counts as a difference
        let t = solid(4, 4, [0, 0, 0, 0]);
        let t2 = solid(4, 6, [0, 0, 0, 0]);
        let d = compare_images(&t, &t2, &opts());
        assert_eq!(d.diff_pixels, 8);
        assert!(!d.matches());
    }

    /// The union of 1×20000 and 20000×1 is 400 megapixels: it used to be drawn (3 GB).
    #[test]
    fn crossed_sizes_never_draw_the_union_canvas() {
        let tall = solid(1, 20_000, [40, 90, 200, 255]);
        let wide = solid(20_000, 1, [40, 90, 200, 255]);
        let d = compare_images(&tall, &wide, &opts());
        assert_eq!((d.width, d.height), (20_000, 20_000));
        assert_eq!(d.total_pixels, 400_000_000);
        // inside exactly one image: everything but the shared top-left pixel
        assert_eq!(d.diff_pixels, 2 * 19_999);
        assert!(!d.matches());
        assert!(d.diff_image.width() as u64 * d.diff_image.height() as u64 <= 20_000);
        assert_eq!(d.diff_image.get_pixel(0, 0).0[3], 255);
        assert_eq!(d.diff_image.get_pixel(0, 19_999).0, [255, 0, 0, 255]);

        // the same counts as the union canvas on a small crossed pair
        let a = noise(3, 9, 5, |v| v);
        let b = noise(9, 3, 5, |v| v);
        let crossed = compare_images(&a, &b, &opts());
        let union = compare_on_union(&a, &b, &opts());
        assert_eq!(crossed.total_pixels, union.total_pixels);
        assert_eq!(crossed.size_mismatch, union.size_mismatch);
        assert!(crossed.diff_pixels >= 2 * (27 - 9));
    }

    #[test]
    fn degenerate_sizes_never_panic() {
        let empty = RgbaImage::new(0, 0);
        let d = compare_images(&empty, &empty, &opts());
        assert_eq!((d.diff_pixels, d.total_pixels), (0, 0));
        assert_eq!(d.similarity(), 1.0);
        assert!(d.matches());

        let one = solid(1, 1, [1, 2, 3, 255]);
        let d = compare_images(&empty, &one, &opts());
        assert_eq!((d.diff_pixels, d.total_pixels), (1, 1));
        assert!(d.size_mismatch.is_some());

        let col = noise(1, 9, 3, |v| v);
        let row = noise(9, 1, 3, |v| v); // same first pixel as `col`
        assert_eq!(compare_images(&col, &row, &opts()).diff_pixels, 16);
        let col2 = noise(1, 9, 4, |v| v);
        compare_images(&col, &col2, &opts());
        let row2 = noise(9, 1, 6, |v| v);
        compare_images(&row, &row2, &opts());
    }

    #[test]
    fn image_against_its_inverse_counts_every_pixel() {
        // channels kept away from mid-grey so that the inverse is far away
        let a = noise(64, 48, 11, |v| if v < 128 { v / 4 } else { 192 + v / 4 });
        let mut inv = a.clone();
        for p in inv.pixels_mut() {
            for c in p.0.iter_mut().take(3) {
                *c = 255 - *c;
            }
        }
        for include_aa in [false, true] {
            let d = compare_images(&a, &inv, &with_aa(include_aa));
            assert_eq!(d.diff_pixels, 64 * 48, "include_aa={include_aa}");
        }
    }

    #[test]
    fn diff_color_alt_marks_the_darker_side() {
        let a = solid(4, 1, [128, 128, 128, 255]);
        let mut b = a.clone();
        b.put_pixel(0, 0, Rgba([255, 255, 255, 255])); // actual brighter
        b.put_pixel(3, 0, Rgba([0, 0, 0, 255])); // actual darker
        let o = ImageDiffOptions {
            diff_color_alt: Some([0, 255, 0]),
            ..opts()
        };
        let d = compare_images(&a, &b, &o);
        assert_eq!(d.diff_pixels, 2);
        // pixelmatch: delta < 0 (img1 brighter, i.e. img2 darker) -> alt colour
        assert_eq!(d.diff_image.get_pixel(3, 0).0, [0, 255, 0, 255]);
        assert_eq!(d.diff_image.get_pixel(0, 0).0, [255, 0, 0, 255]);
    }

    #[test]
    fn diff_mask_leaves_unchanged_pixels_transparent() {
        let a = solid(3, 3, [10, 10, 10, 255]);
        let mut b = a.clone();
        b.put_pixel(1, 1, Rgba([250, 250, 250, 255]));
        let o = ImageDiffOptions {
            diff_mask: true,
            ..opts()
        };
        let d = compare_images(&a, &b, &o);
        assert_eq!(d.diff_pixels, 1);
        assert_eq!(d.diff_image.get_pixel(0, 0).0, [0, 0, 0, 0]);
        assert_eq!(d.diff_image.get_pixel(1, 1).0, [255, 0, 0, 255]);
    }

    #[test]
    fn masks_hide_a_difference() {
        let mut a = noise(30, 20, 1, |v| v);
        let mut b = a.clone();
        for y in 5..9 {
            for x in 10..15 {
                b.put_pixel(x, y, Rgba([0, 0, 0, 255]));
            }
        }
        assert!(compare_images(&a, &b, &opts()).diff_pixels > 0);
        let rects = [
            (10, 5, 5, 4),
            (100, 100, 5, 5),
            (28, 18, u32::MAX, u32::MAX),
        ];
        apply_masks(&mut a, &rects);
        apply_masks(&mut b, &rects);
        assert_eq!(a.get_pixel(10, 5).0, MASK_COLOR);
        assert_eq!(a.get_pixel(29, 19).0, MASK_COLOR);
        assert_ne!(a.get_pixel(9, 5).0, MASK_COLOR);
        let d = compare_images(&a, &b, &opts());
        assert_eq!(d.diff_pixels, 0);
        assert!(d.matches());
        // a zero-sized or out-of-range rectangle is a no-op
        let before = a.clone();
        apply_masks(&mut a, &[(3, 3, 0, 5), (30, 0, 1, 1)]);
        assert_eq!(a, before);
    }

    #[test]
    fn png_round_trip() {
        let mut a = noise(33, 17, 9, |v| v);
        a.put_pixel(0, 0, Rgba([1, 2, 3, 4]));
        let bytes = encode_png(&a).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let back = decode_png(&bytes).unwrap();
        assert_eq!(back, a);
        let d = compare_images(&a, &back, &opts());
        assert!(d.matches());
        let diff_png = encode_png(&d.diff_image).unwrap();
        assert_eq!(decode_png(&diff_png).unwrap(), d.diff_image);
        assert!(decode_png(b"not a png").is_err());
    }

    #[test]
    fn semi_transparent_pixels_use_pixelmatch7_background() {
        // pixelmatch 7 blends against its checkerboard pattern, not white:
        // at byte offset 0 the background is (48, 48, 48).
        let a = solid(1, 1, [48, 48, 48, 255]);
        let b = solid(1, 1, [48, 48, 48, 0]);
        assert_eq!(compare_images(&a, &b, &opts()).diff_pixels, 0);
        let w = solid(1, 1, [255, 255, 255, 255]);
        assert_eq!(compare_images(&w, &b, &opts()).diff_pixels, 1);
        assert_eq!(background(0), (48.0, 48.0, 48.0));
        assert_eq!(background(4), (48.0, 48.0, 207.0));
        assert_eq!(background(12), (48.0, 207.0, 48.0));
    }

    #[test]
    fn js_number_conversions() {
        assert_eq!(js_to_uint8(229.9), 229);
        assert_eq!(js_to_uint8(-1.5), 255);
        assert_eq!(js_to_uint8(256.0), 0);
        assert_eq!(js_to_uint8(f64::NAN), 0);
        assert_eq!(js_to_int32_nonneg(2.9), 2);
        assert_eq!(js_to_int32_nonneg(0.0), 0);
        assert_eq!(js_to_int32_nonneg(2_147_483_648.0), i32::MIN);
        assert_eq!(js_to_int32_nonneg(4_294_967_297.5), 1);
    }
}
