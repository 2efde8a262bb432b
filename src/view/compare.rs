//! Compare: two to four jobs side by side, the first one the reference. Each column says how its
//! job ended (passed, blocked by which layer, failed, or still waiting and for how long), shows
//! its prompt as a word diff against the reference's (the rewrite view's diff), then its model,
//! size and cost. Pure data folded from [`AppState`]; `ui::compare` draws it.
//!
//! A set can also hold rewrites queued a moment ago whose job ids are not known yet ("Try these
//! rewrites", [`super::try_rewrites`]): each waits as a [`Slot::Rewrite`] until the worker's
//! `Queued` for it arrives, then becomes a [`Slot::Job`].

use std::path::PathBuf;

use jiff::Timestamp;

use super::state::{AppState, JobStatus, JobView};
use crate::api::catalog::Catalog;
use crate::diagnosis::Layer;
use crate::job::{JobId, JobSpec, JobState};
use crate::resilience::budget::worst_case_cost_usd;
use crate::rewrite::diff::{Piece, word_diff};

/// Fewest jobs a comparison shows.
pub const MIN_COMPARED: usize = 2;

/// Most jobs a comparison shows side by side.
pub const MAX_COMPARED: usize = 4;

/// Longest stretch of a changed run quoted in a column's "Changed from" sentence, in characters.
const QUOTED_CHARS: usize = 48;

/// Why the picked jobs cannot be compared (the Compare button's hover text).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    /// Fewer than [`MIN_COMPARED`] picked.
    #[error(
        "Compare needs at least two images: Ctrl+click (Cmd+click on macOS) another one in the gallery"
    )]
    TooFew,
    /// More than [`MAX_COMPARED`] picked.
    #[error(
        "Compare shows at most four images side by side and {picked} are picked: Ctrl+click (Cmd+click on macOS) to unpick some"
    )]
    TooMany {
        /// How many are picked.
        picked: usize,
    },
}

/// One column of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A job the window knows.
    Job(JobId),
    /// A rewrite sent to the worker whose `Queued` has not arrived yet.
    Rewrite {
        /// Its prompt (how its job is recognised when it arrives).
        prompt: String,
    },
}

/// A blocked job whose rewrites a comparison waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exploration {
    /// The blocked job (the reference).
    pub original: JobId,
    /// The newest job the window knew when the rewrites were sent: their jobs are newer (an
    /// earlier trial of the same rewrite is never taken for this one).
    pub newer_than: Option<JobId>,
}

/// The jobs compared, the first one the reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareSet {
    slots: Vec<Slot>,
    exploring: Option<Exploration>,
}

impl CompareSet {
    /// The picked jobs, oldest first (the oldest is the reference: usually the prompt the
    /// others were made from).
    pub fn of_jobs(ids: impl IntoIterator<Item = JobId>) -> Result<Self, CompareError> {
        let mut ids: Vec<JobId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < MIN_COMPARED {
            return Err(CompareError::TooFew);
        }
        if ids.len() > MAX_COMPARED {
            return Err(CompareError::TooMany { picked: ids.len() });
        }
        Ok(Self {
            slots: ids.into_iter().map(Slot::Job).collect(),
            exploring: None,
        })
    }

    /// A blocked job and the rewrites of it just sent (at most [`MAX_COMPARED`] − 1), whose jobs
    /// fill in as the worker queues them; `newest_known` is the newest job the window knew when
    /// they were sent.
    pub fn exploring(original: JobId, prompts: &[String], newest_known: Option<JobId>) -> Self {
        let mut slots = vec![Slot::Job(original)];
        slots.extend(
            prompts
                .iter()
                .take(MAX_COMPARED - 1)
                .map(|prompt| Slot::Rewrite {
                    prompt: prompt.clone(),
                }),
        );
        Self {
            slots,
            exploring: Some(Exploration {
                original,
                newer_than: newest_known,
            }),
        }
    }

    /// The columns, left to right.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The blocked job whose rewrites this compares, if it does.
    pub fn exploration(&self) -> Option<Exploration> {
        self.exploring
    }

