//! The last `models.list` answer, kept in the data folder (`models-cache.json`): the listed ids,
//! the endpoint they came from and when they were fetched, so a start within a day needs no
//! request. Written crash-safely; a missing or unreadable file just means "fetch again".
//!
//! The file holds no key: the endpoint is kept without user info or query (where a key could hide).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::files::{WriteError, write_atomically};

/// The file's name inside the data folder.
pub const FILE_NAME: &str = "models-cache.json";

/// How long a cached list is used before it is fetched again, in seconds (a day).
pub const MAX_AGE_S: i64 = 24 * 60 * 60;

/// The cache file of a data folder.
pub fn cache_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Why the cache could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelCacheError {
    /// The file exists but could not be read.
    #[error(
        "Peel could not read its list of Google's models at {path}: {source}. It fetches the list again; check the data folder's permissions if this repeats."
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a model list (damaged, or from another version).
    #[error(
        "Peel's list of Google's models at {path} is damaged ({reason}). It fetches the list again; deleting the file is safe."
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// One cached `models.list` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCache {
    /// The endpoint and API version the list came from (see [`endpoint_label`]).
    pub endpoint: String,
    /// When it was fetched.
    pub fetched_at: Timestamp,
    /// The ids listed for `generateContent`, sorted.
    pub ids: Vec<String>,
}

impl ModelCache {
    /// Whether this list is from `endpoint` and younger than `max_age_s` at `now`. A list from
    /// the future (a clock set back) is not fresh.
    pub fn is_fresh_for(&self, endpoint: &str, now: Timestamp, max_age_s: i64) -> bool {
        let age_s = now.as_second() - self.fetched_at.as_second();
        self.endpoint == endpoint && (0..max_age_s).contains(&age_s)
    }
}

/// The endpoint as the cache names it: base URL and API version, without user info or query.
pub fn endpoint_label(base_url: &str, api_version: &str) -> String {
    let without_query = base_url.split(['?', '#']).next().unwrap_or_default();
    let cleaned = match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let rest = rest
                .split_once('@')
                .filter(|(userinfo, _)| !userinfo.contains('/'))
                .map_or(rest, |(_, host)| host);
            format!("{scheme}://{rest}")
        }
        None => without_query.to_owned(),
    };
    format!("{} {api_version}", cleaned.trim_end_matches('/'))
}

/// Reads the cache; `Ok(None)` when there is none yet.
pub fn read(path: &Path) -> Result<Option<ModelCache>, ModelCacheError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ModelCacheError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|error| ModelCacheError::Damaged {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })
}

/// Writes the cache crash-safely (temp file, fsync, rename).
pub fn write(path: &Path, cache: &ModelCache) -> Result<(), ModelCacheError> {
    let json = serde_json::to_vec_pretty(cache).map_err(|error| ModelCacheError::Damaged {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    write_atomically(path, &json)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(fetched_at: &str) -> ModelCache {
        ModelCache {
            endpoint: endpoint_label("https://generativelanguage.googleapis.com/", "v1beta"),
            fetched_at: fetched_at.parse().unwrap(),
            ids: vec![
                "gemini-3-pro-image".to_owned(),
                "gemini-nano-banana-2.1".to_owned(),
            ],
        }
    }

    #[test]
    fn a_written_cache_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = cache_path(dir.path());
        assert!(read(&path).unwrap().is_none());
        let written = cache("2026-11-30T10:00:00Z");
        write(&path, &written).unwrap();
        assert_eq!(read(&path).unwrap(), Some(written));
    }

    #[test]
    fn a_damaged_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = cache_path(dir.path());
        std::fs::write(&path, "{not json").unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            error.to_string().contains("deleting the file is safe"),
            "{error}"
        );
    }

    #[test]
    fn freshness_depends_on_age_and_endpoint() {
        let cached = cache("2026-11-30T10:00:00Z");
        let google = endpoint_label("https://generativelanguage.googleapis.com", "v1beta");
        let later = |hours: i64| -> Timestamp {
            cached
                .fetched_at
                .checked_add(jiff::SignedDuration::from_hours(hours))
                .unwrap()
        };
        assert!(cached.is_fresh_for(&google, later(23), MAX_AGE_S));
        assert!(!cached.is_fresh_for(&google, later(25), MAX_AGE_S));
        assert!(!cached.is_fresh_for(&google, later(-1), MAX_AGE_S));
        let proxy = endpoint_label("http://127.0.0.1:8080", "v1beta");
        assert!(!cached.is_fresh_for(&proxy, later(1), MAX_AGE_S));
        let other_version = endpoint_label("https://generativelanguage.googleapis.com", "v1");
        assert!(!cached.is_fresh_for(&other_version, later(1), MAX_AGE_S));
    }

    #[test]
    fn endpoints_are_kept_without_secrets() {
        assert_eq!(
            endpoint_label(
                "https://user:secret@proxy.example/gemini/?key=AIzaXYZ",
                "v1"
            ),
            "https://proxy.example/gemini v1"
        );
    }
}
