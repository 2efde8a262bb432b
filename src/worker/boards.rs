//! Stars, boards and "Delete the unstarred in this view", for the window: each change is made by
//! the store off the async threads, reported back as it is kept ([`Event::BoardsChanged`]), and
//! followed by fresh counts for the boards sidebar ([`Event::BoardCounts`]). Deleting the
//! unstarred moves each image to the system trash (through [`Engine::delete`], so the one-owner
//! and deleted-wins promises hold), one job at a time, and stops at the first file the trash
//! refuses.

use std::sync::Arc;

use jiff::Timestamp;

use super::engine::Engine;
use super::protocol::{BoardChange, Event, JobId, JobSearch};
use super::sink::EventSink;
use crate::store::BoardError;

impl Engine {
    /// Makes `change` in the database; returns it with the board names as kept. Blocking: call
    /// from `spawn_blocking`.
    pub fn change_boards(&self, change: BoardChange) -> Result<BoardChange, BoardError> {
        let store = self.store();
        let now = Timestamp::now();
        Ok(match change {
            BoardChange::Star { jobs, starred } => {
                store.set_starred(&jobs, starred)?;
                BoardChange::Star { jobs, starred }
            }
            BoardChange::Create { name } => BoardChange::Create {
                name: store.create_board(&name, now)?,
            },
            BoardChange::Rename { from, to } => {
                let kept = store.board(&from)?.map_or(from, |board| board.name);
                let to = store.rename_board(&kept, &to)?;
                BoardChange::Rename { from: kept, to }
            }
            BoardChange::Delete { name } => {
                let kept = store.board(&name)?.map_or(name, |board| board.name);
                store.delete_board(&kept)?;
                BoardChange::Delete { name: kept }
            }
            BoardChange::Add { board, jobs } => BoardChange::Add {
                board: store.add_to_board(&board, &jobs, true, now)?.0,
                jobs,
            },
            BoardChange::Remove { board, jobs } => BoardChange::Remove {
                board: store.remove_from_board(&board, &jobs)?.0,
                jobs,
            },
        })
    }

    /// Whether job `job` may still go with "Delete the unstarred": in the history, not starred,
    /// and ended (not queued, running or parked again since it was counted).
    fn still_unstarred(&self, job: JobId) -> bool {
        self.store().job(job).ok().flatten().is_some_and(|found| {
            !found.starred && !found.state.is_open() && found.state != crate::job::JobState::Deleted
        })
    }
}

/// Makes a star or board change off the async threads, then reports it (or why not) and the
/// new counts.
pub(super) fn change(engine: &Arc<Engine>, change: BoardChange, sink: &EventSink) {
    let engine = Arc::clone(engine);
    let sink = sink.clone();
    tokio::spawn(async move {
        let changing = Arc::clone(&engine);
        let changed = tokio::task::spawn_blocking(move || changing.change_boards(change)).await;
        match changed {
            Ok(Ok(change)) => sink.send(Event::BoardsChanged(change)).await,
            Ok(Err(error)) => {
                let message = error.to_string();
                sink.send(Event::Problem { message }).await;
            }
            Err(_) => return,
        }
        send_counts(&engine, &sink).await;
    });
}

/// Counts off the async threads and sends the counts ([`Command::CountBoards`]).
///
/// [`Command::CountBoards`]: super::protocol::Command::CountBoards
pub(super) fn count(engine: &Arc<Engine>, sink: &EventSink) {
    let engine = Arc::clone(engine);
    let sink = sink.clone();
    tokio::spawn(async move { send_counts(&engine, &sink).await });
}

/// Sends the boards sidebar's counts (read off the async threads); a database that cannot be
/// read leaves the last counts shown.
pub(super) async fn send_counts(engine: &Engine, sink: &EventSink) {
    let store = Arc::clone(engine.store());
    match tokio::task::spawn_blocking(move || store.board_counts()).await {
        Ok(Ok(counts)) => sink.send(Event::BoardCounts(counts)).await,
        Ok(Err(error)) => tracing::warn!("the boards' counts could not be read: {error}"),
        Err(_) => {}
    }
}

/// Finds the jobs of `search` that "Delete the unstarred" would move to the trash, over the
/// whole history, and sends them.
pub(super) fn find_unstarred(engine: &Arc<Engine>, search: JobSearch, sink: &EventSink) {
    let engine = Arc::clone(engine);
    let sink = sink.clone();
    tokio::spawn(async move {
        let asked = search.first_page();
        let whole = asked.clone();
        let found =
            tokio::task::spawn_blocking(move || engine.store().unstarred_to_delete(&whole)).await;
        match found {
            Ok(Ok(jobs)) => {
                sink.send(Event::UnstarredFound {
                    search: asked,
                    jobs,
                })
                .await;
            }
            Ok(Err(error)) => {
                let message = format!("The unstarred jobs could not be counted: {error}");
                sink.send(Event::Problem { message }).await;
            }
            Err(_) => {}
        }
    });
}

