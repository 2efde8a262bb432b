//! `peel explain [FILE|-] [--status N] [--json]`: the diagnosis of a pasted response or error.
//!
//! Reads the file, or standard input when the file is `-` or missing. Accepts anything people paste
//! (raw JSON, SSE lines, SDK-printed errors, forum-mangled text, HTML pages) and Peel's own capture
//! files (`{"http_status": …, "body": …}`, as in `tests/fixtures/real-errors/`). Exit 0 when it
//! produced a diagnosis (also `unknown`), 2 with a one-line reason when it could not read the input.

use std::io::{self, IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jiff::Timestamp;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::diagnosis::reading::MAX_INPUT_BYTES;
use crate::diagnosis::words::human_duration;
use crate::diagnosis::{Diagnosis, DiagnosisContext, Evidence, diagnose};

/// Arguments of `peel explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// File holding the response or error; `-` or nothing reads standard input
    pub file: Option<PathBuf>,
    /// The HTTP status the response came with, when the text does not say
    #[arg(long, value_parser = clap::value_parser!(u16).range(100..600))]
    pub status: Option<u16>,
    /// The model the request was sent to (names replacements for retired ids)
    #[arg(long)]
    pub model: Option<String>,
    /// The Retry-After header, if the response had one
    #[arg(long, value_name = "HEADER")]
    pub retry_after: Option<String>,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// Pretend the time is this RFC 3339 instant (for reproducible output)
    #[arg(long, hide = true)]
    pub now: Option<Timestamp>,
}

/// Why the input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ExplainInputError {
    /// The file could not be opened or read.
    #[error("Could not read {path}: {source}. Check the path, or pipe the text in with `-`.")]
    File {
        /// The path given.
        path: String,
        /// The OS error.
        source: io::Error,
    },
    /// Standard input could not be read.
    #[error("Could not read standard input: {0}.")]
    Stdin(io::Error),
    /// Nothing but whitespace.
    #[error("The input is empty: paste a Gemini response or error (or give a file).")]
    Empty,
}

