//! Scale-on-load: an image file decoded straight to the size it is shown at (gallery thumbnails
//! and the large view). Not to be confused with shrinking a reference to send
//! (`media::shrink_reference`), which re-encodes a file to fit Gemini's inline limit.
//!
//! A JPEG is decoded with `jpeg-decoder`'s IDCT scaling at the smallest of 1/2, 1/4 and 1/8
//! whose longer side still covers the asked size (a 4096 px JPEG for a 192 px thumbnail decodes
//! at 512 px, 1/64 of the pixels), then resized to the exact size with `fast_image_resize`
//! (SIMD). PNG, WebP, a JPEG needed at more than half its size (zune-jpeg decodes full size
//! faster) and any JPEG that `jpeg-decoder` cannot take (CMYK, 16-bit, damaged) go through the
//! `image` crate, whose errors give the sentences, then the same resizer. Like the
//! `image` crate's decoders, neither applies EXIF orientation.

use std::path::Path;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbaImage;
use jpeg_decoder::PixelFormat;

use super::super::sentences::{decode_sentence, display_name, read_sentence};

/// Most bytes `jpeg-decoder` may allocate for one image: the `image` crate's default limit, so a
/// JPEG too large for one is too large for the other (and the `image` path words why).
const MAX_JPEG_DECODE_BYTES: usize = 512 * 1024 * 1024;

/// Decodes `path` (format sniffed from the bytes) to RGBA whose longer side is at most
/// `max_side_px` (keeps the aspect ratio, never enlarges). JPEGs are scaled down while decoding.
pub(super) fn decode_fitted(path: &Path, max_side_px: u32) -> Result<RgbaImage, String> {
    let name = display_name(path);
    let bytes = std::fs::read(path).map_err(|e| read_sentence(&name, &e))?;
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        && let Some(rgba) = scaled_jpeg(&bytes, max_side_px)
    {
        return Ok(rgba);
    }
    let reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| read_sentence(&name, &e))?;
    let decoded = reader.decode().map_err(|e| decode_sentence(&name, &e))?;
    Ok(fitted_decoded(decoded, max_side_px))
}

/// A decoded picture scaled down to fit `max_side_px`, as RGBA. Opaque RGB and gray pictures (most
/// PNGs Google sends) are resized in their own pixel type and widened to RGBA only at the small
/// size: a quarter or three quarters fewer bytes through the resizer, and no full-size copy.
fn fitted_decoded(decoded: image::DynamicImage, max_side_px: u32) -> RgbaImage {
    let (width, height) = (decoded.width(), decoded.height());
    let (new_width, new_height) = fit(width, height, max_side_px);
    let narrow = match &decoded {
        image::DynamicImage::ImageRgb8(rgb) => Some((rgb.as_raw(), PixelType::U8x3)),
        image::DynamicImage::ImageLuma8(gray) => Some((gray.as_raw(), PixelType::U8)),
        _ => None,
    };
    if (new_width, new_height) != (width, height)
        && let Some((pixels, pixel_type)) = narrow
        && let Some(small) = ImageRef::new(width, height, pixels, pixel_type)
            .ok()
            .and_then(|source| resized(&source, new_width, new_height))
            .and_then(|small| to_rgba(&small))
    {
        return small;
    }
    fitted_rgba(decoded.into_rgba8(), max_side_px)
}

/// The JPEG in `bytes` decoded at the smallest IDCT scale that still covers `max_side_px`, then
/// resized to fit it exactly. `None` when `jpeg-decoder` cannot decode it (the caller then asks
/// the `image` crate, which either can or says why not).
fn scaled_jpeg(bytes: &[u8], max_side_px: u32) -> Option<RgbaImage> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(MAX_JPEG_DECODE_BYTES);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let (width, height) = fit(u32::from(info.width), u32::from(info.height), max_side_px);
    // `fit` never enlarges, so both sides still fit in a JPEG's u16.
    let (scaled_width, scaled_height) = decoder
        .scale(u16::try_from(width).ok()?, u16::try_from(height).ok()?)
        .ok()?;
    if (scaled_width, scaled_height) == (info.width, info.height) {
        // No IDCT scaling applies: the `image` crate's decoder (zune-jpeg) is faster at full size.
        return None;
    }
    let pixels = decoder.decode().ok()?;
    let pixel_type = match decoder.info()?.pixel_format {
        PixelFormat::RGB24 => PixelType::U8x3,
        PixelFormat::L8 => PixelType::U8,
        PixelFormat::L16 | PixelFormat::CMYK32 => return None,
    };
    let scaled = Image::from_vec_u8(
        scaled_width.into(),
        scaled_height.into(),
        pixels,
        pixel_type,
    )
    .ok()?;
    let small = if (u32::from(scaled_width), u32::from(scaled_height)) == (width, height) {
        scaled
    } else {
        resized(&scaled, width, height)?
    };
    to_rgba(&small)
}

/// `rgba` scaled down so its longer side is at most `max_side_px` (never enlarged).
fn fitted_rgba(rgba: RgbaImage, max_side_px: u32) -> RgbaImage {
    let (width, height) = rgba.dimensions();
    let (new_width, new_height) = fit(width, height, max_side_px);
    if (new_width, new_height) == (width, height) {
        rgba
    } else {
        resized_rgba(&rgba, new_width, new_height)
    }
}

