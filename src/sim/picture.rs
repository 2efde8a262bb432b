//! Deterministic pictures for simulated answers, with the weight of real ones. The same prompt,
//! seed and size always give the same bytes: a landscape (sky, sun, clouds, hills, textured
//! ground, one shaded object per word) whose colours come from the prompt, film grain over every
//! pixel, and the words "SIMULATED" and the prompt written across it, so a designer tells a
//! simulated image apart at a glance.
//!
//! The grain is what makes the size real: a 4096x4096 JPEG is megabytes, as Nano Banana Pro's
//! are, not the half megabyte a flat gradient weighs. Peel's own code is built unoptimised in
//! tests, so the work per pixel is kept to whole-row operations: the scene is drawn at one
//! eighth of the size and stretched, and the grain is a small pool of `fill_bytes` noise laid
//! over each row at a shifting offset. Encoded pictures are kept in a small cache bounded by
//! bytes ([`encode_cached`]), so repeated requests do not encode again.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use base64::Engine as _;
use font8x8::UnicodeFonts as _;
use image::RgbImage;
use rand::rngs::StdRng;
use rand::{RngCore as _, SeedableRng as _};

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

/// JPEG quality of simulated answers (Google's own JPEGs are high quality).
pub const JPEG_QUALITY: u8 = 90;
/// The scene is drawn on a grid about this many points along the long side, then stretched:
/// every size shows the same scene, and drawing it costs the same at 1K and at 4K.
const GRID_POINTS: usize = 400;
/// Side of the lattice the value noise samples (a power of two).
const LATTICE: usize = 256;

fn hash(text: &str, salt: u64) -> u64 {
    let mut hasher = DefaultHasher::new();
    salt.hash(&mut hasher);
    text.hash(&mut hasher);
    hasher.finish()
}

/// A colour as three floats in 0..=255.
type Colour = [f32; 3];

fn colour(seed: u64, floor: f32, span: f32) -> Colour {
    let [r, g, b, ..] = seed.to_le_bytes();
    [
        floor + span * f32::from(r) / 255.0,
        floor + span * f32::from(g) / 255.0,
        floor + span * f32::from(b) / 255.0,
    ]
}

fn mix(a: Colour, b: Colour, t: f32) -> Colour {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn scale(a: Colour, k: f32) -> Colour {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Smooth value noise over a wrapping lattice of random values, summed over octaves (0..1).
struct Noise {
    lattice: Vec<f32>,
}

impl Noise {
    fn new(seed: u64) -> Self {
        let mut bytes = vec![0u8; LATTICE * LATTICE];
        StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
        Self {
            lattice: bytes.iter().map(|b| f32::from(*b) / 255.0).collect(),
        }
    }

    #[expect(
        clippy::cast_sign_loss,
        reason = "the lattice wraps; negative coordinates are cast through i64 first"
    )]
    fn at(&self, x: f32, y: f32) -> f32 {
        let (fx, fy) = (x.floor(), y.floor());
        let (tx, ty) = (x - fx, y - fy);
        let (tx, ty) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
        let ix = (fx as i64 as usize) & (LATTICE - 1);
        let iy = (fy as i64 as usize) & (LATTICE - 1);
        let (jx, jy) = ((ix + 1) & (LATTICE - 1), (iy + 1) & (LATTICE - 1));
        let l = &self.lattice;
        let top = l[iy * LATTICE + ix] + (l[iy * LATTICE + jx] - l[iy * LATTICE + ix]) * tx;
        let bottom = l[jy * LATTICE + ix] + (l[jy * LATTICE + jx] - l[jy * LATTICE + ix]) * tx;
        top + (bottom - top) * ty
    }

    fn fbm(&self, x: f32, y: f32, octaves: u32) -> f32 {
        let (mut sum, mut weight, mut total, mut frequency) = (0.0, 1.0, 0.0, 1.0);
        for octave in 0..octaves {
            let shift = octave as f32 * 17.3;
            sum += self.at(x * frequency + shift, y * frequency - shift) * weight;
            total += weight;
            weight *= 0.5;
            frequency *= 2.03;
        }
        sum / total
    }
}

/// What the prompt's words put in the scene.
struct Scene {
    sky_top: Colour,
    sky_horizon: Colour,
    sun: Colour,
    sun_at: (f32, f32),
    cloud: Colour,
    ground_far: Colour,
    ground_near: Colour,
    objects: Vec<Object>,
    noise: Noise,
    aspect: f32,
}

/// A shaded shape for one word.
struct Object {
    centre: (f32, f32),
    radius: f32,
    shape: u64,
    fill: Colour,
}

