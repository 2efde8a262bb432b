//! One attempt of a job: the request written to the history before it leaves, sent (and
//! dropped if the job is cancelled meanwhile, recorded as cancelled after sending), its answer's
//! images checked, diagnosed, learned from (breakers, limiters, daily lockouts), recorded, and
//! the policy asked what next. [`super::job`] runs the attempts; [`super::delivery`] keeps the
//! image of the last one.

use jiff::Timestamp;

use super::control::JobControl;
use super::edits::resolve_inputs;
use super::engine::Engine;
use super::fitting::{Fitted, fit, request_for};
use super::health::Permit;
use super::job::{End, Run};
use super::protocol::{AttemptRecord, AttemptReport, Event, JobState};
use super::received::{Answered, Expected, take_in};
use super::sink::EventSink;
use crate::api::catalog::ModelEntry;
use crate::api::wire::GenerateContentRequest;
use crate::api::{ApiError, GenerateOutcome, TransportFailure};
use crate::diagnosis::excerpt::shown_response;
use crate::diagnosis::{Diagnosis, DiagnosisContext, Evidence, Kind, diagnose, with_broken_image};
use crate::job::{ATTEMPT_CANCELLED_IN_FLIGHT, ATTEMPT_IN_FLIGHT};
use crate::resilience::budget::{cost_usd, worst_case_cost_usd};
use crate::resilience::policy::is_server_failure;
use crate::resilience::{Action, JobFacts, Role};
use crate::store::attempts::AttemptId;

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
pub(super) struct Attempted {
    /// What the policy decided.
    pub(super) action: Action,
    /// The answer, its images checked, or the error.
    pub(super) answered: Result<Answered, ApiError>,
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

/// Why an attempt's request did not go (or did not come back).
pub(super) enum NotSent {
    /// The job ends here (cancelled, Peel quitting, the attempt could not be recorded, …).
    End(End),
    /// Peel's own rate limit: wait `wait_s`, then ask the gate again.
    Throttled {
        /// Seconds until a slot frees.
        wait_s: f64,
        /// Why, for the countdown.
        reason: String,
    },
}

impl From<End> for NotSent {
    fn from(end: End) -> Self {
        NotSent::End(end)
    }
}

impl Engine {
    /// Sends one request and learns from its answer; `Err` with how the job ends when it was
    /// not sent (cancelled, Peel quitting, the attempt could not be recorded) or was cancelled
    /// in flight (the permit is dropped unreported, which gives a breaker's probe back).
    pub(super) async fn attempt(
        &self,
        run: &mut Run<'_>,
        permit: Permit<'_>,
        events: &EventSink,
        control: &JobControl,
    ) -> Result<Attempted, NotSent> {
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

    /// Writes the attempt (its likely cost included) before its request leaves; `Err` when the
    /// job may not send now (cancelled by any process) or the attempt could not be written
    /// (then nothing is sent: nothing leaves unrecorded).
    async fn record_before_sending(
        &self,
        run: &Run<'_>,
        model: &ModelEntry,
        fitted: &Fitted,
    ) -> Result<(AttemptId, AttemptRecord), NotSent> {
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
            Ok(None) => return Err(End::Cancelled.into()),
            Err(error) => {
                return Err(End::Finish(
                    JobState::Parked,
                    format!(
                        "Not sent: Peel records every request before it leaves, and this one could not be recorded ({error}). The job stays in the queue; retry it once the data folder can be written."
                    ),
                )
                .into());
            }
        };
        Ok((attempt_id, pending))
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
    ) -> Result<Sent, NotSent> {
        if self.is_stopping() {
            return Err(End::Interrupted.into());
        }
        // Read back only now, for this request (see `start`).
        let data_dir = self.store().data_dir();
        let reading = self.reading_inputs.acquire().await;
        let inputs =
            match resolve_inputs(run.spec, &data_dir, &run.primary, run.fallback.as_ref()).await {
                Ok(inputs) => inputs,
                Err(reason) => return Err(End::Finish(JobState::Stopped, reason).into()),
            };
        drop(reading);
        let (attempt_id, pending) = self.record_before_sending(run, model, fitted).await?;
        let started_at = pending.started_at;
        self.take_rate_slot(model, attempt_id).await?;
        let mut cancelled = control.cancelled.clone();
        if *cancelled.borrow() {
            // Cancelled while the attempt was being written: it never left, so its row goes.
            let _ = self
                .db(move |store| store.forget_unsent_attempt(attempt_id))
                .await;
            return Err(End::Cancelled.into());
        }
        run.in_flight = Some(self.count_in_flight());
        run.spent.attempts += 1;
        events
            .send(Event::AttemptStarted {
                job: run.job(),
                attempt: run.spent.attempts,
                model: model.id.clone(),
                image_size: fitted.size_or_default(),
                sent_at: Timestamp::now(),
            })
            .await;
        let request = request_for(run.spec, &inputs.history, &inputs.references, fitted);
        drop(inputs);
        let clock = tokio::time::Instant::now();
        let answered = self
            .call(
                run,
                &model.id,
                fitted.thinks,
                &request,
                events,
                &mut cancelled,
            )
            .await;
        let Some(result) = answered else {
            let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.cancelled_in_flight(run, attempt_id, pending, duration_ms)
                .await;
            return Err(End::Cancelled.into());
        };
        Ok(Sent {
            attempt_id,
            result,
            started_at,
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Peel's own rate limit, taken last, right before the request leaves: the slot's time is the
    /// send's time (a sped-up simulator's minute is 3 s, so even a short delay between the two
    /// would let a burst through). Throttled, the attempt was never sent: its row goes.
    async fn take_rate_slot(
        &self,
        model: &ModelEntry,
        attempt_id: AttemptId,
    ) -> Result<(), NotSent> {
        let Err(throttled) = self.health.acquire(&model.id) else {
            return Ok(());
        };
        let _ = self
            .db(move |store| store.forget_unsent_attempt(attempt_id))
            .await;
        Err(NotSent::Throttled {
            wait_s: throttled.wait_s,
            reason: format!(
                "Peel's own limit ({}) for {}",
                throttled.limit, model.display_name
            ),
        })
    }

    /// Sends `request` to `model` and waits for its answer; `None` when `cancelled` turned true
    /// first (checked first: a job cancelled by now is never polled into sending). A thinking
    /// model's answer streams, so its thoughts show as they arrive.
    async fn call(
        &self,
        run: &mut Run<'_>,
        model: &str,
        thinks: bool,
        request: &GenerateContentRequest,
        events: &EventSink,
        cancelled: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Option<Result<GenerateOutcome, ApiError>> {
        let client = self.client();
        if thinks {
            // Boxed: the stream's reading and merging would make every job's future large.
            return Box::pin(
                self.stream_with_thoughts(run, &client, model, request, events, cancelled),
            )
            .await;
        }
        tokio::select! {
            biased;
            _ = cancelled.wait_for(|c| *c) => None,
            result = client.generate_content(model, request) => Some(result),
        }
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
}
