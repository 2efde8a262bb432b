//! Ctrl+C in a command that sends requests (`peel generate`, `peel retry`): never a silent
//! double payment. With nothing on its way to Google, Ctrl+C stops at once (unfinished jobs stay
//! in the queue). With requests in flight, it says what they will probably cost, sends nothing
//! new and waits for them; a second Ctrl+C quits anyway, recording their answers as lost
//! (probably billed) so the history and today's spend still show them.

use std::future::Future;
use std::io::{self, Write as _};
use std::sync::Arc;

use crate::worker::Engine;
use crate::worker::protocol::being_made;

/// Exit code after Ctrl+C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// How a run that Ctrl+C may interrupt ended.
#[derive(Debug)]
pub enum Interrupted<T> {
    /// It ran to its end, untouched.
    Finished(T),
    /// Ctrl+C came; the requests in flight were waited for and the run ended with them.
    Waited(T),
    /// Ctrl+C came and Peel stops now (nothing was in flight, it was waited for, or a second
    /// Ctrl+C gave it up).
    Stopped,
}

/// Resolves once `engine` has nothing in flight.
async fn idle(engine: &Engine) {
    while engine.in_flight() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Runs `work` until it ends or Ctrl+C says to stop, as the module says.
pub async fn unless_interrupted<T>(
    engine: &Arc<Engine>,
    work: impl Future<Output = T>,
) -> Interrupted<T> {
    let mut stderr = io::stderr();
    tokio::pin!(work);
    tokio::select! {
        done = &mut work => return Interrupted::Finished(done),
        _ = tokio::signal::ctrl_c() => {}
    }
    let in_flight = engine.in_flight();
    engine.stop_sending();
    if in_flight == 0 {
        let _ = writeln!(
            stderr,
            "Stopped. Nothing was on its way to Google; unfinished jobs stay in the queue (peel generate --resume runs them)."
        );
        return Interrupted::Stopped;
    }
    let them = if in_flight == 1 { "it" } else { "them" };
    let _ = writeln!(
        stderr,
        "{} — waiting for {them}; Peel sends nothing new. Press Ctrl+C again to quit anyway ({them} will then be lost, and probably billed).",
        being_made(in_flight)
    );
    tokio::select! {
        done = &mut work => Interrupted::Waited(done),
        () = idle(engine) => {
            let _ = writeln!(
                stderr,
                "The images on their way have arrived. Jobs still waiting stay in the queue (peel generate --resume runs them)."
            );
            Interrupted::Stopped
        }
        _ = tokio::signal::ctrl_c() => {
            let abandoning = Arc::clone(engine);
            let lost = tokio::task::spawn_blocking(move || abandoning.abandon_in_flight()).await;
            let lost = match lost {
                Ok(Ok(lost)) => lost,
                _ => engine.in_flight(),
            };
            let _ = writeln!(
                stderr,
                "Quit: {lost} answer(s) lost. The history records them as lost (probably billed) and counts them in today's spend; peel generate --resume sends those jobs again."
            );
            Interrupted::Stopped
        }
    }
}
