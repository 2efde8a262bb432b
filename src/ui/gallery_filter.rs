//! What the gallery shows: grid or list, the thumbnail size, the list's order, and the search and
//! filters above the jobs (words of the prompt, outcome, model, date: a preset or a range of days
//! from two egui_extras date pickers; starred only and a board,
//! chosen in the boards sidebar). Matching is pure and tested here; the loaded jobs are
//! filtered each frame, and the same search and filters go to the worker (`Command::LoadHistory`)
//! so the whole history is searched, not just what is loaded: when a filter changes, and page by
//! page as the grid's end comes on screen.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::job_list::Layout;

use crate::view::state::{AppState, JobStatus, JobView};
use crate::worker::protocol::JobSearch;
use crate::worker::{Command, HISTORY_PAGE, JobState};

/// Smallest and largest thumbnail side, in points.
pub const THUMBNAIL_RANGE: std::ops::RangeInclusive<f32> = 64.0..=256.0;

pub use crate::job::Outcome;

/// The outcome of `job` (the same split the history search makes in SQL: blocked when the last
/// diagnosis names a content layer).
pub fn outcome_of(job: &JobView) -> Outcome {
    let blocked = job
        .diagnosis
        .as_ref()
        .is_some_and(|d| d.kind.is_content_block());
    match &job.status {
        JobStatus::Finished(JobState::Delivered) => Outcome::Delivered,
        JobStatus::Finished(JobState::Stopped | JobState::Cancelled | JobState::Deleted)
            if blocked =>
        {
            Outcome::Blocked
        }
        JobStatus::Finished(JobState::Stopped | JobState::Cancelled | JobState::Deleted) => {
            Outcome::Failed
        }
        _ => Outcome::Waiting,
    }
}

/// How far back the date filter looks, or which days it keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Since {
    /// Every job.
    #[default]
    AnyTime,
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    /// The days from `from` to `to`, both included, in this computer's time zone (chosen with
    /// egui_extras' date pickers).
    Between {
        /// The first day kept.
        from: Date,
        /// The last day kept.
        to: Date,
    },
}

impl Since {
    /// The presets, in the filter's order (then "Between dates…").
    pub const PRESETS: [Since; 4] = [Since::AnyTime, Since::Day, Since::Week, Since::Month];

    /// The words the filter shows.
    pub fn name(self) -> String {
        match self {
            Since::AnyTime => "Any time".to_owned(),
            Since::Day => "Last 24 hours".to_owned(),
            Since::Week => "Last 7 days".to_owned(),
            Since::Month => "Last 30 days".to_owned(),
            Since::Between { from, to } => format!("{from} to {to}"),
        }
    }

    /// The last 7 days as a range ending on `now`'s day (what "Between dates…" starts from).
    pub fn last_week_as_range(now: Timestamp) -> Since {
        let today = now.to_zoned(TimeZone::system()).date();
        Since::Between {
            from: today.saturating_sub(jiff::Span::new().days(6)),
            to: today,
        }
    }

    /// The earliest moment kept, seen from `now`.
    fn start(self, now: Timestamp) -> Option<Timestamp> {
        let hours = match self {
            Since::AnyTime => return None,
            Since::Day => 24,
            Since::Week => 7 * 24,
            Since::Month => 30 * 24,
            Since::Between { from, to } => return start_of_day(from.min(to)),
        };
        now.checked_sub(SignedDuration::from_hours(hours)).ok()
    }

    /// The first moment no longer kept: the start of the day after a range's last day.
    fn end(self) -> Option<Timestamp> {
        match self {
            Since::Between { from, to } => from.max(to).tomorrow().ok().and_then(start_of_day),
            _ => None,
        }
    }
}

