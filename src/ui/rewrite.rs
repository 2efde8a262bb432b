//! The rewrite assistant under the why-panel: for a content block, up to three suggestions as a
//! word-level diff against the blocked prompt, each edit with its reason; pick one, edit it, then
//! "Apply" (into the editor) or "Apply & generate", or "Try these rewrites…" (`try_rewrites`).
//! Nothing is applied or sent without a click, and the blocked job stays in the history. Rewrites
//! that passed before for the same names come first.

use super::{Intent, UiState, theme};
use crate::rewrite::diff::{Piece, word_diff};
use crate::rewrite::{Advice, advise};
use crate::view::state::{AppState, JobView};

/// The advice for the selected job, computed once per job (matching is not free).
#[derive(Clone, Debug, PartialEq)]
pub struct RewriteState {
    /// The job it is for.
    pub job: crate::worker::JobId,
    /// The advice.
    pub advice: Advice,
    /// The suggestion picked (its text is in `draft`).
    pub picked: Option<usize>,
    /// The rewritten prompt, editable.
    pub draft: String,
}

/// Draws the assistant for `job` when it was stopped by a content filter.
pub fn rewrite_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    job: &JobView,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let Some(diagnosis) = job.diagnosis.as_ref().filter(|d| d.kind.is_content_block()) else {
        return;
    };
    if ui_state.rewrite.as_ref().is_none_or(|r| r.job != job.id) {
        ui_state.rewrite = Some(RewriteState {
            job: job.id,
            advice: advise(job.prompt(), diagnosis),
            picked: None,
            draft: String::new(),
        });
    }
    let Some(rewrite) = ui_state.rewrite.as_mut() else {
        return;
    };
    ui.separator();
    ui.heading("Rewrite");
    remembered_ui(ui, state, job, rewrite);
    // No early return for advice without suggestions: a rewrite that passed before may still be
    // picked above, and its draft is edited and applied below.
    suggestions_ui(ui, job, rewrite);
    super::try_rewrites::offer_ui(ui, job, &rewrite.advice, &mut ui_state.compare);
    draft_ui(ui, job, rewrite, intents);
}

/// Rewrites that passed before for the same names, each with a button to use it.
fn remembered_ui(ui: &mut egui::Ui, state: &AppState, job: &JobView, rewrite: &mut RewriteState) {
    for remembered in state.remembered_for(job.prompt()) {
        ui.colored_label(
            theme::DELIVERED,
            format!(
                "Passed before: \"{}\" got through where \"{}\" was blocked.",
                remembered.passed, remembered.blocked
            ),
        );
        if ui.button("Use what passed before").clicked() {
            rewrite.picked = None;
            rewrite.draft.clone_from(&remembered.passed);
        }
    }
}

/// The advice: a setting, "nothing helps", or up to three suggestions as diffs with reasons.
fn suggestions_ui(ui: &mut egui::Ui, job: &JobView, rewrite: &mut RewriteState) {
    match &rewrite.advice {
        Advice::ChangeSetting { message } | Advice::NothingHelps { message } => {
            ui.add(egui::Label::new(message.as_str()).wrap());
        }
        Advice::NotAContentBlock => {}
        Advice::Rewrites { suggestions, note } => {
            if let Some(note) = note {
                ui.add(egui::Label::new(note.as_str()).wrap());
            }
            for (index, suggestion) in suggestions.iter().enumerate() {
                ui.add_space(4.0);
                let title = format!("Suggestion {}: {}", index + 1, suggestion.title);
                if ui
                    .add(egui::Button::selectable(
                        rewrite.picked == Some(index),
                        title,
                    ))
                    .clicked()
                {
                    rewrite.picked = Some(index);
                    rewrite.draft.clone_from(&suggestion.prompt);
                }
                diff_ui(ui, job.prompt(), &suggestion.prompt);
                for edit in &suggestion.edits {
                    ui.add(egui::Label::new(format!("- {}", edit.reason)).wrap());
                }
            }
        }
    }
}

/// The picked rewrite, editable, with Apply and Apply & generate.
fn draft_ui(
    ui: &mut egui::Ui,
    job: &JobView,
    rewrite: &mut RewriteState,
    intents: &mut Vec<Intent>,
) {
    if rewrite.draft.is_empty() {
        let any = matches!(&rewrite.advice, Advice::Rewrites { suggestions, .. } if !suggestions.is_empty());
        if any {
            ui.weak("Pick a suggestion to edit and apply it.");
        }
        return;
    }
    let label = ui.label("Rewritten prompt");
    ui.add(
        egui::TextEdit::multiline(&mut rewrite.draft)
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.horizontal(|ui| {
        if ui.button("Apply").clicked() {
            intents.push(Intent::ApplyRewrite {
                job: job.id,
                prompt: rewrite.draft.clone(),
                generate: false,
            });
        }
        if ui.button("Apply & generate").clicked() {
            intents.push(Intent::ApplyRewrite {
                job: job.id,
                prompt: rewrite.draft.clone(),
                generate: true,
            });
        }
    });
}

/// The word diff: removed words struck through in red, added words in green.
fn diff_ui(ui: &mut egui::Ui, original: &str, suggested: &str) {
    pieces_ui(ui, &word_diff(original, suggested));
}

/// A word diff already computed, drawn as [`diff_ui`] draws it (Compare uses it too).
pub(super) fn pieces_ui(ui: &mut egui::Ui, pieces: &[Piece]) {
    let mut job = egui::text::LayoutJob::default();
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = ui.visuals().text_color();
    for piece in pieces {
        let (text, format) = match &piece {
            Piece::Same(text) => (text, egui::TextFormat::simple(font.clone(), plain)),
            Piece::Removed(text) => (
                text,
                egui::TextFormat {
                    strikethrough: egui::Stroke::new(1.0, theme::STOPPED),
                    ..egui::TextFormat::simple(font.clone(), theme::STOPPED)
                },
            ),
            Piece::Added(text) => (
                text,
                egui::TextFormat {
                    underline: egui::Stroke::new(1.0, theme::DELIVERED),
                    ..egui::TextFormat::simple(font.clone(), theme::DELIVERED)
                },
            ),
        };
        // A little room between a removed run and the added one that replaces it.
        let leading_space = if matches!(piece, Piece::Added(_)) {
            4.0
        } else {
            0.0
        };
        job.append(text, leading_space, format);
    }
    job.wrap.max_width = ui.available_width();
    ui.label(job);
}
