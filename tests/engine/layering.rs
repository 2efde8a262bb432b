#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot read the sources should fail loudly"
)]

//! The module map in `src/lib.rs` says which way dependencies point; this test keeps it true. It
//! reads every `crate::…` path in the non-test code of each top-level module and checks it
//! against the modules that one may use, and that the pure domain modules touch no I/O, async or
//! UI crate.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use (top of the map first).
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "cli",
        &[
            "api",
            "app",
            "diagnosis",
            "job",
            "logging",
            "provenance",
            "redact",
            "resilience",
            "rewrite",
            "session",
            "sim",
            "store",
            "worker",
        ],
    ),
    (
        "app",
        &[
            "api",
            "diagnosis",
            "job",
            "logging",
            "provenance",
            "redact",
            "resilience",
            "rewrite",
            "session",
            "sim",
            "store",
            "ui",
            "view",
            "worker",
        ],
    ),
    (
        "session",
        &[
            "api",
            "diagnosis",
            "job",
            "logging",
            "redact",
            "resilience",
            "sim",
            "store",
            "worker",
        ],
    ),
    (
        "ui",
        &[
            "api",
            "diagnosis",
            "job",
            "logging",
            "provenance",
            "resilience",
            "rewrite",
            "sim",
            "store",
            "view",
            "worker",
        ],
    ),
    (
        "view",
        &[
            "api",
            "diagnosis",
            "job",
            "logging",
            "provenance",
            "resilience",
            "rewrite",
            "sim",
            "store",
            "worker",
        ],
    ),
    (
        "worker",
        &[
            "api",
            "diagnosis",
            "job",
            "logging",
            "provenance",
            "redact",
            "resilience",
            "rewrite",
            "sim",
            "store",
        ],
    ),
    (
        "sim",
        &["api", "diagnosis", "logging", "redact", "resilience"],
    ),
    (
        "logging",
        &["api", "diagnosis", "job", "provenance", "redact", "store"],
    ),
    (
        "store",
        &["api", "diagnosis", "job", "provenance", "redact"],
    ),
    ("provenance", &["api", "diagnosis", "job"]),
    ("rewrite", &["api", "diagnosis"]),
    ("resilience", &["api", "diagnosis"]),
    ("job", &["api", "diagnosis"]),
    ("diagnosis", &["api", "redact"]),
    ("api", &["redact"]),
    ("redact", &[]),
];

/// Crates the pure domain modules must not use.
const IMPURE: &[&str] = &[
    "tokio", "egui", "eframe", "reqwest", "rusqlite", "std::fs", "std::net",
];

/// The pure domain modules.
const PURE: &[&str] = &[
    "diagnosis",
    "provenance",
    "rewrite",
    "resilience",
    "job",
    "redact",
];

fn source_files(root: &Path) -> Vec<PathBuf> {
    if root.is_file() {
        return vec![root.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The code lines of `file` before its tests, without comments.
fn code_lines(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    if file.file_name().is_some_and(|name| name == "tests.rs") {
        return Vec::new();
    }
    text.lines()
        .take_while(|line| !line.trim_start().starts_with("#[cfg(test)]"))
        .map(str::trim)
        .filter(|line| !line.starts_with("//"))
        .map(str::to_owned)
        .collect()
}

/// The top-level modules a line names through `crate::`.
fn crate_paths(line: &str) -> Vec<String> {
    line.match_indices("crate::")
        .map(|(at, _)| {
            line[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

fn module_root(src: &Path, module: &str) -> PathBuf {
    let folder = src.join(module);
    if folder.is_dir() {
        folder
    } else {
        src.join(format!("{module}.rs"))
    }
}

#[test]
fn dependencies_point_the_way_the_map_says() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = BTreeSet::new();
    for (module, allowed) in ALLOWED {
        for file in source_files(&module_root(&src, module)) {
            for line in code_lines(&file) {
                for used in crate_paths(&line) {
                    if used != *module && !allowed.contains(&used.as_str()) {
                        let file = file.strip_prefix(&src).unwrap().display().to_string();
                        wrong.insert(format!("{file}: {module} uses {used}"));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "against the map:\n{}",
        Vec::from_iter(wrong).join("\n")
    );
}

#[test]
fn every_top_level_module_is_on_the_map() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';'))
        .collect();
    for module in &declared {
        assert!(
            ALLOWED.iter().any(|(name, _)| name == module),
            "{module} is declared in lib.rs but has no place in this test's map"
        );
        assert!(
            lib.contains(&format!("[`{module}`]")),
            "lib.rs's map does not describe {module}"
        );
    }
}

#[test]
fn the_pure_domain_modules_do_no_io_and_no_async() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for module in PURE {
        for file in source_files(&module_root(&src, module)) {
            for line in code_lines(&file) {
                for crate_name in IMPURE {
                    let used = line.contains(&format!("{crate_name}::"))
                        || line.starts_with(&format!("use {crate_name}"));
                    if used {
                        wrong.push(format!("{}: {line}", file.display()));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "I/O or async in a pure module:\n{}",
        wrong.join("\n")
    );
}
