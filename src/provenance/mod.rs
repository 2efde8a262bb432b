//! Pure — where an image came from, written into the image file itself and read back: the
//! prompt, model, ratio, size, reference hashes, safety settings, finish reason, attempts,
//! fallback, tokens and cost of the job that made it. No I/O: everything works on byte slices.
//!
//! - PNG: three iTXt chunks right after `IHDR`: `parameters` (one A1111-style text most image
//!   tools read: the prompt, then a line of `Key: value` pairs), `peel` (the JSON) and
//!   `XML:com.adobe.xmp` (the standard XMP photo tools read: caption, creator tool, date, and
//!   the IPTC label for AI-made media).
//! - JPEG: one APP1 XMP segment (`http://ns.adobe.com/xap/1.0/`) after the JFIF header, holding
//!   the same standard fields and the JSON in Peel's private namespace: one packet, as readers
//!   take only one.
//!
//! Nothing is re-encoded: [`insert`] splices the extra chunks or segment into the bytes, and
//! [`strip`] cuts exactly them out again, so the bytes the API sent stay recoverable byte for
//! byte (edits resend them). The container pieces are built and parsed with `img-parts`.
//!
//! An image that carries C2PA content credentials ([`has_content_credentials`]) is never written
//! to, since any change breaks their hard binding: [`insert`] refuses it, and the caller writes
//! [`sidecar`] (the same XMP packet, JSON included) to [`sidecar_path`] beside it instead;
//! [`read`] reads such a sidecar too.
//!
//! - `parameters`: the A1111 text, written and parsed.
//! - `xmp`: the standard XMP packet, its escaping, and Peel's JSON inside it.
//! - `png`, `jpeg`: the two containers.

mod jpeg;
mod parameters;
mod png;
mod xmp;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use serde::{Deserialize, Serialize};

use crate::api::wire::SafetySetting;
use crate::job::JobSpec;

pub use parameters::{Parameters, parameters_text, parse_parameters};
pub use xmp::TRAINED_ALGORITHMIC_MEDIA;

/// Where an image came from: what Peel writes into the file (the `peel` JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Provenance {
    /// The prompt.
    pub prompt: String,
    /// The model id that made the image.
    pub model: String,
    /// The model version the answer named (`modelVersion`), when it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// The aspect ratio sent (`None`: the model's default).
    pub aspect_ratio: Option<String>,
    /// The size sent (`None`: the model's only size).
    pub image_size: Option<String>,
    /// Lower-case hex SHA-256 of each reference image's bytes, in the order sent.
    pub reference_sha256: Vec<String>,
    /// The safety thresholds sent.
    pub safety_settings: Vec<SafetySetting>,
    /// The answer's finish reason (`STOP`, …).
    pub finish_reason: Option<String>,
    /// How many requests the job took.
    pub attempts: u32,
    /// Whether the fallback model made the image.
    pub fallback_used: bool,
    /// Input tokens of the answer.
    pub input_tokens: Option<u64>,
    /// Output tokens of the answer.
    pub output_tokens: Option<u64>,
    /// Dollars the job cost (all its attempts).
    pub cost_usd: f64,
    /// The Peel that wrote it (`peel 0.1.0`).
    pub generator: String,
    /// When the image arrived (the XMP `xmp:CreateDate`); files of an older Peel have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
}

impl Provenance {
    /// What `spec` says about an image: prompt, safety settings and the sha256 of the first
    /// `references_sent` references; the rest is filled in by the caller (model, size and ratio
    /// as sent, and what the answer said).
    pub fn from_spec(spec: &JobSpec, references_sent: usize) -> Self {
        let reference_sha256 = spec
            .references
            .iter()
            .take(references_sent)
            .map(|reference| reference.sha256.clone())
            .collect();
        Self {
            prompt: spec.prompt.clone(),
            model: spec.model.clone(),
            aspect_ratio: spec.aspect_ratio.clone(),
            image_size: spec.image_size.clone(),
            reference_sha256,
            safety_settings: spec.safety_settings.clone(),
            generator: format!("peel {}", env!("CARGO_PKG_VERSION")),
            ..Self::default()
        }
    }
}

/// Where an imported image's settings came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Peel's own `peel` JSON.
    Peel,
    /// Only an A1111-style `parameters` text (another tool's PNG).
    Parameters,
}

/// What [`read`] found in an image file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// Where it came from.
    pub source: Source,
    /// The prompt.
    pub prompt: String,
    /// The negative prompt (A1111 texts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_prompt: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// The size (`1K`, `2K`, `4K`).
    pub image_size: Option<String>,
    /// The aspect ratio (`16:9`).
    pub aspect_ratio: Option<String>,
    /// Every `Key: value` pair of the `parameters` text, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub settings: Vec<(String, String)>,
    /// Peel's whole record, when the file has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peel: Option<Provenance>,
}

/// Why provenance could not be written into an image.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProvenanceError {
    /// Not a PNG or a JPEG (WebP is not written to).
    #[error("the image is neither PNG nor JPEG, so Peel keeps no settings inside the file")]
    Unsupported,
    /// The container could not be parsed.
    #[error("the image file's structure could not be read ({0}), so Peel left it as it came")]
    Damaged(String),
    /// The record does not fit into one JPEG segment (a very long prompt).
    #[error(
        "the settings are too long to fit into a JPEG ({0} bytes, at most 65,000), so the file has none; shorten the prompt to keep them"
    )]
    TooLarge(usize),
    /// The image carries C2PA content credentials, which any change to the file would break.
    #[error(
        "the image carries content credentials (C2PA), which any change to the file would break"
    )]
    ContentCredentials,
}

