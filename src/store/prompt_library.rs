//! The prompt library: whole prompts, and fragments of one (a style declaration, a lighting
//! recipe), each kept under a name in the `prompt_library` table (schema version 10).
//!
//! A name is unique whatever its ASCII case ("Golden hour" and "golden HOUR" are one name), as
//! the table's `COLLATE NOCASE` compares them; saving under a taken name either keeps the entry
//! there or replaces it ([`OnClash`]), never both. A replaced entry keeps its `created_at`.
//! Names and texts are checked before they reach the database ([`PromptName`], [`PromptDraft`]),
//! so the window, the CLI and an imported file all refuse the same things in the same words.
//! Importing many entries is one transaction: all of them, or none.

use jiff::Timestamp;
use rusqlite::{OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::db::{Store, StoreError};
use crate::diagnosis::matcher::fold;

/// The longest name, in characters (a name is a label in a list, not a prompt).
pub const MAX_NAME_CHARS: usize = 120;

/// Whether an entry is a whole prompt or a piece meant to go into one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// A whole prompt.
    #[default]
    Prompt,
    /// A fragment of one (a style declaration, a lighting recipe).
    Fragment,
}

impl PromptKind {
    /// Every kind, in the order the window offers them.
    pub const ALL: [PromptKind; 2] = [PromptKind::Prompt, PromptKind::Fragment];

    /// The word stored in the database and written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptKind::Prompt => "prompt",
            PromptKind::Fragment => "fragment",
        }
    }

    /// The kind a stored or written word names (`None` for any other word).
    pub fn parse(word: &str) -> Option<PromptKind> {
        PromptKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == word)
    }
}

/// Why a name or a text cannot be kept, in words a designer can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DraftProblem {
    /// Nothing but spaces.
    #[error("the name is empty; give it a name, such as \"Golden hour\"")]
    EmptyName,
    /// Longer than [`MAX_NAME_CHARS`].
    #[error("the name is {chars} characters long; keep it to {MAX_NAME_CHARS} at most")]
    NameTooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// A line break, tab or other control character.
    #[error("the name has a line break or another control character; keep it on one line")]
    NameNotOneLine,
    /// Nothing but spaces.
    #[error("the text is empty; an entry needs the words it inserts")]
    EmptyText,
}

/// A checked name: trimmed, not empty, one line, at most [`MAX_NAME_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PromptName(String);

impl PromptName {
    /// `raw` trimmed and checked.
    pub fn new(raw: &str) -> Result<PromptName, DraftProblem> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(DraftProblem::EmptyName);
        }
        if name.chars().any(char::is_control) {
            return Err(DraftProblem::NameNotOneLine);
        }
        let chars = name.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(DraftProblem::NameTooLong { chars });
        }
        Ok(PromptName(name.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is the same name to the library (ASCII case ignored, as SQLite's
    /// `NOCASE` compares; spaces around it ignored).
    pub fn same_as(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.trim())
    }
}

impl std::fmt::Display for PromptName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An entry to save or import: a checked name, a text that is not blank (kept exactly as
/// written, spaces and line breaks included) and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptDraft {
    name: PromptName,
    text: String,
    kind: PromptKind,
}

impl PromptDraft {
    /// A draft of `text` under `name`, checked.
    pub fn new(name: &str, text: &str, kind: PromptKind) -> Result<PromptDraft, DraftProblem> {
        let name = PromptName::new(name)?;
        if text.trim().is_empty() {
            return Err(DraftProblem::EmptyText);
        }
        Ok(PromptDraft {
            name,
            text: text.to_owned(),
            kind,
        })
    }

    /// Its name.
    pub fn name(&self) -> &PromptName {
        &self.name
    }

    /// Its text, exactly as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Its kind.
    pub fn kind(&self) -> PromptKind {
        self.kind
    }
}

/// One entry as the library keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PromptEntry {
    /// Its name.
    pub name: String,
    /// The words it inserts.
    pub text: String,
    /// A whole prompt or a fragment.
    pub kind: PromptKind,
    /// When it was first saved.
    pub created_at: Timestamp,
    /// When it was last saved.
    pub updated_at: Timestamp,
}

