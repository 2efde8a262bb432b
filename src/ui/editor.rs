//! The prompt editor: the prompt (Ctrl+Enter generates), model and fallback pickers from the
//! catalog (retired ids hidden unless asked for), aspect ratio and size limited to what the model
//! supports, number of images, reference images up to the model's limit, Layer 1 thresholds per
//! category, and the estimated cost before sending. The prompt's preflight (marks, verdict,
//! replacements) is drawn by [`super::preflight`]; the state drawn here is
//! [`super::editor_state`].

pub use super::editor_state::{
    Editor, EditorReference, MAX_IMAGES_PER_PRESS, ShrinkOffer, THRESHOLDS,
};
use super::{Intent, theme};
use crate::api::catalog::{Catalog, ModelEntry, ModelStatus};
use crate::api::enums::{HarmBlockThreshold, HarmCategory};
use crate::job::reference_check::SHRINK_LONG_SIDE_PX;
use crate::view::media::MediaRequest;
use crate::worker::Command;

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
            .on_hover_text(super::shortcuts::label(
                ui.ctx(),
                super::shortcuts::GENERATE,
            ))
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
    super::prompt_library::prompt_buttons_ui(ui, editor, &prompt, intents);
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
}
