//! Putting a checked answer on disk: the final image, its provenance written into the file (see
//! `provenance`; an image carrying C2PA content credentials is left as it came, and the record
//! goes to an XMP sidecar beside it, which the why-panel names), into the designer's output
//! folder (or, if that fails, into the data folder, so a paid image is never thrown away), the
//! thought images once under the data folder's `images/`, and the model's turn, with file
//! stand-ins instead of bytes, under `turns/` for edits. Only the final image's write can fail the delivery; anything
//! after it becomes a warning on a delivered job.
//!
//! [`save`] is blocking file I/O (call it from `spawn_blocking`); [`Engine::deliver`] runs it there,
//! holds the image in memory when no folder takes it ([`super::unwritten`]), and records the
//! delivery in one transaction.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::engine::Engine;
use super::history::remove_files;
use super::protocol::{Event, JobId, JobOutcome, JobState};
use super::received::{Received, ReceivedImage};
use super::sink::EventSink;
use crate::api::catalog::ModelEntry;
use crate::api::wire::{Content, GenerateContentResponse};
use crate::provenance::{self, Provenance};
use crate::store::files::{WriteError, write_atomically, write_new};
use crate::store::turns::{extension, keep_image, keep_thought_image, save_turn, sha256_hex};

/// An answer whose final image neither the output folder nor the data folder took: handed back
/// whole, so the engine can keep it in memory and write it later ([`super::unwritten`]).
#[derive(Debug)]
pub struct NotSaved {
    /// Why the data folder refused it (the last place tried).
    pub error: WriteError,
    /// The answer, untouched.
    pub received: Box<Received>,
}

/// What was written.
#[derive(Debug)]
pub struct Saved {
    /// The final image.
    pub path: PathBuf,
    /// Its type.
    pub mime_type: String,
    /// What went wrong after the image was safe (each a sentence).
    pub warnings: Vec<String>,
}

/// Writes the final image of `received` as `peel-<job>.<ext>` in `image_dir` (never over an
/// earlier file), keeps its thought images and turn in `data_dir`, and says what it wrote.
/// `received` must have a final image. With `provenance` (the job's facts), the file carries it,
/// completed with what the answer says (model version, finish reason, tokens). It only reads
/// `received`: when neither folder takes the final image, the caller still has the answer
/// ([`keep_while_writing`]).
pub fn save(
    job: i64,
    image_dir: &Path,
    data_dir: &Path,
    received: &Received,
    provenance: Option<&Provenance>,
) -> Result<Saved, WriteError> {
    let Some(final_image) = received.final_image() else {
        return Err(WriteError {
            path: image_dir.to_path_buf(),
            source: std::io::Error::other("the answer had no image"),
        });
    };
    let (candidate, _) = final_image.position;
    let provenance =
        provenance.map(|facts| with_answer(facts.clone(), &received.response, candidate));
    let (path, mut warnings) =
        write_final(job, image_dir, data_dir, final_image, provenance.as_ref())?;
    let absolute = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    // The turn holds stand-ins, not image bytes: a small copy.
    if let Some(turn) = received
        .response
        .candidates
        .get(candidate)
        .and_then(|c| c.content.clone())
    {
        warnings.extend(keep_turn(
            job,
            data_dir,
            turn,
            &received.images,
            final_image,
            &absolute,
        ));
    }
    Ok(Saved {
        path,
        mime_type: final_image.mime_type.clone(),
        warnings,
    })
}

/// Runs `write` (a blocking write of `received`, such as [`save`]) on the blocking pool and keeps
/// the answer whatever happens: refused by the disk, or even a panic in the write, hands it back
/// in [`NotSaved`] to be held in memory and written again, never lost after it was paid for.
pub async fn keep_while_writing(
    received: Received,
    image_dir: &Path,
    write: impl FnOnce(&Received) -> Result<Saved, WriteError> + Send + 'static,
) -> Result<Saved, NotSaved> {
    let received = std::sync::Arc::new(received);
    let writing = std::sync::Arc::clone(&received);
    // The closure's copy is dropped when it returns or unwinds: the answer is ours alone again.
    let written = tokio::task::spawn_blocking(move || write(&writing)).await;
    let error = match written {
        Ok(Ok(saved)) => return Ok(saved),
        Ok(Err(error)) => error,
        Err(stopped) => WriteError {
            path: image_dir.to_path_buf(),
            source: std::io::Error::other(format!(
                "Peel's image writer stopped unexpectedly ({stopped}); this is a bug, please report it"
            )),
        },
    };
    match std::sync::Arc::try_unwrap(received) {
        Ok(received) => Err(NotSaved {
            error,
            received: Box::new(received),
        }),
        // Only if the blocking task still ran, which `await` rules out.
        Err(_) => unreachable!("the write task ended, so it holds no copy of the answer"),
    }
}

