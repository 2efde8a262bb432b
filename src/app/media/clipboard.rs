//! The clipboard: copying a generated image onto it, and pasting its image as a PNG reference
//! (kept once by its hash in the data folder; a paste over Gemini's 7 MB inline limit as PNG is
//! shrunk to a 2048 px JPEG within it, and its name says so). A pasted image over
//! [`MAX_PASTE_PIXELS`] is refused with a sentence before anything is made from it.
//!
//! One `arboard::Clipboard` lives in a shared slot for the whole session: on Linux what Peel
//! copied is only served while it is alive, so it is opened on first use and released (on a
//! blocking thread) only when the service stops.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use image::{ImageFormat, RgbaImage};

use super::LoadedReference;
use super::decode::decode_file;
use super::references::reference;
use super::sentences::{detail, display_name};
use super::shrink_reference::shrink_image;
use super::{MediaEvent, Service, off_thread_flat};
use crate::job::reference_check::MAX_REFERENCE_BYTES;

/// Name shown for a reference pasted from the clipboard.
pub const PASTED_NAME: &str = "Pasted image";

/// The clipboard slot shared by the service's tasks. One `arboard::Clipboard` lives here for the
/// whole session: on Linux what Peel copied is only served while it is alive.
pub(super) type ClipboardSlot = Arc<Mutex<Option<arboard::Clipboard>>>;

impl Service {
    /// Reads an image from the clipboard as a PNG reference.
    pub(super) async fn paste_reference(&self) {
        let pasted = {
            let _permit = self.decoders.acquire().await;
            let slot = Arc::clone(&self.clipboard);
            let data_dir = self.references_home();
            off_thread_flat("reading the clipboard", move || paste(&slot, &data_dir)).await
        };
        let event = match pasted {
            Ok(reference) => MediaEvent::ReferenceLoaded(reference),
            Err(message) => MediaEvent::Failed { message },
        };
        self.events.send(event).await;
    }

    /// Puts `source`'s pixels on the clipboard.
    pub(super) async fn copy_image(&self, source: PathBuf) {
        let copied = {
            let _permit = self.decoders.acquire().await;
            let slot = Arc::clone(&self.clipboard);
            off_thread_flat("copying the image", move || copy(&slot, &source)).await
        };
        let event = match copied {
            Ok(()) => MediaEvent::Copied,
            Err(message) => MediaEvent::Failed { message },
        };
        self.events.send(event).await;
    }
}

/// Drops the session's clipboard once the service stops. Dropping an X11 clipboard may wait for a
/// clipboard manager to take over what Peel copied, so the drop happens on a blocking thread, not
/// on a runtime worker.
pub(super) async fn release(slot: ClipboardSlot) {
    let _ = tokio::task::spawn_blocking(move || {
        drop(lock(&slot).take());
    })
    .await;
}

/// Locks a mutex, carrying on after a panic elsewhere (the clipboard stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a clipboard call failed.
enum ClipboardFailure {
    /// No clipboard could be opened (no display).
    Unreachable(arboard::Error),
    /// The clipboard answered with an error.
    Refused(arboard::Error),
}

/// Runs `work` on the session's clipboard, opening it on first use.
fn with_clipboard<T>(
    slot: &Mutex<Option<arboard::Clipboard>>,
    work: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
) -> Result<T, ClipboardFailure> {
    let mut guard = lock(slot);
    let mut clipboard = match guard.take() {
        Some(clipboard) => clipboard,
        None => arboard::Clipboard::new().map_err(ClipboardFailure::Unreachable)?,
    };
    let result = work(&mut clipboard).map_err(ClipboardFailure::Refused);
    *guard = Some(clipboard);
    result
}

/// Largest image Peel takes from the clipboard, in pixels: 50 megapixels (an 8K screenshot is
/// 33). Its pixels arrive uncompressed (4 bytes each), so a bigger one is refused before Peel
/// makes anything from it.
pub const MAX_PASTE_PIXELS: u64 = 50_000_000;

/// Longest side Peel takes from the clipboard, in pixels (as for an image Gemini sends back).
pub const MAX_PASTE_SIDE_PX: usize = 16_384;

/// Reads the clipboard's image as a PNG reference kept in `data_dir` (a 2048 px JPEG when the
/// PNG is over the inline limit).
fn paste(
    slot: &Mutex<Option<arboard::Clipboard>>,
    data_dir: &Path,
) -> Result<LoadedReference, String> {
    let image = with_clipboard(slot, arboard::Clipboard::get_image).map_err(paste_sentence)?;
    pasted_reference(image, data_dir)
}

/// The sentence for a clipboard image over [`MAX_PASTE_PIXELS`] or [`MAX_PASTE_SIDE_PX`], or
/// `None` when it is within both.
pub fn oversized_paste(width_px: usize, height_px: usize) -> Option<String> {
    let pixels = (width_px as u64).saturating_mul(height_px as u64);
    (pixels > MAX_PASTE_PIXELS || width_px.max(height_px) > MAX_PASTE_SIDE_PX).then(|| {
        format!(
            "The image on the clipboard is {width_px} × {height_px} pixels, larger than the {} \
             megapixels ({MAX_PASTE_SIDE_PX} px a side) Peel takes from the clipboard. Shrink it \
             in your image editor (2048 px on the long side is plenty for a reference), then \
             paste it again.",
            MAX_PASTE_PIXELS / 1_000_000
        )
    })
}