/// The moment `day` starts in this computer's time zone (`None` at the ends of time).
fn start_of_day(day: Date) -> Option<Timestamp> {
    day.to_zoned(TimeZone::system())
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// The model that made the job's image, else the one it asked for.
pub fn made_with(job: &JobView) -> &str {
    job.model_used.as_deref().unwrap_or(&job.spec.model)
}

/// The gallery's own state: size, search, filters, and where the keyboard left the view.
#[derive(Clone, Debug, PartialEq)]
pub struct GalleryState {
    /// Thumbnail side, in points.
    pub thumbnail_size: f32,
    /// Words the prompt must contain.
    pub search: String,
    /// Only jobs with this outcome.
    pub outcome: Option<Outcome>,
    /// Only jobs asked of this model.
    pub model: Option<String>,
    /// Only jobs queued since then.
    pub since: Since,
    /// Only starred jobs (the boards sidebar's "Starred").
    pub starred_only: bool,
    /// Only jobs on this board (chosen in the boards sidebar).
    pub board: Option<String>,
    /// Whether the boards sidebar shows (kept between runs). Closed at first, so the list's
    /// columns fit beside the editor and the why-panel at their default widths.
    pub boards_open: bool,
    /// The grid row to scroll into view (set by the arrow keys).
    pub scroll_to_row: Option<usize>,
    /// The grid rows drawn last frame.
    pub visible_rows: std::ops::Range<usize>,
    /// The last page of the history asked of the worker (never asked twice in a row).
    pub asked: Option<JobSearch>,
    /// The search and filters of the last frame (the grid goes back to the top when they change).
    pub last_filters: Option<Filters>,
    /// The date filter's choice and the moment it starts from, fixed when it was chosen (so the
    /// search sent to the worker stays the same from frame to frame).
    pub since_fixed: Option<(Since, Timestamp)>,
    /// The jobs picked for saving or exporting several at once.
    pub selection: super::gallery_select::Selection,
    /// A grid of thumbnails or a sortable list.
    pub layout: super::job_list::Layout,
    /// The list's order.
    pub sort: super::job_list::ListSort,
}

/// The search and filters, compared between frames (the last: starred only, and the board).
pub type Filters = (
    String,
    Option<Outcome>,
    Option<String>,
    Since,
    (bool, Option<String>),
);

/// What changed in the search and filters between two frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterChange {
    /// Anything (the grid goes back to the top).
    pub any: bool,
    /// The outcome, model or date filter (the worker is asked for the first page at once).
    pub beyond_text: bool,
}

impl Default for GalleryState {
    fn default() -> Self {
        Self {
            thumbnail_size: super::theme::THUMBNAIL,
            search: String::new(),
            outcome: None,
            model: None,
            since: Since::AnyTime,
            starred_only: false,
            board: None,
            boards_open: false,
            scroll_to_row: None,
            visible_rows: 0..0,
            asked: None,
            last_filters: None,
            since_fixed: None,
            selection: super::gallery_select::Selection::default(),
            layout: super::job_list::Layout::default(),
            sort: super::job_list::ListSort::default(),
        }
    }
}

