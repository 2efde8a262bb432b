//! Colours and spacing in one place.

use egui::Color32;

/// The simulator banner's background.
pub const SIMULATOR_BANNER: Color32 = Color32::from_rgb(0x7a, 0x4a, 0x00);
/// Text on the banner.
pub const SIMULATOR_TEXT: Color32 = Color32::from_rgb(0xff, 0xf1, 0xd6);
/// A delivered job.
pub const DELIVERED: Color32 = Color32::from_rgb(0x2e, 0x8b, 0x57);
/// A job that stopped.
pub const STOPPED: Color32 = Color32::from_rgb(0xc0, 0x39, 0x2b);
/// A job that waits (parked, or between attempts).
pub const WAITING: Color32 = Color32::from_rgb(0xd4, 0x8c, 0x00);
/// Width of the editor panel.
pub const EDITOR_WIDTH: f32 = 320.0;
/// Width of the why-panel.
pub const WHY_WIDTH: f32 = 380.0;
/// Tallest the why-panel's "Paste an error" box grows, in points; longer text scrolls inside it.
pub const PASTE_BOX_HEIGHT: f32 = 160.0;
/// Side of a gallery thumbnail on screen, in points, until the slider moves.
pub const THUMBNAIL: f32 = 128.0;
/// Longer side of a decoded thumbnail, in pixels (sharp on 2x screens at the default size).
pub const THUMBNAIL_PX: u32 = 256;
/// Space around a thumbnail inside its grid cell.
pub const CELL_MARGIN: f32 = 4.0;
/// Text on a status badge.
pub const BADGE_TEXT: Color32 = Color32::WHITE;
/// Side of a reference thumbnail in the editor.
pub const REFERENCE_THUMB: f32 = 56.0;
/// A passed stage of the layer diagram.
pub const STAGE_PASSED: Color32 = Color32::from_rgb(0x2e, 0x6b, 0x47);
/// Text on a coloured stage.
pub const STAGE_TEXT: Color32 = Color32::WHITE;
/// The image filter's layer (Layer 2): preflight marks and "likely blocked".
pub const IMAGE_FILTER: Color32 = Color32::from_rgb(0x8e, 0x44, 0xad);
/// Google's policy layer: prohibited content, "blocked by policy".
pub const POLICY: Color32 = STOPPED;
/// Colours of the outcome classes in the activity plot.
pub const OUTCOME_COLOURS: [Color32; 5] =
    [DELIVERED, WAITING, IMAGE_FILTER, STOPPED, Color32::GRAY];
/// Width of the prompt library's list and save dialog.
pub const LIBRARY_WIDTH: f32 = 560.0;
/// Tallest the prompt library's list grows before it scrolls.
pub const LIBRARY_LIST_HEIGHT: f32 = 380.0;
/// Room kept at the end of a saved entry's row for its Delete button.
pub const LIBRARY_DELETE_WIDTH: f32 = 150.0;
/// A star that is on (a starred job), gold.
pub const STAR_ON: Color32 = Color32::from_rgb(0xf5, 0xc5, 0x18);
/// A star that is off, on the dark backing over a thumbnail.
pub const STAR_OFF: Color32 = Color32::from_rgb(0xe8, 0xe8, 0xe8);
/// The backing under a star over a thumbnail (dark, half see-through).
pub const STAR_BACKING: Color32 = Color32::from_rgba_premultiplied(0, 0, 0, 140);
/// Width of the boards sidebar beside the gallery, until dragged.
pub const BOARDS_WIDTH: f32 = 170.0;
