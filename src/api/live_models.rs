//! The models Google lists right now: the ids `models.list` names as able to `generateContent`.
//!
//! The catalog (`assets/models.toml`) is what Peel knew when it was built; Google retires ids on
//! its own schedule. A [`LiveModels`] list, fetched at start when a key is set, lets Peel notice a
//! retired id before a job is sent to it: an id the list leaves out is treated like one that
//! answered 404. Pure data: fetching and caching live in `worker` and `store`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::catalog::Catalog;
use super::wire::ModelInfo;

/// The generation method an image model must offer.
const GENERATE_CONTENT: &str = "generateContent";

/// The ids Google's `models.list` names for `generateContent`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveModels {
    /// Model ids without the `models/` prefix, sorted.
    ids: BTreeSet<String>,
}

impl LiveModels {
    /// The list from a `models.list` answer: every model that offers `generateContent` (or does
    /// not say which methods it offers). `None` when no model qualifies: an empty list says more
    /// about the endpoint (a proxy without `models.list`) than about the models, so it must not
    /// make every model look retired.
    pub fn from_models(models: &[ModelInfo]) -> Option<LiveModels> {
        let ids: BTreeSet<String> = models
            .iter()
            .filter(|model| {
                model.supported_generation_methods.is_empty()
                    || model
                        .supported_generation_methods
                        .iter()
                        .any(|method| method == GENERATE_CONTENT)
            })
            .map(|model| model.id().trim().to_owned())
            .filter(|id| !id.is_empty())
            .collect();
        (!ids.is_empty()).then_some(LiveModels { ids })
    }

    /// A list of exactly these ids (a `models/` prefix is ignored); `None` when it would be empty.
    pub fn from_ids<I, S>(ids: I) -> Option<LiveModels>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids: BTreeSet<String> = ids
            .into_iter()
            .map(|id| bare(id.as_ref()).to_owned())
            .filter(|id| !id.is_empty())
            .collect();
        (!ids.is_empty()).then_some(LiveModels { ids })
    }

    /// Whether Google lists `id` (a `models/` prefix is ignored).
    pub fn is_listed(&self, id: &str) -> bool {
        self.ids.contains(bare(id))
    }

    /// The listed ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// Catalog models Peel would offer (not retired in the catalog) that Google no longer lists,
    /// in catalog order: the ones the window should flag.
    pub fn unlisted_in(&self, catalog: &Catalog) -> Vec<String> {
        catalog
            .models
            .iter()
            .filter(|model| model.is_callable() && !self.is_listed(&model.id))
            .map(|model| model.id.clone())
            .collect()
    }
}

/// "Why this model is not used", for the job's fallback line and the window.
pub fn unlisted_reason(id: &str) -> String {
    format!("{} is no longer listed by Google's models.list", bare(id))
}

fn bare(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix("models/").unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, methods: &[&str]) -> ModelInfo {
        ModelInfo {
            name: name.to_owned(),
            supported_generation_methods: methods.iter().map(|m| (*m).to_owned()).collect(),
            ..ModelInfo::default()
        }
    }

    #[test]
    fn only_models_that_generate_content_are_listed() {
        let live = LiveModels::from_models(&[
            info(
                "models/gemini-nano-banana-2.1",
                &["generateContent", "countTokens"],
            ),
            info("models/text-embedding-004", &["embedContent"]),
            info("models/gemini-3-pro-image", &[]),
        ])
        .unwrap();
        assert!(live.is_listed("gemini-nano-banana-2.1"));
        assert!(live.is_listed("models/gemini-3-pro-image"));
        assert!(!live.is_listed("text-embedding-004"));
        assert!(!live.is_listed("gemini-3.1-flash-image"));
        assert_eq!(
            live.ids().collect::<Vec<_>>(),
            ["gemini-3-pro-image", "gemini-nano-banana-2.1"]
        );
    }

    #[test]
    fn an_empty_answer_is_no_list_at_all() {
        assert_eq!(LiveModels::from_models(&[]), None);
        assert_eq!(
            LiveModels::from_models(&[info("models/embedding-001", &["embedContent"])]),
            None
        );
        assert_eq!(LiveModels::from_ids(Vec::<String>::new()), None);
    }

    #[test]
    fn catalog_models_missing_from_the_list_are_named() {
        let catalog = Catalog::builtin();
        let live = LiveModels::from_ids(
            catalog
                .models
                .iter()
                .map(|model| model.id.as_str())
                .filter(|id| *id != "gemini-3-pro-image"),
        )
        .unwrap();
        assert_eq!(live.unlisted_in(catalog), ["gemini-3-pro-image"]);
        assert_eq!(
            unlisted_reason("models/gemini-3-pro-image"),
            "gemini-3-pro-image is no longer listed by Google's models.list"
        );
    }
}
