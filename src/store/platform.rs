//! Where Peel keeps things on each desktop platform, in words a designer can follow: the data
//! folder (`directories`' per-user data folder, then `peel`), the keychain that holds the API key
//! (`keyring`'s backend for that platform) and whose file dialogs Peel opens (`rfd`'s).
//!
//! Pure facts about a [`Platform`] named as a value, so every platform's answer is tested on any
//! machine; [`Platform::current`] picks this build's, and a test checks that the data folder
//! described here is the one `directories` really gives.

use std::path::{Path, PathBuf};

/// A desktop platform Peel is built and packaged for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Linux (and the other Unix desktops `directories` treats alike).
    Linux,
    /// Windows 10 and later.
    Windows,
    /// macOS.
    MacOs,
}

impl Platform {
    /// Every platform, for tests and documentation.
    pub const ALL: [Platform; 3] = [Platform::Linux, Platform::Windows, Platform::MacOs];

    /// The platform this build runs on.
    pub const fn current() -> Platform {
        if cfg!(target_os = "windows") {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }

    /// Its everyday name.
    pub const fn name(self) -> &'static str {
        match self {
            Platform::Linux => "Linux",
            Platform::Windows => "Windows",
            Platform::MacOs => "macOS",
        }
    }

    /// Peel's data folder inside the platform's per-user data folder `base` (what
    /// `directories::BaseDirs::data_dir` gives: `$XDG_DATA_HOME` or `~/.local/share` on Linux,
    /// `%APPDATA%` (Roaming) on Windows, `~/Library/Application Support` on macOS). Windows adds
    /// a `data` folder under the application's own, as `directories` does there.
    pub fn data_dir_in(self, base: &Path) -> PathBuf {
        match self {
            Platform::Windows => base.join("peel").join("data"),
            Platform::Linux | Platform::MacOs => base.join("peel"),
        }
    }

    /// The data folder as a designer would type it into a file manager.
    pub const fn data_dir_hint(self) -> &'static str {
        match self {
            Platform::Linux => "~/.local/share/peel",
            Platform::Windows => r"%APPDATA%\peel\data",
            Platform::MacOs => "~/Library/Application Support/peel",
        }
    }

    /// The keychain that keeps the API key (`keyring`'s backend on this platform).
    pub const fn keychain_name(self) -> &'static str {
        match self {
            Platform::Linux => "the Secret Service keyring (GNOME Keyring or KDE Wallet)",
            Platform::Windows => "Windows Credential Manager",
            Platform::MacOs => "the macOS Keychain",
        }
    }

    /// Whose Open and Save dialogs Peel shows (`rfd`: the system's own on Windows and macOS, the
    /// desktop's file chooser through its XDG portal on Linux).
    pub const fn file_dialogs(self) -> &'static str {
        match self {
            Platform::Linux => "the desktop's own file chooser, through xdg-desktop-portal",
            Platform::Windows => "Windows' own Open and Save dialogs",
            Platform::MacOs => "macOS's own Open and Save panels",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_has_its_own_data_folder() {
        let base = Path::new("/base");
        assert_eq!(
            Platform::Linux.data_dir_in(base),
            Path::new("/base/peel"),
            "Linux: $XDG_DATA_HOME/peel"
        );
        assert_eq!(
            Platform::MacOs.data_dir_in(base),
            Path::new("/base/peel"),
            "macOS: ~/Library/Application Support/peel"
        );
        assert_eq!(
            Platform::Windows.data_dir_in(base),
            Path::new("/base/peel/data"),
            r"Windows: %APPDATA%\peel\data"
        );
        for platform in Platform::ALL {
            assert!(platform.data_dir_hint().contains("peel"), "{platform:?}");
        }
    }

    #[test]
    fn the_data_folder_described_is_the_one_directories_gives_here() {
        // The same call `store::paths::data_dir` makes, against the description above; this runs
        // on each platform of the CI matrix (Linux, Windows, macOS).
        let (Some(project), Some(base)) = (
            directories::ProjectDirs::from("", "", "peel"),
            directories::BaseDirs::new(),
        ) else {
            panic!("no home folder: directories cannot place the data folder");
        };
        assert_eq!(
            project.data_dir(),
            Platform::current().data_dir_in(base.data_dir())
        );
    }

    #[test]
    fn the_keychain_is_named_as_each_platform_names_it() {
        assert!(Platform::Linux.keychain_name().contains("Secret Service"));
        assert_eq!(
            Platform::Windows.keychain_name(),
            "Windows Credential Manager"
        );
        assert!(Platform::MacOs.keychain_name().contains("macOS Keychain"));
        assert!(Platform::Windows.file_dialogs().contains("Windows' own"));
        assert!(Platform::MacOs.file_dialogs().contains("macOS's own"));
    }

    #[test]
    fn this_build_knows_its_platform() {
        let expected = if cfg!(windows) {
            "Windows"
        } else if cfg!(target_os = "macos") {
            "macOS"
        } else {
            "Linux"
        };
        assert_eq!(Platform::current().name(), expected);
    }
}
