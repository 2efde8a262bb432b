//! The eframe app: owns the state, drains worker and media events in `logic`, draws in `ui`, and
//! turns UI intents into worker and media commands (never blocking: a full channel shows "busy").
//!
//! - [`state`]: what the window shows, and `apply(Event)`.
//! - [`media`]: files, thumbnails, dialogs, clipboard and keychain, off the UI thread.
//! - [`keychain`]: the API key in the OS keychain.
//! - [`frame_stats`]: frame CPU times and peak memory with `PEEL_FRAME_STATS=1`, and the start-up
//!   hook `PEEL_EXIT_AFTER_FIRST_FRAME=1`.
//! - [`run`]: opens the window on a [`Session`] (runtime, store, engine, simulator), with the
//!   worker and the media service.

pub mod frame_stats;
pub mod keychain;
pub mod media;
pub use crate::view::state;

use std::sync::Arc;

use tokio::sync::mpsc::error::TrySendError;

use crate::api::catalog::Catalog;
use crate::api::endpoint::{EndpointError, check_field};
use crate::api::{ApiKey, ClientConfig};
use crate::resilience::{Budget, TierLimits};
use crate::session::{self, Session, SessionError, SessionOptions, SimulatorUse};
use crate::sim::{self, SIM_API_KEY, Scenario};
use crate::ui::editor::{EditorReference, ShrinkOffer};
use crate::ui::settings::KeySource;
use crate::ui::{self, Editor, Intent, KeyView, Settings, Textures, UiState, View};
use crate::view::media::ImageSettings;
use crate::worker::{self, Command, EngineSettings, Event, WorkerHandle};
use media::{KeychainEvent, KeychainRequest, MediaEvent, MediaHandle, MediaRequest};

