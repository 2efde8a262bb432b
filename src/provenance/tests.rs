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
        created_at: Some("2026-11-27T20:00:05.25Z".parse().unwrap()),
    }
}

/// The text of the file's standard XMP packet: the PNG's `XML:com.adobe.xmp` chunk, or the
/// JPEG's APP1 XMP segment (exactly one of either).
fn xmp_of(bytes: &[u8]) -> String {
    if bytes.starts_with(png::SIGNATURE) {
        let png =
            img_parts::png::Png::from_bytes(img_parts::Bytes::copy_from_slice(bytes)).unwrap();
        let chunks: Vec<_> = png
            .chunks()
            .iter()
            .filter(|chunk| chunk.contents().starts_with(b"XML:com.adobe.xmp\0"))
            .collect();
        assert_eq!(chunks.len(), 1, "one XMP chunk");
        assert_eq!(chunks[0].kind(), *b"iTXt");
        let data = chunks[0].contents();
        // Keyword NUL, flag 0, method 0, empty language NUL, empty translated keyword NUL.
        let text = &data["XML:com.adobe.xmp".len()..];
        assert_eq!(&text[..5], &[0, 0, 0, 0, 0]);
        String::from_utf8(text[5..].to_vec()).unwrap()
    } else {
        let jpeg =
            img_parts::jpeg::Jpeg::from_bytes(img_parts::Bytes::copy_from_slice(bytes)).unwrap();
        let segments: Vec<_> = jpeg
            .segments_by_marker(img_parts::jpeg::markers::APP1)
            .filter(|segment| {
                segment
                    .contents()
                    .starts_with(b"http://ns.adobe.com/xap/1.0/\0")
            })
            .collect();
        assert_eq!(segments.len(), 1, "one XMP segment");
        let text = &segments[0].contents()[b"http://ns.adobe.com/xap/1.0/\0".len()..];
        String::from_utf8(text.to_vec()).unwrap()
    }
}

/// A JUMBF superbox as C2PA puts it in a JPEG's APP11 segment: `JP`, box instance 1, sequence 1,
/// then a `jumb` box whose description box is labelled `c2pa`.
fn app11_c2pa() -> Vec<u8> {
    // The description box: length 30, `jumd`, C2PA's manifest store UUID, toggles, the label.
    let mut description = b"\0\0\0\x1ejumd".to_vec();
    description.extend_from_slice(&[
        0x63, 0x32, 0x70, 0x61, 0, 0x11, 0, 0x10, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71,
    ]);
    description.extend_from_slice(b"\x03c2pa\0");
    assert_eq!(description.len(), 30);
    let mut superbox = u32::try_from(description.len() + 8)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    superbox.extend_from_slice(b"jumb");
    superbox.extend_from_slice(&description);
    let mut contents = b"JP\0\x01\0\0\0\x01".to_vec();
    contents.extend_from_slice(&superbox);
    img_parts::jpeg::JpegSegment::new_with_contents(0xEB, img_parts::Bytes::from(contents))
        .encoder()
        .bytes()
        .to_vec()
}

/// `jpeg` with an APP11 C2PA segment after its JFIF header, as Google's would carry one.
fn with_c2pa(mut jpeg: Vec<u8>) -> Vec<u8> {
    // SOI (2 bytes), then APP0: marker, length, contents.
    let app0_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    jpeg.splice(app0_end..app0_end, app11_c2pa());
    jpeg
}

#[test]
fn the_xmp_packet_holds_the_standard_fields() {
    for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
        let written = insert(&encoded(format), &provenance()).unwrap();
        let text = xmp_of(&written);
        assert!(
            text.contains(
                "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">A lighthouse at dusk, &quot;cinematic&quot; &lt;wide&gt;\nsecond line &amp; more</rdf:li></rdf:Alt></dc:description>"
            ),
            "{text}"
        );
        let tool = format!(
            "<xmp:CreatorTool>Peel {} (gemini-3-pro-image)</xmp:CreatorTool>",
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.contains(&tool), "{text}");
        assert!(
            text.contains("<xmp:CreateDate>2026-11-27T20:00:05Z</xmp:CreateDate>"),
            "{text}"
        );
        assert!(
            text.contains(
                "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
            ),
            "{text}"
        );
        for namespace in [
            "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
            "xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"",
            "xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"",
        ] {
            assert!(text.contains(namespace), "{text}");
        }
        // One packet in a JPEG holds Peel's record too; a PNG keeps it in its `peel` chunk.
        assert_eq!(
            text.contains("<peel:provenance>"),
            format == image::ImageFormat::Jpeg,
            "{text}"
        );
    }
}

