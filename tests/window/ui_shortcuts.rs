//! Ctrl versus Cmd (egui_kittest, no GPU, the test playing the worker): on a Mac the window says
//! "Cmd+Enter" and the Mac's command key (Cmd, which egui reports as `mac_cmd` and `command`)
//! generates; on Windows and Linux it says "Ctrl+Enter" and Ctrl generates.

use egui::os::OperatingSystem;
use egui_kittest::kittest::Queryable as _;

use crate::window_rig::Rig;

/// Generates by the keyboard with `modifiers` held, as the platform reports its command key.
fn generates_with(rig: &mut Rig, modifiers: egui::Modifiers) -> String {
    rig.harness.get_by_label("Prompt").type_text("a lighthouse");
    rig.harness.run();
    rig.harness.key_press_modifiers(modifiers, egui::Key::Enter);
    rig.harness.run();
    rig.generated().prompt
}

#[test]
fn a_mac_says_cmd_enter_and_cmd_generates() {
    let mut rig = Rig::playing_media();
    rig.harness.ctx.set_os(OperatingSystem::Mac);
    rig.harness.run();
    rig.harness
        .get_by_label("No images yet. Write a prompt and press Generate (or Cmd+Enter).");
    let cmd = egui::Modifiers {
        mac_cmd: true,
        command: true,
        ..egui::Modifiers::NONE
    };
    assert!(generates_with(&mut rig, cmd).starts_with("a lighthouse"));
}

#[test]
fn windows_and_linux_say_ctrl_enter_and_ctrl_generates() {
    for os in [OperatingSystem::Windows, OperatingSystem::Nix] {
        let mut rig = Rig::playing_media();
        rig.harness.ctx.set_os(os);
        rig.harness.run();
        rig.harness
            .get_by_label("No images yet. Write a prompt and press Generate (or Ctrl+Enter).");
        let ctrl = egui::Modifiers {
            ctrl: true,
            command: true,
            ..egui::Modifiers::NONE
        };
        assert!(
            generates_with(&mut rig, ctrl).starts_with("a lighthouse"),
            "{os:?}"
        );
    }
}
