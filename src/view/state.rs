//! What the window shows, as plain data: the jobs with their attempts and diagnoses, breakers,
//! spend and the outcome history. `apply` folds worker events in; it is pure and unit-tested, and
//! so are the activity figures (`requests_in_last_minute`, `outcome_warnings`).

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::diagnosis::Kind;
use crate::resilience::BreakerState;
use crate::worker::protocol::describe_fallback;
use crate::worker::{AttemptReport, Event, Job, JobId, JobOutcome, JobSpec};

pub use super::job_view::{AttemptRow, JobStatus, JobView};

/// Most outcome points kept for the activity plot.
pub const OUTCOMES_KEPT: usize = 10_000;

/// Share of 429 answers above which the activity view warns (the design's threshold).
pub const RATE_LIMIT_WARN_SHARE: f64 = 0.10;

/// Share of 503 answers above which the activity view warns (the design's threshold).
pub const OVERLOAD_WARN_SHARE: f64 = 0.25;

/// The window over which warnings are computed, in seconds.
pub const WARNING_WINDOW_S: i64 = 30 * 60;

/// One answer in the outcome history (the activity plot).
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomePoint {
    /// When the attempt started.
    pub at: Timestamp,
    /// What it ended as.
    pub kind: Kind,
    /// Its HTTP status.
    pub http_status: Option<u16>,
    /// The model.
    pub model: String,
}

/// Everything the window draws that comes from the worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppState {
    /// Jobs, oldest first (drawn newest first).
    pub jobs: Vec<JobView>,
    /// The job the why-panel explains.
    pub selected: Option<JobId>,
    /// The simulator scenario when no key is set (the banner).
    pub simulated_scenario: Option<String>,
    /// A passing notice ("Peel is busy", a file that could not be read, …).
    pub notice: Option<String>,
    /// Each model's circuit breaker, as last reported.
    pub breakers: BTreeMap<String, BreakerState>,
    /// Dollars spent since midnight Pacific (this session and earlier ones).
    pub spend_today_usd: f64,
    /// Every answer, oldest first (capped at [`OUTCOMES_KEPT`]).
    pub outcomes: Vec<OutcomePoint>,
    /// Rewrites that got blocked prompts through, newest first.
    pub remembered: Vec<crate::store::RememberedRewrite>,
    /// What the designer's jobs taught the preflight ([`Event::NameMemory`]).
    pub name_memory: crate::rewrite::preflight::Memory,
    /// Bumped with each new name memory, so the editor's preflight recomputes.
    pub name_memory_version: u64,
    /// Catalog models Google's `models.list` no longer names (the editor flags them).
    pub unlisted_models: Vec<String>,
    /// How far the whole history is loaded (the gallery asks for the next page at its end).
    pub history: HistoryCursor,
    /// How far the last search of the history went, and for which words and filters (the
    /// search from its first page: [`crate::store::JobSearch::first_page`]).
    pub searched: Option<(crate::store::JobSearch, HistoryCursor)>,
    /// Recent warnings and errors (the status line and the Log view), copied from memory.
    pub log: super::log::LogView,
    /// What the disk refused and the worker holds in memory ([`Event::Unsaved`]).
    pub unsaved: Unsaved,
    /// The designer asked to quit while something was unsaved or requests were in flight: the
    /// warning is open.
    pub quit_warning: bool,
    /// The designer chose "Wait for them": the worker sends nothing new, and the window quits
    /// once the requests in flight have come back.
    pub waiting_to_quit: bool,
    /// How long answers usually take, per model and size (the designer's own, else reported).
    pub typical: super::typical::TypicalTimes,
    /// The prompt library as the worker last read it, by name (`None` until the first read).
    pub prompt_library: Option<Vec<crate::store::prompt_library::PromptEntry>>,
    /// The boards sidebar: counts, and the unstarred jobs a delete would take.
    pub boards: super::boards::BoardsView,
}