/// `facts` completed with what the answer says about candidate `candidate`.
fn with_answer(
    facts: Provenance,
    response: &GenerateContentResponse,
    candidate: usize,
) -> Provenance {
    let usage = response.usage_metadata.as_ref();
    let finish_reason = response
        .candidates
        .get(candidate)
        .and_then(|candidate| candidate.finish_reason.as_ref())
        .and_then(|reason| serde_json::to_value(reason).ok())
        .and_then(|value| value.as_str().map(str::to_owned));
    Provenance {
        created_at: facts.created_at.or_else(|| Some(Timestamp::now())),
        model_version: response.model_version.clone(),
        finish_reason,
        input_tokens: usage.and_then(|usage| usage.prompt_token_count),
        output_tokens: usage.and_then(|usage| usage.candidates_token_count),
        ..facts
    }
}

/// Writes the final image (with `provenance` inside, when it can hold it) into the output
/// folder, or (when that fails) into the data folder, saying so. An image with content
/// credentials is written as it came, and `provenance` goes to a sidecar beside it.
fn write_final(
    job: i64,
    image_dir: &Path,
    data_dir: &Path,
    image: &ReceivedImage,
    provenance: Option<&Provenance>,
) -> Result<(PathBuf, Vec<String>), WriteError> {
    let mut warnings = Vec::new();
    let (bytes, sidecar) = file_contents(image, provenance, &mut warnings);
    let suffix = format!(".{}", extension(&image.mime_type));
    let written = match write_new(image_dir, &format!("peel-{job}"), &suffix, &bytes) {
        Ok(written) => written,
        Err(error) => {
            let sha256 = sha256_hex(&image.bytes);
            let Ok(kept) = keep_image(data_dir, &sha256, &image.mime_type, &bytes) else {
                return Err(error);
            };
            warnings.push(format!(
                "{error} The image was kept in {} instead.",
                kept.display()
            ));
            kept
        }
    };
    if let Some(sidecar) = sidecar {
        warnings.push(write_sidecar(&written, &sidecar));
    }
    Ok((written, warnings))
}

/// The bytes to write for `image` (with `provenance` inside when the file can hold it), and the
/// sidecar's text when it must stay untouched (it carries content credentials).
fn file_contents<'a>(
    image: &'a ReceivedImage,
    provenance: Option<&Provenance>,
    warnings: &mut Vec<String>,
) -> (std::borrow::Cow<'a, [u8]>, Option<String>) {
    let untouched = std::borrow::Cow::Borrowed(image.bytes.as_slice());
    match provenance.map(|facts| (facts, provenance::insert(&image.bytes, facts))) {
        Some((_, Ok(bytes))) => (std::borrow::Cow::Owned(bytes), None),
        Some((_, Err(provenance::ProvenanceError::Unsupported))) | None => (untouched, None),
        Some((facts, Err(provenance::ProvenanceError::ContentCredentials))) => {
            match provenance::sidecar(facts) {
                Ok(sidecar) => (untouched, Some(sidecar)),
                Err(error) => {
                    warnings.push(format!(
                        "The image carries Google's content credentials (C2PA), so Peel left it untouched; its record could not be made: {error}."
                    ));
                    (untouched, None)
                }
            }
        }
        Some((_, Err(error))) => {
            warnings.push(format!(
                "The image is saved without its settings inside: {error}."
            ));
            (untouched, None)
        }
    }
}

/// Writes `sidecar` beside the image at `image` (crash-safe, as the image) and says what
/// happened, for the why-panel.
fn write_sidecar(image: &Path, sidecar: &str) -> String {
    let path = provenance::sidecar_path(image);
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    match write_atomically(&path, sidecar.as_bytes()) {
        Ok(()) => format!(
            "The image carries Google's content credentials (C2PA); Peel left it untouched and wrote its record to {name}."
        ),
        Err(error) => format!(
            "The image carries Google's content credentials (C2PA); Peel left it untouched, but its record could not be written to {name}: {error}"
        ),
    }
}

