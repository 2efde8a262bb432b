//! Settings: the API key (from the environment or the OS keychain, shown masked, never written to
//! a plain file), the endpoint, the tier's limits, budgets and the theme. Everything but the key
//! persists with eframe's storage. The theme applies at once. A limit or a budget is applied to
//! the engine when its field is let go of (the end of a drag, Enter, or leaving the field), not
//! on every frame of a drag. The endpoint is typed into an [`EndpointDraft`] and applied only
//! when committed (Enter or leaving the field) and valid ([`check_field`]), so a running job
//! never sends the key to a half-typed host and a key pasted into the field by mistake is
//! refused, never applied nor saved. Without a key, the key's section shows the first-run guide
//! ([`super::first_run`]): the simulator, getting a key, billing, where the key is kept.

use serde::{Deserialize, Serialize};

use super::{Intent, UiState};
use crate::api::ApiKey;
use crate::api::endpoint::{EndpointError, check_field};
use crate::resilience::{Budget, TierLimits};

/// The look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl ThemeChoice {
    /// egui's preference.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// Settings kept between runs (never the key).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The tier's limits (Peel stays under them).
    pub tier: TierLimits,
    /// Budgets per job and per day.
    pub budget: Budget,
    /// The API base URL, as applied (checked by [`check_field`]); empty for Google's.
    pub endpoint: String,
    /// The look.
    pub theme: ThemeChoice,
}

/// The endpoint field while it is being typed in (UI state, never persisted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointDraft {
    /// The field's text while it differs from the applied endpoint; `None` shows the applied one.
    pub text: Option<String>,
    /// Why the last committed text was refused, in a sentence.
    pub error: Option<String>,
    /// Whether the field had the keyboard focus (the next frame without it commits the text).
    pub editing: bool,
}

/// Commits the typed endpoint: applied to `settings` when [`check_field`] accepts it, else the
/// reason is kept in `draft` for the field to show. A value that looks like a key is dropped from
/// the field too (the applied endpoint shows again). Returns whether the endpoint changed.
pub fn commit_endpoint(settings: &mut Settings, draft: &mut EndpointDraft) -> bool {
    let typed = draft.text.take().unwrap_or_default();
    match check_field(&typed) {
        Ok(endpoint) => {
            draft.error = None;
            let changed = settings.endpoint != endpoint;
            settings.endpoint = endpoint;
            changed
        }
        Err(error) => {
            if error != EndpointError::LooksLikeKey {
                draft.text = Some(typed);
            }
            draft.error = Some(error.to_string());
            false
        }
    }
}

/// Where the key in use comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeySource {
    /// No key: the simulator.
    #[default]
    None,
    /// Still asking the keychain.
    Checking,
    /// An environment variable (named).
    Environment(&'static str),
    /// The OS keychain.
    Keychain,
    /// Typed in this session; no keychain could keep it.
    SessionOnly,
}

/// The key as the Settings tab shows it (masked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyView {
    /// Where it comes from.
    pub source: KeySource,
    /// "AIza…1234".
    pub masked: Option<String>,
    /// The last keychain message (a failure, or "stored").
    pub message: Option<String>,
}

impl KeyView {
    /// One sentence about the key in use.
    pub fn describe(&self) -> String {
        let masked = self.masked.as_deref().unwrap_or("••••");
        match &self.source {
            KeySource::None => {
                "No API key: Peel uses its built-in simulator (images are simulated, nothing is billed)."
                    .to_owned()
            }
            KeySource::Checking => "Looking for a key in the system keychain…".to_owned(),
            KeySource::Environment(name) => format!("Key {masked} from the environment ({name})."),
            KeySource::Keychain => format!("Key {masked} from the system keychain."),
            KeySource::SessionOnly => {
                format!("Key {masked} for this session only (no keychain could keep it).")
            }
        }
    }
}

/// The key being typed in Settings. Wiped from memory when replaced or dropped, and its `Debug`
/// never shows it (so a `{:?}` of the UI state cannot print a half-typed key).
#[derive(Clone, Default)]
pub struct KeyDraft(zeroize::Zeroizing<String>);