/// eframe storage keys.
const EDITOR_KEY: &str = "peel.editor";
const SETTINGS_KEY: &str = "peel.settings";
const TAB_KEY: &str = "peel.tab";

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

    /// The key as shown (for tests).
    pub fn key_view(&self) -> &KeyView {
        &self.key
    }

    /// Thumbnails on the GPU now (for tests of freeing).
    pub fn thumbnail_count(&self) -> usize {
        self.textures.thumbnails.len()
    }

    /// The base URL of the in-process simulator, when Peel runs on it.
    pub fn simulator_url(&self) -> Option<String> {
        self.simulator.as_ref().map(sim::RunningSim::base_url)
    }

    /// Whether the app owns its runtime (it does when opened by [`run`]).
    pub fn owns_runtime(&self) -> bool {
        self.runtime.is_some()
    }

    /// Sends `command` to the worker without waiting; a full or closed channel is said in the
    /// notice.
    fn command(&mut self, command: Command) {
        self.send_command(command);
    }

    /// [`Self::command`], returning whether it was sent.
    fn send_command(&mut self, command: Command) -> bool {
        match self.worker.commands.try_send(command) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.state.notice = Some("Peel is busy; try again in a moment.".to_owned());
                false
            }
            Err(TrySendError::Closed(_)) => {
                self.state.notice =
                    Some("Peel's worker stopped; restart Peel (queued jobs are kept).".to_owned());
                false
            }
        }
    }

    fn media(&mut self, request: MediaRequest) {
        let Some(media) = &self.media else {
            self.state.notice =
                Some("Files and the clipboard are not available in this window.".to_owned());
            return;
        };
        match media.requests.try_send(request) {
            Ok(()) => {}
            Err(TrySendError::Full(request)) => {
                // Thumbnails are asked again when their row is drawn; anything else is news.
                if !matches!(request, MediaRequest::Thumbnail { .. }) {
                    self.state.notice = Some("Peel is busy; try again in a moment.".to_owned());
                }
                if let MediaRequest::Thumbnail { path, .. } = request {
                    self.textures.requested.remove(&path);
                }
            }
            Err(TrySendError::Closed(_)) => {
                self.state.notice = Some("Peel's file service stopped; restart Peel.".to_owned());
            }
        }
    }

    /// The client the engine should use now: Google (or the endpoint) with the key, else the
    /// simulator.
    fn client_config(&self) -> Option<ClientConfig> {
        match &self.api_key {
            Some(key) => {
                let defaults = ClientConfig::default();
                let endpoint = self.settings.endpoint.trim();
                Some(ClientConfig {
                    base_url: if endpoint.is_empty() {
                        defaults.base_url.clone()
                    } else {
                        endpoint.trim_end_matches('/').to_owned()
                    },
                    api_key: Some(key.clone()),
                    ..defaults
                })
            }
            None => self.simulator.as_ref().map(|sim| ClientConfig {
                base_url: sim.base_url(),
                api_key: ApiKey::new(SIM_API_KEY),
                ..ClientConfig::default()
            }),
        }
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

    /// Sends the engine what changed since the last Configure: the client only when the key or
    /// the endpoint changed it (a new client is a new HTTP client and a models.list refresh),
    /// the tier and budgets always with it. Nothing is sent when nothing changed.
    fn configure(&mut self) {
        self.state.simulated_scenario = match (&self.api_key, &self.simulator) {
            (None, Some(sim)) => Some(sim.state().scenario().name().to_owned()),
            _ => None,
        };
        let client = self.client_config();
        let new_client = client != self.sent_client;
        let limits = (self.settings.tier, self.settings.budget);
        if !new_client && self.sent_limits == Some(limits) {
            return;
        }
        let settings = EngineSettings {
            client: client.clone().filter(|_| new_client),
            tier: limits.0,
            budget: limits.1,
        };
        if self.send_command(Command::Configure(Box::new(settings))) {
            self.sent_client = client;
            self.sent_limits = Some(limits);
        }
    }

    fn use_key(&mut self, key: Option<ApiKey>, source: KeySource) {
        self.key.masked = key.as_ref().map(ApiKey::masked);
        self.key.source = if key.is_some() {
            source
        } else {
            KeySource::None
        };
        self.api_key = key;
        self.configure();
    }

    fn handle(&mut self, intents: Vec<Intent>) {
        for intent in intents {
            match intent {
                Intent::Worker(command) => self.command(command),
                Intent::Select(job) => self.state.selected = Some(job),
                Intent::Restore(job) => {
                    if let Some(view) = self.state.job(job) {
                        let spec = view.spec.clone();
                        self.editor.restore(&spec);
                    }
                }
                Intent::Media(request) => self.media(request),
                Intent::Configure => self.configure(),
                Intent::SetScenario(scenario) => {
                    if let Some(sim) = &self.simulator {
                        sim.state().set_scenario(scenario);
                    }
                    if self.api_key.is_none() {
                        self.state.simulated_scenario = Some(scenario.name().to_owned());
                    }
                }
                Intent::SaveKey(key) => {
                    self.key.message = Some("Saving the key in the system keychain…".to_owned());
                    self.use_key(Some(key.clone()), KeySource::SessionOnly);
                    self.media(MediaRequest::Keychain(KeychainRequest::Store(key)));
                }
                Intent::ForgetKey => {
                    self.use_key(None, KeySource::None);
                    self.media(MediaRequest::Keychain(KeychainRequest::Forget));
                }
                Intent::DismissNotice => self.state.notice = None,
                Intent::LogSeen => self.state.log.mark_seen(),
                Intent::KeepOpen => self.state.quit_warning = false,
                Intent::WaitThenQuit => {
                    self.command(Command::StopSending);
                    self.state.waiting_to_quit = true;
                }
                Intent::QuitAnyway => {
                    if self.state.in_flight() > 0 {
                        self.command(Command::QuitAnyway);
                    }
                    self.state.quit_warning = false;
                    self.quit_anyway = true;
                    self.close_asked = true;
                }
                Intent::ApplyRewrite {
                    job,
                    prompt,
                    generate,
                } => {
                    if let Some(view) = self.state.job(job) {
                        let spec = view.spec.clone();
                        self.editor.restore(&spec);
                    }
                    self.editor.prompt = prompt.trim().to_owned();
                    if generate && !self.editor.prompt.is_empty() {
                        let spec = crate::worker::JobSpec {
                            rewrite_of: Some(job),
                            ..self.editor.spec()
                        };
                        self.command(Command::Generate(spec));
                    }
                }
            }
        }
    }

    fn apply_media(&mut self, ctx: &egui::Context, event: MediaEvent) {
        match event {
            MediaEvent::Thumbnail { path, image } => {
                self.textures.requested.remove(&path);
                let texture = ctx.load_texture(
                    format!("thumb:{}", path.display()),
                    image,
                    egui::TextureOptions::LINEAR,
                );
                self.textures.thumbnails.insert(path, texture);
            }
            MediaEvent::FullImage {
                path,
                image,
                original_size,
            } => {
                let texture = ctx.load_texture(
                    format!("full:{}", path.display()),
                    image,
                    egui::TextureOptions::LINEAR,
                );
                self.textures.full = Some(ui::FullImage {
                    path,
                    texture,
                    original_size,
                });
            }
            MediaEvent::ReferenceLoaded(loaded) => {
                let limit = self.editor.reference_limit();
                if self.editor.references.len() >= limit {
                    self.state.notice = Some(format!(
                        "{} was not added: {} takes at most {limit} reference images. Remove one first.",
                        loaded.name, self.editor.model
                    ));
                    return;
                }
                let texture = ctx.load_texture(
                    format!("reference:{}", self.editor.references.len()),
                    loaded.thumbnail,
                    egui::TextureOptions::LINEAR,
                );
                self.editor.references.push(EditorReference {
                    name: loaded.name,
                    reference: loaded.reference,
                    texture: Some(texture),
                });
            }
            MediaEvent::ReferenceTooLarge { path, message } => {
                self.editor
                    .shrink_offers
                    .push(ShrinkOffer { path, message });
            }
            MediaEvent::SettingsFound { name, settings } => self.restore_settings(&name, settings),
            MediaEvent::Saved { to } => {
                self.state.notice = Some(format!("Saved to {}", to.display()));
            }
            MediaEvent::Copied => {
                self.state.notice = Some("Image copied to the clipboard.".to_owned());
            }
            MediaEvent::Deleted { .. } | MediaEvent::DialogCancelled => {}
            MediaEvent::Done { message } | MediaEvent::Failed { message } => {
                self.state.notice = Some(message);
            }
            MediaEvent::Unreadable { path, message } => {
                self.textures.requested.remove(&path);
                self.textures.unreadable.insert(path, message);
            }
            MediaEvent::Keychain(event) => self.apply_keychain(event),
        }
    }

    /// Puts a dropped image's prompt and settings back in the editor (its references stay).
    fn restore_settings(&mut self, name: &str, settings: ImageSettings) {
        let editor = &mut self.editor;
        editor.prompt = settings.prompt;
        if let Some(model) = settings
            .model
            .filter(|model| Catalog::builtin().get(model).is_some())
        {
            editor.model = model;
        }
        if let Some(ratio) = settings.aspect_ratio {
            editor.aspect_ratio = ratio;
        }
        editor.image_size = settings.image_size.unwrap_or_default();
        editor.thresholds = settings.thresholds.into_iter().collect();
        editor.fit_to_model();
        self.state.notice = Some(format!(
            "Restored the prompt and settings {name} was made with."
        ));
    }

    fn apply_keychain(&mut self, event: KeychainEvent) {
        match event {
            KeychainEvent::Loaded(result) => {
                if self.key.source != KeySource::Checking {
                    return; // a key arrived some other way meanwhile
                }
                match result {
                    Ok(Some(key)) => self.use_key(Some(key), KeySource::Keychain),
                    Ok(None) => self.key.source = KeySource::None,
                    Err(message) => {
                        self.key.source = KeySource::None;
                        self.key.message = Some(message);
                    }
                }
            }
            KeychainEvent::Stored(result) => match result {
                Ok(()) => {
                    if self.api_key.is_some() {
                        self.key.source = KeySource::Keychain;
                    }
                    self.key.message = Some("Key saved in the system keychain.".to_owned());
                }
                Err(message) => self.key.message = Some(message),
            },
            KeychainEvent::Forgotten(result) => {
                self.key.message = Some(match result {
                    Ok(()) => "Key removed from the system keychain.".to_owned(),
                    Err(message) => message,
                });
            }
        }
    }
}

