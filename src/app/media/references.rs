//! Reference images: reading a file as a reference, checked before it is read in full (its size
//! from the file's metadata and its type from its first bytes, by
//! [`crate::job::reference_check`], so an empty file, a renamed non-image or a file over Gemini's
//! 7 MB inline limit is refused with a sentence, and a special file such as `/dev/zero` never
//! fills memory), then kept once by its hash in the data folder (`store::references`) with a
//! small thumbnail. A PNG, JPEG or WebP over the limit is offered for shrinking
//! ([`MediaEvent::ReferenceTooLarge`]; the editor's Shrink button), which makes a 2048 px JPEG
//! within the limit here, off the UI thread. HEIC and HEIF are sent as they are: Gemini takes
//! them, Peel cannot preview them.

use std::path::{Path, PathBuf};

use image::{ImageFormat, RgbaImage};

use super::decode::fitted_color_image;
use super::sentences::{decode_sentence, display_name, read_sentence};
use super::shrink_reference::shrink_file;
use super::{LoadedReference, MediaEvent, Service, off_thread, off_thread_flat};
use crate::job::reference_check::{ImageType, InputProblem, preview_note};
use crate::store::references::{CandidateError, keep_reference, read_candidate};

/// Longer side of a reference's thumbnail.
pub const REFERENCE_THUMBNAIL_SIDE_PX: u32 = 96;

/// Why a file did not become a reference.
pub(super) enum NotLoaded {
    /// A sentence to show.
    Refused(String),
    /// Over the inline limit, and Peel can shrink it: the sentence, and the offer.
    TooLarge(String),
}

impl From<String> for NotLoaded {
    fn from(message: String) -> Self {
        NotLoaded::Refused(message)
    }
}

impl Service {
    /// Loads each file in order: one `ReferenceLoaded`, `ReferenceTooLarge` or `Failed` per file
    /// (and a `Done` note for a HEIC or HEIF file Peel cannot preview).
    pub(super) async fn load_references(&self, paths: Vec<PathBuf>) {
        for path in paths {
            let loaded = {
                let _permit = self.decoders.acquire().await;
                let data_dir = self.references_home();
                let path = path.clone();
                off_thread("reading a reference", move || {
                    load_reference(&path, &data_dir)
                })
                .await
                .map_err(NotLoaded::Refused)
                .and_then(|loaded| loaded)
            };
            match loaded {
                Ok((reference, note)) => {
                    self.events
                        .send(MediaEvent::ReferenceLoaded(reference))
                        .await;
                    if let Some(message) = note {
                        self.events.send(MediaEvent::Done { message }).await;
                    }
                }
                Err(NotLoaded::TooLarge(message)) => {
                    let event = MediaEvent::ReferenceTooLarge { path, message };
                    self.events.send(event).await;
                }
                Err(NotLoaded::Refused(message)) => self.events.fail(message).await,
            }
        }
    }

    /// Shrinks the image at `path` to a 2048 px JPEG within the inline limit and loads that as
    /// a reference (named "poster.png (shrunk)").
    pub(super) async fn shrink_reference(&self, path: PathBuf) {
        let _permit = self.decoders.acquire().await;
        let data_dir = self.references_home();
        let shrunk = off_thread_flat("shrinking a reference", move || {
            let name = display_name(&path);
            let jpeg = shrink_file(&path, &name)?;
            let rgba = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg)
                .map_err(|e| decode_sentence(&name, &e))?
                .into_rgba8();
            reference(
                &data_dir,
                format!("{name} (shrunk)"),
                ImageFormat::Jpeg,
                &jpeg,
                &rgba,
            )
        })
        .await;
        let event = match shrunk {
            Ok(loaded) => MediaEvent::ReferenceLoaded(loaded),
            Err(message) => MediaEvent::Failed { message },
        };
        self.events.send(event).await;
    }
}

/// Reads a reference file: checked by size and first bytes before it is read in full, read no
/// further than Gemini's inline limit, kept in `data_dir`'s references. With it, a note when
/// Peel cannot preview it.
fn load_reference(
    path: &Path,
    data_dir: &Path,
) -> Result<(LoadedReference, Option<String>), NotLoaded> {
    let name = display_name(path);
    let (kind, bytes) = read_checked(path, &name)?;
    let note = preview_note(&name, kind);
    let loaded = if kind.peel_can_decode() {
        let format = image_format(kind);
        // Decoding checks the file is whole, and gives the thumbnail.
        let rgba = image::load_from_memory_with_format(&bytes, format)
            .map_err(|e| decode_sentence(&name, &e))?
            .into_rgba8();
        reference(data_dir, name, format, &bytes, &rgba)?
    } else {
        let reference = keep_reference(data_dir, kind.mime_type(), &bytes)
            .map_err(|error| keep_sentence(&name, &error))?;
        LoadedReference {
            name,
            reference,
            thumbnail: no_preview(),
        }
    };
    Ok((loaded, note))
}

