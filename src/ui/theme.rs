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
