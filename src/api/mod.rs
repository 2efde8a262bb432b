//! The Gemini API: wire types, the async client and the model catalog. No UI code here.
//!
//! - [`enums`]: open enums (finish/block reasons, safety categories, thresholds, modalities).
//! - [`wire`]: `generateContent` request/response and `models.list` types.
//! - [`error_body`]: the `{"error": …}` envelope and its typed `details`.
//! - [`client`]: [`GeminiClient`] (reqwest + rustls) and its [`ClientConfig`].
//! - `api_key`: [`ApiKey`], the key in a secret string (re-exported by [`client`]).
//! - `api_error`: [`ApiError`] and how transport, redirect, pace and body failures become one.
//! - `answer_parse`: [`client::parse_answer`], an answer parsed in little more than its body, and
//!   [`parse_event`]/[`parse_chunk`], the same for each piece of a streamed answer.
//! - `body`: reading a body chunk by chunk at the pace and up to the cap (whole or event by event).
//! - [`endpoint`]: the one check of an endpoint address (Settings and the client share it).
//! - [`stream`]: the streamed call, thought parts handed on as they arrive, and its fallback to
//!   the plain call at endpoints that do not stream.
//! - [`sse`]: a streamed body split into its events (and plain JSON) as it arrives.
//! - [`stream_merge`]: a stream's events folded into the one answer the plain call gives.
//! - [`pace`]: the minimum pace an answer's body must keep (stalls and trickles end an attempt).
//! - [`transport`]: [`TransportFailure`], what the client observed below HTTP.
//! - [`catalog`]: the model catalog from `assets/models.toml`.
//! - [`live_models`]: the ids Google's `models.list` names now (retired ids drop out).
//! - [`lenient`]: forgiving field deserializers.

mod answer_parse;
mod api_error;
mod api_key;
mod body;
pub mod catalog;
pub mod client;
pub mod endpoint;
pub mod enums;
pub mod error_body;
pub mod lenient;
pub mod live_models;
pub mod pace;
pub mod sse;
pub mod stream;
pub mod stream_merge;
pub mod transport;
pub mod wire;

pub use answer_parse::{Chunk, parse_chunk, parse_event};
pub use catalog::{Catalog, ModelEntry, ModelStatus};
pub use client::{ApiError, ApiKey, ClientConfig, GeminiClient, GenerateOutcome};
pub use live_models::LiveModels;
pub use transport::TransportFailure;
