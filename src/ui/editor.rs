//! The prompt editor: the prompt (Ctrl+Enter generates), model and fallback pickers from the
//! catalog (retired ids hidden unless asked for), aspect ratio and size limited to what the model
//! supports, number of images, reference images up to the model's limit, Layer 1 thresholds per
//! category, and the estimated cost before sending. The prompt's preflight (marks, verdict,
//! replacements) is drawn by [`super::preflight`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Intent, theme};
use crate::api::catalog::{Catalog, ModelEntry, ModelStatus};
use crate::api::enums::{HarmBlockThreshold, HarmCategory};
use crate::api::wire::SafetySetting;
use crate::job::reference_check::SHRINK_LONG_SIDE_PX;
use crate::resilience::budget::worst_case_cost_usd;
use crate::view::media::MediaRequest;
use crate::worker::protocol::Reference;
use crate::worker::{Command, JobSpec};

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

/// What the editor flags on a model Google's `models.list` no longer names.
pub const UNLISTED_MARK: &str = "not listed by Google any more";

fn model_label(model: &ModelEntry, unlisted: &[String]) -> String {
    if unlisted.contains(&model.id) {
        return format!("{} ({UNLISTED_MARK})", model.describe());
    }
    match model.status {
        ModelStatus::Retired => format!("{} (retired)", model.describe()),
        ModelStatus::Deprecated => match &model.shutdown_date {
            Some(date) => format!("{} (deprecated, ends {date})", model.describe()),
            None => format!("{} (deprecated)", model.describe()),
        },
        ModelStatus::Preview => format!("{} (preview)", model.describe()),
        ModelStatus::Stable => model.describe(),
    }
}

/// How a model picker behaves.
struct PickerOptions<'a> {
    show_retired: bool,
    allow_none: bool,
    exclude: Option<&'a str>,
    /// Models Google's `models.list` no longer names (flagged in the labels).
    unlisted: &'a [String],
}

fn model_picker(
    ui: &mut egui::Ui,
    label: &str,
    salt: &str,
    selected: &mut Option<String>,
    options: &PickerOptions<'_>,
) -> bool {
    let PickerOptions {
        show_retired,
        allow_none,
        exclude,
        unlisted,
    } = *options;
    let catalog = Catalog::builtin();
    let current = selected
        .as_deref()
        .and_then(|id| catalog.get(id))
        .map_or_else(|| "None".to_owned(), |model| model_label(model, unlisted));
    let before = selected.clone();
    ui.horizontal(|ui| {
        let text = ui.label(label);
        egui::ComboBox::from_id_salt(salt)
            .selected_text(current)
            .width(theme::EDITOR_WIDTH - 90.0)
            .show_ui(ui, |ui| {
                if allow_none {
                    ui.selectable_value(selected, None, "None");
                }
                for model in &catalog.models {
                    if (!show_retired && !model.is_callable()) || Some(model.id.as_str()) == exclude
                    {
                        continue;
                    }
                    ui.selectable_value(
                        selected,
                        Some(model.id.clone()),
                        model_label(model, unlisted),
                    );
                }
            })
            .response
            .labelled_by(text.id);
    });
    *selected != before
}

fn choice_combo(ui: &mut egui::Ui, label: &str, value: &mut String, options: &[String]) {
    ui.horizontal(|ui| {
        let text = ui.label(label);
        egui::ComboBox::from_id_salt(label)
            .selected_text(value.clone())
            .show_ui(ui, |ui| {
                for option in options {
                    ui.selectable_value(value, option.clone(), option);
                }
            })
            .response
            .labelled_by(text.id);
    });
}

/// Draws the editor. `unlisted` are the catalog models Google's `models.list` no longer names.
pub fn editor_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    simulated: bool,
    unlisted: &[String],
    intents: &mut Vec<Intent>,
) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        prompt_ui(ui, editor, intents);
        ui.add_space(4.0);
        settings_ui(ui, editor, unlisted);
        ui.add_space(4.0);
        references_ui(ui, editor, intents);
        ui.add_space(4.0);
        safety_ui(ui, editor);
        ui.separator();
        ui.label(editor.cost_line(simulated));
        let can_generate = !editor.prompt.trim().is_empty();
        let clicked = ui
            .add_enabled(can_generate, egui::Button::new("Generate"))
            .on_disabled_hover_text("Write a prompt first")
            .clicked();
        if can_generate && clicked {
            push_generate(editor, intents);
        }
    });
}

