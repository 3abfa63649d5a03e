//! Caps on what a comparison may decode. A PNG is compressed: a few hundred bytes can
//! declare a 60000×60000 image, and decoding it (or a canvas sized from it) would take
//! gigabytes. The header is read before anything is allocated.

/// Default cap on an image's pixels: 40 megapixels (160 MB decoded), room for a
/// full-page screenshot 1280 pixels wide and 31,000 tall.
pub const DEFAULT_MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// An image larger than the configured cap.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the image is {width}×{height} ({pixels} pixels), more than the {max} allowed", pixels = *width as u64 * *height as u64)]
pub struct TooLarge {
    pub width: u32,
    pub height: u32,
    pub max: u64,
}

impl TooLarge {
    pub fn hint(&self) -> &'static str {
        "raise `[compare] max_image_pixels` in reprise.toml (or `--max-image-pixels`) if images this large are expected"
    }
}

/// The width and height a PNG declares in its header, without decoding it.
pub fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    // signature (8), IHDR length (4) and type (4), then width and height, big-endian
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Some((be(16), be(20)))
}

/// Refuses a PNG that declares more than `max` pixels. Bytes that are not a PNG pass: the
/// decoder says what is wrong with them.
pub fn check_png(bytes: &[u8], max: u64) -> Result<(), TooLarge> {
    match png_dimensions(bytes) {
        Some((width, height)) if width as u64 * height as u64 > max => {
            Err(TooLarge { width, height, max })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b
    }

    #[test]
    fn a_header_over_the_cap_is_refused_before_decoding() {
        assert_eq!(
            png_dimensions(&header(60_000, 60_000)),
            Some((60_000, 60_000))
        );
        let e = check_png(&header(60_000, 60_000), DEFAULT_MAX_IMAGE_PIXELS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the image is 60000×60000 (3600000000 pixels), more than the 40000000 allowed"
        );
        assert!(check_png(&header(1280, 800), DEFAULT_MAX_IMAGE_PIXELS).is_ok());
        assert!(check_png(b"not a png", 1).is_ok());
    }
}
