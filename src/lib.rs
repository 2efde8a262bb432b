//! Peel: tells designers exactly why a Gemini image generation failed, names the layer that failed,
//! and recovers or shows what to change.
//!
//! Module map (dependencies point one way, top to bottom):
//!
//! - [`app`]: the eframe app: state, event draining, intents → commands, and the media service
//!   (files, thumbnails, dialogs, clipboard, keychain off the UI thread); `app::run` opens the window.
//! - [`ui`]: only egui code: one file per panel (editor, gallery, why-panel, activity, settings,
//!   large view), drawing state and emitting intents.
//! - [`cli`]: the `peel` subcommands (clap); each calls the same library functions the app will use.
//! - [`api`]: the Gemini REST wire types, the async client (reqwest, rustls) and the model catalog.
//! - [`diagnosis`]: pure — (HTTP status or transport failure, body) → [`diagnosis::Diagnosis`]. Reads
//!   `api`'s plain data types only; no I/O, no async.
//! - [`sim`]: the Gemini simulator, a real axum server on loopback (scenarios, quotas, faults,
//!   safety rules from `assets/`), used without a key and by every integration test.
//! - [`resilience`]: pure policy — backoff, retry-after, fallback, circuit breaker, client-side
//!   rate limits, budgets; time and randomness injected.
//! - [`store`]: the data directory, crash-safe file writes, and the SQLite database (durable job
//!   queue and history, attempts, model lockouts).
//! - [`worker`]: the tokio side: runs jobs with the policy (model choice, limits, attempts, waits),
//!   talks to the UI or CLI over bounded channels.
//!
//! - [`rewrite`]: pure — rewrite suggestions for a prompt a content filter blocked, each edit
//!   with its reason; names and rules from `assets/`.

pub mod api;
pub mod app;
pub mod cli;
pub mod diagnosis;
pub mod resilience;
pub mod rewrite;
pub mod sim;
pub mod store;
pub mod ui;
pub mod worker;
