//! The content of a turn, shared by requests and responses: [`Content`] (a role and its parts),
//! [`Part`] (text, inline bytes, a file, thought flags and signatures, unknown fields kept
//! verbatim), [`Blob`] and its [`ImageStandIn`], and [`FileData`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::lenient;

/// One turn of the conversation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// `"user"` or `"model"`; absent in some blocked responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The parts in order. Blocked image candidates may have none.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub parts: Vec<Part>,
}

impl Content {
    /// A copy whose inline bytes are replaced by stand-ins.
    pub fn without_image_data(&self) -> Content {
        Content {
            role: self.role.clone(),
            parts: self.parts.iter().map(Part::without_image_data).collect(),
        }
    }
}

/// One part of a turn: text, an inline image, a file reference, or something Peel keeps verbatim.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text, from the user or the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Inline bytes (base64), such as a reference image or a generated image.
    #[serde(
        default,
        alias = "inline_data",
        skip_serializing_if = "Option::is_none"
    )]
    pub inline_data: Option<Blob>,
    /// A file uploaded through the Files API.
    #[serde(default, alias = "file_data", skip_serializing_if = "Option::is_none")]
    pub file_data: Option<FileData>,
    /// True for the model's interim "thought" output (thought images are not the final image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// Opaque signature (base64) that must be sent back exactly as received.
    #[serde(
        default,
        alias = "thought_signature",
        skip_serializing_if = "Option::is_none"
    )]
    pub thought_signature: Option<String>,
    /// Any other field (function calls, media resolution, …), kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// An inline image part from a MIME type and bare base64 data.
    pub fn inline_image(mime_type: impl Into<String>, base64_data: impl Into<String>) -> Self {
        Self {
            inline_data: Some(Blob {
                mime_type: mime_type.into(),
                data: base64_data.into(),
                stand_in: None,
            }),
            ..Self::default()
        }
    }

    /// Whether this part is interim thinking output rather than the answer.
    pub fn is_thought(&self) -> bool {
        self.thought == Some(true)
    }

    /// A copy whose inline bytes are replaced by a stand-in (see [`Blob::without_data`]).
    pub fn without_image_data(&self) -> Part {
        Part {
            text: self.text.clone(),
            inline_data: self.inline_data.as_ref().map(Blob::without_data),
            file_data: self.file_data.clone(),
            thought: self.thought,
            thought_signature: self.thought_signature.clone(),
            extra: self.extra.clone(),
        }
    }

    /// The inline image of a non-thought part, if it is one.
    pub fn final_image(&self) -> Option<&Blob> {
        if self.is_thought() {
            return None;
        }
        self.inline_data
            .as_ref()
            .filter(|blob| blob.mime_type.starts_with("image/"))
    }
}

/// Inline bytes with their MIME type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    /// E.g. `image/png` or `image/jpeg`.
    #[serde(default, alias = "mime_type")]
    pub mime_type: String,
    /// Bare base64 (no `data:` prefix). Empty in a stored or diagnosed copy, whose
    /// [`Blob::stand_in`] says what was here.
    #[serde(default)]
    pub data: String,
    /// Peel's own field, never sent: what the bytes were (length, sha256, pixel size) and where
    /// Peel keeps them, once `data` was moved out to a file. Each image's bytes exist once on
    /// disk, so stored turns, diagnoses and events carry this instead of the base64.
    #[serde(
        default,
        rename = "peelStandIn",
        skip_serializing_if = "Option::is_none"
    )]
    pub stand_in: Option<ImageStandIn>,
}

/// What an image was, in place of its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageStandIn {
    /// The length of the decoded bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the decoded bytes, when they were hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Width in pixels, when the header was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels, when the header was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The file that holds the bytes (absolute path), when Peel kept them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Blob {
    /// The decoded length of `data` without decoding it (base64: 3 bytes per 4 characters).
    pub fn decoded_len_estimate(&self) -> u64 {
        let trimmed = self.data.trim_end_matches(['=', '\n', '\r', ' ']);
        (trimmed.len() as u64) * 3 / 4
    }

    /// A copy without the bytes: `data` emptied and a stand-in that says what was there (the
    /// existing stand-in when there is one, else the length only).
    pub fn without_data(&self) -> Blob {
        let stand_in = self.stand_in.clone().unwrap_or_else(|| ImageStandIn {
            bytes: self.decoded_len_estimate(),
            ..ImageStandIn::default()
        });
        Blob {
            mime_type: self.mime_type.clone(),
            data: String::new(),
            stand_in: Some(stand_in),
        }
    }
}

/// A reference to an uploaded file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    /// MIME type of the file.
    #[serde(default, alias = "mime_type", skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// The file's URI.
    #[serde(default, alias = "file_uri")]
    pub file_uri: String,
}
