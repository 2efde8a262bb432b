//! `peel export --out DIR [--search TEXT] [--failed]`: the jobs Peel keeps, one folder each
//! (`DIR/job-N/`) with the image as it is on disk (its provenance inside), `provenance.json` and
//! `diagnosis.json`, for a designer's own library or to hand a failure to someone else.
//!
//! `provenance.json` is the image's own record when the file carries one, else what the history
//! knows (prompt, model, settings, reference hashes, attempts, cost). `diagnosis.json` holds the
//! job's state, reason, last diagnosis and every attempt. `--search` and `--failed` pick jobs as
//! `peel history` does; deleted jobs are never exported. One line per job on stdout. Exit codes:
//! 0 exported (also none) · 1 the database could not be read or a file could not be written ·
//! 2 bad input.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::job::Job;
use crate::provenance::{self, Provenance};
use crate::store::files::{WriteError, write_atomically};
use crate::store::search::fts_query;
use crate::store::{JobSearch, Store, paths};

/// Exit code: the database could not be read, or a file could not be written.
const EXIT_FAILED: u8 = 1;

/// Arguments of `peel export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write into (one `job-N` folder per job; created when missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only jobs whose prompt has these words (each word, or the start of one)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only jobs that did not deliver an image (stopped, parked or cancelled)
    #[arg(long)]
    pub failed: bool,
}

fn fail(message: &str, code: u8) -> ExitCode {
    let _ = writeln!(io::stderr(), "peel export: {message}");
    ExitCode::from(code)
}

/// Runs `peel export`.
pub fn run(args: &ExportArgs) -> ExitCode {
    if let Some(text) = &args.search
        && fts_query(text).is_none()
    {
        return fail(
            &format!(
                "the search \"{text}\" has no letter or digit to look for; give a word from a prompt, e.g. --search fox"
            ),
            EXIT_BAD_INPUT,
        );
    }
    let Some(data_dir) = paths::data_dir() else {
        return fail(
            "Peel could not find a data folder on this system; set PEEL_DATA_DIR to the folder that holds peel.db",
            EXIT_BAD_INPUT,
        );
    };
    let database = paths::database_path(&data_dir);
    if !database.exists() {
        let _ = writeln!(
            io::stderr(),
            "No jobs yet (history in {}).",
            data_dir.display()
        );
        return ExitCode::from(EXIT_OK);
    }
    let search = JobSearch {
        text: args.search.clone(),
        failed_only: args.failed,
        ..JobSearch::default()
    };
    let jobs = match Store::open(&database).and_then(|store| store.search_jobs(&search)) {
        Ok(jobs) => jobs,
        Err(error) => return fail(&error.to_string(), EXIT_FAILED),
    };
    let mut out = io::stdout().lock();
    for job in &jobs {
        match export_job(job, &args.out) {
            Ok(folder) => {
                let _ = writeln!(out, "job {} → {}", job.id, folder.display());
            }
            Err(error) => {
                return fail(
                    &format!(
                        "{error} Check that the folder can be written to, then run the export again."
                    ),
                    EXIT_FAILED,
                );
            }
        }
    }
    if jobs.is_empty() {
        let _ = writeln!(io::stderr(), "No job matches.");
    }
    ExitCode::from(EXIT_OK)
}

/// Writes `job`'s folder under `out` and returns it.
fn export_job(job: &Job, out: &Path) -> Result<PathBuf, WriteError> {
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
