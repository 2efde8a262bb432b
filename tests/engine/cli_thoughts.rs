#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

//! `peel generate` prints each thought of a streamed answer while the stream is still open: a
//! server of the test's own sends a thought summary and an interim image, then holds the rest of
//! the answer until the test has read both lines on stderr; only then does it send the final
//! image. `--json` gives each thought's arrival time, and the interim image never reaches the
//! output folder.

use std::io::{BufRead as _, BufReader, Cursor};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse as _;
use base64::Engine as _;
use tokio::sync::{Notify, mpsc};

use crate::loopback_rig::serve;
use crate::sim_rig::peel_command;

/// A PNG of `side`×`side` pixels, base64.
fn png_base64(side: u32, shade: u8) -> String {
    let image = image::RgbImage::from_pixel(side, side, image::Rgb([shade, 90, 160]));
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes.into_inner())
}

/// One SSE event carrying `parts` (and, for the last, the finish and usage).
fn event(parts: &serde_json::Value, last: bool) -> Bytes {
    let mut candidate = serde_json::json!({ "content": { "role": "model", "parts": parts } });
    let mut answer = serde_json::json!({ "modelVersion": "gemini-3-pro-image" });
    if last {
        candidate["finishReason"] = "STOP".into();
        answer["usageMetadata"] = serde_json::json!({
            "promptTokenCount": 12, "candidatesTokenCount": 1120, "thoughtsTokenCount": 210,
            "totalTokenCount": 1342
        });
    }
    answer["candidates"] = serde_json::json!([candidate]);
    Bytes::from(format!("data: {answer}\r\n\r\n"))
}

/// A server that lists Nano Banana Pro and streams its answer in three events, the last held
/// until `release` is notified; counts the generations.
async fn held_stream(release: Arc<Notify>) -> (String, Arc<Mutex<usize>>) {
    let generations = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&generations);
    let router = Router::new().fallback(move |uri: Uri| {
        let (counted, release) = (Arc::clone(&counted), Arc::clone(&release));
        async move {
            if uri.path().ends_with("/models") {
                let list = r#"{"models":[{"name":"models/gemini-3-pro-image","supportedGenerationMethods":["generateContent"]}]}"#;
                return ([(header::CONTENT_TYPE, "application/json")], list).into_response();
            }
            assert!(uri.path().contains(":streamGenerateContent"), "{uri}");
            *counted.lock().unwrap() += 1;
            let (tx, rx) = mpsc::channel::<Bytes>(4);
            tokio::spawn(async move {
                let summary = serde_json::json!([{ "text": "**Framing the pier**\n\nA low horizon.", "thought": true }]);
                let draft = serde_json::json!([{ "inlineData": { "mimeType": "image/png", "data": png_base64(64, 40) }, "thought": true }]);
                tx.send(event(&summary, false)).await.unwrap();
                tx.send(event(&draft, false)).await.unwrap();
                release.notified().await;
                let last = serde_json::json!([{ "inlineData": { "mimeType": "image/png", "data": png_base64(1024, 200) }, "thoughtSignature": "c2lnbmVk" }]);
                tx.send(event(&last, true)).await.unwrap();
            });
            let body = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
            });
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/event-stream")],
                Body::from_stream(body),
            )
                .into_response()
        }
    });
    (format!("http://{}", serve(router).await), generations)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_thought_is_printed_while_the_stream_is_still_open() {
    let release = Arc::new(Notify::new());
    let (endpoint, generations) = held_stream(Arc::clone(&release)).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = peel_command(dir.path(), &["generate", "a pier at dusk", "--json"])
        .args(["--fallback", "none", "--endpoint", &endpoint, "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let into = Arc::clone(&lines);
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            into.lock().unwrap().push(line);
        }
    });
    let started = Instant::now();
    let seen = |text: &str| lines.lock().unwrap().iter().any(|l| l.contains(text));
    while !(seen("job 1: thought 1 (\"Framing the pier\") at")
        && seen("job 1: thought 2 (image 64x64) at"))
    {
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "the thoughts were not printed while the stream was open: {:?}",
            lines.lock().unwrap()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "peel ended early: {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !seen("image saved to"),
        "the final image is still held by the server"
    );
    release.notify_one();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{:?}", lines.lock().unwrap());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let job = &summary["jobs"][0];
    assert_eq!(job["status"], "delivered", "{summary}");
    let thoughts = job["thoughts"].as_array().unwrap();
    assert_eq!(thoughts.len(), 2, "{summary}");
    assert_eq!(thoughts[1]["image"]["width"], 64);
    assert!(
        thoughts.iter().all(|t| t["at_s"].as_f64().is_some()),
        "{summary}"
    );
    assert_eq!(*generations.lock().unwrap(), 1, "one request, streamed");
    let saved: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(saved.len(), 1, "only the final image is saved: {saved:?}");
}
