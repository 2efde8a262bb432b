//! Streaming a `generateContent` answer (`streamGenerateContent?alt=sse`): each thought part
//! (a thought summary, an interim image) is handed on as it arrives, and the events are merged
//! into the same answer the plain call gives, so diagnosis, delivery and edits are unchanged.
//!
//! The request is the plain call's (same body, key header, redirect refusal and endpoint rules).
//! The answer is read piece by piece ([`super::sse`]) at the pace one body is held to, up to the
//! same cap; each event is parsed off the async threads in little more than its own memory
//! ([`parse_event`]) and folded in ([`merge_event`]). An error written mid-stream, with or
//! without `data:`, ends the call as the same [`ApiError::Http`] the error would have been
//! before the stream.
//!
//! An endpoint that does not serve streams gets the plain call: one that answers the streamed
//! call 404, or 400 without Google's error envelope, is asked again plainly; one that answers 2xx
//! with JSON instead of events (a proxy that ignores `alt=sse`) is read as it is (that request
//! was billed). Either way the endpoint is remembered for the rest of the process
//! ([`GenerateOutcome::streamed`] says which way an answer came).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::answer_parse::{Chunk, parse_chunk, parse_event};
use super::api_error::{http_error, interrupted, malformed};
use super::body::{PacedBody, read_all, read_error, retry_after};
use super::client::{ApiError, GeminiClient, GenerateOutcome, on_blocking_pool};
use super::sse::{EventSplitter, Piece};
use super::stream_merge::merge_event;
use super::transport::TransportFailure;
use super::wire::{GenerateContentRequest, GenerateContentResponse, Part};
use crate::redact::redact;

/// Endpoints (base URL and API version) that do not serve streamed answers: the streamed call
/// goes plain there for the rest of the process, from every client.
static PLAIN_ONLY: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

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
    /// `thoughts` as it arrives and returns the whole answer, merged as the plain call would have
    /// returned it. While the channel is full the stream waits, up to the body's idle limit
    /// ([`ClientConfig::body_idle_timeout`](super::ClientConfig::body_idle_timeout)); a thought
    /// not taken by then is skipped (it is still in the answer), and a closed channel is no error.
    /// At an endpoint that does not serve streams this is the plain call (see the module).
    pub async fn stream_generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
        thoughts: mpsc::Sender<StreamThought>,
    ) -> Result<GenerateOutcome, ApiError> {
        let url = self.model_url(model, "streamGenerateContent")?;
        let endpoint = self.endpoint();
        if is_plain_only(&endpoint) {
            return self.generate_content(model, request).await;
        }
        let (sent, sent_at) = self.post_request(format!("{url}?alt=sse"), request).await?;
        let status = sent.status().as_u16();
        if !(200..300).contains(&status) {
            let error = read_error(sent, self.config(), sent_at).await;
            if !serves_no_stream(&error) {
                return Err(error);
            }
            let plain = self.generate_content(model, request).await;
            // The same status again says the model (or the whole endpoint) is missing, not
            // streaming: nothing to remember.
            if !matches!(&plain, Err(ApiError::Http { status: again, .. }) if *again == status) {
                remember_plain_only(&endpoint, &format!("it answered HTTP {status}"));
            }
            return plain;
        }
        let mut merging = Merging::new(
            status,
            retry_after(&sent),
            sent_at,
            thoughts,
            self.config().body_idle_timeout,
        );
        if is_event_stream(&sent) {
            let body_bytes = merging.read_events(sent, self).await?;
            return merging.outcome(body_bytes, true);
        }
        let bytes = read_all(sent, self.config(), sent_at).await?;
        let body_bytes = bytes.len();
        let chunk = on_blocking_pool("parse answer", move || {
            parse_chunk(bytes).map_err(|(error, bytes)| malformed(status, &bytes, &error))
        })
        .await
        .unwrap_or_else(|e| Err(interrupted(status, body_bytes, &e)))?;
        // Gemini's JSON where events were asked for: a proxy that ignores `alt=sse`. (A page
        // that is not JSON, a captive portal's, says nothing about streaming: not remembered.)
        remember_plain_only(&endpoint, "it answered with JSON, not events");
        merging.take(chunk).await?;
        merging.outcome(body_bytes, false)
    }

    /// The endpoint this client calls: its base URL and API version.
    fn endpoint(&self) -> String {
        let config = self.config();
        format!(
            "{}/{}",
            config.base_url.trim_end_matches('/'),
            config.api_version
        )
    }
}

