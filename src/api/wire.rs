//! Serde types for `generateContent` (request and response) and `models.list`.
//!
//! Field names follow the REST JSON mapping (camelCase). Requests also accept the proto snake_case
//! names that Google's own curl examples use (`inline_data`, `mime_type`), so the simulator can read
//! what any client sends. Every response field is optional or defaulted and unknown fields are
//! ignored, so a new field from Google never breaks a designer's generation. `Part` keeps fields it
//! does not know in `extra`, because model turns must be resent verbatim (thought signatures).
//!
//! Source: googleapis `generative_service.proto` (v1beta), python-genai `types.py`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::enums::{
    BlockReason, FinishReason, HarmBlockThreshold, HarmCategory, HarmProbability, Modality,
};
use super::lenient;

/// The body of `POST /{version}/models/{model}:generateContent`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    /// The conversation: user turns and, for edits, earlier model turns (verbatim).
    #[serde(default)]
    pub contents: Vec<Content>,
    /// Output options: modalities and image size and ratio.
    #[serde(
        default,
        alias = "generation_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub generation_config: Option<GenerationConfig>,
    /// Layer 1 thresholds per category.
    #[serde(
        default,
        alias = "safety_settings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub safety_settings: Vec<SafetySetting>,
    /// Tools such as `{"google_search": {}}`, passed through as JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<serde_json::Value>,
    /// An optional system instruction.
    #[serde(
        default,
        alias = "system_instruction",
        skip_serializing_if = "Option::is_none"
    )]
    pub system_instruction: Option<Content>,
}

/// One turn of the conversation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// `"user"` or `"model"`; absent in some blocked responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The parts in order. Blocked image candidates may have none.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub parts: Vec<Part>,
}

impl Content {
    /// A copy whose inline bytes are replaced by stand-ins.
    pub fn without_image_data(&self) -> Content {
        Content {
            role: self.role.clone(),
            parts: self.parts.iter().map(Part::without_image_data).collect(),
        }
    }
}

/// One part of a turn: text, an inline image, a file reference, or something Peel keeps verbatim.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text, from the user or the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Inline bytes (base64), such as a reference image or a generated image.
    #[serde(
        default,
        alias = "inline_data",
        skip_serializing_if = "Option::is_none"
    )]
    pub inline_data: Option<Blob>,
    /// A file uploaded through the Files API.
    #[serde(default, alias = "file_data", skip_serializing_if = "Option::is_none")]
    pub file_data: Option<FileData>,
    /// True for the model's interim "thought" output (thought images are not the final image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// Opaque signature (base64) that must be sent back exactly as received.
    #[serde(
        default,
        alias = "thought_signature",
        skip_serializing_if = "Option::is_none"
    )]
    pub thought_signature: Option<String>,
    /// Any other field (function calls, media resolution, …), kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// An inline image part from a MIME type and bare base64 data.
    pub fn inline_image(mime_type: impl Into<String>, base64_data: impl Into<String>) -> Self {
        Self {
            inline_data: Some(Blob {
                mime_type: mime_type.into(),
                data: base64_data.into(),
                stand_in: None,
            }),
            ..Self::default()
        }
    }

    /// Whether this part is interim thinking output rather than the answer.
    pub fn is_thought(&self) -> bool {
        self.thought == Some(true)
    }

    /// A copy whose inline bytes are replaced by a stand-in (see [`Blob::without_data`]).
    pub fn without_image_data(&self) -> Part {
        Part {
            text: self.text.clone(),
            inline_data: self.inline_data.as_ref().map(Blob::without_data),
            file_data: self.file_data.clone(),
            thought: self.thought,
            thought_signature: self.thought_signature.clone(),
            extra: self.extra.clone(),
        }
    }

    /// The inline image of a non-thought part, if it is one.
    pub fn final_image(&self) -> Option<&Blob> {
        if self.is_thought() {
            return None;
        }
        self.inline_data
            .as_ref()
            .filter(|blob| blob.mime_type.starts_with("image/"))
    }
}