/// Deletes `jobs` one at a time, each image to the trash, leaving those starred (or running)
/// since they were counted; stops at the first job the trash refuses.
pub(super) fn trash_unstarred(engine: &Arc<Engine>, jobs: Vec<JobId>, sink: &EventSink) {
    let engine = Arc::clone(engine);
    let sink = sink.clone();
    tokio::spawn(async move {
        let (mut trashed, mut kept) = (0, 0);
        let mut problems = Vec::new();
        for (at, job) in jobs.iter().copied().enumerate() {
            let deleting = Arc::clone(&engine);
            let deleted = tokio::task::spawn_blocking(move || {
                if deleting.still_unstarred(job) {
                    deleting.delete(job).map(Some)
                } else {
                    Ok(None)
                }
            })
            .await
            .unwrap_or_else(|error| Err(error.to_string()));
            match deleted {
                Ok(None) => kept += 1,
                Ok(Some(problem)) => {
                    trashed += 1;
                    sink.send(Event::Deleted { job }).await;
                    problems.extend(problem);
                }
                Err(message) => {
                    let stopped = jobs.len() - at;
                    let message = format!(
                        "{trashed} of {} jobs went to the trash; then {message} The other {stopped} are kept.",
                        jobs.len()
                    );
                    sink.send(Event::Problem { message }).await;
                    sink.send(Event::UnstarredTrashed {
                        trashed,
                        kept,
                        stopped,
                    })
                    .await;
                    send_counts(&engine, &sink).await;
                    return;
                }
            }
        }
        if let Some(first) = problems.first() {
            let message = if problems.len() == 1 {
                first.clone()
            } else {
                format!(
                    "{first} ({} more files like it stayed.)",
                    problems.len() - 1
                )
            };
            sink.send(Event::Problem { message }).await;
        }
        sink.send(Event::UnstarredTrashed {
            trashed,
            kept,
            stopped: 0,
        })
        .await;
        send_counts(&engine, &sink).await;
    });
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::*;
    use crate::api::{ClientConfig, GeminiClient};
    use crate::job::JobState;
    use crate::store::trash::Trash;
    use crate::store::{Store, thumbs};
    use crate::worker::protocol::Command;
    use crate::worker::{EngineConfig, WorkerHandle};

    /// A data folder with four delivered jobs, each image at `images/peel-N.png` with a cached
    /// thumbnail (job 2's with an XMP sidecar too), job 1 starred; and the worker on it, its
    /// deleted images going to `trash`. The client points at a closed loopback port: nothing is
    /// generated here.
    fn worker_on(dir: &Path, trash: Trash) -> (WorkerHandle, Arc<Store>) {
        let store = Arc::new(Store::open(&dir.join("peel.db")).unwrap());
        let images = dir.join("images");
        std::fs::create_dir_all(&images).unwrap();
        let cache = thumbs::folder(dir);
        std::fs::create_dir_all(&cache).unwrap();
        for n in 1..=4 {
            let spec = serde_json::json!({ "prompt": format!("picture {n}") }).to_string();
            let id = store.enqueue(&spec, Timestamp::now()).unwrap();
            let image = images.join(format!("peel-{n}.png"));
            std::fs::write(&image, format!("picture {n}")).unwrap();
            std::fs::write(thumbs::cache_file(&image, 256, &cache).unwrap(), b"small").unwrap();
            store
                .record_delivery(id, &image.display().to_string(), "m", Timestamp::now())
                .unwrap();
        }
        std::fs::write(images.join("peel-2.png.xmp"), b"<x:xmpmeta/>").unwrap();
        store.set_starred(&[1], true).unwrap();
        let client = GeminiClient::new(ClientConfig {
            base_url: "http://127.0.0.1:9".to_owned(),
            ..ClientConfig::default()
        })
        .unwrap();
        let engine = Engine::new(
            client,
            Arc::clone(&store),
            EngineConfig::defaults(images, 1),
        )
        .with_trash(trash);
        let handle =
            crate::worker::spawn(&tokio::runtime::Handle::current(), Arc::new(engine), None);
        (handle, store)
    }

    /// The worker's events until `last` matches (at most 20 s).
    async fn events_until(handle: &mut WorkerHandle, last: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            let event = tokio::time::timeout(Duration::from_secs(20), handle.events.recv())
                .await
                .expect("the worker answers")
                .expect("the worker runs");
            let done = last(&event);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }

    fn image(dir: &Path, n: i64) -> PathBuf {
        dir.join(format!("images/peel-{n}.png"))
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_unstarred_go_to_the_trash_with_their_sidecars_and_the_starred_stay() {
        let dir = tempfile::tempdir().unwrap();
        let trash = dir.path().join("trash");
        let (mut handle, store) = worker_on(dir.path(), Trash::Folder(trash.clone()));
        handle.commands.send(Command::CountBoards).await.unwrap();
        let counted = events_until(&mut handle, |e| matches!(e, Event::BoardCounts(_))).await;
        assert!(
            counted
                .iter()
                .any(|e| matches!(e, Event::BoardCounts(c) if c.all == 4 && c.starred == 1))
        );

        handle
            .commands
            .send(Command::FindUnstarred(JobSearch::default()))
            .await
            .unwrap();
        let found = events_until(&mut handle, |e| matches!(e, Event::UnstarredFound { .. })).await;
        let Some(Event::UnstarredFound { jobs, .. }) = found.last() else {
            unreachable!()
        };
        assert_eq!(jobs, &[4, 3, 2]);
        // Job 3 is starred meanwhile (from the CLI, say): it is kept.
        store.set_starred(&[3], true).unwrap();
        handle
            .commands
            .send(Command::TrashUnstarred(jobs.clone()))
            .await
            .unwrap();
        let ended = events_until(&mut handle, |e| matches!(e, Event::BoardCounts(_))).await;
        let deleted: Vec<i64> = ended
            .iter()
            .filter_map(|e| match e {
                Event::Deleted { job } => Some(*job),
                _ => None,
            })
            .collect();
        assert_eq!(deleted, [4, 2]);
        assert!(ended.contains(&Event::UnstarredTrashed {
            trashed: 2,
            kept: 1,
            stopped: 0
        }));
        for n in [2, 4] {
            assert!(!image(dir.path(), n).exists());
            assert!(
                trash.join(format!("peel-{n}.png")).exists(),
                "job {n}'s image"
            );
            assert_eq!(store.job(n).unwrap().unwrap().state, JobState::Deleted);
        }
        assert!(
            trash.join("peel-2.png.xmp").exists(),
            "the sidecar went with its image"
        );
        for n in [1, 3] {
            assert!(image(dir.path(), n).exists(), "job {n} stays");
        }
        let thumbnails = std::fs::read_dir(thumbs::folder(dir.path()))
            .unwrap()
            .count();
        assert_eq!(
            thumbnails, 2,
            "the deleted images' thumbnails are gone, the others stay"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_trash_that_refuses_deletes_nothing_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the trash folder should be: nothing can be moved into it.
        let not_a_folder = dir.path().join("trash");
        std::fs::write(&not_a_folder, b"").unwrap();
        let (mut handle, store) = worker_on(dir.path(), Trash::Folder(not_a_folder));
        events_until(&mut handle, |e| matches!(e, Event::Restored { .. })).await;

        handle.commands.send(Command::Delete(2)).await.unwrap();
        let said = events_until(&mut handle, |e| matches!(e, Event::Problem { .. })).await;
        assert!(!said.iter().any(|e| matches!(e, Event::Deleted { .. })));
        let Some(Event::Problem { message }) = said.last() else {
            unreachable!()
        };
        assert!(message.contains("nothing was deleted"), "{message}");
        assert!(message.contains("peel-2.png"), "{message}");

        handle
            .commands
            .send(Command::TrashUnstarred(vec![4, 3, 2]))
            .await
            .unwrap();
        let ended = events_until(&mut handle, |e| matches!(e, Event::BoardCounts(_))).await;
        assert!(!ended.iter().any(|e| matches!(e, Event::Deleted { .. })));
        assert!(ended.contains(&Event::UnstarredTrashed {
            trashed: 0,
            kept: 0,
            stopped: 3
        }));
        let problem = ended.iter().find_map(|e| match e {
            Event::Problem { message } => Some(message.clone()),
            _ => None,
        });
        let problem = problem.unwrap();
        assert!(
            problem.starts_with("0 of 3 jobs went to the trash; then Image 4 could not be deleted"),
            "{problem}"
        );
        assert!(problem.ends_with("The other 3 are kept."), "{problem}");
        for n in 1..=4 {
            assert!(image(dir.path(), n).exists(), "job {n}'s image stays");
            assert_eq!(store.job(n).unwrap().unwrap().state, JobState::Delivered);
        }
        assert!(dir.path().join("images/peel-2.png.xmp").exists());
    }
}
