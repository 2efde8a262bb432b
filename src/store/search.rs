//! The history as a designer searches it: jobs newest first, by words of their prompt (SQLite
//! FTS5, the `jobs_fts` index the schema keeps in step with `jobs`), by how they ended (the
//! outcome: delivered, blocked, failed, waiting), by the model that made them (else the one asked
//! for) and by when they were queued. Every filter runs in SQL, so it covers the whole history,
//! not just the jobs a window has loaded.
//!
//! The search is plain words, never FTS5 syntax: each word is quoted, so a quote, a `-`, `OR` or
//! `*` in what the designer typed is just text. Every word must appear, each as the start of a
//! word of the prompt ("light" finds "lighthouse"); case and accents do not matter.
//!
//! Stars and boards ([`super::boards`]) narrow it too: only starred jobs, only the jobs on one
//! board; and [`Store::unstarred_to_delete`] lists the ids a search finds that "Delete the
//! unstarred in this view" would move to the trash.

use jiff::Timestamp;
use rusqlite::params;

use super::boards::fill_boards;
use super::db::{JOB_COLUMNS, Store, StoreError, attempts_of, jobs_of};
use crate::job::{Job, JobId, Outcome};

/// Which jobs [`Store::search_jobs`] lists. The default lists every job that was not deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobSearch {
    /// Words the prompt must contain (plain text, as the designer typed it).
    pub text: Option<String>,
    /// Only jobs that did not deliver: stopped, parked (waiting in the queue) or cancelled
    /// (`--failed` of `peel history` and `peel export`).
    pub failed_only: bool,
    /// Only jobs with this outcome (blocked: the last diagnosis names a content layer).
    pub outcome: Option<Outcome>,
    /// Only jobs made with this model (else, when none delivered, asked of it).
    pub model: Option<String>,
    /// Only jobs queued at or after this moment.
    pub since: Option<Timestamp>,
    /// Only jobs queued before this moment (the day after a date range's last day).
    pub until: Option<Timestamp>,
    /// Only starred jobs.
    pub starred_only: bool,
    /// Only jobs on the board of this name (compared without case).
    pub board: Option<String>,
    /// Only jobs older than this one (the next page after a job already shown).
    pub before_id: Option<i64>,
    /// At most this many jobs; `None` lists them all.
    pub limit: Option<usize>,
}

/// The layer of a job's last diagnosis (NULL when it has none, or none that reads).
const LAST_LAYER: &str =
    "(CASE WHEN json_valid(diagnosis) THEN json_extract(diagnosis, '$.layer') END)";

/// The layers whose verdict only a different prompt changes ([`crate::diagnosis::Kind::is_content_block`]).
const CONTENT_LAYERS: &str = "('prompt_filter', 'policy', 'image_filter')";

/// The SQL condition for jobs with `outcome` (the same split as the gallery's filter).
fn outcome_condition(outcome: Outcome) -> String {
    match outcome {
        Outcome::Delivered => "state = 'done'".to_owned(),
        Outcome::Blocked => {
            format!("state IN ('stopped', 'cancelled') AND {LAST_LAYER} IN {CONTENT_LAYERS}")
        }
        Outcome::Failed => format!(
            "state IN ('stopped', 'cancelled') AND COALESCE({LAST_LAYER}, '') NOT IN {CONTENT_LAYERS}"
        ),
        Outcome::Waiting => "state IN ('queued', 'running', 'parked')".to_owned(),
    }
}

impl JobSearch {
    /// Whether anything but paging narrows the search (`false`: the whole history).
    pub fn is_filtered(&self) -> bool {
        self.text.is_some()
            || self.failed_only
            || self.outcome.is_some()
            || self.model.is_some()
            || self.since.is_some()
            || self.until.is_some()
            || self.starred_only
            || self.board.is_some()
    }

    /// The same search from its first page (what a page answers, without where it starts).
    pub fn first_page(&self) -> JobSearch {
        JobSearch {
            before_id: None,
            limit: None,
            ..self.clone()
        }
    }
}

