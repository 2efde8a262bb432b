//! Files dropped on the window: an image Peel made (it carries Peel's provenance) gives back
//! the prompt and settings it was made with, and the references it names by hash when a job in
//! this library still holds them; any other file is read as a reference.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::decode::fitted_color_image;
use super::references::{REFERENCE_THUMBNAIL_SIDE_PX, no_preview};
use super::sentences::display_name;
use super::shrink_reference::MAX_SHRINK_INPUT_BYTES;
use super::{LoadedReference, MediaEvent, Service, off_thread};
use crate::provenance;
use crate::store::Store;
use crate::store::references::read_reference;
use crate::view::media::ImageSettings;

/// How many of the newest jobs are searched for an imported image's references.
const REFERENCE_SCAN_JOBS: usize = 5_000;

impl Service {
    /// Handles each dropped file in order: one `SettingsFound` for an image with Peel's
    /// provenance, else what loading it as a reference sends.
    pub(super) async fn load_dropped(&self, paths: Vec<PathBuf>) {
        for path in paths {
            let found = {
                let path = path.clone();
                off_thread("reading a dropped image", move || settings_in(&path)).await
            };
            match found {
                Ok(Some((settings, references))) => {
                    let name = display_name(&path);
                    let event = MediaEvent::SettingsFound { name, settings };
                    self.events.send(event).await;
                    self.restore_references(references).await;
                }
                // Not Peel's image, or unreadable: loading it as a reference says why.
                _ => self.load_references(vec![path]).await,
            }
        }
    }
}

impl Service {
    /// Loads the references an imported image names (by SHA-256) from this library, and says
    /// how many it could not find.
    async fn restore_references(&self, wanted: Vec<String>) {
        let (Some(store), false) = (self.store.clone(), wanted.is_empty()) else {
            return;
        };
        let count = wanted.len();
        let found = off_thread("finding the image's references", move || {
            references_from(&store, &wanted)
        })
        .await
        .unwrap_or_default();
        let missing = count - found.len();
        for loaded in found {
            self.events.send(MediaEvent::ReferenceLoaded(loaded)).await;
        }
        if missing > 0 {
            let message = format!(
                "{missing} of the image's {count} reference images are not in this library; add them again if you need them."
            );
            self.events.send(MediaEvent::Done { message }).await;
        }
    }
}

/// The settings Peel's provenance in `path` names, with the SHA-256 of each reference it was
/// made with, when it has some.
fn settings_in(path: &Path) -> Option<(ImageSettings, Vec<String>)> {
    // An image with content credentials is left untouched: its record is in the sidecar.
    let found = provenance::read(&read_file(path)?)
        .or_else(|| provenance::read(&read_file(&provenance::sidecar_path(path))?))?;
    let references = found
        .peel
        .as_ref()
        .map(|peel| peel.reference_sha256.clone())
        .unwrap_or_default();
    Some((ImageSettings::of(&found)?, references))
}