fn push_generate(editor: &Editor, intents: &mut Vec<Intent>) {
    for _ in 0..editor.count.clamp(1, MAX_IMAGES_PER_PRESS) {
        intents.push(Intent::Worker(Command::Generate(editor.spec())));
    }
}

fn prompt_ui(ui: &mut egui::Ui, editor: &mut Editor, intents: &mut Vec<Intent>) {
    let label = ui.label("Prompt");
    let prompt = super::preflight::prompt_field(ui, editor);
    let prompt = prompt.labelled_by(label.id);
    if !editor.focused_once {
        prompt.request_focus();
        editor.focused_once = true;
    }
    let submit_by_keyboard = prompt.has_focus()
        && ui.input(|input| input.modifiers.command && input.key_pressed(egui::Key::Enter));
    if submit_by_keyboard && !editor.prompt.trim().is_empty() {
        push_generate(editor, intents);
    }
    super::preflight::preflight_ui(ui, editor);
}

fn settings_ui(ui: &mut egui::Ui, editor: &mut Editor, unlisted: &[String]) {
    let mut model = Some(editor.model.clone());
    let options = PickerOptions {
        show_retired: editor.show_retired,
        allow_none: false,
        exclude: None,
        unlisted,
    };
    if model_picker(ui, "Model", "model", &mut model, &options)
        && let Some(model) = model
    {
        editor.model = model;
        editor.fit_to_model();
    }
    let primary = editor.model.clone();
    let options = PickerOptions {
        allow_none: true,
        exclude: Some(&primary),
        ..options
    };
    model_picker(ui, "Fallback", "fallback", &mut editor.fallback, &options);
    ui.checkbox(&mut editor.show_retired, "Show retired models");
    if let Some(line) = unlisted_line(editor, unlisted) {
        ui.colored_label(theme::STOPPED, line);
    }
    if let Some(model) = editor.model_entry() {
        if !model.is_callable() {
            let instead = model
                .replacement
                .as_deref()
                .map_or_else(String::new, |r| format!(" Use {r} instead."));
            ui.colored_label(
                theme::STOPPED,
                format!("{} is retired: Google answers 404.{instead}", model.id),
            );
        }
        if !model.aspect_ratios.is_empty() {
            choice_combo(
                ui,
                "Aspect ratio",
                &mut editor.aspect_ratio,
                &model.aspect_ratios,
            );
        }
        if model.image_sizes.is_empty() {
            ui.label(format!("Size: one size only ({})", model.display_name));
        } else {
            choice_combo(ui, "Size", &mut editor.image_size, &model.image_sizes);
        }
    }
    ui.horizontal(|ui| {
        let label = ui.label("Number of images");
        egui::ComboBox::from_id_salt("count")
            .selected_text(editor.count.to_string())
            .show_ui(ui, |ui| {
                for count in 1..=MAX_IMAGES_PER_PRESS {
                    ui.selectable_value(&mut editor.count, count, count.to_string());
                }
            })
            .response
            .labelled_by(label.id);
    });
}

fn references_ui(ui: &mut egui::Ui, editor: &mut Editor, intents: &mut Vec<Intent>) {
    let limit = editor.reference_limit();
    let room = editor.references.len() < limit;
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(room, egui::Button::new("Add reference images…"))
            .clicked()
        {
            intents.push(Intent::Media(MediaRequest::PickReferences));
        }
        if ui
            .add_enabled(room, egui::Button::new("Paste image"))
            .clicked()
        {
            intents.push(Intent::Media(MediaRequest::PasteReference));
        }
    });
    let limit_text = if limit == usize::MAX {
        format!("{} references", editor.references.len())
    } else {
        format!(
            "{} of {limit} references (the model's limit); drop image files here",
            editor.references.len()
        )
    };
    ui.weak(limit_text);
    let mut remove = None;
    ui.horizontal_wrapped(|ui| {
        for (index, reference) in editor.references.iter().enumerate() {
            ui.vertical(|ui| {
                if let Some(texture) = &reference.texture {
                    ui.add(
                        egui::Image::new(texture)
                            .max_size(egui::vec2(theme::REFERENCE_THUMB, theme::REFERENCE_THUMB))
                            .alt_text(format!("Reference {}: {}", index + 1, reference.name)),
                    );
                } else {
                    ui.label(&reference.name);
                }
                if ui
                    .small_button(format!("Remove reference {}", index + 1))
                    .clicked()
                {
                    remove = Some(index);
                }
            });
        }
    });
    if let Some(index) = remove {
        editor.references.remove(index);
    }
    shrink_offers_ui(ui, editor, intents);
}

