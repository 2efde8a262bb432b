//! The answer to `models.list`: one page of models with their limits and methods.

use serde::{Deserialize, Serialize};

use crate::api::lenient;

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