/// The image container, from its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Png,
    Jpeg,
}

fn format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(png::SIGNATURE) {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else {
        None
    }
}

/// Whether `bytes` look like an XMP packet or sidecar (as [`sidecar`] writes it).
fn is_xmp(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    start.starts_with(b"<?xpacket") || start.starts_with(b"<x:xmpmeta")
}

/// Whether `bytes` look like a PNG or a JPEG (the formats provenance is written into).
pub fn is_supported(bytes: &[u8]) -> bool {
    format(bytes).is_some()
}

/// Whether `bytes` carry C2PA content credentials (a JPEG's APP11 JUMBF segment, a PNG's `caBX`
/// chunk): such a file must stay exactly as it came.
pub fn has_content_credentials(bytes: &[u8]) -> bool {
    match format(bytes) {
        Some(Format::Png) => png::has_content_credentials(bytes),
        Some(Format::Jpeg) => jpeg::has_content_credentials(bytes),
        None => false,
    }
}

/// `bytes` with `provenance` inserted (any provenance already there is replaced). Only chunks or
/// one segment are added: [`strip`] of the result gives back `strip(bytes)` exactly (checked).
/// An image with content credentials is refused ([`ProvenanceError::ContentCredentials`]).
pub fn insert(bytes: &[u8], provenance: &Provenance) -> Result<Vec<u8>, ProvenanceError> {
    let original = strip(bytes);
    if has_content_credentials(&original) {
        return Err(ProvenanceError::ContentCredentials);
    }
    let json = serde_json::to_string(provenance)
        .map_err(|error| ProvenanceError::Damaged(error.to_string()))?;
    let written = match format(&original) {
        Some(Format::Png) => png::insert(
            &original,
            &parameters_text(provenance),
            &json,
            &xmp::packet(provenance, None),
        )?,
        Some(Format::Jpeg) => jpeg::insert(&original, &xmp::packet(provenance, Some(&json)))?,
        None => return Err(ProvenanceError::Unsupported),
    };
    // The promise edits rely on: the API's bytes come back exactly.
    if strip(&written).as_ref() != original.as_ref() {
        return Err(ProvenanceError::Damaged(
            "the inserted settings could not be told apart from the image".to_owned(),
        ));
    }
    Ok(written)
}

/// `bytes` without Peel's provenance: exactly the bytes before [`insert`]. Bytes without any
/// (or not PNG/JPEG) come back as they are.
pub fn strip(bytes: &[u8]) -> Cow<'_, [u8]> {
    let range = match format(bytes) {
        Some(Format::Png) => png::inserted_range(bytes),
        Some(Format::Jpeg) => jpeg::inserted_range(bytes),
        None => None,
    };
    match range {
        Some(range) => {
            let mut kept = Vec::with_capacity(bytes.len() - range.len());
            kept.extend_from_slice(&bytes[..range.start]);
            kept.extend_from_slice(&bytes[range.end..]);
            Cow::Owned(kept)
        }
        None => Cow::Borrowed(bytes),
    }
}

/// The XMP sidecar for an image that is not written to: the standard fields and Peel's JSON in
/// one packet, as a JPEG would hold them.
pub fn sidecar(provenance: &Provenance) -> Result<String, ProvenanceError> {
    let json = serde_json::to_string(provenance)
        .map_err(|error| ProvenanceError::Damaged(error.to_string()))?;
    Ok(xmp::packet(provenance, Some(&json)))
}

/// Where the sidecar of the image at `image` goes: its whole file name plus `.xmp`
/// (`peel-7.jpg.xmp`), the name digiKam and darktable look for, and one no other image of the
/// folder shares (`peel-7.png` and `peel-7.jpg` may both exist).
pub fn sidecar_path(image: &Path) -> PathBuf {
    let mut name = image.as_os_str().to_owned();
    name.push(".xmp");
    PathBuf::from(name)
}

/// What the file says about where it came from: Peel's JSON, or else an A1111 `parameters`
/// text; `None` when it holds neither (or is not a PNG, a JPEG or an XMP sidecar).
pub fn read(bytes: &[u8]) -> Option<Imported> {
    let (json, text) = match format(bytes) {
        Some(Format::Png) => png::texts(bytes),
        Some(Format::Jpeg) => (jpeg::json(bytes), None),
        None if is_xmp(bytes) => (xmp::record(std::str::from_utf8(bytes).ok()?), None),
        None => return None,
    };
    if let Some(peel) = json.and_then(|json| serde_json::from_str::<Provenance>(&json).ok()) {
        let settings = text
            .as_deref()
            .map(|text| parse_parameters(text).settings)
            .unwrap_or_default();
        return Some(Imported {
            source: Source::Peel,
            prompt: peel.prompt.clone(),
            negative_prompt: None,
            model: Some(peel.model.clone()).filter(|model| !model.is_empty()),
            image_size: peel.image_size.clone(),
            aspect_ratio: peel.aspect_ratio.clone(),
            settings,
            peel: Some(peel),
        });
    }
    let parsed = parse_parameters(&text?);
    Some(Imported {
        source: Source::Parameters,
        model: parsed.value("Model"),
        image_size: parsed.value("Size").filter(|size| size.ends_with('K')),
        aspect_ratio: parsed.value("Aspect ratio"),
        prompt: parsed.prompt,
        negative_prompt: parsed.negative_prompt,
        settings: parsed.settings,
        peel: None,
    })
}

#[cfg(test)]
mod tests;
