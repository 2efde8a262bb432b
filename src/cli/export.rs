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

use super::library::jobs_matching;
use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::store::JobSearch;
use crate::store::export::export_job;

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
    let search = JobSearch {
        text: args.search.clone(),
        failed_only: args.failed,
        ..JobSearch::default()
    };
    let jobs = match jobs_matching(&search) {
        Ok(jobs) => jobs,
        Err(error) if error.bad_input => return fail(&error.message, EXIT_BAD_INPUT),
        Err(error) => return fail(&error.message, EXIT_FAILED),
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