    /// The jobs known so far, left to right.
    pub fn job_ids(&self) -> Vec<JobId> {
        self.slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Job(id) => Some(*id),
                Slot::Rewrite { .. } => None,
            })
            .collect()
    }

    /// Puts the jobs of rewrites that have arrived in their columns; returns whether any did.
    pub fn resolve(&mut self, jobs: &[JobView]) -> bool {
        let Some(exploration) = self.exploring else {
            return false;
        };
        let mut taken = self.job_ids();
        let mut changed = false;
        for slot in &mut self.slots {
            let Slot::Rewrite { prompt } = slot else {
                continue;
            };
            let arrived = jobs.iter().find(|job| {
                job.spec.rewrite_of == Some(exploration.original)
                    && job.spec.prompt == *prompt
                    && exploration.newer_than.is_none_or(|newest| job.id > newest)
                    && !taken.contains(&job.id)
            });
            if let Some(job) = arrived {
                taken.push(job.id);
                *slot = Slot::Job(job.id);
                changed = true;
            }
        }
        changed
    }

    /// Each column as the window shows it, at `now`.
    pub fn columns(&self, state: &AppState, now: Timestamp) -> Vec<Column> {
        let reference = self.slots.first().and_then(|slot| match slot {
            Slot::Job(id) => state.job(*id),
            Slot::Rewrite { .. } => None,
        });
        let reference_prompt = reference.map_or("", JobView::prompt);
        let reference_id = reference.map(|job| job.id);
        self.slots
            .iter()
            .enumerate()
            .map(|(index, slot)| {
                let title = self.title(index, slot);
                let mut column = match slot {
                    Slot::Job(id) => match state.job(*id) {
                        Some(job) => Column::of_job(job, now),
                        None => Column::gone(*id),
                    },
                    Slot::Rewrite { prompt } => Column::queuing(prompt, reference),
                };
                column.title = title;
                if index > 0 {
                    column.diff = word_diff(reference_prompt, &column.prompt);
                    column.changed = Some(changed_sentence(reference_id, &column.diff));
                }
                column
            })
            .collect()
    }

    /// "Original · job 4", "Rewrite 2 · job 7", "Job 3 (reference)", "Job 5".
    fn title(&self, index: usize, slot: &Slot) -> String {
        let job = match slot {
            Slot::Job(id) => format!("job {id}"),
            Slot::Rewrite { .. } => "not queued yet".to_owned(),
        };
        match (self.exploring.is_some(), index) {
            (true, 0) => format!("Original · {job}"),
            (true, n) => format!("Rewrite {n} · {job}"),
            (false, 0) => format!("{} (reference)", capitalised(&job)),
            (false, _) => capitalised(&job),
        }
    }
}

/// How a column's job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An image arrived.
    Passed,
    /// A content layer stopped it.
    Blocked(Layer),
    /// It ended without an image for another reason (stopped, cancelled, parked).
    Failed,
    /// Queued, on its way, or waiting to retry.
    Waiting,
    /// Not known: a rewrite not queued yet, or a job no longer in the gallery.
    Unknown,
}

/// One column: the title, how the job stands, the prompt against the reference, model, size,
/// cost and the image.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The job, once known.
    pub job: Option<JobId>,
    /// "Rewrite 2 · job 7".
    pub title: String,
    /// How it stands.
    pub outcome: Outcome,
    /// The same in words ("Passed: image delivered", "Blocked by the image filter (Layer 2, not
    /// adjustable)", "Being made · 12 s").
    pub status: String,
    /// Its prompt.
    pub prompt: String,
    /// Its prompt against the reference's (empty for the reference itself).
    pub diff: Vec<Piece>,
    /// The words that differ from the reference, in a sentence (none for the reference).
    pub changed: Option<String>,
    /// "Model: Nano Banana Pro (gemini-3-pro-image)".
    pub model: String,
    /// "Size: 1K, 1:1 (1024×1024 px)".
    pub size: String,
    /// "Cost: $0.134", or an estimate while it runs.
    pub cost: String,
    /// The delivered image.
    pub image: Option<PathBuf>,
}