/// Keeps the model's turn for edits, each image part pointing at its file (the final image at
/// `final_path`, thought images kept once in the data folder); returns what went wrong.
fn keep_turn(
    job: i64,
    data_dir: &Path,
    mut turn: Content,
    images: &[ReceivedImage],
    final_image: &ReceivedImage,
    final_path: &Path,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let candidate = final_image.position.0;
    for image in images.iter().filter(|image| image.position.0 == candidate) {
        let Some(stand_in) = turn
            .parts
            .get_mut(image.position.1)
            .and_then(|part| part.inline_data.as_mut())
            .and_then(|blob| blob.stand_in.as_mut())
        else {
            continue;
        };
        if std::ptr::eq(image, final_image) {
            stand_in.file = Some(final_path.display().to_string());
            continue;
        }
        let sha256 = stand_in
            .sha256
            .clone()
            .unwrap_or_else(|| sha256_hex(&image.bytes));
        match keep_thought_image(data_dir, &sha256, &image.mime_type, &image.bytes) {
            Ok(kept) => stand_in.file = Some(kept.display().to_string()),
            Err(error) => warnings.push(format!(
                "A draft image of the answer could not be kept ({error}), so editing this image may fail."
            )),
        }
    }
    if let Err(error) = save_turn(data_dir, job, &turn) {
        warnings.push(format!(
            "The image is saved, but the model's answer needed to edit it could not be kept: {error}"
        ));
    }
    warnings
}

impl Engine {
    /// Puts a checked answer on disk and records it; the job is delivered even when something
    /// after the image's write fails (each such failure is named in the reason). A job deleted
    /// meanwhile stays deleted, and its files go. The image file carries `provenance`. When no
    /// folder takes the image, it is kept in memory and the job waits, saying where it is
    /// ([`Engine::hold_unwritten`]).
    pub(super) async fn deliver(
        &self,
        outcome: JobOutcome,
        model: &ModelEntry,
        received: Received,
        provenance: Provenance,
        events: &EventSink,
    ) -> JobOutcome {
        match self.write_image(outcome.job, received, &provenance).await {
            Ok(saved) => self.record_delivery(outcome, model, saved, events).await,
            Err(not_saved) => {
                self.hold_unwritten(outcome, model.clone(), not_saved, provenance, events)
                    .await
            }
        }
    }

    /// Writes the final image (and the turn) on the blocking pool; whatever fails, even a panic
    /// in the write, the answer comes back to be held ([`keep_while_writing`]).
    pub(super) async fn write_image(
        &self,
        job: JobId,
        received: Received,
        provenance: &Provenance,
    ) -> Result<Saved, NotSaved> {
        let image_dir = self.config.image_dir.clone();
        let data_dir = self.store().data_dir();
        let provenance = provenance.clone();
        let folder = image_dir.clone();
        keep_while_writing(received, &folder, move |received| {
            save(job, &image_dir, &data_dir, received, Some(&provenance))
        })
        .await
    }

