//! The prompt library as a TOML file, for `peel prompts export` and `peel prompts import`: one
//! `[[prompt]]` table per entry, by name, so the file reads well, diffs well and can be edited
//! by hand.
//!
//! ```toml
//! format = 1
//!
//! [[prompt]]
//! name = "Golden hour"
//! kind = "fragment"
//! text = "warm low sun from the left, long soft shadows"
//!
//! [[prompt]]
//! name = "Lighthouse"
//! kind = "prompt"
//! text = """
//! a lighthouse on a cliff in a storm,
//! waves breaking"""
//! ```
//!
//! `format` is [`FORMAT_VERSION`] (a file without it is read as format 1); `kind` is `prompt`
//! (the default) or `fragment`; `text` is kept exactly, line breaks, spaces and any script
//! included. Written and read back, a library is the same file again. Reading is all or
//! nothing: every problem is listed with its line ([`FileProblems`]) and no entry is returned,
//! so a bad file never half-imports. Pure: text in, text out.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::prompt_library::{DraftProblem, PromptDraft, PromptEntry, PromptKind};

/// The format this Peel writes and reads.
pub const FORMAT_VERSION: i64 = 1;

/// The largest file read (a library of thousands of prompts is far smaller).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Most problems listed for one file (the rest are counted).
const MAX_PROBLEMS_LISTED: usize = 20;

/// The comment atop a written file.
const HEADER: &str = "\
# Peel's prompt library. Each [[prompt]] has a name, a kind (\"prompt\" or \"fragment\") and
# its text. Edit it freely, then read it back with: peel prompts import FILE [--replace]
";

/// One thing wrong in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    /// The line it is on (1-based), when known.
    pub line: Option<usize>,
    /// What is wrong and what to do, in one sentence.
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Why a file cannot be read: every problem found, each with its line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct FileProblems {
    /// The problems, in the order of the file.
    pub problems: Vec<FileProblem>,
}

impl std::fmt::Display for FileProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.problems.len();
        for (index, problem) in self.problems.iter().take(MAX_PROBLEMS_LISTED).enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        if count > MAX_PROBLEMS_LISTED {
            write!(f, "\n… and {} more", count - MAX_PROBLEMS_LISTED)?;
        }
        Ok(())
    }
}

