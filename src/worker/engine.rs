//! The engine: what every job shares — the client (swapped when the key or endpoint changes), the
//! store, the configuration, the budgets and the models' health — and how a job ends (recorded in
//! the store, then told to the listeners). Running a job is in [`super::job`]; edits, history and
//! deletion in their own files.
//!
//! Locks: the client and the budget each sit behind their own lock, taken only to copy the value
//! out; the models' health has one lock of its own ([`ModelHealth`]). No code holds one while
//! taking another. Database calls from async code go through [`Engine::db`] (`spawn_blocking`),
//! never straight on a tokio worker: another process holding SQLite's write lock must not stall
//! every task (thumbnails included).
//!
//! At start, the engine gives the models' health the requests sent since midnight Pacific (read
//! from the store, on the thread that builds the engine, before any job runs), so Peel's own
//! rate limiters remember an earlier session's sends and Peel never causes its own 429 by
//! restarting.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use jiff::Timestamp;

use super::config::EngineConfig;
use super::health::ModelHealth;
use super::history::spend_today;
use super::protocol::{EngineSettings, Event, JobId, JobOutcome, JobState};
use super::sink::EventSink;
use super::stopping::Stopping;
use super::unwritten::Unwritten;
use crate::api::GeminiClient;
use crate::api::catalog::Catalog;
use crate::api::live_models::LiveModels;
use crate::resilience::Budget;
use crate::store::claims::{OwnerLock, register_owner};
use crate::store::trash::Trash;
use crate::store::{RememberedRewrite, Store, StoreError};

/// Stops renewing a job's claim when dropped (the job ended; `finish` released the claim).
#[derive(Debug)]
pub(super) struct ClaimGuard(tokio::task::AbortHandle);

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The engine.
#[derive(Debug)]
pub struct Engine {
    /// Swapped by [`Engine::configure`] (a new key or endpoint); each attempt clones it.
    client: RwLock<GeminiClient>,
    pub(super) catalog: &'static Catalog,
    store: Arc<Store>,
    pub(super) config: EngineConfig,
    /// The budgets, changed by [`Engine::configure`].
    budget: Mutex<Budget>,
    /// Breakers, limiters (with the tier), ids gone: one lock.
    pub(super) health: ModelHealth,
    /// This engine's name in job claims (`pid-random`): another process on the same data
    /// folder never runs a job this one holds.
    pub(super) owner: String,
    /// Images and prompts the disk refused, kept in memory until they can be written.
    pub(super) unwritten: Unwritten,
    /// Requests in flight, whether new ones may go, and each running job's cancel switch.
    pub(super) stopping: Stopping,
    /// How many jobs may read their references and earlier turns back at once: each read holds
    /// the bytes (and a request built from them) for a moment, and 200 jobs starting together
    /// must not hold 200 requests.
    pub(super) reading_inputs: tokio::sync::Semaphore,
    /// Where a deleted job's image goes (the system trash unless [`Engine::with_trash`] says).
    pub(super) trash: Trash,
    /// Keeps `owner` marked alive in the data folder while this engine lives.
    _alive: Option<OwnerLock>,
}

/// The requests sent (that reached the server) since midnight Pacific, per model; none when the
/// store cannot say (the limiters then start empty, as before, and the server's 429 still
/// guards).
fn sent_today(store: &Store) -> Vec<(String, Timestamp)> {
    let Some(day_start) = crate::diagnosis::reset::today_started(Timestamp::now()) else {
        return Vec::new();
    };
    store.sent_attempts_since(day_start).unwrap_or_else(|error| {
        tracing::warn!("today's earlier requests could not be read; Peel's own rate limits start from zero: {error}");
        Vec::new()
    })
}

/// How many jobs read their inputs back at once ([`Engine::reading_inputs`]).
pub const INPUT_READS_AT_ONCE: usize = 2;

/// How long a claim on a job lasts unless renewed; a running job renews it every third of that.
pub const LEASE_S: i64 = 90;

