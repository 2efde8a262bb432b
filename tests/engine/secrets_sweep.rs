#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The secrets sweep: `peel` runs end to end with a known fake key against the simulator on
//! loopback (a delivered image, an edit of it, a blocked prompt, a failing one, the history, an
//! export, and `peel explain` of a body full of the key, with `-v`/`-vv` and the log file on at
//! debug level); then every byte of every file Peel wrote (database, images, thumbnails, model
//! cache, logs, export folder), everything it printed, and every URL and header the simulator
//! received are searched for the key, raw and encoded (URL-encoded, base64 at every alignment,
//! hex). Zero hits, and the key only ever in the `x-goog-api-key` header.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Output;

use base64::Engine as _;
use peel::sim::Scenario;

use crate::key_forms::{files_under, hex, hits_in, sweep};
use crate::sim_rig::{peel_command, start_sim};

/// The fake key: Google-shaped (`AIzaSy` + 33), so the simulator accepts it.
pub const SWEEP_KEY: &str = "AIzaSyPeelSweep-Fake_Key0123456789abcde";

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_sweep_finds_the_key_in_every_form_it_looks_for() {
    let dir = tempfile::tempdir().unwrap();
    let stream = format!("xx{SWEEP_KEY}yy");
    for (name, bytes) in [
        ("raw", stream.clone().into_bytes()),
        ("upper", stream.to_uppercase().into_bytes()),
        (
            "base64",
            base64::engine::general_purpose::STANDARD
                .encode(&stream)
                .into_bytes(),
        ),
        (
            "base64url",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("x{SWEEP_KEY}"))
                .into_bytes(),
        ),
        ("hex", hex(stream.as_bytes()).into_bytes()),
    ] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    std::fs::create_dir(dir.path().join("deeper")).unwrap();
    std::fs::write(
        dir.path().join("deeper/url"),
        format!("GET /?k={}", urlencode_all(SWEEP_KEY)),
    )
    .unwrap();
    std::fs::write(dir.path().join("clean"), "[REDACTED] AIzaSyPeel").unwrap();
    let (swept, found) = sweep(&[dir.path()], SWEEP_KEY);
    assert_eq!(swept, 7);
    assert_eq!(found.len(), 6, "{found:#?}");
    assert!(!found.iter().any(|hit| hit.contains("clean")), "{found:#?}");
}

fn urlencode_all(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "%{byte:02x}");
        out
    })
}

