//! What arrived in a 2xx answer, made safe to keep. Every inline image is decoded from base64
//! once, hashed (SHA-256), and moved out of the answer, which keeps a stand-in in its place
//! (mime type, length, hash, pixel size): the stripped answer is what diagnoses, events and the
//! database see. The final image is checked before anyone calls it "done": its magic bytes must
//! match the type it claims, its header's pixel size must be sane for the model and size asked
//! (read before any pixel buffer exists), and it must decode within [`image::Limits`].
//!
//! [`receive`] is CPU work (base64, hashing, a full decode of a 4K picture); [`take_in`] runs it
//! off the async threads.

use std::io::Cursor;

use base64::Engine as _;

use crate::api::GenerateOutcome;
use crate::api::client::human_bytes;
use crate::api::wire::{GenerateContentResponse, ImageStandIn};
use crate::diagnosis::Evidence;
use crate::store::turns::sha256_hex;

/// Largest side accepted when the model's size for the request is unknown.
pub const DEFAULT_MAX_SIDE_PX: u32 = 8192;
/// Largest side accepted whatever the model says (a 4K picture is 5504 px wide at 16:9).
pub const ABSOLUTE_MAX_SIDE_PX: u32 = 16_384;

/// What the request asked for, to judge the image's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The longest side the model makes for the ratio and size asked, when the catalog knows it.
    pub long_side_px: Option<u32>,
}

impl Expected {
    /// The largest side accepted: twice what the model makes (room for a model that draws
    /// larger than documented), at least 2048 px, at most [`ABSOLUTE_MAX_SIDE_PX`].
    pub fn max_side_px(self) -> u32 {
        self.long_side_px.map_or(DEFAULT_MAX_SIDE_PX, |side| {
            side.saturating_mul(2).clamp(2048, ABSOLUTE_MAX_SIDE_PX)
        })
    }
}

/// One image of the answer, its bytes moved out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedImage {
    /// True for an interim thought image.
    pub thought: bool,
    /// The type the answer declared.
    pub mime_type: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
    /// Which candidate and part it was (`candidates[c].content.parts[p]`).
    pub position: (usize, usize),
}

impl ReceivedImage {
    /// The stand-in the stripped answer holds in its place.
    pub fn stand_in(&self) -> ImageStandIn {
        let (width, height) = header_size(&self.bytes).unzip();
        ImageStandIn {
            bytes: self.bytes.len() as u64,
            sha256: Some(sha256_hex(&self.bytes)),
            width,
            height,
            file: None,
        }
    }
}

/// The answer with its images moved out and checked.
#[derive(Debug)]
pub struct Received {
    /// The answer, each image replaced by its stand-in.
    pub response: GenerateContentResponse,
    /// The images, in answer order (thought images included).
    pub images: Vec<ReceivedImage>,
    /// Which of `images` is the final image, when there is one.
    pub final_image: Option<usize>,
    /// What is wrong with the final image, when something is ("it is cut off …").
    pub problem: Option<String>,
}

impl Received {
    /// The final image, when there is one.
    pub fn final_image(&self) -> Option<&ReceivedImage> {
        self.final_image.map(|index| &self.images[index])
    }
}

/// Moves the images out of `response`, hashes them and checks the final one.
pub fn receive(response: GenerateContentResponse, expected: Expected) -> Received {
    let mut received = take_out(response);
    if let Some(image) = received.final_image() {
        received.problem = check(&image.mime_type, &image.bytes, expected).err();
    }
    received
}

/// Moves the images out of `response` and hashes them, without checking the final one (its
/// [`Received::problem`] says only whether its base64 was valid). Each image's base64 is freed as
/// soon as it is decoded, so at most one image exists twice at a time.
pub fn take_out(mut response: GenerateContentResponse) -> Received {
    // The final image: the last non-thought image of the first candidate that has one (as
    // `GenerateContentResponse::final_image` picks it).
    let final_position = response
        .candidates
        .iter()
        .enumerate()
        .find_map(|(c, candidate)| {
            let parts = &candidate.content.as_ref()?.parts;
            (0..parts.len())
                .rev()
                .find(|&p| parts[p].final_image().is_some())
                .map(|p| (c, p))
        });
    let mut images = Vec::new();
    let mut final_image = None;
    let mut problem = None;
    for (c, candidate) in response.candidates.iter_mut().enumerate() {
        let Some(content) = candidate.content.as_mut() else {
            continue;
        };
        for (p, part) in content.parts.iter_mut().enumerate() {
            let thought = part.is_thought();
            let Some(blob) = part.inline_data.as_mut() else {
                continue;
            };
            let is_final = final_position == Some((c, p));
            let data = std::mem::take(&mut blob.data);
            let bytes = match base64::engine::general_purpose::STANDARD
                .decode(data.trim().trim_end_matches(['\r', '\n']))
            {
                Ok(bytes) => bytes,
                Err(error) => {
                    if is_final {
                        problem = Some(format!("its data is not valid base64 ({error})"));
                    }
                    blob.stand_in = Some(ImageStandIn {
                        bytes: data.len() as u64 * 3 / 4,
                        ..ImageStandIn::default()
                    });
                    continue;
                }
            };
            drop(data);
            let image = ReceivedImage {
                thought,
                mime_type: blob.mime_type.clone(),
                bytes,
                position: (c, p),
            };
            blob.stand_in = Some(image.stand_in());
            if is_final {
                final_image = Some(images.len());
            }
            images.push(image);
        }
    }
    Received {
        response,
        images,
        final_image,
        problem,
    }
}

