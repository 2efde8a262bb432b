//! What the UI (or the CLI) and the worker say to each other: plain data, sent over bounded channels.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::ClientConfig;
use crate::diagnosis::Diagnosis;
use crate::resilience::{BreakerState, Budget, TierLimits};
use crate::store::RememberedRewrite;

pub use crate::store::JobSearch;
pub use crate::store::{Board, BoardCounts};

pub use crate::job::{AttemptRecord, Job, JobId, JobSpec, JobState, Reference};

/// Settings the designer can change while Peel runs.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// A new endpoint or key (None: keep the current client).
    pub client: Option<ClientConfig>,
    /// The tier's limits.
    pub tier: TierLimits,
    /// Budgets.
    pub budget: Budget,
}

/// Requests to the worker.
#[derive(Clone, Debug)]
pub enum Command {
    /// Queue and run a job.
    Generate(JobSpec),
    /// Stop a job in any open state (queued, waiting, parked, in flight): it is never sent
    /// again, by any process; a request in flight is dropped and recorded as cancelled after
    /// sending (it may be billed).
    Cancel(JobId),
    /// Send no new request (the designer quits and waits for the requests in flight): each job
    /// reaching its next request goes back to the queue for the next start.
    StopSending,
    /// The designer quits without waiting: the requests in flight are recorded as lost
    /// (probably billed), and nothing new is sent.
    QuitAnyway,
    /// Skip the current wait of a job.
    RetryNow(JobId),
    /// Edit a delivered image: a new turn after the job's own, resending the model's parts with
    /// their thought signatures.
    Edit {
        /// The job whose image is edited.
        of: JobId,
        /// What to change.
        prompt: String,
    },
    /// Remove a job from the gallery and its image from disk (its attempts still count as spend).
    Delete(JobId),
    /// Apply new settings (endpoint, key, tier, budgets) to the jobs that start from now on.
    Configure(Box<EngineSettings>),
    /// Read a page of the history (newest first; words of the prompt, jobs older than one
    /// shown, at most so many), answered by [`Event::HistoryPage`].
    LoadHistory(JobSearch),
    /// Read or change the prompt library, answered by [`Event::PromptLibrary`] (requests run in
    /// the order sent).
    PromptLibrary(super::prompt_library::LibraryRequest),
    /// Star or unstar jobs, or change the boards; answered by [`Event::BoardsChanged`] (or a
    /// problem) and fresh [`Event::BoardCounts`].
    ChangeBoards(BoardChange),
    /// Count every job, the starred ones and each board's (the boards sidebar opened); answered
    /// by [`Event::BoardCounts`], which also follows every star, board or delete change.
    CountBoards,
    /// Find, over the whole history, the jobs of a search that "Delete the unstarred in this
    /// view" would move to the trash; answered by [`Event::UnstarredFound`].
    FindUnstarred(JobSearch),
    /// Move these jobs' images to the system trash and delete the jobs, leaving any that was
    /// starred (or started running again) meanwhile: each reported by [`Event::Deleted`], then
    /// [`Event::UnstarredTrashed`]. The first file the trash refuses stops it, with a problem.
    TrashUnstarred(Vec<JobId>),
}

/// A change to stars or boards: asked by the window ([`Command::ChangeBoards`]) and, once the
/// database holds it, reported back with the names as kept ([`Event::BoardsChanged`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoardChange {
    /// Star (or unstar) these jobs.
    Star {
        /// The jobs.
        jobs: Vec<JobId>,
        /// Starred or not.
        starred: bool,
    },
    /// Make an empty board.
    Create {
        /// Its name.
        name: String,
    },
    /// Rename a board.
    Rename {
        /// Its name now.
        from: String,
        /// Its new name.
        to: String,
    },
    /// Delete a board (its jobs stay in the history).
    Delete {
        /// Its name.
        name: String,
    },
    /// Put jobs on a board (made first when there is none of that name).
    Add {
        /// The board's name.
        board: String,
        /// The jobs.
        jobs: Vec<JobId>,
    },
    /// Take jobs off a board (they stay in the history).
    Remove {
        /// The board's name.
        board: String,
        /// The jobs.
        jobs: Vec<JobId>,
    },
}

