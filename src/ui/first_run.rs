//! The first run, for a designer without a key: what the simulator is (and that its images are
//! not real), how to get a real key (AI Studio, then API keys), that Google's image models need
//! billing on the key's project because they have no free tier, roughly what a day of work costs
//! at the catalog's prices, and where the key will be kept on this platform.
//!
//! A window that can remember its dismissal (one with eframe's storage) offers it once, as a
//! panel over the window while no key is set; "Try the simulator" or "Add a key in Settings"
//! (or Escape, or a click beside the panel) dismisses it for good (kept between runs beside the
//! gallery's layout). Settings shows the same words ([`guide_ui`]) for as long as no key is set.

use super::settings::{KeySource, KeyView};
use super::{Tab, UiState};
use crate::api::catalog::{Catalog, ModelEntry};
use crate::store::platform::Platform;

/// Images in the "day of work" the cost is estimated for.
pub const DAY_IMAGES: u32 = 50;

/// The image size of that day's images.
pub const DAY_SIZE: &str = "1K";

/// Whether the window offers the first-run panel (saved as whether it was [`FirstRun::dismissed`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FirstRun {
    /// Not offered: a window without storage (the test rigs), which could not remember that
    /// it was dismissed.
    #[default]
    NotOffered,
    /// Offered: shown while no key is set, until dismissed.
    Offered,
    /// Dismissed, in this run or an earlier one.
    Dismissed,
}

impl FirstRun {
    /// The state at start-up, from what an earlier run saved (`dismissed`).
    pub fn from_saved(dismissed: bool) -> FirstRun {
        if dismissed {
            FirstRun::Dismissed
        } else {
            FirstRun::Offered
        }
    }

    /// What the next run restores: whether it was dismissed.
    pub fn dismissed(self) -> bool {
        self == FirstRun::Dismissed
    }

    /// Whether the panel shows now: offered, and no key set (not even one being looked for in
    /// the keychain, which may yet be found).
    pub fn shows(self, key: &KeyView) -> bool {
        self == FirstRun::Offered && key.source == KeySource::None
    }
}

/// The guide's words: one paragraph per question a designer without a key has.
#[derive(Clone, Debug, PartialEq)]
pub struct Guide {
    /// What the simulator is, and that its images are not real.
    pub simulator: String,
    /// How to get a real key.
    pub get_a_key: String,
    /// Billing, and what a day of work costs.
    pub billing: String,
    /// Where the key will be kept.
    pub where_kept: String,
}

impl Guide {
    /// The guide for `platform`, with the costs from `catalog`'s default models.
    pub fn new(catalog: &Catalog, platform: Platform) -> Guide {
        Guide {
            simulator: "Until you add a key, Peel runs on its built-in simulator: a stand-in for \
                        Google's Gemini on this computer that answers, waits and fails the way \
                        Google does (rate limits, busy servers, safety filters), so you can learn \
                        Peel without paying. Its images are not real: each is a made-up \
                        landscape marked SIMULATED, not a picture of your prompt, and nothing is \
                        billed."
                .to_owned(),
            get_a_key: "To make real images you need a Gemini API key: sign in to Google AI \
                        Studio (aistudio.google.com), open API keys, and choose Create API key. \
                        Paste it into Settings, under API key."
                .to_owned(),
            billing: billing_text(catalog),
            where_kept: format!(
                "Peel keeps the key in {} on this computer, never in a file, and sends it only \
                 to Google (or the endpoint you set). Setting GEMINI_API_KEY in the environment \
                 works too.",
                platform.keychain_name()
            ),
        }
    }

    /// The guide for this platform and the built-in catalog.
    pub fn here() -> Guide {
        Guide::new(Catalog::builtin(), Platform::current())
    }
}

/// What a day of work costs on `model` at the catalog's price: (price of one image, total) for
/// [`DAY_IMAGES`] images at [`DAY_SIZE`]; `None` when Google publishes no price for that size.
pub fn day_cost_usd(model: &ModelEntry) -> Option<(f64, f64)> {
    let each = *model.price_per_image_usd.get(DAY_SIZE)?;
    Some((each, each * f64::from(DAY_IMAGES)))
}

