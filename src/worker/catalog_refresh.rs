//! Keeps the engine's list of the models Google offers now ([`LiveModels`]), so a retired id is
//! noticed before a job is sent to it.
//!
//! When a key is set, the worker calls [`Refresher::start`] (at start and whenever the endpoint or
//! key changes). It runs on tokio, never on the UI thread: the cached list in the data folder is
//! read with `spawn_blocking` and applied at once when it came from the same endpoint; when it is a
//! day old or more (or missing), `models.list` is asked, and the answer is applied and cached.
//! Each applied list is reported as [`Event::ModelsChecked`], naming the catalog models Google no
//! longer lists, so the window can flag them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;

use super::engine::Engine;
use super::protocol::Event;
use super::sink::EventSink;
use crate::api::{ApiError, ApiKey, Catalog, ClientConfig, GeminiClient, LiveModels};
use crate::sim::SIM_API_KEY;
use crate::store::model_cache::{self, MAX_AGE_S, ModelCache, endpoint_label};

/// Longest wait for `models.list`, in seconds (one small GET; a slow answer must not hold up
/// `peel generate`).
pub const LIST_TIMEOUT_S: u64 = 15;

/// Where the applied list came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListSource {
    /// The cache in the data folder, younger than a day.
    Cache,
    /// Google's `models.list`, just now.
    Google,
}

/// Why the list could not be fetched. The engine then keeps what it had (a cached list from the
/// same endpoint, or none: every model is tried, and a 404 is still explained).
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// `models.list` failed.
    #[error(
        "Peel could not read Google's list of models ({0}). Every model is tried as before; the list is asked for again at the next start."
    )]
    List(#[source] Box<ApiError>),
    /// `models.list` did not answer in time.
    #[error(
        "Google's list of models did not arrive within {LIST_TIMEOUT_S} s. Every model is tried as before; the list is asked for again at the next start."
    )]
    Timeout,
    /// The answer named no model that can generate content (an endpoint without `models.list`).
    #[error(
        "The endpoint's list of models names no model that can generate images, so Peel ignores it and tries every model as before."
    )]
    Empty,
}

/// Starts refreshes and makes sure only the newest one applies its list (a refresh for an old
/// endpoint that finishes late is dropped).
#[derive(Clone, Debug, Default)]
pub struct Refresher {
    generation: Arc<AtomicU64>,
}

impl Refresher {
    /// Refreshes the engine's list for `config` in the background (see [`refresh_live_models`]).
    /// Failures are logged: Peel works without the list.
    pub fn start(&self, engine: &Arc<Engine>, config: ClientConfig, events: Option<EventSink>) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let newest = Arc::clone(&self.generation);
        let engine = Arc::clone(engine);
        tokio::spawn(async move {
            let data_dir = engine.store().data_dir();
            let still_newest = || newest.load(Ordering::SeqCst) == generation;
            let refreshed = refresh_inner(
                &engine,
                &config,
                &data_dir,
                events.as_ref(),
                Timestamp::now(),
                &still_newest,
            )
            .await;
            if let Err(error) = refreshed {
                tracing::warn!("{error}");
            }
        });
    }
}

/// Makes `engine` know which models Google lists for `config`'s endpoint, and returns where the
/// list came from (`None`: no key is set, or it is the built-in simulator's, so no list is used).
///
/// A cached list from the same endpoint (in `data_dir`) is applied at once; when it is younger
/// than a day nothing is fetched. Otherwise `models.list` is asked (at most [`LIST_TIMEOUT_S`]),
/// the answer applied and the cache rewritten. A cache that cannot be written is only logged.
pub async fn refresh_live_models(
    engine: &Engine,
    config: &ClientConfig,
    data_dir: &Path,
    events: Option<&EventSink>,
    now: Timestamp,
) -> Result<Option<ListSource>, RefreshError> {
    refresh_inner(engine, config, data_dir, events, now, &|| true).await
}

async fn refresh_inner(
    engine: &Engine,
    config: &ClientConfig,
    data_dir: &Path,
    events: Option<&EventSink>,
    now: Timestamp,
    still_newest: &(dyn Fn() -> bool + Send + Sync),
) -> Result<Option<ListSource>, RefreshError> {
    let apply = async |live: Option<LiveModels>| {
        if !still_newest() {
            return;
        }
        let unlisted = live
            .as_ref()
            .map(|live| live.unlisted_in(Catalog::builtin()))
            .unwrap_or_default();
        engine.set_live_models(live);
        if let Some(events) = events {
            events.send(Event::ModelsChecked { unlisted }).await;
        }
    };
    // No key, or the built-in simulator's (which the window uses while no key is set): no list.
    if config
        .api_key
        .as_ref()
        .is_none_or(|key| ApiKey::new(SIM_API_KEY).as_ref() == Some(key))
    {
        apply(None).await;
        return Ok(None);
    }
    let endpoint = endpoint_label(&config.base_url, &config.api_version);
    let path = model_cache::cache_path(data_dir);
    let cached = read_cache(path.clone()).await;
    let cached = cached.filter(|cache| cache.endpoint == endpoint);
    match &cached {
        Some(cache) => {
            apply(LiveModels::from_ids(&cache.ids)).await;
            if cache.is_fresh_for(&endpoint, now, MAX_AGE_S) {
                return Ok(Some(ListSource::Cache));
            }
        }
        // A list from another endpoint says nothing about this one.
        None => apply(None).await,
    }

    let live = fetch(config).await?;
    apply(Some(live.clone())).await;
    let cache = ModelCache {
        endpoint,
        fetched_at: Timestamp::now(),
        ids: live.ids().map(str::to_owned).collect(),
    };
    write_cache(path, cache).await;
    Ok(Some(ListSource::Google))
}

async fn fetch(config: &ClientConfig) -> Result<LiveModels, RefreshError> {
    let client =
        GeminiClient::new(config.clone()).map_err(|error| RefreshError::List(Box::new(error)))?;
    let models = tokio::time::timeout(Duration::from_secs(LIST_TIMEOUT_S), client.list_models())
        .await
        .map_err(|_| RefreshError::Timeout)?
        .map_err(|error| RefreshError::List(Box::new(error)))?;
    LiveModels::from_models(&models).ok_or(RefreshError::Empty)
}

/// The cached list, if there is a readable one (a damaged file is logged and fetched again).
async fn read_cache(path: PathBuf) -> Option<ModelCache> {
    match tokio::task::spawn_blocking(move || model_cache::read(&path)).await {
        Ok(Ok(cache)) => cache,
        Ok(Err(error)) => {
            tracing::warn!("{error}");
            None
        }
        Err(error) => {
            tracing::warn!("reading the model cache stopped: {error}");
            None
        }
    }
}

async fn write_cache(path: PathBuf, cache: ModelCache) {
    match tokio::task::spawn_blocking(move || model_cache::write(&path, &cache)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!("{error}"),
        Err(error) => tracing::warn!("writing the model cache stopped: {error}"),
    }
}
