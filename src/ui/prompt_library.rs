//! The prompt library in the window: "Save to library…" and "Insert from library…" under the
//! prompt, and the list Ctrl+L (Cmd+L on macOS) opens over the window: a search field with the
//! keyboard, the designer's saved entries, then the rewrite assistant's style declarations
//! ([`crate::rewrite::styles`], never stored unless saved). Arrow keys and Enter, or a click,
//! choose one; its text goes in at the prompt's cursor, or in place of the selection
//! ([`super::prompt_cursor`]). Escape closes.
//!
//! The library itself is the worker's: it is read again each time the list or the save dialog
//! opens ([`LibraryRequest::Load`]), and the window draws the copy in
//! [`AppState::prompt_library`]. The save dialog is [`super::prompt_save`].

use std::ops::Range;

use super::editor::Editor;
use super::prompt_cursor::{PromptCursor, insert_into_prompt};
use super::prompt_save::{SaveDialog, save_dialog_ui};
use super::{Intent, theme};
use crate::rewrite::styles::style_declarations;
use crate::store::prompt_library::{PromptEntry, matches_search};
use crate::view::state::AppState;
use crate::worker::Command;
use crate::worker::prompt_library::LibraryRequest;

/// The search field's label (tests find it by this).
pub const SEARCH_LABEL: &str = "Search the prompt library";

/// The heading of the built-in section.
pub const BUILTIN_HEADING: &str = "From the rewrite assistant";

/// How many characters of an entry's text its row shows.
const PREVIEW_CHARS: usize = 90;

/// The prompt library's part of the editor between frames.
#[derive(Clone, Debug, Default)]
pub struct LibraryUi {
    /// The prompt's cursor, as last seen.
    pub cursor: PromptCursor,
    /// The Ctrl+L list, while open.
    pub picker: Option<Picker>,
    /// The save dialog, while open.
    pub saving: Option<SaveDialog>,
    /// Give the prompt the keyboard focus back on the next frame (a dialog just closed; a
    /// field below an open modal cannot take it in the frame the modal closes).
    pub focus_prompt: bool,
}

/// The Ctrl+L list while it is open.
#[derive(Clone, Debug, Default)]
pub struct Picker {
    /// What is typed in the search field.
    pub query: String,
    /// The highlighted row, among the rows shown.
    pub highlighted: usize,
    /// Where the chosen text goes, in characters of the prompt.
    pub target: Range<usize>,
    /// The saved entry whose Delete was pressed once (a second press removes it).
    pub confirm_delete: Option<String>,
    /// Whether the highlighted row should be scrolled into view (after an arrow key).
    scroll_to_highlight: bool,
}

/// One row of the list: a saved entry or a built-in declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Its name.
    pub name: String,
    /// "prompt", "fragment" or "style".
    pub kind: &'static str,
    /// The words it inserts.
    pub text: String,
    /// Whether it is the designer's (else the rewrite assistant's).
    pub saved: bool,
}

/// The rows shown for `query`: the saved entries that match, by name, then the matching style
/// declarations; within each, entries whose name holds every word come first.
pub fn choices(saved: &[PromptEntry], query: &str) -> Vec<Choice> {
    let mut rows: Vec<Choice> = saved
        .iter()
        .filter(|entry| matches_search(&entry.name, &entry.text, query))
        .map(|entry| Choice {
            name: entry.name.clone(),
            kind: entry.kind.as_str(),
            text: entry.text.clone(),
            saved: true,
        })
        .collect();
    let builtin_at = rows.len();
    rows.extend(
        style_declarations()
            .iter()
            .filter(|style| matches_search(&style.name, &style.text, query))
            .map(|style| Choice {
                name: style.name.clone(),
                kind: "style",
                text: style.text.clone(),
                saved: false,
            }),
    );
    let by_name = |choice: &Choice| !matches_search(&choice.name, "", query);
    rows[..builtin_at].sort_by_key(by_name);
    rows[builtin_at..].sort_by_key(by_name);
    rows
}

