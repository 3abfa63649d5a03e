//! The PNG codec screenshots, baselines and diff images go through: the runner, `diff-images`
//! and the HTML report share it. Decoding yields 8-bit RGBA, the form [`super::image`]
//! compares; encoding picks an indexed PNG for few-colour images such as diffs.

use ::image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use ::image::{DynamicImage, ExtendedColorType, ImageEncoder, ImageError, Limits, RgbaImage};

/// Decode PNG bytes into an 8-bit RGBA image (other PNG colour types and
/// 16-bit depths are converted).
///
/// Screenshots are 8-bit RGB or RGBA: those are decoded straight into the
/// final RGBA buffer (RGB expanded in place), which saves the intermediate
/// image and its page faults, a noticeable share of a whole-process diff.
pub fn decode_png(bytes: &[u8]) -> Result<RgbaImage, ImageError> {
    // png 0.18 panics on a palette that is not whole RGB entries (found by fuzzing); such
    // a file is refused before either decoder sees it.
    if let Some(len) = palette_len(bytes) {
        if len % 3 != 0 {
            return Err(ImageError::Decoding(::image::error::DecodingError::new(
                ::image::error::ImageFormatHint::Exact(::image::ImageFormat::Png),
                format!("invalid PLTE chunk of {len} bytes (3 per colour)"),
            )));
        }
    }
    if let Some(img) = decode_png_rgba8(bytes) {
        return Ok(img);
    }
    // Anything else (grey, 16-bit) or a damaged file: the general decoder, whose errors
    // say what is wrong.
    let decoder = PngDecoder::with_limits(std::io::Cursor::new(bytes), Limits::default())?;
    // `from_decoder` allocates what the header claims without checking the limits, and the
    // RGBA copy can be four times that (found by fuzzing: a PNG of a few hundred bytes
    // aborted the process on a 16 EB allocation).
    let (w, h) = ::image::ImageDecoder::dimensions(&decoder);
    let rgba = u64::from(w).saturating_mul(u64::from(h)).saturating_mul(4);
    if rgba.max(::image::ImageDecoder::total_bytes(&decoder)) > MAX_DECODED_BYTES as u64 {
        return Err(ImageError::Limits(::image::error::LimitError::from_kind(
            ::image::error::LimitErrorKind::InsufficientMemory,
        )));
    }
    Ok(DynamicImage::from_decoder(decoder)?.into_rgba8())
}

/// The length of the PNG's `PLTE` chunk, when it has one before its pixel data.
fn palette_len(bytes: &[u8]) -> Option<usize> {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .ok()?;
    reader.info().palette.as_ref().map(|p| p.len())
}

/// The most a decoded image may take, as the `image` crate's default allocation limit.
const MAX_DECODED_BYTES: usize = 512 << 20;

/// The fast path for what screenshots are (8-bit RGB or RGBA, or a palette): decoded straight
/// into the image's buffer, an RGB row spread to RGBA while it is in cache. Whole-image
/// passes and the PNG decoder's own alpha expansion (a `memcpy` call per pixel) were each
/// about 8% of a whole `diff-images` run. `None` when the image is of another kind, is
/// interlaced, or cannot be decoded.
fn decode_png_rgba8(bytes: &[u8]) -> Option<RgbaImage> {
    // the `image` crate's default allocation limit, so both paths accept the same images
    let limits = png::Limits {
        bytes: MAX_DECODED_BYTES,
    };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().ok()?;
    let (width, height, interlaced) = {
        let info = reader.info();
        (info.width, info.height, info.interlaced)
    };
    let stride = width as usize * 4;
    let len = stride.checked_mul(height as usize)?;
    // The header alone sizes this buffer: beyond the limit, the general decoder refuses the
    // image with an error (found by fuzzing: a 390-byte PNG claiming 65535×2³¹ pixels
    // aborted the process on a 512 TB allocation).
    if len > limits.bytes {
        return None;
    }
    let mut buf = vec![0u8; len];
    match reader.output_color_type() {
        (png::ColorType::Rgba, png::BitDepth::Eight) => {
            reader.next_frame(&mut buf).ok()?;
        }
        (png::ColorType::Rgb, png::BitDepth::Eight) if !interlaced => {
            for out in buf.chunks_exact_mut(stride) {
                let row = reader.next_row().ok()??;
                rgb_row_to_rgba(row.data(), out);
            }
        }
        _ => return None,
    }
    RgbaImage::from_raw(width, height, buf)
}

