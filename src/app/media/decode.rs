//! Decoding and scaling: an image file (format sniffed from its bytes) to RGBA, scaled down to fit
//! a longer side, as an `egui::ColorImage`. Gallery thumbnails and the large view are made here.
//!
//! Gallery thumbnails are kept on disk in `<data>/thumbs/<sha256>-<side>.png`
//! ([`crate::store::thumbs`]), the hash taken over the image's path, modification time and size
//! (content-addressed without reading a 4K file): reopening a gallery decodes each big image once.
//! A missing or unreadable cache file is rebuilt; a cache that cannot be written only costs the
//! next decode.
//!
//! Both decode through `scale_on_load`: a JPEG is decoded at 1/2, 1/4 or 1/8 scale when that
//! still covers the asked size, then resized with a SIMD resizer.

mod scale_on_load;

use std::path::{Path, PathBuf};

use image::RgbaImage;

use super::sentences::{decode_sentence, display_name, read_sentence};
use super::{MediaEvent, Service, off_thread_flat};
use scale_on_load::{decode_fitted, fit, resized_rgba};

use crate::store::thumbs::cache_file;

pub use crate::view::media::FULL_IMAGE_MAX_SIDE_PX;

impl Service {
    /// Decodes `path` for the gallery (`full == false`) or the large view, scaled on load so the
    /// longer side is at most `max_side_px`.
    pub(super) async fn show(&self, path: PathBuf, max_side_px: u32, full: bool) {
        let decoded = {
            let _permit = self.decoders.acquire().await;
            let path = path.clone();
            let thumbs = if full { None } else { self.thumbs.clone() };
            off_thread_flat("opening an image", move || match thumbs {
                Some(thumbs) => {
                    cached_thumbnail(&path, max_side_px, &thumbs).map(|image| (image, None))
                }
                None => decode_fitted(&path, max_side_px).map(|rgba| {
                    let original = image::image_dimensions(&path)
                        .map_or([rgba.width(), rgba.height()], |(w, h)| [w, h]);
                    (to_color_image(&rgba), Some(original))
                }),
            })
            .await
        };
        let event = match decoded {
            Ok((image, Some(original_size))) if full => MediaEvent::FullImage {
                path,
                image,
                original_size,
            },
            Ok((image, _)) => MediaEvent::Thumbnail { path, image },
            Err(message) => MediaEvent::Unreadable { path, message },
        };
        self.events.send(event).await;
    }
}

/// Decodes an image file (format sniffed from the bytes) to RGBA.
pub(super) fn decode_file(path: &Path) -> Result<RgbaImage, String> {
    let name = display_name(path);
    let reader = image::ImageReader::open(path)
        .map_err(|e| read_sentence(&name, &e))?
        .with_guessed_format()
        .map_err(|e| read_sentence(&name, &e))?;
    let image = reader.decode().map_err(|e| decode_sentence(&name, &e))?;
    Ok(image.into_rgba8())
}

/// The thumbnail of `path` from the disk cache in `thumbs`, else decoded, scaled down and kept there.
fn cached_thumbnail(
    path: &Path,
    max_side_px: u32,
    thumbs: &Path,
) -> Result<egui::ColorImage, String> {
    let cached = cache_file(path, max_side_px, thumbs);
    if let Some(cached) = &cached
        && let Ok(image) = image::open(cached)
    {
        return Ok(to_color_image(&image.into_rgba8()));
    }
    let small = decode_fitted(path, max_side_px)?;
    if let Some(cached) = cached {
        let mut png = Vec::new();
        let written = small
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                crate::store::files::write_atomically(&cached, &png).map_err(|e| e.to_string())
            });
        if let Err(error) = written {
            tracing::warn!("a thumbnail could not be cached ({error}); it is made again next time");
        }
    }
    Ok(to_color_image(&small))
}

/// `rgba` as an egui image whose longer side is at most `max_side_px` (never enlarged).
pub(super) fn fitted_color_image(rgba: &RgbaImage, max_side_px: u32) -> egui::ColorImage {
    let (width, height) = rgba.dimensions();
    let (new_width, new_height) = fit(width, height, max_side_px);
    if (new_width, new_height) == (width, height) {
        to_color_image(rgba)
    } else {
        to_color_image(&resized_rgba(rgba, new_width, new_height))
    }
}