impl Column {
    fn of_job(job: &JobView, now: Timestamp) -> Self {
        let outcome = outcome_of(job);
        let model = job.model_used.as_deref().unwrap_or(&job.spec.model);
        let cost = if job.is_open() {
            estimate(&job.spec).map_or_else(
                || format!("Cost so far: {}", dollars(job.cost_usd())),
                |usd| format!("Cost so far: {} (up to ${usd:.3})", dollars(job.cost_usd())),
            )
        } else if outcome == Outcome::Passed {
            format!("Cost: {}", dollars(job.cost_usd()))
        } else {
            format!("Cost: {} (no image)", dollars(job.cost_usd()))
        };
        Self {
            job: Some(job.id),
            title: String::new(),
            outcome,
            status: status_of(job, outcome, now),
            prompt: job.prompt().to_owned(),
            diff: vec![Piece::Same(job.prompt().to_owned())],
            changed: None,
            model: format!("Model: {}", model_words(model)),
            size: size_words(&job.spec),
            cost,
            image: job
                .image_path
                .clone()
                .filter(|_| outcome == Outcome::Passed),
        }
    }

    /// A rewrite sent but not queued yet, with the original's settings.
    fn queuing(prompt: &str, original: Option<&JobView>) -> Self {
        let spec = original.map(|job| &job.spec);
        Self {
            job: None,
            title: String::new(),
            outcome: Outcome::Unknown,
            status: "Queuing…".to_owned(),
            prompt: prompt.to_owned(),
            diff: vec![Piece::Same(prompt.to_owned())],
            changed: None,
            model: spec.map_or_else(String::new, |spec| {
                format!("Model: {}", model_words(&spec.model))
            }),
            size: spec.map_or_else(String::new, size_words),
            cost: spec
                .and_then(estimate)
                .map_or_else(String::new, |usd| format!("Cost: up to ${usd:.3}")),
            image: None,
        }
    }

    /// A job no longer in the window (deleted meanwhile).
    fn gone(id: JobId) -> Self {
        Self {
            job: Some(id),
            title: String::new(),
            outcome: Outcome::Unknown,
            status: format!("Job {id} is no longer in the gallery (deleted)"),
            prompt: String::new(),
            diff: Vec::new(),
            changed: None,
            model: String::new(),
            size: String::new(),
            cost: String::new(),
            image: None,
        }
    }
}

/// How `job` stands, for its column.
pub fn outcome_of(job: &JobView) -> Outcome {
    if job.is_delivered() {
        return Outcome::Passed;
    }
    if job.is_open() {
        return Outcome::Waiting;
    }
    match &job.diagnosis {
        Some(diagnosis) if diagnosis.kind.is_content_block() => Outcome::Blocked(diagnosis.layer),
        _ => Outcome::Failed,
    }
}

/// "Blocked by the image filter (Layer 2, not adjustable)": the layer in the words the
/// diagnosis uses.
pub fn blocked_by(layer: Layer) -> String {
    let label = layer.label();
    let mut words = label.chars();
    let lowered: String = words
        .next()
        .map(|first| first.to_lowercase().chain(words).collect())
        .unwrap_or_default();
    match layer {
        Layer::PromptFilter | Layer::ImageFilter => format!("Blocked by the {lowered}"),
        _ => format!("Blocked by {lowered}"),
    }
}

fn status_of(job: &JobView, outcome: Outcome, now: Timestamp) -> String {
    let elapsed_s = now.duration_since(job.created_at).as_secs_f64();
    let elapsed = crate::diagnosis::words::human_duration(elapsed_s);
    match (outcome, &job.status) {
        (Outcome::Passed, _) => "Passed: image delivered".to_owned(),
        (Outcome::Blocked(layer), _) => blocked_by(layer),
        (Outcome::Waiting, JobStatus::Sending { .. }) => format!("Being made · {elapsed}"),
        (Outcome::Waiting, JobStatus::Waiting { .. }) => format!("Waiting to retry · {elapsed}"),
        (Outcome::Waiting, JobStatus::Finished(JobState::Parked)) => format!(
            "Parked in the queue · {}",
            job.reason.as_deref().unwrap_or("it runs again later")
        ),
        (Outcome::Waiting, _) => format!("Waiting in the queue · {elapsed}"),
        (_, JobStatus::Finished(JobState::Cancelled)) => "Cancelled: never sent again".to_owned(),
        _ => {
            let why = job
                .diagnosis
                .as_ref()
                .map(|diagnosis| diagnosis.title.clone())
                .or_else(|| job.reason.clone())
                .unwrap_or_else(|| "no image".to_owned());
            format!("Failed: {why}")
        }
    }
}