/// Inline bytes with their MIME type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    /// E.g. `image/png` or `image/jpeg`.
    #[serde(default, alias = "mime_type")]
    pub mime_type: String,
    /// Bare base64 (no `data:` prefix). Empty in a stored or diagnosed copy, whose
    /// [`Blob::stand_in`] says what was here.
    #[serde(default)]
    pub data: String,
    /// Peel's own field, never sent: what the bytes were (length, sha256, pixel size) and where
    /// Peel keeps them, once `data` was moved out to a file. Each image's bytes exist once on
    /// disk, so stored turns, diagnoses and events carry this instead of the base64.
    #[serde(
        default,
        rename = "peelStandIn",
        skip_serializing_if = "Option::is_none"
    )]
    pub stand_in: Option<ImageStandIn>,
}

/// What an image was, in place of its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageStandIn {
    /// The length of the decoded bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the decoded bytes, when they were hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Width in pixels, when the header was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels, when the header was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The file that holds the bytes (absolute path), when Peel kept them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Blob {
    /// The decoded length of `data` without decoding it (base64: 3 bytes per 4 characters).
    pub fn decoded_len_estimate(&self) -> u64 {
        let trimmed = self.data.trim_end_matches(['=', '\n', '\r', ' ']);
        (trimmed.len() as u64) * 3 / 4
    }

    /// A copy without the bytes: `data` emptied and a stand-in that says what was there (the
    /// existing stand-in when there is one, else the length only).
    pub fn without_data(&self) -> Blob {
        let stand_in = self.stand_in.clone().unwrap_or_else(|| ImageStandIn {
            bytes: self.decoded_len_estimate(),
            ..ImageStandIn::default()
        });
        Blob {
            mime_type: self.mime_type.clone(),
            data: String::new(),
            stand_in: Some(stand_in),
        }
    }
}

/// A reference to an uploaded file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    /// MIME type of the file.
    #[serde(default, alias = "mime_type", skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// The file's URI.
    #[serde(default, alias = "file_uri")]
    pub file_uri: String,
}

/// Output options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig {
    /// `["TEXT", "IMAGE"]` (image models' default) or `["IMAGE"]`.
    #[serde(
        default,
        alias = "response_modalities",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub response_modalities: Vec<Modality>,
    /// Aspect ratio and size of the image.
    #[serde(
        default,
        alias = "image_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub image_config: Option<ImageConfig>,
    /// Number of candidates (image models produce one).
    #[serde(
        default,
        alias = "candidate_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub candidate_count: Option<u32>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Sampling seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
}

/// Image options: `aspectRatio` such as `"16:9"`, `imageSize` `"1K"`, `"2K"` or `"4K"` (uppercase K).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageConfig {
    /// E.g. `"16:9"`.
    #[serde(
        default,
        alias = "aspect_ratio",
        skip_serializing_if = "Option::is_none"
    )]
    pub aspect_ratio: Option<String>,
    /// `"1K"`, `"2K"` or `"4K"`; not sent to models with a single size.
    #[serde(default, alias = "image_size", skip_serializing_if = "Option::is_none")]
    pub image_size: Option<String>,
}

