//! The gallery of a long history (egui_kittest, no GPU; the test plays the worker): several
//! thousand jobs as a grid, newest first, paged in from the history as it scrolls, searched by
//! the words of their prompts, and walked with the keyboard; several picked at once to save or
//! export them (the test plays the media service, so no dialog opens).

use std::path::PathBuf;

use crate::window_rig::{Rig, spec};
use egui::Modifiers;
use egui_kittest::kittest::Queryable as _;
use peel::app::media::{MediaEvent, MediaRequest};
use peel::worker::{Command, Event, Job, JobState};

fn rig() -> Rig {
    Rig::new(false)
}

/// A job of an earlier session, as the history restores it: every third one stopped.
fn past_job(id: i64, prompt: &str) -> Job {
    Job {
        id,
        created_at: jiff::Timestamp::now(),
        spec: spec(prompt),
        state: if id % 3 == 0 {
            JobState::Stopped
        } else {
            JobState::Delivered
        },
        reason: Some("made with Nano Banana Pro".to_owned()),
        parked_until: None,
        image_path: None,
        model_used: None,
        diagnosis: None,
        attempts: Vec::new(),
        starred: false,
        boards: Vec::new(),
    }
}

/// Turns the mouse wheel over the gallery (`delta_y` < 0 scrolls down).
fn wheel(rig: &mut Rig, delta_y: f32) {
    rig.harness
        .event(egui::Event::PointerMoved(egui::pos2(620.0, 500.0)));
    rig.harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, delta_y),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    rig.harness.run_steps(2);
}

/// A prompt of the big gallery: every hundredth job is a lighthouse.
fn prompt_of(id: i64) -> String {
    let subject = if id % 100 == 0 { "lighthouse" } else { "fox" };
    format!("picture {id}, a {subject}")
}

/// Scrolls to the end, again and again: each time the window asks for the next page of the
/// history, and the test answers as the worker would, down to job 1. Returns the pages asked.
fn scroll_to_the_oldest(rig: &mut Rig) -> usize {
    let mut pages = 0;
    while rig.harness.query_by_label_contains("Job 1: ").is_none() {
        wheel(rig, -1_000_000.0);
        if let Ok(command) = rig.commands.try_recv() {
            let Command::LoadHistory(search) = command else {
                panic!("expected a page of the history, got {command:?}");
            };
            assert_eq!(search.text, None);
            let before = search.before_id.expect("a page after the oldest job shown");
            let limit = search.limit.and_then(|n| i64::try_from(n).ok());
            let limit = limit.expect("pages have a size");
            let jobs = ((before - limit).max(1)..before)
                .rev()
                .map(|id| past_job(id, &prompt_of(id)))
                .collect();
            rig.send(Event::HistoryPage { search, jobs });
            pages += 1;
        }
        assert!(pages <= 10, "{pages} pages");
    }
    pages
}

