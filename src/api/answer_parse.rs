//! Parsing a `generateContent` answer in little more memory than its body: the largest image's
//! base64 is moved out of the body before the rest is parsed, then put back as its `data`.
//!
//! The same holds for each piece of a streamed answer ([`parse_event`], [`parse_chunk`]): an
//! event's data is made in its own memory, a piece may be an array of answers (a proxy that
//! ignores `alt=sse`), and Google's error envelope written mid-stream is told apart from an
//! answer by its `error` key, as google-genai tells it.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error_body::http_status_of;
use super::sse::event_data;
use super::wire::{Blob, GenerateContentResponse};

/// Stands in the body for the image moved out of it while the rest is parsed. No base64 string
/// contains `!`, and the moved string was the body's largest.
const MOVED_DATA_MARKER: &str = "!peel-moved-image-data!";

/// Smallest base64 string worth moving out of the body rather than copying.
const MOVE_OUT_MIN_BYTES: usize = 1024 * 1024;

/// Parses a `generateContent` answer, consuming its body. Parsed plainly, a body and the strings
/// parsed from it are both alive at the end, twice the answer's size; here the largest image's
/// base64 (a 4K answer's final image: most of the body) becomes its `data` string in the body's own
/// memory, so parsing needs little more than the body itself. The result is exactly
/// `serde_json::from_slice`'s; on failure the body comes back whole, with `from_slice`'s error.
pub fn parse_answer(
    body: Vec<u8>,
) -> Result<GenerateContentResponse, (serde_json::Error, Vec<u8>)> {
    parse_moved(move_out(body))
}

/// What one piece of a stream holds.
#[derive(Debug)]
pub enum Chunk {
    /// Answers: one for an event, any number for a JSON array.
    Answers(Vec<GenerateContentResponse>),
    /// Google's error envelope (`{"error": …}`, or one in an array).
    Error {
        /// The HTTP status the error names (its `code`, else its canonical `status`, else 500).
        status: u16,
        /// The error's text, exactly as sent.
        text: Vec<u8>,
    },
}

/// Parses one server-sent event of a streamed answer (`data:` lines and all), consuming it: its
/// data is made in place ([`event_data`]) and parsed as [`parse_chunk`] does, so a 30 MB event
/// needs little more memory than itself, as [`parse_answer`] does for a body. On failure the
/// event's data comes back with `from_slice`'s error.
pub fn parse_event(event: Vec<u8>) -> Result<Chunk, (serde_json::Error, Vec<u8>)> {
    parse_chunk(event_data(event).unwrap_or_default())
}

/// Parses JSON text that is one answer, an array of answers, or Google's error envelope (alone
/// or in an array), consuming it, in little more memory than the text (the largest image is
/// moved out first, as in [`parse_answer`]). On failure the text comes back whole, with
/// `from_slice`'s error.
pub fn parse_chunk(text: Vec<u8>) -> Result<Chunk, (serde_json::Error, Vec<u8>)> {
    let moved = move_out(text);
    let rest = match &moved {
        Moved::Out { rest, .. } => rest.as_slice(),
        Moved::Whole(text) => text.as_slice(),
    };
    if let Some(status) = error_status(rest) {
        return Ok(Chunk::Error {
            status,
            text: moved.restore(),
        });
    }
    if rest.trim_ascii_start().starts_with(b"[") {
        parse_moved(moved).map(Chunk::Answers)
    } else {
        parse_moved(moved).map(|answer| Chunk::Answers(vec![answer]))
    }
}

/// The first `error` in `text` (`{"error": …}` or `[…, {"error": …}]`) and the HTTP status it
/// names; `None` when there is none (or `text` is not JSON: the answer's parse says why).
fn error_status(text: &[u8]) -> Option<u16> {
    /// Only the `error` key is read; everything else is skipped.
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        error: Option<serde_json::Value>,
    }
    let errors: Vec<Probe> = if text.trim_ascii_start().starts_with(b"[") {
        serde_json::from_slice(text).ok()?
    } else {
        vec![serde_json::from_slice(text).ok()?]
    };
    let error = errors.into_iter().find_map(|probe| probe.error)?;
    let code = match error.get("code") {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let named = error
        .get("status")
        .and_then(serde_json::Value::as_str)
        .and_then(http_status_of);
    Some(
        code.and_then(|code| u16::try_from(code).ok())
            .filter(|code| (400..600).contains(code))
            .or(named)
            .unwrap_or(500),
    )
}

