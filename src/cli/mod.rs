//! The `peel` command line. Each subcommand is one file and calls the same library functions the
//! app uses; output goes to stdout, progress and errors to stderr.
//!
//! - [`star`]: `peel star ID…` and `peel unstar ID…`.
//! - [`board`]: `peel board add NAME ID…`, `remove NAME ID…`, `list`, `rename OLD NEW`,
//!   `delete NAME`.
//! - [`control`]: `peel cancel ID…` and `peel retry ID…`, on the data folder a running window
//!   uses.
//! - [`explain`]: `peel explain [FILE|-] [--status N] [--json]`.
//! - [`quitting`]: Ctrl+C while requests are in flight: say what they cost, wait, or record them
//!   as lost.
//! - [`export`]: `peel export --out DIR [--search TEXT] [--failed]` — one folder per job with
//!   the image, `provenance.json` and `diagnosis.json`.
//! - [`generate`]: `peel generate "PROMPT" …` — the engine without a window.
//! - [`history`]: `peel history [--json] [--search TEXT] [--failed] [--starred] [--board NAME]
//!   [--limit N]` — the jobs kept, newest first.
//! - [`import`]: `peel import FILE [--json]` — the prompt and settings an image file carries.
//! - [`prompts`]: `peel prompts list|export|import|rename|delete` — the prompt library, and its
//!   TOML file.
//! - [`rewrite`]: `peel rewrite "PROMPT" [--kind KIND] [--json]` — suggestions for a blocked prompt.
//! - [`sim`]: `peel sim [--addr A] [--scenario S] [--seed N] [--time-scale X] [--list]`.
//!
//! Every command logs to the daily file in `<data>/logs/` ([`crate::logging`]); `-v` also prints
//! warnings and errors on stderr, `-vv` information too.

pub mod board;
pub mod control;
pub mod explain;
pub mod export;
pub mod generate;
pub mod history;
pub mod import;
pub mod library;
pub mod prompts;
pub mod quitting;
pub mod rewrite;
pub mod sim;
pub mod star;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code: the command did what was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code: the input could not be read at all (missing file, empty input, bad arguments).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Peel tells you exactly why a Gemini image generation failed, and what to do about it.
#[derive(Debug, Parser)]
#[command(name = "peel", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without one, Peel opens its window.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Print warnings and errors on stderr (-vv: information too); the log file keeps them anyway
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Gather jobs on boards (named collections): add, remove, list, rename, delete
    Board(board::BoardArgs),
    /// Cancel jobs (queued, waiting, parked or running): they are never sent again
    Cancel(control::CancelArgs),
    /// Explain a pasted Gemini response or error: which layer failed, why, and what to do
    Explain(explain::ExplainArgs),
    /// Write the jobs Peel keeps into a folder: per job the image, provenance.json, diagnosis.json
    Export(export::ExportArgs),
    /// Generate images with retries, fallback and a durable queue (the app's engine, headless)
    Generate(generate::GenerateArgs),
    /// List the jobs Peel keeps, newest first: search prompts, show the ones that failed
    History(history::HistoryArgs),
    /// Read the prompt and settings an image carries (Peel's own record, or an A1111 text)
    Import(import::ImportArgs),
    /// The prompt library: list it, export or import it as TOML, rename or delete an entry
    Prompts(prompts::PromptsArgs),
    /// Run parked, stopped or cancelled jobs again
    Retry(control::RetryArgs),
    /// Suggest rewrites of a prompt a content filter blocked, each edit with its reason
    Rewrite(rewrite::RewriteArgs),
    /// Run the Gemini simulator on loopback: the same REST API, failing the way Google fails
    Sim(sim::SimArgs),
    /// Star jobs (the window's star): keep them when the unstarred are deleted
    Star(star::StarArgs),
    /// Take the star off jobs
    Unstar(star::StarArgs),
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Board(_) => "board",
            Command::Cancel(_) => "cancel",
            Command::Explain(_) => "explain",
            Command::Export(_) => "export",
            Command::Generate(_) => "generate",
            Command::History(_) => "history",
            Command::Import(_) => "import",
            Command::Prompts(_) => "prompts",
            Command::Retry(_) => "retry",
            Command::Rewrite(_) => "rewrite",
            Command::Sim(_) => "sim",
            Command::Star(_) => "star",
            Command::Unstar(_) => "unstar",
        }
    }
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    crate::logging::panic_hook::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            // clap prints help and version to stdout and mistakes to stderr, with its own wording.
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let Some(command) = cli.command else {
        // No subcommand: open the window (it starts its own log).
        return match crate::app::run(cli.verbose) {
            Ok(()) => ExitCode::from(EXIT_OK),
            Err(error) => {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "peel: {error}");
                ExitCode::from(1)
            }
        };
    };
    let _logging = crate::logging::init(&crate::logging::LogOptions {
        data_dir: crate::store::paths::data_dir(),
        verbosity: cli.verbose,
    });
    tracing::info!(
        "peel {} {} started",
        env!("CARGO_PKG_VERSION"),
        command.name()
    );
    match command {
        Command::Board(args) => board::run(&args),
        Command::Cancel(args) => control::cancel(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::History(args) => history::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Prompts(args) => prompts::run(&args),
        Command::Retry(args) => control::retry(&args),
        Command::Rewrite(args) => rewrite::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Star(args) => star::run(&args, true),
        Command::Unstar(args) => star::run(&args, false),
    }
}
