//! The model's turns, kept so an edit can resend them exactly as received (thought signatures
//! and thought parts included, as Google's own chat client does), without a second copy of any
//! image: each image part holds a stand-in naming the file with its bytes. The final image is the
//! file in the designer's output folder; thought images are kept once, content-addressed, under
//! `thoughts/` in the data folder, apart from `images/` (the window's default output folder;
//! earlier versions kept them there, and their turns are still read). The final image file
//! carries Peel's provenance, stripped off again before it is resent. Turns live in the data
//! folder (`turns/job-N.json`), never in the designer's output folder.
//!
//! Blocking file I/O: call from `spawn_blocking`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::files::{WriteError, write_atomically};
use crate::api::wire::{Content, ImageStandIn};

/// Why a stored turn cannot be used for an edit.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// No turn was kept for the job.
    #[error("Peel kept no record of the model's answer for this image")]
    Missing,
    /// The turn file is not readable.
    #[error("the record of the model's answer ({path}) could not be read: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// A file an image part refers to is gone or changed.
    #[error("the file {path} that held an image of the earlier answer is {reason}")]
    ImageGone {
        /// The file.
        path: String,
        /// "missing" or "changed since".
        reason: String,
    },
}

/// Lower-case hex SHA-256 of `bytes` (the digest's own `LowerHex`: Peel's one hex formatter).
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Where the turn of job `job` is kept.
pub fn turn_file(data_dir: &Path, job: i64) -> PathBuf {
    data_dir.join("turns").join(format!("job-{job}.json"))
}

/// Where Peel keeps an image the output folder could not take: `images/<sha256>.<ext>` (also
/// where earlier versions kept thought images; their turns still point there).
pub fn image_file(data_dir: &Path, sha256: &str, mime_type: &str) -> PathBuf {
    data_dir
        .join("images")
        .join(format!("{sha256}.{}", extension(mime_type)))
}

/// Where Peel keeps a thought image of an answer (never the designer's file):
/// `thoughts/<sha256>.<ext>`, apart from `images/`, which is the window's default output folder.
pub fn thought_file(data_dir: &Path, sha256: &str, mime_type: &str) -> PathBuf {
    data_dir
        .join(THOUGHTS)
        .join(format!("{sha256}.{}", extension(mime_type)))
}

/// The folder of kept thought images in the data folder.
const THOUGHTS: &str = "thoughts";

/// The usual file extension for an image type.
pub fn extension(mime_type: &str) -> &'static str {
    match mime_type {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        _ => "png",
    }
}

/// Keeps `bytes` under `images/` by their hash (once: an existing file of that name is it).
pub fn keep_image(
    data_dir: &Path,
    sha256: &str,
    mime_type: &str,
    bytes: &[u8],
) -> Result<PathBuf, WriteError> {
    keep_once(image_file(data_dir, sha256, mime_type), bytes)
}

/// Keeps a thought image's `bytes` under `thoughts/` by their hash (once).
pub fn keep_thought_image(
    data_dir: &Path,
    sha256: &str,
    mime_type: &str,
    bytes: &[u8],
) -> Result<PathBuf, WriteError> {
    keep_once(thought_file(data_dir, sha256, mime_type), bytes)
}

fn keep_once(path: PathBuf, bytes: &[u8]) -> Result<PathBuf, WriteError> {
    if !path.exists() {
        write_atomically(&path, bytes)?;
    }
    Ok(path)
}

/// Saves the turn of job `job` (its image parts must hold stand-ins, not bytes).
pub fn save_turn(data_dir: &Path, job: i64, turn: &Content) -> Result<(), WriteError> {
    debug_assert!(
        turn.parts
            .iter()
            .filter_map(|part| part.inline_data.as_ref())
            .all(|blob| blob.data.is_empty()),
        "a stored turn never embeds image bytes"
    );
    let path = turn_file(data_dir, job);
    let json = serde_json::to_vec(turn).map_err(|error| WriteError {
        path: path.clone(),
        source: std::io::Error::other(error),
    })?;
    write_atomically(&path, &json)
}

/// Reads the turn of job `job`; `legacy` is the sidecar earlier versions wrote beside the image
/// (`peel-7.turn.json`, images embedded), read when no turn is in the data folder.
pub fn load_turn(data_dir: &Path, job: i64, legacy: Option<&Path>) -> Result<Content, TurnError> {
    let path = turn_file(data_dir, job);
    let path = match legacy {
        Some(legacy) if !path.exists() && legacy.exists() => legacy.to_path_buf(),
        _ => path,
    };
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(TurnError::Missing);
        }
        Err(error) => {
            return Err(TurnError::Unreadable {
                path: path.display().to_string(),
                reason: error.to_string(),
            });
        }
    };
    serde_json::from_slice(&text).map_err(|error| TurnError::Unreadable {
        path: path.display().to_string(),
        reason: error.to_string(),
    })
}

