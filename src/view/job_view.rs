//! One job as the window shows it: its settings, where it stands (with the request on its way
//! and the thoughts it showed so far), its attempts, image and diagnosis, its star and boards.

use std::path::PathBuf;

use jiff::Timestamp;

use super::thinking::Thinking;
use crate::diagnosis::Diagnosis;
use crate::worker::protocol::AttemptRecord;
use crate::worker::{Job, JobId, JobSpec, JobState};

/// Where a job stands, as the window says it.
#[derive(Clone, Debug, PartialEq)]
pub enum JobStatus {
    /// In the queue.
    Queued,
    /// A request is on its way.
    Sending {
        /// 1-based attempt number.
        attempt: u32,
        /// The model.
        model: String,
        /// The image size asked of it.
        image_size: String,
        /// When it left.
        since: Timestamp,
    },
    /// Waiting before the next attempt.
    Waiting {
        /// When the wait ends.
        until: Timestamp,
        /// Why.
        reason: String,
    },
    /// Ended.
    Finished(JobState),
}

/// One attempt of a job, as the timeline shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRow {
    /// The stored row (model, result kind, wait, cost).
    pub record: AttemptRecord,
    /// Its diagnosis (absent for attempts of an earlier session).
    pub diagnosis: Option<Diagnosis>,
    /// The response, redacted (absent for attempts of an earlier session).
    pub response: Option<String>,
}

/// One job: its settings, progress, image and diagnosis.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    /// Its id.
    pub id: JobId,
    /// What was asked.
    pub spec: JobSpec,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Where it stands.
    pub status: JobStatus,
    /// The last fallback, as a sentence.
    pub fell_back: Option<String>,
    /// The saved image.
    pub image_path: Option<PathBuf>,
    /// The model that made the image.
    pub model_used: Option<String>,
    /// The outcome's one-line reason.
    pub reason: Option<String>,
    /// The last diagnosis.
    pub diagnosis: Option<Diagnosis>,
    /// Every attempt so far.
    pub attempts: Vec<AttemptRow>,
    /// When a parked job may run again.
    pub parked_until: Option<Timestamp>,
    /// What a thinking model showed of the answer under way (summaries, interim images).
    pub thinking: Thinking,
    /// Whether the designer starred it.
    pub starred: bool,
    /// The boards it is on, by name.
    pub boards: Vec<String>,
}

impl JobView {
    pub(super) fn new(id: JobId, spec: JobSpec, created_at: Timestamp) -> Self {
        Self {
            id,
            spec,
            created_at,
            status: JobStatus::Queued,
            fell_back: None,
            image_path: None,
            model_used: None,
            reason: None,
            diagnosis: None,
            attempts: Vec::new(),
            parked_until: None,
            thinking: Thinking::default(),
            starred: false,
            boards: Vec::new(),
        }
    }

    /// Whether the job is on the board `name` (compared without case, as the history does).
    pub fn is_on_board(&self, name: &str) -> bool {
        self.boards
            .iter()
            .any(|board| crate::view::boards::same_board(board, name))
    }

    /// The prompt.
    pub fn prompt(&self) -> &str {
        &self.spec.prompt
    }

    /// Whether the job may still produce an image without being asked again (queued, sending,
    /// waiting, or parked in the queue).
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status,
            JobStatus::Finished(JobState::Delivered | JobState::Stopped | JobState::Cancelled)
        )
    }

    /// Whether the job ended with an image.
    pub fn is_delivered(&self) -> bool {
        self.status == JobStatus::Finished(JobState::Delivered)
    }

    /// The moment the job's countdown points at: the next retry, or a parked job's resume.
    pub fn next_try_at(&self) -> Option<Timestamp> {
        match &self.status {
            JobStatus::Waiting { until, .. } => Some(*until),
            JobStatus::Finished(JobState::Parked) => self.parked_until,
            _ => None,
        }
    }

    /// Dollars spent on the job.
    pub fn cost_usd(&self) -> f64 {
        self.attempts.iter().map(|a| a.record.cost_usd).sum()
    }

    pub(super) fn from_past(past: Job) -> Option<Self> {
        let status = match past.state {
            JobState::Delivered => JobStatus::Finished(JobState::Delivered),
            JobState::Stopped => JobStatus::Finished(JobState::Stopped),
            JobState::Cancelled => JobStatus::Finished(JobState::Cancelled),
            JobState::Parked => JobStatus::Finished(JobState::Parked),
            JobState::Queued | JobState::Running => JobStatus::Queued,
            JobState::Deleted => return None,
        };
        let mut view = JobView::new(past.id, past.spec, past.created_at);
        view.reason = match (&status, past.reason, &past.model_used) {
            (JobStatus::Finished(JobState::Delivered), None, Some(model)) => {
                Some(format!("made with {model}"))
            }
            (_, reason, _) => reason,
        };
        view.status = status;
        view.diagnosis = past.diagnosis;
        view.parked_until = past.parked_until;
        view.image_path = past.image_path;
        view.model_used = past.model_used;
        view.starred = past.starred;
        view.boards = past.boards;
        view.attempts = past
            .attempts
            .into_iter()
            .map(|record| AttemptRow {
                record,
                diagnosis: None,
                response: None,
            })
            .collect();
        Some(view)
    }
}
