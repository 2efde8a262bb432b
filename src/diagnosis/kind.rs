//! The diagnosis contract: every way a request can end (`Kind`) and the layer that decided it
//! (`Layer`). The ids are stable: the UI, the CLI's JSON and the tests depend on them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The part of the path from Peel to the image that decided the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The network between Peel and Google (DNS, connection, TLS, a broken answer).
    Transport,
    /// The API key and the project behind it.
    Auth,
    /// Rate limits and quotas.
    Quota,
    /// Google's servers (overload, internal errors, timeouts).
    Server,
    /// The request itself (a wrong setting, a bad input image, an unknown model).
    Request,
    /// Layer 1: the prompt safety filter, adjustable with `safetySettings`.
    PromptFilter,
    /// Content rules no setting changes (prohibited content, blocklists, personal data, recitation).
    Policy,
    /// Layer 2: the filter on the generated image, not adjustable.
    ImageFilter,
    /// The model answered but without an image.
    Model,
    /// Nothing failed, or no layer could be identified.
    None,
}

impl Layer {
    /// Every layer, in the order a request passes through them.
    pub const ALL: [Layer; 10] = [
        Layer::Transport,
        Layer::Auth,
        Layer::Quota,
        Layer::Server,
        Layer::Request,
        Layer::PromptFilter,
        Layer::Policy,
        Layer::ImageFilter,
        Layer::Model,
        Layer::None,
    ];

    /// The stable id (`"prompt_filter"`).
    pub fn id(self) -> &'static str {
        match self {
            Layer::Transport => "transport",
            Layer::Auth => "auth",
            Layer::Quota => "quota",
            Layer::Server => "server",
            Layer::Request => "request",
            Layer::PromptFilter => "prompt_filter",
            Layer::Policy => "policy",
            Layer::ImageFilter => "image_filter",
            Layer::Model => "model",
            Layer::None => "none",
        }
    }

    /// A name a designer reads ("Prompt filter (Layer 1)").
    pub fn label(self) -> &'static str {
        match self {
            Layer::Transport => "Network",
            Layer::Auth => "API key and account",
            Layer::Quota => "Quota and rate limits",
            Layer::Server => "Google's servers",
            Layer::Request => "Request settings",
            Layer::PromptFilter => "Prompt filter (Layer 1, adjustable)",
            Layer::Policy => "Content policy (not adjustable)",
            Layer::ImageFilter => "Image filter (Layer 2, not adjustable)",
            Layer::Model => "The model's answer",
            Layer::None => "No layer",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What happened, precisely enough to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An image arrived.
    Success,
    /// The model stopped normally but answered only in words.
    TextOnly,
    /// The model was expected to draw but produced no image (`NO_IMAGE`, or nothing at all).
    NoImage,
    /// The output token limit was reached before an image.
    MaxTokens,
    /// Layer 1 blocked the prompt or the answer (`SAFETY`); a setting can change this.
    BlockedSafety,
    /// Prohibited content (`PROHIBITED_CONTENT`); no setting changes this.
    BlockedProhibited,
    /// A blocklisted term (`BLOCKLIST`).
    BlockedBlocklist,
    /// Sensitive personal information (`SPII`).
    BlockedSpii,
    /// Blocked for another or unspecified reason (`OTHER`, `LANGUAGE`, …).
    BlockedOther,
    /// The answer resembled existing material (`RECITATION`).
    Recitation,
    /// Layer 2 blocked the generated image (`IMAGE_SAFETY`).
    ImageSafety,
    /// The generated image contained prohibited content (`IMAGE_PROHIBITED_CONTENT`).
    ImageProhibited,
    /// The generated image may recite protected material (`IMAGE_RECITATION`).
    ImageRecitation,
    /// The generated image was withheld for an unspecified reason (`IMAGE_OTHER`).
    ImageOther,
    /// Requests-per-minute limit (`…PerMinute…` quota id).
    RateLimitMinute,
    /// Input-tokens-per-minute limit (`…InputTokens…` quota id).
    TokensPerMinute,
    /// A 429 without details: shared capacity throttling, not a personal quota.
    RateLimitUnspecified,
    /// The daily request quota (`…PerDay…`); resets at midnight America/Los_Angeles.
    QuotaDaily,
    /// The quota limit is 0: this tier has no quota for this model.
    QuotaZero,
    /// 503: the model is overloaded.
    Overloaded,
    /// 500: an internal error.
    Internal,
    /// 502: a bad gateway, often an HTML page.
    BadGateway,
    /// 504, or 503 "Deadline expired", or no answer in time.
    Timeout,
    /// 400 with a malformed or unsupported request.
    InvalidArgument,
    /// 400: an input image could not be processed.
    InvalidInputImage,
    /// The request is larger than the API accepts (20 MB inline).
    PayloadTooLarge,
    /// 400: an earlier model turn was sent back without its `thoughtSignature`.
    ThoughtSignatureMissing,
    /// 404: the model id is retired or misspelled.
    ModelNotFound,
    /// The endpoint answered with a redirect; Peel never follows one (the key would go along).
    EndpointRedirect,
    /// The API key is not valid (or has expired).
    ApiKeyInvalid,
    /// No API key reached Google.
    ApiKeyMissing,
    /// Google blocked the key because it was reported as leaked.
    ApiKeyLeaked,
    /// The key's project may not use this API or model.
    PermissionDenied,
    /// The API is not available where the request came from.
    RegionUnsupported,
    /// Billing must be enabled for this request.
    BillingRequired,
    /// The connection failed (DNS, connect, TLS, reset).
    NetworkError,
    /// An answer arrived but could not be read.
    ResponseMalformed,
    /// An answer arrived with an image that is not a usable picture (cut off, not the type it
    /// claims, or a header with absurd dimensions).
    ImageBroken,
    /// Peel could not tell; the raw (redacted) body is shown.
    Unknown,
}

