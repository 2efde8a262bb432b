//! The eframe app: owns the state, drains worker and media events in `logic`, draws in `ui`, and
//! turns UI intents into worker and media commands (never blocking: a full channel shows "busy").
//!
//! - [`PeelApp`] (this file): what the window holds, and how it is put together.
//! - `command_handling`: UI intents → worker and media commands; the engine's configuration.
//! - `media_events`: media and keychain events → the state, the editor and the textures.
//! - `eframe_app`: the [`eframe::App`] impl — drain events (`logic`), draw (`ui`), save.
//! - `saved`: what is kept between runs in eframe's storage (editor, settings, tab).
//! - [`run`]: opens the window on a [`Session`](crate::session::Session) (runtime, store,
//!   engine, simulator), with the worker and the media service.
//! - [`media`]: files, thumbnails, dialogs, clipboard and keychain, off the UI thread.
//! - [`keychain`]: the API key in the OS keychain.
//! - [`frame_stats`]: frame CPU times and peak memory with `PEEL_FRAME_STATS=1`, and the start-up
//!   hook `PEEL_EXIT_AFTER_FIRST_FRAME=1`.
//! - [`state`] is not an app module: it re-exports [`crate::view::state`] (what the window shows,
//!   and `apply(Event)`), which the UI draws.

mod command_handling;
mod eframe_app;
pub mod frame_stats;
pub mod keychain;
pub mod media;
mod media_events;
mod run;
mod saved;
pub use crate::view::state;
pub use run::{ICON_PNG, RunError, run};

use crate::api::{ApiKey, ClientConfig};
use crate::resilience::{Budget, TierLimits};
use crate::sim::{self, Scenario};
use crate::ui::{Editor, KeyView, Settings, Textures, UiState};
use crate::worker::WorkerHandle;
use media::MediaHandle;

/// The window's app.
#[derive(Debug)]
pub struct PeelApp {
    state: state::AppState,
    editor: Editor,
    ui_state: UiState,
    textures: Textures,
    settings: Settings,
    key: KeyView,
    /// The key in use (never persisted, never shown).
    api_key: Option<ApiKey>,
    worker: WorkerHandle,
    media: Option<MediaHandle>,
    /// The in-process simulator; used whenever there is no key. Lives as long as the window.
    simulator: Option<sim::RunningSim>,
    /// The tokio runtime the worker runs on; lives as long as the window.
    runtime: Option<tokio::runtime::Runtime>,
    /// Frame times, when `PEEL_FRAME_STATS=1` (printed when the window closes).
    frame_stats: frame_stats::FrameStats,
    /// Recent warnings and errors from the log (in memory), copied into the state each frame.
    log_ring: Option<crate::logging::LogRing>,
    /// The designer chose "Quit anyway": the next close is not stopped.
    quit_anyway: bool,
    /// Close the window at the end of this frame ("Quit anyway" was pressed).
    close_asked: bool,
    /// The client last sent to the engine: a Configure carries a client only when the key or
    /// the endpoint changed it, so a new tier or budget never rebuilds the HTTP client nor asks
    /// for Google's model list again.
    sent_client: Option<ClientConfig>,
    /// The tier and budgets last sent to the engine (a Configure that changes nothing is not
    /// sent).
    sent_limits: Option<(TierLimits, Budget)>,
}

impl PeelApp {
    /// An app talking to `worker`; `simulated` names the simulator scenario when there is no key.
    pub fn with_worker(worker: WorkerHandle, simulated: Option<Scenario>) -> Self {
        Self {
            state: state::AppState {
                simulated_scenario: simulated.map(|s| s.name().to_owned()),
                ..state::AppState::default()
            },
            editor: Editor::default(),
            ui_state: UiState::default(),
            textures: Textures::default(),
            settings: Settings::default(),
            key: KeyView::default(),
            api_key: None,
            worker,
            media: None,
            simulator: None,
            runtime: None,
            frame_stats: frame_stats::FrameStats::default(),
            log_ring: None,
            quit_anyway: false,
            close_asked: false,
            sent_client: None,
            sent_limits: None,
        }
    }

    /// Shows the log's recent warnings and errors (the status line and the Log view); `folder`
    /// is where the log files are.
    pub fn with_log(
        mut self,
        ring: crate::logging::LogRing,
        folder: Option<std::path::PathBuf>,
    ) -> Self {
        self.state.log.folder = folder;
        self.log_ring = Some(ring);
        self
    }

    /// Adds the media service (thumbnails, dialogs, clipboard, keychain).
    pub fn with_media(mut self, media: MediaHandle) -> Self {
        self.media = Some(media);
        self
    }

    /// Adds the in-process simulator (used while there is no key; its scenario can be picked).
    pub fn with_simulator(mut self, simulator: sim::RunningSim) -> Self {
        if self.api_key.is_none() {
            self.state.simulated_scenario = Some(simulator.state().scenario().name().to_owned());
        }
        self.simulator = Some(simulator);
        self
    }

    /// The state (for tests).
    pub fn state(&self) -> &state::AppState {
        &self.state
    }

    /// The editor (for tests).
    pub fn editor(&self) -> &Editor {
        &self.editor
    }

    /// Thumbnails on the GPU now (for tests of freeing).
    pub fn thumbnail_count(&self) -> usize {
        self.textures.thumbnails.len()
    }

    /// The comparison open, if any (for tests: what each column drew).
    pub fn compare(&self) -> Option<&crate::ui::compare::CompareView> {
        self.ui_state.compare.open.as_ref()
    }
}
