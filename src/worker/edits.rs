//! Edits: the job that edits an earlier image resends the conversation so far (the earlier user
//! turn and the model's answer exactly as received, thought signatures included) on the model that
//! made it. The stored turn refers to image files, and the earlier user turn to the kept
//! reference files; they are read back (and their hashes checked) with the job's own references
//! ([`resolve_inputs`]) when the job starts, where the whole request is weighed against Google's
//! 20 MB limit before anything is sent, and again for each attempt's request: a job waiting in
//! the queue holds names and hashes only, never the bytes.

use std::path::{Path, PathBuf};

use super::engine::Engine;
use super::fitting::{fit, request_for};
use super::protocol::{JobId, JobSpec};
use super::request_size::check_request_size;
use crate::api::catalog::ModelEntry;
use crate::api::wire::{Content, Part};
use crate::store::{references, turns};

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
        let data_dir = store.data_dir();
        user_parts.extend(
            original
                .references
                .iter()
                .map(|r| references::reference_stand_in(&data_dir, r)),
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

/// What a job sends besides its prompt, read back from the data folder: the earlier turns
/// (edits) and the references, as base64 in memory for the request only.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The earlier turns, image files read back and checked.
    pub history: Vec<Content>,
    /// One inline image part per reference, in order.
    pub references: Vec<Part>,
}

/// The job's earlier turns and references ready to send (files read back, hashes checked), with
/// the request each model it may use (`primary`, `fallback`) would get weighed against Google's
/// 20 MB limit; or the sentence that says why the job cannot be sent.
pub async fn resolve_inputs(
    spec: &JobSpec,
    data_dir: &Path,
    primary: &ModelEntry,
    fallback: Option<&ModelEntry>,
) -> Result<Inputs, String> {
    let history = resolve_history(spec, data_dir).await?;
    let kept = spec.references.clone();
    let data_dir = data_dir.to_path_buf();
    let spec = spec.clone();
    let primary = primary.clone();
    let fallback = fallback.cloned();
    tokio::task::spawn_blocking(move || {
        let references = kept
            .iter()
            .map(|reference| references::reference_part(&data_dir, reference))
            .collect::<Result<Vec<Part>, _>>()
            .map_err(|error| {
                let sentence = error.to_string();
                let mut chars = sentence.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect::<String>()
                }) + "."
            })?;
        // Every model the job may send to is weighed: a fallback that takes more references
        // than the primary sends a larger request.
        for model in std::iter::once(&primary).chain(fallback.as_ref()) {
            let fitted = fit(&spec, model);
            let request = request_for(&spec, &history, &references, &fitted);
            check_request_size(&request, &spec, fitted.references)?;
        }
        Ok(Inputs {
            history,
            references,
        })
    })
    .await
    .map_err(|error| error.to_string())?
}

/// The job's earlier turns ready to send (image files read back and checked), or why not.
async fn resolve_history(spec: &JobSpec, data_dir: &Path) -> Result<Vec<Content>, String> {
    if !turns::refers_to_files(&spec.history) {
        return Ok(spec.history.clone());
    }
    let history = spec.history.clone();
    let edited = spec.edit_of.map_or_else(
        || "The earlier image".to_owned(),
        |of| format!("Image {of}"),
    );
    let data_dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || turns::resolve_in(&history, Some(&data_dir)))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| {
            format!("{edited} can't be edited: {error}. Generate it again, then edit.")
        })
}
