//! Peel's log: every `tracing` event Peel emits goes to a daily file in `<data>/logs/` (the last
//! [`FILES_KEPT`] days kept), every line redacted on its way ([`redacting_writer`]); warnings and
//! errors also go to an in-memory [`ring::LogRing`] the window shows, and with `peel … -v` to
//! stderr. The file is written by a background thread ([`tracing_appender::non_blocking`]), so
//! no thread that logs waits on the disk.
//!
//! [`init`] installs it once per process; when a global subscriber is already set (tests), it
//! leaves that one in place and says so in [`Logging::installed`].
//!
//! - [`panic_hook`]: a panic's message redacted, logged and printed in place of the default one.
//! - [`redacting_writer`]: a `MakeWriter` that redacts each formatted line.
//! - [`ring`]: the recent warnings and errors, for the window.

pub mod panic_hook;
pub mod redacting_writer;
pub mod ring;

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{self, Rotation};
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

pub use redacting_writer::RedactingMakeWriter;
pub use ring::{LogLevel, LogLine, LogRing, RingLayer};

/// The folder of the log files inside the data folder.
pub const LOG_FOLDER: &str = "logs";
/// Days of log files kept (one file a day).
pub const FILES_KEPT: usize = 7;
/// The log files' names: `peel.YYYY-MM-DD.log`.
pub const FILE_PREFIX: &str = "peel";
/// The log files' extension.
pub const FILE_SUFFIX: &str = "log";
/// The environment variable that sets what the file keeps (`tracing` filter syntax, e.g.
/// `peel=debug`); default [`FILE_FILTER_DEFAULT`].
pub const FILTER_ENV: &str = "PEEL_LOG";
/// What the file keeps by default: Peel's information and everyone's warnings.
pub const FILE_FILTER_DEFAULT: &str = "warn,peel=info";

/// The log folder of a data folder.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_FOLDER)
}

/// What to log where.
#[derive(Clone, Debug, Default)]
pub struct LogOptions {
    /// The data folder (the file goes in its `logs`); `None`: no file.
    pub data_dir: Option<PathBuf>,
    /// How many `-v` were given: 0 nothing on stderr, 1 warnings and errors, 2 information too,
    /// 3 or more debug.
    pub verbosity: u8,
}

/// The installed log; keep it for the life of the process (dropping it flushes the file).
#[derive(Debug)]
pub struct Logging {
    /// Recent warnings and errors (empty unless [`Logging::installed`]).
    pub ring: LogRing,
    /// The folder of the log files, when there is a file.
    pub folder: Option<PathBuf>,
    /// Why there is no file, when the folder could not be made or opened.
    pub file_error: Option<String>,
    /// Whether this became the process's subscriber (false when one was set before).
    pub installed: bool,
    /// Keeps the file's writer thread; dropping it writes out what is queued.
    _file_guard: Option<WorkerGuard>,
}

/// What stderr shows for a number of `-v`.
fn stderr_filter(verbosity: u8) -> Option<EnvFilter> {
    let directives = match verbosity {
        0 => return None,
        1 => "warn",
        2 => "warn,peel=info",
        _ => "info,peel=debug",
    };
    Some(EnvFilter::new(directives))
}

/// What the file keeps: [`FILTER_ENV`] when it parses, else [`FILE_FILTER_DEFAULT`].
fn file_filter() -> EnvFilter {
    EnvFilter::try_from_env(FILTER_ENV).unwrap_or_else(|_| EnvFilter::new(FILE_FILTER_DEFAULT))
}

/// The daily file in `folder`, written by a background thread.
fn open_file(
    folder: &Path,
) -> Result<(tracing_appender::non_blocking::NonBlocking, WorkerGuard), String> {
    let unwritable = |error: &dyn std::fmt::Display| {
        format!(
            "Peel could not write its log in {} ({error}); it carries on without a log file.",
            folder.display()
        )
    };
    // Made first: the appender looks for old files to prune before it makes the folder.
    std::fs::create_dir_all(folder).map_err(|error| unwritable(&error))?;
    let appender = rolling::Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix(FILE_SUFFIX)
        .max_log_files(FILES_KEPT)
        .build(folder)
        .map_err(|error| unwritable(&error))?;
    Ok(tracing_appender::non_blocking(appender))
}

/// What reaches the window: Peel's own warnings and errors, and only errors from the libraries
/// under it (winit's warnings about the display, say, are noise to a designer; the file keeps
/// them).
fn window_filter() -> Targets {
    Targets::new()
        .with_target(env!("CARGO_CRATE_NAME"), LevelFilter::WARN)
        .with_default(LevelFilter::ERROR)
}

/// Installs the log: the file in the data folder, the ring, and stderr for `-v`. Call once, at
/// start; a second call (or a subscriber set by a test) leaves the first in place.
pub fn init(options: &LogOptions) -> Logging {
    let ring = LogRing::default();
    if tracing::dispatcher::has_been_set() {
        return Logging {
            ring,
            folder: None,
            file_error: None,
            installed: false,
            _file_guard: None,
        };
    }
    let folder = options.data_dir.as_deref().map(log_dir);
    let (file, file_error) = match folder.as_deref().map(open_file) {
        Some(Ok(file)) => (Some(file), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    let (file_writer, file_guard) = file.unzip();
    let file_layer = file_writer.map(|writer| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(RedactingMakeWriter::new(writer))
            .with_filter(file_filter())
    });
    let stderr_layer = stderr_filter(options.verbosity).map(|filter| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_target(false)
            .without_time()
            .with_writer(RedactingMakeWriter::new(std::io::stderr))
            .with_filter(filter)
    });
    let ring_layer = RingLayer::new(ring.clone()).with_filter(window_filter());
    let installed = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .with(ring_layer)
        .try_init()
        .is_ok();
    if installed && let Some(error) = &file_error {
        tracing::warn!("{error}");
    }
    Logging {
        ring,
        folder: folder.filter(|_| installed && file_error.is_none()),
        file_error,
        installed,
        _file_guard: file_guard.filter(|_| installed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_shows_more_with_each_v() {
        assert!(stderr_filter(0).is_none());
        let warn = stderr_filter(1).unwrap().to_string();
        assert_eq!(warn, "warn");
        assert!(stderr_filter(2).unwrap().to_string().contains("peel=info"));
        assert!(stderr_filter(3).unwrap().to_string().contains("peel=debug"));
    }

    #[test]
    fn the_window_gets_peels_warnings_and_only_errors_from_libraries() {
        let window = window_filter();
        assert!(window.would_enable("peel::worker", &tracing::Level::WARN));
        assert!(!window.would_enable("peel::worker", &tracing::Level::INFO));
        assert!(!window.would_enable("winit::platform_impl", &tracing::Level::WARN));
        assert!(window.would_enable("wgpu_core", &tracing::Level::ERROR));
    }

    #[test]
    fn the_log_folder_is_made_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (_writer, _guard) = open_file(&log_dir(dir.path())).unwrap();
        assert!(dir.path().join(LOG_FOLDER).is_dir());
    }

    #[test]
    fn an_unwritable_log_folder_is_a_sentence_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("a-file");
        std::fs::write(&blocked, b"not a folder").unwrap();
        let error = open_file(&blocked.join(LOG_FOLDER)).unwrap_err();
        assert!(error.contains("carries on without a log file"), "{error}");
    }
}
