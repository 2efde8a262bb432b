//! Integration tests of everything that is not a window, as one test binary (each binary links
//! eframe, wgpu and reqwest, so one per file cost most of the test build's link time and disk):
//! the HTTP client, the diagnosis against real and random bodies, the simulator, the engine and the
//! worker, real-sized answers, Google's model list, `peel` as a process, the rewrite assistant,
//! Google's Python SDK against the simulator, and saved files as exiftool reads them.
//!
//! One module per area; run one with `cargo test --test engine sim_scenarios`.

mod key_forms;
mod loopback_rig;
mod sim_rig;

mod bounded_input;
mod cli_boards;
mod cli_explain;
mod cli_generate;
mod cli_history;
mod cli_import;
mod cli_prompts;
mod cli_rewrite;
mod cli_sim;
mod cli_thoughts;
mod client_loopback;
mod day_quota_restart;
mod diagnosis_properties;
mod engine_races;
mod engine_scenarios;
mod hostile_servers;
mod layering;
mod live_models;
mod load_tier;
mod paid_requests;
mod python_sdk;
mod real_errors;
mod real_sized_answers;
mod rewrite_sim;
mod safe_writes;
mod secrets_sweep;
mod sim_scenarios;
mod sim_streaming;
mod sim_validation;
mod standard_metadata;
mod streamed_jobs;
mod streaming_client;
mod worker_commands;