/// The start of `text` on one line.
fn preview(text: &str) -> String {
    crate::store::prompt_library::one_line_start(text, PREVIEW_CHARS)
}

/// Under the prompt: notes its cursor, and draws "Save to library…" and "Insert from
/// library…". `field` is the prompt field drawn this frame.
pub fn prompt_buttons_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    field: &egui::Response,
    intents: &mut Vec<Intent>,
) {
    if std::mem::take(&mut editor.library.focus_prompt) {
        field.request_focus();
    }
    editor.library.cursor.track(ui.ctx(), field, &editor.prompt);
    ui.horizontal_wrapped(|ui| {
        let has_prompt = !editor.prompt.trim().is_empty();
        let save = ui
            .add_enabled(has_prompt, egui::Button::new("Save to library…"))
            .on_hover_text(
                "Saves the selected words as a fragment, or the whole prompt, under a name",
            )
            .on_disabled_hover_text("Write a prompt first");
        if save.clicked() {
            let selected = editor.library.cursor.selected_text(&editor.prompt, true);
            editor.library.saving = Some(SaveDialog::new(&editor.prompt, selected));
            intents.push(load());
        }
        let shortcut = ui.ctx().format_shortcut(&library_shortcut());
        let insert = ui.button("Insert from library…").on_hover_text(format!(
            "Puts a saved prompt, fragment or style at the cursor ({shortcut})"
        ));
        if insert.clicked() {
            let target = editor.library.cursor.target(&editor.prompt, true);
            open_picker(editor, target, intents);
        }
    });
}

/// Ctrl+L (Cmd+L on macOS).
fn library_shortcut() -> egui::KeyboardShortcut {
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::L)
}

fn load() -> Intent {
    Intent::Worker(Command::PromptLibrary(LibraryRequest::Load))
}

fn open_picker(editor: &mut Editor, target: Range<usize>, intents: &mut Vec<Intent>) {
    editor.library.picker = Some(Picker {
        target,
        ..Picker::default()
    });
    intents.push(load());
}

/// Ctrl+L, the list and the save dialog (drawn over the window, after the panels).
pub fn library_ui(
    ctx: &egui::Context,
    state: &AppState,
    editor: &mut Editor,
    intents: &mut Vec<Intent>,
) {
    let pressed = ctx.input_mut(|input| input.consume_shortcut(&library_shortcut()));
    if pressed && editor.library.saving.is_none() && !state.quit_warning {
        if editor.library.picker.is_some() {
            editor.library.picker = None;
        } else {
            let target = editor.library.cursor.target(&editor.prompt, false);
            open_picker(editor, target, intents);
        }
    }
    if editor.library.picker.is_some() {
        picker_ui(ctx, state, editor, intents);
    }
    if editor.library.saving.is_some() {
        save_dialog_ui(ctx, state, editor, intents);
    }
}

/// What the designer did in the list this frame.
enum Action {
    Insert(String),
    Delete(String),
    Close,
}

