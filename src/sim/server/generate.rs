//! The `generateContent` pipeline: Google's checks in Google's order, then the scenario's faults,
//! the quotas, the safety layers and the answer, delivered after the time the real service takes
//! (streamed calls hand over to `stream` once the checks, faults and quotas have passed).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse as _, Response};

use crate::api::catalog::ModelEntry;
use crate::api::wire::GenerateContentResponse;
use crate::sim::answer::build_answer;
use crate::sim::bodies;
use crate::sim::faults::{Fault, scenario_fault};
use crate::sim::hostile::{self, Hostile};
use crate::sim::latency::{self, Work};
use crate::sim::quota::QuotaRefusal;
use crate::sim::safety::Verdict;
use crate::sim::validate::{self, Checked};

use super::{SimState, check_key, stream, version_ok};

pub(super) async fn generate(
    State(state): State<Arc<SimState>>,
    Path((version, rest)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.stats.requests.fetch_add(1, Ordering::Relaxed);
    let response = generate_inner(&state, &version, &rest, &query, &headers, &body).await;
    if !response.status().is_success() {
        state.stats.errors.fetch_add(1, Ordering::Relaxed);
    }
    response
}

/// A generate call that passed Google's request checks.
pub(super) struct Call {
    /// The key it came with.
    pub(super) key: String,
    /// The model called.
    pub(super) model: &'static ModelEntry,
    /// The checked request.
    pub(super) request: Checked,
    /// Whether it came to `:streamGenerateContent`.
    pub(super) streaming: bool,
}

pub(super) async fn generate_inner(
    state: &Arc<SimState>,
    version: &str,
    rest: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let call = match admit(state, version, rest, query, headers, body) {
        Ok(call) => call,
        Err(response) => return response,
    };
    let hostile = match inject_faults(state, &call).await {
        Ok(hostile) => hostile,
        Err(response) => return response,
    };
    if call.streaming {
        return stream::respond(state, &call, hostile, query).await;
    }
    let answer = match answer_in_time(state, &call, hostile).await {
        Ok(answer) => answer,
        Err(error) => return bodies::error(500, None, &error, Vec::new()),
    };
    deliver(state, &answer, hostile)
}

/// Google's request checks, in Google's order: version and method, key, model, then the body
/// (JSON, fields, images, history).
#[expect(
    clippy::result_large_err,
    reason = "a refusal is the HTTP answer itself"
)]
pub(super) fn admit(
    state: &SimState,
    version: &str,
    rest: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Call, Response> {
    if !version_ok(version) {
        return Err(bodies::error(
            404,
            None,
            "Requested entity was not found.",
            Vec::new(),
        ));
    }
    let Some((model_id, method)) = rest.split_once(':') else {
        return Err(bodies::error(
            404,
            None,
            "Requested entity was not found.",
            Vec::new(),
        ));
    };
    let streaming = match method {
        "generateContent" => false,
        "streamGenerateContent" => true,
        _ => return Err(bodies::model_not_found(model_id, version, method)),
    };
    let key = check_key(headers, query)?;
    let Some(model) = state.callable_model(model_id) else {
        return Err(bodies::model_not_found(model_id, version, method));
    };
    let request = validate::check(body, model)?;
    Ok(Call {
        key,
        model,
        request,
        streaming,
    })
}

/// What can go wrong before the model runs, in the real service's order: a fault a test trigger
/// forces, the scenario's server faults, the quotas, then the scenario's extra latency. `Ok` says
/// how the answer will lie, if it will.
pub(super) async fn inject_faults(
    state: &SimState,
    call: &Call,
) -> Result<Option<Hostile>, Response> {
    // Test triggers ("sim:overloaded" …) force a fault in any scenario.
    if let Some(fault) = Fault::triggered_by(&call.request.prompt) {
        return Err(fault.answer(state).await);
    }
    // The scenario's server faults come before quota accounting: an overloaded server never
    // reaches the quota system.
    let faults = state
        .scenario()
        .faults(call.model.id == state.catalog.primary);
    if let Some(fault) = scenario_fault(state, &faults) {
        return Err(fault.answer(state).await);
    }
    let hostile = Hostile::triggered_by(&call.request.prompt)
        .or_else(|| (state.roll() < faults.dropped).then_some(Hostile::Drop))
        .or_else(|| {
            // Only scenarios with hostile answers roll for them, so the others replay as before.
            (faults.hostile > 0.0)
                .then(|| Hostile::from_roll(state.roll(), faults.hostile, call.streaming))
                .flatten()
        });
    if let Some(refused) = check_quota(state, &call.key, call.model, call.request.input_tokens) {
        return Err(refused);
    }
    if faults.latency_s > 0.0 {
        tokio::time::sleep(state.clock.real(faults.latency_s)).await;
    }
    Ok(hostile)
}

/// Judges the prompt with the safety layers, and picks when the answer may leave.
pub(super) fn judge(state: &SimState, call: &Call) -> (Verdict, Option<Instant>) {
    let request = &call.request;
    let verdict = state.rules.judge(
        &request.prompt,
        &request.request.safety_settings,
        state.scenario().strict_safety(),
    );
    let until = answer_time(state, call.model, request, &verdict);
    (verdict, until)
}

/// Waits until `until`, if answers take time; a shutdown ends the wait at once (a closing window
/// should not wait for a model that is still "thinking").
pub(super) async fn wait_until(state: &SimState, until: Option<Instant>) {
    if let Some(until) = until {
        let mut stopping = state.stopping();
        tokio::select! {
            () = tokio::time::sleep_until(until.into()) => {}
            _ = stopping.wait_for(|stop| *stop) => {}
        }
    }
}

/// Counts the answer's image, and makes it lie the way `hostile` says (counted when it does).
pub(super) async fn count_and_corrupt(
    state: &SimState,
    call: &Call,
    hostile: Option<Hostile>,
    answer: &mut GenerateContentResponse,
) -> Result<(), String> {
    if answer.final_image().is_some() {
        state.stats.images.fetch_add(1, Ordering::Relaxed);
    }
    let lies = match hostile {
        None => false,
        Some(Hostile::HugeEvent) => {
            hostile::make_huge(answer, call.request.pixel_size, state.config.seed).await?
        }
        Some(kind) => kind.corrupt(answer),
    };
    if lies {
        state.stats.hostile.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Judges the prompt with the safety layers and builds the answer (lying if `hostile` says so),
/// which leaves no sooner than the real model would have finished "thinking" (drawing and
/// encoding count towards it).
pub(super) async fn answer_in_time(
    state: &Arc<SimState>,
    call: &Call,
    hostile: Option<Hostile>,
) -> Result<GenerateContentResponse, String> {
    let (verdict, until) = judge(state, call);
    let mut answer = build_answer(state, call.model, &call.request, &verdict, false).await?;
    count_and_corrupt(state, call, hostile, &mut answer).await?;
    wait_until(state, until).await;
    Ok(answer)
}

/// Sends a plain answer as JSON; a dropped or stalled body, or the 500 a broken stream stands
/// for, when `hostile` says so.
pub(super) fn deliver(
    state: &Arc<SimState>,
    answer: &GenerateContentResponse,
    hostile: Option<Hostile>,
) -> Response {
    let content_type = "application/json; charset=UTF-8";
    let text = match serde_json::to_string(answer) {
        Ok(text) => text,
        Err(error) => return bodies::error(500, None, &error.to_string(), Vec::new()),
    };
    match hostile {
        Some(Hostile::Drop | Hostile::StreamCut) => {
            state.stats.errors.fetch_add(1, Ordering::Relaxed);
            return hostile::dropped_mid_body(text, content_type);
        }
        Some(Hostile::StallBody) => return hostile::stalled_body(state, text, content_type),
        Some(Hostile::StreamError | Hostile::StreamErrorEvent) => {
            return bodies::error(500, None, bodies::INTERNAL_MESSAGE, Vec::new());
        }
        _ => {}
    }
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// When the answer may leave, if answers take real time: a pick from the model's range for this
/// size and outcome ([`latency::range_s`]), in real time.
pub(super) fn answer_time(
    state: &SimState,
    model: &ModelEntry,
    request: &Checked,
    verdict: &Verdict,
) -> Option<Instant> {
    if !state.config.generation_latency {
        return None;
    }
    let work = match verdict {
        Verdict::Prohibited { .. } | Verdict::PromptBlocked { .. } => Work::Refused,
        Verdict::TextOnly { .. } => Work::Text,
        Verdict::Pass if !request.wants_image => Work::Text,
        Verdict::Pass
        | Verdict::OutputBlocked { .. }
        | Verdict::NoImage
        | Verdict::ImageBlocked { .. } => Work::Image,
    };
    let range = latency::range_s(model, &request.image_size, work);
    let simulated_s = latency::pick_s(range, state.roll(), state.roll());
    Some(Instant::now() + state.clock.real(simulated_s))
}

/// Records the request against the key's quotas, or answers the 429.
pub(super) fn check_quota(
    state: &SimState,
    key: &str,
    model: &ModelEntry,
    input_tokens: u64,
) -> Option<Response> {
    let tier = state.scenario().tier();
    let admitted = state
        .quotas
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .admit(
            key,
            &model.id,
            input_tokens,
            tier.limits(),
            state.clock.now_s(),
            state.clock.quota_day(),
        );
    let refusal = admitted.err()?;
    let retry_after_real_s = match &refusal {
        QuotaRefusal::PerMinute { retry_after_s, .. }
        | QuotaRefusal::InputTokens { retry_after_s, .. } => state.clock.real_s(*retry_after_s),
        // Google's daily and zero-limit 429s also carry a short (misleading) delay.
        QuotaRefusal::PerDay { .. } => state.clock.real_s(10.0 + 50.0 * state.roll()),
        QuotaRefusal::Zero => state.roll(),
    };
    Some(bodies::quota_exceeded(
        &refusal,
        &model.id,
        tier.is_free(),
        retry_after_real_s,
    ))
}
