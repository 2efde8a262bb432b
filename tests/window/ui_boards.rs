//! Stars and boards, the whole app on the simulator (real worker, media service and store): star
//! a job by its star and another with S, make a board, drag a tile and then two picked tiles onto
//! it, show only the starred jobs and then only the board's, and delete the unstarred of the
//! board's view: the dialog counts them first, their images end in the trash folder, and the
//! starred ones stay. The window with the board chosen is rendered (wgpu on Mesa lavapipe);
//! `PEEL_WRITE_DOCS=1 cargo test --test window ui_boards` writes it to `docs/boards.png`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::Modifiers;
use egui_kittest::kittest::Queryable as _;
use peel::job::JobState;
use peel::sim::{Scenario, SimConfig};

use crate::app_rig::AppRig;

/// The prompts, job 1 to 4.
const PROMPTS: [&str; 4] = [
    "a red fox at dawn",
    "a grey wolf in the snow",
    "a red barn in a field",
    "an owl on a branch",
];

/// The centre of the node labelled `label` (exactly).
fn centre_of(rig: &AppRig, label: &str) -> egui::Pos2 {
    rig.harness.get_by_label(label).rect().center()
}

/// The node whose label contains `part` (exactly one).
fn centre_of_part(rig: &AppRig, part: &str) -> egui::Pos2 {
    rig.harness.get_by_label_contains(part).rect().center()
}

/// Drags with the mouse from `from` to `to` and lets go, a few frames per move, as a hand does.
fn drag(rig: &mut AppRig, from: egui::Pos2, to: egui::Pos2) {
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    rig.harness.event(egui::Event::PointerMoved(from));
    rig.harness.run_steps(1);
    rig.harness.event(button(from, true));
    rig.harness.run_steps(1);
    for step in 1..=6 {
        let at = from + (to - from) * (step as f32 / 6.0);
        rig.harness.event(egui::Event::PointerMoved(at));
        rig.harness.run_steps(1);
    }
    rig.harness.event(button(to, false));
    rig.harness.run_steps(2);
}