impl PromptEntry {
    /// The entry as a draft (to write it to a file or import it elsewhere).
    pub fn draft(&self) -> Result<PromptDraft, DraftProblem> {
        PromptDraft::new(&self.name, &self.text, self.kind)
    }
}

/// What saving under a name that is taken does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnClash {
    /// Leave the entry already there as it is.
    #[default]
    Keep,
    /// Put the new text in its place (its `created_at` stays).
    Replace,
}

/// What [`Store::save_prompt`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// A new entry.
    Added,
    /// The entry under that name now has the new text (and kind, and spelling of the name).
    Replaced,
    /// The entry under that name already had this text and kind: nothing changed.
    Unchanged,
    /// The name is taken by another text, and [`OnClash::Keep`] left it there.
    NameTaken,
}

/// What [`Store::rename_prompt`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renamed {
    /// The entry has its new name.
    Done,
    /// No entry has the old name.
    Missing,
    /// Another entry has the new name.
    NameTaken,
}

/// What an import did, name by name (each list in the order of the file).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// New entries.
    pub added: Vec<String>,
    /// Entries whose text was replaced (`--replace`).
    pub replaced: Vec<String>,
    /// Entries already in the library with the same text and kind.
    pub unchanged: Vec<String>,
    /// Names taken by another text, left as they were (no `--replace`).
    pub kept: Vec<String>,
}

impl ImportReport {
    /// How many entries the file held.
    pub fn total(&self) -> usize {
        self.added.len() + self.replaced.len() + self.unchanged.len() + self.kept.len()
    }
}

/// Whether an entry named `name` with `text` matches what a designer typed in a search box:
/// every word of `query` appears in the name or the text, case and accents ignored in any
/// script ("eclairage" finds "Éclairage"), as the rewrite assistant folds words. An empty query
/// matches everything.
pub fn matches_search(name: &str, text: &str, query: &str) -> bool {
    let name = fold(name);
    let text = fold(text);
    query
        .split_whitespace()
        .map(fold)
        .all(|word| name.contains(&word) || text.contains(&word))
}

/// The columns [`entry_from_row`] reads.
const ENTRY_COLUMNS: &str = "name, text, kind, created_at, updated_at";

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PromptEntry> {
    let when = |text: String| text.parse().unwrap_or(Timestamp::UNIX_EPOCH);
    let kind: String = row.get(2)?;
    Ok(PromptEntry {
        name: row.get(0)?,
        text: row.get(1)?,
        // A kind a newer Peel wrote reads as a whole prompt (it still inserts its text).
        kind: PromptKind::parse(&kind).unwrap_or_default(),
        created_at: when(row.get(3)?),
        updated_at: when(row.get(4)?),
    })
}

/// The entry named `name` (ASCII case ignored), if any.
fn entry_named(c: &rusqlite::Connection, name: &str) -> rusqlite::Result<Option<PromptEntry>> {
    c.query_row(
        &format!("SELECT {ENTRY_COLUMNS} FROM prompt_library WHERE name = ?1"),
        params![name],
        entry_from_row,
    )
    .optional()
}

/// Saves `draft` on an open connection (inside the caller's transaction, if any).
fn save_on(
    c: &rusqlite::Connection,
    draft: &PromptDraft,
    on_clash: OnClash,
    now: Timestamp,
) -> rusqlite::Result<Saved> {
    let name = draft.name.as_str();
    let Some(existing) = entry_named(c, name)? else {
        c.execute(
            "INSERT INTO prompt_library (name, text, kind, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![name, draft.text, draft.kind.as_str(), now.to_string()],
        )?;
        return Ok(Saved::Added);
    };
    if existing.text == draft.text && existing.kind == draft.kind && existing.name == name {
        return Ok(Saved::Unchanged);
    }
    if on_clash == OnClash::Keep {
        return Ok(Saved::NameTaken);
    }
    c.execute(
        "UPDATE prompt_library SET name = ?1, text = ?2, kind = ?3, updated_at = ?4
         WHERE name = ?1",
        params![name, draft.text, draft.kind.as_str(), now.to_string()],
    )?;
    Ok(Saved::Replaced)
}

