//! A request weighed before it is sent: its exact serialized length (counted by serializing
//! into a counter, so no second copy of the base64 is made), checked against Google's 20 MB
//! request limit with [`crate::job::reference_check::check_request`], whose sentence names what
//! to shrink. CPU work over megabytes: call from `spawn_blocking`.

use crate::api::wire::{Content, GenerateContentRequest};
use crate::job::reference_check::{RequestWeight, check_request};

use super::protocol::JobSpec;

/// A writer that only counts the bytes written to it.
#[derive(Debug, Default)]
struct ByteCounter {
    bytes: u64,
}

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The length of `request` as JSON on the wire, in bytes.
pub fn serialized_len(request: &GenerateContentRequest) -> u64 {
    let mut counter = ByteCounter::default();
    // Writing to a counter cannot fail; a request that could not serialize is not sent anyway.
    let _ = serde_json::to_writer(&mut counter, request);
    counter.bytes
}

/// What `request` (built from `spec` with its first `references_sent` references) weighs.
pub fn weigh(
    request: &GenerateContentRequest,
    spec: &JobSpec,
    references_sent: usize,
) -> RequestWeight {
    RequestWeight {
        total_bytes: serialized_len(request),
        references: spec
            .references
            .iter()
            .take(references_sent)
            .enumerate()
            .map(|(index, reference)| (format!("reference {}", index + 1), reference.size_bytes))
            .collect(),
        earlier_images_bytes: earlier_images_bytes(&request.contents),
    }
}

/// The decoded size of the images in every turn but the last (what an edit resends).
fn earlier_images_bytes(contents: &[Content]) -> u64 {
    let earlier = contents.len().saturating_sub(1);
    contents[..earlier]
        .iter()
        .flat_map(|content| &content.parts)
        .filter_map(|part| part.inline_data.as_ref())
        .map(crate::api::wire::Blob::decoded_len_estimate)
        .sum()
}

/// `Ok` when `request` fits Google's request limit, else the sentence saying what to shrink.
pub fn check_request_size(
    request: &GenerateContentRequest,
    spec: &JobSpec,
    references_sent: usize,
) -> Result<(), String> {
    check_request(&weigh(request, spec, references_sent)).map_err(|problem| problem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::Part;
    use crate::job::Reference;
    use crate::job::reference_check::MAX_REQUEST_BYTES;

    fn request_with(parts: Vec<Part>, history: Vec<Content>) -> GenerateContentRequest {
        GenerateContentRequest {
            contents: history
                .into_iter()
                .chain([Content {
                    role: Some("user".to_owned()),
                    parts,
                }])
                .collect(),
            ..GenerateContentRequest::default()
        }
    }

    #[test]
    fn the_count_is_the_exact_length_of_the_json_sent() {
        let request = request_with(
            vec![
                Part::text("a \"quoted\" fox"),
                Part::inline_image("image/png", "AAAA"),
            ],
            Vec::new(),
        );
        assert_eq!(
            serialized_len(&request),
            serde_json::to_vec(&request).unwrap().len() as u64
        );
    }

    #[test]
    fn an_oversize_request_names_its_references_and_the_edit_chain() {
        let reference_bytes: u64 = 6_000_000;
        let spec = JobSpec {
            references: (0..3)
                .map(|i| Reference {
                    mime_type: "image/jpeg".to_owned(),
                    sha256: format!("{i:064}"),
                    size_bytes: reference_bytes,
                })
                .collect(),
            ..JobSpec::default()
        };
        let base64 = "A".repeat(8_000_000);
        let parts = vec![
            Part::text("p"),
            Part::inline_image("image/jpeg", base64.clone()),
            Part::inline_image("image/jpeg", base64.clone()),
        ];
        let history = vec![Content {
            role: Some("model".to_owned()),
            parts: vec![Part::inline_image("image/jpeg", base64)],
        }];
        let request = request_with(parts, history);
        let weight = weigh(&request, &spec, 2);
        assert!(weight.total_bytes > MAX_REQUEST_BYTES);
        assert_eq!(weight.references.len(), 2, "only the references sent");
        assert_eq!(weight.earlier_images_bytes, 6_000_000);
        let sentence = check_request_size(&request, &spec, 2).unwrap_err();
        assert!(sentence.contains("reference 1 is 5.7 MB"), "{sentence}");
        assert!(
            sentence.contains("earlier images of its chain"),
            "{sentence}"
        );

        let small = request_with(vec![Part::text("p")], Vec::new());
        assert!(check_request_size(&small, &JobSpec::default(), 0).is_ok());
    }
}