impl eframe::App for PeelApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        while let Ok(event) = self.worker.events.try_recv() {
            if let Event::Deleted { job } = &event
                && let Some(path) = self.state.job(*job).and_then(|j| j.image_path.clone())
            {
                self.textures.thumbnails.remove(&path);
                if self
                    .ui_state
                    .viewer
                    .as_ref()
                    .is_some_and(|v| v.path == path)
                {
                    self.ui_state.viewer = None;
                }
            }
            self.state.apply(event);
        }
        let mut media_events = Vec::new();
        if let Some(media) = &mut self.media {
            while let Ok(event) = media.events.try_recv() {
                media_events.push(event);
            }
        }
        for event in media_events {
            self.apply_media(ctx, event);
        }
        if let Some((generation, lines)) = self
            .log_ring
            .as_ref()
            .and_then(|ring| ring.lines_since(self.state.log.generation))
        {
            self.state.log.update(generation, lines);
        }
        let dropped: Vec<_> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .filter(|path| !path.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.media(MediaRequest::LoadDropped { paths: dropped });
        }
        // Closing while the disk refuses an image or a prompt would lose it, or while requests
        // are in flight (paid for, their answers lost): ask first.
        if ctx.input(|input| input.viewport().close_requested())
            && self.state.quit_would_cost()
            && !self.quit_anyway
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.state.quit_warning = true;
        }
        // "Wait for them": quit once the last request in flight has come back (and its image
        // is on disk); what the disk refused meanwhile keeps the warning open.
        if self.state.waiting_to_quit && self.state.in_flight() == 0 {
            self.state.waiting_to_quit = false;
            if self.state.unsaved.any() {
                self.state.quit_warning = true;
            } else {
                self.state.quit_warning = false;
                self.quit_anyway = true;
                self.close_asked = true;
                ctx.request_repaint();
            }
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if self.frame_stats.on_frame(frame.info().cpu_usage) {
            ui.send_viewport_cmd(egui::ViewportCommand::Close);
        } else if self.frame_stats.awaits_first_frame() {
            ui.request_repaint();
        } else if let Some(left) = self.frame_stats.time_to_close() {
            ui.ctx().request_repaint_after(left);
        }
        let mut intents = Vec::new();
        let view = View {
            editor: &mut self.editor,
            ui_state: &mut self.ui_state,
            textures: &mut self.textures,
            settings: &mut self.settings,
            key: &self.key,
        };
        ui::root_ui(ui, &self.state, view, &mut intents);
        self.handle(intents);
        if std::mem::take(&mut self.close_asked) {
            ui.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        self.textures.free_unused();
        if self.ui_state.viewer.is_none() {
            self.textures.full = None;
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, EDITOR_KEY, &self.editor);
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        eframe::set_value(storage, TAB_KEY, &self.ui_state.tab);
    }
}