/// The FTS5 query for plain `text`: each whitespace-separated word as a quoted prefix phrase
/// (`fox-tail` → `"fox-tail"*`, which FTS5 reads as the words fox then tail), all of them
/// required. `None` when the text holds no letter or digit (nothing to look for).
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Store {
    /// The jobs `search` asks for, newest first, each with its attempts. A search whose text has
    /// no letter or digit finds nothing.
    pub fn search_jobs(&self, search: &JobSearch) -> Result<Vec<Job>, StoreError> {
        let Some((sql, query)) = search_sql(search, JOB_COLUMNS) else {
            return Ok(Vec::new());
        };
        let limit = limit_of(search);
        self.with(|c| {
            let since = search.since.map(|since| since.to_string());
            let until = search.until.map(|until| until.to_string());
            let params = params![
                limit,
                query,
                search.before_id,
                search.model,
                since,
                search.board,
                until
            ];
            let mut jobs = jobs_of(c, &sql, params)?;
            for job in &mut jobs {
                job.attempts = attempts_of(c, job.id)?;
            }
            fill_boards(c, &mut jobs)?;
            Ok(jobs)
        })
    }

    /// The ids of the jobs `search` finds (every page: its limit and page are ignored) that
    /// "Delete the unstarred in this view" moves to the trash: not starred, and ended (delivered,
    /// stopped or cancelled; a job still queued, running or parked is left alone). Newest first.
    pub fn unstarred_to_delete(&self, search: &JobSearch) -> Result<Vec<JobId>, StoreError> {
        let whole = search.first_page();
        let Some((sql, query)) = search_sql(&whole, "id") else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT id FROM jobs WHERE id IN ({sql}) AND starred = 0 \
             AND state IN ('done', 'stopped', 'cancelled') ORDER BY id DESC"
        );
        self.with(|c| {
            let since = whole.since.map(|since| since.to_string());
            let until = whole.until.map(|until| until.to_string());
            let params = params![
                -1,
                query,
                None::<i64>,
                whole.model,
                since,
                whole.board,
                until
            ];
            let mut statement = c.prepare(&sql)?;
            let rows = statement.query_map(params, |row| row.get(0))?;
            rows.collect()
        })
    }
}

/// A negative limit is "no limit" to SQLite.
fn limit_of(search: &JobSearch) -> i64 {
    search
        .limit
        .map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX))
}

