//! The model catalog: which image models exist, what each can do, what it costs, and what replaced
//! the retired ones. The data is `assets/models.toml` (compiled in), where every fact names its source.
//!
//! Model ids are configuration, not constants: the catalog names the default primary and fallback,
//! and a later refresh from `models.list` can mark models as gone.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The catalog text shipped with Peel.
pub const BUILTIN_CATALOG_TOML: &str = include_str!("../../assets/models.toml");

/// Where a model stands in Google's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelStatus {
    /// Generally available.
    Stable,
    /// A preview: may change or go away at short notice.
    Preview,
    /// Still answers, but Google has announced its end.
    Deprecated,
    /// Gone: requests get 404.
    Retired,
}

impl ModelStatus {
    /// A word for people ("retired").
    pub fn label(self) -> &'static str {
        match self {
            ModelStatus::Stable => "stable",
            ModelStatus::Preview => "preview",
            ModelStatus::Deprecated => "deprecated",
            ModelStatus::Retired => "retired",
        }
    }
}

/// One model of the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// The API id, e.g. `gemini-3-pro-image`.
    pub id: String,
    /// The marketing name, e.g. "Nano Banana Pro".
    pub display_name: String,
    /// Google's formal name, e.g. "Gemini 3 Pro Image".
    #[serde(default)]
    pub official_name: Option<String>,
    /// Lifecycle status.
    pub status: ModelStatus,
    /// Announced shutdown date (YYYY-MM-DD), when published.
    #[serde(default)]
    pub shutdown_date: Option<String>,
    /// The id to use instead, for deprecated and retired models.
    #[serde(default)]
    pub replacement: Option<String>,
    /// Values accepted in `imageConfig.imageSize`; empty when the model has a single size.
    #[serde(default)]
    pub image_sizes: Vec<String>,
    /// Values accepted in `imageConfig.aspectRatio`.
    #[serde(default)]
    pub aspect_ratios: Vec<String>,
    /// Most reference images one request may carry.
    #[serde(default)]
    pub max_reference_images: Option<u32>,
    /// MIME type of generated images.
    #[serde(default)]
    pub output_mime_type: Option<String>,
    /// Whether the model always thinks (thought images, signatures).
    #[serde(default)]
    pub thinking: Option<bool>,
    /// Input token limit.
    #[serde(default)]
    pub input_token_limit: Option<u64>,
    /// Output token limit.
    #[serde(default)]
    pub output_token_limit: Option<u64>,
    /// Output tokens billed per image, by size.
    #[serde(default)]
    pub image_output_tokens: BTreeMap<String, u64>,
    /// Standard paid price per image in US dollars, by size.
    #[serde(default)]
    pub price_per_image_usd: BTreeMap<String, f64>,
    /// Input price per million tokens in US dollars.
    #[serde(default)]
    pub price_input_per_million_usd: Option<f64>,
    /// Whether the free tier has any quota for this model, when published.
    #[serde(default)]
    pub free_tier: Option<bool>,
    /// A note for designers.
    #[serde(default)]
    pub notes: Option<String>,
    /// Where the facts came from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// How long an answer typically takes, in seconds, by size, as users report it (Google
    /// publishes no latency figures); the window shows it until the designer's own history
    /// has enough answers.
    #[serde(default)]
    pub typical_answer_s: BTreeMap<String, f64>,
    /// Output pixel sizes, key `"RATIO@SIZE"` → `[width, height]`.
    #[serde(default)]
    pub pixel_sizes: BTreeMap<String, [u32; 2]>,
}

impl ModelEntry {
    /// Whether the model can still be called.
    pub fn is_callable(&self) -> bool {
        self.status != ModelStatus::Retired
    }

    /// "Nano Banana Pro (gemini-3-pro-image)".
    pub fn describe(&self) -> String {
        format!("{} ({})", self.display_name, self.id)
    }

    /// The published pixel size for a ratio and size, if any.
    pub fn pixel_size(&self, aspect_ratio: &str, image_size: &str) -> Option<[u32; 2]> {
        self.pixel_sizes
            .get(&format!("{aspect_ratio}@{image_size}"))
            .copied()
    }
}

/// Everything that can be wrong with a catalog file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The TOML does not parse.
    #[error("The model catalog could not be read: {0}")]
    Parse(#[from] toml::de::Error),
    /// The file is readable but inconsistent.
    #[error("The model catalog is inconsistent: {0}")]
    Inconsistent(String),
}

/// The whole catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Format version of the file.
    pub schema_version: u32,
    /// The default primary model id.
    pub primary: String,
    /// The default fallback model id.
    pub fallback: String,
    /// The models.
    #[serde(rename = "model")]
    pub models: Vec<ModelEntry>,
}

