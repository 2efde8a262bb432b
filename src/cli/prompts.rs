//! `peel prompts list|export|import|rename|delete`: the prompt library (prompts and fragments
//! kept under a name, the window's Ctrl+L list) on the command line, in the data folder
//! (`PEEL_DATA_DIR`, else the platform's data folder).
//!
//! - `list [--search TEXT] [--json]`: every entry by name, one line each (name, kind, the start
//!   of its text); `--json` prints one array of `{name, kind, text, created_at, updated_at}`.
//! - `export [FILE]`: the whole library as TOML ([`crate::store::prompt_file`]), to `FILE`
//!   (written crash-safe: a temporary file renamed over it) or to stdout.
//! - `import FILE [--replace]` (`-` reads stdin): the file's entries added in one transaction.
//!   A file with any problem imports nothing and lists every problem with its line. A name
//!   already in the library with other words is kept as it is, and named in the report, unless
//!   `--replace`.
//! - `rename OLD NEW`, `delete NAME`: one entry (its name in any case).
//!
//! Exit codes: 0 done · 1 the database could not be used or the file could not be written ·
//! 2 bad input (no such file or entry, a file that is not a library, a name that cannot be one).

use std::fmt::Write as _;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::store::prompt_file::{self, MAX_FILE_BYTES};
use crate::store::prompt_library::{ImportReport, OnClash, PromptEntry, PromptName, Renamed};
use crate::store::{Store, files, paths};

/// Exit code: the database could not be used, or the export could not be written.
const EXIT_FAILED: u8 = 1;

/// How many characters of a text a `list` line shows.
const PREVIEW_CHARS: usize = 60;

/// Arguments of `peel prompts`.
#[derive(Debug, Args)]
pub struct PromptsArgs {
    /// What to do with the library
    #[command(subcommand)]
    pub action: PromptsAction,
}

/// The `peel prompts` subcommands.
#[derive(Debug, Subcommand)]
pub enum PromptsAction {
    /// List the entries by name: name, kind and the start of the text
    List {
        /// Only entries whose name or text has every one of these words (case and accents ignored)
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Print one JSON array on stdout
        #[arg(long)]
        json: bool,
    },
    /// Write the whole library as TOML to FILE (replacing it), or to stdout without FILE
    Export {
        /// The file to write
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Add the entries of a TOML file (all or nothing; "-" reads stdin)
    Import {
        /// The file to read, as `peel prompts export` writes it
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Replace entries whose name is taken (else they are kept as they are)
        #[arg(long)]
        replace: bool,
    },
    /// Give an entry another name
    Rename {
        /// Its name now (case ignored)
        #[arg(value_name = "OLD")]
        from: String,
        /// Its new name
        #[arg(value_name = "NEW")]
        to: String,
    },
    /// Remove an entry
    Delete {
        /// Its name (case ignored)
        #[arg(value_name = "NAME")]
        name: String,
    },
}

/// A command that could not finish: the sentence and the exit code.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn bad_input(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: EXIT_BAD_INPUT,
        }
    }

    fn failed(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: EXIT_FAILED,
        }
    }
}

