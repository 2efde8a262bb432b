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

use std::borrow::Cow;
use std::fmt::Display;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use image::{ImageError, ImageFormat, RgbaImage};
use tokio::sync::{Semaphore, mpsc};

use super::keychain;
use crate::api::ApiKey;
use crate::worker::protocol::Reference;

/// Capacity of the request channel (UI → media service).
pub const REQUEST_CAPACITY: usize = 64;

/// Capacity of the event channel (media service → UI).
pub const EVENT_CAPACITY: usize = 64;

/// Largest reference file accepted: Google's limit for inline request data is 20 MB.
pub const MAX_REFERENCE_BYTES: u64 = 20_000_000;

/// Longer side of a reference's thumbnail.
pub const REFERENCE_THUMBNAIL_SIDE_PX: u32 = 96;

/// Longer side of the large view's image at most.
pub const FULL_IMAGE_MAX_SIDE_PX: u32 = 4096;

/// File extensions offered by the reference file dialog.
pub const REFERENCE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "webp"];

/// Name shown for a reference pasted from the clipboard.
pub const PASTED_NAME: &str = "Pasted image";

/// How many images are decoded (or encoded) at the same time at most.
pub const MAX_PARALLEL_DECODES: usize = 4;

/// A save dialog that returns nothing this fast never reached a person: rfd reports "no portal
/// and no zenity" the same way as "cancelled", and nobody cancels a dialog within half a second.
const INSTANT_DIALOG_FAILURE: Duration = Duration::from_millis(500);

/// What the UI asks the media service to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaRequest {
    /// Decode `path` and shrink so the longer side is at most `max_side_px` (keep aspect), for the
    /// gallery.
    Thumbnail {
        /// The image file.
        path: PathBuf,
        /// Longer side of the thumbnail at most (images are never enlarged).
        max_side_px: u32,
    },
    /// Decode `path` at full size (the longer side capped at [`FULL_IMAGE_MAX_SIDE_PX`]) for the
    /// large view.
    FullImage {
        /// The image file.
        path: PathBuf,
    },
    /// Read image files as references (drag and drop, or after the file dialog).
    LoadReferences {
        /// The files, in the order they should be added.
        paths: Vec<PathBuf>,
    },
    /// Open the OS file dialog (several PNG, JPEG or WebP files) and load what was picked.
    PickReferences,
    /// Read an image from the clipboard, encode it as PNG and load it as a reference.
    PasteReference,
    /// Ask where to save, then copy `source` there (a temporary file in the target folder,
    /// flushed to disk, then renamed: never a partial file).
    SaveAs {
        /// The image file to copy.
        source: PathBuf,
        /// The file name the dialog proposes.
        suggested_name: String,
    },
    /// Put `source`'s image (decoded to RGBA) on the clipboard.
    CopyImage {
        /// The image file.
        source: PathBuf,
    },
    /// Delete a generated image file from disk.
    DeleteFile {
        /// The file.
        path: PathBuf,
    },
    /// Read the API key from the system keychain.
    LoadKey,
    /// Store the API key in the system keychain.
    StoreKey(ApiKey),
    /// Remove the API key from the system keychain.
    ForgetKey,
}

/// A reference image read from a file or the clipboard, ready to send and to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedReference {
    /// The file name, or [`PASTED_NAME`].
    pub name: String,
    /// The bytes as sent to Gemini (mime type and base64).
    pub reference: Reference,
    /// A thumbnail whose longer side is [`REFERENCE_THUMBNAIL_SIDE_PX`] at most.
    pub thumbnail: egui::ColorImage,
}

