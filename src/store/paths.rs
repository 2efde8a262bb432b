//! The data directory: `PEEL_DATA_DIR` when set (tests, portable installs), else the platform's
//! data directory for "peel" (`~/.local/share/peel` on Linux).

use std::path::PathBuf;

/// The environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "PEEL_DATA_DIR";

/// The data directory, if one can be found.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "peel").map(|dirs| dirs.data_dir().to_path_buf())
}

/// The database file inside a data directory.
pub fn database_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("peel.db")
}
