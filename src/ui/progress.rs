//! Where a job stands, in one line with its colour: queued, a request on its way (its elapsed
//! time beside how long such an answer usually takes), a countdown, or how it ended. Lines that
//! count ask for a repaint each second.

use jiff::Timestamp;

use super::theme;
use crate::diagnosis::words::human_duration;
use crate::view::state::{JobStatus, JobView};
use crate::view::typical::{Typical, TypicalTimes};
use crate::worker::JobState;

/// An answer this many times its typical time is called slow.
const SLOW_FACTOR: f64 = 2.0;

/// A job's status in one line, with its colour; asks for a repaint each second while counting.
pub fn status_line(
    ui: &egui::Ui,
    job: &JobView,
    typical: &TypicalTimes,
) -> (egui::Color32, String) {
    match &job.status {
        JobStatus::Queued => (theme::WAITING, "Queued".to_owned()),
        JobStatus::Sending {
            attempt,
            model,
            image_size,
            since,
        } => {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
            let typical = typical.typical(model, image_size);
            (
                theme::WAITING,
                // The times first: a tile is narrow, and they are what changes.
                format!(
                    "{} · attempt {attempt} on {model}",
                    elapsed_words(seconds_since(*since), typical)
                ),
            )
        }
        JobStatus::Waiting { until, reason } => {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
            (
                theme::WAITING,
                format!("Next attempt in {}: {reason}", seconds_until(*until)),
            )
        }
        JobStatus::Finished(status) => {
            let (colour, word) = match status {
                JobState::Delivered => (theme::DELIVERED, "Done"),
                JobState::Stopped => (theme::STOPPED, "Stopped"),
                JobState::Parked => (theme::WAITING, "Kept in the queue"),
                JobState::Cancelled => (theme::STOPPED, "Cancelled"),
                JobState::Deleted => (theme::STOPPED, "Deleted"),
                JobState::Queued | JobState::Running => (theme::WAITING, "Not finished"),
            };
            (
                colour,
                format!("{word}: {}", job.reason.as_deref().unwrap_or_default()),
            )
        }
    }
}

/// "14 s, typically ~20 s"; "2 min 10 s, typically ~1 min: slower than usual" past twice the
/// typical time; "14 s so far" when nothing is known of the model.
pub fn elapsed_words(elapsed_s: f64, typical: Option<Typical>) -> String {
    let elapsed = human_duration(elapsed_s.floor());
    match typical {
        Some(typical) if elapsed_s > SLOW_FACTOR * typical.seconds => {
            format!("{elapsed}, {}: slower than usual", typical.label())
        }
        Some(typical) => format!("{elapsed}, {}", typical.label()),
        None => format!("{elapsed} so far"),
    }
}

/// Seconds from `since` to now (never negative).
pub fn seconds_since(since: Timestamp) -> f64 {
    Timestamp::now()
        .duration_since(since)
        .as_secs_f64()
        .max(0.0)
}

/// "12 s", "4 min 10 s" until `until` (never negative).
pub fn seconds_until(until: Timestamp) -> String {
    human_duration(
        until
            .duration_since(Timestamp::now())
            .as_secs_f64()
            .max(0.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::typical::TypicalSource;

    #[test]
    fn elapsed_time_reads_against_the_typical_time() {
        let typical = Some(Typical {
            seconds: 40.0,
            source: TypicalSource::Published,
        });
        assert_eq!(elapsed_words(14.7, typical), "14 s, typically ~40 s");
        assert_eq!(
            elapsed_words(130.0, typical),
            "2 min 10 s, typically ~40 s: slower than usual"
        );
        assert_eq!(elapsed_words(3.2, None), "3 s so far");
    }
}
