//! The number fields in Settings (egui_kittest, no GPU, the test playing the worker and the media
//! service): a limit or a budget being dragged is applied once, when the drag ends, not on every
//! frame of the drag; and a tier or budget change sends no client (the engine keeps its HTTP
//! client and does not ask Google's model list again).

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::window_rig::Rig;
use egui_kittest::kittest::Queryable as _;
use peel::worker::{Command, EngineSettings};

const KEY: &str = "AIzaSyNumberFieldTest-0123456789abcdefg";

/// Every Configure the window sent since the last call.
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
    let sent = configured(&mut rig);
    assert!(sent.last().unwrap().client.is_some(), "the key's client");
    rig
}

/// Drags the field labelled `label` to the right over `frames` frames, one step a frame, and
/// returns how many Configure commands the window sent while the button was held.
fn drag_right(rig: &mut Rig, label: &str, frames: u8) -> usize {
    let start = rig.harness.get_by_label(label).rect().center();
    let mut sent_while_dragging = 0;
    rig.harness.hover_at(start);
    rig.harness.run_steps(1);
    rig.harness.drag_at(start);
    rig.harness.run_steps(1);
    for frame in 1..=frames {
        rig.harness
            .hover_at(start + egui::vec2(f32::from(frame) * 12.0, 0.0));
        rig.harness.run_steps(1);
        sent_while_dragging += configured(rig).len();
    }
    let end = start + egui::vec2(f32::from(frames) * 12.0, 0.0);
    rig.harness.drop_at(end);
    sent_while_dragging
}

#[test]
fn a_dragged_limit_is_applied_once_on_release_without_a_new_client() {
    let mut rig = settings_with_a_key();
    let before = rig.harness.get_by_label("Requests per minute").value();
    let sent_while_dragging = drag_right(&mut rig, "Requests per minute", 8);
    assert_eq!(
        sent_while_dragging, 0,
        "nothing is applied while the drag goes on"
    );
    rig.harness.run();
    let after = rig.harness.get_by_label("Requests per minute").value();
    assert_ne!(before, after, "the drag changed the field");
    let sent = configured(&mut rig);
    assert_eq!(sent.len(), 1, "one Configure, on release: {sent:?}");
    let settings = &sent[0];
    assert_eq!(
        Some(settings.tier.requests_per_minute.to_string()),
        after,
        "the released value is applied"
    );
    assert!(
        settings.client.is_none(),
        "a tier change keeps the engine's client (no rebuild, no models.list)"
    );
    // Nothing more once the window settles.
    rig.harness.run();
    assert!(configured(&mut rig).is_empty());
}

#[test]
fn a_dragged_budget_is_applied_once_on_release() {
    let mut rig = settings_with_a_key();
    let sent_while_dragging = drag_right(&mut rig, "Spend per day (US$)", 6);
    assert_eq!(sent_while_dragging, 0);
    rig.harness.run();
    let sent = configured(&mut rig);
    assert_eq!(sent.len(), 1, "one Configure, on release: {sent:?}");
    assert!(sent[0].client.is_none());
    assert!(
        sent[0].budget.max_daily_spend_usd
            > peel::resilience::Budget::default().max_daily_spend_usd
    );
}
