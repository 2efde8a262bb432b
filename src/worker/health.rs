//! What this session knows about each model's health: its circuit breaker, Peel's own rate
//! limiter (from the designer's tier), ids that answered 404, and ids Google's `models.list` no
//! longer names. All of it sits behind **one** lock, taken and released inside each method, so no
//! code path can hold two locks in different orders (a tier change while a 429 arrives once
//! deadlocked the worker when the tier and the breakers had locks of their own).
//!
//! A request's permission to go is a [`Permit`]: when the breaker is half-open it is the one
//! probe, and a permit dropped without a report (the job was cancelled mid-request) gives the
//! probe back, so a cancelled probe never leaves the model unusable.
//!
//! Peel's own limiters are rebuilt when the tier or the server's time scale changes, and start
//! with the engine; so that neither forgets what was sent, the wall times of today's sends per
//! model are kept here too (seeded from the store at engine start, [`ModelHealth::seed_sent`]),
//! and each new limiter starts from them ([`ModelLimiter::seed_sent`]). A pause the server set (a
//! 429's retry delay) is kept here as well and carried into each new limiter: a new tier is
//! Peel's own limit and never lifts Google's.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::api::LiveModels;
use crate::diagnosis::reset::today_started;
use crate::diagnosis::{Diagnosis, Kind};
use crate::resilience::policy::is_server_failure;
use crate::resilience::{
    Breaker, BreakerConfig, BreakerState, ModelLimiter, Throttled, TierLimits,
};

/// The most sends a model's day keeps (far above any image model's daily tier); beyond it the
/// oldest are forgotten.
pub const MAX_REMEMBERED_SENDS: usize = 50_000;

/// The health of every model this session has used.
#[derive(Debug)]
pub struct ModelHealth {
    breaker_config: BreakerConfig,
    started: tokio::time::Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    tier: TierLimits,
    /// Real seconds per second of the server's clock (1.0 for Google; a scaled simulator's
    /// `--time-scale`), so Peel's minute is the server's minute.
    time_scale: f64,
    limiters: HashMap<String, ModelLimiter>,
    /// Wall times of the requests sent to each model on the current Pacific day, oldest first
    /// (at most [`MAX_REMEMBERED_SENDS`]): what a new limiter starts from.
    sent_today: HashMap<String, VecDeque<Timestamp>>,
    /// Until when (health seconds) the server told Peel to send nothing to each model (a 429's
    /// retry delay): a new limiter starts closed until then.
    server_pause_until_s: HashMap<String, f64>,
    breakers: HashMap<String, Breaker>,
    /// Ids that answered 404 in this session: not asked again.
    not_found: HashSet<String>,
    /// What `models.list` names, once known.
    live: Option<LiveModels>,
    rng: StdRng,
}

/// Permission for one request to a model (see the module doc).
#[derive(Debug)]
pub struct Permit<'a> {
    health: &'a ModelHealth,
    model: String,
    reported: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.health
                .lock()
                .breaker(&self.model, self.health.breaker_config)
                .release_probe();
        }
    }
}

impl Inner {
    fn breaker(&mut self, model: &str, config: BreakerConfig) -> &mut Breaker {
        self.breakers
            .entry(model.to_owned())
            .or_insert_with(|| Breaker::new(config))
    }

    /// `model`'s limiter, made (from today's sends) if there is none; `now_s` and `wall` are the
    /// same moment on the health clock and the wall clock.
    fn limiter(&mut self, model: &str, now_s: f64, wall: Timestamp) -> &mut ModelLimiter {
        let (tier, time_scale) = (self.tier, self.time_scale);
        let (sent_today, paused) = (&self.sent_today, &self.server_pause_until_s);
        self.limiters.entry(model.to_owned()).or_insert_with(|| {
            let mut limiter = ModelLimiter::new(tier).with_time_scale(time_scale);
            if let Some(sent) = sent_today.get(model) {
                limiter.seed_sent(sent.iter().copied(), now_s, wall);
            }
            if let Some(until_s) = paused.get(model) {
                limiter.tighten_until(*until_s);
            }
            limiter
        })
    }

