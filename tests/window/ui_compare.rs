//! Compare in the whole app (real worker, media service and in-process simulator on 127.0.0.1):
//! two delivered images picked with Ctrl+click open side by side, the differing word of the
//! second prompt highlighted against the first, and zooming one image zooms the other; then, on
//! a strict-safety day, a blocked prompt's "Try these rewrites…" says the cost first, sends
//! nothing when declined, and once confirmed queues exactly the rewrites (the simulator sees one
//! request each), which fill Compare in labelled passed or blocked by the image filter, while the
//! name memory learns from every one of them. That window is rendered to `docs/compare.png` when
//! `UPDATE_SNAPSHOTS` is set. And, the test playing the worker and the media service: Compare
//! takes two to four jobs (five: disabled, saying why), and asks for each image once.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::time::{Duration, Instant};

use egui_kittest::kittest::{NodeT as _, Queryable as _};
use peel::job::JobState;
use peel::rewrite::preflight::prompt_key;
use peel::sim::{Scenario, SimConfig, SimState};

use crate::app_rig::AppRig;
use crate::window_rig::{Rig, spec};
use peel::app::media::{MediaEvent, MediaRequest};
use peel::worker::{Event, Job};

/// Requests for an image the simulator received (model lists and other calls left out).
fn image_requests(sim: &SimState) -> usize {
    sim.seen_requests()
        .iter()
        .filter(|request| request.method == "POST" && request.uri.contains("enerateContent"))
        .count()
}

/// A node's text: a button's label, or a label's words (AccessKit's value).
fn text_of(node: &egui_kittest::Node<'_>) -> Option<String> {
    let node = node.accesskit_node();
    node.label().or_else(|| node.value())
}

/// The zoom each column shows ("Zoom 150 %"), left to right.
fn zooms(rig: &AppRig) -> Vec<String> {
    let mut zooms: Vec<(f32, String)> = rig
        .harness
        .query_all_by_label_contains("Zoom ")
        .filter_map(|node| {
            let label = text_of(&node)?;
            label
                .strip_suffix(" %")
                .filter(|_| label.starts_with("Zoom "))
                .map(|_| (node.rect().left(), label.clone()))
        })
        .collect();
    zooms.sort_by(|a, b| a.0.total_cmp(&b.0));
    zooms.into_iter().map(|(_, label)| label).collect()
}

/// Where the column title that starts with `title` is, inside the Compare window (the why-panel
/// under it may show "Job 2" too, and the images' alt texts hold the titles further on).
fn title_rect(rig: &AppRig, title: &str) -> egui::Rect {
    let window = rig
        .harness
        .query_all_by_label_contains("Compare ")
        .find(|node| text_of(node).is_some_and(|text| text.starts_with("Compare ")))
        .expect("the Compare window");
    let mut found = window
        .query_all_by_label_contains(title)
        .filter(|node| text_of(node).is_some_and(|text| text.starts_with(title)))
        .map(|node| node.rect());
    let rect = found.next().unwrap_or_else(|| panic!("no title {title:?}"));
    assert!(found.next().is_none(), "two titles {title:?}");
    rect
}

/// The part of the scene each column drew in the last frame, left to right.
fn drawn(rig: &AppRig) -> Vec<egui::Rect> {
    let view = rig.harness.state().compare().expect("Compare is open");
    view.drawn
        .iter()
        .map(|rect| rect.expect("an image"))
        .collect()
}

/// Steps frames until the columns stop moving (the wheel scrolls smoothly over several frames).
fn settle(rig: &mut AppRig) {
    let mut last = drawn(rig);
    for _ in 0..100 {
        rig.harness.run_steps(2);
        let now = drawn(rig);
        if now == last {
            return;
        }
        last = now;
    }
    panic!("the columns never stopped moving: {last:?}");
}

/// Steps frames until `done` holds; fails after a minute.
fn wait_until(rig: &mut AppRig, what: &str, done: impl Fn(&AppRig) -> bool) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        rig.harness.run_steps(1);
        if done(rig) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never: {what}; the window shows:\n{}",
            labels(rig)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every label in the window with its place, one a line (for failure messages).
