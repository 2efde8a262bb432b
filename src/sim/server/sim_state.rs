//! The simulator's configuration ([`SimConfig`]) and the state its handlers share
//! ([`SimState`]): the scenario, the clock, the quota book, counters and the requests seen.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::api::catalog::{Catalog, ModelEntry};
use crate::sim::clock::SimClock;
use crate::sim::quota::QuotaBook;
use crate::sim::safety::SafetyRules;
use crate::sim::scenario::Scenario;

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The scenario.
    pub scenario: Scenario,
    /// Seed for faults and pictures: the same seed replays the same run.
    pub seed: u64,
    /// Real seconds per simulated second (1.0 = real time; 0.01 shrinks a minute to 0.6 s).
    pub time_scale: f64,
    /// Simulated wall time at start (default: now). Daily quotas reset at midnight Pacific of it.
    pub start_at: Option<jiff::Timestamp>,
    /// Whether answers take as long as the real service's (Nano Banana Pro 12-60 s, flash models
    /// 3-12 s, scaled by `time_scale`). On by default and in the app and `peel sim`; tests that
    /// are about something else turn it off (`peel sim --instant`).
    pub generation_latency: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            scenario: Scenario::Calm,
            seed: 1,
            time_scale: 1.0,
            start_at: None,
            generation_latency: true,
        }
    }
}

/// Counters for tests and the CLI's goodbye line.
#[derive(Debug, Default)]
pub struct SimStats {
    /// Requests received.
    pub requests: AtomicU64,
    /// Images returned.
    pub images: AtomicU64,
    /// Error answers (any non-2xx) and dropped connections.
    pub errors: AtomicU64,
    /// Hostile `200`s sent (truncated, bomb, mime lie, stalled, dropped).
    pub hostile: AtomicU64,
    /// Stalled bodies still open (back to 0 once their clients hang up).
    pub stalls_open: AtomicU64,
}

/// Requests the simulator remembers for [`SimState::seen_requests`] (the oldest are dropped).
pub const SEEN_REQUESTS_KEPT: usize = 256;

/// A request as it arrived, for tests that check what a client sent (never its body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path and query as sent.
    pub uri: String,
    /// Every header, by lower-case name, with its value (lossy UTF-8).
    pub headers: Vec<(String, String)>,
}

/// Shared server state.
#[derive(Debug)]
pub struct SimState {
    pub(in crate::sim) config: SimConfig,
    /// The scenario now (the app's picker changes it while the server runs).
    scenario: Mutex<Scenario>,
    pub(in crate::sim) clock: SimClock,
    pub(super) quotas: Mutex<QuotaBook>,
    rng: Mutex<StdRng>,
    counter: AtomicU64,
    pub(super) rules: &'static SafetyRules,
    pub(super) catalog: &'static Catalog,
    /// Set when the simulator shuts down, so stalled bodies and answer times end.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Counters.
    pub stats: SimStats,
    /// The last [`SEEN_REQUESTS_KEPT`] requests, oldest first.
    seen: Mutex<VecDeque<SeenRequest>>,
}

impl SimState {
    /// Fresh state for a config.
    pub fn new(config: SimConfig) -> Self {
        Self {
            clock: SimClock::starting_at(
                config.time_scale,
                config.start_at.unwrap_or_else(jiff::Timestamp::now),
            ),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            scenario: Mutex::new(config.scenario),
            config,
            quotas: Mutex::new(QuotaBook::default()),
            counter: AtomicU64::new(0),
            rules: SafetyRules::builtin(),
            catalog: Catalog::builtin(),
            stopping: tokio::sync::watch::Sender::new(false),
            stats: SimStats::default(),
            seen: Mutex::new(VecDeque::new()),
        }
    }

    /// The last [`SEEN_REQUESTS_KEPT`] requests, oldest first (method, URI and headers).
    pub fn seen_requests(&self) -> Vec<SeenRequest> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.iter().cloned().collect()
    }

    /// Remembers a request, forgetting the oldest when full.
    pub(super) fn remember<B>(&self, request: &axum::http::Request<B>) {
        let seen_request = SeenRequest {
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() == SEEN_REQUESTS_KEPT {
            seen.pop_front();
        }
        seen.push_back(seen_request);
    }

    /// Ends every stalled body and every wait for a "thinking" model (the simulator is shutting
    /// down, and a closing window should not wait a minute for a simulated 4K answer).
    pub fn stop_waiting(&self) {
        self.stopping.send_replace(true);
    }

    /// Watches for the shutdown.
    pub(crate) fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// The scenario the server plays now.
    pub fn scenario(&self) -> Scenario {
        *self.scenario.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Switches to another scenario; quotas start afresh, as on a new project.
    pub fn set_scenario(&self, scenario: Scenario) {
        *self.scenario.lock().unwrap_or_else(PoisonError::into_inner) = scenario;
        *self.quotas.lock().unwrap_or_else(PoisonError::into_inner) = QuotaBook::default();
    }

    /// Number of key/model pairs the quota book tracks (bounded).
    pub fn tracked_quotas(&self) -> usize {
        self.quotas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .tracked()
    }

    /// The quota book: tests read its counts ([`QuotaBook::busiest_minute`]) and may give it
    /// their own tier's limits ([`QuotaBook::set_limits`]).
    pub fn quotas(&self) -> std::sync::MutexGuard<'_, QuotaBook> {
        self.quotas.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A uniform pick in `[0, 1)` from the seeded generator (the same seed replays the same run).
    pub(in crate::sim) fn roll(&self) -> f64 {
        self.rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random::<f64>()
    }

    /// The next answer's number (1, 2, …).
    pub(in crate::sim) fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The model entry if it can be called in this scenario.
    pub(super) fn callable_model(&self, id: &str) -> Option<&'static ModelEntry> {
        let model = self.catalog.get(id)?;
        let retired_here = self.scenario().retired_ids().contains(&model.id.as_str());
        (model.is_callable() && !retired_here).then_some(model)
    }
}
