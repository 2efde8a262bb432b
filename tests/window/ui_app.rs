//! The window with the test playing the worker through the channels (egui_kittest, no GPU): typing a
//! prompt and pressing Generate (or Ctrl+Enter) sends a command; worker events show as progress and
//! an image in the gallery (decoded by the real media service); a failure fills the why-panel with
//! its layer, text and countdown; Cancel and Retry now send their commands; "Paste an error"
//! explains a paste; the editor offers only what the chosen model supports.

use crate::window_rig::{Rig, finished, report, spec, waiting, write_png};
use egui_kittest::kittest::Queryable as _;
use peel::app::keychain;
use peel::ui::why::{PASTE_CUT_SENTENCE, PASTE_MAX_BYTES};
use peel::worker::{Command, Event, JobState};
use secrecy::ExposeSecret as _;

fn rig() -> Rig {
    Rig::new(false)
}

const PER_MINUTE_429: &str = include_str!("../fixtures/real-errors/429-tokens-per-minute-01.json");

#[test]
fn generate_then_progress_then_image_in_the_gallery() {
    let mut rig = rig();
    let dir = tempfile::tempdir().unwrap();
    let image = write_png(dir.path(), "peel-1.png");
    rig.harness.run();
    rig.harness.get_by_label_contains("Simulated images");
    let sent = rig.generate("a red fox in the snow");
    assert_eq!(sent.prompt, "a red fox in the snow");
    assert_eq!(sent.model, "gemini-3-pro-image");

    rig.send(Event::Queued { job: 1, spec: sent });
    rig.send(Event::AttemptStarted {
        job: 1,
        attempt: 1,
        model: "gemini-3-pro-image".to_owned(),
        image_size: "1K".to_owned(),
        sent_at: jiff::Timestamp::now() - jiff::SignedDuration::from_secs(14),
    });
    // Steps, not `run`: the elapsed time asks for a frame each second.
    rig.harness.run_steps(3);
    // Elapsed time beside what users report for Pro at 1K (Google publishes none).
    rig.harness
        .get_by_label_contains("Attempt 1 on gemini-3-pro-image (1K): 14 s, typically ~20 s");
    rig.harness
        .get_by_label_contains("14 s, typically ~20 s · attempt 1 on gemini-3-pro-image");

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
    // The thumbnail is decoded by the media service and then drawn with its alt text.
    rig.wait_for("Image of job 1: a red fox in the snow");
    rig.harness
        .get_by_label_contains("Done: made with Nano Banana Pro");
    assert_eq!(rig.harness.state().thumbnail_count(), 1);
    // The why-panel offers what can be done with the image.
    rig.harness.get_by_label("Save as…");
    rig.harness.get_by_label("Copy image");
    rig.harness.get_by_label("Restore settings");
    // The large view opens on the full image.
    rig.harness.get_by_label("Open large view").click();
    rig.wait_for("The image at full size");
}

#[test]
fn ctrl_enter_generates_from_the_keyboard() {
    let mut rig = rig();
    rig.harness.run();
    rig.harness.get_by_label("Prompt").type_text("a lighthouse");
    rig.harness.run();
    rig.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    rig.harness.run();
    assert!(rig.generated().prompt.starts_with("a lighthouse"));
}

#[test]
fn a_failure_fills_the_why_panel_with_layer_text_and_countdown() {
    let mut rig = rig();
    rig.send(Event::Queued {
        job: 4,
        spec: spec("a fox"),
    });
    rig.send(Event::AttemptEnded {
        job: 4,
        report: report(429, PER_MINUTE_429, Some(26.0)),
    });
    rig.send(waiting(4, 26, "Google asked to wait 26 s"));
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Transport: passed");
    rig.harness.get_by_label("Auth: passed");
    rig.harness.get_by_label("Quota: failed here");
    rig.harness.get_by_label("Server: not reached");
    rig.harness
        .get_by_label("Layer: Quota and rate limits (quota)");
    rig.harness
        .get_by_label_contains("Why: Too much input this minute");
    rig.harness.get_by_label_contains("What to do:");
    // The countdown, in the gallery row and in the why-panel.
    assert_eq!(
        rig.harness
            .query_all_by_label_contains("Next attempt in 2")
            .count(),
        2
    );
    rig.harness.get_by_label("Response (redacted)");
    rig.harness.get_by_label("Copy diagnostic JSON");
}

