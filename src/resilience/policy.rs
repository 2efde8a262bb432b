//! The retry policy: after each attempt, what to do next — done, retry (now or after a wait, on
//! this model or the other), park the job until a blocker clears, or stop and explain.
//!
//! | Kind | Action |
//! |---|---|
//! | rate limits (`rate_limit_minute`, `tokens_per_minute`, `rate_limit_unspecified`) | wait the server's delay, else backoff 1 s → 60 s with full jitter |
//! | `overloaded` | fall back at once; on the fallback, backoff 5 s → 120 s |
//! | `internal`, `bad_gateway`, `timeout`, `network_error` | backoff 2 s → 30 s; after 2 failures on the primary, fall back |
//! | `response_malformed` (a 200 that is not Gemini's JSON: a proxy or portal answered) | retry after 2 s; twice on a model, fall back; twice on each, stop, naming the proxy (never counted by the breaker: Google is not failing) |
//! | an answer that broke off (stalled, trickled, cut) 2 times on each model the job may use | park with the reason: the server is faulty, not busy |
//! | `quota_daily` | no request to that model until the reset: fall back, else park until then |
//! | `model_not_found` on the primary | fall back at once (a retired id never comes back); else explain |
//! | `quota_zero`, auth, other request kinds | never retry; explain |
//! | content kinds | never retry automatically; explain (rewrites come from `rewrite`) |
//! | `text_only`, `no_image`, `image_broken` | one automatic retry, then explain |

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::backoff::Backoff;
use crate::api::TransportFailure;
use crate::diagnosis::{Diagnosis, Kind, Layer};

/// The settings of the policy (the design's defaults; all configurable).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Backoff for rate limits when the server names no delay.
    pub rate_limit_backoff: Backoff,
    /// Backoff for overloads on the fallback (or with no fallback).
    pub overload_backoff: Backoff,
    /// Backoff for other server and network failures.
    pub server_backoff: Backoff,
    /// Server failures on the primary before falling back.
    pub server_failures_before_fallback: u32,
    /// Automatic retries after an answer without a usable image (`text_only`, `no_image`,
    /// `image_broken`).
    pub empty_answer_retries: u32,
    /// Whether an overload switches to the fallback at once.
    pub fallback_on_overload: bool,
    /// Answers that broke off (stalled, trickled, cut) on a model before the job leaves it: for
    /// the fallback, or parked when no model is left.
    #[serde(default = "default_broken_off_before_park")]
    pub broken_off_before_park: u32,
    /// Answers that were not Gemini's JSON (`response_malformed`) on a model before the job
    /// leaves it: for the fallback, or stopped when no model is left.
    #[serde(default = "default_broken_off_before_park")]
    pub malformed_before_leaving: u32,
}

fn default_broken_off_before_park() -> u32 {
    2
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            rate_limit_backoff: Backoff::doubling(1.0, 60.0),
            overload_backoff: Backoff::doubling(5.0, 120.0),
            server_backoff: Backoff::doubling(2.0, 30.0),
            server_failures_before_fallback: 2,
            empty_answer_retries: 1,
            fallback_on_overload: true,
            broken_off_before_park: default_broken_off_before_park(),
            malformed_before_leaving: default_broken_off_before_park(),
        }
    }
}

/// Which of the job's two models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The model the designer chose.
    Primary,
    /// The model Peel falls back to.
    Fallback,
}

/// What the policy knows about the job when it decides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JobFacts {
    /// The model the attempt went to.
    pub role: Role,
    /// Whether a fallback model is configured and usable now (not locked out, breaker not open).
    pub fallback_usable: bool,
    /// Server failures so far on the primary.
    pub primary_server_failures: u32,
    /// Retries so far on the current model for this kind of failure (for backoff).
    pub retries_on_model: u32,
    /// Automatic retries already spent on answers without a usable image.
    pub empty_answer_retries: u32,
    /// What failed below HTTP in this attempt, if anything.
    pub transport: Option<TransportFailure>,
    /// Attempts on the current model, this one included, whose answer broke off
    /// ([`TransportFailure::is_broken_off`]).
    pub broken_off_on_model: u32,
    /// The same count on the job's other model.
    pub broken_off_on_other: u32,
    /// Attempts on the current model, this one included, answered with something that is not
    /// Gemini's JSON (`response_malformed`).
    pub malformed_on_model: u32,
    /// The same count on the job's other model.
    pub malformed_on_other: u32,
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// The image arrived.
    Done,
    /// Send again after `wait_s`, to `role`.
    Retry {
        /// The model to use.
        role: Role,
        /// Seconds to wait first.
        wait_s: f64,
        /// Why, for the designer ("Google asked to wait 22 s").
        reason: String,
    },
    /// Keep the job in the durable queue until `until` (or until the designer retries it).
    Park {
        /// When the blocker clears, if known.
        until: Option<Timestamp>,
        /// Why.
        reason: String,
    },
    /// Nothing automatic can help: explain.
    Stop {
        /// Why.
        reason: String,
    },
}

