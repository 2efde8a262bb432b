//! Crash-safe writes: a file is written beside its target, flushed to disk, then renamed over it,
//! so a crash or a full disk never leaves half an image under the final name.
//!
//! The temporary file gets an unpredictable name (64 random bits), so no one can plant a file or
//! symlink under it in advance, and it is created with `create_new`: a file or symlink already
//! under that name is never opened or followed (the rename then replaces a symlink at the target
//! itself, never the file it points to). Both [`write_atomically`] (bytes in memory) and [`copy_atomically`] (a file
//! on disk, for Save as…) go through the same temp-file, fsync and rename code.
//!
//! [`write_new`] and [`copy_new`] never replace anything: the finished temporary file is given
//! its name with create-new semantics (`rename` without replace, or a hard link), so a file that
//! appears under a name at any moment, even between the check and the write, is left alone and
//! the next name (`name-2.ext`, …) is tried. When every name is taken they fail with a sentence.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// How many temporary names are tried before giving up (each try is a fresh, unused name, so more
/// than one try only happens when something else planted files beside the target).
const TEMP_NAME_TRIES: usize = 16;

/// How many names [`write_new`] and [`copy_new`] try: `name.ext`, then `name-2.ext` up to
/// `name-9999.ext`.
pub const NUMBERED_NAMES: u32 = 9_999;

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("Could not save {path}: {source}. {}", advice(.source))]
pub struct WriteError {
    /// The target.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

/// What to do about `error`: free names when every name was taken, else the folder itself.
fn advice(error: &io::Error) -> &'static str {
    if error.kind() == io::ErrorKind::AlreadyExists {
        "Move or delete older files in that folder, or choose another folder."
    } else {
        "Check that the folder exists, is writable and has free space."
    }
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync of the folder). Missing
/// folders on the way to `path` are created.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    fs::create_dir_all(folder_of(path)).map_err(error)?;
    replace_atomically(path, |file| file.write_all(bytes)).map_err(error)
}

/// Copies the file at `source` to `target` atomically (temp file, fsync, rename, fsync of the
/// folder): `target` is either untouched or the whole copy, and no temporary file is left behind.
/// `target`'s folder must exist; it is never created (a Save as… folder was chosen by a person).
pub fn copy_atomically(source: &Path, target: &Path) -> Result<(), WriteError> {
    let error = |source| WriteError {
        path: target.to_path_buf(),
        source,
    };
    // Opened first, so a missing source never leaves a temporary file.
    let mut input = File::open(source).map_err(error)?;
    replace_atomically(target, |output| io::copy(&mut input, output).map(drop)).map_err(error)
}

/// Writes `bytes` as a new file in `folder` named `stem` + `suffix` (the suffix is the
/// extension with its dot, or empty), or `stem-2` + `suffix`, … up to [`NUMBERED_NAMES`] names,
/// and returns the name used. A file (or symlink) under a name is never replaced, even one that
/// appears while this runs; when every name is taken, nothing is written and the error says so.
/// Missing folders on the way to `folder` are created.
pub fn write_new(
    folder: &Path,
    stem: &str,
    suffix: &str,
    bytes: &[u8],
) -> Result<PathBuf, WriteError> {
    let names = numbered_names(folder, stem, suffix);
    let first = folder.join(format!("{stem}{suffix}"));
    let error = |source| WriteError {
        path: first.clone(),
        source,
    };
    fs::create_dir_all(folder).map_err(error)?;
    place_new(folder, names, |file| file.write_all(bytes)).map_err(error)
}

/// Copies the file at `source` as a new file in `folder`, named as [`write_new`] names it, and
/// returns the name used: never over a file already there. `folder` must exist.
pub fn copy_new(
    source: &Path,
    folder: &Path,
    stem: &str,
    suffix: &str,
) -> Result<PathBuf, WriteError> {
    let error = |source| WriteError {
        path: folder.join(format!("{stem}{suffix}")),
        source,
    };
    // Opened first, so a missing source never leaves a temporary file.
    let mut input = File::open(source).map_err(error)?;
    place_new(folder, numbered_names(folder, stem, suffix), |output| {
        io::copy(&mut input, output).map(drop)
    })
    .map_err(error)
}

/// `folder/stem+suffix`, then `folder/stem-2+suffix`, … [`NUMBERED_NAMES`] names in all.
fn numbered_names(folder: &Path, stem: &str, suffix: &str) -> impl Iterator<Item = PathBuf> {
    let first = folder.join(format!("{stem}{suffix}"));
    let rest = (2..=NUMBERED_NAMES).map(move |n| folder.join(format!("{stem}-{n}{suffix}")));
    std::iter::once(first).chain(rest)
}

