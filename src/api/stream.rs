//! Streaming a `generateContent` answer (`streamGenerateContent?alt=sse`): each thought part
//! (a thought summary, an interim image) is handed on as it arrives, and the events are merged
//! into the same answer the plain call gives, so diagnosis, delivery and edits are unchanged.

use std::time::Duration;

use tokio::sync::mpsc;

use super::client::{ApiError, GeminiClient, GenerateOutcome};
use super::wire::{GenerateContentRequest, Part};

/// One thought part of an answer, as it arrived.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamThought {
    /// 1-based place among the answer's thought parts.
    pub index: u32,
    /// The part (`thought: true`): a thought summary (text) or an interim image (base64).
    pub part: Part,
    /// From sending the request to this part's arrival.
    pub elapsed: Duration,
}

impl GeminiClient {
    /// `POST /{version}/models/{model}:streamGenerateContent?alt=sse`: sends each thought part to
    /// `thoughts` as it arrives (waiting while the channel is full) and returns the whole answer,
    /// merged as the plain call would have returned it.
    pub async fn stream_generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
        thoughts: mpsc::Sender<StreamThought>,
    ) -> Result<GenerateOutcome, ApiError> {
        // Interface first; the streamed read replaces this plain call.
        drop(thoughts);
        self.generate_content(model, request).await
    }
}
