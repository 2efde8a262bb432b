//! Edits: the job that edits an earlier image resends the conversation so far (the earlier user
//! turn and the model's answer exactly as received, thought signatures included) on the model that
//! made it. The stored turn refers to image files; they are read back (and their hashes checked)
//! once, when the edit job starts.

use std::path::{Path, PathBuf};

use super::engine::Engine;
use super::protocol::{JobId, JobSpec};
use crate::api::wire::{Content, Part};
use crate::store::turns;

/// Where earlier versions kept the model's answer, beside the image (`peel-7.jpg` →
/// `peel-7.turn.json`, images embedded). Read for edits of old images, removed with them.
pub fn legacy_turn_path(image: &Path) -> PathBuf {
    image.with_extension("turn.json")
}

impl Engine {
    /// The job that edits `of`'s image with `prompt`: the earlier turns, then `of`'s own prompt
    /// and references, then the model's answer as received (thought signatures included), on the
    /// model that made the image (no fallback: signatures belong to their model). Blocking (the
    /// database and a small file): call from `spawn_blocking`.
    pub fn edit_spec(&self, of: JobId, prompt: &str) -> Result<JobSpec, String> {
        let not_editable = || {
            format!(
                "Image {of} can't be edited: Peel has no record of the model's answer. Generate it again, then edit."
            )
        };
        let store = self.store();
        let record = store.job(of).ok().flatten().ok_or_else(not_editable)?;
        let original = record.spec;
        let (image_path, model) = store.image_of(of).ok().flatten().ok_or_else(not_editable)?;
        let legacy = legacy_turn_path(Path::new(&image_path));
        let model_turn =
            turns::load_turn(&store.data_dir(), of, Some(&legacy)).map_err(|error| {
                format!("Image {of} can't be edited: {error}. Generate it again, then edit.")
            })?;
        let mut history = original.history.clone();
        let mut user_parts = vec![Part::text(original.prompt.clone())];
        user_parts.extend(
            original
                .references
                .iter()
                .map(|r| Part::inline_image(r.mime_type.clone(), r.base64.clone())),
        );
        history.push(Content {
            role: Some("user".to_owned()),
            parts: user_parts,
        });
        history.push(model_turn);
        Ok(JobSpec {
            prompt: prompt.trim().to_owned(),
            model,
            fallback: None,
            aspect_ratio: original.aspect_ratio,
            image_size: original.image_size,
            references: Vec::new(),
            safety_settings: original.safety_settings,
            history,
            edit_of: Some(of),
            rewrite_of: None,
        })
    }
}

/// The job's earlier turns ready to send (image files read back and checked), or why not.
pub async fn resolve_history(spec: &JobSpec) -> Result<Vec<Content>, String> {
    if !turns::refers_to_files(&spec.history) {
        return Ok(spec.history.clone());
    }
    let history = spec.history.clone();
    let edited = spec.edit_of.map_or_else(
        || "The earlier image".to_owned(),
        |of| format!("Image {of}"),
    );
    tokio::task::spawn_blocking(move || turns::resolve(&history))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| {
            format!("{edited} can't be edited: {error}. Generate it again, then edit.")
        })
}
