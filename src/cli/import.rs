//! `peel import FILE [--json]`: what an image file says about where it came from — Peel's own
//! record (prompt, model, size, ratio, reference hashes, safety settings, finish reason,
//! attempts, fallback, tokens, cost), or, for a PNG from another tool, its A1111 `parameters`
//! text (prompt, negative prompt, settings).
//!
//! Text output is one `Key: value` line each on stdout; `--json` prints one JSON object
//! `{source, prompt, model, image_size, aspect_ratio, settings?, negative_prompt?, peel?}`.
//! Exit codes: 0 read (also when the file holds no provenance: "no provenance found") · 2 the
//! file is missing, unreadable, or not a PNG or JPEG.

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::provenance::{self, Imported, Source};

/// What `peel import` prints when the file holds nothing.
pub const NOTHING_FOUND: &str = "no provenance found";

/// Arguments of `peel import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The PNG or JPEG image to read
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "peel import: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Runs `peel import`.
pub fn run(args: &ImportArgs) -> ExitCode {
    let shown = args.file.display();
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return fail(&format!(
                "there is no file at {shown}; check the path and try again"
            ));
        }
        Err(error) => {
            return fail(&format!(
                "{shown} could not be read ({error}); check that it is a file you may open"
            ));
        }
    };
    if !provenance::is_supported(&bytes) {
        return fail(&format!(
            "{shown} is not a PNG or JPEG image, so it holds no settings Peel can read"
        ));
    }
    let found = provenance::read(&bytes);
    let text = match (&found, args.json) {
        (Some(found), true) => serde_json::to_string_pretty(found).unwrap_or_default(),
        (None, true) => serde_json::json!({ "source": null, "message": NOTHING_FOUND }).to_string(),
        (Some(found), false) => lines(found),
        (None, false) => NOTHING_FOUND.to_owned(),
    };
    let _ = writeln!(io::stdout(), "{text}");
    ExitCode::from(EXIT_OK)
}

/// The human lines: what matters first, then everything else Peel recorded.
fn lines(found: &Imported) -> String {
    let or_default = |value: &Option<String>| value.clone().unwrap_or_else(|| "default".to_owned());
    let mut lines = vec![
        format!(
            "Source: {}",
            match found.source {
                Source::Peel => "Peel",
                Source::Parameters => "parameters text (another tool)",
            }
        ),
        format!("Prompt: {}", found.prompt),
        format!("Model: {}", or_default(&found.model)),
        format!("Size: {}", or_default(&found.image_size)),
        format!("Aspect ratio: {}", or_default(&found.aspect_ratio)),
    ];
    if let Some(negative) = &found.negative_prompt {
        lines.push(format!("Negative prompt: {negative}"));
    }
    if let Some(peel) = &found.peel {
        if let Some(version) = &peel.model_version {
            lines.push(format!("Model version: {version}"));
        }
        lines.push(format!(
            "Finish reason: {}",
            or_default(&peel.finish_reason)
        ));
        lines.push(format!("Attempts: {}", peel.attempts));
        lines.push(format!(
            "Fallback used: {}",
            if peel.fallback_used { "yes" } else { "no" }
        ));
        let tokens =
            |count: Option<u64>| count.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        lines.push(format!(
            "Tokens: {} in, {} out",
            tokens(peel.input_tokens),
            tokens(peel.output_tokens)
        ));
        lines.push(format!("Cost: ${:.4}", peel.cost_usd));
        for (index, sha256) in peel.reference_sha256.iter().enumerate() {
            lines.push(format!("Reference {}: sha256 {sha256}", index + 1));
        }
        for setting in &peel.safety_settings {
            let json = serde_json::to_value(setting).unwrap_or_default();
            lines.push(format!(
                "Safety: {} {}",
                json["category"].as_str().unwrap_or("?"),
                json["threshold"].as_str().unwrap_or("?")
            ));
        }
        if !peel.generator.is_empty() {
            lines.push(format!("Written by: {}", peel.generator));
        }
    } else {
        lines.extend(
            found
                .settings
                .iter()
                .map(|(key, value)| format!("{key}: {value}")),
        );
    }
    lines.join("\n")
}
