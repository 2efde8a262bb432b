//! Compare: two to four jobs side by side in one window, the first one the reference. Zooming
//! (the wheel, pinch, "Zoom in", "Zoom out") and panning (dragging) any image moves every image
//! the same way: the columns share one visible part of the scene, in which each picture is laid
//! out at the same width. Under each image: how the job stands (passed, blocked by which layer,
//! failed, or waiting and for how long), its prompt with the words that differ from the first
//! highlighted as in the rewrite view, then model, size and cost. Escape or "Close compare"
//! leaves.
//!
//! Opened from the gallery's selection bar ("Compare" with two to four picked) or by "Try these
//! rewrites" (`try_rewrites`), whose columns fill in as the jobs are queued and finish. The images
//! are decoded by the media service off the UI thread, at the screen's size.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{FullImage, Intent, Textures, UiState, theme};
use crate::view::compare::{Column, CompareSet, Outcome};
use crate::view::media::{FULL_IMAGE_MAX_SIDE_PX, MediaRequest};
use crate::view::state::AppState;
use crate::worker::JobId;

/// The width every picture is laid out at in the shared scene (its height follows its shape), so
/// one visible part of the scene shows the same part of each picture.
pub const SCENE_WIDTH: f32 = 1000.0;

/// How far the scene may zoom, relative to a picture laid out at [`SCENE_WIDTH`].
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.02..=64.0;

/// One press of "Zoom in" or "Zoom out".
pub const ZOOM_STEP: f32 = 1.5;

/// Share of the window's height the images take; the prompts and details scroll below.
const IMAGE_SHARE: f32 = 0.6;

/// Compare's state in the window: the comparison open and the "Try these rewrites" confirmation.
#[derive(Clone, Debug, Default)]
pub struct CompareUi {
    /// The comparison shown, when open.
    pub open: Option<CompareView>,
    /// "Try these rewrites": the confirmation waiting for the designer's answer.
    pub confirm: Option<super::try_rewrites::TryRewrites>,
}

/// An open comparison: the jobs, and the part of the shared scene every column shows.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareView {
    /// The jobs compared.
    pub set: CompareSet,
    /// The visible part of the scene (zoom and pan), shared by every column.
    pub scene_rect: egui::Rect,
    /// Whether the scene follows the pictures' fit (until the designer zooms or pans).
    pub fitted: bool,
    /// The part of the scene each column drew in the last frame, left to right (`None` for a
    /// column without an image).
    pub drawn: Vec<Option<egui::Rect>>,
}

impl CompareView {
    /// A comparison of `set`, fitted.
    pub fn new(set: CompareSet) -> Self {
        Self {
            set,
            scene_rect: fit_rect(&[]),
            fitted: true,
            drawn: Vec::new(),
        }
    }
}

/// The comparison's images, decoded at the screen's size (apart from the large view's).
#[derive(Default)]
pub struct CompareTextures {
    /// The images by file.
    images: HashMap<PathBuf, FullImage>,
    /// Images asked of the media service and not yet back (kept when Compare closes, so a late
    /// one is recognised and dropped).
    asked: HashSet<PathBuf>,
    /// Whether a comparison is open.
    open: bool,
}

impl std::fmt::Debug for CompareTextures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompareTextures")
            .field("images", &self.images.len())
            .field("asked", &self.asked.len())
            .field("open", &self.open)
            .finish()
    }
}

impl CompareTextures {
    /// Takes a decoded image if Compare asked for it (kept only while Compare is open); returns
    /// whether it did, so the large view's image is not replaced by one it never asked for.
    pub fn arrived(&mut self, image: &FullImage) -> bool {
        if !self.asked.remove(&image.path) {
            return false;
        }
        if self.open {
            self.images.insert(image.path.clone(), image.clone());
        }
        true
    }

    /// The image of `path`, once decoded.
    pub fn get(&self, path: &Path) -> Option<&FullImage> {
        self.images.get(path)
    }

    /// How many images are on the GPU for Compare.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether no image is on the GPU for Compare.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Asks the media service for `path` once, at `max_side_px`.
    fn ask(&mut self, path: &Path, max_side_px: u32, intents: &mut Vec<Intent>) {
        if self.images.contains_key(path) || !self.asked.insert(path.to_path_buf()) {
            return;
        }
        intents.push(Intent::Media(MediaRequest::FullImage {
            path: path.to_path_buf(),
            max_side_px,
        }));
    }

    /// Frees every image (Compare closed).
    fn close(&mut self) {
        self.open = false;
        self.images.clear();
    }
}

