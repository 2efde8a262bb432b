#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! `peel generate` as a user runs it, including the promise of the durable queue: killing it while
//! a job waits and starting it again loses nothing.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt as _;

use crate::sim_rig::start_sim;
use peel::sim::Scenario;
use peel::store::{JobState, Store};

fn peel(data_dir: &std::path::Path) -> Command {
    crate::sim_rig::peel_command(data_dir, &[])
}

/// Reads `child`'s stderr on a thread, line by line, until a line `stop_after` accepts (kept) or
/// the end; the lines come back from `join`.
fn read_stderr(
    child: &mut std::process::Child,
    stop_after: impl Fn(&str) -> bool + Send + 'static,
) -> std::thread::JoinHandle<Vec<String>> {
    let stderr = child.stderr.take().unwrap();
    std::thread::Builder::new()
        .name("stderr".to_owned())
        .spawn(move || {
            let mut seen = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let stop = stop_after(&line);
                seen.push(line);
                if stop {
                    break;
                }
            }
            seen
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one story: queue, wait, kill, resume, check every job and file"
)]
async fn killing_a_waiting_run_loses_no_job() {
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    // Free tier: two requests a minute, so the third job must wait about a minute.
    let free = start_sim(Scenario::FreeTier, 1.0).await;
    let mut child = peel(&data)
        .args([
            "generate",
            "a pebble on sand",
            "--count",
            "3",
            "--model",
            "gemini-3.1-flash-image",
            "--fallback",
            "none",
        ])
        .args([
            "--size",
            "512",
            "--api-version",
            "v1beta",
            "--endpoint",
            &free.base_url(),
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let watcher = read_stderr(&mut child, |line| line.contains("waiting"));
    let started = Instant::now();
    while !watcher.is_finished() {
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "peel generate never waited"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = watcher.join().unwrap();
    assert!(
        seen.iter()
            .any(|l| l.contains("job 3") && l.contains("waiting")),
        "{seen:?}"
    );
    child.kill().unwrap();
    let _ = child.wait();

    let store = Store::open(&data.join("peel.db")).unwrap();
    let unfinished = store.unfinished_jobs().unwrap();
    assert_eq!(unfinished.len(), 1, "{unfinished:?}");
    assert_eq!(unfinished[0].id, 3);
    drop(store);

    // Start again (on a calm simulator): the queued job runs first and delivers.
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let output = peel(&data)
        .args([
            "generate",
            "--resume",
            "--api-version",
            "v1beta",
            "--endpoint",
            &calm.base_url(),
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for job in 1..=3 {
        assert!(
            out.join(format!("peel-{job}.png")).exists()
                || out.join(format!("peel-{job}.jpg")).exists(),
            "image {job}"
        );
    }
    let store = Store::open(&data.join("peel.db")).unwrap();
    assert!(store.unfinished_jobs().unwrap().is_empty());
    assert_eq!(store.job(3).unwrap().unwrap().state, JobState::Delivered);
    free.shutdown().await.unwrap();
    calm.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_and_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let run = |prompt: &str| {
        peel(&dir.path().join("data"))
            .args([
                "generate",
                prompt,
                "--json",
                "--api-version",
                "v1beta",
                "--endpoint",
                &calm.base_url(),
            ])
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .unwrap()
    };
    let ok = tokio::task::block_in_place(|| run("a red fox"));
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(summary["jobs"][0]["status"], "delivered");
    assert_eq!(summary["jobs"][0]["attempts"][0]["kind"], "success");

    let blocked = tokio::task::block_in_place(|| run("sim:image-safety"));
    assert_eq!(blocked.status.code(), Some(3), "content blocked");
    let summary: serde_json::Value = serde_json::from_slice(&blocked.stdout).unwrap();
    assert_eq!(summary["jobs"][0]["diagnosis"]["kind"], "image_safety");

    let missing = peel(&dir.path().join("data"))
        .args(["generate"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("give a prompt"));
    calm.shutdown().await.unwrap();
}

/// An image that arrives when neither the output folder nor the data folder's `images/` can be
/// written lives only in the `peel generate` process: it says so, keeps trying, and exits only
/// once the image is on disk (here: once the output folder can be made).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_keeps_an_image_the_disk_refused_until_it_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    // A regular file where each folder should be: writing fails, even as root.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("images"), b"not a folder").unwrap();
    std::fs::write(&out, b"not a folder").unwrap();
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let mut child = peel(&data)
        .args(["generate", "a pebble on sand", "--fallback", "none"])
        .args(["--model", "gemini-3.1-flash-image", "--size", "512"])
        .args(["--endpoint", &calm.base_url(), "--json"])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let watcher = read_stderr(&mut child, |_| false);
    let started = Instant::now();
    loop {
        let held = Store::open(&peel::store::paths::database_path(&data))
            .ok()
            .and_then(|store| store.job(1).ok().flatten())
            .is_some_and(|job| job.state == JobState::Parked);
        if held {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "the image was never held"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The designer frees the output folder: the same image is written, no new request.
    std::fs::remove_file(&out).unwrap();
    let output = tokio::task::block_in_place(|| child.wait_with_output()).unwrap();
    let told = watcher.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{told:#?}");
    assert!(
        told.iter()
            .any(|line| line.contains("keeps them in memory")),
        "{told:#?}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["jobs"][0]["status"], "delivered", "{summary:#}");
    assert_eq!(
        summary["jobs"][0]["attempts"].as_array().map(Vec::len),
        Some(1),
        "written from memory, not asked for again"
    );
    let saved: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    calm.shutdown().await.unwrap();
}

/// With `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` set, a loopback endpoint (`127.0.0.1` or
/// `localhost`) is still reached directly: the "proxy", a listener that counts connections and
/// refuses them, never sees the plain-http request and its `x-goog-api-key`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_endpoint_never_goes_through_a_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        let body =
            r#"{"error":{"code":403,"message":"proxy saw this","status":"PERMISSION_DENIED"}}"#;
        let answer = format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        while let Ok((mut stream, _)) = proxy.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });

    let sim_url = calm.base_url();
    let localhost_url = sim_url.replace("127.0.0.1", "localhost");
    for endpoint in [sim_url.as_str(), localhost_url.as_str()] {
        let mut command = peel(&dir.path().join("data"));
        command
            .args(["generate", "a red fox", "--fallback", "none"])
            .args(["--api-version", "v1beta", "--endpoint", endpoint])
            .arg("--out")
            .arg(dir.path().join("out"))
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        for name in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            command.env(name, &proxy_url);
        }
        let output = tokio::task::block_in_place(|| command.output().unwrap());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{endpoint}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the proxy was used");
    assert!(calm.state().stats.requests.load(Ordering::SeqCst) >= 2);
    calm.shutdown().await.unwrap();
}
