//! Hostile answers: a `200 OK` that is not what it says. Real ones reach clients through proxies
//! that cut replies in half (ComfyUI saw 30 MB answers arrive truncated), servers that stall
//! mid-body, streams that break after they started, and bytes labelled as images that are not.
//! A client must survive each without crashing, hanging or allocating gigabytes.
//!
//! Each kind, its whole-word prompt trigger (forces it in any scenario), and what it does:
//!
//! | trigger | plain `generateContent` | `streamGenerateContent` (SSE or JSON array) |
//! |---|---|---|
//! | `sim:truncated-image` | the final image is the first half of its bytes | the same, in the last event |
//! | `sim:bomb-image` | the final image is a tiny PNG declaring 100000x100000 px | the same, in the last event |
//! | `sim:mime-lie` | the final image is text labelled `image/png` | the same, in the last event |
//! | `sim:stall-body` | the first bytes, then nothing for [`STALL_REAL`] | the thought events, half the last one, then the stall |
//! | `sim:drop` | half the body, then a connection reset | the thought events, half the last one, then a reset |
//! | `sim:stream-error` | 500 INTERNAL | the first thought events, then Google's error as plain multi-line JSON without `data:` (real capture `500-internal-stream-02`), then the body ends |
//! | `sim:stream-error-event` | 500 INTERNAL | the same error as a `data:` event |
//! | `sim:stream-cut` | half the body, then a reset | the thought events, then the body ends cleanly: no final event, no `finishReason` |
//! | `sim:huge-event` | the final image is a PNG of noise at the asked pixel size, at least [`HUGE_IMAGE_BASE64_BYTES`] of base64 | the same: one `data:` line of over 30 MB |
//!
//! The `broken-answers` scenario mixes them into ordinary traffic: the first five kinds on plain
//! calls (in the shares [`Hostile::from_roll`] gives them), all of them on streamed ones.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use futures_util::StreamExt as _;
use rand::{RngCore as _, SeedableRng as _};

use super::server::SimState;
use crate::api::wire::{Blob, GenerateContentResponse};

/// What a stalled body waits before giving up, in real time (not scaled by the clock): longer
/// than any sensible client timeout.
pub const STALL_REAL: Duration = Duration::from_mins(15);
/// Bytes of a stalled answer sent before the stall.
pub const STALL_FIRST_BYTES: usize = 64 * 1024;
/// The side the bomb's header declares.
pub const BOMB_SIDE_PX: u32 = 100_000;
/// The text the mime lie sends in place of an image.
pub const MIME_LIE_TEXT: &str = "this is not an image \u{2026} it is plain text that a proxy or a \
                                 broken gateway put where the picture should be.\n";
/// The least base64 the huge image weighs (30 MiB, so its `data:` line is over 30 MB: ComfyUI's
/// 30+ MB replies, Comfy-Org/ComfyUI PR #11311).
pub const HUGE_IMAGE_BASE64_BYTES: usize = 30 * 1024 * 1024;

/// One way an answer lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// The final image is a real JPEG or PNG cut in the middle.
    TruncatedImage,
    /// The final image is a tiny PNG whose header declares 100000x100000 pixels.
    BombImage,
    /// The final image is plain text labelled `image/png`.
    MimeLie,
    /// Headers and the first part of the body arrive, then nothing for a long time.
    StallBody,
    /// The connection is reset after half the body.
    Drop,
    /// A stream breaks after its first thought events with Google's 500 as plain JSON lines.
    StreamError,
    /// A stream breaks after its first thought events with Google's 500 as a `data:` event.
    StreamErrorEvent,
    /// A stream ends cleanly after its thought events, without its final event.
    StreamCut,
    /// The final image is an incompressible PNG of at least [`HUGE_IMAGE_BASE64_BYTES`] base64.
    HugeEvent,
}

