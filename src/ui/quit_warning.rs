//! The warning before a quit that would cost something: requests in flight (Google is working on
//! them and will probably bill them; their answers would be lost), or what the worker holds
//! because the disk refused it (an image that arrived but no folder took, a prompt the database
//! could not queue). The window asks first, says what to do instead, offers to wait for the
//! requests in flight, and lets the designer quit anyway.

use super::Intent;
use crate::view::state::AppState;
use crate::worker::protocol::being_made;

/// "Quit and lose …?" or "N images are being made…", while [`AppState::quit_warning`] is set.
pub fn quit_warning_ui(ctx: &egui::Context, state: &AppState, intents: &mut Vec<Intent>) {
    if !state.quit_warning {
        return;
    }
    let in_flight = state.in_flight();
    egui::Modal::new(egui::Id::unique("quit_warning")).show(ctx, |ui| {
        if in_flight > 0 {
            in_flight_ui(ui, in_flight, state.waiting_to_quit);
        }
        if state.unsaved.any() {
            unsaved_ui(ui, state);
        }
        ui.horizontal(|ui| {
            if ui.button("Keep Peel open").clicked() {
                intents.push(Intent::KeepOpen);
            }
            if in_flight > 0 && !state.waiting_to_quit && ui.button("Wait for them").clicked() {
                intents.push(Intent::WaitThenQuit);
            }
            if ui.button("Quit anyway").clicked() {
                intents.push(Intent::QuitAnyway);
            }
        });
    });
}

/// The requests in flight: what quitting now costs, and the choice to wait.
fn in_flight_ui(ui: &mut egui::Ui, in_flight: usize, waiting: bool) {
    ui.heading(being_made(in_flight));
    if waiting {
        ui.label(format!(
            "Waiting for {}. Peel sends nothing new meanwhile and quits as soon as {} back; jobs still queued run when Peel next starts.",
            if in_flight == 1 { "it" } else { "them" },
            if in_flight == 1 { "it is" } else { "they are" },
        ));
        ui.spinner();
    } else {
        ui.label(
            "Google is working on them and will probably bill them. Wait for them: Peel sends nothing new and quits once they arrive. Quit anyway: their answers are lost; the history records them as lost and the jobs are sent again when Peel next starts.",
        );
    }
}

/// What the disk refused: what quitting loses, and what to do instead.
fn unsaved_ui(ui: &mut egui::Ui, state: &AppState) {
    let unsaved = state.unsaved;
    let them = if unsaved.images + unsaved.prompts == 1 {
        "it"
    } else {
        "them"
    };
    ui.heading("Quit and lose what is not saved?");
    ui.label(format!(
        "{} Peel holds {them} in memory because the disk refused {them}; quitting now loses {them}.",
        what_is_held(unsaved.images, unsaved.prompts),
    ));
    if unsaved.images > 0 {
        ui.label(
            "Free space, or make the output folder and the data folder writable, then press Retry now on the parked job (Peel also tries every 30 s).",
        );
    }
    if unsaved.prompts > 0 {
        ui.label(
            "Free space, or make the data folder writable: Peel queues the prompts by itself as soon as its database can be written (it tries every 30 s).",
        );
    }
}

/// "1 image you paid for and 2 prompts are not saved."
fn what_is_held(images: usize, prompts: usize) -> String {
    let images_text = match images {
        0 => None,
        1 => Some("1 image you paid for".to_owned()),
        n => Some(format!("{n} images you paid for")),
    };
    let prompts_text = match prompts {
        0 => None,
        1 => Some("1 queued prompt".to_owned()),
        n => Some(format!("{n} queued prompts")),
    };
    let (text, count) = match (images_text, prompts_text) {
        (Some(images), Some(prompts)) => (format!("{images} and {prompts}"), 2),
        (Some(one), None) | (None, Some(one)) => (one, images + prompts),
        (None, None) => ("Nothing".to_owned(), 0),
    };
    format!(
        "{text} {} not saved.",
        if count == 1 { "is" } else { "are" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heading_counts_the_images_being_made() {
        assert_eq!(
            being_made(1),
            "1 image is being made and will probably be billed"
        );
        assert_eq!(
            being_made(3),
            "3 images are being made and will probably be billed"
        );
    }

    #[test]
    fn the_sentence_counts_what_is_held() {
        assert_eq!(what_is_held(1, 0), "1 image you paid for is not saved.");
        assert_eq!(what_is_held(0, 3), "3 queued prompts are not saved.");
        assert_eq!(
            what_is_held(2, 1),
            "2 images you paid for and 1 queued prompt are not saved."
        );
    }
}
