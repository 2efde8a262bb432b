//! Start-up: opens Peel's window on a [`Session`], with the worker, the media service, the log
//! and the simulator, and the window's native options (size, title, icon).

use std::sync::Arc;

use super::media::{self, KeychainRequest, MediaRequest};
use super::{PeelApp, frame_stats};
use crate::session::{self, Session, SessionError, SessionOptions, SimulatorUse};
use crate::ui::settings::KeySource;
use crate::worker;

/// Why the window could not open.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Set-up failed before the window (runtime, data folder, database, simulator).
    #[error(transparent)]
    Setup(#[from] SessionError),
    /// eframe could not open the window (no display, no GPU driver).
    #[error(
        "Peel could not open its window: {0}. On a machine without a display, use `peel generate`."
    )]
    Window(String),
}

/// The app icon (PNG in `assets/`).
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/peel-icon.png");

/// Opens Peel's window on a [`Session`] (runtime, store, engine, and the simulator, used while no
/// key is set), with the worker and the media service. A key in the environment is used at once;
/// otherwise the keychain is asked off the UI thread. `PEEL_FRAME_STATS=1` prints frame times and
/// peak memory on close; `PEEL_EXIT_AFTER_FIRST_FRAME=1` prints the start-up time and closes
/// ([`frame_stats`]). The log goes to the data folder's `logs/` and, with `verbosity` (the number
/// of `-v` given), to stderr too.
pub fn run(verbosity: u8) -> Result<(), RunError> {
    let started = std::time::Instant::now();
    crate::logging::panic_hook::install();
    // Held until the window closes: dropping it writes out the log file's last lines.
    let logging = crate::logging::init(&crate::logging::LogOptions {
        data_dir: crate::store::paths::data_dir(),
        verbosity,
    });
    tracing::info!("peel {} window opening", env!("CARGO_PKG_VERSION"));
    let environment_key = session::key_from_environment();
    let Session {
        engine,
        simulator,
        runtime,
        data_dir,
        ..
    } = Session::open(SessionOptions {
        api_key: environment_key.as_ref().map(|found| found.key.clone()),
        simulator_use: SimulatorUse::Always,
        ..SessionOptions::default()
    })?;
    let handle = runtime.handle().clone();
    let mut runtime_slot = Some(runtime);
    let mut simulator_slot = simulator;
    eframe::run_native(
        "Peel",
        native_options(),
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let store = Arc::clone(engine.store());
            let worker = worker::spawn(&handle, engine, Some(Arc::clone(&repaint)));
            let media = media::spawn_with_cache(&handle, Some(repaint), &data_dir, Some(store));
            let mut app = PeelApp::with_worker(worker, None)
                .with_media(media)
                .with_log(logging.ring.clone(), logging.folder.clone());
            if let Some(storage) = cc.storage {
                app.restore_saved(storage);
            }
            cc.egui_ctx.set_theme(app.settings.theme.preference());
            if let Some(simulator) = simulator_slot.take() {
                app = app.with_simulator(simulator);
            }
            app.runtime = runtime_slot.take();
            app.frame_stats = frame_stats::FrameStats::from_environment(started);
            if let Some(found) = environment_key.clone() {
                app.use_key(Some(found.key), KeySource::Environment(found.variable));
            } else {
                app.key.source = KeySource::Checking;
                app.media(MediaRequest::Keychain(KeychainRequest::Load));
                // Tier and budgets from the saved settings.
                app.configure();
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| RunError::Window(with_library_hint(&e.to_string())))
}

/// The reason, with the Debian packages to install when a display's libraries are missing
/// (a headless machine under Xvfb has none of the X client libraries a desktop has).
fn with_library_hint(reason: &str) -> String {
    if reason.contains("shared librar") || reason.contains("could not be loaded") {
        format!(
            "{reason} (a library the window needs is missing; on Debian or Ubuntu: sudo apt-get install libxcursor1 libxi6 libxkbcommon-x11-0)"
        )
    } else {
        reason.to_owned()
    }
}

/// The window's size, title and icon.
fn native_options() -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([900.0, 560.0])
        .with_title("Peel")
        .with_app_id("peel");
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    eframe::NativeOptions {
        viewport,
        ..eframe::NativeOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_x_library_names_the_packages() {
        let said = RunError::Window(with_library_hint(
            "winit EventLoopError: os error: Failed to load one of xlib's shared libraries",
        ))
        .to_string();
        assert!(
            said.contains("libxcursor1 libxi6 libxkbcommon-x11-0"),
            "{said}"
        );
        assert!(said.ends_with("use `peel generate`."), "{said}");
        let other = with_library_hint("no GPU adapter found");
        assert_eq!(other, "no GPU adapter found");
    }
}
