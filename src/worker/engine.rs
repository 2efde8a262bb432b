//! The engine that runs one job to its end: picks the model (lockouts, breakers), waits for Peel's
//! own rate limits, sends the request, diagnoses the answer, records the attempt, asks the policy
//! what next, and waits (cancellable; "retry now" skips the wait). Shared by the app and the CLI.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use tokio::sync::{Notify, mpsc, watch};

use super::delivery;
use super::protocol::{
    AttemptRecord, AttemptReport, EngineSettings, Event, JobId, JobOutcome, JobSpec, OutcomeStatus,
    PastJob,
};
use super::received::{self, Expected, Received};
use crate::api::catalog::{Catalog, ModelEntry};
use crate::api::enums::Modality;
use crate::api::live_models::{LiveModels, unlisted_reason};
use crate::api::wire::{Content, GenerateContentRequest, GenerationConfig, ImageConfig, Part};
use crate::api::{ApiError, GeminiClient, GenerateOutcome};
use crate::diagnosis::excerpt::shown_response;
use crate::diagnosis::{Diagnosis, DiagnosisContext, Evidence, Kind, diagnose, with_broken_image};
use crate::resilience::budget::{cost_usd, worst_case_cost_usd};
use crate::resilience::policy::is_server_failure;
use crate::resilience::{
    Action, Breaker, BreakerConfig, Budget, JobFacts, ModelLimiter, Policy, Role, Spent, TierLimits,
};
use crate::store::{JobState, RememberedRewrite, Store, turns};

/// Everything the engine is configured with.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The retry policy.
    pub policy: Policy,
    /// Budgets.
    pub budget: Budget,
    /// The user's tier limits (applied to every model).
    pub tier: TierLimits,
    /// Breaker settings.
    pub breaker: BreakerConfig,
    /// Where images are saved.
    pub image_dir: PathBuf,
    /// Seed for jitter.
    pub seed: u64,
}

impl EngineConfig {
    /// The design's defaults (policy, budgets, tier, breaker), saving images to `image_dir`.
    pub fn defaults(image_dir: PathBuf, seed: u64) -> Self {
        Self {
            policy: Policy::default(),
            budget: Budget::default(),
            tier: TierLimits::default(),
            breaker: BreakerConfig::default(),
            image_dir,
            seed,
        }
    }
}

/// Sends events; a dropped receiver is not an error (nobody is listening any more).
#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Event>,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSink")
            .field("repaints", &self.repaint.is_some())
            .finish_non_exhaustive()
    }
}

impl EventSink {
    /// A sink over a bounded channel; `repaint` is called after each event (the UI's repaint).
    pub fn new(tx: mpsc::Sender<Event>, repaint: Option<Arc<dyn Fn() + Send + Sync>>) -> Self {
        Self { tx, repaint }
    }

    /// Sends one event (waits when the channel is full: back-pressure, never unbounded memory).
    pub async fn send(&self, event: Event) {
        if self.tx.send(event).await.is_ok()
            && let Some(repaint) = &self.repaint
        {
            repaint();
        }
    }
}

/// Per-job controls: cancel, and skip the current wait.
#[derive(Clone, Debug)]
pub struct JobControl {
    /// Becomes true to cancel.
    pub cancelled: watch::Receiver<bool>,
    /// Notified to skip the current wait.
    pub retry_now: Arc<Notify>,
}

impl JobControl {
    /// Controls that never fire (for callers without a UI).
    pub fn detached() -> (watch::Sender<bool>, JobControl) {
        let (tx, rx) = watch::channel(false);
        (
            tx,
            JobControl {
                cancelled: rx,
                retry_now: Arc::new(Notify::new()),
            },
        )
    }
}

#[derive(Debug)]
struct Shared {
    limiters: HashMap<String, ModelLimiter>,
    breakers: HashMap<String, Breaker>,
    /// Model ids that answered 404 in this session: not asked again.
    not_found: std::collections::HashSet<String>,
    rng: StdRng,
}

/// The engine.
#[derive(Debug)]
pub struct Engine {
    /// Swapped by [`Engine::configure`] (a new key or endpoint); each attempt clones it.
    client: RwLock<GeminiClient>,
    catalog: &'static Catalog,
    store: Arc<Store>,
    config: EngineConfig,
    /// The tier and budgets, changed by [`Engine::configure`].
    tunables: RwLock<(TierLimits, Budget)>,
    shared: Mutex<Shared>,
    started: tokio::time::Instant,
    /// The ids Google's `models.list` names now, once known ([`Engine::set_live_models`]): an id
    /// it leaves out is treated like one that answered 404. Never held while taking another lock.
    live_models: RwLock<Option<LiveModels>>,
}

/// A wait ended how?
enum Waited {
    Elapsed,
    Skipped,
    Cancelled,
}

