//! `--ref FILE`: each reference checked by its size and first bytes before it is read in full,
//! shrunk on `--shrink-refs`, their number checked against the model, and each kept once by its
//! hash in the data folder.

use std::io::{self, Write as _};
use std::path::Path;

use base64::Engine as _;

use super::GenerateArgs;
use crate::api::Catalog;
use crate::api::wire::Part;
use crate::app::media::shrink_reference::shrink_file;
use crate::job::reference_check::{
    InputProblem, SHRINK_LONG_SIDE_PX, check_count, megabytes, preview_note,
};
use crate::store::references::{CandidateError, keep_reference, read_candidate};
use crate::worker::JobSpec;
use crate::worker::fitting::{fit, request_for, unknown_entry};
use crate::worker::protocol::Reference;
use crate::worker::request_size::check_request_size;

/// A reference read and checked, not yet kept: its MIME type and bytes.
pub(super) struct ReadReference {
    mime_type: &'static str,
    bytes: Vec<u8>,
}

/// Reads one `--ref` file, checked before it is read in full ([`read_candidate`]); with
/// `shrink`, a PNG, JPEG or WebP over the limit becomes a 2048 px JPEG within it.
fn read_reference(path: &Path, shrink: bool) -> Result<ReadReference, String> {
    let name = path.display().to_string();
    match read_candidate(path, &name) {
        Ok((kind, bytes)) => {
            if let Some(note) = preview_note(&name, kind) {
                let _ = writeln!(io::stderr(), "{note}");
            }
            Ok(ReadReference {
                mime_type: kind.mime_type(),
                bytes,
            })
        }
        Err(CandidateError::Problem(InputProblem::TooLarge {
            can_shrink: true,
            size_bytes,
            ..
        })) if shrink => {
            let bytes = shrink_file(path, &name)?;
            let _ = writeln!(
                io::stderr(),
                "{name} was {}: sent as a {SHRINK_LONG_SIDE_PX} px JPEG of {} instead.",
                megabytes(size_bytes),
                megabytes(bytes.len() as u64)
            );
            Ok(ReadReference {
                mime_type: "image/jpeg",
                bytes,
            })
        }
        Err(error) => Err(error.to_string()),
    }
}

/// Reads every `--ref`, checks their number against `model` and the request they make against
/// Google's 20 MB limit: all before anything is queued.
pub(super) fn read_references(
    args: &GenerateArgs,
    catalog: &Catalog,
    spec: &JobSpec,
) -> Result<Vec<ReadReference>, String> {
    let entry = catalog
        .get(&spec.model)
        .cloned()
        .or_else(|| unknown_entry(&spec.model));
    let max = entry.as_ref().and_then(|entry| entry.max_reference_images);
    check_count(&spec.model, max, args.references.len()).map_err(|e| e.to_string())?;
    let mut read = Vec::new();
    for path in &args.references {
        read.push(read_reference(path, args.shrink_refs)?);
    }
    if let Some(entry) = entry {
        let parts: Vec<Part> = read
            .iter()
            .map(|r| {
                let base64 = base64::engine::general_purpose::STANDARD.encode(&r.bytes);
                Part::inline_image(r.mime_type, base64)
            })
            .collect();
        let mut sized = spec.clone();
        sized.references = read
            .iter()
            .map(|r| Reference {
                mime_type: r.mime_type.to_owned(),
                sha256: String::new(),
                size_bytes: r.bytes.len() as u64,
            })
            .collect();
        let fitted = fit(&sized, &entry);
        let request = request_for(&sized, &[], &parts, &fitted);
        check_request_size(&request, &sized, fitted.references)?;
    }
    Ok(read)
}

/// Keeps each reference once by its hash in `data_dir` and names it.
pub(super) fn keep_references(
    data_dir: &Path,
    read: &[ReadReference],
) -> Result<Vec<Reference>, String> {
    read.iter()
        .map(|r| {
            keep_reference(data_dir, r.mime_type, &r.bytes).map_err(|error| {
                format!("could not keep a reference in the data folder ({error}); free some disk space and try again")
            })
        })
        .collect()
}
