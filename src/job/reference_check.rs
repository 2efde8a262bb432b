//! The checks every reference image and every request pass before anything is sent, shared by
//! the window and `peel generate`: an empty file, a file whose bytes are not an image Gemini
//! takes (whatever its name says), a reference over Gemini's inline limit, more references than
//! the model takes, and a whole request over Google's 20 MB request limit. Each problem is one
//! sentence a designer can act on. Pure: sizes and the first bytes come in, no I/O.
//!
//! Limits: 7 MB per inline image and PNG, JPEG, WebP, HEIC and HEIF accepted (Google's Vertex
//! page, <https://docs.cloud.google.com/vertex-ai/docs/generative-ai/image/image-captioning>;
//! Griptape keeps references under it too); "Prompts using the Gemini API cannot exceed 20MB"
//! (<https://ai.google.dev/gemini-api/docs/api-overview>), the server's own message naming
//! 20971520 bytes.

use std::fmt::Write as _;

/// Largest reference Peel sends: Gemini's limit for one inline image (7 MB).
pub const MAX_REFERENCE_BYTES: u64 = 7_000_000;

/// Largest request Google accepts: "Request payload size exceeds the limit: 20971520 bytes."
pub const MAX_REQUEST_BYTES: u64 = 20_971_520;

/// The long side a too-large reference is shrunk to (Shrink in the window, `--shrink-refs`).
pub const SHRINK_LONG_SIDE_PX: u32 = 2048;

/// How many leading bytes [`sniff`] needs.
pub const SNIFF_BYTES: usize = 32;

/// An image type Gemini takes as a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
    /// HEIC (an iPhone photo): Gemini takes it; Peel cannot decode it.
    Heic,
    /// HEIF: Gemini takes it; Peel cannot decode it.
    Heif,
}

impl ImageType {
    /// The MIME type sent.
    pub fn mime_type(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Webp => "image/webp",
            ImageType::Heic => "image/heic",
            ImageType::Heif => "image/heif",
        }
    }

    /// The name a designer knows it by.
    pub fn name(self) -> &'static str {
        match self {
            ImageType::Png => "PNG",
            ImageType::Jpeg => "JPEG",
            ImageType::Webp => "WebP",
            ImageType::Heic => "HEIC",
            ImageType::Heif => "HEIF",
        }
    }

    /// Whether Peel can decode it (show a thumbnail, shrink it). HEIC and HEIF it cannot.
    pub fn peel_can_decode(self) -> bool {
        matches!(self, ImageType::Png | ImageType::Jpeg | ImageType::Webp)
    }
}

/// The type of an image from its first bytes (at least [`SNIFF_BYTES`] when the file has them),
/// or what else the bytes look like (`Err`: "a GIF image", "text", …; `None`: nothing known).
pub fn sniff(head: &[u8]) -> Result<ImageType, Option<&'static str>> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Ok(ImageType::Png);
    }
    if at(0, b"\xff\xd8\xff") {
        return Ok(ImageType::Jpeg);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Ok(ImageType::Webp);
    }
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return match brand {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs" => {
                Ok(ImageType::Heic)
            }
            b"mif1" | b"msf1" | b"heif" => Ok(ImageType::Heif),
            b"avif" | b"avis" => Err(Some("an AVIF image")),
            _ => Err(Some("a video or other media file")),
        };
    }
    let looks_like = if at(0, b"GIF8") {
        "a GIF image"
    } else if at(0, b"BM") {
        "a BMP image"
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        "a TIFF image"
    } else if at(0, b"%PDF") {
        "a PDF document"
    } else if at(0, b"PK\x03\x04") {
        "a ZIP archive (or a Word, Sketch or Figma file)"
    } else if at(0, b"8BPS") {
        "a Photoshop file"
    } else if head.windows(4).any(|w| w == b"<svg") {
        "an SVG drawing"
    } else if !head.is_empty() && std::str::from_utf8(head).is_ok_and(|t| !t.contains('\0')) {
        "text"
    } else {
        return Err(None);
    };
    Err(Some(looks_like))
}