/// Billing, and a day of work on the default model (and the fallback) at the catalog's prices.
fn billing_text(catalog: &Catalog) -> String {
    let billing = "Google's image models have no free tier: the key's Google Cloud project needs \
                   billing turned on (in AI Studio, set up billing for that project), or every \
                   request is refused.";
    let day = |id: &str| {
        let model = catalog.get(id)?;
        day_cost_usd(model).map(|(each, total)| (model, each, total))
    };
    let Some((model, each, total)) = day(&catalog.primary) else {
        return billing.to_owned();
    };
    let four_k = model
        .price_per_image_usd
        .get("4K")
        .map_or_else(String::new, |price| format!("; ${price:.2} at 4K"));
    let on_fallback = day(&catalog.fallback).map_or_else(String::new, |(fallback, _, total)| {
        format!(", or ${total:.2} on {}", fallback.display_name)
    });
    format!(
        "{billing} At the catalog's prices a day of work, say {DAY_IMAGES} images at {DAY_SIZE} \
         on {}, costs about ${total:.2} (${each:.3} an image{four_k}){on_fallback}. Budgets in \
         Settings cap the spend per job and per day.",
        model.display_name
    )
}

/// The guide's paragraphs, each under a small heading.
pub fn guide_ui(ui: &mut egui::Ui, guide: &Guide) {
    for (heading, text) in [
        ("The simulator", &guide.simulator),
        ("A real key", &guide.get_a_key),
        ("Billing", &guide.billing),
        ("Where the key is kept", &guide.where_kept),
    ] {
        ui.strong(heading);
        ui.add(egui::Label::new(text.as_str()).wrap());
        ui.add_space(4.0);
    }
}

/// The first-run panel, over the window, while [`FirstRun::shows`]. "Add a key in Settings"
/// opens Settings; either button (or Escape, or a click beside it) dismisses it for good.
pub fn first_run_ui(ctx: &egui::Context, key: &KeyView, ui_state: &mut UiState) {
    if !ui_state.first_run.shows(key) {
        return;
    }
    let guide = Guide::here();
    let response = egui::Modal::new(egui::Id::unique("first_run")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading("Welcome to Peel");
        ui.add_space(4.0);
        guide_ui(ui, &guide);
        ui.horizontal(|ui| {
            if ui.button("Add a key in Settings").clicked() {
                ui_state.tab = Tab::Settings;
                ui_state.first_run = FirstRun::Dismissed;
            }
            if ui.button("Try the simulator").clicked() {
                ui_state.first_run = FirstRun::Dismissed;
            }
        });
    });
    if response.should_close() {
        ui_state.first_run = FirstRun::Dismissed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_work_is_priced_from_the_catalog() {
        let catalog = Catalog::builtin();
        let pro = catalog.get(&catalog.primary).unwrap();
        let (each, total) = day_cost_usd(pro).unwrap();
        assert_eq!(each, pro.price_per_image_usd["1K"]);
        assert!((total - each * 50.0).abs() < 1e-9);
        let billing = billing_text(catalog);
        assert!(billing.contains("no free tier"), "{billing}");
        assert!(billing.contains("billing turned on"), "{billing}");
        assert!(
            billing.contains(&format!(
                "50 images at 1K on {}, costs about ${total:.2}",
                pro.display_name
            )),
            "{billing}"
        );
    }

    #[test]
    fn a_model_without_a_published_price_is_not_guessed() {
        let mut catalog = Catalog::builtin().clone();
        for model in &mut catalog.models {
            model.price_per_image_usd.clear();
        }
        let billing = billing_text(&catalog);
        assert!(billing.contains("no free tier"));
        assert!(!billing.contains('$'), "{billing}");
    }

    #[test]
    fn the_guide_names_this_platforms_keychain() {
        for platform in Platform::ALL {
            let guide = Guide::new(Catalog::builtin(), platform);
            assert!(
                guide.where_kept.contains(platform.keychain_name()),
                "{guide:?}"
            );
            assert!(guide.simulator.contains("not real"));
            assert!(guide.get_a_key.contains("AI Studio"));
            assert!(guide.get_a_key.contains("API keys"));
        }
    }

    #[test]
    fn the_panel_waits_for_the_keychain_and_goes_once_dismissed() {
        let none = KeyView::default();
        let checking = KeyView {
            source: KeySource::Checking,
            ..KeyView::default()
        };
        let keychain = KeyView {
            source: KeySource::Keychain,
            ..KeyView::default()
        };
        assert!(FirstRun::from_saved(false).shows(&none));
        assert!(!FirstRun::from_saved(false).shows(&checking));
        assert!(!FirstRun::from_saved(false).shows(&keychain));
        assert!(!FirstRun::from_saved(true).shows(&none));
        assert!(!FirstRun::NotOffered.shows(&none));
        assert!(FirstRun::from_saved(true).dismissed());
        assert!(!FirstRun::NotOffered.dismissed());
    }
}
