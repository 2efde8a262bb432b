//! Searching files and text for a key in every form it could be written in: raw, URL-encoded,
//! base64 (standard and URL-safe, at each of the three alignments a longer stream can put it
//! at) and hex. Used by the secrets sweeps of the `engine` and `window` test binaries.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// The forms the key could be written in: raw, URL-encoded, base64 (standard and URL-safe, at
/// each of the three alignments a longer stream can put it at), hex.
pub fn key_forms(key: &str) -> Vec<(String, Vec<u8>)> {
    let mut forms = vec![
        ("raw".to_owned(), key.as_bytes().to_vec()),
        ("hex".to_owned(), hex(key.as_bytes()).into_bytes()),
        (
            "percent-encoded".to_owned(),
            key.bytes()
                .fold(String::new(), |mut out, byte| {
                    let _ = write!(out, "%{byte:02X}");
                    out
                })
                .into_bytes(),
        ),
    ];
    let engines = [
        ("base64", base64::engine::general_purpose::STANDARD),
        ("base64url", base64::engine::general_purpose::URL_SAFE),
    ];
    for (name, engine) in engines {
        for pad in 0..3 {
            // The key after `pad` other bytes: the characters that depend only on the key are
            // those after the first group that holds a pad byte, and before the last group.
            let mut bytes = vec![b'#'; pad];
            bytes.extend_from_slice(key.as_bytes());
            let encoded = engine.encode(&bytes);
            let skip = if pad == 0 { 0 } else { 4 };
            let middle = &encoded[skip..encoded.len() - 4];
            forms.push((
                format!("{name} at offset {pad}"),
                middle.as_bytes().to_vec(),
            ));
        }
    }
    forms
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// Every file under `root`, recursively.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Where `haystack` holds any form of `key` (case-insensitively for the text forms).
pub fn hits_in(haystack: &[u8], key: &str) -> Vec<String> {
    let lower = haystack.to_ascii_lowercase();
    key_forms(key)
        .into_iter()
        .filter(|(name, needle)| {
            let found_exact = haystack
                .windows(needle.len())
                .any(|w| w == needle.as_slice());
            let case_blind = !name.starts_with("base64");
            let needle_lower = needle.to_ascii_lowercase();
            found_exact || (case_blind && lower.windows(needle.len()).any(|w| w == needle_lower))
        })
        .map(|(name, _)| name)
        .collect()
}

/// Every file under the roots that holds the key in any form, with the forms found.
pub fn sweep(roots: &[&Path], key: &str) -> (usize, Vec<String>) {
    let mut swept = 0;
    let mut found = Vec::new();
    for root in roots {
        for file in files_under(root) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            swept += 1;
            let hits = hits_in(&bytes, key);
            if !hits.is_empty() {
                found.push(format!("{}: {}", file.display(), hits.join(", ")));
            }
        }
    }
    (swept, found)
}
