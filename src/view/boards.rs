//! Stars and boards as the window knows them: the sidebar's counts (every job, the starred ones,
//! each board's), the jobs a "Delete the unstarred in this view" would move to the trash, and
//! each change the worker made folded into the loaded jobs (pure, unit-tested).

use std::collections::HashSet;
use std::fmt::Write as _;

use super::job_view::JobView;
use super::state::AppState;
use crate::worker::Event;
use crate::worker::protocol::{BoardChange, BoardCounts, JobId, JobSearch};

/// The boards sidebar's state, from the worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BoardsView {
    /// Every job, the starred ones and each board's, as last counted.
    pub counts: BoardCounts,
    /// The jobs "Delete the unstarred in this view" would move to the trash, for the search
    /// they were found for (from its first page).
    pub unstarred: Option<(JobSearch, Vec<JobId>)>,
}

impl BoardsView {
    /// The unstarred jobs found for `search` (from its first page), once the worker answered.
    pub fn unstarred_for(&self, search: &JobSearch) -> Option<&[JobId]> {
        self.unstarred
            .as_ref()
            .filter(|(found_for, _)| *found_for == search.first_page())
            .map(|(_, jobs)| jobs.as_slice())
    }
}

impl AppState {
    /// Jobs in the history: as last counted, plus the ones queued since (newer than the newest
    /// counted; they are the last of `jobs`, which is sorted by id).
    pub fn jobs_in_history(&self) -> usize {
        let counts = &self.boards.counts;
        let newer = self
            .jobs
            .iter()
            .rev()
            .take_while(|job| job.id > counts.newest_job)
            .count();
        counts.all + newer
    }
}

/// Folds a stars-and-boards event into `state` (other events are left to `AppState::apply`).
pub(super) fn apply(state: &mut AppState, event: Event) {
    match event {
        Event::BoardsChanged(change) => apply_change(&mut state.jobs, &change),
        Event::BoardCounts(counts) => state.boards.counts = counts,
        Event::UnstarredFound { search, jobs } => state.boards.unstarred = Some((search, jobs)),
        Event::UnstarredTrashed {
            trashed,
            kept,
            stopped,
        } => {
            state.boards.unstarred = None;
            if let Some(sentence) = trashed_sentence(trashed, kept, stopped) {
                state.notice = Some(sentence);
            }
        }
        _ => {}
    }
}

