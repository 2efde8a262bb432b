//! The server faults the simulator injects before a request reaches quotas or the model: Google's
//! 503s (overloaded, high demand, deadline expired), 500, the HTML 502 page, the slow 504, and the
//! capacity 429. A scenario injects them at its rates ([`scenario_fault`]); prompt words such as
//! `sim:overloaded` force one in any scenario ([`Fault::triggered_by`]).

use axum::response::Response;

use super::bodies;
use super::scenario::Faults;
use super::server::SimState;

/// Server faults a scenario injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 503 "The model is overloaded".
    Overloaded,
    /// 503 "high demand".
    HighDemand,
    /// 500 INTERNAL.
    Internal,
    /// The HTML 502 page of Google's front end.
    BadGateway,
    /// 504 after a minute (simulated).
    GatewayTimeout,
    /// 503 "Deadline expired" after half a minute (simulated).
    DeadlineExpired,
    /// A 429 without quota details ("Resource has been exhausted").
    Capacity,
}

impl Fault {
    /// Prompt words that force a fault, for tests and demos.
    const TRIGGERS: [(&'static str, Fault); 6] = [
        ("sim:overloaded", Fault::Overloaded),
        ("sim:internal", Fault::Internal),
        ("sim:bad-gateway", Fault::BadGateway),
        ("sim:timeout", Fault::GatewayTimeout),
        ("sim:deadline", Fault::DeadlineExpired),
        ("sim:capacity", Fault::Capacity),
    ];

    /// The fault a prompt's trigger word forces, if any.
    pub fn triggered_by(prompt: &str) -> Option<Fault> {
        super::terms::triggered(prompt, &Self::TRIGGERS)
    }

    /// Google's answer for the fault, after Google's delay for the slow ones.
    pub async fn answer(self, state: &SimState) -> Response {
        match self {
            Fault::Overloaded => {
                bodies::error(503, None, bodies::OVERLOADED_MESSAGES[0], Vec::new())
            }
            Fault::HighDemand => {
                bodies::error(503, None, bodies::OVERLOADED_MESSAGES[1], Vec::new())
            }
            Fault::Internal => bodies::error(500, None, bodies::INTERNAL_MESSAGE, Vec::new()),
            Fault::BadGateway => bodies::bad_gateway(),
            Fault::GatewayTimeout => {
                tokio::time::sleep(state.clock.real(60.0)).await;
                bodies::error(504, None, bodies::GATEWAY_TIMEOUT_MESSAGE, Vec::new())
            }
            Fault::DeadlineExpired => {
                tokio::time::sleep(state.clock.real(30.0)).await;
                bodies::error(503, None, bodies::DEADLINE_EXPIRED_MESSAGE, Vec::new())
            }
            Fault::Capacity => bodies::error(429, None, bodies::CAPACITY_MESSAGE, Vec::new()),
        }
    }
}

/// The fault the scenario injects into this request, if any: overloads in the busy part of the
/// scenario's cycle, then the other faults at their rates.
pub fn scenario_fault(state: &SimState, faults: &Faults) -> Option<Fault> {
    if faults.overload_share > 0.0 {
        let position = state.clock.now_s() % faults.overload_cycle_s;
        if position < faults.overload_share * faults.overload_cycle_s && state.roll() < 0.9 {
            return Some(if state.roll() < 0.5 {
                Fault::Overloaded
            } else {
                Fault::HighDemand
            });
        }
    }
    let roll = state.roll();
    let mut threshold = 0.0;
    for (share, fault) in [
        (faults.internal, Fault::Internal),
        (faults.bad_gateway, Fault::BadGateway),
        (faults.gateway_timeout, Fault::GatewayTimeout),
        (faults.deadline_expired, Fault::DeadlineExpired),
        (faults.capacity_429, Fault::Capacity),
    ] {
        threshold += share;
        if roll < threshold {
            return Some(fault);
        }
    }
    None
}