impl Scene {
    fn new(prompt: &str, seed: u64, aspect: f32) -> Self {
        let base = hash(prompt, seed);
        let objects = prompt
            .split_whitespace()
            .take(12)
            .enumerate()
            .map(|(index, word)| {
                let h = hash(word, seed.wrapping_add(index as u64));
                let unit = |shift: u32| ((h >> shift) & 0xffff) as f32 / 65535.0;
                Object {
                    centre: (0.08 + 0.84 * unit(0), 0.35 + 0.55 * unit(16)),
                    radius: 0.04 + 0.12 * unit(32),
                    shape: (h >> 48) % 3,
                    fill: colour(h.rotate_left(17), 40.0, 200.0),
                }
            })
            .collect();
        Self {
            sky_top: colour(base, 20.0, 120.0),
            sky_horizon: colour(base.rotate_left(11), 120.0, 135.0),
            sun: colour(base.rotate_left(23), 200.0, 55.0),
            sun_at: (
                0.15 + 0.7 * ((base >> 40) & 0xff) as f32 / 255.0,
                0.12 + 0.3 * ((base >> 48) & 0xff) as f32 / 255.0,
            ),
            cloud: colour(base.rotate_left(31), 190.0, 65.0),
            ground_far: colour(base.rotate_left(37), 40.0, 110.0),
            ground_near: colour(base.rotate_left(47), 15.0, 90.0),
            objects,
            noise: Noise::new(base),
            aspect,
        }
    }

    /// Height of the horizon (0 = top) at `x` (0..1).
    fn horizon(&self, x: f32) -> f32 {
        0.5 + 0.12 * (self.noise.fbm(x * 3.0, 7.5, 3) - 0.5) * 2.0
            + 0.03 * (self.noise.fbm(x * 17.0, 3.1, 2) - 0.5)
    }

    /// The colour at (x, y), both in 0..1, below the horizon at `horizon` (see [`Scene::horizon`]).
    fn at(&self, x: f32, y: f32, horizon: f32) -> Colour {
        let ax = x * self.aspect;
        let mut colour = if y < horizon {
            let t = (y / horizon).powf(0.8);
            let mut sky = mix(self.sky_top, self.sky_horizon, t);
            let (dx, dy) = ((x - self.sun_at.0) * self.aspect, y - self.sun_at.1);
            let glow = (-(dx * dx + dy * dy).sqrt() * 7.0).exp();
            sky = mix(sky, self.sun, glow.min(1.0));
            let cloud = self.noise.fbm(ax * 3.0, y * 9.0, 4);
            let cover = smoothstep(0.5, 0.78, cloud) * (1.0 - t * 0.6);
            let shade = 0.75 + 0.5 * (self.noise.fbm(ax * 11.0, y * 23.0, 2) - 0.5);
            mix(sky, scale(self.cloud, shade), cover)
        } else {
            let t = ((y - horizon) / (1.0 - horizon).max(0.01)).clamp(0.0, 1.0);
            let ground = mix(self.ground_far, self.ground_near, t.sqrt());
            // Fields and furrows: coarse patches, then fine texture that grows towards the viewer.
            let patches = self.noise.fbm(ax * 5.0, y * 14.0, 3);
            let furrows = self
                .noise
                .fbm(ax * (20.0 + 60.0 * t), y * (40.0 + 90.0 * t), 2);
            scale(ground, 0.55 + 0.6 * patches + 0.35 * (furrows - 0.5))
        };
        for object in &self.objects {
            let (dx, dy) = (
                (x - object.centre.0) * self.aspect / object.radius,
                (y - object.centre.1) / object.radius,
            );
            if dx.abs() > 1.0 || dy.abs() > 1.0 {
                continue;
            }
            let inside = match object.shape {
                0 => (dx * dx + dy * dy).sqrt(),
                1 => dx.abs().max(dy.abs()),
                _ => dx.abs() + dy.abs(),
            };
            if inside < 1.0 {
                // Lit from the sun's side, with a soft edge.
                let light = 0.6 + 0.4 * (-dx * 0.5 - dy * 0.7).clamp(-1.0, 1.0);
                let grain = 0.85 + 0.3 * self.noise.fbm(ax * 31.0, y * 31.0, 2);
                let edge = smoothstep(1.0, 0.9, inside);
                colour = mix(colour, scale(object.fill, light * grain), edge * 0.92);
            }
        }
        // Vignette, as a lens makes.
        let (vx, vy) = (x - 0.5, y - 0.5);
        scale(colour, 1.0 - 0.45 * (vx * vx + vy * vy))
    }
}

