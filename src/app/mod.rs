//! The eframe app: owns the state, drains worker events in `logic`, draws in `ui`, and turns UI
//! intents into worker commands (never blocking: a full command channel shows "busy").
//!
//! - [`state`]: what the window shows, and `apply(Event)`.
//! - [`run`]: opens the window with a tokio runtime, the worker, and (without a key) the simulator.

pub mod state;

use std::sync::Arc;

use tokio::sync::mpsc::error::TrySendError;

use crate::api::{ApiKey, ClientConfig, GeminiClient};
use crate::sim::{self, SIM_API_KEY, Scenario, SimConfig};
use crate::store::{Store, paths};
use crate::ui::{self, Editor, Intent};
use crate::worker::{self, Command, Engine, EngineConfig, WorkerHandle};

/// The window's app.
#[derive(Debug)]
pub struct PeelApp {
    state: state::AppState,
    editor: Editor,
    worker: WorkerHandle,
    /// The in-process simulator, when there is no key; lives as long as the window.
    simulator: Option<sim::RunningSim>,
    /// The tokio runtime the worker runs on; lives as long as the window.
    runtime: Option<tokio::runtime::Runtime>,
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
            worker,
            simulator: None,
            runtime: None,
        }
    }

    /// The state (for tests).
    pub fn state(&self) -> &state::AppState {
        &self.state
    }

    /// The base URL of the in-process simulator, when Peel runs on it.
    pub fn simulator_url(&self) -> Option<String> {
        self.simulator.as_ref().map(sim::RunningSim::base_url)
    }

    /// Whether the app owns its runtime (it does when opened by [`run`]).
    pub fn owns_runtime(&self) -> bool {
        self.runtime.is_some()
    }

    fn handle(&mut self, intents: Vec<Intent>) {
        for intent in intents {
            let command = match intent {
                Intent::Generate(spec) => Command::Generate(spec),
                Intent::Cancel(job) => Command::Cancel(job),
                Intent::RetryNow(job) => Command::RetryNow(job),
            };
            match self.worker.commands.try_send(command) {
                Ok(()) => self.state.notice = None,
                Err(TrySendError::Full(_)) => {
                    self.state.notice = Some("Peel is busy; try again in a moment".to_owned());
                }
                Err(TrySendError::Closed(_)) => {
                    self.state.notice = Some(
                        "Peel's worker stopped; restart Peel (queued jobs are kept)".to_owned(),
                    );
                }
            }
        }
    }
}

impl eframe::App for PeelApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        while let Ok(event) = self.worker.events.try_recv() {
            self.state.apply(event);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut intents = Vec::new();
        ui::root_ui(ui, &self.state, &mut self.editor, &mut intents);
        self.handle(intents);
    }
}

/// Why the window could not open.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Set-up failed before the window.
    #[error("{0}")]
    Setup(String),
    /// eframe could not open the window (no display, no GPU driver).
    #[error(
        "Peel could not open its window: {0}. On a machine without a display, use `peel generate`."
    )]
    Window(String),
}

/// Opens Peel's window: a tokio runtime on named threads, the store, the worker, and the simulator
/// when no key is set.
pub fn run() -> Result<(), RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("peel-worker")
        .build()
        .map_err(|e| RunError::Setup(format!("could not start the async runtime: {e}")))?;
    let data_dir = paths::data_dir()
        .ok_or_else(|| RunError::Setup("no data folder; set PEEL_DATA_DIR".to_owned()))?;
    let store = Arc::new(
        Store::open(&paths::database_path(&data_dir))
            .map_err(|e| RunError::Setup(e.to_string()))?,
    );
    let key = ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        .iter()
        .find_map(|name| std::env::var(name).ok().and_then(ApiKey::new));
    let (config, simulator) = if let Some(key) = key {
        (
            ClientConfig {
                api_key: Some(key),
                ..ClientConfig::default()
            },
            None,
        )
    } else {
        let scenario = Scenario::Calm;
        #[expect(
            clippy::disallowed_methods,
            reason = "before the window exists: nothing to keep responsive yet"
        )]
        let running = runtime
            .block_on(sim::start(
                ([127, 0, 0, 1], 0).into(),
                SimConfig {
                    scenario,
                    ..SimConfig::default()
                },
            ))
            .map_err(|e| RunError::Setup(e.to_string()))?;
        let config = ClientConfig {
            base_url: running.base_url(),
            api_key: ApiKey::new(SIM_API_KEY),
            ..ClientConfig::default()
        };
        (config, Some((running, scenario)))
    };
    let client = GeminiClient::new(config).map_err(|e| RunError::Setup(e.to_string()))?;
    let image_dir = data_dir.join("images");
    let engine = Arc::new(Engine::new(
        client,
        store,
        EngineConfig::defaults(image_dir, u64::from(std::process::id())),
    ));
    let handle = runtime.handle().clone();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1100.0, 720.0])
            .with_title("Peel"),
        ..eframe::NativeOptions::default()
    };
    let mut runtime_slot = Some(runtime);
    eframe::run_native(
        "Peel",
        options,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let worker = worker::spawn(&handle, engine, Some(repaint));
            let scenario = simulator.as_ref().map(|(_, scenario)| *scenario);
            let mut app = PeelApp::with_worker(worker, scenario);
            app.simulator = simulator.map(|(running, _)| running);
            app.runtime = runtime_slot.take();
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| RunError::Window(e.to_string()))
}
