//! The gallery as a list (egui_kittest, no GPU; the test plays the worker and the media
//! service): the same jobs as a table, newest first, sorted by a click on a column's header and
//! reversed by a second; a click on a row explains the job in the why-panel, a double click on a
//! delivered job opens the large view; the arrow keys walk the rows in the list's order; only the
//! rows on screen are drawn.

use std::path::PathBuf;

use crate::window_rig::{Rig, finished, report, spec};
use egui_kittest::kittest::Queryable as _;
use peel::app::media::MediaRequest;
use peel::worker::{Event, Job, JobState};

/// The left edge of the why-panel: the list's cells lie left of it (the why-panel repeats the
/// selected job's prompt and costs).
const WHY_PANEL_LEFT: f32 = 840.0;

/// Queues job `id` with `prompt`, one attempt costing `cost_usd`, and ends it as `status`.
fn job(rig: &Rig, id: i64, prompt: &str, cost_usd: f64, status: JobState, image: Option<&PathBuf>) {
    rig.send(Event::Queued {
        job: id,
        spec: spec(prompt),
    });
    let mut attempt = report(200, "{}", None);
    attempt.record.cost_usd = cost_usd;
    rig.send(Event::AttemptEnded {
        job: id,
        report: attempt,
    });
    rig.send(finished(id, status, "done", image.map(PathBuf::as_path)));
}

/// The one node reading exactly `text` left of the why-panel (the list's cell or header).
fn in_list<'a>(rig: &'a Rig, text: &'a str) -> egui_kittest::Node<'a> {
    let mut found: Vec<_> = rig
        .harness
        .query_all_by_label(text)
        .filter(|node| node.rect().center().x < WHY_PANEL_LEFT)
        .collect();
    assert_eq!(found.len(), 1, "one node of the list reads {text:?}");
    found.remove(0)
}

/// The top of the list's cell showing exactly `text`.
fn row_y(rig: &Rig, text: &str) -> f32 {
    in_list(rig, text).rect().min.y
}