impl Catalog {
    /// The catalog shipped with Peel, parsed once.
    ///
    /// # Panics
    ///
    /// Only if `assets/models.toml` is broken, which a unit test rules out for every build.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| match Catalog::from_toml(BUILTIN_CATALOG_TOML) {
            Ok(catalog) => catalog,
            // The file is compiled in and checked by a unit test, so this cannot happen in a build
            // that passed its tests.
            Err(error) => panic!("built-in model catalog is broken: {error}"),
        })
    }

    /// Parses and checks a catalog.
    pub fn from_toml(text: &str) -> Result<Catalog, CatalogError> {
        let catalog: Catalog = toml::from_str(text)?;
        catalog.check()?;
        Ok(catalog)
    }

    fn check(&self) -> Result<(), CatalogError> {
        let inconsistent = |message: String| Err(CatalogError::Inconsistent(message));
        for (index, model) in self.models.iter().enumerate() {
            if self.models[..index]
                .iter()
                .any(|other| other.id == model.id)
            {
                return inconsistent(format!("model {} is listed twice", model.id));
            }
            if let Some(replacement) = &model.replacement
                && self.get(replacement).is_none()
            {
                return inconsistent(format!(
                    "{} names replacement {replacement}, which is not in the catalog",
                    model.id
                ));
            }
        }
        for (role, id) in [("primary", &self.primary), ("fallback", &self.fallback)] {
            match self.get(id) {
                None => {
                    return inconsistent(format!("the {role} model {id} is not in the catalog"));
                }
                Some(model) if !model.is_callable() => {
                    return inconsistent(format!("the {role} model {id} is retired"));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Looks a model up by id (a `models/` prefix is ignored).
    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        let id = id.strip_prefix("models/").unwrap_or(id);
        self.models.iter().find(|model| model.id == id)
    }

    /// The model to use instead of `id`: its replacement chain followed to a callable model, else
    /// the primary. `None` when `id` is callable.
    pub fn replacement_for(&self, id: &str) -> Option<&ModelEntry> {
        let mut current = self.get(id)?;
        if current.status != ModelStatus::Retired && current.status != ModelStatus::Deprecated {
            return None;
        }
        for _ in 0..self.models.len() {
            match current
                .replacement
                .as_deref()
                .and_then(|next| self.get(next))
            {
                Some(next) if next.status == ModelStatus::Stable => return Some(next),
                Some(next) => current = next,
                None => break,
            }
        }
        self.get(&self.primary).filter(|primary| primary.id != id)
    }

    /// The catalog id closest to a misspelled one, when it is close enough to be a typo.
    pub fn closest(&self, id: &str) -> Option<&ModelEntry> {
        let id = id.strip_prefix("models/").unwrap_or(id);
        self.models
            .iter()
            .filter(|model| model.is_callable())
            .map(|model| (strsim::damerau_levenshtein(id, &model.id), model))
            .filter(|(distance, model)| *distance > 0 && *distance <= model.id.len() / 4)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, model)| model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_names_defaults() {
        let catalog = Catalog::builtin();
        assert_eq!(catalog.primary, "gemini-3-pro-image");
        assert_eq!(catalog.fallback, "gemini-nano-banana-2.1");
        // Both defaults are current models, not deprecated ones.
        for id in [&catalog.primary, &catalog.fallback] {
            assert_eq!(catalog.get(id).unwrap().status, ModelStatus::Stable, "{id}");
        }
        assert_eq!(
            catalog
                .replacement_for("gemini-3.1-flash-image")
                .unwrap()
                .id,
            catalog.fallback
        );
        let pro = catalog.get("models/gemini-3-pro-image").unwrap();
        assert_eq!(pro.display_name, "Nano Banana Pro");
        assert_eq!(pro.image_sizes, ["1K", "2K", "4K"]);
        assert_eq!(pro.max_reference_images, Some(14));
        assert_eq!(pro.pixel_size("16:9", "2K"), Some([2752, 1536]));
        assert!(catalog.models.iter().all(|model| !model.sources.is_empty()));
    }

    #[test]
    fn older_ids_are_listed_with_status_and_replacement() {
        let catalog = Catalog::builtin();
        for id in [
            "gemini-3-pro-image-preview",
            "gemini-2.5-flash-image",
            "gemini-2.0-flash-exp-image-generation",
        ] {
            let model = catalog.get(id).unwrap();
            assert_ne!(model.status, ModelStatus::Stable, "{id}");
            let replacement = catalog.replacement_for(id).unwrap();
            assert!(replacement.is_callable(), "{id} → {}", replacement.id);
        }
        assert_eq!(
            catalog
                .replacement_for("gemini-3-pro-image-preview")
                .unwrap()
                .id,
            "gemini-3-pro-image"
        );
        assert!(catalog.replacement_for("gemini-3-pro-image").is_none());
    }

    #[test]
    fn typos_find_the_intended_model() {
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.closest("gemini-3-pro-imgae").unwrap().id,
            "gemini-3-pro-image"
        );
        assert!(catalog.closest("stable-diffusion-xl").is_none());
    }

    #[test]
    fn inconsistent_catalogs_are_refused() {
        let text = r#"schema_version = 1
primary = "a"
fallback = "b"
[[model]]
id = "a"
display_name = "A"
status = "stable"
[[model]]
id = "b"
display_name = "B"
status = "retired"
"#;
        let error = Catalog::from_toml(text).unwrap_err();
        assert!(
            error.to_string().contains("fallback model b is retired"),
            "{error}"
        );
    }
}
