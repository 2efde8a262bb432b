//! The simulator's HTTP server (axum): `POST /{version}/models/{model}:generateContent` (and
//! `:streamGenerateContent`), `GET /{version}/models` and `GET /{version}/models/{model}`, for `v1`
//! and `v1beta`. Requests pass the checks Google makes, in Google's order: key, model, size, JSON,
//! fields, images, history; then the scenario's faults, the quotas, the safety layers, and the image.
//! Answers take as long as the real service's ([`super::latency`]) unless
//! [`SimConfig::generation_latency`] is off, and some lie ([`super::hostile`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

use super::bodies;
use super::clock::SimClock;
use super::hostile::{self, Hostile};
use super::latency::{self, Work};
use super::picture;
use super::quota::{QuotaBook, QuotaRefusal};
use super::safety::{Rating, SafetyRules, Verdict};
use super::scenario::Scenario;
use super::validate::{self, Checked};
use crate::api::catalog::{Catalog, ModelEntry};
use crate::api::enums::{BlockReason, FinishReason, Modality};
use crate::api::wire::{
    Blob, Candidate, Content, GenerateContentResponse, ModalityTokenCount, Part, PromptFeedback,
    SafetyRating, UsageMetadata,
};

/// Largest body the server reads; bigger ones are refused before parsing (Google's limit is 20 MB,
/// answered with its own 400, which needs the body read first).
pub const MAX_READ_BYTES: usize = 64 * 1024 * 1024;
/// Longest side of the interim "thought" images of thinking models (a draft at about 1K).
const THOUGHT_IMAGE_PX: u32 = 1024;
/// How many thought images a thinking model sends before its final image (Gemini 3 Pro Image
/// makes up to two).
const THOUGHT_IMAGES: usize = 2;

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