/// What the media service reports back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaEvent {
    /// A gallery thumbnail is ready.
    Thumbnail {
        /// The file it shows.
        path: PathBuf,
        /// The pixels.
        image: egui::ColorImage,
    },
    /// A large-view image is ready.
    FullImage {
        /// The file it shows.
        path: PathBuf,
        /// The pixels.
        image: egui::ColorImage,
    },
    /// A reference is ready.
    ReferenceLoaded(LoadedReference),
    /// A file was saved (Save as…).
    Saved {
        /// Where it was saved.
        to: PathBuf,
    },
    /// The image is on the clipboard.
    Copied,
    /// The file is gone from disk (also when it was already gone).
    Deleted {
        /// The file.
        path: PathBuf,
    },
    /// The key read from the keychain (`None`: nothing stored); `Err` carries the designer-facing
    /// sentence.
    KeyLoaded(Result<Option<ApiKey>, String>),
    /// The key was stored, or the sentence saying why not.
    KeyStored(Result<(), String>),
    /// The key was removed, or the sentence saying why not.
    KeyForgotten(Result<(), String>),
    /// A gallery or large-view image could not be shown (missing or damaged file).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The sentence.
        message: String,
    },
    /// Something failed: one sentence saying what happened and what to do.
    Failed {
        /// The sentence.
        message: String,
    },
    /// The designer closed a dialog without choosing (no message needed).
    DialogCancelled,
}

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
    let (request_tx, mut request_rx) = mpsc::channel::<MediaRequest>(REQUEST_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel::<MediaEvent>(EVENT_CAPACITY);
    let service = Arc::new(Service {
        events: EventSender {
            tx: event_tx,
            repaint,
        },
        clipboard: Arc::default(),
        decoders: Arc::new(Semaphore::new(MAX_PARALLEL_DECODES)),
    });
    let tasks = runtime.clone();
    runtime.spawn(async move {
        while let Some(request) = request_rx.recv().await {
            tasks.spawn(Arc::clone(&service).handle(request));
        }
        // Dropping an X11 clipboard may wait for a clipboard manager to take over what Peel
        // copied, so the last drop happens on a blocking thread, not on a runtime worker.
        let clipboard = Arc::clone(&service.clipboard);
        drop(service);
        let _ = tokio::task::spawn_blocking(move || {
            drop(lock(&clipboard).take());
        })
        .await;
    });
    MediaHandle {
        requests: request_tx,
        events: event_rx,
    }
}

/// Sends events and repaints after each one.
#[derive(Clone)]
struct EventSender {
    tx: mpsc::Sender<MediaEvent>,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl EventSender {
    /// Sends one event (waits while the channel is full) and then repaints. A closed channel
    /// (the window is gone) drops the event.
    async fn send(&self, event: MediaEvent) {
        if self.tx.send(event).await.is_ok()
            && let Some(repaint) = &self.repaint
        {
            repaint();
        }
    }

    /// Sends a [`MediaEvent::Failed`].
    async fn fail(&self, message: String) {
        self.send(MediaEvent::Failed { message }).await;
    }
}

/// The clipboard slot shared by the service's tasks. One `arboard::Clipboard` lives here for the
/// whole session: on Linux what Peel copied is only served while it is alive.
type ClipboardSlot = Arc<Mutex<Option<arboard::Clipboard>>>;

/// State shared by the service's tasks.
struct Service {
    events: EventSender,
    clipboard: ClipboardSlot,
    decoders: Arc<Semaphore>,
}

impl Service {
    /// Handles one request, sending its events.
    async fn handle(self: Arc<Self>, request: MediaRequest) {
        match request {
            MediaRequest::Thumbnail { path, max_side_px } => {
                self.show(path, max_side_px.max(1), false).await;
            }
            MediaRequest::FullImage { path } => {
                self.show(path, FULL_IMAGE_MAX_SIDE_PX, true).await;
            }
            MediaRequest::LoadReferences { paths } => self.load_references(paths).await,
            MediaRequest::PickReferences => self.pick_references().await,
            MediaRequest::PasteReference => self.paste_reference().await,
            MediaRequest::SaveAs {
                source,
                suggested_name,
            } => self.save_as(source, suggested_name).await,
            MediaRequest::CopyImage { source } => self.copy_image(source).await,
            MediaRequest::DeleteFile { path } => self.delete_file(path).await,
            MediaRequest::LoadKey => {
                let result = off_thread("reading the keychain", keychain::load).await;
                let event = result.and_then(|loaded| loaded.map_err(|e| e.to_string()));
                self.events.send(MediaEvent::KeyLoaded(event)).await;
            }
            MediaRequest::StoreKey(key) => {
                let result = off_thread("storing the key", move || keychain::store(&key)).await;
                let event = result.and_then(|stored| stored.map_err(|e| e.to_string()));
                self.events.send(MediaEvent::KeyStored(event)).await;
            }
            MediaRequest::ForgetKey => {
                let result = off_thread("forgetting the key", keychain::forget).await;
                let event = result.and_then(|forgot| forgot.map_err(|e| e.to_string()));
                self.events.send(MediaEvent::KeyForgotten(event)).await;
            }
        }
    }

    /// Decodes `path` for the gallery (`full == false`) or the large view.
    async fn show(&self, path: PathBuf, max_side_px: u32, full: bool) {
        let decoded = {
            let _permit = self.decoders.acquire().await;
            let path = path.clone();
            off_thread("opening an image", move || {
                decode_file(&path).map(|rgba| fitted_color_image(&rgba, max_side_px))
            })
            .await
            .and_then(|result| result)
        };
        let event = match decoded {
            Ok(image) if full => MediaEvent::FullImage { path, image },
            Ok(image) => MediaEvent::Thumbnail { path, image },
            Err(message) => MediaEvent::Unreadable { path, message },
        };
        self.events.send(event).await;
    }

