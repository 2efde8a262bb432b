//! What the engine is configured with: the retry policy, budgets, the designer's tier, breaker
//! settings, where images go, and the jitter seed.

use std::path::PathBuf;

use crate::resilience::{BreakerConfig, Budget, Policy, TierLimits};

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
