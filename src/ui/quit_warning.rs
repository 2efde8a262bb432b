//! The warning before quitting while the worker holds what the disk refused (an image that
//! arrived but no folder took, a prompt the database could not queue): quitting loses it, so the
//! window asks first, says what to do instead, and lets the designer quit anyway.

use super::Intent;
use crate::view::state::AppState;

/// "Quit and lose …?", while [`AppState::quit_warning`] is set.
pub fn quit_warning_ui(ctx: &egui::Context, state: &AppState, intents: &mut Vec<Intent>) {
    if !state.quit_warning {
        return;
    }
    let unsaved = state.unsaved;
    let them = if unsaved.images + unsaved.prompts == 1 {
        "it"
    } else {
        "them"
    };
    egui::Modal::new(egui::Id::unique("quit_warning")).show(ctx, |ui| {
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
        ui.horizontal(|ui| {
            if ui.button("Keep Peel open").clicked() {
                intents.push(Intent::KeepOpen);
            }
            if ui.button("Quit anyway").clicked() {
                intents.push(Intent::QuitAnyway);
            }
        });
    });
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
    fn the_sentence_counts_what_is_held() {
        assert_eq!(what_is_held(1, 0), "1 image you paid for is not saved.");
        assert_eq!(what_is_held(0, 3), "3 queued prompts are not saved.");
        assert_eq!(
            what_is_held(2, 1),
            "2 images you paid for and 1 queued prompt are not saved."
        );
    }
}
