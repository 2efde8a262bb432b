#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The client and the engine against hostile servers on loopback: an endpoint that redirects
//! (to another loopback host that records everything it receives), one that drips its answer a
//! byte at a time, and one that resets the connection mid-answer. The key never reaches another
//! host; each attempt ends quickly as a typed failure; a job is parked with the reason after a
//! few requests instead of backing off for minutes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::IntoResponse;
use jiff::Timestamp;
use peel::api::{ApiError, ClientConfig, GeminiClient};
use peel::diagnosis::{DiagnosisContext, Evidence, Kind, TransportFailure, diagnose};
use peel::worker::{Engine, JobOutcome, JobState};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::loopback_rig::{
    assert_transport_failure, client_at, diagnosis_of_error, serve, serve_on,
};
use crate::sim_rig::{engine_on, request, run_to_end, shrunk_waits, spec};

const KEY: &str = "AIzaSyHostileTest0123456789abcdefghijk";
const PRO: &str = "gemini-3-pro-image";

/// Every request a server received: method, path and query, headers, body.
#[derive(Clone, Default)]
struct Recorder {
    requests: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn all(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn record(
    State(recorder): State<Recorder>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let headers: Vec<String> = headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())))
        .collect();
    recorder.requests.lock().unwrap().push(format!(
        "{uri}\n{}\n{}",
        headers.join("\n"),
        String::from_utf8_lossy(&body)
    ));
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"models": []}"#,
    )
}

/// Binds another loopback address than 127.0.0.1 when the system has it (Linux routes all of
/// 127.0.0.0/8 to loopback), else another port.
async fn other_host_listener() -> TcpListener {
    match TcpListener::bind("127.0.0.2:0").await {
        Ok(listener) => listener,
        Err(_) => TcpListener::bind("127.0.0.1:0").await.unwrap(),
    }
}

/// The host a redirect points at: records everything and answers 200.
async fn recording_host() -> (SocketAddr, Recorder) {
    let recorder = Recorder::default();
    let listener = other_host_listener().await;
    let router = Router::new().fallback(record).with_state(recorder.clone());
    (serve_on(listener, router), recorder)
}

/// The endpoint: answers every request with `status` and a `Location` on `target`, with the
/// same path and a query that must not be shown.
async fn redirecting_endpoint(status: u16, target: SocketAddr) -> (SocketAddr, Recorder) {
    let recorder = Recorder::default();
    let seen = recorder.clone();
    let router = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let seen = seen.clone();
        async move {
            let key = headers
                .get("x-goog-api-key")
                .map(|v| v.to_str().unwrap().to_owned());
            seen.requests.lock().unwrap().push(format!("{uri} {key:?}"));
            let location = format!(
                "http://{target}{}?session=private-token&alt=json",
                uri.path()
            );
            (
                StatusCode::from_u16(status).unwrap(),
                [(header::LOCATION, location)],
                "moved",
            )
        }
    });
    (serve(router).await, recorder)
}

/// The client for the server at `addr` on `v1beta`, changed by `tweak`.
fn client(addr: SocketAddr, tweak: impl FnOnce(&mut ClientConfig)) -> GeminiClient {
    client_at(addr, KEY, |config| {
        config.api_version = "v1beta".to_owned();
        tweak(config);
    })
}

/// The refused redirect names its target (no query), and nothing in it carries the key.
fn assert_refused_redirect(error: &ApiError, status: u16, target: SocketAddr, path: &str) {
    let ApiError::Redirected {
        status: got,
        target: named,
    } = error
    else {
        panic!("expected a refused redirect, got {error:?}")
    };
    assert_eq!(*got, status);
    assert_eq!(named, &format!("http://{target}{path}"));
    let message = error.to_string();
    assert!(
        message.contains(named.as_str()) && message.contains("never follows redirects"),
        "{message}"
    );
    let diagnosis = diagnose(
        &Evidence::from(error),
        &DiagnosisContext::new(Timestamp::now()).with_model(PRO),
    );
    assert_eq!(diagnosis.kind, Kind::EndpointRedirect);
    assert!(!diagnosis.retryable);
    assert!(diagnosis.explanation.contains(named.as_str()));
    let shown = format!(
        "{message} {error:?} {}",
        serde_json::to_string(&diagnosis).unwrap()
    );
    assert!(!shown.contains(KEY), "{shown}");
    assert!(!shown.contains("private-token"), "{shown}");
}

#[tokio::test]
async fn redirects_are_refused_and_the_key_never_reaches_the_other_host() {
    let (other, received) = recording_host().await;
    for status in [301, 302, 303, 307, 308] {
        let (endpoint, asked) = redirecting_endpoint(status, other).await;
        let client = client(endpoint, |_| {});
        let error = client
            .generate_content(PRO, &request("a red fox", Some("1:1"), Some("1K")))
            .await
            .unwrap_err();
        assert_refused_redirect(
            &error,
            status,
            other,
            &format!("/v1beta/models/{PRO}:generateContent"),
        );
        let error = client.list_models().await.unwrap_err();
        assert_refused_redirect(&error, status, other, "/v1beta/models");
        // The endpoint itself was asked (with the key, as it should be), once per call.
        assert_eq!(asked.all().len(), 2, "{status}: {:?}", asked.all());
    }
    assert_eq!(
        received.all(),
        Vec::<String>::new(),
        "the other host got requests"
    );
}