impl Kind {
    /// Every kind of the contract.
    pub const ALL: [Kind; 39] = [
        Kind::Success,
        Kind::TextOnly,
        Kind::NoImage,
        Kind::MaxTokens,
        Kind::BlockedSafety,
        Kind::BlockedProhibited,
        Kind::BlockedBlocklist,
        Kind::BlockedSpii,
        Kind::BlockedOther,
        Kind::Recitation,
        Kind::ImageSafety,
        Kind::ImageProhibited,
        Kind::ImageRecitation,
        Kind::ImageOther,
        Kind::RateLimitMinute,
        Kind::TokensPerMinute,
        Kind::RateLimitUnspecified,
        Kind::QuotaDaily,
        Kind::QuotaZero,
        Kind::Overloaded,
        Kind::Internal,
        Kind::BadGateway,
        Kind::Timeout,
        Kind::InvalidArgument,
        Kind::InvalidInputImage,
        Kind::PayloadTooLarge,
        Kind::ThoughtSignatureMissing,
        Kind::ModelNotFound,
        Kind::EndpointRedirect,
        Kind::ApiKeyInvalid,
        Kind::ApiKeyMissing,
        Kind::ApiKeyLeaked,
        Kind::PermissionDenied,
        Kind::RegionUnsupported,
        Kind::BillingRequired,
        Kind::NetworkError,
        Kind::ResponseMalformed,
        Kind::ImageBroken,
        Kind::Unknown,
    ];

