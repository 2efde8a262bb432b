//! Serde types for `generateContent` (request and response) and `models.list`.
//!
//! Field names follow the REST JSON mapping (camelCase). Requests also accept the proto snake_case
//! names that Google's own curl examples use (`inline_data`, `mime_type`), so the simulator can read
//! what any client sends. Every response field is optional or defaulted and unknown fields are
//! ignored, so a new field from Google never breaks a designer's generation. `Part` keeps fields it
//! does not know in `extra`, because model turns must be resent verbatim (thought signatures).
//!
//! Source: googleapis `generative_service.proto` (v1beta), python-genai `types.py`.
//!
//! - `content`: [`Content`], [`Part`], [`Blob`], [`FileData`] — a turn, in requests and answers.
//! - `request`: [`GenerateContentRequest`] and its options.
//! - `response`: [`GenerateContentResponse`] and what it carries.
//! - `models`: [`ListModelsResponse`] and [`ModelInfo`].

mod content;
mod models;
mod request;
mod response;

pub use content::{Blob, Content, FileData, ImageStandIn, Part};
pub use models::{ListModelsResponse, ModelInfo};
pub use request::{
    GenerateContentRequest, GenerationConfig, ImageConfig, SafetySetting, ThinkingConfig,
};
pub use response::{
    Candidate, GenerateContentResponse, ModalityTokenCount, PromptFeedback, SafetyRating,
    UsageMetadata,
};