/// The files a stored turn refers to that Peel keeps itself (under `data_dir`).
pub fn kept_files(data_dir: &Path, turn: &Content) -> Vec<PathBuf> {
    let (images, thoughts) = (data_dir.join("images"), data_dir.join(THOUGHTS));
    turn.parts
        .iter()
        .filter_map(|part| part.inline_data.as_ref()?.stand_in.as_ref()?.file.as_ref())
        .map(PathBuf::from)
        .filter(|path| path.starts_with(&images) || path.starts_with(&thoughts))
        .collect()
}

/// The files Peel keeps for job `job`'s turn that no other kept turn refers to (content-addressed
/// files are shared when two answers hold the same image): what deleting the job may remove.
pub fn files_only_job_uses(data_dir: &Path, job: i64) -> Vec<PathBuf> {
    let Ok(turn) = load_turn(data_dir, job, None) else {
        return Vec::new();
    };
    let mut files = kept_files(data_dir, &turn);
    let own = turn_file(data_dir, job);
    let Ok(entries) = std::fs::read_dir(data_dir.join("turns")) else {
        return files;
    };
    for entry in entries.flatten() {
        if files.is_empty() {
            break;
        }
        if entry.path() == own {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            files.retain(|file| {
                let name = file.file_name().unwrap_or_default().to_string_lossy();
                !text.contains(name.as_ref())
            });
        }
    }
    files
}

/// Whether any part of `contents` refers to a file instead of holding its bytes.
pub fn refers_to_files(contents: &[Content]) -> bool {
    contents
        .iter()
        .flat_map(|content| &content.parts)
        .filter_map(|part| part.inline_data.as_ref())
        .any(|blob| blob.data.is_empty() && blob.stand_in.is_some())
}

/// `contents` ready to send: every image part that refers to a file gets its bytes back (base64)
/// after its hash is checked, and loses its stand-in.
pub fn resolve(contents: &[Content]) -> Result<Vec<Content>, TurnError> {
    resolve_in(contents, None)
}

/// [`resolve`], also looking for a kept file by its name in `data_dir`'s `references/`,
/// `thoughts/` and `images/` when the path recorded is gone (the data folder was moved, or named relative to
/// another working folder); the hash check still decides.
pub fn resolve_in(
    contents: &[Content],
    data_dir: Option<&Path>,
) -> Result<Vec<Content>, TurnError> {
    let mut resolved = contents.to_vec();
    for blob in resolved
        .iter_mut()
        .flat_map(|content| content.parts.iter_mut())
        .filter_map(|part| part.inline_data.as_mut())
    {
        let Some(stand_in) = blob.stand_in.take() else {
            continue;
        };
        if !blob.data.is_empty() {
            continue;
        }
        blob.data = read_checked(&stand_in, data_dir)?;
    }
    Ok(resolved)
}

/// The kept file's bytes: at its recorded path, else (when that is gone) under the same name in
/// `data_dir`'s `references/`, `thoughts/` or `images/`.
fn read_kept(file: &str, data_dir: Option<&Path>) -> std::io::Result<Vec<u8>> {
    let recorded = std::fs::read(file);
    let (Err(error), Some(data_dir), Some(name)) =
        (&recorded, data_dir, Path::new(file).file_name())
    else {
        return recorded;
    };
    if error.kind() != std::io::ErrorKind::NotFound {
        return recorded;
    }
    ["references", THOUGHTS, "images"]
        .iter()
        .find_map(|folder| std::fs::read(data_dir.join(folder).join(name)).ok())
        .map_or(recorded, Ok)
}