/// The Compare button of the gallery's selection bar: enabled with two to four jobs picked, else
/// disabled with a hover text saying why.
pub fn compare_button_ui(ui: &mut egui::Ui, picked: &[JobId], compare: &mut CompareUi) {
    let set = CompareSet::of_jobs(picked.iter().copied());
    let hover = match &set {
        Ok(_) => format!(
            "Show the {} picked images side by side, zoomed and panned together, each prompt against the oldest one's",
            picked.len()
        ),
        Err(error) => error.to_string(),
    };
    let button = ui.add_enabled(set.is_ok(), egui::Button::new("Compare"));
    let button = if set.is_ok() {
        button.on_hover_text(hover)
    } else {
        button.on_disabled_hover_text(hover)
    };
    if button.clicked()
        && let Ok(set) = set
    {
        compare.open = Some(CompareView::new(set));
    }
}

/// Escape closes Compare (taken before the gallery sees it, so the picked jobs stay picked).
pub fn escape_closes_compare(ui: &egui::Ui, ui_state: &mut UiState) {
    if ui_state.compare.open.is_none() || ui_state.compare.confirm.is_some() {
        return;
    }
    if ui.input_mut(|input| input.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
        ui_state.compare.open = None;
    }
}

/// Draws the "Try these rewrites" confirmation and the comparison, when open.
pub fn compare_ui(
    ctx: &egui::Context,
    state: &AppState,
    ui_state: &mut UiState,
    textures: &mut Textures,
    intents: &mut Vec<Intent>,
) {
    super::try_rewrites::confirm_ui(ctx, state, &mut ui_state.compare, intents);
    let Some(view) = &mut ui_state.compare.open else {
        textures.compare.close();
        return;
    };
    textures.compare.open = true;
    view.set.resolve(&state.jobs);
    let columns = view.set.columns(state, Timestamp::now());
    let max_side_px = screen_side_px(ctx);
    for path in columns.iter().filter_map(|column| column.image.as_deref()) {
        if !textures.unreadable.contains_key(path) {
            textures.compare.ask(path, max_side_px, intents);
        }
    }
    let sizes: Vec<[u32; 2]> = columns
        .iter()
        .filter_map(|column| column.image.as_deref())
        .filter_map(|path| textures.compare.get(path))
        .map(|image| image.original_size)
        .collect();
    let fit = fit_rect(&sizes);
    if view.fitted {
        view.scene_rect = fit;
    }
    if columns
        .iter()
        .any(|column| column.outcome == Outcome::Waiting)
    {
        // The columns' elapsed times tick.
        ctx.request_repaint_after(std::time::Duration::from_secs(1));
    }
    let mut open = true;
    let mut close = false;
    egui::Window::new(title(&view.set))
        .id(egui::Id::unique("compare_window"))
        .open(&mut open)
        .default_rect(ctx.content_rect().shrink(16.0))
        .collapsible(false)
        .resizable(true)
        .show(ctx, |ui| {
            close = controls_ui(ui, view, fit);
            ui.separator();
            columns_ui(ui, view, fit, &columns, textures);
        });
    if !open || close {
        ui_state.compare.open = None;
    }
}

/// "Compare 3 images", or "Compare job 4 with its rewrites".
fn title(set: &CompareSet) -> String {
    match set.exploration() {
        Some(exploration) => format!("Compare job {} with its rewrites", exploration.original),
        None => format!("Compare {} images", set.slots().len()),
    }
}

/// Zoom in, Zoom out, Fit and Close compare; returns whether Close was pressed.
fn controls_ui(ui: &mut egui::Ui, view: &mut CompareView, fit: egui::Rect) -> bool {
    let mut close = false;
    ui.horizontal_wrapped(|ui| {
        if ui.button("Zoom in").clicked() {
            view.scene_rect = zoomed(view.scene_rect, ZOOM_STEP);
            view.fitted = false;
        }
        if ui.button("Zoom out").clicked() {
            view.scene_rect = zoomed(view.scene_rect, 1.0 / ZOOM_STEP);
            view.fitted = false;
        }
        if ui.button("Fit").clicked() {
            view.scene_rect = fit;
            view.fitted = true;
        }
        if ui.button("Close compare").clicked() {
            close = true;
        }
        ui.weak("Scroll or pinch to zoom, drag to pan: every image follows.");
    });
    close
}

