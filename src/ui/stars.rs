//! Stars in the gallery: a star over each tile's thumbnail and in the list's first column (a
//! click stars or unstars the job), and S to star or unstar the selected job, or every picked
//! one (all starred unless every one was already: then all unstarred). The worker keeps the
//! change and sends it back, so the star shows what the history holds.

use super::gallery_select::is_picked;
use super::{Intent, UiState, theme};
use crate::view::state::{AppState, JobView};
use crate::worker::protocol::BoardChange;
use crate::worker::{Command, JobId};

/// The filled and the empty star (both in egui's default emoji font).
const STAR_FILLED: &str = "★";
const STAR_EMPTY: &str = "☆";

/// The control's name for job `job` (what a click does): "Star job 4" or "Unstar job 4".
pub fn star_label(job: &JobView) -> String {
    if job.starred {
        format!("Unstar job {}", job.id)
    } else {
        format!("Star job {}", job.id)
    }
}

/// The command that stars `jobs`, or unstars them when every one is starred already; `None`
/// for no job.
pub fn toggle(jobs: &[&JobView]) -> Option<Command> {
    if jobs.is_empty() {
        return None;
    }
    let starred = !jobs.iter().all(|job| job.starred);
    Some(Command::ChangeBoards(BoardChange::Star {
        jobs: jobs.iter().map(|job| job.id).collect(),
        starred,
    }))
}

/// The jobs S acts on: the picked ones when several are picked, else the one explained.
pub fn targets<'a>(state: &'a AppState, ui_state: &UiState) -> Vec<&'a JobView> {
    let selection = &ui_state.gallery.selection;
    if selection.is_many() {
        state
            .jobs
            .iter()
            .filter(|job| is_picked(state, ui_state, job.id))
            .collect()
    } else {
        state.selected_job().into_iter().collect()
    }
}

/// S (no modifier) stars or unstars the selected job(s). The caller checks that no text field
/// has the keyboard and no dialog is open.
pub fn star_key(ui: &egui::Ui, state: &AppState, ui_state: &UiState, intents: &mut Vec<Intent>) {
    let pressed = ui.input(|input| {
        input.key_pressed(egui::Key::S) && !input.modifiers.command && !input.modifiers.alt
    });
    if pressed && let Some(command) = toggle(&targets(state, ui_state)) {
        intents.push(Intent::Worker(command));
    }
}

/// The star as a small button: filled and gold when starred. Its accessible name is what a
/// click does ([`star_label`]); returns its response.
pub fn star_button_ui(
    ui: &mut egui::Ui,
    job: &JobView,
    intents: &mut Vec<Intent>,
) -> egui::Response {
    let (glyph, colour) = if job.starred {
        (STAR_FILLED, theme::STAR_ON)
    } else {
        (STAR_EMPTY, ui.visuals().weak_text_color())
    };
    let response = ui.add(egui::Button::new(egui::RichText::new(glyph).color(colour)).frame(false));
    named(ui, &response, job);
    clicked(response, job, intents)
}

/// The star over a thumbnail's top right corner (`thumbnail` is the thumbnail's square), on a
/// dark backing so it shows on any picture.
pub fn star_overlay_ui(
    ui: &mut egui::Ui,
    thumbnail: egui::Rect,
    job: &JobView,
    intents: &mut Vec<Intent>,
) {
    let side = 22.0;
    let rect = egui::Rect::from_min_size(
        thumbnail.right_top() + egui::vec2(-side - 3.0, 3.0),
        egui::vec2(side, side),
    );
    let colour = if job.starred {
        theme::STAR_ON
    } else {
        theme::STAR_OFF
    };
    let glyph = if job.starred { STAR_FILLED } else { STAR_EMPTY };
    let button = egui::Button::new(egui::RichText::new(glyph).color(colour).size(15.0))
        .fill(theme::STAR_BACKING)
        .corner_radius(side / 2.0);
    let response = ui.put(rect, button);
    named(ui, &response, job);
    clicked(response, job, intents);
}

/// Gives the star its accessible name (what a click does), for screen readers and tests.
fn named(ui: &egui::Ui, response: &egui::Response, job: &JobView) {
    let label = star_label(job);
    ui.ctx()
        .accesskit_node_builder(response.id, |node| node.set_label(label));
}

/// Stars or unstars `job` when its star was clicked; the hover text says so and names S.
fn clicked(response: egui::Response, job: &JobView, intents: &mut Vec<Intent>) -> egui::Response {
    let response = response.on_hover_text(if job.starred {
        "Starred: click (or press S) to unstar"
    } else {
        "Star it to keep it: click, or press S with the job selected"
    });
    if response.clicked()
        && let Some(command) = toggle(&[job])
    {
        intents.push(Intent::Worker(command));
    }
    response
}

/// The ids of `jobs`.
pub fn ids(jobs: &[&JobView]) -> Vec<JobId> {
    jobs.iter().map(|job| job.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::{Event, JobSpec};

    fn state_of(ids: &[JobId]) -> AppState {
        let mut state = AppState::default();
        for &id in ids {
            state.apply(Event::Queued {
                job: id,
                spec: JobSpec::default(),
            });
        }
        state
    }

    /// What `toggle` asks for `state`'s jobs: the ids and whether they get starred.
    fn toggled(state: &AppState) -> (Vec<JobId>, bool) {
        let all: Vec<&JobView> = state.jobs.iter().collect();
        let Some(Command::ChangeBoards(BoardChange::Star { jobs, starred })) = toggle(&all) else {
            panic!("a star change");
        };
        (jobs, starred)
    }

    #[test]
    fn a_toggle_stars_all_unless_all_are_starred_then_unstars_them() {
        let mut state = state_of(&[1, 2]);
        assert_eq!(toggled(&state), (vec![1, 2], true));
        state.jobs[0].starred = true;
        assert_eq!(toggled(&state), (vec![1, 2], true));
        state.jobs[1].starred = true;
        assert_eq!(toggled(&state), (vec![1, 2], false));
        assert!(toggle(&[]).is_none());
        assert_eq!(star_label(&state.jobs[0]), "Unstar job 1");
    }

    #[test]
    fn s_acts_on_the_picked_jobs_else_the_one_explained() {
        let state = state_of(&[1, 2, 3]);
        let mut ui_state = UiState::default();
        // Queuing selects the newest.
        assert_eq!(ids(&targets(&state, &ui_state)), [3]);
        ui_state.gallery.selection.ids = [1, 2].into_iter().collect();
        assert_eq!(ids(&targets(&state, &ui_state)), [1, 2]);
    }
}
