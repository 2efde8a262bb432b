//! The simulator's `200` bodies: a [`GenerateContentResponse`] for a safety [`Verdict`], shaped
//! like Google's (prompt feedback for refused prompts, an empty candidate with its finish reason for
//! withheld images, a text or image candidate otherwise), with usage metadata, thought signatures
//! and, for thinking models, the interim "thought" images before the final one (and thought
//! summaries, when the request sent `includeThoughts: true`). A streamed answer whose image is
//! withheld after thinking keeps its thoughts, so the stream shows them before the block.

use std::sync::Arc;

use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use super::picture;
use super::safety::{Rating, Verdict};
use super::server::SimState;
use super::validate::Checked;
use crate::api::catalog::ModelEntry;
use crate::api::enums::{BlockReason, FinishReason, Modality};
use crate::api::wire::{
    Blob, Candidate, Content, GenerateContentResponse, ModalityTokenCount, Part, PromptFeedback,
    SafetyRating, UsageMetadata,
};

/// Longest side of the interim "thought" images of thinking models (a draft at about 1K).
const THOUGHT_IMAGE_PX: u32 = 1024;
/// How many thought images a thinking model sends before its final image (Gemini 3 Pro Image
/// makes up to two).
const THOUGHT_IMAGES: usize = 2;

/// The answer to `request` under the safety layers' `verdict`: refusals and withheld images at
/// once, text replies as text, and otherwise the drawn image (and drafts, for thinking models).
/// A `streamed` answer whose image is withheld after a thinking model thought keeps the thought
/// parts before its finish reason (the plain answer's withheld candidate stays empty).
///
/// # Errors
///
/// The message of a picture that could not be drawn or encoded (answered as a 500).
pub async fn build_answer(
    state: &Arc<SimState>,
    model: &'static ModelEntry,
    request: &Checked,
    verdict: &Verdict,
    streamed: bool,
) -> Result<GenerateContentResponse, String> {
    let id = state.next_id();
    let thinking = model.thinking == Some(true);
    let thoughts = if thinking { 180 + id % 120 } else { 0 };
    let mut answer = GenerateContentResponse {
        model_version: Some(model.id.clone()),
        response_id: Some(response_id(state, id)),
        ..GenerateContentResponse::default()
    };
    let input = request.input_tokens;
    let (mut candidate, image_tokens, text_tokens) = match verdict {
        Verdict::Prohibited { .. } => {
            return Ok(prompt_refused(
                answer,
                BlockReason::ProhibitedContent,
                &[],
                input,
            ));
        }
        Verdict::PromptBlocked { ratings } => {
            return Ok(prompt_refused(answer, BlockReason::Safety, ratings, input));
        }
        Verdict::OutputBlocked { ratings } => {
            let mut candidate = blocked_candidate(FinishReason::Safety, None);
            candidate.safety_ratings = ratings_json(ratings);
            (candidate, 0, 0)
        }
        Verdict::NoImage => (blocked_candidate(FinishReason::NoImage, None), 0, 0),
        Verdict::ImageBlocked {
            finish_reason,
            finish_message,
            ..
        } => (
            blocked_candidate(finish_reason.clone(), finish_message.clone()),
            0,
            0,
        ),
        Verdict::TextOnly { reply } => text_reply(state, reply, id, thinking),
        Verdict::Pass if !request.wants_image => {
            let reply = format!(
                "Here is a description instead of an image: {}.",
                request.prompt.trim()
            );
            text_reply(state, &reply, id, thinking)
        }
        Verdict::Pass => image_candidate(state, model, request, id, thinking).await?,
    };
    let withheld = matches!(
        verdict,
        Verdict::OutputBlocked { .. } | Verdict::NoImage | Verdict::ImageBlocked { .. }
    );
    if streamed
        && thinking
        && withheld
        && let Some(content) = candidate.content.as_mut()
    {
        let drafts = draw_drafts(state, model, request).await?;
        content.parts = thought_parts(drafts, request.include_thoughts);
    }
    answer.candidates = vec![candidate];
    answer.usage_metadata = Some(usage(input, image_tokens, text_tokens, thoughts));
    Ok(answer)
}

