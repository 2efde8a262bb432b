//! The error envelope Google returns for non-2xx answers:
//! `{"error": {"code", "message", "status", "details": [{"@type": …}, …]}}`.
//!
//! `details` entries are `google.rpc` messages told apart by `@type`; every type seen in real Gemini
//! bodies has a variant, anything else is kept as raw JSON. The legacy `errors[]` list of older
//! Google front ends is read too.
//!
//! Source: `google/rpc/error_details.proto`; real bodies in `tests/fixtures/real-errors/`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::lenient;

/// `{"error": {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error itself.
    #[serde(default)]
    pub error: ErrorStatus,
}

/// A `google.rpc.Status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorStatus {
    /// The HTTP status code Google meant (e.g. 429).
    #[serde(
        default,
        deserialize_with = "lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<u64>,
    /// Google's message.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// The canonical code name (e.g. `RESOURCE_EXHAUSTED`).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    /// Typed details.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ErrorDetail>,
    /// Legacy `errors[]` (older front ends, Vertex, Code Assist).
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<LegacyError>,
}

impl ErrorStatus {
    /// All `RetryInfo` delays, as sent (e.g. `"22s"`).
    pub fn retry_delays(&self) -> impl Iterator<Item = &str> {
        self.details.iter().filter_map(|detail| match detail {
            ErrorDetail::RetryInfo { retry_delay } => retry_delay.as_deref(),
            _ => None,
        })
    }

    /// All quota violations across `QuotaFailure` details.
    pub fn quota_violations(&self) -> impl Iterator<Item = &QuotaViolation> {
        self.details.iter().flat_map(|detail| match detail {
            ErrorDetail::QuotaFailure { violations } => violations.as_slice(),
            _ => &[],
        })
    }

    /// All `ErrorInfo` reasons (e.g. `API_KEY_INVALID`), plus legacy `errors[].reason`.
    pub fn reasons(&self) -> Vec<&str> {
        let mut reasons: Vec<&str> = self
            .details
            .iter()
            .filter_map(|detail| match detail {
                ErrorDetail::ErrorInfo { reason, .. } => reason.as_deref(),
                _ => None,
            })
            .collect();
        reasons.extend(self.errors.iter().filter_map(|e| e.reason.as_deref()));
        reasons
    }

    /// All `BadRequest` field violations.
    pub fn field_violations(&self) -> impl Iterator<Item = &FieldViolation> {
        self.details.iter().flat_map(|detail| match detail {
            ErrorDetail::BadRequest { field_violations } => field_violations.as_slice(),
            _ => &[],
        })
    }
}

/// One entry of the legacy `errors[]` list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyError {
    /// Message.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// Domain (e.g. `global`).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub domain: Option<String>,
    /// Reason (e.g. `rateLimitExceeded`).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<String>,
}

/// One entry of `details[]`.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorDetail {
    /// `google.rpc.RetryInfo`: how long the server asks the client to wait.
    RetryInfo {
        /// A duration string such as `"22s"` or `"0.856s"`.
        retry_delay: Option<String>,
    },
    /// `google.rpc.QuotaFailure`: which quotas were exceeded.
    QuotaFailure {
        /// The violations.
        violations: Vec<QuotaViolation>,
    },
    /// `google.rpc.ErrorInfo`: a machine-readable reason.
    ErrorInfo {
        /// E.g. `API_KEY_INVALID`, `SERVICE_DISABLED`, `MODEL_CAPACITY_EXHAUSTED`.
        reason: Option<String>,
        /// E.g. `googleapis.com`.
        domain: Option<String>,
        /// Extra key/values.
        metadata: BTreeMap<String, String>,
    },
    /// `google.rpc.BadRequest`: which request fields were wrong.
    BadRequest {
        /// The violations.
        field_violations: Vec<FieldViolation>,
    },
    /// `google.rpc.Help`: links to documentation.
    Help {
        /// The links.
        links: Vec<HelpLink>,
    },
    /// `google.rpc.LocalizedMessage`: the message in a locale.
    LocalizedMessage {
        /// E.g. `en-US`.
        locale: Option<String>,
        /// The message.
        message: Option<String>,
    },
    /// `google.rpc.DebugInfo`: server detail; may echo the API key, so it is redacted before display.
    DebugInfo {
        /// The detail text.
        detail: Option<String>,
    },
    /// A detail type Peel does not know, kept as JSON.
    Unknown {
        /// The `@type` URL.
        type_url: String,
        /// The whole detail object.
        value: serde_json::Value,
    },
}

