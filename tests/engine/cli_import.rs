#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! `peel import` as a user runs it: an image `peel generate` saved (PNG and JPEG) gives back the
//! prompt, model, size and ratio it was made with; `peel export` writes each job's folder; a file
//! without provenance says so; a missing or non-image file is refused with a sentence.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::sim_rig::{peel_command, start_sim};
use peel::sim::Scenario;

fn peel(data_dir: &Path, args: &[&str]) -> Command {
    peel_command(data_dir, args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Generates one image with `settings` into `out` and returns its path.
fn generate(data: &Path, out: &Path, endpoint: &str, prompt: &str, settings: &[&str]) -> PathBuf {
    let output: Output = peel(data, &["generate", prompt, "--fallback", "none"])
        .args(settings)
        .args(["--api-version", "v1beta", "--endpoint", endpoint])
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.remove(0)
}

fn import_json(data: &Path, file: &Path) -> serde_json::Value {
    let output = peel(data, &["import", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_peel_saved_gives_back_its_prompt_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let endpoint = calm.base_url();

    let (png_out, jpeg_out) = (dir.path().join("png"), dir.path().join("jpeg"));
    let png = tokio::task::block_in_place(|| {
        let settings = ["--model", "gemini-2.5-flash-image", "--aspect", "3:2"];
        generate(
            &data,
            &png_out,
            &endpoint,
            "a paper boat, \"folded\"",
            &settings,
        )
    });
    let jpeg = tokio::task::block_in_place(|| {
        let settings = [
            "--model",
            "gemini-3-pro-image",
            "--size",
            "2K",
            "--aspect",
            "16:9",
        ];
        generate(
            &data,
            &jpeg_out,
            &endpoint,
            "a lighthouse at dusk",
            &settings,
        )
    });
    calm.shutdown().await.unwrap();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    assert!(std::fs::read(&jpeg).unwrap().starts_with(&[0xFF, 0xD8]));

    let found = import_json(&data, &png);
    assert_eq!(found["source"], "peel");
    assert_eq!(found["prompt"], "a paper boat, \"folded\"");
    assert_eq!(found["model"], "gemini-2.5-flash-image");
    assert_eq!(found["aspect_ratio"], "3:2");
    assert_eq!(
        found["image_size"],
        serde_json::Value::Null,
        "a single-size model"
    );
    assert_eq!(found["peel"]["attempts"], 1);
    assert_eq!(found["peel"]["finish_reason"], "STOP");

    let found = import_json(&data, &jpeg);
    assert_eq!(found["source"], "peel");
    assert_eq!(found["prompt"], "a lighthouse at dusk");
    assert_eq!(found["model"], "gemini-3-pro-image");
    assert_eq!(found["image_size"], "2K");
    assert_eq!(found["aspect_ratio"], "16:9");
    assert_eq!(found["peel"]["fallback_used"], false);

    // The human form names the same.
    let output = peel(&data, &["import"]).arg(&jpeg).output().unwrap();
    let shown = text(&output.stdout);
    assert!(shown.contains("Prompt: a lighthouse at dusk"), "{shown}");
    assert!(shown.contains("Size: 2K"), "{shown}");

    assert_export_writes_the_job(&data, dir.path(), &jpeg);
}

/// `peel export` writes one folder per job searched for: the image as on disk, its provenance,
/// its diagnosis.
fn assert_export_writes_the_job(data: &Path, dir: &Path, jpeg: &Path) {
    let library = dir.join("library");
    let output = peel(data, &["export", "--search", "lighthouse", "--out"])
        .arg(&library)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let folder = library.join("job-2");
    let exported = folder.join(jpeg.file_name().unwrap());
    assert_eq!(
        std::fs::read(&exported).unwrap(),
        std::fs::read(jpeg).unwrap()
    );
    let provenance: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("provenance.json")).unwrap()).unwrap();
    assert_eq!(provenance["prompt"], "a lighthouse at dusk");
    assert_eq!(provenance["image_size"], "2K");
    let diagnosis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("diagnosis.json")).unwrap()).unwrap();
    assert_eq!(diagnosis["state"], "done");
    assert_eq!(diagnosis["diagnosis"]["kind"], "success");
    assert_eq!(diagnosis["attempts"].as_array().unwrap().len(), 1);
    assert!(
        !library.join("job-1").exists(),
        "only the jobs searched for"
    );
}

#[test]
fn files_without_provenance_or_not_images_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let plain = dir.path().join("plain.png");
    image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]))
        .save(&plain)
        .unwrap();
    let output = peel(&data, &["import"]).arg(&plain).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim(), "no provenance found");

    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "just words").unwrap();
    let output = peel(&data, &["import"]).arg(&notes).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("is not a PNG or JPEG image"),
        "{}",
        text(&output.stderr)
    );

    let output = peel(&data, &["import"])
        .arg(dir.path().join("gone.png"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("there is no file at"),
        "{}",
        text(&output.stderr)
    );
}

/// `peel import /dev/zero` reads no more than its bound and refuses with a sentence and exit
/// code 2, instead of reading forever. The child is killed after 30 s if it is still running (so
/// this test cannot hang), and the test then fails: it must have exited by itself.
#[test]
fn an_endless_file_is_refused_not_read_forever() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = peel(&dir.path().join("data"), &["import"])
        .arg(zero)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = status.expect("peel import /dev/zero was still reading after 30 s");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stopped reading"), "{stderr}");
}