/// Steps frames until `done` holds for the store (the worker writes on its own threads).
fn wait_until(rig: &mut AppRig, what: &str, done: impl Fn(&AppRig) -> bool) {
    let deadline = Instant::now() + Duration::from_mins(1);
    while !done(rig) {
        assert!(
            Instant::now() < deadline,
            "{what} never happened; the notice says {:?}; dialog still open: {}",
            rig.harness.state().state().notice,
            rig.harness
                .query_by_label_contains("to the trash")
                .is_some()
        );
        rig.harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The image file of job `id`.
fn image_of(rig: &AppRig, id: i64) -> PathBuf {
    let (path, _) = rig
        .store
        .image_of(id)
        .expect("the store answers")
        .expect("the job delivered");
    PathBuf::from(path)
}

/// Whether job `id` shows in the gallery (its title).
fn shown(rig: &AppRig, id: i64) -> bool {
    let prompt = usize::try_from(id - 1).map_or("", |at| PROMPTS[at]);
    let title = format!("Job {id}: {prompt}");
    rig.harness.query_by_label(&title).is_some()
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one story: star, board, drag, filter, delete the unstarred"
)]
fn stars_boards_drag_filters_and_deleting_the_unstarred_to_the_trash() {
    let mut rig = AppRig::open_with(
        SimConfig {
            scenario: Scenario::Calm,
            seed: 22,
            generation_latency: false,
            ..SimConfig::default()
        },
        22,
        true,
    );
    for (n, prompt) in PROMPTS.iter().enumerate() {
        rig.generate(prompt);
        rig.wait_for(&format!("Image of job {}: {prompt}", n + 1));
    }
    // The sidebar is hidden at first; "Boards" shows it.
    assert!(rig.harness.query_by_label_contains("All (").is_none());
    rig.harness.get_by_label("Boards").click();
    rig.wait_for("All (4)");

    // Star job 1 with its star, job 2 with S.
    rig.harness.get_by_label("Star job 1").click();
    rig.wait_for("Unstar job 1");
    rig.harness
        .get_by_label(&format!("Job 2: {}", PROMPTS[1]))
        .click();
    rig.harness.run_steps(2);
    rig.harness.key_press(egui::Key::S);
    rig.wait_for("Unstar job 2");
    rig.wait_for("Starred (2)");
    assert!(rig.store.job(2).unwrap().unwrap().starred);
    assert!(!rig.store.job(3).unwrap().unwrap().starred);

    // A new board.
    rig.harness.get_by_label("New board…").click();
    rig.wait_for("Board name");
    rig.harness.run_steps(1);
    rig.harness.get_by_label("Board name").click();
    rig.harness.run_steps(1);
    rig.harness
        .get_by_label("Board name")
        .type_text("Client picks");
    rig.harness.run_steps(1);
    rig.harness.get_by_label("Create board").click();
    rig.wait_for("Client picks (0)");

    // Drag job 3's tile onto it, then the picked jobs 1 and 4 (dragged by job 1's tile).
    let barn = centre_of_part(&rig, "Image of job 3:");
    let board = centre_of(&rig, "Client picks (0)");
    drag(&mut rig, barn, board);
    rig.wait_for("Client picks (1)");
    assert_eq!(rig.store.job(3).unwrap().unwrap().boards, ["Client picks"]);
    rig.harness
        .get_by_label(&format!("Job 1: {}", PROMPTS[0]))
        .click();
    rig.harness.run_steps(2);
    rig.harness
        .get_by_label(&format!("Job 4: {}", PROMPTS[3]))
        .click_modifiers(Modifiers::COMMAND);
    rig.harness.run_steps(2);
    rig.harness.get_by_label("2 selected");
    let fox = centre_of_part(&rig, "Image of job 1:");
    let board = centre_of(&rig, "Client picks (1)");
    drag(&mut rig, fox, board);
    rig.wait_for("Client picks (3)");
    for id in [1, 4] {
        assert_eq!(rig.store.job(id).unwrap().unwrap().boards, ["Client picks"]);
    }
    assert!(rig.store.job(2).unwrap().unwrap().boards.is_empty());
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.run_steps(2);

    // Only the starred, then only the board's.
    rig.harness.get_by_label("Starred (2)").click();
    rig.harness.run_steps(3);
    assert!(shown(&rig, 1) && shown(&rig, 2));
    assert!(!shown(&rig, 3) && !shown(&rig, 4));
    rig.harness.get_by_label("Client picks (3)").click();
    rig.harness.run_steps(3);
    assert!(shown(&rig, 1) && shown(&rig, 3) && shown(&rig, 4));
    assert!(!shown(&rig, 2));
    rig.wait_for("Image of job 4:");
    rig.wait_for("Image of job 3:");
    rig.wait_for("Image of job 1:");
    rig.harness.run_steps(3);
    write_picture(&mut rig, Path::new("docs/boards.png"));

    // Delete the unstarred of this view: the count first, then the trash; starred ones stay.
    let files: Vec<PathBuf> = (1..=4).map(|id| image_of(&rig, id)).collect();
    rig.harness
        .get_by_label("Delete the unstarred in this view…")
        .click();
    rig.wait_for("2 unstarred job(s) in this view will be deleted");
    // The dialog grew with the count: let it settle where it is drawn before clicking.
    rig.harness.run_steps(3);
    rig.harness
        .get_by_label_contains("This view: board \"Client picks\"");
    rig.harness.get_by_label("Move 2 to the trash").click();
    wait_until(&mut rig, "deleting jobs 3 and 4", |rig| {
        [3, 4]
            .iter()
            .all(|&id| rig.store.job(id).unwrap().unwrap().state == JobState::Deleted)
    });
    rig.wait_for("Moved 2 jobs to the system trash");
    let trash = rig.dir.path().join("trash");
    for (id, file) in (1..=4).zip(&files) {
        let in_trash = trash.join(file.file_name().unwrap());
        if id >= 3 {
            assert!(!file.exists(), "job {id}'s image left its folder");
            assert!(in_trash.exists(), "job {id}'s image is in the trash");
        } else {
            assert!(file.exists(), "starred job {id}'s image stays");
            assert!(!in_trash.exists());
        }
    }
    for id in [1, 2] {
        assert_ne!(rig.store.job(id).unwrap().unwrap().state, JobState::Deleted);
    }
    rig.wait_for("Client picks (1)");
    assert!(shown(&rig, 1) && !shown(&rig, 3) && !shown(&rig, 4));

    // Hidden again, the sidebar's button names the board still filtering the gallery.
    rig.harness.get_by_label("Boards").click();
    rig.wait_for("Boards: Client picks");
    assert!(rig.harness.query_by_label_contains("All (").is_none());
    assert!(shown(&rig, 1) && !shown(&rig, 2));
}

/// Renders the window and writes it as a PNG: at `path` (relative to the crate) when
/// `PEEL_WRITE_DOCS=1` (the README's picture, retaken on purpose), else in the test's data folder
/// (so an ordinary run checks the window renders without touching the repository).
fn write_picture(rig: &mut AppRig, path: &Path) {
    let picture = rig.harness.render().expect("the window renders with wgpu");
    let path = if std::env::var_os("PEEL_WRITE_DOCS").is_some_and(|v| v == "1") {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
    } else {
        rig.dir.path().join("boards.png")
    };
    picture.save(&path).expect("the picture is written");
    assert!(
        picture.width() >= 1280,
        "the whole window: {}",
        picture.width()
    );
}
