//! The why-panel for the selected job: what can be done with its image, the layer diagram
//! (transport → auth → quota → server → prompt filter → image filter) with the failing layer
//! marked, the title, explanation and fix, a live countdown, the attempt timeline, the redacted
//! response, "Copy diagnostic JSON", and a "Paste an error" box that explains anything pasted.

use jiff::Timestamp;

use super::gallery::{ask_delete, job_controls_ui, open_viewer, save_as};
use super::progress::seconds_until;
use super::{Intent, UiState, theme};
use crate::diagnosis::{Diagnosis, DiagnosisContext, Evidence, Kind, Layer, diagnose};
use crate::view::media::MediaRequest;
use crate::view::state::{AppState, JobStatus, JobView};
use crate::worker::{Command, JobState};

/// Longest text the "Paste an error" box holds, as `peel explain` reads (4 MiB): a bigger paste
/// is cut to it before the box takes it, and the box says so.
pub const PASTE_MAX_BYTES: usize = crate::diagnosis::reading::MAX_INPUT_BYTES;

/// What the "Paste an error" box says after cutting a paste, as `peel explain` does.
pub const PASTE_CUT_SENTENCE: &str = "Only the first 4 MiB of the pasted text were kept (the \
    diagnosis reads no more); if the error is further on, paste the part around it instead.";

/// The six stages of the diagram, in the order a request meets them.
pub const STAGES: [(Layer, &str); 6] = [
    (Layer::Transport, "Transport"),
    (Layer::Auth, "Auth"),
    (Layer::Quota, "Quota"),
    (Layer::Server, "Server"),
    (Layer::PromptFilter, "Prompt filter (Layer 1, configurable)"),
    (
        Layer::ImageFilter,
        "Image filter (Layer 2, not configurable)",
    ),
];

/// How far a request got through one stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageState {
    /// Passed.
    Passed,
    /// Stopped here.
    Failed,
    /// Not reached (or unknown).
    NotReached,
}

impl StageState {
    /// The word shown (and read by screen readers and tests).
    pub fn word(self) -> &'static str {
        match self {
            StageState::Passed => "passed",
            StageState::Failed => "failed here",
            StageState::NotReached => "not reached",
        }
    }
}

/// Each stage's state for a diagnosis. Layers outside the six (request, policy, model) mark the
/// stages before them as passed and none as failed; the panel names them in words.
pub fn stage_states(diagnosis: &Diagnosis) -> [StageState; 6] {
    let failing = STAGES
        .iter()
        .position(|(layer, _)| *layer == diagnosis.layer);
    let passed_before = match (failing, diagnosis.layer) {
        (Some(index), _) => index,
        (None, _) if diagnosis.kind == Kind::Success => STAGES.len(),
        (None, Layer::Request | Layer::Model) => 2,
        (None, Layer::Policy) => 4,
        (None, _) => 0,
    };
    std::array::from_fn(|index| {
        if Some(index) == failing {
            StageState::Failed
        } else if index < passed_before {
            StageState::Passed
        } else {
            StageState::NotReached
        }
    })
}

/// Draws the why-panel.
pub fn why_panel_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if let Some(job) = state.selected_job() {
                job_why_ui(ui, state, job, ui_state, intents);
            } else {
                ui.heading("Why");
                ui.label("Select a job to see why it ended the way it did.");
            }
            ui.separator();
            paste_ui(ui, ui_state);
        });
}

fn job_why_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    job: &JobView,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    ui.heading(format!("Job {}", job.id));
    ui.add(egui::Label::new(job.prompt()).wrap());
    if let Some(path) = job.image_path.as_ref().filter(|_| job.is_delivered()) {
        ui.add(egui::Label::new(format!("Image saved to {}", path.display())).wrap());
    }
    actions_ui(ui, job, ui_state, intents);
    ui.separator();
    match &job.diagnosis {
        Some(diagnosis) => {
            diagram_ui(ui, diagnosis);
            diagnosis_text_ui(ui, diagnosis);
            super::rewrite::rewrite_ui(ui, state, job, ui_state, intents);
        }
        None => {
            if let JobStatus::Finished(_) = job.status {
                ui.label("No answer was received for this job.");
            } else if !matches!(job.status, JobStatus::Sending { .. }) {
                ui.label("Waiting for the first answer…");
            }
        }
    }
    super::thinking::thinking_ui(ui, state, job, ui_state, intents);
    countdown_ui(ui, job);
    if let Some(fell_back) = &job.fell_back {
        ui.label(fell_back);
    }
    if let Some(reason) = &job.reason {
        ui.label(format!("Outcome: {reason}"));
    }
    timeline_ui(ui, job);
    if let Some(response) = job.attempts.iter().rev().find_map(|a| a.response.as_ref()) {
        egui::CollapsingHeader::new("Response (redacted)")
            .id_salt(("response", job.id))
            .show(ui, |ui| {
                let mut text = response.as_str();
                ui.add(
                    egui::TextEdit::multiline(&mut text)
                        .code_editor()
                        .desired_width(f32::INFINITY)
                        .desired_rows(8),
                );
            });
    }
    if ui.button("Copy diagnostic JSON").clicked() {
        ui.ctx().copy_text(diagnostic_json(job));
    }
}

