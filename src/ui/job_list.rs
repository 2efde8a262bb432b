//! The gallery as a list: one row per job the gallery would show (the same search and filters),
//! in an `egui_extras` table with a star, then the columns Date, Prompt, Model, Size, Outcome,
//! Attempts and Cost (a row can be dragged onto a board). Clicking a header sorts by its column and clicking it again reverses the order (▲ or ▼
//! beside the name says which way); [`sort_jobs`] is that order, a pure function. Only the rows
//! on screen are drawn. A click on a row goes through the gallery's selection (a plain click
//! explains the job in the why-panel, Ctrl+ and Shift+click pick several); a double click on a
//! delivered job opens the large view. The gallery's keys work here too, one row a step (the
//! gallery calls its keyboard handler with the list's order).

use std::cmp::Ordering;

use egui_extras::{Column, TableBuilder, TableRow};
use serde::{Deserialize, Serialize};

use super::gallery::{open_viewer, status_word};
use super::gallery_filter::made_with;
use super::gallery_select::{click_modifiers, is_picked};
use super::{Intent, UiState};
use crate::view::state::{AppState, JobView};

/// How the gallery shows its jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// Thumbnails in a grid.
    #[default]
    Grid,
    /// A sortable table, one job a row.
    List,
}

/// A column of the list (each sorts the list when its header is clicked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortColumn {
    /// When the job was queued.
    Date,
    /// The prompt.
    Prompt,
    /// The model that made the image, else the one asked for.
    Model,
    /// The image size and aspect ratio asked for.
    Size,
    /// The gallery's status word (Delivered, Blocked, Failed, Waiting, Running, Queued).
    Outcome,
    /// How many attempts were made.
    Attempts,
    /// Dollars spent.
    Cost,
}

impl SortColumn {
    /// Every column, in the table's order.
    pub const ALL: [SortColumn; 7] = [
        SortColumn::Date,
        SortColumn::Prompt,
        SortColumn::Model,
        SortColumn::Size,
        SortColumn::Outcome,
        SortColumn::Attempts,
        SortColumn::Cost,
    ];

    /// The header's name.
    pub fn name(self) -> &'static str {
        match self {
            SortColumn::Date => "Date",
            SortColumn::Prompt => "Prompt",
            SortColumn::Model => "Model",
            SortColumn::Size => "Size",
            SortColumn::Outcome => "Outcome",
            SortColumn::Attempts => "Attempts",
            SortColumn::Cost => "Cost",
        }
    }
}

/// The list's order: a column and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSort {
    /// The column sorted by.
    pub column: SortColumn,
    /// Largest (newest, latest in the alphabet, dearest) first.
    pub descending: bool,
}

impl Default for ListSort {
    /// Newest first.
    fn default() -> Self {
        Self {
            column: SortColumn::Date,
            descending: true,
        }
    }
}

impl ListSort {
    /// The order after a click on `column`'s header: the same column reverses, another one sorts
    /// ascending.
    pub fn clicked(self, column: SortColumn) -> Self {
        Self {
            column,
            descending: column == self.column && !self.descending,
        }
    }

    /// The header's text for `column`: its name, with ▲ or ▼ when the list is sorted by it.
    pub fn header(self, column: SortColumn) -> String {
        match (column == self.column, self.descending) {
            (false, _) => column.name().to_owned(),
            (true, false) => format!("{} ▲", column.name()),
            (true, true) => format!("{} ▼", column.name()),
        }
    }
}

/// Sorts `jobs` by `sort`. Ties go by job id in the same direction, so the order is total and a
/// second click on a header reverses it exactly.
pub fn sort_jobs(jobs: &mut [&JobView], sort: ListSort) {
    if sort.column == SortColumn::Prompt {
        // Each prompt lowered once, not at every comparison (5,000 jobs, every frame).
        jobs.sort_by_cached_key(|job| (job.prompt().to_lowercase(), job.id));
        if sort.descending {
            jobs.reverse();
        }
        return;
    }
    jobs.sort_by(|a, b| {
        let order = compare(a, b, sort.column).then(a.id.cmp(&b.id));
        if sort.descending {
            order.reverse()
        } else {
            order
        }
    });
}

