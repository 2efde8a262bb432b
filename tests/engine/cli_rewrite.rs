//! `peel rewrite` as a process: suggestions as text and JSON, the Layer 1 and prohibited answers,
//! and exit 2 with one sentence for a wrong kind; `--check` (the preflight) as text and JSON, its
//! exit status, and the name memory of the data folder.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::process::Command;

/// Runs `peel` with an empty data folder (no name memory of this machine's designer).
fn peel(args: &[&str]) -> (i32, String, String) {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_peel"))
        .args(args)
        .env("PEEL_DATA_DIR", data.path())
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn suggestions_as_text_name_each_edit_and_its_reason() {
    let (code, out, _) = peel(&["rewrite", "a photo of Keanu Reeves on a motorcycle"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Suggestion 1: Describe instead of naming"),
        "{out}"
    );
    assert!(
        out.contains("[description] \"Keanu Reeves\" -> \""),
        "{out}"
    );
    assert!(out.contains("is a real person"), "{out}");
    assert!(out.contains(
        "Suggestion 2: Describe instead of naming, as a digital watercolor illustration"
    ));
    assert!(!out.contains("\n\n\n"));
}

#[test]
fn suggestions_as_json_carry_spans_rules_and_reasons() {
    let prompt = "Elsa's ice palace, Studio Ghibli style";
    let (code, out, _) = peel(&["rewrite", prompt, "--kind", "image_recitation", "--json"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["advice"], "rewrites");
    let edits = value["suggestions"][0]["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[0]["from"], "Elsa");
    assert_eq!(edits[0]["rule"], "generic_description");
    let start = edits[0]["span"]["start"].as_u64().unwrap() as usize;
    let end = edits[0]["span"]["end"].as_u64().unwrap() as usize;
    assert_eq!(&prompt[start..end], "Elsa");
    assert!(
        !value["suggestions"][0]["prompt"]
            .as_str()
            .unwrap()
            .contains("Ghibli")
    );
}

#[test]
fn layer_1_and_prohibited_blocks_get_no_rewrite() {
    let (code, out, _) = peel(&[
        "rewrite",
        "a knight with a sword",
        "--kind",
        "blocked_safety",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("No rewrite needed: Layer 1 is the adjustable filter"),
        "{out}"
    );
    let (_, out, _) = peel(&["rewrite", "anything", "--kind", "blocked_prohibited"]);
    assert!(
        out.starts_with("Neither a setting nor a rewrite will help"),
        "{out}"
    );
}

#[test]
fn an_unknown_kind_exits_2_with_a_sentence() {
    let (code, out, err) = peel(&["rewrite", "a fox", "--kind", "nonsense"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with("peel rewrite: unknown kind \"nonsense\""),
        "{err}"
    );
}

#[test]
fn check_marks_a_named_character_and_exits_3() {
    let (code, out, _) = peel(&["rewrite", "--check", "Elsa's ice palace at night"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.starts_with("Likely blocked by the image filter (1 name). A block on Nano Banana Pro"),
        "{out}"
    );
    assert!(out.contains("- \"Elsa\" [named character]: "), "{out}");
    assert!(out.contains("    Replace with \""), "{out}");
}

#[test]
fn check_of_an_ordinary_prompt_exits_0() {
    let (code, out, _) = peel(&["rewrite", "--check", "a red fox in the snow, watercolor"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim(), "Likely to pass.");
}

#[test]
fn check_as_json_carries_spans_the_verdict_and_the_cost_of_a_block() {
    let prompt = "a photo of Keanu Reeves, Pixar style";
    let (code, out, _) = peel(&[
        "rewrite",
        "--check",
        prompt,
        "--model",
        "gemini-nano-banana-2.1",
        "--size",
        "2K",
        "--json",
    ]);
    assert_eq!(code, 3);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["verdict"], "likely_blocked");
    assert_eq!(
        value["headline"],
        "Likely blocked by the image filter (2 names)"
    );
    let marks = value["marks"].as_array().unwrap();
    let start = marks[0]["span"]["start"].as_u64().unwrap() as usize;
    let end = marks[0]["span"]["end"].as_u64().unwrap() as usize;
    assert_eq!(&prompt[start..end], "Keanu Reeves");
    assert_eq!(marks[0]["kind"], "public_figure");
    assert_eq!(marks[1]["kind"], "studio_style");
    assert_eq!(value["block_cost"]["model"], "Nano Banana 2.1");
    assert_eq!(value["block_cost"]["prices_published"], true);
    assert!(value["block_cost"]["usd"].as_f64().unwrap() > 0.0);
    assert!(
        value["line"]
            .as_str()
            .unwrap()
            .starts_with("Likely blocked")
    );
}

#[test]
fn check_of_prohibited_content_says_policy_and_exits_3() {
    let (code, out, _) = peel(&["rewrite", "--check", "revenge porn", "--json"]);
    assert_eq!(code, 3);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["verdict"], "blocked_by_policy");
    assert_eq!(value["headline"], "Blocked by policy whatever the settings");
}

#[test]
fn check_reads_the_name_memory_of_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = peel::store::Store::open(&dir.path().join("peel.db")).unwrap();
    let now = jiff::Timestamp::now();
    store
        .record_lesson(&["Elsa".to_owned()], true, None, None, now)
        .unwrap();
    let knight = peel::store::name_memory::PromptBlock {
        key: peel::rewrite::preflight::prompt_key("a knight with a sword"),
        kind: "blocked_safety".to_owned(),
        category: Some("HARM_CATEGORY_DANGEROUS_CONTENT".to_owned()),
    };
    store
        .record_lesson(&[], false, Some(&knight), None, now)
        .unwrap();
    drop(store);
    let check = |prompt: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_peel"))
            .args(["rewrite", "--check", prompt])
            .env("PEEL_DATA_DIR", dir.path())
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
        )
    };
    let (code, out) = check("Elsa's ice palace at night");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("Likely to pass: every marked name passed before."),
        "{out}"
    );
    assert!(
        out.contains("- \"Elsa\" [named character] (passed before): "),
        "{out}"
    );
    let (code, out) = check("A knight with a sword!");
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("set Dangerous content to \"Block only high\""),
        "{out}"
    );
}
