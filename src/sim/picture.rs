//! Deterministic pictures for simulated answers: the same prompt always gives the same image, made
//! of a gradient, shapes and colours chosen from the prompt's words, with the words themselves
//! written across it — so a designer can tell simulated images apart at a glance.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io::Cursor;

use base64::Engine as _;
use font8x8::UnicodeFonts as _;
use image::{ImageFormat, Rgb, RgbImage};

/// A generated image, encoded.
#[derive(Clone, Debug)]
pub struct Picture {
    /// `image/jpeg` or `image/png`.
    pub mime_type: &'static str,
    /// The encoded bytes, base64 (standard alphabet, padded), as the API sends them.
    pub base64: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Encoding failures (out of memory, mostly).
#[derive(Debug, thiserror::Error)]
#[error("The simulator could not encode its picture: {0}")]
pub struct PictureError(#[from] image::ImageError);

fn hash(text: &str, salt: u64) -> u64 {
    let mut hasher = DefaultHasher::new();
    salt.hash(&mut hasher);
    text.hash(&mut hasher);
    hasher.finish()
}

fn colour(seed: u64) -> Rgb<u8> {
    let [r, g, b, ..] = seed.to_le_bytes();
    // Keep colours away from black so text stays readable.
    Rgb([r / 2 + 96, g / 2 + 64, b / 2 + 80])
}

#[expect(
    clippy::cast_sign_loss,
    reason = "a mix of two bytes stays within 0..=255"
)]
fn blend(a: Rgb<u8>, b: Rgb<u8>, t: f32) -> Rgb<u8> {
    let mix = |x: u8, y: u8| (f32::from(x) * (1.0 - t) + f32::from(y) * t).clamp(0.0, 255.0) as u8;
    Rgb([mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2])])
}

/// Draws the picture for `prompt` at `width`×`height`.
#[expect(
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "coordinates are below the image size (at most 16384), far from the integer limits"
)]
pub fn render(prompt: &str, width: u32, height: u32, seed: u64) -> RgbImage {
    let width = width.max(8);
    let height = height.max(8);
    let top = colour(hash(prompt, seed));
    let bottom = colour(hash(prompt, seed ^ 0x9e37_79b9));
    let mut image = RgbImage::from_fn(width, height, |_, y| {
        blend(top, bottom, y as f32 / height as f32)
    });

    // One shape per word (up to 12): circles, rectangles and diamonds.
    let unit = width.min(height);
    for (index, word) in prompt.split_whitespace().take(12).enumerate() {
        let h = hash(word, seed.wrapping_add(index as u64));
        let cx = (h % u64::from(width)) as i64;
        let cy = ((h >> 16) % u64::from(height)) as i64;
        let radius = i64::from(unit / 16 + ((h >> 32) % u64::from(unit / 6 + 1)) as u32);
        let fill = colour(h.rotate_left(17));
        let shape = (h >> 48) % 3;
        let (x0, x1) = (
            (cx - radius).max(0),
            (cx + radius).min(i64::from(width) - 1),
        );
        let (y0, y1) = (
            (cy - radius).max(0),
            (cy + radius).min(i64::from(height) - 1),
        );
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x - cx, y - cy);
                let inside = match shape {
                    0 => dx * dx + dy * dy <= radius * radius,
                    1 => true,
                    _ => dx.abs() + dy.abs() <= radius,
                };
                if inside {
                    let pixel = image.get_pixel_mut(x as u32, y as u32);
                    *pixel = blend(*pixel, fill, 0.75);
                }
            }
        }
    }

    // The prompt's words, in an 8×8 bitmap font scaled to the image.
    let scale = (unit / 128).max(1);
    let line_chars = (width / (8 * scale)).saturating_sub(2).max(1) as usize;
    let mut lines: Vec<String> = vec!["SIMULATED".to_owned()];
    let mut line = String::new();
    for word in prompt.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > line_chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    let max_lines = (height / (10 * scale)).saturating_sub(1) as usize;
    for (row, text) in lines.iter().take(max_lines).enumerate() {
        let y = 8 * scale + row as u32 * 10 * scale;
        for (column, c) in text.chars().take(line_chars).enumerate() {
            let x = 8 * scale + column as u32 * 8 * scale;
            draw_char(&mut image, c, x, y, scale);
        }
    }
    image
}

fn draw_char(image: &mut RgbImage, c: char, x: u32, y: u32, scale: u32) {
    let glyph = font8x8::BASIC_FONTS
        .get(c)
        .or_else(|| font8x8::BASIC_FONTS.get('?'));
    let Some(glyph) = glyph else { return };
    for (gy, bits) in glyph.iter().enumerate() {
        for gx in 0..8u32 {
            if bits & (1 << gx) == 0 {
                continue;
            }
            for sy in 0..scale {
                for sx in 0..scale {
                    let (px, py) = (x + gx * scale + sx, y + gy as u32 * scale + sy);
                    if px < image.width() && py < image.height() {
                        image.put_pixel(px, py, Rgb([255, 255, 255]));
                    }
                }
            }
        }
    }
}

/// Renders and encodes: JPEG (quality 85) for `image/jpeg`, PNG otherwise.
pub fn encode(
    prompt: &str,
    width: u32,
    height: u32,
    seed: u64,
    mime_type: &str,
) -> Result<Picture, PictureError> {
    let image = render(prompt, width, height, seed);
    let mut bytes = Cursor::new(Vec::new());
    let mime_type = if mime_type == "image/jpeg" {
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85);
        encoder.encode_image(&image)?;
        "image/jpeg"
    } else {
        image.write_to(&mut bytes, ImageFormat::Png)?;
        "image/png"
    };
    Ok(Picture {
        mime_type,
        base64: base64::engine::general_purpose::STANDARD.encode(bytes.get_ref()),
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_prompt_same_picture_and_different_prompts_differ() {
        let a = render("a red fox in snow", 256, 144, 1);
        let b = render("a red fox in snow", 256, 144, 1);
        let c = render("a blue whale", 256, 144, 1);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Not a flat fill: many distinct colours.
        let distinct: std::collections::BTreeSet<[u8; 3]> = a.pixels().map(|p| p.0).collect();
        assert!(distinct.len() > 20, "{}", distinct.len());
    }

    #[test]
    fn encodes_jpeg_and_png_at_the_asked_size() {
        let jpeg = encode("fox", 320, 180, 7, "image/jpeg").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&jpeg.base64)
            .unwrap();
        assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF]);
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 180));

        let png = encode("fox", 64, 64, 7, "image/png").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&png.base64)
            .unwrap();
        assert_eq!(&bytes[..4], b"\x89PNG");
    }
}