/// Why a reference, or a request, cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputProblem {
    /// The file has no bytes.
    #[error(
        "{name} is empty (0 bytes), so there is no image to send. Choose the image file itself, \
         or save or export it again."
    )]
    Empty {
        /// The file's name.
        name: String,
    },
    /// The bytes are not an image Gemini takes, whatever the file's name says.
    #[error(
        "{name} is not an image Gemini takes, whatever its name says: its bytes are {}. Gemini \
         takes PNG, JPEG, WebP, HEIC and HEIF; open it in an image editor and save it as PNG or \
         JPEG.",
        looks_like.unwrap_or("not any image type")
    )]
    NotAnImage {
        /// The file's name.
        name: String,
        /// What the bytes look like instead ("a GIF image", "text"), when known.
        looks_like: Option<&'static str>,
    },
    /// Over Gemini's inline limit for one image.
    #[error(
        "{name} is {}, over the {} Gemini takes for one reference image. {}",
        megabytes(*size_bytes),
        megabytes(MAX_REFERENCE_BYTES),
        shrink_advice(*can_shrink)
    )]
    TooLarge {
        /// The file's name.
        name: String,
        /// Its size.
        size_bytes: u64,
        /// Whether Peel can shrink it (PNG, JPEG, WebP).
        can_shrink: bool,
    },
    /// More references than the model takes.
    #[error(
        "{model} takes at most {max} reference images and this job has {count}. Remove {}, or \
         choose a model that takes more.",
        count - max
    )]
    TooMany {
        /// The model's id.
        model: String,
        /// How many the model takes.
        max: usize,
        /// How many the job has.
        count: usize,
    },
    /// The whole request is over Google's request limit.
    #[error(
        "This request would be {}, over the {} Google accepts in one request, so Peel did not \
         send it. {advice}",
        request_megabytes(*total_bytes),
        request_megabytes(MAX_REQUEST_BYTES)
    )]
    RequestTooLarge {
        /// The serialized request's length.
        total_bytes: u64,
        /// What to shrink.
        advice: String,
    },
}

/// What a request weighs, for [`check_request`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestWeight {
    /// The serialized request's length (base64 included).
    pub total_bytes: u64,
    /// Each reference sent with the prompt: its name ("reference 2") and its size.
    pub references: Vec<(String, u64)>,
    /// The images an edit resends from the earlier turns (the image being edited, thought
    /// images, the original references), decoded size.
    pub earlier_images_bytes: u64,
}

/// Checks one reference before it is read in full: `size_bytes` from the file's metadata,
/// `head` its first bytes (up to [`SNIFF_BYTES`]). The type to send, or the sentence.
pub fn check_reference(
    name: &str,
    size_bytes: u64,
    head: &[u8],
) -> Result<ImageType, InputProblem> {
    if size_bytes == 0 || head.is_empty() {
        return Err(InputProblem::Empty {
            name: name.to_owned(),
        });
    }
    let kind = sniff(head).map_err(|looks_like| InputProblem::NotAnImage {
        name: name.to_owned(),
        looks_like,
    })?;
    if size_bytes > MAX_REFERENCE_BYTES {
        return Err(InputProblem::TooLarge {
            name: name.to_owned(),
            size_bytes,
            can_shrink: kind.peel_can_decode(),
        });
    }
    Ok(kind)
}

/// Checks the number of references against what `model` takes (`max`: `None` when unknown).
pub fn check_count(model: &str, max: Option<u32>, count: usize) -> Result<(), InputProblem> {
    match max.map(|max| max as usize) {
        Some(max) if count > max => Err(InputProblem::TooMany {
            model: model.to_owned(),
            max,
            count,
        }),
        _ => Ok(()),
    }
}

/// What a designer should know about a reference Peel sends but cannot show (HEIC, HEIF).
pub fn preview_note(name: &str, kind: ImageType) -> Option<String> {
    (!kind.peel_can_decode()).then(|| {
        format!(
            "{name} is {}: Gemini takes it and Peel sends it as it is, but Peel cannot show a \
             preview of it.",
            kind.name()
        )
    })
}

/// Checks the whole request against [`MAX_REQUEST_BYTES`]; the sentence names what to shrink.
pub fn check_request(weight: &RequestWeight) -> Result<(), InputProblem> {
    if weight.total_bytes <= MAX_REQUEST_BYTES {
        return Ok(());
    }
    let mut advice = String::new();
    if !weight.references.is_empty() {
        let mut largest: Vec<&(String, u64)> = weight.references.iter().collect();
        largest.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
        let listed: Vec<String> = largest
            .iter()
            .map(|(name, size)| format!("{name} is {}", request_megabytes(*size)))
            .collect();
        let _ = write!(
            advice,
            "Its references: {} (base64 makes each a third larger on the way). Remove one, or \
             shrink the largest to {SHRINK_LONG_SIDE_PX} px (Shrink in the window, \
             --shrink-refs in peel generate).",
            listed.join(", ")
        );
    }
    if weight.earlier_images_bytes > 0 {
        if !advice.is_empty() {
            advice.push(' ');
        }
        let _ = write!(
            advice,
            "An edit resends the earlier images of its chain ({} here): start a new generation \
             with this image as a reference instead of editing it further.",
            request_megabytes(weight.earlier_images_bytes)
        );
    }
    if advice.is_empty() {
        advice.push_str("Shorten the prompt.");
    }
    Err(InputProblem::RequestTooLarge {
        total_bytes: weight.total_bytes,
        advice,
    })
}

/// The advice for a reference over the limit.
fn shrink_advice(can_shrink: bool) -> String {
    if can_shrink {
        format!(
            "Shrink it to {SHRINK_LONG_SIDE_PX} px on its long side as JPEG (the Shrink button in \
             the window, or --shrink-refs with peel generate), or export a smaller JPEG yourself."
        )
    } else {
        "Peel cannot shrink HEIC or HEIF: export it as a JPEG under the limit (Photos or Preview: \
         Export, JPEG)."
            .to_owned()
    }
}

