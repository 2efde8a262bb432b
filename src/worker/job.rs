//! One job from start to end. [`Engine::run_job`] reads as a loop of three steps:
//!
//! 1. **gate**: may a request go now? (a daily lockout parks the job; an open breaker or Peel's
//!    own rate limit waits; the budget can stop it; the breaker hands out the permit),
//! 2. **attempt**: send, check the answer's images, diagnose, learn, record, and ask the policy,
//! 3. **act**: deliver, stop, park, or retry (after a wait, perhaps on the fallback).
//!
//! The gate is its own file ([`super::gate`]).

use jiff::Timestamp;

use super::control::{JobControl, Waited, wait_armed};
use super::edits::resolve_inputs;
use super::engine::Engine;
use super::fitting::{Fitted, fit, request_for, unknown_entry};
use super::gate::Gate;
use super::health::Permit;
use super::protocol::{AttemptRecord, AttemptReport, Event, JobId, JobOutcome, JobSpec, JobState};
use super::received::{Answered, Expected, Received, take_in};
use super::sink::EventSink;
use super::stopping::InFlight;
use crate::api::catalog::ModelEntry;
use crate::api::live_models::unlisted_reason;
use crate::api::{ApiError, GenerateOutcome, TransportFailure};
use crate::diagnosis::excerpt::shown_response;
use crate::diagnosis::{Diagnosis, DiagnosisContext, Evidence, Kind, diagnose, with_broken_image};
use crate::job::{ATTEMPT_CANCELLED_IN_FLIGHT, ATTEMPT_IN_FLIGHT};
use crate::provenance::Provenance;
use crate::resilience::budget::{cost_usd, worst_case_cost_usd};
use crate::resilience::policy::is_server_failure;
use crate::resilience::{Action, JobFacts, Role, Spent};
use crate::store::attempts::AttemptId;

/// A running job between attempts.
pub(super) struct Run<'s> {
    pub(super) spec: &'s JobSpec,
    pub(super) outcome: JobOutcome,
    primary: ModelEntry,
    fallback: Option<ModelEntry>,
    role: Role,
    pub(super) spent: Spent,
    primary_server_failures: u32,
    retries_on_model: u32,
    empty_answer_retries: u32,
    last_kind: Option<Kind>,
    /// Answers that broke off (stalled, trickled, cut) on the primary and on the fallback.
    broken_off: [u32; 2],
    /// Answers that were not Gemini's JSON (a proxy or portal) on the primary and the fallback.
    malformed: [u32; 2],
    /// The request sent last, counted in flight until its image is on disk or the next gate.
    pub(super) in_flight: Option<InFlight>,
}

