//! The gallery: every job newest first, one row each with its thumbnail, prompt, status and live
//! countdown. Only the rows on screen are drawn; their thumbnails are asked of the media service
//! (decoded off the UI thread) and freed once scrolled away. Clicking a row explains it in the
//! why-panel; double-clicking an image opens the large view.

use jiff::Timestamp;

use super::{Intent, Textures, UiState, ViewerState, theme};
use crate::diagnosis::words::human_duration;
use crate::view::media::MediaRequest;
use crate::view::state::{AppState, JobStatus, JobView};
use crate::worker::{Command, JobId, JobState};

/// A job's status in one line, with its colour; asks for a repaint each second while counting.
pub fn status_line(ui: &egui::Ui, job: &JobView) -> (egui::Color32, String) {
    match &job.status {
        JobStatus::Queued => (theme::WAITING, "Queued".to_owned()),
        JobStatus::Sending { attempt, model } => {
            (theme::WAITING, format!("Attempt {attempt} on {model}…"))
        }
        JobStatus::Waiting { until, reason } => {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
            (
                theme::WAITING,
                format!("Next attempt in {}: {reason}", seconds_until(*until)),
            )
        }
        JobStatus::Finished(status) => {
            let (colour, word) = match status {
                JobState::Delivered => (theme::DELIVERED, "Done"),
                JobState::Stopped => (theme::STOPPED, "Stopped"),
                JobState::Parked => (theme::WAITING, "Kept in the queue"),
                JobState::Cancelled => (theme::STOPPED, "Cancelled"),
                JobState::Deleted => (theme::STOPPED, "Deleted"),
                JobState::Queued | JobState::Running => (theme::WAITING, "Not finished"),
            };
            (
                colour,
                format!("{word}: {}", job.reason.as_deref().unwrap_or_default()),
            )
        }
    }
}

/// "12 s", "4 min 10 s" until `until` (never negative).
pub fn seconds_until(until: Timestamp) -> String {
    human_duration(
        until
            .duration_since(Timestamp::now())
            .as_secs_f64()
            .max(0.0),
    )
}

/// Cancel and Retry now for an open job (labels carry the job number: tests click them).
pub fn job_controls_ui(ui: &mut egui::Ui, job: &JobView, intents: &mut Vec<Intent>) {
    if job.is_open() {
        ui.horizontal(|ui| {
            if ui.button(format!("Retry now (job {})", job.id)).clicked() {
                intents.push(Intent::Worker(Command::RetryNow(job.id)));
            }
            if ui.button(format!("Cancel (job {})", job.id)).clicked() {
                intents.push(Intent::Worker(Command::Cancel(job.id)));
            }
        });
    }
}

/// Draws the gallery.
pub fn gallery_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    if state.jobs.is_empty() {
        ui.label("No images yet. Write a prompt and press Generate (or Ctrl+Enter).");
        return;
    }
    let newest_first: Vec<&JobView> = state.jobs.iter().rev().collect();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, theme::GALLERY_ROW, newest_first.len(), |ui, rows| {
            for job in &newest_first[rows] {
                row_ui(ui, state, job, textures, ui_state, intents);
            }
        });
}

fn row_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    job: &JobView,
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let selected = state.selected == Some(job.id);
    let frame = egui::Frame::new().inner_margin(4.0).fill(if selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.35)
    } else {
        egui::Color32::TRANSPARENT
    });
    frame.show(ui, |ui| {
        ui.set_height(theme::GALLERY_ROW - 8.0);
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            thumbnail_ui(ui, job, textures, ui_state, intents);
            ui.vertical(|ui| {
                let title = format!("Job {}: {}", job.id, job.prompt());
                if ui
                    .add(egui::Button::selectable(selected, title).truncate())
                    .clicked()
                {
                    intents.push(Intent::Select(job.id));
                }
                let (colour, line) = status_line(ui, job);
                ui.add(egui::Label::new(egui::RichText::new(line).color(colour)).truncate());
                if let Some(fell_back) = &job.fell_back {
                    ui.add(egui::Label::new(fell_back.as_str()).truncate());
                }
                if let Some(path) = &job.image_path {
                    let name = path
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    ui.add(egui::Label::new(format!("Saved as {name}")).truncate())
                        .on_hover_text(path.display().to_string());
                }
                job_controls_ui(ui, job, intents);
            });
        });
    });
}

fn thumbnail_ui(
    ui: &mut egui::Ui,
    job: &JobView,
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let size = egui::vec2(theme::THUMBNAIL, theme::THUMBNAIL);
    let Some(path) = &job.image_path else {
        let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
        ui.painter()
            .rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        return;
    };
    textures.used.insert(path.clone());
    if let Some(texture) = textures.thumbnails.get(path) {
        let response = ui.add(
            egui::Image::new(texture)
                .fit_to_exact_size(size)
                .maintain_aspect_ratio(true)
                .alt_text(format!("Image of job {}: {}", job.id, job.prompt()))
                .sense(egui::Sense::click()),
        );
        if response.clicked() {
            intents.push(Intent::Select(job.id));
        }
        if response.double_clicked() {
            open_viewer(path, ui_state, intents);
        }
    } else if let Some(reason) = textures.unreadable.get(path) {
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
        ui.painter()
            .rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        ui.painter().text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Image missing",
            egui::FontId::proportional(12.0),
            theme::STOPPED,
        );
        response.on_hover_text(reason.as_str());
    } else {
        if textures.requested.insert(path.clone()) {
            intents.push(Intent::Media(MediaRequest::Thumbnail {
                path: path.clone(),
                max_side_px: theme::THUMBNAIL_PX,
            }));
        }
        ui.add_sized(size, egui::Spinner::new());
    }
}

/// Opens the large view on `path` (the full image is decoded off the UI thread).
pub fn open_viewer(path: &std::path::Path, ui_state: &mut UiState, intents: &mut Vec<Intent>) {
    ui_state.viewer = Some(ViewerState {
        path: path.to_path_buf(),
        scene_rect: egui::Rect::ZERO,
    });
    intents.push(Intent::Media(MediaRequest::FullImage {
        path: path.to_path_buf(),
    }));
}

/// The "Delete this image?" confirmation.
pub fn confirm_delete_ui(
    ctx: &egui::Context,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let Some(job) = ui_state.confirm_delete else {
        return;
    };
    let prompt = state.job(job).map(JobView::prompt).unwrap_or_default();
    let mut close = false;
    egui::Modal::new(egui::Id::unique("confirm_delete")).show(ctx, |ui| {
        ui.heading(format!("Delete job {job}?"));
        ui.label(format!(
            "\"{prompt}\" and its image file will be removed from disk. This cannot be undone; save a copy first if you may need it."
        ));
        ui.horizontal(|ui| {
            if ui.button("Delete for good").clicked() {
                intents.push(Intent::Worker(Command::Delete(job)));
                close = true;
            }
            if ui.button("Keep it").clicked() {
                close = true;
            }
        });
    });
    if close {
        ui_state.confirm_delete = None;
    }
}

/// Asks to delete `job` (the confirmation opens).
pub fn ask_delete(job: JobId, ui_state: &mut UiState) {
    ui_state.confirm_delete = Some(job);
}