/// Settings of a job mapped onto a model.
#[derive(Clone, Debug, PartialEq)]
struct Fitted {
    aspect_ratio: Option<String>,
    image_size: Option<String>,
    references: usize,
    changes: Vec<String>,
}

/// Maps a job's settings onto what `model` supports: the nearest size not above the one asked,
/// the ratio if offered (else 1:1), and as many references as it takes.
fn fit(spec: &JobSpec, model: &ModelEntry) -> Fitted {
    let mut changes = Vec::new();
    let image_size = match &spec.image_size {
        Some(size) if !model.image_sizes.is_empty() && !model.image_sizes.contains(size) => {
            let rank = |s: &str| match s {
                "512" => 0,
                "2K" => 2,
                "4K" => 3,
                _ => 1, // "1K" and anything unknown
            };
            let best = model
                .image_sizes
                .iter()
                .filter(|s| rank(s) <= rank(size))
                .max_by_key(|s| rank(s))
                .or_else(|| model.image_sizes.iter().min_by_key(|s| rank(s)))
                .cloned();
            if let Some(best) = &best {
                changes.push(format!("{size} to {best}"));
            }
            best
        }
        Some(_) if model.image_sizes.is_empty() => None,
        other => other.clone(),
    };
    let aspect_ratio = match &spec.aspect_ratio {
        Some(ratio) if !model.aspect_ratios.is_empty() && !model.aspect_ratios.contains(ratio) => {
            changes.push(format!("{ratio} to 1:1"));
            Some("1:1".to_owned())
        }
        other => other.clone(),
    };
    let max = model
        .max_reference_images
        .map_or(usize::MAX, |m| m as usize);
    let references = spec.references.len().min(max);
    if references < spec.references.len() {
        changes.push(format!(
            "{} references to {references}",
            spec.references.len()
        ));
    }
    Fitted {
        aspect_ratio,
        image_size,
        references,
        changes,
    }
}

/// Where earlier versions kept the model's answer, beside the image (`peel-7.jpg` →
/// `peel-7.turn.json`, images embedded). Read for edits of old images, removed with them.
fn legacy_turn_path(image: &std::path::Path) -> PathBuf {
    image.with_extension("turn.json")
}

/// A 2xx answer after [`received::receive`]: its images moved out and checked.
struct Answered {
    status: u16,
    received: Received,
}

impl Answered {
    fn evidence(&self) -> Evidence<'_> {
        Evidence::Answer {
            status: self.status,
            response: &self.received.response,
        }
    }
}

/// The job's earlier turns ready to send (image files read back and checked), or why not.
async fn resolve_history(spec: &JobSpec) -> Result<Vec<Content>, String> {
    if !turns::refers_to_files(&spec.history) {
        return Ok(spec.history.clone());
    }
    let history = spec.history.clone();
    let edited = spec.edit_of.map_or_else(
        || "The earlier image".to_owned(),
        |of| format!("Image {of}"),
    );
    tokio::task::spawn_blocking(move || turns::resolve(&history))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| {
            format!("{edited} can't be edited: {error}. Generate it again, then edit.")
        })
}

/// Moves the images out of an answer and checks them, off the async threads (base64, hashing
/// and a full decode of a 4K picture take real CPU time).
async fn take_in(answer: GenerateOutcome, expected: Expected) -> Answered {
    let status = answer.status;
    let received =
        tokio::task::spawn_blocking(move || received::receive(answer.response, expected))
            .await
            .unwrap_or_else(|error| Received {
                response: crate::api::wire::GenerateContentResponse::default(),
                images: Vec::new(),
                final_image: None,
                problem: Some(format!("it could not be checked ({error})")),
            });
    Answered { status, received }
}

fn request_for(spec: &JobSpec, history: &[Content], fitted: &Fitted) -> GenerateContentRequest {
    let mut parts = vec![Part::text(spec.prompt.clone())];
    parts.extend(
        spec.references
            .iter()
            .take(fitted.references)
            .map(|r| Part::inline_image(r.mime_type.clone(), r.base64.clone())),
    );
    GenerateContentRequest {
        contents: history
            .iter()
            .cloned()
            .chain([Content {
                role: Some("user".to_owned()),
                parts,
            }])
            .collect(),
        generation_config: Some(GenerationConfig {
            response_modalities: vec![Modality::Text, Modality::Image],
            image_config: Some(ImageConfig {
                aspect_ratio: fitted.aspect_ratio.clone(),
                image_size: fitted.image_size.clone(),
            }),
            ..GenerationConfig::default()
        }),
        safety_settings: spec.safety_settings.clone(),
        ..GenerateContentRequest::default()
    }
}

impl Engine {
    /// An engine over a client and a store.
    pub fn new(client: GeminiClient, store: Arc<Store>, config: EngineConfig) -> Self {
        Self {
            client: RwLock::new(client),
            tunables: RwLock::new((config.tier, config.budget)),
            catalog: Catalog::builtin(),
            store,
            shared: Mutex::new(Shared {
                not_found: std::collections::HashSet::new(),
                limiters: HashMap::new(),
                breakers: HashMap::new(),
                rng: StdRng::seed_from_u64(config.seed),
            }),
            config,
            started: tokio::time::Instant::now(),
            live_models: RwLock::new(None),
        }
    }