    /// Loads each file in order: one `ReferenceLoaded` or one `Failed` per file.
    async fn load_references(&self, paths: Vec<PathBuf>) {
        for path in paths {
            let loaded = {
                let _permit = self.decoders.acquire().await;
                off_thread("reading a reference", move || load_reference(&path))
                    .await
                    .and_then(|result| result)
            };
            let event = match loaded {
                Ok(reference) => MediaEvent::ReferenceLoaded(reference),
                Err(message) => MediaEvent::Failed { message },
            };
            self.events.send(event).await;
        }
    }

    /// Opens the file dialog and loads what was picked.
    async fn pick_references(&self) {
        if let Some(reason) = dialog_missing_reason().await {
            self.events.fail(no_pick_dialog(reason)).await;
            return;
        }
        let picked = rfd::AsyncFileDialog::new()
            .set_title("Add reference images")
            .add_filter("PNG, JPEG or WebP image", &REFERENCE_EXTENSIONS)
            .pick_files()
            .await;
        // rfd answers `None` only when neither the desktop portal nor zenity could show a dialog,
        // and an empty list when the designer cancelled.
        match picked {
            None => {
                self.events
                    .fail(no_pick_dialog(
                        "neither the desktop portal nor zenity could open one",
                    ))
                    .await;
            }
            Some(files) if files.is_empty() => self.events.send(MediaEvent::DialogCancelled).await,
            Some(files) => {
                let paths = files.iter().map(|file| file.path().to_path_buf()).collect();
                self.load_references(paths).await;
            }
        }
    }

    /// Reads an image from the clipboard as a PNG reference.
    async fn paste_reference(&self) {
        let pasted = {
            let _permit = self.decoders.acquire().await;
            let slot = Arc::clone(&self.clipboard);
            off_thread("reading the clipboard", move || paste(&slot))
                .await
                .and_then(|result| result)
        };
        let event = match pasted {
            Ok(reference) => MediaEvent::ReferenceLoaded(reference),
            Err(message) => MediaEvent::Failed { message },
        };
        self.events.send(event).await;
    }

    /// Asks where to save and copies `source` there.
    async fn save_as(&self, source: PathBuf, suggested_name: String) {
        let name = display_name(&source);
        // No point asking where to save a file that is gone.
        let checked = {
            let source = source.clone();
            off_thread("checking the image", move || fs::metadata(&source))
                .await
                .map(|result| result.map_err(|e| read_sentence(&name, &e)))
                .and_then(|result| result)
        };
        if let Err(message) = checked {
            self.events.fail(message).await;
            return;
        }
        if let Some(reason) = dialog_missing_reason().await {
            self.events.fail(no_save_dialog(reason, &source)).await;
            return;
        }
        let mut dialog = rfd::AsyncFileDialog::new()
            .set_title("Save image as")
            .set_file_name(suggested_name);
        if let Some(extension) = source.extension().and_then(|e| e.to_str()) {
            let extension = extension.to_ascii_lowercase();
            dialog = dialog.add_filter(
                format!("{} image", extension.to_ascii_uppercase()),
                &[extension],
            );
        }
        let started = Instant::now();
        let Some(target) = dialog.save_file().await else {
            let event = if cfg!(all(unix, not(target_os = "macos")))
                && started.elapsed() < INSTANT_DIALOG_FAILURE
            {
                MediaEvent::Failed {
                    message: no_save_dialog(
                        "neither the desktop portal nor zenity could open one",
                        &source,
                    ),
                }
            } else {
                MediaEvent::DialogCancelled
            };
            self.events.send(event).await;
            return;
        };
        let target = target.path().to_path_buf();
        let copied = {
            let (source, target) = (source.clone(), target.clone());
            off_thread("saving the image", move || {
                copy_atomically(&source, &target).map_err(|e| write_reason(&e))
            })
            .await
            .and_then(|result| result)
        };
        let event = match copied {
            Ok(()) => MediaEvent::Saved { to: target },
            Err(reason) => MediaEvent::Failed {
                message: format!(
                    "Could not save {name} to {}: {reason}. Choose another folder; the image is \
                     still at {}.",
                    target.display(),
                    source.display()
                ),
            },
        };
        self.events.send(event).await;
    }

