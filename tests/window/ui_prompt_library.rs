//! The prompt library in the window. End to end (the real worker and database): select words of
//! a prompt, save them as a fragment under a name, write another prompt, put the cursor in the
//! middle of it (after an "é", so characters and bytes differ), press Ctrl+L, search, press Enter:
//! the fragment goes in at the cursor; then a style declaration of the rewrite assistant,
//! offered in its own section, replaces selected words by a click, and Ctrl+Z takes it back.
//!
//! With the test playing the worker and the window rendered on the CPU: the list opened over
//! the editor with saved entries and the built-in styles, arrow keys and Enter, and the picture
//! for the README (`PEEL_UPDATE_DOCS=1` writes it to `docs/prompt-library.png`).

use egui_kittest::kittest::Queryable as _;
use jiff::Timestamp;
use peel::sim::Scenario;
use peel::store::prompt_library::{PromptEntry, PromptKind};
use peel::worker::prompt_library::LibraryRequest;
use peel::worker::{Command, Event};

use crate::app_rig::AppRig;
use crate::window_rig::Rig;

fn press(rig: &mut AppRig, key: egui::Key, times: usize) {
    for _ in 0..times {
        rig.harness.key_press(key);
    }
    rig.harness.run_steps(2);
}

fn press_shift(rig: &mut AppRig, key: egui::Key, times: usize) {
    for _ in 0..times {
        rig.harness.key_press_modifiers(egui::Modifiers::SHIFT, key);
    }
    rig.harness.run_steps(2);
}

fn ctrl(harness: &mut egui_kittest::Harness<'static, peel::app::PeelApp>, key: egui::Key) {
    harness.key_press_modifiers(egui::Modifiers::COMMAND, key);
    harness.run_steps(2);
}

/// Puts `text` in place of the whole prompt, the caret at its end.
fn replace_prompt(rig: &mut AppRig, text: &str) {
    rig.harness.get_by_label("Prompt").click();
    rig.harness.run_steps(1);
    ctrl(&mut rig.harness, egui::Key::A);
    rig.harness.get_by_label("Prompt").type_text(text);
    rig.harness.run_steps(2);
    assert_eq!(prompt(rig), text);
}

fn prompt(rig: &AppRig) -> String {
    rig.harness.state().editor().prompt.clone()
}

/// Types a prompt, selects "golden light" in it and saves it as the fragment "Golden light";
/// checks the database has it.
fn save_golden_light(rig: &mut AppRig) {
    rig.harness.get_by_label("Prompt").click();
    rig.harness.run_steps(1);
    rig.harness
        .get_by_label("Prompt")
        .type_text("a fox in golden light at dusk");
    rig.harness.run_steps(2);
    // The caret is at the end: before " at dusk", then select back to "golden".
    press(rig, egui::Key::ArrowLeft, " at dusk".len());
    press_shift(rig, egui::Key::ArrowLeft, "golden light".len());
    rig.harness.get_by_label("Save to library…").click();
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Selected words");
    rig.harness.get_by_label("golden light");
    rig.harness
        .get_by_label("Name in the library")
        .type_text("Golden light");
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Save").click();
    rig.harness.run_steps(1);
    rig.wait_for("Saved \"Golden light\" to the prompt library.");
    let saved = rig.store.prompt_library().expect("the library reads");
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "Golden light");
    assert_eq!(saved[0].text, "golden light");
    assert_eq!(saved[0].kind, PromptKind::Fragment);
}

#[test]
fn a_saved_fragment_and_an_assistant_style_go_in_at_the_cursor() {
    let mut rig = AppRig::open(Scenario::Calm, 3, 3);
    rig.harness.run_steps(2);
    save_golden_light(&mut rig);

    // Another prompt; the cursor before "at night", after an "é".
    replace_prompt(&mut rig, "a café terrace, at night, as a photo");
    press(&mut rig, egui::Key::ArrowLeft, "at night, as a photo".len());
    ctrl(&mut rig.harness, egui::Key::L);
    rig.harness.get_by_label("Prompt library");
    rig.harness
        .get_by_label("Search the prompt library")
        .type_text("golden");
    rig.harness.run_steps(2);
    rig.wait_for("Golden light · fragment");
    rig.harness.key_press(egui::Key::Enter);
    rig.harness.run_steps(2);
    assert!(
        rig.harness.query_by_label("Prompt library").is_none(),
        "the list closes once an entry is chosen"
    );
    assert_eq!(
        prompt(&rig),
        "a café terrace, golden light at night, as a photo"
    );

    // The rewrite assistant's style, in its own section, in place of selected words.
    press(&mut rig, egui::Key::End, 1);
    press_shift(&mut rig, egui::Key::ArrowLeft, "photo".len());
    ctrl(&mut rig.harness, egui::Key::L);
    rig.harness
        .get_by_label("Search the prompt library")
        .type_text("watercolor");
    rig.harness.run_steps(2);
    rig.harness.get_by_label("From the rewrite assistant");
    rig.harness
        .get_by_label_contains("None of your entries matches.");
    rig.harness
        .get_by_label_contains("Digital watercolor illustration · style")
        .click();
    rig.harness.run_steps(2);
    assert_eq!(
        prompt(&rig),
        "a café terrace, golden light at night, as a digital watercolor illustration"
    );
    assert!(
        rig.store.prompt_library().unwrap().len() == 1,
        "a built-in style is not copied into the library"
    );

    // Ctrl+Z in the prompt takes the insertion back; Escape closes the list and changes nothing.
    ctrl(&mut rig.harness, egui::Key::Z);
    assert_eq!(
        prompt(&rig),
        "a café terrace, golden light at night, as a photo"
    );
    ctrl(&mut rig.harness, egui::Key::L);
    rig.harness.get_by_label("Prompt library");
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.run_steps(2);
    assert!(rig.harness.query_by_label("Prompt library").is_none());
    assert_eq!(
        prompt(&rig),
        "a café terrace, golden light at night, as a photo"
    );
}