/// The brightest value the scene uses, leaving room for the grain added on top.
const SCENE_MAX: f32 = 255.0 - Grain::MAX as f32;

#[expect(
    clippy::cast_sign_loss,
    reason = "the value is clamped to 0..=SCENE_MAX first"
)]
fn to_byte(value: f32) -> u8 {
    (value * (SCENE_MAX / 255.0)).clamp(0.0, SCENE_MAX) as u8
}

/// Pixels between two points of the coarse grid for an image of this size.
fn cell_px(width: usize, height: usize) -> usize {
    width.max(height).div_ceil(GRID_POINTS).max(2)
}

/// The scene on a coarse grid: `(columns, rows, rgb bytes)`, one point every `cell` pixels.
fn coarse_scene(
    prompt: &str,
    seed: u64,
    width: usize,
    height: usize,
    cell: usize,
) -> (usize, usize, Vec<u8>) {
    let columns = width.div_ceil(cell) + 1;
    let rows = height.div_ceil(cell) + 1;
    let scene = Scene::new(prompt, seed, width as f32 / height as f32);
    let horizons: Vec<f32> = (0..columns)
        .map(|column| scene.horizon((column * cell) as f32 / width as f32))
        .collect();
    let mut points = vec![0u8; columns * rows * 3];
    for row in 0..rows {
        let y = (row * cell) as f32 / height as f32;
        for (column, horizon) in horizons.iter().enumerate() {
            let x = (column * cell) as f32 / width as f32;
            let at = (row * columns + column) * 3;
            for (channel, value) in scene.at(x, y, *horizon).into_iter().enumerate() {
                points[at + channel] = to_byte(value);
            }
        }
    }
    (columns, rows, points)
}

/// Weights (out of 256) of the upper and lower (or left and right) grid point at `t` pixels past
/// the first of two points `cell` pixels apart. A shift by 8 then replaces a division, which an
/// unoptimised build pays dearly for in a loop over every byte.
fn weights(t: usize, cell: usize) -> (u16, u16) {
    let second = (t * 256 / cell) as u16;
    (256 - second, second)
}

/// One coarse row stretched to the full width (linear between grid points).
fn stretch_row(points: &[u8], row: usize, columns: usize, cell: usize, out: &mut [u8]) {
    let base = row * columns * 3;
    let width = out.len() / 3;
    let mut x = 0;
    while x < width {
        let left = base + (x / cell) * 3;
        let (wa, wb) = weights(x % cell, cell);
        for channel in 0..3 {
            let (a, b) = (
                u16::from(points[left + channel]),
                u16::from(points[left + 3 + channel]),
            );
            out[x * 3 + channel] = ((a * wa + b * wb) >> 8) as u8;
        }
        x += 1;
    }
}

/// Film grain: noise shared by the three channels of a pixel (luminance) plus a little colour
/// noise, in a pool a few rows long that each row reads at its own offset.
struct Grain {
    pool: Vec<u8>,
    offsets: Vec<usize>,
    row_len: usize,
}

impl Grain {
    /// Bits of luminance grain (per pixel) and of colour grain (per channel).
    const LUMA_MASK: u8 = 0x1f;
    const CHROMA_MASK: u8 = 0x07;
    /// The largest grain value.
    const MAX: u8 = Self::LUMA_MASK | Self::CHROMA_MASK;

    fn new(seed: u64, width: usize) -> Self {
        let row_len = width * 3;
        let pool_pixels = width * 4 + 4099;
        let mut rng = StdRng::seed_from_u64(seed ^ 0x6772_6169_6e00_0000);
        let mut luma = vec![0u8; pool_pixels];
        let mut chroma = vec![0u8; pool_pixels * 3];
        rng.fill_bytes(&mut luma);
        rng.fill_bytes(&mut chroma);
        let mut pool = chroma;
        let mut pixel = 0;
        while pixel < pool_pixels {
            let l = luma[pixel] & Self::LUMA_MASK;
            pool[pixel * 3] = (pool[pixel * 3] & Self::CHROMA_MASK) ^ l;
            pool[pixel * 3 + 1] = (pool[pixel * 3 + 1] & Self::CHROMA_MASK) ^ l;
            pool[pixel * 3 + 2] = (pool[pixel * 3 + 2] & Self::CHROMA_MASK) ^ l;
            pixel += 1;
        }
        let mut offset_bytes = vec![0u8; 4096 * 4];
        rng.fill_bytes(&mut offset_bytes);
        let spare_pixels = pool_pixels - width;
        let offsets = offset_bytes
            .chunks_exact(4)
            .map(|b| {
                let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                (n % spare_pixels) * 3
            })
            .collect();
        Self {
            pool,
            offsets,
            row_len,
        }
    }

