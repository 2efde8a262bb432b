//! A reference too large to send, shrunk to one that fits: decoded, scaled so its long side is
//! at most [`SHRINK_LONG_SIDE_PX`] (never enlarged), and encoded as JPEG at the highest quality
//! that keeps it within Gemini's inline limit ([`MAX_REFERENCE_BYTES`]). The window's Shrink
//! button and `peel generate --shrink-refs` both use it. CPU work over megabytes: call it off
//! the UI thread and off the async threads.

use std::io::Read as _;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;

use crate::job::reference_check::{MAX_REFERENCE_BYTES, SHRINK_LONG_SIDE_PX, megabytes};

/// Largest file Peel reads to shrink (a 100-megapixel camera PNG is under this).
pub const MAX_SHRINK_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// JPEG qualities tried in turn until the result fits.
const QUALITIES: [u8; 4] = [90, 82, 72, 60];

/// Reads the image at `path` (at most [`MAX_SHRINK_INPUT_BYTES`]) and shrinks it
/// ([`shrink_bytes`]); `name` is how sentences call it.
pub fn shrink_file(path: &Path, name: &str) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path)
        .map_err(|error| format!("Could not read {name} to shrink it: {error}."))?;
    let mut bytes = Vec::new();
    file.take(MAX_SHRINK_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("Could not read {name} to shrink it: {error}."))?;
    if bytes.len() as u64 > MAX_SHRINK_INPUT_BYTES {
        return Err(format!(
            "{name} is over {}, more than Peel reads to shrink. Export a smaller JPEG from your \
             image editor.",
            megabytes(MAX_SHRINK_INPUT_BYTES)
        ));
    }
    shrink_bytes(&bytes, name)
}

/// `bytes` (PNG, JPEG or WebP) as a JPEG whose long side is at most [`SHRINK_LONG_SIDE_PX`] and
/// whose size is within [`MAX_REFERENCE_BYTES`].
pub fn shrink_bytes(bytes: &[u8], name: &str) -> Result<Vec<u8>, String> {
    let image = image::load_from_memory(bytes).map_err(|error| {
        format!("Peel could not decode {name} to shrink it ({error}). Export a smaller JPEG from your image editor.")
    })?;
    shrink_image(&image, name)
}

/// Decoded pixels as a JPEG whose long side is at most [`SHRINK_LONG_SIDE_PX`] and whose size is
/// within [`MAX_REFERENCE_BYTES`]. Only the scaled-down copy is made, never a full-size one.
pub fn shrink_image(image: &image::DynamicImage, name: &str) -> Result<Vec<u8>, String> {
    let rgb = if image.width().max(image.height()) > SHRINK_LONG_SIDE_PX {
        image
            .resize(
                SHRINK_LONG_SIDE_PX,
                SHRINK_LONG_SIDE_PX,
                FilterType::Triangle,
            )
            .into_rgb8()
    } else {
        image.to_rgb8()
    };
    let mut last_size = 0;
    for quality in QUALITIES {
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, quality)
            .encode_image(&rgb)
            .map_err(|error| format!("Peel could not encode {name} as JPEG ({error})."))?;
        if jpeg.len() as u64 <= MAX_REFERENCE_BYTES {
            return Ok(jpeg);
        }
        last_size = jpeg.len() as u64;
    }
    Err(format!(
        "{name} is still {} as a {SHRINK_LONG_SIDE_PX} px JPEG, over the {} Gemini takes. Crop \
         it, or export a smaller JPEG from your image editor.",
        megabytes(last_size),
        megabytes(MAX_REFERENCE_BYTES)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_png_becomes_a_2048_px_jpeg_within_the_limit() {
        // Noise compresses badly: a 3000 x 2400 noisy PNG is well over 7 MB.
        let mut seed = 7_u32;
        let noisy = image::RgbImage::from_fn(3000, 2400, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        });
        let mut png = Vec::new();
        noisy
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(png.len() as u64 > MAX_REFERENCE_BYTES, "{}", png.len());
        let jpeg = shrink_bytes(&png, "noise.png").unwrap();
        assert!(jpeg.len() as u64 <= MAX_REFERENCE_BYTES);
        let shrunk = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((shrunk.width(), shrunk.height()), (2048, 1638));
        assert_eq!(
            image::guess_format(&jpeg).unwrap(),
            image::ImageFormat::Jpeg
        );
    }

    #[test]
    fn what_cannot_be_decoded_says_so() {
        let message = shrink_bytes(b"\x89PNG\r\n\x1a\nbroken", "broken.png").unwrap_err();
        assert!(message.contains("could not decode broken.png"), "{message}");
    }
}
