#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The real client against small HTTP servers on 127.0.0.1: where the key goes, which path and
//! version are called, and how every kind of failure comes back typed and diagnosable.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use jiff::Timestamp;
use peel::api::wire::{Content, GenerateContentRequest, Part};
use peel::api::{ApiError, ClientConfig, GeminiClient};
use peel::diagnosis::{DiagnosisContext, Evidence, Kind, TransportFailure, diagnose};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::loopback_rig::{assert_transport_failure, client_at, diagnosis_of_error, serve};

const KEY: &str = "AIzaSyTest0123456789abcdefghijklmnopqr";

/// One request the server saw: URI, `x-goog-api-key` header, body.
type Recorded = (String, Option<String>, String);

#[derive(Clone, Default)]
struct Seen {
    requests: Arc<Mutex<Vec<Recorded>>>,
}

fn record(seen: &Seen, uri: &Uri, headers: &HeaderMap, body: &Bytes) {
    let key = headers
        .get("x-goog-api-key")
        .map(|v| v.to_str().unwrap().to_owned());
    seen.requests.lock().unwrap().push((
        uri.to_string(),
        key,
        String::from_utf8_lossy(body).into_owned(),
    ));
}

fn client(addr: SocketAddr, tweak: impl FnOnce(&mut ClientConfig)) -> GeminiClient {
    client_at(addr, KEY, tweak)
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

fn image_answer() -> String {
    serde_json::json!({"candidates": [{"content": {"role": "model", "parts": [
        {"text": "Here is a fox", "thoughtSignature": "c2ln"},
        {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}, "thoughtSignature": "c2lnMg=="}]},
        "finishReason": "STOP", "index": 0}], "modelVersion": "gemini-3-pro-image", "responseId": "r1"})
    .to_string()
}

/// A server that records every request in `seen` and answers with an image (as JSON).
async fn serve_recording(seen: &Seen) -> std::net::SocketAddr {
    let router = Router::new()
        .route(
            "/{*path}",
            post(
                |state: State<Seen>, uri: Uri, headers: HeaderMap, body: Bytes| async move {
                    record(&state.0, &uri, &headers, &body);
                    ([("content-type", "application/json")], image_answer())
                },
            ),
        )
        .with_state(seen.clone());
    serve(router).await
}

#[tokio::test]
async fn key_travels_in_the_header_only_and_v1_is_the_default() {
    let seen = Seen::default();
    let addr = serve_recording(&seen).await;

    let outcome = client(addr, |_| {})
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap();
    assert_eq!(outcome.response.final_image().unwrap().data, "/9j/4AAQ");

    let beta = client(addr, |c| {
        c.api_version = "v1beta".to_owned();
        c.base_url.push('/');
    });
    beta.generate_content("models/gemini-3.1-flash-image", &request())
        .await
        .unwrap();

    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(
        requests[0].0,
        "/v1/models/gemini-3-pro-image:generateContent"
    );
    assert_eq!(
        requests[1].0,
        "/v1beta/models/gemini-3.1-flash-image:generateContent"
    );
    for (uri, key, body) in &requests {
        assert_eq!(key.as_deref(), Some(KEY), "the key goes in x-goog-api-key");
        assert!(
            !uri.contains("key=") && !uri.contains("AIza"),
            "no key in the URL: {uri}"
        );
        assert!(!body.contains("AIza"), "no key in the body");
        assert!(body.contains("a red fox"));
    }
}

#[tokio::test]
async fn error_answers_come_back_with_status_body_and_retry_after() {
    let router = Router::new().route("/{*path}", post(|| async {
        let body = serde_json::json!({"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel", "quotaValue": "20"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "22s"}]}});
        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")], body.to_string())
    }));
    let addr = serve(router).await;
    let error = client(addr, |_| {})
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap_err();
    let ApiError::Http {
        status,
        retry_after,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 429);
    assert_eq!(retry_after.as_deref(), Some("30"));

    let context = DiagnosisContext::new(Timestamp::now()).with_model("gemini-3-pro-image");
    let diagnosis = diagnose(&Evidence::from(&error), &context);
    assert_eq!(diagnosis.kind, Kind::RateLimitMinute);
    assert_eq!(
        diagnosis.retry_after_s,
        Some(22.0),
        "RetryInfo wins over Retry-After"
    );
}