/// The bytes of the regular file at `path`, read no further than a large 4K PNG can be.
fn read_file(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_SHRINK_INPUT_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// The references with these hashes that a job in `store` holds, ready to show and send (their
/// kept files read back and checked).
fn references_from(store: &Arc<Store>, wanted: &[String]) -> Vec<LoadedReference> {
    let found = store
        .references_by_hash(wanted, REFERENCE_SCAN_JOBS)
        .unwrap_or_default();
    let data_dir = store.data_dir();
    found
        .into_iter()
        .enumerate()
        .filter_map(|(index, (_, sent))| {
            let bytes = read_reference(&data_dir, &sent).ok()?;
            let thumbnail = match image::guess_format(&bytes) {
                Ok(format) => {
                    let rgba = image::load_from_memory_with_format(&bytes, format)
                        .ok()?
                        .to_rgba8();
                    fitted_color_image(&rgba, REFERENCE_THUMBNAIL_SIDE_PX)
                }
                // HEIC and HEIF: sent as they are, shown as a plain tile.
                Err(_) => no_preview(),
            };
            Some(LoadedReference {
                name: format!("Reference {} (from the library)", index + 1),
                reference: sent,
                thumbnail,
            })
        })
        .collect()
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use super::super::MediaRequest;
    use super::super::test_support::{ask, next, service, write_image};
    use super::*;
    use crate::job::JobSpec;
    use crate::provenance::Provenance;
    use crate::store::turns::sha256_hex;

    #[tokio::test(flavor = "multi_thread")]
    async fn an_imported_image_brings_back_the_references_this_library_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("data/peel.db")).unwrap());
        let sketch = dir.path().join("sketch.png");
        write_image(&sketch, 12, 8);
        let sketch_bytes = std::fs::read(&sketch).unwrap();
        let spec = JobSpec {
            prompt: "a heron".to_owned(),
            references: vec![
                crate::store::references::keep_reference(
                    &store.data_dir(),
                    "image/png",
                    &sketch_bytes,
                )
                .unwrap(),
            ],
            ..JobSpec::default()
        };
        store
            .enqueue(
                &serde_json::to_string(&spec).unwrap(),
                jiff::Timestamp::now(),
            )
            .unwrap();
        let made = dir.path().join("peel-1.png");
        write_image(&made, 20, 10);
        let facts = Provenance {
            prompt: "a heron".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            reference_sha256: vec![sha256_hex(&sketch_bytes), sha256_hex(b"gone")],
            ..Provenance::default()
        };
        let bytes = provenance::insert(&std::fs::read(&made).unwrap(), &facts).unwrap();
        std::fs::write(&made, bytes).unwrap();
        let mut media = super::super::start(
            &tokio::runtime::Handle::current(),
            None,
            None,
            Some(Arc::clone(&store)),
        );

        let event = ask(&mut media, MediaRequest::LoadDropped { paths: vec![made] }).await;
        assert!(
            matches!(event, MediaEvent::SettingsFound { .. }),
            "{event:?}"
        );
        let MediaEvent::ReferenceLoaded(loaded) = next(&mut media).await else {
            panic!("expected the library's reference");
        };
        assert_eq!(loaded.reference, spec.references[0]);
        let MediaEvent::Done { message } = next(&mut media).await else {
            panic!("expected a sentence about the missing reference");
        };
        assert!(
            message.starts_with("1 of the image's 2 reference images"),
            "{message}"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_dropped_peel_image_gives_back_its_settings_and_others_become_references() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("peel-4.png");
        write_image(&made, 20, 10);
        let facts = Provenance {
            prompt: "a blue heron".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            aspect_ratio: Some("16:9".to_owned()),
            image_size: Some("2K".to_owned()),
            ..Provenance::default()
        };
        let bytes = provenance::insert(&std::fs::read(&made).unwrap(), &facts).unwrap();
        std::fs::write(&made, bytes).unwrap();
        let plain = dir.path().join("sketch.jpg");
        write_image(&plain, 20, 10);
        let (mut media, _) = service();

        let event = ask(
            &mut media,
            MediaRequest::LoadDropped {
                paths: vec![made.clone()],
            },
        )
        .await;
        let MediaEvent::SettingsFound { name, settings } = event else {
            panic!("expected settings, got {event:?}");
        };
        assert_eq!(name, "peel-4.png");
        assert_eq!(settings.prompt, "a blue heron");
        assert_eq!(settings.model.as_deref(), Some("gemini-3-pro-image"));
        assert_eq!(settings.aspect_ratio.as_deref(), Some("16:9"));
        assert_eq!(settings.image_size.as_deref(), Some("2K"));

        let event = ask(&mut media, MediaRequest::LoadDropped { paths: vec![plain] }).await;
        assert!(
            matches!(&event, MediaEvent::ReferenceLoaded(loaded) if loaded.name == "sketch.jpg"),
            "{event:?}"
        );
    }
}
