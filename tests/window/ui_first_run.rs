#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

//! The first run for a designer without a key (egui_kittest, no GPU, the test playing the worker
//! and the media service): the welcome panel says what the simulator is and that its images are
//! not real, how to get a key (AI Studio, then API keys), that Google's image models need billing
//! because they have no free tier, what a day of work costs at the catalog's prices, and where the
//! key will be kept; dismissing it is kept between runs; Settings says the same while no key is
//! set.

use egui_kittest::kittest::Queryable as _;
use peel::api::catalog::Catalog;
use peel::store::platform::Platform;
use peel::ui::first_run::{DAY_IMAGES, DAY_SIZE, day_cost_usd};

use crate::window_rig::{Rig, restore_settings, saved_settings};

/// The words a designer without a key must find, in the panel and in Settings.
fn assert_the_guide_shows(rig: &Rig) {
    let harness = &rig.harness;
    harness.get_by_label_contains("Until you add a key, Peel runs on its built-in simulator");
    harness.get_by_label_contains("Its images are not real");
    harness.get_by_label_contains("not a picture of your prompt");
    harness.get_by_label_contains("Google AI Studio");
    harness.get_by_label_contains("open API keys");
    harness.get_by_label_contains("no free tier");
    harness.get_by_label_contains("needs billing turned on");
    let catalog = Catalog::builtin();
    let pro = catalog.get(&catalog.primary).unwrap();
    let (_, day_usd) = day_cost_usd(pro).unwrap();
    harness.get_by_label_contains(&format!(
        "{DAY_IMAGES} images at {DAY_SIZE} on {}, costs about ${day_usd:.2}",
        pro.display_name
    ));
    harness.get_by_label_contains(&format!(
        "Peel keeps the key in {}",
        Platform::current().keychain_name()
    ));
}

#[test]
fn a_first_run_without_a_key_explains_the_simulator_and_getting_a_key_once() {
    let mut rig = Rig::playing_media();
    restore_settings(&mut rig.harness, "");
    rig.harness.get_by_label("Welcome to Peel");
    assert_the_guide_shows(&rig);

    rig.harness.get_by_label("Try the simulator").click();
    rig.harness.run();
    assert!(rig.harness.query_by_label("Welcome to Peel").is_none());
    // Working on the simulator at once: the prompt takes the keyboard.
    rig.harness.get_by_label("Prompt").type_text("a pebble");
    rig.harness.run();

    let saved = saved_settings(&mut rig.harness);
    assert!(saved.contains("peel.first_run_dismissed = true"), "{saved}");
    let mut next_run = Rig::playing_media();
    restore_settings(&mut next_run.harness, &saved);
    assert!(
        next_run.harness.query_by_label("Welcome to Peel").is_none(),
        "a dismissed welcome never comes back"
    );
}

#[test]
fn add_a_key_opens_settings_with_the_same_words() {
    let mut rig = Rig::playing_media();
    restore_settings(&mut rig.harness, "");
    rig.harness.get_by_label("Add a key in Settings").click();
    rig.harness.run();
    assert!(rig.harness.query_by_label("Welcome to Peel").is_none());
    rig.harness.get_by_label("New API key");
    assert_the_guide_shows(&rig);
    let saved = saved_settings(&mut rig.harness);
    assert!(saved.contains("peel.first_run_dismissed = true"), "{saved}");
}

#[test]
fn escape_dismisses_the_welcome_too() {
    let mut rig = Rig::playing_media();
    restore_settings(&mut rig.harness, "peel.first_run_dismissed = false");
    rig.harness.get_by_label("Welcome to Peel");
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.run();
    assert!(rig.harness.query_by_label("Welcome to Peel").is_none());
    assert!(saved_settings(&mut rig.harness).contains("peel.first_run_dismissed = true"));
}

#[test]
fn settings_explain_getting_a_key_while_none_is_set() {
    // A window without storage (as every other test's) never offers the welcome...
    let mut rig = Rig::playing_media();
    rig.harness.run();
    assert!(rig.harness.query_by_label("Welcome to Peel").is_none());
    // ...and Settings says the same words.
    rig.harness.get_by_label("Settings").click();
    rig.harness.run();
    assert_the_guide_shows(&rig);
}
