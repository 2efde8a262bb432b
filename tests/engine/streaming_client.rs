#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The streamed call (`streamGenerateContent?alt=sse`) against small servers on 127.0.0.1 that
//! send their events when the test says: the events merge into the plain call's answer, thoughts
//! reach the channel while the stream is still open, a 30 MB event arrives whole, an error or a
//! block inside the stream reads as it would before it, a cut or a trickle ends as the plain
//! call's would, and an endpoint that does not stream gets the plain call (and keeps getting it)
//! without a paid request sent twice.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jiff::Timestamp;
use peel::api::stream::StreamThought;
use peel::api::wire::{Content, GenerateContentRequest, Part};
use peel::api::{ApiError, ApiKey, ClientConfig, GeminiClient, GenerateOutcome};
use peel::diagnosis::{Diagnosis, DiagnosisContext, Evidence, Kind, TransportFailure, diagnose};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::loopback_rig::{assert_transport_failure, serve};

const KEY: &str = "AIzaSyStreamTest0123456789abcdefghijkl";
const PRO: &str = "gemini-3-pro-image";

/// What the test sends down a streamed answer: bytes as they are to go out, or an error that
/// breaks the connection. Dropping the sender ends the answer.
type Feed = mpsc::Sender<Result<Bytes, io::Error>>;

/// Makes one answer (called per request).
type Answer = Arc<dyn Fn() -> Response + Send + Sync>;

/// Requests a server received, by method: `stream` or `plain`.
#[derive(Clone, Default)]
struct Hits(Arc<Mutex<Vec<&'static str>>>);

impl Hits {
    fn all(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

/// A server answering `:streamGenerateContent` with `stream()` and `:generateContent` with
/// `plain()`, counting each. Returns its base URL: a path of its own on a loopback port, so an
/// endpoint remembered as not streaming is never another server's that gets the port later.
async fn server(stream: Answer, plain: Answer) -> (String, Hits) {
    static SERVERS: AtomicUsize = AtomicUsize::new(0);
    let hits = Hits::default();
    let seen = hits.clone();
    let router = Router::new().route(
        "/{*path}",
        post(move |uri: Uri| {
            let (hits, stream, plain) = (seen.clone(), stream.clone(), plain.clone());
            async move {
                let streamed = uri.path().ends_with(":streamGenerateContent");
                if streamed {
                    assert_eq!(uri.query(), Some("alt=sse"), "{uri}");
                }
                hits.0
                    .lock()
                    .unwrap()
                    .push(if streamed { "stream" } else { "plain" });
                if streamed { stream() } else { plain() }
            }
        }),
    );
    let addr = serve(router).await;
    let n = SERVERS.fetch_add(1, Ordering::Relaxed);
    (format!("http://{addr}/streaming-client-{n}"), hits)
}

/// A streamed answer whose body is what the test feeds, as it feeds it (one request only).
fn fed() -> (Feed, Answer) {
    let (feed, receiver) = mpsc::channel::<Result<Bytes, io::Error>>(64);
    let receiver = Arc::new(Mutex::new(Some(receiver)));
    let answer: Answer = Arc::new(move || {
        let receiver = receiver
            .lock()
            .unwrap()
            .take()
            .expect("one streamed request");
        let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        (
            [(header::CONTENT_TYPE, "text/event-stream")],
            Body::from_stream(chunks),
        )
            .into_response()
    });
    (feed, answer)
}

/// An answer of `status` with `body` as `content_type`.
fn fixed(status: u16, content_type: &'static str, body: String) -> Answer {
    Arc::new(move || {
        (
            StatusCode::from_u16(status).unwrap(),
            [(header::CONTENT_TYPE, content_type)],
            body.clone(),
        )
            .into_response()
    })
}

/// A route that must never be asked.
fn never() -> Answer {
    fixed(599, "text/plain", "this route must not be asked".to_owned())
}

/// The real client for the server at `base_url`, on `v1beta`, changed by `tweak`.
fn client(base_url: &str, tweak: impl FnOnce(&mut ClientConfig)) -> GeminiClient {
    let mut config = ClientConfig {
        base_url: base_url.to_owned(),
        api_version: "v1beta".to_owned(),
        api_key: ApiKey::new(KEY),
        ..ClientConfig::default()
    };
    tweak(&mut config);
    GeminiClient::new(config).unwrap()
}

fn request() -> GenerateContentRequest {
    GenerateContentRequest {
        contents: vec![Content {
            role: Some("user".to_owned()),
            parts: vec![Part::text("a red fox, flat vector art")],
        }],
        ..GenerateContentRequest::default()
    }
}

/// The parts of a Nano Banana Pro answer: a thought summary, an interim image, the text (with
/// its signature) and the final image (with its own).
fn pro_parts() -> Vec<Value> {
    vec![
        json!({"text": "**Composing the fox**", "thought": true}),
        json!({"inlineData": {"mimeType": "image/jpeg", "data": "VEhPVUdIVA=="}, "thought": true}),
        json!({"text": "Here is your fox", "thoughtSignature": "dGV4dC1zaWc="}),
        json!({"inlineData": {"mimeType": "image/jpeg", "data": "RklOQUw="}, "thoughtSignature": "aW1hZ2Utc2ln"}),
    ]
}

/// One event carrying `parts` of candidate 0, plus `extra` top-level fields.
fn event(parts: &[Value], candidate_extra: &Value, extra: &Value) -> Value {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    merge_objects(&mut candidate, candidate_extra);
    let mut event = json!({"candidates": [candidate]});
    merge_objects(&mut event, extra);
    event
}

fn merge_objects(into: &mut Value, from: &Value) {
    if let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) {
        for (key, value) in from {
            into.insert(key.clone(), value.clone());
        }
    }
}

/// The whole answer with `parts`, as the plain call returns it.
fn plain_answer(parts: &[Value]) -> String {
    event(
        parts,
        &json!({"finishReason": "STOP"}),
        &json!({"usageMetadata": {"promptTokenCount": 12, "thoughtsTokenCount": 240, "totalTokenCount": 1372},
                "modelVersion": PRO, "responseId": "r1"}),
    )
    .to_string()
}

/// The same answer as events, one part each: ids in the first, finish and usage in the last.
fn answer_events(parts: &[Value]) -> Vec<String> {
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let first = if i == 0 {
                json!({"modelVersion": PRO, "responseId": "r1"})
            } else {
                json!({})
            };
            let (candidate, usage) = if i == last {
                (
                    json!({"finishReason": "STOP"}),
                    json!({"usageMetadata": {"promptTokenCount": 12, "thoughtsTokenCount": 240, "totalTokenCount": 1372}}),
                )
            } else {
                (json!({}), json!({}))
            };
            let mut extra = first;
            merge_objects(&mut extra, &usage);
            event(std::slice::from_ref(part), &candidate, &extra).to_string()
        })
        .collect()
}