fn labels(rig: &AppRig) -> String {
    rig.harness
        .query_all_by_label_contains("")
        .filter_map(|node| {
            let rect = node.rect();
            let label = text_of(&node)?;
            Some(format!(
                "{:>6.0} {:>6.0} {:>6.0} {:>6.0}  {label}\n",
                rect.left(),
                rect.top(),
                rect.width(),
                rect.height()
            ))
        })
        .collect()
}

/// Turns the mouse wheel over `at`.
fn wheel(rig: &mut AppRig, at: egui::Pos2, delta_y: f32) {
    rig.harness.hover_at(at);
    rig.harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, delta_y),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
}

#[test]
fn two_picked_images_compare_side_by_side_zoomed_together_with_the_changed_word_marked() {
    let mut rig = AppRig::open(Scenario::Calm, 31, 31);
    rig.harness.run_steps(2);
    rig.generate("a red fox in the snow");
    rig.wait_for("Image of job 1: a red fox in the snow");
    rig.generate("a grey fox in the snow");
    rig.wait_for("Image of job 2: a grey fox in the snow");
    let (reference, second) = compare_both_foxes(&mut rig);
    let zoomed = wheel_zooms_both(&mut rig, reference);
    drag_pans_both(&mut rig, second, &zoomed);

    // The buttons zoom every column, and Fit starts over.
    rig.harness.get_by_label("Zoom in").click();
    rig.harness.run_steps(2);
    let closer = zooms(&rig);
    assert_eq!(closer[0], closer[1]);
    assert_ne!(closer, zoomed);
    rig.harness.get_by_label("Fit").click();
    rig.harness.run_steps(2);
    assert_eq!(zooms(&rig), ["Zoom 100 %", "Zoom 100 %"]);

    // Escape leaves Compare; the jobs stay picked.
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.run_steps(2);
    assert!(
        rig.harness
            .query_by_label_contains("Compare 2 images")
            .is_none()
    );
    rig.harness.get_by_label("2 selected");
    assert_eq!(image_requests(&rig.sim), 2, "Compare sends nothing");
}

/// Picks both delivered jobs (a plain click, then Ctrl+click) and opens Compare; checks the
/// columns and returns where the two titles are.
fn compare_both_foxes(rig: &mut AppRig) -> (egui::Rect, egui::Rect) {
    rig.harness
        .get_by_label("Job 2: a grey fox in the snow")
        .click();
    rig.harness.run_steps(2);
    assert!(
        rig.harness.query_by_label("Compare").is_none(),
        "one job picked: no bar"
    );
    rig.harness
        .get_by_label("Job 1: a red fox in the snow")
        .click_modifiers(egui::Modifiers::COMMAND);
    rig.harness.run_steps(2);
    rig.harness.get_by_label("2 selected");
    rig.harness.get_by_label("Compare").click();
    rig.harness.run_steps(2);
    rig.wait_for("Compare 2 images");
    // The oldest is the reference, on the left; both images load (off the UI thread).
    rig.wait_for("Compared image: Job 1 (reference)");
    rig.wait_for("Compared image: Job 2");
    let reference = title_rect(rig, "Job 1 (reference)");
    let second = title_rect(rig, "Job 2");
    assert!(
        reference.right() < second.left() && (reference.top() - second.top()).abs() < 1.0,
        "side by side: {reference:?} {second:?}"
    );
    // The differing word, as the word diff found it (and drew it in the rewrite view's colours).
    rig.harness
        .get_by_label("Changed from job 1: “red” to “grey”");
    let count = |label: &str| rig.harness.query_all_by_label(label).count();
    assert_eq!(count("Passed: image delivered"), 2);
    assert_eq!(count("Model: Nano Banana Pro (gemini-3-pro-image)"), 2);
    assert_eq!(count("Size: 1K, 1:1 (1024×1024 px)"), 2);
    assert_eq!(zooms(rig), ["Zoom 100 %", "Zoom 100 %"]);
    (reference, second)
}