impl GalleryState {
    /// Whether `job` passes the search and every filter (`now` for the date filter). Each word
    /// searched must appear in the prompt; case does not matter.
    pub fn matches(&self, job: &JobView, now: Timestamp) -> bool {
        if self
            .outcome
            .is_some_and(|outcome| outcome_of(job) != outcome)
            || self.model.as_ref().is_some_and(|m| m != made_with(job))
            || self.since_start(now).is_some_and(|t| job.created_at < t)
            || self.since.end().is_some_and(|t| job.created_at >= t)
            || (self.starred_only && !job.starred)
            || self
                .board
                .as_ref()
                .is_some_and(|board| !job.is_on_board(board))
        {
            return false;
        }
        let words: Vec<String> = self
            .search
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return true;
        }
        let prompt = job.prompt().to_lowercase();
        words.iter().all(|word| prompt.contains(word.as_str()))
    }

    /// What changed in the search and filters since the last call (the first call says nothing);
    /// also fixes the date filter's start when its choice changed.
    pub fn filters_changed(&mut self, now: Timestamp) -> FilterChange {
        if self
            .since_fixed
            .is_none_or(|(since, _)| since != self.since)
        {
            self.since_fixed = self.since.start(now).map(|start| (self.since, start));
        }
        let current = (
            self.search.clone(),
            self.outcome,
            self.model.clone(),
            self.since,
            (self.starred_only, self.board.clone()),
        );
        let change = match &self.last_filters {
            Some(last) if *last != current => FilterChange {
                any: true,
                beyond_text: (last.1, &last.2, last.3, &last.4)
                    != (current.1, &current.2, current.3, &current.4),
            },
            _ => FilterChange::default(),
        };
        self.last_filters = Some(current);
        change
    }

    /// The date filter's start: the moment fixed when it was chosen, else counted from `now`.
    fn since_start(&self, now: Timestamp) -> Option<Timestamp> {
        match self.since_fixed {
            Some((since, start)) if since == self.since => Some(start),
            _ => self.since.start(now),
        }
    }

    /// The search and filters as the worker searches the history (no page yet).
    pub fn job_search(&self, now: Timestamp) -> JobSearch {
        let text = self.search.trim();
        JobSearch {
            text: (!text.is_empty()).then(|| text.to_owned()),
            outcome: self.outcome,
            model: self.model.clone(),
            since: self.since_start(now),
            until: self.since.end(),
            starred_only: self.starred_only,
            board: self.board.clone(),
            ..JobSearch::default()
        }
    }

    /// Whether anything narrows the gallery.
    pub fn is_filtering(&self) -> bool {
        !self.search.trim().is_empty()
            || self.outcome.is_some()
            || self.model.is_some()
            || self.since != Since::AnyTime
            || self.starred_only
            || self.board.is_some()
    }
}

/// The next page of the history to ask for, once the grid's end is on screen (or a filter
/// changed): of the search and filters when any is set (from its first page when they changed),
/// else of the whole history; `None` when the last page was the end (or was just asked for).
pub fn next_page(state: &AppState, gallery: &mut GalleryState, now: Timestamp) -> Option<Command> {
    let filters = gallery.job_search(now);
    let cursor = if filters.is_filtered() {
        match &state.searched {
            Some((searched, cursor)) if *searched == filters => Some(cursor),
            _ => None,
        }
    } else {
        Some(&state.history)
    };
    if cursor.is_some_and(|cursor| !cursor.more) {
        return None;
    }
    let search = JobSearch {
        before_id: cursor.and_then(|cursor| cursor.oldest),
        limit: Some(HISTORY_PAGE),
        ..filters
    };
    if gallery.asked.as_ref() == Some(&search) {
        return None;
    }
    gallery.asked = Some(search.clone());
    Some(Command::LoadHistory(search))
}

/// The bar above the grid: "Grid" and "List", size slider (grid only), search box, outcome, model and date filters (each
/// labelled). `models` lists the models to offer, computed only when that list opens.
pub fn filter_bar_ui(
    ui: &mut egui::Ui,
    gallery: &mut GalleryState,
    models: impl FnOnce() -> Vec<String>,
) {
    ui.horizontal_wrapped(|ui| {
        super::boards::boards_toggle_ui(ui, gallery);
        ui.selectable_value(&mut gallery.layout, Layout::Grid, "Grid")
            .on_hover_text("The jobs as thumbnails");
        ui.selectable_value(&mut gallery.layout, Layout::List, "List")
            .on_hover_text("The jobs as a table, sorted by a click on a column's header");
        let label = ui.label("Search prompts");
        ui.add(
            egui::TextEdit::singleline(&mut gallery.search)
                .hint_text("words of the prompt")
                .desired_width(160.0),
        )
        .labelled_by(label.id);
        let label = ui.label("Outcome");
        egui::ComboBox::from_id_salt("gallery_outcome")
            .selected_text(gallery.outcome.map_or("Any outcome", Outcome::name))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut gallery.outcome, None, "Any outcome");
                for outcome in Outcome::ALL {
                    ui.selectable_value(&mut gallery.outcome, Some(outcome), outcome.name());
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Made with");
        egui::ComboBox::from_id_salt("gallery_model")
            .selected_text(gallery.model.as_deref().unwrap_or("Any model"))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut gallery.model, None, "Any model");
                for model in models() {
                    let text = model.clone();
                    ui.selectable_value(&mut gallery.model, Some(model), text);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Date");
        let between = matches!(gallery.since, Since::Between { .. });
        egui::ComboBox::from_id_salt("gallery_since")
            .selected_text(if between {
                "Between dates".to_owned()
            } else {
                gallery.since.name()
            })
            .show_ui(ui, |ui| {
                for since in Since::PRESETS {
                    ui.selectable_value(&mut gallery.since, since, since.name());
                }
                if ui.selectable_label(between, "Between dates…").clicked() && !between {
                    gallery.since = Since::last_week_as_range(Timestamp::now());
                }
            })
            .response
            .labelled_by(label.id);
        date_range_ui(ui, &mut gallery.since);
        if gallery.layout == Layout::Grid {
            let label = ui.label("Thumbnail size");
            ui.add(
                egui::Slider::new(&mut gallery.thumbnail_size, THUMBNAIL_RANGE).show_value(false),
            )
            .labelled_by(label.id);
        }
    });
}

