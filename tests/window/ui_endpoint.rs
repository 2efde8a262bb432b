//! The endpoint field in Settings (egui_kittest, no GPU, the test playing the worker and the media
//! service): what is typed is applied only when committed (Enter, or leaving the field) and
//! valid; the engine's client and the saved settings change only then; a key pasted into the
//! field by mistake is refused with a sentence, dropped from the field and never saved.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::window_rig::{Rig, saved_settings};
use egui_kittest::kittest::Queryable as _;
use peel::worker::{Command, EngineSettings};

const KEY: &str = "AIzaSyEndpointTest-0123456789abcdefghij";

/// Everything the window saves now, as one text.
fn saved(rig: &mut Rig) -> String {
    saved_settings(&mut rig.harness)
}

/// The client settings of every Configure the window sent since the last call.
fn configured(rig: &mut Rig) -> Vec<EngineSettings> {
    let mut sent = Vec::new();
    while let Ok(command) = rig.commands.try_recv() {
        if let Command::Configure(settings) = command {
            sent.push(*settings);
        }
    }
    sent
}

/// The window on Settings with a key in use (for this session: the test plays the keychain).
fn settings_with_a_key() -> Rig {
    let mut rig = Rig::playing_media();
    rig.harness.get_by_label("Settings").click();
    rig.harness.run();
    rig.harness.get_by_label("New API key").click();
    rig.harness.run();
    rig.harness.get_by_label("New API key").type_text(KEY);
    rig.harness.run();
    rig.harness.get_by_label("Save key to keychain").click();
    rig.harness.run();
    let client = configured(&mut rig).pop().unwrap().client.unwrap();
    assert_eq!(client.base_url, "https://generativelanguage.googleapis.com");
    rig
}

/// Clicks into the endpoint field and types `text` over what it holds.
fn type_endpoint(rig: &mut Rig, text: &str) {
    rig.harness.get_by_label("Endpoint").click();
    rig.harness.run();
    rig.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    rig.harness.get_by_label("Endpoint").type_text(text);
    rig.harness.run();
}

#[test]
fn a_typed_endpoint_is_applied_and_saved_only_on_enter() {
    let mut rig = settings_with_a_key();
    type_endpoint(&mut rig, "https://gateway.example.com/");
    // Typed, not committed: the engine keeps its client, and the settings file keeps the old value.
    assert!(configured(&mut rig).is_empty());
    assert!(!saved(&mut rig).contains("gateway.example.com"));
    rig.harness.key_press(egui::Key::Enter);
    rig.harness.run();
    let client = configured(&mut rig).pop().unwrap().client.unwrap();
    assert_eq!(client.base_url, "https://gateway.example.com");
    assert!(saved(&mut rig).contains("endpoint:\"https://gateway.example.com\""));
    // An invalid address is refused with its sentence; the applied one stays.
    type_endpoint(&mut rig, "http://gateway.example.com");
    rig.harness.key_press(egui::Key::Enter);
    rig.harness.run();
    assert!(
        rig.harness
            .query_by_label_contains("would cross the network in clear text")
            .is_some()
    );
    assert!(configured(&mut rig).is_empty());
    assert!(saved(&mut rig).contains("endpoint:\"https://gateway.example.com\""));
}

#[test]
fn a_key_pasted_into_the_endpoint_is_refused_and_never_saved() {
    let mut rig = settings_with_a_key();
    type_endpoint(&mut rig, KEY);
    // Leaving the field commits it, as Enter does.
    rig.harness.get_by_label("New API key").click();
    rig.harness.run();
    assert!(
        rig.harness
            .query_by_label_contains("This looks like an API key, not an address.")
            .is_some()
    );
    assert!(configured(&mut rig).is_empty());
    let field = rig
        .harness
        .get_by_label("Endpoint")
        .value()
        .unwrap_or_default();
    assert!(
        !field.contains(KEY),
        "the field still holds the key: {field}"
    );
    let written = saved(&mut rig);
    assert!(!written.contains(KEY), "{written}");
    assert!(!written.contains("AIza"), "{written}");
    assert!(written.contains("endpoint:\"\""), "{written}");
    // The same key inside an address, committed with Enter, is refused the same way.
    type_endpoint(
        &mut rig,
        &format!("https://gateway.example.com/v1?key={KEY}"),
    );
    rig.harness.key_press(egui::Key::Enter);
    rig.harness.run();
    assert!(configured(&mut rig).is_empty());
    assert!(!saved(&mut rig).contains(KEY));
}

#[test]
fn a_key_saved_as_the_endpoint_by_an_older_peel_is_cleared_and_not_saved_again() {
    let mut rig = Rig::playing_media();
    rig.harness
        .state_mut()
        .use_saved_settings(peel::ui::Settings {
            endpoint: KEY.to_owned(),
            ..peel::ui::Settings::default()
        });
    rig.harness.run();
    assert!(
        rig.harness
            .query_by_label_contains("The saved endpoint was cleared")
            .is_some()
    );
    let written = saved(&mut rig);
    assert!(!written.contains(KEY), "{written}");
    assert!(written.contains("endpoint:\"\""), "{written}");
}
