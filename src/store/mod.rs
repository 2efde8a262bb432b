//! Storage: where Peel keeps its data, and the SQLite database behind the durable job queue (and,
//! with a later issue, the history).
//!
//! - [`paths`]: the data directory (`directories`), overridable with `PEEL_DATA_DIR`.
//! - [`db`]: the SQLite database (bundled SQLite, WAL): jobs, attempts, model lockouts.
//! - [`files`]: crash-safe file writes (temp file, fsync, rename).

pub mod db;
pub mod files;
pub mod paths;

pub use db::{JobRecord, JobState, JobSummary, RememberedRewrite, Store, StoreError};