/// The wheel over the reference's image zooms it, and the other column follows; returns the
/// zooms shown.
fn wheel_zooms_both(rig: &mut AppRig, reference: egui::Rect) -> Vec<String> {
    let over_reference = egui::pos2(reference.left() + 100.0, reference.bottom() + 150.0);
    wheel(rig, over_reference, 120.0);
    wait_until(rig, "the reference zoomed in", |rig| {
        zooms(rig).first().is_some_and(|zoom| zoom != "Zoom 100 %")
    });
    settle(rig);
    let zoomed = zooms(rig);
    assert_eq!(zoomed.len(), 2);
    assert_ne!(zoomed[0], "Zoom 100 %");
    assert_eq!(zoomed[0], zoomed[1], "the second column keeps in step");
    let drawn = drawn(rig);
    assert_eq!(drawn[0], drawn[1], "both show the same part");
    zoomed
}

/// Dragging the second image pans both the same way, at the same zoom.
fn drag_pans_both(rig: &mut AppRig, second: egui::Rect, zoomed: &[String]) {
    let before = drawn(rig);
    let from = egui::pos2(second.left() + 100.0, second.bottom() + 150.0);
    let to = from + egui::vec2(-60.0, 40.0);
    rig.harness.drag_at(from);
    rig.harness.run_steps(1);
    rig.harness.hover_at(to);
    rig.harness.run_steps(1);
    rig.harness.drop_at(to);
    settle(rig);
    let panned = drawn(rig);
    assert!(
        (panned[1].center() - before[1].center()).length() > 10.0,
        "the dragged image moved: {before:?} {panned:?}"
    );
    assert_eq!(panned[0], panned[1], "the reference moved alike");
    assert_eq!(zooms(rig), zoomed, "a pan keeps the zoom");
}

/// Blocked on a strict-safety day (Elsa is a named character); of its three rewrites the first
/// keeps "a photo of a woman", which strict days block too, and the two illustrations pass.
const BLOCKED: &str = "a photo of a woman cosplaying Elsa at a comic convention";

/// The image filter's block, as a column says it.
const IMAGE_FILTER: &str = "Blocked by the image filter (Layer 2, not adjustable)";

/// The status label drawn in the same column as the title that starts with `title`.
fn status_under(rig: &AppRig, title: &str) -> String {
    let column = title_rect(rig, title);
    let below = rig
        .harness
        .query_all_by_label_contains("")
        .filter_map(|node| Some((node.rect(), text_of(&node)?)))
        .filter(|(rect, label)| {
            (rect.left() - column.left()).abs() < 2.0
                && rect.top() > column.top()
                && (label.starts_with("Passed") || label.starts_with("Blocked by"))
        })
        .min_by(|a, b| a.0.top().total_cmp(&b.0.top()));
    let Some((_, label)) = below else {
        panic!("no status under {title:?}")
    };
    label
}

/// Scrolls the why-panel to "Try these rewrites…" and presses it.
fn press_try_these_rewrites(rig: &mut AppRig) {
    rig.harness
        .get_by_label("Try these rewrites…")
        .scroll_to_me();
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Try these rewrites…").click();
    rig.harness.run_steps(2);
}

#[test]
fn try_these_rewrites_says_the_cost_then_compares_each_labelled_passed_or_blocked() {
    let mut rig = AppRig::open_with(
        SimConfig {
            scenario: Scenario::StrictSafety,
            seed: 7,
            generation_latency: false,
            ..SimConfig::default()
        },
        7,
        true,
    );
    rig.harness.run_steps(2);
    rig.generate(BLOCKED);
    rig.wait_for("Image filter (Layer 2, not configurable): failed here");
    rig.wait_for("Stopped:");
    assert_eq!(image_requests(&rig.sim), 1);
    decline_then_confirm(&mut rig);
    columns_fill_in(&mut rig);
    let suggested = only_the_rewrites_were_sent(&rig);
    the_name_memory_learnt_from_each(&rig, &suggested);

    rig.harness.remove_cursor();
    rig.harness.run_steps(2);
    let image = rig
        .harness
        .render()
        .expect("the window renders on lavapipe");
    assert_eq!(image.width(), 1280);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        image.save(docs.join("compare.png")).unwrap();
    }
}

