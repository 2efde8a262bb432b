//! The log in the window: a status line at the bottom with the newest warning or error not yet
//! seen, and the Log view with the recent ones, newest first, and where the full log file is.
//! Both draw [`crate::view::log::LogView`]; the lines are already redacted and in memory.

use crate::view::log::{LogLevel, LogLine, LogView};
use crate::view::state::AppState;

use super::{Intent, Tab, UiState, theme};

/// Characters of a message shown on the status line (the Log view shows it whole).
const STATUS_CHARS_MAX: usize = 160;

fn level_colour(level: LogLevel) -> egui::Color32 {
    match level {
        LogLevel::Error => theme::STOPPED,
        LogLevel::Warning => theme::WAITING,
    }
}

/// `12:03:04 UTC` (the log file's times are UTC too, so a line can be found there).
fn time_of(line: &LogLine) -> String {
    line.at.strftime("%H:%M:%S UTC").to_string()
}

/// The first line of a message, shortened for the status line.
fn status_text(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    match first.char_indices().nth(STATUS_CHARS_MAX) {
        Some((cut, _)) => format!("{}…", &first[..cut]),
        None => first.to_owned(),
    }
}

/// The status line at the bottom of the window, while a warning or error is unseen.
pub fn status_line_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let Some(latest) = state.log.unseen_latest() else {
        return;
    };
    egui::Panel::bottom("status_line").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.colored_label(level_colour(latest.level), latest.level.label());
            ui.label(time_of(latest));
            ui.label(status_text(&latest.message))
                .on_hover_text(&latest.message);
            let more = state.log.unseen_count().saturating_sub(1);
            if more > 0 {
                ui.weak(format!("and {more} more"));
            }
            if ui.small_button("Show log").clicked() {
                ui_state.tab = Tab::Log;
                intents.push(Intent::LogSeen);
            }
            if ui.small_button("Dismiss log line").clicked() {
                intents.push(Intent::LogSeen);
            }
        });
    });
}

/// The Log view: recent warnings and errors, newest first.
pub fn log_ui(ui: &mut egui::Ui, log: &LogView, intents: &mut Vec<Intent>) {
    if log.unseen_count() > 0 {
        intents.push(Intent::LogSeen);
    }
    ui.heading("Log");
    match &log.folder {
        Some(folder) => ui.label(format!(
            "Recent warnings and errors. The full log, one file a day, is in {}.",
            folder.display()
        )),
        None => ui.label("Recent warnings and errors. Peel is not writing a log file this time."),
    };
    ui.separator();
    if log.lines.is_empty() {
        ui.label("No warnings or errors so far.");
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("log_lines")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for line in log.newest_first() {
                        ui.label(time_of(line));
                        ui.colored_label(level_colour(line.level), line.level.label());
                        ui.add(egui::Label::new(&line.message).wrap())
                            .on_hover_text(&line.target);
                        ui.end_row();
                    }
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_shows_a_long_message_shortened_to_its_first_line() {
        assert_eq!(status_text("one\ntwo"), "one");
        let long = "x".repeat(STATUS_CHARS_MAX + 10);
        let shown = status_text(&long);
        assert_eq!(shown.chars().count(), STATUS_CHARS_MAX + 1);
        assert!(shown.ends_with('…'));
    }
}
