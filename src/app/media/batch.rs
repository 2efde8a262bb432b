//! Several jobs at once, from the gallery's selection: Save selected… asks for a folder and copies
//! each image into it (atomically, and never over a file already there: `name-2.png`, …); Export
//! selected… asks for a folder and writes each job's export folder ([`crate::store::export`], the
//! same as `peel export`). The copying and writing run off the async threads; one sentence says
//! how it went at the end.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::dialogs::ask_folder;
use super::sentences::{display_name, write_reason};
use super::{MediaEvent, Service, off_thread, off_thread_flat};
use crate::job::JobId;
use crate::store::Store;
use crate::store::export::export_job;
use crate::store::files::copy_new;

/// What a batch did: the files or folders written, and a phrase for each failure.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct BatchReport {
    /// What was written.
    pub written: Vec<PathBuf>,
    /// "fox.png: the disk is full", one per failure.
    pub failures: Vec<String>,
}

impl BatchReport {
    /// The one sentence for the designer: `done` says what was done ("Saved", "Exported"), and
    /// `things` names one and several items ("image", "images").
    fn event(&self, done: &str, things: (&str, &str), folder: &Path) -> MediaEvent {
        let total = self.written.len() + self.failures.len();
        let noun = |count: usize| if count == 1 { things.0 } else { things.1 };
        if self.failures.is_empty() {
            return MediaEvent::Done {
                message: format!("{done} {total} {} to {}.", noun(total), folder.display()),
            };
        }
        MediaEvent::Failed {
            message: format!(
                "{done} {} of {total} {} to {}; these failed: {}. Check that the folder can be \
                 written to and has free space, then try those again.",
                self.written.len(),
                noun(total),
                folder.display(),
                self.failures.join("; ")
            ),
        }
    }
}

impl Service {
    /// Asks for a folder, then copies each of `sources` into it.
    pub(super) async fn save_many(&self, sources: Vec<PathBuf>) {
        let folder = match ask_folder("Save the selected images into").await {
            Ok(folder) => folder,
            Err(event) => return self.events.send(event).await,
        };
        let report = {
            let folder = folder.clone();
            off_thread("saving the images", move || copy_into(&folder, &sources)).await
        };
        let event = match report {
            Ok(report) => report.event("Saved", ("image", "images"), &folder),
            Err(message) => MediaEvent::Failed { message },
        };
        self.events.send(event).await;
    }

    /// Asks for a folder, then writes each job's export folder into it.
    pub(super) async fn export_many(&self, jobs: Vec<JobId>) {
        let Some(store) = self.store.clone() else {
            let message = "Exporting is not available in this window; use `peel export --out DIR` \
                           from a terminal instead."
                .to_owned();
            return self.events.fail(message).await;
        };
        let folder = match ask_folder("Export the selected jobs into").await {
            Ok(folder) => folder,
            Err(event) => return self.events.send(event).await,
        };
        let report = {
            let folder = folder.clone();
            off_thread_flat("exporting the jobs", move || {
                export_into(&store, &jobs, &folder)
            })
            .await
        };
        let event = match report {
            Ok(report) => report.event("Exported", ("job", "jobs"), &folder),
            Err(message) => MediaEvent::Failed { message },
        };
        self.events.send(event).await;
    }
}

/// Copies each of `sources` into `folder` under its own name, or `name-2.ext`, `name-3.ext`, …
/// when that name is taken: a file already there (or one that appears meanwhile) is never
/// replaced.
pub(super) fn copy_into(folder: &Path, sources: &[PathBuf]) -> BatchReport {
    let mut report = BatchReport::default();
    for source in sources {
        let (stem, suffix) = name_parts(source);
        match copy_new(source, folder, &stem, &suffix) {
            Ok(target) => report.written.push(target),
            Err(error) => report.failures.push(format!(
                "{}: {}",
                display_name(source),
                write_reason(&error.source)
            )),
        }
    }
    report
}

/// `source`'s file name as a stem and a suffix (the extension with its dot, or nothing).
fn name_parts(source: &Path) -> (String, String) {
    let name = source
        .file_name()
        .map_or_else(|| "image".into(), |name| name.to_string_lossy());
    let as_path = Path::new(name.as_ref());
    let stem = as_path.file_stem().map_or_else(
        || name.to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    let suffix = as_path
        .extension()
        .map(|extension| format!(".{}", extension.to_string_lossy()))
        .unwrap_or_default();
    (stem, suffix)
}

/// Writes the export folder of each of `jobs` (deleted ones are skipped) into `folder`. `Err`
/// when the history cannot be read at all.
pub(super) fn export_into(
    store: &Store,
    jobs: &[JobId],
    folder: &Path,
) -> Result<BatchReport, String> {
    let jobs = store.jobs_to_export(jobs).map_err(|error| {
        format!("The history could not be read, so nothing was exported: {error}")
    })?;
    let mut report = BatchReport::default();
    let mut written = HashSet::new();
    for job in &jobs {
        match export_job(job, folder) {
            Ok(path) => {
                if written.insert(path.clone()) {
                    report.written.push(path);
                }
            }
            Err(error) => {
                report
                    .failures
                    .push(format!("job {}: {}", job.id, write_reason(&error.source)));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn copies_never_replace_a_file_and_each_gets_a_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        let fox = a.join("fox.png");
        fs::write(&fox, b"first fox").unwrap();
        let other_fox = b.join("fox.png");
        fs::write(&other_fox, b"second fox").unwrap();
        let owl = a.join("owl");
        fs::write(&owl, b"owl").unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("fox.png"), b"already there").unwrap();

        let gone = a.join("gone.png");
        let report = copy_into(&out, &[fox, other_fox, owl.clone(), owl, gone]);
        assert_eq!(
            report.written,
            [
                out.join("fox-2.png"),
                out.join("fox-3.png"),
                out.join("owl"),
                out.join("owl-2"),
            ]
        );
        assert_eq!(fs::read(out.join("fox.png")).unwrap(), b"already there");
        assert_eq!(fs::read(out.join("fox-2.png")).unwrap(), b"first fox");
        assert_eq!(fs::read(out.join("fox-3.png")).unwrap(), b"second fox");
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        assert!(report.failures[0].starts_with("gone.png: "));
        let MediaEvent::Failed { message } = report.event("Saved", ("image", "images"), &out)
        else {
            panic!("a failure is news");
        };
        assert!(message.starts_with("Saved 4 of 5 images to "), "{message}");
        let all = BatchReport {
            written: vec![out.join("fox-2.png")],
            failures: Vec::new(),
        };
        assert_eq!(
            all.event("Saved", ("image", "images"), &out),
            MediaEvent::Done {
                message: format!("Saved 1 image to {}.", out.display())
            }
        );
    }

    #[test]
    fn export_writes_the_folders_peel_export_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let spec = serde_json::json!({ "prompt": "a fox", "model": "m" }).to_string();
        let now = jiff::Timestamp::now();
        let first = store.enqueue(&spec, now).unwrap();
        let second = store.enqueue(&spec, now).unwrap();
        let out = dir.path().join("out");
        let report = export_into(&store, &[second, first], &out).unwrap();
        assert_eq!(
            report.written,
            [
                out.join(format!("job-{second}")),
                out.join(format!("job-{first}"))
            ]
        );
        assert!(report.failures.is_empty());
        for folder in &report.written {
            assert!(folder.join("provenance.json").is_file());
            assert!(folder.join("diagnosis.json").is_file());
        }
    }
}
