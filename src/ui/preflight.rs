//! The preflight in the prompt editor, like a spell checker: marked words underlined in the image
//! filter's colour while the designer types, why on hover, and under the field the verdict line
//! (with the cost of a block), each mark with its one-click replacement, "Replace all", the
//! replacement as a word diff, and Undo / Redo (also Ctrl+Z / Ctrl+Shift+Z). Generate stays
//! enabled: the designer decides.
//!
//! The preflight runs at most once per change of the prompt, model or size: its result is cached
//! by a hash of the three, and the field's layouter and the line below both read the cache.

use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;

use super::editor::Editor;
use super::{shortcuts, theme};
use crate::api::catalog::{Catalog, ModelEntry};
use crate::rewrite::diff::{Piece, word_diff};
use crate::rewrite::preflight::{
    Context, Mark, MarkKind, Memory, Past, Preflight, Verdict, apply_one, preflight,
};

/// The id of the prompt field (its undo interception needs to know whether it has the focus).
pub const PROMPT_ID: &str = "editor_prompt";

/// One replacement the designer can undo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    /// The prompt before.
    pub before: String,
    /// The prompt after.
    pub after: String,
}

/// The editor's preflight between frames: the cached result, the replacements, the memory.
#[derive(Clone, Debug, Default)]
pub struct PreflightState {
    key: Option<u64>,
    result: Option<Preflight>,
    /// How many times the preflight ran (once per change of the prompt, model or size).
    pub runs: u64,
    /// Replacements to undo, newest last.
    pub undo: Vec<Replacement>,
    /// Undone replacements to redo, newest last.
    pub redo: Vec<Replacement>,
    /// What the designer's past jobs taught (the app fills it from the history).
    pub memory: Memory,
    /// Bumped when `memory` changes, so the cached result is recomputed.
    pub memory_version: u64,
}

impl PreflightState {
    /// The preflight of `text` for `model` at `image_size`, computed only when one of them (or the
    /// memory) changed since the last call.
    pub fn ensure(
        &mut self,
        text: &str,
        model: Option<&ModelEntry>,
        image_size: &str,
    ) -> &Preflight {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        model.map(|m| m.id.as_str()).hash(&mut hasher);
        image_size.hash(&mut hasher);
        self.memory_version.hash(&mut hasher);
        let key = hasher.finish();
        if self.key != Some(key) || self.result.is_none() {
            self.runs += 1;
            self.key = Some(key);
            self.result = Some(preflight(
                text,
                &Context {
                    model,
                    image_size,
                    memory: Some(&self.memory),
                },
            ));
        }
        self.result
            .get_or_insert_with(|| preflight(text, &Context::default()))
    }

    /// Takes the name memory the worker sent (version `version`), when it is new.
    pub fn use_memory(&mut self, memory: &Memory, version: u64) {
        if version != self.memory_version {
            self.memory.clone_from(memory);
            self.memory_version = version;
        }
    }

    /// Puts `after` in place of `prompt`, remembering the change for Undo.
    pub fn replace(&mut self, prompt: &mut String, after: String) {
        if after == *prompt {
            return;
        }
        self.undo.push(Replacement {
            before: std::mem::replace(prompt, after.clone()),
            after,
        });
        self.redo.clear();
    }

    /// Undoes the newest replacement when the prompt is still what it made; whether it did.
    pub fn undo(&mut self, prompt: &mut String) -> bool {
        match self.undo.last() {
            Some(last) if last.after == *prompt => {
                if let Some(last) = self.undo.pop() {
                    prompt.clone_from(&last.before);
                    self.redo.push(last);
                }
                true
            }
            _ => false,
        }
    }

    /// Redoes the newest undone replacement when the prompt is still what it was; whether it did.
    pub fn redo(&mut self, prompt: &mut String) -> bool {
        match self.redo.last() {
            Some(last) if last.before == *prompt => {
                if let Some(last) = self.redo.pop() {
                    prompt.clone_from(&last.after);
                    self.undo.push(last);
                }
                true
            }
            _ => false,
        }
    }

    fn can_undo(&self, prompt: &str) -> bool {
        self.undo.last().is_some_and(|r| r.after == prompt)
    }

    fn can_redo(&self, prompt: &str) -> bool {
        self.redo.last().is_some_and(|r| r.before == prompt)
    }
}

/// The colour of a mark: the image filter's, or the policy's for prohibited content.
pub fn mark_colour(kind: MarkKind) -> egui::Color32 {
    if kind == MarkKind::Prohibited {
        theme::POLICY
    } else {
        theme::IMAGE_FILTER
    }
}

/// `text` laid out with its marks underlined.
fn marked_job(ui: &egui::Ui, text: &str, marks: &[Mark], wrap_width: f32) -> egui::text::LayoutJob {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let colour = ui.visuals().text_color();
    let plain = egui::TextFormat::simple(font.clone(), colour);
    let mut job = egui::text::LayoutJob::default();
    let mut at = 0;
    for mark in marks {
        let (start, end) = (mark.span.start, mark.span.end);
        if start < at
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        if start > at {
            job.append(&text[at..start], 0.0, plain.clone());
        }
        job.append(
            &text[start..end],
            0.0,
            egui::TextFormat {
                underline: egui::Stroke::new(2.0, mark_colour(mark.kind)),
                ..plain.clone()
            },
        );
        at = end;
    }
    if at < text.len() {
        job.append(&text[at..], 0.0, plain);
    }
    job.wrap.max_width = wrap_width;
    job.keep_trailing_whitespace = true;
    job
}

