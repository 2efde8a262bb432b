//! Files dropped on the window: an image Peel made (it carries Peel's provenance) gives back
//! the prompt and settings it was made with; any other file is read as a reference.

use std::path::{Path, PathBuf};

use super::references::read_limited;
use super::sentences::display_name;
use super::{MediaEvent, Service, off_thread};
use crate::provenance;
use crate::view::media::ImageSettings;

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
                Ok(Some(settings)) => {
                    let name = display_name(&path);
                    let event = MediaEvent::SettingsFound { name, settings };
                    self.events.send(event).await;
                }
                // Not Peel's image, or unreadable: loading it as a reference says why.
                _ => self.load_references(vec![path]).await,
            }
        }
    }
}

/// The settings Peel's provenance in `path` names, when it has some.
fn settings_in(path: &Path) -> Option<ImageSettings> {
    let bytes = read_limited(path, &display_name(path)).ok()?;
    ImageSettings::of(&provenance::read(&bytes)?)
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
    use crate::provenance::Provenance;

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