#[test]
fn a_gallery_of_thousands_scrolls_searches_and_moves_with_the_keyboard() {
    let mut rig = rig();
    // At start the worker sends the newest 2000 of 3000 jobs; the rest comes page by page.
    rig.send(Event::Restored {
        jobs: (1001..=3000)
            .rev()
            .map(|id| past_job(id, &prompt_of(id)))
            .collect(),
        spend_today_usd: 0.0,
        rewrites: Vec::new(),
    });
    rig.harness.run_steps(3);
    // Newest first, only the rows on screen.
    rig.harness
        .get_by_label("Job 3000: picture 3000, a lighthouse");
    assert!(rig.harness.query_by_label_contains("Job 1001: ").is_none());
    assert!(rig.harness.query_all_by_label_contains("Job ").count() < 100);
    assert!(rig.commands.try_recv().is_err(), "no page asked for yet");

    let pages = scroll_to_the_oldest(&mut rig);
    // 1000 older jobs, 200 a page; the end shows when a page comes back short (here empty).
    assert_eq!(pages, 6);
    assert!(rig.harness.query_by_label_contains("Job 3000:").is_none());
    assert_eq!(rig.harness.state().state().jobs.len(), 3000);
    // The last page came back short: the history has no more.
    wheel(&mut rig, -1_000_000.0);
    assert!(rig.commands.try_recv().is_err(), "the end of the history");

    // Search: 30 lighthouses, newest first.
    rig.harness.get_by_label("Search prompts").click();
    rig.harness.run_steps(1);
    rig.harness
        .get_by_label("Search prompts")
        .type_text("lighthouse");
    rig.harness.run_steps(3);
    rig.harness
        .get_by_label("Job 3000: picture 3000, a lighthouse");
    assert!(rig.harness.query_by_label_contains("a fox").is_none());

    // The keyboard: arrows move the selection through the matches, Delete asks.
    rig.harness
        .get_by_label("Job 3000: picture 3000, a lighthouse")
        .click();
    rig.harness.run_steps(2);
    assert_eq!(rig.harness.state().state().selected, Some(3000));
    rig.harness.key_press(egui::Key::ArrowRight);
    rig.harness.run_steps(2);
    assert_eq!(rig.harness.state().state().selected, Some(2900));
    rig.harness
        .get_by_label("Job 2900: picture 2900, a lighthouse");
    rig.harness.key_press(egui::Key::ArrowDown);
    rig.harness.run_steps(2);
    let below = rig.harness.state().state().selected.unwrap();
    assert!(below < 2900 && below % 100 == 0, "{below}");
    rig.harness.key_press(egui::Key::ArrowLeft);
    rig.harness.run_steps(2);
    assert_eq!(rig.harness.state().state().selected, Some(below + 100));
    for _ in 0..40 {
        rig.harness.key_press(egui::Key::ArrowDown);
        rig.harness.run_steps(1);
    }
    // The last match is selected and scrolled into view.
    assert_eq!(rig.harness.state().state().selected, Some(100));
    rig.harness
        .get_by_label("Job 100: picture 100, a lighthouse");
    rig.harness.key_press(egui::Key::Delete);
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Delete job 100?");
    rig.harness.get_by_label("Keep it").click();
    rig.harness.run_steps(2);
    while let Ok(command) = rig.commands.try_recv() {
        assert!(
            matches!(&command, Command::LoadHistory(search) if search.text.as_deref() == Some("lighthouse")),
            "only searches of the history, nothing deleted: {command:?}"
        );
    }
}

/// Where the test's delivered job `id` keeps its image (never read: the test plays the media
/// service).
fn image_of(id: i64) -> PathBuf {
    PathBuf::from(format!("/nowhere/peel-{id}.png"))
}

/// What the window asked the media service since the last call, thumbnails left out.
fn media_asked(rig: &mut Rig) -> Vec<MediaRequest> {
    let requests = rig
        .media_requests
        .as_mut()
        .expect("the test plays the media service");
    std::iter::from_fn(|| requests.try_recv().ok())
        .filter(|request| !matches!(request, MediaRequest::Thumbnail { .. }))
        .collect()
}

/// A window whose media requests the test receives, showing six delivered jobs (each with an
/// image) and a stopped one without.
fn gallery_to_pick_from() -> Rig {
    let mut rig = Rig::playing_media();
    let mut jobs: Vec<Job> = (1..=6)
        .rev()
        .map(|id| Job {
            state: JobState::Delivered,
            image_path: Some(image_of(id)),
            ..past_job(id, &format!("picture {id}"))
        })
        .collect();
    jobs.insert(
        0,
        Job {
            state: JobState::Stopped,
            ..past_job(7, "picture 7")
        },
    );
    rig.send(Event::Restored {
        jobs,
        spend_today_usd: 0.0,
        rewrites: Vec::new(),
    });
    rig.harness.run_steps(3);
    rig
}

/// Clicks job `id`'s title holding `modifiers`.
fn click_job(rig: &mut Rig, id: i64, modifiers: Modifiers) {
    rig.harness
        .get_by_label(&format!("Job {id}: picture {id}"))
        .click_modifiers(modifiers);
    rig.harness.run_steps(2);
}

#[test]
fn ctrl_and_shift_clicks_pick_several_jobs_to_save_or_export_at_once() {
    let mut rig = gallery_to_pick_from();
    // A plain click explains one job; Ctrl+click adds another; Shift+click takes the range from
    // the last click.
    click_job(&mut rig, 6, Modifiers::NONE);
    assert_eq!(rig.harness.state().state().selected, Some(6));
    assert!(rig.harness.query_by_label_contains(" selected").is_none());
    click_job(&mut rig, 7, Modifiers::COMMAND);
    rig.harness.get_by_label("2 selected");
    click_job(&mut rig, 4, Modifiers::COMMAND);
    rig.harness.get_by_label("3 selected");
    click_job(&mut rig, 2, Modifiers::SHIFT);
    rig.harness.get_by_label("3 selected");
    click_job(&mut rig, 6, Modifiers::COMMAND);
    rig.harness.get_by_label("4 selected");
    assert_eq!(
        rig.harness.state().state().selected,
        Some(6),
        "the why-panel keeps its job"
    );

    // Save selected… sends exactly the delivered images picked, newest first.
    media_asked(&mut rig);
    rig.harness.get_by_label("Save selected…").click();
    rig.harness.run_steps(2);
    assert_eq!(
        media_asked(&mut rig),
        [MediaRequest::SaveMany {
            sources: vec![image_of(6), image_of(4), image_of(3), image_of(2)],
        }]
    );
    // The service's one sentence at the end shows as the notice.
    let done = MediaEvent::Done {
        message: "Saved 4 images to /picked.".to_owned(),
    };
    rig.media_events.as_ref().unwrap().try_send(done).unwrap();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Saved 4 images to /picked.");
    rig.harness.get_by_label("Export selected…").click();
    rig.harness.run_steps(2);
    assert_eq!(
        media_asked(&mut rig),
        [MediaRequest::ExportMany {
            jobs: vec![6, 4, 3, 2],
        }]
    );
    assert!(rig.commands.try_recv().is_err(), "nothing for the worker");
}