/// What parses into answers whose images can be put back.
trait WithBlobs: DeserializeOwned {
    /// Every inline blob, in order.
    fn blobs(&mut self) -> impl Iterator<Item = &mut Blob>;
}

impl WithBlobs for GenerateContentResponse {
    fn blobs(&mut self) -> impl Iterator<Item = &mut Blob> {
        self.candidates
            .iter_mut()
            .filter_map(|candidate| candidate.content.as_mut())
            .flat_map(|content| content.parts.iter_mut())
            .filter_map(|part| part.inline_data.as_mut())
    }
}

impl WithBlobs for Vec<GenerateContentResponse> {
    fn blobs(&mut self) -> impl Iterator<Item = &mut Blob> {
        self.iter_mut().flat_map(WithBlobs::blobs)
    }
}

/// A body, with its largest image moved out when it had one worth moving.
enum Moved {
    /// Nothing moved: the body as it came.
    Whole(Vec<u8>),
    /// The body without the image (`rest`, [`MOVED_DATA_MARKER`] in its place at `start`), and
    /// the image, in the body's own memory.
    Out {
        rest: Vec<u8>,
        image: String,
        start: usize,
    },
}

impl Moved {
    /// The body as it came.
    fn restore(self) -> Vec<u8> {
        match self {
            Moved::Whole(body) => body,
            Moved::Out { rest, image, start } => put_back(&rest, image.as_bytes(), start),
        }
    }
}

/// The body `rest` was made from, `image` back in the marker's place at `start`.
fn put_back(rest: &[u8], image: &[u8], start: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(rest.len() - MOVED_DATA_MARKER.len() + image.len());
    body.extend_from_slice(&rest[..start]);
    body.extend_from_slice(image);
    body.extend_from_slice(&rest[start + MOVED_DATA_MARKER.len()..]);
    body
}

/// Moves the body's largest `data` string out of it, into the body's own memory (the rest is
/// copied: it is small).
fn move_out(mut body: Vec<u8>) -> Moved {
    let Some(range) = largest_data_string(&body) else {
        return Moved::Whole(body);
    };
    let mut rest = Vec::with_capacity(body.len() - range.len() + MOVED_DATA_MARKER.len());
    rest.extend_from_slice(&body[..range.start]);
    rest.extend_from_slice(MOVED_DATA_MARKER.as_bytes());
    rest.extend_from_slice(&body[range.end..]);
    let (start, len) = (range.start, range.len());
    body.copy_within(range, 0);
    body.truncate(len);
    body.shrink_to_fit();
    match String::from_utf8(body) {
        Ok(image) => Moved::Out { rest, image, start },
        Err(error) => Moved::Whole(put_back(&rest, error.as_bytes(), start)),
    }
}

/// Parses a moved body: the rest, then the image put back into the one blob that holds the
/// marker. Anything unexpected parses the restored body plainly, so the result (or the error) is
/// exactly `from_slice`'s.
fn parse_moved<T: WithBlobs>(moved: Moved) -> Result<T, (serde_json::Error, Vec<u8>)> {
    let plain = |body: Vec<u8>| match serde_json::from_slice::<T>(&body) {
        Ok(parsed) => Ok(parsed),
        Err(error) => Err((error, body)),
    };
    let (rest, image, start) = match moved {
        Moved::Whole(body) => return plain(body),
        Moved::Out { rest, image, start } => (rest, image, start),
    };
    let Ok(mut parsed) = serde_json::from_slice::<T>(&rest) else {
        return plain(Moved::Out { rest, image, start }.restore());
    };
    let marked = parsed
        .blobs()
        .filter(|blob| blob.data == MOVED_DATA_MARKER)
        .count();
    if marked != 1 {
        return plain(Moved::Out { rest, image, start }.restore());
    }
    if let Some(blob) = parsed.blobs().find(|blob| blob.data == MOVED_DATA_MARKER) {
        blob.data = image;
    }
    Ok(parsed)
}

