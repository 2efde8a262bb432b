//! Resilience: the pure policy that decides what happens after each attempt. No I/O, no async, no
//! UI; time and randomness are passed in.
//!
//! - [`policy`]: the decision table (retry, fall back, park, stop) per diagnosis kind.
//! - [`backoff`]: exponential backoff with full jitter.
//! - [`breaker`]: a circuit breaker per model.
//! - [`limiter`]: client-side rate limits per model (any-60-s window, Pacific calendar day),
//!   tightened by 429s.
//! - [`budget`]: attempt, wait and spend budgets, and costs from the catalog's prices.

pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod limiter;
pub mod policy;

pub use backoff::Backoff;
pub use breaker::{Breaker, BreakerConfig, BreakerState};
pub use budget::{Budget, BudgetExceeded, Spent};
pub use limiter::{ModelLimiter, Throttled, TierLimits};
pub use policy::{Action, JobFacts, Policy, Role};
