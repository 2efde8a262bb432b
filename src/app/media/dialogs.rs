//! The OS file dialogs (through `rfd`): picking reference images, Save as… (ask where, then
//! copy the image there with [`crate::store::files::copy_atomically`], never a partial file), and
//! picking a folder (for saving or exporting several jobs at once).
//!
//! On Linux rfd needs the desktop portal (a D-Bus session) or `zenity`; when neither is there the
//! designer gets a sentence saying what to do instead, not a dialog that never opens.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::sentences::{display_name, read_sentence, write_reason};
use super::{MediaEvent, Service, off_thread, off_thread_flat};
use crate::store::files::copy_atomically;

/// File extensions offered by the reference file dialog.
pub const REFERENCE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "webp", "heic", "heif"];

/// A save dialog that returns nothing this fast never reached a person: rfd reports "no portal
/// and no zenity" the same way as "cancelled", and nobody cancels a dialog within half a second.
const INSTANT_DIALOG_FAILURE: Duration = Duration::from_millis(500);

/// What rfd's Linux backend could not find when it returns no dialog at all.
const NO_BACKEND: &str = "neither the desktop portal nor zenity could open one";

impl Service {
    /// Opens the file dialog and loads what was picked.
    pub(super) async fn pick_references(&self) {
        if let Some(reason) = dialog_missing_reason().await {
            self.events.fail(no_pick_dialog(reason)).await;
            return;
        }
        let picked = rfd::AsyncFileDialog::new()
            .set_title("Add reference images")
            .add_filter("PNG, JPEG, WebP, HEIC or HEIF image", &REFERENCE_EXTENSIONS)
            .pick_files()
            .await;
        // rfd answers `None` only when neither the desktop portal nor zenity could show a dialog,
        // and an empty list when the designer cancelled.
        match picked {
            None => self.events.fail(no_pick_dialog(NO_BACKEND)).await,
            Some(files) if files.is_empty() => self.events.send(MediaEvent::DialogCancelled).await,
            Some(files) => {
                let paths = files.iter().map(|file| file.path().to_path_buf()).collect();
                self.load_references(paths).await;
            }
        }
    }

    /// Asks where to save and copies `source` there.
    pub(super) async fn save_as(&self, source: PathBuf, suggested_name: String) {
        let target = match ask_save_target(&source, suggested_name).await {
            Ok(target) => target,
            Err(event) => {
                self.events.send(event).await;
                return;
            }
        };
        let name = display_name(&source);
        let copied = {
            let (source, target) = (source.clone(), target.clone());
            off_thread_flat("saving the image", move || {
                copy_atomically(&source, &target).map_err(|e| write_reason(&e.source))
            })
            .await
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
}

/// Checks `source` is still there, then asks where to save it. `Err` is the event to send
/// instead: a sentence, or [`MediaEvent::DialogCancelled`].
async fn ask_save_target(source: &Path, suggested_name: String) -> Result<PathBuf, MediaEvent> {
    let failed = |message| MediaEvent::Failed { message };
    // No point asking where to save a file that is gone.
    let checked = {
        let (source, name) = (source.to_path_buf(), display_name(source));
        off_thread_flat("checking the image", move || {
            fs::metadata(&source).map_err(|e| read_sentence(&name, &e))
        })
        .await
    };
    checked.map_err(failed)?;
    if let Some(reason) = dialog_missing_reason().await {
        return Err(failed(no_save_dialog(reason, source)));
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
    match dialog.save_file().await {
        Some(target) => Ok(target.path().to_path_buf()),
        None if cfg!(all(unix, not(target_os = "macos")))
            && started.elapsed() < INSTANT_DIALOG_FAILURE =>
        {
            Err(failed(no_save_dialog(NO_BACKEND, source)))
        }
        None => Err(MediaEvent::DialogCancelled),
    }
}

/// Asks for a folder (`title` on the dialog). `Err` is the event to send instead: a sentence,
/// or [`MediaEvent::DialogCancelled`].
pub(super) async fn ask_folder(title: &str) -> Result<PathBuf, MediaEvent> {
    let failed = |reason: &str| MediaEvent::Failed {
        message: format!(
            "No folder dialog is available on this desktop ({reason}). Use `peel export --out DIR` \
             from a terminal instead."
        ),
    };
    if let Some(reason) = dialog_missing_reason().await {
        return Err(failed(reason));
    }
    let started = Instant::now();
    match rfd::AsyncFileDialog::new()
        .set_title(title)
        .pick_folder()
        .await
    {
        Some(folder) => Ok(folder.path().to_path_buf()),
        None if cfg!(all(unix, not(target_os = "macos")))
            && started.elapsed() < INSTANT_DIALOG_FAILURE =>
        {
            Err(failed(NO_BACKEND))
        }
        None => Err(MediaEvent::DialogCancelled),
    }
}

/// Why no file dialog can open here, when that is certain before trying: rfd's Linux backend
/// needs a D-Bus session (for the desktop portal) or the `zenity` program.
pub(super) async fn dialog_missing_reason() -> Option<&'static str> {
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

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use super::super::test_support::{service, write_image};
    use super::super::{MediaHandle, MediaRequest};
    use super::*;

    #[test]
    fn saving_into_a_missing_folder_says_so_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.png");
        write_image(&source, 4, 4);
        let no_folder = dir.path().join("no-such-folder").join("saved.png");
        let error = copy_atomically(&source, &no_folder).unwrap_err();
        assert_eq!(
            write_reason(&error.source),
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
}
