//! The checks Google makes on a `generateContent` body, in its order, answered with Google's own
//! 400 bodies: size, JSON, unknown fields, safety categories, image settings, inline images, the
//! number of references, thinking options, and thought signatures on earlier model turns.

// A refusal *is* the HTTP answer; boxing it would only add an allocation on the error path.
#![expect(
    clippy::result_large_err,
    reason = "a refusal is the HTTP answer itself"
)]

use axum::response::Response;
use base64::Engine as _;
use serde_json::Value;

use super::bodies;
use crate::api::catalog::ModelEntry;
use crate::api::enums::{HarmBlockThreshold, HarmCategory, Modality};
use crate::api::wire::GenerateContentRequest;

/// Google's inline request limit.
pub const MAX_REQUEST_BYTES: usize = 20 * 1024 * 1024;
/// Input tokens one inline image costs (Gemini 3 Pro Image pricing page).
const IMAGE_INPUT_TOKENS: u64 = 560;

/// A request that passed every check, with what the server needs from it.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The parsed request.
    pub request: GenerateContentRequest,
    /// The text of the last user turn (what the safety layers judge).
    pub prompt: String,
    /// Whether IMAGE is among the response modalities.
    pub wants_image: bool,
    /// Whether TEXT is among them (image models default to both).
    pub text_requested: bool,
    /// Whether `thinkingConfig.includeThoughts` was sent as `true`: only then does a thinking
    /// model send its thought summaries (its interim images come whatever was asked).
    pub include_thoughts: bool,
    /// Estimated input tokens.
    pub input_tokens: u64,
    /// Output size in pixels.
    pub pixel_size: [u32; 2],
    /// The size name ("1K").
    pub image_size: String,
}

const TOP_LEVEL_FIELDS: [&str; 13] = [
    "contents",
    "generationConfig",
    "generation_config",
    "safetySettings",
    "safety_settings",
    "tools",
    "toolConfig",
    "tool_config",
    "systemInstruction",
    "system_instruction",
    "cachedContent",
    "cached_content",
    "model",
];
const IMAGE_CONFIG_FIELDS: [&str; 4] = ["aspectRatio", "aspect_ratio", "imageSize", "image_size"];

fn unknown_name(name: &str, at: Option<&str>) -> Response {
    let message = match at {
        Some(at) => format!(
            "Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field."
        ),
        None => {
            format!("Invalid JSON payload received. Unknown name \"{name}\": Cannot find field.")
        }
    };
    bodies::error(400, None, &message, vec![bodies::bad_request(at, &message)])
}

fn get<'a>(value: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    value.get(camel).or_else(|| value.get(snake))
}

fn check_fields(value: &Value) -> Result<(), Response> {
    let Some(object) = value.as_object() else {
        let message = "Invalid JSON payload received. Expected an object.";
        return Err(bodies::error(
            400,
            None,
            message,
            vec![bodies::bad_request(None, message)],
        ));
    };
    if let Some(name) = object
        .keys()
        .find(|key| !TOP_LEVEL_FIELDS.contains(&key.as_str()))
    {
        return Err(unknown_name(name, None));
    }
    let image_config = get(value, "generationConfig", "generation_config")
        .and_then(|c| get(c, "imageConfig", "image_config"));
    if let Some(fields) = image_config.and_then(Value::as_object)
        && let Some(name) = fields
            .keys()
            .find(|key| !IMAGE_CONFIG_FIELDS.contains(&key.as_str()))
    {
        return Err(unknown_name(name, Some("generation_config.image_config")));
    }
    Ok(())
}

fn check_safety(request: &GenerateContentRequest) -> Result<(), Response> {
    for (index, setting) in request.safety_settings.iter().enumerate() {
        if !HarmCategory::CONFIGURABLE.contains(&setting.category) {
            let field = format!("safety_settings[{index}].category");
            let message = format!(
                "Invalid value at '{field}' (type.googleapis.com/google.ai.generativelanguage.v1beta.HarmCategory), \"{}\"",
                setting.category
            );
            return Err(bodies::invalid_field(&field, &message));
        }
        if matches!(setting.threshold, HarmBlockThreshold::Unknown(_)) {
            let field = format!("safety_settings[{index}].threshold");
            let message = format!(
                "Invalid value at '{field}' (type.googleapis.com/google.ai.generativelanguage.v1beta.SafetySetting.HarmBlockThreshold), \"{}\"",
                setting.threshold
            );
            return Err(bodies::invalid_field(&field, &message));
        }
    }
    Ok(())
}

