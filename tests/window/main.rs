//! Integration tests of the window, as one test binary (each binary links eframe, wgpu and
//! reqwest): the window driven by `egui_kittest` with the test playing the worker, snapshots of the
//! main screens rendered on the CPU, and the whole app end to end with the real worker, media
//! service and in-process simulator.
//!
//! One module per area; run one with `cargo test --test window ui_app`.

mod app_rig;
mod window_rig;

mod app_end_to_end;
mod secrets_sweep;
mod shared_runtime;
mod ui_app;
mod ui_boards;
mod ui_compare;
mod ui_endpoint;
mod ui_first_run;
mod ui_gallery;
mod ui_list;
mod ui_log;
mod ui_preflight;
mod ui_prompt_library;
mod ui_quit_in_flight;
mod ui_quit_warning;
mod ui_settings_numbers;
mod ui_shortcuts;
mod ui_snapshots;
mod ui_thinking;