/// What the worker holds in memory because the disk refused it; quitting loses it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unsaved {
    /// Images that arrived but no folder took.
    pub images: usize,
    /// New prompts the database could not queue.
    pub prompts: usize,
}

impl Unsaved {
    /// Whether anything would be lost by quitting now.
    pub fn any(self) -> bool {
        self.images > 0 || self.prompts > 0
    }
}

/// Where the next page of the history (or of a search of it) starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryCursor {
    /// The oldest job read so far; the next page lists jobs older than it.
    pub oldest: Option<JobId>,
    /// Whether the last page was full (older jobs may remain).
    pub more: bool,
}

impl AppState {
    fn job_mut(&mut self, id: JobId) -> Option<&mut JobView> {
        self.jobs.iter_mut().find(|job| job.id == id)
    }

    /// A job by id.
    pub fn job(&self, id: JobId) -> Option<&JobView> {
        self.jobs.iter().find(|job| job.id == id)
    }

    /// Remembered rewrites that replaced a name `prompt` also contains (what passed last time).
    pub fn remembered_for(&self, prompt: &str) -> Vec<&crate::store::RememberedRewrite> {
        let tokens = crate::rewrite::matcher::Tokens::new(prompt);
        let names: Vec<String> = crate::rewrite::names::NameBook::builtin()
            .find(&tokens)
            .into_iter()
            .map(|hit| hit.entry.name.clone())
            .collect();
        self.remembered
            .iter()
            .filter(|r| r.names.iter().any(|n| names.contains(n)))
            .take(3)
            .collect()
    }

    /// The job the why-panel explains.
    pub fn selected_job(&self) -> Option<&JobView> {
        self.selected.and_then(|id| self.job(id))
    }

    fn record_outcome(&mut self, point: OutcomePoint) {
        self.outcomes.push(point);
        if self.outcomes.len() > OUTCOMES_KEPT {
            let extra = self.outcomes.len() - OUTCOMES_KEPT;
            self.outcomes.drain(..extra);
        }
    }

    /// Teaches the preflight's name memory what the job that ended as `outcome` showed, as the
    /// worker records it in the database.
    fn learn_names(&mut self, outcome: &JobOutcome) {
        let Some(view) = self.jobs.iter().find(|view| view.id == outcome.job) else {
            return;
        };
        if let Some(lesson) = crate::worker::name_memory::lesson(view.prompt(), outcome) {
            crate::worker::name_memory::learn(&mut self.name_memory, &lesson);
            self.name_memory_version += 1;
        }
    }

