//! Peel's Start Menu launcher on Windows: opens Peel's window without a console window behind it.
//!
//! `peel.exe` is a console program, so that `peel explain`, `peel generate` and the other
//! commands print in Command Prompt and PowerShell. Started from the Start Menu, Windows would
//! give it a console window of its own beside Peel's. This launcher is a Windows-subsystem
//! program: it starts the `peel.exe` beside it with `CREATE_NO_WINDOW`, passes its arguments on,
//! waits for it and exits with its exit code. Peel's own log (in its data folder) records what
//! goes wrong, since nothing here has a console to print to.

#![windows_subsystem = "windows"]

use std::process::{Command, ExitCode};

/// The program this launcher starts, from its own folder.
const PEEL_EXE: &str = if cfg!(windows) { "peel.exe" } else { "peel" };

/// `CREATE_NO_WINDOW` from the Windows API's process creation flags: no console for the child.
#[cfg(windows)]
const CREATE_NO_WINDOW: u32 = 0x0800_0000;

fn main() -> ExitCode {
    let Some(peel) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|folder| folder.join(PEEL_EXE)))
    else {
        return ExitCode::FAILURE;
    };
    let mut command = Command::new(peel);
    command.args(std::env::args_os().skip(1));
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt as _;
        command.creation_flags(CREATE_NO_WINDOW);
    }
    match command.status() {
        Ok(status) => status
            .code()
            .and_then(|code| u8::try_from(code).ok())
            .map_or(ExitCode::FAILURE, ExitCode::from),
        Err(_) => ExitCode::FAILURE,
    }
}
