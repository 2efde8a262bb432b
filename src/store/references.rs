//! Reference images kept once, by their bytes' SHA-256, in the data folder's
//! `references/<sha256>.<ext>`: a job (and every edit of it) names a reference by
//! [`Reference`] (`{mime_type, sha256, size_bytes}`), never by its bytes, so the database stays
//! small however long an edit chain grows. The bytes come back, their hash checked, only to
//! build the request being sent.
//!
//! A deleted job keeps its row (its spend still counts), so the files it names stay too: an
//! image Peel made names its references by hash, and dropping it on the window brings them back
//! from here. Each distinct reference is one file however many jobs name it.
//!
//! Blocking file I/O: call from `spawn_blocking`.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::files::{WriteError, write_atomically};
use super::turns::{extension, sha256_hex};
use crate::api::wire::{Blob, ImageStandIn, Part};
use crate::job::Reference;
use crate::job::reference_check::{
    ImageType, InputProblem, MAX_REFERENCE_BYTES, SNIFF_BYTES, check_reference,
};

/// Why a file the designer chose cannot be a reference.
#[derive(Debug, thiserror::Error)]
pub enum CandidateError {
    /// The file could not be opened or read.
    #[error("could not read {name}: {source}")]
    Io {
        /// The file's name.
        name: String,
        /// What failed.
        source: std::io::Error,
    },
    /// A folder, not a file.
    #[error("Could not read {name}: it is a folder, not an image. Add PNG, JPEG or WebP files.")]
    Folder {
        /// The folder's name.
        name: String,
    },
    /// Empty, not an image, or over the limit ([`crate::job::reference_check`]).
    #[error(transparent)]
    Problem(#[from] InputProblem),
}

/// Reads a file the designer chose as a reference, checked before it is read in full: its size
/// from the metadata and its type from its first bytes ([`check_reference`]), then the rest read
/// no further than [`MAX_REFERENCE_BYTES`], so neither a huge file nor an endless special file
/// (`/dev/zero`, a pipe; sized by what it gives) fills memory. `name` is how sentences call it.
pub fn read_candidate(path: &Path, name: &str) -> Result<(ImageType, Vec<u8>), CandidateError> {
    let io = |source| CandidateError::Io {
        name: name.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if metadata.is_dir() {
        return Err(CandidateError::Folder {
            name: name.to_owned(),
        });
    }
    let mut limited = file.take(MAX_REFERENCE_BYTES + 1);
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut limited)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    // A special file (a pipe, a device) has no size to trust: its bytes are counted instead.
    let size_bytes = if metadata.is_file() {
        metadata.len()
    } else {
        head.len() as u64
    };
    let kind = check_reference(name, size_bytes, &head)?;
    let mut bytes = head;
    bytes.reserve(usize::try_from(size_bytes).unwrap_or_default());
    limited.read_to_end(&mut bytes).map_err(io)?;
    // Again on what was read: the file may have grown since, or had no size.
    check_reference(name, bytes.len() as u64, &bytes)?;
    Ok((kind, bytes))
}

/// Why a kept reference cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The file is gone or unreadable.
    #[error(
        "the reference image Peel kept at {path} is {reason}; add the reference again and \
         generate"
    )]
    Unreadable {
        /// The file.
        path: String,
        /// "missing", or what failed.
        reason: String,
    },
    /// The file's bytes are not the ones the job named.
    #[error(
        "the reference image Peel kept at {path} changed since it was added; add the reference \
         again and generate"
    )]
    Changed {
        /// The file.
        path: String,
    },
}

/// The folder of kept references.
pub fn references_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("references")
}

/// Where the reference with `sha256` and `mime_type` is kept.
pub fn reference_file(data_dir: &Path, sha256: &str, mime_type: &str) -> PathBuf {
    references_dir(data_dir).join(format!("{sha256}.{}", extension(mime_type)))
}

/// Keeps `bytes` as a reference (once: an existing file of that name is it) and names it.
pub fn keep_reference(
    data_dir: &Path,
    mime_type: &str,
    bytes: &[u8],
) -> Result<Reference, WriteError> {
    let reference = Reference {
        mime_type: mime_type.to_owned(),
        sha256: sha256_hex(bytes),
        size_bytes: bytes.len() as u64,
    };
    // A file already there is these bytes, unless it was damaged since: then it is replaced.
    if read_reference(data_dir, &reference).is_err() {
        let path = reference_file(data_dir, &reference.sha256, mime_type);
        write_atomically(&path, bytes)?;
    }
    Ok(reference)
}