/// The answer's `responseId`: unique per answer, the same for the same seed.
fn response_id(state: &SimState, id: u64) -> String {
    format!(
        "sim{:016x}",
        state.config.seed.rotate_left(7) ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
}

/// A prompt refused before the model ran: `promptFeedback.blockReason`, no candidates, and only
/// the input counted.
fn prompt_refused(
    mut answer: GenerateContentResponse,
    reason: BlockReason,
    ratings: &[Rating],
    input_tokens: u64,
) -> GenerateContentResponse {
    answer.prompt_feedback = Some(PromptFeedback {
        block_reason: Some(reason),
        safety_ratings: ratings_json(ratings),
        ..PromptFeedback::default()
    });
    answer.usage_metadata = Some(usage(input_tokens, 0, 0, 0));
    answer
}

/// A reply in words: its candidate, no image tokens, and its text tokens.
fn text_reply(state: &SimState, reply: &str, id: u64, thinking: bool) -> (Candidate, u64, u64) {
    (
        text_candidate(state, reply, id, thinking),
        0,
        reply.len() as u64 / 4 + 1,
    )
}

/// A thought signature: opaque bytes, the same for the same seed and answer.
fn signature(state: &SimState, salt: u64) -> String {
    let mut bytes = [0u8; 24];
    let mut rng = StdRng::seed_from_u64(state.config.seed ^ salt.rotate_left(13));
    rng.fill(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ratings_json(ratings: &[Rating]) -> Vec<SafetyRating> {
    ratings
        .iter()
        .map(|rating| SafetyRating {
            category: rating.category.clone(),
            probability: Some(rating.probability.clone()),
            blocked: rating.blocked.then_some(true),
        })
        .collect()
}

fn usage(input_tokens: u64, image_tokens: u64, text_tokens: u64, thoughts: u64) -> UsageMetadata {
    let mut details = Vec::new();
    if image_tokens > 0 {
        details.push(ModalityTokenCount {
            modality: Modality::Image,
            token_count: Some(image_tokens),
        });
    }
    if text_tokens > 0 {
        details.push(ModalityTokenCount {
            modality: Modality::Text,
            token_count: Some(text_tokens),
        });
    }
    UsageMetadata {
        prompt_token_count: Some(input_tokens),
        candidates_token_count: Some(image_tokens + text_tokens),
        thoughts_token_count: (thoughts > 0).then_some(thoughts),
        total_token_count: Some(input_tokens + image_tokens + text_tokens + thoughts),
        prompt_tokens_details: vec![ModalityTokenCount {
            modality: Modality::Text,
            token_count: Some(input_tokens),
        }],
        candidates_tokens_details: details,
        ..UsageMetadata::default()
    }
}

fn blocked_candidate(finish_reason: FinishReason, finish_message: Option<String>) -> Candidate {
    Candidate {
        content: Some(Content {
            role: Some("model".to_owned()),
            parts: Vec::new(),
        }),
        finish_reason: Some(finish_reason),
        finish_message,
        index: Some(0),
        ..Candidate::default()
    }
}

fn text_candidate(state: &SimState, reply: &str, id: u64, thinking: bool) -> Candidate {
    let mut part = Part::text(reply);
    if thinking {
        part.thought_signature = Some(signature(state, id));
    }
    Candidate {
        content: Some(Content {
            role: Some("model".to_owned()),
            parts: vec![part],
        }),
        finish_reason: Some(FinishReason::Stop),
        index: Some(0),
        ..Candidate::default()
    }
}

/// The size of a thought image for a final image of `width`×`height`: the same shape, its long
/// side [`THOUGHT_IMAGE_PX`] (three quarters of the final one's when that is smaller).
fn thought_size(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    let target = THOUGHT_IMAGE_PX.min(long * 3 / 4).max(8);
    let scaled = |side: u32| (u64::from(side) * u64::from(target) / u64::from(long)) as u32;
    (scaled(width).max(8), scaled(height).max(8))
}

/// Draws and encodes one picture off the async workers (a 4K one takes real CPU time), through
/// the picture cache.
async fn picture_task(
    prompt: String,
    (width, height): (u32, u32),
    seed: u64,
    mime_type: String,
) -> Result<Arc<picture::Picture>, String> {
    tokio::task::spawn_blocking(move || {
        picture::encode_cached(&prompt, width, height, seed, &mime_type)
    })
    .await
    .map_err(|error| format!("The simulator's picture task failed: {error}"))?
    .map_err(|error| error.to_string())
}

/// The mime type a model answers in.
fn mime_type_of(model: &ModelEntry) -> String {
    model
        .output_mime_type
        .clone()
        .unwrap_or_else(|| "image/png".to_owned())
}

/// Draws a thinking model's drafts ([`THOUGHT_IMAGES`] of them, [`thought_size`]), side by side.
async fn draw_drafts(
    state: &SimState,
    model: &ModelEntry,
    request: &Checked,
) -> Result<Vec<Arc<picture::Picture>>, String> {
    let [width, height] = request.pixel_size;
    let tasks = (1..=THOUGHT_IMAGES).map(|n| {
        picture_task(
            format!("draft {n} {}", request.prompt),
            thought_size(width, height),
            state.config.seed,
            mime_type_of(model),
        )
    });
    futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .collect()
}

/// Draws the final picture and, for thinking models, the drafts, side by side.
async fn draw_pictures(
    state: &SimState,
    model: &ModelEntry,
    request: &Checked,
    thinking: bool,
) -> Result<(Arc<picture::Picture>, Vec<Arc<picture::Picture>>), String> {
    let final_task = picture_task(
        request.prompt.clone(),
        (request.pixel_size[0], request.pixel_size[1]),
        state.config.seed,
        mime_type_of(model),
    );
    let drafts = async {
        if thinking {
            draw_drafts(state, model, request).await
        } else {
            Ok(Vec::new())
        }
    };
    let (final_picture, drafts) = tokio::join!(final_task, drafts);
    Ok((final_picture?, drafts?))
}

fn image_part(picture: &picture::Picture) -> Part {
    Part {
        inline_data: Some(Blob {
            mime_type: picture.mime_type.to_owned(),
            data: picture.base64.clone(),
            ..Blob::default()
        }),
        ..Part::default()
    }
}

/// The parts of a thinking model's answer before its final image: a thought summary, a draft
/// image, another summary, a second draft (all `thought: true`, none signed). The summaries come
/// only when the request sent `includeThoughts: true`; the drafts come whatever was asked.
fn thought_parts(drafts: Vec<Arc<picture::Picture>>, include_thoughts: bool) -> Vec<Part> {
    const THOUGHTS: [&str; THOUGHT_IMAGES] = [
        "**Composing the scene**\nPlanning layout, palette and lighting.",
        "**Refining the details**\nSharpening textures and checking the text in the image.",
    ];
    let mut parts = Vec::new();
    for (thought, draft) in THOUGHTS.iter().zip(drafts) {
        if include_thoughts {
            parts.push(Part {
                text: Some((*thought).to_owned()),
                thought: Some(true),
                ..Part::default()
            });
        }
        let mut image = image_part(&draft);
        image.thought = Some(true);
        parts.push(image);
    }
    parts
}

/// The image candidate (thoughts and drafts, the caption when text was asked for, the signed
/// final image), its image tokens and its text tokens.
async fn image_candidate(
    state: &Arc<SimState>,
    model: &'static ModelEntry,
    request: &Checked,
    id: u64,
    thinking: bool,
) -> Result<(Candidate, u64, u64), String> {
    let (final_picture, drafts) = draw_pictures(state, model, request, thinking).await?;
    let mut parts = thought_parts(drafts, request.include_thoughts);
    let caption = if request.text_requested {
        Some(format!("Here is your image: {}", request.prompt.trim()))
    } else {
        None
    };
    let text_tokens = caption.as_ref().map_or(0, |c| c.len() as u64 / 4 + 1);
    if let Some(caption) = caption {
        let mut part = Part::text(caption);
        if thinking {
            part.thought_signature = Some(signature(state, id ^ 1));
        }
        parts.push(part);
    }
    let mut final_part = image_part(&final_picture);
    final_part.thought_signature = Some(signature(state, id ^ 2));
    parts.push(final_part);
    let image_tokens = model
        .image_output_tokens
        .get(&request.image_size)
        .copied()
        .unwrap_or(1290);
    let candidate = Candidate {
        content: Some(Content {
            role: Some("model".to_owned()),
            parts,
        }),
        finish_reason: Some(FinishReason::Stop),
        index: Some(0),
        ..Candidate::default()
    };
    Ok((candidate, image_tokens, text_tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thought_images_keep_the_shape_at_about_1k() {
        assert_eq!(thought_size(1024, 1024), (768, 768));
        assert_eq!(thought_size(4096, 4096), (1024, 1024));
        assert_eq!(thought_size(5504, 3072), (1024, 571));
        assert_eq!(thought_size(1536, 2752), (571, 1024));
    }
}
