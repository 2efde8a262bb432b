//! All egui code. Each panel is a `*_ui` function that draws state and pushes [`Intent`]s; the app
//! turns intents into worker and media commands. Labels are stable: tests find controls by them.
//!
//! - [`editor`]: the prompt editor (Ctrl+Enter generates), models, sizes, references, safety, cost.
//! - [`editor_state`]: the editor's state: fitting it to the model, the spec it sends, the cost.
//! - [`preflight`]: marks in the prompt while typing, the verdict line, replacements with undo.
//! - [`prompt_library`]: Save to library…, and the Ctrl+L list that inserts a saved prompt,
//!   fragment or the rewrite assistant's style at the cursor ([`prompt_cursor`]); the save
//!   dialog is [`prompt_save`].
//! - [`gallery`]: jobs and images as a grid, newest first, only visible rows drawn; keyboard.
//! - [`gallery_filter`]: the gallery's search, filters and thumbnail size.
//! - [`job_list`]: the gallery as a sortable table (`egui_extras`), only visible rows drawn.
//! - [`boards`]: the boards sidebar ("All", "Starred", each board, with counts), drag onto a
//!   board, and "Delete the unstarred in this view…".
//! - [`stars`]: the star on each tile and list row, and S to star the selected job(s).
//! - [`gallery_select`]: picking several jobs (Ctrl/Shift+click, Ctrl+A) to save or export them.
//! - [`progress`]: a job's status line: elapsed beside typical time, countdowns, endings.
//! - [`thinking`]: a request on its way: thoughts as they arrive, the interim image marked as
//!   not final in the tile and the large view.
//! - [`why`]: the why-panel for the selected job, its actions, and "Paste an error".
//! - [`rewrite`]: suggested rewrites for a content block, as a word diff, with Apply.
//! - [`activity`]: jobs in flight, breakers, rate-limit use, spend, outcomes plot and warnings.
//! - [`settings`]: key, endpoint, tier limits, budgets, theme.
//! - [`first_run`]: the welcome for a designer without a key (the simulator, getting a key,
//!   billing and a day's cost, where the key is kept), once, and in Settings.
//! - [`shortcuts`]: keyboard shortcuts and their names on each platform (Cmd on macOS, Ctrl
//!   elsewhere).
//! - [`viewer`]: the large view with zoom and pan.
//! - [`compare`]: two to four jobs side by side, zoomed and panned together, prompts diffed.
//! - [`try_rewrites`]: "Try these rewrites…" for a blocked job: the cost first, then Compare.
//! - [`log`]: the status line with the newest warning or error, and the Log view.
//! - [`quit_warning`]: "quit and lose what is not saved?" while the disk refuses an image or prompt.
//! - [`theme`]: colours and sizes.

pub mod activity;
pub mod boards;
pub mod compare;
pub mod editor;
pub mod editor_state;
pub mod first_run;
pub mod gallery;
pub mod gallery_filter;
pub mod gallery_select;
pub mod job_list;
pub mod log;
pub mod preflight;
pub mod progress;
pub mod prompt_cursor;
pub mod prompt_library;
pub mod prompt_save;
pub mod quit_warning;
pub mod rewrite;
pub mod settings;
pub mod shortcuts;
pub mod stars;
pub mod theme;
pub mod thinking;
pub mod try_rewrites;
pub mod viewer;
pub mod why;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::sim::Scenario;
use crate::view::media::MediaRequest;
use crate::view::state::AppState;
use crate::worker::{Command, JobId};

pub use editor::Editor;
pub use settings::{KeyView, Settings};

/// What the designer asked for in this frame.
#[derive(Clone, Debug)]
pub enum Intent {
    /// Work for the worker, sent as is (generate, cancel, retry now, edit, delete).
    Worker(Command),
    /// Explain this job in the why-panel.
    Select(JobId),
    /// Put a job's settings back into the editor.
    Restore(JobId),
    /// Work for the media service (thumbnails, dialogs, clipboard, keychain).
    Media(MediaRequest),
    /// Settings changed: apply them to the engine.
    Configure,
    /// Play another simulator scenario.
    SetScenario(Scenario),
    /// Store this key in the keychain and use it.
    SaveKey(crate::api::ApiKey),
    /// Forget the stored key (back to the simulator unless one is in the environment).
    ForgetKey,
    /// Hide the notice.
    DismissNotice,
    /// The designer has seen the log's lines (the status line hides until a newer one).
    LogSeen,
    /// Close the "quit and lose what is not saved?" warning and keep working.
    KeepOpen,
    /// Send nothing new, wait for the requests in flight to come back, then quit.
    WaitThenQuit,
    /// Quit although something is not saved or requests are in flight (the warning said what
    /// is lost and what will probably be billed).
    QuitAnyway,
    /// Put a rewritten prompt into the editor (with the blocked job's settings), and maybe
    /// generate it at once.
    ApplyRewrite {
        /// The blocked job.
        job: JobId,
        /// The rewritten prompt.
        prompt: String,
        /// Whether to generate right away.
        generate: bool,
    },
}