/// The end of a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobOutcome {
    /// The job.
    pub job: JobId,
    /// How it ended.
    pub status: JobState,
    /// Why, in one sentence.
    pub reason: String,
    /// The last diagnosis (success included).
    pub diagnosis: Option<Diagnosis>,
    /// Every attempt.
    pub attempts: Vec<AttemptRecord>,
    /// The model that made the image.
    pub model_used: Option<String>,
    /// Settings changed to fit the fallback ("4K to 2K").
    pub changes: Vec<String>,
    /// Where the image was saved.
    pub image_path: Option<PathBuf>,
    /// When a parked job may run again.
    pub parked_until: Option<Timestamp>,
    /// Dollars spent.
    pub cost_usd: f64,
    /// The thoughts of a thinking model (summaries, interim images) as they arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thoughts: Vec<ThoughtSeen>,
}

/// One thought part of an answer as it arrived: a thought summary or an interim image (neither
/// is the final image).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThoughtSeen {
    /// The attempt it came with (1-based).
    pub attempt: u32,
    /// Its place among the attempt's thoughts (1-based).
    pub index: u32,
    /// Seconds from sending the request to its arrival.
    pub at_s: f64,
    /// The summary's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The interim image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<InterimImage>,
}

/// An interim image, kept in the data folder while its job runs (never in the output folder).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterimImage {
    /// The file (removed when the job ends; not part of the printed outcome).
    #[serde(skip)]
    pub path: PathBuf,
    /// Its MIME type.
    pub mime_type: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl ThoughtSeen {
    /// "thought 2 (image 1024x1024) at 14.2 s", or "thought 1 (\"Composing…\") at 3.0 s".
    pub fn describe(&self) -> String {
        let what = match (&self.image, &self.text) {
            (Some(image), _) => format!("image {}x{}", image.width, image.height),
            (None, Some(text)) => {
                let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                let line = line.trim().trim_matches('*').trim();
                let cut = line.floor_char_boundary(80);
                if cut < line.len() {
                    format!("\"{}…\"", &line[..cut])
                } else {
                    format!("\"{line}\"")
                }
            }
            (None, None) => "empty".to_owned(),
        };
        format!("thought {} ({what}) at {:.1} s", self.index, self.at_s)
    }
}

impl JobOutcome {
    /// A job's outcome before its first attempt (stopped, with nothing yet).
    pub fn new(job: JobId) -> Self {
        Self {
            job,
            status: JobState::Stopped,
            reason: String::new(),
            diagnosis: None,
            attempts: Vec::new(),
            model_used: None,
            changes: Vec::new(),
            image_path: None,
            parked_until: None,
            cost_usd: 0.0,
            thoughts: Vec::new(),
        }
    }
}

/// One attempt as the why-panel shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptReport {
    /// The timeline row.
    pub record: AttemptRecord,
    /// Its diagnosis.
    pub diagnosis: Diagnosis,
    /// The response, redacted, image data elided.
    pub response: String,
}

