//! The preflight in a real (headless) window with the real worker and the in-process simulator on
//! a `strict-safety` day: type a prompt with a named character, see the mark and the preflight
//! line, generate it and see the image filter block it (and the mark learn "blocked before"); apply
//! the replacement, undo it (button and Ctrl+Z), redo it, generate again and see it pass.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;

use crate::window_rig::wait_for;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use peel::app::{PeelApp, media};
use peel::session::{Session, SessionOptions};
use peel::sim::{Scenario, SimConfig};
use peel::worker;

struct Rig {
    harness: Harness<'static, PeelApp>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn strict_day() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let Session {
        engine,
        simulator,
        runtime,
        ..
    } = Session::open(SessionOptions {
        data_dir: Some(dir.path().to_path_buf()),
        simulator: SimConfig {
            scenario: Scenario::StrictSafety,
            seed: 5,
            generation_latency: false,
            ..SimConfig::default()
        },
        worker_threads: Some(2),
        seed: Some(5),
        ..SessionOptions::default()
    })
    .unwrap();
    let handle = runtime.handle().clone();
    let mut simulator = simulator;
    let harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let worker = worker::spawn(&handle, engine, Some(Arc::clone(&repaint)));
            let media = media::spawn(&handle, Some(repaint));
            PeelApp::with_worker(worker, None)
                .with_media(media)
                .with_simulator(simulator.take().unwrap())
        });
    Rig {
        harness,
        _dir: dir,
        _runtime: runtime,
    }
}

fn likely_blocked(rig: &Rig) -> bool {
    rig.harness
        .query_by_label_contains("Preflight: Likely blocked by the image filter (1 name)")
        .is_some()
}

fn likely_to_pass(rig: &Rig) -> bool {
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

    // The replaced prompt passes the image filter on the same strict day.
    rig.harness.get_by_label("Generate").click();
    rig.harness.run_steps(1);
    wait_for(&mut rig.harness, "Image of job 2");
}
