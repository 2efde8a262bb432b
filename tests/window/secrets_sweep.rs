//! The secrets sweep for the window: the whole app (real worker, real media service with its
//! thumbnail cache, the in-process simulator on 127.0.0.1 as the endpoint, the log) with a known
//! fake key typed into Settings; one image generated and shown; then eframe's saved settings, the
//! "Copy diagnostic JSON" text and every byte of every file in the data folder are searched for
//! the key (raw, URL-encoded, base64 at each alignment, hex), and the simulator's record shows
//! the key only ever in the `x-goog-api-key` header. The keychain is played by the test (the
//! machine's own keychain is never touched).

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use peel::app::media::{KeychainEvent, KeychainRequest, MediaEvent, MediaHandle, MediaRequest};
use peel::app::{PeelApp, media};
use peel::session::{Session, SessionOptions, SimulatorUse};
use peel::sim::{Scenario, SimConfig};
use peel::worker;
use tokio::sync::mpsc;

use crate::window_rig::{saved_settings, wait_for};
use key_forms::{files_under, hits_in, sweep};

/// The key searches of the engine tests' sweep, shared.
#[path = "../engine/key_forms.rs"]
mod key_forms;

/// The fake key: Google-shaped (`AIzaSy` + 33), so the simulator accepts it.
const SWEEP_KEY: &str = "AIzaSyPeelWindowSweep_Fake-Key012345678";

/// The real media service, except that the test plays the keychain: storing answers that there
/// is none (so the key stays for this session), loading finds nothing.
fn without_keychain(handle: &tokio::runtime::Handle, real: MediaHandle) -> MediaHandle {
    // Belt and braces: were a keychain request to reach the real service, memory answers it.
    peel::app::keychain::use_memory();
    let (requests, mut asked) = mpsc::channel(media::REQUEST_CAPACITY);
    let (told, events) = mpsc::channel(media::EVENT_CAPACITY);
    let MediaHandle {
        requests: real_requests,
        events: mut real_events,
    } = real;
    let keychain_answers = told.clone();
    handle.spawn(async move {
        while let Some(request) = asked.recv().await {
            let answer = match request {
                MediaRequest::Keychain(KeychainRequest::Store(_)) => {
                    KeychainEvent::Stored(Err("no keychain in this test".to_owned()))
                }
                MediaRequest::Keychain(KeychainRequest::Load) => KeychainEvent::Loaded(Ok(None)),
                MediaRequest::Keychain(KeychainRequest::Forget) => KeychainEvent::Forgotten(Ok(())),
                other => {
                    if real_requests.send(other).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            if keychain_answers
                .send(MediaEvent::Keychain(answer))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    handle.spawn(async move {
        while let Some(event) = real_events.recv().await {
            if told.send(event).await.is_err() {
                break;
            }
        }
    });
    MediaHandle { requests, events }
}

fn holds_the_key(haystack: &[u8]) -> bool {
    !hits_in(haystack, SWEEP_KEY).is_empty()
}

fn type_into(harness: &mut Harness<'static, PeelApp>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(1);
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one story: set up, type the key, generate, then sweep every place"
)]
fn a_window_session_with_a_key_leaves_it_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The log, as the window starts it (a test before may have set the process's subscriber).
    let logging = peel::logging::init(&peel::logging::LogOptions {
        data_dir: Some(data.clone()),
        verbosity: 0,
    });
    let Session {
        engine,
        simulator,
        runtime,
        ..
    } = Session::open(SessionOptions {
        data_dir: Some(data.clone()),
        simulator: SimConfig {
            scenario: Scenario::Calm,
            seed: 5,
            generation_latency: false,
            ..SimConfig::default()
        },
        simulator_use: SimulatorUse::Always,
        worker_threads: Some(2),
        seed: Some(9),
        ..SessionOptions::default()
    })
    .unwrap();
    let simulator = simulator.unwrap();
    let endpoint = simulator.base_url();
    let sim_state = Arc::clone(simulator.state());
    let handle = runtime.handle().clone();
    let store = Arc::clone(engine.store());
    let ring = logging.ring.clone();
    let folder = logging.folder.clone();
    let mut simulator = Some(simulator);
    let cache_dir = data.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let worker = worker::spawn(&handle, engine, Some(Arc::clone(&repaint)));
            let real = media::spawn_with_cache(&handle, Some(repaint), &cache_dir, Some(store));
            PeelApp::with_worker(worker, None)
                .with_media(without_keychain(&handle, real))
                .with_simulator(simulator.take().unwrap())
                .with_log(ring, folder)
        });
    harness.run_steps(2);

    // The endpoint first (so the key never meets Google's address), then the key.
    harness.get_by_label("Settings").click();
    harness.run_steps(1);
    type_into(&mut harness, "Endpoint", &endpoint);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(1);
    type_into(&mut harness, "New API key", SWEEP_KEY);
    harness.get_by_label("Save key to keychain").click();
    harness.run_steps(1);
    wait_for(&mut harness, "no keychain in this test");

    harness.get_by_label("Gallery").click();
    harness.run_steps(1);
    type_into(&mut harness, "Prompt", "a red fox in the snow");
    harness.get_by_label("Generate").click();
    wait_for(&mut harness, "Image of job 1: a red fox in the snow");
    // The gallery's thumbnail is cached in the data folder by the media service.
    let deadline = Instant::now() + Duration::from_mins(1);
    while !data.join("thumbs").is_dir() || files_under(&data.join("thumbs")).is_empty() {
        assert!(Instant::now() < deadline, "no thumbnail was cached");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }

    let job = harness.state().state().job(1).unwrap().clone();
    let diagnostic = peel::ui::why::diagnostic_json(&job);
    assert!(diagnostic.contains("a red fox in the snow"), "{diagnostic}");
    assert!(!holds_the_key(diagnostic.as_bytes()), "{diagnostic}");

    let saved = saved_settings(&mut harness);
    assert!(saved.contains(&endpoint), "the endpoint is saved: {saved}");
    assert!(!holds_the_key(saved.as_bytes()), "{saved}");
    std::fs::write(dir.path().join("app.ron"), &saved).unwrap();

    // The window's session ends: the worker and media stop, the database is closed.
    drop(harness);
    drop(runtime);
    drop(logging);

    let files = files_under(dir.path());
    assert!(
        files.iter().any(|file| file.ends_with("peel.db")),
        "{files:?}"
    );
    let (swept, leaked) = sweep(&[dir.path()], SWEEP_KEY);
    assert_eq!(swept, files.len());
    assert!(leaked.is_empty(), "the key was written to {leaked:#?}");

    let requests = sim_state.seen_requests();
    let mut with_key = 0;
    for request in &requests {
        assert!(
            !holds_the_key(request.uri.as_bytes()),
            "key in URL {}",
            request.uri
        );
        for (name, value) in &request.headers {
            if holds_the_key(value.as_bytes()) {
                assert_eq!(name, "x-goog-api-key");
                with_key += 1;
            }
        }
    }
    assert!(with_key >= 1, "the key was sent: {requests:#?}");
}
