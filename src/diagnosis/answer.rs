//! A parsed answer as the diagnosis keeps it: its JSON with every image replaced by a stand-in
//! (mime type, length, and hash and pixel size when known), long signatures elided and long texts
//! shortened, so it stays a few KB whatever the size of the images.

use crate::api::wire::GenerateContentResponse;

/// Longest text part kept, in bytes.
pub const TEXT_PART_MAX_BYTES: usize = 4096;
/// Signatures longer than this are elided (they are opaque; the stored turn keeps them whole).
const SIGNATURE_ELIDE_CHARS: usize = 120;

/// The answer as compact JSON, without image bytes.
pub fn compact_json(response: &GenerateContentResponse) -> String {
    let mut copy = response.without_image_data();
    let parts = copy
        .candidates
        .iter_mut()
        .filter_map(|candidate| candidate.content.as_mut())
        .flat_map(|content| content.parts.iter_mut());
    for part in parts {
        if let Some(signature) = &part.thought_signature
            && signature.len() > SIGNATURE_ELIDE_CHARS
        {
            part.thought_signature = Some(format!("<{} characters elided>", signature.len()));
        }
        if let Some(text) = &mut part.text
            && text.len() > TEXT_PART_MAX_BYTES
        {
            let end = text.floor_char_boundary(TEXT_PART_MAX_BYTES);
            let more = text.len() - end;
            text.truncate(end);
            text.push_str("… (");
            text.push_str(&more.to_string());
            text.push_str(" more bytes not kept)");
        }
    }
    serde_json::to_string(&copy).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_become_stand_ins_and_the_rest_stays() {
        let data = "QUJD".repeat(250_000);
        let signature = "c2ln".repeat(100);
        let body = format!(
            r#"{{"candidates":[{{"content":{{"role":"model","parts":[
            {{"text":"draft","thought":true}},
            {{"inlineData":{{"mimeType":"image/jpeg","data":"{data}"}},"thought":true}},
            {{"inlineData":{{"mimeType":"image/jpeg","data":"{data}"}},"thoughtSignature":"{signature}"}}]}},
            "finishReason":"STOP"}}],"modelVersion":"gemini-3-pro-image"}}"#
        );
        let response: GenerateContentResponse = serde_json::from_str(&body).unwrap();
        let compact = compact_json(&response);
        assert!(compact.len() < 1024, "{}", compact.len());
        assert!(!compact.contains("QUJD"));
        assert!(
            compact.contains(r#""peelStandIn":{"bytes":750000}"#),
            "{compact}"
        );
        assert!(compact.contains("<400 characters elided>"));
        assert!(compact.contains(r#""finishReason":"STOP""#));
        // The copy still reads as an answer with a final image.
        let again: GenerateContentResponse = serde_json::from_str(&compact).unwrap();
        assert_eq!(again.final_image().unwrap().mime_type, "image/jpeg");
    }

    #[test]
    fn long_texts_are_shortened_on_a_character_boundary() {
        let text = "é".repeat(TEXT_PART_MAX_BYTES);
        let body = format!(
            r#"{{"candidates":[{{"content":{{"parts":[{{"text":"{text}"}}]}},"finishReason":"STOP"}}]}}"#
        );
        let response: GenerateContentResponse = serde_json::from_str(&body).unwrap();
        let compact = compact_json(&response);
        assert!(compact.len() < TEXT_PART_MAX_BYTES + 200);
        assert!(compact.contains("more bytes not kept"));
    }
}
