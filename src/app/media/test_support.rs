//! Helpers the media service's tests share: a service on the test's runtime, asking it and
//! waiting for its answers, and writing small test images.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{MediaEvent, MediaHandle, MediaRequest, spawn};

/// How long a test waits for one event.
pub(super) const WAIT: Duration = Duration::from_secs(30);

/// A service on the test's runtime, and the number of repaints it asked for.
pub(super) fn service() -> (MediaHandle, Arc<AtomicUsize>) {
    let repaints = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&repaints);
    let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (
        spawn(&tokio::runtime::Handle::current(), Some(repaint)),
        repaints,
    )
}

/// Sends `request` and waits for the next event.
pub(super) async fn ask(media: &mut MediaHandle, request: MediaRequest) -> MediaEvent {
    media.requests.send(request).await.unwrap();
    next(media).await
}

/// The next event (panics after [`WAIT`]).
pub(super) async fn next(media: &mut MediaHandle) -> MediaEvent {
    tokio::time::timeout(WAIT, media.events.recv())
        .await
        .expect("the media service answered in time")
        .expect("the media service is running")
}

/// Waits until `repaints` reaches `expected` (the service repaints just after each send, so
/// the count may trail the event by a moment), then checks it goes no further.
pub(super) async fn assert_repaints(repaints: &AtomicUsize, expected: usize) {
    let deadline = Instant::now() + WAIT;
    while repaints.load(Ordering::SeqCst) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(repaints.load(Ordering::SeqCst), expected);
}

/// The message of a `Failed` (or `Unreadable`) event (panics on anything else).
pub(super) fn failure(event: MediaEvent) -> String {
    match event {
        MediaEvent::Failed { message } | MediaEvent::Unreadable { message, .. } => message,
        other => panic!("expected Failed, got {other:?}"),
    }
}

/// Writes a `width`×`height` gradient image to `path` (format from the extension).
pub(super) fn write_image(path: &Path, width: u32, height: u32) {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    image.save(path).unwrap();
}
