#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The simulator streams like Google: `streamGenerateContent?alt=sse` sends a thinking model's
//! thought summaries and interim images as separate events spread over the model's time, then the
//! signed final image with the finish reason and usage; without `alt=sse` the same chunks come
//! as one JSON array. Thought summaries follow `includeThoughts`, `thinkingLevel` is refused by
//! Nano Banana Pro, a block can be the last event, and the broken streams (`sim:stream-error`,
//! `sim:stream-error-event`, `sim:stream-cut`, `sim:huge-event`) are what they say.
//!
//! The events are read straight off the wire, piece by piece, and split here (no Peel client
//! in between): these tests are about the bytes.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::sim_rig::{start_sim, start_slow_sim};
use peel::sim::{RunningSim, SIM_API_KEY, Scenario};

const PRO: &str = "gemini-3-pro-image";
const FLASH: &str = "gemini-3.1-flash-image";

/// A request body: the prompt, a square image at `size`, and the thinking options.
fn body(prompt: &str, size: &str, include_thoughts: Option<bool>) -> Value {
    let mut body = json!({
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "1:1", "imageSize": size},
        },
    });
    if let Some(include) = include_thoughts {
        body["generationConfig"]["thinkingConfig"] = json!({ "includeThoughts": include });
    }
    body
}

/// One SSE event as it arrived: its JSON and when its last byte came (from the send).
#[derive(Debug)]
struct Event {
    data: Value,
    at: Duration,
}

/// What a streamed call gave.
#[derive(Debug)]
struct Streamed {
    status: u16,
    content_type: String,
    /// The `data:` events, in order.
    events: Vec<Event>,
    /// Text that came outside any `data:` event (a plain JSON error, say).
    rest: String,
    /// The longest `data:` line, in bytes.
    longest_line: usize,
    /// Whether the body ended as bodies do (not with a reset or a transport error).
    ended_cleanly: bool,
}

/// Splits complete events (`…\r\n\r\n`) off the front of `buffer`; `searched` is how far an
/// earlier call already looked, so a 30 MB event is not scanned again for every packet.
fn split_events(buffer: &mut Vec<u8>, searched: &mut usize) -> Vec<Vec<u8>> {
    let mut events = Vec::new();
    loop {
        let from = searched.saturating_sub(3);
        let Some(end) = buffer[from..]
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .map(|at| from + at)
        else {
            *searched = buffer.len();
            return events;
        };
        events.push(buffer[..end].to_vec());
        buffer.drain(..end + 4);
        *searched = 0;
    }
}