    /// Puts `source`'s pixels on the clipboard.
    async fn copy_image(&self, source: PathBuf) {
        let copied = {
            let _permit = self.decoders.acquire().await;
            let slot = Arc::clone(&self.clipboard);
            off_thread("copying the image", move || copy(&slot, &source))
                .await
                .and_then(|result| result)
        };
        let event = match copied {
            Ok(()) => MediaEvent::Copied,
            Err(message) => MediaEvent::Failed { message },
        };
        self.events.send(event).await;
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

/// Locks a mutex, carrying on after a panic elsewhere (the clipboard stays usable).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------
// Decoding and scaling.

/// Decodes an image file (format sniffed from the bytes) to RGBA.
fn decode_file(path: &Path) -> Result<RgbaImage, String> {
    let name = display_name(path);
    let reader = image::ImageReader::open(path)
        .map_err(|e| read_sentence(&name, &e))?
        .with_guessed_format()
        .map_err(|e| read_sentence(&name, &e))?;
    let image = reader.decode().map_err(|e| decode_sentence(&name, &e))?;
    Ok(image.into_rgba8())
}

/// Size of `width`×`height` shrunk so the longer side is `max_side_px` (keeps the aspect ratio,
/// rounds, never below 1 px). Unchanged when it already fits.
fn fit(width: u32, height: u32, max_side_px: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= max_side_px || longer == 0 {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(max_side_px) + u64::from(longer) / 2) / u64::from(longer);
        u32::try_from(scaled).unwrap_or(max_side_px).max(1)
    };
    (scale(width), scale(height))
}

/// `rgba` as an egui image whose longer side is at most `max_side_px` (never enlarged).
fn fitted_color_image(rgba: &RgbaImage, max_side_px: u32) -> egui::ColorImage {
    let (width, height) = rgba.dimensions();
    let (new_width, new_height) = fit(width, height, max_side_px);
    if (new_width, new_height) == (width, height) {
        to_color_image(rgba)
    } else {
        to_color_image(&image::imageops::thumbnail(rgba, new_width, new_height))
    }
}

/// The pixels as an egui image.
fn to_color_image(rgba: &RgbaImage) -> egui::ColorImage {
    let (width, height) = rgba.dimensions();
    egui::ColorImage::from_rgba_unmultiplied([width as usize, height as usize], rgba.as_raw())
}

// ---------------------------------------------------------------------------------------------
// References.

/// Reads a reference file: PNG, JPEG or WebP (sniffed from the bytes), at most
/// [`MAX_REFERENCE_BYTES`].
fn load_reference(path: &Path) -> Result<LoadedReference, String> {
    let name = display_name(path);
    let file = File::open(path).map_err(|e| read_sentence(&name, &e))?;
    let metadata = file.metadata().map_err(|e| read_sentence(&name, &e))?;
    if metadata.is_dir() {
        return Err(format!(
            "Could not read {name}: it is a folder, not an image. Add PNG, JPEG or WebP files."
        ));
    }
    if metadata.len() > MAX_REFERENCE_BYTES {
        return Err(too_big_sentence(&name, metadata.len()));
    }
    // Read one byte past the limit, in case the file grew since its size was read.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or_default());
    file.take(MAX_REFERENCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_sentence(&name, &e))?;
    if bytes.len() as u64 > MAX_REFERENCE_BYTES {
        return Err(too_big_sentence(&name, bytes.len() as u64));
    }
    let format = match image::guess_format(&bytes) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => format,
        Ok(other) => {
            let kind = other
                .extensions_str()
                .first()
                .map_or_else(|| format!("{other:?}"), |e| e.to_ascii_uppercase());
            return Err(format!(
                "Could not read {name}: it is not a PNG, JPEG or WebP image (it looks like a \
                 {kind} file). Add a PNG, JPEG or WebP file."
            ));
        }
        Err(_) => {
            return Err(format!(
                "Could not read {name}: it is not a PNG, JPEG or WebP image. Add a PNG, JPEG or \
                 WebP file."
            ));
        }
    };
    // Decoding checks the file is whole, and gives the thumbnail.
    let rgba = image::load_from_memory_with_format(&bytes, format)
        .map_err(|e| decode_sentence(&name, &e))?
        .into_rgba8();
    Ok(reference(name, format, &bytes, &rgba))
}

/// A reference from its encoded bytes and its pixels.
fn reference(name: String, format: ImageFormat, bytes: &[u8], rgba: &RgbaImage) -> LoadedReference {
    let mime_type = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        _ => "image/png",
    };
    LoadedReference {
        name,
        reference: Reference {
            mime_type: mime_type.to_owned(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        },
        thumbnail: fitted_color_image(rgba, REFERENCE_THUMBNAIL_SIDE_PX),
    }
}

// ---------------------------------------------------------------------------------------------
// Clipboard.

/// Why a clipboard call failed.
enum ClipboardFailure {
    /// No clipboard could be opened (no display).
    Unreachable(arboard::Error),
    /// The clipboard answered with an error.
    Refused(arboard::Error),
}

/// Runs `work` on the session's clipboard, opening it on first use.
fn with_clipboard<T>(
    slot: &Mutex<Option<arboard::Clipboard>>,
    work: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
) -> Result<T, ClipboardFailure> {
    let mut guard = lock(slot);
    let mut clipboard = match guard.take() {
        Some(clipboard) => clipboard,
        None => arboard::Clipboard::new().map_err(ClipboardFailure::Unreachable)?,
    };
    let result = work(&mut clipboard).map_err(ClipboardFailure::Refused);
    *guard = Some(clipboard);
    result
}

/// Reads the clipboard's image as a PNG reference.
fn paste(slot: &Mutex<Option<arboard::Clipboard>>) -> Result<LoadedReference, String> {
    let image =
        with_clipboard(slot, arboard::Clipboard::get_image).map_err(|failure| match failure {
            ClipboardFailure::Refused(arboard::Error::ContentNotAvailable) => {
                "The clipboard has no image. Copy an image first, or add a file.".to_owned()
            }
            ClipboardFailure::Refused(arboard::Error::ClipboardOccupied) => {
                "The clipboard is busy in another app. Try pasting again in a moment.".to_owned()
            }
            ClipboardFailure::Unreachable(e) => format!(
                "Peel cannot reach the clipboard on this desktop ({}). Drag the image file onto \
                 the window instead.",
                detail(&e)
            ),
            ClipboardFailure::Refused(e) => format!(
                "Could not read the image on the clipboard ({}). Copy it again, or add it as a \
                 file.",
                detail(&e)
            ),
        })?;
    let unreadable = || {
        "Could not read the image on the clipboard: its size does not match its pixels. Copy it \
         again, or add it as a file."
            .to_owned()
    };
    let width = u32::try_from(image.width).map_err(|_| unreadable())?;
    let height = u32::try_from(image.height).map_err(|_| unreadable())?;
    let rgba =
        RgbaImage::from_raw(width, height, image.bytes.into_owned()).ok_or_else(unreadable)?;
    let mut png = Vec::new();
    rgba.write_to(&mut io::Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| {
            format!(
                "Could not turn the clipboard's image into a PNG ({}). Save it as a file and \
                 add that instead.",
                detail(&e)
            )
        })?;
    if png.len() as u64 > MAX_REFERENCE_BYTES {
        return Err(format!(
            "The pasted image is {} as PNG, and Gemini takes at most 20 MB of inline images. \
             Paste a smaller image, or save it as JPEG and add the file.",
            megabytes(png.len() as u64)
        ));
    }
    Ok(reference(
        PASTED_NAME.to_owned(),
        ImageFormat::Png,
        &png,
        &rgba,
    ))
}

/// Decodes `source` and puts its pixels on the clipboard.
fn copy(slot: &Mutex<Option<arboard::Clipboard>>, source: &Path) -> Result<(), String> {
    let name = display_name(source);
    let rgba = decode_file(source)?;
    let (width, height) = rgba.dimensions();
    let image = arboard::ImageData {
        width: width as usize,
        height: height as usize,
        bytes: Cow::Owned(rgba.into_raw()),
    };
    with_clipboard(slot, |clipboard| clipboard.set_image(image)).map_err(|failure| match failure {
        ClipboardFailure::Unreachable(e) => format!(
            "Peel cannot reach the clipboard on this desktop ({}). Use Save as… to keep {name} \
             instead.",
            detail(&e)
        ),
        ClipboardFailure::Refused(e) => format!(
            "Could not put {name} on the clipboard ({}). Try again, or use Save as… instead.",
            detail(&e)
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Dialogs and saving.

/// Why no file dialog can open here, when that is certain before trying: rfd's Linux backend
/// needs a D-Bus session (for the desktop portal) or the `zenity` program.
async fn dialog_missing_reason() -> Option<&'static str> {
    if cfg!(all(unix, not(target_os = "macos"))) {
        // Checking for the bus socket and zenity touches the disk: do it off the runtime's
        // worker threads like every other file access.
        off_thread("looking for a file dialog", || {
            let non_empty = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
            let bus = non_empty("DBUS_SESSION_BUS_ADDRESS")
                || std::env::var_os("XDG_RUNTIME_DIR")
                    .is_some_and(|dir| Path::new(&dir).join("bus").exists())
                // libdbus can start a session bus on an X11 display by itself.
                || non_empty("DISPLAY");
            let zenity = std::env::var_os("PATH").is_some_and(|path| {
                std::env::split_paths(&path).any(|dir| dir.join("zenity").is_file())
            });
            (!bus && !zenity).then_some("no desktop portal and no zenity")
        })
        .await
        .ok()
        .flatten()
    } else {
        None
    }
}

/// The sentence for a reference dialog that cannot open.
fn no_pick_dialog(reason: &str) -> String {
    format!(
        "No file dialog is available on this desktop ({reason}). Drag image files onto the window \
         instead."
    )
}

/// The sentence for a save dialog that cannot open.
fn no_save_dialog(reason: &str, source: &Path) -> String {
    format!(
        "No file dialog is available on this desktop ({reason}); the image is still at {}.",
        source.display()
    )
}

/// Copies `source` to `target` without ever leaving a partial `target`: the bytes go to a new
/// file beside `target`, are flushed to disk, and the file is then renamed over `target`.
fn copy_atomically(source: &Path, target: &Path) -> io::Result<()> {
    let folder = match target.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let Some(file_name) = target.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the chosen name is not a file name",
        ));
    };
    let mut input = File::open(source)?;
    let (temp_path, mut output) = create_temp_beside(folder, &file_name.to_string_lossy())?;
    let placed = io::copy(&mut input, &mut output)
        .and_then(|_| output.sync_all())
        .and_then(|()| {
            drop(output);
            fs::rename(&temp_path, target)
        });
    if let Err(e) = placed {
        let _ = fs::remove_file(&temp_path);
        return Err(e);
    }
    // Make the rename itself durable. Best effort: not every file system can sync a folder.
    #[cfg(unix)]
    if let Ok(folder) = File::open(folder) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Creates a new, hidden temporary file in `folder`.
fn create_temp_beside(folder: &Path, file_name: &str) -> io::Result<(PathBuf, File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    for _ in 0..16 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = folder.join(format!(".{file_name}.peel-{}-{n}.part", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "could not find a free temporary file name",
    ))
}

// ---------------------------------------------------------------------------------------------
// Sentences.

/// The file's name for messages (the whole path when it has none).
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// An error's text without a trailing period, to sit inside parentheses.
fn detail(error: &dyn Display) -> String {
    error.to_string().trim_end_matches('.').to_owned()
}

/// "20.5 MB".
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// The sentence for a file that could not be read.
fn read_sentence(name: &str, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => format!(
            "Could not read {name}: the file is not there any more. Check whether it was moved \
             or deleted."
        ),
        io::ErrorKind::PermissionDenied => format!(
            "Could not read {name}: Peel is not allowed to open it. Check the file's permissions."
        ),
        io::ErrorKind::IsADirectory => {
            format!("Could not read {name}: it is a folder, not an image. Choose an image file.")
        }
        _ => format!(
            "Could not read {name} ({}). Check the file and try again.",
            detail(error)
        ),
    }
}

/// The sentence for an image that could not be decoded.
fn decode_sentence(name: &str, error: &ImageError) -> String {
    match error {
        ImageError::IoError(e) => read_sentence(name, e),
        ImageError::Unsupported(_) => format!(
            "Could not read {name}: it is not a PNG, JPEG or WebP image. Use a PNG, JPEG or WebP \
             file."
        ),
        ImageError::Limits(_) => {
            format!("Could not read {name}: the image is too large to open. Use a smaller image.")
        }
        other => format!(
            "Could not read {name}: the image data is damaged ({}). Export the image again and \
             retry.",
            detail(other)
        ),
    }
}

/// The sentence for a reference over the inline limit.
fn too_big_sentence(name: &str, bytes: u64) -> String {
    format!(
        "Could not add {name}: it is {}, and Gemini takes at most 20 MB of inline images per \
         request. Use a smaller file (for example, export it as JPEG).",
        megabytes(bytes)
    )
}

/// Why a write failed, as a clause.
fn write_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "Peel is not allowed to write there".to_owned()
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => "the disk is full".to_owned(),
        io::ErrorKind::NotFound => "the folder or the image is not there any more".to_owned(),
        _ => detail(error),
    }
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// How long a test waits for one event.
    const WAIT: Duration = Duration::from_secs(30);

    /// A service on the test's runtime, and the number of repaints it asked for.
    fn service() -> (MediaHandle, Arc<AtomicUsize>) {
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
    async fn ask(media: &mut MediaHandle, request: MediaRequest) -> MediaEvent {
        media.requests.send(request).await.unwrap();
        next(media).await
    }

    /// The next event (panics after [`WAIT`]).
    async fn next(media: &mut MediaHandle) -> MediaEvent {
        tokio::time::timeout(WAIT, media.events.recv())
            .await
            .expect("the media service answered in time")
            .expect("the media service is running")
    }

    /// Waits until `repaints` reaches `expected` (the service repaints just after each send, so
    /// the count may trail the event by a moment), then checks it goes no further.
    async fn assert_repaints(repaints: &AtomicUsize, expected: usize) {
        let deadline = Instant::now() + WAIT;
        while repaints.load(Ordering::SeqCst) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(repaints.load(Ordering::SeqCst), expected);
    }

    /// The message of a `Failed` event (panics on anything else).
    fn failure(event: MediaEvent) -> String {
        match event {
            MediaEvent::Failed { message } | MediaEvent::Unreadable { message, .. } => message,
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    /// Writes a `width`×`height` gradient image to `path` (format from the extension).
    fn write_image(path: &Path, width: u32, height: u32) {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        image.save(path).unwrap();
    }

    #[test]
    fn fit_keeps_the_aspect_ratio_and_never_enlarges() {
        assert_eq!(fit(400, 200, 128), (128, 64));
        assert_eq!(fit(100, 300, 50), (17, 50));
        assert_eq!(fit(5000, 100, 4096), (4096, 82));
        assert_eq!(fit(40, 20, 128), (40, 20));
        assert_eq!(fit(10_000, 1, 96), (96, 1));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_thumbnail_fits_the_asked_size_and_keeps_the_aspect_ratio() {
        let dir = tempfile::tempdir().unwrap();
        let wide = dir.path().join("wide.png");
        let tall = dir.path().join("tall.jpg");
        let small = dir.path().join("small.png");
        write_image(&wide, 400, 200);
        write_image(&tall, 100, 300);
        write_image(&small, 40, 20);
        let (mut media, repaints) = service();

        for (path, max_side_px, size) in [
            (&wide, 128, [128, 64]),
            (&tall, 50, [17, 50]),
            (&small, 128, [40, 20]),
        ] {
            let event = ask(
                &mut media,
                MediaRequest::Thumbnail {
                    path: path.clone(),
                    max_side_px,
                },
            )
            .await;
            let MediaEvent::Thumbnail { path: shown, image } = event else {
                panic!("expected a thumbnail, got {event:?}");
            };
            assert_eq!(&shown, path);
            assert_eq!(image.size, size, "{}", path.display());
            assert_eq!(image.pixels.len(), size[0] * size[1]);
        }
        assert_repaints(&repaints, 3).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_full_image_is_capped_at_4096_px() {
        let dir = tempfile::tempdir().unwrap();
        let huge = dir.path().join("huge.png");
        let normal = dir.path().join("normal.png");
        write_image(&huge, 5000, 100);
        write_image(&normal, 640, 480);
        let (mut media, _) = service();

        let event = ask(&mut media, MediaRequest::FullImage { path: huge.clone() }).await;
        assert!(
            matches!(&event, MediaEvent::FullImage { path, image } if *path == huge && image.size == [4096, 82]),
            "{event:?}"
        );
        let event = ask(&mut media, MediaRequest::FullImage { path: normal }).await;
        assert!(
            matches!(&event, MediaEvent::FullImage { image, .. } if image.size == [640, 480]),
            "{event:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn references_load_in_order_with_mime_type_base64_and_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("sketch.png");
        let jpeg = dir.path().join("photo.jpeg");
        write_image(&png, 300, 150);
        write_image(&jpeg, 50, 200);
        // The format is sniffed from the bytes, not the name: a PNG named .gif is a PNG.
        let misnamed = dir.path().join("really-a-png.gif");
        let written_as_png = dir.path().join("written.png");
        write_image(&written_as_png, 20, 20);
        fs::rename(&written_as_png, &misnamed).unwrap();
        let (mut media, repaints) = service();

        media
            .requests
            .send(MediaRequest::LoadReferences {
                paths: vec![png.clone(), jpeg.clone(), misnamed.clone()],
            })
            .await
            .unwrap();
        let expected = [
            (&png, "sketch.png", "image/png", [96, 48]),
            (&jpeg, "photo.jpeg", "image/jpeg", [24, 96]),
            (&misnamed, "really-a-png.gif", "image/png", [20, 20]),
        ];
        for (path, name, mime_type, size) in expected {
            let event = next(&mut media).await;
            let MediaEvent::ReferenceLoaded(loaded) = event else {
                panic!("expected a reference, got {event:?}");
            };
            assert_eq!(loaded.name, name);
            assert_eq!(loaded.reference.mime_type, mime_type);
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&loaded.reference.base64)
                .unwrap();
            assert_eq!(decoded, fs::read(path).unwrap());
            assert_eq!(loaded.thumbnail.size, size);
        }
        assert_repaints(&repaints, 3).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn files_that_are_not_png_jpeg_or_webp_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        fs::write(&text, "not an image at all").unwrap();
        // A minimal GIF header: sniffed as GIF whatever the name.
        let gif = dir.path().join("cat.png");
        fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
        let broken = dir.path().join("broken.png");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&[7; 64]);
        fs::write(&broken, bytes).unwrap();
        let (mut media, _) = service();

        media
            .requests
            .send(MediaRequest::LoadReferences {
                paths: vec![text, gif, broken],
            })
            .await
            .unwrap();
        let text = failure(next(&mut media).await);
        assert!(text.contains("notes.txt"), "{text}");
        assert!(text.contains("not a PNG, JPEG or WebP image"), "{text}");
        let gif = failure(next(&mut media).await);
        assert!(gif.contains("cat.png"), "{gif}");
        assert!(gif.contains("GIF"), "{gif}");
        assert!(gif.contains("Add a PNG, JPEG or WebP file"), "{gif}");
        let broken = failure(next(&mut media).await);
        assert!(broken.contains("broken.png"), "{broken}");
        assert!(broken.contains("damaged"), "{broken}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_reference_over_20_mb_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("poster.png");
        let file = File::create(&big).unwrap();
        file.set_len(MAX_REFERENCE_BYTES + 1).unwrap();
        drop(file);
        let (mut media, _) = service();

        let message = failure(
            ask(
                &mut media,
                MediaRequest::LoadReferences { paths: vec![big] },
            )
            .await,
        );
        assert!(message.contains("poster.png"), "{message}");
        assert!(message.contains("20 MB"), "{message}");
    }

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
            MediaRequest::FullImage { path: gone.clone() },
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

    #[test]
    fn copying_atomically_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.png");
        write_image(&source, 30, 30);
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let target = out.join("saved.png");
        fs::write(&target, "an older file").unwrap();

        copy_atomically(&source, &target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), fs::read(&source).unwrap());
        let names: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("saved.png")]);
    }

    #[test]
    fn a_failed_copy_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing_source = dir.path().join("missing.png");
        let target = dir.path().join("saved.png");
        assert!(copy_atomically(&missing_source, &target).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let source = dir.path().join("source.png");
        write_image(&source, 4, 4);
        let no_folder = dir.path().join("no-such-folder").join("saved.png");
        let error = copy_atomically(&source, &no_folder).unwrap_err();
        assert_eq!(
            write_reason(&error),
            "the folder or the image is not there any more"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Whatever a dialog request gives back here must be a sentence or a cancel; a real dialog on
    /// a machine with a desktop would wait for a person, which only counts when one can open.
    async fn assert_dialog_answers(
        media: &mut MediaHandle,
        request: MediaRequest,
    ) -> Option<String> {
        let can_open = dialog_missing_reason().await.is_none();
        media.requests.send(request).await.unwrap();
        match tokio::time::timeout(Duration::from_secs(10), media.events.recv()).await {
            Ok(Some(MediaEvent::Failed { message })) => {
                assert!(!message.trim().is_empty());
                Some(message)
            }
            Ok(Some(MediaEvent::DialogCancelled)) => None,
            Ok(other) => panic!("expected Failed or DialogCancelled, got {other:?}"),
            Err(_) => {
                assert!(can_open, "no dialog can open here, yet nothing came back");
                None
            }
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn dialogs_without_a_desktop_fail_with_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("result.png");
        write_image(&source, 8, 8);
        let (mut media, _) = service();

        if let Some(message) = assert_dialog_answers(&mut media, MediaRequest::PickReferences).await
        {
            assert!(
                message.contains("Drag image files onto the window"),
                "{message}"
            );
        }
        let save = MediaRequest::SaveAs {
            source: source.clone(),
            suggested_name: "result.png".to_owned(),
        };
        if let Some(message) = assert_dialog_answers(&mut media, save).await {
            assert!(
                message.contains(&format!("the image is still at {}", source.display())),
                "{message}"
            );
        }
        assert!(source.exists());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_clipboard_answers_with_an_event_or_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("result.png");
        write_image(&source, 8, 8);
        let (mut media, _) = service();

        match ask(&mut media, MediaRequest::CopyImage { source }).await {
            MediaEvent::Copied => {}
            MediaEvent::Failed { message } => assert!(message.contains("clipboard"), "{message}"),
            other => panic!("expected Copied or Failed, got {other:?}"),
        }
        match ask(&mut media, MediaRequest::PasteReference).await {
            MediaEvent::ReferenceLoaded(loaded) => {
                assert_eq!(loaded.name, PASTED_NAME);
                assert_eq!(loaded.reference.mime_type, "image/png");
            }
            MediaEvent::Failed { message } => assert!(message.contains("clipboard"), "{message}"),
            other => panic!("expected ReferenceLoaded or Failed, got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_keychain_answers_without_a_daemon() {
        let (mut media, _) = service();
        match ask(&mut media, MediaRequest::LoadKey).await {
            MediaEvent::KeyLoaded(Ok(None)) => {}
            MediaEvent::KeyLoaded(Err(message)) => {
                assert!(message.contains("session only"), "{message}");
            }
            other => panic!("expected KeyLoaded without a key, got {other:?}"),
        }
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
