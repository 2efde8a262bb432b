//! The boards sidebar beside the gallery ("Boards" in the gallery's bar shows or hides it; hidden
//! at first): "All", "Starred" and each board, each with its count over the whole history. A click shows only those jobs (the choice joins the gallery's search
//! and filters, which the worker runs in SQL over the whole history). "New board…" makes a board;
//! the chosen board can be renamed or deleted (its jobs stay). Dragging a tile, a list row or the
//! picked jobs onto a board puts them on it (onto "Starred": stars them).
//!
//! At the bottom, "Delete the unstarred in this view…" asks the worker how many jobs of the view
//! are unstarred (the whole filtered history, not just what is loaded; jobs still running are
//! left alone), shows that count and that the files go to the system trash, and only then
//! deletes them.

use jiff::Timestamp;

use super::gallery_filter::GalleryState;
use super::{Intent, UiState, theme};
use crate::view::boards::same_board;
use crate::view::state::AppState;
use crate::worker::protocol::{BoardChange, JobSearch};
use crate::worker::{Command, JobId};

/// What is dragged from the gallery onto a board: the jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraggedJobs(pub Vec<JobId>);

/// The sidebar's own state: the fields being typed in and the dialogs open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoardsUiState {
    /// The name typed for a new board (the field shows while this is set).
    pub new_board: Option<String>,
    /// The new name typed for the chosen board (the field shows while this is set).
    pub rename: Option<String>,
    /// A rename asked of the worker (from, to): the gallery follows the board to its new name
    /// once the counts name it.
    pub renaming: Option<(String, String)>,
    /// The board whose deletion waits for confirmation.
    pub confirm_delete: Option<String>,
    /// The "Delete the unstarred in this view" dialog, when open: the view's search.
    pub delete_unstarred: Option<JobSearch>,
    /// The counts were asked for since the sidebar opened (each change brings fresh ones).
    pub counts_asked: bool,
}

impl BoardsUiState {
    /// Whether one of the sidebar's dialogs is open (the gallery's keys wait).
    pub fn dialog_open(&self) -> bool {
        self.confirm_delete.is_some() || self.delete_unstarred.is_some()
    }
}

/// What the sidebar shows the gallery: every job, the starred ones, or one board's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Collection {
    /// Every job.
    All,
    /// The starred jobs.
    Starred,
    /// The jobs on this board.
    Board(String),
}

impl Collection {
    /// The collection the gallery's filters show.
    pub fn of(gallery: &GalleryState) -> Collection {
        match (&gallery.board, gallery.starred_only) {
            (Some(board), _) => Collection::Board(board.clone()),
            (None, true) => Collection::Starred,
            (None, false) => Collection::All,
        }
    }

    /// Shows this collection in the gallery (the other filters stay).
    pub fn show_in(self, gallery: &mut GalleryState) {
        (gallery.starred_only, gallery.board) = match self {
            Collection::All => (false, None),
            Collection::Starred => (true, None),
            Collection::Board(board) => (false, Some(board)),
        };
    }
}

/// The jobs a drag from `job` carries: the picked ones when `job` is one of several picked,
/// else `job` alone.
pub fn dragged_from(job: JobId, ui_state: &UiState) -> DraggedJobs {
    let selection = &ui_state.gallery.selection;
    if selection.is_many() && selection.ids.contains(&job) {
        DraggedJobs(selection.ids.iter().copied().collect())
    } else {
        DraggedJobs(vec![job])
    }
}

/// Makes `response` (a tile's thumbnail or a list row) a drag source for the jobs it carries.
pub fn drag_source(response: &egui::Response, job: JobId, ui_state: &UiState) {
    if response.drag_started() {
        response.dnd_set_drag_payload(dragged_from(job, ui_state));
    }
}

