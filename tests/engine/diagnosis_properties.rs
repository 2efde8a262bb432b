#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

//! Property tests: the diagnosis never panics, whatever it is fed (random bytes, random statuses,
//! real fixtures with bytes flipped, cut, or spliced), always returns a consistent diagnosis, and
//! never lets an API key through.

use std::path::PathBuf;
use std::sync::LazyLock;

use jiff::Timestamp;
use peel::diagnosis::{Diagnosis, DiagnosisContext, Evidence, Kind, TransportFailure, diagnose};
use proptest::prelude::*;

static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-errors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut bodies = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        bodies.push(text.clone().into_bytes());
        match &value["body"] {
            serde_json::Value::String(body) => bodies.push(body.clone().into_bytes()),
            body => bodies.push(body.to_string().into_bytes()),
        }
    }
    bodies
});

fn context() -> DiagnosisContext<'static> {
    DiagnosisContext::new("2026-03-08T09:30:00Z".parse::<Timestamp>().unwrap())
}

fn check(diagnosis: &Diagnosis) {
    if diagnosis.kind != Kind::Unknown {
        assert_eq!(diagnosis.layer, diagnosis.kind.layer());
    }
    assert_eq!(
        diagnosis.configurable,
        diagnosis.kind == Kind::BlockedSafety
    );
    assert!(!diagnosis.title.is_empty() && !diagnosis.fix.is_empty());
    if let Some(seconds) = diagnosis.retry_after_s {
        assert!(seconds.is_finite() && seconds >= 0.0, "{seconds}");
    }
    assert!(serde_json::to_string(diagnosis).is_ok());
}

/// A mutation of a real body: flip bytes, cut it, splice in noise, or duplicate a slice.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Cut { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Repeat { from: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(from, len)| Mutation::Repeat { from, len }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        if bytes.is_empty() {
            break;
        }
        let len = bytes.len();
        match mutation {
            Mutation::Flip { at, byte } => bytes[at % len] = *byte,
            Mutation::Cut { at } => bytes.truncate(at % len),
            Mutation::Insert { at, bytes: noise } => {
                let at = at % len;
                bytes.splice(at..at, noise.iter().copied());
            }
            Mutation::Repeat { from, len: count } => {
                let from = from % len;
                let end = (from + count).min(len);
                let slice = bytes[from..end].to_vec();
                bytes.extend(slice);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), status in prop::option::of(0u16..1000)) {
        let text = String::from_utf8_lossy(&bytes);
        let diagnosis = diagnose(&Evidence::Response { status, body: &text, retry_after_header: None }, &context());
        check(&diagnosis);
    }

    #[test]
    fn json_like_noise_never_panics(text in r#"[\[\]{}":,'\\a-zA-Z0-9 _.\n-]{0,400}"#, status in prop::option::of(100u16..600)) {
        let diagnosis = diagnose(&Evidence::Response { status, body: &text, retry_after_header: Some(&text) }, &context());
        check(&diagnosis);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
        status in prop::option::of(prop::sample::select(vec![200u16, 400, 403, 404, 429, 500, 502, 503, 504])),
    ) {
        let original = index.get(FIXTURES.as_slice()).clone();
        let text = String::from_utf8_lossy(&apply(original, &mutations)).into_owned();
        check(&diagnose(&Evidence::Response { status, body: &text, retry_after_header: None }, &context()));
        check(&diagnose(&Evidence::pasted(&text), &context()));
    }

    #[test]
    fn keys_spliced_anywhere_never_come_out(
        index in any::<prop::sample::Index>(),
        at in any::<usize>(),
        key_tail in "[0-9A-Za-z_-]{35}",
    ) {
        let key = format!("AIza{key_tail}");
        let bytes: &Vec<u8> = index.get(FIXTURES.as_slice());
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &format!(" {key} "));
        let diagnosis = diagnose(&Evidence::pasted(&text), &context());
        let everything = serde_json::to_string(&diagnosis).unwrap();
        prop_assert!(!everything.contains(&key));
    }

    #[test]
    fn transport_details_are_redacted(detail in ".{0,200}", key_tail in "[0-9A-Za-z_-]{35}") {
        let key = format!("AIza{key_tail}");
        let detail = format!("{detail} ?key={key}");
        for failure in [TransportFailure::Dns, TransportFailure::Timeout, TransportFailure::BodyTooLarge] {
            let diagnosis = diagnose(&Evidence::Transport { failure, detail: &detail }, &context());
            check(&diagnosis);
            prop_assert!(!diagnosis.raw.contains(&key));
        }
    }
}

#[test]
fn huge_and_deeply_nested_inputs_are_fine() {
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    check(&diagnose(&Evidence::pasted(&nested), &context()));
    // Escaping doubles the backslashes per level, so 12 levels is already a few hundred KB.
    let wrapped = (0..12).fold(
        r#"{"error":{"code":503,"status":"UNAVAILABLE","message":"x"}}"#.to_owned(),
        |inner, _| serde_json::json!({"error": {"message": inner, "code": 500}}).to_string(),
    );
    let unwrapped = diagnose(&Evidence::pasted(&wrapped), &context());
    check(&unwrapped);
    assert_eq!(
        unwrapped.kind,
        Kind::Overloaded,
        "twelve proxies deep, Google's 503 still decides"
    );
    let big = "{\"a\":".repeat(100_000);
    check(&diagnose(&Evidence::pasted(&big), &context()));
    let braces = "{".repeat(200_000);
    check(&diagnose(&Evidence::http(500, &braces), &context()));
}