/// One row of RGB pixels as opaque RGBA, four pixels (a 16-byte store) per step: twice as
/// fast as pixel by pixel.
fn rgb_row_to_rgba(rgb: &[u8], rgba: &mut [u8]) {
    let mut src = rgb.chunks_exact(12);
    let mut dst = rgba.chunks_exact_mut(16);
    for (s, d) in (&mut src).zip(&mut dst) {
        if let (Ok(s), Ok(d)) = (<&[u8; 12]>::try_from(s), <&mut [u8; 16]>::try_from(d)) {
            *d = [
                s[0], s[1], s[2], 255, s[3], s[4], s[5], 255, s[6], s[7], s[8], 255, s[9], s[10],
                s[11], 255,
            ];
        }
    }
    for (s, d) in src
        .remainder()
        .chunks_exact(3)
        .zip(dst.into_remainder().chunks_exact_mut(4))
    {
        d.copy_from_slice(&[s[0], s[1], s[2], 255]);
    }
}

/// Encode an RGBA image (typically [`ImageDiff::diff_image`]) to PNG bytes.
///
/// A diff image has few colours (the faded greys of one alpha, and the diff colours): it is
/// written as an indexed PNG, a quarter of the bytes to filter and compress and a third of
/// the file. Other images (more than 256 colours) are written as RGBA with fast deflate and
/// the `Sub` filter, which compresses flat runs nearly as well as trying every filter per row
/// in three quarters of the time. Writing the diff image is part of what `diff-images` is
/// timed on.
pub fn encode_png(img: &RgbaImage) -> Result<Vec<u8>, ImageError> {
    if let Some((palette, indices)) = index_colours(raw(img)) {
        let fast = (png::Compression::Fast, png::Filter::Sub);
        if let Ok(png) = encode_indexed(img.width(), img.height(), &palette, &indices, fast) {
            return Ok(png);
        }
    }
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub).write_image(
        raw(img),
        img.width(),
        img.height(),
        ExtendedColorType::Rgba8,
    )?;
    Ok(out)
}

/// The image's colours (in order of first appearance) and each pixel's index among them, or
/// `None` beyond 256 colours.
fn index_colours(rgba: &[u8]) -> Option<(Vec<[u8; 4]>, Vec<u8>)> {
    // colour -> index, direct-mapped on a hash of the colour; a miss searches the palette
    const SLOTS: usize = 1 << 12;
    let mut slots = vec![(0u32, 0u8, false); SLOTS];
    let mut palette: Vec<[u8; 4]> = Vec::new();
    let mut indices = vec![0u8; rgba.len() / 4];
    // most pixels repeat the one before them
    let (mut last, mut index) = (None, 0u8);
    for (dst, p) in indices.iter_mut().zip(rgba.chunks_exact(4)) {
        let c = u32::from_ne_bytes([p[0], p[1], p[2], p[3]]);
        if last != Some(c) {
            let slot = (c.wrapping_mul(0x9E37_79B1) >> 20) as usize % SLOTS;
            index = match slots[slot] {
                (sc, si, true) if sc == c => si,
                _ => {
                    let px = c.to_ne_bytes();
                    let i = match palette.iter().position(|&q| q == px) {
                        Some(i) => i,
                        None if palette.len() < 256 => {
                            palette.push(px);
                            palette.len() - 1
                        }
                        None => return None,
                    };
                    let i = u8::try_from(i).ok()?;
                    slots[slot] = (c, i, true);
                    i
                }
            };
            last = Some(c);
        }
        *dst = index;
    }
    Some((palette, indices))
}