/// The main area's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// Images and jobs.
    #[default]
    Gallery,
    /// Jobs in flight, breakers, limits, spend, plot.
    Activity,
    /// Key, endpoint, limits, budgets, theme.
    Settings,
    /// Recent warnings and errors (opened from the status line).
    Log,
}

/// The large view's state.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewerState {
    /// The image shown.
    pub path: PathBuf,
    /// The visible part of the scene (zoom and pan), in the picture's own pixels.
    pub scene_rect: egui::Rect,
    /// Whether the full-size decode was asked for (after zooming in past the screen's size).
    pub full_size_asked: bool,
    /// The job whose interim image this is (marked as not final; the view follows the job to
    /// its newer interim images and its final one).
    pub interim_of: Option<crate::worker::JobId>,
}

/// UI-only state that is not the worker's (tabs, boxes being typed in, dialogs).
#[derive(Clone, Debug, Default)]
pub struct UiState {
    /// The tab shown.
    pub tab: Tab,
    /// Text in the "Paste an error" box.
    pub paste_text: String,
    /// Its diagnosis, once "Explain" was pressed (cleared when the text changes).
    pub paste_result: Option<crate::diagnosis::Diagnosis>,
    /// Whether a paste was cut to `why::PASTE_MAX_BYTES` (the box says so until it is emptied).
    pub paste_cut: bool,
    /// The instruction typed for an edit of the selected image.
    pub edit_prompt: String,
    /// The job waiting for delete confirmation.
    pub confirm_delete: Option<JobId>,
    /// The large view, when open.
    pub viewer: Option<ViewerState>,
    /// The key being typed in Settings (never persisted).
    pub key_draft: settings::KeyDraft,
    /// The endpoint being typed in Settings (applied when committed; never persisted).
    pub endpoint_draft: settings::EndpointDraft,
    /// The rewrite assistant's state for the selected job.
    pub rewrite: Option<rewrite::RewriteState>,
    /// The gallery's thumbnail size, search and filters.
    pub gallery: gallery_filter::GalleryState,
    /// Compare, when open, and the "Try these rewrites" confirmation.
    pub compare: compare::CompareUi,
    /// Whether the first-run panel is offered (kept between runs once dismissed).
    pub first_run: first_run::FirstRun,
    /// The boards sidebar's fields and dialogs.
    pub boards: boards::BoardsUiState,
}

/// Textures on the GPU: gallery thumbnails (dropped when scrolled away) and the large view.
#[derive(Default)]
pub struct Textures {
    /// Thumbnails by image path.
    pub thumbnails: HashMap<PathBuf, egui::TextureHandle>,
    /// Thumbnails asked of the media service and not yet back.
    pub requested: HashSet<PathBuf>,
    /// Thumbnails drawn this frame (the others are freed at the end of it).
    pub used: HashSet<PathBuf>,
    /// Images that could not be read (missing or damaged), with the reason.
    pub unreadable: HashMap<PathBuf, String>,
    /// The large view's image.
    pub full: Option<FullImage>,
    /// Compare's images.
    pub compare: compare::CompareTextures,
}

/// The large view's image: a texture (maybe shrunk to the screen) and the picture's own size.
#[derive(Clone)]
pub struct FullImage {
    /// The file it shows.
    pub path: PathBuf,
    /// The pixels as decoded.
    pub texture: egui::TextureHandle,
    /// The picture's own size in pixels (the scene lays it out at this size).
    pub original_size: [u32; 2],
}

impl std::fmt::Debug for Textures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Textures")
            .field("thumbnails", &self.thumbnails.len())
            .field("requested", &self.requested.len())
            .finish_non_exhaustive()
    }
}