/// `rgba` resized to `width`×`height` with the SIMD resizer.
pub(super) fn resized_rgba(rgba: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    let (source_width, source_height) = rgba.dimensions();
    ImageRef::new(source_width, source_height, rgba.as_raw(), PixelType::U8x4)
        .ok()
        .and_then(|source| resized(&source, width, height))
        .and_then(|small| RgbaImage::from_raw(width, height, small.into_vec()))
        // Unreachable (the buffer always matches its size); the plain resize keeps it correct.
        .unwrap_or_else(|| image::imageops::thumbnail(rgba, width, height))
}

/// `source` resized to `width`×`height` (Lanczos3, SIMD; alpha-aware for RGBA).
fn resized(
    source: &impl fast_image_resize::IntoImageView,
    width: u32,
    height: u32,
) -> Option<Image<'static>> {
    let mut small = Image::new(width, height, source.pixel_type()?);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new().resize(source, &mut small, &options).ok()?;
    Some(small)
}

/// Gray or RGB pixels as opaque RGBA.
fn to_rgba(image: &Image<'_>) -> Option<RgbaImage> {
    let mut rgba = Vec::with_capacity(image.width() as usize * image.height() as usize * 4);
    match image.pixel_type() {
        PixelType::U8x3 => {
            for pixel in image.buffer().chunks_exact(3) {
                rgba.extend_from_slice(&[pixel[0], pixel[1], pixel[2], u8::MAX]);
            }
        }
        PixelType::U8 => {
            for &gray in image.buffer() {
                rgba.extend_from_slice(&[gray, gray, gray, u8::MAX]);
            }
        }
        _ => return None,
    }
    RgbaImage::from_raw(image.width(), image.height(), rgba)
}

/// Size of `width`×`height` scaled down so the longer side is `max_side_px` (keeps the aspect ratio,
/// rounds, never below 1 px). Unchanged when it already fits.
pub(super) fn fit(width: u32, height: u32, max_side_px: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= max_side_px || longer == 0 {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(max_side_px) + u64::from(longer) / 2) / u64::from(longer);
        u32::try_from(scaled).unwrap_or(max_side_px).max(1)
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_jpeg(path: &Path, width: u32, height: u32) {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        image.save(path).unwrap();
    }

    #[test]
    fn a_big_jpeg_scales_on_load_to_the_exact_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jpg");
        write_jpeg(&path, 2048, 1024);
        let bytes = std::fs::read(&path).unwrap();

        let small = scaled_jpeg(&bytes, 192).unwrap();

        assert_eq!(small.dimensions(), (192, 96));
        assert_eq!(decode_fitted(&path, 192).unwrap().dimensions(), (192, 96));
        // The picture keeps its colours (blue is 128 everywhere).
        let pixel = small.get_pixel(10, 48);
        assert!(pixel[2].abs_diff(128) < 12, "{pixel:?}");
        assert_eq!(pixel[3], u8::MAX);
        // Needed at more than half its size, the JPEG goes the full-size path, to the same size.
        assert!(scaled_jpeg(&bytes, 1500).is_none());
        assert_eq!(
            decode_fitted(&path, 1500).unwrap().dimensions(),
            (1500, 750)
        );
    }

    #[test]
    fn a_gray_jpeg_and_a_png_with_alpha_scale_too() {
        let dir = tempfile::tempdir().unwrap();
        let gray = dir.path().join("gray.jpg");
        image::GrayImage::from_pixel(800, 400, image::Luma([200]))
            .save(&gray)
            .unwrap();
        let clear = dir.path().join("clear.png");
        image::RgbaImage::from_pixel(300, 600, image::Rgba([10, 20, 30, 0]))
            .save(&clear)
            .unwrap();

        let gray = decode_fitted(&gray, 100).unwrap();
        assert_eq!(gray.dimensions(), (100, 50));
        assert!(gray.get_pixel(50, 25)[0].abs_diff(200) < 4);
        let clear = decode_fitted(&clear, 100).unwrap();
        assert_eq!(clear.dimensions(), (50, 100));
        assert_eq!(clear.get_pixel(25, 50)[3], 0);
    }

    #[test]
    fn rgb_and_gray_pngs_scale_in_their_own_pixel_type_to_opaque_rgba() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = dir.path().join("rgb.png");
        image::RgbImage::from_fn(900, 300, |x, _| {
            image::Rgb(if x < 450 {
                [250, 10, 10]
            } else {
                [10, 10, 250]
            })
        })
        .save(&rgb)
        .unwrap();
        let gray = dir.path().join("gray.png");
        image::GrayImage::from_pixel(200, 400, image::Luma([90]))
            .save(&gray)
            .unwrap();

        let rgb = decode_fitted(&rgb, 90).unwrap();
        assert_eq!(rgb.dimensions(), (90, 30));
        assert_eq!(*rgb.get_pixel(5, 15), image::Rgba([250, 10, 10, 255]));
        assert_eq!(*rgb.get_pixel(85, 15), image::Rgba([10, 10, 250, 255]));
        let gray = decode_fitted(&gray, 100).unwrap();
        assert_eq!(gray.dimensions(), (50, 100));
        assert_eq!(*gray.get_pixel(25, 50), image::Rgba([90, 90, 90, 255]));
    }

    #[test]
    fn a_damaged_jpeg_is_worded_by_the_image_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.jpg");
        std::fs::write(&path, [0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2]).unwrap();

        let message = decode_fitted(&path, 192).unwrap_err();

        assert!(
            message.starts_with("Could not read broken.jpg"),
            "{message}"
        );
    }
}