#[test]
fn a_wait_shows_a_countdown_and_buttons_send_commands() {
    let mut rig = rig();
    rig.send(Event::Queued {
        job: 7,
        spec: spec("a cat"),
    });
    rig.send(Event::FellBack {
        job: 7,
        from: "gemini-3-pro-image".to_owned(),
        to: "gemini-3.1-flash-image".to_owned(),
        reason: "the primary model is overloaded".to_owned(),
        changes: vec!["4K to 2K".to_owned()],
    });
    rig.send(waiting(7, 90, "Google asked to wait 90.0 s"));
    // A countdown repaints every second, so step a few frames instead of running to rest.
    rig.harness.run_steps(3);
    // The gallery row and the why-panel both count down.
    assert_eq!(
        rig.harness
            .query_all_by_label_contains("Next attempt in 1 min")
            .count(),
        2
    );
    // The fallback, in the gallery row and in the why-panel.
    assert_eq!(
        rig.harness
            .query_all_by_label_contains("(4K to 2K): the primary model is overloaded")
            .count(),
        2
    );
    rig.harness.get_by_label("Retry now (job 7)").click();
    rig.harness.run_steps(2);
    assert!(matches!(rig.commands.try_recv(), Ok(Command::RetryNow(7))));
    rig.harness.get_by_label("Cancel (job 7)").click();
    rig.harness.run_steps(2);
    assert!(matches!(rig.commands.try_recv(), Ok(Command::Cancel(7))));
    // The Activity tab lists it in flight, with the same controls.
    rig.harness.get_by_label("Activity").click();
    rig.harness.run_steps(2);
    rig.harness.get_by_label("In flight");
    rig.harness.get_by_label("Cancel (job 7)").click();
    rig.harness.run_steps(2);
    assert!(matches!(rig.commands.try_recv(), Ok(Command::Cancel(7))));
}

#[test]
fn pasting_an_error_explains_it() {
    let mut rig = rig();
    rig.harness.run();
    rig.harness.get_by_label("Error text").click();
    rig.harness.run();
    rig.harness.get_by_label("Error text").type_text(
        r"google.genai.errors.ServerError: 503 UNAVAILABLE. {'error': {'code': 503, 'message': 'The model is overloaded. Please try again later.', 'status': 'UNAVAILABLE'}}",
    );
    rig.harness.run();
    rig.harness.get_by_label("Explain").click();
    rig.harness.run();
    rig.harness.get_by_label("Server: failed here");
    rig.harness.get_by_label("Layer: Google's servers (server)");
    rig.harness.get_by_label_contains("Why: ");
}

/// A paste of megabytes is cut to `peel explain`'s bound before the box takes it, and the box
/// says so; "Explain" still reads the error at its head.
#[test]
fn a_huge_paste_is_cut_with_a_sentence() {
    let mut rig = rig();
    rig.harness.run();
    rig.harness.get_by_label("Error text").click();
    rig.harness.run();
    let error =
        r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#;
    let mut huge = format!("{error}\n");
    huge.push_str(&" padding".repeat(2 * PASTE_MAX_BYTES / 8));
    rig.harness.event(egui::Event::Paste(huge));
    rig.harness.run();
    rig.harness.get_by_label(PASTE_CUT_SENTENCE);
    rig.harness.get_by_label("Explain").click();
    rig.harness.run();
    rig.harness.get_by_label("Server: failed here");
}