/// Why the window could not open.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Set-up failed before the window (runtime, data folder, database, simulator).
    #[error(transparent)]
    Setup(#[from] SessionError),
    /// eframe could not open the window (no display, no GPU driver).
    #[error(
        "Peel could not open its window: {0}. On a machine without a display, use `peel generate`."
    )]
    Window(String),
}

/// The app icon (PNG in `assets/`).
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/peel-icon.png");

/// Opens Peel's window on a [`Session`] (runtime, store, engine, and the simulator, used while no
/// key is set), with the worker and the media service. A key in the environment is used at once;
/// otherwise the keychain is asked off the UI thread. `PEEL_FRAME_STATS=1` prints frame times and
/// peak memory on close; `PEEL_EXIT_AFTER_FIRST_FRAME=1` prints the start-up time and closes
/// ([`frame_stats`]). The log goes to the data folder's `logs/` and, with `verbosity` (the number
/// of `-v` given), to stderr too.
pub fn run(verbosity: u8) -> Result<(), RunError> {
    let started = std::time::Instant::now();
    crate::logging::panic_hook::install();
    // Held until the window closes: dropping it writes out the log file's last lines.
    let logging = crate::logging::init(&crate::logging::LogOptions {
        data_dir: crate::store::paths::data_dir(),
        verbosity,
    });
    tracing::info!("peel {} window opening", env!("CARGO_PKG_VERSION"));
    let environment_key = session::key_from_environment();
    let Session {
        engine,
        simulator,
        runtime,
        data_dir,
        ..
    } = Session::open(SessionOptions {
        api_key: environment_key.as_ref().map(|found| found.key.clone()),
        simulator_use: SimulatorUse::Always,
        ..SessionOptions::default()
    })?;
    let handle = runtime.handle().clone();
    let mut runtime_slot = Some(runtime);
    let mut simulator_slot = simulator;
    eframe::run_native(
        "Peel",
        native_options(),
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let store = Arc::clone(engine.store());
            let worker = worker::spawn(&handle, engine, Some(Arc::clone(&repaint)));
            let media = media::spawn_with_cache(&handle, Some(repaint), &data_dir, Some(store));
            let mut app = PeelApp::with_worker(worker, None)
                .with_media(media)
                .with_log(logging.ring.clone(), logging.folder.clone());
            if let Some(storage) = cc.storage {
                app.editor = eframe::get_value(storage, EDITOR_KEY).unwrap_or_default();
                app.editor.upgrade_fallback();
                app.editor.fit_to_model();
                app.use_saved_settings(
                    eframe::get_value(storage, SETTINGS_KEY).unwrap_or_default(),
                );
                app.ui_state.tab = eframe::get_value(storage, TAB_KEY).unwrap_or_default();
            }
            cc.egui_ctx.set_theme(app.settings.theme.preference());
            if let Some(simulator) = simulator_slot.take() {
                app = app.with_simulator(simulator);
            }
            app.runtime = runtime_slot.take();
            app.frame_stats = frame_stats::FrameStats::from_environment(started);
            if let Some(found) = environment_key.clone() {
                app.use_key(Some(found.key), KeySource::Environment(found.variable));
            } else {
                app.key.source = KeySource::Checking;
                app.media(MediaRequest::Keychain(KeychainRequest::Load));
                // Tier and budgets from the saved settings.
                app.configure();
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| RunError::Window(e.to_string()))
}

/// The window's size, title and icon.
fn native_options() -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([900.0, 560.0])
        .with_title("Peel")
        .with_app_id("peel");
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    eframe::NativeOptions {
        viewport,
        ..eframe::NativeOptions::default()
    }
}
