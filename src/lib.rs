//! Peel: tells designers exactly why a Gemini image generation failed, names the layer that failed,
//! and recovers or shows what to change.
//!
//! Module map. Dependencies point one way, down this list: a module uses only modules below it
//! (`tests/engine/layering.rs` checks every `crate::` path against this order).
//!
//! - [`cli`]: the `peel` subcommands (clap); each calls the same library functions the window uses.
//! - [`app`]: the eframe app: owns the [`view`] state, drains worker and media events, turns the
//!   UI's intents into commands, and runs the media service (files, thumbnails, dialogs,
//!   clipboard, keychain, all off the UI thread); `app::run` opens the window.
//! - [`session`]: the one start-up the window, the CLI and the tests share: runtime, store,
//!   backend (the key's endpoint, or the in-process simulator) and engine; the key from the
//!   environment.
//! - [`ui`]: only egui code: one file per panel (editor, gallery, why-panel, activity, settings,
//!   large view), drawing [`view`] state and emitting intents. Never uses `app`.
//! - [`view`]: the view model: what the window draws (jobs, attempts, breakers, spend), folded
//!   from worker events, and the media service's messages.
//! - [`worker`]: the tokio side: the engine runs each job (gate, attempt, act) with the policy,
//!   keeps each image once on disk, and talks to the window or CLI over bounded channels.
//! - [`sim`]: the Gemini simulator, a real axum server on loopback (scenarios, quotas, faults,
//!   hostile answers, safety rules from `assets/`), used without a key and by every integration
//!   test.
//! - [`logging`]: the log: a daily file in the data folder (every line redacted), recent
//!   warnings and errors in memory for the window, and stderr for `peel … -v`.
//! - [`store`]: the data folder, crash-safe file writes, the SQLite database (durable job queue
//!   and history, attempts, model lockouts, the history searched, stars and boards), the model
//!   turns kept for edits, a job's export folder, and the system trash deleted images go to.
//! - [`provenance`]: pure — where an image came from (prompt, model, settings, attempts, cost),
//!   written into the PNG or JPEG itself as extra chunks or one XMP segment, read back, and
//!   stripped to the exact bytes the API sent.
//! - [`rewrite`]: pure — rewrite suggestions for a prompt a content filter blocked, each edit
//!   with its reason; names and rules from `assets/`.
//! - [`resilience`]: pure policy — backoff, retry-after, fallback, circuit breaker, client-side
//!   rate limits, budgets; time and randomness injected.
//! - [`job`]: pure — the one vocabulary of a job (id, spec, state, attempt, the job as the history
//!   keeps it) shared by the store, the worker, the window and the CLI.
//! - [`diagnosis`]: pure — (HTTP status or transport failure, body or parsed answer) →
//!   [`diagnosis::Diagnosis`]; no I/O, no async.
//! - [`api`]: the Gemini REST wire types, the async client (reqwest, rustls) and the model catalog.
//! - [`redact`]: a leaf — removes API keys and other credentials from any text; `api`,
//!   `diagnosis` and `logging` use it.
//!
//! Read first: `diagnosis` (the contract every surface shows), then `worker::job` (one job's
//! loop), then `view::state` and `ui` (what the window draws).

pub mod api;
pub mod app;
pub mod cli;
pub mod diagnosis;
pub mod job;
pub mod logging;
pub mod provenance;
pub mod redact;
pub mod resilience;
pub mod rewrite;
pub mod session;
pub mod sim;
pub mod store;
pub mod ui;
pub mod view;
pub mod worker;