#[test]
fn the_editor_offers_only_what_the_model_supports() {
    let mut rig = rig();
    rig.harness.run();
    // Nano Banana Pro: 1K, 2K and 4K.
    rig.harness.get_by_label("Size").click();
    rig.harness.run();
    for size in ["1K", "2K", "4K"] {
        rig.harness.get_by_label(size);
    }
    assert!(rig.harness.query_by_label("512").is_none());
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.run();

    // Retired models are not offered until asked for.
    rig.harness.get_by_label("Model").click();
    rig.harness.run();
    assert!(
        rig.harness
            .query_by_label_contains("(gemini-3-pro-image-preview)")
            .is_none()
    );
    rig.harness
        .get_by_label_contains("(gemini-3.1-flash-lite-image)")
        .click();
    rig.harness.run();
    // Flash-Lite makes 1K only: 4K is not offered.
    rig.harness.get_by_label("Size").click();
    rig.harness.run();
    rig.harness.get_by_label("1K");
    assert!(rig.harness.query_by_label("4K").is_none());
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.run();
    assert_eq!(rig.harness.state().editor().image_size, "1K");

    // A single-size model has no size at all, and the request sends none.
    rig.harness.get_by_label("Model").click();
    rig.harness.run();
    rig.harness
        .get_by_label_contains("(gemini-2.5-flash-image)")
        .click();
    rig.harness.run();
    rig.harness.get_by_label_contains("Size: one size only");
    rig.harness.get_by_label("Prompt").click();
    rig.harness.run();
    rig.harness.get_by_label("Prompt").type_text("a pear");
    rig.harness.run();
    rig.harness.get_by_label("Generate").click();
    rig.harness.run();
    let sent = rig.generated();
    assert_eq!(sent.model, "gemini-2.5-flash-image");
    assert_eq!(sent.image_size, None);

    rig.harness.get_by_label("Show retired models").click();
    rig.harness.run();
    rig.harness.get_by_label("Model").click();
    rig.harness.run();
    rig.harness
        .get_by_label_contains("(gemini-3-pro-image-preview) (retired)");
}

#[test]
fn the_number_of_images_queues_that_many_jobs_and_thresholds_are_sent() {
    let mut rig = rig();
    rig.harness.run();
    rig.harness.get_by_label("Prompt").type_text("a kite");
    rig.harness.run();
    rig.harness
        .get_by_label("Safety filters (Layer 1, configurable)")
        .click();
    rig.harness.run();
    rig.harness.get_by_label("Dangerous content").click();
    rig.harness.run();
    rig.harness.get_by_label("Block only high").click();
    rig.harness.run();
    rig.harness.get_by_label("Number of images").click();
    rig.harness.run();
    rig.harness.get_by_label("3").click();
    rig.harness.run();
    rig.harness.get_by_label_contains("per image × 3");
    rig.harness.get_by_label("Generate").click();
    rig.harness.run();
    for _ in 0..3 {
        let sent = rig.generated();
        assert_eq!(sent.safety_settings.len(), 1);
        assert_eq!(
            sent.safety_settings[0].threshold,
            peel::api::enums::HarmBlockThreshold::BlockOnlyHigh
        );
    }
    assert!(rig.commands.try_recv().is_err(), "exactly three jobs");
}

