//! Snapshots of the main screens, rendered on the CPU through wgpu (Mesa's lavapipe on CI; `.ci/run`
//! installs it). The screens hold no clock-dependent text, so they are stable. After a deliberate
//! UI change, run `UPDATE_SNAPSHOTS=1 cargo test --test ui_snapshots` and review the PNGs in
//! `tests/snapshots/`.

use crate::window_rig::{Rig, finished, spec, write_png};
use egui_kittest::kittest::Queryable as _;
use peel::worker::{Event, JobState};

/// A delivered image and a job the image filter stopped, the latter explained.
fn gallery_rig(dir: &std::path::Path) -> Rig {
    let mut rig = Rig::new(true);
    let image = write_png(dir, "peel-1.png");
    rig.send(Event::Queued {
        job: 1,
        spec: spec("a red fox in the snow, watercolor"),
    });
    rig.send(Event::ImageArrived {
        job: 1,
        path: image.clone(),
        mime_type: "image/png".to_owned(),
    });
    rig.send(finished(
        1,
        JobState::Delivered,
        "made with Nano Banana Pro (gemini-3-pro-image)",
        Some(&image),
    ));
    rig.blocked_by_image_filter(2, "a photo of Keanu Reeves at the beach");
    rig.send(finished(
        2,
        JobState::Stopped,
        "the image filter blocked the picture; no setting changes that",
        None,
    ));
    rig.wait_for("Image of job 1");
    rig.harness.run_steps(2);
    rig
}

#[test]
fn main_window_on_the_simulator() {
    let mut rig = Rig::new(true);
    rig.harness.run_steps(3);
    rig.harness.snapshot("main_window_empty");
}

#[test]
fn gallery_and_why_panel_for_an_image_filter_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut rig = gallery_rig(dir.path());
    rig.harness
        .get_by_label("Image filter (Layer 2, not configurable): failed here");
    rig.harness.snapshot("gallery_why_image_filter");
}

#[test]
fn activity_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut rig = gallery_rig(dir.path());
    rig.harness.get_by_label("Activity").click();
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Outcomes, last two hours");
    rig.harness.snapshot("activity");
}

#[test]
fn settings_tab() {
    let mut rig = Rig::new(true);
    rig.harness.get_by_label("Settings").click();
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Requests per minute");
    rig.harness.snapshot("settings");
}

#[test]
fn gallery_grid() {
    let dir = tempfile::tempdir().unwrap();
    let mut rig = gallery_rig(dir.path());
    let prompts = [
        "a lighthouse at dusk, oil painting",
        "isometric coffee shop, pastel colours",
        "a heron in the reeds, ink wash",
        "poster of a mountain festival",
        "a cat astronaut, flat vector",
    ];
    for (job, prompt) in (3..).zip(prompts) {
        let image = write_png(dir.path(), &format!("peel-{job}.png"));
        rig.send(Event::Queued {
            job,
            spec: spec(prompt),
        });
        rig.send(finished(
            job,
            JobState::Delivered,
            "made with Nano Banana Pro (gemini-3-pro-image)",
            Some(&image),
        ));
    }
    rig.send(Event::Queued {
        job: 8,
        spec: spec("a storm over the harbour"),
    });
    rig.send(finished(
        8,
        JobState::Parked,
        "the daily quota is used up; it runs again after midnight Pacific",
        None,
    ));
    rig.send(Event::Queued {
        job: 9,
        spec: spec("a paper boat on a puddle"),
    });
    rig.send(Event::AttemptStarted {
        job: 9,
        attempt: 1,
        model: "gemini-3-pro-image".to_owned(),
        image_size: "1K".to_owned(),
        // Sent "later" than now: the elapsed time stays at 0 s, so the picture is the same on
        // every run however slow the machine.
        sent_at: jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
    });
    for job in [1, 3, 4, 5, 6, 7] {
        rig.wait_for(&format!("Image of job {job}:"));
    }
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Search prompts");
    rig.harness.get_by_label("Thumbnail size");
    rig.harness.snapshot("gallery_grid");
}