impl FileProblems {
    fn one(line: Option<usize>, message: String) -> FileProblems {
        FileProblems {
            problems: vec![FileProblem { line, message }],
        }
    }
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    prompt: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    name: &'a str,
    kind: &'a str,
    text: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    format: Option<Spanned<i64>>,
    #[serde(default)]
    prompt: Vec<EntryIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryIn {
    name: Spanned<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    text: String,
}

/// `entries` as a file, in the order given (the library's: by name).
pub fn write(entries: &[PromptEntry]) -> String {
    let file = FileOut {
        format: FORMAT_VERSION,
        prompt: entries
            .iter()
            .map(|entry| EntryOut {
                name: &entry.name,
                kind: entry.kind.as_str(),
                text: &entry.text,
            })
            .collect(),
    };
    // Strings, one integer and arrays of tables: nothing TOML cannot say.
    let body = toml::to_string_pretty(&file).unwrap_or_else(|error| {
        tracing::error!("the prompt library could not be written as TOML: {error}");
        format!("format = {FORMAT_VERSION}\n")
    });
    format!("{HEADER}\n{body}")
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = text.floor_char_boundary(offset.min(text.len()));
    text[..offset].matches('\n').count() + 1
}

/// The entries of a file, checked: all of them, or every problem found.
pub fn read(text: &str) -> Result<Vec<PromptDraft>, FileProblems> {
    let file: FileIn = toml::from_str(text).map_err(|error| {
        let line = error.span().map(|span| line_of(text, span.start));
        FileProblems::one(line, syntax_message(&error))
    })?;
    if let Some(format) = &file.format {
        check_format(*format.get_ref()).map_err(|message| {
            FileProblems::one(Some(line_of(text, format.span().start)), message)
        })?;
    }
    let mut problems = Vec::new();
    let mut drafts: Vec<(PromptDraft, usize)> = Vec::new();
    for entry in &file.prompt {
        let name_line = line_of(text, entry.name.span().start);
        let kind = match &entry.kind {
            None => PromptKind::Prompt,
            Some(kind) => {
                if let Some(kind) = PromptKind::parse(kind.get_ref().trim()) {
                    kind
                } else {
                    problems.push(FileProblem {
                        line: Some(line_of(text, kind.span().start)),
                        message: format!(
                            "the kind \"{}\" is not one Peel knows; write kind = \"prompt\" or kind = \"fragment\"",
                            kind.get_ref()
                        ),
                    });
                    continue;
                }
            }
        };
        let draft = match PromptDraft::new(entry.name.get_ref(), &entry.text, kind) {
            Ok(draft) => draft,
            Err(problem) => {
                problems.push(FileProblem {
                    line: Some(name_line),
                    message: named(entry.name.get_ref(), &problem),
                });
                continue;
            }
        };
        if let Some((_, first_line)) = drafts
            .iter()
            .find(|(earlier, _)| earlier.name().same_as(draft.name().as_str()))
        {
            problems.push(FileProblem {
                line: Some(name_line),
                message: format!(
                    "\"{}\" is also the name on line {first_line}; give each entry its own name (case does not count)",
                    draft.name()
                ),
            });
            continue;
        }
        drafts.push((draft, name_line));
    }
    if problems.is_empty() {
        Ok(drafts.into_iter().map(|(draft, _)| draft).collect())
    } else {
        problems.sort_by_key(|problem| problem.line);
        Err(FileProblems { problems })
    }
}

/// A draft's problem, naming the entry when it has a name.
fn named(name: &str, problem: &DraftProblem) -> String {
    match problem {
        DraftProblem::EmptyName => problem.to_string(),
        _ => format!("\"{}\": {problem}", name.trim()),
    }
}

/// Whether this Peel reads format `format`.
fn check_format(format: i64) -> Result<(), String> {
    match format.cmp(&FORMAT_VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(format!(
            "this file is format {format}, from a newer Peel; this Peel reads format {FORMAT_VERSION}. Update Peel, or export the library again from this one"
        )),
        std::cmp::Ordering::Less => Err(format!(
            "format {format} is not a prompt library format; write format = {FORMAT_VERSION}"
        )),
    }
}

/// The TOML parser's complaint as one sentence, with a hint for the usual mistakes.
fn syntax_message(error: &toml::de::Error) -> String {
    let message = error.message().trim().trim_end_matches('.');
    let hint = if message.contains("unknown field") {
        "; a file holds format = 1 and [[prompt]] tables, each with name, kind and text"
    } else if message.contains("missing field") {
        "; each [[prompt]] needs a name and a text"
    } else if message.contains("invalid type") {
        "; names, kinds and texts are written in quotes (\"…\", or \"\"\"…\"\"\" over several lines)"
    } else {
        "; check the quotes and brackets there"
    };
    format!("{message}{hint}")
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use proptest::prelude::*;

    use super::*;

    fn entry(name: &str, kind: PromptKind, text: &str) -> PromptEntry {
        PromptEntry {
            name: name.to_owned(),
            text: text.to_owned(),
            kind,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    /// Drafts read back as entries (the library's view of them).
    fn entries(drafts: &[PromptDraft]) -> Vec<PromptEntry> {
        drafts
            .iter()
            .map(|d| entry(d.name().as_str(), d.kind(), d.text()))
            .collect()
    }

    fn problems(text: &str) -> Vec<String> {
        read(text)
            .unwrap_err()
            .problems
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_written_library_reads_back_the_same_and_writes_the_same_file() {
        let library = vec![
            entry(
                "Golden hour",
                PromptKind::Fragment,
                "warm low sun from the left",
            ),
            entry(
                "Lighthouse",
                PromptKind::Prompt,
                "a lighthouse on a cliff,\nwaves breaking\n",
            ),
            entry(
                "Éclairage",
                PromptKind::Fragment,
                "\nlumière « douce » — 日本語 🎨 \"\"\" ''' \\ \t",
            ),
        ];
        let file = write(&library);
        assert!(file.starts_with("# Peel's prompt library."), "{file}");
        assert!(file.contains("format = 1"), "{file}");
        assert!(file.contains("kind = \"fragment\""), "{file}");
        let read_back = read(&file).unwrap();
        assert_eq!(entries(&read_back), library);
        assert_eq!(write(&entries(&read_back)), file);
    }

    #[test]
    fn a_hand_written_file_may_leave_out_the_format_and_the_kind() {
        let drafts = read(
            "[[prompt]]\nname = \"Fog\"\ntext = '''morning fog'''\n\n[[prompt]]\nname = \"Rim\"\nkind = \"fragment\"\ntext = \"thin rim light\"\n",
        )
        .unwrap();
        assert_eq!(drafts.len(), 2);
        assert_eq!(drafts[0].kind(), PromptKind::Prompt);
        assert_eq!(drafts[1].kind(), PromptKind::Fragment);
        assert!(
            read("").unwrap().is_empty(),
            "an empty library is a library"
        );
        assert!(write(&[]).ends_with("format = 1\n"));
        assert!(read(&write(&[])).unwrap().is_empty());
    }

    #[test]
    fn every_problem_is_listed_with_its_line_and_nothing_is_returned() {
        let text = "\
format = 1

[[prompt]]
name = \"Fog\"
text = \"morning fog\"

[[prompt]]
name = \"  \"
text = \"no name\"

[[prompt]]
name = \"fog\"
text = \"evening fog\"

[[prompt]]
name = \"Style\"
kind = \"style\"
text = \"flat vector\"

[[prompt]]
name = \"Blank\"
text = \"\"\"
   \"\"\"
";
        assert_eq!(
            problems(text),
            [
                "line 8: the name is empty; give it a name, such as \"Golden hour\"",
                "line 12: \"fog\" is also the name on line 4; give each entry its own name (case does not count)",
                "line 17: the kind \"style\" is not one Peel knows; write kind = \"prompt\" or kind = \"fragment\"",
                "line 21: \"Blank\": the text is empty; an entry needs the words it inserts",
            ]
        );
    }

    #[test]
    fn broken_toml_names_its_line() {
        let unclosed = "[[prompt]]\nname = \"Fog\"\ntext = \"morning fog\n";
        let said = problems(unclosed);
        assert_eq!(said.len(), 1);
        assert!(said[0].starts_with("line 3: "), "{said:?}");

        let typo = "[[prompt]]\nname = \"Fog\"\ntxt = \"morning fog\"\n";
        let said = problems(typo);
        assert!(
            said[0].starts_with("line 3: unknown field `txt`"),
            "{said:?}"
        );
        assert!(
            said[0].contains("each with name, kind and text"),
            "{said:?}"
        );

        let missing = "[[prompts]]\nname = \"Fog\"\n";
        assert!(problems(missing)[0].contains("unknown field `prompts`"));

        let no_text = "[[prompt]]\nname = \"Fog\"\n";
        let said = problems(no_text);
        assert!(said[0].contains("missing field `text`"), "{said:?}");
        assert!(said[0].contains("needs a name and a text"), "{said:?}");

        let number = "[[prompt]]\nname = 12\ntext = \"x\"\n";
        assert!(problems(number)[0].starts_with("line 2: invalid type"));
    }

    #[test]
    fn a_newer_format_is_refused_with_what_to_do() {
        assert_eq!(
            problems("format = 2\n"),
            [
                "line 1: this file is format 2, from a newer Peel; this Peel reads format 1. Update Peel, or export the library again from this one"
            ]
        );
        assert_eq!(
            problems("\nformat = 0\n"),
            ["line 2: format 0 is not a prompt library format; write format = 1"]
        );
    }

    #[test]
    fn a_long_list_of_problems_is_cut() {
        let text = "[[prompt]]\nname = \"\"\ntext = \"x\"\n".repeat(30);
        let said = read(&text).unwrap_err().to_string();
        assert_eq!(said.lines().count(), MAX_PROBLEMS_LISTED + 1);
        assert!(said.ends_with("… and 10 more"), "{said}");
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        // Names as PromptName keeps them: trimmed, one line, not empty.
        "[a-zA-Zé日🎨][a-zA-Z0-9 é日🎨'\"\\\\-]{0,20}[a-zA-Z0-9é日🎨]?"
            .prop_map(|name| name.trim().to_owned())
    }

    proptest! {
        #[test]
        fn any_library_round_trips(
            texts in prop::collection::vec(("\\PC*[a-z]\\PC*", any::<bool>(), prop::option::of("[\\n\\r\\t \"'\\\\]{1,4}")), 1..6),
            names in prop::collection::btree_set(name_strategy(), 6),
        ) {
            let mut names: Vec<String> = names.into_iter().collect();
            names.sort_by_key(|n| n.to_ascii_lowercase());
            names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            let library: Vec<PromptEntry> = texts
                .iter()
                .zip(&names)
                .map(|((text, fragment, tail), name)| {
                    let kind = if *fragment { PromptKind::Fragment } else { PromptKind::Prompt };
                    entry(name, kind, &format!("{text}{}", tail.clone().unwrap_or_default()))
                })
                .collect();
            let file = write(&library);
            let read_back = read(&file).unwrap();
            prop_assert_eq!(entries(&read_back), library.clone());
            prop_assert_eq!(write(&entries(&read_back)), file);
        }
    }
}