    /// Records a written image as the job's delivery and tells the listeners.
    pub(super) async fn record_delivery(
        &self,
        mut outcome: JobOutcome,
        model: &ModelEntry,
        saved: Saved,
        events: &EventSink,
    ) -> JobOutcome {
        let job = outcome.job;
        let mut warnings = saved.warnings;
        let (path, model_id) = (saved.path.display().to_string(), model.id.clone());
        let recorded = self
            .db(move |store| store.record_delivery(job, &path, &model_id, Timestamp::now()))
            .await;
        match recorded {
            Ok(true) => {
                let image = saved.path.clone();
                let trash = self.trash.clone();
                let _ = self
                    .db(move |store| Ok(remove_files(store, &trash, job, &image)))
                    .await;
                return self
                    .finish(
                        outcome,
                        JobState::Cancelled,
                        "deleted while its image arrived".to_owned(),
                        events,
                    )
                    .await;
            }
            Ok(false) => {}
            Err(error) => warnings.push(format!(
                "The image is saved at {}, but Peel's history could not record it ({error}), so it may be missing from the gallery after a restart.",
                saved.path.display()
            )),
        }
        for warning in &warnings {
            tracing::warn!("job {job}: {warning}");
        }
        events
            .send(Event::ImageArrived {
                job,
                path: saved.path.clone(),
                mime_type: saved.mime_type,
            })
            .await;
        outcome.image_path = Some(saved.path);
        outcome.model_used = Some(model.id.clone());
        let mut reason = if outcome.changes.is_empty() {
            format!("made with {}", model.describe())
        } else {
            format!(
                "made with fallback {}: {}",
                model.describe(),
                outcome.changes.join(", ")
            )
        };
        for warning in warnings {
            reason.push_str(". ");
            reason.push_str(&warning);
        }
        self.finish(outcome, JobState::Delivered, reason, events)
            .await
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::api::wire::GenerateContentResponse;
    use crate::store::turns::{load_turn, resolve};
    use crate::worker::received::{Expected, receive};

    fn jpeg(seed: u8) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(40, 30, image::Rgb([seed, 80, 160]));
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn answer(draft: &[u8], last: &[u8]) -> Received {
        let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let body = serde_json::json!({"candidates": [{"content": {"role": "model", "parts": [
            {"inlineData": {"mimeType": "image/jpeg", "data": base64(draft)}, "thought": true},
            {"text": "Here it is", "thoughtSignature": "dGV4dA=="},
            {"inlineData": {"mimeType": "image/jpeg", "data": base64(last)}, "thoughtSignature": "aW1n"}
        ]}, "finishReason": "STOP"}]});
        let response: GenerateContentResponse = serde_json::from_value(body).unwrap();
        receive(response, Expected { long_side_px: None })
    }

    #[test]
    fn each_image_is_written_once_and_the_turn_refers_to_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let (out, data) = (dir.path().join("out"), dir.path().join("data"));
        let (draft, last) = (jpeg(10), jpeg(200));
        let facts = Provenance {
            prompt: "a red kite".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            attempts: 2,
            ..Provenance::default()
        };
        let saved = save(7, &out, &data, &answer(&draft, &last), Some(&facts)).unwrap();
        assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);
        assert_eq!(saved.path, out.join("peel-7.jpg"));
        // The file carries the job's provenance, and stripping it gives the answer's bytes.
        let written = std::fs::read(&saved.path).unwrap();
        assert_eq!(provenance::strip(&written).as_ref(), last.as_slice());
        let found = provenance::read(&written).unwrap().peel.unwrap();
        assert_eq!(found.prompt, "a red kite");
        assert_eq!(found.attempts, 2);
        assert_eq!(found.finish_reason.as_deref(), Some("STOP"));
        // The output folder holds the image and nothing else.
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
        let turn = load_turn(&data, 7, None).unwrap();
        let text = serde_json::to_string(&turn).unwrap();
        assert!(text.len() < 2048, "{text}");
        let resolved = resolve(&[turn]).unwrap();
        let parts = &resolved[0].parts;
        let decode = |part: &crate::api::wire::Part| {
            base64::engine::general_purpose::STANDARD
                .decode(&part.inline_data.as_ref().unwrap().data)
                .unwrap()
        };
        assert_eq!(decode(&parts[0]), draft);
        assert_eq!(decode(&parts[2]), last);
        assert_eq!(parts[2].thought_signature.as_deref(), Some("aW1n"));
        // A second image for the same job never replaces the first.
        let again = save(7, &out, &data, &answer(&draft, &last), None).unwrap();
        assert_eq!(again.path, out.join("peel-7-2.jpg"));
    }

    /// `jpeg` with an APP11 segment holding a JUMBF box labelled `c2pa` after its JFIF header,
    /// as a JPEG with content credentials carries it.
    fn with_c2pa(mut jpeg: Vec<u8>) -> Vec<u8> {
        let mut contents = b"JP\0\x01\0\0\0\x01\0\0\0\x16jumb\0\0\0\x0ejumdc2pa\0\0".to_vec();
        contents.extend_from_slice(&[0xAB; 64]);
        let segment =
            img_parts::jpeg::JpegSegment::new_with_contents(0xEB, img_parts::Bytes::from(contents))
                .encoder()
                .bytes();
        let app0_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
        jpeg.splice(app0_end..app0_end, segment.iter().copied());
        jpeg
    }

    #[test]
    fn an_image_with_content_credentials_is_saved_untouched_with_a_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let (out, data) = (dir.path().join("out"), dir.path().join("data"));
        let signed = with_c2pa(jpeg(120));
        assert!(provenance::has_content_credentials(&signed));
        let facts = Provenance {
            prompt: "a kite & a <string>".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            ..Provenance::default()
        };
        let saved = save(9, &out, &data, &answer(&jpeg(1), &signed), Some(&facts)).unwrap();
        // Google's bytes, exactly: no segment inserted, nothing re-encoded.
        assert_eq!(std::fs::read(&saved.path).unwrap(), signed);
        let sidecar = out.join("peel-9.jpg.xmp");
        let text = std::fs::read_to_string(&sidecar).unwrap();
        for field in [
            "<rdf:li xml:lang=\"x-default\">a kite &amp; a &lt;string&gt;</rdf:li>",
            "<xmp:CreatorTool>Peel ",
            "(gemini-3-pro-image)</xmp:CreatorTool>",
            "<xmp:CreateDate>",
            provenance::TRAINED_ALGORITHMIC_MEDIA,
        ] {
            assert!(text.contains(field), "{field} is missing: {text}");
        }
        let record = provenance::read(text.as_bytes()).unwrap().peel.unwrap();
        assert_eq!(record.prompt, "a kite & a <string>");
        assert_eq!(record.finish_reason.as_deref(), Some("STOP"));
        // The why-panel's sentence names the sidecar.
        assert_eq!(
            saved.warnings,
            [
                "The image carries Google's content credentials (C2PA); Peel left it untouched and wrote its record to peel-9.jpg.xmp."
            ]
        );
        // Deleting the job takes the sidecar with the image to the trash.
        let store = crate::store::Store::open(&data.join("peel.db")).unwrap();
        let trash = crate::store::trash::Trash::Folder(dir.path().join("trash"));
        crate::worker::history::remove_files(&store, &trash, 9, &saved.path).unwrap();
        assert!(!saved.path.exists());
        assert!(!sidecar.exists());
        assert!(
            dir.path().join("trash/peel-9.jpg.xmp").exists(),
            "in the trash with the image"
        );
    }

    #[test]
    fn when_every_name_is_taken_no_earlier_image_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (out, data) = (dir.path().join("out"), dir.path().join("data"));
        std::fs::create_dir_all(&out).unwrap();
        // Every name an image of job 4 may take is someone's file already.
        std::fs::write(out.join("peel-4.jpg"), b"an earlier image").unwrap();
        for n in 2..=crate::store::files::NUMBERED_NAMES {
            std::fs::write(out.join(format!("peel-4-{n}.jpg")), b"older").unwrap();
        }
        let last = jpeg(77);
        let saved = save(4, &out, &data, &answer(&jpeg(1), &last), None).unwrap();
        assert_eq!(
            std::fs::read(out.join("peel-4.jpg")).unwrap(),
            b"an earlier image"
        );
        assert_eq!(
            std::fs::read(out.join("peel-4-9999.jpg")).unwrap(),
            b"older"
        );
        // The paid image is kept in the data folder, and the warning says why.
        assert!(
            saved.path.starts_with(data.join("images")),
            "{}",
            saved.path.display()
        );
        assert_eq!(std::fs::read(&saved.path).unwrap(), last);
        assert!(
            saved.warnings[0].contains("already taken"),
            "{:?}",
            saved.warnings
        );
    }

    #[test]
    fn an_unwritable_output_folder_keeps_the_image_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-folder");
        std::fs::write(&blocker, b"a file where the folder should be").unwrap();
        let data = dir.path().join("data");
        let last = jpeg(99);
        let saved = save(
            3,
            &blocker.join("out"),
            &data,
            &answer(&jpeg(1), &last),
            None,
        )
        .unwrap();
        assert!(saved.path.starts_with(data.join("images")));
        assert_eq!(std::fs::read(&saved.path).unwrap(), last);
        assert_eq!(saved.warnings.len(), 1);
        assert!(
            saved.warnings[0].contains("kept in"),
            "{:?}",
            saved.warnings
        );
    }

    #[test]
    fn when_no_folder_takes_the_image_the_answer_comes_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        // A regular file where both folders should be: refused even for root.
        let blocker = dir.path().join("not-a-folder");
        std::fs::write(&blocker, b"a file where the folders should be").unwrap();
        let last = jpeg(42);
        let received = answer(&jpeg(2), &last);
        let error = save(
            5,
            &blocker.join("out"),
            &blocker.join("data"),
            &received,
            None,
        )
        .unwrap_err();
        assert!(error.to_string().contains("free space"), "{error}");
        let kept = received.final_image.unwrap();
        assert_eq!(received.images[kept].bytes, last);
        // Once a folder works, the same answer is saved.
        let out = dir.path().join("out");
        let saved = save(5, &out, &dir.path().join("data"), &received, None).unwrap();
        assert_eq!(std::fs::read(&saved.path).unwrap(), last);
    }

    #[tokio::test]
    #[expect(
        clippy::disallowed_methods,
        reason = "#[tokio::test] drives the test with block_on; a test is not the UI thread"
    )]
    async fn a_panic_while_writing_hands_the_paid_image_back() {
        let last = jpeg(42);
        let not_saved = keep_while_writing(
            answer(&jpeg(2), &last),
            Path::new("out"),
            |_: &Received| -> Result<Saved, WriteError> { panic!("a bug in the writer") },
        )
        .await
        .unwrap_err();
        assert!(
            not_saved.error.to_string().contains("stopped unexpectedly"),
            "{}",
            not_saved.error
        );
        let kept = not_saved.received.final_image.unwrap();
        assert_eq!(not_saved.received.images[kept].bytes, last);
    }
}
