//! Streamed delivery (`:streamGenerateContent`), as Google streams an image model's answer: each
//! thought part (a thought summary, an interim image) is its own chunk, in order, and the last
//! chunk carries the rest (caption, signed final image) with the finish reason and the usage.
//! Every chunk names the model version and the response id; prompt feedback rides in the first
//! only. The chunks leave one by one over the model's time ([`event_offsets`]); a shutdown sends
//! what is left at once.
//!
//! With `alt=sse` each chunk is an SSE event (`data: {json}\r\n\r\n`, `text/event-stream`);
//! without it the chunks make one JSON array (`[{…},\r\n{…}]`), sent piece by piece the same way.
//! The checks, faults and quotas have run before this (a 429 or 503 is an HTTP error, never an
//! event). The stream's own hostile kinds ([`Hostile`]) break it here: Google's error after the
//! first events (as plain JSON lines or as a `data:` event), an end before the last event, a
//! stall or a reset inside the last one.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse as _, Response};
use futures_util::StreamExt as _;
use serde_json::json;

use super::SimState;
use super::generate::{Call, count_and_corrupt, judge};
use crate::api::wire::{Candidate, Content, GenerateContentResponse};
use crate::sim::answer::build_answer;
use crate::sim::bodies;
use crate::sim::hostile::{self, Hostile, STALL_FIRST_BYTES};

/// How many events go before Google's error breaks a stream (`sim:stream-error`): the first
/// thought summary and interim image when thoughts were asked for, else the two drafts.
pub const EVENTS_BEFORE_ERROR: usize = 2;

/// How the chunks are framed on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// `alt=sse`: one `data: {json}\r\n\r\n` event per chunk.
    Sse,
    /// No `alt=sse`: one JSON array of the chunks.
    Array,
}

impl Framing {
    fn of(query: &HashMap<String, String>) -> Self {
        if query.get("alt").map(String::as_str) == Some("sse") {
            Framing::Sse
        } else {
            Framing::Array
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Framing::Sse => "text/event-stream",
            Framing::Array => "application/json; charset=UTF-8",
        }
    }

    /// The bytes of chunk `index` of `count`, written once (a final image can be tens of MB).
    fn frame(
        self,
        chunk: &GenerateContentResponse,
        index: usize,
        count: usize,
    ) -> Result<Bytes, serde_json::Error> {
        let mut out = Vec::new();
        match self {
            Framing::Sse => out.extend_from_slice(b"data: "),
            Framing::Array if index == 0 => out.push(b'['),
            Framing::Array => out.extend_from_slice(b",\r\n"),
        }
        serde_json::to_writer(&mut out, chunk)?;
        match self {
            Framing::Sse => out.extend_from_slice(b"\r\n\r\n"),
            Framing::Array if index + 1 == count => out.push(b']'),
            Framing::Array => {}
        }
        Ok(out.into())
    }

    /// Google's 500 in the middle of a stream, after `index` chunks: plain multi-line JSON
    /// (real capture `500-internal-stream-02`), or a `data:` event when `as_event`. In an array
    /// it is the last element.
    fn error(self, as_event: bool, index: usize) -> Bytes {
        let error = json!({"error": {
            "code": 500,
            "message": bodies::INTERNAL_MESSAGE,
            "status": "INTERNAL",
        }});
        let pretty = serde_json::to_string_pretty(&error).unwrap_or_default();
        let text = match self {
            Framing::Sse if as_event => format!("data: {error}\r\n\r\n"),
            Framing::Sse => format!("{pretty}\n"),
            Framing::Array if index == 0 => format!("[{pretty}]"),
            Framing::Array => format!(",\r\n{pretty}]"),
        };
        text.into()
    }
}

/// When each of `count` events leaves, counted from the start of the answer: spread evenly over
/// the answer's `total` time, the last at its end (event `i` of `n` at `i/n` of it).
pub fn event_offsets(total: Duration, count: usize) -> Vec<Duration> {
    (1..=count)
        .map(|event| total.mul_f64(event as f64 / count as f64))
        .collect()
}

