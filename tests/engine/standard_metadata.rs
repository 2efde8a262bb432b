#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Metadata any photo tool reads: a PNG (Nano Banana) and a JPEG (Nano Banana Pro) generated
//! through the simulator and saved by the engine are read by exiftool, a tool no one here wrote,
//! which must find the prompt as the caption (Description), Peel as the CreatorTool and the IPTC
//! label for AI-made images (DigitalSourceType). A received JPEG carrying C2PA content
//! credentials (an APP11 JUMBF segment) is saved byte for byte, with a sidecar `.xmp` that
//! exiftool reads the same fields from and `peel import` reads Peel's record from. When exiftool
//! is missing the tests say they skipped it, unless `CI` is set: then they fail (`.ci/run`
//! installs it).

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

/// A received Pro answer whose final image is `jpeg`, as the worker gets it.
fn answer_with(jpeg: &[u8]) -> peel::worker::received::Received {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(jpeg);
    let body = serde_json::json!({"candidates": [{"content": {"role": "model", "parts": [
        {"inlineData": {"mimeType": "image/jpeg", "data": data}}
    ]}, "finishReason": "STOP"}], "modelVersion": "gemini-3-pro-image"});
    let response = serde_json::from_value(body).unwrap();
    peel::worker::received::receive(
        response,
        peel::worker::received::Expected { long_side_px: None },
    )
}

/// A JPEG with an APP11 segment holding a JUMBF superbox labelled `c2pa`, right after SOI.
fn jpeg_with_c2pa() -> Vec<u8> {
    let image = image::RgbImage::from_pixel(48, 32, image::Rgb([30, 90, 200]));
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    let mut jpeg = jpeg.into_inner();
    let mut contents = b"JP\0\x01\0\0\0\x01\0\0\0\x26jumb\0\0\0\x1ejumd".to_vec();
    contents.extend_from_slice(&[0x63, 0x32, 0x70, 0x61, 0, 0x11, 0, 0x10]);
    contents.extend_from_slice(&[0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    contents.extend_from_slice(b"\x03c2pa\0");
    let length = u16::try_from(contents.len() + 2).unwrap().to_be_bytes();
    let segment = [&[0xFF, 0xEB], &length[..], &contents].concat();
    jpeg.splice(2..2, segment);
    jpeg
}

#[test]
fn a_jpeg_with_content_credentials_is_saved_byte_for_byte_with_a_sidecar_tools_read() {
    let dir = tempfile::tempdir().unwrap();
    let (out, data) = (dir.path().join("images"), dir.path().join("data"));
    let signed = jpeg_with_c2pa();
    assert!(provenance::has_content_credentials(&signed));
    let facts = provenance::Provenance {
        prompt: PROMPT.to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        ..provenance::Provenance::default()
    };
    let saved =
        peel::worker::delivery::save(11, &out, &data, &answer_with(&signed), Some(&facts)).unwrap();
    assert_eq!(std::fs::read(&saved.path).unwrap(), signed);
    let sidecar = out.join("peel-11.jpg.xmp");
    assert!(sidecar.is_file());
    assert!(
        saved.warnings[0].ends_with("wrote its record to peel-11.jpg.xmp."),
        "{:?}",
        saved.warnings
    );
    // `peel import` on the image finds the record in its sidecar.
    let output = crate::sim_rig::peel_command(&data, &["import", "--json"])
        .arg(&saved.path)
        .output()
        .unwrap();
    let imported: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(imported["source"], "peel", "{imported:#}");
    assert_eq!(imported["prompt"], PROMPT, "{imported:#}");
    if !exiftool_installed() {
        return;
    }
    let found = exiftool_xmp(&sidecar).unwrap();
    assert_eq!(found["XMP-dc:Description"], PROMPT, "{found:#}");
    assert_eq!(
        found["XMP-xmp:CreatorTool"],
        format!("Peel {} (gemini-3-pro-image)", env!("CARGO_PKG_VERSION")),
        "{found:#}"
    );
    assert_eq!(
        found["XMP-iptcExt:DigitalSourceType"], TRAINED_ALGORITHMIC_MEDIA,
        "{found:#}"
    );
}