#[test]
fn only_visible_rows_get_thumbnails_and_scrolled_away_ones_are_freed() {
    let mut rig = rig();
    let dir = tempfile::tempdir().unwrap();
    for job in 1..=40 {
        let image = write_png(dir.path(), &format!("peel-{job}.png"));
        rig.send(Event::Queued {
            job,
            spec: spec(&format!("picture {job}")),
        });
        rig.send(finished(
            job,
            JobState::Delivered,
            "made with Nano Banana Pro (gemini-3-pro-image)",
            Some(&image),
        ));
    }
    // Newest first: job 40 is at the top, job 1 far below.
    rig.wait_for("Image of job 40: picture 40");
    rig.harness.run_steps(5);
    let shown = rig.harness.state().thumbnail_count();
    assert!(
        (1..=18).contains(&shown),
        "{shown} thumbnails for ~5 visible rows of 3"
    );
    assert!(
        rig.harness
            .query_by_label_contains("Image of job 1:")
            .is_none()
    );

    // Scroll to the bottom: the oldest rows get theirs, the top ones are freed.
    rig.harness
        .event(egui::Event::PointerMoved(egui::pos2(640.0, 400.0)));
    for _ in 0..20 {
        rig.harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -600.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        rig.harness.run_steps(1);
    }
    rig.wait_for("Image of job 1: picture 1");
    rig.harness.run_steps(3);
    assert!(
        rig.harness
            .query_by_label_contains("Image of job 40:")
            .is_none()
    );
    // At the bottom the rows on screen are not whole: up to 8 rows of 3 may be partly in view
    // (it was 20 once in nine runs), against 40 if nothing were freed.
    let shown = rig.harness.state().thumbnail_count();
    assert!(
        (1..=24).contains(&shown),
        "{shown} thumbnails after scrolling"
    );
}

#[test]
fn a_typed_key_leaves_the_simulator_and_is_shown_masked_only() {
    let mut rig = rig();
    // The app under test keeps keys in memory: the machine's own keychain is never touched.
    assert_eq!(keychain::backend(), keychain::Backend::Memory);
    let key = "AIzaSyTestOnlyKey-0123456789abcdefghij";
    rig.harness.get_by_label("Settings").click();
    rig.harness.run();
    rig.harness.get_by_label("New API key").click();
    rig.harness.run();
    rig.harness.get_by_label("New API key").type_text(key);
    rig.harness.run();
    rig.harness.get_by_label("Save key to keychain").click();
    // Fixed steps, not `run`: the keychain answers from the media service's thread whenever it
    // is done, and each answer asks for frames, so the window may not settle within `run`'s
    // step limit on a loaded machine (`wait_for` below waits for the result).
    rig.harness.run_steps(2);
    // The engine now talks to Google with the key in its client settings (header only).
    let settings = loop {
        match rig.commands.try_recv() {
            Ok(Command::Configure(settings)) => break settings,
            Ok(_) => {}
            Err(error) => panic!("no Configure command: {error:?}"),
        }
    };
    let client = settings.client.unwrap();
    assert_eq!(client.base_url, "https://generativelanguage.googleapis.com");
    assert_eq!(client.api_key.unwrap().expose_secret(), key);
    // The banner is gone, the key shows masked, and nowhere in full.
    rig.wait_for("Key AIza…ghij");
    assert!(
        rig.harness
            .query_by_label_contains("Simulated images")
            .is_none()
    );
    assert!(rig.harness.query_by_label_contains(key).is_none());
    // The keychain (in memory) keeps it, and says so.
    rig.wait_for("Key saved in the system keychain.");
    assert_eq!(keychain::load().unwrap().unwrap().expose_secret(), key);
}

#[test]
fn restore_settings_puts_a_jobs_prompt_and_settings_back() {
    let mut rig = rig();
    let mut job_spec = spec("a heron at dawn");
    job_spec.image_size = Some("4K".to_owned());
    job_spec.aspect_ratio = Some("16:9".to_owned());
    rig.send(Event::Queued {
        job: 3,
        spec: job_spec,
    });
    rig.harness.run();
    rig.harness.get_by_label("Restore settings").click();
    rig.harness.run();
    let editor = rig.harness.state().editor();
    assert_eq!(editor.prompt, "a heron at dawn");
    assert_eq!(editor.image_size, "4K");
    assert_eq!(editor.aspect_ratio, "16:9");
}