    /// Folds one worker event into the state.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Restored {
                jobs,
                spend_today_usd,
                rewrites,
            } => self.restored(jobs, spend_today_usd, rewrites),
            Event::HistoryPage { search, jobs } => self.history_page(&search, jobs),
            Event::RewriteRemembered(rewrite) => self.remembered.insert(0, rewrite),
            Event::NameMemory(memory) => {
                self.name_memory = *memory;
                self.name_memory_version += 1;
            }
            Event::Queued { job, spec } => self.queued(job, spec),
            Event::AttemptStarted {
                job,
                attempt,
                model,
                image_size,
                sent_at,
            } => {
                if let Some(view) = self.job_mut(job) {
                    view.thinking.attempt_started(attempt);
                    view.status = JobStatus::Sending {
                        attempt,
                        model,
                        image_size,
                        since: sent_at,
                    };
                }
            }
            Event::Thought { job, thought } => {
                if let Some(view) = self.job_mut(job) {
                    view.thinking.add(thought);
                }
            }
            Event::AttemptEnded { job, report } => self.attempt_ended(job, *report),
            Event::Waiting {
                job, until, reason, ..
            } => self.set_status(job, JobStatus::Waiting { until, reason }),
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
                self.learn_names(&outcome);
                self.finished(*outcome);
            }
            Event::BreakerChanged { model, state } => {
                self.breakers.insert(model, state);
            }
            Event::Deleted { job } => self.deleted(job),
            Event::Problem { message } => self.notice = Some(message),
            Event::Unsaved { images, prompts } => {
                self.unsaved = Unsaved { images, prompts };
                if !self.quit_would_cost() {
                    self.quit_warning = false;
                }
            }
            Event::ModelsChecked { unlisted } => self.unlisted_models = unlisted,
            event @ (Event::BoardsChanged(_)
            | Event::BoardCounts(_)
            | Event::UnstarredFound { .. }
            | Event::UnstarredTrashed { .. }) => super::boards::apply(self, event),
            Event::PromptLibrary { entries, news } => self.prompt_library_read(entries, news),
        }
    }

    /// The prompt library as the worker read it after a request, and what the request changed.
    fn prompt_library_read(
        &mut self,
        entries: Vec<crate::store::prompt_library::PromptEntry>,
        news: Option<String>,
    ) {
        self.prompt_library = Some(entries);
        if news.is_some() {
            self.notice = news;
        }
    }

    /// The jobs, today's spend and the remembered rewrites a start-up read back.
    fn restored(
        &mut self,
        jobs: Vec<Job>,
        spend_today_usd: f64,
        rewrites: Vec<crate::store::RememberedRewrite>,
    ) {
        self.remembered.extend(rewrites);
        self.history = HistoryCursor {
            oldest: jobs.iter().map(|job| job.id).min(),
            more: jobs.len() >= crate::worker::RESTORED_JOBS,
        };
        self.restore(jobs, spend_today_usd);
    }

    /// A job left the gallery (and the why-panel, if it was explained there).
    fn deleted(&mut self, job: JobId) {
        self.jobs.retain(|view| view.id != job);
        if self.selected == Some(job) {
            self.selected = None;
        }
    }

    /// A job entered the queue (shown once, and selected).
    fn queued(&mut self, job: JobId, spec: JobSpec) {
        if self.job_mut(job).is_none() {
            self.jobs.push(JobView::new(job, spec, Timestamp::now()));
        }
        self.selected = Some(job);
    }

    /// A job's status, when the job is shown.
    fn set_status(&mut self, job: JobId, status: JobStatus) {
        if let Some(view) = self.job_mut(job) {
            view.status = status;
        }
    }

    fn attempt_ended(&mut self, job: JobId, report: AttemptReport) {
        self.spend_today_usd += report.record.cost_usd;
        self.record_outcome(OutcomePoint {
            at: report.record.started_at,
            kind: report.diagnosis.kind,
            http_status: report.record.http_status,
            model: report.record.model.clone(),
        });
        if let Some(view) = self.jobs.iter_mut().find(|view| view.id == job) {
            if let JobStatus::Sending { image_size, .. } = &view.status
                && report.diagnosis.kind == Kind::Success
            {
                self.typical
                    .record(&report.record.model, image_size, report.record.duration_ms);
            }
            view.diagnosis = Some(report.diagnosis.clone());
            view.attempts.push(AttemptRow {
                record: report.record,
                diagnosis: Some(report.diagnosis),
                response: Some(report.response),
            });
        }
    }

    /// How many requests are on their way (sent, answer or image not yet in): quitting now
    /// would probably pay for them and lose the answers.
    pub fn in_flight(&self) -> usize {
        self.jobs
            .iter()
            .filter(|job| matches!(job.status, JobStatus::Sending { .. }))
            .count()
    }

    /// Whether quitting now would lose something (an image or prompt held in memory) or pay for
    /// answers never seen (requests in flight): the window asks first.
    pub fn quit_would_cost(&self) -> bool {
        self.unsaved.any() || self.in_flight() > 0
    }

    fn finished(&mut self, outcome: JobOutcome) {
        let Some(view) = self.job_mut(outcome.job) else {
            return;
        };
        // Attempts with no answer to report (a request cancelled after it left) reach the
        // timeline and the day's spend with the job's end.
        let unreported: Vec<_> = outcome
            .attempts
            .iter()
            .skip(view.attempts.len())
            .filter(|record| record.unanswered_words().is_some())
            .cloned()
            .collect();
        let unreported_usd: f64 = unreported.iter().map(|record| record.cost_usd).sum();
        view.attempts
            .extend(unreported.into_iter().map(|record| AttemptRow {
                record,
                diagnosis: None,
                response: None,
            }));
        view.status = JobStatus::Finished(outcome.status);
        view.thinking.job_ended();
        view.reason = Some(outcome.reason);
        view.parked_until = outcome.parked_until;
        if outcome.diagnosis.is_some() {
            view.diagnosis = outcome.diagnosis;
        }
        if outcome.model_used.is_some() {
            view.model_used = outcome.model_used;
        }
        if view.image_path.is_none() {
            view.image_path = outcome.image_path;
        }
        self.spend_today_usd += unreported_usd;
    }

    /// Adds a page of the history (jobs already shown are kept as they are) and moves the cursor
    /// of the history, or of the search, past it.
    fn history_page(&mut self, search: &crate::store::JobSearch, jobs: Vec<Job>) {
        let cursor = HistoryCursor {
            oldest: jobs.iter().map(|job| job.id).min().or(search.before_id),
            more: search.limit.is_some_and(|limit| jobs.len() >= limit),
        };
        let loaded: std::collections::HashSet<JobId> = self.jobs.iter().map(|j| j.id).collect();
        self.jobs.extend(
            jobs.into_iter()
                .filter(|past| !loaded.contains(&past.id))
                .filter_map(JobView::from_past),
        );
        self.jobs.sort_by_key(|view| view.id);
        if search.is_filtered() {
            self.searched = Some((search.first_page(), cursor));
        } else {
            self.history = cursor;
        }
    }

    fn restore(&mut self, jobs: Vec<Job>, spend_today_usd: f64) {
        // Attempts of this session may already be counted in the stored total.
        self.spend_today_usd = self.spend_today_usd.max(spend_today_usd);
        let mut restored: Vec<JobView> = jobs
            .into_iter()
            .filter(|past| self.job(past.id).is_none())
            .filter_map(JobView::from_past)
            .collect();
        for view in &restored {
            let image_size = view.spec.image_size.as_deref().unwrap_or("1K");
            for attempt in &view.attempts {
                if attempt.record.kind == Kind::Success.id() {
                    let record = &attempt.record;
                    self.typical
                        .record(&record.model, image_size, record.duration_ms);
                }
                if let Some(kind) = Kind::from_id(&attempt.record.kind) {
                    self.outcomes.push(OutcomePoint {
                        at: attempt.record.started_at,
                        kind,
                        http_status: attempt.record.http_status,
                        model: attempt.record.model.clone(),
                    });
                }
            }
        }
        self.outcomes.sort_by_key(|point| point.at);
        if self.outcomes.len() > OUTCOMES_KEPT {
            let extra = self.outcomes.len() - OUTCOMES_KEPT;
            self.outcomes.drain(..extra);
        }
        restored.append(&mut self.jobs);
        restored.sort_by_key(|view| view.id);
        self.jobs = restored;
    }

    /// Requests sent to `model` in the minute before `now` (Peel's own count, for the rate-limit
    /// gauge).
    pub fn requests_in_last_minute(&self, model: &str, now: Timestamp) -> u32 {
        self.requests_since(model, now, 60)
    }

    /// Requests sent to `model` since midnight Pacific before `now` (Google's quota day, 23 or 25
    /// hours long on clock-change days) — approximated as the last 24 hours when the day cannot be
    /// computed.
    pub fn requests_today(&self, model: &str, now: Timestamp) -> u32 {
        let since_s = crate::diagnosis::reset::today_started(now).map_or(24 * 3600, |start| {
            // Ages count whole seconds: a request at midnight exactly is age `since_s - 1` or less.
            now.duration_since(start).as_secs() + 1
        });
        self.requests_since(model, now, since_s)
    }

    fn requests_since(&self, model: &str, now: Timestamp, window_s: i64) -> u32 {
        let count = self
            .outcomes
            .iter()
            .filter(|point| point.model == model)
            .filter(|point| {
                let age_s = now.duration_since(point.at).as_secs();
                (0..window_s).contains(&age_s)
            })
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// The models Peel has talked to, for the activity view.
    pub fn models_seen(&self) -> Vec<String> {
        let mut models: Vec<String> = self
            .outcomes
            .iter()
            .map(|point| point.model.clone())
            .chain(self.breakers.keys().cloned())
            .collect();
        models.sort();
        models.dedup();
        models
    }

    /// The design's warnings over the last [`WARNING_WINDOW_S`]: 429s above 10 % of answers,
    /// 503s above 25 %.
    pub fn outcome_warnings(&self, now: Timestamp) -> Vec<String> {
        let recent: Vec<&OutcomePoint> = self
            .outcomes
            .iter()
            .filter(|point| {
                let age_s = now.duration_since(point.at).as_secs();
                (0..WARNING_WINDOW_S).contains(&age_s)
            })
            .collect();
        if recent.is_empty() {
            return Vec::new();
        }
        let share = |status: u16| {
            recent
                .iter()
                .filter(|point| point.http_status == Some(status))
                .count() as f64
                / recent.len() as f64
        };
        let mut warnings = Vec::new();
        let rate_limited = share(429);
        if rate_limited > RATE_LIMIT_WARN_SHARE {
            warnings.push(format!(
                "{:.0} % of answers in the last 30 minutes were 429 (over 10 %): Peel is asking faster than your quota allows. Lower the tier limits in Settings to match AI Studio, or space out your jobs.",
                rate_limited * 100.0
            ));
        }
        let overloaded = share(503);
        if overloaded > OVERLOAD_WARN_SHARE {
            warnings.push(format!(
                "{:.0} % of answers in the last 30 minutes were 503 (over 25 %): Google's servers are overloaded. Keep a fallback model set, or queue work for a quieter hour.",
                overloaded * 100.0
            ));
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{DiagnosisContext, Evidence, diagnose};
    use crate::worker::JobState;
    use crate::worker::protocol::{AttemptRecord, AttemptReport};
    use crate::worker::{JobOutcome, JobSpec};

    fn spec() -> JobSpec {
        JobSpec {
            prompt: "a fox".to_owned(),
            model: "gemini-3-pro-image".to_owned(),
            ..JobSpec::default()
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn report(started_at: Timestamp, status: u16, body: &str, cost_usd: f64) -> AttemptReport {
        let diagnosis = diagnose(
            &Evidence::http(status, body),
            &DiagnosisContext::new(started_at),
        );
        AttemptReport {
            record: AttemptRecord {
                model: "gemini-3-pro-image".to_owned(),
                started_at,
                duration_ms: 900,
                kind: diagnosis.kind.id().to_owned(),
                http_status: Some(status),
                wait_s: None,
                wait_reason: None,
                input_tokens: None,
                output_tokens: None,
                cost_usd,
            },
            diagnosis,
            response: format!("HTTP {status}"),
        }
    }

    const OVERLOADED: &str = r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;

    #[test]
    fn a_job_goes_from_queued_to_delivered() {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: 1,
            spec: spec(),
        });
        assert_eq!(state.jobs[0].status, JobStatus::Queued);
        assert_eq!(state.selected, Some(1), "a new job is the one explained");
        state.apply(Event::AttemptStarted {
            job: 1,
            attempt: 1,
            model: "gemini-3-pro-image".to_owned(),
            image_size: "1K".to_owned(),
            sent_at: at("2026-11-27T11:59:50Z"),
        });
        state.apply(Event::AttemptEnded {
            job: 1,
            report: Box::new(report(at("2026-11-27T12:00:00Z"), 503, OVERLOADED, 0.0)),
        });
        assert_eq!(
            state.jobs[0].diagnosis.as_ref().map(|d| d.kind),
            Some(Kind::Overloaded),
            "the why-panel knows the failure while the job waits"
        );
        let until = at("2026-11-27T12:00:22Z");
        state.apply(Event::Waiting {
            job: 1,
            wait_s: 22.0,
            until,
            reason: "Google asked".to_owned(),
        });
        assert_eq!(state.jobs[0].next_try_at(), Some(until));
        state.apply(Event::FellBack {
            job: 1,
            from: "a".to_owned(),
            to: "b".to_owned(),
            reason: "overloaded".to_owned(),
            changes: vec!["4K to 1K".to_owned()],
        });
        assert_eq!(
            state.jobs[0].fell_back.as_deref(),
            Some("Fell back from a to b (4K to 1K): overloaded")
        );
        state.apply(Event::ImageArrived {
            job: 1,
            path: "/tmp/peel-1.jpg".into(),
            mime_type: "image/jpeg".to_owned(),
        });
        state.apply(Event::Finished(Box::new(JobOutcome {
            job: 1,
            status: JobState::Delivered,
            reason: "made with b".to_owned(),
            diagnosis: None,
            attempts: Vec::new(),
            model_used: Some("b".to_owned()),
            changes: Vec::new(),
            image_path: None,
            parked_until: None,
            cost_usd: 0.0,
            thoughts: Vec::new(),
        })));
        let job = &state.jobs[0];
        assert!(job.is_delivered());
        assert!(!job.is_open());
        assert_eq!(job.model_used.as_deref(), Some("b"));
        assert_eq!(
            job.image_path.as_deref(),
            Some(std::path::Path::new("/tmp/peel-1.jpg"))
        );
        assert_eq!(job.attempts.len(), 1);
    }

    #[test]
    fn a_thinking_jobs_thoughts_show_while_it_runs_and_its_answer_times_count() {
        use crate::view::typical::TypicalSource;
        use crate::worker::protocol::{InterimImage, ThoughtSeen};
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: 1,
            spec: spec(),
        });
        for attempt in 1..=3 {
            state.apply(Event::AttemptStarted {
                job: 1,
                attempt,
                model: "gemini-3-pro-image".to_owned(),
                image_size: "4K".to_owned(),
                sent_at: Timestamp::now(),
            });
            state.apply(Event::Thought {
                job: 1,
                thought: ThoughtSeen {
                    attempt,
                    index: 1,
                    at_s: 9.5,
                    text: None,
                    image: Some(InterimImage {
                        path: "/data/thinking/job-1-1-1.jpg".into(),
                        mime_type: "image/jpeg".to_owned(),
                        width: 1024,
                        height: 1024,
                    }),
                },
            });
            assert_eq!(
                state.jobs[0]
                    .thinking
                    .thoughts
                    .iter()
                    .filter(|t| t.image.is_some())
                    .count(),
                1,
                "attempt {attempt}'s own image"
            );
            let mut report = report(at("2026-11-27T12:00:00Z"), 503, OVERLOADED, 0.24);
            report.diagnosis.kind = Kind::Success;
            report.record.kind = Kind::Success.id().to_owned();
            report.record.duration_ms = 30_000 + u64::from(attempt) * 1000;
            state.apply(Event::AttemptEnded {
                job: 1,
                report: Box::new(report),
            });
        }
        let typical = state.typical.typical("gemini-3-pro-image", "4K").unwrap();
        assert_eq!(typical.source, TypicalSource::OwnAnswers(3));
        assert!((typical.seconds - 32.0).abs() < 1e-9);
        state.apply(Event::Finished(Box::new(JobOutcome::new(1))));
        assert!(
            state.jobs[0].thinking.latest_image().is_none(),
            "an ended job's interim images are gone from disk"
        );
    }

    #[test]
    fn events_for_unknown_jobs_are_ignored() {
        let mut state = AppState::default();
        state.apply(Event::AttemptStarted {
            job: 9,
            attempt: 1,
            model: "m".to_owned(),
            image_size: "1K".to_owned(),
            sent_at: Timestamp::now(),
        });
        assert!(state.jobs.is_empty());
    }

    #[test]
    fn earlier_jobs_join_the_gallery_in_order_without_duplicates() {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: 5,
            spec: spec(),
        });
        let past = |id, job_state| Job {
            id,
            created_at: at("2026-11-26T10:00:00Z"),
            spec: spec(),
            state: job_state,
            reason: None,
            parked_until: None,
            image_path: Some(format!("/images/peel-{id}.jpg").into()),
            model_used: Some("gemini-3-pro-image".to_owned()),
            diagnosis: None,
            attempts: vec![report(at("2026-11-26T10:00:01Z"), 503, OVERLOADED, 0.0).record],
            starred: false,
            boards: Vec::new(),
        };
        state.apply(Event::Restored {
            jobs: vec![
                past(5, JobState::Running),
                past(3, JobState::Delivered),
                past(2, JobState::Deleted),
                past(1, JobState::Parked),
            ],
            spend_today_usd: 0.27,
            rewrites: Vec::new(),
        });
        assert_eq!(
            state.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
            vec![1, 3, 5]
        );
        assert!(state.job(3).unwrap().is_delivered());
        assert_eq!(
            state.job(3).unwrap().reason.as_deref(),
            Some("made with gemini-3-pro-image")
        );
        assert_eq!(
            state.job(1).unwrap().status,
            JobStatus::Finished(JobState::Parked)
        );
        assert_eq!(state.spend_today_usd, 0.27);
        assert_eq!(
            state.outcomes.len(),
            2,
            "attempts of shown jobs feed the plot"
        );
    }

    #[test]
    fn history_pages_join_in_order_and_move_their_cursor() {
        let past = |id: JobId| Job {
            id,
            created_at: at("2026-11-20T09:00:00Z"),
            spec: spec(),
            state: JobState::Delivered,
            reason: None,
            parked_until: None,
            image_path: None,
            model_used: None,
            diagnosis: None,
            attempts: Vec::new(),
            starred: false,
            boards: Vec::new(),
        };
        let mut state = AppState::default();
        state.apply(Event::Restored {
            jobs: (1..=JobId::try_from(crate::worker::RESTORED_JOBS).unwrap())
                .rev()
                .map(|id| past(id + 300))
                .collect(),
            spend_today_usd: 0.0,
            rewrites: Vec::new(),
        });
        assert_eq!(
            state.history,
            HistoryCursor {
                oldest: Some(301),
                more: true
            }
        );
        let page = crate::store::JobSearch {
            before_id: Some(301),
            limit: Some(200),
            ..crate::store::JobSearch::default()
        };
        state.apply(Event::HistoryPage {
            search: page.clone(),
            jobs: (101..=300).rev().map(past).collect(),
        });
        assert_eq!(state.history.oldest, Some(101));
        assert!(state.history.more);
        state.apply(Event::HistoryPage {
            search: crate::store::JobSearch {
                before_id: Some(101),
                ..page.clone()
            },
            jobs: (1..=100).rev().map(past).collect(),
        });
        assert!(!state.history.more, "a short page is the end");
        assert_eq!(state.jobs.len(), 800);
        assert!(state.jobs.windows(2).all(|w| w[0].id < w[1].id));
        // A search moves its own cursor; jobs already shown are not doubled.
        state.apply(Event::HistoryPage {
            search: crate::store::JobSearch {
                text: Some("fox".to_owned()),
                before_id: None,
                ..page
            },
            jobs: vec![past(50), past(7)],
        });
        assert_eq!(state.jobs.len(), 800);
        assert_eq!(
            state.searched,
            Some((
                crate::store::JobSearch {
                    text: Some("fox".to_owned()),
                    ..crate::store::JobSearch::default()
                },
                HistoryCursor {
                    oldest: Some(7),
                    more: false
                }
            ))
        );
        assert!(!state.history.more);
    }

    #[test]
    fn deleting_the_selected_job_clears_the_selection() {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: 1,
            spec: spec(),
        });
        state.apply(Event::Deleted { job: 1 });
        assert!(state.jobs.is_empty());
        assert_eq!(state.selected, None);
        state.apply(Event::Problem {
            message: "Could not delete".to_owned(),
        });
        assert_eq!(state.notice.as_deref(), Some("Could not delete"));
    }

    #[test]
    fn spend_counts_every_attempt_and_the_gauge_counts_the_last_minute() {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: 1,
            spec: spec(),
        });
        let now = at("2026-11-27T12:10:00Z");
        for (started, cost) in [
            ("2026-11-27T12:08:30Z", 0.0),
            ("2026-11-27T12:09:10Z", 0.0),
            ("2026-11-27T12:09:50Z", 0.134),
        ] {
            state.apply(Event::AttemptEnded {
                job: 1,
                report: Box::new(report(at(started), 503, OVERLOADED, cost)),
            });
        }
        assert!((state.spend_today_usd - 0.134).abs() < 1e-9);
        assert_eq!(state.requests_in_last_minute("gemini-3-pro-image", now), 2);
        assert_eq!(state.requests_today("gemini-3-pro-image", now), 3);
        assert_eq!(state.requests_in_last_minute("other", now), 0);
        assert_eq!(state.models_seen(), vec!["gemini-3-pro-image".to_owned()]);
    }

    #[test]
    fn warnings_follow_the_designs_thresholds() {
        let now = at("2026-11-27T12:30:00Z");
        let point = |minutes_ago: i64, status: u16| OutcomePoint {
            at: now - jiff::SignedDuration::from_mins(minutes_ago),
            kind: Kind::Success,
            http_status: Some(status),
            model: "m".to_owned(),
        };
        // 1 of 10 is 429: exactly 10 %, not over.
        let mut state = AppState {
            outcomes: (0..9).map(|i| point(i, 200)).collect(),
            ..AppState::default()
        };
        state.outcomes.push(point(1, 429));
        assert!(state.outcome_warnings(now).is_empty());
        // 2 of 11: 18 %.
        state.outcomes.push(point(2, 429));
        let warnings = state.outcome_warnings(now);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("18 % of answers"), "{warnings:?}");
        // 503s: 4 of 15 is 27 %; old answers (over 30 minutes) do not count.
        state.outcomes.extend((0..4).map(|i| point(i, 503)));
        state.outcomes.push(point(45, 503));
        let warnings = state.outcome_warnings(now);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[1].contains("were 503 (over 25 %)"));
    }

    #[test]
    fn models_google_no_longer_lists_are_remembered_for_the_editor() {
        let mut state = AppState::default();
        state.apply(Event::ModelsChecked {
            unlisted: vec!["gemini-3-pro-image".to_owned()],
        });
        assert_eq!(state.unlisted_models, ["gemini-3-pro-image"]);
        state.apply(Event::ModelsChecked {
            unlisted: Vec::new(),
        });
        assert!(state.unlisted_models.is_empty());
    }

    #[test]
    fn the_prompt_library_is_replaced_whole_and_its_news_shows() {
        use crate::store::prompt_library::{PromptEntry, PromptKind};
        let entry = |name: &str| PromptEntry {
            name: name.to_owned(),
            text: "warm low sun".to_owned(),
            kind: PromptKind::Fragment,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        };
        let mut state = AppState::default();
        assert_eq!(state.prompt_library, None, "not read yet");
        state.apply(Event::PromptLibrary {
            entries: vec![entry("Fog"), entry("Golden hour")],
            news: None,
        });
        assert_eq!(state.prompt_library.as_ref().map(Vec::len), Some(2));
        assert_eq!(state.notice, None);
        state.apply(Event::PromptLibrary {
            entries: vec![entry("Golden hour")],
            news: Some("Removed \"Fog\" from the prompt library.".to_owned()),
        });
        assert_eq!(
            state.prompt_library.as_deref(),
            Some(&[entry("Golden hour")][..])
        );
        assert_eq!(
            state.notice.as_deref(),
            Some("Removed \"Fog\" from the prompt library.")
        );
    }
}
