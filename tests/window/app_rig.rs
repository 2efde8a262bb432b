//! The app rig: the whole app in a real (headless) 1280×800 window with the real worker, the real
//! media service and the in-process simulator on 127.0.0.1, on a temporary data folder. Shared by
//! the modules of the `window` test binary that run the app end to end. Deleted images go to
//! `trash/` in the data folder.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use peel::app::{PeelApp, media};
use peel::session::{Session, SessionOptions};
use peel::sim::{Scenario, SimConfig};
use peel::store::Store;
use peel::store::trash::Trash;
use peel::worker;

use crate::window_rig::wait_for;

/// The whole app and what the tests look at behind it.
pub struct AppRig {
    /// The window.
    pub harness: Harness<'static, PeelApp>,
    /// The app's database.
    pub store: Arc<Store>,
    /// The data folder.
    pub dir: tempfile::TempDir,
    /// The simulator's state (its counters and the requests it saw).
    pub sim: Arc<peel::sim::SimState>,
    _runtime: tokio::runtime::Runtime,
}

impl AppRig {
    /// The app on a `scenario` day: the simulator seeded with `sim_seed` (no answer time), the
    /// engine's jitter with `seed`.
    pub fn open(scenario: Scenario, sim_seed: u64, seed: u64) -> AppRig {
        // The real media service answers keychain requests: from memory, never the system's.
        peel::app::keychain::use_memory();
        Self::open_on(
            SimConfig {
                scenario,
                seed: sim_seed,
                generation_latency: false,
                ..SimConfig::default()
            },
            seed,
        )
    }

    /// The app on a simulator set up as `simulator` (answer times included), the engine's
    /// jitter seeded with `seed`.
    pub fn open_on(simulator: SimConfig, seed: u64) -> AppRig {
        Self::open_with(simulator, seed, false)
    }

    /// [`AppRig::open_on`], rendered through wgpu (Mesa's lavapipe) when `wgpu` is set, so
    /// `harness.render()` can take a screenshot of the real window.
    pub fn open_with(simulator: SimConfig, seed: u64, wgpu: bool) -> AppRig {
        let dir = tempfile::tempdir().unwrap();
        let Session {
            engine,
            simulator,
            store,
            runtime,
            ..
        } = Session::open(SessionOptions {
            data_dir: Some(dir.path().to_path_buf()),
            simulator,
            worker_threads: Some(2),
            seed: Some(seed),
            // Deleted images go to a trash folder of the test's own, never the system's.
            trash: Trash::Folder(dir.path().join("trash")),
            ..SessionOptions::default()
        })
        .unwrap();
        let handle = runtime.handle().clone();
        let mut simulator = simulator;
        let sim = Arc::clone(simulator.as_ref().unwrap().state());
        let mut builder = Harness::builder().with_size([1280.0, 800.0]);
        if wgpu {
            builder = builder.wgpu().with_theme(egui::Theme::Dark);
        }
        let harness = builder.build_eframe(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let worker = worker::spawn(&handle, engine, Some(Arc::clone(&repaint)));
            let media = media::spawn(&handle, Some(repaint));
            PeelApp::with_worker(worker, None)
                .with_media(media)
                .with_simulator(simulator.take().unwrap())
        });
        AppRig {
            harness,
            store,
            dir,
            sim,
            _runtime: runtime,
        }
    }

    /// Steps frames until a node whose label contains `label` shows; fails after a minute.
    pub fn wait_for(&mut self, label: &str) {
        wait_for(&mut self.harness, label);
    }

    /// Types `prompt` over what the prompt holds and presses Generate.
    pub fn generate(&mut self, prompt: &str) {
        self.harness.get_by_label("Prompt").click();
        self.harness.run_steps(1);
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.harness.get_by_label("Prompt").type_text(prompt);
        self.harness.run_steps(1);
        self.harness.get_by_label("Generate").click();
        self.harness.run_steps(1);
    }
}
