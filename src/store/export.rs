//! A job exported for a designer's own library or to hand a failure to someone else: one folder
//! per job (`job-N/`) with the image as it is on disk (its provenance inside), `provenance.json`
//! and `diagnosis.json`. `peel export` and the window's "Export selected…" both write it.
//!
//! `provenance.json` is the image's own record when the file carries one, else what the history
//! knows (prompt, model, settings, reference hashes, attempts, cost). `diagnosis.json` holds the
//! job's state, reason, last diagnosis and every attempt.

use std::io;
use std::path::{Path, PathBuf};

use super::db::{Store, StoreError};
use super::files::{WriteError, write_atomically};
use crate::job::{Job, JobId, JobState};
use crate::provenance::{self, Provenance};

impl Store {
    /// The jobs `ids` names, each with its attempts, in that order; deleted and unknown jobs are
    /// left out (nothing to export).
    pub fn jobs_to_export(&self, ids: &[JobId]) -> Result<Vec<Job>, StoreError> {
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(mut job) = self.job(*id)? else {
                continue;
            };
            if job.state == JobState::Deleted {
                continue;
            }
            job.attempts = self.attempts(*id)?;
            jobs.push(job);
        }
        Ok(jobs)
    }
}

/// Writes `job`'s folder under `out` (`out/job-N`, created with any missing folder) and returns
/// it.
pub fn export_job(job: &Job, out: &Path) -> Result<PathBuf, WriteError> {
    let folder = out.join(format!("job-{}", job.id));
    let image = job
        .image_path
        .as_ref()
        .and_then(|path| Some((path, std::fs::read(path).ok()?)));
    let mut recorded = None;
    if let Some((path, bytes)) = &image {
        let name = path.file_name().map_or_else(
            || format!("peel-{}.png", job.id).into(),
            std::ffi::OsStr::to_os_string,
        );
        write_atomically(&folder.join(name), bytes)?;
        recorded = provenance::read(bytes).and_then(|found| found.peel);
    }
    let provenance = recorded.unwrap_or_else(|| from_history(job));
    write_json(&folder.join("provenance.json"), &provenance)?;
    let diagnosis = serde_json::json!({
        "id": job.id,
        "created_at": job.created_at.to_string(),
        "state": job.state.as_str(),
        "reason": job.reason,
        "image_missing": job.image_path.is_some() && image.is_none(),
        "diagnosis": job.diagnosis,
        "attempts": job.attempts,
    });
    write_json(&folder.join("diagnosis.json"), &diagnosis)?;
    Ok(folder)
}

/// What the history knows about where a job's image came from (for a job without one, or an
/// image without a record).
fn from_history(job: &Job) -> Provenance {
    let model = job
        .model_used
        .clone()
        .or_else(|| job.attempts.last().map(|attempt| attempt.model.clone()))
        .unwrap_or_else(|| job.spec.model.clone());
    Provenance {
        fallback_used: job.spec.fallback.as_deref() == Some(model.as_str()),
        model,
        attempts: u32::try_from(job.attempts.len()).unwrap_or(u32::MAX),
        cost_usd: job.attempts.iter().map(|attempt| attempt.cost_usd).sum(),
        input_tokens: job.attempts.last().and_then(|attempt| attempt.input_tokens),
        output_tokens: job
            .attempts
            .last()
            .and_then(|attempt| attempt.output_tokens),
        ..Provenance::from_spec(&job.spec, job.spec.references.len())
    }
}

/// Writes `value` as pretty JSON to `path`.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), WriteError> {
    let text = serde_json::to_string_pretty(value).map_err(|error| WriteError {
        path: path.to_path_buf(),
        source: io::Error::other(error),
    })?;
    write_atomically(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    #[test]
    fn each_job_gets_its_folder_with_the_image_provenance_and_diagnosis() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let now = Timestamp::now();
        let spec = |prompt: &str| {
            serde_json::json!({ "prompt": prompt, "model": "gemini-3-pro-image" }).to_string()
        };
        let fox = store.enqueue(&spec("a fox"), now).unwrap();
        let wolf = store.enqueue(&spec("a wolf"), now).unwrap();
        let gone = store.enqueue(&spec("a bear"), now).unwrap();
        let image = dir.path().join("fox.png");
        std::fs::write(&image, b"not really a png").unwrap();
        store
            .set_image(fox, &image.to_string_lossy(), "gemini-3-pro-image")
            .unwrap();
        store
            .set_state(fox, JobState::Delivered, None, None, now)
            .unwrap();
        store
            .set_state(wolf, JobState::Stopped, None, Some("blocked"), now)
            .unwrap();
        store
            .set_state(gone, JobState::Deleted, None, None, now)
            .unwrap();

        let jobs = store.jobs_to_export(&[wolf, gone, fox, 999]).unwrap();
        let listed: Vec<JobId> = jobs.iter().map(|job| job.id).collect();
        assert_eq!(listed, [wolf, fox], "deleted and unknown jobs are left out");
        let out = dir.path().join("export");
        for job in &jobs {
            let folder = export_job(job, &out).unwrap();
            assert_eq!(folder, out.join(format!("job-{}", job.id)));
            assert!(folder.join("provenance.json").is_file());
            let diagnosis: serde_json::Value =
                serde_json::from_slice(&std::fs::read(folder.join("diagnosis.json")).unwrap())
                    .unwrap();
            assert_eq!(diagnosis["id"], job.id);
        }
        let fox_folder = out.join(format!("job-{fox}"));
        assert_eq!(
            std::fs::read(fox_folder.join("fox.png")).unwrap(),
            b"not really a png"
        );
        let provenance: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fox_folder.join("provenance.json")).unwrap())
                .unwrap();
        assert_eq!(provenance["prompt"], "a fox");
        let wolf_folder = out.join(format!("job-{wolf}"));
        assert_eq!(std::fs::read_dir(&wolf_folder).unwrap().count(), 2);
    }
}
