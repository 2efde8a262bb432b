//! The response as the why-panel shows it: pretty JSON with image data elided, keys redacted, and
//! a size cap, so a 10 MB answer full of base64 stays readable and nothing secret is shown.

use super::evidence::Evidence;
use crate::redact::redact;

/// Longest excerpt shown, in bytes.
pub const EXCERPT_MAX_BYTES: usize = 16 * 1024;

/// Strings longer than this under a `data` field are image bytes: elided.
const DATA_ELIDE_CHARS: usize = 120;

/// The evidence as the designer may read it: redacted, images elided, at most
/// [`EXCERPT_MAX_BYTES`].
pub fn shown_response(evidence: &Evidence<'_>) -> String {
    let text = match evidence {
        Evidence::Response { status, body, .. } => {
            let head = status.map_or_else(|| "No HTTP status".to_owned(), |s| format!("HTTP {s}"));
            format!("{head}\n{}", readable_body(body))
        }
        Evidence::Answer { status, response } => {
            format!(
                "HTTP {status}\n{}",
                readable_body(&super::answer::compact_json(response))
            )
        }
        Evidence::Transport { failure, detail } => {
            format!("No HTTP answer ({}): {detail}", failure.describe())
        }
    };
    cap(&redact(&text), EXCERPT_MAX_BYTES)
}

fn readable_body(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) => {
            elide_data(&mut value);
            serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.to_owned())
        }
        Err(_) => body.to_owned(),
    }
}

fn elide_data(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, field) in map.iter_mut() {
                let long = field
                    .as_str()
                    .filter(|text| text.len() > DATA_ELIDE_CHARS)
                    .map(str::len);
                match long {
                    Some(len) if name == "data" || name == "thoughtSignature" => {
                        *field = serde_json::Value::String(format!("<{len} characters elided>"));
                    }
                    _ => elide_data(field),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(elide_data),
        _ => {}
    }
}

/// `text` cut to at most `max_bytes` (on a character boundary), saying how much was left out.
pub fn cap(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let end = text.floor_char_boundary(max_bytes);
    format!(
        "{}\n… ({} more bytes not shown)",
        &text[..end],
        text.len() - end
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::TransportFailure;

    #[test]
    fn image_bytes_are_elided_and_the_rest_is_pretty() {
        let data = "A".repeat(5000);
        let body = format!(
            r#"{{"candidates":[{{"content":{{"parts":[{{"inlineData":{{"mimeType":"image/png","data":"{data}"}}}}]}},"finishReason":"STOP"}}]}}"#
        );
        let shown = shown_response(&Evidence::http(200, &body));
        assert!(shown.starts_with("HTTP 200\n"));
        assert!(shown.contains("<5000 characters elided>"));
        assert!(shown.contains("\"finishReason\": \"STOP\""));
        assert!(!shown.contains(&data));
    }

    #[test]
    fn keys_are_redacted_and_long_text_is_capped() {
        let key = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW";
        let body = format!("upstream said: bad key {key} {}", "x".repeat(40_000));
        let shown = shown_response(&Evidence::http(400, &body));
        assert!(!shown.contains(key));
        assert!(shown.len() < EXCERPT_MAX_BYTES + 100);
        assert!(shown.ends_with("more bytes not shown)"));
    }

    #[test]
    fn a_transport_failure_says_there_was_no_answer() {
        let shown = shown_response(&Evidence::Transport {
            failure: TransportFailure::Timeout,
            detail: "operation timed out",
        });
        assert!(shown.starts_with("No HTTP answer ("));
        assert!(shown.contains("operation timed out"));
    }
}
