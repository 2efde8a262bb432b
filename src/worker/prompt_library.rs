//! The prompt library for the window: its requests (read, save, rename, delete) run one after
//! another on one task, each in the database off the async threads, and each answered with the
//! whole library as it stands after it ([`Event::PromptLibrary`]), so the window never shows a
//! list older than its own last change. A failure is one sentence ([`Event::Problem`]).

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::engine::Engine;
use super::protocol::Event;
use super::sink::EventSink;
use crate::store::prompt_library::{OnClash, PromptDraft, PromptName, Renamed, Saved};
use crate::store::{Store, StoreError};

/// How many library requests may wait for the ones before them.
pub const LIBRARY_CAPACITY: usize = 16;

/// What the window asks of the prompt library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LibraryRequest {
    /// Read it (the window asks when it opens the library or saves to it).
    Load,
    /// Save `draft` under its name; a name already taken is replaced only when `replace`.
    Save {
        /// The entry.
        draft: PromptDraft,
        /// Whether to replace an entry that has the name (the designer said so).
        replace: bool,
    },
    /// Give the entry named `from` the name `to`.
    Rename {
        /// Its name now.
        from: String,
        /// Its new name.
        to: PromptName,
    },
    /// Remove the entry named `name`.
    Delete {
        /// Its name.
        name: String,
    },
}

/// Runs library requests in the order they came, on one task.
#[derive(Debug)]
pub struct Librarian {
    requests: mpsc::Sender<LibraryRequest>,
}

impl Librarian {
    /// Starts the task (call inside the runtime); each request's answer goes to `sink`.
    pub fn start(engine: Arc<Engine>, sink: EventSink) -> Librarian {
        let (requests, mut incoming) = mpsc::channel::<LibraryRequest>(LIBRARY_CAPACITY);
        tokio::spawn(async move {
            while let Some(request) = incoming.recv().await {
                engine.answer_library(request, &sink).await;
            }
        });
        Librarian { requests }
    }

    /// Queues `request` behind the ones before it (waits only while [`LIBRARY_CAPACITY`]
    /// requests are waiting).
    pub async fn send(&self, request: LibraryRequest) {
        if self.requests.send(request).await.is_err() {
            tracing::error!("the prompt library's task stopped; a request was dropped");
        }
    }
}

/// Does `request` on `store` at `now`: the sentence that says what changed (if anything worth
/// saying), to be sent with the library as it stands after it.
pub fn apply(
    store: &Store,
    request: LibraryRequest,
    now: Timestamp,
) -> Result<Option<String>, StoreError> {
    Ok(match request {
        LibraryRequest::Load => None,
        LibraryRequest::Save { draft, replace } => {
            let on_clash = if replace {
                OnClash::Replace
            } else {
                OnClash::Keep
            };
            let name = draft.name();
            Some(match store.save_prompt(&draft, on_clash, now)? {
                Saved::Added => format!("Saved \"{name}\" to the prompt library."),
                Saved::Replaced => format!("Replaced \"{name}\" in the prompt library."),
                Saved::Unchanged => format!("\"{name}\" was already in the prompt library."),
                Saved::NameTaken => format!(
                    "\"{name}\" is already in the prompt library with other words (saved a moment ago, perhaps by another Peel); save again to replace it, or choose another name."
                ),
            })
        }
        LibraryRequest::Rename { from, to } => {
            Some(match store.rename_prompt(&from, &to, now)? {
                Renamed::Done => format!("Renamed \"{from}\" to \"{to}\"."),
                Renamed::Missing => format!("\"{from}\" is not in the prompt library any more."),
                Renamed::NameTaken => {
                    format!("\"{to}\" is the name of another entry; choose another name.")
                }
            })
        }
        LibraryRequest::Delete { name } => store
            .delete_prompt(&name)?
            .then(|| format!("Removed \"{name}\" from the prompt library.")),
    })
}

impl Engine {
    /// Does `request` off the async threads, then sends the whole library (or one sentence when
    /// the database failed).
    pub async fn answer_library(&self, request: LibraryRequest, sink: &EventSink) {
        let reading = matches!(request, LibraryRequest::Load);
        let answer = self
            .db(move |store| {
                let news = apply(store, request, Timestamp::now())?;
                Ok((store.prompt_library()?, news))
            })
            .await;
        match answer {
            Ok((entries, news)) => sink.send(Event::PromptLibrary { entries, news }).await,
            Err(error) => {
                let what = if reading { "read" } else { "changed" };
                let message = format!("The prompt library could not be {what}: {error}");
                tracing::warn!("{message}");
                sink.send(Event::Problem { message }).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::prompt_library::PromptKind;

    #[test]
    fn each_request_says_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let now = Timestamp::now();
        let fog = |text: &str| PromptDraft::new("Fog", text, PromptKind::Fragment).unwrap();
        let save = |text: &str, replace: bool| {
            apply(
                &store,
                LibraryRequest::Save {
                    draft: fog(text),
                    replace,
                },
                now,
            )
            .unwrap()
            .unwrap()
        };
        assert_eq!(
            save("morning fog", false),
            "Saved \"Fog\" to the prompt library."
        );
        assert!(
            save("evening fog", false)
                .starts_with("\"Fog\" is already in the prompt library with other words")
        );
        assert_eq!(
            save("evening fog", true),
            "Replaced \"Fog\" in the prompt library."
        );
        assert_eq!(apply(&store, LibraryRequest::Load, now).unwrap(), None);
        let renamed = apply(
            &store,
            LibraryRequest::Rename {
                from: "fog".to_owned(),
                to: PromptName::new("Haze").unwrap(),
            },
            now,
        )
        .unwrap();
        assert_eq!(renamed.as_deref(), Some("Renamed \"fog\" to \"Haze\"."));
        let removed = apply(
            &store,
            LibraryRequest::Delete {
                name: "Haze".to_owned(),
            },
            now,
        )
        .unwrap();
        assert_eq!(
            removed.as_deref(),
            Some("Removed \"Haze\" from the prompt library.")
        );
        assert!(store.prompt_library().unwrap().is_empty());
    }
}
