//! A job's life after it ended: the history the window restores at start, and deleting a job
//! (its image and any XMP sidecar go to the system trash, never straight to unlink; its kept
//! answer and thumbnails leave the disk; deleted wins over any later state change).
//! Blocking (the database and files): call from `spawn_blocking`.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::edits::legacy_turn_path;
use super::engine::Engine;
use super::protocol::{Event, JobId};
use crate::provenance;
use crate::store::trash::{Trash, TrashError};
use crate::store::{JobState, Store, thumbs, turns};

/// How many remembered rewrites the window gets at start.
const RESTORED_REWRITES: usize = 200;

impl Engine {
    /// The jobs of earlier sessions (newest `limit`, with their attempts) and today's spend.
    pub fn restored(&self, limit: usize) -> Event {
        let store = self.store();
        let jobs = store.recent_jobs(limit).unwrap_or_else(|error| {
            tracing::error!("the history could not be read; the gallery starts empty: {error}");
            Vec::new()
        });
        Event::Restored {
            jobs,
            spend_today_usd: spend_today(store),
            rewrites: store
                .remembered_rewrites(RESTORED_REWRITES)
                .unwrap_or_else(|error| {
                    tracing::warn!("remembered rewrites could not be read: {error}");
                    Vec::new()
                }),
        }
    }

    /// Removes a job from the gallery. A delivered job's image (with its XMP sidecar) goes to
    /// the trash first ([`Trash`]): when the trash cannot take it, nothing is deleted and the
    /// error says why. Then the job is marked deleted (so a delivery or a cancel that ends later
    /// cannot bring it back), and what Peel kept for it (thumbnails, the kept answer) leaves the
    /// disk. A job without an image is marked deleted first. Its attempts stay, so today's spend
    /// stays true. `Ok(Some(problem))`: the job is gone from the history, but a file stayed (the
    /// sentence names it).
    pub fn delete(&self, job: JobId) -> Result<Option<String>, String> {
        let store = self.store();
        let not_deleted = |error: &dyn std::fmt::Display| {
            format!("Image {job} could not be deleted: {error}. It is still in the gallery.")
        };
        let image = store
            .image_of(job)
            .map_err(|error| not_deleted(&error))?
            .map(|(path, _)| PathBuf::from(path));
        let mut problems = Vec::new();
        let mut thumbnails = Vec::new();
        if let Some(image) = image.as_deref() {
            if image.is_relative() {
                problems.push(relative_image(image));
            } else {
                // Named from the image file: read before it moves.
                thumbnails = cached_thumbnails(store, image, &mut problems);
                problems
                    .extend(trash_image(&self.trash, image).map_err(|error| not_deleted(&error))?);
            }
        }
        self.drop_held_image(job);
        store
            .set_state(job, JobState::Deleted, None, None, Timestamp::now())
            .map_err(|error| match &image {
                Some(path) if path.is_absolute() => format!(
                    "Image {job} is in the trash, but Peel's history could not record its deletion ({error}), so it may still show in the gallery."
                ),
                _ => not_deleted(&error),
            })?;
        problems.extend(remove_kept(store, job, &thumbnails).err());
        Ok((!problems.is_empty()).then(|| problems.join(" ")))
    }
}

/// The sentence for an image an older Peel recorded without its folder: never guessed at.
fn relative_image(image: &Path) -> String {
    format!(
        "The image left the gallery, but its file was recorded as \"{}\" by an older Peel, without its folder; delete it by hand.",
        image.display()
    )
}

/// The cached thumbnails of `image` (none, with a problem said, when the cache cannot be read).
fn cached_thumbnails(store: &Store, image: &Path, problems: &mut Vec<String>) -> Vec<PathBuf> {
    let folder = thumbs::folder(&store.data_dir());
    thumbs::cached_files(image, &folder).unwrap_or_else(|error| {
        problems.push(format!(
            "The image left the gallery, but its thumbnails in {} could not be listed: {error}. Check the folder's permissions.",
            folder.display()
        ));
        Vec::new()
    })
}

/// Moves `image` to the trash, then its companions: its XMP sidecar (written beside an image
/// with content credentials) and the answer an older Peel kept beside it. `Err`: the image
/// stayed, and so did everything else. `Ok(Some(problem))`: the image is in the trash, but a
/// companion stayed (named in the sentence).
pub fn trash_image(trash: &Trash, image: &Path) -> Result<Option<String>, TrashError> {
    trash.put(image)?;
    let mut stayed = Vec::new();
    for companion in [provenance::sidecar_path(image), legacy_turn_path(image)] {
        if let Err(error) = trash.put(&companion) {
            stayed.push(format!(
                "The image went to the trash, but {} could not ({}); delete it by hand.",
                error.path.display(),
                error.reason
            ));
        }
    }
    Ok((!stayed.is_empty()).then(|| stayed.join(" ")))
}

/// Removes a deleted job's image and everything kept for it: the image (with its companions) to
/// the trash, then its gallery thumbnails, its kept turn and the kept images only it uses. An
/// image path an older Peel stored relative (to a working folder no one knows now) is never
/// guessed at: the rest goes, and the sentence says to delete that file by hand.
pub fn remove_files(store: &Store, trash: &Trash, job: JobId, image: &Path) -> Result<(), String> {
    if image.is_relative() {
        remove_kept(store, job, &[])?;
        return Err(relative_image(image));
    }
    let mut problems = Vec::new();
    let thumbnails = cached_thumbnails(store, image, &mut problems);
    match trash_image(trash, image) {
        Ok(problem) => problems.extend(problem),
        Err(error) => problems.push(error.to_string()),
    }
    problems.extend(remove_kept(store, job, &thumbnails).err());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join(" "))
    }
}

