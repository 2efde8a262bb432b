//! The progress printer: each engine event as one line on stderr (a wait counts down in place on
//! a terminal), and a finished job's one-line summary.

use std::fmt::Write as _;
use std::io::{self, IsTerminal as _, Write as _};

use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::diagnosis::words::human_duration;
use crate::worker::protocol::describe_fallback;
use crate::worker::{Event, JobOutcome, JobState};

/// Prints events to stderr; on a terminal, each wait counts down once a second.
pub(super) fn spawn_printer(mut rx: mpsc::Receiver<Event>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // On a terminal, each wait counts down once a second on its own line.
        let live = io::stderr().is_terminal();
        let mut waiting_until: Option<Timestamp> = None;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                event = rx.recv() => {
                    let Some(event) = event else { break };
                    if waiting_until.take().is_some() && live {
                        let _ = write!(io::stderr(), "\r\x1b[2K");
                    }
                    let _ = writeln!(io::stderr(), "{}", describe(&event));
                    if let Event::Waiting { until, .. } = &event {
                        waiting_until = Some(*until);
                    }
                }
                _ = tick.tick(), if live && waiting_until.is_some() => {
                    if let Some(until) = waiting_until {
                        let left_s = until.duration_since(Timestamp::now()).as_secs_f64().max(0.0);
                        let _ = write!(io::stderr(), "\r\x1b[2K  next attempt in {}", human_duration(left_s));
                    }
                }
            }
        }
    })
}

fn describe(event: &Event) -> String {
    match event {
        Event::Queued { job, .. } => format!("job {job}: queued"),
        Event::AttemptStarted {
            job,
            attempt,
            model,
            image_size,
            ..
        } => format!("job {job}: attempt {attempt} on {model} ({image_size})"),
        Event::Thought { job, thought } => format!("job {job}: {}", thought.describe()),
        Event::Waiting {
            job,
            wait_s,
            reason,
            ..
        } => format!("job {job}: waiting {wait_s:.1} s because {reason}"),
        Event::FellBack {
            job,
            from,
            to,
            reason,
            changes,
        } => format!(
            "job {job}: {}",
            describe_fallback(from, to, reason, changes)
        ),
        Event::BreakerChanged { model, state } => format!("{model}: circuit breaker now {state:?}"),
        Event::AttemptEnded { job, report } => {
            let status = report
                .record
                .http_status
                .map_or_else(|| "no HTTP answer".to_owned(), |s| format!("HTTP {s}"));
            format!(
                "job {job}: attempt on {} ended: {} ({status})",
                report.record.model, report.diagnosis.title
            )
        }
        Event::Restored { jobs, .. } => format!("{} earlier jobs in history", jobs.len()),
        Event::HistoryPage { jobs, .. } => format!("{} jobs read from the history", jobs.len()),
        Event::NameMemory(memory) => format!(
            "preflight memory: {} names and {} blocked prompts remembered",
            memory.names.len(),
            memory.prompts.len()
        ),
        Event::RewriteRemembered(rewrite) => {
            format!(
                "remembered: \"{}\" passed where \"{}\" was blocked",
                rewrite.passed, rewrite.blocked
            )
        }
        Event::Deleted { job } => format!("job {job}: deleted"),
        event @ (Event::BoardsChanged(_)
        | Event::BoardCounts(_)
        | Event::UnstarredFound { .. }
        | Event::UnstarredTrashed { .. }
        | Event::PromptLibrary { .. }) => describe_workspace(event),
        Event::Problem { message } => message.clone(),
        Event::Unsaved { images, prompts } => format!(
            "held in memory until the disk takes them: {images} image(s), {prompts} prompt(s)"
        ),
        Event::ModelsChecked { unlisted } if unlisted.is_empty() => {
            "models not listed by Google any more: none".to_owned()
        }
        Event::ModelsChecked { unlisted } => format!(
            "models not listed by Google any more (jobs skip them): {}",
            unlisted.join(", ")
        ),
        Event::ImageArrived { job, path, .. } => {
            format!("job {job}: image saved to {}", path.display())
        }
        Event::Finished(outcome) => describe_finished(outcome),
    }
}

/// The workspace's events (stars, boards, the prompt library), which `peel generate` never asks
/// for but prints like any other.
fn describe_workspace(event: &Event) -> String {
    match event {
        Event::BoardsChanged(change) => format!("stars and boards changed: {change:?}"),
        Event::BoardCounts(counts) => format!(
            "{} jobs, {} starred, {} boards",
            counts.all,
            counts.starred,
            counts.boards.len()
        ),
        Event::UnstarredFound { jobs, .. } => format!("{} unstarred jobs found", jobs.len()),
        Event::UnstarredTrashed {
            trashed,
            kept,
            stopped,
        } => format!("{trashed} jobs to the trash, {kept} kept, {stopped} not reached"),
        Event::PromptLibrary { entries, news } => news
            .clone()
            .unwrap_or_else(|| format!("prompt library: {} entries", entries.len())),
        other => format!("{other:?}"),
    }
}

/// "job N: done: …", with what to do when it did not deliver.
fn describe_finished(outcome: &JobOutcome) -> String {
    let status = match outcome.status {
        JobState::Delivered => "done",
        JobState::Stopped => "stopped",
        JobState::Parked => "kept in the queue",
        JobState::Cancelled => "cancelled",
        JobState::Deleted => "deleted",
        JobState::Queued | JobState::Running => "not finished",
    };
    let mut line = format!("job {}: {status}: {}", outcome.job, outcome.reason);
    if let Some(diagnosis) = outcome
        .diagnosis
        .as_ref()
        .filter(|_| outcome.status != JobState::Delivered)
    {
        let _ = write!(line, "\n  What to do: {}", diagnosis.fix);
    }
    line
}