impl Textures {
    /// Frees the thumbnails not drawn this frame; returns how many.
    pub fn free_unused(&mut self) -> usize {
        let before = self.thumbnails.len();
        let used = std::mem::take(&mut self.used);
        self.thumbnails.retain(|path, _| used.contains(path));
        before - self.thumbnails.len()
    }
}

/// Everything the window draws with, besides the worker's state.
#[derive(Debug)]
pub struct View<'a> {
    /// The editor.
    pub editor: &'a mut Editor,
    /// UI-only state.
    pub ui_state: &'a mut UiState,
    /// Textures.
    pub textures: &'a mut Textures,
    /// Settings.
    pub settings: &'a mut Settings,
    /// The key, as shown.
    pub key: &'a KeyView,
}

/// The whole window.
pub fn root_ui(ui: &mut egui::Ui, state: &AppState, view: View<'_>, intents: &mut Vec<Intent>) {
    let View {
        editor,
        ui_state,
        textures,
        settings,
        key,
    } = view;
    compare::escape_closes_compare(ui, ui_state);
    egui::Panel::top("top_bar").show(ui, |ui| {
        top_bar_ui(ui, state, ui_state, intents);
    });
    log::status_line_ui(ui, state, ui_state, intents);
    egui::Panel::left("editor")
        .default_size(theme::EDITOR_WIDTH)
        .show(ui, |ui| {
            editor
                .preflight
                .use_memory(&state.name_memory, state.name_memory_version);
            editor::editor_ui(
                ui,
                editor,
                state.simulated_scenario.is_some(),
                &state.unlisted_models,
                intents,
            );
        });
    egui::Panel::right("why")
        .default_size(theme::WHY_WIDTH)
        .show(ui, |ui| {
            why::why_panel_ui(ui, state, ui_state, intents);
        });
    egui::CentralPanel::default().show(ui, |ui| match ui_state.tab {
        Tab::Gallery => {
            boards::boards_panel_ui(ui, state, ui_state, intents);
            gallery::gallery_ui(ui, state, textures, ui_state, intents);
        }
        Tab::Activity => activity::activity_ui(ui, state, settings, intents),
        Tab::Settings => settings::settings_ui(ui, settings, key, ui_state, intents),
        Tab::Log => log::log_ui(ui, &state.log, intents),
    });
    thinking::follow_interim(ui.ctx(), state, ui_state, intents);
    viewer::viewer_ui(ui.ctx(), ui_state, textures, intents);
    compare::compare_ui(ui.ctx(), state, ui_state, textures, intents);
    gallery::confirm_delete_ui(ui.ctx(), state, ui_state, intents);
    quit_warning::quit_warning_ui(ui.ctx(), state, intents);
    prompt_library::library_ui(ui.ctx(), state, editor, intents);
    first_run::first_run_ui(ui.ctx(), key, ui_state);
}

fn top_bar_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.heading("Peel");
        ui.selectable_value(&mut ui_state.tab, Tab::Gallery, "Gallery");
        ui.selectable_value(&mut ui_state.tab, Tab::Activity, "Activity");
        ui.selectable_value(&mut ui_state.tab, Tab::Settings, "Settings");
        ui.separator();
        if let Some(scenario) = &state.simulated_scenario {
            egui::Frame::new()
                .fill(theme::SIMULATOR_BANNER)
                .inner_margin(4.0)
                .show(ui, |ui| {
                    ui.colored_label(
                        theme::SIMULATOR_TEXT,
                        format!("Simulated images: no API key set (simulator scenario {scenario})"),
                    );
                });
            let label = ui.label("Simulator scenario");
            let mut chosen = Scenario::ALL
                .iter()
                .copied()
                .find(|s| s.name() == scenario.as_str());
            egui::ComboBox::from_id_salt("scenario")
                .selected_text(scenario.clone())
                .show_ui(ui, |ui| {
                    for option in Scenario::ALL {
                        ui.selectable_value(&mut chosen, Some(option), option.name())
                            .on_hover_text(option.description());
                    }
                })
                .response
                .labelled_by(label.id);
            if let Some(chosen) = chosen
                && chosen.name() != scenario.as_str()
            {
                intents.push(Intent::SetScenario(chosen));
            }
        }
    });
    if let Some(notice) = &state.notice {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(theme::WAITING, notice);
            if ui.small_button("Dismiss").clicked() {
                intents.push(Intent::DismissNotice);
            }
        });
    }
}
