//! `peel prompts` as a designer runs it, the real binary on temporary data folders: a
//! hand-written library (several lines, accents, other scripts, quotes) imported, exported,
//! imported into a fresh data folder and exported again, byte for byte the same; a bad file
//! refused with its lines and exit code 2, the library untouched; a taken name kept unless
//! `--replace`; rename, delete and list; an empty library said in a sentence, no database made.

use std::path::Path;
use std::process::{Command, Output};

use crate::sim_rig::peel_command;

fn peel(data_dir: &Path, args: &[&str]) -> Command {
    peel_command(data_dir, args)
}

fn run(data_dir: &Path, args: &[&str]) -> Output {
    peel(data_dir, args).output().expect("peel runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `peel prompts list --json`: (name, kind, text) of each entry, in order.
fn listed(data_dir: &Path) -> Vec<(String, String, String)> {
    let output = run(data_dir, &["prompts", "list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("a JSON array");
    entries
        .iter()
        .map(|entry| {
            assert!(
                entry["created_at"]
                    .as_str()
                    .is_some_and(|at| at.ends_with('Z')),
                "{entry}"
            );
            assert!(entry["updated_at"].is_string(), "{entry}");
            let field = |key: &str| {
                entry[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{key} is a string in {entry}"))
                    .to_owned()
            };
            (field("name"), field("kind"), field("text"))
        })
        .collect()
}

/// A library as a designer writes it by hand: no format line on one entry's kind, several
/// lines, accents, Japanese, quotes and backslashes.
const HAND_WRITTEN: &str = r#"
format = 1

[[prompt]]
name = "Lighthouse"
text = """
a lighthouse on a cliff in a storm,
waves breaking, "dramatic" sky"""

[[prompt]]
name = "Éclairage doux"
kind = "fragment"
text = "lumière douce de fenêtre — 柔らかい光, \\ no harsh shadows"

[[prompt]]
name = "golden hour"
kind = "fragment"
text = 'warm low sun from the left'
"#;

#[test]
fn a_library_exported_and_imported_elsewhere_is_the_same_library_and_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    let source = dir.path().join("hand.toml");
    std::fs::write(&source, HAND_WRITTEN).unwrap();

    let imported = run(&first, &["prompts", "import", source.to_str().unwrap()]);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    assert!(
        stdout(&imported).contains(": 3 added."),
        "{}",
        stdout(&imported)
    );
    let library = listed(&first);
    assert_eq!(
        library,
        [
            (
                "golden hour".to_owned(),
                "fragment".to_owned(),
                "warm low sun from the left".to_owned()
            ),
            (
                "Lighthouse".to_owned(),
                "prompt".to_owned(),
                "a lighthouse on a cliff in a storm,\nwaves breaking, \"dramatic\" sky".to_owned()
            ),
            (
                "Éclairage doux".to_owned(),
                "fragment".to_owned(),
                "lumière douce de fenêtre — 柔らかい光, \\ no harsh shadows".to_owned()
            ),
        ]
    );

    // Exported to a file (crash-safe) and to stdout: the same text.
    let exported = dir.path().join("out").join("library.toml");
    let export = run(&first, &["prompts", "export", exported.to_str().unwrap()]);
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    assert!(
        stderr(&export).contains("Exported 3 entries to"),
        "{}",
        stderr(&export)
    );
    let file = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(stdout(&run(&first, &["prompts", "export"])), file);
    assert!(file.starts_with("# Peel's prompt library."), "{file}");

    // Into a fresh data folder, and out again: the same list, the same file.
    let again = run(&second, &["prompts", "import", exported.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(listed(&second), library);
    assert_eq!(stdout(&run(&second, &["prompts", "export"])), file);

    // Text output: one line per entry, the text on one line.
    let list = run(&second, &["prompts", "list"]);
    let lines: Vec<String> = stdout(&list).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[1].starts_with("Lighthouse"), "{lines:?}");
    assert!(lines[1].contains("  prompt  "), "{lines:?}");
    assert!(
        lines[1].contains("\"a lighthouse on a cliff in a storm, waves breaking,"),
        "{lines:?}"
    );
    let search = run(&second, &["prompts", "list", "--search", "LUMIÈRE"]);
    assert_eq!(stdout(&search).lines().count(), 1, "{}", stdout(&search));
    assert!(stdout(&search).starts_with("Éclairage doux"));
}

#[test]
fn a_bad_file_is_refused_with_its_lines_and_the_library_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, HAND_WRITTEN).unwrap();
    assert!(
        run(&data, &["prompts", "import", good.to_str().unwrap()])
            .status
            .success()
    );
    let before = listed(&data);

    // Broken TOML: one problem, its line.
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[[prompt]]\nname = \"Fog\"\ntext = \"morning fog\n\n[[prompt]]\nname = \"Rim\"\ntext = \"x\"\n",
    )
    .unwrap();
    let refused = run(&data, &["prompts", "import", broken.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let said = stderr(&refused);
    assert!(said.starts_with("peel prompts import: "), "{said}");
    assert!(
        said.contains("was not imported; the library is unchanged"),
        "{said}"
    );
    assert!(said.contains("  line 3: "), "{said}");
    assert!(stdout(&refused).is_empty());

    // Good TOML, bad entries: every problem, and not even the good entry goes in.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[prompt]]\nname = \"Fresh\"\ntext = \"a new one\"\n\n[[prompt]]\nname = \"fresh\"\ntext = \"twice\"\n\n[[prompt]]\nname = \"Odd\"\nkind = \"style\"\ntext = \"x\"\n",
    )
    .unwrap();
    let refused = run(&data, &["prompts", "import", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    let said = stderr(&refused);
    assert!(said.contains("has 2 problems"), "{said}");
    assert!(
        said.contains("  line 6: \"fresh\" is also the name on line 2"),
        "{said}"
    );
    assert!(said.contains("  line 11: the kind \"style\""), "{said}");
    assert_eq!(listed(&data), before, "nothing from a bad file goes in");

    // No such file, and a file that is not text.
    let missing = run(&data, &["prompts", "import", "no-such-file.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no-such-file.toml could not be read"));
    let binary = dir.path().join("image.png");
    std::fs::write(&binary, [0x89, b'P', b'N', b'G', 0xff, 0xfe, 0x00]).unwrap();
    let not_text = run(&data, &["prompts", "import", binary.to_str().unwrap()]);
    assert_eq!(not_text.status.code(), Some(2));
    assert!(
        stderr(&not_text).contains("is not UTF-8 text"),
        "{}",
        stderr(&not_text)
    );
    assert_eq!(listed(&data), before);
}

#[test]
fn a_taken_name_is_kept_and_named_unless_replace_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, HAND_WRITTEN).unwrap();
    assert!(
        run(&data, &["prompts", "import", good.to_str().unwrap()])
            .status
            .success()
    );
    let changed = dir.path().join("changed.toml");
    std::fs::write(
        &changed,
        "[[prompt]]\nname = \"GOLDEN HOUR\"\nkind = \"fragment\"\ntext = \"late sun, long shadows\"\n\n[[prompt]]\nname = \"Lighthouse\"\ntext = \"\"\"\na lighthouse on a cliff in a storm,\nwaves breaking, \"dramatic\" sky\"\"\"\n\n[[prompt]]\nname = \"Fog\"\nkind = \"fragment\"\ntext = \"morning fog\"\n",
    )
    .unwrap();

    let kept = run(&data, &["prompts", "import", changed.to_str().unwrap()]);
    assert_eq!(kept.status.code(), Some(0), "{}", stderr(&kept));
    let report = stdout(&kept);
    assert!(
        report.contains(": 1 added, 1 unchanged, 1 kept as they were."),
        "{report}"
    );
    assert!(
        report.contains("left as they were: \"GOLDEN HOUR\""),
        "{report}"
    );
    assert!(report.contains("--replace"), "{report}");
    let golden = |data: &Path| {
        listed(data)
            .into_iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case("golden hour"))
            .unwrap()
    };
    assert_eq!(golden(&data).2, "warm low sun from the left");

    let replaced = run(
        &data,
        &["prompts", "import", changed.to_str().unwrap(), "--replace"],
    );
    assert_eq!(replaced.status.code(), Some(0), "{}", stderr(&replaced));
    assert!(
        stdout(&replaced).contains("1 replaced"),
        "{}",
        stdout(&replaced)
    );
    assert_eq!(golden(&data).2, "late sun, long shadows");
    assert_eq!(listed(&data).len(), 4);
}

#[test]
fn entries_are_renamed_and_deleted_by_name_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, HAND_WRITTEN).unwrap();
    assert!(
        run(&data, &["prompts", "import", good.to_str().unwrap()])
            .status
            .success()
    );

    let renamed = run(&data, &["prompts", "rename", "GOLDEN hour", "Golden hour"]);
    assert_eq!(renamed.status.code(), Some(0), "{}", stderr(&renamed));
    assert!(
        listed(&data)
            .iter()
            .any(|(name, _, _)| name == "Golden hour")
    );
    let taken = run(&data, &["prompts", "rename", "golden hour", "lighthouse"]);
    assert_eq!(taken.status.code(), Some(2));
    assert!(stderr(&taken).contains("is the name of another entry"));
    let blank = run(&data, &["prompts", "rename", "golden hour", "  "]);
    assert_eq!(blank.status.code(), Some(2));
    assert!(
        stderr(&blank).contains("NEW: the name is empty"),
        "{}",
        stderr(&blank)
    );

    let deleted = run(&data, &["prompts", "delete", "lighthouse"]);
    assert_eq!(deleted.status.code(), Some(0), "{}", stderr(&deleted));
    assert_eq!(listed(&data).len(), 2);
    let missing = run(&data, &["prompts", "delete", "lighthouse"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no entry is named \"lighthouse\""),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn an_empty_library_is_said_and_no_database_is_made_to_say_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let list = run(&data, &["prompts", "list"]);
    assert_eq!(list.status.code(), Some(0));
    assert!(stdout(&list).is_empty());
    assert!(
        stderr(&list).contains("The prompt library is empty."),
        "{}",
        stderr(&list)
    );
    let export = run(&data, &["prompts", "export"]);
    assert_eq!(export.status.code(), Some(0));
    assert!(
        stdout(&export).ends_with("format = 1\n"),
        "{}",
        stdout(&export)
    );
    assert!(!data.join("peel.db").exists());
    let empty = run(&data, &["prompts", "list", "--search", " "]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(stderr(&empty).contains("the search is empty"));
}
