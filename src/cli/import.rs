//! `peel import FILE [--json]`: what an image file says about where it came from — Peel's own
//! record (prompt, model, size, ratio, reference hashes, safety settings, finish reason,
//! attempts, fallback, tokens, cost), or, for a PNG from another tool, its A1111 `parameters`
//! text (prompt, negative prompt, settings). An image Peel left untouched because it carries
//! content credentials has its record in the sidecar `FILE.xmp` beside it, which is read then.
//!
//! Text output is one `Key: value` line each on stdout; `--json` prints one JSON object
//! `{source, prompt, model, image_size, aspect_ratio, settings?, negative_prompt?, peel?}`.
//! Exit codes: 0 read (also when the file holds no provenance: "no provenance found") · 2 the
//! file is missing, unreadable, larger than [`MAX_IMPORT_BYTES`] (nothing larger is read, so
//! `/dev/zero` or a stream is refused instead of filling memory), or not a PNG or JPEG.

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::provenance::{self, Imported, Source};

/// Largest file `peel import` reads: 128 MiB. A 4K PNG Peel saved is a few tens of megabytes.
pub const MAX_IMPORT_BYTES: u64 = 128 * 1024 * 1024;

/// What `peel import` prints when the file holds nothing.
pub const NOTHING_FOUND: &str = "no provenance found";

/// Arguments of `peel import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The PNG or JPEG image to read
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "peel import: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Why `peel import` could not read the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportReadError {
    /// Nothing at the path.
    #[error("there is no file at {path}; check the path and try again")]
    Missing {
        /// The path given.
        path: String,
    },
    /// The file could not be opened or read.
    #[error("{path} could not be read ({source}); check that it is a file you may open")]
    Unreadable {
        /// The path given.
        path: String,
        /// The OS error.
        source: io::Error,
    },
    /// The file (or stream) goes on past the bound; nothing after it was read.
    #[error(
        "{path} is larger than {limit_mib} MiB, so Peel stopped reading it; an image Peel saved \
         is much smaller: check that this is the right file"
    )]
    TooLarge {
        /// The path given.
        path: String,
        /// The bound, in MiB.
        limit_mib: u64,
    },
}

/// Reads at most `max_bytes` of `path`: a regular file larger than that is refused from its
/// size alone, and anything else (a device, a pipe) is read through `Read::take`, so a stream
/// that never ends is refused too.
pub fn read_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ImportReadError> {
    let shown = || path.display().to_string();
    let unreadable = |source: io::Error| {
        if source.kind() == io::ErrorKind::NotFound {
            ImportReadError::Missing { path: shown() }
        } else {
            ImportReadError::Unreadable {
                path: shown(),
                source,
            }
        }
    };
    let too_large = || ImportReadError::TooLarge {
        path: shown(),
        limit_mib: max_bytes.div_ceil(1024 * 1024),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if metadata.is_file() && metadata.len() > max_bytes {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Runs `peel import`.
pub fn run(args: &ImportArgs) -> ExitCode {
    let shown = args.file.display();
    let bytes = match read_bounded(&args.file, MAX_IMPORT_BYTES) {
        Ok(bytes) => bytes,
        Err(error) => return fail(&error.to_string()),
    };
    if !provenance::is_supported(&bytes) {
        return fail(&format!(
            "{shown} is not a PNG or JPEG image, so it holds no settings Peel can read"
        ));
    }
    let found = provenance::read(&bytes).or_else(|| sidecar_of(&args.file));
    let text = match (&found, args.json) {
        (Some(found), true) => serde_json::to_string_pretty(found).unwrap_or_default(),
        (None, true) => serde_json::json!({ "source": null, "message": NOTHING_FOUND }).to_string(),
        (Some(found), false) => lines(found),
        (None, false) => NOTHING_FOUND.to_owned(),
    };
    let _ = writeln!(io::stdout(), "{text}");
    ExitCode::from(EXIT_OK)
}

/// Peel's record in the XMP sidecar beside `image` (written when the image carries content
/// credentials), when there is one.
fn sidecar_of(image: &Path) -> Option<Imported> {
    let bytes = read_bounded(&provenance::sidecar_path(image), MAX_IMPORT_BYTES).ok()?;
    provenance::read(&bytes)
}

/// The human lines: what matters first, then everything else Peel recorded.
fn lines(found: &Imported) -> String {
    let or_default = |value: &Option<String>| value.clone().unwrap_or_else(|| "default".to_owned());
    let mut lines = vec![
        format!(
            "Source: {}",
            match found.source {
                Source::Peel => "Peel",
                Source::Parameters => "parameters text (another tool)",
            }
        ),
        format!("Prompt: {}", found.prompt),
        format!("Model: {}", or_default(&found.model)),
        format!("Size: {}", or_default(&found.image_size)),
        format!("Aspect ratio: {}", or_default(&found.aspect_ratio)),
    ];
    if let Some(negative) = &found.negative_prompt {
        lines.push(format!("Negative prompt: {negative}"));
    }
    if let Some(peel) = &found.peel {
        if let Some(version) = &peel.model_version {
            lines.push(format!("Model version: {version}"));
        }
        lines.push(format!(
            "Finish reason: {}",
            or_default(&peel.finish_reason)
        ));
        lines.push(format!("Attempts: {}", peel.attempts));
        lines.push(format!(
            "Fallback used: {}",
            if peel.fallback_used { "yes" } else { "no" }
        ));
        let tokens =
            |count: Option<u64>| count.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        lines.push(format!(
            "Tokens: {} in, {} out",
            tokens(peel.input_tokens),
            tokens(peel.output_tokens)
        ));
        lines.push(format!("Cost: ${:.4}", peel.cost_usd));
        for (index, sha256) in peel.reference_sha256.iter().enumerate() {
            lines.push(format!("Reference {}: sha256 {sha256}", index + 1));
        }
        for setting in &peel.safety_settings {
            let json = serde_json::to_value(setting).unwrap_or_default();
            lines.push(format!(
                "Safety: {} {}",
                json["category"].as_str().unwrap_or("?"),
                json["threshold"].as_str().unwrap_or("?")
            ));
        }
        if !peel.generator.is_empty() {
            lines.push(format!("Written by: {}", peel.generator));
        }
    } else {
        lines.extend(
            found
                .settings
                .iter()
                .map(|(key, value)| format!("{key}: {value}")),
        );
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded_by_size_and_by_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.png");
        std::fs::write(&path, [7_u8; 100]).unwrap();
        assert_eq!(read_bounded(&path, 100).unwrap().len(), 100);
        let error = read_bounded(&path, 99).unwrap_err();
        assert!(
            matches!(error, ImportReadError::TooLarge { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("stopped reading"), "{error}");

        // A device that never ends is read only up to the bound.
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            let error = read_bounded(zero, 1024).unwrap_err();
            assert!(
                matches!(error, ImportReadError::TooLarge { .. }),
                "{error:?}"
            );
        }

        let error = read_bounded(&dir.path().join("gone.png"), 100).unwrap_err();
        assert!(
            error.to_string().starts_with("there is no file at"),
            "{error}"
        );
    }
}
