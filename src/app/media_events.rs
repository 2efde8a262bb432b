//! Media and keychain events: thumbnails and full images become textures, loaded references
//! join the editor, a dropped image's settings are restored, and the key's state follows the
//! keychain's answers.

use super::PeelApp;
use super::media::{KeychainEvent, MediaEvent};
use crate::api::catalog::Catalog;
use crate::ui;
use crate::ui::editor::{EditorReference, ShrinkOffer};
use crate::ui::settings::KeySource;
use crate::view::media::ImageSettings;

impl PeelApp {
    pub(super) fn apply_media(&mut self, ctx: &egui::Context, event: MediaEvent) {
        match event {
            MediaEvent::Thumbnail { path, image } => {
                self.textures.requested.remove(&path);
                let texture = ctx.load_texture(
                    format!("thumb:{}", path.display()),
                    image,
                    egui::TextureOptions::LINEAR,
                );
                self.textures.thumbnails.insert(path, texture);
            }
            MediaEvent::FullImage {
                path,
                image,
                original_size,
            } => {
                let texture = ctx.load_texture(
                    format!("full:{}", path.display()),
                    image,
                    egui::TextureOptions::LINEAR,
                );
                let full = ui::FullImage {
                    path,
                    texture,
                    original_size,
                };
                // Compare's images never replace the large view's (unless it shows the same).
                let viewer_shows = self
                    .ui_state
                    .viewer
                    .as_ref()
                    .is_some_and(|viewer| viewer.path == full.path);
                if !self.textures.compare.arrived(&full) || viewer_shows {
                    self.textures.full = Some(full);
                }
            }
            MediaEvent::ReferenceLoaded(loaded) => {
                let limit = self.editor.reference_limit();
                if self.editor.references.len() >= limit {
                    self.state.notice = Some(format!(
                        "{} was not added: {} takes at most {limit} reference images. Remove one first.",
                        loaded.name, self.editor.model
                    ));
                    return;
                }
                let texture = ctx.load_texture(
                    format!("reference:{}", self.editor.references.len()),
                    loaded.thumbnail,
                    egui::TextureOptions::LINEAR,
                );
                self.editor.references.push(EditorReference {
                    name: loaded.name,
                    reference: loaded.reference,
                    texture: Some(texture),
                });
            }
            MediaEvent::ReferenceTooLarge { path, message } => {
                self.editor
                    .shrink_offers
                    .push(ShrinkOffer { path, message });
            }
            MediaEvent::SettingsFound { name, settings } => self.restore_settings(&name, settings),
            MediaEvent::Saved { to } => {
                self.state.notice = Some(format!("Saved to {}", to.display()));
            }
            MediaEvent::Copied => {
                self.state.notice = Some("Image copied to the clipboard.".to_owned());
            }
            MediaEvent::Deleted { .. } | MediaEvent::DialogCancelled => {}
            MediaEvent::Done { message } | MediaEvent::Failed { message } => {
                self.state.notice = Some(message);
            }
            MediaEvent::Unreadable { path, message } => {
                self.textures.requested.remove(&path);
                self.textures.unreadable.insert(path, message);
            }
            MediaEvent::Keychain(event) => self.apply_keychain(event),
        }
    }

    /// Puts a dropped image's prompt and settings back in the editor (its references stay).
    fn restore_settings(&mut self, name: &str, settings: ImageSettings) {
        let editor = &mut self.editor;
        editor.prompt = settings.prompt;
        if let Some(model) = settings
            .model
            .filter(|model| Catalog::builtin().get(model).is_some())
        {
            editor.model = model;
        }
        if let Some(ratio) = settings.aspect_ratio {
            editor.aspect_ratio = ratio;
        }
        editor.image_size = settings.image_size.unwrap_or_default();
        editor.thresholds = settings.thresholds.into_iter().collect();
        editor.fit_to_model();
        self.state.notice = Some(format!(
            "Restored the prompt and settings {name} was made with."
        ));
    }

    fn apply_keychain(&mut self, event: KeychainEvent) {
        match event {
            KeychainEvent::Loaded(result) => {
                if self.key.source != KeySource::Checking {
                    return; // a key arrived some other way meanwhile
                }
                match result {
                    Ok(Some(key)) => self.use_key(Some(key), KeySource::Keychain),
                    Ok(None) => self.key.source = KeySource::None,
                    Err(message) => {
                        self.key.source = KeySource::None;
                        self.key.message = Some(message);
                    }
                }
            }
            KeychainEvent::Stored(result) => match result {
                Ok(()) => {
                    if self.api_key.is_some() {
                        self.key.source = KeySource::Keychain;
                    }
                    self.key.message = Some("Key saved in the system keychain.".to_owned());
                }
                Err(message) => self.key.message = Some(message),
            },
            KeychainEvent::Forgotten(result) => {
                self.key.message = Some(match result {
                    Ok(()) => "Key removed from the system keychain.".to_owned(),
                    Err(message) => message,
                });
            }
        }
    }
}
