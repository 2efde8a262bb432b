//! The whole app in a real (headless) window: the real worker, the real media service and the
//! in-process simulator on 127.0.0.1. Type a prompt, press Generate, and the image appears in the
//! gallery; edit it (the model's turn goes back with its thought signatures); delete it; then
//! switch the simulator to `strict-safety` and watch the why-panel mark the image filter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app_rig::AppRig;
use egui_kittest::kittest::Queryable as _;
use peel::api::{ClientConfig, GeminiClient};
use peel::sim::Scenario;
use peel::worker::{Engine, EngineConfig};

#[test]
fn type_generate_see_the_image_edit_it_delete_it_then_a_strict_block() {
    let mut rig = AppRig::open(Scenario::Calm, 11, 3);
    rig.harness.run_steps(2);
    rig.harness
        .get_by_label_contains("Simulated images: no API key set (simulator scenario calm)");

    rig.generate("a red fox in the snow");
    rig.wait_for("Image of job 1: a red fox in the snow");
    rig.harness.get_by_label("Transport: passed");
    rig.harness
        .get_by_label("Image filter (Layer 2, not configurable): passed");
    let (image_path, model) = rig.store.image_of(1).unwrap().unwrap();
    assert!(std::path::Path::new(&image_path).exists());
    assert_eq!(model, "gemini-3-pro-image");

    // Edit: a second turn that resends the model's parts; the simulator refuses a model turn
    // without its thought signature, so an image here proves they went back.
    rig.harness.get_by_label("Edit instruction").click();
    rig.harness.run_steps(1);
    rig.harness
        .get_by_label("Edit instruction")
        .type_text("make it night");
    rig.harness.run_steps(1);
    rig.harness.get_by_label("Send edit").click();
    rig.wait_for("Image of job 2: make it night");
    let edit = rig.store.job(2).unwrap().unwrap();
    assert!(
        edit.spec
            .history
            .iter()
            .flat_map(|turn| &turn.parts)
            .any(|part| part.thought_signature.is_some()),
        "the history keeps the signatures"
    );

    // Delete the first image: gone from the gallery, its file in the trash (the rig's folder).
    rig.harness
        .get_by_label_contains("Job 1: a red fox")
        .click();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Delete…").click();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Move to the trash").click();
    let deadline = Instant::now() + Duration::from_secs(20);
    while rig
        .harness
        .query_by_label_contains("Job 1: a red fox")
        .is_some()
    {
        assert!(Instant::now() < deadline, "job 1 never left the gallery");
        rig.harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(!std::path::Path::new(&image_path).exists());
    let name = std::path::Path::new(&image_path).file_name().unwrap();
    assert!(
        rig.dir.path().join("trash").join(name).exists(),
        "in the trash"
    );

    // The scenario picker switches the running simulator; a studio house style is blocked by the
    // image filter on strict days, and no threshold can change that.
    rig.harness.get_by_label("Simulator scenario").click();
    rig.harness.run_steps(3);
    rig.harness.get_by_label("strict-safety").click();
    rig.harness.run_steps(2);
    rig.harness
        .get_by_label_contains("(simulator scenario strict-safety)");
    rig.generate("a fox in Studio Ghibli style");
    rig.wait_for("Image filter (Layer 2, not configurable): failed here");
    rig.harness
        .get_by_label("Layer: Image filter (Layer 2, not adjustable) (image_filter)");
    // The job's end comes after its attempt's diagnosis (its interim images are cleared first).
    rig.wait_for("Stopped:");

    // The next run shows the same history, the block still explained.
    let next_run = Engine::new(
        GeminiClient::new(ClientConfig::default()).unwrap(),
        Arc::clone(&rig.store),
        EngineConfig::defaults(rig.dir.path().join("images"), 4),
    );
    let peel::worker::Event::Restored { jobs, .. } = next_run.restored(10) else {
        panic!("restored history")
    };
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![3, 2]);
    let blocked = jobs[0].diagnosis.as_ref().unwrap();
    assert_eq!(blocked.layer, peel::diagnosis::Layer::ImageFilter);
    assert!(jobs[1].image_path.as_ref().unwrap().exists());
}
