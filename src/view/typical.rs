//! How long an answer usually takes, for a model and size: the median of the designer's own
//! answers (this session's and the restored history's), else what users report
//! ([`ModelEntry::typical_answer_s`]). A request on its way shows it beside its elapsed time, so a
//! 60 s wait for a 4K image reads as normal and a 3-minute one as not.

use std::collections::{BTreeMap, VecDeque};

use crate::api::catalog::{Catalog, ModelEntry};

/// Fewest own answers before their median replaces the published figure.
pub const OWN_ANSWERS_NEEDED: usize = 3;

/// Most recent answers kept per model and size (older ones say less about today's service).
pub const ANSWERS_KEPT: usize = 50;

/// Where a typical time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypicalSource {
    /// The median of the designer's own answers (how many).
    OwnAnswers(usize),
    /// What users report for the model and size (the catalog).
    Published,
}

/// A typical answer time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Typical {
    /// Seconds.
    pub seconds: f64,
    /// Where it comes from.
    pub source: TypicalSource,
}

impl Typical {
    /// "typically ~40 s".
    pub fn label(&self) -> String {
        format!("typically ~{}", round_seconds(self.seconds))
    }

    /// Where the figure comes from, in a sentence (the label's hover text).
    pub fn explanation(&self) -> String {
        match self.source {
            TypicalSource::OwnAnswers(answers) => format!(
                "The median of your last {answers} answers from this model at this size."
            ),
            TypicalSource::Published => "What users report for this model at this size (Google publishes no figures); your own answers replace it after a few images.".to_owned(),
        }
    }
}

/// "40 s", "2 min 10 s": a rough figure.
fn round_seconds(seconds: f64) -> String {
    let rounded = if seconds < 20.0 {
        seconds.round()
    } else {
        (seconds / 5.0).round() * 5.0
    };
    crate::diagnosis::words::human_duration(rounded)
}

/// The designer's answer times, per model and size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypicalTimes {
    answers_s: BTreeMap<(String, String), VecDeque<f64>>,
}

impl TypicalTimes {
    /// Counts one answer with an image: `duration_ms` from sending to its last byte.
    pub fn record(&mut self, model: &str, image_size: &str, duration_ms: u64) {
        #[expect(clippy::cast_precision_loss, reason = "milliseconds of one request")]
        let seconds = duration_ms as f64 / 1000.0;
        let answers = self
            .answers_s
            .entry((model.to_owned(), image_size.to_owned()))
            .or_default();
        answers.push_back(seconds);
        if answers.len() > ANSWERS_KEPT {
            answers.pop_front();
        }
    }

    /// The typical time for `model` at `image_size`, if anything is known.
    pub fn typical(&self, model: &str, image_size: &str) -> Option<Typical> {
        let own = self
            .answers_s
            .get(&(model.to_owned(), image_size.to_owned()))
            .filter(|answers| answers.len() >= OWN_ANSWERS_NEEDED);
        if let Some(answers) = own {
            return Some(Typical {
                seconds: median(answers.iter().copied()),
                source: TypicalSource::OwnAnswers(answers.len()),
            });
        }
        published(Catalog::builtin().get(model)?, image_size)
    }
}

/// The catalog's figure for a size.
fn published(model: &ModelEntry, image_size: &str) -> Option<Typical> {
    Some(Typical {
        seconds: *model.typical_answer_s.get(image_size)?,
        source: TypicalSource::Published,
    })
}

/// The median (the mean of the middle two for an even count); 0 for none.
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        f64::midpoint(values[middle - 1], values[middle])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_figure_until_three_own_answers_then_their_median() {
        let mut times = TypicalTimes::default();
        let published = times.typical("gemini-3-pro-image", "4K").unwrap();
        assert_eq!(published.source, TypicalSource::Published);
        assert_eq!(published.label(), "typically ~1 min");
        assert_eq!(
            times.typical("gemini-3-pro-image", "1K").unwrap().label(),
            "typically ~20 s"
        );
        assert!(times.typical("no-such-model", "1K").is_none());
        times.record("gemini-3-pro-image", "4K", 80_000);
        times.record("gemini-3-pro-image", "4K", 40_000);
        assert_eq!(
            times.typical("gemini-3-pro-image", "4K").unwrap().source,
            TypicalSource::Published
        );
        times.record("gemini-3-pro-image", "4K", 42_000);
        let own = times.typical("gemini-3-pro-image", "4K").unwrap();
        assert_eq!(own.source, TypicalSource::OwnAnswers(3));
        assert!((own.seconds - 42.0).abs() < 1e-9);
        assert_eq!(own.label(), "typically ~40 s");
        assert!(own.explanation().contains("last 3 answers"));
        // Another size keeps its own figure.
        assert_eq!(
            times.typical("gemini-3-pro-image", "1K").unwrap().source,
            TypicalSource::Published
        );
    }

    #[test]
    fn only_the_latest_answers_count() {
        let mut times = TypicalTimes::default();
        for _ in 0..ANSWERS_KEPT {
            times.record("m", "1K", 100_000);
        }
        for _ in 0..=ANSWERS_KEPT / 2 {
            times.record("m", "1K", 10_000);
        }
        assert!((times.typical("m", "1K").unwrap().seconds - 10.0).abs() < 1e-9);
        assert!((median([3.0, 1.0, 2.0, 10.0].into_iter()) - 2.5).abs() < 1e-9);
    }
}
