//! The window with the test playing the worker (egui_kittest, no GPU): typing a prompt and pressing
//! Generate (or Ctrl+Enter) sends a command; worker events show as progress, a countdown, and an
//! outcome with the why; Cancel and Retry now send their commands.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use peel::app::PeelApp;
use peel::sim::Scenario;
use peel::worker::{Command, Event, JobOutcome, JobSpec, OutcomeStatus, WorkerHandle};
use tokio::sync::mpsc;

struct Rig {
    harness: Harness<'static, PeelApp>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
}

fn rig() -> Rig {
    let (command_tx, commands) = mpsc::channel(8);
    let (events, event_rx) = mpsc::channel(64);
    let harness = Harness::builder()
        .with_size([900.0, 600.0])
        .build_eframe(move |_cc| {
            PeelApp::with_worker(
                WorkerHandle {
                    commands: command_tx,
                    events: event_rx,
                },
                Some(Scenario::Calm),
            )
        });
    Rig {
        harness,
        commands,
        events,
    }
}

fn spec(prompt: &str) -> JobSpec {
    JobSpec {
        prompt: prompt.to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        fallback: Some("gemini-3.1-flash-image".to_owned()),
        aspect_ratio: Some("1:1".to_owned()),
        image_size: Some("1K".to_owned()),
        references: Vec::new(),
        safety_settings: Vec::new(),
    }
}

#[test]
fn generate_then_progress_then_image() {
    let mut rig = rig();
    rig.harness.run();
    rig.harness.get_by_label_contains("Simulated images");
    rig.harness.get_by_label("Prompt").click();
    rig.harness.run();
    rig.harness
        .get_by_label("Prompt")
        .type_text("a red fox in the snow");
    rig.harness.run();
    rig.harness.get_by_label("Generate").click();
    rig.harness.run();
    let Ok(Command::Generate(sent)) = rig.commands.try_recv() else {
        panic!("no Generate command")
    };
    assert_eq!(sent.prompt, "a red fox in the snow");
    assert_eq!(sent.model, "gemini-3-pro-image");

    rig.events
        .try_send(Event::Queued { job: 1, spec: sent })
        .unwrap();
    rig.events
        .try_send(Event::AttemptStarted {
            job: 1,
            attempt: 1,
            model: "gemini-3-pro-image".to_owned(),
        })
        .unwrap();
    rig.harness.run();
    rig.harness.get_by_label("Attempt 1 on gemini-3-pro-image…");

    rig.events
        .try_send(Event::ImageArrived {
            job: 1,
            path: "/tmp/peel-1.jpg".into(),
            mime_type: "image/jpeg".to_owned(),
        })
        .unwrap();
    rig.events
        .try_send(Event::Finished(Box::new(JobOutcome {
            job: 1,
            status: OutcomeStatus::Delivered,
            reason: "made with Nano Banana Pro (gemini-3-pro-image)".to_owned(),
            diagnosis: None,
            attempts: Vec::new(),
            model_used: Some("gemini-3-pro-image".to_owned()),
            changes: Vec::new(),
            image_path: Some("/tmp/peel-1.jpg".into()),
            parked_until: None,
            cost_usd: 0.134,
        })))
        .unwrap();
    rig.harness.run();
    rig.harness.get_by_label("Image saved to /tmp/peel-1.jpg");
    rig.harness
        .get_by_label_contains("Done: made with Nano Banana Pro");
}

#[test]
fn ctrl_enter_generates_from_the_keyboard() {
    let mut rig = rig();
    rig.harness.run();
    rig.harness.get_by_label("Prompt").click();
    rig.harness.run();
    rig.harness.get_by_label("Prompt").type_text("a lighthouse");
    rig.harness.run();
    rig.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    rig.harness.run();
    assert!(
        matches!(rig.commands.try_recv(), Ok(Command::Generate(spec)) if spec.prompt.starts_with("a lighthouse"))
    );
}

#[test]
fn a_wait_shows_a_countdown_and_buttons_send_commands() {
    let mut rig = rig();
    rig.events
        .try_send(Event::Queued {
            job: 7,
            spec: spec("a cat"),
        })
        .unwrap();
    let until = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(90))
        .unwrap();
    rig.events
        .try_send(Event::Waiting {
            job: 7,
            wait_s: 90.0,
            until,
            reason: "Google asked to wait 90.0 s".to_owned(),
        })
        .unwrap();
    // A countdown repaints every second, so step a few frames instead of running to rest.
    rig.harness.run_steps(3);
    rig.harness.get_by_label_contains("Next attempt in 1 min");
    rig.harness.get_by_label("Retry now (job 7)").click();
    rig.harness.run_steps(2);
    assert_eq!(rig.commands.try_recv().ok(), Some(Command::RetryNow(7)));
    rig.harness.get_by_label("Cancel (job 7)").click();
    rig.harness.run_steps(2);
    assert_eq!(rig.commands.try_recv().ok(), Some(Command::Cancel(7)));
}
