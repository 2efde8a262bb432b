//! The gate before each attempt of a job: may a request go now? A quit in progress sends the job
//! back to the queue; a held image (the disk refused the last one) or a daily lockout parks it;
//! an open breaker waits; the budget can stop it; then the breaker's permit, and Peel's own rate
//! limit last, so a slot is taken only by a request that really goes (never by one the budget
//! or the breaker refused).

use jiff::Timestamp;

use super::control::{JobControl, Waited};
use super::engine::Engine;
use super::fitting::fit;
use super::health::Permit;
use super::job::{End, Run, announce_and_wait};
use super::protocol::JobState;
use super::sink::EventSink;
use crate::resilience::budget::worst_case_cost_usd;

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
        // Peel's own limits last, so Peel never causes a 429 and counts only what it sends.
        if let Err(throttled) = self.health.acquire(&model.id) {
            // Unreported, the permit gives a half-open breaker's probe back.
            drop(permit);
            let reason = format!(
                "Peel's own limit ({}) for {}",
                throttled.limit, model.display_name
            );
            return self
                .wait_then_again(run, throttled.wait_s, reason, events, control)
                .await;
        }
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
