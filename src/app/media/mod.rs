//! The media service: everything the window needs done with files, images, dialogs, the clipboard
//! and the keychain, done OFF the UI thread.
//!
//! The UI sends a [`MediaRequest`] over a bounded channel and later drains [`MediaEvent`]s from
//! another bounded channel (in `logic`, never blocking). [`spawn`] starts one receiving task on the
//! given tokio runtime; each request then runs in its own task, so a slow file dialog never holds
//! back gallery thumbnails. Disk reads and writes, decoding, encoding, clipboard and keychain calls
//! run in `tokio::task::spawn_blocking`; at most [`MAX_PARALLEL_DECODES`] images are decoded at
//! once so a full gallery cannot fill memory. The repaint callback runs after every event.
//!
//! Every failure comes back as one [`MediaEvent::Failed`] sentence saying what happened and what
//! to do. No sentence ever contains the API key.
//!
//! This file holds the service itself (messages, [`spawn`], dispatch, deleting files); each kind
//! of work has its own file:
//!
//! - `decode`: decoding images scaled to the size they are shown at (`decode::scale_on_load`),
//!   gallery thumbnails (cached on disk) and the large view.
//! - `references`: reading reference files (checked before reading: size, type by its bytes,
//!   the 7 MB inline limit), kept once by hash in the data folder, with a thumbnail.
//! - `shrink_reference`: a reference too large to send, re-encoded as a 2048 px JPEG within the
//!   limit (the only "shrink" here; `decode` scales images for display).
//! - `dropped`: dropped files: an image Peel made restores its settings, others are references.
//! - `clipboard`: copying an image, pasting a reference.
//! - `dialogs`: the reference picker, Save as… and the folder picker (the copy itself is
//!   `store::files`').
//! - `batch`: several jobs at once: Save selected… (copies that never overwrite) and Export
//!   selected… (`store::export`'s folders).
//! - `keychain_requests`: the service's answers to the API key's requests ([`KeychainRequest`],
//!   [`KeychainEvent`]), through the one keychain module, [`crate::app::keychain`].
//! - `sentences`: wording the parts share (file names, read and write failures).

mod batch;
mod clipboard;
mod decode;
mod dialogs;
mod dropped;
mod keychain_requests;
mod references;
mod sentences;
pub mod shrink_reference;
#[cfg(test)]
mod test_support;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

pub use crate::job::reference_check::MAX_REFERENCE_BYTES;
pub use crate::view::media::{
    KeychainEvent, KeychainRequest, LoadedReference, MediaEvent, MediaRequest,
};
pub use clipboard::PASTED_NAME;
pub use decode::FULL_IMAGE_MAX_SIDE_PX;
pub use dialogs::REFERENCE_EXTENSIONS;
pub use references::REFERENCE_THUMBNAIL_SIDE_PX;

use crate::store::Store;
use clipboard::ClipboardSlot;
use sentences::{detail, display_name, write_reason};

/// Capacity of the request channel (UI → media service).
pub const REQUEST_CAPACITY: usize = 64;

/// Capacity of the event channel (media service → UI).
pub const EVENT_CAPACITY: usize = 64;

/// How many images are decoded (or encoded) at the same time at most.
pub const MAX_PARALLEL_DECODES: usize = 4;

/// The UI's side of the media service.
#[derive(Debug)]
pub struct MediaHandle {
    /// Requests to the service (`try_send` from the UI; a full channel means "busy").
    pub requests: mpsc::Sender<MediaRequest>,
    /// Events from the service (`try_recv` from the UI).
    pub events: mpsc::Receiver<MediaEvent>,
}

/// Starts the media service on `runtime`. `repaint` runs after every event (the UI's
/// `request_repaint`). The service stops when [`MediaHandle::requests`] is dropped.
pub fn spawn(
    runtime: &tokio::runtime::Handle,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
) -> MediaHandle {
    start(runtime, repaint, None, None)
}