/// `a` against `b` by `column` alone (ascending).
fn compare(a: &JobView, b: &JobView, column: SortColumn) -> Ordering {
    match column {
        SortColumn::Date => a.created_at.cmp(&b.created_at),
        // `sort_jobs` sorts by prompt itself (each lowered once); this is its order.
        SortColumn::Prompt => a.prompt().to_lowercase().cmp(&b.prompt().to_lowercase()),
        SortColumn::Model => made_with(a).cmp(made_with(b)),
        SortColumn::Size => size_key(a).cmp(&size_key(b)),
        SortColumn::Outcome => status_word(a).1.cmp(status_word(b).1),
        SortColumn::Attempts => a.attempts.len().cmp(&b.attempts.len()),
        SortColumn::Cost => a.cost_usd().total_cmp(&b.cost_usd()),
    }
}

/// The size asked for, then the aspect ratio (what the Size column shows).
fn size_key(job: &JobView) -> (Option<&str>, Option<&str>) {
    (
        job.spec.image_size.as_deref(),
        job.spec.aspect_ratio.as_deref(),
    )
}

/// The Size column's text: "1K · 16:9", or what of it was asked.
fn size_text(job: &JobView) -> String {
    match size_key(job) {
        (Some(size), Some(ratio)) => format!("{size} · {ratio}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => "default".to_owned(),
    }
}

/// The Date column's text: when the job was queued, in local time to the minute ("Dec 7 14:05":
/// short, so the seven columns fit beside the editor and the why-panel).
fn date_text(job: &JobView) -> String {
    job.created_at
        .to_zoned(jiff::tz::TimeZone::system())
        .strftime("%b %-d %H:%M")
        .to_string()
}

/// Draws `shown` (already sorted by `ui_state.gallery.sort`) as the table; a click on a header
/// re-sorts from the next frame. `to_top` scrolls back to the first row (the filters changed).
/// Returns whether the last row was on screen (the gallery then asks for more of the history).
pub fn list_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    shown: &[&JobView],
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
    to_top: bool,
) -> bool {
    let sort = ui_state.gallery.sort;
    let row_height = ui.spacing().interact_size.y;
    // Read before the table borrows `ui`: a row's click is applied after the table is drawn.
    let modifiers = click_modifiers(ui);
    let ctx = ui.ctx().clone();
    let mut table = TableBuilder::new(ui)
        .id_salt("job_list")
        .striped(true)
        .sense(egui::Sense::click_and_drag())
        .auto_shrink([false, false])
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        // Narrow enough to fit between the editor and the why-panel at their default widths;
        // each can be widened by dragging its edge. The first: the star.
        .column(Column::exact(20.0))
        .column(fixed(76.0))
        .column(
            Column::remainder()
                .at_least(60.0)
                .clip(true)
                .resizable(true),
        )
        .column(fixed(70.0))
        .column(fixed(56.0))
        .column(fixed(62.0))
        .column(fixed(58.0))
        .column(fixed(50.0));
    if to_top {
        table = table.vertical_scroll_offset(0.0);
    } else if let Some(row) = ui_state.gallery.scroll_to_row.take() {
        table = table.scroll_to_row(row, None);
    }
    let mut new_sort = None;
    let mut last_drawn = 0;
    table
        .header(row_height, |mut header| {
            header.col(|ui| {
                let (rect, response) =
                    ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
                let colour = ui.visuals().strong_text_color();
                super::stars::paint_star(ui.painter(), rect.center(), 5.5, true, colour);
                response.on_hover_text("Starred (click a row's star, or press S)");
            });
            for column in SortColumn::ALL {
                header.col(|ui| {
                    if header_ui(ui, sort, column) {
                        new_sort = Some(sort.clicked(column));
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, shown.len(), |mut row| {
                let job = shown[row.index()];
                last_drawn = last_drawn.max(row.index() + 1);
                let picked = is_picked(state, ui_state, job.id);
                let response = row_ui(&mut row, job, picked, intents);
                if response.clicked() {
                    ui_state.gallery.selection.clicked = Some((job.id, modifiers));
                }
                super::boards::drag_source(&response, job.id, ui_state);
                if response.double_clicked()
                    && job.is_delivered()
                    && let Some(path) = &job.image_path
                {
                    open_viewer(&ctx, path, ui_state, intents);
                }
            });
        });
    if let Some(sort) = new_sort {
        ui_state.gallery.sort = sort;
    }
    last_drawn >= shown.len()
}

/// A column of `width` points, resizable, its text cut to fit.
fn fixed(width: f32) -> Column {
    Column::initial(width).clip(true).resizable(true)
}

/// A column's header: its name as a button, and the direction drawn beside it when the list is
/// sorted by it (the default font has no ▲ or ▼ glyph, so the button's accessible label carries
/// them: `ListSort::header`). Returns whether it was clicked.
fn header_ui(ui: &mut egui::Ui, sort: ListSort, column: SortColumn) -> bool {
    let name = egui::RichText::new(column.name()).strong();
    let response = ui.add(egui::Button::new(name).frame(false));
    let label = sort.header(column);
    ui.ctx()
        .accesskit_node_builder(response.id, |node| node.set_label(label));
    if sort.column == column {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(8.0, 8.0), egui::Sense::hover());
        let (c, tip) = (rect.center(), if sort.descending { 3.0 } else { -3.0 });
        let points = vec![
            c + egui::vec2(-4.0, -tip * 0.7),
            c + egui::vec2(4.0, -tip * 0.7),
            c + egui::vec2(0.0, tip),
        ];
        let colour = ui.visuals().strong_text_color();
        ui.painter().add(egui::Shape::convex_polygon(
            points,
            colour,
            egui::Stroke::NONE,
        ));
    }
    response.clicked()
}

/// One row's cells; returns the row's response (the union of its cells).
fn row_ui(
    row: &mut TableRow<'_, '_>,
    job: &JobView,
    selected: bool,
    intents: &mut Vec<Intent>,
) -> egui::Response {
    row.set_selected(selected);
    row.col(|ui| {
        super::stars::star_button_ui(ui, job, intents);
    });
    let text = |ui: &mut egui::Ui, text: &str| {
        ui.add(egui::Label::new(text).selectable(false).truncate());
    };
    row.col(|ui| text(ui, &date_text(job)));
    row.col(|ui| text(ui, job.prompt()));
    row.col(|ui| text(ui, made_with(job)));
    row.col(|ui| text(ui, &size_text(job)));
    row.col(|ui| {
        let (colour, word) = status_word(job);
        ui.add(egui::Label::new(egui::RichText::new(word).color(colour)).selectable(false));
    });
    row.col(|ui| text(ui, &job.attempts.len().to_string()));
    row.col(|ui| text(ui, &format!("${:.3}", job.cost_usd())));
    row.response()
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use super::*;
    use crate::view::job_view::{AttemptRow, JobStatus};
    use crate::worker::protocol::AttemptRecord;
    use crate::worker::{Event, JobSpec, JobState};

    /// Job `id` with `prompt`, queued `minutes_ago`, that spent `costs` over its attempts.
    fn job(id: i64, prompt: &str, minutes_ago: i64, costs: &[f64]) -> JobView {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: id,
            spec: JobSpec {
                prompt: prompt.to_owned(),
                model: "gemini-3-pro-image".to_owned(),
                ..JobSpec::default()
            },
        });
        let mut job = state.jobs.remove(0);
        let now = Timestamp::now();
        job.created_at = now - SignedDuration::from_mins(minutes_ago);
        job.attempts = costs
            .iter()
            .map(|&cost_usd| AttemptRow {
                record: AttemptRecord {
                    model: "gemini-3-pro-image".to_owned(),
                    started_at: now,
                    duration_ms: 1,
                    kind: "success".to_owned(),
                    http_status: Some(200),
                    wait_s: None,
                    wait_reason: None,
                    input_tokens: None,
                    output_tokens: None,
                    cost_usd,
                },
                diagnosis: None,
                response: None,
            })
            .collect();
        job
    }

    fn ids(jobs: &[&JobView]) -> Vec<i64> {
        jobs.iter().map(|job| job.id).collect()
    }

    fn sorted(jobs: &[JobView], sort: ListSort) -> Vec<i64> {
        let mut refs: Vec<&JobView> = jobs.iter().collect();
        sort_jobs(&mut refs, sort);
        ids(&refs)
    }

    fn by(column: SortColumn, descending: bool) -> ListSort {
        ListSort { column, descending }
    }

    #[test]
    fn newest_first_by_default_and_ties_go_by_id() {
        let jobs = [
            job(1, "b", 30, &[]),
            job(2, "a", 10, &[]),
            job(3, "c", 20, &[]),
        ];
        assert_eq!(sorted(&jobs, ListSort::default()), [2, 3, 1]);
        let mut same_time = jobs.clone();
        let at = same_time[0].created_at;
        for job in &mut same_time {
            job.created_at = at;
        }
        assert_eq!(sorted(&same_time, ListSort::default()), [3, 2, 1]);
        assert_eq!(sorted(&same_time, by(SortColumn::Date, false)), [1, 2, 3]);
    }

    #[test]
    fn each_column_sorts_and_a_second_click_reverses_exactly() {
        let mut jobs = [
            job(1, "Zebra at dusk", 3, &[0.134]),
            job(2, "apple on a table", 2, &[0.0, 0.134]),
            job(3, "moth", 1, &[0.039]),
            job(4, "moth", 4, &[0.039]),
        ];
        jobs[0].status = JobStatus::Finished(JobState::Delivered);
        jobs[1].status = JobStatus::Finished(JobState::Stopped);
        jobs[2].model_used = Some("gemini-2.5-flash-image".to_owned());
        jobs[3].spec.image_size = Some("2K".to_owned());
        let cases = [
            (SortColumn::Prompt, [2, 3, 4, 1]),
            (SortColumn::Model, [3, 1, 2, 4]),
            (SortColumn::Size, [1, 2, 3, 4]),
            (SortColumn::Outcome, [1, 2, 3, 4]),
            (SortColumn::Attempts, [1, 3, 4, 2]),
            (SortColumn::Cost, [3, 4, 1, 2]),
        ];
        for (column, ascending) in cases {
            assert_eq!(sorted(&jobs, by(column, false)), ascending, "{column:?}");
            let mut descending = ascending;
            descending.reverse();
            assert_eq!(sorted(&jobs, by(column, true)), descending, "{column:?}");
        }
    }

    #[test]
    fn header_clicks_pick_a_column_then_flip_it() {
        let sort = ListSort::default();
        assert_eq!(sort.header(SortColumn::Date), "Date ▼");
        assert_eq!(sort.header(SortColumn::Cost), "Cost");
        let cost = sort.clicked(SortColumn::Cost);
        assert_eq!(cost, by(SortColumn::Cost, false));
        assert_eq!(cost.header(SortColumn::Cost), "Cost ▲");
        assert_eq!(cost.header(SortColumn::Date), "Date");
        let flipped = cost.clicked(SortColumn::Cost);
        assert_eq!(flipped.header(SortColumn::Cost), "Cost ▼");
        assert_eq!(flipped.clicked(SortColumn::Cost), cost);
    }

    #[test]
    fn the_outcome_column_uses_the_gallerys_words() {
        let mut fox = job(1, "fox", 0, &[]);
        assert_eq!(status_word(&fox).1, "Queued");
        fox.status = JobStatus::Finished(JobState::Delivered);
        assert_eq!(status_word(&fox).1, "Delivered");
        assert_eq!(size_text(&fox), "default");
        fox.spec.image_size = Some("1K".to_owned());
        fox.spec.aspect_ratio = Some("16:9".to_owned());
        assert_eq!(size_text(&fox), "1K · 16:9");
    }
}
