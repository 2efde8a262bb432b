#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

//! Every paid request under the designer's control (issue 19), checked from outside with `peel`
//! as a process and the simulator's own request log: a cancelled job is never sent, by any
//! process, at any time; a request in flight when Peel is killed stays in the history as lost,
//! with its cost; Ctrl+C waits for what is in flight; a proxy or portal answering instead of
//! Google stops the job within seconds, naming it.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse as _;
use jiff::Timestamp;
use peel::job::{ATTEMPT_ANSWER_LOST, JobState};
use peel::resilience::TierLimits;
use peel::sim::{RunningSim, Scenario};
use peel::store::Store;
use peel::worker::{self, Command, Event};

use crate::loopback_rig::serve;
use crate::sim_rig::{engine_on_tier, peel_command, spec, start_sim, start_slow_sim};

/// The `generateContent` requests the simulator has seen.
fn generations(sim: &RunningSim) -> usize {
    sim.state()
        .seen_requests()
        .iter()
        .filter(|request| {
            request.uri.contains(":generateContent")
                || request.uri.contains(":streamGenerateContent")
        })
        .count()
}

/// Stderr of a child, read line by line on a thread into a shared list.
struct Stderr(Arc<Mutex<Vec<String>>>);

impl Stderr {
    fn of(child: &mut Child) -> Stderr {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let into = Arc::clone(&lines);
        std::thread::Builder::new()
            .name("stderr".to_owned())
            .spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    into.lock().unwrap().push(line);
                }
            })
            .unwrap();
        Stderr(lines)
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Waits (a minute at most) for a line containing `text`.
    async fn wait_for(&self, text: &str) {
        let started = Instant::now();
        while !self.lines().iter().any(|line| line.contains(text)) {
            assert!(
                started.elapsed() < Duration::from_mins(1),
                "no line with {text:?} in {:?}",
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The first event `pick` takes (a minute at most).
async fn first_event<T>(
    events: &mut tokio::sync::mpsc::Receiver<Event>,
    pick: impl Fn(Event) -> Option<T>,
) -> T {
    loop {
        let event = tokio::time::timeout(Duration::from_mins(1), events.recv())
            .await
            .unwrap()
            .unwrap();
        if let Some(picked) = pick(event) {
            return picked;
        }
    }
}

/// Sends `signal` (`-INT`, `-KILL`) to the child.
fn signal(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(signal)
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (two minutes at most) for the child to exit by itself.
async fn exit_of(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > Duration::from_mins(2) {
            child.kill().unwrap();
            panic!("the process did not exit by itself");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `peel history --json` on `data`, parsed.
fn history(data: &Path) -> Vec<serde_json::Value> {
    let output = peel_command(data, &["history", "--json"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `peel generate` of one Pro 1K image with no fallback against `sim`, stderr piped.
fn generate(data: &Path, out: &Path, sim: &RunningSim, prompt: &str) -> Child {
    peel_command(data, &["generate", prompt, "--fallback", "none"])
        .args(["--api-version", "v1beta", "--endpoint", &sim.base_url()])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_parked_job_is_never_sent_by_any_process_after_the_reset() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = Store::open(&data.join("peel.db")).unwrap();
    // A job parked on a used-up daily quota until midnight Pacific, and the model locked out.
    let now = Timestamp::now();
    let midnight = now
        .checked_add(jiff::SignedDuration::from_hours(5))
        .unwrap();
    let job_spec = spec("a lighthouse at dusk");
    let job = store
        .enqueue(&serde_json::to_string(&job_spec).unwrap(), now)
        .unwrap();
    store
        .set_state(
            job,
            JobState::Parked,
            Some(midnight),
            Some("daily quota"),
            now,
        )
        .unwrap();
    store
        .set_lockout(&job_spec.model, midnight, "daily quota used up")
        .unwrap();

    // Cancelled from another process, as the window or `peel cancel` does.
    let output = peel_command(&data, &["cancel", &job.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("cancelled (it was parked)"), "{said}");

    // The clock passes midnight: the lockout is over and the job's old wake-up has come.
    store
        .set_lockout(
            &job_spec.model,
            now.checked_sub(jiff::SignedDuration::from_hours(1))
                .unwrap(),
            "over",
        )
        .unwrap();
    store
        .set_state(job, JobState::Parked, Some(now), None, now)
        .unwrap();
    assert_eq!(store.job(job).unwrap().unwrap().state, JobState::Cancelled);

    // A second process resumes every unfinished job: there is none to send.
    let output = peel_command(&data, &["generate", "--resume", "--api-version", "v1beta"])
        .args(["--endpoint", &sim.base_url()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    // A restarted window (the worker's first pass resumes earlier jobs), and Retry now on the
    // job: still nothing sent, and the job reports itself cancelled.
    let engine = Arc::new(engine_on_tier(&sim, &data, TierLimits::default(), 3));
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    handle.commands.send(Command::RetryNow(job)).await.unwrap();
    let finished = first_event(&mut handle.events, |event| match event {
        Event::Finished(outcome) => Some(outcome),
        _ => None,
    })
    .await;
    assert_eq!(finished.status, JobState::Cancelled, "{finished:?}");
    assert_eq!(generations(&sim), 0, "the simulator saw a request");
    assert_eq!(store.job(job).unwrap().unwrap().state, JobState::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_cancels_a_parked_job_and_no_restart_sends_it() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("peel.db")).unwrap();
    let now = Timestamp::now();
    let job = store
        .enqueue(&serde_json::to_string(&spec("a fox")).unwrap(), now)
        .unwrap();
    // Parked until a moment that has passed: the worker would resume it at once.
    store
        .set_state(job, JobState::Parked, Some(now), Some("waiting"), now)
        .unwrap();

    let engine = Arc::new(engine_on_tier(&sim, dir.path(), TierLimits::default(), 3));
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    handle.commands.send(Command::Cancel(job)).await.unwrap();
    first_event(&mut handle.events, |event| match event {
        Event::Finished(outcome) if outcome.job == job && outcome.status == JobState::Cancelled => {
            Some(())
        }
        _ => None,
    })
    .await;
    drop(handle);
    // A new engine on the same folder (a restart): its first pass finds nothing to send.
    let engine = Arc::new(engine_on_tier(&sim, dir.path(), TierLimits::default(), 4));
    let handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(handle);
    assert_eq!(generations(&sim), 0);
    assert_eq!(store.job(job).unwrap().unwrap().state, JobState::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_lost_to_kill_9_stays_counted_and_the_resent_job_shows_both() {
    // Pro at 1K thinks 12-25 s; at a quarter of that, 3-6 s: time to kill it mid-request.
    let slow = start_slow_sim(Scenario::Calm, 0.25).await;
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    let mut child = generate(&data, &out, &slow, "a kite over dunes");
    let stderr = Stderr::of(&mut child);
    stderr.wait_for("attempt 1 on").await;
    let started = Instant::now();
    while generations(&slow) == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal(&child, "-KILL");
    let _ = child.wait();

    let jobs = history(&data);
    let attempts = jobs[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{jobs:?}");
    assert_eq!(attempts[0]["outcome"], ATTEMPT_ANSWER_LOST);
    assert_eq!(attempts[0]["sent"], true);
    assert!(
        attempts[0]["note"]
            .as_str()
            .unwrap()
            .contains("probably billed")
    );
    let cost = attempts[0]["cost_usd"].as_f64().unwrap();
    assert!(cost > 0.1, "Pro's image price counts: {cost}");
    assert!((jobs[0]["cost_usd"].as_f64().unwrap() - cost).abs() < 1e-9);

    // --resume sends it again; its history shows the lost attempt, then the new one.
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let output = peel_command(&data, &["generate", "--resume", "--json"])
        .args(["--api-version", "v1beta", "--endpoint", &calm.base_url()])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let resent = summary["jobs"][0]["attempts"].as_array().unwrap();
    assert_eq!(resent.len(), 2, "{summary}");
    assert_eq!(resent[0]["kind"], ATTEMPT_ANSWER_LOST);
    assert_eq!(resent[1]["kind"], "success");
    let jobs = history(&data);
    assert_eq!(jobs[0]["state"], "delivered");
    let outcomes: Vec<&str> = jobs[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| attempt["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, [ATTEMPT_ANSWER_LOST, "success"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_says_what_is_in_flight_and_waits_for_it() {
    let slow = start_slow_sim(Scenario::Calm, 0.25).await;
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    let mut child = generate(&data, &out, &slow, "a tram in fog");
    let stderr = Stderr::of(&mut child);
    stderr.wait_for("attempt 1 on").await;
    signal(&child, "-INT");
    stderr
        .wait_for("1 image is being made and will probably be billed")
        .await;
    let status = exit_of(&mut child).await;
    assert_eq!(status.code(), Some(130), "{:?}", stderr.lines());
    let jobs = history(&data);
    assert_eq!(jobs[0]["state"], "delivered", "{jobs:?}");
    assert!(Path::new(jobs[0]["image_path"].as_str().unwrap()).exists());
    assert_eq!(generations(&slow), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_quits_and_records_the_answer_as_lost() {
    let slow = start_slow_sim(Scenario::Calm, 0.5).await;
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    let mut child = generate(&data, &out, &slow, "a bridge at noon");
    let stderr = Stderr::of(&mut child);
    stderr.wait_for("attempt 1 on").await;
    signal(&child, "-INT");
    stderr.wait_for("being made").await;
    signal(&child, "-INT");
    let status = exit_of(&mut child).await;
    assert_eq!(status.code(), Some(130));
    stderr.wait_for("1 answer(s) lost").await;
    let jobs = history(&data);
    assert_eq!(jobs[0]["attempts"][0]["outcome"], ATTEMPT_ANSWER_LOST);
    assert!(jobs[0]["attempts"][0]["cost_usd"].as_f64().unwrap() > 0.0);
}

/// A server that answers every request, `models.list` included, with `body` as `content_type`
/// and a 200 (a captive portal's sign-in page, a proxy's placeholder); counts the generations.
async fn portal(content_type: &'static str, body: &'static str) -> (String, Arc<Mutex<usize>>) {
    let generations = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&generations);
    let router = Router::new().fallback(move |uri: Uri| {
        let counted = Arc::clone(&counted);
        async move {
            if uri.path().contains("enerateContent") {
                *counted.lock().unwrap() += 1;
            }
            (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
    });
    let addr = serve(router).await;
    (format!("http://{addr}"), generations)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_answering_instead_of_google_stops_the_job_naming_it() {
    let page = "<html><head><title>Hotel Wi-Fi</title></head><body>Please sign in</body></html>";
    for (content_type, body) in [
        ("text/html", page),
        ("application/json", ""),
        (
            "application/json",
            "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"a",
        ),
    ] {
        let (endpoint, generations) = portal(content_type, body).await;
        let dir = tempfile::tempdir().unwrap();
        let output = peel_command(dir.path(), &["generate", "a pier", "--json"])
            .args(["--endpoint", &endpoint, "--out"])
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let job = &summary["jobs"][0];
        assert_eq!(job["status"], "stopped", "{body:?}: {summary}");
        let reason = job["reason"].as_str().unwrap();
        assert!(
            reason.contains("proxy") && reason.contains("captive portal"),
            "{reason}"
        );
        // Two tries on each model, then stop: four requests, a few seconds of waiting.
        assert_eq!(*generations.lock().unwrap(), 4, "{summary}");
        let waited_s: f64 = job["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|attempt| attempt["wait_s"].as_f64())
            .sum();
        assert!(waited_s < 60.0, "{waited_s} s of waits");
    }
}

/// A server whose model list names only `listed`, and which answers every generation with a
/// proxy's HTML page.
async fn endpoint_listing(listed: &'static str) -> String {
    let list = format!(
        "{{\"models\": [{{\"name\": \"models/{listed}\", \"supportedGenerationMethods\": [\"generateContent\"]}}]}}"
    );
    let router = Router::new().fallback(move |uri: Uri| {
        let list = list.clone();
        async move {
            if uri.path().ends_with("/models") {
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    list,
                )
                    .into_response()
            } else {
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body>proxy</body></html>".to_owned(),
                )
                    .into_response()
            }
        }
    });
    format!("http://{}", serve(router).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fallback_missing_from_the_model_list_is_said_at_the_start_and_at_the_end() {
    let endpoint = endpoint_listing("gemini-3-pro-image").await;
    let dir = tempfile::tempdir().unwrap();
    // A key of the designer's own (Peel asks no list of its own simulator).
    let output = peel_command(dir.path(), &["generate", "a pier", "--json"])
        .env(
            "GEMINI_API_KEY",
            "AIzaSyA-fake-key-for-a-loopback-test-0001",
        )
        .args(["--endpoint", &endpoint, "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "The fallback model gemini-nano-banana-2.1 is not in this endpoint's model list"
        ),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let job = &summary["jobs"][0];
    let attempts = job["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "only the primary, twice: {summary}");
    let reason = job["reason"].as_str().unwrap();
    assert!(reason.contains("it could not fall back"), "{reason}");
    assert!(reason.contains("gemini-nano-banana-2.1"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_budget_refuses_takes_no_rate_limit_slot() {
    use peel::resilience::{BreakerConfig, Budget, Policy};
    use peel::worker::{Engine, EngineConfig};

    let sim = start_sim(Scenario::Calm, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    // One request a minute; a job may spend $0.20 and wait 1 s at most.
    let engine = Engine::new(
        crate::sim_rig::client_for(&sim, "v1beta", None),
        Arc::new(Store::open(&dir.path().join("peel.db")).unwrap()),
        EngineConfig {
            policy: Policy::default(),
            budget: Budget {
                max_job_spend_usd: 0.2,
                max_total_wait_s: 1.0,
                ..Budget::default()
            },
            tier: TierLimits {
                requests_per_minute: 1,
                images_per_minute: 0,
                requests_per_day: 0,
            },
            breaker: BreakerConfig::default(),
            image_dir: dir.path().join("images"),
            seed: 1,
        },
    );
    // A 4K image on Pro costs $0.24: the budget refuses it before it is sent.
    let dear = peel::worker::JobSpec {
        image_size: Some("4K".to_owned()),
        ..spec("a glacier")
    };
    let refused = crate::sim_rig::run_to_end(&engine, &dear).await;
    assert_eq!(refused.status, JobState::Parked, "{refused:?}");
    assert!(refused.attempts.is_empty());
    // The minute's one slot is still free: the next job goes at once (it would otherwise wait
    // a minute, over its 1 s budget of waiting).
    let cheap = crate::sim_rig::run_to_end(&engine, &spec("a fjord")).await;
    assert_eq!(cheap.status, JobState::Delivered, "{cheap:?}");
    assert_eq!(generations(&sim), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peel_cancel_from_another_process_drops_a_request_in_flight() {
    let slow = start_slow_sim(Scenario::Calm, 0.5).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(engine_on_tier(&slow, dir.path(), TierLimits::default(), 5));
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    let job_spec = peel::worker::JobSpec {
        fallback: None,
        ..spec("a ferris wheel at night")
    };
    handle
        .commands
        .send(Command::Generate(job_spec))
        .await
        .unwrap();
    let job = first_event(&mut handle.events, |event| match event {
        Event::AttemptStarted { job, .. } => Some(job),
        _ => None,
    })
    .await;
    // Pro at half of Google's time thinks 6-12 s: the request is still on its way.
    let output = peel_command(dir.path(), &["cancel", &job.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("may be billed"));
    let finished = first_event(&mut handle.events, |event| match event {
        Event::Finished(outcome) => Some(outcome),
        _ => None,
    })
    .await;
    assert_eq!(finished.status, JobState::Cancelled, "{finished:?}");
    assert_eq!(finished.attempts.len(), 1);
    assert_eq!(
        finished.attempts[0].kind,
        peel::job::ATTEMPT_CANCELLED_IN_FLIGHT
    );
    assert!(
        finished.attempts[0].cost_usd > 0.1,
        "its likely cost counts"
    );
    let store = Store::open(&dir.path().join("peel.db")).unwrap();
    let stored = store.attempts(job).unwrap();
    assert_eq!(stored[0].kind, peel::job::ATTEMPT_CANCELLED_IN_FLIGHT);
    assert_eq!(store.job(job).unwrap().unwrap().state, JobState::Cancelled);
    assert_eq!(generations(&slow), 1, "sent once, never again");
}
