//! Budgets per job and per day: attempts, total waiting, and spend. A job that would exceed one
//! stops with a reason that names the budget (and is parked, so it can resume later or by hand).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::api::catalog::ModelEntry;
use crate::api::wire::UsageMetadata;

/// The limits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Requests one job may send.
    pub max_attempts: u32,
    /// Seconds one job may spend waiting between attempts.
    pub max_total_wait_s: f64,
    /// US dollars one job may spend.
    pub max_job_spend_usd: f64,
    /// US dollars all jobs together may spend per day.
    pub max_daily_spend_usd: f64,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_total_wait_s: 15.0 * 60.0,
            max_job_spend_usd: 2.0,
            max_daily_spend_usd: 20.0,
        }
    }
}

/// What a job has used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spent {
    /// Requests sent.
    pub attempts: u32,
    /// Seconds waited.
    pub wait_s: f64,
    /// Dollars spent by this job.
    pub job_usd: f64,
    /// Dollars spent today by all jobs (including this one).
    pub day_usd: f64,
}

/// Which budget a job ran into.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "budget")]
pub enum BudgetExceeded {
    /// Too many attempts.
    Attempts {
        /// The limit.
        limit: u32,
    },
    /// Too much waiting.
    Wait {
        /// The limit in seconds.
        limit_s: f64,
    },
    /// This job spent its money.
    JobSpend {
        /// The limit in dollars.
        limit_usd: f64,
    },
    /// Today's money is spent.
    DaySpend {
        /// The limit in dollars.
        limit_usd: f64,
    },
}

impl fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetExceeded::Attempts { limit } => write!(
                f,
                "the attempt budget ({limit} requests per job) is used up"
            ),
            BudgetExceeded::Wait { limit_s } => write!(
                f,
                "the waiting budget ({:.0} min per job) is used up",
                limit_s / 60.0
            ),
            BudgetExceeded::JobSpend { limit_usd } => {
                write!(f, "the job's spend budget (${limit_usd:.2}) is used up")
            }
            BudgetExceeded::DaySpend { limit_usd } => {
                write!(f, "today's spend budget (${limit_usd:.2}) is used up")
            }
        }
    }
}

impl Budget {
    /// Whether another attempt may be sent after waiting `next_wait_s`, costing up to `next_cost_usd`.
    pub fn allows(
        &self,
        spent: &Spent,
        next_wait_s: f64,
        next_cost_usd: f64,
    ) -> Result<(), BudgetExceeded> {
        if spent.attempts >= self.max_attempts {
            return Err(BudgetExceeded::Attempts {
                limit: self.max_attempts,
            });
        }
        if spent.wait_s + next_wait_s > self.max_total_wait_s {
            return Err(BudgetExceeded::Wait {
                limit_s: self.max_total_wait_s,
            });
        }
        if spent.job_usd + next_cost_usd > self.max_job_spend_usd {
            return Err(BudgetExceeded::JobSpend {
                limit_usd: self.max_job_spend_usd,
            });
        }
        if spent.day_usd + next_cost_usd > self.max_daily_spend_usd {
            return Err(BudgetExceeded::DaySpend {
                limit_usd: self.max_daily_spend_usd,
            });
        }
        Ok(())
    }
}

/// Dollars an answer cost, from its `usageMetadata` and the catalog's published prices: the image
/// price per size when an image arrived, plus input tokens at the input price (when published).
/// Unknown prices count as zero: Peel never guesses a price.
pub fn cost_usd(
    model: &ModelEntry,
    usage: Option<&UsageMetadata>,
    image_size: &str,
    images: u32,
) -> f64 {
    let image_price = model
        .price_per_image_usd
        .get(image_size)
        .or_else(|| model.price_per_image_usd.get("1K"))
        .copied()
        .unwrap_or(0.0);
    let input_tokens = usage.and_then(|u| u.prompt_token_count).unwrap_or(0);
    let input_price = model.price_input_per_million_usd.unwrap_or(0.0);
    f64::from(images) * image_price + input_tokens as f64 * input_price / 1_000_000.0
}

/// The most a request can cost (one image at the size asked), for checking before sending.
pub fn worst_case_cost_usd(model: &ModelEntry, image_size: &str) -> f64 {
    cost_usd(model, None, image_size, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalog::Catalog;

    #[test]
    fn each_budget_is_named_when_hit() {
        let budget = Budget {
            max_attempts: 3,
            max_total_wait_s: 60.0,
            max_job_spend_usd: 1.0,
            max_daily_spend_usd: 5.0,
        };
        let fresh = Spent::default();
        assert_eq!(budget.allows(&fresh, 10.0, 0.2), Ok(()));
        let tried = Spent {
            attempts: 3,
            ..fresh
        };
        assert_eq!(
            budget.allows(&tried, 0.0, 0.0),
            Err(BudgetExceeded::Attempts { limit: 3 })
        );
        let waited = Spent {
            wait_s: 55.0,
            ..fresh
        };
        assert_eq!(
            budget.allows(&waited, 10.0, 0.0),
            Err(BudgetExceeded::Wait { limit_s: 60.0 })
        );
        let spent = Spent {
            job_usd: 0.9,
            ..fresh
        };
        assert_eq!(
            budget.allows(&spent, 0.0, 0.134),
            Err(BudgetExceeded::JobSpend { limit_usd: 1.0 })
        );
        let day = Spent {
            day_usd: 4.9,
            ..fresh
        };
        let error = budget.allows(&day, 0.0, 0.24).unwrap_err();
        assert_eq!(error.to_string(), "today's spend budget ($5.00) is used up");
    }

    #[test]
    fn costs_come_from_the_catalog() {
        let pro = Catalog::builtin().get("gemini-3-pro-image").unwrap();
        assert!((cost_usd(pro, None, "4K", 1) - 0.24).abs() < 1e-9);
        assert!((cost_usd(pro, None, "2K", 1) - 0.134).abs() < 1e-9);
        assert_eq!(
            cost_usd(pro, None, "2K", 0),
            0.0,
            "a blocked image is not billed as an image"
        );
        assert!((worst_case_cost_usd(pro, "1K") - 0.134).abs() < 1e-9);
    }
}