/// The jobs' prompts, top to bottom.
fn order(rig: &Rig, prompts: &[&'static str]) -> Vec<&'static str> {
    let mut rows: Vec<(f32, &'static str)> = prompts.iter().map(|p| (row_y(rig, p), *p)).collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, prompt)| prompt).collect()
}

/// Clicks twice at `at`, as a double click. The clock stands still meanwhile: the harness gives
/// each event a step of its own, longer than egui's double-click delay.
fn double_click(rig: &mut Rig, at: egui::Pos2) {
    let now = rig.harness.ctx.input(|input| input.time);
    rig.harness.input_mut().time = Some(now);
    rig.harness.event(egui::Event::PointerMoved(at));
    for pressed in [true, false, true, false] {
        rig.harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    rig.harness.run_steps(2);
    rig.harness.input_mut().time = None;
}

#[test]
fn the_list_shows_the_jobs_sorts_by_a_header_and_explains_a_clicked_row() {
    let mut rig = Rig::playing_media();
    let image = PathBuf::from("/nonexistent/peel-list-fox.png");
    job(
        &rig,
        1,
        "a red fox",
        0.134,
        JobState::Delivered,
        Some(&image),
    );
    job(&rig, 2, "a blue whale", 0.039, JobState::Stopped, None);
    job(&rig, 3, "a green owl", 0.24, JobState::Delivered, None);
    rig.harness.run_steps(3);

    rig.harness.get_by_label("List").click();
    rig.harness.run_steps(3);
    // The gallery's cells are gone; the list's rows read what each job was.
    assert!(rig.harness.query_by_label_contains("Job 1: ").is_none());
    for text in [
        "$0.134",
        "$0.039",
        "$0.240",
        "Failed",
        "gemini-3-pro-image",
        "1K · 1:1",
    ] {
        assert!(
            rig.harness
                .query_all_by_label(text)
                .any(|node| node.rect().center().x < WHY_PANEL_LEFT),
            "{text}"
        );
    }
    assert_eq!(
        rig.harness
            .query_all_by_label("Delivered")
            .filter(|node| node.rect().center().x < WHY_PANEL_LEFT)
            .count(),
        2
    );
    let prompts = ["a red fox", "a blue whale", "a green owl"];
    // Newest first.
    rig.harness.get_by_label("Date ▼");
    assert_eq!(
        order(&rig, &prompts),
        ["a green owl", "a blue whale", "a red fox"]
    );

    // Cost: cheapest first, then dearest first.
    in_list(&rig, "Cost").click();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Cost ▲");
    assert!(rig.harness.query_by_label("Date ▼").is_none());
    assert_eq!(
        order(&rig, &prompts),
        ["a blue whale", "a red fox", "a green owl"]
    );
    rig.harness.get_by_label("Cost ▲").click();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Cost ▼");
    assert_eq!(
        order(&rig, &prompts),
        ["a green owl", "a red fox", "a blue whale"]
    );

    // A click on a row explains its job, as a click in the grid does.
    assert_eq!(rig.harness.state().state().selected, Some(3));
    in_list(&rig, "a blue whale").click();
    rig.harness.run_steps(2);
    assert_eq!(rig.harness.state().state().selected, Some(2));
    rig.harness.get_by_label("Job 2");

    // A double click on a delivered job opens the large view on its image.
    let media = rig.media_requests.as_mut().unwrap();
    while media.try_recv().is_ok() {}
    let fox = in_list(&rig, "a red fox").rect().center();
    double_click(&mut rig, fox);
    let media = rig.media_requests.as_mut().unwrap();
    let opened = std::iter::from_fn(|| media.try_recv().ok())
        .any(|request| matches!(request, MediaRequest::FullImage { path, .. } if path == image));
    assert!(opened, "the large view asked for the fox's image");
    assert_eq!(rig.harness.state().state().selected, Some(1));
}

#[test]
fn a_list_of_thousands_draws_only_the_rows_on_screen_and_is_searched() {
    let mut rig = Rig::playing_media();
    let queued_at = jiff::Timestamp::now();
    let jobs = (1..=2000)
        .rev()
        .map(|id| Job {
            id,
            created_at: queued_at,
            spec: spec(&format!("picture {id}")),
            state: JobState::Delivered,
            reason: None,
            parked_until: None,
            image_path: None,
            model_used: None,
            diagnosis: None,
            attempts: Vec::new(),
            starred: false,
            boards: Vec::new(),
        })
        .collect();
    rig.send(Event::Restored {
        jobs,
        spend_today_usd: 0.0,
        rewrites: Vec::new(),
    });
    rig.harness.run_steps(3);
    rig.harness.get_by_label("List").click();
    rig.harness.run_steps(3);
    // The same creation time for all: newest first falls back on the id.
    in_list(&rig, "picture 2000");
    assert!(rig.harness.query_by_label("picture 1").is_none());
    let rows = rig.harness.query_all_by_label_contains("picture ").count();
    assert!(rows < 60, "{rows} rows drawn");
    // The gallery's search narrows the list too.
    rig.harness.get_by_label("Search prompts").click();
    rig.harness.run_steps(1);
    rig.harness
        .get_by_label("Search prompts")
        .type_text("picture 1999");
    rig.harness.run_steps(3);
    in_list(&rig, "picture 1999");
    assert!(rig.harness.query_by_label("picture 2000").is_none());
}

#[test]
fn arrow_keys_walk_the_list_in_its_order() {
    let mut rig = Rig::playing_media();
    job(&rig, 1, "a red fox", 0.134, JobState::Delivered, None);
    job(&rig, 2, "a blue whale", 0.039, JobState::Stopped, None);
    job(&rig, 3, "a green owl", 0.24, JobState::Delivered, None);
    rig.harness.run_steps(3);
    rig.harness.get_by_label("List").click();
    rig.harness.run_steps(2);
    in_list(&rig, "Cost").click();
    rig.harness.run_steps(2);
    in_list(&rig, "a blue whale").click();
    rig.harness.run_steps(2);
    // Cheapest first: the whale, then the fox, then the owl.
    for expected in [1, 3, 3] {
        rig.harness.key_press(egui::Key::ArrowDown);
        rig.harness.run_steps(2);
        assert_eq!(rig.harness.state().state().selected, Some(expected));
    }
    rig.harness.key_press(egui::Key::ArrowUp);
    rig.harness.run_steps(2);
    assert_eq!(rig.harness.state().state().selected, Some(1));
}