/// Where the contents of the body's largest string are, when it is worth moving out: at least
/// [`MOVE_OUT_MIN_BYTES`], free of escapes and control characters (so its text is its bytes, and
/// `from_slice` would accept it), and the value of a `"data"` key. `None` for anything else,
/// including a body that is not JSON.
fn largest_data_string(body: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut largest: Option<std::ops::Range<usize>> = None;
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        let mut escaped = false;
        while end < body.len() && body[end] != b'"' {
            if body[end] == b'\\' || body[end] < 0x20 {
                escaped = true;
                end += usize::from(body[end] == b'\\');
            }
            end += 1;
        }
        if end >= body.len() {
            return None;
        }
        let len = end - start;
        if !escaped
            && len >= MOVE_OUT_MIN_BYTES
            && largest.as_ref().is_none_or(|r| len > r.len())
            && body[..start - 1]
                .trim_ascii_end()
                .strip_suffix(b":")
                .is_some_and(|key| key.trim_ascii_end().ends_with(b"\"data\""))
        {
            largest = Some(start..end);
        }
        i = end + 1;
    }
    largest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_answer` gives exactly what `from_slice` gives, whichever way the body is shaped.
    #[test]
    fn answers_parse_as_from_slice_parses_them() {
        let big = |c: char| c.to_string().repeat(MOVE_OUT_MIN_BYTES + 7);
        let answer = |parts: &str| {
            format!(
                r#"{{"candidates": [{{"content": {{"role": "model", "parts": [{parts}]}}, "finishReason": "STOP"}}], "modelVersion": "m"}}"#
            )
        };
        let blob = |data: &str| {
            format!(r#"{{"inlineData": {{"mimeType": "image/jpeg", "data" : "{data}"}}}}"#)
        };
        let bodies = [
            answer(&format!(
                r#"{{"text": "hi"}}, {}, {}"#,
                blob("QUJD"),
                blob(&big('A'))
            )),
            answer(&format!(
                "{}, {}",
                blob(&big('B')),
                blob(&format!("{}C", big('C')))
            )),
            answer(&format!(
                r#"{}, {{"text": "{}"}}"#,
                blob(&big('D')),
                big('t')
            )),
            answer(&format!("{}, {}", blob(MOVED_DATA_MARKER), blob(&big('E')))),
            answer(&format!(
                r#"{{"text": "{MOVED_DATA_MARKER}"}}, {}"#,
                blob(&big('F'))
            )),
            answer(&format!(
                r#"{}, {{"text": "a \"quote\""}}"#,
                blob(&big('G'))
            )),
            answer(&blob(&format!(r"{}\n", big('H')))),
            answer(&blob(&format!(r"{}\u0001", big('I')))),
            answer(&blob(&format!("{}\u{1}", big('J')))),
            format!(
                r#"{{"candidates": [{{"other": {{"data": "{}"}}}}]}}"#,
                big('K')
            ),
            format!(r#"{{"candidates": [{}"#, blob(&big('L'))),
            format!(r#"{{"candidates": 3, "x": {{"data": "{}"}}}}"#, big('M')),
            answer(&blob(&big('N'))).replace("STOP", r"STOP\u"),
            "not json".to_owned(),
        ];
        // The first moves its image out of the body; one with an escape in it does not.
        let first = largest_data_string(bodies[0].as_bytes()).unwrap();
        assert_eq!(first.len(), MOVE_OUT_MIN_BYTES + 7);
        assert!(bodies[0][first].bytes().all(|b| b == b'A'));
        assert_eq!(largest_data_string(bodies[6].as_bytes()), None);
        for body in bodies {
            let expected = serde_json::from_slice::<GenerateContentResponse>(body.as_bytes());
            match (parse_answer(body.clone().into_bytes()), expected) {
                (Ok(got), Ok(expected)) => assert_eq!(
                    serde_json::to_string(&got).unwrap(),
                    serde_json::to_string(&expected).unwrap()
                ),
                (Err((got, back)), Err(expected)) => {
                    assert_eq!(got.to_string(), expected.to_string());
                    assert!(back == body.as_bytes(), "the body comes back whole");
                }
                (got, expected) => panic!("{:?} against {expected:?}", got.map_err(|e| e.0)),
            }
        }
    }

    /// An event's data is parsed as an answer, its largest image moved (not copied) out of
    /// the event's own memory; multi-line data and CRLF are fine.
    #[test]
    fn events_parse_as_their_data_would() {
        let image = "Q".repeat(MOVE_OUT_MIN_BYTES + 3);
        let data = format!(
            r#"{{"candidates": [{{"content": {{"parts": [{{"text": "t", "thought": true}}, {{"inlineData": {{"mimeType": "image/png", "data": "{image}"}}, "thoughtSignature": "c2ln"}}]}}}}], "responseId": "r"}}"#
        );
        let event = format!(": note\r\nevent: message\r\ndata: {data}\r\n");
        let Ok(Chunk::Answers(answers)) = parse_event(event.into_bytes()) else {
            panic!("not an answer")
        };
        let expected: GenerateContentResponse = serde_json::from_str(&data).unwrap();
        assert_eq!(answers, [expected]);

        let split = "data: {\"responseId\":\ndata: \"r\"}\n";
        let Ok(Chunk::Answers(answers)) = parse_event(split.as_bytes().to_vec()) else {
            panic!("not an answer")
        };
        assert_eq!(answers[0].response_id.as_deref(), Some("r"));

        let Err((_, back)) = parse_event(b"data: {\"candidates\": [\n\n".to_vec()) else {
            panic!("a cut event parsed")
        };
        assert_eq!(back, b"{\"candidates\": [");
    }

    /// Google's error envelope, alone or in an array, is an error with the status it names,
    /// its text kept exactly; an answer that merely mentions "error" is an answer.
    #[test]
    fn errors_are_told_apart_from_answers() {
        let error = "{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"The model is overloaded.\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}";
        let status_of = |text: &str| match parse_chunk(text.as_bytes().to_vec()) {
            Ok(Chunk::Error { status, text: back }) => {
                assert_eq!(back, text.as_bytes(), "the error's text is kept as sent");
                Some(status)
            }
            Ok(Chunk::Answers(_)) => None,
            Err((error, _)) => panic!("{error}"),
        };
        assert_eq!(status_of(error), Some(503));
        assert_eq!(status_of(&format!("[{error}]")), Some(503));
        assert_eq!(
            status_of(r#"{"error": {"message": "m", "status": "RESOURCE_EXHAUSTED"}}"#),
            Some(429)
        );
        assert_eq!(status_of(r#"{"error": {"code": "400"}}"#), Some(400));
        assert_eq!(
            status_of(r#"{"error": {"code": 200, "status": "?"}}"#),
            Some(500)
        );
        assert_eq!(status_of(r#"{"error": "plain words"}"#), Some(500));
        assert_eq!(
            status_of(r#"{"candidates": [{"content": {"parts": [{"text": "\"error\": 1"}]}}]}"#),
            None
        );
        assert_eq!(
            status_of(r#"[{"responseId": "a"}, {"error": {"code": 500}}]"#),
            Some(500)
        );
    }

    /// An array of answers (a proxy that ignores `alt=sse`) parses as `from_slice` parses it,
    /// with the image moved out of the text.
    #[test]
    fn arrays_of_answers_parse_in_order() {
        let image = "Z".repeat(MOVE_OUT_MIN_BYTES + 1);
        let text = format!(
            r#"[{{"candidates": [{{"content": {{"parts": [{{"text": "a"}}]}}}}]}},
               {{"candidates": [{{"content": {{"parts": [{{"inlineData": {{"mimeType": "image/png", "data": "{image}"}}}}]}}, "finishReason": "STOP"}}]}}]"#
        );
        assert!(largest_data_string(text.as_bytes()).is_some());
        let expected: Vec<GenerateContentResponse> = serde_json::from_str(&text).unwrap();
        let Ok(Chunk::Answers(answers)) = parse_chunk(text.into_bytes()) else {
            panic!("not answers")
        };
        assert_eq!(answers, expected);
        assert_eq!(answers[1].final_image().unwrap().data.len(), image.len());
    }
}
