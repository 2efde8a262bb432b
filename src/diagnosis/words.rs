//! The sentences a designer reads: a title, what happened, and what to do, per kind, filled in with
//! the specifics of this failure (model, quota, wait, reset time, the flagged category).

use jiff::Timestamp;

use super::classify::QuotaInfo;
use super::evidence::TransportFailure;
use super::kind::Kind;
use crate::api::catalog::ModelEntry;

/// What the sentences may mention.
#[derive(Clone, Debug)]
pub struct Particulars<'a> {
    /// The kind being explained.
    pub kind: Kind,
    /// The model involved, as a readable name.
    pub model: Option<String>,
    /// The deciding quota.
    pub quota: Option<&'a QuotaInfo>,
    /// Seconds to wait before retrying.
    pub retry_after_s: Option<f64>,
    /// When a daily quota comes back.
    pub resets_at: Option<Timestamp>,
    /// The moment of diagnosis.
    pub now: Timestamp,
    /// Google's message.
    pub api_message: Option<&'a str>,
    /// Google's `finishMessage`.
    pub finish_message: Option<&'a str>,
    /// The first wrong request field and what is wrong with it.
    pub field_violation: Option<String>,
    /// For a retired or unknown model: what to use instead.
    pub replacement: Option<&'a ModelEntry>,
    /// For a misspelled model id: the id it resembles.
    pub closest: Option<&'a ModelEntry>,
    /// Safety categories that were flagged.
    pub flagged_categories: &'a [String],
    /// The transport failure, for network kinds.
    pub transport: Option<TransportFailure>,
    /// The HTTP status Google meant.
    pub http_status: Option<u16>,
    /// What Peel itself found wrong (for `image_broken`: what is wrong with the image).
    pub detail: Option<&'a str>,
}

impl Particulars<'_> {
    /// Particulars of `kind` with nothing else known (fill in what is).
    pub fn bare(kind: Kind, now: Timestamp) -> Self {
        Self {
            kind,
            model: None,
            quota: None,
            retry_after_s: None,
            resets_at: None,
            now,
            api_message: None,
            finish_message: None,
            field_violation: None,
            replacement: None,
            closest: None,
            flagged_categories: &[],
            transport: None,
            http_status: None,
            detail: None,
        }
    }
}

/// A title, an explanation and a fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    /// One line, no trailing period.
    pub title: String,
    /// What happened, in plain words.
    pub explanation: String,
    /// What to do now.
    pub fix: String,
}

