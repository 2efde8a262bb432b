//! The answer to `generateContent`: candidates, prompt feedback, safety ratings and token
//! usage, every field optional or defaulted so a new field from Google never breaks a read.
//! Stream chunks fold into one answer ([`GenerateContentResponse::merge_chunk`]).

use serde::{Deserialize, Serialize};

use super::{Blob, Content, Part};
use crate::api::enums::{BlockReason, FinishReason, HarmCategory, HarmProbability, Modality};
use crate::api::lenient;

/// The answer to `generateContent` (or one chunk of `streamGenerateContent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    /// The candidates; none when the prompt itself was blocked.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub candidates: Vec<Candidate>,
    /// Why the prompt was blocked, if it was (sent only in the first stream chunk).
    #[serde(
        default,
        alias = "prompt_feedback",
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub prompt_feedback: Option<PromptFeedback>,
    /// Token counts, for cost.
    #[serde(
        default,
        alias = "usage_metadata",
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub usage_metadata: Option<UsageMetadata>,
    /// The model version that answered.
    #[serde(
        default,
        alias = "model_version",
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub model_version: Option<String>,
    /// The server's id for this response.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_id: Option<String>,
}

impl GenerateContentResponse {
    /// A copy whose inline bytes are replaced by stand-ins: what diagnoses, events and the
    /// database keep of an answer (an answer's images are tens of MB; the rest is a few KB).
    pub fn without_image_data(&self) -> GenerateContentResponse {
        GenerateContentResponse {
            candidates: self
                .candidates
                .iter()
                .map(|candidate| Candidate {
                    content: candidate.content.as_ref().map(Content::without_image_data),
                    finish_reason: candidate.finish_reason.clone(),
                    finish_message: candidate.finish_message.clone(),
                    safety_ratings: candidate.safety_ratings.clone(),
                    citation_metadata: candidate.citation_metadata.clone(),
                    grounding_metadata: candidate.grounding_metadata.clone(),
                    token_count: candidate.token_count,
                    index: candidate.index,
                })
                .collect(),
            prompt_feedback: self.prompt_feedback.clone(),
            usage_metadata: self.usage_metadata.clone(),
            model_version: self.model_version.clone(),
            response_id: self.response_id.clone(),
        }
    }

    /// The first candidate, which is the only one image models produce.
    pub fn first_candidate(&self) -> Option<&Candidate> {
        self.candidates.first()
    }

    /// The final image: the last non-thought inline image of the first candidate that has one.
    pub fn final_image(&self) -> Option<&Blob> {
        self.candidates.iter().find_map(|candidate| {
            candidate
                .content
                .as_ref()?
                .parts
                .iter()
                .rev()
                .find_map(Part::final_image)
        })
    }

    /// The model's own words (non-thought text parts of the first candidate), if any.
    pub fn model_text(&self) -> Option<String> {
        let candidate = self.first_candidate()?;
        let text: Vec<&str> = candidate
            .content
            .as_ref()?
            .parts
            .iter()
            .filter(|part| !part.is_thought())
            .filter_map(|part| part.text.as_deref())
            .filter(|text| !text.trim().is_empty())
            .collect();
        (!text.is_empty()).then(|| text.join("\n"))
    }

    /// Folds the next chunk of a stream into this response, as the streamed call does
    /// ([`merge_event`](crate::api::stream_merge::merge_event)).
    pub fn merge_chunk(&mut self, chunk: GenerateContentResponse) {
        crate::api::stream_merge::merge_event(self, chunk);
    }
}

/// One answer from the model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The model turn; `{}` or only a role when the image was blocked.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub content: Option<Content>,
    /// Why the model stopped.
    #[serde(
        default,
        alias = "finish_reason",
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub finish_reason: Option<FinishReason>,
    /// Human text explaining the finish reason (set only with a finish reason).
    #[serde(
        default,
        alias = "finish_message",
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub finish_message: Option<String>,
    /// Ratings per safety category.
    #[serde(
        default,
        alias = "safety_ratings",
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub safety_ratings: Vec<SafetyRating>,
    /// Citations, passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation_metadata: Option<serde_json::Value>,
    /// Grounding information, passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounding_metadata: Option<serde_json::Value>,
    /// Tokens in this candidate.
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_count: Option<u64>,
    /// Index of the candidate.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub index: Option<u32>,
}

/// Feedback on the prompt; its `blockReason` is set when the prompt was blocked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    /// Why the prompt was blocked.
    #[serde(
        default,
        alias = "block_reason",
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub block_reason: Option<BlockReason>,
    /// Human text for the block, when Google sends one.
    #[serde(
        default,
        alias = "block_reason_message",
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub block_reason_message: Option<String>,
    /// Ratings per safety category.
    #[serde(
        default,
        alias = "safety_ratings",
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub safety_ratings: Vec<SafetyRating>,
}