fn actions_ui(ui: &mut egui::Ui, job: &JobView, ui_state: &mut UiState, intents: &mut Vec<Intent>) {
    // The Activity tab lists the same controls for every job in flight.
    if ui_state.tab == super::Tab::Gallery {
        job_controls_ui(ui, job, intents);
    }
    ui.horizontal_wrapped(|ui| {
        if let Some(path) = job.image_path.as_ref().filter(|_| job.is_delivered()) {
            if ui.button("Open large view").clicked() {
                open_viewer(ui.ctx(), path, ui_state, intents);
            }
            if ui.button("Save as…").clicked() {
                intents.push(save_as(job.id, path));
            }
            if ui.button("Copy image").clicked() {
                intents.push(Intent::Media(MediaRequest::CopyImage {
                    source: path.clone(),
                }));
            }
            if ui.button("Use as reference").clicked() {
                intents.push(Intent::Media(MediaRequest::LoadReferences {
                    paths: vec![path.clone()],
                }));
            }
        }
        if ui.button("Restore settings").clicked() {
            intents.push(Intent::Restore(job.id));
        }
        if ui.button("Delete…").clicked() {
            ask_delete(job.id, ui_state);
        }
    });
    if job.is_delivered() && job.image_path.is_some() {
        let label = ui.label("Edit instruction");
        ui.add(
            egui::TextEdit::singleline(&mut ui_state.edit_prompt)
                .hint_text("e.g. make the sky stormy")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let ready = !ui_state.edit_prompt.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Send edit"))
            .on_hover_text("A new turn after this image, resending the model's own answer")
            .clicked()
        {
            intents.push(Intent::Worker(Command::Edit {
                of: job.id,
                prompt: std::mem::take(&mut ui_state.edit_prompt),
            }));
        }
    }
}

fn diagram_ui(ui: &mut egui::Ui, diagnosis: &Diagnosis) {
    let states = stage_states(diagnosis);
    for (index, ((_, name), stage)) in STAGES.iter().zip(states).enumerate() {
        let (fill, text) = match stage {
            StageState::Passed => (theme::STAGE_PASSED, theme::STAGE_TEXT),
            StageState::Failed => (theme::STOPPED, theme::STAGE_TEXT),
            StageState::NotReached => (ui.visuals().faint_bg_color, ui.visuals().weak_text_color()),
        };
        egui::Frame::new()
            .fill(fill)
            .corner_radius(4.0)
            .inner_margin(egui::Margin::symmetric(6, 2))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                let label = format!("{name}: {}", stage.word());
                let rich = egui::RichText::new(label).color(text);
                ui.label(if stage == StageState::Failed {
                    rich.strong()
                } else {
                    rich
                });
            });
        if index + 1 < STAGES.len() {
            down_arrow_ui(ui);
        }
    }
    if !STAGES.iter().any(|(layer, _)| *layer == diagnosis.layer) && diagnosis.kind != Kind::Success
    {
        ui.label(format!(
            "Failing layer: {} ({}), outside the six stages above",
            diagnosis.layer.label(),
            diagnosis.layer.id()
        ));
    }
}

/// A small arrow between two stages (drawn: the default font has no arrow glyphs).
fn down_arrow_ui(ui: &mut egui::Ui) {
    let (rect, _) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), 10.0), egui::Sense::hover());
    let stroke = egui::Stroke::new(1.5, ui.visuals().weak_text_color());
    let top = egui::pos2(rect.center().x, rect.top());
    ui.painter()
        .arrow(top, egui::vec2(0.0, rect.height()), stroke);
}

/// Title, layer, explanation and fix of a diagnosis.
pub fn diagnosis_text_ui(ui: &mut egui::Ui, diagnosis: &Diagnosis) {
    ui.add_space(4.0);
    let colour = if diagnosis.kind == Kind::Success {
        theme::DELIVERED
    } else {
        theme::STOPPED
    };
    ui.label(
        egui::RichText::new(format!("Why: {}", diagnosis.title))
            .strong()
            .color(colour),
    );
    ui.label(format!(
        "Layer: {} ({})",
        diagnosis.layer.label(),
        diagnosis.layer.id()
    ));
    ui.add(egui::Label::new(diagnosis.explanation.as_str()).wrap());
    ui.add(egui::Label::new(format!("What to do: {}", diagnosis.fix)).wrap());
}

