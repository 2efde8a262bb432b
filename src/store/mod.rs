//! Storage: where Peel keeps its data, and the SQLite database behind the durable job queue and
//! the history.
//!
//! - [`paths`]: the data directory (`directories`), overridable with `PEEL_DATA_DIR`.
//! - [`platform`]: where things are on Linux, Windows and macOS: the data folder, the keychain
//!   that keeps the key, the file dialogs; in words for the window and the README.
//! - [`db`]: the SQLite database (bundled SQLite, WAL): jobs, attempts, model lockouts.
//! - [`schema`]: its tables, and the migration steps that bring an older database to them.
//! - [`library`]: reference images found again by their hash (for imports).
//! - [`references`]: reference images kept once by their hash (`references/<sha256>.<ext>`);
//!   jobs name them, the request being sent reads them back.
//! - [`files`]: crash-safe file writes (temp file, fsync, rename).
//! - [`interim`]: a thinking model's interim images while its answer arrives (`thinking/`).
//! - [`export`]: a job's export folder (image, provenance, diagnosis), for `peel export` and the
//!   window's "Export selected…".
//! - [`search`]: the history searched, newest first: prompt words (FTS5), outcome, model, date,
//!   stars, boards, and jobs that did not deliver.
//! - [`name_memory`]: what the designer's jobs taught the preflight: names that passed or were
//!   blocked, prompts a filter stopped (per designer, never sent anywhere).
//! - [`model_cache`]: the last `models.list` answer (ids and when fetched), reused for a day.
//! - [`claims`]: one owner per job across processes (a claim with a lease).
//! - [`attempts`]: every request written before it leaves, settled by its answer, or kept as
//!   lost or cancelled after sending (probably billed).
//! - [`cancel`]: Cancel and Retry by hand, from any process on the data folder.
//! - [`boards`]: stars and boards (named collections of jobs; a job may be on several), and
//!   their counts.
//! - [`trash`]: where a deleted job's files go: the system trash, never straight to unlink.
//! - [`thumbs`]: the gallery's thumbnail cache (`thumbs/<hash>-<side>.png`), and removing an
//!   image's thumbnails when its job is deleted.
//! - [`turns`]: the model's turns kept for edits, image parts referring to files (each image's
//!   bytes exist once on disk).
//! - [`prompt_library`]: prompts and fragments of one kept under a name (save, rename, delete,
//!   search, import in one transaction); [`prompt_file`]: the library as a TOML file.

pub mod attempts;
pub mod boards;
pub mod cancel;
pub mod claims;
pub mod db;
pub mod export;
pub mod files;
pub mod interim;
pub mod library;
pub mod model_cache;
pub mod name_memory;
pub mod paths;
pub mod platform;
pub mod prompt_file;
pub mod prompt_library;
pub mod references;
pub mod schema;
pub mod search;
pub mod thumbs;
pub mod trash;
pub mod turns;

pub use crate::job::JobState;
pub use boards::{Board, BoardCounts, BoardError};
pub use db::{RememberedRewrite, Store, StoreError};
pub use search::JobSearch;