/// Encode an image to be kept rather than timed (the HTML report's files): as
/// [`encode_png`] (indexed up to 256 colours, and RGB when opaque), unfiltered, with the
/// tightest deflate the `png` crate has. Screenshots are flat colours and repeated glyphs:
/// deflate finds those repeats in the raw rows, and any row filter (even the one chosen per
/// row for the least entropy) turns anti-aliased edges into new byte strings. On the demo's
/// all-changed report every image came out smaller unfiltered: roots 20% and patches 27%
/// smaller than with `MinEntropy`.
pub fn encode_png_small(img: &RgbaImage) -> Result<Vec<u8>, png::EncodingError> {
    let small = (png::Compression::High, png::Filter::NoFilter);
    if let Some((palette, indices)) = index_colours(raw(img)) {
        return encode_indexed(img.width(), img.height(), &palette, &indices, small);
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, img.width(), img.height());
    // an opaque image (a screenshot) loses nothing without its alpha channel
    let rgba = raw(img);
    let opaque = rgba.chunks_exact(4).all(|p| p[3] == 255);
    encoder.set_color(if opaque {
        png::ColorType::Rgb
    } else {
        png::ColorType::Rgba
    });
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(small.0);
    encoder.set_filter(small.1);
    let mut writer = encoder.write_header()?;
    if opaque {
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        writer.write_image_data(&rgb)?;
    } else {
        writer.write_image_data(rgba)?;
    }
    writer.finish()?;
    Ok(out)
}

fn encode_indexed(
    width: u32,
    height: u32,
    palette: &[[u8; 4]],
    indices: &[u8],
    (compression, filter): (png::Compression, png::Filter),
) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(
        palette
            .iter()
            .flat_map(|c| [c[0], c[1], c[2]])
            .collect::<Vec<u8>>(),
    );
    if palette.iter().any(|c| c[3] != 255) {
        encoder.set_trns(palette.iter().map(|c| c[3]).collect::<Vec<u8>>());
    }
    // (for `encode_png`: fast deflate codes runs of zeros, `Sub` turns runs of one colour
    // into them)
    encoder.set_compression(compression);
    encoder.set_filter(filter);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(indices)?;
    writer.finish()?;
    Ok(out)
}

/// The image's pixel bytes, exactly `w * h * 4` of them (an `ImageBuffer`'s
/// container may be longer).
pub fn raw(img: &RgbaImage) -> &[u8] {
    let len = img.width() as usize * img.height() as usize * 4;
    &img.as_raw()[..len]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::Rgba;

    #[test]
    fn rgb_rows_spread_to_opaque_rgba() {
        for pixels in [0usize, 1, 3, 4, 5, 8, 1279, 1280] {
            let rgb: Vec<u8> = (0..pixels * 3).map(|i| (i * 7 % 251) as u8).collect();
            let mut rgba = vec![0u8; pixels * 4];
            rgb_row_to_rgba(&rgb, &mut rgba);
            let want: Vec<u8> = rgb
                .chunks_exact(3)
                .flat_map(|c| [c[0], c[1], c[2], 255])
                .collect();
            assert_eq!(rgba, want, "{pixels} pixels");
        }
    }

    #[test]
    fn few_colour_images_round_trip_through_an_indexed_png() {
        // a diff image: faded greys, red, yellow, and a transparent corner
        let img = RgbaImage::from_fn(300, 200, |x, y| match (x + y) % 7 {
            _ if x < 5 && y < 5 => Rgba([0, 0, 0, 0]),
            0 => Rgba([255, 0, 0, 255]),
            1 => Rgba([255, 255, 0, 255]),
            k => Rgba([230 + k as u8, 230 + k as u8, 230 + k as u8, 255]),
        });
        let png = encode_png(&img).unwrap();
        assert_eq!(png[25], 3, "colour type: indexed");
        assert_eq!(decode_png(&png).unwrap(), img);
        // beyond 256 colours: RGBA, same pixels
        let many = RgbaImage::from_fn(64, 64, |x, y| Rgba([x as u8 * 4, y as u8 * 4, 7, 255]));
        let png = encode_png(&many).unwrap();
        assert_eq!(png[25], 6, "colour type: RGBA");
        assert_eq!(decode_png(&png).unwrap(), many);
    }
}