/// Creates a temporary file in `folder`, lets `write_contents` write it, flushes it to disk and
/// gives it the first of `names` (all in `folder`) that nothing uses, atomically and without
/// replacing anything. On any failure the temporary file is removed and nothing else changed.
fn place_new(
    folder: &Path,
    names: impl IntoIterator<Item = PathBuf>,
    write_contents: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let mut names = names.into_iter().peekable();
    let Some(first) = names.peek().cloned() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "there is no name to save under",
        ));
    };
    let file_name = first.file_name().map_or_else(
        || "image".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    let (temp_path, mut file) = create_temp_beside(folder, &file_name)?;
    // Removed when dropped, on every way out but a successful placing.
    let mut temp = match tempfile::TempPath::try_from_path(&temp_path) {
        Ok(temp) => temp,
        Err(error) => {
            let _ = fs::remove_file(&temp_path);
            return Err(error);
        }
    };
    let written = write_contents(&mut file).and_then(|()| file.sync_all());
    // Closed before it is placed or removed: Windows can do neither to an open file.
    drop(file);
    written?;
    let mut last = first.clone();
    for name in names {
        match temp.persist_noclobber(&name) {
            Ok(()) => {
                sync_folder(folder);
                return Ok(name);
            }
            Err(refused) if refused.error.kind() == io::ErrorKind::AlreadyExists => {
                temp = refused.path;
                last = name;
            }
            Err(refused) => return Err(refused.error),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "every name from {} to {} is already taken",
            display_name(&first),
            display_name(&last)
        ),
    ))
}

/// The file name of `path`, for a sentence.
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Makes a rename in `folder` durable. Best effort: not every file system can sync a folder.
fn sync_folder(folder: &Path) {
    if let Ok(folder) = File::open(folder) {
        let _ = folder.sync_all();
    }
}

/// The folder `path` sits in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Creates a temporary file beside `target`, lets `write_contents` write it, flushes it to disk
/// and renames it over `target`. On any failure the temporary file is removed and `target` is
/// untouched.
fn replace_atomically(
    target: &Path,
    write_contents: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let folder = folder_of(target);
    let Some(file_name) = target.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the chosen name is not a file name",
        ));
    };
    let (temp_path, mut file) = create_temp_beside(folder, &file_name.to_string_lossy())?;
    let placed = write_contents(&mut file)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            // Closed before the rename: Windows cannot rename an open file.
            drop(file);
            fs::rename(&temp_path, target)
        });
    if let Err(e) = placed {
        let _ = fs::remove_file(&temp_path);
        return Err(e);
    }
    sync_folder(folder);
    Ok(())
}

