//! The library's reference images, found by their hash: an image Peel saved names the SHA-256 of
//! each reference it was made with, and importing it can bring those references back when a job
//! in this library still holds them.

use std::collections::BTreeSet;

use super::db::{Store, StoreError};
use crate::job::Reference;

impl Store {
    /// The references of the newest `scan_limit` jobs whose bytes hash to one of `wanted`, each
    /// once, in `wanted`'s order (their bytes are read back with
    /// [`super::references::read_reference`], which checks the hash).
    pub fn references_by_hash(
        &self,
        wanted: &[String],
        scan_limit: usize,
    ) -> Result<Vec<(String, Reference)>, StoreError> {
        let mut missing: BTreeSet<&str> = wanted.iter().map(String::as_str).collect();
        let mut found = Vec::new();
        if missing.is_empty() {
            return Ok(found);
        }
        for job in self.recent_jobs(scan_limit)? {
            for reference in job.spec.references {
                if missing.remove(reference.sha256.as_str()) {
                    found.push((reference.sha256.clone(), reference));
                }
            }
            if missing.is_empty() {
                break;
            }
        }
        found.sort_by_key(|(sha256, _)| wanted.iter().position(|w| w == sha256));
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobSpec;
    use crate::store::references::keep_reference;
    use crate::store::turns::sha256_hex;

    #[test]
    fn references_come_back_by_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let spec = JobSpec {
            prompt: "a fox".to_owned(),
            references: vec![
                keep_reference(dir.path(), "image/png", b"first").unwrap(),
                keep_reference(dir.path(), "image/jpeg", b"second").unwrap(),
            ],
            ..JobSpec::default()
        };
        store
            .enqueue(
                &serde_json::to_string(&spec).unwrap(),
                jiff::Timestamp::now(),
            )
            .unwrap();
        let wanted = vec![
            sha256_hex(b"second"),
            sha256_hex(b"not in the library"),
            sha256_hex(b"first"),
        ];
        let found = store.references_by_hash(&wanted, 100).unwrap();
        let mimes: Vec<&str> = found.iter().map(|(_, r)| r.mime_type.as_str()).collect();
        assert_eq!(mimes, ["image/jpeg", "image/png"]);
        assert!(store.references_by_hash(&[], 100).unwrap().is_empty());
    }
}