/// Reads the input as text (invalid UTF-8 is replaced, not refused: pastes are often mangled),
/// no more than the diagnosis reads ([`MAX_INPUT_BYTES`]): a larger file or paste is read up to
/// the cap, and standard error says it was cut, so `/dev/zero` or a huge log never fills memory.
pub fn read_input(file: Option<&PathBuf>) -> Result<String, ExplainInputError> {
    let cap = MAX_INPUT_BYTES as u64;
    let (bytes, what) = match file {
        Some(path) if path.as_os_str() != "-" => {
            let error = |source| ExplainInputError::File {
                path: path.display().to_string(),
                source,
            };
            let mut bytes = Vec::new();
            std::fs::File::open(path)
                .map_err(error)?
                .take(cap + 1)
                .read_to_end(&mut bytes)
                .map_err(error)?;
            (bytes, path.display().to_string())
        }
        _ => {
            let stdin = io::stdin();
            if stdin.is_terminal() {
                let _ = writeln!(
                    io::stderr(),
                    "Paste the response or error, then press Ctrl+D:"
                );
            }
            let mut bytes = Vec::new();
            stdin
                .lock()
                .take(cap + 1)
                .read_to_end(&mut bytes)
                .map_err(ExplainInputError::Stdin)?;
            (bytes, "the pasted text".to_owned())
        }
    };
    let (bytes, cut) = cut_to_cap(bytes);
    if cut {
        let _ = writeln!(
            io::stderr(),
            "peel explain: only the first {} MiB of {what} were read (the diagnosis reads no more); \
             if the error is further on, cut out the part around it and explain that.",
            MAX_INPUT_BYTES / (1024 * 1024)
        );
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if text.trim().is_empty() {
        return Err(ExplainInputError::Empty);
    }
    Ok(text)
}

/// `bytes` cut to [`MAX_INPUT_BYTES`], and whether anything was cut.
fn cut_to_cap(mut bytes: Vec<u8>) -> (Vec<u8>, bool) {
    let cut = bytes.len() > MAX_INPUT_BYTES;
    bytes.truncate(MAX_INPUT_BYTES);
    (bytes, cut)
}

/// Runs `peel explain`.
pub fn run(args: &ExplainArgs) -> ExitCode {
    let text = match read_input(args.file.as_ref()) {
        Ok(text) => text,
        Err(error) => {
            let _ = writeln!(io::stderr(), "peel explain: {error}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let now = args.now.unwrap_or_else(Timestamp::now);
    let mut context = DiagnosisContext::new(now);
    if let Some(model) = args.model.as_deref() {
        context = context.with_model(model);
    }
    let evidence = Evidence::Response {
        status: args.status,
        body: &text,
        retry_after_header: args.retry_after.as_deref(),
    };
    let diagnosis = diagnose(&evidence, &context);
    let rendered = if args.json {
        match serde_json::to_string_pretty(&diagnosis) {
            Ok(json) => json,
            Err(error) => {
                let _ = writeln!(io::stderr(), "peel explain: could not write JSON: {error}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        }
    } else {
        render_text(&diagnosis)
    };
    let mut stdout = io::stdout().lock();
    // A closed pipe (`peel explain … | head`) is not an error worth reporting.
    let _ = writeln!(stdout, "{rendered}");
    ExitCode::from(EXIT_OK)
}

/// The readable form of a diagnosis.
pub fn render_text(diagnosis: &Diagnosis) -> String {
    let mut lines = headline(diagnosis);
    lines.extend(advice(diagnosis));
    lines.extend(evidence(diagnosis));
    lines.join("\n").trim_end().to_owned()
}

/// The title, the kind and layer line, and what happened and what to do.
fn headline(diagnosis: &Diagnosis) -> Vec<String> {
    let status = match (diagnosis.http_status, diagnosis.api_status.as_deref()) {
        (Some(code), Some(name)) => format!(" · HTTP {code} {name}"),
        (Some(code), None) => format!(" · HTTP {code}"),
        (None, Some(name)) => format!(" · {name}"),
        (None, None) => String::new(),
    };
    vec![
        diagnosis.title.clone(),
        format!(
            "  {} · layer: {} ({}){status}",
            diagnosis.kind,
            diagnosis.layer,
            diagnosis.layer.label()
        ),
        String::new(),
        format!("What happened: {}", diagnosis.explanation),
        format!("What to do:    {}", diagnosis.fix),
        String::new(),
    ]
}

/// Whether retrying or a setting helps, how long to wait, when the quota resets, which quota.
fn advice(diagnosis: &Diagnosis) -> Vec<String> {
    let adjustable = if diagnosis.configurable {
        "yes (safety settings)"
    } else {
        "no"
    };
    let retry = if diagnosis.retryable {
        "yes"
    } else {
        "no, not unchanged"
    };
    let mut lines = vec![format!(
        "Retry helps: {retry} · A setting can fix it: {adjustable}"
    )];
    if let Some(seconds) = diagnosis.retry_after_s {
        let source = match diagnosis.retry_after_source {
            Some(crate::diagnosis::RetryDelaySource::RetryInfo) => " (Google's RetryInfo)",
            Some(crate::diagnosis::RetryDelaySource::Message) => " (Google's message)",
            Some(crate::diagnosis::RetryDelaySource::Header) => " (Retry-After header)",
            None => "",
        };
        lines.push(format!(
            "Retry after: {} [{seconds:.3} s]{source}",
            human_duration(seconds)
        ));
    }
    if let Some(at) = diagnosis.resets_at {
        lines.push(format!("Quota resets: {at} (midnight America/Los_Angeles)"));
    }
    if let Some(quota) = &diagnosis.quota {
        let parts: Vec<String> = [
            quota.id.as_ref().map(|id| format!("id {id}")),
            quota.metric.as_ref().map(|m| format!("metric {m}")),
            quota.value.as_ref().map(|v| format!("limit {v}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            lines.push(format!("Quota: {}", parts.join(" · ")));
        }
    }
    lines
}

/// What the answer itself said: model, finish and block reasons, Google's and the model's words,
/// and the raw answer when the kind is unknown.
fn evidence(diagnosis: &Diagnosis) -> Vec<String> {
    let labelled = [
        ("Model", diagnosis.model.as_deref()),
        ("Finish reason", diagnosis.finish_reason.as_deref()),
        ("Block reason", diagnosis.block_reason.as_deref()),
        ("Google's note", diagnosis.finish_message.as_deref()),
        (
            "Google said",
            diagnosis.api_message.as_deref().map(str::trim),
        ),
        (
            "The model said",
            diagnosis.model_text.as_deref().map(str::trim),
        ),
    ];
    let mut lines: Vec<String> = labelled
        .into_iter()
        .filter_map(|(label, value)| value.map(|value| format!("{label}: {value}")))
        .collect();
    if diagnosis.kind == crate::diagnosis::Kind::Unknown {
        lines.push(String::new());
        lines.push("Raw answer (API keys removed):".to_owned());
        lines.push(diagnosis.raw.clone());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_larger_than_the_diagnosis_reads_is_read_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.log");
        let mut text = "x".repeat(MAX_INPUT_BYTES);
        text.push_str("this part is past the cap");
        std::fs::write(&path, &text).unwrap();
        let read = read_input(Some(&path)).unwrap();
        assert_eq!(read.len(), MAX_INPUT_BYTES);
        assert!(!read.contains("past the cap"));
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_file_is_read_no_further_than_the_cap() {
        let read = read_input(Some(&PathBuf::from("/dev/zero"))).unwrap();
        assert_eq!(read.len(), MAX_INPUT_BYTES);
    }

    #[test]
    fn a_small_file_is_read_whole_and_an_empty_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("error.json");
        std::fs::write(&path, r#"{"error":{"code":429}}"#).unwrap();
        assert_eq!(
            read_input(Some(&path)).unwrap(),
            r#"{"error":{"code":429}}"#
        );
        std::fs::write(&path, "  \n").unwrap();
        assert!(matches!(
            read_input(Some(&path)),
            Err(ExplainInputError::Empty)
        ));
        assert_eq!(cut_to_cap(vec![1, 2]), (vec![1, 2], false));
    }
}
