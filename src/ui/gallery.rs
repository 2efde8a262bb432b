//! The gallery: every job newest first, as a grid of thumbnails (a size slider, a status badge on
//! failed, blocked, waiting and running jobs), each with its prompt, status and live countdown,
//! under a search box and filters (`gallery_filter`). Only the rows on screen are drawn; their
//! thumbnails are asked of the media service (decoded off the UI thread, kept on disk) and freed
//! once scrolled away. Clicking a cell explains it in the why-panel (Ctrl+ and Shift+click pick
//! several: `gallery_select`); double-clicking an image opens the large view. Keyboard: arrows
//! move the selection, Enter opens the large view, Delete asks, Ctrl+S saves, Ctrl+A picks all,
//! Escape clears. "Grid" and "List" switch to the same jobs as a sortable table (`job_list`).
//! Each tile carries a star (`stars`; S stars the selected jobs), and its thumbnail can be dragged
//! onto a board in the sidebar (`boards`).

use jiff::Timestamp;

use super::boards::drag_source;
use super::gallery_filter::{
    Outcome, THUMBNAIL_RANGE, filter_bar_ui, made_with, next_page, outcome_of,
};
use super::gallery_select::{apply_click, is_picked, note_click, selection_bar_ui, selection_keys};
use super::job_list::{Layout, list_ui, sort_jobs};
use super::progress::status_line;
use super::thinking::{open_interim, paint_not_final};
use super::{Intent, Textures, UiState, ViewerState, theme};
use crate::view::media::MediaRequest;
use crate::view::state::{AppState, JobStatus, JobView};
use crate::view::thinking::NOT_FINAL;
use crate::worker::{Command, JobId, JobState};

/// Cancel and Retry now for an open job (labels carry the job number: tests click them). Retry
/// now is not offered while a request is on its way: there is no wait to skip.
pub fn job_controls_ui(ui: &mut egui::Ui, job: &JobView, intents: &mut Vec<Intent>) {
    if job.is_open() {
        ui.horizontal(|ui| {
            let sending = matches!(job.status, JobStatus::Sending { .. });
            if !sending && ui.button(format!("Retry now (job {})", job.id)).clicked() {
                intents.push(Intent::Worker(Command::RetryNow(job.id)));
            }
            if ui.button(format!("Cancel (job {})", job.id)).clicked() {
                intents.push(Intent::Worker(Command::Cancel(job.id)));
            }
        });
    }
}

/// Draws the gallery: the filter bar, then the matching jobs as a grid of thumbnails, newest
/// first, or as the sortable list (`job_list`); only the rows on screen are drawn.
pub fn gallery_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    if state.jobs.is_empty() {
        ui.label(format!(
            "No images yet. Write a prompt and press Generate (or {}).",
            super::shortcuts::label(ui.ctx(), super::shortcuts::GENERATE)
        ));
        return;
    }
    filter_bar_ui(ui, &mut ui_state.gallery, || models_of(state));
    let now = Timestamp::now();
    let change = ui_state.gallery.filters_changed(now);
    if change.beyond_text {
        // The whole history, not just what is loaded: its first page under the new filters.
        ask_for_more(state, ui_state, now, intents);
    }
    selection_bar_ui(ui, state, ui_state, intents);
    let mut shown: Vec<&JobView> = state
        .jobs
        .iter()
        .rev()
        .filter(|job| ui_state.gallery.matches(job, now))
        .collect();
    if shown.is_empty() {
        ui.label("No job matches the search and filters.");
        ask_for_more(state, ui_state, now, intents);
        return;
    }
    let at_end = match ui_state.gallery.layout {
        Layout::Grid => grid_ui(ui, state, &shown, textures, ui_state, intents, change.any),
        Layout::List => {
            sort_jobs(&mut shown, ui_state.gallery.sort);
            keyboard_ui(ui, state, &shown, 1, ui_state, intents);
            list_ui(ui, state, &shown, ui_state, intents, change.any)
        }
    };
    apply_click(state, &shown, ui_state, intents);
    if at_end {
        ask_for_more(state, ui_state, now, intents);
    }
}