/// A Layer 1 threshold for one category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetySetting {
    /// The category.
    pub category: HarmCategory,
    /// The threshold.
    pub threshold: HarmBlockThreshold,
}

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

    /// Every inline blob of every candidate, in order, mutably (to move their bytes out).
    pub fn blobs_mut(&mut self) -> impl Iterator<Item = (&mut Blob, bool)> {
        self.candidates
            .iter_mut()
            .filter_map(|candidate| candidate.content.as_mut())
            .flat_map(|content| content.parts.iter_mut())
            .filter_map(|part| {
                let thought = part.is_thought();
                part.inline_data.as_mut().map(|blob| (blob, thought))
            })
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

    /// Folds the next chunk of a stream into this response: parts are appended per candidate
    /// index, and the latest finish reason, usage and ids win.
    pub fn merge_chunk(&mut self, chunk: GenerateContentResponse) {
        if self.prompt_feedback.is_none() {
            self.prompt_feedback = chunk.prompt_feedback;
        }
        for incoming in chunk.candidates {
            let index = incoming.index.unwrap_or(0);
            let existing = self
                .candidates
                .iter_mut()
                .find(|c| c.index.unwrap_or(0) == index);
            match existing {
                None => self.candidates.push(incoming),
                Some(existing) => existing.merge_chunk(incoming),
            }
        }
        if chunk.usage_metadata.is_some() {
            self.usage_metadata = chunk.usage_metadata;
        }
        if chunk.model_version.is_some() {
            self.model_version = chunk.model_version;
        }
        if chunk.response_id.is_some() {
            self.response_id = chunk.response_id;
        }
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

impl Candidate {
    fn merge_chunk(&mut self, incoming: Candidate) {
        match (&mut self.content, incoming.content) {
            (Some(existing), Some(new)) => {
                existing.parts.extend(new.parts);
                if existing.role.is_none() {
                    existing.role = new.role;
                }
            }
            (slot @ None, new) => *slot = new,
            (Some(_), None) => {}
        }
        if incoming.finish_reason.is_some() {
            self.finish_reason = incoming.finish_reason;
        }
        if incoming.finish_message.is_some() {
            self.finish_message = incoming.finish_message;
        }
        if !incoming.safety_ratings.is_empty() {
            self.safety_ratings = incoming.safety_ratings;
        }
        if incoming.token_count.is_some() {
            self.token_count = incoming.token_count;
        }
    }
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

/// The answer to `GET /{version}/models`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListModelsResponse {
    /// The models on this page.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub models: Vec<ModelInfo>,
    /// Token for the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// One model as `models.list` describes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// Resource name, `models/{id}`.
    #[serde(default)]
    pub name: String,
    /// Base model id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model_id: Option<String>,
    /// Version string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Human name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Maximum input tokens.
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub input_token_limit: Option<u64>,
    /// Maximum output tokens.
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub output_token_limit: Option<u64>,
    /// E.g. `["generateContent", "countTokens"]`.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub supported_generation_methods: Vec<String>,
    /// Whether the model thinks.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub thinking: Option<bool>,
}

impl ModelInfo {
    /// The id without the `models/` prefix.
    pub fn id(&self) -> &str {
        self.name.strip_prefix("models/").unwrap_or(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_serializes_in_camel_case_and_reads_snake_case() {
        let request = GenerateContentRequest {
            contents: vec![Content {
                role: Some("user".to_owned()),
                parts: vec![
                    Part::text("a red fox"),
                    Part::inline_image("image/png", "iVBOR"),
                ],
            }],
            generation_config: Some(GenerationConfig {
                response_modalities: vec![Modality::Text, Modality::Image],
                image_config: Some(ImageConfig {
                    aspect_ratio: Some("16:9".to_owned()),
                    image_size: Some("2K".to_owned()),
                }),
                ..GenerationConfig::default()
            }),
            safety_settings: vec![SafetySetting {
                category: HarmCategory::Harassment,
                threshold: HarmBlockThreshold::BlockOnlyHigh,
            }],
            ..GenerateContentRequest::default()
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["generationConfig"]["imageConfig"]["imageSize"], "2K");
        assert_eq!(
            json["contents"][0]["parts"][1]["inlineData"]["mimeType"],
            "image/png"
        );

        let snake = r#"{"contents":[{"parts":[{"inline_data":{"mime_type":"image/png","data":"AA"}}]}],
            "generation_config":{"response_modalities":["IMAGE"],"image_config":{"aspect_ratio":"1:1"}}}"#;
        let parsed: GenerateContentRequest = serde_json::from_str(snake).unwrap();
        assert_eq!(
            parsed.contents[0].parts[0]
                .inline_data
                .as_ref()
                .unwrap()
                .mime_type,
            "image/png"
        );
        let config = parsed.generation_config.unwrap();
        assert_eq!(
            config.image_config.unwrap().aspect_ratio.as_deref(),
            Some("1:1")
        );
    }

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

    #[test]
    fn models_list_parses() {
        let body = r#"{"models":[{"name":"models/gemini-3-pro-image","displayName":"Gemini 3 Pro Image",
            "inputTokenLimit":65536,"outputTokenLimit":32768,
            "supportedGenerationMethods":["generateContent","countTokens"],"thinking":true}],
            "nextPageToken":"p2"}"#;
        let list: ListModelsResponse = serde_json::from_str(body).unwrap();
        assert_eq!(list.models[0].id(), "gemini-3-pro-image");
        assert_eq!(list.next_page_token.as_deref(), Some("p2"));
    }
}