impl Hostile {
    /// Prompt words that force each kind.
    pub const TRIGGERS: [(&'static str, Hostile); 9] = [
        ("sim:truncated-image", Hostile::TruncatedImage),
        ("sim:bomb-image", Hostile::BombImage),
        ("sim:mime-lie", Hostile::MimeLie),
        ("sim:stall-body", Hostile::StallBody),
        ("sim:drop", Hostile::Drop),
        ("sim:stream-error", Hostile::StreamError),
        ("sim:stream-error-event", Hostile::StreamErrorEvent),
        ("sim:stream-cut", Hostile::StreamCut),
        ("sim:huge-event", Hostile::HugeEvent),
    ];

    /// The kind a prompt asks for, if any.
    pub fn triggered_by(prompt: &str) -> Option<Hostile> {
        super::terms::triggered(prompt, &Self::TRIGGERS)
    }

    /// The kind for a roll in 0..1 when a scenario breaks `share` of its answers. Plain calls:
    /// truncated, bomb and mime lie in equal parts, stalls and drops rarer. Streamed calls also
    /// get the stream's own breaks (errors after the first events, cuts, a rare huge event).
    pub fn from_roll(roll: f64, share: f64, streaming: bool) -> Option<Hostile> {
        if roll >= share {
            return None;
        }
        let position = roll / share;
        let kind = if streaming {
            match position {
                p if p < 0.2 => Hostile::TruncatedImage,
                p if p < 0.4 => Hostile::BombImage,
                p if p < 0.6 => Hostile::MimeLie,
                p if p < 0.65 => Hostile::StallBody,
                p if p < 0.7 => Hostile::Drop,
                p if p < 0.8 => Hostile::StreamError,
                p if p < 0.85 => Hostile::StreamErrorEvent,
                p if p < 0.95 => Hostile::StreamCut,
                _ => Hostile::HugeEvent,
            }
        } else {
            match position {
                p if p < 0.3 => Hostile::TruncatedImage,
                p if p < 0.6 => Hostile::BombImage,
                p if p < 0.9 => Hostile::MimeLie,
                p if p < 0.95 => Hostile::StallBody,
                _ => Hostile::Drop,
            }
        };
        Some(kind)
    }

    /// Whether the lie is in how the answer is sent (stalls, drops, broken streams), not in its
    /// bytes.
    pub fn lies_in_delivery(self) -> bool {
        matches!(
            self,
            Hostile::StallBody
                | Hostile::Drop
                | Hostile::StreamError
                | Hostile::StreamErrorEvent
                | Hostile::StreamCut
        )
    }

    /// Changes the answer's final image, for the kinds that lie in the bytes (the huge image is
    /// [`make_huge`]'s, being heavy work). Says whether the answer now lies (an answer without an
    /// image stays as it is, unless the lie is in the delivery).
    pub fn corrupt(self, answer: &mut GenerateContentResponse) -> bool {
        if self.lies_in_delivery() {
            return true;
        }
        let Some(blob) = final_blob(answer) else {
            return false;
        };
        match self {
            Hostile::TruncatedImage => {
                // Base64 of the first half of the bytes: whole 4-character groups of the first
                // half of the text (each group is 3 bytes).
                let keep = blob.data.len() / 2 / 4 * 4;
                blob.data.truncate(keep);
            }
            Hostile::BombImage => {
                "image/png".clone_into(&mut blob.mime_type);
                blob.data = base64::engine::general_purpose::STANDARD.encode(bomb_png());
            }
            Hostile::MimeLie => {
                "image/png".clone_into(&mut blob.mime_type);
                blob.data = base64::engine::general_purpose::STANDARD.encode(MIME_LIE_TEXT);
            }
            Hostile::HugeEvent
            | Hostile::StallBody
            | Hostile::Drop
            | Hostile::StreamError
            | Hostile::StreamErrorEvent
            | Hostile::StreamCut => {}
        }
        true
    }
}

/// Replaces the answer's final image with [`noise_png`] at `width`x`height` (drawn off the async
/// workers). Says whether there was a final image to replace.
pub async fn make_huge(
    answer: &mut GenerateContentResponse,
    [width, height]: [u32; 2],
    seed: u64,
) -> Result<bool, String> {
    let Some(blob) = final_blob(answer) else {
        return Ok(false);
    };
    let min_bytes = HUGE_IMAGE_BASE64_BYTES / 4 * 3;
    let data = tokio::task::spawn_blocking(move || {
        noise_png(width, height, min_bytes, seed)
            .map(|png| base64::engine::general_purpose::STANDARD.encode(png))
    })
    .await
    .map_err(|error| format!("The simulator's picture task failed: {error}"))??;
    "image/png".clone_into(&mut blob.mime_type);
    blob.data = data;
    Ok(true)
}

/// A PNG of random pixels at `width`x`height`, stored without compression (noise would not
/// compress anyway), and at least `min_bytes` long: when the pixels weigh less, a private
/// ancillary chunk (`noIs`, which decoders skip) of more noise makes up the rest. It decodes
/// as an ordinary image of the asked size.
pub fn noise_png(width: u32, height: u32, min_bytes: usize, seed: u64) -> Result<Vec<u8>, String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x0051_5e5e);
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    rng.fill_bytes(&mut pixels);
    let mut png = Vec::with_capacity(min_bytes.max(pixels.len()) + 1024);
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Uncompressed,
        image::codecs::png::FilterType::NoFilter,
    );
    image::ImageEncoder::write_image(
        encoder,
        &pixels,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|error| format!("The simulator could not encode its picture: {error}"))?;
    drop(pixels);
    // The encoder ends with IEND (12 bytes); the padding goes before it.
    let iend = png.split_off(png.len().saturating_sub(12));
    if png.len() + iend.len() < min_bytes {
        let mut padding = vec![0u8; min_bytes - png.len() - iend.len()];
        rng.fill_bytes(&mut padding);
        push_chunk(&mut png, *b"noIs", &padding);
    }
    png.extend_from_slice(&iend);
    Ok(png)
}

