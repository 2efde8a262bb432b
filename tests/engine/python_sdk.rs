#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Google's official Python SDK (`google-genai`), pointed at the simulator, gets images (a Pro 4K
//! one of real weight, with its two thought images), streams one (`generate_content_stream` with
//! `include_thoughts`: thought chunks first, then the signed final image), and raises the same
//! error types it raises against Google, mid-stream ones included. The Python that runs it is `PEEL_PYTHON` when set (`.ci/run` points it at the
//! venv it installs the SDK into), else `python3`. A missing SDK fails the test, unless
//! `PEEL_SKIP_PYTHON_SDK=1` says to skip it; then it prints that it skipped.

use std::process::Command;

use crate::sim_rig::start_sim;
use peel::sim::{SIM_API_KEY, Scenario};

const SCRIPT: &str = r#"
import json, os, base64
from google import genai
from google.genai import errors, types

def client(url, key):
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=url))

calm = client(os.environ["CALM_URL"], os.environ["SIM_KEY"])
out = {}
response = calm.models.generate_content(
    model="gemini-3-pro-image",
    contents="a red fox in the snow",
    config=types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(aspect_ratio="16:9", image_size="1K"),
    ),
)
parts = response.candidates[0].content.parts
finals = [p for p in parts if p.inline_data is not None and not p.thought]
out["image"] = {"mime": finals[-1].inline_data.mime_type, "bytes": len(finals[-1].inline_data.data),
                "signed": finals[-1].thought_signature is not None,
                "image_tokens": [d.token_count for d in response.usage_metadata.candidates_tokens_details
                                 if str(d.modality).endswith("IMAGE")]}

def jpeg_size(data):
    """Width and height from a JPEG's start-of-frame marker (no imaging library needed)."""
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return [int.from_bytes(data[at + 7:at + 9], "big"), int.from_bytes(data[at + 5:at + 7], "big")]
        at += 2 + length
    return None

big = calm.models.generate_content(
    model="gemini-3-pro-image",
    contents="a harbour at dawn, fishing boats",
    config=types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(aspect_ratio="16:9", image_size="4K"),
    ),
)
big_parts = big.candidates[0].content.parts
big_final = [p for p in big_parts if p.inline_data is not None and not p.thought][-1]
out["4k"] = {"mime": big_final.inline_data.mime_type, "bytes": len(big_final.inline_data.data),
             "size": jpeg_size(big_final.inline_data.data),
             "thought_images": len([p for p in big_parts if p.inline_data is not None and p.thought])}

def expect_error(name, fn):
    try:
        fn()
        out[name] = "no error"
    except errors.APIError as e:
        out[name] = {"type": type(e).__name__, "code": e.code, "status": e.status}

expect_error("404", lambda: calm.models.generate_content(model="gemini-2.0-flash-exp-image-generation", contents="x"))
bad_key = client(os.environ["CALM_URL"], "not-a-key")  # keep a reference: the SDK closes clients it collects
expect_error("400_key", lambda: bad_key.models.generate_content(model="gemini-3-pro-image", contents="x"))
expect_error("503", lambda: calm.models.generate_content(model="gemini-3-pro-image", contents="sim:overloaded"))
expect_error("500", lambda: calm.models.generate_content(model="gemini-3-pro-image", contents="sim:internal"))
none = client(os.environ["NO_QUOTA_URL"], os.environ["SIM_KEY"])
expect_error("429", lambda: none.models.generate_content(model="gemini-3-pro-image", contents="a fox"))
blocked = calm.models.generate_content(model="gemini-3-pro-image", contents="sim:image-safety")
out["image_safety"] = str(blocked.candidates[0].finish_reason)

def stream(prompt):
    return calm.models.generate_content_stream(
        model="gemini-3-pro-image",
        contents=prompt,
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="1:1", image_size="1K"),
            thinking_config=types.ThinkingConfig(include_thoughts=True),
        ),
    )

def chunk_summary(chunk):
    candidate = chunk.candidates[0] if chunk.candidates else None
    chunk_parts = (candidate.content.parts or []) if candidate and candidate.content else []
    finals = [p for p in chunk_parts if p.inline_data is not None and not p.thought]
    return {"thought_parts": len([p for p in chunk_parts if p.thought]),
            "thought_texts": len([p for p in chunk_parts if p.thought and p.text]),
            "final_images": len(finals),
            "signed": all(p.thought_signature is not None for p in finals) if finals else None,
            "finish": str(candidate.finish_reason) if candidate and candidate.finish_reason else None}

out["stream"] = [chunk_summary(chunk) for chunk in stream("a red fox in the snow, streamed")]

def stream_until_error(name, prompt):
    seen = []
    try:
        for chunk in stream(prompt):
            seen.append(chunk_summary(chunk))
        out[name] = {"chunks": len(seen), "error": "no error"}
    except errors.APIError as e:
        out[name] = {"chunks": len(seen), "type": type(e).__name__, "code": e.code, "status": e.status}

