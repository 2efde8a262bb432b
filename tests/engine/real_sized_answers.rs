#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Answers the size of the real world, served on loopback by a server that is not Peel's
//! simulator: a Nano Banana Pro 4K answer of over 20 MB of JSON (two thought images, then the
//! final image) arrives after exactly one request, lands on disk once and byte for byte (once its
//! provenance is stripped), and leaves the database under 1 MiB larger; an edit would resend it
//! exactly, and as that is over Google's 20 MB request limit it stops before it is sent. Hostile
//! answers (a cut-off image, a decompression-bomb header, a text file labelled PNG, a body that
//! stalls, a connection reset mid-body) each end with a diagnosis a designer can act on and no
//! file in the output folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use base64::Engine as _;
use futures_util::StreamExt as _;
use peel::api::{ApiKey, ClientConfig, GeminiClient};
use peel::diagnosis::{DiagnosisContext, Evidence, Kind, TransportFailure, diagnose};
use peel::worker::{Engine, JobOutcome, JobSpec, JobState};
use rand::{RngCore as _, SeedableRng as _};

use crate::key_forms::files_under;
use crate::loopback_rig::assert_transport_failure;
use crate::sim_rig::{engine_on, run_to_end, shrunk_waits};

const PRO: &str = "gemini-3-pro-image";

/// A JPEG of noise: like a photograph, it does not compress (a 4096x4096 one is over 10 MB).
fn noisy_jpeg(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    rng.fill_bytes(&mut pixels);
    let image = image::RgbImage::from_raw(width, height, pixels).unwrap();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .unwrap();
    out
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A Pro answer: thought text, two thought images, a caption, then the final image.
fn answer_json(thoughts: &[Vec<u8>], final_image: &[u8], final_mime: &str) -> String {
    let mut parts = vec![serde_json::json!({"text": "**Composing**", "thought": true})];
    for thought in thoughts {
        parts.push(serde_json::json!({
            "inlineData": {"mimeType": "image/jpeg", "data": b64(thought)}, "thought": true
        }));
    }
    parts.push(
        serde_json::json!({"text": "Here is your image", "thoughtSignature": "dGV4dC1zaWc="}),
    );
    parts.push(serde_json::json!({
        "inlineData": {"mimeType": final_mime, "data": b64(final_image)},
        "thoughtSignature": "aW1hZ2Utc2ln".repeat(40)
    }));
    serde_json::json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 2000,
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 2000}],
            "thoughtsTokenCount": 250, "totalTokenCount": 2262},
        "modelVersion": PRO,
        "responseId": "real-sized-1"
    })
    .to_string()
}

/// How the test server answers.
#[derive(Clone)]
enum Answer {
    /// The whole body at once.
    Whole(Bytes),
    /// Part of the body, then nothing (the connection stays open).
    Stall(Bytes),
    /// Part of the body, then a reset.
    Reset(Bytes),
}

#[derive(Clone)]
struct Server {
    answer: Answer,
    requests: Arc<Mutex<Vec<Bytes>>>,
}

async fn serve(answer: Answer) -> (SocketAddr, Arc<Mutex<Vec<Bytes>>>) {
    let server = Server {
        answer,
        requests: Arc::default(),
    };
    let requests = server.requests.clone();
    let app = Router::new()
        .route(
            "/{version}/{*rest}",
            post(
                |axum::extract::State(server): axum::extract::State<Server>, body: Bytes| async move {
                    server.requests.lock().unwrap().push(body);
                    respond(&server.answer)
                },
            ),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, requests)
}

fn respond(answer: &Answer) -> Response {
    let json = |mut response: Response| {
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        response
    };
    match answer.clone() {
        Answer::Whole(body) => json(body.into_response()),
        Answer::Stall(body) => {
            let head = body.slice(..body.len() / 3);
            let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(head)])
                .chain(futures_util::stream::pending());
            json(Body::from_stream(stream).into_response())
        }
        Answer::Reset(body) => {
            let head = body.slice(..body.len() / 2);
            let stream = futures_util::stream::iter([
                Ok(head),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset",
                )),
            ]);
            json(Body::from_stream(stream).into_response())
        }
    }
}

fn client(addr: SocketAddr, idle: Duration) -> GeminiClient {
    GeminiClient::new(ClientConfig {
        base_url: format!("http://{addr}"),
        api_version: "v1beta".to_owned(),
        api_key: ApiKey::new("test-key-not-real"),
        body_idle_timeout: idle,
        ..ClientConfig::default()
    })
    .unwrap()
}

struct Rig {
    engine: Engine,
    dir: tempfile::TempDir,
}

