//! The window's keyboard shortcuts and their names as each platform says them. egui's
//! [`egui::Modifiers::COMMAND`] is Cmd on macOS and Ctrl elsewhere (egui-winit sets `command`
//! from the platform's own key), so one shortcut serves both; its label comes from egui's
//! [`egui::ModifierNames::NAMES`] for the OS egui reports: "Cmd+Enter" on a Mac, "Ctrl+Enter"
//! on Windows and Linux.

use egui::{Key, KeyboardShortcut, ModifierNames, Modifiers, os::OperatingSystem};

/// Generates the prompt (the prompt field must have the keyboard focus).
pub const GENERATE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);

/// Undoes the preflight's last replacement.
pub const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);

/// Redoes what Undo took back.
pub const REDO: KeyboardShortcut = KeyboardShortcut::new(
    Modifiers {
        shift: true,
        ..Modifiers::COMMAND
    },
    Key::Z,
);

/// `shortcut` as people on `os` write it: "Cmd+Enter" on macOS, "Ctrl+Enter" elsewhere.
pub fn label_for(shortcut: KeyboardShortcut, os: OperatingSystem) -> String {
    shortcut.format(&ModifierNames::NAMES, os == OperatingSystem::Mac)
}

/// `shortcut` as people on the OS this window runs on write it.
pub fn label(ctx: &egui::Context, shortcut: KeyboardShortcut) -> String {
    label_for(shortcut, ctx.os())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_says_cmd_and_the_others_say_ctrl() {
        assert_eq!(label_for(GENERATE, OperatingSystem::Mac), "Cmd+Enter");
        assert_eq!(label_for(GENERATE, OperatingSystem::Windows), "Ctrl+Enter");
        assert_eq!(label_for(GENERATE, OperatingSystem::Nix), "Ctrl+Enter");
        assert_eq!(label_for(UNDO, OperatingSystem::Mac), "Cmd+Z");
        assert_eq!(label_for(UNDO, OperatingSystem::Windows), "Ctrl+Z");
        assert_eq!(label_for(REDO, OperatingSystem::Mac), "Shift+Cmd+Z");
        assert_eq!(label_for(REDO, OperatingSystem::Nix), "Ctrl+Shift+Z");
    }

    #[test]
    fn the_command_key_is_cmd_on_a_mac_and_ctrl_elsewhere() {
        // What egui-winit reports for the platform's command key: on a Mac, Cmd sets mac_cmd and
        // command; elsewhere Ctrl sets ctrl and command. Either way the shortcut matches.
        let cmd_on_a_mac = Modifiers {
            mac_cmd: true,
            command: true,
            ..Modifiers::NONE
        };
        let ctrl_elsewhere = Modifiers {
            ctrl: true,
            command: true,
            ..Modifiers::NONE
        };
        for pressed in [cmd_on_a_mac, ctrl_elsewhere] {
            assert!(pressed.matches_logically(GENERATE.modifiers), "{pressed:?}");
            assert!(pressed.command, "the editor checks `modifiers.command`");
        }
        // Ctrl on a Mac (no Cmd) is not the command key.
        let ctrl_on_a_mac = Modifiers {
            ctrl: true,
            ..Modifiers::NONE
        };
        assert!(!ctrl_on_a_mac.matches_logically(GENERATE.modifiers));
    }
}