/// Cuts an answer into Google's stream chunks: each leading thought part of the first candidate
/// its own chunk, then the answer itself with the remaining parts, finish reason, safety
/// ratings and usage. Every chunk keeps the model version and response id; prompt feedback goes
/// in the first chunk only.
pub fn chunks(mut answer: GenerateContentResponse) -> Vec<GenerateContentResponse> {
    let ids = GenerateContentResponse {
        model_version: answer.model_version.clone(),
        response_id: answer.response_id.clone(),
        ..GenerateContentResponse::default()
    };
    let mut chunks = Vec::new();
    if let Some(candidate) = answer.candidates.first_mut() {
        let index = candidate.index;
        if let Some(content) = candidate.content.as_mut() {
            let thoughts = content.parts.iter().take_while(|p| p.is_thought()).count();
            for part in content.parts.drain(..thoughts) {
                chunks.push(GenerateContentResponse {
                    candidates: vec![Candidate {
                        content: Some(Content {
                            role: content.role.clone(),
                            parts: vec![part],
                        }),
                        index,
                        ..Candidate::default()
                    }],
                    ..ids.clone()
                });
            }
        }
    }
    let feedback = answer.prompt_feedback.take();
    chunks.push(answer);
    chunks[0].prompt_feedback = feedback;
    chunks
}

/// One piece of the body and when it may leave (`None`: at once).
struct Timed {
    bytes: Bytes,
    at: Option<Instant>,
}

/// How a stream's body ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// The body ends as bodies do.
    Clean,
    /// The connection is reset.
    Reset,
    /// Nothing more comes for a long time, then the connection closes.
    Stall,
}

/// What a stream sends, broken the way `hostile` says: the pieces in order and how it ends.
fn plan(
    mut pieces: Vec<Timed>,
    hostile: Option<Hostile>,
    framing: Framing,
) -> (Vec<Timed>, Ending) {
    match hostile {
        Some(kind @ (Hostile::StreamError | Hostile::StreamErrorEvent)) => {
            let kept = EVENTS_BEFORE_ERROR.min(pieces.len().saturating_sub(1));
            let at = pieces.get(kept).and_then(|piece| piece.at);
            pieces.truncate(kept);
            let bytes = framing.error(kind == Hostile::StreamErrorEvent, kept);
            pieces.push(Timed { bytes, at });
            (pieces, Ending::Clean)
        }
        Some(Hostile::StreamCut) => {
            pieces.pop();
            (pieces, Ending::Clean)
        }
        Some(kind @ (Hostile::Drop | Hostile::StallBody)) => {
            let (ending, most) = if kind == Hostile::Drop {
                (Ending::Reset, usize::MAX)
            } else {
                (Ending::Stall, STALL_FIRST_BYTES)
            };
            if let Some(last) = pieces.last_mut() {
                last.bytes = last.bytes.slice(..most.min(last.bytes.len() / 2));
            }
            (pieces, ending)
        }
        _ => (pieces, Ending::Clean),
    }
}

/// The body: each piece at its time (at once after a shutdown began), then the ending.
fn body(state: &Arc<SimState>, pieces: Vec<Timed>, ending: Ending) -> Body {
    let stopping = state.stopping();
    let sent = futures_util::stream::unfold(
        (pieces.into_iter(), stopping),
        |(mut pieces, mut stopping)| async move {
            let piece = pieces.next()?;
            if let Some(at) = piece.at {
                tokio::select! {
                    () = tokio::time::sleep_until(at.into()) => {}
                    _ = stopping.wait_for(|stop| *stop) => {}
                }
            }
            Some((Ok::<Bytes, io::Error>(piece.bytes), (pieces, stopping)))
        },
    );
    match ending {
        Ending::Clean => Body::from_stream(sent),
        Ending::Reset => Body::from_stream(sent.chain(futures_util::stream::once(async {
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "simulated drop",
            ))
        }))),
        Ending::Stall => {
            Body::from_stream(sent.chain(futures_util::stream::once(hostile::stall(state))))
        }
    }
}

