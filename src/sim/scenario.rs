//! Scenarios: named ways the simulator behaves, each explained in one line by `peel sim --list`.

use std::fmt;
use std::str::FromStr;

/// Which quota tier a scenario gives every key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// Paid tier 1: generous limits.
    Paid,
    /// The free tier: tight limits (quota ids end in `-FreeTier`).
    Free,
    /// A tier without any quota for image models (limit 0).
    NoQuota,
}

/// Limits for one model on one tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests per minute.
    pub requests_per_minute: u64,
    /// Input tokens per minute.
    pub input_tokens_per_minute: u64,
    /// Requests per day (resets at midnight Pacific).
    pub requests_per_day: u64,
}

impl Tier {
    /// The limits this tier gives image models. Google does not publish numbers for image models
    /// (they are shown per project in AI Studio); these are plausible, user-reported magnitudes.
    pub fn limits(self) -> Limits {
        match self {
            Tier::Paid => Limits {
                requests_per_minute: 20,
                input_tokens_per_minute: 1_000_000,
                requests_per_day: 250,
            },
            Tier::Free => Limits {
                requests_per_minute: 2,
                input_tokens_per_minute: 32_000,
                requests_per_day: 10,
            },
            Tier::NoQuota => Limits {
                requests_per_minute: 0,
                input_tokens_per_minute: 0,
                requests_per_day: 0,
            },
        }
    }

    /// Whether quota ids and metrics carry the free-tier names.
    pub fn is_free(self) -> bool {
        matches!(self, Tier::Free | Tier::NoQuota)
    }
}

/// Fault rates and windows, as fractions of requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    /// Share of time the primary model is in an overload window (503).
    pub overload_share: f64,
    /// Length of one overload cycle in seconds (the window is the first `overload_share` of it).
    pub overload_cycle_s: f64,
    /// Share of requests throttled by shared capacity (429 without details) outside quotas.
    pub capacity_429: f64,
    /// Share of 500 INTERNAL answers.
    pub internal: f64,
    /// Share of 502 HTML pages.
    pub bad_gateway: f64,
    /// Share of slow answers that end in 504.
    pub gateway_timeout: f64,
    /// Share of 503 "Deadline expired".
    pub deadline_expired: f64,
    /// Share of connections dropped mid-body.
    pub dropped: f64,
    /// Extra latency added to every answer, in seconds.
    pub latency_s: f64,
    /// Share of image answers that are hostile: a `200` whose image is cut in half, a
    /// decompression bomb or text labelled as an image, or whose body stalls or drops (see
    /// [`super::hostile::Hostile::from_roll`]).
    pub hostile: f64,
}

impl Faults {
    const NONE: Faults = Faults {
        overload_share: 0.0,
        overload_cycle_s: 120.0,
        capacity_429: 0.0,
        internal: 0.0,
        bad_gateway: 0.0,
        gateway_timeout: 0.0,
        deadline_expired: 0.0,
        dropped: 0.0,
        latency_s: 0.0,
        hostile: 0.0,
    };
}

/// A named simulator behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Everything works on a paid tier.
    Calm,
    /// Free-tier limits: per-minute and daily 429s come quickly.
    FreeTier,
    /// Rush hour: the Pro model is overloaded (503) much of the time and capacity 429s appear.
    PeakHour,
    /// Unreliable servers: 500s, 502 pages, slow 504s, deadline 503s and dropped connections.
    Flaky,
    /// No quota for image models on this tier (limit 0): billing is needed.
    NoQuota,
    /// The primary model has been retired and answers 404.
    RetiredModel,
    /// Stricter image filter: more prompts end in IMAGE_SAFETY.
    StrictSafety,
    /// Broken answers: a share of `200`s carry a truncated image, a decompression bomb, text
    /// labelled as an image, or a body that stalls or drops; streams also break mid-way (an
    /// error after the first events, an end before the last) or send a 30 MB event.
    BrokenAnswers,
}

