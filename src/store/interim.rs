//! The interim "thought" images of an answer still arriving, kept so the window can show them
//! (`thinking/job-<id>-<attempt>-<n>.<ext>` in the data folder, never in the designer's output
//! folder). They are the answer's thinking, not its result: removed when the job ends (the
//! delivered turn keeps its thought images under `images/`, as [`super::turns`] does), and those
//! a crash left behind are removed at the next start; their cached thumbnails go with them.
//!
//! Blocking file I/O: call from `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::files::{WriteError, write_atomically};
use super::turns::extension;

/// Leftover interim images older than this are removed at start (younger ones may belong to a
/// job another Peel process on the same data folder is running now).
pub const LEFTOVER_AGE: Duration = Duration::from_hours(24);

/// The folder of interim images.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("thinking")
}

/// Where the `index`-th thought part of attempt `attempt` of job `job` is kept.
pub fn interim_file(
    data_dir: &Path,
    job: i64,
    attempt: u32,
    index: u32,
    mime_type: &str,
) -> PathBuf {
    folder(data_dir).join(format!(
        "job-{job}-{attempt}-{index}.{}",
        extension(mime_type)
    ))
}

/// Keeps an interim image of job `job`.
pub fn keep_interim(
    data_dir: &Path,
    job: i64,
    attempt: u32,
    index: u32,
    mime_type: &str,
    bytes: &[u8],
) -> Result<PathBuf, WriteError> {
    let path = interim_file(data_dir, job, attempt, index, mime_type);
    write_atomically(&path, bytes)?;
    Ok(path)
}

/// Removes every interim image of job `job`; returns how many went.
pub fn forget_job(data_dir: &Path, job: i64) -> usize {
    let prefix = format!("job-{job}-");
    remove_where(data_dir, |name, _| name.starts_with(&prefix))
}

/// Removes interim images older than [`LEFTOVER_AGE`] (a crash's leftovers); returns how many.
pub fn forget_leftovers(data_dir: &Path, now: SystemTime) -> usize {
    remove_where(data_dir, |_, modified| {
        modified.is_some_and(|at| now.duration_since(at).is_ok_and(|age| age >= LEFTOVER_AGE))
    })
}

fn remove_where(data_dir: &Path, remove: impl Fn(&str, Option<SystemTime>) -> bool) -> usize {
    let Ok(entries) = std::fs::read_dir(folder(data_dir)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let modified = entry.metadata().ok().and_then(|m| m.modified().ok());
        if !remove(&name.to_string_lossy(), modified) {
            continue;
        }
        // The window's thumbnail of it first: the cache's name comes from the file.
        let _ = super::thumbs::remove_cached(&entry.path(), &super::thumbs::folder(data_dir));
        if std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jobs_interim_images_go_with_it_and_no_other_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let first = keep_interim(dir.path(), 7, 1, 2, "image/jpeg", b"draft").unwrap();
        let other = keep_interim(dir.path(), 71, 1, 2, "image/png", b"draft").unwrap();
        assert!(first.ends_with("thinking/job-7-1-2.jpg"), "{first:?}");
        assert!(!first.starts_with(dir.path().join("images")));
        assert_eq!(forget_job(dir.path(), 7), 1);
        assert!(!first.exists());
        assert!(other.exists(), "job 71 is not job 7");
        assert_eq!(
            forget_leftovers(dir.path(), SystemTime::now()),
            0,
            "too young"
        );
        let later = SystemTime::now() + LEFTOVER_AGE;
        assert_eq!(forget_leftovers(dir.path(), later), 1);
        assert!(!other.exists());
    }
}