stream_until_error("stream_error", "a fox sim:stream-error")
stream_until_error("stream_error_event", "a fox sim:stream-error-event")
print(json.dumps(out))
"#;

/// The Python interpreter to run the SDK with: `PEEL_PYTHON` when set, else `python3`.
fn python() -> String {
    std::env::var("PEEL_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Whether `PEEL_SKIP_PYTHON_SDK=1` asks to skip this test where the SDK is not installed.
fn skip_asked() -> bool {
    std::env::var_os("PEEL_SKIP_PYTHON_SDK").is_some_and(|value| value == "1")
}

/// Whether `python` can import google-genai.
fn sdk_available(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import google.genai"])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_works_against_the_simulator() {
    let python = python();
    if !sdk_available(&python) {
        if skip_asked() {
            eprintln!("skipped (PEEL_SKIP_PYTHON_SDK=1): {python} cannot import google-genai");
            return;
        }
        panic!(
            "{python} cannot import google-genai: install it (`.ci/run` makes a venv with it and \
             sets PEEL_PYTHON), point PEEL_PYTHON at a Python that has it, or set \
             PEEL_SKIP_PYTHON_SDK=1 to skip this test"
        );
    }
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let no_quota = start_sim(Scenario::NoQuota, 1.0).await;
    let (calm_url, no_quota_url) = (calm.base_url(), no_quota.base_url());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-c", SCRIPT])
            .env("CALM_URL", calm_url)
            .env("NO_QUOTA_URL", no_quota_url)
            .env("SIM_KEY", SIM_API_KEY)
            .env_remove("GEMINI_API_KEY")
            .env_remove("GOOGLE_API_KEY")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["image"]["mime"], "image/jpeg", "{result}");
    assert!(
        result["image"]["bytes"].as_u64().unwrap() > 1000,
        "{result}"
    );
    assert_eq!(result["image"]["signed"], true, "{result}");
    assert_eq!(result["image"]["image_tokens"][0], 1120, "{result}");
    // A Pro 4K answer is as heavy as a real one, and the SDK reads it whole.
    assert_eq!(result["4k"]["mime"], "image/jpeg", "{result}");
    assert_eq!(
        result["4k"]["size"],
        serde_json::json!([5504, 3072]),
        "{result}"
    );
    assert!(
        result["4k"]["bytes"].as_u64().unwrap() >= 2_000_000,
        "{result}"
    );
    assert_eq!(result["4k"]["thought_images"], 2, "{result}");
    for (name, class, code) in [
        ("404", "ClientError", 404),
        ("400_key", "ClientError", 400),
        ("429", "ClientError", 429),
        ("503", "ServerError", 503),
        ("500", "ServerError", 500),
    ] {
        assert_eq!(result[name]["type"], class, "{name}: {result}");
        assert_eq!(result[name]["code"], code, "{name}: {result}");
    }
    assert!(
        result["image_safety"]
            .as_str()
            .unwrap()
            .contains("IMAGE_SAFETY"),
        "{result}"
    );
    assert_streamed(&result);
    calm.shutdown().await.unwrap();
    no_quota.shutdown().await.unwrap();
}

/// What the SDK's `generate_content_stream` saw: thought chunks (at least three, summaries among
/// them) before the chunk with the final image, which is signed and ends the answer; and a
/// stream broken by Google's error, in either shape, raises the SDK's `ServerError` after the
/// first chunks.
fn assert_streamed(result: &serde_json::Value) {
    let chunks = result["stream"].as_array().expect("the stream's chunks");
    let final_at = chunks
        .iter()
        .position(|chunk| chunk["final_images"].as_u64() > Some(0))
        .unwrap_or_else(|| panic!("no final image: {result}"));
    let thoughts_before = chunks[..final_at]
        .iter()
        .filter(|chunk| chunk["thought_parts"].as_u64() > Some(0))
        .count();
    assert!(
        thoughts_before >= 3,
        "{thoughts_before} thought chunks first: {chunks:?}"
    );
    assert!(
        chunks[..final_at]
            .iter()
            .any(|chunk| chunk["thought_texts"].as_u64() > Some(0)),
        "thought summaries, as include_thoughts asked: {chunks:?}"
    );
    let last = &chunks[final_at];
    assert_eq!(last["signed"], true, "{chunks:?}");
    assert!(
        last["finish"]
            .as_str()
            .is_some_and(|finish| finish.contains("STOP")),
        "{chunks:?}"
    );
    assert_eq!(final_at + 1, chunks.len(), "{chunks:?}");
    for name in ["stream_error", "stream_error_event"] {
        let broken = &result[name];
        assert_eq!(broken["type"], "ServerError", "{name}: {broken}");
        assert_eq!(broken["code"], 500, "{name}: {broken}");
        assert_eq!(broken["chunks"], 2, "{name}: {broken}");
    }
}
