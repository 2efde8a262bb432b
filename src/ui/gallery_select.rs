//! Picking several jobs in the gallery to save or export them at once. Ctrl+click (Cmd on macOS)
//! adds or removes a job, Shift+click picks the range from the last click, a plain click picks one
//! (and explains it in the why-panel). Ctrl+A picks every job the gallery shows, Escape clears.
//! With two or more picked, a bar offers "Save selected…" (the delivered images into a folder),
//! "Export selected…" (one folder per job, as `peel export` writes them) and "Compare" (two to
//! four side by side: `compare`); the media service asks for the folder and does the work off the
//! UI thread.

use std::collections::BTreeSet;

use super::{Intent, UiState};
use crate::view::media::MediaRequest;
use crate::view::state::{AppState, JobView};
use crate::worker::JobId;

/// The jobs picked in the gallery, and the click to apply once the grid is drawn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The jobs picked (the bar shows when there are two or more).
    pub ids: BTreeSet<JobId>,
    /// The job the last plain or Ctrl+click picked (Shift+click selects from it).
    pub anchor: Option<JobId>,
    /// A cell clicked this frame, with the modifiers held (applied after the grid is drawn,
    /// when the order of the jobs shown is known).
    pub clicked: Option<(JobId, egui::Modifiers)>,
}

impl Selection {
    /// Whether several jobs are picked (the bar shows).
    pub fn is_many(&self) -> bool {
        self.ids.len() > 1
    }

    /// Applies a click on `id`; `shown` lists the jobs in grid order and `explained` is the job
    /// the why-panel explains. Returns whether the why-panel should explain `id` (a plain click).
    pub fn click(
        &mut self,
        id: JobId,
        modifiers: egui::Modifiers,
        shown: &[JobId],
        explained: Option<JobId>,
    ) -> bool {
        if modifiers.shift {
            let at = |job: JobId| shown.iter().position(|shown| *shown == job);
            let from = self.anchor.or(explained).and_then(at);
            if let (Some(from), Some(to)) = (from, at(id)) {
                self.ids = shown[from.min(to)..=from.max(to)].iter().copied().collect();
                return false;
            }
        }
        if modifiers.command {
            if self.ids.is_empty() {
                self.ids.extend(explained);
            }
            if !self.ids.remove(&id) {
                self.ids.insert(id);
            }
            self.anchor = Some(id);
            return false;
        }
        self.ids = BTreeSet::from([id]);
        self.anchor = Some(id);
        true
    }

    /// Picks every job in `shown`.
    pub fn select_all(&mut self, shown: &[JobId]) {
        self.ids = shown.iter().copied().collect();
    }

    /// Picks nothing.
    pub fn clear(&mut self) {
        self.ids.clear();
        self.anchor = None;
    }
}

/// The modifiers held for this frame's click: those of the button's release (a fast click may
/// press and release within one frame), else those held now.
pub fn click_modifiers(ui: &egui::Ui) -> egui::Modifiers {
    ui.input(|input| {
        input
            .events
            .iter()
            .rev()
            .find_map(|event| match event {
                egui::Event::PointerButton {
                    button: egui::PointerButton::Primary,
                    pressed: false,
                    modifiers,
                    ..
                } => Some(*modifiers),
                _ => None,
            })
            .unwrap_or(input.modifiers)
    })
}

/// Notes a click on job `id`'s cell (applied by [`apply_click`] once the grid is drawn).
pub fn note_click(ui: &egui::Ui, id: JobId, ui_state: &mut UiState) {
    ui_state.gallery.selection.clicked = Some((id, click_modifiers(ui)));
}

/// Applies this frame's click, if any: a plain click explains the job in the why-panel.
pub fn apply_click(
    state: &AppState,
    shown: &[&JobView],
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let Some((id, modifiers)) = ui_state.gallery.selection.clicked.take() else {
        return;
    };
    let order: Vec<JobId> = shown.iter().map(|job| job.id).collect();
    if ui_state
        .gallery
        .selection
        .click(id, modifiers, &order, state.selected)
    {
        intents.push(Intent::Select(id));
    }
}

