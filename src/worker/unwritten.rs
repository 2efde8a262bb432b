//! What the disk refused, kept in memory until it can be written: an image that arrived (and was
//! paid for) when neither the output folder nor the data folder's `images/` took it, and a new
//! prompt the database could not queue (full disk, read-only folder, another program holding the
//! database). Each is said in a sentence that names where it is held and what to do; each is
//! written again every [`super::RESUME_CHECK_S`] seconds, and a held image also on Retry now.
//! Nothing held is sent to the model again: a held image's job is delivered from memory.
//!
//! Memory only: quitting Peel loses what is held, and the sentences say so. The window hears of
//! every change ([`Event::Unsaved`]) and asks before a quit would lose anything; `peel generate`
//! keeps trying before it exits.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;

use super::RESUME_CHECK_S;
use super::delivery::NotSaved;
use super::engine::Engine;
use super::protocol::{Event, JobId, JobOutcome, JobSpec, JobState};
use super::received::Received;
use super::sink::EventSink;
use crate::api::catalog::ModelEntry;
use crate::provenance::Provenance;

/// What writing an image came to: saved, or not (with the image back).
type WriteResult = Result<super::delivery::Saved, NotSaved>;

/// An image no folder took, with what its delivery needs.
#[derive(Debug)]
struct HeldImage {
    outcome: JobOutcome,
    model: ModelEntry,
    received: Received,
    provenance: Provenance,
}

/// The held images: those waiting for a folder, and those being written right now.
#[derive(Debug, Default)]
struct HeldImages {
    waiting: HashMap<JobId, HeldImage>,
    /// Held images being written right now (out of `waiting` while the write runs): still
    /// held, so Retry now meanwhile neither sends the job again nor writes it twice. An image
    /// moves between the two under one lock, so it is never in neither.
    saving: HashSet<JobId>,
}

impl HeldImages {
    fn holds(&self, job: JobId) -> bool {
        self.waiting.contains_key(&job) || self.saving.contains(&job)
    }

    fn count(&self) -> usize {
        self.waiting.len() + self.saving.len()
    }
}

/// Images and prompts held in memory (one lock each, never two at once).
#[derive(Debug, Default)]
pub struct Unwritten {
    images: Mutex<HeldImages>,
    prompts: Mutex<Vec<JobSpec>>,
    /// Held while held prompts are being queued (the database write is awaited under it).
    queueing: tokio::sync::Mutex<()>,
}

impl Unwritten {
    fn images(&self) -> MutexGuard<'_, HeldImages> {
        self.images.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn prompts(&self) -> MutexGuard<'_, Vec<JobSpec>> {
        self.prompts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The first words of a prompt, for a sentence.
fn prompt_start(prompt: &str) -> String {
    const SHOWN_CHARS: usize = 60;
    let mut start: String = prompt.chars().take(SHOWN_CHARS).collect();
    if prompt.chars().count() > SHOWN_CHARS {
        start.push('…');
    }
    start
}

impl Engine {
    /// Whether job `job`'s image is held in memory because no folder would take it (or is being
    /// written right now).
    pub fn holds_image(&self, job: JobId) -> bool {
        self.unwritten.images().holds(job)
    }

    /// Whether any image is held: the disk refused the last one, so new requests wait rather
    /// than pay for images that could not be kept either.
    pub fn holds_any_image(&self) -> bool {
        self.unwritten.images().count() > 0
    }

    /// How many new prompts wait in memory for the database.
    pub fn held_prompts(&self) -> usize {
        self.unwritten.prompts().len()
    }

    /// Tells the window how much is held ([`Event::Unsaved`]), so it can warn before quitting.
    pub(super) async fn report_unsaved(&self, events: &EventSink) {
        let images = self.unwritten.images().count();
        let prompts = self.held_prompts();
        events.send(Event::Unsaved { images, prompts }).await;
    }

    /// Keeps an image no folder took and parks its job with a sentence saying so.
    pub(super) async fn hold_unwritten(
        &self,
        mut outcome: JobOutcome,
        model: ModelEntry,
        not_saved: NotSaved,
        provenance: Provenance,
        events: &EventSink,
    ) -> JobOutcome {
        let job = outcome.job;
        let reason = format!(
            "The image arrived but could not be saved: {} Peel holds it in memory (it is lost if Peel quits) and tries to save it again every {RESUME_CHECK_S} s. Free space or make the output folder or {} writable, then press Retry now.",
            not_saved.error,
            self.store().data_dir().join("images").display()
        );
        outcome.parked_until = None;
        self.unwritten.images().waiting.insert(
            job,
            HeldImage {
                outcome: outcome.clone(),
                model,
                received: *not_saved.received,
                provenance,
            },
        );
        self.report_unsaved(events).await;
        self.finish(outcome, JobState::Parked, reason, events).await
    }