/// Shared server state.
#[derive(Debug)]
pub struct SimState {
    config: SimConfig,
    /// The scenario now (the app's picker changes it while the server runs).
    scenario: Mutex<Scenario>,
    clock: SimClock,
    quotas: Mutex<QuotaBook>,
    rng: Mutex<StdRng>,
    counter: AtomicU64,
    rules: &'static SafetyRules,
    catalog: &'static Catalog,
    /// Set when the simulator shuts down, so stalled bodies and answer times end.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Counters.
    pub stats: SimStats,
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
        }
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

    fn roll(&self) -> f64 {
        self.rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random::<f64>()
    }

    fn next_id(&self) -> u64 {
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
        .with_state(state)
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

async fn generate_inner(
    state: &Arc<SimState>,
    version: &str,
    rest: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    if !version_ok(version) {
        return bodies::error(404, None, "Requested entity was not found.", Vec::new());
    }
    let Some((model_id, method)) = rest.split_once(':') else {
        return bodies::error(404, None, "Requested entity was not found.", Vec::new());
    };
    let streaming = match method {
        "generateContent" => false,
        "streamGenerateContent" => true,
        _ => return bodies::model_not_found(model_id, version, method),
    };
    let key = match check_key(headers, query) {
        Ok(key) => key,
        Err(response) => return response,
    };
    let Some(model) = state.callable_model(model_id) else {
        return bodies::model_not_found(model_id, version, method);
    };
    let request = match validate::check(body, model) {
        Ok(request) => request,
        Err(response) => return response,
    };

    // Test triggers ("sim:overloaded" …) force a fault in any scenario.
    if let Some(fault) = Fault::triggered_by(&request.prompt) {
        return fault.answer(state).await;
    }
    // The scenario's server faults come before quota accounting: an overloaded server never
    // reaches the quota system.
    let faults = state.scenario().faults(model.id == state.catalog.primary);
    if let Some(fault) = scenario_fault(state, &faults) {
        return fault.answer(state).await;
    }
    let hostile = Hostile::triggered_by(&request.prompt)
        .or_else(|| (state.roll() < faults.dropped).then_some(Hostile::Drop))
        .or_else(|| {
            // Only scenarios with hostile answers roll for them, so the others replay as before.
            (faults.hostile > 0.0)
                .then(|| Hostile::from_roll(state.roll(), faults.hostile))
                .flatten()
        });
    if let Some(refused) = check_quota(state, &key, model, request.input_tokens) {
        return refused;
    }

    if faults.latency_s > 0.0 {
        tokio::time::sleep(state.clock.real(faults.latency_s)).await;
    }

    let verdict = state.rules.judge(
        &request.prompt,
        &request.request.safety_settings,
        state.scenario().strict_safety(),
    );
    // The model "thinks" for as long as the real one (drawing and encoding count towards it),
    // and only then are the headers sent.
    let thinking_until = answer_time(state, model, &request, &verdict);
    let mut answer = match build_answer(state, model, &request, &verdict).await {
        Ok(answer) => answer,
        Err(error) => return bodies::error(500, None, &error, Vec::new()),
    };
    if let Some(until) = thinking_until {
        // A shutdown does not wait for a model that is still "thinking": it answers at once.
        let mut stopping = state.stopping();
        tokio::select! {
            () = tokio::time::sleep_until(until.into()) => {}
            _ = stopping.wait_for(|stop| *stop) => {}
        }
    }
    if answer.final_image().is_some() {
        state.stats.images.fetch_add(1, Ordering::Relaxed);
    }
    if hostile.is_some_and(|kind| kind.corrupt(&mut answer)) {
        state.stats.hostile.fetch_add(1, Ordering::Relaxed);
    }
    let text = match serde_json::to_string(&answer) {
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

/// The fault the scenario injects into this request, if any.
fn scenario_fault(state: &SimState, faults: &super::scenario::Faults) -> Option<Fault> {
    if faults.overload_share > 0.0 {
        let position = state.clock.now_s() % faults.overload_cycle_s;
        if position < faults.overload_share * faults.overload_cycle_s && state.roll() < 0.9 {
            return Some(if state.roll() < 0.5 {
                Fault::Overloaded
            } else {
                Fault::HighDemand
            });
        }
    }
    let roll = state.roll();
    let mut threshold = 0.0;
    for (share, fault) in [
        (faults.internal, Fault::Internal),
        (faults.bad_gateway, Fault::BadGateway),
        (faults.gateway_timeout, Fault::GatewayTimeout),
        (faults.deadline_expired, Fault::DeadlineExpired),
        (faults.capacity_429, Fault::Capacity),
    ] {
        threshold += share;
        if roll < threshold {
            return Some(fault);
        }
    }
    None
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

/// Server faults a scenario injects.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Overloaded,
    HighDemand,
    Internal,
    BadGateway,
    GatewayTimeout,
    DeadlineExpired,
    Capacity,
}

impl Fault {
    /// Prompt words that force a fault, for tests and demos.
    const TRIGGERS: [(&'static str, Fault); 6] = [
        ("sim:overloaded", Fault::Overloaded),
        ("sim:internal", Fault::Internal),
        ("sim:bad-gateway", Fault::BadGateway),
        ("sim:timeout", Fault::GatewayTimeout),
        ("sim:deadline", Fault::DeadlineExpired),
        ("sim:capacity", Fault::Capacity),
    ];

    fn triggered_by(prompt: &str) -> Option<Fault> {
        Self::TRIGGERS
            .iter()
            .find(|(word, _)| prompt.contains(word))
            .map(|(_, fault)| *fault)
    }

    async fn answer(self, state: &SimState) -> Response {
        match self {
            Fault::Overloaded => {
                bodies::error(503, None, bodies::OVERLOADED_MESSAGES[0], Vec::new())
            }
            Fault::HighDemand => {
                bodies::error(503, None, bodies::OVERLOADED_MESSAGES[1], Vec::new())
            }
            Fault::Internal => bodies::error(500, None, bodies::INTERNAL_MESSAGE, Vec::new()),
            Fault::BadGateway => bodies::bad_gateway(),
            Fault::GatewayTimeout => {
                tokio::time::sleep(state.clock.real(60.0)).await;
                bodies::error(504, None, bodies::GATEWAY_TIMEOUT_MESSAGE, Vec::new())
            }
            Fault::DeadlineExpired => {
                tokio::time::sleep(state.clock.real(30.0)).await;
                bodies::error(503, None, bodies::DEADLINE_EXPIRED_MESSAGE, Vec::new())
            }
            Fault::Capacity => bodies::error(429, None, bodies::CAPACITY_MESSAGE, Vec::new()),
        }
    }
}

fn signature(state: &SimState, salt: u64) -> String {
    let mut bytes = [0u8; 24];
    let mut rng = StdRng::seed_from_u64(state.config.seed ^ salt.rotate_left(13));
    rng.fill(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ratings_json(ratings: &[Rating]) -> Vec<SafetyRating> {
    ratings
        .iter()
        .map(|rating| SafetyRating {
            category: rating.category.clone(),
            probability: Some(rating.probability.clone()),
            blocked: rating.blocked.then_some(true),
        })
        .collect()
}

fn usage(input_tokens: u64, image_tokens: u64, text_tokens: u64, thoughts: u64) -> UsageMetadata {
    let mut details = Vec::new();
    if image_tokens > 0 {
        details.push(ModalityTokenCount {
            modality: Modality::Image,
            token_count: Some(image_tokens),
        });
    }
    if text_tokens > 0 {
        details.push(ModalityTokenCount {
            modality: Modality::Text,
            token_count: Some(text_tokens),
        });
    }
    UsageMetadata {
        prompt_token_count: Some(input_tokens),
        candidates_token_count: Some(image_tokens + text_tokens),
        thoughts_token_count: (thoughts > 0).then_some(thoughts),
        total_token_count: Some(input_tokens + image_tokens + text_tokens + thoughts),
        prompt_tokens_details: vec![ModalityTokenCount {
            modality: Modality::Text,
            token_count: Some(input_tokens),
        }],
        candidates_tokens_details: details,
        ..UsageMetadata::default()
    }
}

fn blocked_candidate(finish_reason: FinishReason, finish_message: Option<String>) -> Candidate {
    Candidate {
        content: Some(Content {
            role: Some("model".to_owned()),
            parts: Vec::new(),
        }),
        finish_reason: Some(finish_reason),
        finish_message,
        index: Some(0),
        ..Candidate::default()
    }
}

async fn build_answer(
    state: &Arc<SimState>,
    model: &'static ModelEntry,
    request: &Checked,
    verdict: &Verdict,
) -> Result<GenerateContentResponse, String> {
    let id = state.next_id();
    let thinking = model.thinking == Some(true);
    let thoughts = if thinking { 180 + id % 120 } else { 0 };
    let mut answer = GenerateContentResponse {
        model_version: Some(model.id.clone()),
        response_id: Some(format!(
            "sim{:016x}",
            state.config.seed.rotate_left(7) ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        )),
        ..GenerateContentResponse::default()
    };
    let blocked_usage = usage(request.input_tokens, 0, 0, thoughts);
    match verdict {
        Verdict::Prohibited { .. } => {
            answer.prompt_feedback = Some(PromptFeedback {
                block_reason: Some(BlockReason::ProhibitedContent),
                ..PromptFeedback::default()
            });
            answer.usage_metadata = Some(usage(request.input_tokens, 0, 0, 0));
        }
        Verdict::PromptBlocked { ratings } => {
            answer.prompt_feedback = Some(PromptFeedback {
                block_reason: Some(BlockReason::Safety),
                safety_ratings: ratings_json(ratings),
                ..PromptFeedback::default()
            });
            answer.usage_metadata = Some(usage(request.input_tokens, 0, 0, 0));
        }
        Verdict::OutputBlocked { ratings } => {
            let mut candidate = blocked_candidate(FinishReason::Safety, None);
            candidate.safety_ratings = ratings_json(ratings);
            answer.candidates = vec![candidate];
            answer.usage_metadata = Some(blocked_usage);
        }
        Verdict::NoImage => {
            answer.candidates = vec![blocked_candidate(FinishReason::NoImage, None)];
            answer.usage_metadata = Some(blocked_usage);
        }
        Verdict::ImageBlocked {
            finish_reason,
            finish_message,
            ..
        } => {
            answer.candidates = vec![blocked_candidate(
                finish_reason.clone(),
                finish_message.clone(),
            )];
            answer.usage_metadata = Some(blocked_usage);
        }
        Verdict::TextOnly { reply } => {
            answer.candidates = vec![text_candidate(state, reply, id, thinking)];
            answer.usage_metadata = Some(usage(
                request.input_tokens,
                0,
                reply.len() as u64 / 4 + 1,
                thoughts,
            ));
        }
        Verdict::Pass if !request.wants_image => {
            let reply = format!(
                "Here is a description instead of an image: {}.",
                request.prompt.trim()
            );
            answer.candidates = vec![text_candidate(state, &reply, id, thinking)];
            answer.usage_metadata = Some(usage(
                request.input_tokens,
                0,
                reply.len() as u64 / 4 + 1,
                thoughts,
            ));
        }
        Verdict::Pass => {
            let (candidate, image_tokens, text_tokens) =
                image_candidate(state, model, request, id, thinking).await?;
            answer.candidates = vec![candidate];
            answer.usage_metadata = Some(usage(
                request.input_tokens,
                image_tokens,
                text_tokens,
                thoughts,
            ));
        }
    }
    Ok(answer)
}

fn text_candidate(state: &SimState, reply: &str, id: u64, thinking: bool) -> Candidate {
    let mut part = Part::text(reply);
    if thinking {
        part.thought_signature = Some(signature(state, id));
    }
    Candidate {
        content: Some(Content {
            role: Some("model".to_owned()),
            parts: vec![part],
        }),
        finish_reason: Some(FinishReason::Stop),
        index: Some(0),
        ..Candidate::default()
    }
}

/// The size of a thought image for a final image of `width`×`height`: the same shape, its long
/// side [`THOUGHT_IMAGE_PX`] (three quarters of the final one's when that is smaller).
fn thought_size(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    let target = THOUGHT_IMAGE_PX.min(long * 3 / 4).max(8);
    let scaled = |side: u32| (u64::from(side) * u64::from(target) / u64::from(long)) as u32;
    (scaled(width).max(8), scaled(height).max(8))
}

/// Draws and encodes one picture off the async workers (a 4K one takes real CPU time), through
/// the picture cache.
async fn picture_task(
    prompt: String,
    (width, height): (u32, u32),
    seed: u64,
    mime_type: String,
) -> Result<Arc<picture::Picture>, String> {
    tokio::task::spawn_blocking(move || {
        picture::encode_cached(&prompt, width, height, seed, &mime_type)
    })
    .await
    .map_err(|error| format!("The simulator's picture task failed: {error}"))?
    .map_err(|error| error.to_string())
}

fn image_part(picture: &picture::Picture) -> Part {
    Part {
        inline_data: Some(Blob {
            mime_type: picture.mime_type.to_owned(),
            data: picture.base64.clone(),
            ..Blob::default()
        }),
        ..Part::default()
    }
}

/// The parts of a thinking model's answer before its final image: a thought, a draft image,
/// another thought, a second draft (all `thought: true`, none signed).
fn thought_parts(drafts: Vec<Arc<picture::Picture>>) -> Vec<Part> {
    const THOUGHTS: [&str; THOUGHT_IMAGES] = [
        "**Composing the scene**\nPlanning layout, palette and lighting.",
        "**Refining the details**\nSharpening textures and checking the text in the image.",
    ];
    let mut parts = Vec::new();
    for (thought, draft) in THOUGHTS.iter().zip(drafts) {
        parts.push(Part {
            text: Some((*thought).to_owned()),
            thought: Some(true),
            ..Part::default()
        });
        let mut image = image_part(&draft);
        image.thought = Some(true);
        parts.push(image);
    }
    parts
}

async fn image_candidate(
    state: &Arc<SimState>,
    model: &'static ModelEntry,
    request: &Checked,
    id: u64,
    thinking: bool,
) -> Result<(Candidate, u64, u64), String> {
    let [width, height] = request.pixel_size;
    let mime_type = model
        .output_mime_type
        .clone()
        .unwrap_or_else(|| "image/png".to_owned());
    let seed = state.config.seed;
    // The final image and the drafts are drawn side by side.
    let final_task = picture_task(
        request.prompt.clone(),
        (width, height),
        seed,
        mime_type.clone(),
    );
    let draft_count = if thinking { THOUGHT_IMAGES } else { 0 };
    let draft_tasks = (1..=draft_count).map(|n| {
        picture_task(
            format!("draft {n} {}", request.prompt),
            thought_size(width, height),
            seed,
            mime_type.clone(),
        )
    });
    let (final_picture, drafts) =
        tokio::join!(final_task, futures_util::future::join_all(draft_tasks));
    let final_picture = final_picture?;
    let drafts = drafts.into_iter().collect::<Result<Vec<_>, String>>()?;

    let mut parts = thought_parts(drafts);
    let caption = if request.text_requested {
        Some(format!("Here is your image: {}", request.prompt.trim()))
    } else {
        None
    };
    let text_tokens = caption.as_ref().map_or(0, |c| c.len() as u64 / 4 + 1);
    if let Some(caption) = caption {
        let mut part = Part::text(caption);
        if thinking {
            part.thought_signature = Some(signature(state, id ^ 1));
        }
        parts.push(part);
    }
    let mut final_part = image_part(&final_picture);
    final_part.thought_signature = Some(signature(state, id ^ 2));
    parts.push(final_part);
    let image_tokens = model
        .image_output_tokens
        .get(&request.image_size)
        .copied()
        .unwrap_or(1290);
    let candidate = Candidate {
        content: Some(Content {
            role: Some("model".to_owned()),
            parts,
        }),
        finish_reason: Some(FinishReason::Stop),
        index: Some(0),
        ..Candidate::default()
    };
    Ok((candidate, image_tokens, text_tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thought_images_keep_the_shape_at_about_1k() {
        assert_eq!(thought_size(1024, 1024), (768, 768));
        assert_eq!(thought_size(4096, 4096), (1024, 1024));
        assert_eq!(thought_size(5504, 3072), (1024, 571));
        assert_eq!(thought_size(1536, 2752), (571, 1024));
    }
}