impl Rig {
    fn new(addr: SocketAddr) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_on(
            client(addr, Duration::from_secs(30)),
            &dir.path().join("data/peel.db"),
            shrunk_waits(),
            dir.path().join("out"),
            3,
        );
        Rig { engine, dir }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    async fn run(&self, spec: &JobSpec) -> JobOutcome {
        run_to_end(&self.engine, spec).await
    }
}

fn spec_4k() -> JobSpec {
    JobSpec {
        prompt: "a mountain lake at dawn, photographic".to_owned(),
        model: PRO.to_owned(),
        fallback: None,
        aspect_ratio: Some("1:1".to_owned()),
        image_size: Some("4K".to_owned()),
        ..JobSpec::default()
    }
}

fn database_bytes(data: &Path) -> u64 {
    ["peel.db", "peel.db-wal"]
        .iter()
        .filter_map(|name| std::fs::metadata(data.join(name)).ok())
        .map(|meta| meta.len())
        .sum()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_sized_4k_answer_arrives_once_and_is_stored_once() {
    let thoughts = vec![noisy_jpeg(1024, 1024, 1), noisy_jpeg(1024, 1024, 2)];
    let final_image = noisy_jpeg(4096, 4096, 3);
    let body = answer_json(&thoughts, &final_image, "image/jpeg");
    assert!(
        body.len() >= 20 * 1024 * 1024,
        "the answer should be real-sized: {} bytes",
        body.len()
    );
    let (addr, requests) = serve(Answer::Whole(Bytes::from(body))).await;
    let rig = Rig::new(addr);
    let before = database_bytes(&rig.data());

    let outcome = rig.run(&spec_4k()).await;

    assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    assert_eq!(
        requests.lock().unwrap().len(),
        1,
        "exactly one paid request"
    );
    let path = outcome.image_path.clone().unwrap();
    assert_eq!(path, rig.out().join("peel-1.jpg"));
    let written = std::fs::read(&path).unwrap();
    assert_eq!(
        peel::provenance::strip(&written).as_ref(),
        final_image.as_slice(),
        "stripping provenance from the file gives the image byte for byte"
    );
    let provenance = peel::provenance::read(&written).unwrap().peel.unwrap();
    assert_eq!(provenance.image_size.as_deref(), Some("4K"));
    // The output folder holds the image and nothing else (no sidecar).
    assert_eq!(files_under(&rig.out()), std::slice::from_ref(&path));

    let grown = database_bytes(&rig.data()) - before;
    assert!(grown < 1024 * 1024, "the database grew by {grown} bytes");
    let summary = serde_json::to_string(&outcome).unwrap();
    assert!(
        summary.len() < 64 * 1024,
        "--json output: {} bytes",
        summary.len()
    );
    let diagnosis = outcome.diagnosis.as_ref().unwrap();
    assert_eq!(diagnosis.kind, Kind::Success);
    assert!(diagnosis.raw.contains("peelStandIn"), "{}", diagnosis.raw);

    // Rows stay small whatever the image size.
    let db = rusqlite::Connection::open(rig.data().join("peel.db")).unwrap();
    let largest: i64 = db
        .query_row(
            "SELECT max(length(spec) + coalesce(length(diagnosis), 0) + coalesce(length(reason), 0)) FROM jobs",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(largest < 64 * 1024, "largest job row: {largest} bytes");

    // Nothing else written holds the final image again, raw or base64.
    let encoded = b64(&final_image);
    let start = (encoded.len() / 2) & !3;
    let base64_probe = &encoded.as_bytes()[start..start + 64];
    let raw_probe = &final_image[final_image.len() / 2..final_image.len() / 2 + 64];
    for file in files_under(rig.dir.path()) {
        if file == path {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, raw_probe) && !contains(&bytes, base64_probe),
            "{} holds the image again",
            file.display()
        );
    }
    // The thought images are kept once each, for edits, in the data folder (not in `images/`,
    // the window's default output folder).
    let kept: Vec<Vec<u8>> = files_under(&rig.data().join("thoughts"))
        .iter()
        .map(|file| std::fs::read(file).unwrap())
        .collect();
    assert_eq!(kept.len(), 2);
    assert!(thoughts.iter().all(|thought| kept.contains(thought)));

    assert_an_edit_resends_the_turn(&rig, outcome.job, &requests, &thoughts, &encoded).await;
}

/// An edit of `job` would resend the model's turn exactly: thought images, final image,
/// signatures. At 4K with two thought images that is over Google's 20 MB request limit, so the
/// edit stops before it is sent, saying what to do instead.
async fn assert_an_edit_resends_the_turn(
    rig: &Rig,
    job: i64,
    requests: &Mutex<Vec<Bytes>>,
    thoughts: &[Vec<u8>],
    encoded: &str,
) {
    let edit = rig.engine.edit_spec(job, "make the sky pink").unwrap();
    let edit_json = serde_json::to_string(&edit).unwrap();
    assert!(
        edit_json.len() < 64 * 1024,
        "edit spec: {} bytes",
        edit_json.len()
    );
    let resent = peel::store::turns::resolve(&edit.history).unwrap();
    let resent = serde_json::to_value(&resent).unwrap();
    assert!(!resent.to_string().contains("peelStandIn"));
    let model_turn = &resent[1];
    assert_eq!(model_turn["role"], "model");
    let parts = model_turn["parts"].as_array().unwrap();
    assert_eq!(parts[1]["inlineData"]["data"], b64(&thoughts[0]));
    assert_eq!(parts[2]["inlineData"]["data"], b64(&thoughts[1]));
    assert_eq!(parts[3]["thoughtSignature"], "dGV4dC1zaWc=");
    assert_eq!(parts[4]["inlineData"]["data"], encoded);
    assert_eq!(parts[4]["thoughtSignature"], "aW1hZ2Utc2ln".repeat(40));

    let edited = rig.run(&edit).await;
    assert_eq!(edited.status, JobState::Stopped, "{}", edited.reason);
    assert!(
        edited.reason.contains("over the 20.0 MB Google accepts")
            && edited.reason.contains("start a new generation"),
        "{}",
        edited.reason
    );
    assert_eq!(requests.lock().unwrap().len(), 1, "the edit was not sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_images_are_never_delivered() {
    let whole = noisy_jpeg(512, 512, 9);
    let cases: [(&str, Vec<u8>, &str, &str); 3] = [
        (
            "truncated",
            whole[..whole.len() / 2].to_vec(),
            "image/jpeg",
            "cut off",
        ),
        (
            "bomb",
            peel::sim::hostile::bomb_png(),
            "image/png",
            "100000x100000",
        ),
        (
            "mime lie",
            b"this is not an image, it is a text file".to_vec(),
            "image/png",
            "not an image",
        ),
    ];
    for (name, bytes, mime, said) in cases {
        let body = answer_json(&[], &bytes, mime);
        let (addr, requests) = serve(Answer::Whole(Bytes::from(body))).await;
        let rig = Rig::new(addr);
        let outcome = rig.run(&spec_4k()).await;
        assert_eq!(outcome.status, JobState::Stopped, "{name}");
        let diagnosis = outcome.diagnosis.as_ref().unwrap();
        assert_eq!(diagnosis.kind, Kind::ImageBroken, "{name}");
        assert!(
            diagnosis.explanation.contains(said),
            "{name}: {}",
            diagnosis.explanation
        );
        assert!(
            outcome.reason.contains("The image arrived broken again")
                && outcome.reason.contains(said),
            "{name}: {}",
            outcome.reason
        );
        // One automatic retry (Google bills each), then the reason.
        assert_eq!(requests.lock().unwrap().len(), 2, "{name}");
        assert!(outcome.image_path.is_none());
        assert!(
            !rig.out().exists() || files_under(&rig.out()).is_empty(),
            "{name}: a file reached the output folder"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_and_a_reset_end_the_attempt_with_a_transport_diagnosis() {
    let body = Bytes::from(answer_json(&[], &noisy_jpeg(256, 256, 4), "image/jpeg"));
    let context = DiagnosisContext::new(jiff::Timestamp::now()).with_model(PRO);

    // The body stops after a third: the attempt ends after the idle limit, not the 300 s total.
    let (addr, _) = serve(Answer::Stall(body.clone())).await;
    let started = std::time::Instant::now();
    let error = client(addr, Duration::from_millis(600))
        .generate_content(PRO, &crate::sim_rig::request("a lake", None, None))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_transport_failure(&error, TransportFailure::Stalled);
    let diagnosis = diagnose(&Evidence::from(&error), &context);
    assert_eq!(diagnosis.kind, Kind::NetworkError);
    assert!(
        diagnosis.explanation.contains("stopped arriving"),
        "{}",
        diagnosis.explanation
    );

    // The connection resets half-way.
    let (addr, _) = serve(Answer::Reset(body)).await;
    let error = client(addr, Duration::from_secs(30))
        .generate_content(PRO, &crate::sim_rig::request("a lake", None, None))
        .await
        .unwrap_err();
    assert_transport_failure(&error, TransportFailure::ConnectionReset);
    let diagnosis = diagnose(&Evidence::from(&error), &context);
    assert_eq!(diagnosis.kind, Kind::NetworkError);
    assert_eq!(diagnosis.layer, peel::diagnosis::Layer::Transport);
}