/// Google's text for a `thinkingLevel` sent to Nano Banana Pro (BerriAI/litellm#17074).
pub const THINKING_LEVEL_MESSAGE: &str =
    "Unable to submit request because thinking_level is not supported by this model.";

/// Nano Banana Pro (a thinking model whose thinking cannot be tuned) refuses `thinkingLevel`;
/// the flash models that document MINIMAL/HIGH take it.
fn check_thinking(request: &GenerateContentRequest, model: &ModelEntry) -> Result<(), Response> {
    let level = request
        .generation_config
        .as_ref()
        .and_then(|c| c.thinking_config.as_ref())
        .and_then(|c| c.thinking_level.as_ref());
    if level.is_some() && model.thinking == Some(true) {
        return Err(bodies::error(400, None, THINKING_LEVEL_MESSAGE, Vec::new()));
    }
    Ok(())
}

/// The image size and pixel size the request asks for, if the model supports them.
fn check_image_config(
    request: &GenerateContentRequest,
    model: &ModelEntry,
) -> Result<(String, [u32; 2]), Response> {
    let config = request
        .generation_config
        .as_ref()
        .and_then(|c| c.image_config.as_ref());
    let ratio = config
        .and_then(|c| c.aspect_ratio.clone())
        .unwrap_or_else(|| "1:1".to_owned());
    let asked_size = config.and_then(|c| c.image_size.clone());
    let field = "generation_config.image_config";
    if !model.aspect_ratios.is_empty() && !model.aspect_ratios.contains(&ratio) {
        let message = format!(
            "Unsupported aspect ratio \"{ratio}\" for model {}. Supported: {}.",
            model.id,
            model.aspect_ratios.join(", ")
        );
        return Err(bodies::invalid_field(
            &format!("{field}.aspect_ratio"),
            &message,
        ));
    }
    let size = match asked_size {
        None => "1K".to_owned(),
        Some(size) if model.image_sizes.is_empty() => size.to_uppercase(),
        Some(size) if model.image_sizes.contains(&size) => size,
        Some(size) => {
            let hint = if model
                .image_sizes
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&size))
            {
                " Use an uppercase K (e.g. \"2K\")."
            } else {
                ""
            };
            let message = format!(
                "Invalid value for image_size: \"{size}\". Supported values for {}: {}.{hint}",
                model.id,
                model.image_sizes.join(", ")
            );
            return Err(bodies::invalid_field(
                &format!("{field}.image_size"),
                &message,
            ));
        }
    };
    let pixel_size = model
        .pixel_size(&ratio, &size)
        .or_else(|| model.pixel_size(&ratio, "1K"))
        .unwrap_or_else(|| fallback_pixels(&ratio, &size));
    Ok((size, pixel_size))
}

/// A pixel size for combinations the catalog has no published number for.
fn fallback_pixels(ratio: &str, size: &str) -> [u32; 2] {
    let side_px = match size {
        "4K" => 4096.0,
        "2K" => 2048.0,
        "512" => 512.0,
        _ => 1024.0,
    };
    let (across, down) = ratio
        .split_once(':')
        .and_then(|(a, d)| Some((a.parse::<f64>().ok()?, d.parse::<f64>().ok()?)))
        .filter(|(a, d)| *a > 0.0 && *d > 0.0 && *a <= 64.0 && *d <= 64.0)
        .unwrap_or((1.0, 1.0));
    let scale = side_px / (across * down).sqrt();
    #[expect(
        clippy::cast_sign_loss,
        reason = "both factors are positive and bounded above"
    )]
    let pixels = |units: f64| ((units * scale) as u32 / 16 * 16).max(16);
    [pixels(across), pixels(down)]
}

fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || (bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP")
        || (bytes.len() > 12
            && &bytes[4..8] == b"ftyp"
            && matches!(
                &bytes[8..12],
                b"heic" | b"heix" | b"mif1" | b"msf1" | b"heif"
            ))
}

fn check_parts(request: &GenerateContentRequest, model: &ModelEntry) -> Result<u64, Response> {
    let mut user_images = 0u32;
    for (content_index, content) in request.contents.iter().enumerate() {
        let is_model = content.role.as_deref() == Some("model");
        for (part_index, part) in content.parts.iter().enumerate() {
            let Some(blob) = &part.inline_data else {
                continue;
            };
            let field = format!("contents[{content_index}].parts[{part_index}].inline_data.data");
            let decoded = base64::engine::general_purpose::STANDARD.decode(blob.data.trim());
            let Ok(bytes) = decoded else {
                let start: String = blob
                    .data
                    .split(',')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(40)
                    .collect();
                let message = format!(
                    "Invalid value at '{field}' (TYPE_BYTES), Base64 decoding failed for \"{start}\""
                );
                return Err(bodies::invalid_field(&field, &message));
            };
            if !is_model && blob.mime_type.starts_with("image/") {
                user_images += 1;
                if !is_image(&bytes) {
                    return Err(bodies::error(
                        400,
                        None,
                        "Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
                        Vec::new(),
                    ));
                }
            }
        }
    }
    if let Some(max) = model.max_reference_images
        && user_images > max
    {
        let message = format!(
            "Too many input images: {user_images}. Model {} accepts at most {max} images per request.",
            model.id
        );
        return Err(bodies::error(400, None, &message, Vec::new()));
    }
    Ok(u64::from(user_images))
}

