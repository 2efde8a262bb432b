//! Storage: where Peel keeps its data, and the SQLite database behind the durable job queue (and,
//! with a later issue, the history).
//!
//! - [`paths`]: the data directory (`directories`), overridable with `PEEL_DATA_DIR`.
//! - [`db`]: the SQLite database (bundled SQLite, WAL): jobs, attempts, model lockouts.
//! - [`files`]: crash-safe file writes (temp file, fsync, rename).
//! - [`model_cache`]: the last `models.list` answer (ids and when fetched), reused for a day.
//! - [`turns`]: the model's turns kept for edits, image parts referring to files (each image's
//!   bytes exist once on disk).

pub mod db;
pub mod files;
pub mod model_cache;
pub mod paths;
pub mod turns;

pub use crate::job::JobState;
pub use db::{RememberedRewrite, Store, StoreError};
