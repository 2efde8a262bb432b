//! The simulator: a real HTTP server on loopback that speaks Google's Gemini REST API and fails the
//! way Google fails, so designers can learn Peel without a key and no test ever reaches Google.
//!
//! - [`scenario`]: named behaviours (`calm`, `free-tier`, `peak-hour`, `flaky`, `no-quota`,
//!   `retired-model`, `strict-safety`, `broken-answers`), their tiers and fault rates.
//! - [`server`]: the axum router, the shared state, the request pipeline and the streamed
//!   delivery (`streamGenerateContent`: thoughts first, over the model's time).
//! - [`faults`]: the server faults a scenario injects (503, 500, 502, 504, capacity 429) and the
//!   `sim:` prompt words that force them.
//! - [`answer`]: the `200` bodies for each safety verdict (candidates, usage, thought signatures,
//!   thinking models' draft images, and their thought summaries when `includeThoughts` is sent).
//! - [`latency`]: how long each model takes per size, like the real service.
//! - [`hostile`]: `200`s that lie (truncated and bomb images, mime lies, stalled bodies, streams
//!   that break mid-way or end early, a 30 MB event), and the prompt words that force each.
//! - [`validate`]: Google's request checks and their 400 bodies.
//! - [`quota`]: per-key, per-model RPM/TPM/RPD accounting (bounded memory).
//! - [`safety`], [`terms`]: the two safety layers, decided by `assets/sim_safety_rules.toml` and
//!   matched with the phrase matcher the rewrite assistant uses; `sim:` trigger words, whole.
//! - [`picture`]: deterministic, photographic-weight pictures from the prompt (and their cache).
//! - [`bodies`]: Google-shaped answers (errors, quota 429s, the HTML 502 page).
//! - [`clock`]: simulated time with an optional time scale.

pub mod answer;
pub mod bodies;
pub mod clock;
pub mod faults;
pub mod hostile;
pub mod latency;
pub mod picture;
pub mod quota;
pub mod safety;
pub mod scenario;
pub mod server;
pub mod terms;
pub mod validate;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use scenario::Scenario;
pub use server::{SimConfig, SimState};

/// The key Peel sends to its own simulator (well-formed like a Google key, worthless anywhere else).
pub const SIM_API_KEY: &str = "AIzaSimulatorKey-Peel-NotARealKey000000";

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address is not on this machine's loopback.
    #[error(
        "The simulator only listens on loopback (127.0.0.1 or ::1), not on {0}. Use e.g. --addr 127.0.0.1:8080."
    )]
    NotLoopback(SocketAddr),
    /// The port is taken or not allowed.
    #[error(
        "The simulator could not listen on {addr}: {source}. Pick another port, or 127.0.0.1:0 for any free one."
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A simulator running on the current tokio runtime.
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    state: Arc<SimState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningSim {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's state (counters, quota book size).
    pub fn state(&self) -> &Arc<SimState> {
        &self.state
    }

    /// Stops accepting, lets requests in flight finish (at once: answer times and stalled bodies
    /// are cut short), and waits for the server to end.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.state.stop_waiting();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}

/// Starts the simulator on `addr` (loopback only; port 0 picks a free one).
pub async fn start(addr: SocketAddr, config: SimConfig) -> Result<RunningSim, SimError> {
    if !addr.ip().is_loopback() {
        return Err(SimError::NotLoopback(addr));
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let state = Arc::new(SimState::new(config));
    let (shutdown, stopped) = oneshot::channel::<()>();
    let router = server::router(Arc::clone(&state));
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningSim {
        addr,
        state,
        shutdown: Some(shutdown),
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sim_key_looks_like_a_google_key() {
        assert!(server::key_is_well_formed(SIM_API_KEY));
    }
}