/// The tile shown for a reference Peel cannot decode (HEIC, HEIF).
pub(super) fn no_preview() -> egui::ColorImage {
    egui::ColorImage::filled(
        [REFERENCE_THUMBNAIL_SIDE_PX as usize; 2],
        egui::Color32::from_gray(60),
    )
}

/// [`read_candidate`]'s problems as the window words them, a too-large one with its offer.
fn read_checked(path: &Path, name: &str) -> Result<(ImageType, Vec<u8>), NotLoaded> {
    read_candidate(path, name).map_err(|error| match error {
        CandidateError::Io { source, .. } => NotLoaded::Refused(read_sentence(name, &source)),
        CandidateError::Problem(found) => problem(found),
        folder @ CandidateError::Folder { .. } => NotLoaded::Refused(folder.to_string()),
    })
}

/// The sentence (and the shrink offer) of a problem.
fn problem(problem: InputProblem) -> NotLoaded {
    match problem {
        InputProblem::TooLarge {
            can_shrink: true, ..
        } => NotLoaded::TooLarge(problem.to_string()),
        other => NotLoaded::Refused(other.to_string()),
    }
}

fn image_format(kind: ImageType) -> ImageFormat {
    match kind {
        ImageType::Jpeg => ImageFormat::Jpeg,
        ImageType::Webp => ImageFormat::WebP,
        _ => ImageFormat::Png,
    }
}

/// A reference from its encoded bytes and its pixels, its bytes kept in `data_dir`.
pub(super) fn reference(
    data_dir: &Path,
    name: String,
    format: ImageFormat,
    bytes: &[u8],
    rgba: &RgbaImage,
) -> Result<LoadedReference, String> {
    let mime_type = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        _ => "image/png",
    };
    let reference =
        keep_reference(data_dir, mime_type, bytes).map_err(|error| keep_sentence(&name, &error))?;
    Ok(LoadedReference {
        name,
        reference,
        thumbnail: fitted_color_image(rgba, REFERENCE_THUMBNAIL_SIDE_PX),
    })
}

