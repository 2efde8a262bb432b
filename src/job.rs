//! The one vocabulary of a job, shared by the store, the worker, the window and the CLI: its id,
//! what the designer asked for ([`JobSpec`]), where it stands ([`JobState`]), each attempt
//! ([`AttemptRecord`]), and the job as the history keeps it ([`Job`]); and [`reference_check`],
//! the checks every reference and request pass before anything is sent. Plain data; no I/O.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::wire::{Content, SafetySetting};
use crate::diagnosis::Diagnosis;

/// A job's id (its row in the database).
pub type JobId = i64;

pub mod reference_check;

/// A reference image, named by its bytes: Peel keeps the bytes once, in the data folder's
/// `references/<sha256>.<ext>` (`store::references`), and reads them back (checking the hash)
/// only to build the request being sent. Jobs, edit chains and the database hold this, never
/// the bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    /// `image/png`, `image/jpeg`, `image/webp`, `image/heic` or `image/heif`.
    pub mime_type: String,
    /// Lower-case hex SHA-256 of the bytes sent.
    pub sha256: String,
    /// The length of the bytes sent.
    pub size_bytes: u64,
}

/// What the designer asked for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobSpec {
    /// The prompt.
    pub prompt: String,
    /// The model to use first.
    pub model: String,
    /// The model to fall back to, if any.
    pub fallback: Option<String>,
    /// `imageConfig.aspectRatio`.
    pub aspect_ratio: Option<String>,
    /// `imageConfig.imageSize`.
    pub image_size: Option<String>,
    /// Reference images.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Layer 1 thresholds.
    #[serde(default)]
    pub safety_settings: Vec<SafetySetting>,
    /// Earlier turns of a multi-turn edit (the user's turns and the model's parts as received,
    /// thought signatures included), sent before this prompt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Content>,
    /// The job whose image this one edits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_of: Option<JobId>,
    /// The blocked job whose prompt this one rewrites (remembered when it passes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewrite_of: Option<JobId>,
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting to run (or interrupted while running: it runs again).
    Queued,
    /// A worker has it.
    Running,
    /// Held back by a temporary blocker until `parked_until` (or by hand).
    Parked,
    /// Finished with an image (stored as `done`).
    Delivered,
    /// Finished without one; retrying cannot help.
    Stopped,
    /// Cancelled by the designer.
    Cancelled,
    /// Removed from the gallery by the designer (its attempts still count towards spend).
    Deleted,
}

impl JobState {
    /// The word the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Parked => "parked",
            JobState::Delivered => "done",
            JobState::Stopped => "stopped",
            JobState::Cancelled => "cancelled",
            JobState::Deleted => "deleted",
        }
    }

    /// The word people read for it (`peel history`, `peel cancel`): "delivered" where the
    /// database says "done".
    pub fn word(self) -> &'static str {
        match self {
            JobState::Delivered => "delivered",
            other => other.as_str(),
        }
    }

    /// Reads the database's word (anything unknown is queued: it runs again).
    pub fn parse(text: &str) -> JobState {
        match text {
            "running" => JobState::Running,
            "parked" => JobState::Parked,
            "done" | "delivered" => JobState::Delivered,
            "stopped" => JobState::Stopped,
            "cancelled" => JobState::Cancelled,
            "deleted" => JobState::Deleted,
            _ => JobState::Queued,
        }
    }
}

/// How a job ended (or stands), as the gallery's outcome filter and the history search name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// An image arrived.
    Delivered,
    /// A content filter blocked the prompt or the image (the last diagnosis names a content
    /// layer: prompt filter, policy or image filter).
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
}

/// One attempt: what the timeline shows and the database keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// The model.
    pub model: String,
    /// When it started.
    pub started_at: Timestamp,
    /// How long it took.
    pub duration_ms: u64,
    /// The diagnosis kind id.
    pub kind: String,
    /// The HTTP status.
    pub http_status: Option<u16>,
    /// The wait chosen after it, in seconds.
    pub wait_s: Option<f64>,
    /// Why that wait (or that switch, or that stop).
    pub wait_reason: Option<String>,
    /// Input tokens.
    pub input_tokens: Option<u64>,
    /// Output tokens.
    pub output_tokens: Option<u64>,
    /// Dollars.
    pub cost_usd: f64,
}

/// The kind of an attempt whose request left but whose answer is not in: written before the
/// request is sent, replaced by the diagnosis's kind when the answer comes.
pub const ATTEMPT_IN_FLIGHT: &str = "in_flight";
/// The kind of an attempt whose answer never came because Peel stopped (quit, killed, crashed)
/// while Google was working on it: probably billed.
pub const ATTEMPT_ANSWER_LOST: &str = "answer_lost";
/// The kind of an attempt the designer cancelled after its request had left: it may be billed.
pub const ATTEMPT_CANCELLED_IN_FLIGHT: &str = "cancelled_in_flight";

impl AttemptRecord {
    /// Whether this attempt's request left Peel (an answer came, or it was sent and then lost
    /// or cancelled): what Google counts against the rate limits and may bill.
    pub fn was_sent(&self) -> bool {
        self.http_status.is_some()
            || matches!(
                self.kind.as_str(),
                ATTEMPT_IN_FLIGHT | ATTEMPT_ANSWER_LOST | ATTEMPT_CANCELLED_IN_FLIGHT
            )
    }

    /// The words for an attempt that has no answer (in flight, lost, cancelled after sending);
    /// `None` for an attempt that was answered (its diagnosis says what happened).
    pub fn unanswered_words(&self) -> Option<&'static str> {
        match self.kind.as_str() {
            ATTEMPT_IN_FLIGHT => Some("sent; Google is working on it"),
            ATTEMPT_ANSWER_LOST => {
                Some("answer lost: Peel stopped while Google was working (probably billed)")
            }
            ATTEMPT_CANCELLED_IN_FLIGHT => Some("cancelled after sending (may be billed)"),
            _ => None,
        }
    }
}

impl JobState {
    /// Whether the job may still send a request (queued, running or parked): what Cancel stops.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Running | JobState::Parked
        )
    }
}

/// A job as the history keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// When it was queued.
    pub created_at: Timestamp,
    /// What the designer asked for.
    pub spec: JobSpec,
    /// Where it stands.
    pub state: JobState,
    /// Why it stopped or waits.
    pub reason: Option<String>,
    /// When a parked job may run again.
    pub parked_until: Option<Timestamp>,
    /// The saved image.
    pub image_path: Option<PathBuf>,
    /// The model that made it.
    pub model_used: Option<String>,
    /// Its last diagnosis.
    pub diagnosis: Option<Diagnosis>,
    /// Its attempts (filled where the history is listed).
    pub attempts: Vec<AttemptRecord>,
    /// Whether the designer starred it.
    pub starred: bool,
    /// The boards it is on, by name (sorted without case; filled where the history is listed).
    pub boards: Vec<String>,
}
