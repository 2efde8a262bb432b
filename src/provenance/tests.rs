//! Round trips, strip exactness, and what other tools see.

use super::*;
use crate::api::enums::{HarmBlockThreshold, HarmCategory};

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let image = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn provenance() -> Provenance {
    Provenance {
        prompt: "A lighthouse at dusk, \"cinematic\" <wide>\nsecond line & more".to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        model_version: Some("gemini-3-pro-image-preview-11-2025".to_owned()),
        aspect_ratio: Some("16:9".to_owned()),
        image_size: Some("2K".to_owned()),
        reference_sha256: vec!["ab".repeat(32)],
        safety_settings: vec![SafetySetting {
            category: HarmCategory::DangerousContent,
            threshold: HarmBlockThreshold::BlockOnlyHigh,
        }],
        finish_reason: Some("STOP".to_owned()),
        attempts: 3,
        fallback_used: true,
        input_tokens: Some(120),
        output_tokens: Some(1290),
        cost_usd: 0.134,
        generator: "peel test".to_owned(),
    }
}

#[test]
fn png_round_trips_and_strips_to_the_exact_bytes() {
    let original = encoded(image::ImageFormat::Png);
    let written = insert(&original, &provenance()).unwrap();
    assert_ne!(written, original);
    assert_eq!(strip(&written).as_ref(), original.as_slice());
    let found = read(&written).unwrap();
    assert_eq!(found.source, Source::Peel);
    assert_eq!(found.peel, Some(provenance()));
    assert_eq!(found.prompt, provenance().prompt);
    assert_eq!(found.model.as_deref(), Some("gemini-3-pro-image"));
    assert_eq!(found.aspect_ratio.as_deref(), Some("16:9"));
    assert_eq!(found.image_size.as_deref(), Some("2K"));
    // The image still decodes, pixel for pixel.
    let before = image::load_from_memory(&original).unwrap();
    let after = image::load_from_memory(&written).unwrap();
    assert_eq!(before.as_bytes(), after.as_bytes());
    // Writing again replaces, never stacks.
    let again = insert(&written, &provenance()).unwrap();
    assert_eq!(again, written);
}

#[test]
fn jpeg_round_trips_and_strips_to_the_exact_bytes() {
    let original = encoded(image::ImageFormat::Jpeg);
    let written = insert(&original, &provenance()).unwrap();
    assert_eq!(strip(&written).as_ref(), original.as_slice());
    let found = read(&written).unwrap();
    assert_eq!(found.source, Source::Peel);
    assert_eq!(found.peel, Some(provenance()));
    let before = image::load_from_memory(&original).unwrap();
    let after = image::load_from_memory(&written).unwrap();
    assert_eq!(before.as_bytes(), after.as_bytes());
    // The segment sits after the JFIF header and is standard XMP.
    let text = String::from_utf8_lossy(&written);
    assert!(
        text.contains("http://ns.adobe.com/xap/1.0/\0<?xpacket"),
        "{text}"
    );
    assert_eq!(insert(&written, &provenance()).unwrap(), written);
}

#[test]
fn a_jpeg_without_jfif_header_gets_the_segment_after_soi() {
    // SOI, a DQT-like segment, SOS, two entropy bytes, EOI.
    let original = [
        0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x03, 0x01, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9,
    ];
    let written = insert(&original, &provenance()).unwrap();
    assert_eq!(&written[..4], &[0xFF, 0xD8, 0xFF, 0xE1]);
    assert_eq!(strip(&written).as_ref(), original.as_slice());
}

#[test]
fn an_exif_segment_stays_first() {
    // SOI, APP1 Exif (8 bytes of contents), SOS, entropy, EOI.
    let original = [
        0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, b'E', b'x', b'i', b'f', 0, 0, 0xFF, 0xDA, 0x00, 0x02,
        0x12, 0xFF, 0xD9,
    ];
    let written = insert(&original, &provenance()).unwrap();
    assert_eq!(&written[..12], &original[..12]);
    assert_eq!(&written[12..14], &[0xFF, 0xE1]);
    assert_eq!(strip(&written).as_ref(), original.as_slice());
    // A segment whose length is too short to hold anything is not read past.
    let damaged = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9];
    assert_eq!(strip(&damaged).as_ref(), damaged.as_slice());
    let _ = insert(&damaged, &provenance());
}

