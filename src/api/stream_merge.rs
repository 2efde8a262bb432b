//! Folding the events of a streamed answer into the one answer the plain call gives, so the
//! diagnosis, delivery, thought signatures and edits see no difference.
//!
//! Parts are appended in order, each exactly as it arrived: adjacent text is not joined, and a
//! part that carries only a `thoughtSignature` (often with empty text, in the last event) stays a
//! part of its own. This is what Google's Python SDK keeps: `chats.py` `send_message_stream`
//! records each chunk's `candidates[0].content` verbatim in the history it sends back, and
//! `_extra_utils.merge_pydantic_models` (its merge across continuation hops) concatenates parts
//! "keeping each hop's Part distinct and preserving empty placeholder Parts". So every signature
//! is resent where Google put it.
//!
//! Everything else: `finishReason`, `finishMessage`, `safetyRatings`, `usageMetadata` (and a
//! candidate's token count, citations and grounding) from the last event that has them;
//! `promptFeedback` from the first (Google sends it only in the first chunk); `modelVersion` and
//! `responseId` from the first.

use super::wire::{Candidate, GenerateContentResponse};

/// Folds `event`, the next event of a stream, into `answer` (the events before it, merged; the
/// default answer before the first). Candidates are matched by `index` (absent counts as 0).
pub fn merge_event(answer: &mut GenerateContentResponse, event: GenerateContentResponse) {
    if answer.prompt_feedback.is_none() {
        answer.prompt_feedback = event.prompt_feedback;
    }
    for incoming in event.candidates {
        let index = incoming.index.unwrap_or(0);
        match answer
            .candidates
            .iter_mut()
            .find(|candidate| candidate.index.unwrap_or(0) == index)
        {
            Some(candidate) => merge_candidate(candidate, incoming),
            None => answer.candidates.push(incoming),
        }
    }
    if event.usage_metadata.is_some() {
        answer.usage_metadata = event.usage_metadata;
    }
    if answer.model_version.is_none() {
        answer.model_version = event.model_version;
    }
    if answer.response_id.is_none() {
        answer.response_id = event.response_id;
    }
}