/// The pixel size the header declares, when it can be read.
fn header_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let format = image::guess_format(bytes).ok()?;
    image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .ok()
}

/// Why an image is not a usable picture, in words that finish "…is not a usable picture: ".
pub fn check(mime_type: &str, bytes: &[u8], expected: Expected) -> Result<(), String> {
    if bytes.is_empty() {
        return Err("it is empty".to_owned());
    }
    let Ok(actual) = image::guess_format(bytes) else {
        return Err(format!(
            "it is labelled {mime_type}, but its bytes are not an image (they begin \"{}\")",
            printable_head(bytes)
        ));
    };
    let declared = image::ImageFormat::from_mime_type(mime_type);
    if declared != Some(actual) {
        return Err(format!(
            "it is labelled {mime_type}, but its bytes are {}",
            actual.to_mime_type()
        ));
    }
    let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), actual)
        .into_dimensions()
        .map_err(|error| format!("its header cannot be read ({error})"))?;
    let max_side = expected.max_side_px();
    if width == 0 || height == 0 || width > max_side || height > max_side {
        return Err(format!(
            "its header declares {width}x{height} pixels, which no model makes at this size (at most {max_side} px a side expected)"
        ));
    }
    if !has_end_marker(actual, bytes) {
        return Err(format!(
            "it is cut off: its {} stop before the end of the picture",
            human_bytes(bytes.len())
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    // The pixels (RGBA at most) plus the decoder's own buffers.
    limits.max_alloc = Some(u64::from(width) * u64::from(height) * 4 + 64 * 1024 * 1024);
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), actual);
    reader.limits(limits);
    reader
        .decode()
        .map(drop)
        .map_err(|error| format!("it is damaged and does not decode ({error})"))
}

/// Whether the bytes end the way a whole file of that format ends (decoders can be lenient
/// with a file cut after its header).
fn has_end_marker(format: image::ImageFormat, bytes: &[u8]) -> bool {
    match format {
        image::ImageFormat::Jpeg => {
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            bytes[..end].ends_with(&[0xFF, 0xD9])
        }
        image::ImageFormat::Png => {
            bytes.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82])
        }
        image::ImageFormat::WebP => bytes
            .get(4..8)
            .and_then(|size| size.try_into().ok())
            .map(u32::from_le_bytes)
            .is_some_and(|size| u64::from(size) + 8 <= bytes.len() as u64),
        _ => true,
    }
}

/// The first bytes, as text a designer can read.
fn printable_head(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(24)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect()
}

/// A 2xx answer after [`receive`]: its images moved out and checked.
#[derive(Debug)]
pub struct Answered {
    /// The HTTP status.
    pub status: u16,
    /// The answer, its images out and checked.
    pub received: Received,
}

impl Answered {
    /// What the diagnosis looks at: the stripped answer.
    pub fn evidence(&self) -> Evidence<'_> {
        Evidence::Answer {
            status: self.status,
            response: &self.received.response,
        }
    }
}