/// Removes what Peel kept for job `job` in its data folder (Peel's own records, not the
/// designer's files): the image's cached `thumbnails`, the kept turn, and the kept images only
/// it uses.
fn remove_kept(store: &Store, job: JobId, thumbnails: &[PathBuf]) -> Result<(), String> {
    let kept = remove_all(kept_files(store, job));
    let cache = thumbs::remove(thumbnails).map_err(|error| {
        format!(
            "The image left the gallery, but its thumbnails in {} could not be deleted: {error}. Check the folder's permissions.",
            thumbs::folder(&store.data_dir()).display()
        )
    });
    kept.and(cache)
}

fn kept_files(store: &Store, job: JobId) -> Vec<PathBuf> {
    let data_dir = store.data_dir();
    let mut paths = turns::files_only_job_uses(&data_dir, job);
    paths.push(turns::turn_file(&data_dir, job));
    paths
}

fn remove_all(paths: Vec<PathBuf>) -> Result<(), String> {
    for path in paths {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(format!(
                    "The image left the gallery, but {} could not be deleted: {error}. Check the folder's permissions and delete it by hand.",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// What was spent today: since the last midnight Pacific, when Google's daily quotas reset (a
/// calendar day, 23 or 25 hours long on clock-change days, never a rolling 24 hours).
pub fn spend_today(store: &Store) -> f64 {
    spend_on_day_of(store, Timestamp::now())
}

/// What was spent on the Pacific calendar day that contains `now`, up to `now`.
fn spend_on_day_of(store: &Store, now: Timestamp) -> f64 {
    let Some(day_start) = crate::diagnosis::reset::today_started(now) else {
        return 0.0;
    };
    store.spend_since(day_start).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::AttemptRecord;

    fn attempt_at(at: &str, cost_usd: f64) -> AttemptRecord {
        AttemptRecord {
            model: "gemini-3-pro-image".to_owned(),
            started_at: at.parse().unwrap(),
            duration_ms: 1000,
            kind: "ok".to_owned(),
            http_status: Some(200),
            wait_s: None,
            wait_reason: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd,
        }
    }

    #[test]
    fn spend_today_starts_at_midnight_pacific_not_24_hours_ago() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let job = store
            .enqueue("{}", "2026-11-26T00:00:00Z".parse().unwrap())
            .unwrap();
        // 23:30 Pacific on Nov 26 (yesterday) and 00:30 Pacific on Nov 27 (today), PST.
        store
            .record_attempt(job, &attempt_at("2026-11-27T07:30:00Z", 1.0))
            .unwrap();
        store
            .record_attempt(job, &attempt_at("2026-11-27T08:30:00Z", 0.25))
            .unwrap();
        // Now: 15:00 Pacific on Nov 27. A rolling 24 hours would count both.
        let now = "2026-11-27T23:00:00Z".parse().unwrap();
        assert!((spend_on_day_of(&store, now) - 0.25).abs() < 1e-9);
    }

    #[test]
    fn on_the_spring_forward_day_today_began_23_hours_before_the_next_midnight() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let job = store
            .enqueue("{}", "2026-03-07T00:00:00Z".parse().unwrap())
            .unwrap();
        // 23:30 PST on March 7 is 07:30 UTC on March 8; midnight of March 8 is 08:00 UTC.
        store
            .record_attempt(job, &attempt_at("2026-03-08T07:30:00Z", 1.0))
            .unwrap();
        store
            .record_attempt(job, &attempt_at("2026-03-08T08:30:00Z", 0.5))
            .unwrap();
        // 23:00 PDT on March 8: "next midnight minus 24 hours" would say 23:00 PST on March 7.
        let now = "2026-03-09T06:00:00Z".parse().unwrap();
        assert!((spend_on_day_of(&store, now) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn deleting_a_job_removes_its_cached_thumbnails_too() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let job = store
            .enqueue("{}", "2026-11-26T00:00:00Z".parse().unwrap())
            .unwrap();
        let images = dir.path().join("images");
        std::fs::create_dir_all(&images).unwrap();
        let (image, other) = (images.join("peel-1.png"), images.join("peel-2.png"));
        std::fs::write(&image, b"the image").unwrap();
        std::fs::write(&other, b"another image").unwrap();
        // The gallery cached the image at two sizes, and another job's image once.
        let folder = thumbs::folder(dir.path());
        std::fs::create_dir_all(&folder).unwrap();
        let cached = [128, 256].map(|side| thumbs::cache_file(&image, side, &folder).unwrap());
        let kept = thumbs::cache_file(&other, 256, &folder).unwrap();
        for path in cached.iter().chain([&kept]) {
            std::fs::write(path, b"a thumbnail").unwrap();
        }
        let trash = Trash::Folder(dir.path().join("trash"));
        remove_files(&store, &trash, job, &image).unwrap();
        assert!(!image.exists());
        assert!(
            dir.path().join("trash/peel-1.png").exists(),
            "the image is in the trash"
        );
        for path in &cached {
            assert!(!path.exists(), "{} is left", path.display());
        }
        assert!(kept.exists());
    }
}