/// A safety rating for one category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyRating {
    /// The category.
    pub category: HarmCategory,
    /// The probability of harm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<HarmProbability>,
    /// Whether this rating caused the block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
}

/// Token counts of a call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Tokens in the prompt (text and images).
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub prompt_token_count: Option<u64>,
    /// Tokens served from cache.
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub cached_content_token_count: Option<u64>,
    /// Tokens in the answer (text and images).
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub candidates_token_count: Option<u64>,
    /// Tokens in tool-use prompts.
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub tool_use_prompt_token_count: Option<u64>,
    /// Thinking tokens (billed as output).
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub thoughts_token_count: Option<u64>,
    /// Total tokens.
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_token_count: Option<u64>,
    /// Prompt tokens per modality.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub prompt_tokens_details: Vec<ModalityTokenCount>,
    /// Cached tokens per modality.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cache_tokens_details: Vec<ModalityTokenCount>,
    /// Answer tokens per modality; the `IMAGE` entry is what image output is billed on.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub candidates_tokens_details: Vec<ModalityTokenCount>,
    /// Tool-use prompt tokens per modality.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tool_use_prompt_tokens_details: Vec<ModalityTokenCount>,
}

impl UsageMetadata {
    /// Output tokens billed as image output (the `IMAGE` entry of `candidatesTokensDetails`).
    pub fn image_output_tokens(&self) -> Option<u64> {
        self.candidates_tokens_details
            .iter()
            .find(|detail| detail.modality == Modality::Image)
            .and_then(|detail| detail.token_count)
    }
}

/// Tokens for one modality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModalityTokenCount {
    /// The modality.
    pub modality: Modality,
    /// Tokens of that modality.
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_image_skips_thought_images_and_keeps_signatures() {
        let body = r#"{"candidates":[{"content":{"role":"model","parts":[
            {"text":"thinking","thought":true},
            {"inlineData":{"mimeType":"image/jpeg","data":"T1"},"thought":true},
            {"text":"Here is your fox","thoughtSignature":"c2ln"},
            {"inlineData":{"mimeType":"image/jpeg","data":"RklOQUw="},"thoughtSignature":"c2lnMg=="},
            {"someFutureField":{"x":1}}]},"finishReason":"STOP","index":0}],
            "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":1120,
            "candidatesTokensDetails":[{"modality":"IMAGE","tokenCount":1120}]},
            "modelVersion":"gemini-3-pro-image","responseId":"abc"}"#;
        let response: GenerateContentResponse = serde_json::from_str(body).unwrap();
        assert_eq!(response.final_image().unwrap().data, "RklOQUw=");
        assert_eq!(response.model_text().as_deref(), Some("Here is your fox"));
        let parts = &response.candidates[0].content.as_ref().unwrap().parts;
        assert_eq!(parts[3].thought_signature.as_deref(), Some("c2lnMg=="));
        assert!(parts[4].extra.contains_key("someFutureField"));
        assert_eq!(
            response.usage_metadata.unwrap().image_output_tokens(),
            Some(1120)
        );
        // Verbatim round trip keeps the unknown field and the signature.
        let again = serde_json::to_value(&parts[4]).unwrap();
        assert_eq!(again["someFutureField"]["x"], 1);
    }

    #[test]
    fn odd_shapes_do_not_break_parsing() {
        let body = r#"{"candidates":[{"content":{},"finishReason":"IMAGE_NEW_THING",
            "safetyRatings":"not a list","tokenCount":"12"}],
            "usageMetadata":{"promptTokenCount":"4438"},"promptFeedback":7}"#;
        let response: GenerateContentResponse = serde_json::from_str(body).unwrap();
        let candidate = &response.candidates[0];
        assert_eq!(
            candidate.finish_reason,
            Some(FinishReason::Unknown("IMAGE_NEW_THING".to_owned()))
        );
        assert!(candidate.safety_ratings.is_empty());
        assert_eq!(candidate.token_count, Some(12));
        assert_eq!(
            response.usage_metadata.unwrap().prompt_token_count,
            Some(4438)
        );
        assert!(response.prompt_feedback.is_none());
    }

    #[test]
    fn stream_chunks_merge_into_one_answer() {
        let first: GenerateContentResponse = serde_json::from_str(
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Here"}]},"index":0}],
                "promptFeedback":{"safetyRatings":[]}}"#,
        )
        .unwrap();
        let second: GenerateContentResponse = serde_json::from_str(
            r#"{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"QQ=="}}]},
                "finishReason":"STOP","index":0}],"usageMetadata":{"totalTokenCount":9}}"#,
        )
        .unwrap();
        let mut merged = first;
        merged.merge_chunk(second);
        assert_eq!(merged.candidates.len(), 1);
        assert_eq!(merged.final_image().unwrap().data, "QQ==");
        assert_eq!(merged.candidates[0].finish_reason, Some(FinishReason::Stop));
        assert_eq!(merged.usage_metadata.unwrap().total_token_count, Some(9));
    }
}