/// `data: …` and a blank line.
fn sse(data: &str) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

/// Calls the streamed method with a receiver that takes each thought as it comes; returns the
/// result and the thoughts.
async fn stream_call(
    client: &GeminiClient,
) -> (Result<GenerateOutcome, ApiError>, Vec<StreamThought>) {
    let (thoughts, mut received) = mpsc::channel(4);
    let taking = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(thought) = received.recv().await {
            all.push(thought);
        }
        all
    });
    let result = client
        .stream_generate_content(PRO, &request(), thoughts)
        .await;
    (result, taking.await.unwrap())
}

/// The diagnosis of an answer or an error, at one fixed moment.
fn diagnosis_of(result: &Result<GenerateOutcome, ApiError>) -> Diagnosis {
    let context =
        DiagnosisContext::new(Timestamp::from_second(1_800_000_000).unwrap()).with_model(PRO);
    match result {
        Ok(outcome) => diagnose(
            &Evidence::Answer {
                status: outcome.status,
                response: &outcome.response,
            },
            &context,
        ),
        Err(error) => diagnose(&Evidence::from(error), &context),
    }
}

/// The plain call's answer for `body`, from a server of its own.
async fn plain_outcome(body: String) -> GenerateOutcome {
    let (base, _) = server(never(), fixed(200, "application/json", body)).await;
    client(&base, |_| {})
        .generate_content(PRO, &request())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_multi_event_answer_merges_to_the_plain_answer() {
    let parts = pro_parts();
    let plain = plain_outcome(plain_answer(&parts)).await;
    assert!(!plain.streamed);
    let events = answer_events(&parts);
    // Every way of writing events at once: LF, CRLF, comments, fields, data over two lines.
    let (head, tail) = events[1].split_at(events[1].find('[').unwrap());
    let body = [
        ": the stream opens\n\n".to_owned(),
        format!("event: message\r\nid: 1\r\ndata: {}\r\n\r\n", events[0]),
        format!("data: {head}\ndata: {tail}\n\n"),
        format!("data:{}\n\r\n", events[2]),
        format!("data: {}\n\n: done\n\n", events[3]),
    ]
    .concat();
    // The line break falls between two JSON tokens of the second event.
    assert!(serde_json::from_str::<Value>(&format!("{head}\n{tail}")).is_ok());

    for keep_receiver in [true, false] {
        let (feed, stream) = fed();
        let (base, hits) = server(stream, never()).await;
        for piece in body.as_bytes().chunks(37) {
            feed.send(Ok(Bytes::copy_from_slice(piece))).await.unwrap();
        }
        drop(feed);
        let (thoughts, received) = mpsc::channel(16);
        let mut received = if keep_receiver {
            Some(received)
        } else {
            drop(received);
            None
        };
        let outcome = client(&base, |_| {})
            .stream_generate_content(PRO, &request(), thoughts)
            .await
            .unwrap();
        assert!(outcome.streamed);
        assert_eq!(outcome.status, 200);
        assert_eq!(outcome.body_bytes, body.len());
        assert_eq!(outcome.response, plain.response, "merged as the plain call");
        assert_eq!(hits.all(), ["stream"]);
        let Some(received) = &mut received else {
            continue;
        };
        let mut got = Vec::new();
        while let Ok(thought) = received.try_recv() {
            got.push(thought);
        }
        let indices: Vec<u32> = got.iter().map(|t| t.index).collect();
        assert_eq!(indices, [1, 2]);
        assert_eq!(serde_json::to_value(&got[0].part).unwrap(), parts[0]);
        assert_eq!(serde_json::to_value(&got[1].part).unwrap(), parts[1]);
        assert!(got[0].elapsed <= got[1].elapsed);
    }
}

#[tokio::test]
async fn thoughts_reach_the_channel_while_the_stream_is_open() {
    let parts = pro_parts();
    let events = answer_events(&parts);
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    let client = client(&base, |_| {});
    let (thoughts, mut received) = mpsc::channel(16);
    let call = tokio::spawn(async move {
        client
            .stream_generate_content(PRO, &request(), thoughts)
            .await
    });
    feed.send(Ok(sse(&events[0]))).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("the first thought came while the server held the rest")
        .unwrap();
    assert_eq!(first.index, 1);
    assert_eq!(first.part.text.as_deref(), Some("**Composing the fox**"));
    assert!(!call.is_finished(), "the stream is still open");
    // Only now does the server send the rest.
    for event in &events[1..] {
        feed.send(Ok(sse(event))).await.unwrap();
    }
    drop(feed);
    let outcome = call.await.unwrap().unwrap();
    assert_eq!(received.recv().await.unwrap().index, 2);
    assert!(received.recv().await.is_none());
    assert_eq!(
        outcome.response.final_image().unwrap().data,
        "RklOQUw=",
        "and the answer is whole"
    );
}

/// A receiver that never takes its thoughts holds the stream no longer than a silent server
/// may (the idle limit); the thought it had no room for is still in the answer.
#[tokio::test]
async fn a_receiver_that_does_not_take_thoughts_holds_the_stream_only_so_long() {
    let parts = pro_parts();
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    for event in answer_events(&parts) {
        feed.send(Ok(sse(&event))).await.unwrap();
    }
    drop(feed);
    let (thoughts, mut received) = mpsc::channel(1);
    let started = std::time::Instant::now();
    let outcome = client(&base, |config| {
        config.body_idle_timeout = Duration::from_millis(300);
    })
    .stream_generate_content(PRO, &request(), thoughts)
    .await
    .unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(received.recv().await.unwrap().index, 1);
    assert!(
        received.recv().await.is_none(),
        "the second thought was skipped"
    );
    assert_eq!(
        outcome.response,
        plain_outcome(plain_answer(&parts)).await.response
    );
}

#[tokio::test]
async fn a_30_mb_event_arrives_whole() {
    let image: String = (0..30 * 1024 * 1024)
        .map(|i| char::from(b'A' + u8::try_from(i % 26).unwrap()))
        .collect();
    let mut parts = pro_parts();
    parts[3]["inlineData"]["data"] = Value::String(image.clone());
    let events = answer_events(&parts);
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    let sending = tokio::spawn(async move {
        for event in &events {
            // The 30 MB event goes out as one piece; the connection splits it as it will.
            feed.send(Ok(sse(event))).await.unwrap();
        }
    });
    let (result, thoughts) = stream_call(&client(&base, |_| {})).await;
    sending.await.unwrap();
    let outcome = result.unwrap();
    assert!(outcome.body_bytes > 30 * 1024 * 1024);
    let data = &outcome.response.final_image().unwrap().data;
    assert_eq!(data.len(), image.len());
    assert!(*data == image, "the image arrived whole");
    assert_eq!(thoughts.len(), 2);
}

/// Google's mid-stream error, as a real capture has it (googleapis/js-genai#650).
fn captured_error() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real-errors/500-internal-stream-02.json"
    ))
    .unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["body"].clone()
}

