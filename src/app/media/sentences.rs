//! Wording the media service's parts share: a file's name for messages, an error's detail, sizes
//! in megabytes, and the sentences for files that cannot be read, decoded or written.

use std::fmt::Display;
use std::io;
use std::path::Path;

use image::ImageError;

/// The file's name for messages (the whole path when it has none).
pub(super) fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// An error's text without a trailing period, to sit inside parentheses.
pub(super) fn detail(error: &dyn Display) -> String {
    error.to_string().trim_end_matches('.').to_owned()
}

/// The sentence for a file that could not be read.
pub(super) fn read_sentence(name: &str, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => format!(
            "Could not read {name}: the file is not there any more. Check whether it was moved \
             or deleted."
        ),
        io::ErrorKind::PermissionDenied => format!(
            "Could not read {name}: Peel is not allowed to open it. Check the file's permissions."
        ),
        io::ErrorKind::IsADirectory => {
            format!("Could not read {name}: it is a folder, not an image. Choose an image file.")
        }
        _ => format!(
            "Could not read {name} ({}). Check the file and try again.",
            detail(error)
        ),
    }
}

/// The sentence for an image that could not be decoded.
pub(super) fn decode_sentence(name: &str, error: &ImageError) -> String {
    match error {
        ImageError::IoError(e) => read_sentence(name, e),
        ImageError::Unsupported(_) => format!(
            "Could not read {name}: it is not a PNG, JPEG or WebP image. Use a PNG, JPEG or WebP \
             file."
        ),
        ImageError::Limits(_) => {
            format!("Could not read {name}: the image is too large to open. Use a smaller image.")
        }
        other => format!(
            "Could not read {name}: the image data is damaged ({}). Export the image again and \
             retry.",
            detail(other)
        ),
    }
}

/// Why a write failed, as a clause.
pub(super) fn write_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "Peel is not allowed to write there".to_owned()
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => "the disk is full".to_owned(),
        io::ErrorKind::NotFound => "the folder or the image is not there any more".to_owned(),
        _ => detail(error),
    }
}
