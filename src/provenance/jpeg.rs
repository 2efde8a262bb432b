//! JPEG: one APP1 XMP segment holding the standard fields and Peel's JSON (one packet, see
//! `xmp`), inserted after the JFIF header (APP0) and any Exif segment, found and cut out again
//! by byte range; and whether the file carries C2PA content credentials (an APP11 JUMBF segment). The segments before the first scan are
//! read by img-parts alone; their byte ranges follow from its segment lengths, so the bytes
//! around Peel's segment stay exactly as they came.

use std::ops::Range;

use img_parts::Bytes;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};

use super::ProvenanceError;
use super::xmp::{self, NAMESPACE};

/// What an XMP APP1 segment starts with.
const XMP_PREFIX: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// The APP11 marker, which carries JUMBF boxes (C2PA's manifest store among them).
const APP11: u8 = 0xEB;
/// The most a segment holds (its length field counts itself).
const MAX_CONTENTS: usize = 65_533;

/// `bytes` (a JPEG without Peel's segment) with the XMP `packet` in a segment after SOI, any
/// APP0 and Exif.
pub(super) fn insert(bytes: &[u8], packet: &str) -> Result<Vec<u8>, ProvenanceError> {
    let mut contents = XMP_PREFIX.to_vec();
    contents.extend_from_slice(packet.as_bytes());
    if contents.len() > MAX_CONTENTS {
        return Err(ProvenanceError::TooLarge(contents.len()));
    }
    let segments = segment_ranges(bytes)?;
    // After the JFIF header and any Exif segment, which readers expect first.
    let at = segments
        .iter()
        .take_while(|(marker, range)| {
            *marker == markers::APP0
                || (*marker == markers::APP1
                    && bytes
                        .get(range.start + 4..range.end)
                        .is_some_and(|contents| contents.starts_with(b"Exif\0")))
        })
        .last()
        .map_or(2, |(_, range)| range.end);
    let segment = JpegSegment::new_with_contents(markers::APP1, Bytes::from(contents))
        .encoder()
        .bytes();
    let mut written = Vec::with_capacity(bytes.len() + segment.len());
    written.extend_from_slice(&bytes[..at]);
    written.extend_from_slice(&segment);
    written.extend_from_slice(&bytes[at..]);
    Ok(written)
}

/// The bytes of Peel's XMP segment, when the file has one.
pub(super) fn inserted_range(bytes: &[u8]) -> Option<Range<usize>> {
    segment_ranges(bytes)
        .ok()?
        .into_iter()
        .find(|(marker, range)| {
            *marker == markers::APP1 && is_peels(bytes.get(range.start + 4..range.end))
        })
        .map(|(_, range)| range)
}

fn is_peels(contents: Option<&[u8]>) -> bool {
    contents.is_some_and(|contents| {
        contents.starts_with(XMP_PREFIX)
            && contents
                .windows(NAMESPACE.len())
                .any(|window| window == NAMESPACE.as_bytes())
    })
}

/// Each marker segment before the first scan, as img-parts reads it: its marker and byte range
/// (`FF`, marker, length, contents). Where img-parts skipped bytes (fill bytes, markers without a
/// length), the lengths no longer give places in the file, and the list ends before it.
fn segment_ranges(bytes: &[u8]) -> Result<Vec<(u8, Range<usize>)>, ProvenanceError> {
    let jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(bytes))
        .map_err(|error| ProvenanceError::Damaged(error.to_string()))?;
    let mut segments = Vec::new();
    let mut at = 2;
    for segment in jpeg.segments() {
        let marker = segment.marker();
        let scan = marker == markers::SOS || segment.has_entropy();
        if scan || bytes.get(at..at + 2) != Some(&[markers::P, marker]) {
            break;
        }
        segments.push((marker, at..at + segment.len()));
        at += segment.len();
    }
    Ok(segments)
}

/// Peel's JSON from the file's XMP, when it has Peel's.
pub(super) fn json(bytes: &[u8]) -> Option<String> {
    let jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(bytes)).ok()?;
    jpeg.segments_by_marker(markers::APP1)
        .map(JpegSegment::contents)
        .filter(|contents| is_peels(Some(contents)))
        .find_map(|contents| xmp::record(std::str::from_utf8(&contents[XMP_PREFIX.len()..]).ok()?))
}

/// Whether the file carries content credentials: an APP11 segment holding JUMBF (`JP`, the box
/// instance and sequence numbers, then a `jumb` superbox), as C2PA embeds its manifest store.
pub(super) fn has_content_credentials(bytes: &[u8]) -> bool {
    let Ok(jpeg) = Jpeg::from_bytes(Bytes::copy_from_slice(bytes)) else {
        return false;
    };
    jpeg.segments_by_marker(APP11).any(|segment| {
        let contents = segment.contents();
        contents.starts_with(b"JP") && contents.windows(4).any(|window| window == b"jumb")
    })
}