#[test]
fn saving_under_a_taken_name_asks_to_replace() {
    let mut rig = AppRig::open(Scenario::Calm, 4, 4);
    rig.harness.run_steps(2);
    rig.harness.get_by_label("Prompt").click();
    rig.harness.run_steps(1);
    rig.harness
        .get_by_label("Prompt")
        .type_text("a lighthouse in a storm");
    rig.harness.run_steps(2);
    for (text, verb) in [("Storm", "Save"), ("storm", "Replace")] {
        rig.harness.get_by_label("Save to library…").click();
        rig.harness.run_steps(3);
        // Nothing selected: the whole prompt, as a prompt.
        assert!(rig.harness.query_by_label("Selected words").is_none());
        rig.harness
            .get_by_label("Name in the library")
            .type_text(text);
        rig.harness.run_steps(3);
        if verb == "Replace" {
            rig.wait_for(
                "\"Storm\" is already in your library; Replace puts these words in its place.",
            );
        }
        rig.harness.get_by_label(verb).click();
        rig.harness.run_steps(1);
        if verb == "Save" {
            rig.wait_for("Saved \"Storm\" to the prompt library.");
            // Different words under the same name next time.
            replace_prompt(&mut rig, "a lighthouse in fog");
        }
    }
    rig.wait_for("Replaced \"storm\" in the prompt library.");
    let saved = rig.store.prompt_library().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "storm");
    assert_eq!(saved[0].text, "a lighthouse in fog");
    assert_eq!(saved[0].kind, PromptKind::Prompt);
}

fn entry(name: &str, kind: PromptKind, text: &str) -> PromptEntry {
    PromptEntry {
        name: name.to_owned(),
        text: text.to_owned(),
        kind,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

/// A designer's library, as the worker sends it.
fn library() -> Event {
    Event::PromptLibrary {
        entries: vec![
            entry(
                "Film grain",
                PromptKind::Fragment,
                "subtle 35mm film grain, slightly faded colours",
            ),
            entry(
                "Golden hour",
                PromptKind::Fragment,
                "warm low sun from the left, long soft shadows, amber highlights",
            ),
            entry(
                "Lighthouse in a storm",
                PromptKind::Prompt,
                "a lighthouse on a cliff in a storm,\nwaves breaking against the rocks, dramatic sky",
            ),
            entry(
                "Overcast softbox",
                PromptKind::Fragment,
                "soft even light as under an overcast sky, no hard shadows",
            ),
        ],
        news: None,
    }
}

#[test]
fn the_list_opens_over_the_editor_with_saved_entries_and_the_assistants_styles() {
    let mut rig = Rig::new(true);
    rig.harness.run_steps(2);
    rig.harness
        .get_by_label("Prompt")
        .type_text("a ceramic teapot on a wooden table, ");
    rig.harness.run_steps(2);
    ctrl(&mut rig.harness, egui::Key::L);
    assert!(
        matches!(
            rig.commands.try_recv(),
            Ok(Command::PromptLibrary(LibraryRequest::Load))
        ),
        "the list reads the library again when it opens"
    );
    rig.harness.get_by_label_contains("Reading your library…");
    rig.send(library());
    rig.wait_for("Lighthouse in a storm · prompt");
    rig.harness.get_by_label("Your library");
    rig.harness.get_by_label("From the rewrite assistant");
    rig.harness
        .get_by_label_contains("Digital watercolor illustration · style");
    rig.harness.key_press(egui::Key::ArrowDown);
    rig.harness.run_steps(3);
    rig.harness.get_by_label("Delete \"Golden hour\"");
    assert!(
        rig.harness
            .query_by_label("Delete \"Film grain\"")
            .is_none(),
        "only the highlighted entry offers Delete"
    );

    let picture = rig.harness.render().expect("the window renders");
    assert_eq!((picture.width(), picture.height()), (1280, 800));
    if std::env::var_os("PEEL_UPDATE_DOCS").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/prompt-library.png");
        picture.save(&path).expect("docs/ can be written");
    }

    // The second row is highlighted: Enter puts it at the cursor (the end).
    rig.harness.key_press(egui::Key::Enter);
    rig.harness.run_steps(2);
    assert_eq!(
        rig.harness.state().editor().prompt,
        "a ceramic teapot on a wooden table, warm low sun from the left, long soft shadows, amber highlights"
    );

    // Delete asks once more, then asks the worker.
    ctrl(&mut rig.harness, egui::Key::L);
    rig.harness.key_press(egui::Key::ArrowDown);
    rig.harness.key_press(egui::Key::ArrowDown);
    rig.harness.run_steps(3);
    rig.harness
        .get_by_label("Delete \"Lighthouse in a storm\"")
        .click();
    rig.harness.run_steps(2);
    rig.harness
        .get_by_label("Really delete \"Lighthouse in a storm\"?")
        .click();
    rig.harness.run_steps(2);
    let mut asked = Vec::new();
    while let Ok(command) = rig.commands.try_recv() {
        asked.push(command);
    }
    assert!(
        asked.iter().any(|command| matches!(
            command,
            Command::PromptLibrary(LibraryRequest::Delete { name }) if name == "Lighthouse in a storm"
        )),
        "{asked:?}"
    );
    assert!(
        rig.harness.query_by_label("Prompt library").is_some(),
        "the list stays open"
    );
}
