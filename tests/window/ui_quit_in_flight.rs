//! Closing the window while Google works on a request (the whole app on a simulator that takes
//! as long as Google, scaled down): the close is stopped and the window says what is being made
//! and will probably be billed. "Wait for them" sends nothing new and quits once the image is
//! in; "Quit anyway" quits at once and the history records the answer as lost.

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable as _;
use peel::job::{ATTEMPT_ANSWER_LOST, JobState};
use peel::sim::{Scenario, SimConfig};

use crate::app_rig::AppRig;
use crate::window_rig::{ask_to_close, viewport_commands};

/// The app on a simulator whose Nano Banana Pro answers in 3-6 s (a quarter of Google's time).
fn slow_app() -> AppRig {
    AppRig::open_on(
        SimConfig {
            scenario: Scenario::Calm,
            seed: 11,
            time_scale: 0.25,
            generation_latency: true,
            ..SimConfig::default()
        },
        11,
    )
}

/// Steps frames (a minute at most) until the window asks its viewport to close.
fn wait_for_close(rig: &mut AppRig) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        rig.harness.step();
        if viewport_commands(&rig.harness).contains(&egui::ViewportCommand::Close) {
            return;
        }
        assert!(Instant::now() < deadline, "the window never closed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Generates `prompt` and steps until its request is on its way.
fn generate_and_wait_for_the_request(rig: &mut AppRig, prompt: &str) {
    rig.generate(prompt);
    rig.wait_for("Attempt 1 on gemini-3-pro-image");
}

#[test]
fn wait_for_them_finishes_the_request_then_quits() {
    let mut rig = slow_app();
    generate_and_wait_for_the_request(&mut rig, "a paper lantern on a lake");
    ask_to_close(&mut rig.harness);
    assert!(
        viewport_commands(&rig.harness).contains(&egui::ViewportCommand::CancelClose),
        "the close is stopped"
    );
    rig.wait_for("1 image is being made and will probably be billed");
    rig.harness.get_by_label("Wait for them").click();
    wait_for_close(&mut rig);
    let jobs = rig.store.recent_jobs(10).unwrap();
    assert_eq!(jobs[0].state, JobState::Delivered, "{jobs:?}");
    assert_eq!(jobs[0].attempts.len(), 1);
    assert!(jobs[0].image_path.as_ref().unwrap().exists());
}

#[test]
fn quit_anyway_records_the_lost_answer() {
    let mut rig = slow_app();
    generate_and_wait_for_the_request(&mut rig, "a tin robot in rain");
    ask_to_close(&mut rig.harness);
    rig.wait_for("1 image is being made and will probably be billed");
    rig.harness.get_by_label("Quit anyway").click();
    wait_for_close(&mut rig);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempts = rig.store.recent_jobs(10).unwrap()[0].attempts.clone();
        if attempts
            .first()
            .is_some_and(|a| a.kind == ATTEMPT_ANSWER_LOST)
        {
            assert!(attempts[0].cost_usd > 0.0, "its likely cost counts");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never recorded as lost: {attempts:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