impl Store {
    /// Saves `draft` under its name; a name already taken (ASCII case ignored) is kept or
    /// replaced as `on_clash` says.
    pub fn save_prompt(
        &self,
        draft: &PromptDraft,
        on_clash: OnClash,
        now: Timestamp,
    ) -> Result<Saved, StoreError> {
        self.with(|c| {
            let transaction = c.unchecked_transaction()?;
            let saved = save_on(&transaction, draft, on_clash, now)?;
            transaction.commit()?;
            Ok(saved)
        })
    }

    /// Gives the entry named `from` the name `to` (also just a change of case).
    pub fn rename_prompt(
        &self,
        from: &str,
        to: &PromptName,
        now: Timestamp,
    ) -> Result<Renamed, StoreError> {
        self.with(|c| {
            let transaction = c.unchecked_transaction()?;
            let Some(existing) = entry_named(&transaction, from.trim())? else {
                return Ok(Renamed::Missing);
            };
            if !to.same_as(&existing.name) && entry_named(&transaction, to.as_str())?.is_some() {
                return Ok(Renamed::NameTaken);
            }
            transaction.execute(
                "UPDATE prompt_library SET name = ?1, updated_at = ?2 WHERE name = ?3",
                params![to.as_str(), now.to_string(), existing.name],
            )?;
            transaction.commit()?;
            Ok(Renamed::Done)
        })
    }

    /// Removes the entry named `name` (ASCII case ignored); whether there was one.
    pub fn delete_prompt(&self, name: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let removed = c.execute(
                "DELETE FROM prompt_library WHERE name = ?1",
                params![name.trim()],
            )?;
            Ok(removed > 0)
        })
    }

    /// Every entry, by name (case ignored).
    pub fn prompt_library(&self) -> Result<Vec<PromptEntry>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {ENTRY_COLUMNS} FROM prompt_library ORDER BY name COLLATE NOCASE, name"
            ))?;
            let rows = statement.query_map([], entry_from_row)?;
            rows.collect()
        })
    }

    /// The entries whose name or text has every word of `query` ([`matches_search`]), by name.
    pub fn search_prompts(&self, query: &str) -> Result<Vec<PromptEntry>, StoreError> {
        let mut entries = self.prompt_library()?;
        entries.retain(|entry| matches_search(&entry.name, &entry.text, query));
        Ok(entries)
    }

    /// Saves every draft in one transaction (all of them, or none when the database fails),
    /// each name taken kept or replaced as `on_clash` says; the report says what became of each.
    /// Two drafts with one name (ASCII case ignored) are the caller's to refuse
    /// ([`super::prompt_file::read`] does); here the later one meets the earlier as a clash.
    pub fn import_prompts(
        &self,
        drafts: &[PromptDraft],
        on_clash: OnClash,
        now: Timestamp,
    ) -> Result<ImportReport, StoreError> {
        self.with(|c| {
            let transaction = c.unchecked_transaction()?;
            let mut report = ImportReport::default();
            for draft in drafts {
                let name = draft.name.as_str().to_owned();
                match save_on(&transaction, draft, on_clash, now)? {
                    Saved::Added => report.added.push(name),
                    Saved::Replaced => report.replaced.push(name),
                    Saved::Unchanged => report.unchanged.push(name),
                    Saved::NameTaken => report.kept.push(name),
                }
            }
            transaction.commit()?;
            Ok(report)
        })
    }
}