/// The cost first; "Not now" sends nothing; then "Queue 3 jobs" opens Compare on the original.
fn decline_then_confirm(rig: &mut AppRig) {
    press_try_these_rewrites(rig);
    rig.harness.get_by_label("Try 3 rewrites of job 1?");
    rig.harness.get_by_label(
        "Estimated cost: $0.134 per image × 3 = $0.40 (simulated: nothing is billed)",
    );
    rig.harness.get_by_label("Not now").click();
    rig.harness.run_steps(2);
    assert!(
        rig.harness
            .query_by_label("Try 3 rewrites of job 1?")
            .is_none()
    );
    std::thread::sleep(Duration::from_millis(300));
    rig.harness.run_steps(2);
    assert_eq!(image_requests(&rig.sim), 1, "declined: nothing sent");
    assert!(
        rig.harness
            .query_by_label_contains("Compare job 1")
            .is_none()
    );

    press_try_these_rewrites(rig);
    rig.harness.get_by_label("Queue 3 jobs").click();
    rig.harness.run_steps(2);
    rig.wait_for("Compare job 1 with its rewrites");
    rig.harness.get_by_label("Original · job 1");
}

/// The columns fill in as the rewrites finish, each labelled under its title.
fn columns_fill_in(rig: &mut AppRig) {
    wait_until(rig, "every rewrite ended and both images loaded", |rig| {
        let count = |label: &str| rig.harness.query_all_by_label(label).count();
        let shown = |label: &str| rig.harness.query_by_label_contains(label).is_some();
        count("Passed: image delivered") == 2
            && count(IMAGE_FILTER) == 2
            && shown("Compared image: Rewrite 2 · job ")
            && shown("Compared image: Rewrite 3 · job ")
    });
    rig.harness.run_steps(3);
    for (title, status) in [
        ("Original · job 1", IMAGE_FILTER),
        ("Rewrite 1 · job ", IMAGE_FILTER),
        ("Rewrite 2 · job ", "Passed: image delivered"),
        ("Rewrite 3 · job ", "Passed: image delivered"),
    ] {
        assert_eq!(status_under(rig, title), status, "{title}");
    }
    // Each rewrite's prompt against the original's: the name gone, its description in.
    assert_eq!(
        rig.harness
            .query_all_by_label_contains("“Elsa” to “a young woman with")
            .count(),
        3
    );
    rig.harness
        .get_by_label_contains("“photo” to “digital watercolor illustration”");
}

/// Exactly the jobs queued reached the simulator, each once with the original's settings;
/// returns the suggestions' prompts, best first.
fn only_the_rewrites_were_sent(rig: &AppRig) -> Vec<String> {
    assert_eq!(
        image_requests(&rig.sim),
        4,
        "the original and three rewrites"
    );
    let suggested: Vec<String> = peel::rewrite::rewrites(BLOCKED)
        .into_iter()
        .map(|suggestion| suggestion.prompt)
        .collect();
    let jobs: Vec<peel::job::Job> = (2..=4)
        .map(|id| rig.store.job(id).unwrap().unwrap())
        .collect();
    for (index, prompt) in suggested.iter().enumerate() {
        let job = jobs.iter().find(|job| job.spec.prompt == *prompt).unwrap();
        assert_eq!(job.spec.rewrite_of, Some(1));
        assert_eq!(job.spec.model, "gemini-3-pro-image");
        let attempts = rig.store.attempts(job.id).unwrap();
        assert_eq!(attempts.len(), 1, "rewrite {}: one request", index + 1);
        let passed = job.state == JobState::Delivered;
        assert_eq!(passed, index > 0, "rewrite {} keeps the photo", index + 1);
    }
    suggested
}

/// The name memory learnt from every outcome, in the database and in the window: the original's
/// name blocked, the blocked rewrite by its words; the passing ones are remembered as rewrites
/// that got through.
fn the_name_memory_learnt_from_each(rig: &AppRig, suggested: &[String]) {
    let rewrite_1 = prompt_key(&suggested[0]);
    let memory = rig.store.name_memory().unwrap();
    let elsa = memory.names.iter().find(|n| n.name == "Elsa").unwrap();
    assert_eq!((elsa.passed, elsa.blocked), (0, 1));
    let block = memory
        .prompts
        .iter()
        .find(|p| p.key == rewrite_1)
        .expect("the blocked rewrite is remembered");
    assert_eq!(block.kind, "image_safety");
    assert_eq!(memory.prompts.len(), 1, "{:?}", memory.prompts);
    let window = &rig.harness.state().state().name_memory;
    assert_eq!(window.prompts[&rewrite_1].kind, "image_safety");
    assert_eq!(
        window.names["Elsa"].blocked, 1,
        "the window learnt the same"
    );
    let remembered = rig.store.remembered_rewrites(10).unwrap();
    assert_eq!(remembered.len(), 2);
    assert!(remembered.iter().all(|r| r.blocked == BLOCKED));
}