/// News from the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The jobs of earlier sessions (newest first) and today's spend, sent once at start.
    Restored {
        /// The jobs.
        jobs: Vec<Job>,
        /// Dollars spent since the last midnight Pacific.
        spend_today_usd: f64,
        /// Rewrites that got blocked prompts through, newest first.
        rewrites: Vec<RememberedRewrite>,
    },
    /// A page of the history, the answer to [`Command::LoadHistory`].
    HistoryPage {
        /// What was asked.
        search: JobSearch,
        /// The jobs found, newest first.
        jobs: Vec<Job>,
    },
    /// A rewritten prompt passed where the original was blocked: remembered for next time.
    RewriteRemembered(RememberedRewrite),
    /// What the designer's jobs taught the preflight (names that passed or were blocked, prompts
    /// a filter stopped), whole; sent at start and after each job that changed it.
    NameMemory(Box<crate::rewrite::preflight::Memory>),
    /// An attempt ended (with its diagnosis), before the job decides what next.
    AttemptEnded {
        /// The job.
        job: JobId,
        /// The attempt.
        report: Box<AttemptReport>,
    },
    /// A job was removed from the gallery.
    Deleted {
        /// The job.
        job: JobId,
    },
    /// A star or board change the database now holds (names as kept).
    BoardsChanged(BoardChange),
    /// How many jobs there are, starred and on each board (asked by [`Command::CountBoards`],
    /// and sent after each star, board or delete change).
    BoardCounts(BoardCounts),
    /// The jobs "Delete the unstarred in this view" would move to the trash, the answer to
    /// [`Command::FindUnstarred`].
    UnstarredFound {
        /// The search asked (from its first page).
        search: JobSearch,
        /// The jobs, newest first.
        jobs: Vec<JobId>,
    },
    /// "Delete the unstarred" ended.
    UnstarredTrashed {
        /// Jobs deleted, their images in the trash.
        trashed: usize,
        /// Jobs left alone: starred, or running again, since they were counted.
        kept: usize,
        /// Jobs not reached because the trash refused a file (said in a problem).
        stopped: usize,
    },
    /// What the disk refused and Peel holds in memory until it can be written (lost if Peel
    /// quits); sent whenever it changes.
    Unsaved {
        /// Images that arrived (paid for) but no folder took.
        images: usize,
        /// New prompts the database could not queue.
        prompts: usize,
    },
    /// Something the designer asked for could not be done; one sentence with what to do.
    Problem {
        /// The sentence.
        message: String,
    },
    /// A job is in the queue.
    Queued {
        /// The job.
        job: JobId,
        /// Its settings.
        spec: JobSpec,
    },
    /// A request is on its way.
    AttemptStarted {
        /// The job.
        job: JobId,
        /// 1-based attempt number.
        attempt: u32,
        /// The model.
        model: String,
        /// The image size asked of it (`1K` when the model has one size).
        image_size: String,
        /// When it left.
        sent_at: Timestamp,
    },
    /// A thinking model's thought arrived while its answer streams in (a summary, or an interim
    /// image that is not the final one).
    Thought {
        /// The job.
        job: JobId,
        /// The thought.
        thought: ThoughtSeen,
    },
    /// The job waits before its next attempt.
    Waiting {
        /// The job.
        job: JobId,
        /// Seconds.
        wait_s: f64,
        /// When the wait ends.
        until: Timestamp,
        /// Why.
        reason: String,
    },
    /// The job switched to the fallback model.
    FellBack {
        /// The job.
        job: JobId,
        /// From this model.
        from: String,
        /// To this one.
        to: String,
        /// Why.
        reason: String,
        /// Settings changed to fit ("4K to 2K").
        changes: Vec<String>,
    },
    /// A model's circuit breaker changed state.
    BreakerChanged {
        /// The model.
        model: String,
        /// Its state now.
        state: BreakerState,
    },
    /// An image arrived and is saved.
    ImageArrived {
        /// The job.
        job: JobId,
        /// Where.
        path: PathBuf,
        /// Its MIME type.
        mime_type: String,
    },
    /// The job ended.
    Finished(Box<JobOutcome>),
    /// Google's list of models (`models.list`, or its copy from the last day) was read.
    ModelsChecked {
        /// Catalog models Google no longer lists, in catalog order (empty when every one is
        /// listed, or when no list is known).
        unlisted: Vec<String>,
    },
    /// The prompt library, whole, as it stands after a [`Command::PromptLibrary`].
    PromptLibrary {
        /// Every entry, by name.
        entries: Vec<crate::store::prompt_library::PromptEntry>,
        /// What the request changed, in one sentence for the notice.
        news: Option<String>,
    },
}

/// "Fell back from A to B (4K to 1K): the primary model is overloaded".
pub fn describe_fallback(from: &str, to: &str, reason: &str, changes: &[String]) -> String {
    let changes = if changes.is_empty() {
        String::new()
    } else {
        format!(" ({})", changes.join(", "))
    };
    format!("Fell back from {from} to {to}{changes}: {reason}")
}

/// "2 images are being made and will probably be billed": what quitting now would cost, said the
/// same way by the window and the command line.
pub fn being_made(in_flight: usize) -> String {
    if in_flight == 1 {
        "1 image is being made and will probably be billed".to_owned()
    } else {
        format!("{in_flight} images are being made and will probably be billed")
    }
}
