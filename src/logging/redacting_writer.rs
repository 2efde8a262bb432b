//! A [`MakeWriter`] that passes every formatted log line through [`crate::redact::redact`] before
//! it reaches the file or stderr, so no key reaches the log whatever a call site logs.
//!
//! The `fmt` layer formats one event, writes it with one `write_all`, and drops the writer; the
//! writer keeps the bytes and redacts them whole when dropped (or flushed), so a key split over
//! two `write` calls, or a JSON field spread over two lines, is still seen whole.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

use crate::redact::redact;

/// Bytes held before a writer used for more than one event writes out what it has (up to its
/// last line end): bounds the memory of a writer that is never dropped.
const HELD_BYTES_MAX: usize = 256 * 1024;

/// Makes [`RedactingWriter`]s around the writers `inner` makes.
#[derive(Clone, Debug)]
pub struct RedactingMakeWriter<M> {
    inner: M,
}

impl<M> RedactingMakeWriter<M> {
    /// Redacts everything `inner`'s writers would write.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer_for(meta))
    }
}

/// Holds what is written, and writes it redacted to `inner` when flushed or dropped.
#[derive(Debug)]
pub struct RedactingWriter<W: Write> {
    inner: W,
    held: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    /// A writer that redacts before writing to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            held: Vec::new(),
        }
    }

    /// Redacts and writes the first `length` held bytes.
    fn write_out(&mut self, length: usize) -> io::Result<()> {
        if length == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.held[..length]);
        let clean = redact(&text);
        let result = self.inner.write_all(clean.as_bytes());
        self.held.drain(..length);
        result
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.held.extend_from_slice(bytes);
        if self.held.len() > HELD_BYTES_MAX
            && let Some(last_line_end) = self.held.iter().rposition(|&byte| byte == b'\n')
        {
            self.write_out(last_line_end + 1)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out(self.held.len())?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // A log line that cannot be written has nowhere to be reported.
        let _ = self.write_out(self.held.len());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const KEY: &str = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW";

    #[test]
    fn a_key_written_in_pieces_is_redacted_whole() {
        let out = Shared::default();
        {
            let mut writer = RedactingWriter::new(out.clone());
            writer
                .write_all(b"request failed: ?key=AIzaSyA1b2C3d4E5f")
                .unwrap();
            writer
                .write_all(b"6G7h8I9j0KlMnOpQrStUvW&alt=sse\n")
                .unwrap();
        }
        let written = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(!written.contains("AIzaSy"), "{written}");
        assert!(written.contains("?key=[REDACTED]&alt=sse"), "{written}");
    }

    #[test]
    fn a_subscriber_writing_through_it_logs_no_key() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let out = Shared::default();
        let make = {
            let out = out.clone();
            move || out.clone()
        };
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(RedactingMakeWriter::new(make)),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(header = %format!("x-goog-api-key: {KEY}"), "answer echoed the key {KEY}");
        });
        let written = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(written.contains("answer echoed the key"), "{written}");
        assert!(!written.contains(KEY), "{written}");
    }
}