/// The query for `search` selecting `columns`, with its parameters numbered: ?1 the limit, ?2
/// the FTS5 query, ?3 the page's oldest id, ?4 the model, ?5 the date, ?6 the board, ?7 the end
/// of a date range (each NULL when unused); and the FTS5 query. `None` when the text has no letter or digit (nothing can
/// match).
fn search_sql(search: &JobSearch, columns: &str) -> Option<(String, Option<String>)> {
    let query = match search.text.as_deref() {
        Some(text) => Some(fts_query(text)?),
        None => None,
    };
    let mut sql = format!("SELECT {columns} FROM jobs WHERE state != 'deleted'");
    if search.failed_only {
        sql.push_str(" AND state IN ('stopped', 'parked', 'cancelled')");
    }
    if let Some(outcome) = search.outcome {
        sql.push_str(" AND (");
        sql.push_str(&outcome_condition(outcome));
        sql.push(')');
    }
    // The model that made the image, else the one asked for; ?4 NULL: any model.
    sql.push_str(
        " AND (?4 IS NULL OR COALESCE(model_used, \
         CASE WHEN json_valid(spec) THEN json_extract(spec, '$.model') END) = ?4)",
    );
    // ?5 NULL: any date. Compared as moments, whatever digits the seconds carry.
    sql.push_str(" AND (?5 IS NULL OR julianday(created_at) >= julianday(?5))");
    // ?7 NULL: no end (a date range ends before the day after its last day).
    sql.push_str(" AND (?7 IS NULL OR julianday(created_at) < julianday(?7))");
    // Without a page to follow, ?3 is NULL.
    sql.push_str(" AND (?3 IS NULL OR id < ?3)");
    if query.is_some() {
        sql.push_str(" AND id IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?2)");
    } else {
        // The same two parameters either way; without a search, ?2 is NULL.
        sql.push_str(" AND ?2 IS NULL");
    }
    if search.starred_only {
        // The same term as the partial index `jobs_starred`, so SQLite can use it.
        sql.push_str(" AND starred");
    }
    // ?6 NULL: any board (or none). Names compare without case (the column's collation).
    sql.push_str(
        " AND (?6 IS NULL OR id IN (SELECT job_id FROM board_jobs \
         WHERE board_id = (SELECT id FROM boards WHERE name = ?6)))",
    );
    sql.push_str(" ORDER BY id DESC LIMIT ?1");
    Some((sql, query))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use jiff::Timestamp;

    use super::*;
    use crate::job::JobState;

    fn store_with(prompts: &[&str]) -> (tempfile::TempDir, Store, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let now: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let ids = prompts
            .iter()
            .map(|prompt| {
                let spec = serde_json::json!({ "prompt": prompt }).to_string();
                store.enqueue(&spec, now).unwrap()
            })
            .collect();
        (dir, store, ids)
    }

    fn ids(jobs: &[Job]) -> Vec<i64> {
        jobs.iter().map(|job| job.id).collect()
    }

    fn text(text: &str) -> JobSearch {
        JobSearch {
            text: Some(text.to_owned()),
            ..JobSearch::default()
        }
    }

    #[test]
    fn fts5_is_compiled_into_the_bundled_sqlite() {
        let (_dir, store, _) = store_with(&[]);
        let used: bool = store
            .with(|c| {
                c.query_row(
                    "SELECT sqlite_compileoption_used('ENABLE_FTS5')",
                    [],
                    |row| row.get(0),
                )
            })
            .unwrap();
        assert!(used);
    }

    #[test]
    fn words_are_quoted_prefixes_and_punctuation_is_text() {
        assert_eq!(fts_query("red  fox").as_deref(), Some(r#""red"* "fox"*"#));
        assert_eq!(
            fts_query(r#"say "hi" -x"#).as_deref(),
            Some(r#""say"* """hi"""* "-x"*"#)
        );
        assert_eq!(fts_query(" - \" * "), None);
        assert_eq!(fts_query(""), None);
    }

    #[test]
    fn search_finds_prompt_words_newest_first_whatever_the_punctuation() {
        let (_dir, store, id) = store_with(&[
            "a red fox in the snow",
            "a lighthouse at dusk, sci-fi",
            "the FOX's den (Café)",
            "blue whale",
        ]);
        assert_eq!(
            ids(&store.search_jobs(&text("fox")).unwrap()),
            [id[2], id[0]]
        );
        assert_eq!(ids(&store.search_jobs(&text("light")).unwrap()), [id[1]]);
        assert_eq!(ids(&store.search_jobs(&text("sci-fi")).unwrap()), [id[1]]);
        assert_eq!(ids(&store.search_jobs(&text("\"cafe\"")).unwrap()), [id[2]]);
        assert_eq!(
            ids(&store.search_jobs(&text("fox -snow")).unwrap()),
            [id[0]]
        );
        assert!(store.search_jobs(&text("red whale")).unwrap().is_empty());
        for hostile in [
            "\"",
            "-",
            "fox OR",
            "NEAR(",
            "a AND",
            "*",
            "prompt:fox",
            "'",
        ] {
            assert!(store.search_jobs(&text(hostile)).is_ok(), "{hostile}");
        }
        assert!(store.search_jobs(&text(" - ")).unwrap().is_empty());
        assert_eq!(store.search_jobs(&JobSearch::default()).unwrap().len(), 4);
    }

    #[test]
    fn failed_only_lists_jobs_that_did_not_deliver_and_limit_counts_from_the_newest() {
        let (_dir, store, id) = store_with(&["one", "two", "three", "four", "five", "six"]);
        let now = Timestamp::now();
        for (job, state) in [
            (id[0], JobState::Delivered),
            (id[1], JobState::Stopped),
            (id[2], JobState::Parked),
            (id[3], JobState::Cancelled),
            (id[4], JobState::Deleted),
        ] {
            store.set_state(job, state, None, None, now).unwrap();
        }
        let failed = JobSearch {
            failed_only: true,
            ..JobSearch::default()
        };
        assert_eq!(
            ids(&store.search_jobs(&failed).unwrap()),
            [id[3], id[2], id[1]]
        );
        let newest_two = JobSearch {
            limit: Some(2),
            ..JobSearch::default()
        };
        assert_eq!(
            ids(&store.search_jobs(&newest_two).unwrap()),
            [id[5], id[3]]
        );
        let failed_three = JobSearch {
            text: Some("three".to_owned()),
            ..failed
        };
        assert_eq!(ids(&store.search_jobs(&failed_three).unwrap()), [id[2]]);
        let next_page = JobSearch {
            before_id: Some(id[3]),
            limit: Some(2),
            ..JobSearch::default()
        };
        assert_eq!(ids(&store.search_jobs(&next_page).unwrap()), [id[2], id[1]]);
    }

    /// Jobs of every outcome: delivered (made with the fallback), blocked by the image filter,
    /// stopped by a quota, cancelled, parked, queued; the first two a week old.
    fn store_of_outcomes() -> (tempfile::TempDir, Store, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let now = Timestamp::now();
        let week_ago = now - jiff::SignedDuration::from_hours(7 * 24);
        let specs = [
            ("a fox", "gemini-3-pro-image", week_ago),
            ("a wolf", "gemini-3-pro-image", week_ago),
            ("a bear", "gemini-3-pro-image", now),
            ("an owl", "gemini-3.1-flash-image", now),
            ("a hare", "gemini-3.1-flash-image", now),
            ("a lynx", "gemini-3-pro-image", now),
        ];
        let ids: Vec<i64> = specs
            .iter()
            .map(|(prompt, model, at)| {
                let spec = serde_json::json!({ "prompt": prompt, "model": model }).to_string();
                store.enqueue(&spec, *at).unwrap()
            })
            .collect();
        let states = [
            JobState::Delivered,
            JobState::Stopped,
            JobState::Stopped,
            JobState::Cancelled,
            JobState::Parked,
        ];
        for (id, state) in ids.iter().zip(states) {
            store.set_state(*id, state, None, None, now).unwrap();
        }
        store
            .set_image(ids[0], "out/fox.png", "gemini-3.1-flash-image")
            .unwrap();
        store
            .set_diagnosis(ids[1], r#"{"kind":"image_safety","layer":"image_filter"}"#)
            .unwrap();
        store
            .set_diagnosis(ids[2], r#"{"kind":"quota_daily","layer":"quota"}"#)
            .unwrap();
        store.set_diagnosis(ids[3], "not json").unwrap();
        (dir, store, ids)
    }

    #[test]
    fn the_outcome_filter_splits_blocked_from_failed_by_the_last_layer() {
        let (_dir, store, id) = store_of_outcomes();
        let only = |outcome| {
            let search = JobSearch {
                outcome: Some(outcome),
                ..JobSearch::default()
            };
            ids(&store.search_jobs(&search).unwrap())
        };
        assert_eq!(only(Outcome::Delivered), [id[0]]);
        assert_eq!(only(Outcome::Blocked), [id[1]]);
        assert_eq!(only(Outcome::Failed), [id[3], id[2]]);
        assert_eq!(only(Outcome::Waiting), [id[5], id[4]]);
        let blocked_wolf = JobSearch {
            text: Some("wolf".to_owned()),
            outcome: Some(Outcome::Blocked),
            ..JobSearch::default()
        };
        assert_eq!(ids(&store.search_jobs(&blocked_wolf).unwrap()), [id[1]]);
        assert!(blocked_wolf.is_filtered());
        assert!(!JobSearch::default().is_filtered());
    }

    #[test]
    fn the_model_filter_takes_the_model_that_made_the_image_else_the_one_asked() {
        let (_dir, store, id) = store_of_outcomes();
        let made_with = |model: &str| {
            let search = JobSearch {
                model: Some(model.to_owned()),
                ..JobSearch::default()
            };
            ids(&store.search_jobs(&search).unwrap())
        };
        // The fox was asked of Pro but made by the fallback.
        assert_eq!(made_with("gemini-3.1-flash-image"), [id[4], id[3], id[0]]);
        assert_eq!(made_with("gemini-3-pro-image"), [id[5], id[2], id[1]]);
        assert!(made_with("imagen-4").is_empty());
    }

    #[test]
    fn the_date_filter_keeps_jobs_queued_since_a_moment_and_pages_still_follow() {
        let (_dir, store, id) = store_of_outcomes();
        let since = Timestamp::now() - jiff::SignedDuration::from_hours(24);
        let recent = JobSearch {
            since: Some(since),
            ..JobSearch::default()
        };
        assert_eq!(
            ids(&store.search_jobs(&recent).unwrap()),
            [id[5], id[4], id[3], id[2]]
        );
        let page = JobSearch {
            before_id: Some(id[4]),
            limit: Some(1),
            ..recent.clone()
        };
        assert_eq!(ids(&store.search_jobs(&page).unwrap()), [id[3]]);
        assert_eq!(page.first_page(), recent);
        let older = JobSearch {
            since: Some(Timestamp::now() + jiff::SignedDuration::from_secs(1)),
            ..JobSearch::default()
        };
        assert!(store.search_jobs(&older).unwrap().is_empty());
    }

    #[test]
    fn a_date_range_keeps_jobs_queued_from_its_start_until_before_its_end() {
        let (_dir, store, id) = store_of_outcomes();
        let now = Timestamp::now();
        let days_ago = |days: i64| now - jiff::SignedDuration::from_hours(24 * days);
        // The first two jobs were queued a week ago, the last four now.
        let range = |since: Timestamp, until: Timestamp| {
            let search = JobSearch {
                since: Some(since),
                until: Some(until),
                ..JobSearch::default()
            };
            ids(&store.search_jobs(&search).unwrap())
        };
        assert_eq!(range(days_ago(8), days_ago(6)), [id[1], id[0]]);
        assert_eq!(
            range(days_ago(1), now + jiff::SignedDuration::from_secs(1)),
            [id[5], id[4], id[3], id[2]]
        );
        assert!(range(days_ago(6), days_ago(1)).is_empty());
        // The end alone narrows too, and the unstarred-to-delete search follows it.
        let before = JobSearch {
            until: Some(days_ago(6)),
            ..JobSearch::default()
        };
        assert!(before.is_filtered());
        assert_eq!(ids(&store.search_jobs(&before).unwrap()), [id[1], id[0]]);
        assert_eq!(store.unstarred_to_delete(&before).unwrap(), [id[1], id[0]]);
    }

    #[test]
    fn the_index_follows_spec_changes_and_deletions_and_survives_bad_specs() {
        let (_dir, store, id) = store_with(&["a red fox"]);
        store
            .with(|c| {
                c.execute(
                    "UPDATE jobs SET spec = '{\"prompt\":\"a grey wolf\"}' WHERE id = ?1",
                    params![id[0]],
                )
            })
            .unwrap();
        assert!(store.search_jobs(&text("fox")).unwrap().is_empty());
        assert_eq!(ids(&store.search_jobs(&text("wolf")).unwrap()), [id[0]]);
        let broken = store.enqueue("not json", Timestamp::now()).unwrap();
        assert!(broken > id[0], "a spec that is not JSON is still queued");
        store
            .with(|c| c.execute("DELETE FROM jobs WHERE id = ?1", params![id[0]]))
            .unwrap();
        assert!(store.search_jobs(&text("wolf")).unwrap().is_empty());
    }

    #[test]
    fn image_paths_are_stored_absolute() {
        let (_dir, store, id) = store_with(&["a red fox"]);
        store.set_image(id[0], "out/peel-1.png", "m").unwrap();
        let (path, _) = store.image_of(id[0]).unwrap().unwrap();
        assert!(Path::new(&path).is_absolute(), "{path}");
        assert!(Path::new(&path).ends_with("out/peel-1.png"), "{path}");
        assert_eq!(
            Path::new(&path),
            std::env::current_dir().unwrap().join("out/peel-1.png")
        );
    }
}
