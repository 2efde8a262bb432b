//! One job from the queue to its end. [`Engine::run_job`] reads as a loop of three steps:
//!
//! 1. **gate** (here): may a request go now? A quit in progress sends the job back to the queue;
//!    a held image (the disk refused the last one) or a daily lockout parks it; an open breaker
//!    waits; the budget can stop it; then the breaker's permit (Peel's own rate limit is taken
//!    in the attempt, right before the request leaves, so a slot is taken only by a request that
//!    really goes, at the moment it goes),
//! 2. **attempt** ([`super::attempt`]): write the attempt, send, check the answer's images,
//!    diagnose, learn, record, and ask the policy,
//! 3. **act** (here): deliver ([`super::delivery`]), stop, park, or retry (after a wait, perhaps on
//!    the fallback).
//!
//! A newcomer follows a job through these three files: `job.rs`, `attempt.rs`, `delivery.rs`.

use jiff::Timestamp;

use super::attempt::{Attempted, NotSent};
use super::control::{JobControl, Waited, wait_armed};
use super::edits::resolve_inputs;
use super::engine::Engine;
use super::fitting::{fit, unknown_entry};
use super::health::Permit;
use super::protocol::{Event, JobId, JobOutcome, JobSpec, JobState};
use super::received::Received;
use super::sink::EventSink;
use super::stopping::InFlight;
use crate::api::catalog::ModelEntry;
use crate::api::live_models::unlisted_reason;
use crate::diagnosis::Kind;
use crate::provenance::Provenance;
use crate::resilience::budget::worst_case_cost_usd;
use crate::resilience::{Action, Role, Spent};

/// A running job between attempts.
pub(super) struct Run<'s> {
    pub(super) spec: &'s JobSpec,
    pub(super) outcome: JobOutcome,
    pub(super) primary: ModelEntry,
    pub(super) fallback: Option<ModelEntry>,
    pub(super) role: Role,
    pub(super) spent: Spent,
    pub(super) primary_server_failures: u32,
    pub(super) retries_on_model: u32,
    pub(super) empty_answer_retries: u32,
    pub(super) last_kind: Option<Kind>,
    /// Answers that broke off (stalled, trickled, cut) on the primary and on the fallback.
    pub(super) broken_off: [u32; 2],
    /// Answers that were not Gemini's JSON (a proxy or portal) on the primary and the fallback.
    pub(super) malformed: [u32; 2],
    /// The request sent last, counted in flight until its image is on disk or the next gate.
    pub(super) in_flight: Option<InFlight>,
}

impl Run<'_> {
    pub(super) fn job(&self) -> JobId {
        self.outcome.job
    }

    /// Answers that broke off so far on the current model and on the other one.
    pub(super) fn broken_off(&self) -> (u32, u32) {
        self.on_model_and_other(self.broken_off)
    }

    /// A per-model count as (on the current model, on the other one).
    pub(super) fn on_model_and_other(&self, [primary, fallback]: [u32; 2]) -> (u32, u32) {
        match self.role {
            Role::Primary => (primary, fallback),
            Role::Fallback => (fallback, primary),
        }
    }

    pub(super) fn model(&self) -> &ModelEntry {
        match (self.role, &self.fallback) {
            (Role::Fallback, Some(fallback)) => fallback,
            _ => &self.primary,
        }
    }
}

/// How a job ends.
pub(super) enum End {
    /// With a status and a reason.
    Finish(JobState, String),
    /// Out of budget: it stays in the queue.
    Budget(String),
    /// Cancelled.
    Cancelled,
    /// Not sent because Peel is quitting: back to the queue, for the next start.
    Interrupted,
    /// An image to deliver, from this model.
    Deliver(Box<(ModelEntry, Received)>),
}

impl Engine {
    /// Runs a stored job to its end and records the result in the store.
    pub async fn run_job(
        &self,
        job: JobId,
        spec: &JobSpec,
        events: &EventSink,
        control: &JobControl,
    ) -> JobOutcome {
        if !self.claim(job).await {
            return self.elsewhere(job, events).await;
        }
        let _claim = self.keep_claim(job);
        let (control, _cancel_watch) = self.watch_cancel(job, control);
        let control = &control;
        let mut run = match self.start(job, spec, events).await {
            Ok(run) => run,
            Err(outcome) => return outcome,
        };
        loop {
            let permit = match self.gate(&mut run, events, control).await {
                Gate::Send(permit) => permit,
                Gate::Again => continue,
                Gate::End(end) => return self.end(run, end, events).await,
            };
            let attempted = match self.attempt(&mut run, permit, events, control).await {
                Ok(attempted) => attempted,
                Err(NotSent::Throttled { wait_s, reason }) => {
                    match self
                        .wait_then_again(&mut run, wait_s, reason, events, control)
                        .await
                    {
                        Gate::End(end) => return self.end(run, end, events).await,
                        Gate::Again | Gate::Send(_) => continue,
                    }
                }
                Err(NotSent::End(end)) => return self.end(run, end, events).await,
            };
            if let Some(end) = self.act(&mut run, attempted, events, control).await {
                return self.end(run, end, events).await;
            }
        }
    }

