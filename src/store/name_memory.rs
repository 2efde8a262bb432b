//! The name memory: what the designer's own jobs taught the preflight. Per designer (it lives in
//! their data folder's database) and never sent anywhere: for each name the preflight marked, how
//! many jobs with it delivered and how many a content filter stopped; and each prompt a filter
//! stopped although no name in it was marked, or that Layer 1 stopped (with the category, so the
//! editor can say which one to relax).
//!
//! The worker records an outcome when a job ends; the window reads it back at start and after each
//! job ends.

use jiff::Timestamp;
use rusqlite::params;

use super::db::{Store, StoreError};

/// The table (schema version 8), created by the migration step and for new databases.
pub const NAME_MEMORY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS name_memory (
    subject        TEXT NOT NULL,
    key            TEXT NOT NULL,
    passed         INTEGER NOT NULL DEFAULT 0,
    blocked        INTEGER NOT NULL DEFAULT 0,
    last_kind      TEXT,
    last_category  TEXT,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (subject, key)
);
";

/// How the jobs with one marked name fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameRecord {
    /// The name as the names file spells it.
    pub name: String,
    /// Jobs with it that delivered.
    pub passed: u32,
    /// Jobs with it a content filter stopped.
    pub blocked: u32,
}

/// A prompt a filter stopped (nothing marked in it, or Layer 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptBlock {
    /// The prompt's words folded (`rewrite::preflight::prompt_key`).
    pub key: String,
    /// The diagnosis id of the block.
    pub kind: String,
    /// For a Layer 1 block, the harm category's wire name.
    pub category: Option<String>,
}

/// Everything the name memory holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameMemoryRows {
    /// Per name.
    pub names: Vec<NameRecord>,
    /// Per blocked prompt.
    pub prompts: Vec<PromptBlock>,
}

const NAME: &str = "name";
const PROMPT: &str = "prompt";

impl Store {
    /// What one job taught, in one transaction: its `names` counted (passed or blocked), a
    /// prompt block remembered, a prompt block forgotten. Each part is optional.
    pub fn record_lesson(
        &self,
        names: &[String],
        passed: bool,
        block: Option<&PromptBlock>,
        forget: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let transaction = c.unchecked_transaction()?;
            count_names(&transaction, names, passed, now)?;
            if let Some(block) = block {
                remember_block(&transaction, block, now)?;
            }
            if let Some(key) = forget {
                forget_block(&transaction, key)?;
            }
            transaction.commit()
        })
    }

    /// The whole name memory.
    pub fn name_memory(&self) -> Result<NameMemoryRows, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT subject, key, passed, blocked, last_kind, last_category
                 FROM name_memory ORDER BY subject, key",
            )?;
            let mut rows = statement.query([])?;
            let mut memory = NameMemoryRows::default();
            while let Some(row) = rows.next()? {
                let subject: String = row.get(0)?;
                let key: String = row.get(1)?;
                if subject == NAME {
                    memory.names.push(NameRecord {
                        name: key,
                        passed: row.get(2)?,
                        blocked: row.get(3)?,
                    });
                } else if subject == PROMPT {
                    memory.prompts.push(PromptBlock {
                        key,
                        kind: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                        category: row.get(5)?,
                    });
                }
            }
            Ok(memory)
        })
    }
}

fn count_names(
    c: &rusqlite::Connection,
    names: &[String],
    passed: bool,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let (add_passed, add_blocked) = if passed { (1, 0) } else { (0, 1) };
    for name in names {
        c.execute(
            "INSERT INTO name_memory (subject, key, passed, blocked, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (subject, key) DO UPDATE SET
                 passed = passed + excluded.passed,
                 blocked = blocked + excluded.blocked,
                 updated_at = excluded.updated_at",
            params![NAME, name, add_passed, add_blocked, now.to_string()],
        )?;
    }
    Ok(())
}

fn remember_block(
    c: &rusqlite::Connection,
    block: &PromptBlock,
    now: Timestamp,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO name_memory (subject, key, blocked, last_kind, last_category, updated_at)
         VALUES (?1, ?2, 1, ?3, ?4, ?5)
         ON CONFLICT (subject, key) DO UPDATE SET
             blocked = blocked + 1,
             last_kind = excluded.last_kind,
             last_category = excluded.last_category,
             updated_at = excluded.updated_at",
        params![
            PROMPT,
            block.key,
            block.kind,
            block.category,
            now.to_string()
        ],
    )?;
    Ok(())
}

fn forget_block(c: &rusqlite::Connection, key: &str) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM name_memory WHERE subject = ?1 AND key = ?2",
        params![PROMPT, key],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn names_count_passes_and_blocks() {
        let (_dir, store) = store();
        let now: Timestamp = "2026-12-01T01:00:00Z".parse().unwrap();
        let elsa = vec!["Elsa".to_owned()];
        store.record_lesson(&elsa, true, None, None, now).unwrap();
        store.record_lesson(&elsa, true, None, None, now).unwrap();
        let both = ["Elsa".to_owned(), "Batman".to_owned()];
        store.record_lesson(&both, false, None, None, now).unwrap();
        let memory = store.name_memory().unwrap();
        assert_eq!(
            memory.names,
            [
                NameRecord {
                    name: "Batman".to_owned(),
                    passed: 0,
                    blocked: 1
                },
                NameRecord {
                    name: "Elsa".to_owned(),
                    passed: 2,
                    blocked: 1
                },
            ]
        );
        assert!(memory.prompts.is_empty());
    }

    #[test]
    fn a_prompt_block_is_kept_with_its_category_until_the_prompt_passes() {
        let (_dir, store) = store();
        let now: Timestamp = "2026-12-01T01:00:00Z".parse().unwrap();
        let block = PromptBlock {
            key: "a knight with a sword".to_owned(),
            kind: "blocked_safety".to_owned(),
            category: Some("HARM_CATEGORY_DANGEROUS_CONTENT".to_owned()),
        };
        store
            .record_lesson(&[], false, Some(&block), None, now)
            .unwrap();
        assert_eq!(
            store.name_memory().unwrap().prompts,
            std::slice::from_ref(&block)
        );
        // One lesson both counts a name and forgets the block (the same words passed since).
        store
            .record_lesson(&["Elsa".to_owned()], true, None, Some(&block.key), now)
            .unwrap();
        let memory = store.name_memory().unwrap();
        assert!(memory.prompts.is_empty());
        assert_eq!(memory.names.len(), 1);
    }
}