    /// The stable id (`"rate_limit_minute"`).
    pub fn id(self) -> &'static str {
        match self {
            Kind::Success => "success",
            Kind::TextOnly => "text_only",
            Kind::NoImage => "no_image",
            Kind::MaxTokens => "max_tokens",
            Kind::BlockedSafety => "blocked_safety",
            Kind::BlockedProhibited => "blocked_prohibited",
            Kind::BlockedBlocklist => "blocked_blocklist",
            Kind::BlockedSpii => "blocked_spii",
            Kind::BlockedOther => "blocked_other",
            Kind::Recitation => "recitation",
            Kind::ImageSafety => "image_safety",
            Kind::ImageProhibited => "image_prohibited",
            Kind::ImageRecitation => "image_recitation",
            Kind::ImageOther => "image_other",
            Kind::RateLimitMinute => "rate_limit_minute",
            Kind::TokensPerMinute => "tokens_per_minute",
            Kind::RateLimitUnspecified => "rate_limit_unspecified",
            Kind::QuotaDaily => "quota_daily",
            Kind::QuotaZero => "quota_zero",
            Kind::Overloaded => "overloaded",
            Kind::Internal => "internal",
            Kind::BadGateway => "bad_gateway",
            Kind::Timeout => "timeout",
            Kind::InvalidArgument => "invalid_argument",
            Kind::InvalidInputImage => "invalid_input_image",
            Kind::PayloadTooLarge => "payload_too_large",
            Kind::ThoughtSignatureMissing => "thought_signature_missing",
            Kind::ModelNotFound => "model_not_found",
            Kind::EndpointRedirect => "endpoint_redirect",
            Kind::ApiKeyInvalid => "api_key_invalid",
            Kind::ApiKeyMissing => "api_key_missing",
            Kind::ApiKeyLeaked => "api_key_leaked",
            Kind::PermissionDenied => "permission_denied",
            Kind::RegionUnsupported => "region_unsupported",
            Kind::BillingRequired => "billing_required",
            Kind::NetworkError => "network_error",
            Kind::ResponseMalformed => "response_malformed",
            Kind::ImageBroken => "image_broken",
            Kind::Unknown => "unknown",
        }
    }

    /// Looks a kind up by its id.
    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.id() == id)
    }

    /// The layer this kind belongs to. `Unknown` has no fixed layer: the caller takes it from the
    /// HTTP status class.
    pub fn layer(self) -> Layer {
        match self {
            Kind::TextOnly | Kind::NoImage | Kind::MaxTokens => Layer::Model,
            Kind::BlockedSafety => Layer::PromptFilter,
            Kind::BlockedProhibited
            | Kind::BlockedBlocklist
            | Kind::BlockedSpii
            | Kind::BlockedOther
            | Kind::Recitation => Layer::Policy,
            Kind::ImageSafety
            | Kind::ImageProhibited
            | Kind::ImageRecitation
            | Kind::ImageOther => Layer::ImageFilter,
            Kind::RateLimitMinute
            | Kind::TokensPerMinute
            | Kind::RateLimitUnspecified
            | Kind::QuotaDaily
            | Kind::QuotaZero => Layer::Quota,
            Kind::Overloaded
            | Kind::Internal
            | Kind::BadGateway
            | Kind::Timeout
            | Kind::ImageBroken => Layer::Server,
            Kind::InvalidArgument
            | Kind::InvalidInputImage
            | Kind::PayloadTooLarge
            | Kind::ThoughtSignatureMissing
            | Kind::ModelNotFound
            | Kind::EndpointRedirect => Layer::Request,
            Kind::ApiKeyInvalid
            | Kind::ApiKeyMissing
            | Kind::ApiKeyLeaked
            | Kind::PermissionDenied
            | Kind::RegionUnsupported
            | Kind::BillingRequired => Layer::Auth,
            Kind::NetworkError | Kind::ResponseMalformed => Layer::Transport,
            Kind::Success | Kind::Unknown => Layer::None,
        }
    }

    /// Whether sending the same request again, later, can succeed without changing anything.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Kind::TextOnly
                | Kind::NoImage
                | Kind::RateLimitMinute
                | Kind::TokensPerMinute
                | Kind::RateLimitUnspecified
                | Kind::QuotaDaily
                | Kind::Overloaded
                | Kind::Internal
                | Kind::BadGateway
                | Kind::Timeout
                | Kind::NetworkError
                | Kind::ResponseMalformed
                | Kind::ImageBroken
        )
    }

    /// Whether a setting can let it through: only Layer 1 (`safetySettings`) is adjustable.
    pub fn configurable(self) -> bool {
        self.layer() == Layer::PromptFilter
    }

    /// Whether the content (prompt or image) was judged, so only a different prompt helps.
    pub fn is_content_block(self) -> bool {
        matches!(
            self.layer(),
            Layer::PromptFilter | Layer::Policy | Layer::ImageFilter
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_serde_and_round_trip() {
        for kind in Kind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.id()));
            assert_eq!(Kind::from_id(kind.id()), Some(kind));
        }
        for layer in Layer::ALL {
            assert_eq!(
                serde_json::to_string(&layer).unwrap(),
                format!("\"{}\"", layer.id())
            );
        }
    }

    #[test]
    fn only_layer_one_is_configurable() {
        let configurable: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.configurable()).collect();
        assert_eq!(configurable, [Kind::BlockedSafety]);
    }

    #[test]
    fn content_blocks_never_retry_on_their_own() {
        for kind in Kind::ALL.into_iter().filter(|k| k.is_content_block()) {
            assert!(!kind.retryable(), "{kind} must not be retried unchanged");
        }
        assert!(!Kind::QuotaZero.retryable());
        assert!(Kind::QuotaDaily.retryable());
    }
}