/// The grid of thumbnails, only the rows on screen drawn; `to_top` scrolls back to the first
/// row. Returns whether the last row was on screen.
fn grid_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    shown: &[&JobView],
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
    to_top: bool,
) -> bool {
    let grid = Grid::new(ui, ui_state.gallery.thumbnail_size);
    keyboard_ui(ui, state, shown, grid.columns, ui_state, intents);
    let rows = shown.len().div_ceil(grid.columns);
    let mut area = egui::ScrollArea::vertical()
        .id_salt("gallery_grid")
        .auto_shrink([false, false]);
    if to_top {
        area = area.vertical_scroll_offset(0.0);
    } else if let Some(row) = ui_state.gallery.scroll_to_row.take()
        && !ui_state.gallery.visible_rows.contains(&row)
    {
        let visible = ui_state.gallery.visible_rows.len().max(1);
        let top = if row < ui_state.gallery.visible_rows.start {
            row
        } else {
            (row + 1).saturating_sub(visible)
        };
        area = area
            .vertical_scroll_offset(top as f32 * (grid.row_height + ui.spacing().item_spacing.y));
    }
    area.show_rows(ui, grid.row_height, rows, |ui, range| {
        ui_state.gallery.visible_rows = range.clone();
        for row in range {
            let cells = &shown[row * grid.columns..((row + 1) * grid.columns).min(shown.len())];
            ui.horizontal(|ui| {
                for job in cells {
                    cell_ui(ui, &grid, state, job, textures, ui_state, intents);
                }
            });
        }
    });
    ui_state.gallery.visible_rows.end >= rows
}

/// Asks the worker for the next page of the history (the end of the grid is on screen, or a
/// filter changed).
fn ask_for_more(
    state: &AppState,
    ui_state: &mut UiState,
    now: Timestamp,
    intents: &mut Vec<Intent>,
) {
    if let Some(command) = next_page(state, &mut ui_state.gallery, now) {
        intents.push(Intent::Worker(command));
    }
}

/// The grid's measures for this frame.
struct Grid {
    /// Thumbnail side, in points.
    side: f32,
    /// Cells per row.
    columns: usize,
    /// Height of one row (thumbnail and three lines of text).
    row_height: f32,
}

impl Grid {
    fn new(ui: &egui::Ui, side: f32) -> Self {
        let side = side.clamp(*THUMBNAIL_RANGE.start(), *THUMBNAIL_RANGE.end());
        let gap = ui.spacing().item_spacing.x;
        let cell = side + 2.0 * theme::CELL_MARGIN;
        let fit = ((ui.available_width() + gap) / (cell + gap)).floor();
        // At least one column; a width is never negative.
        let columns = usize::try_from(fit as i64).unwrap_or(1).max(1);
        let line = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
        Self {
            side,
            columns,
            row_height: side + 2.0 * theme::CELL_MARGIN + 3.0 * line,
        }
    }
}

/// Every model that made (or was asked for) a loaded job, sorted (the model filter's choices).
fn models_of(state: &AppState) -> Vec<String> {
    let models: std::collections::BTreeSet<&str> = state.jobs.iter().map(made_with).collect();
    models.into_iter().map(str::to_owned).collect()
}

/// Arrows move the selection through `shown` (`columns` per row), Enter opens the large view,
/// Delete asks, Ctrl+S saves, Ctrl+A picks all, Escape clears; only while no text field has the
/// keyboard and no dialog is open.
fn keyboard_ui(
    ui: &egui::Ui,
    state: &AppState,
    shown: &[&JobView],
    columns: usize,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    if ui.ctx().egui_wants_keyboard_input()
        || ui_state.confirm_delete.is_some()
        || ui_state.viewer.is_some()
        || ui_state.boards.dialog_open()
    {
        return;
    }
    selection_keys(ui, shown, ui_state);
    super::stars::star_key(ui, state, ui_state, intents);
    let current = state
        .selected
        .and_then(|id| shown.iter().position(|job| job.id == id));
    let (step, enter, delete, save) = ui.input(|input| {
        let step: isize = if input.key_pressed(egui::Key::ArrowRight) {
            1
        } else if input.key_pressed(egui::Key::ArrowLeft) {
            -1
        } else if input.key_pressed(egui::Key::ArrowDown) {
            columns.cast_signed()
        } else if input.key_pressed(egui::Key::ArrowUp) {
            -columns.cast_signed()
        } else {
            0
        };
        (
            step,
            input.key_pressed(egui::Key::Enter),
            input.key_pressed(egui::Key::Delete),
            input.modifiers.command && input.key_pressed(egui::Key::S),
        )
    });
    if step != 0 {
        let next = current.map_or(0, |at| at.saturating_add_signed(step).min(shown.len() - 1));
        intents.push(Intent::Select(shown[next].id));
        ui_state.gallery.selection.ids.clear();
        ui_state.gallery.selection.anchor = Some(shown[next].id);
        ui_state.gallery.scroll_to_row = Some(next / columns);
    }
    let Some(job) = current.map(|at| shown[at]) else {
        return;
    };
    let image = job.image_path.as_ref().filter(|_| job.is_delivered());
    if enter && let Some(path) = image {
        open_viewer(ui.ctx(), path, ui_state, intents);
    }
    if delete {
        ask_delete(job.id, ui_state);
    }
    if save && let Some(path) = image {
        intents.push(save_as(job.id, path));
    }
}

