//! The prompt's cursor for the prompt library: where the caret (or the selection) was when the
//! designer pressed Ctrl+L or a library button, and putting a library text there.
//!
//! egui collapses a text field's selection once the field has lost the keyboard focus, and a
//! press on a button takes the focus away before the button reports its click. So
//! [`PromptCursor`] notes, each frame, the selection seen while the prompt had the focus and the
//! frame the focus went; a button press that took the focus still finds the selection the
//! designer saw, while a selection left behind earlier (a click elsewhere since) counts only as
//! its caret, as egui shows it. Indices are characters, never bytes: "é" is one.

use std::hash::{Hash as _, Hasher as _};
use std::ops::Range;

use egui::text::{CCursor, CCursorRange};

/// The prompt field's id (the editor's [`super::preflight::PROMPT_ID`]).
pub fn prompt_id() -> egui::Id {
    egui::Id::unique(super::preflight::PROMPT_ID)
}

fn hash_of(text: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// The prompt's caret and selection as last seen with the focus, and when the focus went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromptCursor {
    /// The selection, sorted, in characters (empty: just the caret).
    selection: Option<Range<usize>>,
    /// The caret (the end that moves), in characters.
    caret: usize,
    /// A hash of the prompt it was seen in (a prompt changed since, by Restore or a rewrite,
    /// leaves no cursor to speak of).
    prompt_hash: u64,
    /// The frame (egui's pass number) the prompt was first drawn without the focus since.
    unfocused_since: Option<u64>,
    /// The frame of the latest pointer press anywhere.
    last_press: Option<u64>,
}

impl PromptCursor {
    /// Notes the cursor after the prompt field (`field`) was drawn with `prompt` this frame.
    pub fn track(&mut self, ctx: &egui::Context, field: &egui::Response, prompt: &str) {
        let pass = ctx.cumulative_pass_nr();
        if ctx.input(|input| input.pointer.any_pressed()) {
            self.last_press = Some(pass);
        }
        if !field.has_focus() {
            self.unfocused_since.get_or_insert(pass);
            return;
        }
        self.unfocused_since = None;
        let Some(range) = egui::text_edit::TextEditState::load(ctx, field.id)
            .and_then(|state| state.cursor.char_range())
        else {
            return;
        };
        let sorted = range.as_sorted_char_range();
        self.selection = Some(sorted.start.0..sorted.end.0);
        self.caret = range.primary.index.0;
        self.prompt_hash = hash_of(prompt);
    }

    /// Where a text goes now, in characters of `prompt`: the selection, when it was still
    /// there at the latest press (`by_press`: a button was clicked) or the prompt has the focus
    /// (a key); else the caret egui kept; else (never focused, or the prompt changed since) the
    /// end.
    pub fn target(&self, prompt: &str, by_press: bool) -> Range<usize> {
        let chars = prompt.chars().count();
        let Some(selection) = self
            .selection
            .clone()
            .filter(|_| self.prompt_hash == hash_of(prompt))
        else {
            return chars..chars;
        };
        let alive = match (self.unfocused_since, by_press) {
            (None, _) => true,
            (Some(lost), true) => self.last_press.is_some_and(|press| lost >= press),
            (Some(_), false) => false,
        };
        if alive {
            selection.start.min(chars)..selection.end.min(chars)
        } else {
            let caret = self.caret.min(chars);
            caret..caret
        }
    }

    /// The selected words at the latest press (or now, with the focus), if any.
    pub fn selected_text(&self, prompt: &str, by_press: bool) -> Option<String> {
        let range = self.target(prompt, by_press);
        (!range.is_empty()).then(|| {
            prompt
                .chars()
                .skip(range.start)
                .take(range.end - range.start)
                .collect()
        })
    }
}

/// Characters after which an inserted text needs no space (it opens something).
const OPENERS: &str = "([{“‘«/\n";

/// Characters before which an inserted text needs no space (they close or punctuate).
const CLOSERS: &str = ",.;:!?)]}”’»/\n";

/// Whether `left` and `right` side by side would run two words together.
fn needs_space(left: Option<char>, right: Option<char>) -> bool {
    match (left, right) {
        (Some(left), Some(right)) => {
            !left.is_whitespace()
                && !right.is_whitespace()
                && !OPENERS.contains(left)
                && !CLOSERS.contains(right)
        }
        _ => false,
    }
}

