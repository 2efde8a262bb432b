//! The view model: what the window draws and what it can ask for besides the worker. `ui`
//! depends on this module and on `worker::protocol`, never on `app`; `app` owns a [`state::AppState`],
//! runs the media service behind [`media`]'s messages, and turns the UI's intents into work.
//!
//! - [`state`]: the jobs, attempts, diagnoses, breakers, spend and outcome history, as plain data;
//!   worker events fold in with `apply` (pure, unit-tested).
//! - [`boards`]: the boards sidebar's counts, the unstarred jobs a delete would take, and star
//!   and board changes folded into the loaded jobs.
//! - [`job_view`]: one job as the window shows it (re-exported by [`state`]).
//! - [`thinking`]: a thinking model's summaries and interim images for the attempt under way.
//! - [`typical`]: how long an answer usually takes (the designer's median, else users' reports).
//! - [`media`]: the media service's requests and events.
//! - [`log`]: the recent warnings and errors the window shows, and where the log file is.
//! - [`compare`]: two to four jobs side by side, each prompt diffed against the first.
//! - [`try_rewrites`]: a blocked job's top rewrites queued as jobs, with their cost said first.

pub mod boards;
pub mod compare;
pub mod job_view;
pub mod log;
pub mod media;
pub mod state;
pub mod thinking;
pub mod try_rewrites;
pub mod typical;
