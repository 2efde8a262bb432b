//! `peel sim [--addr 127.0.0.1:PORT] [--scenario NAME] [--seed N] [--time-scale X] [--instant]
//! [--list]`: the simulator as a standalone loopback server. Prints its base URL on stdout (one line, for scripts),
//! how to use it on stderr, and stops cleanly on Ctrl+C.

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::sim::{self, SIM_API_KEY, Scenario, SimConfig};

/// Arguments of `peel sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (loopback only); port 0 picks a free port
    #[arg(long, default_value = "127.0.0.1:8765")]
    pub addr: SocketAddr,
    /// How the simulator behaves (see --list)
    #[arg(long, default_value = "calm")]
    pub scenario: Scenario,
    /// Seed for faults and pictures: the same seed replays the same run
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Real seconds per simulated second: 0.01 makes a quota minute last 0.6 s
    #[arg(long, default_value_t = 1.0, value_parser = parse_time_scale)]
    pub time_scale: f64,
    /// Answer at once instead of taking as long as the real models (Nano Banana Pro 12-60 s,
    /// flash models 3-12 s, scaled by --time-scale)
    #[arg(long)]
    pub instant: bool,
    /// List the scenarios, one line each, and exit
    #[arg(long)]
    pub list: bool,
}

fn parse_time_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(scale) if scale.is_finite() && scale > 0.0 && scale <= 100.0 => Ok(scale),
        _ => Err(format!(
            "\"{text}\" is not a time scale; use a number above 0, e.g. 1 or 0.01"
        )),
    }
}

/// The `--list` text.
pub fn scenario_list() -> String {
    Scenario::ALL
        .iter()
        .map(|scenario| format!("{:<14} {}", scenario.name(), scenario.description()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `peel sim`.
pub fn run(args: &SimArgs) -> ExitCode {
    if args.list {
        let _ = writeln!(io::stdout(), "{}", scenario_list());
        return ExitCode::from(EXIT_OK);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("peel-sim")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(
                io::stderr(),
                "peel sim: could not start the async runtime: {error}"
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let config = SimConfig {
        scenario: args.scenario,
        seed: args.seed,
        time_scale: args.time_scale,
        start_at: None,
        generation_latency: !args.instant,
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI's own main thread, not a UI thread"
    )]
    runtime.block_on(serve(args.addr, config))
}

/// Ctrl+C, listened for from the moment it is made.
enum Interrupt {
    /// SIGINT's handler is in place.
    #[cfg(unix)]
    Signal(std::io::Result<tokio::signal::unix::Signal>),
    /// Elsewhere, tokio's portable Ctrl+C.
    #[cfg(not(unix))]
    CtrlC,
}

impl Interrupt {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            Interrupt::Signal(tokio::signal::unix::signal(
                tokio::signal::unix::SignalKind::interrupt(),
            ))
        }
        #[cfg(not(unix))]
        {
            Interrupt::CtrlC
        }
    }

    async fn wait(self) -> std::io::Result<()> {
        match self {
            #[cfg(unix)]
            Interrupt::Signal(signal) => {
                signal?.recv().await;
                Ok(())
            }
            #[cfg(not(unix))]
            Interrupt::CtrlC => tokio::signal::ctrl_c().await,
        }
    }
}

async fn serve(addr: SocketAddr, config: SimConfig) -> ExitCode {
    let scenario = config.scenario;
    let timing = if config.generation_latency {
        "Answers take as long as the real models' (--instant to skip the wait)."
    } else {
        "Answers come at once (--instant)."
    };
    let running = match sim::start(addr, config).await {
        Ok(running) => running,
        Err(error) => {
            let _ = writeln!(io::stderr(), "peel sim: {error}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    // Listen for Ctrl+C before saying where we listen: whoever reads the address may interrupt
    // at once (a signal before the handler exists would kill the process instead).
    let interrupted = Interrupt::listen();
    let base_url = running.base_url();
    {
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "{base_url}");
        let _ = stdout.flush();
    }
    let _ = writeln!(
        io::stderr(),
        "Peel simulator: scenario {scenario} ({})\n\
         Listening on {base_url} (v1 and v1beta). Images are simulated. {timing}\n\
         Use this key: {SIM_API_KEY}\n\
         Try: curl -s -H 'x-goog-api-key: {SIM_API_KEY}' -H 'content-type: application/json' \
         -d '{{\"contents\":[{{\"parts\":[{{\"text\":\"a red fox\"}}]}}]}}' {base_url}/v1beta/models/gemini-3-pro-image:generateContent\n\
         Press Ctrl+C to stop.",
        scenario.description()
    );
    if let Err(error) = interrupted.wait().await {
        let _ = writeln!(
            io::stderr(),
            "peel sim: cannot listen for Ctrl+C ({error}); stopping."
        );
    }
    let stats = &running.state().stats;
    let (requests, images) = (
        stats.requests.load(std::sync::atomic::Ordering::Relaxed),
        stats.images.load(std::sync::atomic::Ordering::Relaxed),
    );
    match running.shutdown().await {
        Ok(()) => {
            let _ = writeln!(
                io::stderr(),
                "Simulator stopped after {requests} requests ({images} images)."
            );
            ExitCode::from(EXIT_OK)
        }
        Err(error) => {
            let _ = writeln!(
                io::stderr(),
                "peel sim: the server ended with an error: {error}"
            );
            ExitCode::from(1)
        }
    }
}
