//! The prompt editor: a multi-line prompt (Ctrl+Enter generates), the model and size, Generate.

use super::Intent;
use crate::api::Catalog;
use crate::worker::JobSpec;

/// What the editor holds between frames.
#[derive(Clone, Debug, PartialEq)]
pub struct Editor {
    /// The prompt being written.
    pub prompt: String,
    /// The model.
    pub model: String,
    /// The fallback.
    pub fallback: Option<String>,
    /// The aspect ratio.
    pub aspect_ratio: String,
    /// The image size.
    pub image_size: String,
    /// Whether the prompt got the keyboard focus on the first frame (so typing works at once).
    pub focused_once: bool,
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
            focused_once: false,
        }
    }
}

impl Editor {
    fn spec(&self) -> JobSpec {
        JobSpec {
            prompt: self.prompt.trim().to_owned(),
            model: self.model.clone(),
            fallback: self.fallback.clone(),
            aspect_ratio: Some(self.aspect_ratio.clone()),
            image_size: Some(self.image_size.clone()),
            references: Vec::new(),
            safety_settings: Vec::new(),
        }
    }
}

/// Draws the editor.
pub fn editor_ui(ui: &mut egui::Ui, editor: &mut Editor, intents: &mut Vec<Intent>) {
    let label = ui.label("Prompt");
    let prompt = ui.add(
        egui::TextEdit::multiline(&mut editor.prompt)
            .hint_text("Describe the image; Ctrl+Enter generates")
            .desired_rows(6)
            .desired_width(f32::INFINITY),
    );
    let prompt = prompt.labelled_by(label.id);
    if !editor.focused_once {
        prompt.request_focus();
        editor.focused_once = true;
    }
    let submit_by_keyboard = prompt.has_focus()
        && ui.input(|input| input.modifiers.command && input.key_pressed(egui::Key::Enter));

    ui.horizontal(|ui| {
        let size_label = ui.label("Size");
        egui::ComboBox::from_id_salt("image_size")
            .selected_text(editor.image_size.clone())
            .show_ui(ui, |ui| {
                let sizes = Catalog::builtin()
                    .get(&editor.model)
                    .map(|m| m.image_sizes.clone())
                    .unwrap_or_default();
                for size in sizes {
                    ui.selectable_value(&mut editor.image_size, size.clone(), size);
                }
            })
            .response
            .labelled_by(size_label.id);
    });

    let can_generate = !editor.prompt.trim().is_empty();
    let clicked = ui
        .add_enabled(can_generate, egui::Button::new("Generate"))
        .clicked();
    if can_generate && (clicked || submit_by_keyboard) {
        intents.push(Intent::Generate(editor.spec()));
    }
}