/// "Boards" in the gallery's bar: shows or hides the sidebar. While it is hidden and shows a
/// collection other than "All", the button names it ("Boards: Client picks"), so a filter never
/// hides jobs unseen.
pub fn boards_toggle_ui(ui: &mut egui::Ui, gallery: &mut GalleryState) {
    let text = match (gallery.boards_open, Collection::of(gallery)) {
        (false, Collection::Starred) => "Boards: Starred".to_owned(),
        (false, Collection::Board(board)) => format!("Boards: {board}"),
        _ => "Boards".to_owned(),
    };
    ui.toggle_value(&mut gallery.boards_open, text)
        .on_hover_text("Show or hide the boards: All, Starred and your own collections of jobs");
}

/// The sidebar, as a panel on the left of the gallery's area, when it is open (the dialogs it
/// opened show either way).
pub fn boards_panel_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    follow_renamed_board(state, ui_state);
    confirm_delete_board_ui(ui.ctx(), state, ui_state, intents);
    delete_unstarred_ui(ui.ctx(), state, ui_state, intents);
    if !ui_state.gallery.boards_open || state.jobs.is_empty() {
        ui_state.boards.counts_asked = false;
        return;
    }
    if !ui_state.boards.counts_asked {
        intents.push(Intent::Worker(Command::CountBoards));
        ui_state.boards.counts_asked = true;
    }
    egui::Panel::left("boards")
        .default_size(theme::BOARDS_WIDTH)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("boards_list")
                .auto_shrink([false, true])
                .show(ui, |ui| boards_list_ui(ui, state, ui_state, intents));
            ui.separator();
            delete_unstarred_button_ui(ui, state, ui_state, intents);
        });
    drag_preview_ui(ui.ctx());
}

/// After a rename, the gallery follows the board to its new name once the counts name it; a
/// board that is gone (deleted here or by `peel board`) gives way to "All".
fn follow_renamed_board(state: &AppState, ui_state: &mut UiState) {
    let Some(board) = ui_state.gallery.board.clone() else {
        return;
    };
    let counts = &state.boards.counts;
    if counts.boards.iter().any(|b| same_board(&b.name, &board)) {
        return;
    }
    let renamed = ui_state.boards.renaming.take().filter(|(from, to)| {
        same_board(from, &board) && counts.boards.iter().any(|b| same_board(&b.name, to))
    });
    let next = renamed.map_or(Collection::All, |(_, to)| Collection::Board(to));
    next.show_in(&mut ui_state.gallery);
}

/// "All", "Starred", each board, and the board controls.
fn boards_list_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let counts = &state.boards.counts;
    let chosen = Collection::of(&ui_state.gallery);
    let all = ui
        .selectable_label(
            chosen == Collection::All,
            format!("All ({})", state.jobs_in_history()),
        )
        .on_hover_text("Every job in the history");
    if all.clicked() {
        Collection::All.show_in(&mut ui_state.gallery);
    }
    let starred = ui
        .selectable_label(
            chosen == Collection::Starred,
            format!("Starred ({})", counts.starred),
        )
        .on_hover_text(
            "The jobs you starred (S, or the star on a tile). Drop jobs here to star them",
        );
    if starred.clicked() {
        Collection::Starred.show_in(&mut ui_state.gallery);
    }
    if let Some(DraggedJobs(jobs)) = dropped_on(ui, &starred) {
        intents.push(Intent::Worker(Command::ChangeBoards(BoardChange::Star {
            jobs,
            starred: true,
        })));
    }
    for board in &counts.boards {
        let is_chosen = matches!(&chosen, Collection::Board(name) if same_board(name, &board.name));
        let row = ui
            .selectable_label(is_chosen, format!("{} ({})", board.name, board.jobs))
            .on_hover_text(format!(
                "Show only the jobs on \"{}\". Drag tiles here to add them",
                board.name
            ));
        if row.clicked() {
            Collection::Board(board.name.clone()).show_in(&mut ui_state.gallery);
        }
        if let Some(DraggedJobs(jobs)) = dropped_on(ui, &row) {
            intents.push(Intent::Worker(Command::ChangeBoards(BoardChange::Add {
                board: board.name.clone(),
                jobs,
            })));
        }
    }
    ui.add_space(4.0);
    new_board_ui(ui, ui_state, intents);
    if let Collection::Board(board) = Collection::of(&ui_state.gallery) {
        chosen_board_ui(ui, &board, ui_state, intents);
    }
}