    /// Tries to write job `job`'s held image again. `Some`: it was written and the job is
    /// delivered; `None`: nothing was held, or the folders still refuse it (still held, and the
    /// sentence said again).
    pub async fn save_held_image(&self, job: JobId, events: &EventSink) -> Option<JobOutcome> {
        // Out of waiting and into saving in one step: Retry now never sees it unheld.
        let held = {
            let mut images = self.unwritten.images();
            let held = images.waiting.remove(&job)?;
            images.saving.insert(job);
            held
        };
        let HeldImage {
            outcome,
            model,
            received,
            provenance,
        } = held;
        let written = self.write_image(job, received, &provenance).await;
        let saved = self
            .after_write(job, outcome, model, provenance, written, events)
            .await;
        self.unwritten.images().saving.remove(&job);
        if saved.is_some() || !self.holds_image(job) {
            self.report_unsaved(events).await;
        }
        saved
    }

    /// What a held image's write came to: delivered, or held again (said).
    async fn after_write(
        &self,
        job: JobId,
        outcome: JobOutcome,
        model: ModelEntry,
        provenance: Provenance,
        written: WriteResult,
        events: &EventSink,
    ) -> Option<JobOutcome> {
        match written {
            Ok(saved) => Some(self.record_delivery(outcome, &model, saved, events).await),
            Err(not_saved) => {
                let message = format!(
                    "Image {job} still could not be saved: {} It stays in memory; Peel tries again every {RESUME_CHECK_S} s.",
                    not_saved.error
                );
                self.unwritten.images().waiting.insert(
                    job,
                    HeldImage {
                        outcome,
                        model,
                        received: *not_saved.received,
                        provenance,
                    },
                );
                events.send(Event::Problem { message }).await;
                None
            }
        }
    }

    /// Tries to write every held image again; returns the jobs now delivered.
    pub async fn save_held_images(&self, events: &EventSink) -> Vec<JobOutcome> {
        let jobs: Vec<JobId> = self.unwritten.images().waiting.keys().copied().collect();
        let mut delivered = Vec::new();
        for job in jobs {
            if let Some(outcome) = self.save_held_image(job, events).await {
                delivered.push(outcome);
            }
        }
        delivered
    }

    /// Forgets a held image (its job was deleted).
    pub(super) fn drop_held_image(&self, job: JobId) {
        self.unwritten.images().waiting.remove(&job);
    }

    /// Keeps a new prompt the database could not queue, and says so.
    pub(super) async fn hold_prompt(&self, spec: JobSpec, error: &str, events: &EventSink) {
        let message = format!(
            "Your prompt \"{}\" could not be queued: {error}. Peel keeps it in memory (it is lost if Peel quits) and queues it as soon as the database in {} can be written; it tries every {RESUME_CHECK_S} s. Free space or make that folder writable.",
            prompt_start(&spec.prompt),
            self.store().data_dir().display(),
            error = error.trim_end_matches('.')
        );
        self.unwritten.prompts().push(spec);
        self.report_unsaved(events).await;
        events.send(Event::Problem { message }).await;
    }

    /// Queues the held prompts the database takes now, oldest first; returns each new job with
    /// its spec (to run), and keeps the rest.
    /// A prompt stays held (and counted) until the database has taken it, so a quit while a
    /// write is being tried still sees it; one caller at a time, so none is queued twice.
    pub async fn queue_held_prompts(&self) -> Vec<(JobId, JobSpec)> {
        let _one_at_a_time = self.unwritten.queueing.lock().await;
        let mut queued = Vec::new();
        loop {
            let Some(spec) = self.unwritten.prompts().first().cloned() else {
                break;
            };
            let json = serde_json::to_string(&spec).unwrap_or_default();
            match self
                .db(move |store| store.enqueue(&json, Timestamp::now()))
                .await
            {
                Ok(job) => {
                    self.unwritten.prompts().remove(0);
                    queued.push((job, spec));
                }
                Err(_) => break,
            }
        }
        queued
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_prompts_are_cut_for_the_sentence() {
        assert_eq!(prompt_start("a fox"), "a fox");
        let long = "x".repeat(100);
        let cut = prompt_start(&long);
        assert_eq!(cut.chars().count(), 61);
        assert!(cut.ends_with('…'));
    }
}