/// The Save as… request for job `id`'s image at `path` (the dialog proposes its file name).
pub fn save_as(id: JobId, path: &std::path::Path) -> Intent {
    let suggested_name = path.file_name().map_or_else(
        || format!("peel-{id}.png"),
        |n| n.to_string_lossy().into_owned(),
    );
    Intent::Media(MediaRequest::SaveAs {
        source: path.to_path_buf(),
        suggested_name,
    })
}

/// One cell: the thumbnail with its status badge, the job's title, its status and fallback.
fn cell_ui(
    ui: &mut egui::Ui,
    grid: &Grid,
    state: &AppState,
    job: &JobView,
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let selected = is_picked(state, ui_state, job.id);
    let size = egui::vec2(grid.side + 2.0 * theme::CELL_MARGIN, grid.row_height);
    let frame = egui::Frame::new()
        .inner_margin(theme::CELL_MARGIN)
        .corner_radius(4.0)
        .fill(if selected {
            ui.visuals().selection.bg_fill.gamma_multiply(0.35)
        } else {
            egui::Color32::TRANSPARENT
        });
    ui.allocate_ui(size, |ui| {
        ui.set_min_size(size);
        ui.set_max_size(size);
        frame.show(ui, |ui| {
            ui.set_width(grid.side);
            ui.vertical(|ui| {
                thumbnail_ui(ui, grid.side, job, textures, ui_state, intents);
                let title = format!("Job {}: {}", job.id, job.prompt());
                if ui
                    .add(egui::Button::selectable(selected, title).truncate())
                    .clicked()
                {
                    note_click(ui, job.id, ui_state);
                }
                let (colour, line) = status_line(ui, job, &state.typical);
                ui.add(egui::Label::new(egui::RichText::new(line).color(colour)).truncate());
                if let Some(fell_back) = &job.fell_back {
                    ui.add(egui::Label::new(fell_back.as_str()).truncate());
                }
            });
        });
    });
}

/// The word and colour the gallery gives a job's status: its badge's, else "Delivered" (the
/// list's Outcome column).
pub fn status_word(job: &JobView) -> (egui::Color32, &'static str) {
    badge(job).unwrap_or((theme::DELIVERED, "Delivered"))
}

/// The badge a cell's thumbnail carries: failed or blocked, waiting or parked, running or
/// queued (a delivered image carries none).
fn badge(job: &JobView) -> Option<(egui::Color32, &'static str)> {
    match &job.status {
        JobStatus::Queued => Some((theme::WAITING, "Queued")),
        JobStatus::Sending { .. } => Some((theme::WAITING, "Running")),
        JobStatus::Waiting { .. } | JobStatus::Finished(JobState::Parked) => {
            Some((theme::WAITING, "Waiting"))
        }
        JobStatus::Finished(JobState::Delivered) => None,
        JobStatus::Finished(_) => Some(match outcome_of(job) {
            Outcome::Blocked => (theme::STOPPED, "Blocked"),
            _ => (theme::STOPPED, "Failed"),
        }),
    }
}