    /// The grain for row `y`.
    fn row(&self, y: usize) -> &[u8] {
        let offset = self.offsets[y % self.offsets.len()];
        &self.pool[offset..offset + self.row_len]
    }
}

/// Draws the picture for `prompt` at `width`×`height`.
#[expect(
    clippy::cast_lossless,
    reason = "`u16::from` is a function call in unoptimised builds, in a loop over every byte"
)]
pub fn render(prompt: &str, width: u32, height: u32, seed: u64) -> RgbImage {
    let (width, height) = (width.max(8) as usize, height.max(8) as usize);
    let cell_px = cell_px(width, height);
    let (columns, rows, points) = coarse_scene(prompt, seed, width, height, cell_px);
    let row_len = width * 3;
    let mut stretched = vec![0u8; rows * row_len];
    for row in 0..rows {
        stretch_row(
            &points,
            row,
            columns,
            cell_px,
            &mut stretched[row * row_len..(row + 1) * row_len],
        );
    }
    let grain = Grain::new(hash(prompt, seed), width);
    let mut pixels = vec![0u8; height * row_len];
    for y in 0..height {
        let upper = y / cell_px;
        let (wa, wb) = weights(y % cell_px, cell_px);
        let above = &stretched[upper * row_len..(upper + 1) * row_len];
        let below = &stretched[(upper + 1) * row_len..(upper + 2) * row_len];
        let noise = grain.row(y);
        let out = &mut pixels[y * row_len..(y + 1) * row_len];
        let mut i = 0;
        while i < row_len {
            let value = (above[i] as u16 * wa + below[i] as u16 * wb) >> 8;
            // At most SCENE_MAX + Grain::MAX = 255: no overflow, no clamping.
            out[i] = value as u8 + noise[i];
            i += 1;
        }
    }
    let mut image = RgbImage::from_raw(width as u32, height as u32, pixels)
        .unwrap_or_else(|| RgbImage::new(width as u32, height as u32));
    write_words(&mut image, prompt);
    image
}

/// "SIMULATED" and the prompt's words, in an 8×8 bitmap font scaled to the image, white with a
/// dark shadow so they stay legible over any part of the scene.
fn write_words(image: &mut RgbImage, prompt: &str) {
    let (width, height) = (image.width(), image.height());
    let unit = width.min(height);
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
    let shadow = (scale / 4).max(1);
    for (row, text) in lines.iter().take(max_lines).enumerate() {
        let y = 8 * scale + row as u32 * 10 * scale;
        for (column, c) in text.chars().take(line_chars).enumerate() {
            let x = 8 * scale + column as u32 * 8 * scale;
            draw_char(image, c, x + shadow, y + shadow, scale, 16);
            draw_char(image, c, x, y, scale, 255);
        }
    }
}

fn draw_char(image: &mut RgbImage, c: char, x: u32, y: u32, scale: u32, value: u8) {
    let glyph = font8x8::BASIC_FONTS
        .get(c)
        .or_else(|| font8x8::BASIC_FONTS.get('?'));
    let Some(glyph) = glyph else { return };
    let (width, height) = (image.width() as usize, image.height() as usize);
    let scale = scale as usize;
    let pixels: &mut [u8] = image;
    for (gy, bits) in glyph.iter().enumerate() {
        for gx in 0..8usize {
            if bits & (1 << gx) == 0 {
                continue;
            }
            let left = x as usize + gx * scale;
            let right = (left + scale).min(width);
            if left >= right {
                continue;
            }
            for sy in 0..scale {
                let py = y as usize + gy * scale + sy;
                if py >= height {
                    break;
                }
                pixels[(py * width + left) * 3..(py * width + right) * 3].fill(value);
            }
        }
    }
}

/// Renders and encodes: JPEG (quality [`JPEG_QUALITY`]) for `image/jpeg`, PNG otherwise.
pub fn encode(
    prompt: &str,
    width: u32,
    height: u32,
    seed: u64,
    mime_type: &str,
) -> Result<Picture, PictureError> {
    let image = render(prompt, width, height, seed);
    let mut bytes = Vec::with_capacity(image.as_raw().len() / 4);
    let mime_type = if mime_type == "image/jpeg" {
        // A plain `Vec` (not a `Cursor`): the encoder writes byte by byte, and in an unoptimised
        // build every layer of writer counts.
        let mut encoder =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
        encoder.encode_image(&image)?;
        "image/jpeg"
    } else {
        image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)?;
        "image/png"
    };
    Ok(Picture {
        mime_type,
        base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        width: image.width(),
        height: image.height(),
    })
}