#[tokio::test]
async fn an_error_mid_stream_is_the_error_before_it() {
    let overloaded = json!({"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}});
    let events = answer_events(&pro_parts());
    for error in [captured_error(), overloaded] {
        let status = u16::try_from(error["error"]["code"].as_u64().unwrap()).unwrap();
        let compact = error.to_string();
        let pretty = serde_json::to_string_pretty(&error).unwrap();
        let pretty_crlf = pretty.replace('\n', "\r\n");
        // How the error is written in the stream, and its text.
        let variants = [
            (format!("data: {compact}\n\n"), &compact),
            (format!("data: {compact}\r\n\r\n"), &compact),
            // Plain JSON over several lines, no `data:`, as google-genai accepts it.
            (format!("{pretty}\n"), &pretty),
            (format!("{pretty_crlf}\r\n\r\n"), &pretty_crlf),
            // Over several `data:` lines of one event.
            (
                format!("data: {}\n\n", pretty.replace('\n', "\ndata: ")),
                &pretty,
            ),
        ];
        for (written, text) in variants {
            // The same error before the stream: the status it names, its text as the body.
            let (base, _) = server(fixed(status, "application/json", text.clone()), never()).await;
            let before = stream_call(&client(&base, |_| {})).await.0;
            assert!(
                matches!(&before, Err(ApiError::Http { status: s, .. }) if *s == status),
                "{before:?}"
            );

            let (feed, stream) = fed();
            let (base, _) = server(stream, never()).await;
            feed.send(Ok(sse(&events[0]))).await.unwrap();
            feed.send(Ok(Bytes::from(written.clone()))).await.unwrap();
            feed.send(Ok(sse(&events[3]))).await.unwrap();
            drop(feed);
            let (during, thoughts) = stream_call(&client(&base, |_| {})).await;
            let (Err(got), Err(expected)) = (&during, &before) else {
                panic!("{during:?}")
            };
            assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{written:?}");
            assert_eq!(diagnosis_of(&during), diagnosis_of(&before), "{written:?}");
            assert_eq!(thoughts.len(), 1, "the thought before the error came");
        }
    }
}

#[tokio::test]
async fn a_block_in_the_last_event_is_part_of_the_answer() {
    let thought = json!({"text": "**Drawing the scene**", "thought": true});
    let blocked = json!({"candidates": [{"content": {"role": "model"}, "finishReason": "IMAGE_PROHIBITED_CONTENT",
        "finishMessage": "The model output could not be generated. Support code: 42876398.", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "thoughtsTokenCount": 240, "totalTokenCount": 252}});
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    feed.send(Ok(sse(&event(
        std::slice::from_ref(&thought),
        &json!({}),
        &json!({}),
    )
    .to_string())))
        .await
        .unwrap();
    feed.send(Ok(sse(&blocked.to_string()))).await.unwrap();
    drop(feed);
    let (result, _) = stream_call(&client(&base, |_| {})).await;
    let outcome = result.as_ref().unwrap();
    assert_eq!(
        outcome
            .response
            .usage_metadata
            .as_ref()
            .unwrap()
            .thoughts_token_count,
        Some(240)
    );
    let diagnosis = diagnosis_of(&result);
    assert_eq!(diagnosis.kind, Kind::ImageProhibited);
    let mut whole = blocked.clone();
    whole["candidates"][0]["content"]["parts"] = json!([thought]);
    let plain = Ok(plain_outcome(whole.to_string()).await);
    assert_eq!(outcome.response, plain.as_ref().unwrap().response);
    assert_eq!(diagnosis, diagnosis_of(&plain));
}

#[tokio::test]
async fn a_stream_cut_before_its_last_event() {
    let parts = pro_parts();
    let events = answer_events(&parts);

    // The server ends the stream cleanly after the thoughts: no finish, no block, no image.
    // Google ends every stream with a finish, so the answer was cut off: a broken connection,
    // not "the model made no image".
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    for event in &events[..2] {
        feed.send(Ok(sse(event))).await.unwrap();
    }
    drop(feed);
    let (result, thoughts) = stream_call(&client(&base, |_| {})).await;
    assert_eq!(thoughts.len(), 2, "the thoughts that came were still shown");
    let error = result.as_ref().unwrap_err();
    assert_transport_failure(error, TransportFailure::ConnectionReset);
    assert!(
        error.to_string().contains("before its last event"),
        "{error}"
    );
    assert_eq!(diagnosis_of(&result).kind, Kind::NetworkError);

    // The connection breaks in the middle of the last event: a transport failure, as today.
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    for event in &events[..3] {
        feed.send(Ok(sse(event))).await.unwrap();
    }
    let last = sse(&events[3]);
    feed.send(Ok(last.slice(..last.len() / 2))).await.unwrap();
    feed.send(Err(io::Error::other("cut"))).await.unwrap();
    let (result, _) = stream_call(&client(&base, |_| {})).await;
    assert_transport_failure(
        result.as_ref().unwrap_err(),
        TransportFailure::ConnectionReset,
    );
    assert_eq!(diagnosis_of(&result).kind, Kind::NetworkError);

    // A stream with no event at all is malformed, as an empty body is.
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    feed.send(Ok(Bytes::from(": keep-alive\n\n")))
        .await
        .unwrap();
    drop(feed);
    let (result, _) = stream_call(&client(&base, |_| {})).await;
    let error = result.as_ref().unwrap_err();
    assert!(
        matches!(error, ApiError::Malformed { status: 200, .. }),
        "{error:?}"
    );
    assert_eq!(diagnosis_of(&result).kind, Kind::ResponseMalformed);
}

#[tokio::test]
async fn a_trickle_across_many_small_events_is_cut_by_the_pace() {
    let (feed, stream) = fed();
    let (base, _) = server(stream, never()).await;
    let thought = sse(&event(
        &[json!({"text": "…", "thought": true})],
        &json!({}),
        &json!({}),
    )
    .to_string());
    assert!(thought.len() < 200);
    // A small event every 20 ms: each arrives well inside the idle limit, but together they
    // bring far less than the floor in a window.
    let dripping = tokio::spawn(async move {
        while feed.send(Ok(thought.clone())).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let started = std::time::Instant::now();
    let client = client(&base, |config| {
        config.body_idle_timeout = Duration::from_secs(5);
        config.body_pace_window = Duration::from_millis(500);
        config.body_min_bytes_per_window = 64 * 1024;
    });
    let (result, thoughts) = tokio::time::timeout(Duration::from_secs(20), stream_call(&client))
        .await
        .expect("the pace cut the trickle");
    assert_transport_failure(result.as_ref().unwrap_err(), TransportFailure::TooSlow);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(thoughts.len() > 5, "events kept coming: {}", thoughts.len());
    dripping.abort();
}

#[tokio::test]
async fn an_endpoint_that_does_not_stream_gets_the_plain_call_from_then_on() {
    let answer = plain_answer(&pro_parts());
    let not_found = fixed(404, "text/plain", "Not Found".to_owned());
    let (base, hits) = server(not_found, fixed(200, "application/json", answer.clone())).await;
    let first = client(&base, |_| {});
    let (result, _) = stream_call(&first).await;
    let outcome = result.unwrap();
    assert!(!outcome.streamed);
    assert_eq!(outcome.response.final_image().unwrap().data, "RklOQUw=");
    assert_eq!(hits.all(), ["stream", "plain"]);
    // A clone, and a client rebuilt for the same endpoint, go straight to the plain call.
    let (result, _) = stream_call(&first.clone()).await;
    assert!(!result.unwrap().streamed);
    let (result, _) = stream_call(&client(&base, |config| config.base_url.push('/'))).await;
    assert!(!result.unwrap().streamed);
    assert_eq!(hits.all(), ["stream", "plain", "plain", "plain"]);
    // Another version of the same server is another endpoint.
    let (result, _) = stream_call(&client(&base, |config| {
        config.api_version = "v1".to_owned();
    }))
    .await;
    assert!(!result.unwrap().streamed);
    assert_eq!(hits.all()[4..], ["stream", "plain"]);

    // A 400 that is not Google's: the same.
    let foreign = fixed(400, "text/html", "<html>400 Bad Request</html>".to_owned());
    let (base, hits) = server(foreign, fixed(200, "application/json", answer.clone())).await;
    for _ in 0..2 {
        assert!(stream_call(&client(&base, |_| {})).await.0.is_ok());
    }
    assert_eq!(hits.all(), ["stream", "plain", "plain"]);

    // Google's own 400 is Google reading the request: the error, no plain call.
    let google = json!({"error": {"code": 400, "message": "Image part is missing a thought_signature in content position 3, part position 1.", "status": "INVALID_ARGUMENT"}});
    let (base, hits) = server(fixed(400, "application/json", google.to_string()), never()).await;
    for _ in 0..2 {
        let (result, _) = stream_call(&client(&base, |_| {})).await;
        assert!(matches!(result, Err(ApiError::Http { status: 400, .. })));
    }
    assert_eq!(hits.all(), ["stream", "stream"]);

    // Google's own 404 (a model that is not there, a retired id): the error, no plain call
    // (it would get the same 404: one request, not two), and streams are tried again.
    let missing = json!({"error": {"code": 404, "message": "models/x is not found for API version v1beta, or is not supported for streamGenerateContent.", "status": "NOT_FOUND"}}).to_string();
    let (base, hits) = server(fixed(404, "application/json", missing), never()).await;
    for _ in 0..2 {
        let (result, _) = stream_call(&client(&base, |_| {})).await;
        assert!(matches!(result, Err(ApiError::Http { status: 404, .. })));
    }
    assert_eq!(hits.all(), ["stream", "stream"]);

    // A proxy's 404 for both calls (it serves neither): the error, and streams are tried again.
    let (base, hits) = server(
        fixed(404, "text/plain", "Not Found".to_owned()),
        fixed(404, "text/plain", "Not Found".to_owned()),
    )
    .await;
    for _ in 0..2 {
        let (result, _) = stream_call(&client(&base, |_| {})).await;
        assert!(matches!(result, Err(ApiError::Http { status: 404, .. })));
    }
    assert_eq!(hits.all(), ["stream", "plain", "stream", "plain"]);
}

#[tokio::test]
async fn a_json_answer_to_the_streamed_call_is_read_not_sent_again() {
    let parts = pro_parts();
    let events: Vec<Value> = answer_events(&parts)
        .iter()
        .map(|event| serde_json::from_str(event).unwrap())
        .collect();
    // What `streamGenerateContent` without `alt=sse` sends: one JSON array, over many lines.
    let array = serde_json::to_string_pretty(&events).unwrap();
    let (base, hits) = server(fixed(200, "application/json", array), never()).await;
    let (result, thoughts) = stream_call(&client(&base, |_| {})).await;
    let outcome = result.unwrap();
    assert!(!outcome.streamed);
    assert_eq!(
        hits.all(),
        ["stream"],
        "exactly one request, and it was billed"
    );
    let plain = plain_outcome(plain_answer(&parts)).await;
    assert_eq!(outcome.response, plain.response);
    assert_eq!(thoughts.len(), 2);
    // From then on the endpoint is asked plainly.
    let (result, _) = stream_call(&client(&base, |_| {})).await;
    assert!(
        result.is_err(),
        "the plain route of this server is not there"
    );
    assert_eq!(hits.all(), ["stream", "plain"]);

    // One object (not an array), and an error in an array, read the same way.
    let (base, _) = server(
        fixed(200, "application/json", plain_answer(&parts)),
        never(),
    )
    .await;
    let (result, _) = stream_call(&client(&base, |_| {})).await;
    assert_eq!(result.unwrap().response, plain.response);
    let error = json!([{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}]);
    let text = error.to_string();
    let (base, _) = server(fixed(200, "application/json", text.clone()), never()).await;
    let (result, _) = stream_call(&client(&base, |_| {})).await;
    assert!(
        matches!(&result, Err(ApiError::Http { status: 429, body, .. }) if *body == text),
        "{result:?}"
    );
    assert_eq!(diagnosis_of(&result).kind, Kind::RateLimitUnspecified);
}
