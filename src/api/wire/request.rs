//! The body of a `generateContent` request: the conversation, the output options (modalities,
//! image size and ratio) and the safety settings.

use serde::{Deserialize, Serialize};

use super::Content;
use crate::api::enums::{HarmBlockThreshold, HarmCategory, Modality};

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
    /// Thinking options: `includeThoughts` asks a thinking model to send its thought summaries.
    #[serde(
        default,
        alias = "thinking_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub thinking_config: Option<ThinkingConfig>,
}

/// Thinking options. Peel sends `includeThoughts` only: Nano Banana Pro refuses `thinkingLevel`
/// with 400 "thinking_level is not supported by this model" (BerriAI/litellm#17074).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingConfig {
    /// Send thought summaries (text parts marked `thought`) with the interim images.
    #[serde(
        default,
        alias = "include_thoughts",
        skip_serializing_if = "Option::is_none"
    )]
    pub include_thoughts: Option<bool>,
    /// `MINIMAL` or `HIGH` (Nano Banana 2); Peel never sends it, the simulator reads it.
    #[serde(
        default,
        alias = "thinking_level",
        skip_serializing_if = "Option::is_none"
    )]
    pub thinking_level: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::{Content, Part};

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
}
