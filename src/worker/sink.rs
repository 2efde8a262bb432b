//! Where a service's events go: a bounded channel, and a repaint after each event so the window
//! wakes up to draw it. The engine sends [`Event`]s through an [`EventSink`]; the window's media
//! service sends its own events through the same type.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::protocol::Event;

/// Sends events, then repaints; a dropped receiver is not an error (nobody is listening any
/// more).
pub struct Sink<T> {
    tx: mpsc::Sender<T>,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// The engine's sink.
pub type EventSink = Sink<Event>;

impl<T> Clone for Sink<T> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            repaint: self.repaint.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Sink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("repaints", &self.repaint.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Sink<T> {
    /// A sink over a bounded channel; `repaint` is called after each event (the UI's repaint).
    pub fn new(tx: mpsc::Sender<T>, repaint: Option<Arc<dyn Fn() + Send + Sync>>) -> Self {
        Self { tx, repaint }
    }

    /// Sends one event (waits when the channel is full: back-pressure, never unbounded memory).
    pub async fn send(&self, event: T) {
        if self.tx.send(event).await.is_ok()
            && let Some(repaint) = &self.repaint
        {
            repaint();
        }
    }
}