impl Action {
    /// The wait before the next attempt, for a retry.
    pub fn wait_s(&self) -> Option<f64> {
        match self {
            Action::Retry { wait_s, .. } => Some(*wait_s),
            Action::Done | Action::Park { .. } | Action::Stop { .. } => None,
        }
    }

    /// The same action with `note` added to its reason ("…; it could not fall back: …").
    pub fn with_note(self, note: &str) -> Action {
        match self {
            Action::Done => Action::Done,
            Action::Retry {
                role,
                wait_s,
                reason,
            } => Action::Retry {
                role,
                wait_s,
                reason: format!("{reason}; {note}"),
            },
            Action::Park { until, reason } => Action::Park {
                until,
                reason: format!("{reason}; {note}"),
            },
            Action::Stop { reason } => Action::Stop {
                reason: format!("{reason}; {note}"),
            },
        }
    }

    /// Why, for the timeline (none when done).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::Retry { reason, .. }
            | Action::Park { reason, .. }
            | Action::Stop { reason } => Some(reason),
            Action::Done => None,
        }
    }
}

/// Whether a kind counts as a server failure for fallback and the breaker. An answer that is not
/// Gemini's JSON (`response_malformed`) does not: it comes from a proxy or portal in between,
/// and an open breaker would only make the job probe behind it for minutes.
pub fn is_server_failure(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Overloaded | Kind::Internal | Kind::BadGateway | Kind::Timeout | Kind::NetworkError
    )
}

impl Policy {
    /// Decides after an attempt ended with `diagnosis`. `unit_random` in `[0, 1)` drives the jitter.
    pub fn decide(&self, diagnosis: &Diagnosis, facts: &JobFacts, unit_random: f64) -> Action {
        let kind = diagnosis.kind;
        let on_primary_with_fallback = facts.role == Role::Primary && facts.fallback_usable;
        match kind {
            Kind::Success => Action::Done,
            Kind::RateLimitMinute | Kind::TokensPerMinute | Kind::RateLimitUnspecified => {
                self.after_rate_limit(diagnosis, facts, unit_random)
            }
            Kind::Overloaded if on_primary_with_fallback && self.fallback_on_overload => {
                fallback_now("the primary model is overloaded")
            }
            Kind::Overloaded => {
                let wait_s = diagnosis.retry_after_s.unwrap_or_else(|| {
                    self.overload_backoff
                        .full_jitter_s(facts.retries_on_model, unit_random)
                });
                same_model(
                    facts,
                    wait_s,
                    format!("overloaded; backing off {wait_s:.1} s"),
                )
            }
            Kind::Internal | Kind::BadGateway | Kind::Timeout | Kind::NetworkError => {
                self.after_server_failure(kind, facts, on_primary_with_fallback, unit_random)
            }
            Kind::ResponseMalformed => self
                .after_broken_off(facts, on_primary_with_fallback)
                .unwrap_or_else(|| self.after_malformed(facts, on_primary_with_fallback)),
            Kind::QuotaDaily if on_primary_with_fallback => {
                fallback_now("the primary model's daily quota is used up")
            }
            Kind::ModelNotFound if on_primary_with_fallback => {
                fallback_now("the primary model id was not found (retired or misspelled)")
            }
            Kind::QuotaDaily => Action::Park {
                until: diagnosis.resets_at,
                reason: "the daily quota is used up until midnight Pacific".to_owned(),
            },
            Kind::ImageBroken if facts.empty_answer_retries < self.empty_answer_retries => {
                same_model(
                    facts,
                    0.0,
                    "the image arrived broken; trying once more".to_owned(),
                )
            }
            Kind::TextOnly | Kind::NoImage
                if facts.empty_answer_retries < self.empty_answer_retries =>
            {
                same_model(
                    facts,
                    0.0,
                    "the model answered without an image; trying once more".to_owned(),
                )
            }
            _ => Action::Stop {
                reason: stop_reason(diagnosis),
            },
        }
    }