/// `prompt` with `text` in place of the characters `range`, a space added on a side where two
/// words would otherwise run together; and the caret after the text, in characters.
pub fn insert(prompt: &str, range: Range<usize>, text: &str) -> (String, usize) {
    let byte = |chars: usize| {
        prompt
            .char_indices()
            .nth(chars)
            .map_or(prompt.len(), |(at, _)| at)
    };
    let (start, end) = (byte(range.start), byte(range.end.max(range.start)));
    let (before, after) = (&prompt[..start], &prompt[end..]);
    let space_before = needs_space(before.chars().next_back(), text.chars().next());
    let space_after = needs_space(text.chars().next_back(), after.chars().next());
    let mut result = String::with_capacity(prompt.len() + text.len() + 2);
    result.push_str(before);
    if space_before {
        result.push(' ');
    }
    result.push_str(text);
    let caret = result.chars().count();
    if space_after {
        result.push(' ');
    }
    result.push_str(after);
    (result, caret)
}

/// Puts `text` at `range` of the editor's `prompt` (see [`insert`]), leaves the caret after it,
/// and keeps the change on the field's own undo list (Ctrl+Z takes it back). The caller gives
/// the prompt the focus back on the next frame: a field below an open modal cannot take it.
pub fn insert_into_prompt(
    ctx: &egui::Context,
    prompt: &mut String,
    range: Range<usize>,
    text: &str,
) {
    let id = prompt_id();
    let (inserted, caret) = insert(prompt, range.clone(), text);
    let mut state = egui::text_edit::TextEditState::load(ctx, id).unwrap_or_default();
    let before_range = CCursorRange::two(CCursor::new(range.start), CCursor::new(range.end));
    let after_range = CCursorRange::one(CCursor::new(caret));
    let mut undoer = state.undoer();
    undoer.add_undo(&(before_range, prompt.clone()));
    undoer.add_undo(&(after_range, inserted.clone()));
    state.set_undoer(undoer);
    state.cursor.set_char_range(Some(after_range));
    state.store(ctx, id);
    *prompt = inserted;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_goes_in_at_the_cursor_counted_in_characters() {
        // "café " is five characters and six bytes: the caret before "crème".
        let (prompt, caret) = insert("café crème", 5..5, "soft light,");
        assert_eq!(prompt, "café soft light, crème");
        assert_eq!(caret, 16);
        assert_eq!(
            prompt.chars().take(caret).collect::<String>(),
            "café soft light,"
        );
    }

    #[test]
    fn a_selection_is_replaced() {
        let (prompt, caret) = insert("a fox at night, 日本", 9..14, "golden hour");
        assert_eq!(prompt, "a fox at golden hour, 日本");
        assert_eq!(caret, 20);
        let (prompt, _) = insert("🎨🎨 fox", 0..2, "paint");
        assert_eq!(prompt, "paint fox");
    }

    #[test]
    fn spaces_are_added_only_where_words_would_run_together() {
        assert_eq!(insert("a fox", 5..5, "in snow").0, "a fox in snow");
        assert_eq!(insert("a fox ", 6..6, "in snow").0, "a fox in snow");
        assert_eq!(insert("a fox.", 5..5, "in snow").0, "a fox in snow.");
        assert_eq!(insert("(fox)", 1..1, "red").0, "(red fox)");
        assert_eq!(insert("a fox", 0..0, "Photo:").0, "Photo: a fox");
        assert_eq!(insert("", 0..0, "a fox").0, "a fox");
        assert_eq!(insert("line one\n", 9..9, "two").0, "line one\ntwo");
        assert_eq!(insert("a fox", 5..5, ", at dusk").0, "a fox, at dusk");
    }

    #[test]
    fn a_range_past_the_end_inserts_at_the_end() {
        assert_eq!(insert("fox", 10..12, "red").0, "fox red");
    }

    #[test]
    fn a_cursor_never_seen_or_from_another_prompt_inserts_at_the_end() {
        let cursor = PromptCursor::default();
        assert_eq!(cursor.target("café", false), 4..4);
        let seen = PromptCursor {
            selection: Some(1..3),
            caret: 3,
            prompt_hash: hash_of("café"),
            unfocused_since: None,
            last_press: None,
        };
        assert_eq!(seen.target("café", false), 1..3);
        assert_eq!(seen.selected_text("café", false).as_deref(), Some("af"));
        assert_eq!(seen.target("tea", false), 3..3, "the prompt changed since");
    }

    #[test]
    fn a_selection_counts_only_if_the_focus_went_with_the_latest_press() {
        let mut cursor = PromptCursor {
            selection: Some(2..5),
            caret: 2,
            prompt_hash: hash_of("a red fox"),
            unfocused_since: Some(40),
            last_press: Some(40),
        };
        // The press on the button took the focus: the selection the designer saw counts.
        assert_eq!(cursor.target("a red fox", true), 2..5);
        // A click elsewhere took it earlier: only the caret egui kept.
        cursor.last_press = Some(52);
        assert_eq!(cursor.target("a red fox", true), 2..2);
        // A key (Ctrl+L) while the prompt has no focus: the caret.
        cursor.last_press = Some(40);
        assert_eq!(cursor.target("a red fox", false), 2..2);
        assert_eq!(cursor.selected_text("a red fox", false), None);
    }
}