/// Folds the same candidate's next piece into it.
fn merge_candidate(candidate: &mut Candidate, incoming: Candidate) {
    match (&mut candidate.content, incoming.content) {
        (Some(content), Some(more)) => {
            content.parts.extend(more.parts);
            if content.role.is_none() {
                content.role = more.role;
            }
        }
        (slot @ None, more) => *slot = more,
        (Some(_), None) => {}
    }
    if incoming.finish_reason.is_some() {
        candidate.finish_reason = incoming.finish_reason;
    }
    if incoming.finish_message.is_some() {
        candidate.finish_message = incoming.finish_message;
    }
    if !incoming.safety_ratings.is_empty() {
        candidate.safety_ratings = incoming.safety_ratings;
    }
    if incoming.citation_metadata.is_some() {
        candidate.citation_metadata = incoming.citation_metadata;
    }
    if incoming.grounding_metadata.is_some() {
        candidate.grounding_metadata = incoming.grounding_metadata;
    }
    if incoming.token_count.is_some() {
        candidate.token_count = incoming.token_count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::enums::{BlockReason, FinishReason};

    fn parse(json: &str) -> GenerateContentResponse {
        serde_json::from_str(json).unwrap()
    }

    fn merged(events: &[&str]) -> GenerateContentResponse {
        let mut answer = GenerateContentResponse::default();
        for event in events {
            merge_event(&mut answer, parse(event));
        }
        answer
    }

    /// The events of a Pro answer merge into exactly the plain call's answer with the same
    /// parts: thoughts, interim image, the text, the final image, and the last event's finish
    /// and usage.
    #[test]
    fn events_merge_into_the_plain_answer() {
        let plain = parse(
            r#"{"candidates":[{"content":{"role":"model","parts":[
                {"text":"**Composing**","thought":true},
                {"inlineData":{"mimeType":"image/jpeg","data":"VEhPVUdIVA=="},"thought":true},
                {"text":"Here is your fox","thoughtSignature":"c2ln"},
                {"inlineData":{"mimeType":"image/jpeg","data":"RklOQUw="},"thoughtSignature":"c2lnMg=="}]},
                "finishReason":"STOP","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"}]}],
              "promptFeedback":{"safetyRatings":[]},
              "usageMetadata":{"promptTokenCount":10,"thoughtsTokenCount":240,"totalTokenCount":1370},
              "modelVersion":"gemini-3-pro-image","responseId":"r1"}"#,
        );
        let streamed = merged(&[
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"**Composing**","thought":true}]},"index":0}],
                "promptFeedback":{"safetyRatings":[]},"usageMetadata":{"promptTokenCount":10},
                "modelVersion":"gemini-3-pro-image","responseId":"r1"}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"image/jpeg","data":"VEhPVUdIVA=="},"thought":true}]},"index":0}],
                "modelVersion":"gemini-3-pro-image-later","responseId":"r2"}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Here is your fox","thoughtSignature":"c2ln"}]}}]}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"image/jpeg","data":"RklOQUw="},"thoughtSignature":"c2lnMg=="}]},
                "finishReason":"STOP","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"}]}],
                "usageMetadata":{"promptTokenCount":10,"thoughtsTokenCount":240,"totalTokenCount":1370}}"#,
        ]);
        assert_eq!(streamed, plain);
    }

    /// As google-genai keeps them: text chunks stay separate parts, and a signature that comes
    /// on a later part with empty text stays on that part, in its place.
    #[test]
    fn text_chunks_and_a_late_signature_are_kept_as_sent() {
        let answer = merged(&[
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Here is"}]}}]}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":" your fox"}]}}]}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"","thoughtSignature":"bGF0ZQ=="}]},"finishReason":"STOP"}]}"#,
        ]);
        let parts = &answer.candidates[0].content.as_ref().unwrap().parts;
        let texts: Vec<_> = parts.iter().map(|part| part.text.as_deref()).collect();
        assert_eq!(texts, [Some("Here is"), Some(" your fox"), Some("")]);
        let signatures: Vec<_> = parts
            .iter()
            .map(|part| part.thought_signature.as_deref())
            .collect();
        assert_eq!(signatures, [None, None, Some("bGF0ZQ==")]);
        assert_eq!(answer.candidates.len(), 1);
    }

    /// Prompt feedback and ids come from the first event that has them; finish, its message,
    /// ratings and usage from the last.
    #[test]
    fn first_and_last_win_where_google_says() {
        let answer = merged(&[
            r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"responseId":"first"}"#,
            r#"{"candidates":[{"content":{},"finishReason":"OTHER","finishMessage":"one"}],
                "promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"totalTokenCount":1},"responseId":"second"}"#,
            r#"{"candidates":[{"finishReason":"IMAGE_PROHIBITED_CONTENT","finishMessage":"two","tokenCount":3}],
                "usageMetadata":{"thoughtsTokenCount":240},"modelVersion":"late"}"#,
            r#"{"candidates":[{"content":{"parts":[]}}]}"#,
        ]);
        assert_eq!(
            answer.prompt_feedback.unwrap().block_reason,
            Some(BlockReason::ProhibitedContent)
        );
        assert_eq!(answer.response_id.as_deref(), Some("first"));
        assert_eq!(answer.model_version.as_deref(), Some("late"));
        let candidate = &answer.candidates[0];
        assert_eq!(
            candidate.finish_reason,
            Some(FinishReason::ImageProhibitedContent)
        );
        assert_eq!(candidate.finish_message.as_deref(), Some("two"));
        assert_eq!(candidate.token_count, Some(3));
        let usage = answer.usage_metadata.unwrap();
        assert_eq!(usage.thoughts_token_count, Some(240));
        assert_eq!(usage.total_token_count, None, "the last usage is whole");
    }

    /// Candidates with another index stay apart; a stream with no finish keeps none.
    #[test]
    fn candidates_by_index_and_no_finish_invented() {
        let answer = merged(&[
            r#"{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0},{"content":{"parts":[{"text":"x"}]},"index":1}]}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"y"}]},"index":1}]}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"b"}]}}]}"#,
        ]);
        let texts = |i: usize| -> Vec<String> {
            answer.candidates[i]
                .content
                .as_ref()
                .unwrap()
                .parts
                .iter()
                .filter_map(|part| part.text.clone())
                .collect()
        };
        assert_eq!(texts(0), ["a", "b"]);
        assert_eq!(texts(1), ["x", "y"]);
        assert!(answer.candidates.iter().all(|c| c.finish_reason.is_none()));
    }
}
