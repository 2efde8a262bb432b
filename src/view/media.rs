//! What the window can ask of the media service (files, thumbnails, dialogs, clipboard,
//! keychain) and what it answers: plain messages. The service itself is `app::media`.

use std::path::PathBuf;

use crate::api::ApiKey;

/// Longer side of the large view's image at most, however far the designer zooms in.
pub const FULL_IMAGE_MAX_SIDE_PX: u32 = 4096;
use crate::worker::protocol::Reference;

/// What the UI asks the media service to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaRequest {
    /// Decode `path` and shrink so the longer side is at most `max_side_px` (keep aspect), for the
    /// gallery.
    Thumbnail {
        /// The image file.
        path: PathBuf,
        /// Longer side of the thumbnail at most (images are never enlarged).
        max_side_px: u32,
    },
    /// Decode `path` for the large view, the longer side at most `max_side_px` (the screen's
    /// size when it opens; [`FULL_IMAGE_MAX_SIDE_PX`] once the designer zooms in past it).
    FullImage {
        /// The image file.
        path: PathBuf,
        /// Longer side at most (never above [`FULL_IMAGE_MAX_SIDE_PX`]).
        max_side_px: u32,
    },
    /// Read image files as references (drag and drop, or after the file dialog).
    LoadReferences {
        /// The files, in the order they should be added.
        paths: Vec<PathBuf>,
    },
    /// Files dropped on the window: an image carrying Peel's provenance gives back its prompt
    /// and settings ([`MediaEvent::SettingsFound`]); any other file is read as a reference.
    LoadDropped {
        /// The files, in the order they were dropped.
        paths: Vec<PathBuf>,
    },
    /// Open the OS file dialog (several PNG, JPEG or WebP files) and load what was picked.
    PickReferences,
    /// Read an image from the clipboard, encode it as PNG and load it as a reference.
    PasteReference,
    /// Shrink the image at `path` (too large to send) to a 2048 px JPEG within Gemini's inline
    /// limit and load that as a reference.
    ShrinkReference {
        /// The image file.
        path: PathBuf,
    },
    /// Ask where to save, then copy `source` there (a temporary file in the target folder,
    /// flushed to disk, then renamed: never a partial file).
    SaveAs {
        /// The image file to copy.
        source: PathBuf,
        /// The file name the dialog proposes.
        suggested_name: String,
    },
    /// Ask for a folder, then copy each of `sources` into it (each copy atomic, never over a file
    /// already there: `name-2.png`, …); one [`MediaEvent::Done`] or [`MediaEvent::Failed`] sentence
    /// at the end.
    SaveMany {
        /// The image files, in the gallery's order.
        sources: Vec<PathBuf>,
    },
    /// Ask for a folder, then write one folder per job into it as `peel export` does (the image,
    /// `provenance.json`, `diagnosis.json`); one sentence at the end.
    ExportMany {
        /// The jobs, in the gallery's order.
        jobs: Vec<crate::job::JobId>,
    },
    /// Put `source`'s image (decoded to RGBA) on the clipboard.
    CopyImage {
        /// The image file.
        source: PathBuf,
    },
    /// Delete a generated image file from disk.
    DeleteFile {
        /// The file.
        path: PathBuf,
    },
    /// Read, store or forget the API key in the system keychain.
    Keychain(KeychainRequest),
}

/// What the media service reports back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaEvent {
    /// A gallery thumbnail is ready.
    Thumbnail {
        /// The file it shows.
        path: PathBuf,
        /// The pixels.
        image: egui::ColorImage,
    },
    /// A large-view image is ready.
    FullImage {
        /// The file it shows.
        path: PathBuf,
        /// The pixels (shrunk to the size asked).
        image: egui::ColorImage,
        /// The picture's own size in pixels, which the large view lays it out at.
        original_size: [u32; 2],
    },
    /// A reference is ready.
    ReferenceLoaded(LoadedReference),
    /// A reference is over Gemini's inline limit and Peel can shrink it (the editor offers
    /// [`MediaRequest::ShrinkReference`]).
    ReferenceTooLarge {
        /// The file.
        path: PathBuf,
        /// The sentence: how large it is, the limit, and the shrink.
        message: String,
    },
    /// A dropped image carries the prompt and settings Peel made it with.
    SettingsFound {
        /// The file name.
        name: String,
        /// What to put back in the editor.
        settings: ImageSettings,
    },
    /// A file was saved (Save as…).
    Saved {
        /// Where it was saved.
        to: PathBuf,
    },
    /// The image is on the clipboard.
    Copied,
    /// Work on several files finished: one sentence saying what was done (and where).
    Done {
        /// The sentence.
        message: String,
    },
    /// The file is gone from disk (also when it was already gone).
    Deleted {
        /// The file.
        path: PathBuf,
    },
    /// The keychain's answer to a [`MediaRequest::Keychain`].
    Keychain(KeychainEvent),
    /// A gallery or large-view image could not be shown (missing or damaged file).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The sentence.
        message: String,
    },
    /// Something failed: one sentence saying what happened and what to do.
    Failed {
        /// The sentence.
        message: String,
    },
    /// The designer closed a dialog without choosing (no message needed).
    DialogCancelled,
}

/// A reference image read from a file or the clipboard, ready to send and to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedReference {
    /// The file name, or `PASTED_NAME` ("Pasted image").
    pub name: String,
    /// The reference as a job names it (its bytes kept once in the data folder).
    pub reference: Reference,
    /// A thumbnail whose longer side is `REFERENCE_THUMBNAIL_SIDE_PX` at most.
    pub thumbnail: egui::ColorImage,
}

/// The prompt and settings an image file carries (from its Peel provenance).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageSettings {
    /// The prompt.
    pub prompt: String,
    /// The model that made it.
    pub model: Option<String>,
    /// The aspect ratio sent (`None`: the model's default).
    pub aspect_ratio: Option<String>,
    /// The size sent (`None`: the model's only size).
    pub image_size: Option<String>,
    /// Safety thresholds as wire names (category, threshold).
    pub thresholds: Vec<(String, String)>,
}

impl ImageSettings {
    /// The settings of Peel's own record in `found`; `None` for another tool's text.
    pub fn of(found: &crate::provenance::Imported) -> Option<Self> {
        let peel = found.peel.as_ref()?;
        Some(Self {
            prompt: peel.prompt.clone(),
            model: Some(peel.model.clone()).filter(|model| !model.is_empty()),
            aspect_ratio: peel.aspect_ratio.clone(),
            image_size: peel.image_size.clone(),
            thresholds: peel
                .safety_settings
                .iter()
                .map(|s| {
                    (
                        s.category.as_str().to_owned(),
                        s.threshold.as_str().to_owned(),
                    )
                })
                .collect(),
        })
    }
}

/// What the UI asks of the system keychain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeychainRequest {
    /// Read the stored API key.
    Load,
    /// Store the API key, replacing any stored before.
    Store(ApiKey),
    /// Remove the stored API key.
    Forget,
}

/// The keychain's answer. Each `Err` carries the designer-facing sentence (never the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeychainEvent {
    /// The key read from the keychain (`None`: nothing stored).
    Loaded(Result<Option<ApiKey>, String>),
    /// The key was stored, or the sentence saying why not.
    Stored(Result<(), String>),
    /// The key was removed, or the sentence saying why not.
    Forgotten(Result<(), String>),
}