/// A body a designer might paste: the key echoed in every way a proxy or SDK prints it.
fn body_full_of_the_key() -> String {
    format!(
        r#"POST https://proxy.example/v1beta/models/gemini-3-pro-image:generateContent?key={SWEEP_KEY}
Authorization: Bearer {SWEEP_KEY}
x-goog-api-key: {SWEEP_KEY}
{{"error": {{"code": 400, "message": "API key not valid. Please pass a valid API key.",
  "status": "INVALID_ARGUMENT", "apiKey": "{SWEEP_KEY}",
  "details": [{{"@type": "type.googleapis.com/google.rpc.DebugInfo",
  "detail": "Invalid API key: {SWEEP_KEY}"}}]}}}}
api_key={SWEEP_KEY}&prompt=fox"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one story: every command Peel has, then every file, output and request swept"
)]
async fn a_full_cli_run_leaves_the_key_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let (data, out, export) = (
        dir.path().join("data"),
        dir.path().join("out"),
        dir.path().join("export"),
    );
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let url = calm.base_url();
    let peel = |args: &[&str]| {
        let mut command = peel_command(&data, args);
        command
            .env("GEMINI_API_KEY", SWEEP_KEY)
            .env("PEEL_LOG", "debug");
        command
    };
    let generate = |prompt: &str, extra: &[&str]| {
        let mut command = peel(&["generate", prompt, "-vv", "--json", "--fallback", "none"]);
        command
            .args(["--api-version", "v1beta", "--endpoint", &url])
            .arg("--out")
            .arg(&out)
            .args(extra);
        tokio::task::block_in_place(|| command.output().unwrap())
    };
    let mut outputs = Vec::new();

    let delivered = generate("a red fox in the snow", &[]);
    assert_eq!(delivered.status.code(), Some(0), "{}", text(&delivered));
    let summary: serde_json::Value = serde_json::from_slice(&delivered.stdout).unwrap();
    let image = summary["jobs"][0]["image_path"]
        .as_str()
        .expect("a delivered job names its image")
        .to_owned();
    outputs.push(delivered);

    let edited = generate("make the fox blue", &["--ref", &image]);
    assert_eq!(edited.status.code(), Some(0), "{}", text(&edited));
    outputs.push(edited);

    let blocked = generate("sim:image-safety", &[]);
    assert_eq!(blocked.status.code(), Some(3), "{}", text(&blocked));
    outputs.push(blocked);

    let failed = generate("sim:text-only", &[]);
    assert_ne!(failed.status.code(), Some(0), "{}", text(&failed));
    outputs.push(failed);

    for args in [
        &["history", "-v"][..],
        &["history", "--json", "-vv"],
        &["history", "--failed", "-v"],
    ] {
        let listed = tokio::task::block_in_place(|| peel(args).output().unwrap());
        assert!(listed.status.success(), "{}", text(&listed));
        outputs.push(listed);
    }

    let exported = tokio::task::block_in_place(|| {
        peel(&["export", "-vv", "--out"])
            .arg(&export)
            .output()
            .unwrap()
    });
    assert!(exported.status.success(), "{}", text(&exported));
    outputs.push(exported);

    let pasted = dir.path().join("pasted.txt");
    std::fs::write(&pasted, body_full_of_the_key()).unwrap();
    let pasted = pasted.display().to_string();
    for args in [
        &["explain", "-vv", pasted.as_str()][..],
        &[
            "explain",
            "-v",
            "--json",
            "--status",
            "400",
            pasted.as_str(),
        ],
    ] {
        let explained = tokio::task::block_in_place(|| peel(args).output().unwrap());
        assert!(explained.status.success(), "{}", text(&explained));
        outputs.push(explained);
    }
    // The pasted file is the designer's, not Peel's: it goes before the sweep.
    std::fs::remove_file(&pasted).unwrap();

    for output in &outputs {
        let printed = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
        let hits = hits_in(&printed, SWEEP_KEY);
        assert!(hits.is_empty(), "{hits:?} printed:\n{}", text(output));
    }

    let logs: Vec<PathBuf> = files_under(&data.join("logs"));
    let logged: u64 = logs
        .iter()
        .map(|file| std::fs::metadata(file).map_or(0, |m| m.len()))
        .sum();
    assert!(logged > 0, "the log file was written: {logs:?}");
    let log_text: String = logs
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap_or_default())
        .collect();
    assert!(log_text.contains("generate started"), "{log_text}");
    assert!(
        log_text.contains("DEBUG"),
        "debug lines logged too: {log_text}"
    );
    assert!(
        files_under(&export).len() >= 3,
        "export wrote folders: {:?}",
        files_under(&export)
    );

    // The data folder, the output folder and the export folder are all in `dir`.
    let (swept, found) = sweep(&[dir.path()], SWEEP_KEY);
    assert!(swept >= 8, "only {swept} files swept");
    assert!(
        found.is_empty(),
        "the key was written to:\n{}",
        found.join("\n")
    );

    let requests = calm.state().seen_requests();
    assert!(requests.len() >= 4, "{requests:#?}");
    let mut with_key = 0;
    for request in &requests {
        let in_url = hits_in(request.uri.as_bytes(), SWEEP_KEY);
        assert!(in_url.is_empty(), "key in URL {}: {in_url:?}", request.uri);
        for (name, value) in &request.headers {
            if !hits_in(value.as_bytes(), SWEEP_KEY).is_empty() {
                assert_eq!(name, "x-goog-api-key", "the key sent in {name}");
                assert_eq!(value, SWEEP_KEY);
                with_key += 1;
            }
        }
    }
    assert_eq!(with_key, requests.len(), "every request carried the key");
    calm.shutdown().await.unwrap();
}
