//! The kind of a parsed `generateContent` answer: a prompt blocked before generation (Layer 1 or
//! policy), an image (success), or the reason its candidate stopped without one (model, policy or
//! the image filter), with the safety categories that were flagged.

use crate::api::enums::{BlockReason, FinishReason, HarmProbability};
use crate::api::wire::{GenerateContentResponse, SafetyRating};

use super::classify::Verdict;
use super::kind::Kind;

/// The kind of a `generateContent` answer: a prompt block, a final image, or why the candidate
/// stopped without one (the flagged safety categories recorded on the verdict).
pub(super) fn classify_response(
    response: &GenerateContentResponse,
    verdict: &mut Verdict,
) -> Option<Kind> {
    if let Some(feedback) = &response.prompt_feedback
        && let Some(reason) = &feedback.block_reason
        && *reason != BlockReason::Unspecified
    {
        verdict.block_reason = Some(reason.as_str().to_owned());
        verdict.flagged_categories = flagged(&feedback.safety_ratings);
        return Some(match reason {
            BlockReason::Safety => Kind::BlockedSafety,
            BlockReason::ProhibitedContent => Kind::BlockedProhibited,
            BlockReason::Blocklist => Kind::BlockedBlocklist,
            BlockReason::ImageSafety => Kind::ImageSafety,
            BlockReason::Unspecified
            | BlockReason::Other
            | BlockReason::ModelArmor
            | BlockReason::Jailbreak
            | BlockReason::Unknown(_) => Kind::BlockedOther,
        });
    }
    if response.final_image().is_some() {
        if let Some(candidate) = response.first_candidate() {
            verdict.finish_reason = candidate
                .finish_reason
                .as_ref()
                .map(|r| r.as_str().to_owned());
        }
        return Some(Kind::Success);
    }
    let candidate = response.first_candidate()?;
    verdict.flagged_categories = flagged(&candidate.safety_ratings);
    let reason = candidate
        .finish_reason
        .clone()
        .unwrap_or(FinishReason::Unspecified);
    if reason != FinishReason::Unspecified {
        verdict.finish_reason = Some(reason.as_str().to_owned());
    }
    let has_text = response.model_text().is_some();
    Some(match reason {
        FinishReason::Stop | FinishReason::Unspecified => {
            if has_text {
                Kind::TextOnly
            } else {
                Kind::NoImage
            }
        }
        FinishReason::MaxTokens => Kind::MaxTokens,
        FinishReason::Safety => Kind::BlockedSafety,
        FinishReason::Recitation => Kind::Recitation,
        FinishReason::Blocklist => Kind::BlockedBlocklist,
        FinishReason::ProhibitedContent => Kind::BlockedProhibited,
        FinishReason::Spii => Kind::BlockedSpii,
        FinishReason::Other | FinishReason::Language => Kind::BlockedOther,
        FinishReason::ImageSafety => Kind::ImageSafety,
        FinishReason::ImageProhibitedContent => Kind::ImageProhibited,
        FinishReason::ImageOther => Kind::ImageOther,
        FinishReason::ImageRecitation => Kind::ImageRecitation,
        FinishReason::NoImage => Kind::NoImage,
        FinishReason::MalformedFunctionCall
        | FinishReason::UnexpectedToolCall
        | FinishReason::TooManyToolCalls
        | FinishReason::Unknown(_) => return None,
    })
}

/// Categories a rating flagged: blocked ones first, else MEDIUM/HIGH ones, most severe first.
fn flagged(ratings: &[SafetyRating]) -> Vec<String> {
    let blocked: Vec<String> = ratings
        .iter()
        .filter(|rating| rating.blocked == Some(true))
        .map(|rating| rating.category.label().to_owned())
        .collect();
    if !blocked.is_empty() {
        return blocked;
    }
    let severity = |rating: &SafetyRating| match rating.probability {
        Some(HarmProbability::High) => 2,
        Some(HarmProbability::Medium) => 1,
        _ => 0,
    };
    let mut risky: Vec<&SafetyRating> = ratings.iter().filter(|r| severity(r) > 0).collect();
    risky.sort_by_key(|rating| std::cmp::Reverse(severity(rating)));
    risky
        .iter()
        .map(|rating| rating.category.label().to_owned())
        .collect()
}