/// Moves the images out of an answer and checks them, off the async threads (base64, hashing
/// and a full decode of a 4K picture take real CPU time).
pub async fn take_in(answer: GenerateOutcome, expected: Expected) -> Answered {
    let status = answer.status;
    let received = tokio::task::spawn_blocking(move || receive(answer.response, expected))
        .await
        .unwrap_or_else(|error| Received {
            response: GenerateContentResponse::default(),
            images: Vec::new(),
            final_image: None,
            problem: Some(format!("it could not be checked ({error})")),
        });
    Answered { status, received }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([9, 99, 199]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    use crate::sim::hostile::png_declaring;

    const FOUR_K: Expected = Expected {
        long_side_px: Some(4096),
    };

    #[test]
    fn whole_pictures_of_the_declared_type_pass() {
        assert_eq!(check("image/jpeg", &jpeg(64, 48), FOUR_K), Ok(()));
        assert_eq!(check("image/png", &png(64, 48), FOUR_K), Ok(()));
    }

    #[test]
    fn a_cut_off_picture_is_named_as_such() {
        let whole = jpeg(256, 256);
        let half = &whole[..whole.len() / 2];
        let problem = check("image/jpeg", half, FOUR_K).unwrap_err();
        assert!(problem.starts_with("it is cut off"), "{problem}");
        let whole = png(64, 64);
        let problem = check("image/png", &whole[..whole.len() - 20], FOUR_K).unwrap_err();
        assert!(problem.contains("cut off"), "{problem}");
    }

    #[test]
    fn a_header_with_absurd_dimensions_is_refused_before_any_allocation() {
        let bomb = png_declaring(100_000, 100_000);
        let problem = check("image/png", &bomb, FOUR_K).unwrap_err();
        assert!(problem.contains("100000x100000"), "{problem}");
        // A plausible size with broken pixels is found by the decode, not the header.
        let broken = png_declaring(512, 512);
        let problem = check("image/png", &broken, FOUR_K).unwrap_err();
        assert!(problem.contains("does not decode"), "{problem}");
    }

    #[test]
    fn labels_that_lie_are_caught() {
        let problem = check("image/png", b"this is not an image at all", FOUR_K).unwrap_err();
        assert!(problem.contains("not an image"), "{problem}");
        assert!(problem.contains("this is not an image"), "{problem}");
        let problem = check("image/png", &jpeg(16, 16), FOUR_K).unwrap_err();
        assert!(problem.contains("image/jpeg"), "{problem}");
        assert!(check("image/png", &[], FOUR_K).is_err());
    }

    #[test]
    fn the_accepted_side_follows_the_model_and_size() {
        assert_eq!(FOUR_K.max_side_px(), 8192);
        assert_eq!(
            Expected {
                long_side_px: Some(512)
            }
            .max_side_px(),
            2048
        );
        assert_eq!(
            Expected { long_side_px: None }.max_side_px(),
            DEFAULT_MAX_SIDE_PX
        );
    }

    #[test]
    fn images_move_out_and_leave_stand_ins() {
        let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let draft = jpeg(32, 32);
        let last = jpeg(96, 64);
        let body = serde_json::json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "thinking", "thought": true},
            {"inlineData": {"mimeType": "image/jpeg", "data": base64(&draft)}, "thought": true},
            {"inlineData": {"mimeType": "image/jpeg", "data": base64(&last)}, "thoughtSignature": "c2ln"}
        ]}, "finishReason": "STOP"}]});
        let response: GenerateContentResponse = serde_json::from_value(body).unwrap();
        let received = receive(response, FOUR_K);
        assert_eq!(received.problem, None);
        assert_eq!(received.images.len(), 2);
        assert!(received.images[0].thought);
        let final_image = received.final_image().unwrap();
        assert_eq!(final_image.bytes, last);
        assert_eq!(final_image.position, (0, 2));
        let blob = received.response.final_image().unwrap();
        assert!(blob.data.is_empty());
        let stand_in = blob.stand_in.as_ref().unwrap();
        assert_eq!(stand_in.bytes, last.len() as u64);
        assert_eq!((stand_in.width, stand_in.height), (Some(96), Some(64)));
        assert_eq!(stand_in.sha256.as_deref(), Some(sha256_hex(&last).as_str()));
        let json = serde_json::to_string(&received.response).unwrap();
        assert!(json.len() < 1024, "{json}");
    }

    #[test]
    fn a_broken_final_image_is_reported_and_its_bytes_kept() {
        let body = serde_json::json!({"candidates": [{"content": {"parts": [
            {"inlineData": {"mimeType": "image/png", "data": "dGhpcyBpcyBub3QgYW4gaW1hZ2U="}}
        ]}, "finishReason": "STOP"}]});
        let response: GenerateContentResponse = serde_json::from_value(body).unwrap();
        let received = receive(response, FOUR_K);
        assert!(received.problem.unwrap().contains("not an image"));
        assert_eq!(received.images.len(), 1);
        let body = serde_json::json!({"candidates": [{"content": {"parts": [
            {"inlineData": {"mimeType": "image/png", "data": "***"}}
        ]}, "finishReason": "STOP"}]});
        let response: GenerateContentResponse = serde_json::from_value(body).unwrap();
        let received = receive(response, FOUR_K);
        assert!(received.problem.as_deref().unwrap().contains("base64"));
        assert!(received.final_image().is_none());
    }
}
