//! `peel rewrite "PROMPT" [--kind KIND] [--json]`: rewrite suggestions for a blocked prompt.
//!
//! The kind is the diagnosis id of the block (`peel explain` prints it); it defaults to
//! `image_safety`, the image filter that no setting changes. Exit 0 with the advice (also "nothing
//! to change"), 2 when the arguments are wrong.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::diagnosis::Kind;
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
}

/// Runs `peel rewrite`.
pub fn run(args: &RewriteArgs) -> ExitCode {
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
