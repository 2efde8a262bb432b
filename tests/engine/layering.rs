#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot read the sources should fail loudly"
)]

//! The module map in `src/lib.rs` says which way dependencies point; this test keeps it true. It
//! reads every `crate::…` path in the non-test code of each top-level module (its folder and its
//! `src/<module>.rs`, so single-file modules such as `job` and `session` count too), grouped
//! imports (`use crate::{a, b::{c, d}}`) included, and checks it against the modules that one may
//! use; and it checks that the pure domain modules touch no I/O, async or UI crate.

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

/// Every `.rs` file of top-level module `module`: `src/<module>.rs` and everything under
/// `src/<module>/` (a module may have both, as `job` does).
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut folders = vec![src.join(module)];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        for entry in entries.flatten() {
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

/// The code of `file` before its tests, without comment lines.
fn code(file: &Path) -> String {
    if file.file_name().is_some_and(|name| name == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .take_while(|line| !line.trim_start().starts_with("#[cfg(test)]"))
        .map(str::trim)
        .filter(|line| !line.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name (identifier) `text` starts with, if any.
fn leading_name(text: &str) -> Option<String> {
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The first name of each item of a `{…}` group, read from just after its `{`; nested groups
/// are skipped, and `self` (the crate itself) is no module.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0_usize;
    let mut item_starts = true;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_starts = true,
            c if depth == 0 && item_starts && !c.is_whitespace() => {
                item_starts = false;
                heads.extend(leading_name(&group[at..]).filter(|name| name != "self"));
            }
            _ => {}
        }
    }
    heads
}

/// The top-level modules `code` names through `crate::`: `crate::a::b` names `a`, and
/// `use crate::{a, b::{c, d}}` (on one line or many) names `a` and `b`.
fn crate_modules(code: &str) -> Vec<String> {
    let mut used = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let part_of_a_longer_name = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if part_of_a_longer_name {
            continue;
        }
        let rest = code[at + "crate::".len()..].trim_start();
        match rest.strip_prefix('{') {
            Some(group) => used.extend(group_heads(group)),
            None => used.extend(leading_name(rest)),
        }
    }
    used
}

/// The modules `code`, in top-level module `module`, uses against the map.
fn against_the_map(module: &str, code: &str) -> BTreeSet<String> {
    let allowed = ALLOWED
        .iter()
        .find(|(name, _)| *name == module)
        .map_or(&[][..], |(_, allowed)| *allowed);
    crate_modules(code)
        .into_iter()
        .filter(|used| used != module && !allowed.contains(&used.as_str()))
        .collect()
}

#[test]
fn dependencies_point_the_way_the_map_says() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = BTreeSet::new();
    for (module, _) in ALLOWED {
        for file in module_files(&src, module) {
            for used in against_the_map(module, &code(&file)) {
                let file = file.strip_prefix(&src).unwrap().display().to_string();
                wrong.insert(format!("{file}: {module} uses {used}"));
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
fn every_source_file_belongs_to_a_module_on_the_map() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let crate_root = matches!(name.as_str(), "lib" | "main") && path.is_file();
        let source = path.is_dir() || path.extension().is_some_and(|ext| ext == "rs");
        if source && !crate_root {
            assert!(
                ALLOWED.iter().any(|(module, _)| *module == name),
                "{} is in no module on this test's map, so no one checks its imports",
                path.display()
            );
        }
    }
}

#[test]
fn the_scan_reads_paths_and_grouped_imports() {
    let code = "use crate::api::ApiKey;\n\
                use crate::{store, worker::{Command, Event}};\n\
                use crate::{\n    view::media::{self, MediaEvent},\n    self,\n    sim,\n};\n\
                pub(crate) fn f() { let _ = crate::job::JobId::default(); }\n\
                let _ = $crate::logging::init; let _ = notcrate::ui::x;";
    assert_eq!(
        crate_modules(code),
        ["api", "store", "worker", "view", "sim", "job", "logging"]
    );
}

#[test]
fn a_grouped_import_against_the_map_is_caught() {
    let nested =
        "use crate::{\n    api::ApiKey,\n    store::{self, Store},\n    ui::{widgets, theme},\n};";
    assert_eq!(
        Vec::from_iter(against_the_map("diagnosis", nested)),
        ["store", "ui"]
    );
    assert_eq!(
        Vec::from_iter(against_the_map(
            "ui",
            "use crate::{view, app::media::{MediaEvent}};"
        )),
        ["app"]
    );
    assert!(against_the_map("app", "use crate::{ui, view::{self, state}};").is_empty());
}

#[test]
fn single_file_modules_are_scanned() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for module in ["job", "session"] {
        assert!(
            module_files(&src, module).contains(&src.join(format!("{module}.rs"))),
            "src/{module}.rs is not scanned"
        );
    }
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
        for file in module_files(&src, module) {
            for line in code(&file).lines() {
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