fn read_checked(stand_in: &ImageStandIn, data_dir: Option<&Path>) -> Result<String, TurnError> {
    let Some(file) = &stand_in.file else {
        return Err(TurnError::ImageGone {
            path: "(none)".to_owned(),
            reason: "not recorded".to_owned(),
        });
    };
    let bytes = read_kept(file, data_dir).map_err(|error| TurnError::ImageGone {
        path: file.clone(),
        reason: if error.kind() == std::io::ErrorKind::NotFound {
            "missing".to_owned()
        } else {
            format!("unreadable ({error})")
        },
    })?;
    // A kept file (a thought image, a reference) is the bytes that were hashed. The designer's
    // file carries Peel's provenance: the answer's own bytes are what was hashed and what an
    // edit resends.
    let bytes = match &stand_in.sha256 {
        Some(expected) if &sha256_hex(&bytes) == expected => bytes,
        Some(expected) => {
            let stripped = crate::provenance::strip(&bytes);
            if &sha256_hex(&stripped) != expected {
                return Err(TurnError::ImageGone {
                    path: file.clone(),
                    reason: "changed since it was made".to_owned(),
                });
            }
            stripped.into_owned()
        }
        None => crate::provenance::strip(&bytes).into_owned(),
    };
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::{Blob, Part};

    fn stand_in_part(file: &Path, bytes: &[u8], thought: bool) -> Part {
        Part {
            inline_data: Some(Blob {
                mime_type: "image/jpeg".to_owned(),
                data: String::new(),
                stand_in: Some(ImageStandIn {
                    bytes: bytes.len() as u64,
                    sha256: Some(sha256_hex(bytes)),
                    file: Some(file.display().to_string()),
                    ..ImageStandIn::default()
                }),
            }),
            thought: thought.then_some(true),
            thought_signature: (!thought).then(|| "c2ln".to_owned()),
            ..Part::default()
        }
    }

    #[test]
    fn a_turn_round_trips_and_resolves_to_the_exact_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let thought = b"thought image bytes".to_vec();
        let thought_path = keep_thought_image(&data, "abc", "image/jpeg", &thought).unwrap();
        assert_eq!(
            thought_path,
            data.join("thoughts/abc.jpg"),
            "apart from images/, the window's default output folder"
        );
        let final_path = dir.path().join("out/peel-1.jpg");
        let final_bytes = b"final image bytes".to_vec();
        write_atomically(&final_path, &final_bytes).unwrap();
        let turn = Content {
            role: Some("model".to_owned()),
            parts: vec![
                stand_in_part(&thought_path, &thought, true),
                stand_in_part(&final_path, &final_bytes, false),
            ],
        };
        save_turn(&data, 1, &turn).unwrap();
        let stored = std::fs::read_to_string(turn_file(&data, 1)).unwrap();
        assert!(stored.len() < 2048);
        let loaded = load_turn(&data, 1, None).unwrap();
        assert_eq!(loaded, turn);
        assert!(refers_to_files(std::slice::from_ref(&loaded)));
        assert_eq!(kept_files(&data, &loaded), [thought_path]);
        let resolved = resolve(&[loaded]).unwrap();
        let blob = resolved[0].parts[1].inline_data.as_ref().unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&blob.data)
                .unwrap(),
            final_bytes
        );
        assert!(blob.stand_in.is_none());
        assert_eq!(
            resolved[0].parts[1].thought_signature.as_deref(),
            Some("c2ln")
        );
        assert!(!refers_to_files(&resolved));
    }

    #[test]
    fn a_changed_or_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peel-1.jpg");
        std::fs::write(&path, b"one").unwrap();
        let turn = Content {
            role: Some("model".to_owned()),
            parts: vec![stand_in_part(&path, b"one", false)],
        };
        std::fs::write(&path, b"two").unwrap();
        let error = resolve(std::slice::from_ref(&turn)).unwrap_err();
        assert!(error.to_string().contains("changed since"), "{error}");
        std::fs::remove_file(&path).unwrap();
        let error = resolve(&[turn]).unwrap_err();
        assert!(error.to_string().contains("missing"), "{error}");
        assert!(matches!(
            load_turn(dir.path(), 9, None),
            Err(TurnError::Missing)
        ));
    }

    #[test]
    fn a_moved_data_folder_still_finds_its_kept_files_by_name() {
        let old_home = tempfile::tempdir().unwrap();
        let draft = b"a kept draft".to_vec();
        let kept = keep_image(old_home.path(), &sha256_hex(&draft), "image/jpeg", &draft).unwrap();
        let turn = Content {
            role: Some("model".to_owned()),
            parts: vec![stand_in_part(&kept, &draft, true)],
        };
        // The designer moves the data folder: the recorded path is gone.
        let new_home = tempfile::tempdir().unwrap();
        let moved = new_home
            .path()
            .join("images")
            .join(kept.file_name().unwrap());
        std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
        std::fs::rename(&kept, &moved).unwrap();

        assert!(resolve(std::slice::from_ref(&turn)).is_err());
        let resolved = resolve_in(std::slice::from_ref(&turn), Some(new_home.path())).unwrap();
        let blob = resolved[0].parts[0].inline_data.as_ref().unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&blob.data)
                .unwrap(),
            draft
        );
        // The hash still decides: another file under that name is refused.
        std::fs::write(&moved, b"something else").unwrap();
        let error = resolve_in(&[turn], Some(new_home.path())).unwrap_err();
        assert!(error.to_string().contains("changed since"), "{error}");
    }

    #[test]
    fn shared_kept_files_stay_until_no_turn_refers_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let draft = b"the same draft".to_vec();
        let kept = keep_image(data, &sha256_hex(&draft), "image/jpeg", &draft).unwrap();
        let turn = Content {
            role: Some("model".to_owned()),
            parts: vec![stand_in_part(&kept, &draft, true)],
        };
        save_turn(data, 1, &turn).unwrap();
        save_turn(data, 2, &turn).unwrap();
        assert!(files_only_job_uses(data, 1).is_empty());
        std::fs::remove_file(turn_file(data, 2)).unwrap();
        assert_eq!(files_only_job_uses(data, 1), [kept]);
    }

    #[test]
    fn a_legacy_sidecar_is_read_when_no_turn_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("peel-3.turn.json");
        std::fs::write(
            &legacy,
            r#"{"role":"model","parts":[{"inlineData":{"mimeType":"image/png","data":"QUJD"},"thoughtSignature":"c2ln"}]}"#,
        )
        .unwrap();
        let turn = load_turn(&dir.path().join("data"), 3, Some(&legacy)).unwrap();
        let resolved = resolve(&[turn]).unwrap();
        assert_eq!(
            resolved[0].parts[0].inline_data.as_ref().unwrap().data,
            "QUJD"
        );
    }
}
