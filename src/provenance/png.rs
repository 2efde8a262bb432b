//! PNG: the `parameters`, `peel` and `XML:com.adobe.xmp` iTXt chunks, inserted together right
//! after `IHDR`, found and cut out again by byte range (files of an older Peel have the first two
//! only); and whether the file carries C2PA content credentials (a `caBX` chunk). The chunks are read by img-parts alone; their byte ranges
//! follow from its chunk lengths (a PNG has nothing between chunks), so the bytes around Peel's
//! chunks stay exactly as they came.

use std::ops::Range;

use img_parts::Bytes;
use img_parts::png::{Png, PngChunk};

use super::ProvenanceError;

/// The eight bytes every PNG starts with.
pub(super) const SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// The keyword of Peel's JSON chunk.
const PEEL: &str = "peel";
/// The keyword A1111 and most image tools read.
const PARAMETERS: &str = "parameters";
/// The keyword of the standard XMP chunk photo tools read.
const XMP: &str = "XML:com.adobe.xmp";

/// `bytes` (a PNG without Peel's chunks) with the three chunks after `IHDR`: the `parameters`
/// text, Peel's `json` and the XMP `packet`.
pub(super) fn insert(
    bytes: &[u8],
    parameters: &str,
    json: &str,
    packet: &str,
) -> Result<Vec<u8>, ProvenanceError> {
    let chunks = chunk_ranges(bytes)?;
    let Some((_, ihdr)) = chunks.first().filter(|(chunk, _)| chunk.kind() == *b"IHDR") else {
        return Err(ProvenanceError::Damaged(
            "the PNG does not start with its header chunk".to_owned(),
        ));
    };
    let at = ihdr.end;
    let mut written =
        Vec::with_capacity(bytes.len() + parameters.len() + json.len() + packet.len() + 96);
    written.extend_from_slice(&bytes[..at]);
    written.extend_from_slice(&itxt(PARAMETERS, parameters));
    written.extend_from_slice(&itxt(PEEL, json));
    written.extend_from_slice(&itxt(XMP, packet));
    written.extend_from_slice(&bytes[at..]);
    Ok(written)
}

/// One iTXt chunk (uncompressed, no language tag), CRC and all.
fn itxt(keyword: &str, text: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(keyword.len() + text.len() + 5);
    data.extend_from_slice(keyword.as_bytes());
    // NUL, compression flag 0, method 0, empty language tag, empty translated keyword.
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(text.as_bytes());
    PngChunk::new(*b"iTXt", Bytes::from(data))
        .encoder()
        .bytes()
        .to_vec()
}

/// The bytes of Peel's chunks: the `peel` iTXt chunk, the `parameters` one right before it and
/// the XMP one right after it, written with it (such a chunk anywhere else is another tool's and
/// stays).
pub(super) fn inserted_range(bytes: &[u8]) -> Option<Range<usize>> {
    let chunks = chunk_ranges(bytes).ok()?;
    let is_itxt = |chunk: &PngChunk, wanted: &str| {
        chunk.kind() == *b"iTXt" && keyword(chunk.contents()) == Some(wanted)
    };
    let at = chunks.iter().position(|(chunk, _)| is_itxt(chunk, PEEL))?;
    let peel = chunks[at].1.clone();
    let start = match at.checked_sub(1).map(|before| &chunks[before]) {
        Some((chunk, range)) if is_itxt(chunk, PARAMETERS) => range.start,
        _ => peel.start,
    };
    let end = match chunks.get(at + 1) {
        Some((chunk, range)) if is_itxt(chunk, XMP) => range.end,
        _ => peel.end,
    };
    Some(start..end)
}

/// Whether the file carries content credentials: a `caBX` chunk (C2PA's manifest store).
pub(super) fn has_content_credentials(bytes: &[u8]) -> bool {
    Png::from_bytes(Bytes::copy_from_slice(bytes))
        .is_ok_and(|png| png.chunks().iter().any(|chunk| chunk.kind() == *b"caBX"))
}

/// The file's chunks as img-parts reads them (up to `IEND`), each with its byte range.
fn chunk_ranges(bytes: &[u8]) -> Result<Vec<(PngChunk, Range<usize>)>, ProvenanceError> {
    let png = Png::from_bytes(Bytes::copy_from_slice(bytes))
        .map_err(|error| ProvenanceError::Damaged(error.to_string()))?;
    let mut at = SIGNATURE.len();
    Ok(png
        .chunks()
        .iter()
        .map(|chunk| {
            let range = at..at + chunk.len();
            at = range.end;
            (chunk.clone(), range)
        })
        .collect())
}

/// The keyword of a text chunk's data (`keyword NUL …`).
fn keyword(data: &[u8]) -> Option<&str> {
    let end = data.iter().position(|&byte| byte == 0)?;
    std::str::from_utf8(&data[..end]).ok()
}

/// Peel's JSON and the `parameters` text, from the file's tEXt and uncompressed iTXt chunks.
pub(super) fn texts(bytes: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(png) = Png::from_bytes(Bytes::copy_from_slice(bytes)) else {
        return (None, None);
    };
    let (mut json, mut parameters) = (None, None);
    for chunk in png.chunks() {
        let text = match &chunk.kind() {
            b"iTXt" => itxt_text(chunk.contents()),
            b"tEXt" => text_text(chunk.contents()),
            _ => None,
        };
        match text {
            Some((PEEL, text)) => json = json.or(Some(text)),
            Some((PARAMETERS, text)) => parameters = parameters.or(Some(text)),
            _ => {}
        }
    }
    (json, parameters)
}

/// An uncompressed iTXt chunk's keyword and text.
fn itxt_text(data: &[u8]) -> Option<(&str, String)> {
    let mut fields = data.splitn(2, |&byte| byte == 0);
    let keyword = std::str::from_utf8(fields.next()?).ok()?;
    let rest = fields.next()?;
    let (&compressed, rest) = rest.split_first()?;
    if compressed != 0 {
        return None;
    }
    // Method, then the language tag and the translated keyword, each ending in NUL.
    let rest = rest.get(1..)?;
    let mut fields = rest.splitn(3, |&byte| byte == 0);
    let (_, _, text) = (fields.next()?, fields.next()?, fields.next()?);
    Some((known(keyword)?, String::from_utf8_lossy(text).into_owned()))
}

/// A tEXt chunk's keyword and (Latin-1) text.
fn text_text(data: &[u8]) -> Option<(&str, String)> {
    let mut fields = data.splitn(2, |&byte| byte == 0);
    let keyword = std::str::from_utf8(fields.next()?).ok()?;
    let text = fields
        .next()?
        .iter()
        .map(|&byte| char::from(byte))
        .collect();
    Some((known(keyword)?, text))
}

fn known(keyword: &str) -> Option<&'static str> {
    [PEEL, PARAMETERS]
        .into_iter()
        .find(|known| *known == keyword)
}
