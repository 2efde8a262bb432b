//! `peel rewrite "PROMPT" [--kind KIND] [--json]`: rewrite suggestions for a blocked prompt.
//! `peel rewrite --check "PROMPT" [--model M] [--size S] [--json]`: the preflight, before sending.
//!
//! The kind is the diagnosis id of the block (`peel explain` prints it); it defaults to
//! `image_safety`, the image filter that no setting changes. Exit 0 with the advice (also "nothing
//! to change"), 2 when the arguments are wrong.
//!
//! With `--check`, the marks and the verdict the editor shows while typing (with what the
//! designer's past jobs taught, from the data folder's name memory): exit 0 for "likely to pass",
//! 3 for "likely blocked" and for "blocked by policy" (the JSON's `verdict` tells which), so a
//! script can check a batch of prompts before spending.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::Args;

use super::generate::EXIT_CONTENT_BLOCKED;
use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::api::catalog::Catalog;
use crate::diagnosis::Kind;
use crate::rewrite::preflight::{Context, Memory, Past, Preflight, Verdict, preflight};
use crate::rewrite::{Advice, Rule, advise_kind};

/// Arguments of `peel rewrite`.
#[derive(Debug, Args)]
pub struct RewriteArgs {
    /// The prompt that was blocked
    pub prompt: String,
    /// The kind of block, as `peel explain` names it (image_safety, image_recitation,
    /// blocked_safety, blocked_prohibited, …)
    #[arg(long, default_value = "image_safety")]
    pub kind: String,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// Check the prompt before sending it instead: marks and a verdict (exit 3 when likely
    /// blocked or blocked by policy)
    #[arg(long)]
    pub check: bool,
    /// With --check: the model the block would be billed on (default: the catalog's primary)
    #[arg(long)]
    pub model: Option<String>,
    /// With --check: the image size (1K, 2K, 4K)
    #[arg(long, default_value = "1K")]
    pub size: String,
}

/// Runs `peel rewrite`.
pub fn run(args: &RewriteArgs) -> ExitCode {
    if args.check {
        return run_check(args);
    }
    let Some(kind) = Kind::from_id(&args.kind) else {
        let _ = writeln!(
            io::stderr(),
            "peel rewrite: unknown kind {:?}. Use a kind id as `peel explain` prints it, such as image_safety, image_recitation, blocked_safety or blocked_prohibited.",
            args.kind
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    };
    if args.prompt.trim().is_empty() {
        let _ = writeln!(
            io::stderr(),
            "peel rewrite: the prompt is empty. Give the prompt that was blocked, in quotes."
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let advice = advise_kind(&args.prompt, kind);
    let text = if args.json {
        serde_json::to_string_pretty(&advice).unwrap_or_default()
    } else {
        describe(&advice)
    };
    let _ = writeln!(io::stdout(), "{text}");
    ExitCode::from(EXIT_OK)
}

/// `peel rewrite --check`: the preflight's marks and verdict.
fn run_check(args: &RewriteArgs) -> ExitCode {
    if args.prompt.trim().is_empty() {
        let _ = writeln!(
            io::stderr(),
            "peel rewrite --check: the prompt is empty. Give the prompt to check, in quotes."
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let catalog = Catalog::builtin();
    let model_id = args.model.as_deref().unwrap_or(&catalog.primary);
    let Some(model) = catalog.get(model_id) else {
        let _ = writeln!(
            io::stderr(),
            "peel rewrite --check: unknown model {model_id:?}. Use a model id from the catalog, such as {}.",
            catalog.primary
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    };
    let memory = remembered();
    let result = preflight(
        &args.prompt,
        &Context {
            model: Some(model),
            image_size: &args.size,
            memory: memory.as_ref(),
        },
    );
    let text = if args.json {
        serde_json::to_string_pretty(&CheckJson {
            line: result.line(),
            preflight: &result,
        })
        .unwrap_or_default()
    } else {
        describe_check(&args.prompt, &result)
    };
    let _ = writeln!(io::stdout(), "{text}");
    match result.verdict {
        Verdict::LikelyToPass => ExitCode::from(EXIT_OK),
        Verdict::LikelyBlocked | Verdict::BlockedByPolicy => ExitCode::from(EXIT_CONTENT_BLOCKED),
    }
}

/// What the designer's jobs taught (the name memory of the data folder's database), when there is
/// a database; a check never creates one.
fn remembered() -> Option<Memory> {
    let path = crate::store::paths::database_path(&crate::store::paths::data_dir()?);
    if !path.exists() {
        return None;
    }
    let store = crate::store::Store::open(&path).ok()?;
    Some(crate::worker::name_memory::memory_of(
        store.name_memory().ok()?,
    ))
}

/// The JSON of `--check`: the preflight with its line.
#[derive(serde::Serialize)]
struct CheckJson<'a> {
    line: String,
    #[serde(flatten)]
    preflight: &'a Preflight,
}

/// The preflight as text for a terminal: the line, then each mark with why and what instead.
pub fn describe_check(prompt: &str, result: &Preflight) -> String {
    let mut out = result.line();
    for mark in &result.marks {
        let before = mark
            .before
            .and_then(Past::words)
            .map(|words| format!(" ({words})"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "\n- \"{}\" [{}]{before}: {}",
            &prompt[mark.span.clone()],
            mark.kind.label(),
            mark.why
        );
        for suggestion in &mark.suggestions {
            let _ = write!(out, "\n    {}", mark.action(suggestion));
        }
    }
    out
}

fn rule_word(rule: Rule) -> &'static str {
    match rule {
        Rule::GenericDescription => "description",
        Rule::ArtStyle => "art style",
        Rule::AdultSubject => "adult subject",
        Rule::RemovedDescriptor => "removed",
    }
}

/// The advice as text for a terminal.
pub fn describe(advice: &Advice) -> String {
    match advice {
        Advice::Rewrites { suggestions, note } => {
            let mut out = String::new();
            if let Some(note) = note {
                out.push_str(note);
            }
            for (index, suggestion) in suggestions.iter().enumerate() {
                if index > 0 {
                    out.push('\n');
                }
                let _ = writeln!(
                    out,
                    "Suggestion {}: {}\n  {}",
                    index + 1,
                    suggestion.title,
                    suggestion.prompt
                );
                for edit in &suggestion.edits {
                    let change = if edit.to.is_empty() {
                        format!("remove \"{}\"", edit.from.trim())
                    } else if edit.from.is_empty() {
                        format!("add \"{}\"", edit.to.trim_start_matches(", "))
                    } else {
                        format!("\"{}\" -> \"{}\"", edit.from, edit.to)
                    };
                    let _ = writeln!(
                        out,
                        "  - [{}] {change}: {}",
                        rule_word(edit.rule),
                        edit.reason
                    );
                }
            }
            out.trim_end().to_owned()
        }
        Advice::ChangeSetting { message } | Advice::NothingHelps { message } => message.clone(),
        Advice::NotAContentBlock => {
            "This kind is not a content block: rewording the prompt will not fix it. `peel explain` says what will."
                .to_owned()
        }
    }
}
