//! The prompt editor's state: the prompt, model and fallback, ratio and size, count, reference
//! images and thresholds; fitting them to what the model supports, building the [`JobSpec`] a
//! press of Generate sends, restoring one, and the cost line. Drawn by [`super::editor`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::catalog::{Catalog, ModelEntry};
use crate::api::enums::{HarmBlockThreshold, HarmCategory};
use crate::api::wire::SafetySetting;
use crate::resilience::budget::worst_case_cost_usd;
use crate::worker::JobSpec;
use crate::worker::protocol::Reference;

/// Most images one press of Generate may queue.
pub const MAX_IMAGES_PER_PRESS: u32 = 8;

/// The thresholds offered per category, in order ("Model default" sends nothing).
pub const THRESHOLDS: [(HarmBlockThreshold, &str); 6] = [
    (HarmBlockThreshold::Unspecified, "Model default"),
    (HarmBlockThreshold::Off, "Off"),
    (HarmBlockThreshold::BlockNone, "Block none"),
    (HarmBlockThreshold::BlockOnlyHigh, "Block only high"),
    (
        HarmBlockThreshold::BlockMediumAndAbove,
        "Block medium and above",
    ),
    (HarmBlockThreshold::BlockLowAndAbove, "Block low and above"),
];

/// A reference image in the editor, with its thumbnail once uploaded.
#[derive(Clone)]
pub struct EditorReference {
    /// File name, or "Pasted image".
    pub name: String,
    /// What is sent.
    pub reference: Reference,
    /// Its thumbnail.
    pub texture: Option<egui::TextureHandle>,
}

impl std::fmt::Debug for EditorReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditorReference")
            .field("name", &self.name)
            .field("mime_type", &self.reference.mime_type)
            .finish_non_exhaustive()
    }
}

/// A reference over Gemini's inline limit that Peel can shrink: the editor shows its sentence
/// and a "Shrink to 2048 px" button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShrinkOffer {
    /// The file.
    pub path: std::path::PathBuf,
    /// How large it is, the limit, and the shrink.
    pub message: String,
}

/// What the editor holds between frames (and between runs, except references).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Editor {
    /// The prompt being written.
    pub prompt: String,
    /// The model.
    pub model: String,
    /// The fallback.
    pub fallback: Option<String>,
    /// The aspect ratio.
    pub aspect_ratio: String,
    /// The image size (empty for single-size models).
    pub image_size: String,
    /// How many images one press queues.
    pub count: u32,
    /// Layer 1 thresholds by category wire name; absent means the model's default.
    pub thresholds: BTreeMap<String, String>,
    /// Whether retired models are listed.
    pub show_retired: bool,
    /// Reference images (not kept between runs).
    #[serde(skip)]
    pub references: Vec<EditorReference>,
    /// References too large to send that Peel offers to shrink (not kept between runs).
    #[serde(skip)]
    pub shrink_offers: Vec<ShrinkOffer>,
    /// Whether the prompt got the keyboard focus on the first frame (so typing works at once).
    #[serde(skip)]
    pub focused_once: bool,
    /// The preflight of the prompt: cached marks, replacements to undo, the name memory.
    #[serde(skip)]
    pub preflight: super::preflight::PreflightState,
    /// The prompt library's cursor, list and save dialog.
    #[serde(skip)]
    pub library: super::prompt_library::LibraryUi,
}

impl Default for Editor {
    fn default() -> Self {
        let catalog = Catalog::builtin();
        Self {
            prompt: String::new(),
            model: catalog.primary.clone(),
            fallback: Some(catalog.fallback.clone()),
            aspect_ratio: "1:1".to_owned(),
            image_size: "1K".to_owned(),
            count: 1,
            thresholds: BTreeMap::new(),
            show_retired: false,
            references: Vec::new(),
            shrink_offers: Vec::new(),
            focused_once: false,
            preflight: super::preflight::PreflightState::default(),
            library: super::prompt_library::LibraryUi::default(),
        }
    }
}

