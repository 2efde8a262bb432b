//! The simulator's HTTP server (axum): `POST /{version}/models/{model}:generateContent` (and
//! `:streamGenerateContent`), `GET /{version}/models` and `GET /{version}/models/{model}`, for `v1`
//! and `v1beta`. Requests pass the checks Google makes, in Google's order: key, model, size, JSON,
//! fields, images, history; then the scenario's faults ([`super::faults`]), the quotas, the safety
//! layers, and the answer ([`super::answer`]). Answers take as long as the real service's
//! ([`super::latency`]) unless [`SimConfig::generation_latency`] is off, and some lie
//! ([`super::hostile`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

use super::answer::build_answer;
use super::bodies;
use super::clock::SimClock;
use super::faults::{Fault, scenario_fault};
use super::hostile::{self, Hostile};
use super::latency::{self, Work};
use super::quota::{QuotaBook, QuotaRefusal};
use super::safety::{SafetyRules, Verdict};
use super::scenario::Scenario;
use super::validate::{self, Checked};
use crate::api::catalog::{Catalog, ModelEntry};
use crate::api::wire::GenerateContentResponse;

/// Largest body the server reads; bigger ones are refused before parsing (Google's limit is 20 MB,
/// answered with its own 400, which needs the body read first).
pub const MAX_READ_BYTES: usize = 64 * 1024 * 1024;

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The scenario.
    pub scenario: Scenario,
    /// Seed for faults and pictures: the same seed replays the same run.
    pub seed: u64,
    /// Real seconds per simulated second (1.0 = real time; 0.01 shrinks a minute to 0.6 s).
    pub time_scale: f64,
    /// Simulated wall time at start (default: now). Daily quotas reset at midnight Pacific of it.
    pub start_at: Option<jiff::Timestamp>,
    /// Whether answers take as long as the real service's (Nano Banana Pro 12-60 s, flash models
    /// 3-12 s, scaled by `time_scale`). On by default and in the app and `peel sim`; tests that
    /// are about something else turn it off (`peel sim --instant`).
    pub generation_latency: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            scenario: Scenario::Calm,
            seed: 1,
            time_scale: 1.0,
            start_at: None,
            generation_latency: true,
        }
    }
}

/// Counters for tests and the CLI's goodbye line.
#[derive(Debug, Default)]
pub struct SimStats {
    /// Requests received.
    pub requests: AtomicU64,
    /// Images returned.
    pub images: AtomicU64,
    /// Error answers (any non-2xx) and dropped connections.
    pub errors: AtomicU64,
    /// Hostile `200`s sent (truncated, bomb, mime lie, stalled, dropped).
    pub hostile: AtomicU64,
    /// Stalled bodies still open (back to 0 once their clients hang up).
    pub stalls_open: AtomicU64,
}

/// Requests the simulator remembers for [`SimState::seen_requests`] (the oldest are dropped).
pub const SEEN_REQUESTS_KEPT: usize = 256;

/// A request as it arrived, for tests that check what a client sent (never its body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path and query as sent.
    pub uri: String,
    /// Every header, by lower-case name, with its value (lossy UTF-8).
    pub headers: Vec<(String, String)>,
}

/// Shared server state.
#[derive(Debug)]
pub struct SimState {
    pub(super) config: SimConfig,
    /// The scenario now (the app's picker changes it while the server runs).
    scenario: Mutex<Scenario>,
    pub(super) clock: SimClock,
    quotas: Mutex<QuotaBook>,
    rng: Mutex<StdRng>,
    counter: AtomicU64,
    rules: &'static SafetyRules,
    catalog: &'static Catalog,
    /// Set when the simulator shuts down, so stalled bodies and answer times end.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Counters.
    pub stats: SimStats,
    /// The last [`SEEN_REQUESTS_KEPT`] requests, oldest first.
    seen: Mutex<VecDeque<SeenRequest>>,
}

impl SimState {
    /// Fresh state for a config.
    pub fn new(config: SimConfig) -> Self {
        Self {
            clock: SimClock::starting_at(
                config.time_scale,
                config.start_at.unwrap_or_else(jiff::Timestamp::now),
            ),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            scenario: Mutex::new(config.scenario),
            config,
            quotas: Mutex::new(QuotaBook::default()),
            counter: AtomicU64::new(0),
            rules: SafetyRules::builtin(),
            catalog: Catalog::builtin(),
            stopping: tokio::sync::watch::Sender::new(false),
            stats: SimStats::default(),
            seen: Mutex::new(VecDeque::new()),
        }
    }