    /// A job another Peel process holds (or that has ended meanwhile): left alone, and said so.
    async fn elsewhere(&self, job: JobId, events: &EventSink) -> JobOutcome {
        let state = self
            .db(move |store| store.job(job))
            .await
            .ok()
            .flatten()
            .map_or(JobState::Running, |record| record.state);
        let mut outcome = JobOutcome::new(job);
        outcome.status = state;
        outcome.reason = match state {
            JobState::Running | JobState::Queued | JobState::Parked => {
                "running in another Peel (a window or peel generate on the same data folder)"
                    .to_owned()
            }
            JobState::Cancelled => "cancelled: it is never sent again".to_owned(),
            _ => "already finished by another Peel on the same data folder".to_owned(),
        };
        events
            .send(Event::Finished(Box::new(outcome.clone())))
            .await;
        outcome
    }

    /// Marks the job running, picks its models and reads an edit's earlier turns back; a primary
    /// known to be gone, locked out or tripped sends the job to the fallback at once.
    async fn start<'s>(
        &self,
        job: JobId,
        spec: &'s JobSpec,
        events: &EventSink,
    ) -> Result<Run<'s>, JobOutcome> {
        let _ = self
            .db(move |store| store.set_state(job, JobState::Running, None, None, Timestamp::now()))
            .await;
        let mut outcome = JobOutcome::new(job);
        // Earlier attempts (a resumed job, an answer lost when Peel stopped) stay on its
        // timeline and in its cost, so the next request shows as a re-send.
        if let Ok(earlier) = self.db(move |store| store.attempts(job)).await {
            outcome.cost_usd = earlier.iter().map(|attempt| attempt.cost_usd).sum();
            outcome.attempts = earlier;
        }
        let Some(primary) = self.entry(&spec.model) else {
            let reason = "no model".to_owned();
            return Err(self
                .finish(outcome, JobState::Stopped, reason, events)
                .await);
        };
        let fallback = spec
            .fallback
            .as_deref()
            .filter(|f| *f != spec.model)
            .and_then(|id| self.entry(id));
        // The references and earlier turns are checked (read, hashes compared, the request
        // weighed) now, then let go: a job waiting in the queue holds their names only, and
        // each attempt reads them again to build its request.
        let data_dir = self.store().data_dir();
        let reading = self.reading_inputs.acquire().await;
        let checked = resolve_inputs(spec, &data_dir, &primary, fallback.as_ref()).await;
        drop(reading);
        if let Err(reason) = checked {
            return Err(self
                .finish(outcome, JobState::Stopped, reason, events)
                .await);
        }
        let mut run = Run {
            spec,
            outcome,
            primary,
            fallback,
            role: Role::Primary,
            spent: Spent {
                day_usd: self.spend_today().await,
                ..Spent::default()
            },
            primary_server_failures: 0,
            retries_on_model: 0,
            empty_answer_retries: 0,
            last_kind: None,
            broken_off: [0, 0],
            malformed: [0, 0],
            in_flight: None,
        };
        if let Some(fallback) = &run.fallback
            && !self.model_usable(&run.primary.id).await
            && self.model_usable(&fallback.id).await
        {
            let reason = self.why_not_usable(&run.primary).await;
            run.role = Role::Fallback;
            announce_fallback(
                &mut run.outcome,
                spec,
                &run.primary,
                fallback,
                reason,
                events,
            )
            .await;
        }
        Ok(run)
    }

    fn entry(&self, id: &str) -> Option<ModelEntry> {
        self.catalog.get(id).cloned().or_else(|| unknown_entry(id))
    }

    /// Why a model that [`Engine::model_usable`] refused cannot take requests now.
    pub(super) async fn why_not_usable(&self, model: &ModelEntry) -> String {
        if self.health.unlisted(&model.id) {
            unlisted_reason(&model.id)
        } else if self.health.not_found(&model.id) {
            format!(
                "{} was not found (retired or misspelled) earlier in this session",
                model.id
            )
        } else if let Some(until) = self.locked_until(&model.id).await {
            format!("{} is out of daily quota until {until}", model.display_name)
        } else {
            format!(
                "{}'s circuit breaker is open after repeated server failures",
                model.display_name
            )
        }
    }

    /// Does what the policy decided; `Some` when the job ends.
    async fn act(
        &self,
        run: &mut Run<'_>,
        attempted: Attempted,
        events: &EventSink,
        control: &JobControl,
    ) -> Option<End> {
        match attempted.action {
            Action::Done => Some(match attempted.answered {
                Ok(answer) if answer.received.final_image.is_some() => {
                    End::Deliver(Box::new((run.model().clone(), answer.received)))
                }
                _ => End::Finish(JobState::Stopped, "the answer had no image".to_owned()),
            }),
            Action::Stop { reason } => Some(End::Finish(JobState::Stopped, reason)),
            Action::Park { until, reason } => {
                run.outcome.parked_until = until;
                Some(End::Finish(JobState::Parked, reason))
            }
            Action::Retry {
                role: next,
                wait_s,
                reason,
            } => {
                if next != run.role
                    && let (Role::Fallback, Some(fallback)) = (next, &run.fallback)
                {
                    let (spec, primary) = (run.spec, &run.primary);
                    announce_fallback(
                        &mut run.outcome,
                        spec,
                        primary,
                        fallback,
                        reason.clone(),
                        events,
                    )
                    .await;
                    run.role = next;
                    run.retries_on_model = 0;
                }
                // The answer is in and nothing is delivered: no longer in flight while it waits.
                run.in_flight = None;
                if let Err(exceeded) = self.budget().allows(&run.spent, wait_s, 0.0) {
                    return Some(End::Budget(exceeded.to_string()));
                }
                if wait_s > 0.0 {
                    let waited =
                        announce_and_wait(run.job(), wait_s, reason, events, control).await;
                    if let Waited::Cancelled = waited {
                        return Some(End::Cancelled);
                    }
                    run.spent.wait_s += wait_s;
                }
                None
            }
        }
    }

    /// Ends the job: records it and tells the listeners.
    async fn end(&self, run: Run<'_>, end: End, events: &EventSink) -> JobOutcome {
        let prompt = run.spec.prompt.clone();
        // Its interim images go before the listeners hear it ended (they are not its result).
        if run.outcome.thoughts.iter().any(|t| t.image.is_some()) {
            self.forget_interim_images(run.job()).await;
        }
        // Boxed: delivering (checks, writes, the turn) is the largest step of a job's future.
        let outcome = Box::pin(self.end_job(run, end, events)).await;
        self.learn_names(&prompt, &outcome).await;
        outcome
    }

    /// [`Self::end`] before the name memory learns from it.
    async fn end_job(&self, run: Run<'_>, end: End, events: &EventSink) -> JobOutcome {
        match end {
            End::Finish(status, reason) => self.finish(run.outcome, status, reason, events).await,
            End::Budget(reason) => self.park_for_budget(run.outcome, &reason, events).await,
            End::Cancelled => self.cancelled(run.outcome, events).await,
            End::Interrupted => {
                let reason = "Not sent: Peel was quitting. The job stays in the queue and runs when Peel next starts.".to_owned();
                self.finish(run.outcome, JobState::Queued, reason, events)
                    .await
            }
            End::Deliver(delivery) => {
                let (model, received) = *delivery;
                let facts = provenance_of(&run, &model);
                let outcome = self
                    .deliver(run.outcome, &model, received, facts, events)
                    .await;
                if outcome.status == JobState::Delivered
                    && let Some(original) = run.spec.rewrite_of
                {
                    self.remember_rewrite(original, &run.spec.prompt, events)
                        .await;
                }
                outcome
            }
        }
    }
}