#[test]
fn markup_in_a_prompt_is_escaped_and_reads_back() {
    let tricky = Provenance {
        prompt: "a <b>bold</b> & \"quoted\" 'sign'\r\nwith a bell\u{7} </peel:provenance>"
            .to_owned(),
        ..provenance()
    };
    for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
        let written = insert(&encoded(format), &tricky).unwrap();
        let text = xmp_of(&written);
        assert!(
            text.contains(
                "a &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &apos;sign&apos;&#13;\nwith a bell &lt;/peel:provenance&gt;</rdf:li>"
            ),
            "{text}"
        );
        assert_eq!(read(&written).unwrap().peel, Some(tricky.clone()));
        assert_eq!(strip(&written).as_ref(), encoded(format).as_slice());
    }
    let sidecar = sidecar(&tricky).unwrap();
    assert_eq!(read(sidecar.as_bytes()).unwrap().peel, Some(tricky));
}

#[test]
fn files_of_an_older_peel_still_read_and_strip() {
    // PNG: `parameters` and `peel` only, no XMP chunk.
    let original = encoded(image::ImageFormat::Png);
    let json = serde_json::to_string(&provenance()).unwrap();
    let itxt = |keyword: &str, text: &str| {
        let mut data = keyword.as_bytes().to_vec();
        data.extend_from_slice(&[0, 0, 0, 0, 0]);
        data.extend_from_slice(text.as_bytes());
        img_parts::png::PngChunk::new(*b"iTXt", img_parts::Bytes::from(data))
            .encoder()
            .bytes()
            .to_vec()
    };
    let old = [
        &original[..33],
        &itxt("parameters", &parameters_text(&provenance())),
        &itxt("peel", &json),
        &original[33..],
    ]
    .concat();
    assert_eq!(read(&old).unwrap().peel, Some(provenance()));
    assert_eq!(strip(&old).as_ref(), original.as_slice());
    // JPEG: the segment an older Peel wrote, with the JSON alone in Peel's namespace.
    let original = encoded(image::ImageFormat::Jpeg);
    let packet = format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" \
         xmlns:peel=\"urn:peel:provenance:1.0/\"><peel:provenance>{}</peel:provenance></rdf:Description>\
         </rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>",
        json.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    );
    let old = jpeg::insert(&original, &packet).unwrap();
    assert_eq!(read(&old).unwrap().peel, Some(provenance()));
    assert_eq!(strip(&old).as_ref(), original.as_slice());
    // Written again by this Peel: replaced, not stacked, and still one XMP segment.
    let again = insert(&old, &provenance()).unwrap();
    assert!(xmp_of(&again).contains("DigitalSourceType"));
    assert_eq!(strip(&again).as_ref(), original.as_slice());
}

#[test]
fn content_credentials_are_detected_and_never_written_into() {
    let jpeg = encoded(image::ImageFormat::Jpeg);
    assert!(!has_content_credentials(&jpeg));
    let signed = with_c2pa(jpeg.clone());
    assert!(has_content_credentials(&signed));
    assert!(image::load_from_memory(&signed).is_ok());
    assert_eq!(
        insert(&signed, &provenance()),
        Err(ProvenanceError::ContentCredentials)
    );
    // An APP11 segment that is not JUMBF is no credential.
    let other = img_parts::jpeg::JpegSegment::new_with_contents(
        0xEB,
        img_parts::Bytes::from_static(b"XX other"),
    )
    .encoder()
    .bytes();
    let mut plain = jpeg.clone();
    plain.splice(2..2, other.iter().copied());
    assert!(!has_content_credentials(&plain));
    // PNG: a `caBX` chunk.
    let png = encoded(image::ImageFormat::Png);
    assert!(!has_content_credentials(&png));
    let chunk =
        img_parts::png::PngChunk::new(*b"caBX", img_parts::Bytes::from_static(b"\0\0\0\x08jumb"))
            .encoder()
            .bytes();
    let mut signed = png.clone();
    signed.splice(33..33, chunk.iter().copied());
    assert!(has_content_credentials(&signed));
    assert_eq!(
        insert(&signed, &provenance()),
        Err(ProvenanceError::ContentCredentials)
    );
    assert!(!has_content_credentials(b"not an image"));
}

#[test]
fn the_sidecar_is_one_packet_with_the_fields_and_the_record() {
    let text = sidecar(&provenance()).unwrap();
    assert!(text.starts_with("<?xpacket begin="), "{text}");
    assert!(text.ends_with("<?xpacket end=\"w\"?>"), "{text}");
    assert_eq!(text.matches("<x:xmpmeta").count(), 1);
    assert!(text.contains("trainedAlgorithmicMedia"), "{text}");
    assert!(text.contains("<xmp:CreatorTool>Peel "), "{text}");
    let found = read(text.as_bytes()).unwrap();
    assert_eq!(found.source, Source::Peel);
    assert_eq!(found.peel, Some(provenance()));
    assert_eq!(
        sidecar_path(Path::new("/out/peel-7.jpg")),
        Path::new("/out/peel-7.jpg.xmp")
    );
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