impl KeyDraft {
    /// The text, for the password field to edit.
    pub fn text_mut(&mut self) -> &mut String {
        &mut self.0
    }

    /// Whether nothing but whitespace was typed.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// The typed key (`None` when blank); the draft is emptied and wiped.
    pub fn take(&mut self) -> Option<ApiKey> {
        let key = ApiKey::new(self.0.as_str());
        *self = KeyDraft::default();
        key
    }
}

impl std::fmt::Debug for KeyDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyDraft([REDACTED])")
    }
}

/// Draws the Settings tab.
pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    key: &KeyView,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        key_ui(ui, key, ui_state, intents);
        ui.separator();
        // Whether a field was let go of (or the endpoint committed): only then does the engine
        // get the settings (a new client, a tier, budgets), once, not on every frame of a drag.
        let mut apply = endpoint_ui(ui, settings, &mut ui_state.endpoint_draft);
        ui.separator();
        ui.heading("Tier limits");
        ui.weak("Copy these from AI Studio (Usage and limits); Peel stays under them.");
        let tier = &mut settings.tier;
        apply |= let_go(&number_ui(
            ui,
            "Requests per minute",
            &mut tier.requests_per_minute,
            1..=10_000,
        ));
        apply |= let_go(&number_ui(
            ui,
            "Images per minute",
            &mut tier.images_per_minute,
            1..=10_000,
        ));
        apply |= let_go(&number_ui(
            ui,
            "Requests per day",
            &mut tier.requests_per_day,
            1..=1_000_000,
        ));
        ui.separator();
        ui.heading("Budgets");
        let budget = &mut settings.budget;
        apply |= let_go(&number_ui(
            ui,
            "Attempts per job",
            &mut budget.max_attempts,
            1..=50,
        ));
        let mut wait_min = budget.max_total_wait_s / 60.0;
        let wait = decimal_ui(ui, "Waiting per job (minutes)", &mut wait_min, 0.0..=1440.0);
        if wait.changed() {
            // Written back only when changed: seconds to minutes and back need not round trip.
            budget.max_total_wait_s = wait_min * 60.0;
        }
        apply |= let_go(&wait);
        apply |= let_go(&decimal_ui(
            ui,
            "Spend per job (US$)",
            &mut budget.max_job_spend_usd,
            0.0..=100.0,
        ));
        apply |= let_go(&decimal_ui(
            ui,
            "Spend per day (US$)",
            &mut budget.max_daily_spend_usd,
            0.0..=1000.0,
        ));
        ui.separator();
        ui.heading("Theme");
        let theme = settings.theme;
        ui.horizontal(|ui| {
            ui.radio_value(&mut settings.theme, ThemeChoice::System, "System");
            ui.radio_value(&mut settings.theme, ThemeChoice::Light, "Light");
            ui.radio_value(&mut settings.theme, ThemeChoice::Dark, "Dark");
        });
        if settings.theme != theme {
            ui.ctx().set_theme(settings.theme.preference());
        }
        if apply {
            intents.push(Intent::Configure);
        }
    });
}

/// Whether a number field was let go of this frame, its value to be applied: the end of a drag,
/// Enter or leaving the field after typing, or a change that came neither from a drag nor from
/// typing (a screen reader's increment). A field being dragged or typed in is not let go of.
fn let_go(response: &egui::Response) -> bool {
    response.drag_stopped()
        || response.lost_focus()
        || (response.changed() && !response.dragged() && !response.has_focus())
}