impl Scenario {
    /// Every scenario, in `--list` order.
    pub const ALL: [Scenario; 8] = [
        Scenario::Calm,
        Scenario::FreeTier,
        Scenario::PeakHour,
        Scenario::Flaky,
        Scenario::NoQuota,
        Scenario::RetiredModel,
        Scenario::StrictSafety,
        Scenario::BrokenAnswers,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Calm => "calm",
            Scenario::FreeTier => "free-tier",
            Scenario::PeakHour => "peak-hour",
            Scenario::Flaky => "flaky",
            Scenario::NoQuota => "no-quota",
            Scenario::RetiredModel => "retired-model",
            Scenario::StrictSafety => "strict-safety",
            Scenario::BrokenAnswers => "broken-answers",
        }
    }

    /// One line for `--list` and the app's scenario picker.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::Calm => {
                "Everything works: paid-tier quotas, no faults, images for every safe prompt"
            }
            Scenario::FreeTier => {
                "Free-tier limits (2 requests/min, 10/day): per-minute and daily 429s come quickly"
            }
            Scenario::PeakHour => {
                "Rush hour: Nano Banana Pro is overloaded (503) most of each 2-minute cycle; some capacity 429s"
            }
            Scenario::Flaky => {
                "Unreliable servers: 500s, 502 HTML pages, slow 504s, deadline 503s, dropped connections"
            }
            Scenario::NoQuota => {
                "This tier has no quota for image models (limit 0): every request gets 429 until billing is on"
            }
            Scenario::RetiredModel => {
                "Nano Banana Pro (gemini-3-pro-image) has been retired and answers 404"
            }
            Scenario::StrictSafety => {
                "A stricter image filter: named characters, real people and photoreal bodies end in IMAGE_SAFETY"
            }
            Scenario::BrokenAnswers => {
                "Broken answers: 30% of images arrive cut in half, as a decompression bomb, as text labelled image/png, or stall or drop mid-body; streams also break mid-way or send a 30 MB event"
            }
        }
    }

    /// The quota tier every key gets.
    pub fn tier(self) -> Tier {
        match self {
            Scenario::FreeTier => Tier::Free,
            Scenario::NoQuota => Tier::NoQuota,
            _ => Tier::Paid,
        }
    }

    /// Fault rates for a model (`primary` = the model the overloads hit).
    pub fn faults(self, is_primary: bool) -> Faults {
        match self {
            Scenario::PeakHour if is_primary => Faults {
                overload_share: 0.7,
                overload_cycle_s: 120.0,
                capacity_429: 0.05,
                latency_s: 0.5,
                ..Faults::NONE
            },
            Scenario::PeakHour => Faults {
                capacity_429: 0.05,
                latency_s: 0.3,
                ..Faults::NONE
            },
            Scenario::Flaky => Faults {
                internal: 0.12,
                bad_gateway: 0.06,
                gateway_timeout: 0.05,
                deadline_expired: 0.05,
                dropped: 0.06,
                latency_s: 0.2,
                ..Faults::NONE
            },
            Scenario::BrokenAnswers => Faults {
                hostile: 0.3,
                ..Faults::NONE
            },
            _ => Faults::NONE,
        }
    }

    /// Whether the image filter's strict-only rules apply.
    pub fn strict_safety(self) -> bool {
        self == Scenario::StrictSafety
    }

    /// Model ids that answer 404 in this scenario, beyond the catalog's retired ones.
    pub fn retired_ids(self) -> &'static [&'static str] {
        match self {
            Scenario::RetiredModel => &["gemini-3-pro-image"],
            _ => &[],
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scenario name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("There is no simulator scenario \"{0}\". Run `peel sim --list` to see them.")]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.name() == name.trim())
            .ok_or_else(|| UnknownScenario(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_describe_themselves() {
        for scenario in Scenario::ALL {
            assert_eq!(scenario.name().parse::<Scenario>().unwrap(), scenario);
            assert!(scenario.description().len() > 20);
        }
        let error = "rush".parse::<Scenario>().unwrap_err();
        assert!(error.to_string().contains("peel sim --list"));
    }
}
