#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Metadata any photo tool reads: a PNG (Nano Banana) and a JPEG (Nano Banana Pro) generated
//! through the simulator and saved by the engine are read by exiftool, a tool no one here wrote,
//! which must find the prompt as the caption (Description), Peel as the CreatorTool and the IPTC
//! label for AI-made images (DigitalSourceType). When exiftool is missing the test says it
//! skipped, unless `CI` is set: then it fails (`.ci/run` installs it).

use std::path::Path;
use std::process::Command;

use peel::provenance::{self, TRAINED_ALGORITHMIC_MEDIA};
use peel::sim::Scenario;
use peel::worker::{JobSpec, JobState};

use crate::sim_rig::{engine_on_tier, run_to_end, start_sim};

/// A prompt with every character XML must escape.
const PROMPT: &str = "a paper boat, \"folded\" <tiny> & bright";

/// What exiftool reads in the file's XMP (`-j -G1 -XMP:all`: each tag under the group of the
/// namespace exiftool recognised, so a misspelt namespace shows), or `None` when it is not
/// installed.
fn exiftool_xmp(file: &Path) -> Option<serde_json::Value> {
    let output = match Command::new("exiftool")
        .args(["-j", "-G1", "-XMP:all"])
        .arg(file)
        .output()
    {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => panic!("exiftool could not run: {error}"),
    };
    assert!(
        output.status.success(),
        "exiftool failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    Some(json[0].clone())
}

/// Whether exiftool answers; when not, the test skips with a sentence, or fails on CI.
fn exiftool_installed() -> bool {
    if Command::new("exiftool").arg("-ver").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "exiftool is missing on CI; install libimage-exiftool-perl (.ci/run does)"
    );
    #[expect(clippy::print_stderr, reason = "a skipped test says so")]
    {
        eprintln!(
            "standard_metadata: skipped, exiftool is not installed (apt-get install libimage-exiftool-perl)"
        );
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exiftool_reads_the_caption_creator_and_ai_label_of_a_png_and_a_jpeg() {
    if !exiftool_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let engine = engine_on_tier(&sim, dir.path(), peel::resilience::TierLimits::default(), 3);
    for (model, extension) in [
        ("gemini-2.5-flash-image", "png"),
        ("gemini-3-pro-image", "jpg"),
    ] {
        let spec = JobSpec {
            prompt: PROMPT.to_owned(),
            model: model.to_owned(),
            ..JobSpec::default()
        };
        let outcome = run_to_end(&engine, &spec).await;
        assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
        let path = outcome.image_path.unwrap();
        assert_eq!(path.extension().unwrap(), extension);
        let found = tokio::task::block_in_place(|| exiftool_xmp(&path)).unwrap();
        assert_eq!(found["XMP-dc:Description"], PROMPT, "{found:#}");
        let tool = found["XMP-xmp:CreatorTool"].as_str().unwrap();
        assert!(
            tool.starts_with("Peel ") && tool.ends_with(&format!("({model})")),
            "{found:#}"
        );
        assert_eq!(
            found["XMP-iptcExt:DigitalSourceType"], TRAINED_ALGORITHMIC_MEDIA,
            "{found:#}"
        );
        // exiftool writes XMP dates as `YYYY:MM:DD HH:MM:SSZ`.
        let date = found["XMP-xmp:CreateDate"].as_str().unwrap();
        assert!(date.len() == 20 && date.ends_with('Z'), "{found:#}");
        assert!(found.get("ExifTool:Warning").is_none(), "{found:#}");
        // Peel's own record still reads back, and Google's bytes still come back exactly.
        let bytes = std::fs::read(&path).unwrap();
        let record = provenance::read(&bytes).unwrap().peel.unwrap();
        assert_eq!(record.prompt, PROMPT);
        assert!(provenance::strip(&bytes).len() < bytes.len());
    }
}