/// The pixels as an egui image.
fn to_color_image(rgba: &RgbaImage) -> egui::ColorImage {
    let (width, height) = rgba.dimensions();
    egui::ColorImage::from_rgba_unmultiplied([width as usize, height as usize], rgba.as_raw())
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use super::super::test_support::{ask, assert_repaints, service, write_image};
    use super::super::{MediaEvent, MediaRequest};
    use super::*;

    #[test]
    fn fit_keeps_the_aspect_ratio_and_never_enlarges() {
        assert_eq!(fit(400, 200, 128), (128, 64));
        assert_eq!(fit(100, 300, 50), (17, 50));
        assert_eq!(fit(5000, 100, 4096), (4096, 82));
        assert_eq!(fit(40, 20, 128), (40, 20));
        assert_eq!(fit(10_000, 1, 96), (96, 1));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_thumbnail_fits_the_asked_size_and_keeps_the_aspect_ratio() {
        let dir = tempfile::tempdir().unwrap();
        let wide = dir.path().join("wide.png");
        let tall = dir.path().join("tall.jpg");
        let small = dir.path().join("small.png");
        write_image(&wide, 400, 200);
        write_image(&tall, 100, 300);
        write_image(&small, 40, 20);
        let (mut media, repaints) = service();

        for (path, max_side_px, size) in [
            (&wide, 128, [128, 64]),
            (&tall, 50, [17, 50]),
            (&small, 128, [40, 20]),
        ] {
            let event = ask(
                &mut media,
                MediaRequest::Thumbnail {
                    path: path.clone(),
                    max_side_px,
                },
            )
            .await;
            let MediaEvent::Thumbnail { path: shown, image } = event else {
                panic!("expected a thumbnail, got {event:?}");
            };
            assert_eq!(&shown, path);
            assert_eq!(image.size, size, "{}", path.display());
            assert_eq!(image.pixels.len(), size[0] * size[1]);
        }
        assert_repaints(&repaints, 3).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_second_thumbnail_of_the_same_file_comes_from_the_disk_cache() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let big = dir.path().join("big.png");
        write_image(&big, 400, 200);
        let mut media =
            super::super::spawn_with_cache(&tokio::runtime::Handle::current(), None, &data, None);
        let ask_thumbnail = |path: &PathBuf| MediaRequest::Thumbnail {
            path: path.clone(),
            max_side_px: 128,
        };

        let first = ask(&mut media, ask_thumbnail(&big)).await;
        assert!(matches!(&first, MediaEvent::Thumbnail { image, .. } if image.size == [128, 64]));
        let cached = cache_file(&big, 128, &data.join("thumbs")).unwrap();
        assert!(cached.exists(), "{}", cached.display());
        // Mark the cache file: the next thumbnail is that file, so the big image was not decoded.
        write_image(&cached, 3, 3);
        let second = ask(&mut media, ask_thumbnail(&big)).await;
        assert!(matches!(&second, MediaEvent::Thumbnail { image, .. } if image.size == [3, 3]));
        // A damaged cache file is rebuilt.
        std::fs::write(&cached, b"not a png").unwrap();
        let third = ask(&mut media, ask_thumbnail(&big)).await;
        assert!(matches!(&third, MediaEvent::Thumbnail { image, .. } if image.size == [128, 64]));
        assert!(image::open(&cached).is_ok());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_large_view_decodes_at_the_size_asked_and_never_above_4096_px() {
        let dir = tempfile::tempdir().unwrap();
        let huge = dir.path().join("huge.png");
        let normal = dir.path().join("normal.png");
        write_image(&huge, 5000, 100);
        write_image(&normal, 640, 480);
        let (mut media, _) = service();
        let full = |path: &std::path::Path, max_side_px| MediaRequest::FullImage {
            path: path.to_path_buf(),
            max_side_px,
        };

        let event = ask(&mut media, full(&huge, u32::MAX)).await;
        assert!(
            matches!(&event, MediaEvent::FullImage { path, image, original_size } if *path == huge && image.size == [4096, 82] && *original_size == [5000, 100]),
            "{event:?}"
        );
        // The screen's size first: a 1400 px screen gets a 1400 px picture, laid out at its own size.
        let event = ask(&mut media, full(&huge, 1400)).await;
        assert!(
            matches!(&event, MediaEvent::FullImage { image, original_size, .. } if image.size == [1400, 28] && *original_size == [5000, 100]),
            "{event:?}"
        );
        let event = ask(&mut media, full(&normal, 1400)).await;
        assert!(
            matches!(&event, MediaEvent::FullImage { image, .. } if image.size == [640, 480]),
            "{event:?}"
        );
    }
}