/// Where the test's delivered job `id` keeps its image (never read: the test plays the media
/// service).
fn image_of(id: i64) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/nowhere/peel-{id}.png"))
}

#[test]
fn compare_takes_two_to_four_and_asks_the_media_service_for_each_image_once() {
    let mut rig = Rig::playing_media();
    rig.send(Event::Restored {
        jobs: (1..=5)
            .rev()
            .map(|id| Job {
                id,
                created_at: jiff::Timestamp::now(),
                spec: spec(&format!("picture {id}")),
                state: JobState::Delivered,
                reason: None,
                parked_until: None,
                image_path: Some(image_of(id)),
                model_used: Some("gemini-3-pro-image".to_owned()),
                diagnosis: None,
                attempts: Vec::new(),
                starred: false,
                boards: Vec::new(),
            })
            .collect(),
        spend_today_usd: 0.0,
        rewrites: Vec::new(),
    });
    five_picked_are_too_many(&mut rig);
    let requests = rig.media_requests.as_mut().unwrap();
    while requests.try_recv().is_ok() {}
    four_are_compared_each_image_asked_once(&mut rig);
}

/// Ctrl+A picks all five: Compare is disabled, and its hover text says why.
fn five_picked_are_too_many(rig: &mut Rig) {
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Job 5: picture 5").click();
    rig.harness.run_steps(2);
    rig.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    rig.harness.run_steps(2);
    rig.harness.get_by_label("5 selected");
    let compare = rig.harness.get_by_label("Compare");
    assert!(compare.accesskit_node().is_disabled(), "five is too many");
    compare.hover();
    // Tooltips show once the pointer rests.
    for _ in 0..60 {
        rig.harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    rig.harness
        .get_by_label_contains("Compare shows at most four images side by side and 5 are picked");
}

/// Ctrl+click unpicks one: the four open side by side, each image asked of the media service once.
fn four_are_compared_each_image_asked_once(rig: &mut Rig) {
    rig.harness
        .get_by_label("Job 5: picture 5")
        .click_modifiers(egui::Modifiers::COMMAND);
    rig.harness.run_steps(2);
    rig.harness.get_by_label("4 selected");
    assert!(
        !rig.harness
            .get_by_label("Compare")
            .accesskit_node()
            .is_disabled()
    );
    rig.harness.get_by_label("Compare").click();
    rig.harness.run_steps(4);
    rig.harness.get_by_label("Compare 4 images");
    rig.harness.get_by_label("Job 1 (reference)");
    let requests = rig.media_requests.as_mut().unwrap();
    let mut asked: Vec<std::path::PathBuf> = std::iter::from_fn(|| requests.try_recv().ok())
        .filter_map(|request| match request {
            MediaRequest::FullImage { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        (1..=4).map(image_of).collect::<Vec<_>>(),
        "each once"
    );

    // An image the service decoded shows in its column; the others still load.
    let decoded = MediaEvent::FullImage {
        path: image_of(3),
        image: egui::ColorImage::new([4, 3], vec![egui::Color32::GRAY; 12]),
        original_size: [1024, 768],
    };
    rig.media_events
        .as_ref()
        .unwrap()
        .try_send(decoded)
        .unwrap();
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Compared image: Job 3");
    assert!(
        rig.harness
            .query_by_label_contains("Compared image: Job 2")
            .is_none()
    );
    rig.harness.get_by_label("Close compare").click();
    rig.harness.run_steps(2);
    assert!(rig.harness.query_by_label("Compare 4 images").is_none());
    assert!(rig.commands.try_recv().is_err(), "nothing for the worker");
}