/// Whether two board names name the same board (the database compares them without ASCII case,
/// SQLite's `NOCASE`).
pub fn same_board(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Folds a change the worker made into the loaded jobs.
pub fn apply_change(jobs: &mut [JobView], change: &BoardChange) {
    match change {
        BoardChange::Star { jobs: ids, starred } => {
            let ids: HashSet<JobId> = ids.iter().copied().collect();
            for job in jobs.iter_mut().filter(|job| ids.contains(&job.id)) {
                job.starred = *starred;
            }
        }
        BoardChange::Create { .. } => {}
        BoardChange::Rename { from, to } => {
            for name in jobs.iter_mut().flat_map(|job| job.boards.iter_mut()) {
                if same_board(name, from) {
                    name.clone_from(to);
                }
            }
        }
        BoardChange::Delete { name } => {
            for job in jobs.iter_mut() {
                job.boards.retain(|board| !same_board(board, name));
            }
        }
        BoardChange::Add { board, jobs: ids } => {
            let ids: HashSet<JobId> = ids.iter().copied().collect();
            for job in jobs.iter_mut().filter(|job| ids.contains(&job.id)) {
                if !job.is_on_board(board) {
                    job.boards.push(board.clone());
                    job.boards.sort_by_key(|name| name.to_ascii_lowercase());
                }
            }
        }
        BoardChange::Remove { board, jobs: ids } => {
            let ids: HashSet<JobId> = ids.iter().copied().collect();
            for job in jobs.iter_mut().filter(|job| ids.contains(&job.id)) {
                job.boards.retain(|name| !same_board(name, board));
            }
        }
    }
}

/// The notice after "Delete the unstarred" ended (`None` when it stopped: the problem said why).
pub fn trashed_sentence(trashed: usize, kept: usize, stopped: usize) -> Option<String> {
    if stopped > 0 {
        return None;
    }
    let jobs = |n: usize| {
        if n == 1 {
            "1 job".to_owned()
        } else {
            format!("{n} jobs")
        }
    };
    let mut sentence = format!(
        "Moved {} to the system trash (their images can be restored from there).",
        jobs(trashed)
    );
    if kept > 0 {
        let _ = write!(
            sentence,
            " {} kept: starred or running again since they were counted.",
            jobs(kept)
        );
    }
    Some(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::JobSpec;

    fn jobs(ids: &[JobId]) -> Vec<JobView> {
        let mut state = AppState::default();
        for &id in ids {
            state.apply(Event::Queued {
                job: id,
                spec: JobSpec::default(),
            });
        }
        state.jobs
    }

    #[test]
    fn stars_and_boards_fold_into_the_loaded_jobs() {
        let mut loaded = jobs(&[1, 2, 3]);
        apply_change(
            &mut loaded,
            &BoardChange::Star {
                jobs: vec![1, 3, 99],
                starred: true,
            },
        );
        let starred: Vec<bool> = loaded.iter().map(|job| job.starred).collect();
        assert_eq!(starred, [true, false, true]);
        let add = |board: &str, ids: Vec<JobId>| BoardChange::Add {
            board: board.to_owned(),
            jobs: ids,
        };
        apply_change(&mut loaded, &add("Picks", vec![1, 2]));
        apply_change(&mut loaded, &add("moodboard", vec![1]));
        apply_change(&mut loaded, &add("picks", vec![1]));
        assert_eq!(loaded[0].boards, ["moodboard", "Picks"]);
        assert!(loaded[1].is_on_board("PICKS"));
        apply_change(
            &mut loaded,
            &BoardChange::Rename {
                from: "PICKS".to_owned(),
                to: "Final".to_owned(),
            },
        );
        assert_eq!(loaded[0].boards, ["moodboard", "Final"]);
        apply_change(
            &mut loaded,
            &BoardChange::Remove {
                board: "final".to_owned(),
                jobs: vec![2],
            },
        );
        assert!(loaded[1].boards.is_empty());
        apply_change(
            &mut loaded,
            &BoardChange::Delete {
                name: "Moodboard".to_owned(),
            },
        );
        assert_eq!(loaded[0].boards, ["Final"]);
    }

    #[test]
    fn the_unstarred_found_answer_only_their_own_search() {
        let search = JobSearch {
            starred_only: false,
            board: Some("Picks".to_owned()),
            ..JobSearch::default()
        };
        let view = BoardsView {
            unstarred: Some((search.clone(), vec![4, 2])),
            ..BoardsView::default()
        };
        let page = JobSearch {
            limit: Some(200),
            ..search
        };
        assert_eq!(view.unstarred_for(&page), Some(&[4, 2][..]));
        assert_eq!(view.unstarred_for(&JobSearch::default()), None);
    }

    #[test]
    fn all_counts_the_jobs_queued_since_the_last_count() {
        let mut state = AppState::default();
        state.apply(Event::BoardCounts(BoardCounts {
            all: 7,
            newest_job: 9,
            ..BoardCounts::default()
        }));
        for id in [8, 9, 10, 11] {
            state.apply(Event::Queued {
                job: id,
                spec: JobSpec::default(),
            });
        }
        assert_eq!(state.jobs_in_history(), 9, "jobs 10 and 11 are new");
        state.apply(Event::Deleted { job: 11 });
        assert_eq!(state.jobs_in_history(), 8);
    }

    #[test]
    fn the_notice_after_deleting_says_where_the_images_went() {
        assert_eq!(
            trashed_sentence(3, 1, 0).unwrap(),
            "Moved 3 jobs to the system trash (their images can be restored from there). 1 job kept: starred or running again since they were counted."
        );
        assert!(trashed_sentence(1, 0, 4).is_none());
    }
}
