//! The window rig: a window with the test playing the worker through the channels and the real
//! media service (thumbnails decoded on a tokio runtime), or the test playing the media service
//! too ([`Rig::playing_media`]), plus the worker events the tests send.
//! Shared by the modules of the `window` test binary (behaviour, snapshots, end to end).

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use eframe::App as _;
use eframe::Storage as _;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use peel::app::media::{MediaEvent, MediaHandle, MediaRequest};
use peel::app::{PeelApp, media};
use peel::sim::Scenario;
use peel::worker::protocol::{AttemptRecord, AttemptReport};
use peel::worker::{Command, Event, JobOutcome, JobSpec, JobState, WorkerHandle};
use tokio::sync::mpsc;

/// The window and both ends of the worker's channels.
pub struct Rig {
    /// The window.
    pub harness: Harness<'static, PeelApp>,
    /// What the window asked the worker.
    pub commands: mpsc::Receiver<Command>,
    /// What the test tells the window, as the worker.
    pub events: mpsc::Sender<Event>,
    /// What the window asked the media service, when the test plays it ([`Rig::playing_media`]).
    pub media_requests: Option<mpsc::Receiver<MediaRequest>>,
    /// What the test tells the window, as the media service (kept open).
    pub media_events: Option<mpsc::Sender<MediaEvent>>,
    _runtime: tokio::runtime::Runtime,
}

impl Rig {
    /// A 1280×800 window; `wgpu` renders for snapshots (Mesa lavapipe on CI).
    pub fn new(wgpu: bool) -> Rig {
        Rig::build(wgpu, false)
    }

    /// A 1280×800 window without GPU whose media requests the test receives and answers itself
    /// (no file dialog ever opens).
    pub fn playing_media() -> Rig {
        Rig::build(false, true)
    }

    fn build(wgpu: bool, play_media: bool) -> Rig {
        // The real media service answers keychain requests: from memory, never the system's.
        peel::app::keychain::use_memory();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let (command_tx, commands) = mpsc::channel(16);
        let (events, event_rx) = mpsc::channel(peel::worker::EVENT_CAPACITY);
        let (media_tx, media_requests) = mpsc::channel(media::REQUEST_CAPACITY);
        let (media_events, media_rx) = mpsc::channel(media::EVENT_CAPACITY);
        let played = play_media.then_some(MediaHandle {
            requests: media_tx,
            events: media_rx,
        });
        let mut builder = Harness::builder().with_size([1280.0, 800.0]);
        if wgpu {
            builder = builder.wgpu().with_theme(egui::Theme::Dark);
        }
        let harness = builder.build_eframe(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let media = played.unwrap_or_else(|| {
                media::spawn(
                    &handle,
                    Some(std::sync::Arc::new(move || ctx.request_repaint())),
                )
            });
            PeelApp::with_worker(
                WorkerHandle {
                    commands: command_tx,
                    events: event_rx,
                },
                Some(Scenario::Calm),
            )
            .with_media(media)
        });
        Rig {
            harness,
            commands,
            events,
            media_requests: play_media.then_some(media_requests),
            media_events: play_media.then_some(media_events),
            _runtime: runtime,
        }
    }

    /// Steps frames until `label` shows (the media service works on other threads).
    pub fn wait_for(&mut self, label: &str) {
        wait_for(&mut self.harness, label);
    }

    /// Sends an event as the worker would.
    pub fn send(&self, event: Event) {
        self.events.try_send(event).unwrap();
    }

    /// Types `prompt` into the (focused) prompt, presses Generate, and returns what was sent.
    pub fn generate(&mut self, prompt: &str) -> JobSpec {
        self.harness.get_by_label("Prompt").type_text(prompt);
        self.harness.run();
        self.harness.get_by_label("Generate").click();
        self.harness.run();
        self.generated()
    }

    /// Sends a queued job whose one attempt the image filter blocked.
    pub fn blocked_by_image_filter(&self, job: i64, prompt: &str) {
        self.send(Event::Queued {
            job,
            spec: spec(prompt),
        });
        self.send(Event::AttemptEnded {
            job,
            report: report(200, IMAGE_SAFETY, None),
        });
    }

    /// The next command, which must be a Generate.
    pub fn generated(&mut self) -> JobSpec {
        match self.commands.try_recv() {
            Ok(Command::Generate(spec)) => spec,
            other => panic!("expected a Generate command, got {other:?}"),
        }
    }
}

