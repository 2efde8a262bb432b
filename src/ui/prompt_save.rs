//! "Save to library…": the dialog that keeps the selected words (as a fragment) or the whole
//! prompt under a name. The name is checked as the designer types it (the same checks as the
//! database's and an imported file's); a name already in the library turns Save into Replace,
//! with a sentence saying so. Enter saves, Escape cancels; the worker saves and the notice says
//! it is done.

use super::editor::Editor;
use super::{Intent, theme};
use crate::store::prompt_library::{DraftProblem, PromptDraft, PromptEntry, PromptKind};
use crate::view::state::AppState;
use crate::worker::Command;
use crate::worker::prompt_library::LibraryRequest;

/// The name field's label (tests find it by this).
pub const NAME_LABEL: &str = "Name in the library";

/// Most lines of the text the dialog shows.
const PREVIEW_LINES: usize = 4;

/// The save dialog while it is open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveDialog {
    /// The whole prompt, as it was when the dialog opened (trimmed).
    whole: String,
    /// The words selected then, if any.
    selection: Option<String>,
    /// Whether the selection is saved (else the whole prompt).
    pub use_selection: bool,
    /// Whether it is saved as a fragment (else as a whole prompt).
    pub fragment: bool,
    /// The name typed.
    pub name: String,
    /// Whether the name field got the keyboard focus once (on the first frame).
    focused_once: bool,
}

impl SaveDialog {
    /// The dialog for `prompt`, with `selection` (the selected words) if there were some: then
    /// they are what is saved, as a fragment.
    pub fn new(prompt: &str, selection: Option<String>) -> SaveDialog {
        let selection = selection.filter(|words| !words.trim().is_empty());
        SaveDialog {
            whole: prompt.trim().to_owned(),
            use_selection: selection.is_some(),
            fragment: selection.is_some(),
            selection,
            name: String::new(),
            focused_once: false,
        }
    }

    /// The words that would be saved.
    pub fn text(&self) -> &str {
        match &self.selection {
            Some(words) if self.use_selection => words,
            _ => &self.whole,
        }
    }

    /// The entry as it would be saved, or why it cannot be.
    pub fn draft(&self) -> Result<PromptDraft, DraftProblem> {
        let kind = if self.fragment {
            PromptKind::Fragment
        } else {
            PromptKind::Prompt
        };
        PromptDraft::new(&self.name, self.text(), kind)
    }
}

/// The first lines of `text`, cut.
fn preview(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().take(PREVIEW_LINES + 1).collect();
    if lines.len() > PREVIEW_LINES {
        lines.truncate(PREVIEW_LINES);
        lines.push("…");
    }
    lines.join("\n")
}

/// The dialog (drawn over the window).
pub fn save_dialog_ui(
    ctx: &egui::Context,
    state: &AppState,
    editor: &mut Editor,
    intents: &mut Vec<Intent>,
) {
    let Some(dialog) = editor.library.saving.as_mut() else {
        return;
    };
    let (enter, escape) = ctx.input_mut(|input| {
        (
            input.consume_key(egui::Modifiers::NONE, egui::Key::Enter),
            input.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
        )
    });
    let modal = egui::Modal::new(egui::Id::unique("prompt_library_save")).show(ctx, |ui| {
        ui.set_width(theme::LIBRARY_WIDTH);
        ui.heading("Save to the prompt library");
        if dialog.selection.is_some() {
            ui.horizontal(|ui| {
                let before = dialog.use_selection;
                ui.radio_value(&mut dialog.use_selection, true, "Selected words");
                ui.radio_value(&mut dialog.use_selection, false, "Whole prompt");
                if dialog.use_selection != before {
                    dialog.fragment = dialog.use_selection;
                }
            });
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.add(egui::Label::new(egui::RichText::new(preview(dialog.text())).weak()).wrap());
        });
        ui.checkbox(&mut dialog.fragment, "Save as a fragment")
            .on_hover_text("A piece to insert into prompts (a style, a lighting recipe)");
        let label = ui.label(NAME_LABEL);
        let name = ui
            .add(
                egui::TextEdit::singleline(&mut dialog.name)
                    .hint_text("e.g. Golden hour")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if !dialog.focused_once || ctx.memory(|memory| memory.focused().is_none()) {
            name.request_focus();
            dialog.focused_once = true;
        }
        let draft = dialog.draft();
        let taken = draft.as_ref().ok().and_then(|draft| {
            state
                .prompt_library
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find(|entry| draft.name().same_as(&entry.name))
        });
        check_line_ui(ui, &draft, taken);
        let mut save = false;
        let mut cancel = false;
        ui.horizontal(|ui| {
            let verb = if taken.is_some() { "Replace" } else { "Save" };
            save = ui
                .add_enabled(draft.is_ok(), egui::Button::new(verb))
                .clicked();
            cancel = ui.button("Cancel").clicked();
        });
        let save = (save || enter).then_some(draft).and_then(Result::ok);
        (save.map(|draft| (draft, taken.is_some())), cancel)
    });
    let (save, cancel) = modal.inner;
    if let Some((draft, replace)) = save {
        intents.push(Intent::Worker(Command::PromptLibrary(
            LibraryRequest::Save { draft, replace },
        )));
    } else if !(cancel || escape || modal.backdrop_response.clicked()) {
        return;
    }
    editor.library.saving = None;
    editor.library.focus_prompt = true;
}

/// Under the name: what it needs, why it cannot be saved, or that it replaces an entry.
fn check_line_ui(
    ui: &mut egui::Ui,
    draft: &Result<PromptDraft, DraftProblem>,
    taken: Option<&PromptEntry>,
) {
    match (draft, taken) {
        (Err(DraftProblem::EmptyName), _) => {
            ui.weak("Give it a name to find it by with Ctrl+L.");
        }
        (Err(problem), _) => {
            ui.colored_label(theme::STOPPED, format!("Cannot save: {problem}."));
        }
        (Ok(_), Some(entry)) => {
            ui.colored_label(
                theme::WAITING,
                format!(
                    "\"{}\" is already in your library; Replace puts these words in its place.",
                    entry.name
                ),
            );
        }
        (Ok(_), None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selected_words_are_saved_as_a_fragment_unless_the_designer_says_otherwise() {
        let mut dialog =
            SaveDialog::new("  a fox in golden light\n", Some("golden light".to_owned()));
        dialog.name = " Golden light ".to_owned();
        let draft = dialog.draft().unwrap();
        assert_eq!(draft.name().as_str(), "Golden light");
        assert_eq!(draft.text(), "golden light");
        assert_eq!(draft.kind(), PromptKind::Fragment);
        dialog.use_selection = false;
        dialog.fragment = false;
        let draft = dialog.draft().unwrap();
        assert_eq!(draft.text(), "a fox in golden light");
        assert_eq!(draft.kind(), PromptKind::Prompt);
    }

    #[test]
    fn without_a_selection_the_whole_prompt_is_saved() {
        let dialog = SaveDialog::new("a fox", Some("   ".to_owned()));
        assert!(!dialog.use_selection);
        assert!(!dialog.fragment);
        assert_eq!(dialog.text(), "a fox");
        assert_eq!(dialog.draft(), Err(DraftProblem::EmptyName));
    }

    #[test]
    fn a_long_text_shows_its_first_lines() {
        assert_eq!(preview("1\n2\n3\n4\n5\n6"), "1\n2\n3\n4\n…");
        assert_eq!(preview("one line"), "one line");
    }
}
