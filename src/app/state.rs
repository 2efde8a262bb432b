//! What the window shows, as plain data: the editor's settings and the jobs with their progress.
//! `apply` folds worker events in; it is pure and unit-tested.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::diagnosis::Diagnosis;
use crate::worker::protocol::describe_fallback;
use crate::worker::{Event, JobId, OutcomeStatus};

/// Where a job stands, as the window says it.
#[derive(Clone, Debug, PartialEq)]
pub enum JobStatus {
    /// In the queue.
    Queued,
    /// A request is on its way.
    Sending {
        /// 1-based attempt number.
        attempt: u32,
        /// The model.
        model: String,
    },
    /// Waiting before the next attempt.
    Waiting {
        /// When the wait ends.
        until: Timestamp,
        /// Why.
        reason: String,
    },
    /// Ended.
    Finished(OutcomeStatus),
}

/// One job in the list.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    /// Its id.
    pub id: JobId,
    /// Its prompt.
    pub prompt: String,
    /// Where it stands.
    pub status: JobStatus,
    /// The last fallback, as a sentence.
    pub fell_back: Option<String>,
    /// The saved image.
    pub image_path: Option<PathBuf>,
    /// The outcome's one-line reason.
    pub reason: Option<String>,
    /// The last diagnosis.
    pub diagnosis: Option<Diagnosis>,
}

/// Everything the window draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppState {
    /// Jobs, oldest first (drawn newest first).
    pub jobs: Vec<JobView>,
    /// The simulator scenario when no key is set (the banner).
    pub simulated_scenario: Option<String>,
    /// A passing notice ("Peel is busy").
    pub notice: Option<String>,
}

impl AppState {
    fn job_mut(&mut self, id: JobId) -> Option<&mut JobView> {
        self.jobs.iter_mut().find(|job| job.id == id)
    }

    /// Folds one worker event into the state.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Queued { job, spec } => {
                if self.job_mut(job).is_none() {
                    self.jobs.push(JobView {
                        id: job,
                        prompt: spec.prompt,
                        status: JobStatus::Queued,
                        fell_back: None,
                        image_path: None,
                        reason: None,
                        diagnosis: None,
                    });
                }
            }
            Event::AttemptStarted {
                job,
                attempt,
                model,
            } => {
                if let Some(view) = self.job_mut(job) {
                    view.status = JobStatus::Sending { attempt, model };
                }
            }
            Event::Waiting {
                job, until, reason, ..
            } => {
                if let Some(view) = self.job_mut(job) {
                    view.status = JobStatus::Waiting { until, reason };
                }
            }
            Event::FellBack {
                job,
                from,
                to,
                reason,
                changes,
            } => {
                if let Some(view) = self.job_mut(job) {
                    view.fell_back = Some(describe_fallback(&from, &to, &reason, &changes));
                }
            }
            Event::ImageArrived { job, path, .. } => {
                if let Some(view) = self.job_mut(job) {
                    view.image_path = Some(path);
                }
            }
            Event::Finished(outcome) => {
                if let Some(view) = self.job_mut(outcome.job) {
                    view.status = JobStatus::Finished(outcome.status);
                    view.reason = Some(outcome.reason.clone());
                    view.diagnosis = outcome.diagnosis.clone();
                    if view.image_path.is_none() {
                        view.image_path = outcome.image_path.clone();
                    }
                }
            }
            Event::BreakerChanged { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::{JobOutcome, JobSpec};

    fn spec() -> JobSpec {
        JobSpec {
            prompt: "a fox".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            fallback: None,
            aspect_ratio: None,
            image_size: None,
            references: Vec::new(),
            safety_settings: Vec::new(),
        }
    }

    #[test]
    fn a_job_goes_from_queued_to_delivered() {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: 1,
            spec: spec(),
        });
        assert_eq!(state.jobs[0].status, JobStatus::Queued);
        state.apply(Event::AttemptStarted {
            job: 1,
            attempt: 1,
            model: "gemini-3-pro-image".to_owned(),
        });
        let until: Timestamp = "2026-11-27T12:00:22Z".parse().unwrap();
        state.apply(Event::Waiting {
            job: 1,
            wait_s: 22.0,
            until,
            reason: "Google asked".to_owned(),
        });
        assert_eq!(
            state.jobs[0].status,
            JobStatus::Waiting {
                until,
                reason: "Google asked".to_owned()
            }
        );
        state.apply(Event::FellBack {
            job: 1,
            from: "a".to_owned(),
            to: "b".to_owned(),
            reason: "overloaded".to_owned(),
            changes: vec!["4K → 1K".to_owned()],
        });
        assert_eq!(
            state.jobs[0].fell_back.as_deref(),
            Some("Fell back from a to b (4K → 1K): overloaded")
        );
        state.apply(Event::ImageArrived {
            job: 1,
            path: "/tmp/peel-1.jpg".into(),
            mime_type: "image/jpeg".to_owned(),
        });
        state.apply(Event::Finished(Box::new(JobOutcome {
            job: 1,
            status: OutcomeStatus::Delivered,
            reason: "made with b".to_owned(),
            diagnosis: None,
            attempts: Vec::new(),
            model_used: Some("b".to_owned()),
            changes: Vec::new(),
            image_path: None,
            parked_until: None,
            cost_usd: 0.0,
        })));
        assert_eq!(
            state.jobs[0].status,
            JobStatus::Finished(OutcomeStatus::Delivered)
        );
        assert_eq!(
            state.jobs[0].image_path.as_deref(),
            Some(std::path::Path::new("/tmp/peel-1.jpg"))
        );
    }

    #[test]
    fn events_for_unknown_jobs_are_ignored() {
        let mut state = AppState::default();
        state.apply(Event::AttemptStarted {
            job: 9,
            attempt: 1,
            model: "m".to_owned(),
        });
        assert!(state.jobs.is_empty());
    }
}
