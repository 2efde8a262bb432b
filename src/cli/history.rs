//! `peel history [--json] [--search TEXT] [--failed] [--starred] [--board NAME] [--limit N]`: the
//! jobs Peel keeps in its data folder (`PEEL_DATA_DIR`, else the platform's data folder), newest
//! first.
//!
//! Each job shows its id, when it was queued, how it stands, the model (the one that made the
//! image, else the one last tried), where its image is, its last diagnosis kind and its prompt.
//! `--search` matches words of the prompt (plain words: quotes and dashes are just text; "light"
//! finds "lighthouse"); `--failed` lists only jobs that did not deliver (stopped, parked,
//! cancelled); `--starred` only starred jobs; `--board NAME` only the jobs on that board (a board
//! that does not exist is bad input); `--limit` (default 50) counts from the newest, and
//! `--limit 0` lists every job. A starred job's line shows ★ after its id, and its boards at the
//! end.
//! Deleted jobs are not listed. No image data is ever printed: images are named by their path.
//!
//! Text output is one line per job on stdout; `--json` prints one JSON array of objects
//! `{id, created_at, state, prompt, model, image_path, diagnosis_kind, reason, cost_usd, starred,
//! boards, attempts}`
//! (null when unknown), each attempt `{model, started_at, duration_ms, outcome, note, http_status,
//! sent, cost_usd}`: every request, a lost one (Peel stopped while Google worked) or one
//! cancelled after sending included, with its estimated cost. Exit codes: 0 listed (even when nothing matched) · 1 the database could not be read ·
//! 2 bad input.

use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::Args;
use jiff::tz::TimeZone;

use super::library::jobs_matching;
use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::job::{Job, JobState};
use crate::store::JobSearch;

/// Exit code: the database could not be opened or read.
const EXIT_STORE: u8 = 1;

/// How many characters of a prompt a text line shows.
const PROMPT_CHARS: usize = 60;

/// Arguments of `peel history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only jobs whose prompt has these words (each word, or the start of one)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only jobs that did not deliver an image (stopped, parked or cancelled)
    #[arg(long)]
    pub failed: bool,
    /// Only starred jobs
    #[arg(long)]
    pub starred: bool,
    /// Only the jobs on this board
    #[arg(long, value_name = "NAME")]
    pub board: Option<String>,
    /// How many jobs to list, newest first (0 lists them all)
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Print one JSON array on stdout
    #[arg(long)]
    pub json: bool,
}

fn fail(message: &str, code: u8) -> ExitCode {
    let _ = writeln!(io::stderr(), "peel history: {message}");
    ExitCode::from(code)
}

/// Runs `peel history`.
pub fn run(args: &HistoryArgs) -> ExitCode {
    let search = JobSearch {
        text: args.search.clone(),
        failed_only: args.failed,
        starred_only: args.starred,
        board: args.board.clone(),
        limit: (args.limit > 0).then_some(args.limit),
        ..JobSearch::default()
    };
    if let Some(board) = &args.board
        && let Err(message) = board_exists(board)
    {
        return fail(&message, EXIT_BAD_INPUT);
    }
    let jobs = match jobs_matching(&search) {
        Ok(jobs) => jobs,
        Err(error) if error.bad_input => return fail(&error.message, EXIT_BAD_INPUT),
        Err(error) => return fail(&error.message, EXIT_STORE),
    };
    let mut out = io::stdout().lock();
    if args.json {
        let entries: Vec<serde_json::Value> = jobs.iter().map(entry_json).collect();
        let text = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".to_owned());
        let _ = writeln!(out, "{text}");
    } else if jobs.is_empty() {
        let what = if args.search.is_some() || args.failed || args.starred || args.board.is_some() {
            "No job matches."
        } else {
            "No jobs yet."
        };
        let folder = crate::store::paths::data_dir().unwrap_or_default();
        let _ = writeln!(io::stderr(), "{what} (history in {})", folder.display());
    } else {
        let zone = TimeZone::system();
        for job in &jobs {
            let _ = writeln!(out, "{}", entry_line(job, &zone));
        }
    }
    ExitCode::from(EXIT_OK)
}

