//! "Try these rewrites…" under the rewrite suggestions of a job a content layer blocked: a
//! confirmation says how many jobs (the top suggestions, up to three) and what they cost at most
//! before anything is sent; "Queue N jobs" sends them with the blocked job's settings, only the
//! prompt replaced, and opens Compare on the original and each rewrite, filling in as they finish.
//! "Not now" (or Escape) sends nothing.

use super::compare::{CompareUi, CompareView};
use super::{Intent, theme};
use crate::rewrite::Advice;
use crate::view::compare::CompareSet;
use crate::view::state::{AppState, JobView};
use crate::view::try_rewrites::{cost_line, rewrite_specs, rewrites_to_try};
use crate::worker::{Command, JobId};

/// Rewrites waiting for the designer's go-ahead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TryRewrites {
    /// The blocked job.
    pub job: JobId,
    /// The rewritten prompts, best first.
    pub prompts: Vec<String>,
}

/// The "Try these rewrites…" button, when the advice has suggestions.
pub fn offer_ui(ui: &mut egui::Ui, job: &JobView, advice: &Advice, compare: &mut CompareUi) {
    let prompts = rewrites_to_try(advice);
    if prompts.is_empty() {
        return;
    }
    let count = prompts.len();
    let button = ui.button("Try these rewrites…").on_hover_text(format!(
        "Queue {} as {count} job(s) with this job's settings (the cost is shown first), then compare each with the original as it finishes",
        if count == 1 {
            "the suggestion".to_owned()
        } else {
            format!("the top {count} suggestions")
        }
    ));
    if button.clicked() {
        compare.confirm = Some(TryRewrites {
            job: job.id,
            prompts,
        });
    }
}

/// The confirmation, when asked: the jobs, their cost, and "Queue N jobs" or "Not now".
pub fn confirm_ui(
    ctx: &egui::Context,
    state: &AppState,
    compare: &mut CompareUi,
    intents: &mut Vec<Intent>,
) {
    let Some(trial) = &compare.confirm else {
        return;
    };
    let Some(original) = state.job(trial.job) else {
        compare.confirm = None;
        return;
    };
    let count = trial.prompts.len();
    let simulated = state.simulated_scenario.is_some();
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("try_rewrites")).show(ctx, |ui| {
        ui.set_max_width(560.0);
        ui.heading(format!("Try {count} rewrites of job {}?", original.id));
        ui.add(
            egui::Label::new(format!(
                "Each is queued as a job with job {}'s model and settings ({}), only the prompt replaced:",
                original.id, original.spec.model
            ))
            .wrap(),
        );
        for (index, prompt) in trial.prompts.iter().enumerate() {
            ui.add(egui::Label::new(format!("{}. {prompt}", index + 1)).wrap());
        }
        ui.add_space(4.0);
        ui.colored_label(
            theme::WAITING,
            cost_line(&original.spec, count, simulated),
        );
        ui.weak("At most that: a blocked job bills its prompt (and thinking) tokens, not an image.");
        ui.horizontal(|ui| {
            if ui.button(format!("Queue {count} jobs")).clicked() {
                answer = Some(true);
            }
            if ui.button("Not now").clicked() {
                answer = Some(false);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    match answer {
        Some(true) => {
            for spec in rewrite_specs(original, &trial.prompts) {
                intents.push(Intent::Worker(Command::Generate(spec)));
            }
            let newest = state.jobs.iter().map(|job| job.id).max();
            let set = CompareSet::exploring(original.id, &trial.prompts, newest);
            compare.open = Some(CompareView::new(set));
            compare.confirm = None;
        }
        Some(false) => compare.confirm = None,
        None => {}
    }
}