/// The prompt field: a multiline text edit whose marks are underlined, with why on hover and
/// Ctrl+Z / Ctrl+Shift+Z for the preflight's replacements. Returns the field's response.
pub fn prompt_field(ui: &mut egui::Ui, editor: &mut Editor) -> egui::Response {
    let id = egui::Id::unique(PROMPT_ID);
    let focus_elsewhere = ui.memory(|m| m.focused().is_some_and(|f| f != id));
    if !focus_elsewhere {
        let state = &mut editor.preflight;
        if state.can_redo(&editor.prompt)
            && ui.input_mut(|i| {
                i.consume_key(
                    egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                    egui::Key::Z,
                )
            })
        {
            state.redo(&mut editor.prompt);
        } else if state.can_undo(&editor.prompt)
            // `consume_key` matches Ctrl+Z with Shift held too: Ctrl+Shift+Z is redo, never undo.
            && ui.input(|i| !i.modifiers.shift)
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z))
        {
            state.undo(&mut editor.prompt);
        }
    }
    let model = Catalog::builtin().get(&editor.model);
    let state = &mut editor.preflight;
    let size = editor.image_size.as_str();
    let mut layouter =
        |ui: &egui::Ui, buffer: &dyn egui::TextBuffer, wrap_width: f32| -> Arc<egui::Galley> {
            let marks = &state.ensure(buffer.as_str(), model, size).marks;
            let job = marked_job(ui, buffer.as_str(), marks, wrap_width);
            ui.fonts_mut(|f| f.layout_job(job))
        };
    let output = egui::TextEdit::multiline(&mut editor.prompt)
        .id(id)
        .font(egui::TextStyle::Body)
        .hint_text(format!(
            "Describe the image; {} generates",
            shortcuts::label(ui.ctx(), shortcuts::GENERATE)
        ))
        .desired_rows(6)
        .desired_width(f32::INFINITY)
        .layouter(&mut layouter)
        .show(ui);
    let response = output.response.response;
    if let Some(pointer) = response.hover_pos() {
        let cursor = output.galley.cursor_from_pos(pointer - output.galley_pos);
        let byte = editor
            .prompt
            .char_indices()
            .nth(cursor.index.into())
            .map_or(editor.prompt.len(), |(b, _)| b);
        let result = editor
            .preflight
            .ensure(&editor.prompt, model, &editor.image_size);
        if let Some(mark) = result
            .marks
            .iter()
            .find(|m| m.span.start <= byte && byte < m.span.end)
        {
            let tip = hover_text(mark);
            return response.on_hover_text_at_pointer(tip);
        }
    }
    response
}

fn hover_text(mark: &Mark) -> String {
    use std::fmt::Write as _;
    let mut tip = format!("{} ({}): {}", mark.text, mark.kind.label(), mark.why);
    if let Some(words) = mark.before.and_then(Past::words) {
        let _ = write!(tip, ". Your jobs: {words}");
    }
    if let Some(first) = mark.suggestions.first() {
        let _ = write!(tip, ". {} (button below the prompt)", mark.action(first));
    }
    tip
}

/// Under the field: the verdict line, each mark with its replacements, Replace all, the last
/// replacement as a diff, Undo and Redo.
pub fn preflight_ui(ui: &mut egui::Ui, editor: &mut Editor) {
    if editor.prompt.trim().is_empty()
        && editor.preflight.undo.is_empty()
        && editor.preflight.redo.is_empty()
    {
        return;
    }
    let model = Catalog::builtin().get(&editor.model);
    let result = editor
        .preflight
        .ensure(&editor.prompt, model, &editor.image_size)
        .clone();
    let colour = match result.verdict {
        Verdict::LikelyToPass => theme::DELIVERED,
        Verdict::LikelyBlocked => theme::IMAGE_FILTER,
        Verdict::BlockedByPolicy => theme::POLICY,
    };
    ui.add(
        egui::Label::new(
            egui::RichText::new(format!("Preflight: {}", result.line())).color(colour),
        )
        .wrap(),
    );
    let mut chosen = marks_ui(ui, &editor.prompt, &result);
    let replaceable = result
        .marks
        .iter()
        .filter(|m| !m.suggestions.is_empty())
        .count();
    ui.horizontal(|ui| {
        if replaceable > 0
            && ui
                .button("Replace all")
                .on_hover_text(format!(
                    "Puts each mark's first suggestion in its place; Undo ({}) puts it back",
                    shortcuts::label(ui.ctx(), shortcuts::UNDO)
                ))
                .clicked()
        {
            chosen = Some(result.apply_all(&editor.prompt));
        }
        if editor.preflight.can_undo(&editor.prompt)
            && ui
                .button("Undo")
                .on_hover_text(shortcuts::label(ui.ctx(), shortcuts::UNDO))
                .clicked()
        {
            editor.preflight.undo(&mut editor.prompt);
        }
        if editor.preflight.can_redo(&editor.prompt)
            && ui
                .button("Redo")
                .on_hover_text(shortcuts::label(ui.ctx(), shortcuts::REDO))
                .clicked()
        {
            editor.preflight.redo(&mut editor.prompt);
        }
    });
    if let Some(after) = chosen {
        editor.preflight.replace(&mut editor.prompt, after);
    }
    if let Some(last) = editor
        .preflight
        .undo
        .last()
        .filter(|r| r.after == editor.prompt)
    {
        ui.label("Replaced:");
        diff_ui(ui, &last.before, &last.after);
    }
}