/// What was dropped on `target` this frame, if anything; while jobs are held over it, it is
/// outlined.
fn dropped_on(ui: &egui::Ui, target: &egui::Response) -> Option<DraggedJobs> {
    if target.dnd_hover_payload::<DraggedJobs>().is_some() {
        let stroke = ui.visuals().selection.stroke;
        ui.painter()
            .rect_stroke(target.rect, 3.0, stroke, egui::StrokeKind::Inside);
    }
    target
        .dnd_release_payload::<DraggedJobs>()
        .map(|payload| (*payload).clone())
}

/// While jobs are dragged, how many, beside the pointer.
fn drag_preview_ui(ctx: &egui::Context) {
    let Some(payload) = egui::DragAndDrop::payload::<DraggedJobs>(ctx) else {
        return;
    };
    let Some(hand) = ctx.pointer_latest_pos() else {
        return;
    };
    let text = match payload.0.len() {
        1 => format!("Job {}", payload.0[0]),
        n => format!("{n} jobs"),
    };
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Tooltip,
        egui::Id::unique("dragged_jobs"),
    ));
    let galley = painter.layout_no_wrap(text, egui::FontId::proportional(13.0), theme::BADGE_TEXT);
    let at = hand + egui::vec2(14.0, 10.0);
    let backing = egui::Rect::from_min_size(at, galley.size() + egui::vec2(10.0, 6.0));
    painter.rect_filled(backing, 4.0, ctx.global_style().visuals.selection.bg_fill);
    painter.galley(at + egui::vec2(5.0, 3.0), galley, theme::BADGE_TEXT);
}