    /// After a per-minute rate limit: wait as long as Google asked, else back off with jitter.
    fn after_rate_limit(
        &self,
        diagnosis: &Diagnosis,
        facts: &JobFacts,
        unit_random: f64,
    ) -> Action {
        if let Some(wait_s) = diagnosis.retry_after_s {
            return same_model(facts, wait_s, format!("Google asked to wait {wait_s:.1} s"));
        }
        let wait_s = self
            .rate_limit_backoff
            .full_jitter_s(facts.retries_on_model, unit_random);
        same_model(
            facts,
            wait_s,
            format!("rate limited; backing off {wait_s:.1} s"),
        )
    }

    /// After a server failure (500, 502, timeout, network): the broken-off rules first, then the
    /// fallback once the primary failed [`Self::server_failures_before_fallback`] times, else a
    /// back-off on the same model.
    fn after_server_failure(
        &self,
        kind: Kind,
        facts: &JobFacts,
        fallback_usable: bool,
        unit_random: f64,
    ) -> Action {
        if let Some(broken_off) = self.after_broken_off(facts, fallback_usable) {
            return broken_off;
        }
        if fallback_usable && facts.primary_server_failures >= self.server_failures_before_fallback
        {
            return fallback_now(&format!(
                "{} server failures on the primary model",
                facts.primary_server_failures
            ));
        }
        let wait_s = self
            .server_backoff
            .full_jitter_s(facts.retries_on_model, unit_random);
        same_model(facts, wait_s, format!("{kind}; backing off {wait_s:.1} s"))
    }
}

/// Move to the fallback model at once.
fn fallback_now(reason: &str) -> Action {
    Action::Retry {
        role: Role::Fallback,
        wait_s: 0.0,
        reason: reason.to_owned(),
    }
}

/// Try the same model again after `wait_s`.
fn same_model(facts: &JobFacts, wait_s: f64, reason: String) -> Action {
    Action::Retry {
        role: facts.role,
        wait_s,
        reason,
    }
}

impl Policy {
    /// After an answer that broke off: once it happened [`Self::broken_off_before_park`] times on
    /// this model, fall back when the other model has not had as many, else park the job with the
    /// reason (the server or a proxy is faulty; backing off for minutes would not help). `None`
    /// when the usual server-failure rules apply.
    fn after_broken_off(&self, facts: &JobFacts, fallback_usable: bool) -> Option<Action> {
        let failure = facts.transport.filter(|f| f.is_broken_off())?;
        if facts.broken_off_on_model < self.broken_off_before_park {
            return None;
        }
        if fallback_usable && facts.broken_off_on_other < self.broken_off_before_park {
            return Some(Action::Retry {
                role: Role::Fallback,
                wait_s: 0.0,
                reason: format!(
                    "{} on the primary model {} times",
                    failure.describe(),
                    facts.broken_off_on_model
                ),
            });
        }
        let attempts = facts.broken_off_on_model + facts.broken_off_on_other;
        Some(Action::Park {
            until: None,
            reason: format!(
                "The server keeps breaking off its answers: {} ({attempts} attempts). The endpoint or a proxy \
                 in between is faulty, not busy, so Peel stopped retrying; check the endpoint and your \
                 connection, then retry the job.",
                failure.describe()
            ),
        })
    }
}

impl Policy {
    /// After an answer that was not Gemini's JSON: retry the same model shortly; once it happened
    /// [`Self::malformed_before_leaving`] times on this model, fall back when the other model has
    /// not had as many, else stop and name the likely cause (a proxy, captive portal or
    /// firewall page, not a busy Google).
    fn after_malformed(&self, facts: &JobFacts, fallback_usable: bool) -> Action {
        if facts.malformed_on_model < self.malformed_before_leaving {
            return Action::Retry {
                role: facts.role,
                wait_s: MALFORMED_RETRY_WAIT_S,
                reason: "the answer was not Gemini's JSON; trying once more".to_owned(),
            };
        }
        if fallback_usable && facts.malformed_on_other < self.malformed_before_leaving {
            return Action::Retry {
                role: Role::Fallback,
                wait_s: 0.0,
                reason: format!(
                    "{} answers from the primary model were not Gemini's JSON",
                    facts.malformed_on_model
                ),
            };
        }
        let answers = facts.malformed_on_model + facts.malformed_on_other;
        Action::Stop {
            reason: format!(
                "{answers} answers in a row were not Gemini's JSON (a web page, an empty or cut answer):                  a proxy, a captive portal (hotel or office Wi-Fi sign-in) or a firewall is answering                  instead of Google. Open a web page to sign in, or check the endpoint in Settings,                  then retry the job."
            ),
        }
    }
}