/// The events of one answer, merged as they arrive, and the thoughts handed on.
struct Merging {
    status: u16,
    retry_after: Option<String>,
    sent_at: tokio::time::Instant,
    thoughts: mpsc::Sender<StreamThought>,
    answer: GenerateContentResponse,
    /// Longest wait for room in `thoughts` (the body's idle limit).
    wait_for_room: Duration,
    events: usize,
    thought_count: u32,
}

impl Merging {
    fn new(
        status: u16,
        retry_after: Option<String>,
        sent_at: tokio::time::Instant,
        thoughts: mpsc::Sender<StreamThought>,
        wait_for_room: Duration,
    ) -> Self {
        Self {
            status,
            retry_after,
            sent_at,
            thoughts,
            wait_for_room,
            answer: GenerateContentResponse::default(),
            events: 0,
            thought_count: 0,
        }
    }

    /// Reads `response`'s events to its end, at the client's pace and up to its cap, taking
    /// each as it completes; returns the body's length.
    async fn read_events(
        &mut self,
        response: reqwest::Response,
        client: &GeminiClient,
    ) -> Result<usize, ApiError> {
        let mut body = PacedBody::new(response, client.config(), self.sent_at)?;
        let mut splitter = EventSplitter::new();
        loop {
            let chunk = body.next_chunk().await?;
            match &chunk {
                Some(chunk) => splitter.feed(chunk.as_ref()),
                None => splitter.finish(),
            }
            while let Some(piece) = splitter.next_piece() {
                let piece_bytes = match &piece {
                    Piece::Event(bytes) | Piece::Json(bytes) => bytes.len(),
                };
                let status = self.status;
                let chunk = on_blocking_pool("parse event", move || {
                    match piece {
                        Piece::Event(event) => parse_event(event),
                        Piece::Json(json) => parse_chunk(json),
                    }
                    .map_err(|(error, bytes)| malformed(status, &bytes, &error))
                })
                .await
                .unwrap_or_else(|e| Err(interrupted(status, piece_bytes, &e)))?;
                self.take(chunk).await?;
            }
            if chunk.is_none() {
                return Ok(body.received());
            }
        }
    }

    /// Takes one parsed piece: an error ends the call as the HTTP error it names; answers hand
    /// their thought parts on and are merged.
    async fn take(&mut self, chunk: Chunk) -> Result<(), ApiError> {
        let answers = match chunk {
            Chunk::Error { status, text } => {
                return Err(http_error(status, &text, self.retry_after.clone()));
            }
            Chunk::Answers(answers) => answers,
        };
        for answer in answers {
            self.events += 1;
            let thoughts: Vec<&Part> = answer
                .candidates
                .iter()
                .filter_map(|candidate| candidate.content.as_ref())
                .flat_map(|content| &content.parts)
                .filter(|part| part.is_thought())
                .collect();
            for part in thoughts {
                self.thought_count += 1;
                // A receiver that is gone wants no thoughts; the answer is still read whole.
                if self.thoughts.is_closed() {
                    continue;
                }
                let thought = StreamThought {
                    index: self.thought_count,
                    part: part.clone(),
                    elapsed: self.sent_at.elapsed(),
                };
                // While it waits, nothing is read: a receiver may hold the stream no longer than
                // a silent server may. A thought it had no room for is still in the answer.
                let handed = self.thoughts.send(thought);
                if tokio::time::timeout(self.wait_for_room, handed)
                    .await
                    .is_err()
                {
                    tracing::debug!(
                        index = self.thought_count,
                        "a thought was not taken in time"
                    );
                }
            }
            merge_event(&mut self.answer, answer);
        }
        Ok(())
    }

