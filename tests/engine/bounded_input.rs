#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Bounded input: every reference and request is checked before anything is sent, and a
//! reference's bytes are kept once. `peel generate` refuses a 0-byte reference, a renamed text
//! file, more references than the model takes, a request over Google's 20 MB limit and
//! `/dev/zero`, each with a sentence and with zero requests reaching the simulator; the engine
//! stops an oversize job before its first request; and an edit chain of five edits of a job with
//! a 3 MB reference keeps the database small and the reference file once.

use std::path::Path;
use std::process::Output;

use peel::api::wire::Part;
use peel::resilience::Policy;
use peel::sim::{RunningSim, Scenario};
use peel::store::references::{keep_reference, references_dir};
use peel::worker::{Engine, JobState};
use rand::{RngCore as _, SeedableRng as _};

use crate::sim_rig::{client_for, engine_on, peel_command, run_to_end, spec, start_sim};

/// Requests the simulator received for image generation.
fn generation_requests(sim: &RunningSim) -> usize {
    sim.state()
        .seen_requests()
        .iter()
        .filter(|seen| {
            seen.uri.contains(":generateContent") || seen.uri.contains(":streamGenerateContent")
        })
        .count()
}

/// `peel generate "a kite" --ref …` against `sim`, with `extra` arguments.
fn generate(sim: &RunningSim, data: &Path, refs: &[&Path], extra: &[&str]) -> Output {
    let mut command = peel_command(data, &["generate", "a kite over the dunes"]);
    for reference in refs {
        command.arg("--ref").arg(reference);
    }
    command
        .args(["--endpoint", &sim.base_url(), "--api-version", "v1beta"])
        .args(["--fallback", "none", "--out"])
        .arg(data.join("out"))
        .args(extra)
        .output()
        .unwrap()
}

/// The one-line refusal on standard error (panics when `peel generate` did not refuse).
fn refusal(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    stderr
}

/// `size_bytes` of noise behind a PNG signature: a PNG by its first bytes (`peel generate`
/// checks the type without decoding).
fn png_sized(path: &Path, size_bytes: usize, seed: u64) {
    let mut bytes = vec![0u8; size_bytes];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    std::fs::write(path, bytes).unwrap();
}

/// A real JPEG of noise of about `width`×`height` (it does not compress, like a photograph).
fn noisy_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    rand::rngs::StdRng::seed_from_u64(5).fill_bytes(&mut pixels);
    let image = image::RgbImage::from_raw(width, height, pixels).unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&image)
        .unwrap();
    jpeg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_references_are_refused_before_any_request() {
    let sim = start_sim(Scenario::Calm, 1000.0).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let empty = dir.path().join("logo.png");
    std::fs::write(&empty, b"").unwrap();
    let said = refusal(&generate(&sim, &data, &[&empty], &[]));
    assert!(said.contains("logo.png is empty (0 bytes)"), "{said}");

    let renamed = dir.path().join("moodboard.jpg");
    std::fs::write(&renamed, "colours: teal, sand, coral").unwrap();
    let said = refusal(&generate(&sim, &data, &[&renamed], &[]));
    assert!(said.contains("moodboard.jpg is not an image"), "{said}");
    assert!(said.contains("its bytes are text"), "{said}");

    let small = dir.path().join("small.png");
    png_sized(&small, 64, 1);
    let fifteen: Vec<&Path> = (0..15).map(|_| small.as_path()).collect();
    let said = refusal(&generate(
        &sim,
        &data,
        &fifteen,
        &["--model", "gemini-3-pro-image"],
    ));
    assert!(
        said.contains("gemini-3-pro-image takes at most 14 reference images and this job has 15"),
        "{said}"
    );

    // Three references under 7 MB each make a request over 20 MB once in base64.
    let large: Vec<_> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("board-{i}.png"));
            png_sized(&path, 6_000_000, i);
            path
        })
        .collect();
    let refs: Vec<&Path> = large.iter().map(std::path::PathBuf::as_path).collect();
    let said = refusal(&generate(&sim, &data, &refs, &[]));
    assert!(said.contains("This request would be"), "{said}");
    assert!(said.contains("over the 20.0 MB Google accepts"), "{said}");
    assert!(said.contains("reference 1 is 5.7 MB"), "{said}");

    let said = refusal(&generate(&sim, &data, &[Path::new("/dev/zero")], &[]));
    assert!(said.contains("/dev/zero is not an image"), "{said}");

    assert_eq!(generation_requests(&sim), 0, "nothing was sent");
    let _ = sim.shutdown().await;
}

