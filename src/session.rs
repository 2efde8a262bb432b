//! One start-up for every front end. The window ([`crate::app::run`]), `peel generate` and the
//! end-to-end tests each open a [`Session`]: the tokio runtime, the store in the data folder, the
//! backend (Google or the endpoint given, with the key; or the in-process simulator when there is
//! neither), the client settings and the engine. [`SessionOptions`] holds what differs between
//! them, and [`key_from_environment`] is the one place the key is read from the environment.
//!
//! The runtime is built here because the session owns it; everything else async stays in
//! `worker`, `api` and `sim`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::api::{ApiError, ApiKey, ClientConfig, GeminiClient};
use crate::sim::{self, RunningSim, SIM_API_KEY, Scenario, SimConfig, SimError};
use crate::store::{Store, StoreError, paths};
use crate::worker::{Engine, EngineConfig};

/// The environment variables a key is read from, in this order.
pub const KEY_VARIABLES: [&str; 2] = ["GEMINI_API_KEY", "GOOGLE_API_KEY"];

/// Name of the runtime's threads (shown by debuggers and `top -H`).
const THREAD_NAME: &str = "peel-worker";

/// A key found in the environment, and the variable it came from.
#[derive(Clone, Debug)]
pub struct EnvironmentKey {
    /// The key.
    pub key: ApiKey,
    /// `GEMINI_API_KEY` or `GOOGLE_API_KEY`.
    pub variable: &'static str,
}

/// The key from `GEMINI_API_KEY`, else from `GOOGLE_API_KEY` (an empty variable counts as unset).
pub fn key_from_environment() -> Option<EnvironmentKey> {
    KEY_VARIABLES.into_iter().find_map(|variable| {
        let key = ApiKey::new(std::env::var(variable).ok()?)?;
        Some(EnvironmentKey { key, variable })
    })
}

/// When the in-process simulator starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SimulatorUse {
    /// Only when there is neither a key nor an endpoint; the engine then talks to it.
    #[default]
    WhenNoKey,
    /// Always. The engine still uses the key when there is one; the window keeps the simulator
    /// ready for when the key is removed, and for its scenario picker.
    Always,
}

/// What differs between the front ends. The default: the data folder from the environment, no
/// key, Google's endpoint, and the simulator (with real answer times) when there is no key.
#[derive(Clone, Debug, Default)]
pub struct SessionOptions {
    /// The data folder; `None`: `PEEL_DATA_DIR`, else the platform's data folder.
    pub data_dir: Option<PathBuf>,
    /// Where images are saved; `None`: `images` in the data folder.
    pub image_dir: Option<PathBuf>,
    /// The key to send (see [`key_from_environment`]); `None`: no key.
    pub api_key: Option<ApiKey>,
    /// The API base URL (a proxy, a gateway, or a running `peel sim`); `None`: Google's, or the
    /// simulator when there is no key either.
    pub endpoint: Option<String>,
    /// The API version; `None`: the client's default.
    pub api_version: Option<String>,
    /// The in-process simulator's scenario, seed and answer times.
    pub simulator: SimConfig,
    /// When the in-process simulator starts.
    pub simulator_use: SimulatorUse,
    /// Threads of the runtime; `None`: one per core.
    pub worker_threads: Option<usize>,
    /// Seed of the engine's randomness (retry jitter); `None`: the process id.
    pub seed: Option<u64>,
    /// Where deleted images go; the default is the system trash.
    pub trash: crate::store::trash::Trash,
}

/// What the engine talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The in-process simulator (no key and no endpoint): images are simulated, and the front
    /// end says so.
    Simulator {
        /// The scenario it started with.
        scenario: Scenario,
    },
    /// A real endpoint: Google's, or the one given.
    Endpoint {
        /// Its base URL.
        base_url: String,
    },
}

impl Backend {
    /// The simulator's scenario when the images are simulated, for the banner.
    pub fn simulated_scenario(&self) -> Option<Scenario> {
        match self {
            Backend::Simulator { scenario } => Some(*scenario),
            Backend::Endpoint { .. } => None,
        }
    }
}

