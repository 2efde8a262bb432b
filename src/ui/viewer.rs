//! The large view: the full image in a window, zoomed with the wheel or pinch and panned by
//! dragging (egui's `Scene`), with "Fit" to start over.

use super::{Textures, UiState};

/// Draws the large view when open.
pub fn viewer_ui(ctx: &egui::Context, ui_state: &mut UiState, textures: &Textures) {
    let Some(viewer) = &mut ui_state.viewer else {
        return;
    };
    let mut open = true;
    let title = format!(
        "Large view: {}",
        viewer
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    egui::Window::new(title)
        .id(egui::Id::unique("large_view"))
        .open(&mut open)
        .default_size([720.0, 560.0])
        .resizable(true)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                if ui.button("Fit").clicked() {
                    viewer.scene_rect = egui::Rect::ZERO;
                }
                ui.weak("Scroll or pinch to zoom, drag to pan.");
            });
            let texture = textures
                .full
                .as_ref()
                .filter(|(path, _)| *path == viewer.path)
                .map(|(_, texture)| texture);
            let Some(texture) = texture else {
                ui.add(egui::Spinner::new());
                ui.label("Loading the full image…");
                return;
            };
            egui::Scene::new()
                .zoom_range(0.05..=16.0)
                .show(ui, &mut viewer.scene_rect, |ui| {
                    ui.add(
                        egui::Image::new(texture)
                            .fit_to_original_size(1.0)
                            .alt_text("The image at full size"),
                    );
                });
        });
    if !open {
        ui_state.viewer = None;
    }
}
