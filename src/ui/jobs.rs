//! The live job list, newest first: status, countdown to the next attempt, fallbacks, the outcome
//! and, for a failure, the diagnosis (layer, title, what to do). Cancel and Retry now per job.

use jiff::Timestamp;

use super::{Intent, theme};
use crate::app::state::{AppState, JobStatus, JobView};
use crate::diagnosis::words::human_duration;
use crate::worker::OutcomeStatus;

/// Draws the job list.
pub fn jobs_ui(ui: &mut egui::Ui, state: &AppState, intents: &mut Vec<Intent>) {
    if state.jobs.is_empty() {
        ui.label("No images yet. Write a prompt and press Generate (or Ctrl+Enter).");
        return;
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for job in state.jobs.iter().rev() {
            job_ui(ui, job, intents);
            ui.separator();
        }
    });
}

fn job_ui(ui: &mut egui::Ui, job: &JobView, intents: &mut Vec<Intent>) {
    ui.label(format!("Job {}: {}", job.id, job.prompt));
    match &job.status {
        JobStatus::Queued => {
            ui.label("Queued");
        }
        JobStatus::Sending { attempt, model } => {
            ui.label(format!("Attempt {attempt} on {model}…"));
        }
        JobStatus::Waiting { until, reason } => {
            let left_s = until
                .duration_since(Timestamp::now())
                .as_secs_f64()
                .max(0.0);
            ui.colored_label(
                theme::WAITING,
                format!("Next attempt in {}: {reason}", human_duration(left_s)),
            );
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
        }
        JobStatus::Finished(status) => {
            let (colour, word) = match status {
                OutcomeStatus::Delivered => (theme::DELIVERED, "Done"),
                OutcomeStatus::Stopped => (theme::STOPPED, "Stopped"),
                OutcomeStatus::Parked => (theme::WAITING, "Kept in the queue"),
                OutcomeStatus::Cancelled => (theme::STOPPED, "Cancelled"),
            };
            ui.colored_label(
                colour,
                format!("{word}: {}", job.reason.as_deref().unwrap_or_default()),
            );
        }
    }
    if let Some(fell_back) = &job.fell_back {
        ui.label(fell_back);
    }
    if let Some(path) = &job.image_path {
        ui.label(format!("Image saved to {}", path.display()));
    }
    if let Some(diagnosis) = job
        .diagnosis
        .as_ref()
        .filter(|_| job.status != JobStatus::Finished(OutcomeStatus::Delivered))
    {
        ui.label(format!(
            "Why: {} (layer: {})",
            diagnosis.title,
            diagnosis.layer.label()
        ));
        ui.label(format!("What to do: {}", diagnosis.fix));
    }
    let running = !matches!(
        job.status,
        JobStatus::Finished(
            OutcomeStatus::Delivered | OutcomeStatus::Stopped | OutcomeStatus::Cancelled
        )
    );
    if running {
        ui.horizontal(|ui| {
            if ui.button(format!("Retry now (job {})", job.id)).clicked() {
                intents.push(Intent::RetryNow(job.id));
            }
            if ui.button(format!("Cancel (job {})", job.id)).clicked() {
                intents.push(Intent::Cancel(job.id));
            }
        });
    }
}