/// "45 s", "4 min 10 s", "7 h 12 min".
pub fn human_duration(seconds: f64) -> String {
    #[expect(clippy::cast_sign_loss, reason = "clamped to zero or more just before")]
    let total = seconds.max(0.0).ceil() as u64;
    let (hours, minutes, secs) = (total / 3600, (total % 3600) / 60, total % 60);
    match (hours, minutes, secs) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

fn model_or(p: &Particulars<'_>, fallback: &str) -> String {
    p.model.clone().unwrap_or_else(|| fallback.to_owned())
}

fn quota_limit_phrase(quota: Option<&QuotaInfo>) -> String {
    match quota.and_then(|q| q.value.as_deref()) {
        Some(value) => format!(" (limit {value})"),
        None => String::new(),
    }
}

fn wait_phrase(p: &Particulars<'_>, otherwise: &str) -> String {
    match p.retry_after_s {
        Some(seconds) => format!(
            "Google asks to wait {}; Peel waits that long before trying again.",
            human_duration(seconds)
        ),
        None => otherwise.to_owned(),
    }
}

fn categories_phrase(categories: &[String]) -> Option<String> {
    match categories {
        [] => None,
        [one] => Some(format!("\"{one}\"")),
        many => Some(
            many.iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
}

/// The sentences for one diagnosis.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per kind reads best as one table"
)]
pub fn words(p: &Particulars<'_>) -> Words {
    let w = |title: &str, explanation: String, fix: String| Words {
        title: title.to_owned(),
        explanation,
        fix,
    };
    let model = model_or(p, "this model");
    match p.kind {
        Kind::Success => w(
            "Image generated",
            format!("{model} returned an image."),
            "Nothing to fix.".to_owned(),
        ),
        Kind::TextOnly => w(
            "The model answered in words instead of drawing",
            "The request went through and nothing was blocked, but the model replied with text and no image. \
             This happens when a prompt reads like a question or an instruction to explain, or when the model \
             politely declines without a safety flag."
                .to_owned(),
            "Peel tries once more by itself. If it answers in words again, start the prompt with what to draw \
             (\"An illustration of …\", \"Generate an image of …\") and read the model's reply below for its reason."
                .to_owned(),
        ),
        Kind::NoImage => w(
            "No image came back",
            "The model finished without producing an image (Google reports NO_IMAGE or sends no picture). \
             Nothing was blocked by a safety filter."
                .to_owned(),
            "Peel tries once more by itself. If it happens again, make the prompt describe a picture more \
             concretely, or check that the response modalities include IMAGE."
                .to_owned(),
        ),
        Kind::MaxTokens => w(
            "The model ran out of room before the image",
            "The answer hit the output token limit, so the image was never produced. Long thinking or a long \
             text reply used up the budget."
                .to_owned(),
            "Shorten the prompt or ask for the image only (image-only output), then generate again.".to_owned(),
        ),
        Kind::BlockedSafety => {
            let which = categories_phrase(p.flagged_categories);
            w(
                "Blocked by the adjustable prompt filter (Layer 1)",
                format!(
                    "Google's configurable safety filter flagged {}. This is the one filter you control with \
                     the safety settings.",
                    which.as_deref().map_or_else(|| "the request".to_owned(), |c| format!("the {c} category"))
                ),
                format!(
                    "In the editor's Safety filters (Layer 1), set {} to \"Block only high\" (or \"Block none\") and generate again. \
                     If you would rather keep the setting, rephrase the flagged part of the prompt.",
                    which.unwrap_or_else(|| "the flagged category".to_owned())
                ),
            )
        }
        Kind::BlockedProhibited => w(
            "Blocked: prohibited content",
            "Google judged the prompt or the answer as prohibited content. This rule is not adjustable: no \
             safety setting lets it through."
                .to_owned(),
            "Change what the prompt asks for. Retrying the same prompt or lowering safety settings will not help."
                .to_owned(),
        ),
        Kind::BlockedBlocklist => w(
            "Blocked: a term is on Google's blocklist",
            "The prompt or the answer contained a term from Google's terminology blocklist. This is not adjustable."
                .to_owned(),
            "Find and replace the term (often a brand, a slur or a name), then generate again.".to_owned(),
        ),
        Kind::BlockedSpii => w(
            "Blocked: personal information",
            "The answer would have contained sensitive personal information (such as ID numbers, contact or \
             financial details). This is not adjustable."
                .to_owned(),
            "Remove real personal details from the prompt and reference images, then generate again.".to_owned(),
        ),
        Kind::BlockedOther => w(
            "Blocked for an unspecified reason",
            format!(
                "Google stopped the request without naming a category{}. It is not a setting you can change.",
                p.finish_message.map(|m| format!(" (\"{m}\")")).unwrap_or_default()
            ),
            "Rephrase the prompt: remove names of real people, brands or anything that may read as harmful, then \
             try again. Unsupported languages also end this way; try English."
                .to_owned(),
        ),
        Kind::Recitation => w(
            "Blocked: too close to existing material",
            "The answer resembled existing (often copyrighted) material too closely, so Google withheld it. \
             No setting changes this."
                .to_owned(),
            "Describe the idea in your own words instead of quoting or naming a specific work, then generate again."
                .to_owned(),
        ),
        Kind::ImageSafety => w(
            "The finished image was blocked (image filter, Layer 2)",
            format!(
                "The image was generated, then Google's image filter withheld it{}. Safety settings do not \
                 affect this filter, not even \"Block none\".",
                p.finish_message.map(|m| format!(": \"{m}\"")).unwrap_or_default()
            ),
            "Rewrite the prompt: replace named characters, celebrities and brands with a generic description, \
             add an explicit art style (\"flat vector illustration\"), and make any person's age clearly adult."
                .to_owned(),
        ),
        Kind::ImageProhibited => w(
            "The finished image contained prohibited content",
            format!(
                "Google's image filter judged the generated image as prohibited content{}. No setting changes this.",
                p.finish_message.map(|m| format!(": \"{m}\"")).unwrap_or_default()
            ),
            "Change what the prompt asks for; retrying the same prompt will be blocked again.".to_owned(),
        ),
        Kind::ImageRecitation => w(
            "The finished image looked like protected material",
            "Google's image filter withheld the picture because it may reproduce an existing work, character or \
             brand. No setting changes this."
                .to_owned(),
            "Replace named characters, franchises and logos with generic descriptions of how they look, then \
             generate again."
                .to_owned(),
        ),
        Kind::ImageOther => w(
            "The finished image was withheld",
            format!(
                "Google's image filter withheld the picture without naming a reason{}. No setting changes this.",
                p.finish_message.map(|m| format!(": \"{m}\"")).unwrap_or_default()
            ),
            "Rephrase the prompt, simplify it, or remove a reference image that shows a real person or a brand, \
             then generate again."
                .to_owned(),
        ),
        Kind::RateLimitMinute => w(
            "Too many requests this minute",
            format!(
                "Your project hit its requests-per-minute limit for {model}{}. This is a short, rolling limit.",
                quota_limit_phrase(p.quota)
            ),
            wait_phrase(p, "Wait about a minute; Peel backs off and retries by itself."),
        ),
        Kind::TokensPerMinute => w(
            "Too much input this minute",
            format!(
                "Your project sent more input tokens per minute than its limit for {model}{}. Large reference \
                 images and long edit histories count here.",
                quota_limit_phrase(p.quota)
            ),
            wait_phrase(
                p,
                "Wait about a minute; Peel backs off and retries by itself. Fewer or smaller reference images help.",
            ),
        ),
        Kind::RateLimitUnspecified => w(
            "Google is throttling requests right now",
            "Google answered 429 \"Resource has been exhausted\" without naming a quota. This usually means \
             shared capacity is tight, not that your own quota is used up."
                .to_owned(),
            wait_phrase(p, "Peel backs off (1 s, then longer) and retries by itself; nothing to change."),
        ),
        Kind::QuotaDaily => {
            let reset = p.resets_at.map_or_else(
                || "at midnight Pacific time".to_owned(),
                |at| {
                    format!(
                        "at midnight Pacific time ({} UTC), in {}",
                        at.strftime("%Y-%m-%d %H:%M"),
                        human_duration(at.duration_since(p.now).as_secs_f64())
                    )
                },
            );
            w(
                "Daily quota used up",
                format!(
                    "Your project has used all of today's requests for {model}{}. The quota comes back {reset}.",
                    quota_limit_phrase(p.quota)
                ),
                "Peel sends no more requests to this model until then: it switches to the fallback model if that \
                 one has quota, or keeps the job in the queue. A higher tier (billing) raises the limit."
                    .to_owned(),
            )
        }
        Kind::QuotaZero => {
            let free_tier = p.quota.is_some_and(|q| {
                q.id.as_deref().is_some_and(|id| id.contains("FreeTier"))
                    || q.metric.as_deref().is_some_and(|m| m.contains("free_tier"))
            });
            let tier = if free_tier {
                "the free tier"
            } else {
                "your project's tier"
            };
            w(
                "No quota for this model on your plan",
                format!(
                    "The quota limit for {model} is 0 on {tier}, so every request is refused. Image models \
                     have no free tier: they need a project with billing enabled. Google's \"Please retry in …\" \
                     is misleading here: waiting does not help, not even until tomorrow."
                ),
                "Enable billing for the project in Google AI Studio (image models need a paid tier), then \
                 try again; or choose a model your tier includes."
                    .to_owned(),
            )
        }
        Kind::Overloaded => w(
            "The model is overloaded",
            format!("Google's servers for {model} are at capacity (503). It is temporary and not caused by your request."),
            "Peel switches to the fallback model right away and comes back to this one later.".to_owned(),
        ),
        Kind::Internal => w(
            "Google had an internal error",
            "Google's server failed while handling the request (500). The same request often works on a retry. \
             Very long inputs (many references, long edit history) can also cause it."
                .to_owned(),
            "Peel retries with backoff and falls back to the other model after two failures. If it keeps \
             happening, remove some reference images."
                .to_owned(),
        ),
        Kind::BadGateway => w(
            "Google's gateway failed",
            "A Google front-end server could not reach the model (502), often with an HTML error page. It is \
             temporary."
                .to_owned(),
            "Peel retries with backoff; nothing to change.".to_owned(),
        ),
        Kind::Timeout => w(
            "The request took too long",
            match p.transport {
                Some(TransportFailure::Timeout) => {
                    "No complete answer arrived within Peel's time limit. Large images (4K) and busy servers take \
                     longer."
                        .to_owned()
                }
                _ => "Google gave up before the image was finished (deadline exceeded). Large images, many \
                      references and busy servers make this more likely."
                    .to_owned(),
            },
            "Peel retries with backoff. If it keeps happening, try a smaller size or fewer references, or raise \
             the request timeout in Settings."
                .to_owned(),
        ),
        Kind::InvalidArgument => w(
            "Google rejected a setting in the request",
            match (&p.field_violation, p.api_message) {
                (Some(field), _) => format!("The request had an invalid value: {field}."),
                (None, Some(message)) => format!("Google said: \"{message}\""),
                (None, None) => "Google said the request was malformed (400 INVALID_ARGUMENT).".to_owned(),
            },
            "Check the size, aspect ratio and output type against what this model supports (Peel's editor only \
             offers valid ones), and that reference images are plain PNG or JPEG. Retrying unchanged will fail again."
                .to_owned(),
        ),
        Kind::InvalidInputImage => w(
            "A reference image could not be read",
            "Google could not process one of the input images. Despite \"Please retry\", the same bytes fail again."
                .to_owned(),
            "Re-save the reference image as PNG or JPEG (not HEIC, WebP with animation, or a damaged file), or \
             remove it, then generate again."
                .to_owned(),
        ),
        Kind::PayloadTooLarge => w(
            "The request is too large",
            "Prompt plus reference images exceed Google's size limit for one request (20 MB inline; base64 \
             makes images about a third larger)."
                .to_owned(),
            "Use fewer or smaller reference images (downscale to about 2048 px), then generate again.".to_owned(),
        ),
        Kind::ThoughtSignatureMissing => w(
            "An edit lost the model's signature",
            "When you edit an image, every earlier model turn must be sent back exactly as received, including \
             its hidden thoughtSignature. One was missing, so Google refused the edit."
                .to_owned(),
            "Start the edit from the image in Peel's history (Peel keeps the model's parts verbatim), or start a \
             new generation. Retrying unchanged will fail again."
                .to_owned(),
        ),
        Kind::ModelNotFound => {
            let named = p.model.clone().map_or_else(|| "The model".to_owned(), |m| format!("The model {m}"));
            let (explanation, fix) = match (p.replacement, p.closest) {
                (Some(replacement), _) => (
                    format!("{named} no longer exists or is not available for generateContent (404)."),
                    format!("Switch to {}. Peel's model picker lists the current models.", replacement.describe()),
                ),
                (None, Some(closest)) => (
                    format!("{named} does not exist (404); the id looks misspelled."),
                    format!("Did you mean {}? Pick the model from Peel's list.", closest.describe()),
                ),
                (None, None) => (
                    format!("{named} does not exist or does not support image generation (404)."),
                    "Pick a current image model from Peel's list (Nano Banana Pro or Nano Banana 2.1).".to_owned(),
                ),
            };
            w("Model not found", explanation, fix)
        }
        Kind::EndpointRedirect => w(
            "The endpoint sent the request elsewhere",
            format!(
                "The endpoint answered with a redirect to {}. Peel never follows redirects, so your API key \
                 and prompt were not sent to another host.",
                p.detail.unwrap_or("another address")
            ),
            "Check the endpoint in Settings: enter the address the redirect names only if you trust it, or \
             leave the field empty for Google's API."
                .to_owned(),
        ),
        Kind::ApiKeyInvalid => w(
            "The API key is not valid",
            "Google did not accept the API key: it is mistyped, deleted, expired, or belongs to another service."
                .to_owned(),
            "Create or copy a key in Google AI Studio (aistudio.google.com/apikey) and paste it in Settings.".to_owned(),
        ),
        Kind::ApiKeyMissing => w(
            "No API key reached Google",
            "The request arrived without an API key (\"unregistered callers\"). A proxy or gateway may have \
             dropped the x-goog-api-key header."
                .to_owned(),
            "Add your key in Settings (or set GEMINI_API_KEY). If you use a custom endpoint, check that it \
             forwards the x-goog-api-key header."
                .to_owned(),
        ),
        Kind::ApiKeyLeaked => w(
            "Google disabled this key because it leaked",
            "Google found the key in public (for example in a repository) and blocked it for your safety.".to_owned(),
            "Delete the key in Google AI Studio, create a new one, and store it in Peel's Settings (it goes to \
             the system keychain, never into a file)."
                .to_owned(),
        ),
        Kind::PermissionDenied => w(
            "The key may not use this model",
            format!(
                "Google refused the request (403 PERMISSION_DENIED){}. The key's project may not have the Gemini \
                 API enabled, or may not have access to this model.",
                p.api_message.map(|m| format!(": \"{m}\"")).unwrap_or_default()
            ),
            "In Google AI Studio or Cloud Console, check that the key's project has the Generative Language API \
             enabled and access to this model, or use a key from another project."
                .to_owned(),
        ),
        Kind::RegionUnsupported => w(
            "The Gemini API is not available from your location",
            "Google refuses requests from your region (it judges by the network address, so a VPN or proxy \
             counts)."
                .to_owned(),
            "Connect from a supported region, or check your VPN/proxy; enabling billing lifts the restriction \
             in some countries."
                .to_owned(),
        ),
        Kind::BillingRequired => w(
            "Billing is required",
            "This request needs a project with billing enabled (the free tier is not available here or for \
             this model)."
                .to_owned(),
            "Link a billing account to the key's project in Google AI Studio, then generate again.".to_owned(),
        ),
        Kind::NetworkError => w(
            "Could not reach the server",
            format!(
                "The request did not get through: {}.",
                p.transport.map_or("the connection failed or was cancelled", TransportFailure::describe)
            ),
            "Check your internet connection, VPN or proxy, and the endpoint in Settings. Peel retries with backoff; \
             when answers keep breaking off (twice on each model), it keeps the job in the queue for you to retry."
                .to_owned(),
        ),
        Kind::ResponseMalformed => w(
            "The answer could not be read",
            match p.transport {
                Some(TransportFailure::BodyTooLarge) => {
                    "The answer was larger than Peel accepts, so it was not read.".to_owned()
                }
                _ => "An answer arrived, but it was not the JSON Google sends (an HTML page, a cut-off body, or \
                      something from a proxy)."
                    .to_owned(),
            },
            "Peel retries once. If it keeps happening, check the endpoint in Settings and any proxy in between."
                .to_owned(),
        ),
        Kind::ImageBroken => w(
            "The image arrived broken",
            format!(
                "The answer from {model} arrived, but its image is not a usable picture: {}. Nothing was \
                 saved to your output folder. Google usually bills an answer like this.",
                p.detail.unwrap_or("it could not be decoded")
            ),
            "Peel tries once more by itself. If the image arrives broken again, the endpoint or a proxy in \
             between is probably cutting or rewriting answers: check the endpoint in Settings, or try again later."
                .to_owned(),
        ),
        Kind::Unknown => w(
            "Peel could not tell what went wrong",
            match p.http_status {
                Some(status) => format!(
                    "The answer (HTTP {status}) does not match any failure Peel knows. The raw answer is shown \
                     below with keys removed."
                ),
                None => "The text does not match any answer or error Peel knows. The raw text is shown below \
                         with keys removed."
                    .to_owned(),
            },
            "Read Google's message below. If you think Peel should know this one, copy the diagnostic JSON and \
             report it."
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(0.4), "1 s");
        assert_eq!(human_duration(45.0), "45 s");
        assert_eq!(human_duration(120.0), "2 min");
        assert_eq!(human_duration(250.0), "4 min 10 s");
        assert_eq!(
            human_duration(7.0 * 3600.0 + 12.0 * 60.0 + 5.0),
            "7 h 12 min"
        );
    }

    #[test]
    fn no_quota_on_the_free_tier_says_billing_is_needed_for_image_models() {
        let quota = QuotaInfo {
            id: Some("GenerateRequestsPerDayPerProjectPerModel-FreeTier".to_owned()),
            metric: None,
            value: Some("0".to_owned()),
        };
        let words = words(&Particulars {
            model: Some("Nano Banana Pro (gemini-3-pro-image)".to_owned()),
            quota: Some(&quota),
            http_status: Some(429),
            ..Particulars::bare(Kind::QuotaZero, "2026-11-27T12:00:00Z".parse().unwrap())
        });
        assert!(
            words.explanation.contains("0 on the free tier"),
            "{}",
            words.explanation
        );
        assert!(words.explanation.contains("Image models have no free tier"));
        assert!(words.explanation.contains("waiting does not help"));
        assert!(words.fix.contains("Enable billing"), "{}", words.fix);
    }

    #[test]
    fn every_kind_has_words_without_trailing_title_period() {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        for kind in Kind::ALL {
            let words = words(&Particulars::bare(kind, now));
            assert!(!words.title.ends_with('.'), "{kind}: {}", words.title);
            assert!(words.explanation.len() > 20, "{kind}");
            assert!(
                words.fix.ends_with('.') || words.fix.ends_with('?'),
                "{kind}: {}",
                words.fix
            );
        }
    }
}