    /// Drops Peel's own limiters (they are made again, from today's sends and the server's
    /// pauses, when next asked), and the server's pauses that have passed by `now_s`.
    fn forget_limiters(&mut self, now_s: f64) {
        self.limiters.clear();
        self.server_pause_until_s
            .retain(|_, until_s| *until_s > now_s);
    }

    /// Remembers sends to `model` at `sent_at`, keeping only the Pacific day of `wall` (and at
    /// most [`MAX_REMEMBERED_SENDS`]).
    fn remember_sent(
        &mut self,
        model: &str,
        sent_at: impl IntoIterator<Item = Timestamp>,
        wall: Timestamp,
    ) {
        let sent = self.sent_today.entry(model.to_owned()).or_default();
        sent.extend(sent_at);
        sent.make_contiguous().sort();
        let day_start = today_started(wall);
        while sent
            .front()
            .is_some_and(|front| day_start.is_some_and(|start| *front < start))
            || sent.len() > MAX_REMEMBERED_SENDS
        {
            sent.pop_front();
        }
    }
}

impl ModelHealth {
    /// Health with no history, for `tier`, with jitter seeded by `seed`.
    pub fn new(tier: TierLimits, breaker_config: BreakerConfig, seed: u64) -> Self {
        Self {
            breaker_config,
            started: tokio::time::Instant::now(),
            inner: Mutex::new(Inner {
                tier,
                time_scale: 1.0,
                limiters: HashMap::new(),
                sent_today: HashMap::new(),
                server_pause_until_s: HashMap::new(),
                breakers: HashMap::new(),
                not_found: HashSet::new(),
                live: None,
                rng: StdRng::seed_from_u64(seed),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Seconds since this health began (the breakers' and limiters' clock).
    pub fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Requests an earlier session sent (model, wall time): today's count toward each model's
    /// day, the last minute's toward its minute. Give each send once, before this health takes
    /// its first permit (the engine does at start).
    pub fn seed_sent(&self, sent: impl IntoIterator<Item = (String, Timestamp)>) {
        let mut by_model: BTreeMap<String, Vec<Timestamp>> = BTreeMap::new();
        for (model, at) in sent {
            by_model.entry(model).or_default().push(at);
        }
        let (now_s, wall) = (self.now_s(), Timestamp::now());
        let mut inner = self.lock();
        for (model, at) in by_model {
            if let Some(limiter) = inner.limiters.get_mut(&model) {
                limiter.seed_sent(at.iter().copied(), now_s, wall);
            }
            inner.remember_sent(&model, at, wall);
        }
    }

    /// A new tier: Peel's own limiters start afresh when it changed, from today's sends and
    /// still closed for a pause the server set.
    pub fn set_tier(&self, tier: TierLimits) {
        let now_s = self.now_s();
        let mut inner = self.lock();
        if inner.tier != tier {
            inner.forget_limiters(now_s);
            inner.tier = tier;
        }
    }

    /// The server's clock runs at `time_scale` real seconds per second (the simulator's
    /// `--time-scale`; 1.0 for Google): Peel's own limiters count the server's minutes. They start
    /// afresh (from today's sends, and closed for a pause the server set) when it changed.
    pub fn set_time_scale(&self, time_scale: f64) {
        let now_s = self.now_s();
        let mut inner = self.lock();
        if time_scale.is_finite() && time_scale > 0.0 && inner.time_scale != time_scale {
            inner.forget_limiters(now_s);
            inner.time_scale = time_scale;
        }
    }

    /// The list of models Google names now (`None`: unknown, every model is tried).
    pub fn set_live_models(&self, live: Option<LiveModels>) {
        self.lock().live = live;
    }

    /// Whether a known list leaves `model` out.
    pub fn unlisted(&self, model: &str) -> bool {
        self.lock()
            .live
            .as_ref()
            .is_some_and(|live| !live.is_listed(model))
    }

    /// Whether `model` answered 404 in this session.
    pub fn not_found(&self, model: &str) -> bool {
        self.lock().not_found.contains(model)
    }

    /// Until when (health seconds) the breaker holds requests back, without taking the probe.
    pub fn breaker_blocked_until_s(&self, model: &str) -> Option<f64> {
        let now_s = self.now_s();
        self.lock()
            .breakers
            .get(model)
            .and_then(|breaker| breaker.blocked_until_s(now_s))
    }

    /// Takes Peel's own rate-limit permit for one request, or says how long to wait.
    /// A permit taken is remembered as a send of today.
    pub fn acquire(&self, model: &str) -> Result<(), Throttled> {
        let (now_s, wall) = (self.now_s(), Timestamp::now());
        let mut inner = self.lock();
        inner.limiter(model, now_s, wall).acquire(now_s, wall)?;
        inner.remember_sent(model, [wall], wall);
        Ok(())
    }

    /// The breaker's permission to send (the probe, when half-open), or `None`.
    pub fn permit(&self, model: &str) -> Option<Permit<'_>> {
        let now_s = self.now_s();
        let allowed = self
            .lock()
            .breaker(model, self.breaker_config)
            .allows(now_s);
        allowed.then(|| Permit {
            health: self,
            model: model.to_owned(),
            reported: false,
        })
    }

    /// Learns from the answer a permitted request got: the breaker counts server failures (and a
    /// success closes it), a 429 with a delay closes Peel's limiter until it passes, a 404 marks
    /// the id. Returns the breaker's new state when it changed.
    pub fn learn(&self, mut permit: Permit<'_>, diagnosis: &Diagnosis) -> Option<BreakerState> {
        permit.reported = true;
        let model = permit.model.as_str();
        let now_s = self.now_s();
        let mut inner = self.lock();
        let breaker = inner.breaker(model, self.breaker_config);
        let before = breaker.state(now_s);
        if is_server_failure(diagnosis.kind) {
            breaker.record_failure(now_s);
        } else {
            breaker.record_success();
        }
        let after = breaker.state(now_s);
        if matches!(
            diagnosis.kind,
            Kind::RateLimitMinute | Kind::TokensPerMinute | Kind::RateLimitUnspecified
        ) && let Some(wait_s) = diagnosis.retry_after_s
        {
            let until_s = now_s + wait_s;
            let paused = inner
                .server_pause_until_s
                .entry(model.to_owned())
                .or_insert(until_s);
            *paused = paused.max(until_s);
            inner
                .limiter(model, now_s, Timestamp::now())
                .tighten_until(until_s);
        }
        if diagnosis.kind == Kind::ModelNotFound {
            inner.not_found.insert(model.to_owned());
        }
        (std::mem::discriminant(&before) != std::mem::discriminant(&after)).then_some(after)
    }

    /// A number in `[0, 1)` for jitter.
    pub fn unit_random(&self) -> f64 {
        self.lock().rng.random::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{DiagnosisContext, Evidence, diagnose};

    fn diagnosis(status: u16) -> Diagnosis {
        diagnose(
            &Evidence::http(status, "{}"),
            &DiagnosisContext::new("2026-11-27T12:00:00Z".parse().unwrap()),
        )
    }

    fn tripped() -> ModelHealth {
        let health = ModelHealth::new(
            TierLimits::default(),
            BreakerConfig {
                failure_threshold: 1,
                window_s: 60.0,
                cooldown_s: 0.0,
            },
            1,
        );
        let permit = health.permit("m").unwrap();
        assert!(health.learn(permit, &diagnosis(500)).is_some());
        health
    }

    #[test]
    fn a_probe_dropped_without_an_answer_is_given_back() {
        let health = tripped();
        let probe = health.permit("m").expect("half-open: one probe");
        assert!(health.permit("m").is_none(), "only one probe at a time");
        drop(probe); // the job was cancelled mid-request
        assert_eq!(health.breaker_blocked_until_s("m"), None);
        let again = health.permit("m").expect("the next request may probe");
        health.learn(again, &diagnosis(200));
        assert!(health.permit("m").is_some() && health.permit("m").is_some());
    }

    #[test]
    fn a_tier_change_resets_the_limiters_without_a_second_lock() {
        let health = ModelHealth::new(
            TierLimits {
                requests_per_minute: 1,
                images_per_minute: 0,
                requests_per_day: 0,
            },
            BreakerConfig::default(),
            1,
        );
        assert!(health.acquire("m").is_ok());
        assert!(health.acquire("m").is_err());
        health.set_tier(TierLimits {
            requests_per_minute: 5,
            images_per_minute: 0,
            requests_per_day: 0,
        });
        assert!(health.acquire("m").is_ok());
    }

    #[test]
    fn a_pause_the_server_set_survives_a_tier_and_time_scale_change() {
        let health = ModelHealth::new(per_day(0, 100), BreakerConfig::default(), 1);
        let mut told_to_wait = diagnosis(429);
        told_to_wait.kind = Kind::RateLimitMinute;
        told_to_wait.retry_after_s = Some(600.0);
        let permit = health.permit("m").unwrap();
        health.learn(permit, &told_to_wait);
        let server_window = "the server's 429 window";
        assert_eq!(health.acquire("m").unwrap_err().limit, server_window);
        health.set_tier(per_day(0, 200));
        assert_eq!(
            health.acquire("m").unwrap_err().limit,
            server_window,
            "a new tier is Peel's own limit; Google's pause still holds"
        );
        health.set_time_scale(0.5);
        assert_eq!(health.acquire("m").unwrap_err().limit, server_window);
        assert!(health.acquire("other").is_ok(), "the pause is the model's");
    }

    fn per_day(requests_per_day: u32, requests_per_minute: u32) -> TierLimits {
        TierLimits {
            requests_per_minute,
            images_per_minute: 0,
            requests_per_day,
        }
    }

    #[test]
    fn sends_seeded_at_start_survive_a_tier_and_time_scale_change() {
        let health = ModelHealth::new(per_day(2, 0), BreakerConfig::default(), 1);
        let now = Timestamp::now();
        health.seed_sent([("m".to_owned(), now), ("m".to_owned(), now)]);
        let throttled = health.acquire("m").unwrap_err();
        assert_eq!(throttled.limit, "requests per day");
        assert!(
            health.acquire("other").is_ok(),
            "each model has its own day"
        );
        health.set_tier(per_day(3, 0));
        assert!(health.acquire("m").is_ok(), "the third of three");
        health.set_time_scale(0.5);
        health.set_tier(per_day(3, 100));
        assert_eq!(
            health.acquire("m").unwrap_err().limit,
            "requests per day",
            "three sent today, whatever the tier's minute or the server's clock"
        );
    }

    #[test]
    fn seeding_counts_into_a_limiter_that_already_exists() {
        let health = ModelHealth::new(per_day(2, 0), BreakerConfig::default(), 1);
        assert!(health.acquire("m").is_ok());
        health.seed_sent([("m".to_owned(), Timestamp::now())]);
        assert!(health.acquire("m").is_err());
    }

    #[test]
    fn only_todays_sends_are_kept() {
        let health = ModelHealth::new(per_day(1, 0), BreakerConfig::default(), 1);
        let yesterday = Timestamp::now() - jiff::SignedDuration::from_hours(25);
        health.seed_sent([("m".to_owned(), yesterday)]);
        assert!(health.lock().sent_today["m"].is_empty());
        assert!(
            health.acquire("m").is_ok(),
            "yesterday's send is not today's"
        );
        assert!(health.acquire("m").is_err());
    }
}