/// The endpoint field: an edit buffer, applied on Enter or when the field loses focus. Returns
/// whether the applied endpoint changed.
fn endpoint_ui(ui: &mut egui::Ui, settings: &mut Settings, draft: &mut EndpointDraft) -> bool {
    ui.heading("API endpoint");
    let field = ui
        .horizontal(|ui| {
            let label = ui.label("Endpoint");
            let text = draft.text.get_or_insert_with(|| settings.endpoint.clone());
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text("https://generativelanguage.googleapis.com")
                    .desired_width(360.0),
            )
            .labelled_by(label.id)
        })
        .inner;
    let mut changed = false;
    if field.has_focus() {
        draft.editing = true;
    } else if draft.editing {
        // Enter or a click elsewhere took the focus: commit once (egui reports a lost focus for
        // two frames).
        draft.editing = false;
        changed = commit_endpoint(settings, draft);
    } else if draft.error.is_none() {
        // Not being edited: the field shows the applied endpoint.
        draft.text = None;
    }
    if let Some(error) = &draft.error {
        ui.add(
            egui::Label::new(egui::RichText::new(error).color(ui.visuals().error_fg_color)).wrap(),
        );
    }
    ui.weak(
        "Leave empty for Google's API; set it for a proxy or gateway (https://, or http:// on this \
         computer only). Applied when you press Enter or leave the field; used with a key.",
    );
    changed
}

fn key_ui(ui: &mut egui::Ui, key: &KeyView, ui_state: &mut UiState, intents: &mut Vec<Intent>) {
    ui.heading("API key");
    ui.label(key.describe());
    if key.source == KeySource::None {
        // The first-run panel's words, for as long as no key is set.
        super::first_run::guide_ui(ui, &super::first_run::Guide::here());
    }
    if let Some(message) = &key.message {
        ui.add(egui::Label::new(message.as_str()).wrap());
    }
    let from_environment = matches!(key.source, KeySource::Environment(_));
    if from_environment {
        ui.weak("Unset the environment variable to manage the key here.");
        return;
    }
    ui.horizontal(|ui| {
        let label = ui.label("New API key");
        ui.add(
            egui::TextEdit::singleline(ui_state.key_draft.text_mut())
                .password(true)
                .hint_text("AIza…")
                .desired_width(300.0),
        )
        .labelled_by(label.id);
    });
    ui.horizontal(|ui| {
        let ready = !ui_state.key_draft.is_blank();
        if ui
            .add_enabled(ready, egui::Button::new("Save key to keychain"))
            .clicked()
            && let Some(key) = ui_state.key_draft.take()
        {
            intents.push(Intent::SaveKey(key));
        }
        let stored = matches!(key.source, KeySource::Keychain | KeySource::SessionOnly);
        if ui
            .add_enabled(stored, egui::Button::new("Forget key"))
            .clicked()
        {
            intents.push(Intent::ForgetKey);
        }
    });
}

/// A whole-number field labelled `name` (see [`let_go`] for when its value is applied).
fn number_ui(
    ui: &mut egui::Ui,
    name: &str,
    value: &mut u32,
    range: std::ops::RangeInclusive<u32>,
) -> egui::Response {
    ui.horizontal(|ui| {
        let label = ui.label(name);
        ui.add(egui::DragValue::new(value).range(range))
            .labelled_by(label.id)
    })
    .inner
}

/// A decimal field labelled `name` (see [`let_go`] for when its value is applied).
fn decimal_ui(
    ui: &mut egui::Ui,
    name: &str,
    value: &mut f64,
    range: std::ops::RangeInclusive<f64>,
) -> egui::Response {
    ui.horizontal(|ui| {
        let label = ui.label(name);
        ui.add(
            egui::DragValue::new(value)
                .range(range)
                .speed(0.1)
                .max_decimals(2),
        )
        .labelled_by(label.id)
    })
    .inner
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AIzaSyFakeKeyForDebugTests0123456789abc";

    #[test]
    fn a_typed_key_never_shows_in_debug_output() {
        let mut state = UiState::default();
        state.key_draft.text_mut().push_str(KEY);
        assert!(!format!("{state:?}").contains(KEY));
        assert!(!format!("{state:#?}").contains("0123456789"));
        assert!(!state.key_draft.is_blank());
        let key = state.key_draft.take().unwrap();
        assert!(
            state.key_draft.is_blank(),
            "taking the key empties the draft"
        );
        let intent = Intent::SaveKey(key);
        assert!(!format!("{intent:?}").contains(KEY));
        assert!(!format!("{intent:#?}").contains("0123456789"));
    }
}
