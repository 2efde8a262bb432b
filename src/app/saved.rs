//! What the window keeps between runs in eframe's storage: the editor, the settings, the tab,
//! the gallery's layout (grid or list), the list's order, whether the boards sidebar shows, and
//! whether the first-run panel was dismissed.
//! The API key is never among them (it lives in the keychain).

use super::PeelApp;
use crate::api::endpoint::{EndpointError, check_field};
use crate::ui::Settings;
use crate::ui::first_run::FirstRun;

/// eframe storage keys.
const EDITOR_KEY: &str = "peel.editor";
const SETTINGS_KEY: &str = "peel.settings";
const TAB_KEY: &str = "peel.tab";
const LAYOUT_KEY: &str = "peel.gallery_layout";
const SORT_KEY: &str = "peel.list_sort";
const FIRST_RUN_KEY: &str = "peel.first_run_dismissed";
const BOARDS_OPEN_KEY: &str = "peel.boards_open";

impl PeelApp {
    /// Restores what an earlier run saved (an editor from an older Peel is upgraded and fitted to
    /// its model). A window restored from storage offers the first-run panel unless an earlier
    /// run saved its dismissal; the window's start-up calls this, and so do tests of what is kept.
    pub fn restore_saved(&mut self, storage: &dyn eframe::Storage) {
        self.editor = eframe::get_value(storage, EDITOR_KEY).unwrap_or_default();
        self.editor.upgrade_fallback();
        self.editor.fit_to_model();
        self.use_saved_settings(eframe::get_value(storage, SETTINGS_KEY).unwrap_or_default());
        self.ui_state.tab = eframe::get_value(storage, TAB_KEY).unwrap_or_default();
        self.ui_state.gallery.layout = eframe::get_value(storage, LAYOUT_KEY).unwrap_or_default();
        self.ui_state.gallery.sort = eframe::get_value(storage, SORT_KEY).unwrap_or_default();
        self.ui_state.first_run =
            FirstRun::from_saved(eframe::get_value(storage, FIRST_RUN_KEY).unwrap_or(false));
        self.ui_state.gallery.boards_open =
            eframe::get_value(storage, BOARDS_OPEN_KEY).unwrap_or_default();
    }

    /// Takes settings saved by an earlier run. A saved endpoint the check refuses (saved before
    /// Peel checked it, perhaps a pasted key) is cleared, so it is neither used nor saved again, and
    /// the window says why.
    pub fn use_saved_settings(&mut self, settings: Settings) {
        self.settings = settings;
        if let Err(error) = check_field(&self.settings.endpoint) {
            self.settings.endpoint.clear();
            let why = match error {
                EndpointError::LooksLikeKey => {
                    "it looked like an API key. Paste keys into the API key field.".to_owned()
                }
                other => other.to_string(),
            };
            self.state.notice = Some(format!(
                "The saved endpoint was cleared, so Peel uses Google's API: {why}"
            ));
        }
    }

    /// Saves what the next run restores.
    pub(super) fn save_to(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, EDITOR_KEY, &self.editor);
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        eframe::set_value(storage, TAB_KEY, &self.ui_state.tab);
        eframe::set_value(storage, LAYOUT_KEY, &self.ui_state.gallery.layout);
        eframe::set_value(storage, SORT_KEY, &self.ui_state.gallery.sort);
        eframe::set_value(storage, FIRST_RUN_KEY, &self.ui_state.first_run.dismissed());
        eframe::set_value(storage, BOARDS_OPEN_KEY, &self.ui_state.gallery.boards_open);
    }
}
