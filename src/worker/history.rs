//! A job's life after it ended: the history the window restores at start, and deleting a job
//! (its image and kept answer leave the disk; deleted wins over any later state change).
//! Blocking (the database and files): call from `spawn_blocking`.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::edits::legacy_turn_path;
use super::engine::Engine;
use super::protocol::{Event, JobId};
use crate::store::{JobState, Store, turns};

/// How many remembered rewrites the window gets at start.
const RESTORED_REWRITES: usize = 200;

impl Engine {
    /// The jobs of earlier sessions (newest `limit`, with their attempts) and today's spend.
    pub fn restored(&self, limit: usize) -> Event {
        let store = self.store();
        let jobs = store.recent_jobs(limit).unwrap_or_default();
        Event::Restored {
            jobs,
            spend_today_usd: spend_today(store),
            rewrites: store
                .remembered_rewrites(RESTORED_REWRITES)
                .unwrap_or_default(),
        }
    }

    /// Removes a job from the gallery: it is marked deleted first (so a delivery or a cancel that
    /// ends later cannot bring it back), then its image and kept answer leave the disk. Its
    /// attempts stay, so today's spend stays true. `Ok(Some(problem))`: the job is gone from the
    /// history, but a file could not be removed (the sentence names it).
    pub fn delete(&self, job: JobId) -> Result<Option<String>, String> {
        let store = self.store();
        store
            .set_state(job, JobState::Deleted, None, None, Timestamp::now())
            .map_err(|error| {
                format!("Image {job} could not be deleted: {error}. It is still in the gallery.")
            })?;
        let removed = match store.image_of(job) {
            Ok(Some((image_path, _))) => remove_files(store, job, Path::new(&image_path)),
            _ => remove_files_without_image(store, job),
        };
        Ok(removed.err())
    }
}

/// Removes a job's image, its kept turn and the kept images only it uses. An image path an
/// older Peel stored relative (to a working folder no one knows now) is never guessed at: the
/// rest goes, and the sentence says to delete that file by hand.
pub fn remove_files(store: &Store, job: JobId, image: &Path) -> Result<(), String> {
    let kept = remove_all(kept_files(store, job));
    if image.is_relative() {
        kept?;
        return Err(format!(
            "The image left the gallery, but its file was recorded as \"{}\" by an older Peel, without its folder; delete it by hand.",
            image.display()
        ));
    }
    remove_all(vec![image.to_path_buf(), legacy_turn_path(image)]).and(kept)
}

fn remove_files_without_image(store: &Store, job: JobId) -> Result<(), String> {
    remove_all(kept_files(store, job))
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

/// What was spent since the last daily reset (midnight Pacific).
pub fn spend_today(store: &Store) -> f64 {
    let Some(reset) = crate::diagnosis::reset::next_daily_reset(Timestamp::now()) else {
        return 0.0;
    };
    let day_start = reset
        .checked_sub(jiff::SignedDuration::from_hours(24))
        .unwrap_or(reset);
    store.spend_since(day_start).unwrap_or(0.0)
}