/// Runs `peel prompts`.
pub fn run(args: &PromptsArgs) -> ExitCode {
    let (verb, result) = match &args.action {
        PromptsAction::List { search, json } => ("list", list(search.as_deref(), *json)),
        PromptsAction::Export { file } => ("export", export(file.as_deref())),
        PromptsAction::Import { file, replace } => ("import", import(file, *replace)),
        PromptsAction::Rename { from, to } => ("rename", rename(from, to)),
        PromptsAction::Delete { name } => ("delete", delete(name)),
    };
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(failure) => {
            let _ = writeln!(io::stderr(), "peel prompts {verb}: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// The database, opened; `None` when there is none yet and `create` is false (nothing is
/// created just to say the library is empty).
fn open_store(create: bool) -> Result<Option<Store>, Failure> {
    let Some(data_dir) = paths::data_dir() else {
        return Err(Failure::bad_input(
            "Peel could not find a data folder on this system; set PEEL_DATA_DIR to the folder that holds peel.db",
        ));
    };
    let database = paths::database_path(&data_dir);
    if !create && !database.exists() {
        return Ok(None);
    }
    Store::open(&database)
        .map(Some)
        .map_err(|error| Failure::failed(error.to_string()))
}

/// Every entry (none without a database).
fn entries() -> Result<Vec<PromptEntry>, Failure> {
    match open_store(false)? {
        Some(store) => store
            .prompt_library()
            .map_err(|error| Failure::failed(error.to_string())),
        None => Ok(Vec::new()),
    }
}

fn list(search: Option<&str>, json: bool) -> Result<(), Failure> {
    if search.is_some_and(|text| text.trim().is_empty()) {
        return Err(Failure::bad_input(
            "the search is empty; give a word of a name or text, e.g. --search light",
        ));
    }
    let mut entries = entries()?;
    if let Some(query) = search {
        entries.retain(|entry| {
            crate::store::prompt_library::matches_search(&entry.name, &entry.text, query)
        });
    }
    let mut out = io::stdout().lock();
    if json {
        let text = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".to_owned());
        let _ = writeln!(out, "{text}");
    } else if entries.is_empty() {
        let said = if search.is_some() {
            "No entry matches."
        } else {
            "The prompt library is empty. Save to it from the window (Save to library…), or add a file with peel prompts import FILE."
        };
        let _ = writeln!(io::stderr(), "{said}");
    } else {
        let width = entries
            .iter()
            .map(|entry| entry.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(32);
        for entry in &entries {
            let _ = writeln!(
                out,
                "{:<width$}  {:<8}  \"{}\"",
                entry.name,
                entry.kind.as_str(),
                preview(&entry.text)
            );
        }
    }
    Ok(())
}

/// The start of `text` on one line.
fn preview(text: &str) -> String {
    crate::store::prompt_library::one_line_start(text, PREVIEW_CHARS)
}

fn export(file: Option<&Path>) -> Result<(), Failure> {
    let entries = entries()?;
    let text = prompt_file::write(&entries);
    let Some(path) = file else {
        let _ = io::stdout().lock().write_all(text.as_bytes());
        return Ok(());
    };
    files::write_atomically(path, text.as_bytes())
        .map_err(|error| Failure::failed(error.to_string()))?;
    let count = entries.len();
    let _ = writeln!(
        io::stderr(),
        "Exported {count} {} to {}.",
        if count == 1 { "entry" } else { "entries" },
        path.display()
    );
    Ok(())
}

/// The text of `file` (stdin for `-`), refusing more than [`MAX_FILE_BYTES`] and anything
/// that is not UTF-8.
fn read_file(file: &Path) -> Result<String, Failure> {
    let shown = file.display();
    let mut bytes = Vec::new();
    let read = if file == Path::new("-") {
        io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|error| {
        Failure::bad_input(format!(
            "{shown} could not be read: {error}. Check the path; `peel prompts export FILE` writes one"
        ))
    })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Failure::bad_input(format!(
            "{shown} is larger than {} MB, too large for a prompt library; is it the right file?",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        Failure::bad_input(format!(
            "{shown} is not UTF-8 text; save it as UTF-8 (a prompt library is a TOML text file)"
        ))
    })
}

fn import(file: &Path, replace: bool) -> Result<(), Failure> {
    let text = read_file(file)?;
    let drafts = prompt_file::read(&text).map_err(|problems| {
        let count = problems.problems.len();
        Failure::bad_input(format!(
            "{} has {count} {} and was not imported; the library is unchanged. Fix {} and import it again:\n{}",
            file.display(),
            if count == 1 { "problem" } else { "problems" },
            if count == 1 { "it" } else { "them" },
            indented(&problems.to_string())
        ))
    })?;
    if drafts.is_empty() {
        let _ = writeln!(
            io::stdout().lock(),
            "{} holds no [[prompt]] entries; the library is unchanged.",
            file.display()
        );
        return Ok(());
    }
    let Some(store) = open_store(true)? else {
        return Err(Failure::failed("Peel's database could not be opened"));
    };
    let on_clash = if replace {
        OnClash::Replace
    } else {
        OnClash::Keep
    };
    let report = store
        .import_prompts(&drafts, on_clash, Timestamp::now())
        .map_err(|error| {
            Failure::failed(format!(
                "{error} Nothing from {} was imported.",
                file.display()
            ))
        })?;
    let _ = write!(io::stdout().lock(), "{}", describe_import(file, &report));
    Ok(())
}

/// Each line of `text`, indented two spaces.
fn indented(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "Imported FILE: 2 added, 1 replaced, 1 unchanged." and the names kept as they were.
fn describe_import(file: &Path, report: &ImportReport) -> String {
    let counts: Vec<String> = [
        (report.added.len(), "added"),
        (report.replaced.len(), "replaced"),
        (report.unchanged.len(), "unchanged"),
        (report.kept.len(), "kept as they were"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{count} {what}"))
    .collect();
    let mut text = format!("Imported {}: {}.\n", file.display(), counts.join(", "));
    if !report.kept.is_empty() {
        let names: Vec<String> = report.kept.iter().map(|n| format!("\"{n}\"")).collect();
        let _ = writeln!(
            text,
            "Already in the library with other words, so left as they were: {}. Import again with --replace to overwrite them.",
            names.join(", ")
        );
    }
    text
}

fn rename(from: &str, to: &str) -> Result<(), Failure> {
    let to =
        PromptName::new(to).map_err(|problem| Failure::bad_input(format!("NEW: {problem}")))?;
    let Some(store) = open_store(false)? else {
        return Err(no_entry(from));
    };
    match store
        .rename_prompt(from, &to, Timestamp::now())
        .map_err(|error| Failure::failed(error.to_string()))?
    {
        Renamed::Done => {
            let _ = writeln!(
                io::stdout().lock(),
                "Renamed \"{}\" to \"{to}\".",
                from.trim()
            );
            Ok(())
        }
        Renamed::Missing => Err(no_entry(from)),
        Renamed::NameTaken => Err(Failure::bad_input(format!(
            "\"{to}\" is the name of another entry; choose another name, or delete that one first"
        ))),
    }
}

fn delete(name: &str) -> Result<(), Failure> {
    let Some(store) = open_store(false)? else {
        return Err(no_entry(name));
    };
    if store
        .delete_prompt(name)
        .map_err(|error| Failure::failed(error.to_string()))?
    {
        let _ = writeln!(io::stdout().lock(), "Removed \"{}\".", name.trim());
        Ok(())
    } else {
        Err(no_entry(name))
    }
}

fn no_entry(name: &str) -> Failure {
    Failure::bad_input(format!(
        "no entry is named \"{}\"; `peel prompts list` shows the names",
        name.trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_report_counts_and_names_what_it_kept() {
        let report = ImportReport {
            added: vec!["A".to_owned(), "B".to_owned()],
            replaced: Vec::new(),
            unchanged: vec!["C".to_owned()],
            kept: vec!["Fog".to_owned()],
        };
        assert_eq!(
            describe_import(Path::new("lib.toml"), &report),
            "Imported lib.toml: 2 added, 1 unchanged, 1 kept as they were.\nAlready in the library with other words, so left as they were: \"Fog\". Import again with --replace to overwrite them.\n"
        );
    }

    #[test]
    fn a_preview_is_one_line_and_cut() {
        assert_eq!(preview("warm\n  low sun"), "warm low sun");
        let long = "é".repeat(PREVIEW_CHARS + 5);
        assert_eq!(preview(&long).chars().count(), PREVIEW_CHARS + 1);
        assert!(preview(&long).ends_with('…'));
    }
}