fn paint_badge(ui: &egui::Ui, rect: egui::Rect, job: &JobView) {
    let Some((colour, word)) = badge(job) else {
        return;
    };
    let painter = ui.painter_at(rect);
    let galley = painter.layout_no_wrap(
        word.to_owned(),
        egui::FontId::proportional(11.0),
        theme::BADGE_TEXT,
    );
    let at = rect.left_top() + egui::vec2(4.0, 4.0);
    let badge = egui::Rect::from_min_size(at, galley.size() + egui::vec2(8.0, 4.0));
    painter.rect_filled(badge, 3.0, colour);
    painter.galley(at + egui::vec2(4.0, 2.0), galley, theme::BADGE_TEXT);
}

fn thumbnail_ui(
    ui: &mut egui::Ui,
    side_pt: f32,
    job: &JobView,
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let size = egui::vec2(side_pt, side_pt);
    let rect = egui::Rect::from_min_size(ui.cursor().min, size);
    image_ui(ui, size, job, textures, ui_state, intents);
    paint_badge(ui, rect, job);
    super::stars::star_overlay_ui(ui, rect, job, intents);
}

fn image_ui(
    ui: &mut egui::Ui,
    size: egui::Vec2,
    job: &JobView,
    textures: &mut Textures,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    // A thinking model's newest interim image stands in until the final one arrives.
    let interim = job
        .thinking
        .latest_image()
        .filter(|_| job.image_path.is_none())
        .map(|(_, image)| &image.path);
    let Some(path) = job.image_path.as_ref().or(interim) else {
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
        ui.painter()
            .rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        if response.clicked() {
            note_click(ui, job.id, ui_state);
        }
        drag_source(&response, job.id, ui_state);
        return;
    };
    textures.used.insert(path.clone());
    if let Some(texture) = textures.thumbnails.get(path) {
        let image = egui::Image::new(texture)
            .fit_to_exact_size(size)
            .maintain_aspect_ratio(true)
            .alt_text(match interim {
                Some(_) => format!("Interim image of job {} ({NOT_FINAL})", job.id),
                None => format!("Image of job {}: {}", job.id, job.prompt()),
            })
            .sense(egui::Sense::click_and_drag());
        // Centred in its square, so every title of a row lines up whatever the image's shape.
        let layout = egui::Layout::centered_and_justified(egui::Direction::TopDown);
        let response = ui
            .allocate_ui_with_layout(size, layout, |ui| {
                ui.set_min_size(size);
                ui.add(image)
            })
            .inner;
        if response.clicked() {
            note_click(ui, job.id, ui_state);
        }
        drag_source(&response, job.id, ui_state);
        if interim.is_some() {
            paint_not_final(ui, response.rect);
            if response.double_clicked() {
                open_interim(ui.ctx(), job, path, ui_state, intents);
            }
        } else if response.double_clicked() {
            open_viewer(ui.ctx(), path, ui_state, intents);
        }
    } else if let Some(reason) = textures.unreadable.get(path) {
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
        ui.painter()
            .rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        if response.clicked() {
            note_click(ui, job.id, ui_state);
        }
        drag_source(&response, job.id, ui_state);
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
        ui.add_sized(size, egui::Spinner::new().size(size.x.min(32.0)));
    }
}

/// Opens the large view on `path`: the image is decoded off the UI thread at the screen's size
/// first (a 4K picture on a 1400 px screen decodes at half size); zooming in past that asks for
/// the full size.
pub fn open_viewer(
    ctx: &egui::Context,
    path: &std::path::Path,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    ui_state.viewer = Some(ViewerState {
        path: path.to_path_buf(),
        scene_rect: egui::Rect::ZERO,
        full_size_asked: false,
        interim_of: None,
    });
    let screen = ctx.content_rect().size() * ctx.pixels_per_point();
    #[expect(
        clippy::cast_sign_loss,
        reason = "a screen's size is positive; a NaN or negative one saturates to 0, then 1"
    )]
    let max_side_px = (screen.max_elem().ceil() as u32).max(1);
    intents.push(Intent::Media(MediaRequest::FullImage {
        path: path.to_path_buf(),
        max_side_px,
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
            "\"{prompt}\" leaves the gallery, and its image file goes to the system trash (restore it from there if you change your mind)."
        ));
        ui.horizontal(|ui| {
            if ui.button("Move to the trash").clicked() {
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
