//! What `peel history` and `peel export` share: reading the library's jobs for a search, with
//! one sentence for each way that can go wrong.

use crate::job::Job;
use crate::store::search::fts_query;
use crate::store::{JobSearch, Store, paths};

/// Why the library could not be read, and the exit code that says so.
pub struct LibraryError {
    /// The sentence.
    pub message: String,
    /// Bad input (2) or an unreadable database (the caller's code).
    pub bad_input: bool,
}

/// The jobs `search` finds in this machine's library (`PEEL_DATA_DIR` or the platform's data
/// folder); no jobs when nothing was generated yet (no database is created to say so). Requests
/// sent by a Peel that stopped before their answer came are recorded as lost first.
pub fn jobs_matching(search: &JobSearch) -> Result<Vec<Job>, LibraryError> {
    let bad_input = |message: String| LibraryError {
        message,
        bad_input: true,
    };
    if let Some(text) = &search.text {
        if text.trim().is_empty() {
            return Err(bad_input(
                "the search is empty; give a word from a prompt, e.g. --search fox".to_owned(),
            ));
        }
        if fts_query(text).is_none() {
            return Err(bad_input(format!(
                "the search \"{text}\" has no letter or digit to look for; give a word from a prompt, e.g. --search fox"
            )));
        }
    }
    let Some(data_dir) = paths::data_dir() else {
        return Err(bad_input(
            "Peel could not find a data folder on this system; set PEEL_DATA_DIR to the folder that holds peel.db"
                .to_owned(),
        ));
    };
    let database = paths::database_path(&data_dir);
    if !database.exists() {
        return Ok(Vec::new());
    }
    Store::open(&database)
        .and_then(|store| {
            // Requests whose Peel stopped before their answer came are shown as lost.
            store.settle_lost_attempts()?;
            store.search_jobs(search)
        })
        .map_err(|error| LibraryError {
            message: error.to_string(),
            bad_input: false,
        })
}
