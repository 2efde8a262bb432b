//! The preflight in a real (headless) window with the real worker and the in-process simulator on
//! a `strict-safety` day: type a prompt with a named character, see the mark and the preflight
//! line, generate it and see the image filter block it (and the mark learn "blocked before"); apply
//! the replacement, undo it (button and Ctrl+Z), redo it, generate again and see it pass.

use crate::app_rig::AppRig;
use crate::window_rig::wait_for;
use egui_kittest::kittest::Queryable as _;
use peel::sim::Scenario;

/// The whole app on a `strict-safety` day.
fn strict_day() -> AppRig {
    AppRig::open(Scenario::StrictSafety, 5, 5)
}

fn likely_blocked(rig: &AppRig) -> bool {
    rig.harness
        .query_by_label_contains("Preflight: Likely blocked by the image filter (1 name)")
        .is_some()
}

fn likely_to_pass(rig: &AppRig) -> bool {
    rig.harness
        .query_by_label_contains("Preflight: Likely to pass")
        .is_some()
}

#[test]
fn a_marked_name_is_blocked_and_its_replacement_passes_after_undo_and_redo() {
    let mut rig = strict_day();
    rig.harness.run_steps(2);
    rig.harness
        .get_by_label_contains("(simulator scenario strict-safety)");

    rig.harness.get_by_label("Prompt").click();
    rig.harness.run_steps(1);
    rig.harness
        .get_by_label("Prompt")
        .type_text("Elsa's ice palace at night");
    rig.harness.run_steps(2);
    // The mark's listing and the line under the editor, with the cost of a block on Pro.
    assert!(likely_blocked(&rig));
    rig.harness
        .get_by_label_contains("A block on Nano Banana Pro still bills");
    rig.harness
        .get_by_label_contains("\"Elsa\" — named character");

    // Generate stays enabled: the designer decides, and the image filter blocks it.
    rig.harness.get_by_label("Generate").click();
    rig.harness.run_steps(1);
    wait_for(
        &mut rig.harness,
        "Image filter (Layer 2, not configurable): failed here",
    );
    // The name memory learnt from it: the mark now says so.
    wait_for(
        &mut rig.harness,
        "\"Elsa\" — named character (blocked before)",
    );

    // One click replaces the name with its description, shown as a diff.
    rig.harness.get_by_label_contains("Replace with \"").click();
    rig.harness.run_steps(2);
    assert!(likely_to_pass(&rig));
    rig.harness.get_by_label("Replaced:");

    // Undo (the button), Redo, then Ctrl+Z and Ctrl+Shift+Z.
    rig.harness.get_by_label("Undo").click();
    rig.harness.run_steps(2);
    assert!(likely_blocked(&rig));
    assert!(rig.harness.query_by_label("Replaced:").is_none());
    rig.harness.get_by_label("Redo").click();
    rig.harness.run_steps(2);
    assert!(likely_to_pass(&rig));
    rig.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    rig.harness.run_steps(2);
    assert!(likely_blocked(&rig), "Ctrl+Z undoes the replacement");
    rig.harness.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Z,
    );
    rig.harness.run_steps(2);
    assert!(likely_to_pass(&rig), "Ctrl+Shift+Z redoes it");
    rig.harness.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Z,
    );
    rig.harness.run_steps(2);
    assert!(
        likely_to_pass(&rig),
        "with nothing to redo, Ctrl+Shift+Z does not undo"
    );

    // The replaced prompt passes the image filter on the same strict day.
    rig.harness.get_by_label("Generate").click();
    rig.harness.run_steps(1);
    wait_for(&mut rig.harness, "Image of job 2");
}