/// Tells the listeners about a wait, then waits it (or until "retry now" or a cancel).
pub(super) async fn announce_and_wait(
    job: JobId,
    wait_s: f64,
    reason: String,
    events: &EventSink,
    control: &JobControl,
) -> Waited {
    let until = Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from_secs_f64(wait_s).unwrap_or_default())
        .unwrap_or_else(|_| Timestamp::now());
    // Listening for Retry now before the countdown shows, so a press is never missed.
    let armed = control.retry_now.notified();
    tokio::pin!(armed);
    armed.as_mut().enable();
    events
        .send(Event::Waiting {
            job,
            wait_s,
            until,
            reason,
        })
        .await;
    wait_armed(wait_s, control, armed).await
}

/// The job's facts for the image file's provenance: what was sent to `model` (the answer's own
/// facts are added on delivery).
fn provenance_of(run: &Run<'_>, model: &ModelEntry) -> Provenance {
    let fitted = fit(run.spec, model);
    Provenance {
        model: model.id.clone(),
        aspect_ratio: fitted.aspect_ratio,
        image_size: fitted.image_size,
        attempts: u32::try_from(run.outcome.attempts.len()).unwrap_or(u32::MAX),
        fallback_used: matches!(run.role, Role::Fallback),
        cost_usd: run.outcome.cost_usd,
        ..Provenance::from_spec(run.spec, fitted.references)
    }
}