/// Ctrl+A picks every job shown, Escape clears (the caller checks no text field has the
/// keyboard).
pub fn selection_keys(ui: &egui::Ui, shown: &[&JobView], ui_state: &mut UiState) {
    let (all, escape) = ui.input_mut(|input| {
        (
            input.consume_key(egui::Modifiers::COMMAND, egui::Key::A),
            input.key_pressed(egui::Key::Escape),
        )
    });
    let selection = &mut ui_state.gallery.selection;
    if all {
        let order: Vec<JobId> = shown.iter().map(|job| job.id).collect();
        selection.select_all(&order);
    }
    if escape {
        selection.clear();
    }
}

/// Whether `job` is drawn as picked: one of several picked, else the job explained.
pub fn is_picked(state: &AppState, ui_state: &UiState, job: JobId) -> bool {
    let selection = &ui_state.gallery.selection;
    if selection.is_many() {
        selection.ids.contains(&job)
    } else {
        state.selected == Some(job)
    }
}

/// The bar over the grid while several jobs are picked: how many, Save selected…, Export
/// selected…, Compare and Clear selection.
pub fn selection_bar_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let selection = &mut ui_state.gallery.selection;
    if !selection.is_many() {
        return;
    }
    // Newest first, as the grid shows them; jobs deleted meanwhile drop out.
    let picked: Vec<&JobView> = state
        .jobs
        .iter()
        .rev()
        .filter(|job| selection.ids.contains(&job.id))
        .collect();
    let sources: Vec<std::path::PathBuf> = picked
        .iter()
        .filter(|job| job.is_delivered())
        .filter_map(|job| job.image_path.clone())
        .collect();
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{} selected", picked.len()));
        let save = ui
            .add_enabled(!sources.is_empty(), egui::Button::new("Save selected…"))
            .on_hover_text(format!(
                "Copy the {} delivered image(s) into a folder (never over a file already there)",
                sources.len()
            ))
            .on_disabled_hover_text("None of the selected jobs delivered an image");
        if save.clicked() {
            intents.push(Intent::Media(MediaRequest::SaveMany {
                sources: sources.clone(),
            }));
        }
        let export = ui.button("Export selected…").on_hover_text(
            "Write one folder per job: the image, provenance.json and diagnosis.json",
        );
        if export.clicked() {
            intents.push(Intent::Media(MediaRequest::ExportMany {
                jobs: picked.iter().map(|job| job.id).collect(),
            }));
        }
        let ids: Vec<JobId> = picked.iter().map(|job| job.id).collect();
        super::compare::compare_button_ui(ui, &ids, &mut ui_state.compare);
        if ui.button("Clear selection").clicked() {
            selection.clear();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTRL: egui::Modifiers = egui::Modifiers::COMMAND;
    const SHIFT: egui::Modifiers = egui::Modifiers::SHIFT;
    const PLAIN: egui::Modifiers = egui::Modifiers::NONE;

    fn ids(selection: &Selection) -> Vec<JobId> {
        selection.ids.iter().copied().collect()
    }

    #[test]
    fn ctrl_toggles_shift_takes_the_range_and_a_plain_click_picks_one() {
        let shown = [9, 8, 7, 6, 5];
        let mut selection = Selection::default();
        assert!(selection.click(8, PLAIN, &shown, None));
        assert!(!selection.click(6, CTRL, &shown, Some(8)));
        assert_eq!(ids(&selection), [6, 8]);
        assert!(selection.is_many());
        assert!(!selection.click(8, CTRL, &shown, Some(8)));
        assert_eq!(ids(&selection), [6]);
        // Shift selects from the last click (8) to here, whichever way.
        assert!(!selection.click(9, SHIFT, &shown, Some(8)));
        assert_eq!(ids(&selection), [8, 9]);
        assert!(!selection.click(5, SHIFT, &shown, Some(8)));
        assert_eq!(ids(&selection), [5, 6, 7, 8]);
        assert!(selection.click(7, PLAIN, &shown, Some(8)));
        assert_eq!(ids(&selection), [7]);
        selection.select_all(&shown);
        assert_eq!(selection.ids.len(), 5);
        selection.clear();
        assert!(selection.ids.is_empty() && selection.anchor.is_none());
    }

    #[test]
    fn ctrl_after_the_arrow_keys_keeps_the_job_explained() {
        let mut selection = Selection::default();
        assert!(!selection.click(3, CTRL, &[3, 2, 1], Some(1)));
        assert_eq!(ids(&selection), [1, 3]);
    }
}
