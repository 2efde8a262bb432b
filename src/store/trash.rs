//! Where a deleted job's files go: the system trash (the `trash` crate: the freedesktop trash
//! under `$XDG_DATA_HOME/Trash` on Linux, the Finder's on macOS, the Recycle Bin on Windows), so
//! a designer who deleted the wrong picture gets it back from there. Peel never unlinks a
//! designer's image: when the trash cannot take a file (no trash folder, a read-only disk, a
//! file system without one), the move fails with a sentence and the file stays where it was.
//!
//! [`Trash::Folder`] moves files into a folder of Peel's choosing instead (tests, and machines
//! where the system trash cannot be used), with the same all-or-error promise per file.

use std::path::{Path, PathBuf};

/// Where deleted files go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trash {
    /// The system's trash.
    #[default]
    System,
    /// A folder: each file is moved (renamed) into it, a number added to its name when the
    /// folder already holds one of that name. The folder must be on the same file system.
    Folder(PathBuf),
}

/// A file the trash did not take; the file is still where it was.
#[derive(Debug, thiserror::Error)]
#[error(
    "Peel could not move {path} to the {place} ({reason}), so nothing was deleted. Check that the system trash works (empty it, or free space on that disk), or delete the file by hand."
)]
pub struct TrashError {
    /// The file that stayed.
    pub path: PathBuf,
    /// "system trash", or the folder used as the trash.
    pub place: String,
    /// What the trash said.
    pub reason: String,
}

impl Trash {
    /// Moves `path` to the trash. A file that is not there is nothing to move (`Ok`).
    pub fn put(&self, path: &Path) -> Result<(), TrashError> {
        if std::fs::symlink_metadata(path).is_err() {
            return Ok(());
        }
        let failed = |reason: String| TrashError {
            path: path.to_path_buf(),
            place: self.place(),
            reason,
        };
        match self {
            Trash::System => trash::delete(path).map_err(|error| failed(error.to_string())),
            Trash::Folder(folder) => {
                std::fs::create_dir_all(folder).map_err(|error| failed(error.to_string()))?;
                let target = free_name(folder, path);
                std::fs::rename(path, &target).map_err(|error| failed(error.to_string()))
            }
        }
    }

    /// Where files go, as a sentence names it.
    fn place(&self) -> String {
        match self {
            Trash::System => "system trash".to_owned(),
            Trash::Folder(folder) => format!("trash folder {}", folder.display()),
        }
    }
}

/// A name in `folder` no file has yet for `path`'s file: its own name, else `name (2).ext`, ….
fn free_name(folder: &Path, path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default();
    let first = folder.join(name);
    if std::fs::symlink_metadata(&first).is_err() {
        return first;
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let extension = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (2..u32::MAX)
        .map(|n| folder.join(format!("{stem} ({n}){extension}")))
        .find(|candidate| std::fs::symlink_metadata(candidate).is_err())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_trash_takes_files_and_never_overwrites_one_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let trash = Trash::Folder(dir.path().join("trash"));
        for round in 0..2 {
            let image = dir.path().join("peel-1.png");
            std::fs::write(&image, format!("picture {round}")).unwrap();
            trash.put(&image).unwrap();
            assert!(!image.exists());
        }
        let kept = |name: &str| std::fs::read_to_string(dir.path().join("trash").join(name));
        assert_eq!(kept("peel-1.png").unwrap(), "picture 0");
        assert_eq!(kept("peel-1 (2).png").unwrap(), "picture 1");
        // A file that is not there is nothing to move.
        trash.put(&dir.path().join("gone.png")).unwrap();
    }

    #[test]
    fn a_trash_that_cannot_take_the_file_leaves_it_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_folder = dir.path().join("a file");
        std::fs::write(&not_a_folder, b"").unwrap();
        let image = dir.path().join("peel-2.png");
        std::fs::write(&image, b"picture").unwrap();
        let error = Trash::Folder(not_a_folder).put(&image).unwrap_err();
        assert!(image.exists(), "the image stays where it was");
        let sentence = error.to_string();
        assert!(sentence.contains("nothing was deleted"), "{sentence}");
        assert!(sentence.contains("peel-2.png"), "{sentence}");
    }

    /// The real system trash, in a child process whose `XDG_DATA_HOME` is a temporary folder
    /// (the trash crate reads it; a test must not change its own process's environment).
    #[test]
    fn the_system_trash_keeps_the_file_under_xdg_data_home() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("peel-3.png");
        std::fs::write(&image, b"picture").unwrap();
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "store::trash::tests::system_trash_child",
                "--ignored",
                "--quiet",
            ])
            .env("XDG_DATA_HOME", dir.path().join("data-home"))
            .env("PEEL_TRASH_TEST_FILE", &image)
            .output()
            .unwrap();
        assert!(
            child.status.success(),
            "{}",
            String::from_utf8_lossy(&child.stdout)
        );
        assert!(!image.exists(), "the image left its folder");
        let kept = dir.path().join("data-home/Trash/files/peel-3.png");
        assert_eq!(std::fs::read(&kept).unwrap(), b"picture");
        let info =
            std::fs::read_to_string(dir.path().join("data-home/Trash/info/peel-3.png.trashinfo"))
                .unwrap();
        assert!(info.contains("peel-3.png"), "{info}");
    }

    /// Run by [`the_system_trash_keeps_the_file_under_xdg_data_home`] only.
    #[test]
    #[ignore = "a child process of another test"]
    fn system_trash_child() {
        let Some(image) = std::env::var_os("PEEL_TRASH_TEST_FILE") else {
            return;
        };
        Trash::System.put(Path::new(&image)).unwrap();
    }
}