/// An engine on `sim` with its data folder in `dir`.
fn engine(sim: &RunningSim, dir: &Path) -> Engine {
    engine_on(
        client_for(sim, "v1beta", None),
        &dir.join("data/peel.db"),
        Policy::default(),
        dir.join("out"),
        3,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_job_stops_before_its_first_request_with_what_to_shrink() {
    let sim = start_sim(Scenario::Calm, 1000.0).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&sim, dir.path());
    let data = engine.store().data_dir();
    let mut job = spec("a kite over the dunes");
    job.fallback = None;
    job.references = (0..3_u8)
        .map(|i| {
            let mut bytes = vec![i; 6_500_000];
            bytes[..3].copy_from_slice(b"\xff\xd8\xff");
            keep_reference(&data, "image/jpeg", &bytes).unwrap()
        })
        .collect();
    let outcome = run_to_end(&engine, &job).await;
    assert_eq!(outcome.status, JobState::Stopped, "{}", outcome.reason);
    assert!(
        outcome.reason.contains("so Peel did not send it"),
        "{}",
        outcome.reason
    );
    assert!(
        outcome.reason.contains("reference 1 is 6.2 MB"),
        "{}",
        outcome.reason
    );
    assert_eq!(generation_requests(&sim), 0);
    let _ = sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_chain_keeps_its_3_mb_reference_once_and_the_database_small() {
    let sim = start_sim(Scenario::Calm, 1000.0).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&sim, dir.path());
    let data = engine.store().data_dir();
    let photo = noisy_jpeg(1100, 1000);
    assert!(photo.len() > 2_500_000, "{}", photo.len());
    let mut first = spec("a kite over the dunes, in this photo's colours");
    first.fallback = None;
    first.references = vec![keep_reference(&data, "image/jpeg", &photo).unwrap()];
    let mut outcome = run_to_end(&engine, &first).await;
    assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    for round in 1..=5 {
        let edit = engine
            .edit_spec(outcome.job, &format!("edit {round}: warmer light"))
            .unwrap();
        let json = serde_json::to_string(&edit).unwrap();
        assert!(
            json.len() < 16 * 1024,
            "edit {round} spec: {} bytes",
            json.len()
        );
        outcome = run_to_end(&engine, &edit).await;
        assert_eq!(
            outcome.status,
            JobState::Delivered,
            "edit {round}: {}",
            outcome.reason
        );
    }
    assert_eq!(generation_requests(&sim), 6);

    let kept: Vec<_> = std::fs::read_dir(references_dir(&data))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), photo);

    // The last edit resends the original reference, read back from its one file.
    let last = engine.store().job(outcome.job).unwrap().unwrap();
    let resent: Vec<&Part> = last.spec.history[0].parts.iter().skip(1).collect();
    assert_eq!(resent.len(), 1);
    assert!(resent[0].inline_data.as_ref().unwrap().data.is_empty());

    drop(engine);
    let connection = rusqlite::Connection::open(data.join("peel.db")).unwrap();
    connection
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(connection);
    let database_bytes = std::fs::metadata(data.join("peel.db")).unwrap().len();
    assert!(
        database_bytes < 256 * 1024,
        "the database is {database_bytes} bytes"
    );
    let _ = sim.shutdown().await;
}
