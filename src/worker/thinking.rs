//! A thinking model's answer, streamed: each thought summary and interim image is handed to the
//! listeners as it arrives (the window shows it, `peel generate` prints a line), and recorded on
//! the job's outcome. Interim images are kept in the data folder while the job runs
//! ([`crate::store::interim`]), never in the designer's output folder, and go when the job ends.

use base64::Engine as _;
use tokio::sync::{mpsc, watch};

use super::engine::Engine;
use super::job::Run;
use super::protocol::{Event, InterimImage, ThoughtSeen};
use super::sink::EventSink;
use crate::api::stream::StreamThought;
use crate::api::wire::GenerateContentRequest;
use crate::api::{ApiError, GeminiClient, GenerateOutcome};
use crate::store::interim;

/// Thoughts waiting to be shown: the stream reads on while a few wait (each is at most an
/// interim image of about 1K).
const THOUGHTS_BUFFERED: usize = 4;

/// Largest side of an interim image Peel keeps (Pro's drafts are about 1K; more is not a draft).
const INTERIM_MAX_SIDE_PX: u32 = 8192;

impl Engine {
    /// Sends the request streamed and hands on each thought as it arrives; `None` when
    /// `cancelled` turned true first (the request is dropped at once).
    pub(super) async fn stream_with_thoughts(
        &self,
        run: &mut Run<'_>,
        client: &GeminiClient,
        model: &str,
        request: &GenerateContentRequest,
        events: &EventSink,
        cancelled: &mut watch::Receiver<bool>,
    ) -> Option<Result<GenerateOutcome, ApiError>> {
        let (thoughts_tx, mut thoughts) = mpsc::channel(THOUGHTS_BUFFERED);
        let call = client.stream_generate_content(model, request, thoughts_tx);
        tokio::pin!(call);
        let result = loop {
            tokio::select! {
                biased;
                // The guard `wait_for` gives is dropped inside: it may not live across an await.
                _ = async { cancelled.wait_for(|c| *c).await.is_ok() } => return None,
                Some(thought) = thoughts.recv() => self.thought_arrived(run, thought, events).await,
                result = &mut call => break result,
            }
        };
        // The last event's thoughts, parsed with the final image.
        while let Ok(thought) = thoughts.try_recv() {
            self.thought_arrived(run, thought, events).await;
        }
        Some(result)
    }

    /// Keeps one thought (its image in the data folder), records it on the outcome and tells
    /// the listeners. A thought with neither words nor a readable image is skipped.
    async fn thought_arrived(&self, run: &mut Run<'_>, thought: StreamThought, events: &EventSink) {
        let attempt = run.spent.attempts;
        let text = thought
            .part
            .text
            .clone()
            .filter(|text| !text.trim().is_empty());
        let image = match thought.part.inline_data {
            Some(blob) => {
                let data_dir = self.store().data_dir();
                let job = run.job();
                let index = thought.index;
                tokio::task::spawn_blocking(move || {
                    keep_interim_image(&data_dir, job, attempt, index, &blob.mime_type, &blob.data)
                })
                .await
                .ok()
                .flatten()
            }
            None => None,
        };
        if text.is_none() && image.is_none() {
            return;
        }
        let seen = ThoughtSeen {
            attempt,
            index: thought.index,
            at_s: thought.elapsed.as_secs_f64(),
            text,
            image,
        };
        run.outcome.thoughts.push(seen.clone());
        events
            .send(Event::Thought {
                job: run.job(),
                thought: seen,
            })
            .await;
    }

    /// Removes the interim images of `job` (it ended: its delivered turn keeps what an edit
    /// needs).
    pub(super) async fn forget_interim_images(&self, job: i64) {
        let data_dir = self.store().data_dir();
        let _ = tokio::task::spawn_blocking(move || interim::forget_job(&data_dir, job)).await;
    }
}

/// Decodes an interim image's base64, reads its pixel size from its header, and keeps it;
/// `None` (logged) when it is not an image Peel can show or the folder refuses it.
fn keep_interim_image(
    data_dir: &std::path::Path,
    job: i64,
    attempt: u32,
    index: u32,
    mime_type: &str,
    data: &str,
) -> Option<InterimImage> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .inspect_err(|error| tracing::info!(job, index, %error, "interim image is not base64"))
        .ok()?;
    let (width, height) = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .inspect_err(|error| tracing::info!(job, index, %error, "interim image unreadable"))
        .ok()?;
    if width.max(height) > INTERIM_MAX_SIDE_PX || width == 0 || height == 0 {
        tracing::info!(
            job,
            index,
            width,
            height,
            "interim image of an unlikely size, not kept"
        );
        return None;
    }
    let path = interim::keep_interim(data_dir, job, attempt, index, mime_type, &bytes)
        .inspect_err(|error| tracing::info!(job, index, %error, "interim image not kept"))
        .ok()?;
    Some(InterimImage {
        path,
        mime_type: mime_type.to_owned(),
        width,
        height,
    })
}