fn check_signatures(request: &GenerateContentRequest, model: &ModelEntry) -> Result<(), Response> {
    if model.thinking != Some(true) {
        return Ok(());
    }
    for (content_index, content) in request.contents.iter().enumerate() {
        if content.role.as_deref() != Some("model") {
            continue;
        }
        let mut seen_image = false;
        let mut seen_text = false;
        for (part_index, part) in content.parts.iter().enumerate() {
            if part.is_thought() {
                continue;
            }
            let what = if part.inline_data.is_some() {
                seen_image = true;
                Some("Image")
            } else if part.text.is_some() && !seen_text && !seen_image {
                seen_text = true;
                Some("Text")
            } else {
                None
            };
            if let Some(what) = what
                && part.thought_signature.as_deref().is_none_or(str::is_empty)
            {
                let message = format!(
                    "{what} part is missing a thought_signature in content position {}, part position {}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior for more details.",
                    content_index + 1,
                    part_index + 1
                );
                return Err(bodies::error(400, None, &message, Vec::new()));
            }
        }
    }
    Ok(())
}

/// Google's answer to a body it cannot read as the request type.
fn invalid_json(error: &serde_json::Error) -> Response {
    let message = format!("Invalid JSON payload received. {error}");
    bodies::error(
        400,
        None,
        &message,
        vec![bodies::bad_request(None, &message)],
    )
}

/// Runs every check; the first failure is the answer.
pub fn check(body: &[u8], model: &ModelEntry) -> Result<Checked, Response> {
    if body.len() > MAX_REQUEST_BYTES {
        let message = format!("Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.");
        return Err(bodies::error(400, None, &message, Vec::new()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| invalid_json(&error))?;
    check_fields(&value)?;
    let request: GenerateContentRequest =
        serde_json::from_value(value).map_err(|error| invalid_json(&error))?;
    check_safety(&request)?;
    check_thinking(&request, model)?;
    if request.contents.is_empty() {
        return Err(bodies::error(
            400,
            None,
            "* GenerateContentRequest.contents: contents is not specified\n",
            Vec::new(),
        ));
    }
    let (image_size, pixel_size) = check_image_config(&request, model)?;
    let images = check_parts(&request, model)?;
    check_signatures(&request, model)?;

    let modalities = request
        .generation_config
        .as_ref()
        .map(|c| c.response_modalities.clone())
        .unwrap_or_default();
    let wants_image = modalities.is_empty() || modalities.contains(&Modality::Image);
    let include_thoughts = request
        .generation_config
        .as_ref()
        .and_then(|c| c.thinking_config.as_ref())
        .and_then(|c| c.include_thoughts)
        == Some(true);
    let text_requested = modalities.is_empty() || modalities.contains(&Modality::Text);
    let prompt = request
        .contents
        .iter()
        .rev()
        .find(|content| content.role.as_deref() != Some("model"))
        .map(|content| {
            content
                .parts
                .iter()
                .filter_map(|p| p.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let text_chars: usize = request
        .contents
        .iter()
        .flat_map(|c| &c.parts)
        .filter_map(|p| p.text.as_deref())
        .map(str::len)
        .sum();
    let input_tokens = text_chars as u64 / 4 + 1 + images * IMAGE_INPUT_TOKENS;
    Ok(Checked {
        request,
        prompt,
        wants_image,
        text_requested,
        include_thoughts,
        input_tokens,
        pixel_size,
        image_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_pixels_keep_the_ratio() {
        let [w, h] = fallback_pixels("16:9", "1K");
        assert!(
            (f64::from(w) / f64::from(h) - 16.0 / 9.0).abs() < 0.05,
            "{w}x{h}"
        );
        assert_eq!(fallback_pixels("1:1", "2K"), [2048, 2048]);
    }

    #[test]
    fn image_magic() {
        assert!(is_image(b"\x89PNG\r\n\x1a\n...."));
        assert!(is_image(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!is_image(b"GIF89a"));
        assert!(!is_image(b"hello"));
    }
}
