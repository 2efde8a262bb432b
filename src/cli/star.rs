//! `peel star ID…` and `peel unstar ID…`: the window's star, on the same data folder a running
//! window uses (`PEEL_DATA_DIR`, else the platform's data folder). All the jobs change in one
//! transaction: a job that is not in the history (deleted, or never made) changes none of them,
//! and the sentence names it. Exit codes: 0 done (also when a job already was) · 1 the database
//! could not be used · 2 bad input (a job not in the history).

use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::Args;

use super::EXIT_BAD_INPUT;
use crate::job::JobId;
use crate::store::{BoardError, Store, paths};

/// Exit code: the database could not be opened or written.
const EXIT_STORE: u8 = 1;

/// Arguments of `peel star` and `peel unstar`.
#[derive(Debug, Args)]
pub struct StarArgs {
    /// The jobs (their numbers, as `peel history` and the window show them)
    #[arg(required = true, value_name = "ID")]
    pub jobs: Vec<JobId>,
}

/// The library's database, when there is one (`Err`: the sentence and the exit code).
pub fn open_library(command: &str) -> Result<Store, ExitCode> {
    let Some(data_dir) = paths::data_dir() else {
        return Err(fail(
            command,
            "Peel could not find a data folder on this system; set PEEL_DATA_DIR to the folder that holds peel.db",
            EXIT_BAD_INPUT,
        ));
    };
    let database = paths::database_path(&data_dir);
    if !database.exists() {
        return Err(fail(
            command,
            &format!(
                "there are no jobs yet in {} (generate some first, or set PEEL_DATA_DIR)",
                data_dir.display()
            ),
            EXIT_BAD_INPUT,
        ));
    }
    Store::open(&database).map_err(|error| fail(command, &error.to_string(), EXIT_STORE))
}

/// Says `message` on stderr as `peel COMMAND: …` and returns `code`.
pub fn fail(command: &str, message: &str, code: u8) -> ExitCode {
    let _ = writeln!(io::stderr(), "peel {command}: {message}");
    ExitCode::from(code)
}

/// The exit code and sentence for a refused change: bad input, or the database.
pub fn refused(command: &str, error: &BoardError) -> ExitCode {
    let code = match error {
        BoardError::Store(_) => EXIT_STORE,
        _ => EXIT_BAD_INPUT,
    };
    fail(command, &error.to_string(), code)
}

/// `jobs` sorted, each once.
pub fn distinct(jobs: &[JobId]) -> Vec<JobId> {
    let mut jobs = jobs.to_vec();
    jobs.sort_unstable();
    jobs.dedup();
    jobs
}

/// Runs `peel star` (`starred`) or `peel unstar`.
pub fn run(args: &StarArgs, starred: bool) -> ExitCode {
    let command = if starred { "star" } else { "unstar" };
    let store = match open_library(command) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let jobs = distinct(&args.jobs);
    match store.set_starred(&jobs, starred) {
        Ok(changed) => {
            let mut out = io::stdout().lock();
            let word = if starred { "starred" } else { "unstarred" };
            let already = jobs.len().saturating_sub(changed);
            let _ = write!(out, "{changed} job(s) {word}");
            if already > 0 {
                let _ = write!(out, " ({already} already were)");
            }
            let _ = writeln!(out, ".");
            ExitCode::from(0)
        }
        Err(error) => refused(command, &error),
    }
}
