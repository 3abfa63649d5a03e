//! The kind of a visual difference, read from the two screenshots a checkpoint compared: which
//! colours turned into which (a recolouring), and where the other differing pixels lie (the
//! shape of the changed regions). Two checkpoints whose screenshots changed the same way get
//! the same description, whatever else their pages show, so one decision can cover both.

use image::RgbaImage;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Side of the square cells the differing pixels are binned into to find regions: coarse
/// enough that the glyphs of one changed word make one region, fine enough that a header and
/// a button far below it stay apart.
const CELL: u32 = 16;

/// Distinct (old, new) colour pairs counted; past it, further new pairs are only counted as
/// differing pixels, so a changed photo cannot grow the table to millions of entries.
const MAX_PAIRS: usize = 65_536;

/// At most this many recolourings are named per checkpoint.
const MAX_RECOLOURS: usize = 4;

/// One colour of the baseline that became another in the replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recolour {
    /// `#rrggbb` in the baseline.
    pub from: String,
    /// `#rrggbb` in the replay.
    pub to: String,
    /// Differing pixels that made exactly this change.
    pub pixels: u64,
}

/// What kind of visual difference a checkpoint shows (`visual_change` in the JSON report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VisualChange {
    /// Pixels whose colour differs at all (exact comparison, before pixelmatch's threshold).
    pub pixels: u64,
    /// Colour pairs that recolour part of the page, most pixels first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recolours: Vec<Recolour>,
    /// Regions of differing pixels (16-pixel cells that touch form one region).
    pub regions: u32,
    /// The largest region's size and form: `small|medium|large` and `wide|tall|block`, or
    /// `resized` when the screenshots differ in size.
    pub shape: String,
}

fn hex(rgb: u32) -> String {
    format!("#{rgb:06x}")
}

/// Reads the kind of difference between two screenshots (over the area both cover). Cost:
/// one pass over the pixels, a hash lookup per differing pixel.
pub fn analyze(expected: &RgbaImage, actual: &RgbaImage) -> VisualChange {
    let (w, h) = (
        expected.width().min(actual.width()),
        expected.height().min(actual.height()),
    );
    let (ew, aw) = (expected.width() as usize, actual.width() as usize);
    let (eraw, araw) = (expected.as_raw(), actual.as_raw());
    let (cols, rows) = (w.div_ceil(CELL) as usize, h.div_ceil(CELL) as usize);
    let mut cells = vec![false; cols * rows];
    let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
    let mut total = 0u64;
    let rgb = |p: &[u8]| (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2]);
    for y in 0..h as usize {
        let er = &eraw[y * ew * 4..(y * ew + w as usize) * 4];
        let ar = &araw[y * aw * 4..(y * aw + w as usize) * 4];
        if er == ar {
            continue;
        }
        for (x, (a, b)) in er.chunks_exact(4).zip(ar.chunks_exact(4)).enumerate() {
            if a == b {
                continue;
            }
            total += 1;
            cells[(y / CELL as usize) * cols + x / CELL as usize] = true;
            let key = (rgb(a), rgb(b));
            if let Some(n) = pairs.get_mut(&key) {
                *n += 1;
            } else if pairs.len() < MAX_PAIRS {
                pairs.insert(key, 1);
            }
        }
    }
    let resized = expected.dimensions() != actual.dimensions();
    let (regions, largest) = regions(&cells, cols, rows);
    let shape = if resized {
        "resized".to_string()
    } else if let Some((cw, ch)) = largest {
        let (pw, ph) = (cw * CELL as u64, ch * CELL as u64);
        let share = (pw * ph) as f64 / (u64::from(w) * u64::from(h)).max(1) as f64;
        let size = if share < 0.005 {
            "small"
        } else if share < 0.1 {
            "medium"
        } else {
            "large"
        };
        let form = if pw >= 3 * ph {
            "wide"
        } else if ph >= 3 * pw {
            "tall"
        } else {
            "block"
        };
        format!("{size} {form}")
    } else {
        String::new()
    };
    VisualChange {
        pixels: total,
        recolours: recolours(&pairs, total),
        regions,
        shape,
    }
}

