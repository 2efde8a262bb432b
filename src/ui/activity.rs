//! Activity: jobs in flight with their countdowns (cancel, retry now), each model's breaker and
//! rate-limit use, spend today against the daily budget, and a plot of outcomes over time by
//! class with the design's warnings (429s over 10 %, 503s over 25 %).

use jiff::Timestamp;

use super::gallery::job_controls_ui;
use super::progress::status_line;
use super::{Intent, Settings, theme};
use crate::diagnosis::{Kind, Layer};
use crate::resilience::BreakerState;
use crate::view::state::{AppState, OutcomePoint};

/// Width of one plot bucket, in minutes.
pub const BUCKET_MIN: i64 = 5;
/// Number of buckets plotted (two hours).
pub const BUCKETS: usize = 24;
/// The plotted span, in minutes.
const SPAN_MIN: i64 = BUCKET_MIN * 24;

/// The classes the plot stacks, in order.
pub const CLASSES: [&str; 5] = [
    "Image delivered",
    "Rate limited (429)",
    "Server failure (5xx, network)",
    "Blocked content",
    "Other",
];

/// Which of [`CLASSES`] an answer belongs to.
pub fn class_of(point: &OutcomePoint) -> usize {
    match (point.kind, point.kind.layer()) {
        (Kind::Success, _) => 0,
        (_, Layer::Quota) => 1,
        (_, Layer::Server | Layer::Transport) => 2,
        (_, Layer::PromptFilter | Layer::Policy | Layer::ImageFilter) => 3,
        _ => 4,
    }
}

/// Counts per class in [`BUCKETS`] buckets of [`BUCKET_MIN`] minutes, oldest first, the last
/// ending at `now`.
pub fn outcome_buckets(outcomes: &[OutcomePoint], now: Timestamp) -> Vec<[u32; CLASSES.len()]> {
    let mut buckets = vec![[0u32; CLASSES.len()]; BUCKETS];
    for point in outcomes {
        let age_min = now.duration_since(point.at).as_secs() / 60;
        if !(0..SPAN_MIN).contains(&age_min) {
            continue;
        }
        let from_end = usize::try_from(age_min / BUCKET_MIN).unwrap_or(0);
        buckets[BUCKETS - 1 - from_end][class_of(point)] += 1;
    }
    buckets
}

fn breaker_word(state: Option<&BreakerState>) -> &'static str {
    match state {
        None | Some(BreakerState::Closed) => "closed (requests flow)",
        Some(BreakerState::Open { .. }) => "open (resting after server failures)",
        Some(BreakerState::HalfOpen) => "half-open (one probe)",
    }
}

/// Draws the Activity tab.
pub fn activity_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    settings: &Settings,
    intents: &mut Vec<Intent>,
) {
    let now = Timestamp::now();
    egui::ScrollArea::vertical().show(ui, |ui| {
        for warning in state.outcome_warnings(now) {
            ui.colored_label(theme::STOPPED, warning);
        }
        let simulated = if state.simulated_scenario.is_some() {
            " (simulated prices: nothing is billed on the simulator)"
        } else {
            ""
        };
        ui.label(format!(
            "Spend today: ${:.2} of ${:.2} daily budget{simulated}",
            state.spend_today_usd, settings.budget.max_daily_spend_usd
        ));
        ui.separator();
        ui.heading("In flight");
        let open: Vec<_> = state.jobs.iter().rev().filter(|j| j.is_open()).collect();
        if open.is_empty() {
            ui.label("Nothing in flight.");
        }
        for job in open {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Job {}: {}", job.id, job.prompt()));
                let (colour, line) = status_line(ui, job, &state.typical);
                ui.colored_label(colour, line);
            });
            job_controls_ui(ui, job, intents);
        }
        ui.separator();
        ui.heading("Models");
        let models = state.models_seen();
        if models.is_empty() {
            ui.label("No requests yet.");
        } else {
            egui::Grid::new("models").striped(true).show(ui, |ui| {
                for heading in ["Model", "Circuit breaker", "Last minute", "Today"] {
                    ui.label(egui::RichText::new(heading).strong());
                }
                ui.end_row();
                for model in models {
                    ui.label(&model);
                    ui.label(breaker_word(state.breakers.get(&model)));
                    ui.label(format!(
                        "{} of {} requests",
                        state.requests_in_last_minute(&model, now),
                        settings.tier.requests_per_minute
                    ));
                    ui.label(format!(
                        "{} of {} requests",
                        state.requests_today(&model, now),
                        settings.tier.requests_per_day
                    ));
                    ui.end_row();
                }
            });
        }
        ui.separator();
        ui.heading("Outcomes, last two hours");
        outcomes_plot_ui(ui, state, now);
    });
}

fn outcomes_plot_ui(ui: &mut egui::Ui, state: &AppState, now: Timestamp) {
    let buckets = outcome_buckets(&state.outcomes, now);
    let mut charts: Vec<egui_plot::BarChart> = Vec::new();
    for (class, name) in CLASSES.iter().enumerate() {
        let bars = buckets
            .iter()
            .enumerate()
            .map(|(index, counts)| {
                let minutes_ago = (BUCKETS - index) as f64 * BUCKET_MIN as f64;
                egui_plot::Bar::new(
                    -minutes_ago + BUCKET_MIN as f64 / 2.0,
                    f64::from(counts[class]),
                )
                .width(BUCKET_MIN as f64 * 0.9)
            })
            .collect();
        let chart = egui_plot::BarChart::new(*name, bars).color(theme::OUTCOME_COLOURS[class]);
        let below: Vec<&egui_plot::BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    egui_plot::Plot::new("outcomes")
        .height(180.0)
        .legend(egui_plot::Legend::default().position(egui_plot::Corner::LeftTop))
        .x_axis_label("minutes ago")
        .y_axis_label("answers")
        .include_y(0.0)
        .include_x(-(BUCKETS as f64) * BUCKET_MIN as f64)
        .include_x(0.0)
        .allow_scroll(false)
        .show(ui, |plot_ui| {
            for chart in charts {
                plot_ui.bar_chart(chart);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_land_in_their_bucket_and_class() {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let point = |minutes_ago: i64, kind: Kind| OutcomePoint {
            at: now - jiff::SignedDuration::from_mins(minutes_ago),
            kind,
            http_status: None,
            model: "m".to_owned(),
        };
        let outcomes = vec![
            point(1, Kind::Success),
            point(2, Kind::RateLimitMinute),
            point(7, Kind::Overloaded),
            point(8, Kind::ImageSafety),
            point(500, Kind::Success),
        ];
        let buckets = outcome_buckets(&outcomes, now);
        assert_eq!(buckets[BUCKETS - 1], [1, 1, 0, 0, 0]);
        assert_eq!(buckets[BUCKETS - 2], [0, 0, 1, 1, 0]);
        let total: u32 = buckets.iter().flatten().sum();
        assert_eq!(total, 4, "answers older than two hours are not plotted");
    }
}