impl Editor {
    /// The chosen model's catalog entry.
    pub fn model_entry(&self) -> Option<&'static ModelEntry> {
        Catalog::builtin().get(&self.model)
    }

    /// Most references the model takes.
    pub fn reference_limit(&self) -> usize {
        self.model_entry()
            .and_then(|m| m.max_reference_images)
            .map_or(usize::MAX, |m| m as usize)
    }

    /// Keeps ratio, size and references within what the model supports (after a model change).
    pub fn fit_to_model(&mut self) {
        let Some(model) = self.model_entry() else {
            return;
        };
        if !model.aspect_ratios.is_empty() && !model.aspect_ratios.contains(&self.aspect_ratio) {
            self.aspect_ratio = if model.aspect_ratios.iter().any(|r| r == "1:1") {
                "1:1".to_owned()
            } else {
                model.aspect_ratios[0].clone()
            };
        }
        if model.image_sizes.is_empty() {
            self.image_size.clear();
        } else if !model.image_sizes.contains(&self.image_size) {
            self.image_size = if model.image_sizes.iter().any(|s| s == "1K") {
                "1K".to_owned()
            } else {
                model.image_sizes[0].clone()
            };
        }
        if self.fallback.as_deref() == Some(self.model.as_str()) {
            self.fallback = None;
        }
        let limit = self.reference_limit();
        self.references.truncate(limit);
    }

    /// Replaces a saved fallback that Google has since deprecated or retired with its catalog
    /// replacement (an editor saved when `gemini-3.1-flash-image` was the default gets
    /// `gemini-nano-banana-2.1`): a fallback is only useful if it keeps working. Called once,
    /// when the saved editor is loaded; a choice made in this session is left alone.
    pub fn upgrade_fallback(&mut self) {
        let catalog = Catalog::builtin();
        let Some(replacement) = self
            .fallback
            .as_deref()
            .and_then(|id| catalog.replacement_for(id))
        else {
            return;
        };
        // A replacement that is the primary itself is no fallback: then the catalog's default.
        self.fallback = [&replacement.id, &catalog.fallback]
            .into_iter()
            .find(|id| **id != self.model)
            .cloned();
    }

    /// The job one press of Generate queues (as many times as `count`).
    pub fn spec(&self) -> JobSpec {
        let safety_settings = HarmCategory::CONFIGURABLE
            .iter()
            .filter_map(|category| {
                let threshold = self.thresholds.get(category.as_str())?;
                let threshold = HarmBlockThreshold::from_wire(threshold);
                (threshold != HarmBlockThreshold::Unspecified).then(|| SafetySetting {
                    category: category.clone(),
                    threshold,
                })
            })
            .collect();
        JobSpec {
            prompt: self.prompt.trim().to_owned(),
            model: self.model.clone(),
            fallback: self.fallback.clone(),
            aspect_ratio: Some(self.aspect_ratio.clone()),
            image_size: (!self.image_size.is_empty()).then(|| self.image_size.clone()),
            references: self
                .references
                .iter()
                .map(|r| r.reference.clone())
                .collect(),
            safety_settings,
            ..JobSpec::default()
        }
    }

    /// Puts a job's settings back (its references too).
    pub fn restore(&mut self, spec: &JobSpec) {
        self.prompt = spec.prompt.clone();
        self.model = spec.model.clone();
        self.fallback = spec.fallback.clone();
        if let Some(ratio) = &spec.aspect_ratio {
            self.aspect_ratio = ratio.clone();
        }
        self.image_size = spec.image_size.clone().unwrap_or_default();
        self.thresholds = spec
            .safety_settings
            .iter()
            .map(|s| {
                (
                    s.category.as_str().to_owned(),
                    s.threshold.as_str().to_owned(),
                )
            })
            .collect();
        self.references = spec
            .references
            .iter()
            .enumerate()
            .map(|(i, reference)| EditorReference {
                name: format!("Reference {}", i + 1),
                reference: reference.clone(),
                texture: None,
            })
            .collect();
        self.fit_to_model();
    }

    /// "Estimated cost: $0.13 per image × 2 = $0.27", or why it can't be known.
    pub fn cost_line(&self, simulated: bool) -> String {
        let Some(model) = self.model_entry() else {
            return "Estimated cost: unknown model".to_owned();
        };
        let size = if self.image_size.is_empty() {
            "1K"
        } else {
            self.image_size.as_str()
        };
        if !model.price_per_image_usd.contains_key(size) {
            return format!(
                "Estimated cost: Google publishes no price for {} at {size}",
                model.display_name
            );
        }
        let each = worst_case_cost_usd(model, size);
        let total = each * f64::from(self.count);
        let billed = if simulated {
            " (simulated: nothing is billed)"
        } else {
            ""
        };
        if self.count == 1 {
            format!("Estimated cost: ${each:.3} per image{billed}")
        } else {
            format!(
                "Estimated cost: ${each:.3} per image × {} = ${total:.2}{billed}",
                self.count
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_fallback_is_the_current_model() {
        let editor = Editor::default();
        assert_eq!(editor.model, "gemini-3-pro-image");
        assert_eq!(editor.fallback.as_deref(), Some("gemini-nano-banana-2.1"));
    }

    #[test]
    fn a_saved_deprecated_fallback_is_upgraded_once() {
        let mut editor = Editor {
            fallback: Some("gemini-3.1-flash-image".to_owned()),
            ..Editor::default()
        };
        editor.upgrade_fallback();
        assert_eq!(editor.fallback.as_deref(), Some("gemini-nano-banana-2.1"));
        // A current fallback, or none, is left as chosen.
        let mut lite = Editor {
            fallback: Some("gemini-3.1-flash-lite-image".to_owned()),
            ..Editor::default()
        };
        lite.upgrade_fallback();
        assert_eq!(
            lite.fallback.as_deref(),
            Some("gemini-3.1-flash-lite-image")
        );
        let mut none = Editor {
            fallback: None,
            ..Editor::default()
        };
        none.upgrade_fallback();
        assert_eq!(none.fallback, None);
    }

    #[test]
    fn a_model_change_keeps_only_supported_settings() {
        let mut editor = Editor {
            image_size: "4K".to_owned(),
            aspect_ratio: "21:9".to_owned(),
            ..Editor::default()
        };
        editor.model = "gemini-3.1-flash-lite-image".to_owned();
        editor.fit_to_model();
        assert_eq!(editor.image_size, "1K", "flash-lite makes 1K only");
        editor.model = "gemini-2.5-flash-image".to_owned();
        editor.fit_to_model();
        assert_eq!(
            editor.image_size, "",
            "a single-size model sends no imageSize"
        );
        assert_eq!(editor.spec().image_size, None);
    }

    #[test]
    fn thresholds_become_safety_settings_and_default_sends_nothing() {
        let mut editor = Editor::default();
        assert!(editor.spec().safety_settings.is_empty());
        editor.thresholds.insert(
            "HARM_CATEGORY_DANGEROUS_CONTENT".to_owned(),
            "BLOCK_ONLY_HIGH".to_owned(),
        );
        let settings = editor.spec().safety_settings;
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].category, HarmCategory::DangerousContent);
        assert_eq!(settings[0].threshold, HarmBlockThreshold::BlockOnlyHigh);
    }

    #[test]
    fn restoring_a_spec_round_trips() {
        let mut editor = Editor {
            prompt: "a fox in snow".to_owned(),
            image_size: "2K".to_owned(),
            aspect_ratio: "16:9".to_owned(),
            ..Editor::default()
        };
        editor
            .thresholds
            .insert("HARM_CATEGORY_HARASSMENT".to_owned(), "OFF".to_owned());
        let spec = editor.spec();
        let mut other = Editor::default();
        other.restore(&spec);
        assert_eq!(other.spec(), spec);
    }

    #[test]
    fn the_cost_line_multiplies_by_the_count() {
        let mut editor = Editor {
            image_size: "4K".to_owned(),
            ..Editor::default()
        };
        assert_eq!(editor.cost_line(false), "Estimated cost: $0.240 per image");
        editor.count = 3;
        assert_eq!(
            editor.cost_line(true),
            "Estimated cost: $0.240 per image × 3 = $0.72 (simulated: nothing is billed)"
        );
    }
}