/// The columns side by side: each image in the shared scene, then the job's details.
fn columns_ui(
    ui: &mut egui::Ui,
    view: &mut CompareView,
    fit: egui::Rect,
    columns: &[Column],
    textures: &Textures,
) {
    let image_height = (ui.available_height() * IMAGE_SHARE).max(120.0);
    // A zoom or pan in one column is the next columns' view at once; the columns before it
    // catch up on the next frame.
    let mut shared = view.scene_rect;
    view.drawn = vec![None; columns.len()];
    ui.columns(columns.len().max(1), |uis| {
        for (index, (ui, column)) in uis.iter_mut().zip(columns).enumerate() {
            // Left-aligned, not justified: `columns` stretches wrapped text to both edges.
            let layout = egui::Layout::top_down(egui::Align::Min);
            let drawn = ui
                .push_id(("compare_column", index), |ui| {
                    ui.with_layout(layout, |ui| {
                        column_ui(ui, column, shared, fit, image_height, textures)
                    })
                    .inner
                })
                .inner;
            if let Some(rect) = drawn {
                view.drawn[index] = Some(rect);
                shared = rect;
            }
        }
    });
    if shared != view.scene_rect {
        view.scene_rect = shared;
        view.fitted = false;
        ui.ctx().request_repaint();
    }
}

/// One column: title, status, the image (drawn showing `shared` of the scene) or why there is
/// none, the zoom, then the details. Returns the part of the scene the image shows after this
/// frame's zoom or pan, when there is an image.
fn column_ui(
    ui: &mut egui::Ui,
    column: &Column,
    shared: egui::Rect,
    fit: egui::Rect,
    image_height: f32,
    textures: &Textures,
) -> Option<egui::Rect> {
    ui.label(egui::RichText::new(&column.title).strong());
    ui.colored_label(status_colour(column.outcome), &column.status);
    let size = egui::vec2(ui.available_width(), image_height);
    let image = column
        .image
        .as_deref()
        .and_then(|path| textures.compare.get(path));
    let shown = ui
        .allocate_ui(size, |ui| {
            ui.set_min_size(size);
            if let Some(image) = image {
                Some(scene_ui(ui, shared, image, column))
            } else {
                placeholder_ui(ui, column, textures);
                None
            }
        })
        .inner;
    if let Some((rect, outer)) = shown {
        ui.label(format!("Zoom {:.0} %", zoom_percent(outer, fit, rect)));
    } else {
        // The prompts line up across the columns.
        let line = ui.text_style_height(&egui::TextStyle::Body);
        ui.add_space(line + ui.spacing().item_spacing.y);
    }
    details_ui(ui, column);
    shown.map(|(rect, _)| rect)
}

/// One picture in the shared scene at [`SCENE_WIDTH`]; returns the visible part after the
/// designer's zoom or pan this frame, and the size of the area showing it.
fn scene_ui(
    ui: &mut egui::Ui,
    shared: egui::Rect,
    image: &FullImage,
    column: &Column,
) -> (egui::Rect, egui::Vec2) {
    let mut rect = shared;
    let outer = ui.available_size();
    egui::Scene::new()
        .zoom_range(ZOOM_RANGE)
        .scroll_zooms(true)
        .show(ui, &mut rect, |ui| {
            ui.add(
                egui::Image::new(&image.texture)
                    .fit_to_exact_size(laid_out(image.original_size))
                    .alt_text(format!("Compared image: {}", column.title)),
            );
        });
    (rect, outer)
}

/// What stands in a column without an image: a spinner while the job runs or the image loads,
/// else why there is none.
fn placeholder_ui(ui: &mut egui::Ui, column: &Column, textures: &Textures) {
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_min_size(ui.available_size());
            ui.centered_and_justified(|ui| {
                let unreadable = column
                    .image
                    .as_deref()
                    .and_then(|path| textures.unreadable.get(path));
                match (column.outcome, unreadable) {
                    (_, Some(reason)) => {
                        ui.colored_label(theme::STOPPED, format!("Image missing: {reason}"));
                    }
                    // Still running, or delivered and its image still loading.
                    (Outcome::Passed | Outcome::Waiting | Outcome::Unknown, None) => {
                        ui.add(egui::Spinner::new());
                    }
                    (Outcome::Blocked(_) | Outcome::Failed, None) => {
                        ui.weak("No image");
                    }
                }
            });
        });
}

/// The prompt against the reference's, then model, size and cost.
fn details_ui(ui: &mut egui::Ui, column: &Column) {
    egui::ScrollArea::vertical()
        .id_salt("compare_details")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            super::rewrite::pieces_ui(ui, &column.diff);
            match &column.changed {
                Some(changed) => {
                    ui.add(egui::Label::new(egui::RichText::new(changed).weak()).wrap())
                }
                None => ui.weak("The reference: the other prompts are compared with this one"),
            };
            ui.add_space(4.0);
            for line in [&column.model, &column.size, &column.cost] {
                if !line.is_empty() {
                    ui.add(egui::Label::new(line.as_str()).wrap());
                }
            }
        });
}