/// "Nano Banana Pro (gemini-3-pro-image)", or the id for a model the catalog does not know.
fn model_words(model: &str) -> String {
    Catalog::builtin().get(model).map_or_else(
        || model.to_owned(),
        crate::api::catalog::ModelEntry::describe,
    )
}

/// "Size: 2K, 16:9 (2752×1536 px)".
fn size_words(spec: &JobSpec) -> String {
    let size = spec
        .image_size
        .as_deref()
        .unwrap_or("the model's only size");
    let ratio = spec
        .aspect_ratio
        .as_deref()
        .unwrap_or("the model's default ratio");
    let pixels = Catalog::builtin()
        .get(&spec.model)
        .and_then(|entry| entry.pixel_size(ratio, spec.image_size.as_deref().unwrap_or("1K")))
        .map(|[width, height]| format!(" ({width}×{height} px)"))
        .unwrap_or_default();
    format!("Size: {size}, {ratio}{pixels}")
}

/// The most one image of `spec` costs, when Google publishes the price.
pub fn estimate(spec: &JobSpec) -> Option<f64> {
    let model = Catalog::builtin().get(&spec.model)?;
    let size = spec.image_size.as_deref().unwrap_or("1K");
    model
        .price_per_image_usd
        .contains_key(size)
        .then(|| worst_case_cost_usd(model, size))
}

/// "Changed from job 3: “Elsa” to “a young woman with …”; added “at night”", or "Same prompt as
/// job 3" (the window's font has no arrow).
fn changed_sentence(reference: Option<JobId>, diff: &[Piece]) -> String {
    let from = reference.map_or_else(|| "the first".to_owned(), |id| format!("job {id}"));
    let mut changes = Vec::new();
    let mut pieces = diff.iter().peekable();
    while let Some(piece) = pieces.next() {
        match piece {
            Piece::Same(_) => {}
            Piece::Removed(removed) => {
                if let Some(Piece::Added(added)) = pieces.peek() {
                    changes.push(format!("{} to {}", quoted(removed), quoted(added)));
                    pieces.next();
                } else {
                    changes.push(format!("removed {}", quoted(removed)));
                }
            }
            Piece::Added(added) => changes.push(format!("added {}", quoted(added))),
        }
    }
    if changes.is_empty() {
        format!("Same prompt as {from}")
    } else {
        format!("Changed from {from}: {}", changes.join("; "))
    }
}

/// “text”, cut after a whole word within [`QUOTED_CHARS`] characters, with an ellipsis.
fn quoted(text: &str) -> String {
    let text = text.trim();
    let Some((cut, _)) = text.char_indices().nth(QUOTED_CHARS) else {
        return format!("“{text}”");
    };
    let head = &text[..cut];
    let words = match head.rfind(char::is_whitespace) {
        Some(space) if !text[cut..].starts_with(char::is_whitespace) => &head[..space],
        _ => head,
    };
    format!("“{}…”", words.trim_end())
}

