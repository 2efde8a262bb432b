//! Stars in the gallery: a star over each tile's thumbnail and in the list's first column (a
//! click stars or unstars the job), and S to star or unstar the selected job, or every picked
//! one (all starred unless every one was already: then all unstarred). The worker keeps the
//! change and sends it back, so the star shows what the history holds.

use super::gallery_select::is_picked;
use super::{Intent, UiState, theme};
use crate::view::state::{AppState, JobView};
use crate::worker::protocol::BoardChange;
use crate::worker::{Command, JobId};

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

/// Paints a five-pointed star of `radius` points around `centre`: filled in `colour`, or its
/// outline. Painted, not typed: egui's default fonts have no star glyph.
pub fn paint_star(
    painter: &egui::Painter,
    centre: egui::Pos2,
    radius: f32,
    filled: bool,
    colour: egui::Color32,
) {
    let points: Vec<egui::Pos2> = (0..10)
        .map(|i| {
            let along = if i % 2 == 0 { radius } else { radius * 0.45 };
            let angle = std::f32::consts::PI * (i as f32 / 5.0 - 0.5);
            centre + along * egui::vec2(angle.cos(), angle.sin())
        })
        .collect();
    if filled {
        // A fan from the centre: the star is not convex, but every point sees the centre.
        let mut mesh = egui::Mesh::default();
        mesh.colored_vertex(centre, colour);
        for point in &points {
            mesh.colored_vertex(*point, colour);
        }
        for i in 0..10 {
            mesh.add_triangle(0, i + 1, (i + 1) % 10 + 1);
        }
        painter.add(egui::Shape::mesh(mesh));
    } else {
        painter.add(egui::Shape::closed_line(
            points,
            egui::Stroke::new(1.3, colour),
        ));
    }
}

/// A star of `side` points as a clickable widget, with `backing` painted behind it when given;
/// its accessible name is what a click does ([`star_label`]).
fn star_widget(
    ui: &mut egui::Ui,
    rect: egui::Rect,
    job: &JobView,
    off: egui::Color32,
    backing: Option<egui::Color32>,
) -> egui::Response {
    let response = ui.interact(
        rect,
        ui.scope_id().with(("star", job.id)),
        egui::Sense::click(),
    );
    let label = star_label(job);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    let painter = ui.painter_at(rect.expand(1.0));
    if let Some(fill) = backing {
        painter.circle_filled(rect.center(), rect.width() / 2.0, fill);
    }
    let colour = if job.starred {
        theme::STAR_ON
    } else if response.hovered() {
        ui.visuals().strong_text_color()
    } else {
        off
    };
    paint_star(
        &painter,
        rect.center(),
        rect.width() * 0.36,
        job.starred,
        colour,
    );
    response
}

/// The star as a small button in a row (the list's first column): filled and gold when
/// starred. Returns its response.
pub fn star_button_ui(
    ui: &mut egui::Ui,
    job: &JobView,
    intents: &mut Vec<Intent>,
) -> egui::Response {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
    let off = ui.visuals().weak_text_color();
    let response = star_widget(ui, rect, job, off, None);
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
    let response = star_widget(ui, rect, job, theme::STAR_OFF, Some(theme::STAR_BACKING));
    clicked(response, job, intents);
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