#[test]
fn ctrl_a_picks_every_job_shown_and_escape_or_the_bar_clears() {
    let mut rig = gallery_to_pick_from();
    click_job(&mut rig, 6, Modifiers::NONE);
    // Ctrl+A picks every job shown (the stopped one too, which has no image to save).
    rig.harness
        .key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    rig.harness.run_steps(2);
    rig.harness.get_by_label("7 selected");
    media_asked(&mut rig);
    rig.harness.get_by_label("Save selected…").click();
    rig.harness.run_steps(2);
    assert_eq!(
        media_asked(&mut rig),
        [MediaRequest::SaveMany {
            sources: (1..=6).rev().map(image_of).collect(),
        }]
    );
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.run_steps(2);
    assert!(rig.harness.query_by_label_contains(" selected").is_none());
    // Clear selection does the same from the bar.
    click_job(&mut rig, 1, Modifiers::COMMAND);
    rig.harness.get_by_label("2 selected");
    rig.harness.get_by_label("Clear selection").click();
    rig.harness.run_steps(2);
    assert!(rig.harness.query_by_label_contains(" selected").is_none());
}

#[test]
fn between_dates_keeps_the_days_of_the_range_and_searches_the_history_for_them() {
    let mut rig = rig();
    let now = jiff::Timestamp::now();
    let days_ago = |days: i64| now - jiff::SignedDuration::from_hours(24 * days);
    let mut jobs: Vec<Job> = [(3, 0), (2, 10), (1, 40)]
        .into_iter()
        .map(|(id, age_days)| {
            let mut job = past_job(id, &format!("picture {id}"));
            job.state = JobState::Delivered;
            job.created_at = days_ago(age_days);
            job
        })
        .collect();
    jobs.sort_by_key(|job| std::cmp::Reverse(job.id));
    rig.send(Event::Restored {
        jobs,
        spend_today_usd: 0.0,
        rewrites: Vec::new(),
    });
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Job 2: picture 2");
    while rig.commands.try_recv().is_ok() {}

    rig.harness.get_by_label("Date").click();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Between dates…").click();
    rig.harness.run_steps(3);
    // The range starts as the last 7 days, today included: the job of 10 days ago goes.
    rig.harness.get_by_label("From");
    rig.harness.get_by_label("To");
    rig.harness.get_by_label("Job 3: picture 3");
    assert!(rig.harness.query_by_label_contains("Job 2:").is_none());
    assert!(rig.harness.query_by_label_contains("Job 1:").is_none());
    // The same range goes to the worker, ending where the last day ends.
    let mut asked = None;
    while let Ok(command) = rig.commands.try_recv() {
        if let Command::LoadHistory(search) = command {
            asked = Some(search);
        }
    }
    let asked = asked.expect("the range searches the whole history");
    let (since, until) = (asked.since.unwrap(), asked.until.unwrap());
    assert!(since <= days_ago(6) && since > days_ago(7), "{since}");
    assert!(
        until > now && until <= now + jiff::SignedDuration::from_hours(24),
        "{until}"
    );

    // egui_extras' calendar: the first day one earlier, saved; the history is asked again.
    rig.harness.get_by_label("From").click();
    rig.harness.run_steps(3);
    rig.harness.get_by_label("<").click();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Save").click();
    rig.harness.run_steps(3);
    let mut again = None;
    while let Ok(command) = rig.commands.try_recv() {
        if let Command::LoadHistory(search) = command {
            again = Some(search);
        }
    }
    let again = again.expect("a changed range searches again");
    assert_eq!(
        since.duration_since(again.since.unwrap()).as_hours(),
        24,
        "a day earlier"
    );
    assert_eq!(again.until, Some(until));
}
