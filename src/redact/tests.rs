//! Redaction: every shape of credential Peel may meet is removed, ordinary text (prompts, real
//! error bodies) is left byte for byte, and generated keys at random places never survive.

use std::borrow::Cow;

use proptest::prelude::*;

use super::*;

const KEY: &str = "AIzaSyD-abcdefghijklmnopqrstuvwxyz01234";

#[test]
fn google_keys_are_removed_everywhere() {
    let text = format!(
        "POST https://generativelanguage.googleapis.com/v1beta/models/x:generateContent?key={KEY}&alt=sse \
         x-goog-api-key: {KEY} {{\"detail\": \"Invalid API key: {KEY}\"}}"
    );
    let clean = redact(&text);
    assert!(!clean.contains("AIzaSy"), "{clean}");
    assert!(clean.contains("?key=[REDACTED]&alt=sse"), "{clean}");
}

#[test]
fn debug_info_echo_of_a_non_google_key_is_removed() {
    let clean = redact(r#"{"detail": "Invalid API key: sk-not-a-google-key-123456"}"#);
    assert!(!clean.contains("sk-not"), "{clean}");
}

#[test]
fn bearer_tokens_are_removed() {
    let clean = redact("Authorization: Bearer ya29.a0AfB_byC-opaque.token/with+slash==");
    assert_eq!(clean, "Authorization: Bearer [REDACTED]");
    let clean = redact("the proxy said: bearer abc123def456 was refused");
    assert_eq!(clean, "the proxy said: bearer [REDACTED] was refused");
    let clean = redact("Authorization: Basic dXNlcjpwYXNzd29yZA==");
    assert_eq!(clean, "Authorization: Basic [REDACTED]");
}

#[test]
fn json_credential_fields_are_removed() {
    let body = r#"{"apiKey": "opaque-value", "api_key":"x y z", "Key": "k", "x-goog-api-key": "h",
        "authorization": "Bearer t", "access_token": "a\"b", "token": "t", "model": "gemini"}"#;
    let clean = redact(body);
    for gone in [
        "opaque-value",
        "x y z",
        r#""k""#,
        r#""h""#,
        "Bearer t",
        r#"a\"b"#,
    ] {
        assert!(!clean.contains(gone), "{gone} in {clean}");
    }
    assert!(clean.contains(r#""apiKey": "[REDACTED]""#), "{clean}");
    assert!(clean.contains(r#""model": "gemini""#), "{clean}");
    let python = redact("{'api_key': 'opaque-value', 'model': 'gemini'}");
    assert_eq!(python, "{'api_key': '[REDACTED]', 'model': 'gemini'}");
    let nested = redact(r#"{"raw": "{\"apiKey\": \"opaque-value\"}"}"#);
    assert_eq!(nested, r#"{"raw": "{\"apiKey\": \"[REDACTED]\"}"}"#);
}

#[test]
fn form_fields_and_query_parameters_are_removed() {
    assert_eq!(
        redact("api_key=opaque-value&prompt=fox"),
        "api_key=[REDACTED]&prompt=fox"
    );
    assert_eq!(redact("key=opaque-value"), "key=[REDACTED]");
    assert_eq!(
        redact("GET /v1/models?alt=json&access_token=opaque-value HTTP/1.1"),
        "GET /v1/models?alt=json&access_token=[REDACTED] HTTP/1.1"
    );
}

#[test]
fn opaque_values_after_a_credential_name_are_removed_and_words_are_not() {
    assert_eq!(
        redact("refresh token: 1//0gX9fLk2mQpRsTuVwXyZ"),
        "refresh token: [REDACTED]"
    );
    assert_eq!(redact("Invalid token: expired"), "Invalid token: expired");
}

#[test]
fn ordinary_text_is_untouched() {
    let text = "Please pass a valid API key. The model AIzawa is a name.";
    assert_eq!(redact(text), text);
    assert!(matches!(redact(text), Cow::Borrowed(_)));
    for text in [
        "Your request's token count is too high: 40000 tokens, limit 32768.",
        "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        "The key to this image is the soft light: key light from the left, fill from the right.",
        "A bearer of gifts walks through the snow, a secret garden behind her.",
        "Set GEMINI_API_KEY to your key, then run peel generate again.",
        "{\"model\": \"gemini-3-pro-image\", \"finishReason\": \"IMAGE_SAFETY\"}",
    ] {
        assert!(matches!(redact(text), Cow::Borrowed(_)), "{text} changed");
    }
}

#[test]
fn prompts_are_untouched() {
    let prompts = include_str!("../../tests/fixtures/ordinary_prompts.txt");
    for prompt in prompts.lines() {
        assert_eq!(redact(prompt), prompt);
    }
}

#[test]
fn real_error_bodies_are_untouched() {
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-errors");
    let mut read = 0;
    for entry in std::fs::read_dir(folder).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert_eq!(redact(&text), text);
        read += 1;
    }
    assert!(read >= 10, "only {read} real errors found");
}

/// A Google-shaped key: `AIza` and 35 URL-safe characters.
fn google_key() -> impl Strategy<Value = String> {
    "[0-9A-Za-z_-]{35}".prop_map(|tail| format!("AIza{tail}"))
}

/// A key of another shape: an opaque token of 16 to 60 characters with a digit in it.
fn other_key() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9_.-]{8,30}", "[0-9]", "[A-Za-z0-9_.-]{7,29}")
        .prop_map(|(head, digit, tail)| format!("{head}{digit}{tail}"))
}

/// Text around a key: printable ASCII and line ends.
fn surroundings() -> impl Strategy<Value = String> {
    "[ -~\n]{0,60}"
}

/// The places a key of any shape can stand, each with the key in it.
fn in_context(key: &str, shape: usize) -> String {
    match shape % 12 {
        0 => format!("{{\"apiKey\": \"{key}\", \"model\": \"m\"}}"),
        1 => format!("{{\"api_key\":\"{key}\"}}"),
        2 => format!("{{\"x-goog-api-key\" : \"{key}\"}}"),
        3 => format!("{{\"ACCESS_TOKEN\": \"{key}\"}}"),
        4 => format!("Authorization: Bearer {key}"),
        5 => format!("x-goog-api-key: {key}"),
        6 => format!("https://example.test/v1/models/m:generateContent?key={key}&alt=sse"),
        7 => format!("https://example.test/v1/models?alt=json&api_key={key}"),
        8 => format!("api_key={key}&prompt=a+fox"),
        9 => format!("key={key}"),
        10 => format!("Invalid API key: {key}"),
        _ => format!("{{'token': '{key}'}}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_google_key_anywhere_never_survives(
        key in google_key(),
        text in surroundings(),
        at in any::<prop::sample::Index>(),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        chars.insert(at.index(chars.len() + 1), '\u{0}');
        let text: String = chars.into_iter().collect::<String>().replace('\u{0}', &key);
        let once = redact(&text);
        prop_assert!(!once.contains(&key), "{once}");
        prop_assert_eq!(redact(&once), once.clone());
    }

    #[test]
    fn any_key_in_a_credential_place_never_survives(
        key in prop_oneof![google_key(), other_key()],
        shape in 0usize..12,
        before in surroundings(),
        after in surroundings(),
    ) {
        let text = format!("{before}\n{}\n{after}", in_context(&key, shape));
        let once = redact(&text);
        prop_assert!(!once.contains(&key), "{once}");
        prop_assert_eq!(redact(&once), once.clone());
    }

    #[test]
    fn redaction_is_idempotent_on_any_text(text in "[ -~\n]{0,200}") {
        let once = redact(&text).into_owned();
        prop_assert_eq!(redact(&once), once.as_str());
    }
}