/// Records on the outcome what the fallback changes ("4K to 1K") and tells the listeners.
async fn announce_fallback(
    outcome: &mut JobOutcome,
    spec: &JobSpec,
    primary: &ModelEntry,
    fallback: &ModelEntry,
    reason: String,
    events: &EventSink,
) {
    let changes = fit(spec, fallback).changes;
    outcome.changes.clone_from(&changes);
    let job = outcome.job;
    events
        .send(Event::FellBack {
            job,
            from: primary.id.clone(),
            to: fallback.id.clone(),
            reason,
            changes,
        })
        .await;
}

/// What the gate decided.
pub(super) enum Gate<'e> {
    /// Send, with the breaker's permit.
    Send(Permit<'e>),
    /// Look again (after a wait, or when the probe was taken).
    Again,
    /// The job ends here.
    End(End),
}

impl Engine {
    /// May a request go now?
    pub(super) async fn gate(
        &self,
        run: &mut Run<'_>,
        events: &EventSink,
        control: &JobControl,
    ) -> Gate<'_> {
        let model = run.model().clone();
        // The request before this one is done with: no longer in flight.
        run.in_flight = None;
        if self.is_stopping() {
            return Gate::End(End::Interrupted);
        }
        // The disk refused the last image: another request would pay for an image that could
        // not be kept either. Wait (looked at again with the other parked jobs) until it is saved.
        if self.holds_any_image() {
            run.outcome.parked_until = Timestamp::now()
                .checked_add(jiff::SignedDuration::from_secs(
                    super::RESUME_CHECK_S.cast_signed(),
                ))
                .ok();
            return Gate::End(End::Finish(
                JobState::Parked,
                "Waiting: the disk refused the last image Peel received (it is held in memory), so this job is not sent until that image is saved; nothing more is paid for meanwhile. Free space or make the output folder writable.".to_owned(),
            ));
        }
        // A known daily lockout: never send to that model before its reset.
        if let Some(until) = self.locked_until(&model.id).await {
            run.outcome.parked_until = Some(until);
            let reason = format!(
                "{} is out of daily quota until {until} (midnight Pacific)",
                model.display_name
            );
            return Gate::End(End::Finish(JobState::Parked, reason));
        }
        // An open breaker (and no fallback to go to): wait for its probe instead of hammering.
        if let Some(until_s) = self.health.breaker_blocked_until_s(&model.id) {
            let wait_s = (until_s - self.health.now_s()).max(0.0);
            let reason = format!(
                "{}'s circuit breaker is open after repeated server failures",
                model.display_name
            );
            return self
                .wait_then_again(run, wait_s, reason, events, control)
                .await;
        }
        let size = fit(run.spec, &model).size_or_default();
        let worst_case = worst_case_cost_usd(&model, &size);
        if let Err(exceeded) = self.budget().allows(&run.spent, 0.0, worst_case) {
            return Gate::End(End::Budget(exceeded.to_string()));
        }
        // The breaker's permission (a half-open breaker lets one probe through).
        let Some(permit) = self.health.permit(&model.id) else {
            return Gate::Again;
        };
        // Peel's own rate limit is taken last of all, in the attempt, right before the request
        // leaves (so Peel never causes a 429 and counts only what it sends).
        Gate::Send(permit)
    }

    /// Waits (within the budget), then asks the gate again.
    async fn wait_then_again(
        &self,
        run: &mut Run<'_>,
        wait_s: f64,
        reason: String,
        events: &EventSink,
        control: &JobControl,
    ) -> Gate<'_> {
        if let Err(exceeded) = self.budget().allows(&run.spent, wait_s, 0.0) {
            return Gate::End(End::Budget(exceeded.to_string()));
        }
        if let Waited::Cancelled =
            announce_and_wait(run.job(), wait_s, reason, events, control).await
        {
            return Gate::End(End::Cancelled);
        }
        run.spent.wait_s += wait_s;
        Gate::Again
    }
}