/// The wait before trying again after an answer that was not Gemini's JSON.
pub const MALFORMED_RETRY_WAIT_S: f64 = 2.0;

fn stop_reason(diagnosis: &Diagnosis) -> String {
    if diagnosis.kind == Kind::ImageBroken {
        // Only after the automatic retry: say what was wrong with the image.
        return format!(
            "{} again after one more try. {}",
            diagnosis.title, diagnosis.explanation
        );
    }
    let why = match diagnosis.layer {
        Layer::PromptFilter => {
            "a content block by the adjustable filter: a safety setting or a different prompt helps"
        }
        Layer::ImageFilter => {
            "a content block by the image filter: no setting changes it, only a different prompt helps"
        }
        Layer::Policy => {
            "a content block by Google's policy: neither a setting nor a rewrite will help"
        }
        Layer::Auth => "an account or key problem: retrying cannot help",
        Layer::Request => "the request itself is wrong: retrying unchanged cannot help",
        Layer::Quota => "this tier has no quota for the model: waiting cannot help",
        _ => "retrying cannot help",
    };
    format!("{}: {why}", diagnosis.title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{DiagnosisContext, Evidence, diagnose};

    fn diagnosis(kind: Kind) -> Diagnosis {
        // Build a real diagnosis through the engine, then set the kind under test.
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let mut diagnosis = diagnose(&Evidence::http(503, "{}"), &DiagnosisContext::new(now));
        diagnosis.kind = kind;
        diagnosis.layer = kind.layer();
        diagnosis.retry_after_s = None;
        diagnosis
    }

    fn facts(role: Role) -> JobFacts {
        JobFacts {
            role,
            fallback_usable: true,
            primary_server_failures: 0,
            retries_on_model: 0,
            empty_answer_retries: 0,
            transport: None,
            broken_off_on_model: 0,
            broken_off_on_other: 0,
            malformed_on_model: 0,
            malformed_on_other: 0,
        }
    }

    #[test]
    fn answers_that_are_not_geminis_json_fall_back_then_stop_naming_a_proxy() {
        let policy = Policy::default();
        let malformed = diagnosis(Kind::ResponseMalformed);
        let first = JobFacts {
            malformed_on_model: 1,
            ..facts(Role::Primary)
        };
        assert_eq!(
            policy.decide(&malformed, &first, 0.5),
            Action::Retry {
                role: Role::Primary,
                wait_s: MALFORMED_RETRY_WAIT_S,
                reason: "the answer was not Gemini's JSON; trying once more".to_owned(),
            }
        );
        let second = JobFacts {
            malformed_on_model: 2,
            ..facts(Role::Primary)
        };
        assert!(matches!(
            policy.decide(&malformed, &second, 0.5),
            Action::Retry { role: Role::Fallback, wait_s, .. } if wait_s == 0.0
        ));
        let on_each = JobFacts {
            malformed_on_model: 2,
            malformed_on_other: 2,
            ..facts(Role::Fallback)
        };
        let Action::Stop { reason } = policy.decide(&malformed, &on_each, 0.5) else {
            panic!("stops");
        };
        assert!(
            reason.contains("4 answers") && reason.contains("captive portal"),
            "{reason}"
        );
        let no_fallback = JobFacts {
            fallback_usable: false,
            ..second
        };
        assert!(matches!(
            policy.decide(&malformed, &no_fallback, 0.5),
            Action::Stop { .. }
        ));
        assert!(
            !is_server_failure(Kind::ResponseMalformed),
            "the breaker never counts them"
        );
    }

    #[test]
    fn rate_limits_wait_the_servers_delay_else_back_off() {
        let policy = Policy::default();
        for kind in [
            Kind::RateLimitMinute,
            Kind::TokensPerMinute,
            Kind::RateLimitUnspecified,
        ] {
            let mut told = diagnosis(kind);
            told.retry_after_s = Some(22.5);
            assert_eq!(
                policy.decide(&told, &facts(Role::Primary), 0.9),
                Action::Retry {
                    role: Role::Primary,
                    wait_s: 22.5,
                    reason: "Google asked to wait 22.5 s".to_owned()
                }
            );
            let Action::Retry { wait_s, role, .. } = policy.decide(
                &diagnosis(kind),
                &JobFacts {
                    retries_on_model: 3,
                    ..facts(Role::Primary)
                },
                0.5,
            ) else {
                panic!()
            };
            assert_eq!(
                (role, wait_s),
                (Role::Primary, 4.0),
                "half of the 8 s ceiling"
            );
        }
    }

    #[test]
    fn overload_falls_back_at_once_then_backs_off_on_the_fallback() {
        let policy = Policy::default();
        let overloaded = diagnosis(Kind::Overloaded);
        let Action::Retry { role, wait_s, .. } =
            policy.decide(&overloaded, &facts(Role::Primary), 0.5)
        else {
            panic!()
        };
        assert_eq!((role, wait_s), (Role::Fallback, 0.0));
        let Action::Retry { role, wait_s, .. } = policy.decide(
            &overloaded,
            &JobFacts {
                retries_on_model: 1,
                ..facts(Role::Fallback)
            },
            0.5,
        ) else {
            panic!()
        };
        assert_eq!(
            (role, wait_s),
            (Role::Fallback, 5.0),
            "half of the 10 s ceiling"
        );
        let no_fallback = JobFacts {
            fallback_usable: false,
            ..facts(Role::Primary)
        };
        let Action::Retry { role, .. } = policy.decide(&overloaded, &no_fallback, 0.5) else {
            panic!()
        };
        assert_eq!(role, Role::Primary);
    }

    #[test]
    fn server_errors_back_off_then_fall_back_after_two() {
        let policy = Policy::default();
        for kind in [
            Kind::Internal,
            Kind::BadGateway,
            Kind::Timeout,
            Kind::NetworkError,
        ] {
            let first = policy.decide(
                &diagnosis(kind),
                &JobFacts {
                    primary_server_failures: 1,
                    ..facts(Role::Primary)
                },
                1.0,
            );
            assert!(
                matches!(first, Action::Retry { role: Role::Primary, wait_s, .. } if (wait_s - 2.0).abs() < 1e-9),
                "{first:?}"
            );
            let third = policy.decide(
                &diagnosis(kind),
                &JobFacts {
                    primary_server_failures: 2,
                    ..facts(Role::Primary)
                },
                1.0,
            );
            assert!(
                matches!(third, Action::Retry { role: Role::Fallback, wait_s, .. } if wait_s == 0.0),
                "{third:?}"
            );
            let capped = policy.decide(
                &diagnosis(kind),
                &JobFacts {
                    retries_on_model: 10,
                    ..facts(Role::Fallback)
                },
                1.0,
            );
            assert!(
                matches!(capped, Action::Retry { wait_s, .. } if (wait_s - 30.0).abs() < 1e-9),
                "{capped:?}"
            );
        }
    }

    #[test]
    fn daily_quota_falls_back_or_parks_until_the_reset() {
        let policy = Policy::default();
        let mut daily = diagnosis(Kind::QuotaDaily);
        daily.resets_at = Some("2026-11-28T08:00:00Z".parse().unwrap());
        assert!(matches!(
            policy.decide(&daily, &facts(Role::Primary), 0.5),
            Action::Retry {
                role: Role::Fallback,
                ..
            }
        ));
        let parked = policy.decide(&daily, &facts(Role::Fallback), 0.5);
        assert!(
            matches!(parked, Action::Park { until: Some(until), .. } if until.to_string() == "2026-11-28T08:00:00Z"),
            "{parked:?}"
        );
    }

    #[test]
    fn nothing_automatic_for_zero_quota_auth_request_and_content() {
        let policy = Policy::default();
        for kind in Kind::ALL {
            let layer = kind.layer();
            let never = kind == Kind::QuotaZero
                || matches!(
                    layer,
                    Layer::Auth
                        | Layer::Request
                        | Layer::PromptFilter
                        | Layer::Policy
                        | Layer::ImageFilter
                );
            if never {
                let action = policy.decide(&diagnosis(kind), &facts(Role::Fallback), 0.5);
                assert!(matches!(action, Action::Stop { .. }), "{kind}: {action:?}");
            }
        }
    }

    #[test]
    fn a_missing_primary_falls_back_but_is_never_retried() {
        let policy = Policy::default();
        let missing = diagnosis(Kind::ModelNotFound);
        let action = policy.decide(&missing, &facts(Role::Primary), 0.5);
        assert!(
            matches!(action, Action::Retry { role: Role::Fallback, wait_s, .. } if wait_s == 0.0),
            "{action:?}"
        );
        assert!(matches!(
            policy.decide(&missing, &facts(Role::Fallback), 0.5),
            Action::Stop { .. }
        ));
        let alone = JobFacts {
            fallback_usable: false,
            ..facts(Role::Primary)
        };
        assert!(matches!(
            policy.decide(&missing, &alone, 0.5),
            Action::Stop { .. }
        ));
    }

    #[test]
    fn one_retry_for_answers_without_a_usable_image() {
        let policy = Policy::default();
        for kind in [Kind::TextOnly, Kind::NoImage, Kind::ImageBroken] {
            assert!(
                matches!(policy.decide(&diagnosis(kind), &facts(Role::Primary), 0.5), Action::Retry { wait_s, .. } if wait_s == 0.0)
            );
            let again = JobFacts {
                empty_answer_retries: 1,
                ..facts(Role::Primary)
            };
            assert!(matches!(
                policy.decide(&diagnosis(kind), &again, 0.5),
                Action::Stop { .. }
            ));
        }
        assert_eq!(
            policy.decide(&diagnosis(Kind::Success), &facts(Role::Primary), 0.5),
            Action::Done
        );
    }

    #[test]
    fn answers_that_keep_breaking_off_park_the_job_with_the_reason() {
        let policy = Policy::default();
        let network = diagnosis(Kind::NetworkError);
        let broken = |failure, role, on_model, on_other| JobFacts {
            transport: Some(failure),
            broken_off_on_model: on_model,
            broken_off_on_other: on_other,
            primary_server_failures: if role == Role::Primary { on_model } else { 2 },
            ..facts(role)
        };
        for failure in [
            TransportFailure::TooSlow,
            TransportFailure::Stalled,
            TransportFailure::ConnectionReset,
        ] {
            // The first one backs off as any network failure does.
            let first = policy.decide(&network, &broken(failure, Role::Primary, 1, 0), 0.5);
            assert!(
                matches!(
                    first,
                    Action::Retry {
                        role: Role::Primary,
                        ..
                    }
                ),
                "{first:?}"
            );
            // The second on the primary goes to the fallback at once, saying why.
            let second = policy.decide(&network, &broken(failure, Role::Primary, 2, 0), 0.5);
            assert!(
                matches!(&second, Action::Retry { role: Role::Fallback, wait_s, reason } if *wait_s == 0.0 && reason.contains(failure.describe())),
                "{second:?}"
            );
            // The second on the fallback parks the job: no backing off for minutes.
            let parked = policy.decide(&network, &broken(failure, Role::Fallback, 2, 2), 0.5);
            let Action::Park { until, reason } = parked else {
                panic!("{failure:?}: {parked:?}")
            };
            assert_eq!(until, None);
            assert!(
                reason.contains(failure.describe()) && reason.contains("4 attempts"),
                "{reason}"
            );
            // Without a usable fallback, two on the only model park it.
            let alone = JobFacts {
                fallback_usable: false,
                ..broken(failure, Role::Primary, 2, 0)
            };
            assert!(matches!(
                policy.decide(&network, &alone, 0.5),
                Action::Park { until: None, .. }
            ));
            // A fallback that already broke off twice is not tried again.
            assert!(matches!(
                policy.decide(&network, &broken(failure, Role::Primary, 2, 2), 0.5),
                Action::Park { .. }
            ));
        }
        // Failures that are not broken-off answers keep the usual rules.
        for failure in [TransportFailure::Connect, TransportFailure::Dns] {
            let alone = JobFacts {
                fallback_usable: false,
                ..broken(failure, Role::Primary, 5, 0)
            };
            assert!(
                matches!(policy.decide(&network, &alone, 0.5), Action::Retry { .. }),
                "{failure:?}"
            );
        }
    }
}