#[tokio::test]
async fn slow_servers_time_out_as_a_typed_error() {
    let router = Router::new().route(
        "/{*path}",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            image_answer()
        }),
    );
    let addr = serve(router).await;
    let error = client(addr, |c| c.timeout = Duration::from_millis(200))
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap_err();
    assert_transport_failure(&error, TransportFailure::Timeout);
    assert_eq!(diagnosis_of_error(&error).kind, Kind::Timeout);
}

#[tokio::test]
async fn oversized_answers_are_refused_without_reading_them_all() {
    let router = Router::new().route("/{*path}", post(|| async { "x".repeat(2 * 1024 * 1024) }));
    let addr = serve(router).await;
    let error = client(addr, |c| c.max_body_bytes = 1024 * 1024)
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap_err();
    assert_transport_failure(&error, TransportFailure::BodyTooLarge);
    assert_eq!(diagnosis_of_error(&error).kind, Kind::ResponseMalformed);
}

#[tokio::test]
async fn a_connection_dropped_mid_body_is_a_reset() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0u8; 64 * 1024];
        let _ = socket.read(&mut buffer).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"candidates\":[";
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.flush().await.unwrap();
        drop(socket);
    });
    let error = client(addr, |_| {})
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap_err();
    assert_transport_failure(&error, TransportFailure::ConnectionReset);
    assert_eq!(diagnosis_of_error(&error).kind, Kind::NetworkError);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let error = client(addr, |_| {})
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap_err();
    assert_transport_failure(&error, TransportFailure::Connect);
    assert!(!error.to_string().contains("AIza"));
}

#[tokio::test]
async fn a_200_that_is_not_json_is_malformed() {
    let router = Router::new().route(
        "/{*path}",
        post(|| async { "<html><body>captive portal</body></html>" }),
    );
    let addr = serve(router).await;
    let error = client(addr, |_| {})
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::Malformed { status: 200, .. }),
        "{error:?}"
    );
    assert_eq!(diagnosis_of_error(&error).kind, Kind::ResponseMalformed);
}

#[tokio::test]
async fn list_models_follows_pages() {
    let router = Router::new().route(
        "/v1/models",
        get(|Query(query): Query<std::collections::HashMap<String, String>>, headers: HeaderMap| async move {
            assert_eq!(headers.get("x-goog-api-key").unwrap(), KEY);
            assert!(!query.contains_key("key"));
            let body = match query.get("pageToken").map(String::as_str) {
                None => serde_json::json!({"models": [{"name": "models/gemini-3-pro-image", "displayName": "Gemini 3 Pro Image",
                    "supportedGenerationMethods": ["generateContent"]}], "nextPageToken": "p2"}),
                Some("p2") => serde_json::json!({"models": [{"name": "models/gemini-3.1-flash-image"}]}),
                Some(other) => panic!("unexpected page {other}"),
            };
            body.to_string().into_response()
        }),
    );
    let addr = serve(router).await;
    let models = client(addr, |_| {}).list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(peel::api::wire::ModelInfo::id).collect();
    assert_eq!(ids, ["gemini-3-pro-image", "gemini-3.1-flash-image"]);
}

#[tokio::test]
async fn without_a_key_no_key_header_is_sent() {
    let seen = Seen::default();
    let addr = serve_recording(&seen).await;
    client(addr, |c| c.api_key = None)
        .generate_content("gemini-3-pro-image", &request())
        .await
        .unwrap();
    assert_eq!(seen.requests.lock().unwrap()[0].1, None);
}
