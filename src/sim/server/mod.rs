//! The simulator's HTTP server (axum): `POST /{version}/models/{model}:generateContent` (and
//! `:streamGenerateContent`), `GET /{version}/models` and `GET /{version}/models/{model}`, for `v1`
//! and `v1beta`. Requests pass the checks Google makes, in Google's order: key, model, size, JSON,
//! fields, images, history; then the scenario's faults ([`super::faults`]), the quotas, the safety
//! layers, and the answer ([`super::answer`]). Answers take as long as the real service's
//! ([`super::latency`]) unless [`SimConfig::generation_latency`] is off, and some lie
//! ([`super::hostile`]).
//!
//! - this file: the routes, the key checks and the `models` handlers.
//! - `sim_state`: [`SimConfig`] and [`SimState`], shared by every handler.
//! - `generate`: the `generateContent` pipeline.
//! - `stream`: `streamGenerateContent`'s delivery: the answer as Google's chunks (thought
//!   summaries and interim images first, the final image with finish reason and usage last),
//!   spread over the model's time, as SSE events or one JSON array, and the broken streams.

mod generate;
mod sim_state;
mod stream;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::bodies;
use crate::api::catalog::ModelEntry;
use generate::generate;
pub use sim_state::{SimConfig, SimState, SimStats};

/// Largest body the server reads; bigger ones are refused before parsing (Google's limit is 20 MB,
/// answered with its own 400, which needs the body read first).
pub const MAX_READ_BYTES: usize = 64 * 1024 * 1024;

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