/// Like [`spawn`], keeping gallery thumbnails in `<data_dir>/thumbs` (content-addressed; a
/// missing or unreadable one is rebuilt), so reopening a gallery decodes nothing twice. With
/// `store` (the window's database), Export selected… can read the jobs it exports.
pub fn spawn_with_cache(
    runtime: &tokio::runtime::Handle,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
    data_dir: &Path,
    store: Option<Arc<Store>>,
) -> MediaHandle {
    start(runtime, repaint, Some(data_dir), store)
}

fn start(
    runtime: &tokio::runtime::Handle,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
    data_dir: Option<&Path>,
    store: Option<Arc<Store>>,
) -> MediaHandle {
    let thumbs = data_dir.map(crate::store::thumbs::folder);
    let data_dir = store
        .as_ref()
        .map(|store| store.data_dir())
        .or_else(|| data_dir.map(Path::to_path_buf));
    let (request_tx, mut request_rx) = mpsc::channel::<MediaRequest>(REQUEST_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel::<MediaEvent>(EVENT_CAPACITY);
    let service = Arc::new(Service {
        events: EventSender::new(event_tx, repaint),
        clipboard: Arc::default(),
        decoders: Arc::new(Semaphore::new(MAX_PARALLEL_DECODES)),
        thumbs,
        store,
        data_dir,
    });
    let tasks = runtime.clone();
    runtime.spawn(async move {
        while let Some(request) = request_rx.recv().await {
            tasks.spawn(Arc::clone(&service).handle(request));
        }
        let clipboard = Arc::clone(&service.clipboard);
        drop(service);
        clipboard::release(clipboard).await;
    });
    MediaHandle {
        requests: request_tx,
        events: event_rx,
    }
}

/// The media service's events go through the engine's kind of sink (send, then repaint).
type EventSender = crate::worker::sink::Sink<MediaEvent>;

impl EventSender {
    /// Sends a [`MediaEvent::Failed`].
    async fn fail(&self, message: String) {
        self.send(MediaEvent::Failed { message }).await;
    }
}

/// State shared by the service's tasks.
struct Service {
    /// Where events go.
    events: EventSender,
    /// The session's clipboard.
    clipboard: ClipboardSlot,
    /// Permits for decoding (and encoding) images, [`MAX_PARALLEL_DECODES`] of them.
    decoders: Arc<Semaphore>,
    /// The thumbnail cache folder (`<data>/thumbs`), when there is one.
    thumbs: Option<PathBuf>,
    /// The database, for exporting jobs (the window's; `None` in a window without one).
    store: Option<Arc<Store>>,
    /// The data folder, whose `references/` keeps each reference added (the database's folder,
    /// where the worker reads them back; `None` in a window without one).
    data_dir: Option<PathBuf>,
}

impl Service {
    /// The folder whose `references/` keeps the references added: the data folder, or (in a
    /// window without one, as in tests) `peel-references` in the system's temporary folder.
    #[expect(
        clippy::disallowed_methods,
        reason = "a fixed, content-addressed folder for a window without a data folder (tests): \
                  not a temporary file, nothing to clean up per run"
    )]
    fn references_home(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("peel-references"))
    }
}

impl Service {
    /// Handles one request, sending its events. Each arm is one method in the file of its kind of
    /// work.
    async fn handle(self: Arc<Self>, request: MediaRequest) {
        match request {
            MediaRequest::Thumbnail { path, max_side_px } => {
                self.show(path, max_side_px.max(1), false).await;
            }
            MediaRequest::FullImage { path, max_side_px } => {
                self.show(path, max_side_px.clamp(1, FULL_IMAGE_MAX_SIDE_PX), true)
                    .await;
            }
            MediaRequest::LoadReferences { paths } => self.load_references(paths).await,
            MediaRequest::LoadDropped { paths } => self.load_dropped(paths).await,
            MediaRequest::PickReferences => self.pick_references().await,
            MediaRequest::PasteReference => self.paste_reference().await,
            MediaRequest::ShrinkReference { path } => self.shrink_reference(path).await,
            MediaRequest::SaveAs {
                source,
                suggested_name,
            } => self.save_as(source, suggested_name).await,
            MediaRequest::SaveMany { sources } => self.save_many(sources).await,
            MediaRequest::ExportMany { jobs } => self.export_many(jobs).await,
            MediaRequest::CopyImage { source } => self.copy_image(source).await,
            MediaRequest::DeleteFile { path } => self.delete_file(path).await,
            MediaRequest::Keychain(request) => {
                let answer = keychain_requests::answer(request).await;
                self.events.send(MediaEvent::Keychain(answer)).await;
            }
        }
    }