/// Creates a new, hidden temporary file in `folder` under an unpredictable name
/// ([`temp_name`]), opened with `create_new` ([`open_new`]).
fn create_temp_beside(folder: &Path, file_name: &str) -> io::Result<(PathBuf, File)> {
    for _ in 0..TEMP_NAME_TRIES {
        let path = folder.join(temp_name(file_name, rand::random::<u64>()));
        match open_new(&path) {
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

/// The hidden temporary name beside `file_name` for the random number `nonce`.
fn temp_name(file_name: &str, nonce: u64) -> String {
    format!(".{file_name}.peel-{nonce:016x}.part")
}

/// Opens a file that did not exist: anything already at `path` (a file, a symlink, even a
/// dangling one) fails with `AlreadyExists` and is left alone.
fn open_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    /// The names in `folder`, sorted.
    fn names(folder: &Path) -> Vec<OsString> {
        let mut names: Vec<_> = fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writing_atomically_creates_folders_and_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("a").join("b");
        let target = folder.join("image.png");
        write_atomically(&target, b"first").unwrap();
        write_atomically(&target, b"second").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second");
        assert_eq!(names(&folder), vec![OsString::from("image.png")]);
    }

    #[test]
    fn copying_atomically_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.png");
        fs::write(&source, [7_u8; 3000]).unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let target = out.join("saved.png");
        fs::write(&target, "an older file").unwrap();

        copy_atomically(&source, &target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), fs::read(&source).unwrap());
        assert_eq!(names(&out), vec![OsString::from("saved.png")]);
    }

    #[test]
    fn a_failed_copy_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing_source = dir.path().join("missing.png");
        let target = dir.path().join("saved.png");
        let error = copy_atomically(&missing_source, &target).unwrap_err();
        assert_eq!(error.source.kind(), io::ErrorKind::NotFound);
        assert_eq!(error.path, target);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let source = dir.path().join("source.png");
        fs::write(&source, b"pixels").unwrap();
        let no_folder = dir.path().join("no-such-folder").join("saved.png");
        let error = copy_atomically(&source, &no_folder).unwrap_err();
        assert_eq!(error.source.kind(), io::ErrorKind::NotFound);
        // The folder is not created, and nothing else is left behind.
        assert_eq!(names(dir.path()), vec![OsString::from("source.png")]);
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = write_atomically(&dir.path().join(".."), b"x").unwrap_err();
        assert_eq!(error.source.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn concurrent_writes_to_one_path_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("model.json");
        let contents: Vec<Vec<u8>> = (0..8_u8).map(|n| vec![n; 64 * 1024]).collect();
        std::thread::scope(|scope| {
            for bytes in &contents {
                let target = &target;
                scope.spawn(move || write_atomically(target, bytes).unwrap());
            }
        });
        let written = fs::read(&target).unwrap();
        assert!(contents.contains(&written), "a torn or mixed write");
        assert_eq!(names(dir.path()), vec![OsString::from("model.json")]);
    }

    #[test]
    fn temporary_names_are_unpredictable() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _first_file) = create_temp_beside(dir.path(), "image.png").unwrap();
        let (second, _second_file) = create_temp_beside(dir.path(), "image.png").unwrap();
        // Neither the process id nor a counter: 64 random bits (16 hex digits) each time.
        for path in [&first, &second] {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let nonce = name
                .strip_prefix(".image.png.peel-")
                .and_then(|rest| rest.strip_suffix(".part"))
                .unwrap();
            assert_eq!(nonce.len(), 16, "{name}");
            assert!(nonce.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
        }
        assert_ne!(first, second);
    }

    #[test]
    fn new_files_take_the_next_free_name_and_never_replace_one() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("out");
        let first = write_new(&folder, "peel-7", ".png", b"first").unwrap();
        let second = write_new(&folder, "peel-7", ".png", b"second").unwrap();
        assert_eq!(first, folder.join("peel-7.png"));
        assert_eq!(second, folder.join("peel-7-2.png"));
        assert_eq!(fs::read(&first).unwrap(), b"first");
        assert_eq!(fs::read(&second).unwrap(), b"second");
        let source = dir.path().join("fox");
        fs::write(&source, b"fox").unwrap();
        assert_eq!(
            copy_new(&source, &folder, "fox", "").unwrap(),
            folder.join("fox")
        );
        assert_eq!(
            copy_new(&source, &folder, "fox", "").unwrap(),
            folder.join("fox-2")
        );
        assert_eq!(
            names(&folder),
            ["fox", "fox-2", "peel-7-2.png", "peel-7.png"].map(OsString::from)
        );
    }

    #[test]
    fn a_file_planted_after_the_name_was_chosen_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path();
        // Each of the first three names gets a file just as it is chosen (the moment between
        // looking and writing, where another program may create one).
        let planting = numbered_names(folder, "peel-3", ".png")
            .enumerate()
            .map(|(n, path)| {
                if n < 3 {
                    fs::write(&path, format!("planted {n}")).unwrap();
                }
                path
            });
        let placed = place_new(folder, planting, |file| file.write_all(b"the image")).unwrap();
        assert_eq!(placed, folder.join("peel-3-4.png"));
        assert_eq!(fs::read(&placed).unwrap(), b"the image");
        assert_eq!(fs::read(folder.join("peel-3.png")).unwrap(), b"planted 0");
        assert_eq!(fs::read(folder.join("peel-3-2.png")).unwrap(), b"planted 1");
        assert_eq!(fs::read(folder.join("peel-3-3.png")).unwrap(), b"planted 2");
        assert_eq!(names(folder).len(), 4, "no temporary file is left");
    }

    #[test]
    fn when_every_name_is_taken_nothing_is_written_and_the_error_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path();
        for path in numbered_names(folder, "peel-9", ".jpg") {
            fs::write(path, b"older").unwrap();
        }
        let error = write_new(folder, "peel-9", ".jpg", b"new").unwrap_err();
        assert_eq!(error.source.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(error.path, folder.join("peel-9.jpg"));
        let sentence = error.to_string();
        assert!(
            sentence.contains("every name from peel-9.jpg to peel-9-9999.jpg is already taken"),
            "{sentence}"
        );
        assert!(
            sentence.contains("Move or delete older files"),
            "{sentence}"
        );
        assert!(!sentence.contains("free space"), "{sentence}");
        // Every file is as it was, and no temporary file is left.
        assert_eq!(names(folder).len(), NUMBERED_NAMES as usize);
        for path in numbered_names(folder, "peel-9", ".jpg") {
            assert_eq!(fs::read(&path).unwrap(), b"older", "{}", path.display());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_never_replaces_or_follows_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"keep me").unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&victim, out.join("peel-1.png")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), out.join("peel-1-2.png")).unwrap();
        let placed = write_new(&out, "peel-1", ".png", b"the image").unwrap();
        assert_eq!(placed, out.join("peel-1-3.png"));
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert!(
            fs::symlink_metadata(out.join("peel-1.png"))
                .unwrap()
                .is_symlink()
        );
        assert!(!dir.path().join("nowhere").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"keep me").unwrap();
        // A symlink planted at a temporary name is refused, not followed, and stays as it was …
        let planted = dir.path().join(temp_name("image.png", 42));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let refused = open_new(&planted).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        // … and so is a dangling one (which `File::create` would have created the target of).
        let nowhere = dir.path().join("created-through-a-link.txt");
        let dangling = dir.path().join(temp_name("image.png", 43));
        std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
        assert!(open_new(&dangling).is_err());
        assert!(!nowhere.exists());
        // Symlinks at the names an older Peel predicted (process id and a counter) do not matter.
        for n in 0..16 {
            let name = format!(".image.png.peel-{}-{n}.part", std::process::id());
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        write_atomically(&dir.path().join("image.png"), b"new image").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(
            fs::read(dir.path().join("image.png")).unwrap(),
            b"new image"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_target_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"keep me").unwrap();
        let target = dir.path().join("peel-7.png");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        write_atomically(&target, b"the image").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert!(!fs::symlink_metadata(&target).unwrap().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"the image");
    }
}
