//! The XMP packet photo tools read (Lightroom, Bridge, digiKam, exiftool): the prompt as the
//! caption (`dc:description`), Peel and the model as `xmp:CreatorTool`, the time it was made as
//! `xmp:CreateDate`, and the IPTC digital source type that labels an image as made by a trained
//! model. Peel's own JSON can ride in the same packet, in its private namespace (one packet: a
//! JPEG reader takes only one XMP segment, and a sidecar is one file).

use std::fmt::Write as _;

use super::Provenance;

/// Peel's private XMP namespace (the JSON's element lives in it).
pub(super) const NAMESPACE: &str = "urn:peel:provenance:1.0/";
/// The element holding Peel's JSON.
const OPEN: &str = "<peel:provenance>";
const CLOSE: &str = "</peel:provenance>";

/// The IPTC digital source type for media made by a model trained on sampled content.
pub const TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// The packet for `provenance`, with Peel's `json` inside when given.
pub(super) fn packet(provenance: &Provenance, json: Option<&str>) -> String {
    let mut fields = String::new();
    let prompt = escape(provenance.prompt.trim_end());
    let _ = write!(
        fields,
        "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{prompt}</rdf:li></rdf:Alt></dc:description>"
    );
    let _ = write!(
        fields,
        "<xmp:CreatorTool>{}</xmp:CreatorTool>",
        escape(&creator_tool(&provenance.model))
    );
    if let Some(created) = provenance.created_at {
        let _ = write!(
            fields,
            "<xmp:CreateDate>{}</xmp:CreateDate>",
            created.strftime("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    let _ = write!(
        fields,
        "<Iptc4xmpExt:DigitalSourceType>{TRAINED_ALGORITHMIC_MEDIA}</Iptc4xmpExt:DigitalSourceType>"
    );
    if let Some(json) = json {
        let _ = write!(fields, "{OPEN}{}{CLOSE}", escape(json));
    }
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
         xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\" \
         xmlns:peel=\"{NAMESPACE}\">\n\
         {fields}\n\
         </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n\
         <?xpacket end=\"w\"?>"
    )
}

/// `Peel <version> (<model id>)`: this Peel, and the model that made the image.
fn creator_tool(model: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    if model.is_empty() {
        format!("Peel {version}")
    } else {
        format!("Peel {version} ({model})")
    }
}

/// Peel's JSON from an XMP packet's text, when it holds Peel's element.
pub(super) fn record(text: &str) -> Option<String> {
    let start = text.find(OPEN)? + OPEN.len();
    let end = start + text[start..].find(CLOSE)?;
    Some(unescape(&text[start..end]))
}

/// `text` as XML character data or attribute value: the five markup characters as entities, a
/// carriage return as a character reference (a parser would turn a bare one into a newline),
/// and the control characters XML 1.0 forbids left out.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\r' => escaped.push_str("&#13;"),
            '\t' | '\n' => escaped.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// The text [`escape`] (or an older Peel's escaping) wrote.
pub(super) fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#13;", "\r")
        .replace("&amp;", "&")
}