    /// Deletes `path`; a file that is already gone counts as deleted.
    async fn delete_file(&self, path: PathBuf) {
        let removed = {
            let path = path.clone();
            off_thread("deleting the image", move || match fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(format!(
                    "Could not delete {}: {}. Check the folder's permissions, or delete the file \
                     yourself.",
                    display_name(&path),
                    write_reason(&e)
                )),
            })
            .await
            .and_then(|result| result)
        };
        let event = match removed {
            Ok(()) => MediaEvent::Deleted { path },
            Err(message) => MediaEvent::Unreadable { path, message },
        };
        self.events.send(event).await;
    }
}

/// Runs blocking work on tokio's blocking pool. `Err` is the sentence for a panic or a runtime
/// shutting down (`what` says what Peel was doing).
async fn off_thread<T, F>(what: &str, work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        format!(
            "Peel hit an internal error while {what} ({}). Try again; if it keeps happening, \
             restart Peel.",
            detail(&e)
        )
    })
}

/// Like [`off_thread`] for work that itself answers with a sentence: one `Result` either way.
async fn off_thread_flat<T, F>(what: &str, work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    off_thread(what, work).await.and_then(|result| result)
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use super::test_support::{WAIT, ask, failure, service, write_image};
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn missing_files_fail_with_a_sentence_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.png");
        let (mut media, _) = service();

        for request in [
            MediaRequest::Thumbnail {
                path: gone.clone(),
                max_side_px: 128,
            },
            MediaRequest::FullImage {
                path: gone.clone(),
                max_side_px: 1400,
            },
            MediaRequest::LoadReferences {
                paths: vec![gone.clone()],
            },
            MediaRequest::CopyImage {
                source: gone.clone(),
            },
            MediaRequest::SaveAs {
                source: gone.clone(),
                suggested_name: "gone.png".to_owned(),
            },
        ] {
            let message = failure(ask(&mut media, request).await);
            assert!(message.contains("gone.png"), "{message}");
            assert!(message.contains("not there any more"), "{message}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn delete_removes_the_file_and_a_missing_file_counts_as_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("generated.png");
        write_image(&path, 8, 8);
        let (mut media, _) = service();

        let event = ask(&mut media, MediaRequest::DeleteFile { path: path.clone() }).await;
        assert_eq!(event, MediaEvent::Deleted { path: path.clone() });
        assert!(!path.exists());
        let again = ask(&mut media, MediaRequest::DeleteFile { path: path.clone() }).await;
        assert_eq!(again, MediaEvent::Deleted { path });
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn deleting_a_folder_fails_with_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("images");
        fs::create_dir(&folder).unwrap();
        let (mut media, _) = service();

        let message = failure(
            ask(
                &mut media,
                MediaRequest::DeleteFile {
                    path: folder.clone(),
                },
            )
            .await,
        );
        assert!(message.contains("Could not delete images"), "{message}");
        assert!(folder.exists());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_service_stops_when_the_ui_drops_its_sender() {
        let (media, _) = service();
        let MediaHandle {
            requests,
            mut events,
        } = media;
        drop(requests);
        let closed = tokio::time::timeout(WAIT, events.recv()).await.unwrap();
        assert_eq!(closed, None);
    }
}