/// The two date pickers of "Between dates…" (egui_extras' calendar), each labelled: the first
/// and the last day kept. A first day after the last is kept as picked and read as the other way
/// round.
fn date_range_ui(ui: &mut egui::Ui, since: &mut Since) {
    let Since::Between { from, to } = since else {
        return;
    };
    let label = ui.label("From");
    ui.add(
        egui_extras::DatePickerButton::new(from)
            .id_salt("gallery_date_from")
            .show_icon(false)
            .calendar_week(false),
    )
    .labelled_by(label.id)
    .on_hover_text("The first day kept (from its midnight, this computer's time)");
    let label = ui.label("To");
    ui.add(
        egui_extras::DatePickerButton::new(to)
            .id_salt("gallery_date_to")
            .show_icon(false)
            .calendar_week(false),
    )
    .labelled_by(label.id)
    .on_hover_text("The last day kept (until its end)");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::{Event, JobSpec};

    fn job(id: i64, prompt: &str, model: &str) -> JobView {
        let mut state = crate::view::state::AppState::default();
        state.apply(Event::Queued {
            job: id,
            spec: JobSpec {
                prompt: prompt.to_owned(),
                model: model.to_owned(),
                ..JobSpec::default()
            },
        });
        state.jobs.remove(0)
    }

    #[test]
    fn search_needs_every_word_and_ignores_case() {
        let fox = job(1, "A Red Fox in the snow", "m");
        let now = Timestamp::now();
        let search = |text: &str| GalleryState {
            search: text.to_owned(),
            ..GalleryState::default()
        };
        assert!(search("").matches(&fox, now));
        assert!(search("red fox").matches(&fox, now));
        assert!(search("  SNOW ").matches(&fox, now));
        assert!(!search("red whale").matches(&fox, now));
        assert!(search("red").is_filtering());
        assert!(!search(" ").is_filtering());
    }

    #[test]
    fn outcome_model_and_date_filters() {
        let mut fox = job(1, "a fox", "gemini-3-pro-image");
        let now = Timestamp::now();
        let only = |outcome| GalleryState {
            outcome: Some(outcome),
            ..GalleryState::default()
        };
        assert!(only(Outcome::Waiting).matches(&fox, now));
        fox.status = JobStatus::Finished(JobState::Delivered);
        assert!(only(Outcome::Delivered).matches(&fox, now));
        assert!(!only(Outcome::Failed).matches(&fox, now));
        fox.status = JobStatus::Finished(JobState::Stopped);
        assert!(only(Outcome::Failed).matches(&fox, now));
        let model = |m: &str| GalleryState {
            model: Some(m.to_owned()),
            ..GalleryState::default()
        };
        assert!(model("gemini-3-pro-image").matches(&fox, now));
        assert!(!model("other").matches(&fox, now));
        let day = GalleryState {
            since: Since::Day,
            ..GalleryState::default()
        };
        assert!(day.matches(&fox, now));
        fox.created_at = now - SignedDuration::from_hours(48);
        assert!(!day.matches(&fox, now));
    }

    #[test]
    fn a_date_range_keeps_its_days_whole_in_either_order_and_goes_to_the_search() {
        let mut fox = job(1, "a fox", "gemini-3-pro-image");
        let zone = TimeZone::system();
        let at = |date: &str, time: &str| {
            format!("{date}T{time}")
                .parse::<jiff::civil::DateTime>()
                .unwrap()
                .to_zoned(zone.clone())
                .unwrap()
                .timestamp()
        };
        let from: Date = "2026-11-02".parse().unwrap();
        let to: Date = "2026-11-04".parse().unwrap();
        let now = at("2026-12-06", "12:00");
        for since in [
            Since::Between { from, to },
            Since::Between { from: to, to: from },
        ] {
            let gallery = GalleryState {
                since,
                ..GalleryState::default()
            };
            assert!(gallery.is_filtering());
            for (date, time, kept) in [
                ("2026-11-01", "23:59:59", false),
                ("2026-11-02", "00:00", true),
                ("2026-11-04", "23:59:59", true),
                ("2026-11-05", "00:00", false),
            ] {
                fox.created_at = at(date, time);
                assert_eq!(gallery.matches(&fox, now), kept, "{date} {time}");
            }
            let search = gallery.job_search(now);
            assert_eq!(search.since, Some(at("2026-11-02", "00:00")));
            assert_eq!(search.until, Some(at("2026-11-05", "00:00")));
        }
        // "Between dates…" starts as the last 7 days, today included.
        let Since::Between { from, to } = Since::last_week_as_range(now) else {
            panic!("a range");
        };
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2026-11-30".to_owned(), "2026-12-06".to_owned())
        );
        // The presets have no end.
        assert_eq!(
            GalleryState {
                since: Since::Week,
                ..GalleryState::default()
            }
            .job_search(now)
            .until,
            None
        );
    }

    #[test]
    fn filters_search_the_whole_history_and_page_on_their_own_cursor() {
        let mut state = AppState::default();
        let now = Timestamp::now();
        let mut gallery = GalleryState {
            outcome: Some(Outcome::Blocked),
            since: Since::Day,
            ..GalleryState::default()
        };
        assert_eq!(gallery.filters_changed(now), FilterChange::default());
        let Some(Command::LoadHistory(first)) = next_page(&state, &mut gallery, now) else {
            panic!("a filter asks the worker");
        };
        assert_eq!(first.outcome, Some(Outcome::Blocked));
        assert_eq!(first.before_id, None, "from the first page");
        assert_eq!(first.limit, Some(HISTORY_PAGE));
        // The date filter's start is fixed when chosen: an hour later it is the same search.
        let later = now + SignedDuration::from_hours(1);
        assert_eq!(gallery.job_search(later), first.first_page());
        assert!(
            next_page(&state, &mut gallery, later).is_none(),
            "asked once"
        );
        state.searched = Some((
            first.first_page(),
            crate::view::state::HistoryCursor {
                oldest: Some(101),
                more: true,
            },
        ));
        let Some(Command::LoadHistory(second)) = next_page(&state, &mut gallery, later) else {
            panic!("the next page of the filtered history");
        };
        assert_eq!(second.before_id, Some(101));
        // Another outcome is a new search, from its first page, and changes more than the text.
        gallery.outcome = Some(Outcome::Failed);
        let change = gallery.filters_changed(later);
        assert!(change.any && change.beyond_text);
        let Some(Command::LoadHistory(other)) = next_page(&state, &mut gallery, later) else {
            panic!("a new filter asks again");
        };
        assert_eq!(
            (other.outcome, other.before_id),
            (Some(Outcome::Failed), None)
        );
        gallery.search = "fox".to_owned();
        let change = gallery.filters_changed(later);
        assert!(change.any && !change.beyond_text);
    }
}
