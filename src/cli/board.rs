//! `peel board add NAME ID…`, `peel board remove NAME ID…`, `peel board list [--json]`,
//! `peel board rename OLD NEW` and `peel board delete NAME`: the window's boards, on the same data
//! folder. `add` makes the board when it is new; names compare without case. Each change is one
//! transaction: a job not in the history, or a board that does not exist, changes nothing and is
//! named in the sentence. Exit codes: 0 done · 1 the database could not be used · 2 bad input.

use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::star::{distinct, open_library, refused};
use crate::job::JobId;

/// Arguments of `peel board`.
#[derive(Debug, Args)]
pub struct BoardArgs {
    /// What to do with the boards.
    #[command(subcommand)]
    pub action: BoardAction,
}

/// The `peel board` subcommands.
#[derive(Debug, Subcommand)]
pub enum BoardAction {
    /// Put jobs on a board (made first when there is none of that name)
    Add {
        /// The board's name
        name: String,
        /// The jobs (their numbers, as `peel history` shows them)
        #[arg(required = true, value_name = "ID")]
        jobs: Vec<JobId>,
    },
    /// Take jobs off a board (they stay in the history)
    Remove {
        /// The board's name
        name: String,
        /// The jobs
        #[arg(required = true, value_name = "ID")]
        jobs: Vec<JobId>,
    },
    /// List the boards with how many jobs each holds
    List {
        /// Print one JSON object on stdout: {all, starred, boards: [{name, jobs}]}
        #[arg(long)]
        json: bool,
    },
    /// Give a board another name
    Rename {
        /// Its name now
        from: String,
        /// Its new name
        to: String,
    },
    /// Delete a board (its jobs stay in the history)
    Delete {
        /// The board's name
        name: String,
    },
}

/// Runs `peel board …`.
pub fn run(args: &BoardArgs) -> ExitCode {
    let command = "board";
    let store = match open_library(command) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let said = match &args.action {
        BoardAction::Add { name, jobs } => store
            .add_to_board(name, &distinct(jobs), true, Timestamp::now())
            .map(|(board, added)| format!("{added} job(s) added to board \"{board}\".")),
        BoardAction::Remove { name, jobs } => store
            .remove_from_board(name, &distinct(jobs))
            .map(|(board, removed)| format!("{removed} job(s) taken off board \"{board}\".")),
        BoardAction::Rename { from, to } => store
            .rename_board(from, to)
            .map(|to| format!("Board \"{}\" is now \"{to}\".", from.trim())),
        BoardAction::Delete { name } => store.delete_board(name).map(|()| {
            format!(
                "Board \"{}\" deleted; its jobs stay in the history.",
                name.trim()
            )
        }),
        BoardAction::List { json } => store
            .board_counts()
            .map(|counts| list_text(&counts, *json))
            .map_err(crate::store::BoardError::from),
    };
    match said {
        Ok(text) => {
            let _ = writeln!(io::stdout(), "{text}");
            ExitCode::from(0)
        }
        Err(error) => refused(command, &error),
    }
}

/// The boards as `peel board list` prints them: one line each (name, then how many jobs), or
/// one JSON object.
fn list_text(counts: &crate::store::BoardCounts, json: bool) -> String {
    if json {
        let value = serde_json::json!({
            "all": counts.all,
            "starred": counts.starred,
            "boards": counts.boards,
        });
        return serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_owned());
    }
    let mut lines = vec![format!(
        "{} job(s), {} starred, {} board(s)",
        counts.all,
        counts.starred,
        counts.boards.len()
    )];
    lines.extend(
        counts
            .boards
            .iter()
            .map(|board| format!("{:>5}  {}", board.jobs, board.name)),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Board, BoardCounts};

    #[test]
    fn the_list_names_each_board_with_its_count() {
        let counts = BoardCounts {
            all: 12,
            starred: 3,
            boards: vec![Board {
                name: "Client picks".to_owned(),
                jobs: 4,
            }],
            newest_job: 20,
        };
        assert_eq!(
            list_text(&counts, false),
            "12 job(s), 3 starred, 1 board(s)\n    4  Client picks"
        );
        let json: serde_json::Value = serde_json::from_str(&list_text(&counts, true)).unwrap();
        assert_eq!(json["boards"][0]["name"], "Client picks");
        assert_eq!(json["starred"], 3);
    }
}