/// "New board…", then a name field with "Create board" and "Cancel".
fn new_board_ui(ui: &mut egui::Ui, ui_state: &mut UiState, intents: &mut Vec<Intent>) {
    let boards = &mut ui_state.boards;
    let Some(name) = &mut boards.new_board else {
        if ui
            .button("New board…")
            .on_hover_text("Make a board: a named collection of jobs (a job may be on several)")
            .clicked()
        {
            boards.new_board = Some(String::new());
        }
        return;
    };
    let label = ui.label("Board name");
    let field = ui
        .add(
            egui::TextEdit::singleline(name)
                .hint_text("e.g. Client picks")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    let entered = field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
    let mut done = false;
    ui.horizontal(|ui| {
        if ui.button("Create board").clicked() || entered {
            intents.push(Intent::Worker(Command::ChangeBoards(BoardChange::Create {
                name: name.clone(),
            })));
            done = true;
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    if done {
        boards.new_board = None;
    }
}

/// For the chosen board: "Rename board…" (then a name field) and "Delete board…".
fn chosen_board_ui(
    ui: &mut egui::Ui,
    board: &str,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let boards = &mut ui_state.boards;
    if let Some(name) = &mut boards.rename {
        let label = ui.label("New board name");
        let field = ui
            .add(egui::TextEdit::singleline(name).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        let entered = field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        let mut done = false;
        ui.horizontal(|ui| {
            if ui.button("Rename").clicked() || entered {
                let to = name.trim().to_owned();
                intents.push(Intent::Worker(Command::ChangeBoards(BoardChange::Rename {
                    from: board.to_owned(),
                    to: to.clone(),
                })));
                boards.renaming = Some((board.to_owned(), to));
                done = true;
            }
            if ui.button("Cancel").clicked() {
                done = true;
            }
        });
        if done {
            boards.rename = None;
        }
        return;
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Rename board…")
            .on_hover_text(format!("Give \"{board}\" another name"))
            .clicked()
        {
            boards.rename = Some(board.to_owned());
        }
        if ui
            .button("Delete board…")
            .on_hover_text(format!(
                "Delete the board \"{board}\"; its jobs stay in the history"
            ))
            .clicked()
        {
            boards.confirm_delete = Some(board.to_owned());
        }
    });
}

/// "Delete board "X"?": its jobs stay.
fn confirm_delete_board_ui(
    ctx: &egui::Context,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let Some(board) = ui_state.boards.confirm_delete.clone() else {
        return;
    };
    let jobs = state
        .boards
        .counts
        .boards
        .iter()
        .find(|b| same_board(&b.name, &board))
        .map_or(0, |b| b.jobs);
    let mut close = false;
    egui::Modal::new(egui::Id::unique("confirm_delete_board")).show(ctx, |ui| {
        ui.heading(format!("Delete board \"{board}\"?"));
        ui.label(format!(
            "Its {jobs} job(s) stay in the history and on their other boards; only the board goes."
        ));
        ui.horizontal(|ui| {
            if ui.button("Delete board").clicked() {
                intents.push(Intent::Worker(Command::ChangeBoards(BoardChange::Delete {
                    name: board.clone(),
                })));
                if matches!(Collection::of(&ui_state.gallery), Collection::Board(b) if same_board(&b, &board))
                {
                    Collection::All.show_in(&mut ui_state.gallery);
                }
                close = true;
            }
            if ui.button("Keep board").clicked() {
                close = true;
            }
        });
    });
    if close {
        ui_state.boards.confirm_delete = None;
    }
}

/// "Delete the unstarred in this view…": asks the worker to count them, and opens the dialog.
fn delete_unstarred_button_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let button = ui
        .add_enabled(
            !state.jobs.is_empty(),
            egui::Button::new("Delete the unstarred in this view…").wrap(),
        )
        .on_hover_text(
            "Count the jobs of this view (board, search and filters, over the whole history) that are not starred, then ask before moving their files to the system trash",
        );
    if button.clicked() {
        let search = ui_state.gallery.job_search(Timestamp::now());
        intents.push(Intent::Worker(Command::FindUnstarred(search.clone())));
        ui_state.boards.delete_unstarred = Some(search);
    }
}

/// The view in words, for the dialog: "board "Picks", prompts with "fox"".
pub fn describe_view(search: &JobSearch) -> String {
    let mut parts = Vec::new();
    if let Some(board) = &search.board {
        parts.push(format!("board \"{board}\""));
    }
    if search.starred_only {
        parts.push("starred".to_owned());
    }
    if let Some(text) = &search.text {
        parts.push(format!("prompts with \"{text}\""));
    }
    if let Some(outcome) = search.outcome {
        parts.push(outcome.name().to_lowercase());
    }
    if let Some(model) = &search.model {
        parts.push(format!("made with {model}"));
    }
    if search.until.is_some() {
        parts.push("queued between the chosen dates".to_owned());
    } else if search.since.is_some() {
        parts.push("recent (the date filter)".to_owned());
    }
    if parts.is_empty() {
        "every job in the history".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The confirmation: the count over the whole filtered history (once the worker answered), that
/// the files go to the system trash, then "Move N to the trash" or "Keep them".
fn delete_unstarred_ui(
    ctx: &egui::Context,
    state: &AppState,
    ui_state: &mut UiState,
    intents: &mut Vec<Intent>,
) {
    let Some(search) = ui_state.boards.delete_unstarred.clone() else {
        return;
    };
    let found = state.boards.unstarred_for(&search);
    let mut close = false;
    egui::Modal::new(egui::Id::unique("delete_unstarred")).show(ctx, |ui| {
        ui.heading("Delete the unstarred in this view?");
        ui.label(format!("This view: {}.", describe_view(&search)));
        match found {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Counting the unstarred jobs over the whole history…");
                });
            }
            Some([]) => {
                ui.label("Every job in this view is starred or still running: nothing to delete.");
            }
            Some(jobs) => {
                let n = jobs.len();
                ui.label(format!(
                    "{n} unstarred job(s) in this view will be deleted, loaded or not. Their image files go to the system trash, where you can restore them. Starred jobs and jobs still running are kept."
                ));
                if ui
                    .button(format!("Move {n} to the trash"))
                    .on_hover_text("Delete these jobs; their images go to the system trash")
                    .clicked()
                {
                    intents.push(Intent::Worker(Command::TrashUnstarred(jobs.to_vec())));
                    close = true;
                }
            }
        }
        if ui.button("Keep them").clicked() {
            close = true;
        }
    });
    if close {
        ui_state.boards.delete_unstarred = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::job_view::JobView;
    use crate::worker::{Event, JobSpec};

    fn job(id: JobId) -> JobView {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: id,
            spec: JobSpec::default(),
        });
        state.jobs.remove(0)
    }

    #[test]
    fn the_sidebars_choice_filters_the_gallery_and_its_search() {
        let now = Timestamp::now();
        let mut gallery = GalleryState::default();
        let mut fox = job(1);
        assert_eq!(Collection::of(&gallery), Collection::All);
        Collection::Starred.show_in(&mut gallery);
        assert!(gallery.is_filtering());
        assert!(!gallery.matches(&fox, now));
        fox.starred = true;
        assert!(gallery.matches(&fox, now));
        assert!(gallery.job_search(now).starred_only);
        Collection::Board("Picks".to_owned()).show_in(&mut gallery);
        assert!(!gallery.matches(&fox, now), "not on the board");
        fox.boards.push("picks".to_owned());
        assert!(gallery.matches(&fox, now), "board names ignore case");
        let search = gallery.job_search(now);
        assert_eq!(
            (search.board.as_deref(), search.starred_only),
            (Some("Picks"), false)
        );
        assert_eq!(describe_view(&search), "board \"Picks\"");
        assert_eq!(
            describe_view(&JobSearch::default()),
            "every job in the history"
        );
    }

    #[test]
    fn choosing_a_collection_asks_the_worker_for_its_first_page() {
        let mut gallery = GalleryState::default();
        let now = Timestamp::now();
        gallery.filters_changed(now);
        Collection::Board("Picks".to_owned()).show_in(&mut gallery);
        let change = gallery.filters_changed(now);
        assert!(change.any && change.beyond_text);
        let state = AppState::default();
        let Some(Command::LoadHistory(page)) =
            super::super::gallery_filter::next_page(&state, &mut gallery, now)
        else {
            panic!("a board asks the worker");
        };
        assert_eq!(
            (page.board.as_deref(), page.before_id),
            (Some("Picks"), None)
        );
    }

    #[test]
    fn a_drag_carries_the_picked_jobs_when_it_starts_on_one_of_them() {
        let mut ui_state = UiState::default();
        assert_eq!(dragged_from(4, &ui_state), DraggedJobs(vec![4]));
        ui_state.gallery.selection.ids = [2, 4, 6].into_iter().collect();
        assert_eq!(dragged_from(4, &ui_state), DraggedJobs(vec![2, 4, 6]));
        assert_eq!(dragged_from(5, &ui_state), DraggedJobs(vec![5]));
    }

    #[test]
    fn a_renamed_board_is_followed_and_a_gone_one_gives_way_to_all() {
        use crate::worker::protocol::{Board, BoardCounts};
        let mut state = AppState::default();
        let mut ui_state = UiState::default();
        let counts = |names: &[&str]| BoardCounts {
            boards: names
                .iter()
                .map(|name| Board {
                    name: (*name).to_owned(),
                    jobs: 1,
                })
                .collect(),
            ..BoardCounts::default()
        };
        state.boards.counts = counts(&["Picks"]);
        Collection::Board("Picks".to_owned()).show_in(&mut ui_state.gallery);
        ui_state.boards.renaming = Some(("Picks".to_owned(), "Final".to_owned()));
        follow_renamed_board(&state, &mut ui_state);
        assert_eq!(ui_state.gallery.board.as_deref(), Some("Picks"), "not yet");
        state.boards.counts = counts(&["Final"]);
        follow_renamed_board(&state, &mut ui_state);
        assert_eq!(ui_state.gallery.board.as_deref(), Some("Final"));
        state.boards.counts = counts(&[]);
        follow_renamed_board(&state, &mut ui_state);
        assert_eq!(Collection::of(&ui_state.gallery), Collection::All);
    }
}