    /// The last [`SEEN_REQUESTS_KEPT`] requests, oldest first (method, URI and headers).
    pub fn seen_requests(&self) -> Vec<SeenRequest> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.iter().cloned().collect()
    }

    /// Remembers a request, forgetting the oldest when full.
    fn remember<B>(&self, request: &axum::http::Request<B>) {
        let seen_request = SeenRequest {
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() == SEEN_REQUESTS_KEPT {
            seen.pop_front();
        }
        seen.push_back(seen_request);
    }

    /// Ends every stalled body and every wait for a "thinking" model (the simulator is shutting
    /// down, and a closing window should not wait a minute for a simulated 4K answer).
    pub fn stop_waiting(&self) {
        self.stopping.send_replace(true);
    }

    /// Watches for the shutdown.
    pub(crate) fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// The scenario the server plays now.
    pub fn scenario(&self) -> Scenario {
        *self.scenario.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Switches to another scenario; quotas start afresh, as on a new project.
    pub fn set_scenario(&self, scenario: Scenario) {
        *self.scenario.lock().unwrap_or_else(PoisonError::into_inner) = scenario;
        *self.quotas.lock().unwrap_or_else(PoisonError::into_inner) = QuotaBook::default();
    }

    /// Number of key/model pairs the quota book tracks (bounded).
    pub fn tracked_quotas(&self) -> usize {
        self.quotas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .tracked()
    }

    /// The quota book: tests read its counts ([`QuotaBook::busiest_minute`]) and may give it
    /// their own tier's limits ([`QuotaBook::set_limits`]).
    pub fn quotas(&self) -> std::sync::MutexGuard<'_, QuotaBook> {
        self.quotas.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A uniform pick in `[0, 1)` from the seeded generator (the same seed replays the same run).
    pub(super) fn roll(&self) -> f64 {
        self.rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random::<f64>()
    }

    /// The next answer's number (1, 2, …).
    pub(super) fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The model entry if it can be called in this scenario.
    fn callable_model(&self, id: &str) -> Option<&'static ModelEntry> {
        let model = self.catalog.get(id)?;
        let retired_here = self.scenario().retired_ids().contains(&model.id.as_str());
        (model.is_callable() && !retired_here).then_some(model)
    }
}

/// The router over shared state.
pub fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/{version}/models", get(list_models))
        .route("/{version}/models/{*rest}", get(get_model).post(generate))
        .fallback(|| async {
            bodies::error(404, None, "Requested entity was not found.", Vec::new())
        })
        .layer(DefaultBodyLimit::max(MAX_READ_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            remember_request,
        ))
        .with_state(state)
}

/// Remembers each request (see [`SimState::seen_requests`]) before it is answered.
async fn remember_request(
    State(state): State<Arc<SimState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    state.remember(&request);
    next.run(request).await
}

fn version_ok(version: &str) -> bool {
    matches!(version, "v1" | "v1beta" | "v1alpha")
}

/// The key from `x-goog-api-key` or, as Google also accepts, `?key=`.
fn api_key<'a>(headers: &'a HeaderMap, query: &'a HashMap<String, String>) -> Option<&'a str> {
    headers
        .get("x-goog-api-key")
        .and_then(|value| value.to_str().ok())
        .or_else(|| query.get("key").map(String::as_str))
        .map(str::trim)
        .filter(|key| !key.is_empty())
}