#[test]
fn other_tools_see_the_parameters_text_in_the_png() {
    let written = insert(&encoded(image::ImageFormat::Png), &provenance()).unwrap();
    let decoder = ::png::Decoder::new(std::io::Cursor::new(written));
    let reader = decoder.read_info().unwrap();
    let texts: Vec<(String, String)> = reader
        .info()
        .utf8_text
        .iter()
        .map(|chunk| (chunk.keyword.clone(), chunk.get_text().unwrap()))
        .collect();
    let parameters = &texts.iter().find(|(key, _)| key == "parameters").unwrap().1;
    assert!(
        parameters.starts_with("A lighthouse at dusk"),
        "{parameters}"
    );
    assert!(
        parameters.ends_with(
            "Model: gemini-3-pro-image, Model version: gemini-3-pro-image-preview-11-2025, \
             Size: 2K, Aspect ratio: 16:9, Seed: none"
        ),
        "{parameters}"
    );
    let json = &texts.iter().find(|(key, _)| key == "peel").unwrap().1;
    let back: Provenance = serde_json::from_str(json).unwrap();
    assert_eq!(back, provenance());
}

#[test]
fn a_png_from_another_tool_is_read_from_its_parameters() {
    let text = "portrait of a cat, oil painting\nsoft light\nNegative prompt: blurry, lowres\n\
                Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768, \
                Model: sd_xl_base, Lora hashes: \"a: 1, b: 2\"";
    let mut bytes = encoded(image::ImageFormat::Png);
    // A tEXt chunk right after IHDR, as A1111 writes it.
    let mut data = b"parameters\0".to_vec();
    data.extend_from_slice(text.as_bytes());
    let chunk = img_parts::png::PngChunk::new(*b"tEXt", img_parts::Bytes::from(data))
        .encoder()
        .bytes();
    bytes.splice(33..33, chunk.iter().copied());
    let found = read(&bytes).unwrap();
    assert_eq!(found.source, Source::Parameters);
    assert_eq!(found.prompt, "portrait of a cat, oil painting\nsoft light");
    assert_eq!(found.negative_prompt.as_deref(), Some("blurry, lowres"));
    assert_eq!(found.model.as_deref(), Some("sd_xl_base"));
    assert_eq!(found.image_size, None, "pixel sizes are not Gemini sizes");
    assert!(
        found
            .settings
            .contains(&("Lora hashes".to_owned(), "a: 1, b: 2".to_owned()))
    );
    // Another tool's chunk is never stripped.
    assert_eq!(strip(&bytes).as_ref(), bytes.as_slice());
}

#[test]
fn images_without_provenance_or_of_other_kinds_are_left_alone() {
    let png = encoded(image::ImageFormat::Png);
    assert_eq!(read(&png), None);
    assert!(matches!(strip(&png), Cow::Borrowed(_)));
    let webp = b"RIFF\x10\0\0\0WEBPVP8 ".to_vec();
    assert_eq!(
        insert(&webp, &provenance()),
        Err(ProvenanceError::Unsupported)
    );
    assert_eq!(read(b"not an image"), None);
    assert_eq!(strip(b"not an image").as_ref(), b"not an image");
}

#[test]
fn a_prompt_too_long_for_a_jpeg_segment_is_refused_with_a_sentence() {
    let long = Provenance {
        prompt: "x".repeat(70_000),
        ..provenance()
    };
    let error = insert(&encoded(image::ImageFormat::Jpeg), &long).unwrap_err();
    assert!(matches!(error, ProvenanceError::TooLarge(_)));
    assert!(error.to_string().contains("shorten the prompt"), "{error}");
}

#[test]
fn the_parameters_line_parses_back() {
    let text = parameters_text(&Provenance {
        prompt: "one, two".to_owned(),
        model: "gemini-2.5-flash-image".to_owned(),
        ..Provenance::default()
    });
    assert_eq!(
        text,
        "one, two\nModel: gemini-2.5-flash-image, Size: default, Aspect ratio: default, Seed: none"
    );
    let parsed = parse_parameters(&text);
    assert_eq!(parsed.prompt, "one, two");
    assert_eq!(
        parsed.value("model").as_deref(),
        Some("gemini-2.5-flash-image")
    );
    assert_eq!(parsed.value("Seed"), None);
}

#[test]
fn reference_hashes_come_from_the_bytes_sent() {
    use sha2::{Digest as _, Sha256};
    let named = |bytes: &[u8]| crate::job::Reference {
        mime_type: "image/png".to_owned(),
        sha256: format!("{:x}", Sha256::digest(bytes)),
        size_bytes: bytes.len() as u64,
    };
    let spec = JobSpec {
        prompt: "p".to_owned(),
        references: vec![named(b"abc"), named(b"def")],
        ..JobSpec::default()
    };
    let provenance = Provenance::from_spec(&spec, 1);
    // sha256("abc"): only the references sent are named.
    assert_eq!(
        provenance.reference_sha256,
        ["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]
    );
}