/// Each mark with what it is, why on hover, and its replacement buttons; the prompt with the
/// replacement clicked, if one was.
fn marks_ui(ui: &mut egui::Ui, prompt: &str, result: &Preflight) -> Option<String> {
    let mut chosen = None;
    for mark in &result.marks {
        ui.horizontal_wrapped(|ui| {
            let before = mark
                .before
                .and_then(Past::words)
                .map(|w| format!(" ({w})"))
                .unwrap_or_default();
            ui.colored_label(
                mark_colour(mark.kind),
                format!("\"{}\" — {}{before}", mark.text, mark.kind.label()),
            )
            .on_hover_text(&mark.why);
            for suggestion in &mark.suggestions {
                if ui
                    .small_button(mark.action(suggestion))
                    .on_hover_text(&mark.why)
                    .clicked()
                {
                    chosen = Some(apply_one(prompt, mark, suggestion));
                }
            }
        });
    }
    chosen
}

/// The word diff of a replacement: removed words struck through, added words underlined.
fn diff_ui(ui: &mut egui::Ui, before: &str, after: &str) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = ui.visuals().text_color();
    let mut job = egui::text::LayoutJob::default();
    for piece in word_diff(before, after) {
        let (text, format, space) = match &piece {
            Piece::Same(text) => (text, egui::TextFormat::simple(font.clone(), plain), 0.0),
            Piece::Removed(text) => (
                text,
                egui::TextFormat {
                    strikethrough: egui::Stroke::new(1.0, theme::STOPPED),
                    ..egui::TextFormat::simple(font.clone(), theme::STOPPED)
                },
                0.0,
            ),
            Piece::Added(text) => (
                text,
                egui::TextFormat {
                    underline: egui::Stroke::new(1.0, theme::DELIVERED),
                    ..egui::TextFormat::simple(font.clone(), theme::DELIVERED)
                },
                4.0,
            ),
        };
        job.append(text, space, format);
    }
    job.wrap.max_width = ui.available_width();
    ui.label(job);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preflight_runs_once_per_change_of_the_text() {
        let mut state = PreflightState::default();
        let model = Catalog::builtin().get("gemini-3-pro-image");
        for _ in 0..3 {
            assert_eq!(
                state.ensure("Elsa's ice palace", model, "1K").marks.len(),
                1
            );
        }
        assert_eq!(state.runs, 1);
        state.ensure("Elsa's ice palace at night", model, "1K");
        state.ensure("Elsa's ice palace at night", model, "1K");
        assert_eq!(state.runs, 2);
        state.ensure("Elsa's ice palace at night", model, "4K");
        assert_eq!(state.runs, 3, "a new size changes the cost of a block");
        state.memory_version += 1;
        state.ensure("Elsa's ice palace at night", model, "4K");
        assert_eq!(state.runs, 4, "new memory changes the marks");
    }

    #[test]
    fn a_replacement_is_undone_and_redone_only_while_the_prompt_is_unchanged() {
        let mut state = PreflightState::default();
        let mut prompt = "Elsa at night".to_owned();
        state.replace(&mut prompt, "a woman at night".to_owned());
        assert_eq!(prompt, "a woman at night");
        assert!(state.undo(&mut prompt));
        assert_eq!(prompt, "Elsa at night");
        assert!(!state.undo(&mut prompt), "nothing left to undo");
        assert!(state.redo(&mut prompt));
        assert_eq!(prompt, "a woman at night");
        prompt.push_str(", snowing");
        assert!(
            !state.undo(&mut prompt),
            "typed since: the text field's own undo applies"
        );
    }

    #[test]
    fn marks_are_underlined_and_the_rest_is_plain() {
        let ctx = egui::Context::default();
        let mut sections = Vec::new();
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let text = "Elsa's ice palace";
            let result = preflight(text, &Context::default());
            let job = marked_job(ui, text, &result.marks, 300.0);
            sections = job
                .sections
                .iter()
                .map(|s| {
                    let range = s.byte_range.start.0..s.byte_range.end.0;
                    (job.text[range].to_owned(), s.format.underline.width > 0.0)
                })
                .collect();
        });
        output.textures_delta.clear();
        assert_eq!(
            sections,
            [
                ("Elsa".to_owned(), true),
                ("'s ice palace".to_owned(), false)
            ]
        );
    }
}