/// The list: search field, rows, hint; arrow keys, Enter and Escape are taken before the field
/// sees them.
fn picker_ui(
    ctx: &egui::Context,
    state: &AppState,
    editor: &mut Editor,
    intents: &mut Vec<Intent>,
) {
    let Some(picker) = editor.library.picker.as_mut() else {
        return;
    };
    let (down, up, enter, escape) = ctx.input_mut(|input| {
        (
            input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
            input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
            input.consume_key(egui::Modifiers::NONE, egui::Key::Enter),
            input.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
        )
    });
    let modal = egui::Modal::new(egui::Id::unique("prompt_library")).show(ctx, |ui| {
        ui.set_width(theme::LIBRARY_WIDTH);
        ui.heading("Prompt library");
        let label = ui.label(SEARCH_LABEL);
        let before = picker.query.clone();
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut picker.query)
                    .hint_text("Words of a name or text")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if !search.has_focus() {
            search.request_focus();
        }
        if picker.query != before {
            picker.highlighted = 0;
            picker.confirm_delete = None;
        }
        let saved = state.prompt_library.as_deref().unwrap_or_default();
        let rows = choices(saved, &picker.query);
        let last = rows.len().saturating_sub(1);
        if down {
            picker.highlighted = (picker.highlighted + 1).min(last);
        } else if up {
            picker.highlighted = picker.highlighted.saturating_sub(1);
        }
        picker.highlighted = picker.highlighted.min(last);
        picker.scroll_to_highlight |= down || up;
        let clicked = rows_ui(ui, &rows, state.prompt_library.is_some(), picker);
        ui.weak("Up and down arrows choose · Enter inserts at the cursor · Esc closes");
        let entered = enter
            .then(|| rows.get(picker.highlighted))
            .flatten()
            .map(|row| Action::Insert(row.text.clone()));
        clicked.or(entered)
    });
    let action = if escape || modal.backdrop_response.clicked() {
        Some(Action::Close)
    } else {
        modal.inner
    };
    match action {
        Some(Action::Insert(text)) => {
            let target = picker.target.clone();
            editor.library.picker = None;
            editor.library.focus_prompt = true;
            insert_into_prompt(ctx, &mut editor.prompt, target, &text);
        }
        Some(Action::Delete(name)) => {
            picker.confirm_delete = None;
            intents.push(Intent::Worker(Command::PromptLibrary(
                LibraryRequest::Delete { name },
            )));
        }
        Some(Action::Close) => {
            editor.library.picker = None;
            editor.library.focus_prompt = true;
        }
        None => {}
    }
}

/// The rows in a scroll area, saved entries first; the row clicked, or a Delete confirmed.
fn rows_ui(
    ui: &mut egui::Ui,
    rows: &[Choice],
    loaded: bool,
    picker: &mut Picker,
) -> Option<Action> {
    let mut action = None;
    let saved_count = rows.iter().filter(|row| row.saved).count();
    egui::ScrollArea::vertical()
        .max_height(theme::LIBRARY_LIST_HEIGHT)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.strong("Your library");
            if saved_count == 0 {
                let empty = if !loaded {
                    "Reading your library…"
                } else if picker.query.trim().is_empty() {
                    "Nothing saved yet: select words in the prompt and press Save to library…"
                } else {
                    "None of your entries matches."
                };
                ui.weak(empty);
            }
            for (index, row) in rows.iter().enumerate() {
                if index == saved_count {
                    ui.add_space(6.0);
                    ui.strong(BUILTIN_HEADING);
                }
                if let Some(chosen) = row_ui(ui, row, index, picker) {
                    action = Some(chosen);
                }
            }
            if rows.len() == saved_count {
                ui.add_space(6.0);
                ui.strong(BUILTIN_HEADING);
                ui.weak("No style declaration matches.");
            }
        });
    action
}

/// A one-line layout of `parts` (text, font, colour), cut with "…" at `width`.
fn one_line(parts: &[(&str, egui::FontId, egui::Color32)], width: f32) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    for (text, font, colour) in parts {
        job.append(text, 0.0, egui::TextFormat::simple(font.clone(), *colour));
    }
    job.wrap = egui::text::TextWrapping::truncate_at_width(width);
    job
}