/// The last non-thought inline image of the first candidate.
fn final_blob(answer: &mut GenerateContentResponse) -> Option<&mut Blob> {
    answer
        .candidates
        .first_mut()?
        .content
        .as_mut()?
        .parts
        .iter_mut()
        .rev()
        .filter(|part| part.thought != Some(true))
        .find_map(|part| part.inline_data.as_mut())
}

fn push_chunk(png: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    let start = png.len();
    png.extend_from_slice(&kind);
    png.extend_from_slice(data);
    // CRC-32 (ISO-HDLC) over the chunk's type and data, as PNG wants it.
    let crc = crc32fast::hash(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A decompression bomb in miniature: a well-formed PNG (signature, IHDR, IDAT, IEND, every CRC
/// right) whose header declares 100000x100000 RGB pixels (30 GB decoded) and whose IDAT holds a
/// few bytes. A decoder that trusts the header and allocates first falls over.
pub fn bomb_png() -> Vec<u8> {
    png_declaring(BOMB_SIDE_PX, BOMB_SIDE_PX)
}

/// A well-formed PNG (every CRC right) whose header declares `width`x`height` RGB pixels and
/// whose pixel data is a few bytes of a zlib stream that never finishes: it never decodes.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // 8 bits, truecolour, deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    push_chunk(&mut png, *b"IHDR", &header);
    // A zlib stream that starts a stored block of 16 zero bytes and never finishes.
    let mut data = vec![0x78, 0x01, 0x00, 0x10, 0x00, 0xef, 0xff];
    data.extend_from_slice(&[0; 16]);
    push_chunk(&mut png, *b"IDAT", &data);
    push_chunk(&mut png, *b"IEND", &[]);
    png
}

/// Counts a stalled answer while its body lives (tests check that hang-ups end it).
struct StallGuard(Arc<SimState>);

impl StallGuard {
    fn new(state: &Arc<SimState>) -> Self {
        state.stats.stalls_open.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(state))
    }
}

impl Drop for StallGuard {
    fn drop(&mut self) {
        self.0.stats.stalls_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A 200 that sends its headers and the first [`STALL_FIRST_BYTES`] of `text` (at most half of
/// it), then nothing for
/// [`STALL_REAL`], and then closes the connection without the rest. The body (and so this
/// answer's task) ends early when the client hangs up or the simulator shuts down.
pub fn stalled_body(state: &Arc<SimState>, text: String, content_type: &'static str) -> Response {
    let full_length = text.len();
    let first = Bytes::from(text).slice(..STALL_FIRST_BYTES.min(full_length / 2));
    let chunks = futures_util::stream::iter([Ok::<Bytes, io::Error>(first)])
        .chain(futures_util::stream::once(stall(state)));
    with_length(Body::from_stream(chunks), full_length, content_type)
}

/// The rest of a stalled body: nothing for [`STALL_REAL`] (less if the simulator shuts down),
/// then an error that closes the connection. Counted in `stalls_open` while it lives.
pub(crate) fn stall(
    state: &Arc<SimState>,
) -> impl Future<Output = Result<Bytes, io::Error>> + Send + 'static {
    let guard = StallGuard::new(state);
    let mut stopping = state.stopping();
    async move {
        let _guard = guard;
        tokio::select! {
            () = tokio::time::sleep(STALL_REAL) => {}
            _ = stopping.wait_for(|stop| *stop) => {}
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "simulated stall: the rest of the body never came",
        ))
    }
}

/// A 200 whose connection closes after half the body (the client sees a truncated answer).
pub fn dropped_mid_body(text: String, content_type: &'static str) -> Response {
    let full_length = text.len();
    let half = Bytes::from(text).slice(..full_length / 2);
    let chunks: Vec<Result<Bytes, io::Error>> = vec![
        Ok(half),
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "simulated drop",
        )),
    ];
    with_length(
        Body::from_stream(futures_util::stream::iter(chunks)),
        full_length,
        content_type,
    )
}