/// POSTs `body` to `model:streamGenerateContent` (with `alt=sse` when `sse`) and reads the
/// answer as it arrives.
async fn stream(sim: &RunningSim, model: &str, body: &Value, sse: bool) -> Streamed {
    let alt = if sse { "?alt=sse" } else { "" };
    let url = format!(
        "{}/v1beta/models/{model}:streamGenerateContent{alt}",
        sim.base_url()
    );
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(url)
        .header("x-goog-api-key", SIM_API_KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let mut streamed = Streamed {
        status,
        content_type,
        events: Vec::new(),
        rest: String::new(),
        longest_line: 0,
        ended_cleanly: true,
    };
    let (mut buffer, mut searched) = (Vec::new(), 0);
    let mut response = response;
    loop {
        // `chunk()` is `bytes_stream()` without reqwest's `stream` feature: each piece as it
        // comes off the wire.
        let piece = match response.chunk().await {
            Ok(Some(piece)) => piece,
            Ok(None) => break,
            Err(_) => {
                streamed.ended_cleanly = false;
                break;
            }
        };
        buffer.extend_from_slice(&piece);
        for event in split_events(&mut buffer, &mut searched) {
            take_event(&mut streamed, &event, started.elapsed());
        }
    }
    streamed.rest.push_str(&String::from_utf8(buffer).unwrap());
    streamed
}

/// Files one event block: its `data:` line as an event, anything else as the rest.
fn take_event(streamed: &mut Streamed, block: &[u8], at: Duration) {
    let text = std::str::from_utf8(block).unwrap();
    match text.strip_prefix("data: ") {
        Some(data) => {
            streamed.longest_line = streamed.longest_line.max(block.len());
            let data = serde_json::from_str(data).unwrap();
            streamed.events.push(Event { data, at });
        }
        None => streamed.rest.push_str(text),
    }
}

/// The parts of an event's (or an answer's) first candidate.
fn parts(data: &Value) -> Vec<Value> {
    data["candidates"][0]["content"]["parts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// What each event holds, in a word: `summary`, `draft`, `final` (image), `caption`, or
/// `finish:REASON` for an event that ends the answer.
fn shape(data: &Value) -> Vec<String> {
    let mut shape: Vec<String> = parts(data)
        .iter()
        .map(|part| {
            let thought = part["thought"] == true;
            match (part.get("inlineData").is_some(), thought) {
                (true, true) => "draft",
                (true, false) => "final",
                (false, true) => "summary",
                (false, false) => "caption",
            }
            .to_owned()
        })
        .collect();
    if let Some(reason) = data["candidates"][0]["finishReason"].as_str() {
        shape.push(format!("finish:{reason}"));
    }
    shape
}

fn shapes(streamed: &Streamed) -> Vec<Vec<String>> {
    streamed.events.iter().map(|e| shape(&e.data)).collect()
}

/// `["summary"]`, `["draft"]`, … as owned strings.
fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// The five events of Nano Banana Pro with thoughts asked for.
fn pro_with_thoughts() -> Vec<Vec<String>> {
    vec![
        words(&["summary"]),
        words(&["draft"]),
        words(&["summary"]),
        words(&["draft"]),
        words(&["caption", "final", "finish:STOP"]),
    ]
}

/// A simulator whose answers take Google's time, a simulated second lasting `scale` real ones.
async fn timed_sim(scale: f64) -> RunningSim {
    start_slow_sim(Scenario::Calm, scale).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_pro_answer_sends_thoughts_over_the_models_time_then_the_signed_image() {
    let prompt = "a red fox in the snow, streamed";
    // Draw the pictures once without waiting (the cache keeps them), so the timed run below
    // measures the simulated model's time, not this machine's encoder.
    let warm = start_sim(Scenario::Calm, 1.0).await;
    stream(&warm, PRO, &body(prompt, "1K", Some(true)), true).await;
    warm.shutdown().await.unwrap();

    // A simulated second lasts 0.15 s: Pro at 1K takes 12-25 s, so 1.8-3.75 s here.
    let scale = 0.15;
    let sim = timed_sim(scale).await;
    let streamed = stream(&sim, PRO, &body(prompt, "1K", Some(true)), true).await;
    assert_eq!(streamed.status, 200);
    assert_eq!(streamed.content_type, "text/event-stream");
    assert!(
        streamed.ended_cleanly && streamed.rest.is_empty(),
        "{streamed:?}"
    );
    assert_eq!(shapes(&streamed), pro_with_thoughts());

    // Each event names the model and the same response; feedback never rides along here.
    let events = &streamed.events;
    for event in events {
        assert_eq!(event.data["modelVersion"], PRO);
        assert_eq!(event.data["responseId"], events[0].data["responseId"]);
        assert!(event.data.get("promptFeedback").is_none());
    }
    // Usage only in the last event; the final image is signed, thoughts never are.
    let (last, thoughts) = events.split_last().unwrap();
    assert!(
        thoughts
            .iter()
            .all(|e| e.data.get("usageMetadata").is_none())
    );
    let usage = &last.data["usageMetadata"];
    assert!(usage["thoughtsTokenCount"].as_u64().unwrap() > 0, "{usage}");
    assert!(usage["candidatesTokensDetails"][0]["tokenCount"].as_u64() > Some(0));
    let final_part = parts(&last.data).pop().unwrap();
    assert!(final_part["thoughtSignature"].is_string());
    assert!(
        thoughts
            .iter()
            .flat_map(|e| parts(&e.data))
            .all(|p| p.get("thoughtSignature").is_none())
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(final_part["inlineData"]["data"].as_str().unwrap())
        .unwrap();
    let image = image::load_from_memory(&bytes).unwrap();
    assert_eq!((image.width(), image.height()), (1024, 1024));

    // Spread over the model's time: the first event well before the last, which comes no
    // sooner than the model's shortest time.
    let (first, last) = (events[0].at, last.at);
    assert!(
        last >= Duration::from_secs_f64(12.0 * scale),
        "the last event after {last:?}"
    );
    assert!(
        first + Duration::from_secs_f64(0.5 * 12.0 * scale) < last,
        "first {first:?}, last {last:?}: {:?}",
        events.iter().map(|e| e.at).collect::<Vec<_>>()
    );
    for pair in events.windows(2) {
        assert!(pair[0].at < pair[1].at, "separate arrivals: {pair:?}");
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_alt_sse_the_stream_is_one_json_array_of_the_same_chunks() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let request = body("a lighthouse on a cliff", "1K", Some(true));
    let events = stream(&sim, PRO, &request, true).await;
    let array = stream(&sim, PRO, &request, false).await;
    assert_eq!(array.status, 200);
    assert_eq!(array.content_type, "application/json; charset=UTF-8");
    assert!(array.events.is_empty());
    let chunks: Vec<Value> = serde_json::from_str(&array.rest).unwrap();
    let chunk_shapes: Vec<Vec<String>> = chunks.iter().map(shape).collect();
    assert_eq!(chunk_shapes, pro_with_thoughts());
    assert_eq!(chunk_shapes, shapes(&events));
    // The same pictures (they are drawn from the prompt), in a different answer.
    let image = |data: &Value| parts(data).pop().unwrap()["inlineData"]["data"].clone();
    assert_eq!(
        image(chunks.last().unwrap()),
        image(&events.events.last().unwrap().data)
    );
    assert_ne!(chunks[0]["responseId"], events.events[0].data["responseId"]);
    sim.shutdown().await.unwrap();
}

/// POSTs `body` to `model:generateContent`: the status and the answer.
async fn plain(sim: &RunningSim, model: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1beta/models/{model}:generateContent",
            sim.base_url()
        ))
        .header("x-goog-api-key", SIM_API_KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thought_summaries_come_only_when_asked_for_and_drafts_always() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let prompt = "a harbour at dawn";
    let drafts_only = vec![
        words(&["draft"]),
        words(&["draft"]),
        words(&["caption", "final", "finish:STOP"]),
    ];
    for include in [None, Some(false)] {
        let streamed = stream(&sim, PRO, &body(prompt, "1K", include), true).await;
        assert_eq!(
            shapes(&streamed),
            drafts_only,
            "includeThoughts {include:?}"
        );
    }
    let asked = stream(&sim, PRO, &body(prompt, "1K", Some(true)), true).await;
    assert_eq!(shapes(&asked), pro_with_thoughts());

    // The plain call follows the request the same way, in one answer.
    let (_, unasked) = plain(&sim, PRO, &body(prompt, "1K", None)).await;
    assert_eq!(
        shape(&unasked),
        words(&["draft", "draft", "caption", "final", "finish:STOP"])
    );
    let (_, asked) = plain(&sim, PRO, &body(prompt, "1K", Some(true))).await;
    assert_eq!(
        shape(&asked),
        words(&[
            "summary",
            "draft",
            "summary",
            "draft",
            "caption",
            "final",
            "finish:STOP"
        ])
    );

    // A model that does not think sends one event, whatever was asked.
    let flash = stream(&sim, FLASH, &body(prompt, "1K", Some(true)), true).await;
    assert_eq!(
        shapes(&flash),
        [words(&["caption", "final", "finish:STOP"])]
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn thinking_level_gets_googles_400_from_nano_banana_pro_only() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let mut request = body("a fox", "1K", Some(true));
    request["generationConfig"]["thinkingConfig"]["thinkingLevel"] = json!("HIGH");
    let (status, refused) = plain(&sim, PRO, &request).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        refused["error"]["message"],
        "Unable to submit request because thinking_level is not supported by this model."
    );
    // The stream is refused the same way, before it starts: an HTTP error, not an event.
    let streamed = stream(&sim, PRO, &request, true).await;
    assert_eq!(streamed.status, 400);
    assert!(streamed.events.is_empty());
    assert!(streamed.rest.contains("thinking_level is not supported"));
    // Snake case too, as REST accepts it.
    let snake = json!({
        "contents": [{"parts": [{"text": "a fox"}]}],
        "generation_config": {"thinking_config": {"thinking_level": "low"}},
    });
    assert_eq!(plain(&sim, PRO, &snake).await.0, 400);
    // Nano Banana 2 documents its levels.
    assert_eq!(plain(&sim, FLASH, &request).await.0, 200);
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_after_thinking_is_the_last_event_with_the_thinking_billed() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    for (trigger, reason) in [
        ("sim:image-prohibited", "IMAGE_PROHIBITED_CONTENT"),
        ("sim:image-safety", "IMAGE_SAFETY"),
        ("sim:image-other", "IMAGE_OTHER"),
        ("sim:no-image", "NO_IMAGE"),
    ] {
        let request = body(&format!("a fox {trigger}"), "1K", Some(true));
        let streamed = stream(&sim, PRO, &request, true).await;
        let mut want = pro_with_thoughts();
        *want.last_mut().unwrap() = vec![format!("finish:{reason}")];
        assert_eq!(shapes(&streamed), want, "{trigger}");
        let last = &streamed.events.last().unwrap().data;
        assert!(
            last["usageMetadata"]["thoughtsTokenCount"]
                .as_u64()
                .unwrap()
                > 0,
            "{trigger}: {last}"
        );
        // The plain call's blocked candidate stays as it was: empty.
        let (_, answer) = plain(&sim, PRO, &request).await;
        assert_eq!(shape(&answer), [format!("finish:{reason}")], "{trigger}");
    }
    // A prompt refused before the model ran is one event, with its feedback.
    let refused = stream(&sim, PRO, &body("sim:prohibited", "1K", Some(true)), true).await;
    assert_eq!(refused.events.len(), 1);
    let only = &refused.events[0].data;
    assert_eq!(only["promptFeedback"]["blockReason"], "PROHIBITED_CONTENT");
    assert!(only.get("candidates").is_none_or(|c| c == &json!([])));
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_quotas_refuse_before_the_stream_starts_and_requests_count_once() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let overloaded = stream(&sim, PRO, &body("sim:overloaded", "1K", None), true).await;
    assert_eq!(overloaded.status, 503);
    assert!(overloaded.events.is_empty());
    let before = sim.state().seen_requests().len();
    let requests = sim
        .state()
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    stream(&sim, PRO, &body("a fox", "1K", Some(true)), true).await;
    assert_eq!(sim.state().seen_requests().len(), before + 1);
    assert!(
        sim.state()
            .seen_requests()
            .last()
            .unwrap()
            .uri
            .ends_with("?alt=sse"),
        "{:?}",
        sim.state().seen_requests().last()
    );
    assert_eq!(
        sim.state()
            .stats
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        requests + 1
    );
    sim.shutdown().await.unwrap();

    let no_quota = start_sim(Scenario::NoQuota, 1.0).await;
    let refused = stream(&no_quota, PRO, &body("a fox", "1K", Some(true)), true).await;
    assert_eq!(refused.status, 429);
    assert!(refused.events.is_empty());
    assert!(refused.rest.contains("RESOURCE_EXHAUSTED"));
    no_quota.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_sends_the_rest_of_a_stream_at_once() {
    // Real time: a Pro answer would take 12-25 s, its first event 2.4 s or more.
    let sim = timed_sim(1.0).await;
    let request = body("a fox in tall grass", "1K", Some(true));
    let url = sim.base_url();
    let pending = tokio::spawn(async move {
        let response = reqwest::Client::new()
            .post(format!(
                "{url}/v1beta/models/{PRO}:streamGenerateContent?alt=sse"
            ))
            .header("x-goog-api-key", SIM_API_KEY)
            .json(&request)
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let started = Instant::now();
    sim.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let text = pending.await.unwrap();
    assert_eq!(text.matches("data: ").count(), 5);
    assert!(text.contains("\"finishReason\":\"STOP\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_error_comes_after_the_first_thoughts_as_plain_json_or_as_an_event() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let plain_error = stream(
        &sim,
        PRO,
        &body("a fox sim:stream-error", "1K", Some(true)),
        true,
    )
    .await;
    assert_eq!(plain_error.status, 200);
    assert_eq!(
        shapes(&plain_error),
        [words(&["summary"]), words(&["draft"])]
    );
    assert!(
        plain_error.rest.lines().count() > 3,
        "multi-line JSON: {}",
        plain_error.rest
    );
    assert!(!plain_error.rest.contains("data:"));
    let error: Value = serde_json::from_str(&plain_error.rest).unwrap();
    assert_eq!(error["error"]["code"], 500);
    assert_eq!(error["error"]["status"], "INTERNAL");
    assert!(plain_error.ended_cleanly, "then the connection ends");

    let as_event = stream(
        &sim,
        PRO,
        &body("a fox sim:stream-error-event", "1K", Some(true)),
        true,
    )
    .await;
    assert_eq!(as_event.events.len(), 3);
    assert_eq!(as_event.events[2].data["error"]["status"], "INTERNAL");
    assert!(as_event.rest.is_empty() && as_event.ended_cleanly);

    // Without alt=sse the error closes the array.
    let array = stream(
        &sim,
        PRO,
        &body("a fox sim:stream-error", "1K", Some(true)),
        false,
    )
    .await;
    let chunks: Vec<Value> = serde_json::from_str(&array.rest).unwrap();
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[2]["error"]["code"], 500);

    // The plain call stands for it with an HTTP 500.
    let (status, _) = plain(&sim, PRO, &body("a fox sim:stream-error", "1K", None)).await;
    assert_eq!(status, 500);
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_stream_ends_after_the_thoughts_without_its_last_event() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let cut = stream(
        &sim,
        PRO,
        &body("a fox sim:stream-cut", "1K", Some(true)),
        true,
    )
    .await;
    assert_eq!(cut.status, 200);
    let mut want = pro_with_thoughts();
    want.pop();
    assert_eq!(shapes(&cut), want);
    assert!(cut.rest.is_empty());
    assert!(
        cut.ended_cleanly,
        "the body just ends: only the missing finishReason tells"
    );
    assert!(
        cut.events
            .iter()
            .all(|e| e.data.get("usageMetadata").is_none())
    );

    // A reset inside the last event (sim:drop) is another matter: the transport fails.
    let dropped = stream(&sim, PRO, &body("a fox sim:drop", "1K", Some(true)), true).await;
    assert_eq!(dropped.events.len(), 4);
    assert!(!dropped.ended_cleanly);
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_thirty_megabyte_event_carries_an_image_that_decodes() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let huge = stream(
        &sim,
        PRO,
        &body("a fox sim:huge-event", "1K", Some(true)),
        true,
    )
    .await;
    assert_eq!(shapes(&huge), pro_with_thoughts());
    assert!(
        huge.longest_line >= 30_000_000,
        "{} bytes",
        huge.longest_line
    );
    let final_part = parts(&huge.events.last().unwrap().data).pop().unwrap();
    assert_eq!(final_part["inlineData"]["mimeType"], "image/png");
    assert!(final_part["thoughtSignature"].is_string());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(final_part["inlineData"]["data"].as_str().unwrap())
        .unwrap();
    let image = image::load_from_memory(&bytes).unwrap();
    assert_eq!((image.width(), image.height()), (1024, 1024));
    // Noise: no two rows alike, as no picture compresses it away.
    let rgb = image.to_rgb8();
    assert_ne!(
        rgb.rows().next().unwrap().collect::<Vec<_>>(),
        rgb.rows().nth(1).unwrap().collect::<Vec<_>>()
    );
    sim.shutdown().await.unwrap();
}
