//! Watching Nano Banana Pro think, the whole app on the simulator (streaming as Google does, at
//! half Google's time): the tile shows the elapsed time beside the typical time, then an interim
//! image marked as not final before the final image arrives; the why-panel lists the thought
//! summaries as they come; the large view shows the interim image marked and then follows the
//! job to its final image; Retry now is not offered while the request is on its way; and the
//! interim images never reach the output folder.

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable as _;
use peel::job::JobState;
use peel::sim::{Scenario, SimConfig};

use crate::app_rig::AppRig;

#[test]
fn an_interim_image_shows_in_the_tile_before_the_final_one() {
    let mut rig = AppRig::open_on(
        SimConfig {
            scenario: Scenario::Calm,
            seed: 21,
            time_scale: 0.5,
            generation_latency: true,
            ..SimConfig::default()
        },
        21,
    );
    rig.generate("a lighthouse in a storm");
    // Elapsed beside what users report for Pro at 1K, in the tile and the why-panel.
    rig.wait_for("typically ~20 s · attempt 1 on gemini-3-pro-image");
    rig.wait_for("Attempt 1 on gemini-3-pro-image (1K): ");
    assert!(
        rig.harness
            .query_by_label_contains("Retry now (job 1)")
            .is_none(),
        "no wait to skip while the request is on its way"
    );
    rig.wait_for("Interim image of job 1 (thinking — not the final image)");
    assert!(
        rig.harness
            .query_by_label_contains("Image of job 1:")
            .is_none(),
        "the interim image came first"
    );
    rig.wait_for("Open interim image");
    assert!(
        rig.harness
            .query_by_label_contains("Thought 1 at")
            .is_some(),
        "the first summary is in the why-panel"
    );
    // The large view shows it too, marked; it follows the job to its final image.
    rig.harness
        .get_by_label_contains("Open interim image")
        .click();
    rig.wait_for("Job 1: thinking — not the final image. The final image replaces it");
    rig.wait_for("Image of job 1:");
    rig.wait_for("Large view: peel-1");
    assert!(
        rig.harness
            .query_by_label_contains("The final image replaces it")
            .is_none(),
        "the large view now shows the final image, unmarked"
    );
    assert!(
        rig.harness
            .query_by_label_contains("Interim image of job 1")
            .is_none(),
        "the final image replaced the interim one"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let job = loop {
        let job = rig.store.recent_jobs(1).unwrap().remove(0);
        if job.state == JobState::Delivered || Instant::now() > deadline {
            break job;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(job.state, JobState::Delivered);
    let image = job.image_path.unwrap();
    let output = image.parent().unwrap();
    let files: Vec<_> = std::fs::read_dir(output)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "only the final image is in the output folder: {files:?}"
    );
}
