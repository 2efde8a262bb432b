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
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::store::export::export_job;
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