fn with_length(body: Body, full_length: usize, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(length) = HeaderValue::from_str(&full_length.to_string()) {
        headers.insert(header::CONTENT_LENGTH, length);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bomb_is_a_well_formed_png_that_declares_ten_billion_pixels() {
        let png = bomb_png();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 100_000);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 100_000);
        // Every chunk's CRC covers its type and data.
        let mut at = 8;
        let mut kinds = Vec::new();
        while at < png.len() {
            let length = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let body = &png[at + 4..at + 8 + length];
            let crc =
                u32::from_be_bytes(png[at + 8 + length..at + 12 + length].try_into().unwrap());
            assert_eq!(crc32fast::hash(body), crc);
            kinds.push(String::from_utf8_lossy(&body[..4]).into_owned());
            at += 12 + length;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        assert!(png.len() < 100);
        // The image crate reads the header and refuses to allocate.
        let reader = image::ImageReader::new(std::io::Cursor::new(&png))
            .with_guessed_format()
            .unwrap();
        assert_eq!(reader.into_dimensions().unwrap(), (100_000, 100_000));
    }

    #[test]
    fn triggers_and_rolls_pick_a_kind() {
        assert_eq!(
            Hostile::triggered_by("a fox sim:mime-lie"),
            Some(Hostile::MimeLie)
        );
        assert_eq!(Hostile::triggered_by("a fox"), None);
        // Whole words: the error event's trigger is not the plain error's.
        assert_eq!(
            Hostile::triggered_by("a fox sim:stream-error-event"),
            Some(Hostile::StreamErrorEvent)
        );
        assert_eq!(
            Hostile::triggered_by("a fox, sim:stream-error."),
            Some(Hostile::StreamError)
        );
        assert_eq!(Hostile::from_roll(0.5, 0.3, false), None);
        assert_eq!(
            Hostile::from_roll(0.0, 0.3, false),
            Some(Hostile::TruncatedImage)
        );
        assert_eq!(Hostile::from_roll(0.29, 0.3, false), Some(Hostile::Drop));
        assert_eq!(
            Hostile::from_roll(0.29, 0.3, true),
            Some(Hostile::HugeEvent)
        );
        let kinds = |streaming: bool| {
            (0..300)
                .filter_map(|n| Hostile::from_roll(f64::from(n) / 1000.0, 0.3, streaming))
                .map(|kind| format!("{kind:?}"))
                .collect::<std::collections::BTreeSet<String>>()
        };
        // Plain calls never get a stream's breaks; streamed calls get every kind.
        assert_eq!(kinds(false).len(), 5, "{:?}", kinds(false));
        assert!(kinds(false).iter().all(|kind| !kind.starts_with("Stream")));
        assert_eq!(
            kinds(true).len(),
            Hostile::TRIGGERS.len(),
            "{:?}",
            kinds(true)
        );
    }

    #[test]
    fn the_noise_png_decodes_at_its_size_and_weighs_what_it_must() {
        // Small pixels: padded up to the least weight with a chunk decoders skip.
        let padded = noise_png(64, 32, 200_000, 3).unwrap();
        assert!(padded.len() >= 200_000, "{}", padded.len());
        assert!(padded.len() < 201_000, "{}", padded.len());
        let image = image::load_from_memory(&padded).unwrap();
        assert_eq!((image.width(), image.height()), (64, 32));
        assert!(padded.windows(4).any(|w| w == b"noIs"));
        // Heavy pixels: no padding needed; noise does not compress, so about 3 bytes a pixel.
        let plain = noise_png(300, 200, 1000, 3).unwrap();
        assert!(plain.len() > 300 * 200 * 3, "{}", plain.len());
        assert!(!plain.windows(4).any(|w| w == b"noIs"));
        assert_eq!(image::load_from_memory(&plain).unwrap().width(), 300);
        assert_eq!(&plain[plain.len() - 8..plain.len() - 4], b"IEND");
    }
}