/// Steps frames until a node whose label contains `label` shows (the worker, the media service
/// and the simulator run on other threads); fails after a minute.
pub fn wait_for(harness: &mut Harness<'static, PeelApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        harness.run_steps(1);
        if harness.query_by_label_contains(label).is_some() {
            return;
        }
        assert!(Instant::now() < deadline, "{label:?} never showed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asks the window to close, as the title bar's close button does, and runs one frame.
pub fn ask_to_close(harness: &mut Harness<'static, PeelApp>) {
    harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    harness.step();
}

/// The commands the window gave its viewport in the last frame.
pub fn viewport_commands(harness: &Harness<'static, PeelApp>) -> Vec<egui::ViewportCommand> {
    harness
        .output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .map(|output| output.commands.clone())
        .unwrap_or_default()
}

/// eframe's storage in memory: what the window writes to its settings file.
#[derive(Default)]
struct SavedSettings(BTreeMap<String, String>);

impl eframe::Storage for SavedSettings {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

/// Everything the window saves now (what eframe would write to its settings file), as one text
/// of `key = value` lines.
pub fn saved_settings(harness: &mut Harness<'static, PeelApp>) -> String {
    let mut storage = SavedSettings::default();
    harness.state_mut().save(&mut storage);
    storage
        .0
        .iter()
        .map(|(key, value)| [key.as_str(), " = ", value.as_str(), "\n"].concat())
        .collect()
}

/// Starts the window again from `saved` (what [`saved_settings`] returned; empty for a first
/// run), as the window's start-up does with eframe's storage, and runs a frame.
pub fn restore_settings(harness: &mut Harness<'static, PeelApp>, saved: &str) {
    let mut storage = SavedSettings::default();
    for line in saved.lines() {
        let (key, value) = line.split_once(" = ").unwrap();
        storage.set_string(key, value.to_owned());
    }
    harness.state_mut().restore_saved(&storage);
    harness.run();
}

/// The worker's "waiting `wait_s` seconds before the next attempt" for `job`, from now.
pub fn waiting(job: i64, wait_s: i64, reason: &str) -> Event {
    let until = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(wait_s))
        .unwrap();
    Event::Waiting {
        job,
        wait_s: wait_s as f64,
        until,
        reason: reason.to_owned(),
    }
}

/// The worker's end of `job` (an image at `image` when delivered).
pub fn finished(
    job: i64,
    status: JobState,
    reason: &str,
    image: Option<&std::path::Path>,
) -> Event {
    Event::Finished(Box::new(JobOutcome {
        job,
        status,
        reason: reason.to_owned(),
        diagnosis: None,
        attempts: Vec::new(),
        model_used: image.map(|_| "gemini-3-pro-image".to_owned()),
        changes: Vec::new(),
        image_path: image.map(std::path::Path::to_path_buf),
        parked_until: None,
        cost_usd: 0.134,
        thoughts: Vec::new(),
    }))
}

/// A body whose image the image filter withheld.
pub const IMAGE_SAFETY: &str = r#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_SAFETY"}],"modelVersion":"gemini-3-pro-image"}"#;

/// A job for Nano Banana Pro at 1K, falling back to Nano Banana 2.
pub fn spec(prompt: &str) -> JobSpec {
    JobSpec {
        prompt: prompt.to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        fallback: Some("gemini-3.1-flash-image".to_owned()),
        aspect_ratio: Some("1:1".to_owned()),
        image_size: Some("1K".to_owned()),
        ..JobSpec::default()
    }
}

/// An attempt that got `status` and `body`, as the engine reports it.
pub fn report(status: u16, body: &str, wait_s: Option<f64>) -> Box<AttemptReport> {
    let now = jiff::Timestamp::now();
    let diagnosis = peel::diagnosis::diagnose(
        &peel::diagnosis::Evidence::http(status, body),
        &peel::diagnosis::DiagnosisContext::new(now).with_model("gemini-3-pro-image"),
    );
    Box::new(AttemptReport {
        record: AttemptRecord {
            model: "gemini-3-pro-image".to_owned(),
            started_at: now,
            duration_ms: 800,
            kind: diagnosis.kind.id().to_owned(),
            http_status: Some(status),
            wait_s,
            wait_reason: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd: 0.0,
        },
        diagnosis,
        response: peel::diagnosis::excerpt::shown_response(&peel::diagnosis::Evidence::http(
            status, body,
        )),
    })
}

/// Writes a 320×200 gradient PNG named `name` in `dir`.
pub fn write_png(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    image::RgbaImage::from_fn(320, 200, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
    })
    .save(&path)
    .unwrap();
    path
}
