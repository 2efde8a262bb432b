//! The log in the window (egui_kittest, no GPU, the test playing the worker): a warning logged
//! anywhere shows on the status line at the bottom, redacted; "Show log" opens the Log view with
//! every recent line, newest first, and the status line hides until a newer line arrives.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use peel::app::PeelApp;
use peel::logging::{LogLevel, LogRing};
use peel::worker::WorkerHandle;
use tokio::sync::mpsc;

fn window(ring: &LogRing) -> Harness<'static, PeelApp> {
    let (commands, _commands_rx) = mpsc::channel(16);
    let (_events_tx, events) = mpsc::channel(peel::worker::EVENT_CAPACITY);
    let ring = ring.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| {
            PeelApp::with_worker(WorkerHandle { commands, events }, None)
                .with_log(ring, Some(std::path::PathBuf::from("/data/peel/logs")))
        });
    harness.run_steps(2);
    harness
}

#[test]
fn a_warning_shows_on_the_status_line_and_in_the_log_view() {
    let ring = LogRing::default();
    let mut harness = window(&ring);
    assert!(
        harness.query_by_label("Show log").is_none(),
        "no line, no status line"
    );

    ring.push(
        LogLevel::Warning,
        "peel::app::media",
        "a thumbnail could not be cached (disk full); it is made again next time",
    );
    ring.push(
        LogLevel::Error,
        "peel::worker::engine",
        "new client settings refused: x-goog-api-key: AIzaSyLogViewTest-0123456789abcdefghijk",
    );
    harness.run_steps(2);
    harness.get_by_label_contains("new client settings refused: x-goog-api-key: [REDACTED]");
    harness.get_by_label("and 1 more");
    assert!(harness.query_by_label_contains("AIzaSy").is_none());

    harness.get_by_label("Show log").click();
    harness.run_steps(2);
    harness.get_by_label_contains("The full log, one file a day, is in /data/peel/logs");
    harness.get_by_label_contains("a thumbnail could not be cached");
    assert_eq!(harness.state().state().log.unseen_count(), 0);
    assert!(
        harness.query_by_label("Show log").is_none(),
        "seen: the status line hides"
    );

    // Lines that arrive while the Log view is open are seen there; back in the gallery, a newer
    // one shows on the status line again.
    harness.get_by_label("Gallery").click();
    harness.run_steps(2);
    ring.push(LogLevel::Warning, "peel", "a newer warning");
    harness.run_steps(2);
    harness.get_by_label_contains("a newer warning");
    harness.get_by_label("Dismiss log line").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Show log").is_none());
}