/// The sentence for a reference Peel could not keep in its data folder.
fn keep_sentence(name: &str, error: &crate::store::files::WriteError) -> String {
    format!(
        "Could not add {name}: Peel could not keep a copy in its data folder ({error}). Free \
         some disk space, then add it again."
    )
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use std::fs;

    use super::super::MediaRequest;
    use super::super::test_support::{ask, assert_repaints, failure, next, service, write_image};
    use super::*;
    use crate::job::reference_check::MAX_REFERENCE_BYTES;

    #[tokio::test(flavor = "multi_thread")]
    async fn references_load_in_order_kept_once_by_hash_with_a_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("sketch.png");
        let jpeg = dir.path().join("photo.jpeg");
        write_image(&png, 300, 150);
        write_image(&jpeg, 50, 200);
        // The format is sniffed from the bytes, not the name: a PNG named .gif is a PNG.
        let misnamed = dir.path().join("really-a-png.gif");
        let written_as_png = dir.path().join("written.png");
        write_image(&written_as_png, 20, 20);
        fs::rename(&written_as_png, &misnamed).unwrap();
        let (mut media, repaints) = service();

        media
            .requests
            .send(MediaRequest::LoadReferences {
                paths: vec![png.clone(), jpeg.clone(), misnamed.clone()],
            })
            .await
            .unwrap();
        let expected = [
            (&png, "sketch.png", "image/png", [96, 48]),
            (&jpeg, "photo.jpeg", "image/jpeg", [24, 96]),
            (&misnamed, "really-a-png.gif", "image/png", [20, 20]),
        ];
        for (path, name, mime_type, size) in expected {
            let event = next(&mut media).await;
            let MediaEvent::ReferenceLoaded(loaded) = event else {
                panic!("expected a reference, got {event:?}");
            };
            assert_eq!(loaded.name, name);
            assert_eq!(loaded.reference.mime_type, mime_type);
            let home = std::env::temp_dir().join("peel-references");
            let kept = crate::store::references::read_reference(&home, &loaded.reference).unwrap();
            assert_eq!(kept, fs::read(path).unwrap());
            assert_eq!(loaded.reference.size_bytes, kept.len() as u64);
            assert_eq!(loaded.thumbnail.size, size);
        }
        assert_repaints(&repaints, 3).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn files_that_are_not_png_jpeg_or_webp_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        fs::write(&text, "not an image at all").unwrap();
        // A minimal GIF header: sniffed as GIF whatever the name.
        let gif = dir.path().join("cat.png");
        fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
        let broken = dir.path().join("broken.png");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&[7; 64]);
        fs::write(&broken, bytes).unwrap();
        let (mut media, _) = service();

        media
            .requests
            .send(MediaRequest::LoadReferences {
                paths: vec![text, gif, broken],
            })
            .await
            .unwrap();
        let text = failure(next(&mut media).await);
        assert!(text.contains("notes.txt is not an image"), "{text}");
        assert!(text.contains("its bytes are text"), "{text}");
        let gif = failure(next(&mut media).await);
        assert!(gif.contains("cat.png"), "{gif}");
        assert!(gif.contains("a GIF image"), "{gif}");
        assert!(gif.contains("save it as PNG or JPEG"), "{gif}");
        let broken = failure(next(&mut media).await);
        assert!(broken.contains("broken.png"), "{broken}");
        assert!(broken.contains("damaged"), "{broken}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn heic_is_added_as_it_is_and_the_window_says_it_cannot_preview_it() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("IMG_0042.HEIC");
        let mut bytes = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        bytes.extend_from_slice(&[9; 4096]);
        fs::write(&photo, &bytes).unwrap();
        let (mut media, _) = service();

        let event = ask(
            &mut media,
            MediaRequest::LoadReferences { paths: vec![photo] },
        )
        .await;
        let MediaEvent::ReferenceLoaded(loaded) = event else {
            panic!("expected the HEIC reference, got {event:?}");
        };
        assert_eq!(loaded.reference.mime_type, "image/heic");
        assert_eq!(loaded.reference.size_bytes, bytes.len() as u64);
        let MediaEvent::Done { message } = next(&mut media).await else {
            panic!("expected the note about the preview");
        };
        assert!(message.contains("Gemini takes it"), "{message}");
        assert!(message.contains("cannot show a preview"), "{message}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_empty_file_is_refused_with_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("logo.png");
        fs::write(&empty, b"").unwrap();
        let (mut media, _) = service();
        let message = failure(
            ask(
                &mut media,
                MediaRequest::LoadReferences { paths: vec![empty] },
            )
            .await,
        );
        assert!(
            message.starts_with("logo.png is empty (0 bytes)"),
            "{message}"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_reference_over_the_inline_limit_is_offered_a_shrink_that_fits() {
        let dir = tempfile::tempdir().unwrap();
        // Noise compresses badly: a 3000 x 2400 noisy PNG is well over 7 MB.
        let big = dir.path().join("poster.png");
        let mut seed = 11_u32;
        image::RgbImage::from_fn(3000, 2400, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        })
        .save(&big)
        .unwrap();
        assert!(fs::metadata(&big).unwrap().len() > MAX_REFERENCE_BYTES);
        let (mut media, _) = service();

        let event = ask(
            &mut media,
            MediaRequest::LoadReferences {
                paths: vec![big.clone()],
            },
        )
        .await;
        let MediaEvent::ReferenceTooLarge { path, message } = event else {
            panic!("expected the shrink offer, got {event:?}");
        };
        assert_eq!(path, big);
        assert!(message.contains("poster.png is"), "{message}");
        assert!(message.contains("over the 7.0 MB"), "{message}");
        assert!(message.contains("Shrink it to 2048 px"), "{message}");

        let event = ask(&mut media, MediaRequest::ShrinkReference { path }).await;
        let MediaEvent::ReferenceLoaded(loaded) = event else {
            panic!("expected the shrunk reference, got {event:?}");
        };
        assert_eq!(loaded.name, "poster.png (shrunk)");
        assert_eq!(loaded.reference.mime_type, "image/jpeg");
        assert!(loaded.reference.size_bytes <= MAX_REFERENCE_BYTES);
    }
}