/// `bytes` as megabytes for a sentence ("6.2 MB"; 1 MB = 1,000,000 bytes).
pub fn megabytes(bytes: u64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "a size shown to one decimal place"
    )]
    let mb = bytes as f64 / 1_000_000.0;
    format!("{mb:.1} MB")
}

/// `bytes` as Google counts a request's megabytes ("20.0 MB" is 20,971,520 bytes).
fn request_megabytes(bytes: u64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "a size shown to one decimal place"
    )]
    let mb = bytes as f64 / 1_048_576.0;
    format!("{mb:.1} MB")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_HEAD: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn image_types_are_known_by_their_bytes_not_their_names() {
        assert_eq!(sniff(PNG_HEAD), Ok(ImageType::Png));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Ok(ImageType::Jpeg));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Ok(ImageType::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Ok(ImageType::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"), Ok(ImageType::Heif));
        assert_eq!(sniff(b"\0\0\0\x18ftypavif"), Err(Some("an AVIF image")));
        assert_eq!(sniff(b"GIF89a\x01\0"), Err(Some("a GIF image")));
        assert_eq!(sniff(b"%PDF-1.7"), Err(Some("a PDF document")));
        assert_eq!(sniff(b"meeting notes, not a picture"), Err(Some("text")));
        assert_eq!(sniff(&[0, 1, 2, 3, 0, 0xfe]), Err(None));
    }

    #[test]
    fn an_empty_file_says_it_is_empty() {
        let problem = check_reference("logo.png", 0, b"").unwrap_err();
        assert!(
            problem
                .to_string()
                .starts_with("logo.png is empty (0 bytes)")
        );
    }

    #[test]
    fn a_renamed_text_file_says_what_its_bytes_are() {
        let problem = check_reference("mood.png", 12, b"hello, world").unwrap_err();
        let sentence = problem.to_string();
        assert!(sentence.contains("mood.png is not an image"), "{sentence}");
        assert!(sentence.contains("its bytes are text"), "{sentence}");
        assert!(sentence.contains("save it as PNG or JPEG"), "{sentence}");
    }

    #[test]
    fn heic_passes_with_a_note_that_peel_cannot_preview_it() {
        let kind = check_reference("IMG_0042.HEIC", 2_000_000, b"\0\0\0\x18ftypheic").unwrap();
        assert_eq!(kind.mime_type(), "image/heic");
        let note = preview_note("IMG_0042.HEIC", kind).unwrap();
        assert!(note.contains("Gemini takes it"), "{note}");
        assert!(note.contains("cannot show a preview"), "{note}");
        assert_eq!(preview_note("a.png", ImageType::Png), None);
    }

    #[test]
    fn a_reference_over_the_inline_limit_offers_the_shrink() {
        let problem = check_reference("poster.png", 9_400_000, PNG_HEAD).unwrap_err();
        let sentence = problem.to_string();
        assert!(
            sentence.contains("poster.png is 9.4 MB, over the 7.0 MB"),
            "{sentence}"
        );
        assert!(sentence.contains("Shrink it to 2048 px"), "{sentence}");
        let heic = check_reference("big.heic", 9_400_000, b"\0\0\0\x18ftypheic").unwrap_err();
        assert!(heic.to_string().contains("Peel cannot shrink HEIC"));
        assert_eq!(
            check_reference("ok.png", MAX_REFERENCE_BYTES, PNG_HEAD),
            Ok(ImageType::Png)
        );
    }

    #[test]
    fn too_many_references_name_the_model_and_how_many_to_remove() {
        let problem = check_count("gemini-3-pro-image-preview", Some(14), 16).unwrap_err();
        assert_eq!(
            problem.to_string(),
            "gemini-3-pro-image-preview takes at most 14 reference images and this job has 16. \
             Remove 2, or choose a model that takes more."
        );
        assert!(check_count("m", Some(14), 14).is_ok());
        assert!(check_count("m", None, 99).is_ok());
    }

    #[test]
    fn a_request_over_20_mb_names_its_largest_references_and_the_edit_chain() {
        let fits = RequestWeight {
            total_bytes: MAX_REQUEST_BYTES,
            ..RequestWeight::default()
        };
        assert!(check_request(&fits).is_ok());
        let over = RequestWeight {
            total_bytes: 24 * 1_048_576,
            references: vec![
                ("reference 1".to_owned(), 5 * 1_048_576),
                ("reference 2".to_owned(), 6_815_744),
            ],
            earlier_images_bytes: 3 * 1_048_576,
        };
        let sentence = check_request(&over).unwrap_err().to_string();
        assert!(
            sentence.starts_with("This request would be 24.0 MB, over the 20.0 MB"),
            "{sentence}"
        );
        assert!(
            sentence.contains("reference 2 is 6.5 MB, reference 1 is 5.0 MB"),
            "largest first: {sentence}"
        );
        assert!(
            sentence.contains("earlier images of its chain (3.0 MB here)"),
            "{sentence}"
        );
        assert!(sentence.contains("start a new generation"), "{sentence}");
    }
}