#[tokio::test]
async fn a_redirecting_endpoint_stops_the_job_after_one_request() {
    let (other, received) = recording_host().await;
    let (endpoint, asked) = redirecting_endpoint(307, other).await;
    let rig = Rig::new(client(endpoint, |_| {}));
    let outcome = rig.run().await;
    assert_eq!(outcome.status, JobState::Stopped, "{}", outcome.reason);
    assert_eq!(asked.all().len(), 1);
    assert!(received.all().is_empty());
    let diagnosis = outcome.diagnosis.unwrap();
    assert_eq!(diagnosis.kind, Kind::EndpointRedirect);
    assert!(
        diagnosis
            .explanation
            .contains(&format!("http://{other}/v1beta/models/")),
        "{}",
        diagnosis.explanation
    );
}

/// How a hostile server treats each request once it has read it.
#[derive(Clone, Copy)]
enum Hostility {
    /// Headers at once, then one byte of body every few milliseconds, forever.
    Drip,
    /// Headers and part of the body, then a TCP reset.
    Reset,
}

/// A raw HTTP/1.1 server on 127.0.0.1 that treats every request the same hostile way; counts
/// the requests.
async fn hostile_server(hostility: Hostility) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                let mut socket = socket;
                if read_request(&mut socket).await.is_some() {
                    counted.fetch_add(1, Ordering::SeqCst);
                    answer(socket, hostility).await;
                }
            });
        }
    });
    (addr, requests)
}

/// Reads one request (headers and a `content-length` body); `None` when the client went away.
async fn read_request(socket: &mut TcpStream) -> Option<()> {
    let mut seen = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        seen.extend_from_slice(&buffer[..read]);
        let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |value| value.trim().parse().unwrap());
        if seen.len() >= end + 4 + length {
            return Some(());
        }
    }
}

async fn answer(mut socket: TcpStream, hostility: Hostility) {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    match hostility {
        Hostility::Drip => {
            while socket.write_all(b" ").await.is_ok() && socket.flush().await.is_ok() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Hostility::Reset => {
            let _ = socket.write_all(b"{\"candidates\": [").await;
            let _ = socket.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = socket.set_zero_linger();
            drop(socket);
        }
    }
}

/// The client's body pace shrunk so a drip ends in a fraction of a second (the defaults are a
/// 20 s window and 16 KiB).
fn shrunk_pace(config: &mut ClientConfig) {
    config.body_pace_window = Duration::from_millis(200);
    config.body_min_bytes_per_window = 1024;
}

#[tokio::test]
async fn a_dripping_answer_ends_the_attempt_as_too_slow() {
    let (addr, requests) = hostile_server(Hostility::Drip).await;
    let error = client(addr, shrunk_pace)
        .generate_content(PRO, &request("a red fox", None, None))
        .await
        .unwrap_err();
    assert_transport_failure(&error, TransportFailure::TooSlow);
    let diagnosis = diagnosis_of_error(&error);
    assert_eq!(diagnosis.kind, Kind::NetworkError);
    assert!(
        diagnosis.explanation.contains("too slowly"),
        "{}",
        diagnosis.explanation
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_dripping_server_parks_the_job_after_two_tries_on_each_model() {
    let (addr, requests) = hostile_server(Hostility::Drip).await;
    let outcome = Rig::new(client(addr, shrunk_pace)).run().await;
    assert_parked_after_broken_answers(&outcome, TransportFailure::TooSlow);
    assert_eq!(requests.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_resetting_server_parks_the_job_after_two_tries_on_each_model() {
    let (addr, requests) = hostile_server(Hostility::Reset).await;
    let outcome = Rig::new(client(addr, shrunk_pace)).run().await;
    assert_parked_after_broken_answers(&outcome, TransportFailure::ConnectionReset);
    assert_eq!(requests.load(Ordering::SeqCst), 4);
}

/// Parked (not stopped, not retried on), with a reason that names what the server did; two
/// attempts on each model, all network failures.
fn assert_parked_after_broken_answers(outcome: &JobOutcome, failure: TransportFailure) {
    assert_eq!(outcome.status, JobState::Parked, "{}", outcome.reason);
    assert!(
        outcome.reason.contains(failure.describe()),
        "{}",
        outcome.reason
    );
    assert_eq!(outcome.parked_until, None);
    let models: Vec<&str> = outcome.attempts.iter().map(|a| a.model.as_str()).collect();
    assert_eq!(
        models,
        [PRO, PRO, "gemini-3.1-flash-image", "gemini-3.1-flash-image"]
    );
    assert!(
        outcome
            .attempts
            .iter()
            .all(|attempt| attempt.kind == Kind::NetworkError.id()),
        "{:?}",
        outcome.attempts
    );
}

/// An engine on a temporary data folder with the policy's waits shrunk.
struct Rig {
    engine: Engine,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn new(client: GeminiClient) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_on(
            client,
            &dir.path().join("peel.db"),
            shrunk_waits(),
            dir.path().join("images"),
            5,
        );
        Rig { engine, _dir: dir }
    }

    async fn run(&self) -> JobOutcome {
        run_to_end(&self.engine, &spec("a red fox")).await
    }
}