/// The bytes of a kept reference, read no further than its recorded size and checked against
/// its hash.
pub fn read_reference(data_dir: &Path, reference: &Reference) -> Result<Vec<u8>, ReferenceError> {
    let path = reference_file(data_dir, &reference.sha256, &reference.mime_type);
    let shown = path.display().to_string();
    let unreadable = |error: &std::io::Error| ReferenceError::Unreadable {
        path: shown.clone(),
        reason: if error.kind() == std::io::ErrorKind::NotFound {
            "missing".to_owned()
        } else {
            format!("unreadable ({error})")
        },
    };
    let file = std::fs::File::open(&path).map_err(|e| unreadable(&e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(reference.size_bytes).unwrap_or_default());
    file.take(reference.size_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(&e))?;
    if sha256_hex(&bytes) != reference.sha256 {
        return Err(ReferenceError::Changed { path: shown });
    }
    Ok(bytes)
}

/// The part that sends a kept reference: its bytes as base64 (in memory, for this request only).
pub fn reference_part(data_dir: &Path, reference: &Reference) -> Result<Part, ReferenceError> {
    let bytes = read_reference(data_dir, reference)?;
    Ok(Part::inline_image(
        reference.mime_type.clone(),
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

/// The part an edit chain keeps for a reference: no bytes, a stand-in naming the kept file and
/// its hash ([`super::turns::resolve`] reads it back when the edit is sent).
pub fn reference_stand_in(data_dir: &Path, reference: &Reference) -> Part {
    let file = reference_file(data_dir, &reference.sha256, &reference.mime_type);
    Part {
        inline_data: Some(Blob {
            mime_type: reference.mime_type.clone(),
            data: String::new(),
            stand_in: Some(ImageStandIn {
                bytes: reference.size_bytes,
                sha256: Some(reference.sha256.clone()),
                file: Some(file.display().to_string()),
                ..ImageStandIn::default()
            }),
        }),
        ..Part::default()
    }
}

/// Moves the bytes an older job spec embedded (each reference's `base64`, and every inline image
/// of its edit history) out to kept files, leaving names and stand-ins. Whether `spec` changed.
pub fn move_bytes_out(data_dir: &Path, spec: &mut serde_json::Value) -> Result<bool, WriteError> {
    let mut changed = false;
    if let Some(references) = spec
        .get_mut("references")
        .and_then(serde_json::Value::as_array_mut)
    {
        for reference in references.iter_mut() {
            let Some(base64) = reference.get("base64").and_then(serde_json::Value::as_str) else {
                continue;
            };
            let bytes = decode(base64);
            let mime_type = mime_of(reference, "mime_type");
            let kept = keep_reference(data_dir, &mime_type, &bytes)?;
            *reference = serde_json::to_value(kept).unwrap_or_default();
            changed = true;
        }
    }
    let blobs = spec
        .get_mut("history")
        .and_then(serde_json::Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(|content| content.get_mut("parts")?.as_array_mut())
        .flatten()
        .filter_map(|part| part.get_mut("inlineData"));
    for blob in blobs {
        let data = blob.get("data").and_then(serde_json::Value::as_str);
        let Some(data) = data.filter(|d| !d.is_empty()) else {
            continue;
        };
        let bytes = decode(data);
        let mime_type = mime_of(blob, "mimeType");
        let kept = keep_reference(data_dir, &mime_type, &bytes)?;
        let part = reference_stand_in(data_dir, &kept);
        if let Some(stand_in) = part.inline_data {
            *blob = serde_json::to_value(stand_in).unwrap_or_default();
            changed = true;
        }
    }
    Ok(changed)
}

fn decode(base64: &str) -> Vec<u8> {
    let compact: String = base64.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .unwrap_or_else(|_| base64.as_bytes().to_vec())
}

fn mime_of(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .or_else(|| value.get("mime_type"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("image/png")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_checked_before_they_are_read_in_full() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.png");
        std::fs::write(&empty, b"").unwrap();
        let text = dir.path().join("notes.png");
        std::fs::write(&text, b"just some notes").unwrap();
        let big = dir.path().join("huge.png");
        std::fs::write(&big, b"\x89PNG\r\n\x1a\n").unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&big)
            .unwrap()
            .set_len(MAX_REFERENCE_BYTES + 1)
            .unwrap();
        let sentence = |path: &Path| read_candidate(path, "it").unwrap_err().to_string();
        assert!(sentence(&empty).contains("empty (0 bytes)"));
        assert!(sentence(&text).contains("its bytes are text"));
        assert!(sentence(dir.path()).contains("it is a folder"));
        assert!(sentence(&big).contains("over the 7.0 MB"));
        // A sparse file of zeros: its type is checked from the first bytes before it is read.
        let sparse = dir.path().join("sparse.png");
        std::fs::File::create(&sparse)
            .unwrap()
            .set_len(MAX_REFERENCE_BYTES * 4)
            .unwrap();
        assert!(sentence(&sparse).contains("not any image type"));
        let png = dir.path().join("ok.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n0000").unwrap();
        let (kind, bytes) = read_candidate(&png, "ok.png").unwrap();
        assert_eq!((kind, bytes.len()), (ImageType::Png, 12));
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_special_file_is_refused_from_its_first_bytes() {
        let sentence = read_candidate(Path::new("/dev/zero"), "/dev/zero")
            .unwrap_err()
            .to_string();
        assert!(sentence.contains("/dev/zero is not an image"), "{sentence}");
    }

    #[test]
    fn a_reference_is_kept_once_and_read_back_checked() {
        let dir = tempfile::tempdir().unwrap();
        let first = keep_reference(dir.path(), "image/jpeg", b"sketch bytes").unwrap();
        let again = keep_reference(dir.path(), "image/jpeg", b"sketch bytes").unwrap();
        assert_eq!(first, again);
        assert_eq!(first.size_bytes, 12);
        assert_eq!(
            std::fs::read_dir(references_dir(dir.path()))
                .unwrap()
                .count(),
            1
        );
        assert_eq!(read_reference(dir.path(), &first).unwrap(), b"sketch bytes");
        let part = reference_part(dir.path(), &first).unwrap();
        assert_eq!(part.inline_data.unwrap().data, "c2tldGNoIGJ5dGVz");

        let path = reference_file(dir.path(), &first.sha256, "image/jpeg");
        std::fs::write(&path, b"other bytes!").unwrap();
        let changed = read_reference(dir.path(), &first).unwrap_err();
        assert!(
            matches!(changed, ReferenceError::Changed { .. }),
            "{changed}"
        );
        std::fs::remove_file(&path).unwrap();
        let missing = read_reference(dir.path(), &first).unwrap_err().to_string();
        assert!(
            missing.contains("missing; add the reference again"),
            "{missing}"
        );
    }

    #[test]
    fn old_specs_lose_their_embedded_bytes_to_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = serde_json::json!({
            "prompt": "a fox",
            "references": [{"mime_type": "image/png", "base64": "Zmlyc3Q="}],
            "history": [{"role": "user", "parts": [
                {"text": "a fox"},
                {"inlineData": {"mimeType": "image/png", "data": "Zmlyc3Q="}}
            ]}]
        });
        assert!(move_bytes_out(dir.path(), &mut spec).unwrap());
        let text = spec.to_string();
        assert!(!text.contains("Zmlyc3Q="), "{text}");
        let reference: Reference = serde_json::from_value(spec["references"][0].clone()).unwrap();
        assert_eq!(reference.sha256, sha256_hex(b"first"));
        assert_eq!(read_reference(dir.path(), &reference).unwrap(), b"first");
        let stand_in = &spec["history"][0]["parts"][1]["inlineData"]["peelStandIn"];
        assert_eq!(stand_in["sha256"], sha256_hex(b"first"));
        assert_eq!(
            std::fs::read_dir(references_dir(dir.path()))
                .unwrap()
                .count(),
            1
        );
        assert!(
            !move_bytes_out(dir.path(), &mut spec).unwrap(),
            "nothing left to move"
        );
    }
}
