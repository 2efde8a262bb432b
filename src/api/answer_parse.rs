//! Parsing a `generateContent` answer in little more memory than its body: the largest image's
//! base64 is moved out of the body before the rest is parsed, then put back as its `data`.

use super::wire::GenerateContentResponse;

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
    mut body: Vec<u8>,
) -> Result<GenerateContentResponse, (serde_json::Error, Vec<u8>)> {
    let plain = |body: Vec<u8>| match serde_json::from_slice::<GenerateContentResponse>(&body) {
        Ok(response) => Ok(response),
        Err(error) => Err((error, body)),
    };
    let Some(range) = largest_data_string(&body) else {
        return plain(body);
    };
    let mut rest = Vec::with_capacity(body.len() - range.len() + MOVED_DATA_MARKER.len());
    rest.extend_from_slice(&body[..range.start]);
    rest.extend_from_slice(MOVED_DATA_MARKER.as_bytes());
    rest.extend_from_slice(&body[range.end..]);
    let (start, len) = (range.start, range.len());
    body.copy_within(range, 0);
    body.truncate(len);
    body.shrink_to_fit();
    // Puts the image back where it was: the original body.
    let restore = |rest: &[u8], image: Vec<u8>| {
        let mut body = Vec::with_capacity(rest.len() - MOVED_DATA_MARKER.len() + image.len());
        body.extend_from_slice(&rest[..start]);
        body.extend_from_slice(&image);
        body.extend_from_slice(&rest[start + MOVED_DATA_MARKER.len()..]);
        body
    };
    let image = match String::from_utf8(body) {
        Ok(image) => image,
        Err(error) => return plain(restore(&rest, error.into_bytes())),
    };
    let Ok(mut response) = serde_json::from_slice::<GenerateContentResponse>(&rest) else {
        return plain(restore(&rest, image.into_bytes()));
    };
    let mut marked = response
        .candidates
        .iter_mut()
        .filter_map(|candidate| candidate.content.as_mut())
        .flat_map(|content| content.parts.iter_mut())
        .filter_map(|part| part.inline_data.as_mut())
        .filter(|blob| blob.data == MOVED_DATA_MARKER);
    match (marked.next(), marked.next()) {
        (Some(blob), None) => {
            blob.data = image;
            Ok(response)
        }
        _ => plain(restore(&rest, image.into_bytes())),
    }
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
}