impl Engine {
    /// An engine over a client and a store. It reads today's sends from the store once, on the
    /// calling thread (before any job runs, as opening the store does).
    pub fn new(client: GeminiClient, store: Arc<Store>, config: EngineConfig) -> Self {
        let owner = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        let alive = register_owner(&store.data_dir(), &owner)
            .inspect_err(|error| {
                tracing::warn!("job claims fall back to leases only: {error}");
            })
            .ok();
        // Requests an earlier Peel sent and never heard back from (it quit, was killed or
        // crashed) are recorded as lost before anything counts the day.
        if let Err(error) = store.settle_lost_attempts() {
            tracing::warn!("requests whose answer was lost could not be recorded as such: {error}");
        }
        // Interim images a crash left behind (a day old: younger ones may be another process's).
        crate::store::interim::forget_leftovers(&store.data_dir(), std::time::SystemTime::now());
        let health = ModelHealth::new(config.tier, config.breaker, config.seed);
        health.seed_sent(sent_today(&store));
        Self {
            client: RwLock::new(client),
            catalog: Catalog::builtin(),
            store,
            budget: Mutex::new(config.budget),
            health,
            owner,
            unwritten: Unwritten::default(),
            stopping: Stopping::default(),
            reading_inputs: tokio::sync::Semaphore::new(INPUT_READS_AT_ONCE),
            trash: Trash::System,
            _alive: alive,
            config,
        }
    }