/// A file dropped on the window, as the windowing layer hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_reference_over_the_inline_limit_is_shrunk_by_its_button() {
    let mut rig = rig();
    let dir = tempfile::tempdir().unwrap();
    // Noise compresses badly: a 3000 x 2400 noisy PNG is well over Gemini's 7 MB inline limit.
    let poster = dir.path().join("poster.png");
    let mut seed = 3_u32;
    image::RgbImage::from_fn(3000, 2400, |_, _| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    })
    .save(&poster)
    .unwrap();
    rig.harness.run();
    rig.harness.input_mut().dropped_files = vec![std::sync::Arc::new(Dropped(poster))];
    rig.wait_for("Shrink poster.png to 2048 px");
    rig.harness
        .get_by_label_contains("over the 7.0 MB Gemini takes");
    rig.harness
        .get_by_label("Shrink poster.png to 2048 px")
        .click();
    rig.harness.run();
    rig.wait_for("Reference 1: poster.png (shrunk)");
    // The button took the keyboard focus: give it back to the prompt.
    rig.harness.get_by_label("Prompt").focus();
    rig.harness.run();
    let sent = rig.generate("a poster in these colours");
    assert_eq!(sent.references.len(), 1);
    assert_eq!(sent.references[0].mime_type, "image/jpeg");
    assert!(sent.references[0].size_bytes <= 7_000_000);
}

#[test]
fn dropped_images_become_references_and_other_files_are_refused_with_a_sentence() {
    let mut rig = rig();
    let dir = tempfile::tempdir().unwrap();
    let image = write_png(dir.path(), "moodboard.png");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not an image").unwrap();
    rig.harness.run();
    rig.harness.input_mut().dropped_files = vec![
        std::sync::Arc::new(Dropped(image)),
        std::sync::Arc::new(Dropped(notes)),
    ];
    rig.wait_for("Reference 1: moodboard.png");
    rig.wait_for("notes.txt");
    rig.harness.get_by_label_contains("1 of 14 references");
    let sent = rig.generate("a poster in these colours");
    assert_eq!(sent.references.len(), 1);
    assert_eq!(sent.references[0].mime_type, "image/png");
    rig.harness.get_by_label("Remove reference 1").click();
    rig.harness.run();
    rig.harness.get_by_label_contains("0 of 14 references");
}

#[test]
fn a_blocked_image_offers_rewrites_as_a_diff_and_applies_only_on_a_click() {
    let mut rig = rig();
    let prompt = "a photo of Taylor Swift at the beach";
    rig.blocked_by_image_filter(5, prompt);
    rig.send(finished(
        5,
        JobState::Stopped,
        "the image filter blocked the picture",
        None,
    ));
    rig.harness.run();
    rig.harness.get_by_label("Rewrite");
    rig.harness
        .get_by_label("Suggestion 1: Describe instead of naming");
    // Each edit says why.
    assert!(
        rig.harness
            .query_all_by_label_contains("is a real person")
            .next()
            .is_some()
    );
    // Nothing was applied or sent by itself.
    assert!(rig.commands.try_recv().is_err());
    assert_eq!(rig.harness.state().editor().prompt, "");

    rig.harness
        .get_by_label_contains("Suggestion 2: Describe instead of naming, as a digital watercolor")
        .click();
    rig.harness.run();
    let draft = rig
        .harness
        .get_by_label("Rewritten prompt")
        .value()
        .unwrap_or_default();
    assert!(
        draft.starts_with("a digital watercolor illustration of"),
        "{draft}"
    );
    assert!(!draft.contains("Taylor Swift"));

    rig.harness.get_by_label("Apply").scroll_to_me();
    rig.harness.run();
    rig.harness.get_by_label("Apply").click();
    rig.harness.run();
    assert_eq!(rig.harness.state().editor().prompt, draft);
    assert!(
        rig.commands.try_recv().is_err(),
        "Apply only fills the editor"
    );

    rig.harness.get_by_label("Apply & generate").scroll_to_me();
    rig.harness.run();
    rig.harness.get_by_label("Apply & generate").click();
    rig.harness.run();
    let sent = rig.generated();
    assert_eq!(sent.prompt, draft);
    assert_eq!(sent.rewrite_of, Some(5));
    // The blocked job stays in the history.
    assert!(rig.harness.state().state().job(5).is_some());
}