/// The clipboard's pixels as a PNG reference kept in `data_dir`, or a 2048 px JPEG when the PNG
/// is over the inline limit. An image over [`MAX_PASTE_PIXELS`] is refused before anything is
/// made from it; otherwise the pixels are kept once (never copied) next to their encoding.
fn pasted_reference(
    image: arboard::ImageData<'_>,
    data_dir: &Path,
) -> Result<LoadedReference, String> {
    if let Some(sentence) = oversized_paste(image.width, image.height) {
        return Err(sentence);
    }
    let unreadable = || {
        "Could not read the image on the clipboard: its size does not match its pixels. Copy it \
         again, or add it as a file."
            .to_owned()
    };
    let width = u32::try_from(image.width).map_err(|_| unreadable())?;
    let height = u32::try_from(image.height).map_err(|_| unreadable())?;
    if image.bytes.len() as u64 != u64::from(width) * u64::from(height) * 4 {
        return Err(unreadable());
    }
    let rgba =
        RgbaImage::from_raw(width, height, image.bytes.into_owned()).ok_or_else(unreadable)?;
    let mut png = Vec::new();
    rgba.write_to(&mut io::Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| {
            format!(
                "Could not turn the clipboard's image into a PNG ({}). Save it as a file and \
                 add that instead.",
                detail(&e)
            )
        })?;
    if png.len() as u64 > MAX_REFERENCE_BYTES {
        drop(png);
        // Shrunk from the pixels already here, not from the PNG decoded again.
        let pixels = image::DynamicImage::ImageRgba8(rgba);
        let jpeg = shrink_image(&pixels, "The pasted image")?;
        let rgba = pixels.as_rgba8().ok_or_else(unreadable)?;
        let name = format!("{PASTED_NAME} (shrunk to a JPEG under 7 MB)");
        return reference(data_dir, name, ImageFormat::Jpeg, &jpeg, rgba);
    }
    reference(
        data_dir,
        PASTED_NAME.to_owned(),
        ImageFormat::Png,
        &png,
        &rgba,
    )
}

/// The sentence for a clipboard that gave no image.
fn paste_sentence(failure: ClipboardFailure) -> String {
    match failure {
        ClipboardFailure::Refused(arboard::Error::ContentNotAvailable) => {
            "The clipboard has no image. Copy an image first, or add a file.".to_owned()
        }
        ClipboardFailure::Refused(arboard::Error::ClipboardOccupied) => {
            "The clipboard is busy in another app. Try pasting again in a moment.".to_owned()
        }
        ClipboardFailure::Unreachable(e) => format!(
            "Peel cannot reach the clipboard on this desktop ({}). Drag the image file onto the \
             window instead.",
            detail(&e)
        ),
        ClipboardFailure::Refused(e) => format!(
            "Could not read the image on the clipboard ({}). Copy it again, or add it as a file.",
            detail(&e)
        ),
    }
}

/// Decodes `source` and puts its pixels on the clipboard.
fn copy(slot: &Mutex<Option<arboard::Clipboard>>, source: &Path) -> Result<(), String> {
    let name = display_name(source);
    let rgba = decode_file(source)?;
    let (width, height) = rgba.dimensions();
    let image = arboard::ImageData {
        width: width as usize,
        height: height as usize,
        bytes: Cow::Owned(rgba.into_raw()),
    };
    with_clipboard(slot, |clipboard| clipboard.set_image(image)).map_err(|failure| match failure {
        ClipboardFailure::Unreachable(e) => format!(
            "Peel cannot reach the clipboard on this desktop ({}). Use Save as… to keep {name} \
             instead.",
            detail(&e)
        ),
        ClipboardFailure::Refused(e) => format!(
            "Could not put {name} on the clipboard ({}). Try again, or use Save as… instead.",
            detail(&e)
        ),
    })
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use super::super::MediaRequest;
    use super::super::test_support::{ask, service, write_image};
    use super::*;

    /// A huge clipboard image is refused from its size alone, before its pixels are copied (the
    /// pixels here are not even there: only the size is read).
    #[test]
    fn an_oversized_paste_is_refused_with_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        for (width, height) in [(100_000, 100_000), (8_000, 7_000), (20_000, 10)] {
            let image = arboard::ImageData {
                width,
                height,
                bytes: Cow::Borrowed(&[]),
            };
            let Err(sentence) = pasted_reference(image, dir.path()) else {
                panic!("{width} × {height} was taken");
            };
            assert!(
                sentence.contains("larger than the 50 megapixels"),
                "{sentence}"
            );
            assert!(sentence.contains("Shrink it"), "{sentence}");
        }
        assert_eq!(oversized_paste(7_680, 4_320), None);
    }

    #[test]
    fn a_paste_within_the_bound_is_kept_as_a_png() {
        let dir = tempfile::tempdir().unwrap();
        let image = arboard::ImageData {
            width: 4,
            height: 2,
            bytes: Cow::Owned(vec![200; 4 * 2 * 4]),
        };
        let loaded = pasted_reference(image, dir.path()).unwrap();
        assert_eq!(loaded.name, PASTED_NAME);
        assert_eq!(loaded.reference.mime_type, "image/png");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_clipboard_answers_with_an_event_or_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("result.png");
        write_image(&source, 8, 8);
        let (mut media, _) = service();

        match ask(&mut media, MediaRequest::CopyImage { source }).await {
            MediaEvent::Copied => {}
            MediaEvent::Failed { message } => assert!(message.contains("clipboard"), "{message}"),
            other => panic!("expected Copied or Failed, got {other:?}"),
        }
        match ask(&mut media, MediaRequest::PasteReference).await {
            MediaEvent::ReferenceLoaded(loaded) => {
                assert_eq!(loaded.name, PASTED_NAME);
                assert_eq!(loaded.reference.mime_type, "image/png");
            }
            MediaEvent::Failed { message } => assert!(message.contains("clipboard"), "{message}"),
            other => panic!("expected ReferenceLoaded or Failed, got {other:?}"),
        }
    }
}