fn countdown_ui(ui: &mut egui::Ui, job: &JobView) {
    let line = match (&job.status, job.next_try_at()) {
        (JobStatus::Waiting { .. }, Some(until)) => {
            Some(format!("Next attempt in {}", seconds_until(until)))
        }
        (JobStatus::Finished(JobState::Parked), Some(until)) => Some(format!(
            "Back in the queue in {} ({until})",
            seconds_until(until)
        )),
        _ => job
            .diagnosis
            .as_ref()
            .filter(|d| d.kind == Kind::QuotaDaily && job.is_open())
            .and_then(|d| d.resets_at)
            .map(|reset| {
                format!(
                    "Daily quota resets in {} (midnight Pacific)",
                    seconds_until(reset)
                )
            }),
    };
    if let Some(line) = line {
        ui.colored_label(theme::WAITING, line);
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
}

fn timeline_ui(ui: &mut egui::Ui, job: &JobView) {
    if job.attempts.is_empty() {
        return;
    }
    ui.label(egui::RichText::new("Attempts").strong());
    egui::Grid::new(("timeline", job.id))
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for heading in ["#", "Model", "Result", "Wait", "Cost"] {
                ui.label(egui::RichText::new(heading).strong());
            }
            ui.end_row();
            for (index, attempt) in job.attempts.iter().enumerate() {
                let record = &attempt.record;
                ui.label(format!("{}", index + 1));
                ui.label(&record.model);
                let result = match (record.unanswered_words(), record.http_status) {
                    (Some(words), _) => words.to_owned(),
                    (None, Some(status)) => format!("{status} {}", record.kind),
                    (None, None) => record.kind.clone(),
                };
                let response = ui.label(result);
                if let Some(diagnosis) = &attempt.diagnosis {
                    response.on_hover_text(diagnosis.title.as_str());
                }
                ui.label(
                    record
                        .wait_s
                        .map_or_else(|| "—".to_owned(), crate::diagnosis::words::human_duration),
                );
                ui.label(format!("${:.3}", record.cost_usd));
                ui.end_row();
            }
        });
}

/// The JSON "Copy diagnostic JSON" puts on the clipboard: the job's settings (no references'
/// bytes), the diagnosis and every attempt. Holds no key: diagnoses and responses are redacted.
pub fn diagnostic_json(job: &JobView) -> String {
    let attempts: Vec<serde_json::Value> = job
        .attempts
        .iter()
        .map(|a| {
            serde_json::json!({
                "record": a.record,
                "diagnosis": a.diagnosis,
            })
        })
        .collect();
    let value = serde_json::json!({
        "job": job.id,
        "prompt": job.prompt(),
        "model": job.spec.model,
        "fallback": job.spec.fallback,
        "aspect_ratio": job.spec.aspect_ratio,
        "image_size": job.spec.image_size,
        "references": job.spec.references.len(),
        "safety_settings": job.spec.safety_settings,
        "status": format!("{:?}", job.status),
        "outcome": job.reason,
        "model_used": job.model_used,
        "diagnosis": job.diagnosis,
        "attempts": attempts,
        "cost_usd": job.cost_usd(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn paste_ui(ui: &mut egui::Ui, ui_state: &mut UiState) {
    egui::CollapsingHeader::new("Paste an error")
        .id_salt("paste")
        .default_open(true)
        .show(ui, |ui| {
            ui.weak("Paste any Gemini error or response (JSON, SDK output, a forum post).");
            let label = ui.label("Error text");
            let edit_id = ui.make_persistent_id("paste_text");
            if ui.memory(|memory| memory.has_focus(edit_id)) {
                let room_bytes = PASTE_MAX_BYTES.saturating_sub(ui_state.paste_text.len());
                let cut = ui.input_mut(|input| cut_pastes(&mut input.events, room_bytes));
                ui_state.paste_cut |= cut;
            }
            // The box keeps its height whatever was pasted: megabytes scroll inside it, and
            // "Explain" stays in view.
            let response = egui::ScrollArea::vertical()
                .id_salt("paste_scroll")
                .max_height(theme::PASTE_BOX_HEIGHT)
                .show(ui, |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut ui_state.paste_text)
                            .id(edit_id)
                            .desired_rows(4)
                            .desired_width(f32::INFINITY)
                            .code_editor(),
                    )
                    .labelled_by(label.id)
                })
                .inner;
            if response.changed() {
                // A pasted text may have replaced a selection: cut whatever is still over.
                ui_state.paste_cut |=
                    cut_to_char_boundary(&mut ui_state.paste_text, PASTE_MAX_BYTES);
                if ui_state.paste_text.is_empty() {
                    ui_state.paste_cut = false;
                }
                // The diagnosis was of the old text: it is made again on "Explain", once.
                ui_state.paste_result = None;
            }
            if ui_state.paste_cut {
                ui.colored_label(theme::WAITING, PASTE_CUT_SENTENCE);
            }
            let ready = !ui_state.paste_text.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new("Explain"))
                .clicked()
            {
                ui_state.paste_result = Some(explain_paste(&ui_state.paste_text, Timestamp::now()));
            }
            if let Some(diagnosis) = &ui_state.paste_result {
                diagram_ui(ui, diagnosis);
                diagnosis_text_ui(ui, diagnosis);
                if let Some(wait_s) = diagnosis.retry_after_s {
                    ui.label(format!(
                        "Google asks to wait {} before retrying.",
                        crate::diagnosis::words::human_duration(wait_s)
                    ));
                }
            }
        });
}