/// Each reference too large to send: its sentence, "Shrink to 2048 px" (a JPEG within the limit,
/// made off the UI thread, added as a reference) and "Dismiss".
fn shrink_offers_ui(ui: &mut egui::Ui, editor: &mut Editor, intents: &mut Vec<Intent>) {
    let room = editor.references.len() < editor.reference_limit();
    let mut answered = None;
    for (index, offer) in editor.shrink_offers.iter().enumerate() {
        let name = offer.path.file_name().map_or_else(
            || offer.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        ui.horizontal_wrapped(|ui| {
            ui.label(&offer.message);
            let shrink = ui
                .add_enabled(
                    room,
                    egui::Button::new(format!("Shrink {name} to {SHRINK_LONG_SIDE_PX} px")),
                )
                .on_hover_text("Makes a JPEG within Gemini's limit and adds it as a reference");
            if shrink.clicked() {
                intents.push(Intent::Media(MediaRequest::ShrinkReference {
                    path: offer.path.clone(),
                }));
                answered = Some(index);
            }
            if ui.small_button(format!("Dismiss {name}")).clicked() {
                answered = Some(index);
            }
        });
    }
    if let Some(index) = answered {
        editor.shrink_offers.remove(index);
    }
}

fn safety_ui(ui: &mut egui::Ui, editor: &mut Editor) {
    egui::CollapsingHeader::new("Safety filters (Layer 1, configurable)")
        .id_salt("safety")
        .show(ui, |ui| {
            ui.weak(
                "These thresholds decide Layer 1 only. The image filter (Layer 2) ignores them.",
            );
            for category in &HarmCategory::CONFIGURABLE {
                let key = category.as_str().to_owned();
                let mut threshold = editor
                    .thresholds
                    .get(&key)
                    .map_or(HarmBlockThreshold::Unspecified, |t| {
                        HarmBlockThreshold::from_wire(t)
                    });
                let before = threshold.clone();
                let shown = THRESHOLDS
                    .iter()
                    .find(|(t, _)| *t == threshold)
                    .map_or("Model default", |(_, name)| name);
                ui.horizontal(|ui| {
                    let text = ui.label(category.label());
                    egui::ComboBox::from_id_salt(("threshold", key.clone()))
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            for (value, name) in &THRESHOLDS {
                                ui.selectable_value(&mut threshold, value.clone(), *name);
                            }
                        })
                        .response
                        .labelled_by(text.id);
                });
                if threshold != before {
                    if threshold == HarmBlockThreshold::Unspecified {
                        editor.thresholds.remove(&key);
                    } else {
                        editor.thresholds.insert(key, threshold.as_str().to_owned());
                    }
                }
            }
        });
}

/// The warning under the pickers when the model or the fallback is one Google no longer lists.
fn unlisted_line(editor: &Editor, unlisted: &[String]) -> Option<String> {
    let listed = |id: &str| !unlisted.iter().any(|u| u == id);
    let fallback = editor.fallback.as_deref().filter(|id| !listed(id));
    match (listed(&editor.model), fallback) {
        (true, None) => None,
        (false, None) if editor.fallback.is_some() => Some(format!(
            "{} is {UNLISTED_MARK}: jobs go straight to the fallback.",
            editor.model
        )),
        (false, None) => Some(format!(
            "{} is {UNLISTED_MARK}: Google will likely answer 404. Pick another model or a fallback.",
            editor.model
        )),
        (_, Some(fallback)) => Some(format!(
            "The fallback {fallback} is {UNLISTED_MARK}: pick another fallback."
        )),
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
    fn models_google_no_longer_lists_are_flagged() {
        let editor = Editor::default();
        let unlisted = vec!["gemini-3-pro-image".to_owned()];
        let line = unlisted_line(&editor, &unlisted).unwrap();
        assert!(line.contains("not listed by Google any more"), "{line}");
        assert!(line.contains("straight to the fallback"), "{line}");
        assert_eq!(unlisted_line(&editor, &[]), None);
        let pro = Catalog::builtin().get("gemini-3-pro-image").unwrap();
        assert!(model_label(pro, &unlisted).ends_with("(not listed by Google any more)"));
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