/// The start of `text` on one line (runs of spaces and line breaks as one space), at most
/// `chars` characters, with "…" when cut: how a list shows an entry.
pub fn one_line_start(text: &str, chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown: String = one_line.chars().take(chars).collect();
    if one_line.chars().count() > chars {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        (dir, store)
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn draft(name: &str, text: &str, kind: PromptKind) -> PromptDraft {
        PromptDraft::new(name, text, kind).unwrap()
    }

    fn names(store: &Store) -> Vec<String> {
        store
            .prompt_library()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn names_and_texts_are_checked_in_words_a_designer_can_act_on() {
        assert_eq!(
            PromptName::new("  Golden hour ").unwrap().as_str(),
            "Golden hour"
        );
        assert_eq!(PromptName::new("   "), Err(DraftProblem::EmptyName));
        assert_eq!(
            PromptName::new("two\nlines"),
            Err(DraftProblem::NameNotOneLine)
        );
        let long = "é".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            PromptName::new(&long),
            Err(DraftProblem::NameTooLong {
                chars: MAX_NAME_CHARS + 1
            })
        );
        assert!(PromptName::new(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(
            PromptDraft::new("Empty", " \n\t", PromptKind::Fragment),
            Err(DraftProblem::EmptyText)
        );
        assert_eq!(
            DraftProblem::EmptyName.to_string(),
            "the name is empty; give it a name, such as \"Golden hour\""
        );
        let kept = draft("Spaced", "  soft rim light\n", PromptKind::Fragment);
        assert_eq!(
            kept.text(),
            "  soft rim light\n",
            "the text is kept exactly"
        );
    }

    #[test]
    fn saving_adds_keeps_or_replaces_and_a_replaced_entry_keeps_its_creation_date() {
        let (_dir, store) = store();
        let first = draft(
            "Golden hour",
            "warm low sun from the left",
            PromptKind::Fragment,
        );
        assert_eq!(
            store
                .save_prompt(&first, OnClash::Keep, at("2026-12-01T10:00:00Z"))
                .unwrap(),
            Saved::Added
        );
        assert_eq!(
            store
                .save_prompt(&first, OnClash::Keep, at("2026-12-02T10:00:00Z"))
                .unwrap(),
            Saved::Unchanged
        );
        // Another text under the same name in other case: kept unless replacing.
        let second = draft(
            "golden HOUR",
            "late sun, long shadows",
            PromptKind::Fragment,
        );
        assert_eq!(
            store
                .save_prompt(&second, OnClash::Keep, at("2026-12-03T10:00:00Z"))
                .unwrap(),
            Saved::NameTaken
        );
        let entries = store.prompt_library().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].text, "warm low sun from the left");
        assert_eq!(
            store
                .save_prompt(&second, OnClash::Replace, at("2026-12-04T10:00:00Z"))
                .unwrap(),
            Saved::Replaced
        );
        let entries = store.prompt_library().unwrap();
        assert_eq!(entries.len(), 1, "one name, whatever its case");
        assert_eq!(entries[0].name, "golden HOUR");
        assert_eq!(entries[0].text, "late sun, long shadows");
        assert_eq!(entries[0].created_at, at("2026-12-01T10:00:00Z"));
        assert_eq!(entries[0].updated_at, at("2026-12-04T10:00:00Z"));
    }

    #[test]
    fn entries_are_listed_by_name_and_searched_in_any_case_and_script() {
        let (_dir, store) = store();
        let now = Timestamp::now();
        for (name, text) in [
            ("studio portrait", "a Portrait on grey seamless paper"),
            ("Éclairage doux", "lumière douce venant de la fenêtre"),
            ("Blue hour", "deep blue sky after sunset, city lights"),
            ("アニメ", "セル画風のアニメ"),
        ] {
            store
                .save_prompt(&draft(name, text, PromptKind::Fragment), OnClash::Keep, now)
                .unwrap();
        }
        assert_eq!(
            names(&store),
            ["Blue hour", "studio portrait", "Éclairage doux", "アニメ"]
        );
        let found = |query: &str| -> Vec<String> {
            store
                .search_prompts(query)
                .unwrap()
                .into_iter()
                .map(|e| e.name)
                .collect()
        };
        assert_eq!(found("PORTRAIT"), ["studio portrait"]);
        assert_eq!(
            found("éclairage"),
            ["Éclairage doux"],
            "case folds beyond ASCII"
        );
        assert_eq!(found("LUMIÈRE fenêtre"), ["Éclairage doux"]);
        assert_eq!(
            found("eclairage lumiere"),
            ["Éclairage doux"],
            "accents ignored"
        );
        assert_eq!(
            found("sunset blue"),
            ["Blue hour"],
            "every word, in any order"
        );
        assert_eq!(found("sunset grey"), Vec::<String>::new());
        assert_eq!(found("アニメ"), ["アニメ"]);
        assert_eq!(found("  ").len(), 4, "an empty search lists everything");
    }

    #[test]
    fn renaming_and_deleting_find_the_name_in_any_case() {
        let (_dir, store) = store();
        let now = Timestamp::now();
        for name in ["Rim light", "Fog"] {
            store
                .save_prompt(&draft(name, "x", PromptKind::Fragment), OnClash::Keep, now)
                .unwrap();
        }
        let to = |name: &str| PromptName::new(name).unwrap();
        assert_eq!(
            store.rename_prompt("rim LIGHT", &to("Fog"), now).unwrap(),
            Renamed::NameTaken
        );
        assert_eq!(
            store.rename_prompt("Nope", &to("Other"), now).unwrap(),
            Renamed::Missing
        );
        assert_eq!(
            store
                .rename_prompt("rim light", &to("RIM light"), now)
                .unwrap(),
            Renamed::Done,
            "a change of case is a rename"
        );
        assert_eq!(names(&store), ["Fog", "RIM light"]);
        assert!(store.delete_prompt(" fog ").unwrap());
        assert!(!store.delete_prompt("fog").unwrap());
        assert_eq!(names(&store), ["RIM light"]);
    }

    #[test]
    fn an_import_reports_each_name_and_replaces_only_when_asked() {
        let (_dir, store) = store();
        let now = at("2026-12-01T10:00:00Z");
        store
            .save_prompt(
                &draft("Fog", "morning fog", PromptKind::Fragment),
                OnClash::Keep,
                now,
            )
            .unwrap();
        store
            .save_prompt(
                &draft("Rim light", "thin rim light", PromptKind::Fragment),
                OnClash::Keep,
                now,
            )
            .unwrap();
        let file = [
            draft("fog", "evening fog", PromptKind::Fragment),
            draft("Rim light", "thin rim light", PromptKind::Fragment),
            draft("Lighthouse", "a lighthouse in a storm", PromptKind::Prompt),
        ];
        let kept = store.import_prompts(&file, OnClash::Keep, now).unwrap();
        assert_eq!(
            kept,
            ImportReport {
                added: vec!["Lighthouse".to_owned()],
                replaced: Vec::new(),
                unchanged: vec!["Rim light".to_owned()],
                kept: vec!["fog".to_owned()],
            }
        );
        assert_eq!(kept.total(), 3);
        assert_eq!(store.search_prompts("fog").unwrap()[0].text, "morning fog");
        let replaced = store.import_prompts(&file, OnClash::Replace, now).unwrap();
        assert_eq!(replaced.replaced, ["fog"]);
        assert_eq!(replaced.unchanged, ["Rim light", "Lighthouse"]);
        assert_eq!(store.search_prompts("fog").unwrap()[0].text, "evening fog");
    }

    #[test]
    fn an_import_the_database_refuses_leaves_the_library_as_it_was() {
        let (_dir, store) = store();
        let now = Timestamp::now();
        store
            .save_prompt(
                &draft("Fog", "morning fog", PromptKind::Fragment),
                OnClash::Keep,
                now,
            )
            .unwrap();
        // A trigger stands in for a database that fails half-way (a full disk, a lock).
        store
            .with(|c| {
                c.execute_batch(
                    "CREATE TRIGGER refuse AFTER INSERT ON prompt_library
                     WHEN new.name = 'Third' BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
                )
            })
            .unwrap();
        let file = [
            draft("First", "one", PromptKind::Prompt),
            draft("fog", "evening fog", PromptKind::Fragment),
            draft("Third", "three", PromptKind::Prompt),
        ];
        assert!(store.import_prompts(&file, OnClash::Replace, now).is_err());
        let entries = store.prompt_library().unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].text, "morning fog");
    }

    #[test]
    fn multi_line_and_unicode_texts_come_back_exactly() {
        let (_dir, store) = store();
        let text = "  Line one — café\n\tline two: 日本語 🎨\r\nend with \"quotes\" and \\ ";
        store
            .save_prompt(
                &draft("Mixed", text, PromptKind::Prompt),
                OnClash::Keep,
                Timestamp::now(),
            )
            .unwrap();
        assert_eq!(store.prompt_library().unwrap()[0].text, text);
    }
}