/// Most base64 bytes the cache of encoded pictures holds.
pub const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Encoded pictures by prompt, size, seed and type, least recently used first.
#[derive(Debug, Default)]
struct PictureCache {
    entries: VecDeque<(CacheKey, Arc<Picture>)>,
    bytes: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct CacheKey {
    prompt: String,
    width: u32,
    height: u32,
    seed: u64,
    mime_type: String,
}

impl PictureCache {
    fn get(&mut self, key: &CacheKey) -> Option<Arc<Picture>> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(index)?;
        let picture = Arc::clone(&entry.1);
        self.entries.push_back(entry);
        Some(picture)
    }

    fn put(&mut self, key: CacheKey, picture: Arc<Picture>) {
        let size = picture.base64.len();
        if size > CACHE_BYTES || self.entries.iter().any(|(k, _)| *k == key) {
            return;
        }
        while self.bytes + size > CACHE_BYTES {
            let Some((_, old)) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.base64.len();
        }
        self.bytes += size;
        self.entries.push_back((key, picture));
    }
}

fn cache() -> &'static Mutex<PictureCache> {
    static CACHE: OnceLock<Mutex<PictureCache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// [`encode`], through a process-wide cache of at most [`CACHE_BYTES`]: an identical request
/// (same prompt, size, seed and type) gets the same bytes without drawing or encoding again.
pub fn encode_cached(
    prompt: &str,
    width: u32,
    height: u32,
    seed: u64,
    mime_type: &str,
) -> Result<Arc<Picture>, PictureError> {
    let key = CacheKey {
        prompt: prompt.to_owned(),
        width,
        height,
        seed,
        mime_type: mime_type.to_owned(),
    };
    if let Some(picture) = cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(picture);
    }
    let picture = Arc::new(encode(prompt, width, height, seed, mime_type)?);
    cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .put(key, Arc::clone(&picture));
    Ok(picture)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(picture: &Picture) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&picture.base64)
            .unwrap()
    }

    #[test]
    fn same_prompt_same_picture_and_different_prompts_differ() {
        let a = render("a red fox in snow", 256, 144, 1);
        let b = render("a red fox in snow", 256, 144, 1);
        let c = render("a blue whale", 256, 144, 1);
        let d = render("a red fox in snow", 256, 144, 2);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        // Not a flat fill: many distinct colours.
        let distinct: std::collections::BTreeSet<[u8; 3]> = a.pixels().map(|p| p.0).collect();
        assert!(distinct.len() > 2000, "{}", distinct.len());
    }

    #[test]
    fn the_words_are_written_in_white_with_a_shadow() {
        let image = render("fox", 1024, 1024, 3);
        // The top-left stroke of the "S" of SIMULATED (scale 8, text starts at 64 px).
        let white = (60..200)
            .flat_map(|x| (60..140).map(move |y| (x, y)))
            .filter(|&(x, y)| image.get_pixel(x, y).0 == [255, 255, 255])
            .count();
        assert!(white > 500, "{white}");
    }

    #[test]
    fn encodes_jpeg_and_png_at_the_asked_size() {
        let jpeg = encode("fox", 320, 180, 7, "image/jpeg").unwrap();
        let bytes = decode(&jpeg);
        assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF]);
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 180));

        let png = encode("fox", 64, 64, 7, "image/png").unwrap();
        assert_eq!(&decode(&png)[..4], b"\x89PNG");
    }

    #[test]
    fn a_1k_jpeg_weighs_a_few_hundred_kilobytes() {
        let jpeg = encode("a red fox in the snow", 1024, 1024, 7, "image/jpeg").unwrap();
        let size = decode(&jpeg).len();
        assert!((200_000..1_000_000).contains(&size), "{size}");
    }

    #[test]
    fn the_cache_returns_the_same_picture_and_stays_bounded() {
        let first = encode_cached("cache test", 96, 64, 5, "image/png").unwrap();
        let again = encode_cached("cache test", 96, 64, 5, "image/png").unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let mut cache = PictureCache::default();
        let big = Arc::new(Picture {
            mime_type: "image/png",
            base64: "A".repeat(CACHE_BYTES / 3),
            width: 1,
            height: 1,
        });
        for n in 0..5 {
            let key = CacheKey {
                prompt: n.to_string(),
                width: 1,
                height: 1,
                seed: 0,
                mime_type: "image/png".to_owned(),
            };
            cache.put(key, Arc::clone(&big));
        }
        assert!(cache.bytes <= CACHE_BYTES);
        assert_eq!(cache.entries.len(), 3);
        assert_eq!(cache.entries[0].0.prompt, "2", "the oldest went first");
    }
}