fn status_colour(outcome: Outcome) -> egui::Color32 {
    match outcome {
        Outcome::Passed => theme::DELIVERED,
        Outcome::Blocked(_) | Outcome::Failed => theme::STOPPED,
        Outcome::Waiting | Outcome::Unknown => theme::WAITING,
    }
}

/// The screen's longer side in pixels (the media service decodes the images at it).
fn screen_side_px(ctx: &egui::Context) -> u32 {
    let screen = ctx.content_rect().size() * ctx.pixels_per_point();
    #[expect(
        clippy::cast_sign_loss,
        reason = "a screen's size is positive; a NaN or negative one saturates to 0, then 1"
    )]
    let side = screen.max_elem().ceil() as u32;
    side.clamp(1, FULL_IMAGE_MAX_SIDE_PX)
}

/// A picture's size in the scene: [`SCENE_WIDTH`] wide, its height by its shape.
pub fn laid_out([width, height]: [u32; 2]) -> egui::Vec2 {
    let aspect = if width == 0 {
        1.0
    } else {
        height as f32 / width as f32
    };
    egui::vec2(SCENE_WIDTH, SCENE_WIDTH * aspect)
}

/// The part of the scene that shows every picture whole: as wide as they are laid out, as tall
/// as the tallest (a square before any has loaded).
pub fn fit_rect(sizes: &[[u32; 2]]) -> egui::Rect {
    let height = sizes
        .iter()
        .map(|size| laid_out(*size).y)
        .fold(0.0, f32::max);
    let height = if height > 0.0 { height } else { SCENE_WIDTH };
    egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(SCENE_WIDTH, height))
}

/// `rect` zoomed by `factor` about its centre (above 1 zooms in: less of the scene shows).
pub fn zoomed(rect: egui::Rect, factor: f32) -> egui::Rect {
    egui::Rect::from_center_size(rect.center(), rect.size() / factor)
}

/// How large `shown` draws the pictures in an area of size `outer`, as a percentage of how large
/// the fit draws them (100 % when fitted).
pub fn zoom_percent(outer: egui::Vec2, fit: egui::Rect, shown: egui::Rect) -> f32 {
    let scale = |rect: egui::Rect| (outer / rect.size()).min_elem();
    100.0 * scale(shown) / scale(fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_share_one_width_so_one_rect_shows_the_same_part_of_each() {
        assert_eq!(laid_out([1024, 1024]), egui::vec2(1000.0, 1000.0));
        assert_eq!(laid_out([2048, 1024]), egui::vec2(1000.0, 500.0));
        let fit = fit_rect(&[[2048, 1024], [768, 1024]]);
        assert_eq!(fit.size(), egui::vec2(1000.0, 1000.0 * 1024.0 / 768.0));
        assert_eq!(fit_rect(&[]).size(), egui::vec2(1000.0, 1000.0));
    }

    #[test]
    fn zooming_keeps_the_centre_and_the_percentage_follows() {
        let fit = fit_rect(&[[1024, 1024]]);
        let outer = egui::vec2(300.0, 200.0);
        assert!((zoom_percent(outer, fit, fit) - 100.0).abs() < 1e-3);
        let closer = zoomed(fit, ZOOM_STEP);
        assert_eq!(closer.center(), fit.center());
        assert!((zoom_percent(outer, fit, closer) - 150.0).abs() < 1e-3);
        let back = zoomed(closer, 1.0 / ZOOM_STEP);
        assert!((back.width() - fit.width()).abs() < 1e-3);
    }

    #[test]
    fn only_images_compare_asked_for_are_taken_and_only_while_open() {
        let ctx = egui::Context::default();
        let image = |name: &str| FullImage {
            path: name.into(),
            texture: ctx.load_texture(
                name,
                egui::ColorImage::new([2, 2], vec![egui::Color32::WHITE; 4]),
                egui::TextureOptions::LINEAR,
            ),
            original_size: [2, 2],
        };
        let mut textures = CompareTextures {
            open: true,
            ..CompareTextures::default()
        };
        let mut intents = Vec::new();
        textures.ask(Path::new("a.png"), 1400, &mut intents);
        textures.ask(Path::new("a.png"), 1400, &mut intents);
        assert_eq!(intents.len(), 1, "asked once");
        assert!(
            !textures.arrived(&image("viewer.png")),
            "the large view's own"
        );
        assert!(textures.arrived(&image("a.png")));
        assert!(textures.get(Path::new("a.png")).is_some());
        textures.ask(Path::new("b.png"), 1400, &mut intents);
        textures.close();
        assert!(textures.is_empty());
        assert!(textures.arrived(&image("b.png")), "late, but Compare's");
        assert!(textures.is_empty(), "dropped: Compare is closed");
    }
}