    /// Sets the list of models Google names now (`None`: unknown, every catalog model is tried).
    /// Jobs that start from now on skip a primary the list leaves out and go to the fallback.
    pub fn set_live_models(&self, live: Option<LiveModels>) {
        *self
            .live_models
            .write()
            .unwrap_or_else(PoisonError::into_inner) = live;
    }

    /// Whether a known live list leaves `model` out (the lock is released before returning).
    fn unlisted(&self, model: &str) -> bool {
        self.live_models
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|live| !live.is_listed(model))
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Applies new settings to attempts from now on (a running job picks them up at its next
    /// attempt). A new tier resets Peel's own rate limiters.
    pub fn configure(&self, settings: EngineSettings) {
        if let Some(config) = settings.client {
            match GeminiClient::new(config) {
                Ok(client) => *self.client.write().unwrap_or_else(PoisonError::into_inner) = client,
                Err(error) => tracing::error!("new client settings refused: {error}"),
            }
        }
        let mut tunables = self
            .tunables
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if tunables.0 != settings.tier {
            self.shared().limiters.clear();
        }
        *tunables = (settings.tier, settings.budget);
    }

    fn tier(&self) -> TierLimits {
        self.tunables
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    fn budget(&self) -> Budget {
        self.tunables
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .1
    }

    fn client(&self) -> GeminiClient {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The jobs of earlier sessions (newest `limit`, with their attempts) and today's spend.
    pub fn restored(&self, limit: usize) -> Event {
        let jobs = self
            .store
            .recent_jobs(limit)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|summary| {
                let spec = serde_json::from_str::<JobSpec>(&summary.spec).ok()?;
                Some(PastJob {
                    id: summary.id,
                    created_at: summary.created_at,
                    spec,
                    state: summary.state,
                    reason: summary.reason,
                    parked_until: summary.parked_until,
                    image_path: summary.image_path.map(PathBuf::from),
                    model_used: summary.model_used,
                    diagnosis: summary
                        .diagnosis
                        .and_then(|json| serde_json::from_str(&json).ok()),
                    attempts: self.store.attempts(summary.id).unwrap_or_default(),
                })
            })
            .collect();
        Event::Restored {
            jobs,
            spend_today_usd: self.spend_today(),
            rewrites: self.store.remembered_rewrites(200).unwrap_or_default(),
        }
    }

    /// The job that edits `of`'s image with `prompt`: the earlier turns, then `of`'s own prompt
    /// and references, then the model's answer as received (thought signatures included), on the
    /// model that made the image (no fallback: signatures belong to their model).
    pub fn edit_spec(&self, of: JobId, prompt: &str) -> Result<JobSpec, String> {
        let not_editable = || {
            format!(
                "Image {of} can't be edited: Peel has no record of the model's answer. Generate it again, then edit."
            )
        };
        let record = self.store.job(of).ok().flatten().ok_or_else(not_editable)?;
        let original: JobSpec = serde_json::from_str(&record.spec).map_err(|_| not_editable())?;
        let (image_path, model) = self
            .store
            .image_of(of)
            .ok()
            .flatten()
            .ok_or_else(not_editable)?;
        let legacy = legacy_turn_path(std::path::Path::new(&image_path));
        let model_turn =
            turns::load_turn(&self.store.data_dir(), of, Some(&legacy)).map_err(|error| {
                format!("Image {of} can't be edited: {error}. Generate it again, then edit.")
            })?;
        let mut history = original.history.clone();
        let mut user_parts = vec![Part::text(original.prompt.clone())];
        user_parts.extend(
            original
                .references
                .iter()
                .map(|r| Part::inline_image(r.mime_type.clone(), r.base64.clone())),
        );
        history.push(Content {
            role: Some("user".to_owned()),
            parts: user_parts,
        });
        history.push(model_turn);
        Ok(JobSpec {
            prompt: prompt.trim().to_owned(),
            model,
            fallback: None,
            aspect_ratio: original.aspect_ratio,
            image_size: original.image_size,
            references: Vec::new(),
            safety_settings: original.safety_settings,
            history,
            edit_of: Some(of),
            rewrite_of: None,
        })
    }

    /// Removes a job from the gallery: its image and saved answer leave the disk, the job is
    /// marked deleted (its attempts stay, so today's spend stays true).
    pub fn delete(&self, job: JobId) -> Result<(), String> {
        if let Ok(Some((image_path, _))) = self.store.image_of(job) {
            let image = std::path::Path::new(&image_path);
            let data_dir = self.store.data_dir();
            let legacy = legacy_turn_path(image);
            let mut paths = vec![image.to_path_buf(), legacy.clone()];
            paths.extend(turns::files_only_job_uses(&data_dir, job));
            paths.push(turns::turn_file(&data_dir, job));
            for path in paths {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => {
                        return Err(format!(
                            "Could not delete {}: {error}. Check the folder's permissions; the image is still in the gallery.",
                            path.display()
                        ));
                    }
                }
            }
        }
        self.store
            .set_state(job, JobState::Deleted, None, None, Timestamp::now())
            .map_err(|error| error.to_string())
    }

    fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Until when (engine seconds) the model's breaker holds requests back, without taking its probe.
    fn breaker_blocked_until_s(&self, model: &str) -> Option<f64> {
        let now_s = self.now_s();
        self.shared()
            .breakers
            .get(model)
            .and_then(|breaker| breaker.blocked_until_s(now_s))
    }

    /// Takes the breaker's permission to send (the probe, when half-open).
    fn breaker_allows(&self, model: &str) -> bool {
        let now_s = self.now_s();
        let config = self.config.breaker;
        self.shared()
            .breakers
            .entry(model.to_owned())
            .or_insert_with(|| Breaker::new(config))
            .allows(now_s)
    }

    fn locked_until(&self, model: &str) -> Option<Timestamp> {
        self.store.lockout(model, Timestamp::now()).ok().flatten()
    }

    fn model_usable(&self, model: &str) -> bool {
        let gone = self.unlisted(model) || self.shared().not_found.contains(model);
        !gone && self.locked_until(model).is_none() && self.breaker_blocked_until_s(model).is_none()
    }

    async fn wait(&self, wait_s: f64, control: &JobControl) -> Waited {
        let mut cancelled = control.cancelled.clone();
        let already = *cancelled.borrow();
        if already {
            return Waited::Cancelled;
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs_f64(wait_s.max(0.0))) => Waited::Elapsed,
            () = control.retry_now.notified() => Waited::Skipped,
            _ = cancelled.wait_for(|c| *c) => Waited::Cancelled,
        }
    }

