//! The [`eframe::App`] impl: `logic` drains worker and media events (and asks before a costly
//! close), `ui` draws the window and handles its intents, `save` keeps what the next run restores.

use super::PeelApp;
use super::media::MediaRequest;
use crate::ui::{self, View};
use crate::worker::Event;

impl eframe::App for PeelApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        while let Ok(event) = self.worker.events.try_recv() {
            if let Event::Deleted { job } = &event
                && let Some(path) = self.state.job(*job).and_then(|j| j.image_path.clone())
            {
                self.textures.thumbnails.remove(&path);
                if self
                    .ui_state
                    .viewer
                    .as_ref()
                    .is_some_and(|v| v.path == path)
                {
                    self.ui_state.viewer = None;
                }
            }
            self.state.apply(event);
        }
        let mut media_events = Vec::new();
        if let Some(media) = &mut self.media {
            while let Ok(event) = media.events.try_recv() {
                media_events.push(event);
            }
        }
        for event in media_events {
            self.apply_media(ctx, event);
        }
        if let Some((generation, lines)) = self
            .log_ring
            .as_ref()
            .and_then(|ring| ring.lines_since(self.state.log.generation))
        {
            self.state.log.update(generation, lines);
        }
        let dropped: Vec<_> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .filter(|path| !path.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.media(MediaRequest::LoadDropped { paths: dropped });
        }
        // Closing while the disk refuses an image or a prompt would lose it, or while requests
        // are in flight (paid for, their answers lost): ask first.
        if ctx.input(|input| input.viewport().close_requested())
            && self.state.quit_would_cost()
            && !self.quit_anyway
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.state.quit_warning = true;
        }
        // "Wait for them": quit once the last request in flight has come back (and its image
        // is on disk); what the disk refused meanwhile keeps the warning open.
        if self.state.waiting_to_quit && self.state.in_flight() == 0 {
            self.state.waiting_to_quit = false;
            if self.state.unsaved.any() {
                self.state.quit_warning = true;
            } else {
                self.state.quit_warning = false;
                self.quit_anyway = true;
                self.close_asked = true;
                ctx.request_repaint();
            }
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if self.frame_stats.on_frame(frame.info().cpu_usage) {
            ui.send_viewport_cmd(egui::ViewportCommand::Close);
        } else if self.frame_stats.awaits_first_frame() {
            ui.request_repaint();
        } else if let Some(left) = self.frame_stats.time_to_close() {
            ui.ctx().request_repaint_after(left);
        }
        let mut intents = Vec::new();
        let view = View {
            editor: &mut self.editor,
            ui_state: &mut self.ui_state,
            textures: &mut self.textures,
            settings: &mut self.settings,
            key: &self.key,
        };
        ui::root_ui(ui, &self.state, view, &mut intents);
        self.handle(intents);
        if std::mem::take(&mut self.close_asked) {
            ui.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        self.textures.free_unused();
        if self.ui_state.viewer.is_none() {
            self.textures.full = None;
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.save_to(storage);
    }
}
