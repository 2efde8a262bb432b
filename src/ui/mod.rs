//! All egui code. Each panel is a `*_ui` function that draws state and pushes [`Intent`]s; the app
//! turns intents into worker commands. Labels are stable: tests find controls by them.
//!
//! - [`editor`]: the prompt editor (Ctrl+Enter generates).
//! - [`jobs`]: the live job list with waits, fallbacks, outcomes and the why.
//! - [`theme`]: colours and sizes.

pub mod editor;
pub mod jobs;
pub mod theme;

use crate::app::state::AppState;
use crate::worker::{JobId, JobSpec};

pub use editor::Editor;

/// What the designer asked for in this frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    /// Queue a job.
    Generate(JobSpec),
    /// Cancel a job.
    Cancel(JobId),
    /// Skip a job's wait (or resume a parked one).
    RetryNow(JobId),
}

/// The whole window.
pub fn root_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    editor: &mut Editor,
    intents: &mut Vec<Intent>,
) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("Peel");
            if let Some(scenario) = &state.simulated_scenario {
                egui::Frame::new()
                    .fill(theme::SIMULATOR_BANNER)
                    .inner_margin(4.0)
                    .show(ui, |ui| {
                        ui.colored_label(
                            theme::SIMULATOR_TEXT,
                            format!(
                                "Simulated images: no API key set (simulator scenario {scenario})"
                            ),
                        );
                    });
            }
            if let Some(notice) = &state.notice {
                ui.label(notice);
            }
        });
    });
    egui::Panel::left("editor")
        .default_size(theme::EDITOR_WIDTH)
        .show(ui, |ui| {
            editor::editor_ui(ui, editor, intents);
        });
    egui::CentralPanel::default().show(ui, |ui| {
        jobs::jobs_ui(ui, state, intents);
    });
}