    /// Runs a stored job to its end and records the result in the store.
    #[expect(
        clippy::too_many_lines,
        reason = "one loop reads best as the story of a job"
    )]
    pub async fn run_job(
        &self,
        job: JobId,
        spec: &JobSpec,
        events: &EventSink,
        control: &JobControl,
    ) -> JobOutcome {
        let _ = self
            .store
            .set_state(job, JobState::Running, None, None, Timestamp::now());
        let mut outcome = JobOutcome {
            job,
            status: OutcomeStatus::Stopped,
            reason: String::new(),
            diagnosis: None,
            attempts: Vec::new(),
            model_used: None,
            changes: Vec::new(),
            image_path: None,
            parked_until: None,
            cost_usd: 0.0,
        };
        let Some(primary) = self
            .catalog
            .get(&spec.model)
            .cloned()
            .or_else(|| unknown_entry(&spec.model))
        else {
            return self
                .finish(
                    outcome,
                    OutcomeStatus::Stopped,
                    "no model".to_owned(),
                    events,
                )
                .await;
        };
        let fallback = spec
            .fallback
            .as_deref()
            .filter(|f| *f != spec.model)
            .and_then(|id| self.catalog.get(id).cloned().or_else(|| unknown_entry(id)));
        let mut role = Role::Primary;
        let mut spent = Spent {
            day_usd: self.spend_today(),
            ..Spent::default()
        };
        let mut primary_server_failures = 0u32;
        let mut retries_on_model = 0u32;
        let mut empty_answer_retries = 0u32;
        let mut last_kind: Option<Kind> = None;
        // An edit's earlier turns refer to image files: read them back once, off the async threads.
        let history = match resolve_history(spec).await {
            Ok(history) => history,
            Err(reason) => {
                return self
                    .finish(outcome, OutcomeStatus::Stopped, reason, events)
                    .await;
            }
        };

        // A primary known to be locked out or tripped goes straight to the fallback.
        if let Some(fallback) = &fallback
            && !self.model_usable(&primary.id)
            && self.model_usable(&fallback.id)
        {
            role = Role::Fallback;
            let gone = self.shared().not_found.contains(&primary.id);
            let reason = if self.unlisted(&primary.id) {
                unlisted_reason(&primary.id)
            } else if gone {
                format!(
                    "{} was not found (retired or misspelled) earlier in this session",
                    primary.id
                )
            } else if let Some(until) = self.locked_until(&primary.id) {
                format!(
                    "{} is out of daily quota until {until}",
                    primary.display_name
                )
            } else {
                format!(
                    "{}'s circuit breaker is open after repeated server failures",
                    primary.display_name
                )
            };
            announce_fallback(&mut outcome, spec, &primary, fallback, reason, events).await;
        }

        loop {
            let model = match (role, &fallback) {
                (Role::Fallback, Some(fallback)) => fallback,
                _ => &primary,
            };
            // A known daily lockout: never send to that model before its reset.
            if let Some(until) = self.locked_until(&model.id) {
                let reason = format!(
                    "{} is out of daily quota until {until} (midnight Pacific)",
                    model.display_name
                );
                outcome.parked_until = Some(until);
                return self
                    .finish(outcome, OutcomeStatus::Parked, reason, events)
                    .await;
            }
            // An open breaker (and no fallback to go to): wait for its probe instead of hammering.
            if let Some(until_s) = self.breaker_blocked_until_s(&model.id) {
                let wait_s = (until_s - self.now_s()).max(0.0);
                if let Err(exceeded) = self.budget().allows(&spent, wait_s, 0.0) {
                    return self
                        .park_for_budget(outcome, &exceeded.to_string(), events)
                        .await;
                }
                let reason = format!(
                    "{}'s circuit breaker is open after repeated server failures",
                    model.display_name
                );
                if let Waited::Cancelled = self
                    .announce_and_wait(job, wait_s, reason, events, control)
                    .await
                {
                    return self.cancelled(outcome, events).await;
                }
                spent.wait_s += wait_s;
                continue;
            }
            // Peel's own limits first, so Peel never causes a 429.
            let throttled = {
                let now_s = self.now_s();
                let tier = self.tier();
                let mut shared = self.shared();
                shared
                    .limiters
                    .entry(model.id.clone())
                    .or_insert_with(|| ModelLimiter::new(tier))
                    .acquire(now_s)
            };
            if let Err(throttled) = throttled {
                let reason = format!(
                    "Peel's own limit ({}) for {}",
                    throttled.limit, model.display_name
                );
                if let Err(exceeded) = self.budget().allows(&spent, throttled.wait_s, 0.0) {
                    return self
                        .park_for_budget(outcome, &exceeded.to_string(), events)
                        .await;
                }
                match self
                    .announce_and_wait(job, throttled.wait_s, reason, events, control)
                    .await
                {
                    Waited::Cancelled => return self.cancelled(outcome, events).await,
                    Waited::Elapsed | Waited::Skipped => {}
                }
                spent.wait_s += throttled.wait_s;
                continue;
            }
            let fitted = fit(spec, model);
            let size_for_cost = fitted.image_size.clone().unwrap_or_else(|| "1K".to_owned());
            if let Err(exceeded) =
                self.budget()
                    .allows(&spent, 0.0, worst_case_cost_usd(model, &size_for_cost))
            {
                return self
                    .park_for_budget(outcome, &exceeded.to_string(), events)
                    .await;
            }

            // Take the breaker's permission last (a half-open breaker lets one probe through).
            if !self.breaker_allows(&model.id) {
                continue;
            }
            spent.attempts += 1;
            events
                .send(Event::AttemptStarted {
                    job,
                    attempt: spent.attempts,
                    model: model.id.clone(),
                })
                .await;
            let request = request_for(spec, &history, &fitted);
            let client = self.client();
            let started_at = Timestamp::now();
            let clock = tokio::time::Instant::now();
            let mut cancelled = control.cancelled.clone();
            let answered: Option<Result<GenerateOutcome, ApiError>> = tokio::select! {
                result = client.generate_content(&model.id, &request) => Some(result),
                _ = cancelled.wait_for(|c| *c) => None,
            };
            let Some(result) = answered else {
                return self.cancelled(outcome, events).await;
            };
            let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
            let expected = Expected {
                long_side_px: fitted.aspect_ratio.as_deref().and_then(|ratio| {
                    model
                        .pixel_size(ratio, &size_for_cost)
                        .map(|[width, height]| width.max(height))
                }),
            };
            let answered = match result {
                Ok(answer) => Ok(take_in(answer, expected).await),
                Err(error) => Err(error),
            };
            let context = DiagnosisContext::new(Timestamp::now()).with_model(&model.id);
            let diagnosis = match &answered {
                Ok(answer) => {
                    let diagnosis = diagnose(&answer.evidence(), &context);
                    match &answer.received.problem {
                        Some(problem) if diagnosis.kind == Kind::Success => {
                            with_broken_image(diagnosis, problem, &context)
                        }
                        _ => diagnosis,
                    }
                }
                Err(error) => diagnose(&error.evidence(), &context),
            };
            let usage = answered
                .as_ref()
                .ok()
                .and_then(|a| a.received.response.usage_metadata.clone());
            // Google bills a broken image like a good one.
            let images = u32::from(matches!(diagnosis.kind, Kind::Success | Kind::ImageBroken));
            let cost = cost_usd(model, usage.as_ref(), &size_for_cost, images);
            spent.job_usd += cost;
            spent.day_usd += cost;
            outcome.cost_usd += cost;

            // The breaker and the limiter learn from the answer.
            self.learn(model, &diagnosis, events).await;

            let facts = JobFacts {
                role,
                fallback_usable: role == Role::Primary
                    && fallback.as_ref().is_some_and(|f| self.model_usable(&f.id)),
                primary_server_failures: primary_server_failures
                    + u32::from(role == Role::Primary && is_server_failure(diagnosis.kind)),
                retries_on_model,
                empty_answer_retries,
            };
            let unit_random = self.shared().rng.random::<f64>();
            let action = self.config.policy.decide(&diagnosis, &facts, unit_random);
            let (wait_s, wait_reason) = match &action {
                Action::Retry { wait_s, reason, .. } => (Some(*wait_s), Some(reason.clone())),
                Action::Park { reason, .. } | Action::Stop { reason } => {
                    (None, Some(reason.clone()))
                }
                Action::Done => (None, None),
            };
            let record = AttemptRecord {
                model: model.id.clone(),
                started_at,
                duration_ms,
                kind: diagnosis.kind.id().to_owned(),
                http_status: diagnosis.http_status,
                wait_s,
                wait_reason,
                input_tokens: usage.as_ref().and_then(|u| u.prompt_token_count),
                output_tokens: usage.as_ref().and_then(|u| u.candidates_token_count),
                cost_usd: cost,
            };
            let _ = self.store.record_attempt(job, &record);
            let response = match &answered {
                Ok(answer) => shown_response(&answer.evidence()),
                Err(error) => shown_response(&error.evidence()),
            };
            events
                .send(Event::AttemptEnded {
                    job,
                    report: Box::new(AttemptReport {
                        record: record.clone(),
                        diagnosis: diagnosis.clone(),
                        response,
                    }),
                })
                .await;
            outcome.attempts.push(record);
            if role == Role::Primary && is_server_failure(diagnosis.kind) {
                primary_server_failures += 1;
            }
            if matches!(
                diagnosis.kind,
                Kind::TextOnly | Kind::NoImage | Kind::ImageBroken
            ) {
                empty_answer_retries += 1;
            }
            retries_on_model = if last_kind == Some(diagnosis.kind) {
                retries_on_model + 1
            } else {
                0
            };
            last_kind = Some(diagnosis.kind);
            outcome.diagnosis = Some(diagnosis.clone());

            match action {
                Action::Done => {
                    let received = match answered {
                        Ok(answer) if answer.received.final_image.is_some() => answer.received,
                        _ => {
                            return self
                                .finish(
                                    outcome,
                                    OutcomeStatus::Stopped,
                                    "the answer had no image".to_owned(),
                                    events,
                                )
                                .await;
                        }
                    };
                    let outcome = self.deliver(outcome, model, received, events).await;
                    if outcome.status == OutcomeStatus::Delivered
                        && let Some(original) = spec.rewrite_of
                    {
                        self.remember_rewrite(original, &spec.prompt, events).await;
                    }
                    return outcome;
                }
                Action::Stop { reason } => {
                    return self
                        .finish(outcome, OutcomeStatus::Stopped, reason, events)
                        .await;
                }
                Action::Park { until, reason } => {
                    outcome.parked_until = until;
                    return self
                        .finish(outcome, OutcomeStatus::Parked, reason, events)
                        .await;
                }
                Action::Retry {
                    role: next,
                    wait_s,
                    reason,
                } => {
                    if next != role
                        && let (Role::Fallback, Some(fallback)) = (next, &fallback)
                    {
                        announce_fallback(
                            &mut outcome,
                            spec,
                            &primary,
                            fallback,
                            reason.clone(),
                            events,
                        )
                        .await;
                        role = next;
                        retries_on_model = 0;
                    }
                    if let Err(exceeded) = self.budget().allows(&spent, wait_s, 0.0) {
                        return self
                            .park_for_budget(outcome, &exceeded.to_string(), events)
                            .await;
                    }
                    if wait_s > 0.0 {
                        match self
                            .announce_and_wait(job, wait_s, reason, events, control)
                            .await
                        {
                            Waited::Cancelled => return self.cancelled(outcome, events).await,
                            Waited::Elapsed | Waited::Skipped => {}
                        }
                        spent.wait_s += wait_s;
                    }
                }
            }
        }
    }

    fn spend_today(&self) -> f64 {
        let Some(reset) = crate::diagnosis::reset::next_daily_reset(Timestamp::now()) else {
            return 0.0;
        };
        let day_start = reset
            .checked_sub(jiff::SignedDuration::from_hours(24))
            .unwrap_or(reset);
        self.store.spend_since(day_start).unwrap_or(0.0)
    }

    async fn learn(&self, model: &ModelEntry, diagnosis: &Diagnosis, events: &EventSink) {
        let now_s = self.now_s();
        let changed = {
            let config = self.config.breaker;
            let mut shared = self.shared();
            let breaker = shared
                .breakers
                .entry(model.id.clone())
                .or_insert_with(|| Breaker::new(config));
            let before = breaker.state(now_s);
            if is_server_failure(diagnosis.kind) {
                breaker.record_failure(now_s);
            } else if !matches!(diagnosis.kind, Kind::NetworkError) {
                breaker.record_success();
            }
            let after = breaker.state(now_s);
            if matches!(
                diagnosis.kind,
                Kind::RateLimitMinute | Kind::TokensPerMinute | Kind::RateLimitUnspecified
            ) && let Some(wait_s) = diagnosis.retry_after_s
            {
                let tier = self.tier();
                shared
                    .limiters
                    .entry(model.id.clone())
                    .or_insert_with(|| ModelLimiter::new(tier))
                    .tighten_until(now_s + wait_s);
            }
            (std::mem::discriminant(&before) != std::mem::discriminant(&after)).then_some(after)
        };
        if let Some(state) = changed {
            events
                .send(Event::BreakerChanged {
                    model: model.id.clone(),
                    state,
                })
                .await;
        }
        if diagnosis.kind == Kind::ModelNotFound {
            self.shared().not_found.insert(model.id.clone());
        }
        if diagnosis.kind == Kind::QuotaDaily
            && let Some(until) = diagnosis.resets_at
        {
            let _ = self
                .store
                .set_lockout(&model.id, until, "daily quota used up");
        }
    }

    async fn announce_and_wait(
        &self,
        job: JobId,
        wait_s: f64,
        reason: String,
        events: &EventSink,
        control: &JobControl,
    ) -> Waited {
        let until = Timestamp::now()
            .checked_add(jiff::SignedDuration::try_from_secs_f64(wait_s).unwrap_or_default())
            .unwrap_or_else(|_| Timestamp::now());
        events
            .send(Event::Waiting {
                job,
                wait_s,
                until,
                reason,
            })
            .await;
        self.wait(wait_s, control).await
    }

    async fn deliver(
        &self,
        mut outcome: JobOutcome,
        model: &ModelEntry,
        received: Received,
        events: &EventSink,
    ) -> JobOutcome {
        let job = outcome.job;
        let image_dir = self.config.image_dir.clone();
        let data_dir = self.store.data_dir();
        let saved = tokio::task::spawn_blocking(move || {
            delivery::save(job, &image_dir, &data_dir, received)
        })
        .await;
        let saved = match saved {
            Ok(Ok(saved)) => saved,
            Ok(Err(error)) => {
                // Neither the output folder nor the data folder took the image: keep the job
                // so it can be made again rather than lost silently.
                return self
                    .finish(outcome, OutcomeStatus::Parked, error.to_string(), events)
                    .await;
            }
            Err(error) => {
                return self
                    .finish(outcome, OutcomeStatus::Stopped, error.to_string(), events)
                    .await;
            }
        };
        let mut warnings = saved.warnings;
        let recorded = self
            .store
            .set_state(job, JobState::Done, None, None, Timestamp::now())
            .and_then(|()| {
                self.store
                    .set_image(job, &saved.path.display().to_string(), &model.id)
            });
        if let Err(error) = recorded {
            warnings.push(format!(
                "The image is saved at {}, but Peel's history could not record it ({error}), so it may be missing from the gallery after a restart.",
                saved.path.display()
            ));
        }
        for warning in &warnings {
            tracing::warn!("job {job}: {warning}");
        }
        events
            .send(Event::ImageArrived {
                job,
                path: saved.path.clone(),
                mime_type: saved.mime_type,
            })
            .await;
        outcome.image_path = Some(saved.path);
        outcome.model_used = Some(model.id.clone());
        let mut reason = if outcome.changes.is_empty() {
            format!("made with {}", model.describe())
        } else {
            format!(
                "made with fallback {}: {}",
                model.describe(),
                outcome.changes.join(", ")
            )
        };
        for warning in warnings {
            reason.push_str(". ");
            reason.push_str(&warning);
        }
        self.finish(outcome, OutcomeStatus::Delivered, reason, events)
            .await
    }

    /// Remembers that `passed` got through where job `original`'s prompt was blocked, with the
    /// names the original contained, and tells the listeners.
    async fn remember_rewrite(&self, original: JobId, passed: &str, events: &EventSink) {
        let Some(blocked) = self
            .store
            .job(original)
            .ok()
            .flatten()
            .and_then(|record| serde_json::from_str::<JobSpec>(&record.spec).ok())
            .map(|spec| spec.prompt)
        else {
            return;
        };
        let tokens = crate::rewrite::matcher::Tokens::new(&blocked);
        let mut names: Vec<String> = crate::rewrite::names::NameBook::builtin()
            .find(&tokens)
            .into_iter()
            .map(|hit| hit.entry.name.clone())
            .collect();
        names.dedup();
        let rewrite = RememberedRewrite {
            blocked,
            passed: passed.to_owned(),
            names,
        };
        if self
            .store
            .remember_rewrite(&rewrite, Timestamp::now())
            .is_ok()
        {
            events.send(Event::RewriteRemembered(rewrite)).await;
        }
    }

    async fn park_for_budget(
        &self,
        outcome: JobOutcome,
        reason: &str,
        events: &EventSink,
    ) -> JobOutcome {
        let reason = format!(
            "Stopped because {reason}; the job stays in the queue to retry later or by hand"
        );
        self.finish(outcome, OutcomeStatus::Parked, reason, events)
            .await
    }

    async fn cancelled(&self, outcome: JobOutcome, events: &EventSink) -> JobOutcome {
        self.finish(
            outcome,
            OutcomeStatus::Cancelled,
            "cancelled".to_owned(),
            events,
        )
        .await
    }

    /// Records how the job ended (so nothing is lost on a crash) and tells the listeners.
    async fn finish(
        &self,
        mut outcome: JobOutcome,
        status: OutcomeStatus,
        reason: String,
        events: &EventSink,
    ) -> JobOutcome {
        let state = match status {
            OutcomeStatus::Delivered => JobState::Done,
            OutcomeStatus::Stopped => JobState::Stopped,
            OutcomeStatus::Parked => JobState::Parked,
            OutcomeStatus::Cancelled => JobState::Cancelled,
        };
        let until = outcome
            .parked_until
            .filter(|_| status == OutcomeStatus::Parked);
        let note = (status != OutcomeStatus::Delivered).then_some(reason.as_str());
        if let Some(json) = outcome
            .diagnosis
            .as_ref()
            .and_then(|d| serde_json::to_string(d).ok())
        {
            let _ = self.store.set_diagnosis(outcome.job, &json);
        }
        if let Err(error) = self
            .store
            .set_state(outcome.job, state, until, note, Timestamp::now())
        {
            tracing::error!("could not record the end of job {}: {error}", outcome.job);
        }
        outcome.status = status;
        outcome.reason = reason;
        events
            .send(Event::Finished(Box::new(outcome.clone())))
            .await;
        outcome
    }
}

