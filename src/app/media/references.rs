//! Reference images: reading a file as a reference (PNG, JPEG or WebP sniffed from the bytes, at
//! most Google's 20 MB inline limit), with its mime type, base64 and a small thumbnail, and the
//! sentences for files that cannot be references.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use image::{ImageFormat, RgbaImage};

use super::decode::fitted_color_image;
use super::sentences::{decode_sentence, display_name, megabytes, read_sentence};
use super::{LoadedReference, MediaEvent, Service, off_thread_flat};
use crate::worker::protocol::Reference;

/// Largest reference file accepted: Google's limit for inline request data is 20 MB.
pub const MAX_REFERENCE_BYTES: u64 = 20_000_000;

/// Longer side of a reference's thumbnail.
pub const REFERENCE_THUMBNAIL_SIDE_PX: u32 = 96;

impl Service {
    /// Loads each file in order: one `ReferenceLoaded` or one `Failed` per file.
    pub(super) async fn load_references(&self, paths: Vec<PathBuf>) {
        for path in paths {
            let loaded = {
                let _permit = self.decoders.acquire().await;
                off_thread_flat("reading a reference", move || load_reference(&path)).await
            };
            let event = match loaded {
                Ok(reference) => MediaEvent::ReferenceLoaded(reference),
                Err(message) => MediaEvent::Failed { message },
            };
            self.events.send(event).await;
        }
    }
}

/// Reads a reference file: PNG, JPEG or WebP (sniffed from the bytes), at most
/// [`MAX_REFERENCE_BYTES`].
fn load_reference(path: &Path) -> Result<LoadedReference, String> {
    let name = display_name(path);
    let bytes = read_limited(path, &name)?;
    let format = sniff(&bytes, &name)?;
    // Decoding checks the file is whole, and gives the thumbnail.
    let rgba = image::load_from_memory_with_format(&bytes, format)
        .map_err(|e| decode_sentence(&name, &e))?
        .into_rgba8();
    Ok(reference(name, format, &bytes, &rgba))
}

/// Reads the file's bytes, refusing folders and anything over [`MAX_REFERENCE_BYTES`].
pub(super) fn read_limited(path: &Path, name: &str) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|e| read_sentence(name, &e))?;
    let metadata = file.metadata().map_err(|e| read_sentence(name, &e))?;
    if metadata.is_dir() {
        return Err(format!(
            "Could not read {name}: it is a folder, not an image. Add PNG, JPEG or WebP files."
        ));
    }
    if metadata.len() > MAX_REFERENCE_BYTES {
        return Err(too_big_sentence(name, metadata.len()));
    }
    // Read one byte past the limit, in case the file grew since its size was read.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or_default());
    file.take(MAX_REFERENCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_sentence(name, &e))?;
    if bytes.len() as u64 > MAX_REFERENCE_BYTES {
        return Err(too_big_sentence(name, bytes.len() as u64));
    }
    Ok(bytes)
}

/// The format of `bytes` when it is one Gemini takes as a reference (PNG, JPEG or WebP), or the
/// sentence naming what it is instead.
fn sniff(bytes: &[u8], name: &str) -> Result<ImageFormat, String> {
    match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => Ok(format),
        Ok(other) => {
            let kind = other
                .extensions_str()
                .first()
                .map_or_else(|| format!("{other:?}"), |e| e.to_ascii_uppercase());
            Err(format!(
                "Could not read {name}: it is not a PNG, JPEG or WebP image (it looks like a \
                 {kind} file). Add a PNG, JPEG or WebP file."
            ))
        }
        Err(_) => Err(format!(
            "Could not read {name}: it is not a PNG, JPEG or WebP image. Add a PNG, JPEG or WebP \
             file."
        )),
    }
}

/// A reference from its encoded bytes and its pixels.
pub(super) fn reference(
    name: String,
    format: ImageFormat,
    bytes: &[u8],
    rgba: &RgbaImage,
) -> LoadedReference {
    let mime_type = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        _ => "image/png",
    };
    LoadedReference {
        name,
        reference: Reference {
            mime_type: mime_type.to_owned(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        },
        thumbnail: fitted_color_image(rgba, REFERENCE_THUMBNAIL_SIDE_PX),
    }
}

/// The sentence for a reference over the inline limit.
fn too_big_sentence(name: &str, bytes: u64) -> String {
    format!(
        "Could not add {name}: it is {}, and Gemini takes at most 20 MB of inline images per \
         request. Use a smaller file (for example, export it as JPEG).",
        megabytes(bytes)
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

    #[tokio::test(flavor = "multi_thread")]
    async fn references_load_in_order_with_mime_type_base64_and_thumbnail() {
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
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&loaded.reference.base64)
                .unwrap();
            assert_eq!(decoded, fs::read(path).unwrap());
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
        assert!(text.contains("notes.txt"), "{text}");
        assert!(text.contains("not a PNG, JPEG or WebP image"), "{text}");
        let gif = failure(next(&mut media).await);
        assert!(gif.contains("cat.png"), "{gif}");
        assert!(gif.contains("GIF"), "{gif}");
        assert!(gif.contains("Add a PNG, JPEG or WebP file"), "{gif}");
        let broken = failure(next(&mut media).await);
        assert!(broken.contains("broken.png"), "{broken}");
        assert!(broken.contains("damaged"), "{broken}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_reference_over_20_mb_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("poster.png");
        let file = File::create(&big).unwrap();
        file.set_len(MAX_REFERENCE_BYTES + 1).unwrap();
        drop(file);
        let (mut media, _) = service();

        let message = failure(
            ask(
                &mut media,
                MediaRequest::LoadReferences { paths: vec![big] },
            )
            .await,
        );
        assert!(message.contains("poster.png"), "{message}");
        assert!(message.contains("20 MB"), "{message}");
    }
}
