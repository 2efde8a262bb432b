//! A job's settings fitted to a model (the nearest size and ratio it offers, as many references
//! as it takes), and the request built from them.

use crate::api::catalog::ModelEntry;
use crate::api::enums::Modality;
use crate::api::wire::{
    Content, GenerateContentRequest, GenerationConfig, ImageConfig, Part, ThinkingConfig,
};

use super::protocol::JobSpec;

/// Settings of a job mapped onto a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    /// The ratio sent (`None`: the model's default).
    pub aspect_ratio: Option<String>,
    /// The size sent (`None`: a single-size model, or none asked).
    pub image_size: Option<String>,
    /// How many of the job's references are sent.
    pub references: usize,
    /// What was changed to fit ("4K to 1K").
    pub changes: Vec<String>,
    /// Whether the model thinks, so the request asks for its thought summaries (and the answer
    /// is streamed, thoughts and interim images shown as they arrive).
    pub thinks: bool,
}

impl Fitted {
    /// The size the cost and the expected pixel size go by (`1K` when none is sent).
    pub fn size_or_default(&self) -> String {
        self.image_size.clone().unwrap_or_else(|| "1K".to_owned())
    }
}

/// Maps a job's settings onto what `model` supports: the nearest size not above the one asked,
/// the ratio if offered (else 1:1), and as many references as it takes.
pub fn fit(spec: &JobSpec, model: &ModelEntry) -> Fitted {
    let mut changes = Vec::new();
    let image_size = match &spec.image_size {
        Some(size) if !model.image_sizes.is_empty() && !model.image_sizes.contains(size) => {
            let rank = |s: &str| match s {
                "512" => 0,
                "2K" => 2,
                "4K" => 3,
                _ => 1, // "1K" and anything unknown
            };
            let best = model
                .image_sizes
                .iter()
                .filter(|s| rank(s) <= rank(size))
                .max_by_key(|s| rank(s))
                .or_else(|| model.image_sizes.iter().min_by_key(|s| rank(s)))
                .cloned();
            if let Some(best) = &best {
                changes.push(format!("{size} to {best}"));
            }
            best
        }
        Some(_) if model.image_sizes.is_empty() => None,
        other => other.clone(),
    };
    let aspect_ratio = match &spec.aspect_ratio {
        Some(ratio) if !model.aspect_ratios.is_empty() && !model.aspect_ratios.contains(ratio) => {
            changes.push(format!("{ratio} to 1:1"));
            Some("1:1".to_owned())
        }
        other => other.clone(),
    };
    let max = model
        .max_reference_images
        .map_or(usize::MAX, |m| m as usize);
    let references = spec.references.len().min(max);
    if references < spec.references.len() {
        changes.push(format!(
            "{} references to {references}",
            spec.references.len()
        ));
    }
    Fitted {
        aspect_ratio,
        image_size,
        references,
        changes,
        thinks: model.thinking == Some(true),
    }
}

/// The request for one attempt: the earlier turns (edits), then the prompt and the first
/// `fitted.references` of `references` (the job's references read back, one part each).
pub fn request_for(
    spec: &JobSpec,
    history: &[Content],
    references: &[Part],
    fitted: &Fitted,
) -> GenerateContentRequest {
    let mut parts = vec![Part::text(spec.prompt.clone())];
    parts.extend(references.iter().take(fitted.references).cloned());
    GenerateContentRequest {
        contents: history
            .iter()
            .cloned()
            .chain([Content {
                role: Some("user".to_owned()),
                parts,
            }])
            .collect(),
        generation_config: Some(GenerationConfig {
            response_modalities: vec![Modality::Text, Modality::Image],
            image_config: Some(ImageConfig {
                aspect_ratio: fitted.aspect_ratio.clone(),
                image_size: fitted.image_size.clone(),
            }),
            thinking_config: fitted.thinks.then_some(ThinkingConfig {
                include_thoughts: Some(true),
                thinking_level: None,
            }),
            ..GenerationConfig::default()
        }),
        safety_settings: spec.safety_settings.clone(),
        ..GenerateContentRequest::default()
    }
}

/// A model the catalog does not know: sent as is, with no capability limits and no price.
pub fn unknown_entry(id: &str) -> Option<ModelEntry> {
    let id = id.trim();
    (!id.is_empty()).then(|| ModelEntry {
        id: id.to_owned(),
        display_name: id.to_owned(),
        official_name: None,
        status: crate::api::catalog::ModelStatus::Preview,
        shutdown_date: None,
        replacement: None,
        image_sizes: Vec::new(),
        aspect_ratios: Vec::new(),
        max_reference_images: None,
        output_mime_type: None,
        thinking: None,
        input_token_limit: None,
        output_token_limit: None,
        image_output_tokens: std::collections::BTreeMap::new(),
        price_per_image_usd: std::collections::BTreeMap::new(),
        price_input_per_million_usd: None,
        free_tier: None,
        notes: None,
        sources: Vec::new(),
        pixel_sizes: std::collections::BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalog::Catalog;

    fn spec(size: &str, ratio: &str, references: usize) -> JobSpec {
        JobSpec {
            prompt: "a fox".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            fallback: Some("gemini-3.1-flash-lite-image".to_owned()),
            aspect_ratio: Some(ratio.to_owned()),
            image_size: Some(size.to_owned()),
            references: vec![
                crate::worker::protocol::Reference {
                    mime_type: "image/png".to_owned(),
                    sha256: "0".repeat(64),
                    size_bytes: 1,
                };
                references
            ],
            safety_settings: Vec::new(),
            ..JobSpec::default()
        }
    }

    #[test]
    fn settings_the_fallback_cannot_honour_are_mapped_and_named() {
        let lite = Catalog::builtin()
            .get("gemini-3.1-flash-lite-image")
            .unwrap();
        let fitted = fit(&spec("4K", "16:9", 2), lite);
        assert_eq!(fitted.image_size.as_deref(), Some("1K"));
        assert_eq!(fitted.changes, ["4K to 1K"]);
        let pro = Catalog::builtin().get("gemini-3-pro-image").unwrap();
        assert!(fit(&spec("2K", "16:9", 14), pro).changes.is_empty());
        let too_many = fit(&spec("2K", "16:9", 20), pro);
        assert_eq!(too_many.references, 14);
        assert_eq!(too_many.changes, ["20 references to 14"]);
        let ratio = fit(&spec("2K", "8:1", 0), pro);
        assert_eq!(ratio.aspect_ratio.as_deref(), Some("1:1"));
    }
}