    /// The merged answer; a stream with no answer in it is malformed, as an empty body is.
    fn outcome(self, body_bytes: usize, streamed: bool) -> Result<GenerateOutcome, ApiError> {
        if self.events == 0 {
            return Err(ApiError::Malformed {
                status: self.status,
                body: String::new(),
                reason: format!(
                    "the stream ended without an answer in it ({} had arrived)",
                    super::api_error::human_bytes(body_bytes)
                ),
            });
        }
        if streamed && is_cut_off(&self.answer) {
            // Every image arrives whole in one event, and Google ends a stream with a finish
            // (or a block): without either, and without the final image, the answer was cut off.
            return Err(ApiError::Transport {
                failure: TransportFailure::ConnectionReset,
                detail: format!(
                    "the answer's stream ended before its last event ({} events, {}; no finishReason and no image)",
                    self.events,
                    super::api_error::human_bytes(body_bytes)
                ),
            });
        }
        Ok(GenerateOutcome {
            response: self.answer,
            status: self.status,
            body_bytes,
            streamed,
        })
    }
}

/// Whether a streamed answer stopped before its end: no candidate finished, the prompt was not
/// blocked, and no final image came.
fn is_cut_off(answer: &GenerateContentResponse) -> bool {
    let finished = answer
        .candidates
        .iter()
        .any(|candidate| candidate.finish_reason.is_some());
    let blocked = answer
        .prompt_feedback
        .as_ref()
        .is_some_and(|feedback| feedback.block_reason.is_some());
    !finished && !blocked && answer.final_image().is_none()
}

/// Whether an answer's `Content-Type` is `text/event-stream`.
fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        })
}

/// Whether an error to the streamed call says the endpoint does not serve it: a 404 or a 400
/// that is not Google's error envelope (a proxy's page). Google serves `streamGenerateContent`
/// for every model that generates, so its own 400 or 404 is about the request or the model (a
/// retired id), and the plain call would get the same answer: sending it would only double the
/// request.
fn serves_no_stream(error: &ApiError) -> bool {
    match error {
        ApiError::Http {
            status: 400 | 404,
            body,
            ..
        } => !is_google_error(body),
        _ => false,
    }
}

/// Whether `body` is Google's error envelope, `{"error": {"status": …}}` (alone or in an
/// array, as the streamed call without `alt=sse` sends it).
fn is_google_error(body: &str) -> bool {
    #[derive(Deserialize)]
    struct Envelope {
        error: Status,
    }
    #[derive(Deserialize)]
    struct Status {
        status: String,
    }
    let named = |envelope: &Envelope| !envelope.error.status.trim().is_empty();
    serde_json::from_str::<Envelope>(body).is_ok_and(|envelope| named(&envelope))
        || serde_json::from_str::<Vec<Envelope>>(body).is_ok_and(|list| list.iter().any(named))
}

/// Whether `endpoint` was found not to serve streamed answers.
fn is_plain_only(endpoint: &str) -> bool {
    PLAIN_ONLY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains(endpoint)
}

/// Remembers that `endpoint` does not serve streamed answers (`why`), logging it the first time.
fn remember_plain_only(endpoint: &str, why: &str) {
    let added = PLAIN_ONLY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(endpoint.to_owned());
    if added {
        tracing::info!(
            endpoint = %redact(endpoint),
            "the endpoint does not serve streamed answers ({why}); Peel asks it plainly from now on"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_foreign_404_or_400_means_no_streams() {
        let http = |status: u16, body: &str| ApiError::Http {
            status,
            body: body.to_owned(),
            retry_after: None,
        };
        let google =
            r#"{"error": {"code": 400, "message": "Invalid", "status": "INVALID_ARGUMENT"}}"#;
        let retired = r#"{"error": {"code": 404, "message": "models/gemini-3-pro-image-preview is not found for API version v1beta, or is not supported for streamGenerateContent.", "status": "NOT_FOUND"}}"#;
        assert!(!serves_no_stream(&http(404, retired)), "a retired model");
        assert!(serves_no_stream(&http(404, "Not Found")));
        assert!(serves_no_stream(&http(
            404,
            "<html>404 page not found</html>"
        )));
        assert!(serves_no_stream(&http(400, "Bad Request")));
        assert!(serves_no_stream(&http(
            400,
            r#"{"error": "unknown route"}"#
        )));
        assert!(!serves_no_stream(&http(400, google)));
        assert!(!serves_no_stream(&http(400, &format!("[{google}]"))));
        assert!(!serves_no_stream(&http(429, "Too Many Requests")));
        assert!(!serves_no_stream(&ApiError::Config("x".to_owned())));
    }
}