/// The model that made the image, else the one last tried.
fn model_of(job: &Job) -> Option<&str> {
    job.model_used
        .as_deref()
        .or_else(|| job.attempts.last().map(|attempt| attempt.model.as_str()))
}

/// The last diagnosis kind: the kept diagnosis, else the last attempt's (a diagnosis an older
/// Peel wrote may not read).
fn diagnosis_kind(job: &Job) -> Option<&str> {
    job.diagnosis
        .as_ref()
        .map(|diagnosis| diagnosis.kind.id())
        .or_else(|| job.attempts.last().map(|attempt| attempt.kind.as_str()))
}

/// One job as a JSON object.
fn entry_json(job: &Job) -> serde_json::Value {
    serde_json::json!({
        "id": job.id,
        "created_at": job.created_at.to_string(),
        "state": job.state.word(),
        "prompt": job.spec.prompt,
        "model": model_of(job),
        "image_path": job.image_path.as_ref().map(|path| path.display().to_string()),
        "diagnosis_kind": diagnosis_kind(job),
        "reason": job.reason,
        "cost_usd": job.attempts.iter().map(|attempt| attempt.cost_usd).sum::<f64>(),
        "starred": job.starred,
        "boards": job.boards,
        "attempts": job.attempts.iter().map(attempt_json).collect::<Vec<_>>(),
    })
}

/// One attempt as a JSON object: its outcome is the diagnosis kind, or, for a request with no
/// answer, what became of it (`in_flight`, `answer_lost`, `cancelled_in_flight`) with its words.
fn attempt_json(attempt: &crate::job::AttemptRecord) -> serde_json::Value {
    serde_json::json!({
        "model": attempt.model,
        "started_at": attempt.started_at.to_string(),
        "duration_ms": attempt.duration_ms,
        "outcome": attempt.kind,
        "note": attempt.unanswered_words(),
        "http_status": attempt.http_status,
        "sent": attempt.was_sent(),
        "cost_usd": attempt.cost_usd,
    })
}

/// One job as a line: id, local time, state, kind, model, image, prompt (cut), and the reason of
/// a job that did not deliver.
fn entry_line(job: &Job, zone: &TimeZone) -> String {
    let time = job
        .created_at
        .to_zoned(zone.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    let image = job
        .image_path
        .as_ref()
        .map_or_else(|| "-".to_owned(), |path| path.display().to_string());
    let one_line = job
        .spec
        .prompt
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut prompt: String = one_line.chars().take(PROMPT_CHARS).collect();
    if one_line.chars().count() > PROMPT_CHARS {
        prompt.push('…');
    }
    let mut line = format!(
        "{:>5}{}  {time}  {:<9}  {:<18}  {}  {image}  \"{prompt}\"",
        job.id,
        if job.starred { " ★" } else { "  " },
        job.state.word(),
        diagnosis_kind(job).unwrap_or("-"),
        model_of(job).unwrap_or("-"),
    );
    if job.state != JobState::Delivered
        && let Some(reason) = &job.reason
    {
        line.push_str(" · ");
        line.push_str(reason);
    }
    if !job.boards.is_empty() {
        line.push_str(" · boards: ");
        line.push_str(&job.boards.join(", "));
    }
    line
}

/// `Ok` when the board `name` exists (a library with no database has none), else the sentence.
fn board_exists(name: &str) -> Result<(), String> {
    let missing = || {
        format!(
            "there is no board named \"{}\"; peel board list shows the boards there are",
            name.trim()
        )
    };
    let Some(data_dir) = crate::store::paths::data_dir() else {
        return Err(missing());
    };
    let database = crate::store::paths::database_path(&data_dir);
    if !database.exists() {
        return Err(missing());
    }
    match crate::store::Store::open(&database).and_then(|store| store.board(name)) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(missing()),
        Err(error) => Err(error.to_string()),
    }
}