/// One row: the name and kind, the start of the text below; highlighted by the arrow keys or
/// the pointer; a click chooses it. The highlighted saved entry shows Delete (pressed twice).
fn row_ui(ui: &mut egui::Ui, row: &Choice, index: usize, picker: &mut Picker) -> Option<Action> {
    let mut highlighted = index == picker.highlighted;
    let width = ui.available_width();
    let padding = egui::vec2(6.0, 3.0);
    let delete_room = if row.saved {
        theme::LIBRARY_DELETE_WIDTH
    } else {
        0.0
    };
    let text_width = (width - 2.0 * padding.x - delete_room).max(80.0);
    let visuals = ui.visuals().clone();
    let body = egui::TextStyle::Body.resolve(ui.style());
    let small = egui::TextStyle::Small.resolve(ui.style());
    let kind = format!(" · {}", row.kind);
    let shown = preview(&row.text);
    let name_galley = ui.fonts_mut(|fonts| {
        fonts.layout_job(one_line(
            &[
                (&row.name, body.clone(), visuals.strong_text_color()),
                (&kind, small, visuals.weak_text_color()),
            ],
            text_width,
        ))
    });
    let text_galley = ui.fonts_mut(|fonts| {
        fonts.layout_job(one_line(
            &[(&shown, body, visuals.weak_text_color())],
            text_width,
        ))
    });
    let height = name_galley.size().y + text_galley.size().y + 2.0 * padding.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::click());
    let label = format!("{}{kind}: {shown}", row.name);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    if response.hovered() && ui.input(|input| input.pointer.delta() != egui::Vec2::ZERO) {
        picker.highlighted = index;
        highlighted = true;
    }
    if highlighted && std::mem::take(&mut picker.scroll_to_highlight) {
        response.scroll_to_me(None);
    }
    if ui.is_rect_visible(rect) {
        let fill = if highlighted {
            Some(visuals.selection.bg_fill)
        } else if response.hovered() {
            Some(visuals.widgets.hovered.weak_bg_fill)
        } else {
            None
        };
        if let Some(fill) = fill {
            ui.painter().rect_filled(rect, 3.0, fill);
        }
        let name_at = rect.min + padding;
        let text_at = name_at + egui::vec2(0.0, name_galley.size().y);
        let colour = visuals.text_color();
        ui.painter().galley(name_at, name_galley, colour);
        ui.painter().galley(text_at, text_galley, colour);
    }
    let mut action = response.clicked().then(|| Action::Insert(row.text.clone()));
    if row.saved && highlighted {
        let confirming = picker.confirm_delete.as_deref() == Some(row.name.as_str());
        let label = if confirming {
            format!("Really delete \"{}\"?", row.name)
        } else {
            format!("Delete \"{}\"", row.name)
        };
        let button = egui::Rect::from_min_max(
            egui::pos2(rect.right() - delete_room, rect.top()),
            rect.right_bottom(),
        );
        let delete = ui.put(button, egui::Button::new(label).small());
        if delete.clicked() {
            if confirming {
                action = Some(Action::Delete(row.name.clone()));
            } else {
                picker.confirm_delete = Some(row.name.clone());
            }
        }
    }
    action
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::store::prompt_library::PromptKind;

    fn entry(name: &str, text: &str) -> PromptEntry {
        PromptEntry {
            name: name.to_owned(),
            text: text.to_owned(),
            kind: PromptKind::Fragment,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn saved_entries_come_before_the_assistants_styles() {
        let saved = [
            entry("Watercolor wash", "loose watercolor wash"),
            entry("Fog", "morning fog"),
        ];
        let rows = choices(&saved, "watercolor");
        assert_eq!(rows[0].name, "Watercolor wash");
        assert!(rows[0].saved);
        assert_eq!(rows[1].name, "Digital watercolor illustration");
        assert_eq!(rows[1].kind, "style");
        assert!(!rows[1].saved);
        assert!(rows.iter().all(|row| row.name != "Fog"));
        let all = choices(&saved, "");
        assert_eq!(all.len(), 2 + style_declarations().len());
    }

    #[test]
    fn names_that_match_come_before_texts_that_match() {
        let saved = [
            entry("Dusk", "a pastel sky"),
            entry("Pastel set", "soft colours"),
        ];
        let rows = choices(&saved, "pastel");
        assert_eq!(rows[0].name, "Pastel set");
        assert_eq!(rows[1].name, "Dusk");
        // The studio described "pastel-colored" comes after the saved ones.
        assert!(rows[2..].iter().all(|row| !row.saved));
    }

    #[test]
    fn a_preview_is_one_line() {
        assert_eq!(preview("warm\n\n  low sun"), "warm low sun");
        assert!(preview(&"x ".repeat(200)).ends_with('…'));
    }
}
