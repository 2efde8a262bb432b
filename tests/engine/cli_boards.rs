//! `peel star`, `peel unstar`, `peel board …` and `peel history --starred --board NAME` as a
//! designer runs them (the real binary on a temporary `PEEL_DATA_DIR`), against jobs kept in the
//! store: stars and boards change in one go, unknown jobs or boards are refused in a sentence
//! with exit code 2 and change nothing, and the history filters by star and board in SQL,
//! together with its search.

use std::path::Path;
use std::process::Output;

use crate::sim_rig::peel_command;
use jiff::Timestamp;
use peel::store::{JobState, Store};

/// `peel ARGS` on the data folder `data`.
fn peel(data: &Path, args: &[&str]) -> Output {
    peel_command(data, args).output().expect("peel runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `peel history --json ARGS` → the entries.
fn history(data: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let output = peel(data, &[&["history", "--json"], args].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("a JSON array")
}

fn ids(entries: &[serde_json::Value]) -> Vec<i64> {
    entries
        .iter()
        .map(|e| e["id"].as_i64().expect("every entry has an id"))
        .collect()
}

/// A library of four delivered jobs: 1 a red fox, 2 a grey wolf, 3 a red barn, 4 an owl.
fn library(data: &Path) {
    let store = Store::open(&data.join("peel.db")).expect("the store opens");
    for prompt in ["a red fox", "a grey wolf", "a red barn", "an owl"] {
        let spec = serde_json::json!({ "prompt": prompt }).to_string();
        let id = store.enqueue(&spec, Timestamp::now()).expect("queued");
        store
            .set_state(id, JobState::Delivered, None, None, Timestamp::now())
            .expect("delivered");
    }
}

#[test]
fn stars_are_set_and_cleared_and_an_unknown_job_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    library(dir.path());
    let starred = peel(dir.path(), &["star", "1", "3", "3"]);
    assert_eq!(starred.status.code(), Some(0), "{}", stderr(&starred));
    assert_eq!(stdout(&starred).trim(), "2 job(s) starred.");
    let again = peel(dir.path(), &["star", "1"]);
    assert_eq!(stdout(&again).trim(), "0 job(s) starred (1 already were).");

    let unknown = peel(dir.path(), &["star", "2", "99"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        stderr(&unknown).trim(),
        "peel star: Job 99 is not in the history (deleted, or never made), so nothing was changed. peel history lists the jobs there are."
    );
    assert_eq!(
        ids(&history(dir.path(), &["--starred"])),
        [3, 1],
        "job 2 stayed unstarred"
    );

    let entries = history(dir.path(), &[]);
    let starred_flags: Vec<bool> = entries
        .iter()
        .map(|e| e["starred"].as_bool().unwrap())
        .collect();
    assert_eq!(starred_flags, [false, true, false, true]);
    let text = stdout(&peel(dir.path(), &["history"]));
    let barn = text
        .lines()
        .find(|line| line.contains("a red barn"))
        .unwrap();
    assert!(barn.starts_with("    3 ★"), "{barn}");

    let unstarred = peel(dir.path(), &["unstar", "1"]);
    assert_eq!(stdout(&unstarred).trim(), "1 job(s) unstarred.");
    assert_eq!(ids(&history(dir.path(), &["--starred"])), [3]);
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one story: boards made, filtered, refused, renamed and deleted"
)]
fn boards_gather_jobs_and_the_history_filters_by_board_star_and_words() {
    let dir = tempfile::tempdir().unwrap();
    library(dir.path());
    let added = peel(dir.path(), &["board", "add", "Client picks", "1", "2", "3"]);
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    assert_eq!(
        stdout(&added).trim(),
        "3 job(s) added to board \"Client picks\"."
    );
    // A second board; a job may be on several, and names ignore case.
    assert!(
        peel(dir.path(), &["board", "add", "Moodboard", "1", "4"])
            .status
            .success()
    );
    let again = peel(dir.path(), &["board", "add", "client PICKS", "1"]);
    assert_eq!(
        stdout(&again).trim(),
        "0 job(s) added to board \"Client picks\"."
    );
    assert!(peel(dir.path(), &["star", "1", "4"]).status.success());

    let fox = &history(dir.path(), &["--search", "fox"])[0];
    assert_eq!(
        fox["boards"],
        serde_json::json!(["Client picks", "Moodboard"])
    );
    assert_eq!(
        ids(&history(dir.path(), &["--board", "client picks"])),
        [3, 2, 1]
    );
    assert_eq!(
        ids(&history(
            dir.path(),
            &["--board", "Client picks", "--starred"]
        )),
        [1]
    );
    assert_eq!(
        ids(&history(
            dir.path(),
            &["--board", "Client picks", "--search", "red"]
        )),
        [3, 1]
    );
    assert_eq!(
        ids(&history(
            dir.path(),
            &["--starred", "--board", "Moodboard", "--limit", "1"]
        )),
        [4]
    );

    let list = peel(dir.path(), &["board", "list", "--json"]);
    let counts: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        counts,
        serde_json::json!({
            "all": 4,
            "starred": 2,
            "boards": [{"name": "Client picks", "jobs": 3}, {"name": "Moodboard", "jobs": 2}],
        })
    );
    let text = stdout(&peel(dir.path(), &["board", "list"]));
    assert!(text.contains("    3  Client picks"), "{text}");

    let removed = peel(dir.path(), &["board", "remove", "client picks", "2", "4"]);
    assert_eq!(
        stdout(&removed).trim(),
        "1 job(s) taken off board \"Client picks\"."
    );
    assert_eq!(
        ids(&history(dir.path(), &["--board", "Client picks"])),
        [3, 1]
    );

    // Unknown boards and jobs: a sentence, exit code 2, nothing changed.
    let no_board = peel(dir.path(), &["history", "--board", "Rejects"]);
    assert_eq!(no_board.status.code(), Some(2));
    assert!(
        stderr(&no_board).contains("no board named \"Rejects\""),
        "{}",
        stderr(&no_board)
    );
    let no_board = peel(dir.path(), &["board", "remove", "Rejects", "1"]);
    assert_eq!(no_board.status.code(), Some(2));
    assert!(stderr(&no_board).contains("There is no board named \"Rejects\""));
    let no_job = peel(dir.path(), &["board", "add", "Client picks", "2", "42"]);
    assert_eq!(no_job.status.code(), Some(2));
    assert!(stderr(&no_job).contains("Job 42 is not in the history"));
    assert_eq!(
        ids(&history(dir.path(), &["--board", "Client picks"])),
        [3, 1]
    );
    let new_board = peel(dir.path(), &["board", "add", "Rejects", "42"]);
    assert_eq!(new_board.status.code(), Some(2));
    assert!(
        !stdout(&peel(dir.path(), &["board", "list"])).contains("Rejects"),
        "a refused add makes no board"
    );

    // Rename and delete; the jobs stay.
    let renamed = peel(dir.path(), &["board", "rename", "moodboard", "Final"]);
    assert_eq!(
        stdout(&renamed).trim(),
        "Board \"moodboard\" is now \"Final\"."
    );
    assert_eq!(ids(&history(dir.path(), &["--board", "Final"])), [4, 1]);
    let taken = peel(dir.path(), &["board", "rename", "Final", "client picks"]);
    assert_eq!(taken.status.code(), Some(2));
    assert!(stderr(&taken).contains("already exists"));
    assert!(
        peel(dir.path(), &["board", "delete", "Final"])
            .status
            .success()
    );
    assert_eq!(ids(&history(dir.path(), &[])), [4, 3, 2, 1]);
    assert_eq!(
        history(dir.path(), &["--search", "owl"])[0]["boards"],
        serde_json::json!([])
    );
}

#[test]
fn a_library_without_jobs_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    for args in [
        &["star", "1"][..],
        &["board", "list"],
        &["history", "--board", "X"],
    ] {
        let output = peel(&empty, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&output).is_empty(), "{args:?}");
    }
    assert!(
        !empty.join("peel.db").exists(),
        "no database is made to say so"
    );
}
