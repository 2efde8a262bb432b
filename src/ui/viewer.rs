//! The large view: the image in a window, zoomed with the wheel or pinch and panned by dragging
//! (egui's `Scene`), with "Fit" to start over. The scene lays the picture out at its own size in
//! pixels, whatever the texture's: the texture is decoded at the screen's size first, and the
//! full size is asked for once the designer zooms in past it. An interim image of a thinking model
//! says so above it.

use super::{FullImage, Intent, Textures, UiState};
use crate::view::media::{FULL_IMAGE_MAX_SIDE_PX, MediaRequest};
use crate::view::thinking::NOT_FINAL;

/// Draws the large view when open.
pub fn viewer_ui(
    ctx: &egui::Context,
    ui_state: &mut UiState,
    textures: &Textures,
    intents: &mut Vec<Intent>,
) {
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
            if let Some(job) = viewer.interim_of {
                // An interim image must never pass for the result.
                ui.colored_label(
                    super::theme::WAITING,
                    format!(
                        "Job {job}: {NOT_FINAL}. The final image replaces it here when it arrives."
                    ),
                );
            }
            let Some(full) = textures
                .full
                .as_ref()
                .filter(|full| full.path == viewer.path)
            else {
                ui.add(egui::Spinner::new());
                ui.label("Loading the full image…");
                return;
            };
            let view_px = ui.available_size().x * ui.pixels_per_point();
            let [width, height] = full.original_size;
            egui::Scene::new()
                .zoom_range(0.05..=16.0)
                .show(ui, &mut viewer.scene_rect, |ui| {
                    ui.add(
                        egui::Image::new(&full.texture)
                            .fit_to_exact_size(egui::vec2(width as f32, height as f32))
                            .alt_text("The image at full size"),
                    );
                });
            if !viewer.full_size_asked && magnified(full, viewer.scene_rect, view_px) {
                viewer.full_size_asked = true;
                intents.push(Intent::Media(MediaRequest::FullImage {
                    path: viewer.path.clone(),
                    max_side_px: FULL_IMAGE_MAX_SIDE_PX,
                }));
            }
        });
    if !open {
        ui_state.viewer = None;
    }
}

/// Whether the texture is shown larger than it was decoded (more screen pixels than texture
/// pixels), so a sharper decode would show more.
fn magnified(full: &FullImage, visible: egui::Rect, view_px: f32) -> bool {
    let [width, _] = full.original_size;
    let texture_width = full.texture.size()[0] as f32;
    if visible.width() <= 0.0 || view_px <= 0.0 || texture_width >= width as f32 {
        return false;
    }
    // Texture pixels per screen pixel: the visible part of the picture, in texture pixels, over
    // the screen pixels showing it.
    let texture_px_per_picture_px = texture_width / width as f32;
    visible.width() * texture_px_per_picture_px / view_px < 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shrunk_texture_asks_for_the_full_size_only_when_zoomed_past_it() {
        let ctx = egui::Context::default();
        let pixels = vec![0u8; 1400 * 700 * 4];
        let texture = ctx.load_texture(
            "shrunk",
            egui::ColorImage::from_rgba_unmultiplied([1400, 700], &pixels),
            egui::TextureOptions::LINEAR,
        );
        let full = FullImage {
            path: "peel-1.jpg".into(),
            texture,
            original_size: [5504, 2752],
        };
        let whole = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(5504.0, 2752.0));
        assert!(
            !magnified(&full, whole, 1400.0),
            "fitted: one texture pixel a screen pixel"
        );
        let close =
            egui::Rect::from_min_size(egui::pos2(2000.0, 1000.0), egui::vec2(1400.0, 700.0));
        assert!(
            magnified(&full, close, 1400.0),
            "zoomed to 1:1 of the picture"
        );
        assert!(
            !magnified(&full, egui::Rect::ZERO, 1400.0),
            "before the first layout"
        );
    }
}