/// One exceeded quota.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaViolation {
    /// E.g. `generativelanguage.googleapis.com/generate_content_free_tier_requests`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub quota_metric: Option<String>,
    /// E.g. `GenerateRequestsPerDayPerProjectPerModel-FreeTier`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub quota_id: Option<String>,
    /// E.g. `{"location": "global", "model": "gemini-2.5-flash-image"}`.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub quota_dimensions: BTreeMap<String, String>,
    /// The limit, as a string (`"250"`, `"0"`).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub quota_value: Option<String>,
    /// The limit after a pending change.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub future_quota_value: Option<String>,
    /// Free text (older bodies).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
}

/// One wrong request field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldViolation {
    /// The field path, e.g. `contents[0].parts[2].inline_data.data`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub field: Option<String>,
    /// What is wrong with it.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
}

/// A documentation link.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpLink {
    /// What the link is about.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The address.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<String>,
}

/// The last segment of a type URL: `type.googleapis.com/google.rpc.RetryInfo` → `RetryInfo`.
/// The HTTP status of a `google.rpc.Code` name, as Google's front end maps them
/// (`google/rpc/code.proto`).
pub fn http_status_of(name: &str) -> Option<u16> {
    Some(match name {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
        "UNAUTHENTICATED" => 401,
        "PERMISSION_DENIED" => 403,
        "NOT_FOUND" => 404,
        "ALREADY_EXISTS" | "ABORTED" => 409,
        "RESOURCE_EXHAUSTED" => 429,
        "CANCELLED" => 499,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => 500,
        "UNIMPLEMENTED" => 501,
        "UNAVAILABLE" => 503,
        "DEADLINE_EXCEEDED" => 504,
        _ => return None,
    })
}

fn short_type_name(type_url: &str) -> &str {
    let tail = type_url.rsplit('/').next().unwrap_or(type_url);
    let tail = tail.rsplit('.').next().unwrap_or(tail);
    tail.trim_matches(|c: char| !c.is_ascii_alphanumeric())
}