/// Cuts the text of this frame's paste events so that together they add at most `room_bytes`
/// (at character boundaries); says whether any was cut. The box never takes (nor lays out) more
/// than [`PASTE_MAX_BYTES`].
pub fn cut_pastes(events: &mut [egui::Event], mut room_bytes: usize) -> bool {
    let mut cut = false;
    for event in events {
        if let egui::Event::Paste(text) = event {
            cut |= cut_to_char_boundary(text, room_bytes);
            room_bytes -= text.len();
        }
    }
    cut
}

/// Cuts `text` to at most `max_bytes`, at a character boundary; says whether it cut.
pub fn cut_to_char_boundary(text: &mut String, max_bytes: usize) -> bool {
    if text.len() <= max_bytes {
        return false;
    }
    text.truncate(text.floor_char_boundary(max_bytes));
    true
}

/// The diagnosis of pasted text (the `peel explain` engine), reading at most
/// [`PASTE_MAX_BYTES`].
pub fn explain_paste(text: &str, now: Timestamp) -> Diagnosis {
    let end = text.floor_char_boundary(PASTE_MAX_BYTES);
    diagnose(&Evidence::pasted(&text[..end]), &DiagnosisContext::new(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pastes_are_cut_to_the_room_left_at_character_boundaries() {
        let mut events = vec![
            egui::Event::Paste("é".repeat(3)),
            egui::Event::Text("typed".to_owned()),
            egui::Event::Paste("more".to_owned()),
        ];
        assert!(cut_pastes(&mut events, 5));
        assert_eq!(events[0], egui::Event::Paste("éé".to_owned()));
        assert_eq!(events[1], egui::Event::Text("typed".to_owned()));
        assert_eq!(events[2], egui::Event::Paste("m".to_owned()));

        let mut small = vec![egui::Event::Paste("fits".to_owned())];
        assert!(!cut_pastes(&mut small, 4));
        assert_eq!(small[0], egui::Event::Paste("fits".to_owned()));

        let mut huge = "x".repeat(PASTE_MAX_BYTES + 10);
        assert!(cut_to_char_boundary(&mut huge, PASTE_MAX_BYTES));
        assert_eq!(huge.len(), PASTE_MAX_BYTES);
        assert!(!cut_to_char_boundary(&mut huge, PASTE_MAX_BYTES));
    }

    fn diagnosis_of(status: u16, body: &str) -> Diagnosis {
        diagnose(
            &Evidence::http(status, body),
            &DiagnosisContext::new(Timestamp::now()),
        )
    }

    #[test]
    fn a_quota_failure_passes_transport_and_auth_and_fails_at_quota() {
        let diagnosis = diagnosis_of(
            429,
            r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#,
        );
        assert_eq!(
            stage_states(&diagnosis),
            [
                StageState::Passed,
                StageState::Passed,
                StageState::Failed,
                StageState::NotReached,
                StageState::NotReached,
                StageState::NotReached,
            ]
        );
    }

    #[test]
    fn an_image_safety_block_fails_at_the_last_stage() {
        let diagnosis = diagnosis_of(
            200,
            r#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_SAFETY"}]}"#,
        );
        assert_eq!(diagnosis.layer, Layer::ImageFilter);
        let states = stage_states(&diagnosis);
        assert_eq!(states[5], StageState::Failed);
        assert!(states[..5].iter().all(|s| *s == StageState::Passed));
    }

    #[test]
    fn a_layer_outside_the_six_fails_none_of_them() {
        let diagnosis = diagnosis_of(
            200,
            r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#,
        );
        assert_eq!(diagnosis.layer, Layer::Policy);
        let states = stage_states(&diagnosis);
        assert!(!states.contains(&StageState::Failed));
        assert_eq!(states[3], StageState::Passed);
        assert_eq!(states[4], StageState::NotReached);
    }

    #[test]
    fn a_huge_paste_is_cut_on_a_character_boundary() {
        let text = format!("{}é", "x".repeat(PASTE_MAX_BYTES - 1));
        let diagnosis = explain_paste(&text, Timestamp::now());
        assert_eq!(diagnosis.kind, Kind::Unknown);
    }
}