/// "$0.134" (an empty sum of costs is −0.0, never shown as "$-0.000").
fn dollars(usd: f64) -> String {
    format!("${:.3}", usd.abs())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{DiagnosisContext, Evidence, diagnose};
    use crate::worker::{Event, JobOutcome};

    const IMAGE_SAFETY: &str =
        r#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_SAFETY"}]}"#;
    const LAYER_1: &str = r#"{"promptFeedback":{"blockReason":"SAFETY"}}"#;
    const PROHIBITED: &str = r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#;

    fn spec(prompt: &str) -> JobSpec {
        JobSpec {
            prompt: prompt.to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            aspect_ratio: Some("1:1".to_owned()),
            image_size: Some("1K".to_owned()),
            ..JobSpec::default()
        }
    }

    fn queue(state: &mut AppState, job: JobId, spec: JobSpec) {
        state.apply(Event::Queued { job, spec });
    }

    fn end(state: &mut AppState, job: JobId, status: JobState, body: Option<&str>) {
        let mut outcome = JobOutcome::new(job);
        outcome.status = status;
        outcome.diagnosis = body.map(|body| {
            diagnose(
                &Evidence::http(200, body),
                &DiagnosisContext::new(Timestamp::now()),
            )
        });
        outcome.image_path = (status == JobState::Delivered)
            .then(|| PathBuf::from(format!("/images/peel-{job}.jpg")));
        state.apply(Event::Finished(Box::new(outcome)));
    }

    #[test]
    fn two_to_four_jobs_compare_oldest_first_and_other_counts_say_why_not() {
        let set = CompareSet::of_jobs([9, 3, 5]).unwrap();
        assert_eq!(set.job_ids(), [3, 5, 9], "the oldest is the reference");
        assert_eq!(CompareSet::of_jobs([4]), Err(CompareError::TooFew));
        assert_eq!(CompareSet::of_jobs([4, 4]), Err(CompareError::TooFew));
        let five = CompareSet::of_jobs(1..=5).unwrap_err();
        assert_eq!(five, CompareError::TooMany { picked: 5 });
        assert!(five.to_string().contains("at most four"), "{five}");
        assert!(CompareSet::of_jobs(1..=4).is_ok());
    }

    #[test]
    fn each_prompt_is_diffed_against_the_first_with_model_size_and_cost() {
        let mut state = AppState::default();
        queue(&mut state, 1, spec("a red fox in the snow"));
        queue(&mut state, 2, spec("a grey fox in the snow"));
        queue(&mut state, 3, spec("a red fox in the snow"));
        for job in 1..=3 {
            end(&mut state, job, JobState::Delivered, None);
        }
        let set = CompareSet::of_jobs([2, 1, 3]).unwrap();
        let columns = set.columns(&state, Timestamp::now());
        assert_eq!(columns[0].title, "Job 1 (reference)");
        assert_eq!(columns[0].changed, None);
        assert_eq!(columns[1].title, "Job 2");
        assert_eq!(
            columns[1].diff,
            [
                Piece::Same("a ".to_owned()),
                Piece::Removed("red".to_owned()),
                Piece::Added("grey".to_owned()),
                Piece::Same(" fox in the snow".to_owned()),
            ]
        );
        assert_eq!(
            columns[1].changed.as_deref(),
            Some("Changed from job 1: “red” to “grey”")
        );
        assert_eq!(columns[2].changed.as_deref(), Some("Same prompt as job 1"));
        let column = &columns[1];
        assert_eq!(column.outcome, Outcome::Passed);
        assert_eq!(column.status, "Passed: image delivered");
        assert_eq!(column.model, "Model: Nano Banana Pro (gemini-3-pro-image)");
        assert_eq!(column.size, "Size: 1K, 1:1 (1024×1024 px)");
        assert_eq!(column.cost, "Cost: $0.000");
        assert_eq!(
            column.image.as_deref(),
            Some(std::path::Path::new("/images/peel-2.jpg"))
        );
    }

    #[test]
    fn blocks_name_their_layer_in_the_diagnosis_words_and_open_jobs_their_wait() {
        let mut state = AppState::default();
        for (job, body) in [(1, IMAGE_SAFETY), (2, LAYER_1), (3, PROHIBITED)] {
            queue(&mut state, job, spec("a knight"));
            end(&mut state, job, JobState::Stopped, Some(body));
        }
        queue(&mut state, 4, spec("a knight at dawn"));
        let later = Timestamp::now() + jiff::SignedDuration::from_secs(75);
        let set = CompareSet::of_jobs([1, 2, 3, 4]).unwrap();
        let columns = set.columns(&state, later);
        assert_eq!(
            columns[0].status,
            "Blocked by the image filter (Layer 2, not adjustable)"
        );
        assert_eq!(columns[0].outcome, Outcome::Blocked(Layer::ImageFilter));
        assert_eq!(
            columns[1].status,
            "Blocked by the prompt filter (Layer 1, adjustable)"
        );
        assert_eq!(
            columns[2].status,
            "Blocked by content policy (not adjustable)"
        );
        assert_eq!(columns[0].cost, "Cost: $0.000 (no image)");
        assert_eq!(columns[0].image, None);
        assert_eq!(columns[3].outcome, Outcome::Waiting);
        assert!(
            columns[3]
                .status
                .starts_with("Waiting in the queue · 1 min"),
            "{}",
            columns[3].status
        );
        assert!(
            columns[3].cost.contains("(up to $0.134)"),
            "{}",
            columns[3].cost
        );
        assert_eq!(
            columns[3].changed.as_deref(),
            Some("Changed from job 1: added “at dawn”")
        );
    }

    #[test]
    fn rewrites_fill_in_as_their_jobs_are_queued_never_taking_an_earlier_trial() {
        let mut state = AppState::default();
        let blocked = "a photo of Elsa at night";
        queue(&mut state, 4, spec(blocked));
        end(&mut state, 4, JobState::Stopped, Some(IMAGE_SAFETY));
        let rewrite = "a watercolor of a young woman with a platinum braid at night";
        let earlier = JobSpec {
            rewrite_of: Some(4),
            ..spec(rewrite)
        };
        queue(&mut state, 5, earlier.clone());
        let prompts = [
            rewrite.to_owned(),
            "a flat vector woman at night".to_owned(),
        ];
        let mut set = CompareSet::exploring(4, &prompts, Some(5));
        assert!(!set.resolve(&state.jobs), "job 5 was an earlier trial");
        let columns = set.columns(&state, Timestamp::now());
        assert_eq!(columns[0].title, "Original · job 4");
        assert_eq!(columns[1].title, "Rewrite 1 · not queued yet");
        assert_eq!(columns[1].status, "Queuing…");
        assert_eq!(
            columns[1].model,
            "Model: Nano Banana Pro (gemini-3-pro-image)"
        );
        assert!(
            columns[1]
                .changed
                .as_deref()
                .unwrap()
                .starts_with("Changed from job 4: ")
        );

        queue(&mut state, 6, earlier);
        // An ordinary job with the same words is not a rewrite of job 4.
        queue(&mut state, 7, spec("a flat vector woman at night"));
        assert!(set.resolve(&state.jobs));
        assert_eq!(set.job_ids(), [4, 6]);
        queue(
            &mut state,
            8,
            JobSpec {
                rewrite_of: Some(4),
                ..spec("a flat vector woman at night")
            },
        );
        assert!(set.resolve(&state.jobs));
        assert_eq!(set.job_ids(), [4, 6, 8]);
        end(&mut state, 6, JobState::Delivered, None);
        end(&mut state, 8, JobState::Stopped, Some(IMAGE_SAFETY));
        let columns = set.columns(&state, Timestamp::now());
        assert_eq!(columns[1].title, "Rewrite 1 · job 6");
        assert_eq!(columns[1].status, "Passed: image delivered");
        assert_eq!(
            columns[2].status,
            "Blocked by the image filter (Layer 2, not adjustable)"
        );
    }

    #[test]
    fn a_deleted_job_says_so_and_long_changes_are_cut() {
        let mut state = AppState::default();
        queue(&mut state, 1, spec("Elsa"));
        queue(
            &mut state,
            2,
            spec("a young woman with a long platinum braid in an icy blue gown and a cape"),
        );
        let set = CompareSet::of_jobs([1, 2, 3]).unwrap();
        let columns = set.columns(&state, Timestamp::now());
        assert_eq!(
            columns[1].changed.as_deref(),
            Some("Changed from job 1: “Elsa” to “a young woman with a long platinum braid in an…”")
        );
        assert_eq!(columns[2].outcome, Outcome::Unknown);
        assert_eq!(
            columns[2].status,
            "Job 3 is no longer in the gallery (deleted)"
        );
    }
}