/// Answers a streamed call that passed the checks, faults and quotas: judges it, builds the
/// answer (with its thoughts before a block), lies if `hostile` says so, and streams the chunks
/// over the model's time.
pub(super) async fn respond(
    state: &Arc<SimState>,
    call: &Call,
    hostile: Option<Hostile>,
    query: &HashMap<String, String>,
) -> Response {
    let started = Instant::now();
    let (verdict, until) = judge(state, call);
    let built = build_answer(state, call.model, &call.request, &verdict, true).await;
    let mut answer = match built {
        Ok(answer) => answer,
        Err(error) => return bodies::error(500, None, &error, Vec::new()),
    };
    if let Err(error) = count_and_corrupt(state, call, hostile, &mut answer).await {
        return bodies::error(500, None, &error, Vec::new());
    }
    if hostile.is_some_and(|kind| kind.lies_in_delivery() && kind != Hostile::StallBody) {
        state.stats.errors.fetch_add(1, Ordering::Relaxed);
    }
    let framing = Framing::of(query);
    let chunks = chunks(answer);
    let count = chunks.len();
    let offsets = until.map(|until| event_offsets(until.saturating_duration_since(started), count));
    let mut pieces = Vec::with_capacity(count);
    for (index, chunk) in chunks.into_iter().enumerate() {
        let bytes = match framing.frame(&chunk, index, count) {
            Ok(bytes) => bytes,
            Err(error) => return bodies::error(500, None, &error.to_string(), Vec::new()),
        };
        let at = offsets.as_ref().map(|offsets| started + offsets[index]);
        pieces.push(Timed { bytes, at });
    }
    let (pieces, ending) = plan(pieces, hostile, framing);
    let mut response = body(state, pieces, ending).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(framing.content_type()),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::enums::{BlockReason, FinishReason};
    use crate::api::wire::{Part, PromptFeedback, UsageMetadata};

    #[test]
    fn events_spread_over_the_answer_time_and_the_last_leaves_at_its_end() {
        let total = Duration::from_secs(20);
        assert_eq!(
            event_offsets(total, 5),
            [4, 8, 12, 16, 20].map(Duration::from_secs)
        );
        assert_eq!(event_offsets(total, 1), [total]);
        assert_eq!(
            event_offsets(Duration::ZERO, 3),
            [Duration::ZERO; 3],
            "without answer times they go at once"
        );
        assert!(event_offsets(total, 0).is_empty());
    }

    fn thought(text: &str) -> Part {
        Part {
            text: Some(text.to_owned()),
            thought: Some(true),
            ..Part::default()
        }
    }

    fn answer(parts: Vec<Part>, finish: FinishReason) -> GenerateContentResponse {
        GenerateContentResponse {
            candidates: vec![Candidate {
                content: Some(Content {
                    role: Some("model".to_owned()),
                    parts,
                }),
                finish_reason: Some(finish),
                index: Some(0),
                ..Candidate::default()
            }],
            usage_metadata: Some(UsageMetadata {
                thoughts_token_count: Some(240),
                ..UsageMetadata::default()
            }),
            model_version: Some("gemini-3-pro-image".to_owned()),
            response_id: Some("sim1".to_owned()),
            ..GenerateContentResponse::default()
        }
    }

    #[test]
    fn each_thought_is_a_chunk_and_the_last_has_the_rest_the_finish_and_the_usage() {
        let mut image = Part::inline_image("image/jpeg", "/9j/");
        image.thought_signature = Some("c2ln".to_owned());
        let whole = answer(
            vec![thought("a"), thought("b"), Part::text("caption"), image],
            FinishReason::Stop,
        );
        let chunks = chunks(whole.clone());
        assert_eq!(chunks.len(), 3);
        for chunk in &chunks {
            assert_eq!(chunk.model_version, whole.model_version);
            assert_eq!(chunk.response_id, whole.response_id);
        }
        for (chunk, text) in chunks[..2].iter().zip(["a", "b"]) {
            let candidate = &chunks_candidate(chunk);
            assert_eq!(candidate.content.as_ref().unwrap().parts, [thought(text)]);
            assert_eq!(candidate.finish_reason, None);
            assert_eq!(chunk.usage_metadata, None);
        }
        let last = &chunks[2];
        assert_eq!(last.candidates[0].content.as_ref().unwrap().parts.len(), 2);
        assert_eq!(last.candidates[0].finish_reason, Some(FinishReason::Stop));
        assert_eq!(last.usage_metadata, whole.usage_metadata);
        // Merged as a client merges them, the chunks are the answer again.
        let mut merged = GenerateContentResponse::default();
        for chunk in chunks {
            merged.merge_chunk(chunk);
        }
        assert_eq!(merged.final_image(), whole.final_image());
    }

    fn chunks_candidate(chunk: &GenerateContentResponse) -> Candidate {
        assert_eq!(chunk.candidates.len(), 1);
        chunk.candidates[0].clone()
    }

    #[test]
    fn a_block_after_thinking_ends_with_an_empty_candidate_and_feedback_leads() {
        let blocked = answer(
            vec![thought("a"), thought("b")],
            FinishReason::ImageProhibitedContent,
        );
        let chunks = chunks(blocked);
        let last = chunks.last().unwrap();
        assert_eq!(chunks.len(), 3);
        assert!(
            last.candidates[0]
                .content
                .as_ref()
                .unwrap()
                .parts
                .is_empty()
        );
        assert_eq!(
            last.candidates[0].finish_reason,
            Some(FinishReason::ImageProhibitedContent)
        );
        assert_eq!(
            last.usage_metadata.as_ref().unwrap().thoughts_token_count,
            Some(240)
        );

        let mut refused = answer(Vec::new(), FinishReason::Stop);
        refused.candidates.clear();
        refused.prompt_feedback = Some(PromptFeedback {
            block_reason: Some(BlockReason::ProhibitedContent),
            ..PromptFeedback::default()
        });
        let chunks = super::chunks(refused.clone());
        assert_eq!(chunks, [refused]);
    }

    fn pieces(count: usize) -> Vec<Timed> {
        (0..count)
            .map(|n| Timed {
                bytes: Bytes::from(format!("data: {{\"n\":{n}}}\r\n\r\n")),
                at: None,
            })
            .collect()
    }

    #[test]
    fn hostile_streams_break_where_they_say() {
        let texts = |pieces: &[Timed]| {
            pieces
                .iter()
                .map(|p| String::from_utf8(p.bytes.to_vec()).unwrap())
                .collect::<Vec<_>>()
        };
        let (sent, ending) = plan(pieces(5), Some(Hostile::StreamError), Framing::Sse);
        assert_eq!(ending, Ending::Clean);
        let sent = texts(&sent);
        assert_eq!(sent.len(), EVENTS_BEFORE_ERROR + 1);
        let error = sent.last().unwrap();
        assert!(
            error.starts_with("{\n") && error.contains("\"INTERNAL\""),
            "{error}"
        );
        assert!(error.lines().count() > 3, "multi-line: {error}");
        let (sent, _) = plan(pieces(5), Some(Hostile::StreamErrorEvent), Framing::Sse);
        let error = texts(&sent).pop().unwrap();
        assert!(error.starts_with("data: {\"error\":"), "{error}");
        assert!(error.ends_with("\r\n\r\n"));
        let (sent, _) = plan(pieces(5), Some(Hostile::StreamError), Framing::Array);
        assert!(texts(&sent).pop().unwrap().ends_with(']'));

        let (sent, ending) = plan(pieces(5), Some(Hostile::StreamCut), Framing::Sse);
        assert_eq!((sent.len(), ending), (4, Ending::Clean));
        let (sent, ending) = plan(pieces(5), Some(Hostile::Drop), Framing::Sse);
        assert_eq!((sent.len(), ending), (5, Ending::Reset));
        let whole = texts(&pieces(5))[4].clone();
        assert_eq!(texts(&sent)[4], whole[..whole.len() / 2]);
        let (sent, ending) = plan(pieces(5), Some(Hostile::StallBody), Framing::Sse);
        assert_eq!((sent.len(), ending), (5, Ending::Stall));
        let (sent, ending) = plan(pieces(5), Some(Hostile::HugeEvent), Framing::Sse);
        assert_eq!((texts(&sent), ending), (texts(&pieces(5)), Ending::Clean));
    }

    #[test]
    fn the_array_form_is_one_json_array_of_the_chunks() {
        let chunks = [
            answer(vec![thought("a")], FinishReason::Stop),
            answer(Vec::new(), FinishReason::Stop),
        ];
        let mut text = Vec::new();
        for (index, chunk) in chunks.iter().enumerate() {
            text.extend_from_slice(&Framing::Array.frame(chunk, index, 2).unwrap());
        }
        let array: Vec<GenerateContentResponse> = serde_json::from_slice(&text).unwrap();
        assert_eq!(array, chunks);
        let event = Framing::Sse.frame(&chunks[0], 0, 2).unwrap();
        assert!(event.starts_with(b"data: {") && event.ends_with(b"}\r\n\r\n"));
    }
}
