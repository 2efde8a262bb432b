//! What the gallery shows: the thumbnail size, and the search and filters above the grid (words of
//! the prompt, outcome, model, date). Matching is pure and tested here; the loaded jobs are
//! filtered each frame.

use jiff::{SignedDuration, Timestamp};

use crate::view::state::{AppState, JobStatus, JobView};
use crate::worker::protocol::JobSearch;
use crate::worker::{Command, HISTORY_PAGE, JobState};

/// Smallest and largest thumbnail side, in points.
pub const THUMBNAIL_RANGE: std::ops::RangeInclusive<f32> = 64.0..=256.0;

/// How a job ended (or stands), as the outcome filter names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An image arrived.
    Delivered,
    /// A content filter blocked the prompt or the image.
    Blocked,
    /// Stopped or cancelled for another reason.
    Failed,
    /// Queued, running, waiting between attempts, or parked.
    Waiting,
}

impl Outcome {
    /// Every outcome, in the filter's order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Delivered,
        Outcome::Blocked,
        Outcome::Failed,
        Outcome::Waiting,
    ];

    /// The word the filter shows.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Delivered => "Delivered",
            Outcome::Blocked => "Blocked",
            Outcome::Failed => "Failed",
            Outcome::Waiting => "Waiting",
        }
    }

    /// The outcome of `job`.
    pub fn of(job: &JobView) -> Outcome {
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
}

/// How far back the date filter looks.
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
}

impl Since {
    /// Every choice, in the filter's order.
    pub const ALL: [Since; 4] = [Since::AnyTime, Since::Day, Since::Week, Since::Month];

    /// The words the filter shows.
    pub fn name(self) -> &'static str {
        match self {
            Since::AnyTime => "Any time",
            Since::Day => "Last 24 hours",
            Since::Week => "Last 7 days",
            Since::Month => "Last 30 days",
        }
    }

    /// The earliest moment kept, seen from `now`.
    fn start(self, now: Timestamp) -> Option<Timestamp> {
        let hours = match self {
            Since::AnyTime => return None,
            Since::Day => 24,
            Since::Week => 7 * 24,
            Since::Month => 30 * 24,
        };
        now.checked_sub(SignedDuration::from_hours(hours)).ok()
    }
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
    /// The grid row to scroll into view (set by the arrow keys).
    pub scroll_to_row: Option<usize>,
    /// The grid rows drawn last frame.
    pub visible_rows: std::ops::Range<usize>,
    /// The last page of the history asked of the worker (never asked twice in a row).
    pub asked: Option<JobSearch>,
    /// The search and filters of the last frame (the grid goes back to the top when they change).
    pub last_filters: Option<Filters>,
}

/// The search and filters, compared between frames.
pub type Filters = (String, Option<Outcome>, Option<String>, Since);

impl Default for GalleryState {
    fn default() -> Self {
        Self {
            thumbnail_size: super::theme::THUMBNAIL,
            search: String::new(),
            outcome: None,
            model: None,
            since: Since::AnyTime,
            scroll_to_row: None,
            visible_rows: 0..0,
            asked: None,
            last_filters: None,
        }
    }
}

impl GalleryState {
    /// Whether `job` passes the search and every filter (`now` for the date filter). Each word
    /// searched must appear in the prompt; case does not matter.
    pub fn matches(&self, job: &JobView, now: Timestamp) -> bool {
        if self
            .outcome
            .is_some_and(|outcome| Outcome::of(job) != outcome)
            || self.model.as_ref().is_some_and(|m| m != made_with(job))
            || self.since.start(now).is_some_and(|t| job.created_at < t)
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

    /// Whether the search or a filter changed since the last call (the first call says no).
    pub fn filters_changed(&mut self) -> bool {
        let now = (
            self.search.clone(),
            self.outcome,
            self.model.clone(),
            self.since,
        );
        let changed = self.last_filters.as_ref().is_some_and(|last| *last != now);
        self.last_filters = Some(now);
        changed
    }

    /// Whether anything narrows the gallery.
    pub fn is_filtering(&self) -> bool {
        !self.search.trim().is_empty()
            || self.outcome.is_some()
            || self.model.is_some()
            || self.since != Since::AnyTime
    }
}

/// The next page of the history to ask for, once the grid's end is on screen: of the search
/// when words are typed, else of the whole history; `None` when the last page was the end (or
/// was just asked for).
pub fn next_page(state: &AppState, gallery: &mut GalleryState) -> Option<Command> {
    let text = gallery.search.trim();
    let search = if text.is_empty() {
        if !state.history.more {
            return None;
        }
        JobSearch {
            before_id: state.history.oldest,
            limit: Some(HISTORY_PAGE),
            ..JobSearch::default()
        }
    } else {
        let before_id = match &state.searched {
            Some((searched, cursor)) if searched == text => {
                if !cursor.more {
                    return None;
                }
                cursor.oldest
            }
            _ => None,
        };
        JobSearch {
            text: Some(text.to_owned()),
            before_id,
            limit: Some(HISTORY_PAGE),
            ..JobSearch::default()
        }
    };
    if gallery.asked.as_ref() == Some(&search) {
        return None;
    }
    gallery.asked = Some(search.clone());
    Some(Command::LoadHistory(search))
}

/// The bar above the grid: size slider, search box, outcome, model and date filters (each
/// labelled). `models` lists the models to offer, computed only when that list opens.
pub fn filter_bar_ui(
    ui: &mut egui::Ui,
    gallery: &mut GalleryState,
    models: impl FnOnce() -> Vec<String>,
) {
    ui.horizontal_wrapped(|ui| {
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
        egui::ComboBox::from_id_salt("gallery_since")
            .selected_text(gallery.since.name())
            .show_ui(ui, |ui| {
                for since in Since::ALL {
                    ui.selectable_value(&mut gallery.since, since, since.name());
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Thumbnail size");
        ui.add(egui::Slider::new(&mut gallery.thumbnail_size, THUMBNAIL_RANGE).show_value(false))
            .labelled_by(label.id);
    });
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
}