/// The worker restores a rewrite of "Elsa on a frozen lake" that passed as `passed`.
fn remember_a_passed_rewrite_for_elsa(rig: &Rig, passed: &str) {
    rig.send(Event::Restored {
        jobs: Vec::new(),
        spend_today_usd: 0.0,
        rewrites: vec![peel::store::RememberedRewrite {
            blocked: "Elsa on a frozen lake".to_owned(),
            passed: passed.to_owned(),
            names: vec!["Elsa".to_owned()],
        }],
    });
}

#[test]
fn a_rewrite_that_passed_before_is_offered_when_the_same_name_comes_up() {
    let mut rig = rig();
    remember_a_passed_rewrite_for_elsa(
        &rig,
        "a woman with a platinum braid in an icy blue gown on a frozen lake",
    );
    rig.blocked_by_image_filter(8, "Elsa's ice palace at night");
    rig.harness.run();
    rig.harness
        .get_by_label_contains("Passed before: \"a woman with a platinum braid");
    rig.harness.get_by_label("Use what passed before").click();
    rig.harness.run();
    let draft = rig
        .harness
        .get_by_label("Rewritten prompt")
        .value()
        .unwrap_or_default();
    assert!(
        draft.starts_with("a woman with a platinum braid"),
        "{draft}"
    );
}

#[test]
fn what_passed_before_can_be_used_when_the_advice_is_a_setting() {
    // A Layer 1 block gets no rewrite, only the setting; a rewrite that passed before for the
    // same name must still reach the editor (the button used to do nothing here).
    let mut rig = rig();
    remember_a_passed_rewrite_for_elsa(&rig, "a woman with a platinum braid on a frozen lake");
    rig.send(Event::Queued {
        job: 9,
        spec: spec("Elsa dancing in the snow"),
    });
    rig.send(Event::AttemptEnded {
        job: 9,
        report: report(
            200,
            r#"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH","blocked":true}]}}"#,
            None,
        ),
    });
    rig.harness.run();
    rig.harness
        .get_by_label_contains("Passed before: \"a woman with a platinum braid");
    assert!(rig.harness.query_by_label("Rewritten prompt").is_none());
    rig.harness.get_by_label("Use what passed before").click();
    rig.harness.run();
    let draft = rig
        .harness
        .get_by_label("Rewritten prompt")
        .value()
        .unwrap_or_default();
    assert_eq!(draft, "a woman with a platinum braid on a frozen lake");
    rig.harness.get_by_label("Apply").scroll_to_me();
    rig.harness.run();
    rig.harness.get_by_label("Apply").click();
    rig.harness.run();
    assert_eq!(rig.harness.state().editor().prompt, draft);
}

#[test]
fn dropping_an_image_peel_made_restores_its_prompt_and_settings() {
    let mut rig = rig();
    let dir = tempfile::tempdir().unwrap();
    let image = write_png(dir.path(), "peel-8.png");
    let facts = peel::provenance::Provenance {
        prompt: "a heron in the reeds".to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        aspect_ratio: Some("16:9".to_owned()),
        image_size: Some("2K".to_owned()),
        ..peel::provenance::Provenance::default()
    };
    let bytes = peel::provenance::insert(&std::fs::read(&image).unwrap(), &facts).unwrap();
    std::fs::write(&image, bytes).unwrap();
    rig.harness.run();
    rig.harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(image)));
    rig.wait_for("Restored the prompt and settings peel-8.png was made with");
    // Nothing was added as a reference; Generate sends the restored settings.
    assert!(rig.harness.state().editor().references.is_empty());
    rig.harness.get_by_label("Generate").click();
    rig.harness.run();
    let sent = rig.generated();
    assert_eq!(sent.prompt, "a heron in the reeds");
    assert_eq!(sent.model, "gemini-3-pro-image");
    assert_eq!(sent.aspect_ratio.as_deref(), Some("16:9"));
    assert_eq!(sent.image_size.as_deref(), Some("2K"));
}