/// Records on the outcome what the fallback changes ("4K to 1K") and tells the listeners.
async fn announce_fallback(
    outcome: &mut JobOutcome,
    spec: &JobSpec,
    primary: &ModelEntry,
    fallback: &ModelEntry,
    reason: String,
    events: &EventSink,
) {
    let changes = fit(spec, fallback).changes;
    outcome.changes.clone_from(&changes);
    let job = outcome.job;
    events
        .send(Event::FellBack {
            job,
            from: primary.id.clone(),
            to: fallback.id.clone(),
            reason,
            changes,
        })
        .await;
}

/// A model the catalog does not know: sent as is, with no capability limits and no price.
fn unknown_entry(id: &str) -> Option<ModelEntry> {
    let id = id.trim();
    (!id.is_empty()).then(|| ModelEntry {
        id: id.to_owned(),
        display_name: id.to_owned(),
        official_name: None,
        status: crate::api::catalog::ModelStatus::Preview,
        shutdown_date: None,
        replacement: None,
        image_sizes: Vec::new(),
        aspect_ratios: Vec::new(),
        max_reference_images: None,
        output_mime_type: None,
        thinking: None,
        input_token_limit: None,
        output_token_limit: None,
        image_output_tokens: std::collections::BTreeMap::new(),
        price_per_image_usd: std::collections::BTreeMap::new(),
        price_input_per_million_usd: None,
        free_tier: None,
        notes: None,
        sources: Vec::new(),
        pixel_sizes: std::collections::BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(size: &str, ratio: &str, references: usize) -> JobSpec {
        JobSpec {
            prompt: "a fox".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            fallback: Some("gemini-3.1-flash-lite-image".to_owned()),
            aspect_ratio: Some(ratio.to_owned()),
            image_size: Some(size.to_owned()),
            references: vec![
                super::super::protocol::Reference {
                    mime_type: "image/png".to_owned(),
                    base64: "AA".to_owned()
                };
                references
            ],
            safety_settings: Vec::new(),
            ..JobSpec::default()
        }
    }

    #[test]
    fn settings_the_fallback_cannot_honour_are_mapped_and_named() {
        let lite = Catalog::builtin()
            .get("gemini-3.1-flash-lite-image")
            .unwrap();
        let fitted = fit(&spec("4K", "16:9", 2), lite);
        assert_eq!(fitted.image_size.as_deref(), Some("1K"));
        assert_eq!(fitted.changes, ["4K to 1K"]);
        let pro = Catalog::builtin().get("gemini-3-pro-image").unwrap();
        assert!(fit(&spec("2K", "16:9", 14), pro).changes.is_empty());
        let too_many = fit(&spec("2K", "16:9", 20), pro);
        assert_eq!(too_many.references, 14);
        assert_eq!(too_many.changes, ["20 references to 14"]);
        let ratio = fit(&spec("2K", "8:1", 0), pro);
        assert_eq!(ratio.aspect_ratio.as_deref(), Some("1:1"));
    }
}