/// Why Peel could not start.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The tokio runtime could not be built.
    #[error(
        "Peel could not start its background threads ({0}). Close some programs, then start Peel again."
    )]
    Runtime(#[source] std::io::Error),
    /// Neither `PEEL_DATA_DIR` nor the platform names a data folder.
    #[error(
        "Peel found no folder for its data. Set PEEL_DATA_DIR to a folder you can write to, then start Peel again."
    )]
    NoDataFolder,
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The in-process simulator could not start.
    #[error("Peel's built-in simulator could not start. {0}")]
    Simulator(#[from] SimError),
    /// The endpoint or key cannot make a request.
    #[error(transparent)]
    Client(#[from] ApiError),
}

/// Everything a front end needs, opened. Fields drop top to bottom, the runtime last.
#[derive(Debug)]
pub struct Session {
    /// The engine (client, store, policy); hand it to [`crate::worker::spawn`] or run jobs on it.
    pub engine: Arc<Engine>,
    /// The in-process simulator, when it started (see [`SimulatorUse`]).
    pub simulator: Option<RunningSim>,
    /// What the engine talks to.
    pub backend: Backend,
    /// The engine's client settings (the live-model refresh uses them).
    pub client: ClientConfig,
    /// The database.
    pub store: Arc<Store>,
    /// The data folder.
    pub data_dir: PathBuf,
    /// The tokio runtime everything async runs on (worker, media service, simulator).
    pub runtime: tokio::runtime::Runtime,
}

impl Session {
    /// Opens the runtime, the store, the simulator when needed, the client and the engine.
    pub fn open(options: SessionOptions) -> Result<Session, SessionError> {
        let runtime = build_runtime(options.worker_threads)?;
        let data_dir = match options.data_dir.clone() {
            Some(dir) => dir,
            None => paths::data_dir().ok_or(SessionError::NoDataFolder)?,
        };
        let store = Arc::new(Store::open(&paths::database_path(&data_dir))?);
        let on_simulator = options.endpoint.is_none() && options.api_key.is_none();
        let simulator = if on_simulator || options.simulator_use == SimulatorUse::Always {
            Some(start_simulator(&runtime, options.simulator.clone())?)
        } else {
            None
        };
        let (backend, client) = connect(&options, simulator.as_ref().filter(|_| on_simulator));
        let image_dir = options.image_dir.unwrap_or_else(|| data_dir.join("images"));
        let seed = options
            .seed
            .unwrap_or_else(|| u64::from(std::process::id()));
        let engine = Arc::new(
            Engine::new(
                GeminiClient::new(client.clone())?,
                Arc::clone(&store),
                EngineConfig::defaults(image_dir, seed),
            )
            .with_trash(options.trash),
        );
        Ok(Session {
            engine,
            simulator,
            backend,
            client,
            store,
            data_dir,
            runtime,
        })
    }
}

/// A multi-threaded runtime on named threads.
fn build_runtime(worker_threads: Option<usize>) -> Result<tokio::runtime::Runtime, SessionError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().thread_name(THREAD_NAME);
    if let Some(threads) = worker_threads {
        builder.worker_threads(threads);
    }
    builder.build().map_err(SessionError::Runtime)
}

/// Starts the simulator on a free loopback port.
#[expect(
    clippy::disallowed_methods,
    reason = "start-up, before any window or job: nothing to keep responsive yet"
)]
fn start_simulator(
    runtime: &tokio::runtime::Runtime,
    config: SimConfig,
) -> Result<RunningSim, SimError> {
    runtime.block_on(sim::start(([127, 0, 0, 1], 0).into(), config))
}

/// The backend and client settings: the simulator when given one to use, else the endpoint (or
/// Google's) with the key.
fn connect(options: &SessionOptions, simulator: Option<&RunningSim>) -> (Backend, ClientConfig) {
    let defaults = ClientConfig::default();
    let base = ClientConfig {
        api_version: options
            .api_version
            .clone()
            .unwrap_or_else(|| defaults.api_version.clone()),
        ..defaults
    };
    if let Some(simulator) = simulator {
        let backend = Backend::Simulator {
            scenario: simulator.state().scenario(),
        };
        let client = ClientConfig {
            base_url: simulator.base_url(),
            api_key: ApiKey::new(SIM_API_KEY),
            ..base
        };
        return (backend, client);
    }
    let base_url = options
        .endpoint
        .clone()
        .unwrap_or_else(|| base.base_url.clone());
    let backend = Backend::Endpoint {
        base_url: base_url.clone(),
    };
    let client = ClientConfig {
        base_url,
        api_key: options.api_key.clone(),
        ..base
    };
    (backend, client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &std::path::Path) -> SessionOptions {
        SessionOptions {
            data_dir: Some(dir.to_path_buf()),
            simulator: SimConfig {
                generation_latency: false,
                ..SimConfig::default()
            },
            worker_threads: Some(1),
            ..SessionOptions::default()
        }
    }

    #[test]
    fn without_key_or_endpoint_the_engine_talks_to_the_simulator() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session::open(options(dir.path())).unwrap();
        let simulator = session.simulator.as_ref().unwrap();
        assert_eq!(session.client.base_url, simulator.base_url());
        assert_eq!(session.backend.simulated_scenario(), Some(Scenario::Calm));
        assert!(dir.path().join("peel.db").exists());
    }

    #[test]
    fn a_key_goes_to_google_and_the_simulator_starts_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let key = ApiKey::new("AIza-test-key-not-real-000000000000000000");
        let session = Session::open(SessionOptions {
            api_key: key.clone(),
            ..options(dir.path())
        })
        .unwrap();
        assert!(session.simulator.is_none());
        assert_eq!(session.client.api_key, key);
        assert_eq!(session.backend.simulated_scenario(), None);
        assert_eq!(
            session.client.base_url,
            crate::api::client::DEFAULT_BASE_URL
        );

        let window = Session::open(SessionOptions {
            api_key: key,
            simulator_use: SimulatorUse::Always,
            ..options(dir.path())
        })
        .unwrap();
        assert!(window.simulator.is_some());
        assert_eq!(window.backend.simulated_scenario(), None);
    }

    #[test]
    fn an_endpoint_without_key_is_used_as_given() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session::open(SessionOptions {
            endpoint: Some("http://127.0.0.1:8080".to_owned()),
            api_version: Some("v1beta".to_owned()),
            ..options(dir.path())
        })
        .unwrap();
        assert!(session.simulator.is_none());
        assert_eq!(session.client.base_url, "http://127.0.0.1:8080");
        assert_eq!(session.client.api_version, "v1beta");
        assert_eq!(session.client.api_key, None);
    }
}
