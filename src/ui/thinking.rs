//! A request on its way, as the designer sees it: elapsed time beside the typical time, a
//! thinking model's thought summaries as they arrive, and its newest interim image in the tile
//! and the large view, always marked "thinking — not the final image". The large view follows
//! the job: a newer interim image replaces the older one, and the final image replaces both.

use super::gallery::open_viewer;
use super::progress::{elapsed_words, seconds_since};
use super::{Intent, UiState, theme};
use crate::view::state::{AppState, JobStatus, JobView};
use crate::view::thinking::NOT_FINAL;

/// The why-panel's part for a job with a request on its way (or one that thought): progress,
/// the interim image's button, and the summaries.
pub fn thinking_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    job: &JobView,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    if let JobStatus::Sending {
        attempt,
        model,
        image_size,
        since,
    } = &job.status
    {
        // No spinner: it would redraw the window every frame for a minute; the elapsed time
        // moves each second.
        ui.horizontal_wrapped(|ui| {
            let typical = state.typical.typical(model, image_size);
            let line = format!(
                "Attempt {attempt} on {model} ({image_size}): {}",
                elapsed_words(seconds_since(*since), typical)
            );
            let label = ui.colored_label(theme::WAITING, line);
            if let Some(typical) = typical {
                label.on_hover_text(typical.explanation());
            }
        });
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
        if let Some((thought, image)) = job.thinking.latest_image() {
            let label = format!(
                "Open interim image {}x{} ({NOT_FINAL})",
                image.width, image.height
            );
            if ui.button(label).clicked() {
                open_interim(ui.ctx(), job, &image.path, ui_state, intents);
            }
            ui.weak(format!("arrived at {:.1} s", thought.at_s));
        } else if job.thinking.thoughts.is_empty() {
            ui.weak("Waiting for the first answer…");
        }
    }
    let summaries: Vec<_> = job.thinking.summaries().collect();
    if summaries.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!("Thoughts ({})", summaries.len()))
        .id_salt(("thoughts", job.id))
        .default_open(true)
        .show(ui, |ui| {
            for thought in summaries {
                ui.weak(format!(
                    "Thought {} at {:.1} s",
                    thought.index, thought.at_s
                ));
                summary_ui(ui, thought.text.as_deref().unwrap_or_default());
            }
        });
}

/// A thought summary: Google writes a bold title (`**Composing the scene**`) over its words; the
/// title shows bold, without its asterisks.
fn summary_ui(ui: &mut egui::Ui, text: &str) {
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        match line
            .strip_prefix("**")
            .and_then(|rest| rest.strip_suffix("**"))
        {
            Some(title) => ui.add(egui::Label::new(egui::RichText::new(title).strong()).wrap()),
            None => ui.add(egui::Label::new(line).wrap()),
        };
    }
}

/// Opens the large view on an interim image of `job`, marked as not the final image.
pub fn open_interim(
    ctx: &egui::Context,
    job: &JobView,
    path: &std::path::Path,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    open_viewer(ctx, path, ui_state, intents);
    if let Some(viewer) = &mut ui_state.viewer {
        viewer.interim_of = Some(job.id);
    }
}

/// Keeps a large view of an interim image in step with its job: the newest interim image while
/// the job thinks, then its final image.
pub fn follow_interim(
    ctx: &egui::Context,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let Some(job) = ui_state
        .viewer
        .as_ref()
        .and_then(|viewer| viewer.interim_of)
        .and_then(|id| state.job(id))
    else {
        return;
    };
    let shown = ui_state.viewer.as_ref().map(|viewer| viewer.path.clone());
    if let Some(path) = job.image_path.as_ref().filter(|_| job.is_delivered()) {
        open_viewer(ctx, path, ui_state, intents);
    } else if let Some((_, image)) = job.thinking.latest_image()
        && shown.as_ref() != Some(&image.path)
    {
        open_interim(ctx, job, &image.path, ui_state, intents);
    }
}

/// Marks an interim image's tile (or large view) across its bottom edge.
pub fn paint_not_final(ui: &egui::Ui, rect: egui::Rect) {
    let painter = ui.painter_at(rect);
    // Wrapped to the tile: a small thumbnail gets the words on two lines, never cut.
    let galley = painter.layout(
        NOT_FINAL.to_owned(),
        egui::FontId::proportional(11.0),
        theme::BADGE_TEXT,
        (rect.width() - 8.0).max(40.0),
    );
    let band = egui::Rect::from_min_max(
        egui::pos2(rect.left(), rect.bottom() - galley.size().y - 6.0),
        rect.right_bottom(),
    );
    painter.rect_filled(band, 0.0, theme::WAITING.gamma_multiply(0.85));
    painter.galley(
        egui::pos2(band.center().x - galley.size().x / 2.0, band.top() + 3.0),
        galley,
        theme::BADGE_TEXT,
    );
}