fn field<T: serde::de::DeserializeOwned + Default>(value: &serde_json::Value, key: &str) -> T {
    value
        .get(key)
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

fn text_field(value: &serde_json::Value, key: &str) -> Option<String> {
    match value.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl<'de> Deserialize<'de> for ErrorDetail {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let type_url = text_field(&value, "@type").unwrap_or_default();
        Ok(match short_type_name(&type_url) {
            "RetryInfo" => ErrorDetail::RetryInfo {
                retry_delay: text_field(&value, "retryDelay"),
            },
            "QuotaFailure" => ErrorDetail::QuotaFailure {
                violations: field(&value, "violations"),
            },
            "ErrorInfo" => {
                let metadata: BTreeMap<String, serde_json::Value> = field(&value, "metadata");
                ErrorDetail::ErrorInfo {
                    reason: text_field(&value, "reason"),
                    domain: text_field(&value, "domain"),
                    metadata: metadata
                        .into_iter()
                        .map(|(k, v)| match v {
                            serde_json::Value::String(s) => (k, s),
                            other => (k, other.to_string()),
                        })
                        .collect(),
                }
            }
            "BadRequest" => ErrorDetail::BadRequest {
                field_violations: field(&value, "fieldViolations"),
            },
            "Help" => ErrorDetail::Help {
                links: field(&value, "links"),
            },
            "LocalizedMessage" => ErrorDetail::LocalizedMessage {
                locale: text_field(&value, "locale"),
                message: text_field(&value, "message"),
            },
            "DebugInfo" => ErrorDetail::DebugInfo {
                detail: text_field(&value, "detail"),
            },
            _ => ErrorDetail::Unknown { type_url, value },
        })
    }
}

impl Serialize for ErrorDetail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde_json::json;
        const PREFIX: &str = "type.googleapis.com/google.rpc.";
        let value = match self {
            ErrorDetail::RetryInfo { retry_delay } => {
                json!({"@type": format!("{PREFIX}RetryInfo"), "retryDelay": retry_delay})
            }
            ErrorDetail::QuotaFailure { violations } => {
                json!({"@type": format!("{PREFIX}QuotaFailure"), "violations": violations})
            }
            ErrorDetail::ErrorInfo {
                reason,
                domain,
                metadata,
            } => json!({
                "@type": format!("{PREFIX}ErrorInfo"), "reason": reason, "domain": domain, "metadata": metadata
            }),
            ErrorDetail::BadRequest { field_violations } => {
                json!({"@type": format!("{PREFIX}BadRequest"), "fieldViolations": field_violations})
            }
            ErrorDetail::Help { links } => {
                json!({"@type": format!("{PREFIX}Help"), "links": links})
            }
            ErrorDetail::LocalizedMessage { locale, message } => json!({
                "@type": format!("{PREFIX}LocalizedMessage"), "locale": locale, "message": message
            }),
            ErrorDetail::DebugInfo { detail } => {
                json!({"@type": format!("{PREFIX}DebugInfo"), "detail": detail})
            }
            ErrorDetail::Unknown { value, .. } => value.clone(),
        };
        value.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_detail_types_parse() {
        let body = r#"{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED",
          "details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m",
              "quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier",
              "quotaDimensions":{"location":"global","model":"gemini-2.5-flash-image"},"quotaValue":"250"}]},
            {"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more","url":"https://x"}]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"22s"},
            {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com",
              "metadata":{"service":"generativelanguage.googleapis.com"}},
            {"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"m"},
            {"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"Invalid API key: AIzaX"},
            {"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"f","description":"d"}]},
            {"@type":"type.googleapis.com/google.rpc.PreconditionFailure","violations":[]}]}}"#;
        let envelope: ErrorEnvelope = serde_json::from_str(body).unwrap();
        let error = &envelope.error;
        assert_eq!(error.code, Some(429));
        assert_eq!(error.retry_delays().collect::<Vec<_>>(), ["22s"]);
        let violation = error.quota_violations().next().unwrap();
        assert_eq!(violation.quota_value.as_deref(), Some("250"));
        assert_eq!(
            violation.quota_dimensions["model"],
            "gemini-2.5-flash-image"
        );
        assert_eq!(error.reasons(), ["API_KEY_INVALID"]);
        assert_eq!(error.field_violations().count(), 1);
        assert!(matches!(error.details[7], ErrorDetail::Unknown { .. }));
        assert!(matches!(error.details[5], ErrorDetail::DebugInfo { .. }));

        // Round trip keeps the @type of every detail.
        let again = serde_json::to_value(&envelope).unwrap();
        assert_eq!(
            again["error"]["details"][2]["@type"],
            "type.googleapis.com/google.rpc.RetryInfo"
        );
        assert_eq!(
            again["error"]["details"][7]["@type"],
            "type.googleapis.com/google.rpc.PreconditionFailure"
        );
    }

    #[test]
    fn numeric_quota_values_and_legacy_errors_parse() {
        let body = r#"{"error":{"code":"429","status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaValue":0}]}],
            "errors":[{"message":"Quota exceeded","domain":"global","reason":"rateLimitExceeded"}]}}"#;
        let envelope: ErrorEnvelope = serde_json::from_str(body).unwrap();
        assert_eq!(envelope.error.code, Some(429));
        assert_eq!(
            envelope
                .error
                .quota_violations()
                .next()
                .unwrap()
                .quota_value
                .as_deref(),
            Some("0")
        );
        assert_eq!(envelope.error.reasons(), ["rateLimitExceeded"]);
    }
}