/// What Google accepts as a key: `AIza` and 35 more URL-safe characters.
pub fn key_is_well_formed(key: &str) -> bool {
    key.len() == 39
        && key.starts_with("AIza")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[expect(
    clippy::result_large_err,
    reason = "a refusal is the HTTP answer itself"
)]
fn check_key(headers: &HeaderMap, query: &HashMap<String, String>) -> Result<String, Response> {
    match api_key(headers, query) {
        None => Err(bodies::unregistered()),
        Some(key) if !key_is_well_formed(key) => Err(bodies::key_invalid()),
        Some(key) => Ok(key.to_owned()),
    }
}

fn model_json(model: &ModelEntry) -> Value {
    let mut value = json!({
        "name": format!("models/{}", model.id),
        "baseModelId": model.id,
        "version": "001",
        "displayName": model.official_name.clone().unwrap_or_else(|| model.display_name.clone()),
        "description": model.display_name,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    });
    if let Some(limit) = model.input_token_limit {
        value["inputTokenLimit"] = json!(limit);
    }
    if let Some(limit) = model.output_token_limit {
        value["outputTokenLimit"] = json!(limit);
    }
    if let Some(thinking) = model.thinking {
        value["thinking"] = json!(thinking);
    }
    value
}

async fn list_models(
    State(state): State<Arc<SimState>>,
    Path(version): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    state.stats.requests.fetch_add(1, Ordering::Relaxed);
    if !version_ok(&version) {
        return bodies::error(404, None, "Requested entity was not found.", Vec::new());
    }
    if let Err(response) = check_key(&headers, &query) {
        return response;
    }
    let models: Vec<Value> = state
        .catalog
        .models
        .iter()
        .filter(|model| state.callable_model(&model.id).is_some())
        .map(model_json)
        .collect();
    bodies::json_response(200, &json!({ "models": models }))
}

async fn get_model(
    State(state): State<Arc<SimState>>,
    Path((version, rest)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !version_ok(&version) {
        return bodies::error(404, None, "Requested entity was not found.", Vec::new());
    }
    if let Err(response) = check_key(&headers, &query) {
        return response;
    }
    match state.callable_model(&rest) {
        Some(model) => bodies::json_response(200, &model_json(model)),
        None => bodies::error(
            404,
            None,
            &format!("models/{rest} is not found for API version {version}"),
            Vec::new(),
        ),
    }
}

async fn generate(
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
struct Call {
    key: String,
    model: &'static ModelEntry,
    request: Checked,
    streaming: bool,
}

async fn generate_inner(
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
    let mut answer = match answer_in_time(state, &call).await {
        Ok(answer) => answer,
        Err(error) => return bodies::error(500, None, &error, Vec::new()),
    };
    if answer.final_image().is_some() {
        state.stats.images.fetch_add(1, Ordering::Relaxed);
    }
    if hostile.is_some_and(|kind| kind.corrupt(&mut answer)) {
        state.stats.hostile.fetch_add(1, Ordering::Relaxed);
    }
    deliver(state, &answer, hostile, call.streaming, query)
}

/// Google's request checks, in Google's order: version and method, key, model, then the body
/// (JSON, fields, images, history).
#[expect(
    clippy::result_large_err,
    reason = "a refusal is the HTTP answer itself"
)]
fn admit(
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
async fn inject_faults(state: &SimState, call: &Call) -> Result<Option<Hostile>, Response> {
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
                .then(|| Hostile::from_roll(state.roll(), faults.hostile))
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

/// Judges the prompt with the safety layers and builds the answer, which leaves no sooner than
/// the real model would have finished "thinking" (drawing and encoding count towards it).
async fn answer_in_time(
    state: &Arc<SimState>,
    call: &Call,
) -> Result<GenerateContentResponse, String> {
    let request = &call.request;
    let verdict = state.rules.judge(
        &request.prompt,
        &request.request.safety_settings,
        state.scenario().strict_safety(),
    );
    let thinking_until = answer_time(state, call.model, request, &verdict);
    let answer = build_answer(state, call.model, request, &verdict).await?;
    if let Some(until) = thinking_until {
        // A shutdown does not wait for a model that is still "thinking": it answers at once.
        let mut stopping = state.stopping();
        tokio::select! {
            () = tokio::time::sleep_until(until.into()) => {}
            _ = stopping.wait_for(|stop| *stop) => {}
        }
    }
    Ok(answer)
}

/// Sends the answer: JSON, or when streaming a one-element JSON array (an SSE event with
/// `alt=sse`); a dropped or stalled body when `hostile` says so.
fn deliver(
    state: &Arc<SimState>,
    answer: &GenerateContentResponse,
    hostile: Option<Hostile>,
    streaming: bool,
    query: &HashMap<String, String>,
) -> Response {
    let text = match serde_json::to_string(answer) {
        Ok(text) => text,
        Err(error) => return bodies::error(500, None, &error.to_string(), Vec::new()),
    };
    let (text, content_type) = if streaming {
        if query.get("alt").map(String::as_str) == Some("sse") {
            (format!("data: {text}\r\n\r\n"), "text/event-stream")
        } else {
            (format!("[{text}]"), "application/json; charset=UTF-8")
        }
    } else {
        (text, "application/json; charset=UTF-8")
    };
    match hostile {
        Some(Hostile::Drop) => {
            state.stats.errors.fetch_add(1, Ordering::Relaxed);
            return hostile::dropped_mid_body(text, content_type);
        }
        Some(Hostile::StallBody) => return hostile::stalled_body(state, text, content_type),
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
fn answer_time(
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
fn check_quota(
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
