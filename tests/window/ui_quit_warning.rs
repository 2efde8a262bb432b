//! Quitting while the worker holds what the disk refused (egui_kittest, no GPU, the test playing
//! the worker): the close is stopped and a warning says what would be lost; "Keep Peel open"
//! keeps working, "Quit anyway" closes; with nothing held the window closes at once.

use egui_kittest::kittest::Queryable as _;
use peel::worker::Event;

use crate::window_rig::{Rig, ask_to_close, viewport_commands};

#[test]
fn closing_with_an_unsaved_image_asks_first_and_quit_anyway_closes() {
    let mut rig = Rig::playing_media();
    rig.send(Event::Unsaved {
        images: 1,
        prompts: 0,
    });
    rig.harness.run();

    ask_to_close(&mut rig.harness);
    assert!(
        viewport_commands(&rig.harness).contains(&egui::ViewportCommand::CancelClose),
        "the close is stopped"
    );
    rig.harness.run();
    rig.harness
        .get_by_label_contains("1 image you paid for is not saved");
    rig.harness.get_by_label("Keep Peel open").click();
    rig.harness.run();
    assert!(rig.harness.query_by_label("Quit anyway").is_none());

    ask_to_close(&mut rig.harness);
    rig.harness.run();
    rig.harness.get_by_label("Quit anyway").click();
    rig.harness.step();
    assert!(
        viewport_commands(&rig.harness).contains(&egui::ViewportCommand::Close),
        "Quit anyway closes the window"
    );
}

#[test]
fn once_everything_is_saved_the_window_closes_without_asking() {
    let mut rig = Rig::playing_media();
    rig.send(Event::Unsaved {
        images: 0,
        prompts: 2,
    });
    rig.harness.run();
    ask_to_close(&mut rig.harness);
    rig.harness.run();
    rig.harness
        .get_by_label_contains("2 queued prompts are not saved");

    // The disk takes them: the warning goes away and a close is no longer stopped.
    rig.send(Event::Unsaved {
        images: 0,
        prompts: 0,
    });
    rig.harness.run();
    assert!(rig.harness.query_by_label("Quit anyway").is_none());
    ask_to_close(&mut rig.harness);
    assert!(!viewport_commands(&rig.harness).contains(&egui::ViewportCommand::CancelClose));
}