/// The colour pairs that are a recolouring: each makes up a fair share of the differing
/// pixels, most differing pixels of its old colour take its new colour, and the opposite
/// change is rare (text or a box that moved swaps two colours both ways; a recolouring does
/// not).
fn recolours(pairs: &HashMap<(u32, u32), u64>, total: u64) -> Vec<Recolour> {
    let mut from_total: HashMap<u32, u64> = HashMap::new();
    for (&(from, _), &n) in pairs {
        *from_total.entry(from).or_default() += n;
    }
    let floor = (total / 20).max(32);
    let mut out: Vec<(u64, u32, u32)> = pairs
        .iter()
        .filter(|&(&(from, to), &n)| {
            let consistent = n as f64 >= 0.8 * from_total[&from] as f64;
            let swapped = pairs.get(&(to, from)).copied().unwrap_or(0);
            n >= floor && consistent && swapped * 4 < n
        })
        .map(|(&(from, to), &n)| (n, from, to))
        .collect();
    // Most pixels first; ties broken by the colours, so the order never depends on hashing.
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    out.truncate(MAX_RECOLOURS);
    out.into_iter()
        .map(|(pixels, from, to)| Recolour {
            from: hex(from),
            to: hex(to),
            pixels,
        })
        .collect()
}

/// Connected regions of marked cells (4-neighbours); their count, and the largest one's
/// bounding box in cells.
fn regions(cells: &[bool], cols: usize, rows: usize) -> (u32, Option<(u64, u64)>) {
    let mut seen = vec![false; cells.len()];
    let mut count = 0u32;
    let mut best: Option<(usize, (u64, u64))> = None;
    let mut stack = Vec::new();
    for start in 0..cells.len() {
        if !cells[start] || seen[start] {
            continue;
        }
        count += 1;
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let mut size = 0usize;
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % cols, i / cols);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            let mut visit = |j: usize| {
                if cells[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < cols {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - cols);
            }
            if y + 1 < rows {
                visit(i + cols);
            }
        }
        let bbox = ((x1 - x0 + 1) as u64, (y1 - y0 + 1) as u64);
        if best.is_none_or(|(s, _)| size > s) {
            best = Some((size, bbox));
        }
    }
    (count, best.map(|(_, b)| b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn page(header: [u8; 3], text_at: u32) -> RgbaImage {
        let mut img = RgbaImage::from_pixel(200, 300, Rgba([255, 255, 255, 255]));
        for y in 0..40 {
            for x in 0..200 {
                img.put_pixel(x, y, Rgba([header[0], header[1], header[2], 255]));
            }
        }
        // Some "text" below the header.
        for y in 100..110 {
            for x in (text_at..text_at + 60).step_by(3) {
                img.put_pixel(x, y, Rgba([0, 0, 0, 255]));
            }
        }
        img
    }

    #[test]
    fn a_recoloured_header_is_named_by_its_colours() {
        let v = analyze(&page([0x2b, 0x1f, 0x19], 20), &page([0x1d, 0x4e, 0xd8], 20));
        assert_eq!(v.pixels, 200 * 40);
        assert_eq!(
            v.recolours,
            vec![Recolour {
                from: "#2b1f19".into(),
                to: "#1d4ed8".into(),
                pixels: 8000
            }]
        );
        assert_eq!(v.regions, 1);
        assert_eq!(v.shape, "large wide");
    }

    #[test]
    fn moved_text_is_not_a_recolouring() {
        let v = analyze(&page([0, 0, 0], 20), &page([0, 0, 0], 21));
        assert!(v.pixels > 0);
        assert!(v.recolours.is_empty(), "{v:?}");
        assert_eq!(v.regions, 1);
        assert_eq!(v.shape, "medium wide");
    }

    #[test]
    fn equal_images_and_resized_ones() {
        let a = page([1, 2, 3], 20);
        assert_eq!(analyze(&a, &a), VisualChange::default());
        let b = RgbaImage::from_pixel(200, 310, Rgba([255, 255, 255, 255]));
        assert_eq!(analyze(&a, &b).shape, "resized");
    }
}