    /// The same engine, its deleted images going to `trash` instead of the system trash.
    pub fn with_trash(mut self, trash: Trash) -> Self {
        self.trash = trash;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Sets the list of models Google names now (`None`: unknown, every catalog model is tried).
    /// Jobs that start from now on skip a primary the list leaves out and go to the fallback.
    pub fn set_live_models(&self, live: Option<LiveModels>) {
        self.health.set_live_models(live);
    }

    /// Whether Google's current model list (when known) leaves `model` out: jobs cannot be sent
    /// to it, nor fall back to it.
    pub fn is_unlisted(&self, model: &str) -> bool {
        self.health.unlisted(model)
    }

    /// Tells Peel's own rate limiters that the server's clock runs at `time_scale` real seconds
    /// per second: a simulator started with `--time-scale` counts its quota minutes in its own
    /// time, and Peel must count the same minutes to stay under them (1.0, the default, for
    /// Google).
    pub fn set_server_time_scale(&self, time_scale: f64) {
        self.health.set_time_scale(time_scale);
    }

    /// Applies new settings to attempts from now on (a running job picks them up at its next
    /// attempt). A new tier rebuilds Peel's own rate limiters from the requests sent today.
    pub fn configure(&self, settings: EngineSettings) {
        if let Some(config) = settings.client {
            match GeminiClient::new(config) {
                Ok(client) => *self.client.write().unwrap_or_else(PoisonError::into_inner) = client,
                Err(error) => tracing::error!("new client settings refused: {error}"),
            }
        }
        self.health.set_tier(settings.tier);
        *self.budget.lock().unwrap_or_else(PoisonError::into_inner) = settings.budget;
    }

    pub(super) fn budget(&self) -> Budget {
        *self.budget.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn client(&self) -> GeminiClient {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs a database call on the blocking pool.
    pub(super) async fn db<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || call(&store))
            .await
            .unwrap_or_else(|error| Err(StoreError::Interrupted(error.to_string())))
    }

    /// Claims `job` for this engine (see [`crate::store::claims`]); false when another process
    /// holds it or it has ended.
    pub(super) async fn claim(&self, job: JobId) -> bool {
        let owner = self.owner.clone();
        let now = Timestamp::now();
        let until = now
            .checked_add(jiff::SignedDuration::from_secs(LEASE_S))
            .unwrap_or(now);
        self.db(move |store| store.claim(job, &owner, now, until))
            .await
            .unwrap_or(false)
    }

    /// Renews this engine's claim on `job` every third of [`LEASE_S`] until the guard drops.
    pub(super) fn keep_claim(&self, job: JobId) -> ClaimGuard {
        let store = Arc::clone(&self.store);
        let owner = self.owner.clone();
        let renewing = tokio::spawn(async move {
            let every = std::time::Duration::from_secs(u64::try_from(LEASE_S / 3).unwrap_or(30));
            loop {
                tokio::time::sleep(every).await;
                let (store, owner) = (Arc::clone(&store), owner.clone());
                let until = Timestamp::now()
                    .checked_add(jiff::SignedDuration::from_secs(LEASE_S))
                    .unwrap_or_else(|_| Timestamp::now());
                let renewed =
                    tokio::task::spawn_blocking(move || store.renew(job, &owner, until)).await;
                if !matches!(renewed, Ok(Ok(true))) {
                    return;
                }
            }
        });
        ClaimGuard(renewing.abort_handle())
    }

    /// What was spent today (since midnight Pacific).
    pub(super) async fn spend_today(&self) -> f64 {
        self.db(|store| Ok(spend_today(store))).await.unwrap_or(0.0)
    }

    /// Until when a daily lockout holds `model`, if one does.
    pub(super) async fn locked_until(&self, model: &str) -> Option<Timestamp> {
        let model = model.to_owned();
        self.db(move |store| store.lockout(&model, Timestamp::now()))
            .await
            .ok()
            .flatten()
    }

    /// Whether a request may go to `model` soon: not gone (404 or unlisted), not locked out for
    /// the day, breaker not open.
    pub(super) async fn model_usable(&self, model: &str) -> bool {
        let gone = self.health.unlisted(model) || self.health.not_found(model);
        !gone
            && self.health.breaker_blocked_until_s(model).is_none()
            && self.locked_until(model).await.is_none()
    }

    /// Remembers that `passed` got through where job `original`'s prompt was blocked, with the
    /// names the original contained, and tells the listeners.
    pub(super) async fn remember_rewrite(&self, original: JobId, passed: &str, events: &EventSink) {
        let blocked = self
            .db(move |store| store.job(original))
            .await
            .ok()
            .flatten()
            .map(|record| record.spec.prompt);
        let Some(blocked) = blocked else {
            return;
        };
        let tokens = crate::rewrite::matcher::Tokens::new(&blocked);
        let mut names: Vec<String> = crate::rewrite::names::NameBook::builtin()
            .find(&tokens)
            .into_iter()
            .map(|hit| hit.entry.name.clone())
            .collect();
        names.dedup();
        let rewrite = RememberedRewrite {
            blocked,
            passed: passed.to_owned(),
            names,
        };
        let stored = rewrite.clone();
        if self
            .db(move |store| store.remember_rewrite(&stored, Timestamp::now()))
            .await
            .is_ok()
        {
            events.send(Event::RewriteRemembered(rewrite)).await;
        }
    }

    /// Ends a job that ran out of budget: it stays in the queue.
    pub(super) async fn park_for_budget(
        &self,
        outcome: JobOutcome,
        reason: &str,
        events: &EventSink,
    ) -> JobOutcome {
        let reason = format!(
            "Stopped because {reason}; the job stays in the queue to retry later or by hand"
        );
        self.finish(outcome, JobState::Parked, reason, events).await
    }

    /// Ends a cancelled job.
    pub(super) async fn cancelled(&self, outcome: JobOutcome, events: &EventSink) -> JobOutcome {
        self.finish(outcome, JobState::Cancelled, "cancelled".to_owned(), events)
            .await
    }

    /// Records how the job ended (so nothing is lost on a crash) and tells the listeners. A
    /// deleted job stays deleted (the store ignores later changes to it).
    pub(super) async fn finish(
        &self,
        mut outcome: JobOutcome,
        status: JobState,
        reason: String,
        events: &EventSink,
    ) -> JobOutcome {
        let state = status;
        let job = outcome.job;
        let until = outcome.parked_until.filter(|_| status == JobState::Parked);
        let note = (status != JobState::Delivered).then(|| reason.clone());
        let diagnosis = outcome
            .diagnosis
            .as_ref()
            .and_then(|d| serde_json::to_string(d).ok());
        let owner = self.owner.clone();
        let recorded = self
            .db(move |store| {
                if let Some(json) = diagnosis {
                    store.set_diagnosis(job, &json)?;
                }
                store.set_state(job, state, until, note.as_deref(), Timestamp::now())?;
                store.release(job, &owner)
            })
            .await;
        if let Err(error) = recorded {
            tracing::error!("could not record the end of job {job}: {error}");
        }
        outcome.status = status;
        outcome.reason = reason;
        events
            .send(Event::Finished(Box::new(outcome.clone())))
            .await;
        outcome
    }
}