impl Run<'_> {
    pub(super) fn job(&self) -> JobId {
        self.outcome.job
    }

    /// Answers that broke off so far on the current model and on the other one.
    fn broken_off(&self) -> (u32, u32) {
        self.on_model_and_other(self.broken_off)
    }

    /// A per-model count as (on the current model, on the other one).
    fn on_model_and_other(&self, [primary, fallback]: [u32; 2]) -> (u32, u32) {
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

/// A request sent, and what came back.
struct Sent {
    /// Its row, written before it left.
    attempt_id: AttemptId,
    result: Result<GenerateOutcome, ApiError>,
    started_at: Timestamp,
    duration_ms: u64,
}

/// What the request makes the model draw: its longest side, when the catalog knows it.
fn expected(model: &ModelEntry, fitted: &Fitted) -> Expected {
    let size = fitted.size_or_default();
    Expected {
        long_side_px: fitted.aspect_ratio.as_deref().and_then(|ratio| {
            model
                .pixel_size(ratio, &size)
                .map(|[width, height]| width.max(height))
        }),
    }
}

/// One attempt's result, for the act step.
struct Attempted {
    action: Action,
    answered: Result<Answered, ApiError>,
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
                Err(end) => return self.end(run, end, events).await,
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
    async fn why_not_usable(&self, model: &ModelEntry) -> String {
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

    /// Sends one request and learns from its answer; `Err` with how the job ends when it was
    /// not sent (cancelled, Peel quitting, the attempt could not be recorded) or was cancelled
    /// in flight (the permit is dropped unreported, which gives a breaker's probe back).
    async fn attempt(
        &self,
        run: &mut Run<'_>,
        permit: Permit<'_>,
        events: &EventSink,
        control: &JobControl,
    ) -> Result<Attempted, End> {
        let model = run.model().clone();
        let fitted = fit(run.spec, &model);
        let size = fitted.size_or_default();
        let sent = self.send(run, &model, &fitted, events, control).await?;
        let attempt_id = sent.attempt_id;
        let answered = match sent.result {
            Ok(answer) => Ok(take_in(answer, expected(&model, &fitted)).await),
            Err(error) => Err(error),
        };
        let diagnosis = diagnosis_of(&answered, &model.id);
        let usage = answered
            .as_ref()
            .ok()
            .and_then(|a| a.received.response.usage_metadata.clone());
        // Google bills a broken image like a good one.
        let images = u32::from(matches!(diagnosis.kind, Kind::Success | Kind::ImageBroken));
        let cost = cost_usd(&model, usage.as_ref(), &size, images);
        run.spent.job_usd += cost;
        run.spent.day_usd += cost;
        run.outcome.cost_usd += cost;
        self.learn(&model, permit, &diagnosis, events).await;
        let transport = match &answered {
            Err(ApiError::Transport { failure, .. }) => Some(*failure),
            _ => None,
        };
        let action = self.decide(run, &diagnosis, transport).await;
        let record = AttemptRecord {
            model: model.id.clone(),
            started_at: sent.started_at,
            duration_ms: sent.duration_ms,
            kind: diagnosis.kind.id().to_owned(),
            http_status: diagnosis.http_status,
            wait_s: action.wait_s(),
            wait_reason: action.reason().map(str::to_owned),
            input_tokens: usage.as_ref().and_then(|u| u.prompt_token_count),
            output_tokens: usage.as_ref().and_then(|u| u.candidates_token_count),
            cost_usd: cost,
        };
        let response = match &answered {
            Ok(answer) => shown_response(&answer.evidence()),
            Err(error) => shown_response(&Evidence::from(error)),
        };
        self.report(run, attempt_id, record, &diagnosis, response, events)
            .await;
        count(run, &diagnosis, transport);
        run.outcome.diagnosis = Some(diagnosis);
        Ok(Attempted { action, answered })
    }

    /// Writes the attempt, tells the listeners it starts, and sends it. `Err` with how the job
    /// ends when it may not be sent (cancelled by any process, Peel quitting, the attempt could
    /// not be written: nothing leaves unrecorded) or was cancelled before the answer came.
    async fn send(
        &self,
        run: &mut Run<'_>,
        model: &ModelEntry,
        fitted: &Fitted,
        events: &EventSink,
        control: &JobControl,
    ) -> Result<Sent, End> {
        if self.is_stopping() {
            return Err(End::Interrupted);
        }
        // Read back only now, for this request (see `start`).
        let data_dir = self.store().data_dir();
        let reading = self.reading_inputs.acquire().await;
        let inputs =
            match resolve_inputs(run.spec, &data_dir, &run.primary, run.fallback.as_ref()).await {
                Ok(inputs) => inputs,
                Err(reason) => return Err(End::Finish(JobState::Stopped, reason)),
            };
        drop(reading);
        let started_at = Timestamp::now();
        let pending = AttemptRecord {
            model: model.id.clone(),
            started_at,
            duration_ms: 0,
            kind: ATTEMPT_IN_FLIGHT.to_owned(),
            http_status: None,
            wait_s: None,
            wait_reason: None,
            input_tokens: None,
            output_tokens: None,
            // What it will probably cost; the answer's usage replaces it.
            cost_usd: worst_case_cost_usd(model, &fitted.size_or_default()),
        };
        let (job, owner, written) = (run.job(), self.owner.clone(), pending.clone());
        let attempt_id = match self
            .db(move |store| store.begin_attempt(job, &owner, &written))
            .await
        {
            Ok(Some(id)) => id,
            Ok(None) => return Err(End::Cancelled),
            Err(error) => {
                return Err(End::Finish(
                    JobState::Parked,
                    format!(
                        "Not sent: Peel records every request before it leaves, and this one could not be recorded ({error}). The job stays in the queue; retry it once the data folder can be written."
                    ),
                ));
            }
        };
        run.in_flight = Some(self.count_in_flight());
        run.spent.attempts += 1;
        events
            .send(Event::AttemptStarted {
                job: run.job(),
                attempt: run.spent.attempts,
                model: model.id.clone(),
            })
            .await;
        let request = request_for(run.spec, &inputs.history, &inputs.references, fitted);
        drop(inputs);
        let client = self.client();
        let clock = tokio::time::Instant::now();
        let mut cancelled = control.cancelled.clone();
        let answered = tokio::select! {
            result = client.generate_content(&model.id, &request) => Some(result),
            _ = cancelled.wait_for(|c| *c) => None,
        };
        let Some(result) = answered else {
            let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.cancelled_in_flight(run, attempt_id, pending, duration_ms)
                .await;
            return Err(End::Cancelled);
        };
        Ok(Sent {
            attempt_id,
            result,
            started_at,
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Records a request dropped by a cancel after it left: it may be billed, so its estimated
    /// cost counts in the job's cost and the day's spend.
    async fn cancelled_in_flight(
        &self,
        run: &mut Run<'_>,
        attempt_id: AttemptId,
        pending: AttemptRecord,
        duration_ms: u64,
    ) {
        let _ = self
            .db(move |store| store.cancel_attempt(attempt_id, duration_ms))
            .await;
        run.spent.job_usd += pending.cost_usd;
        run.spent.day_usd += pending.cost_usd;
        run.outcome.cost_usd += pending.cost_usd;
        run.outcome.attempts.push(AttemptRecord {
            kind: ATTEMPT_CANCELLED_IN_FLIGHT.to_owned(),
            duration_ms,
            ..pending
        });
        run.in_flight = None;
    }

    /// Records the attempt (store, outcome) and tells the listeners.
    async fn report(
        &self,
        run: &mut Run<'_>,
        attempt_id: AttemptId,
        record: AttemptRecord,
        diagnosis: &Diagnosis,
        response: String,
        events: &EventSink,
    ) {
        let job = run.job();
        let stored = record.clone();
        let _ = self
            .db(move |store| store.settle_attempt(attempt_id, &stored))
            .await;
        events
            .send(Event::AttemptEnded {
                job,
                report: Box::new(AttemptReport {
                    record: record.clone(),
                    diagnosis: diagnosis.clone(),
                    response,
                }),
            })
            .await;
        run.outcome.attempts.push(record);
    }

    /// The breaker and the limiter learn from the answer; a daily quota locks the model out.
    async fn learn(
        &self,
        model: &ModelEntry,
        permit: Permit<'_>,
        diagnosis: &Diagnosis,
        events: &EventSink,
    ) {
        if let Some(state) = self.health.learn(permit, diagnosis) {
            events
                .send(Event::BreakerChanged {
                    model: model.id.clone(),
                    state,
                })
                .await;
        }
        if diagnosis.kind == Kind::QuotaDaily
            && let Some(until) = diagnosis.resets_at
        {
            let model = model.id.clone();
            let _ = self
                .db(move |store| store.set_lockout(&model, until, "daily quota used up"))
                .await;
        }
    }

    /// Asks the policy what to do after `diagnosis`.
    async fn decide(
        &self,
        run: &Run<'_>,
        diagnosis: &Diagnosis,
        transport: Option<TransportFailure>,
    ) -> Action {
        let fallback_usable = match (&run.role, &run.fallback) {
            (Role::Primary, Some(fallback)) => self.model_usable(&fallback.id).await,
            _ => false,
        };
        let on_primary = run.role == Role::Primary;
        let (broken_off_on_model, broken_off_on_other) = run.broken_off();
        let (malformed_on_model, malformed_on_other) = run.on_model_and_other(run.malformed);
        let facts = JobFacts {
            role: run.role,
            fallback_usable,
            primary_server_failures: run.primary_server_failures
                + u32::from(on_primary && is_server_failure(diagnosis.kind)),
            retries_on_model: run.retries_on_model,
            empty_answer_retries: run.empty_answer_retries,
            transport,
            broken_off_on_model: broken_off_on_model
                + u32::from(transport.is_some_and(TransportFailure::is_broken_off)),
            broken_off_on_other,
            malformed_on_model: malformed_on_model
                + u32::from(diagnosis.kind == Kind::ResponseMalformed),
            malformed_on_other,
        };
        let action = self
            .config
            .policy
            .decide(diagnosis, &facts, self.health.unit_random());
        self.say_why_no_fallback(run, diagnosis, facts, action)
            .await
    }

    /// When the policy would have fallen back had the fallback been usable, the action's reason
    /// says why it could not (not in the endpoint's model list, out of daily quota, …).
    async fn say_why_no_fallback(
        &self,
        run: &Run<'_>,
        diagnosis: &Diagnosis,
        facts: JobFacts,
        action: Action,
    ) -> Action {
        let Some(fallback) = run.fallback.as_ref().filter(|_| !facts.fallback_usable) else {
            return action;
        };
        if run.role != Role::Primary {
            return action;
        }
        let usable = JobFacts {
            fallback_usable: true,
            ..facts
        };
        let would_fall_back = matches!(
            self.config.policy.decide(diagnosis, &usable, 0.5),
            Action::Retry {
                role: Role::Fallback,
                ..
            }
        );
        if !would_fall_back {
            return action;
        }
        let why = self.why_not_usable(fallback).await;
        action.with_note(&format!("it could not fall back: {why}"))
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
        let outcome = self.end_job(run, end, events).await;
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

/// The diagnosis of one attempt: of the parsed answer (a broken image overrides a success), or
/// of the error.
fn diagnosis_of(answered: &Result<Answered, ApiError>, model: &str) -> Diagnosis {
    let context = DiagnosisContext::new(Timestamp::now()).with_model(model);
    match answered {
        Ok(answer) => {
            let diagnosis = diagnose(&answer.evidence(), &context);
            match &answer.received.problem {
                Some(problem) if diagnosis.kind == Kind::Success => {
                    with_broken_image(diagnosis, problem, &context)
                }
                _ => diagnosis,
            }
        }
        Err(error) => diagnose(&Evidence::from(error), &context),
    }
}

/// Counts the attempt for the policy's next decision.
fn count(run: &mut Run<'_>, diagnosis: &Diagnosis, transport: Option<TransportFailure>) {
    if transport.is_some_and(TransportFailure::is_broken_off) {
        run.broken_off[usize::from(run.role == Role::Fallback)] += 1;
    }
    if diagnosis.kind == Kind::ResponseMalformed {
        run.malformed[usize::from(run.role == Role::Fallback)] += 1;
    }
    if run.role == Role::Primary && is_server_failure(diagnosis.kind) {
        run.primary_server_failures += 1;
    }
    if matches!(
        diagnosis.kind,
        Kind::TextOnly | Kind::NoImage | Kind::ImageBroken
    ) {
        run.empty_answer_retries += 1;
    }
    run.retries_on_model = if run.last_kind == Some(diagnosis.kind) {
        run.retries_on_model + 1
    } else {
        0
    };
    run.last_kind = Some(diagnosis.kind);
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
