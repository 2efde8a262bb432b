//! `peel cancel ID…` and `peel retry ID… [--out DIR] [--endpoint URL] [--json]`: the window's
//! Cancel and Retry, on the same data folder a running window or `peel generate` uses. A cancel
//! is written to the job's row, so no process ever sends the job again (the one running it stops
//! it within seconds: a wait ends, a request in flight is dropped and recorded as cancelled after
//! sending). A retry queues a parked, stopped or cancelled job again and runs it here, unless
//! another Peel holds it (one owner per job).

use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::Args;
use jiff::Timestamp;

use super::EXIT_BAD_INPUT;
use super::generate::{GenerateArgs, RunArgs};
use crate::job::{JobId, JobState};
use crate::store::Store;
use crate::store::cancel::Change;

/// Arguments of `peel cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The jobs to cancel (their numbers, as `peel history` and the window show them)
    #[arg(required = true, value_name = "ID")]
    pub jobs: Vec<JobId>,
}

/// Arguments of `peel retry`.
#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The jobs to run again (parked, stopped or cancelled ones)
    #[arg(required = true, value_name = "ID")]
    pub jobs: Vec<JobId>,
    /// Where the images go, what to talk to, and the summary.
    #[command(flatten)]
    pub run: RunArgs,
}

fn open_store() -> Result<Store, String> {
    let data_dir = crate::store::paths::data_dir()
        .ok_or_else(|| "no data folder could be found; set PEEL_DATA_DIR".to_owned())?;
    Store::open(&crate::store::paths::database_path(&data_dir)).map_err(|error| error.to_string())
}

/// What a cancel did, in one line.
fn cancelled_line(job: JobId, change: Change) -> String {
    match change {
        Change::Changed(JobState::Running) => format!(
            "job {job}: cancelled. The Peel running it stops it within seconds; a request already on its way is dropped and may be billed."
        ),
        Change::Changed(before) => format!(
            "job {job}: cancelled (it was {}); it is never sent again.",
            before.word()
        ),
        Change::Unchanged(JobState::Cancelled) => format!("job {job}: already cancelled."),
        Change::Unchanged(state) => format!(
            "job {job}: nothing to cancel, it is {} already.",
            state.word()
        ),
        Change::NoSuchJob => format!("job {job}: no such job (see peel history)."),
    }
}

/// Runs `peel cancel`.
pub fn cancel(args: &CancelArgs) -> ExitCode {
    let store = match open_store() {
        Ok(store) => store,
        Err(message) => return fail("cancel", &message),
    };
    let mut missing = false;
    for &job in &args.jobs {
        match store.cancel_job(job, Timestamp::now()) {
            Ok(change) => {
                missing |= change == Change::NoSuchJob;
                let _ = writeln!(io::stdout(), "{}", cancelled_line(job, change));
            }
            Err(error) => return fail("cancel", &error.to_string()),
        }
    }
    ExitCode::from(if missing { EXIT_BAD_INPUT } else { 0 })
}

/// Runs `peel retry`: queues the jobs again, then runs them as `peel generate --resume` would.
pub fn retry(args: &RetryArgs) -> ExitCode {
    let store = match open_store() {
        Ok(store) => store,
        Err(message) => return fail("retry", &message),
    };
    let mut runnable = Vec::new();
    for &job in &args.jobs {
        match store.retry_job(job, Timestamp::now()) {
            Ok(Change::Changed(_) | Change::Unchanged(JobState::Queued | JobState::Running)) => {
                runnable.push(job);
            }
            Ok(Change::Unchanged(state)) => {
                let _ = writeln!(
                    io::stderr(),
                    "job {job}: not retried, it is {}.",
                    state.word()
                );
            }
            Ok(Change::NoSuchJob) => {
                let _ = writeln!(io::stderr(), "job {job}: no such job (see peel history).");
            }
            Err(error) => return fail("retry", &error.to_string()),
        }
    }
    drop(store);
    if runnable.is_empty() {
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    super::generate::run(&GenerateArgs {
        prompt: None,
        model: None,
        fallback: None,
        aspect: None,
        size: None,
        count: 1,
        references: Vec::new(),
        shrink_refs: false,
        resume: true,
        run: args.run.clone(),
        only_jobs: Some(runnable),
    })
}

fn fail(command: &str, message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "peel {command}: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cancel_says_what_happened() {
        assert_eq!(
            cancelled_line(4, Change::Changed(JobState::Parked)),
            "job 4: cancelled (it was parked); it is never sent again."
        );
        assert!(cancelled_line(4, Change::Changed(JobState::Running)).contains("may be billed"));
        assert_eq!(
            cancelled_line(4, Change::Unchanged(JobState::Delivered)),
            "job 4: nothing to cancel, it is delivered already."
        );
        assert!(cancelled_line(9, Change::NoSuchJob).contains("no such job"));
    }
}
