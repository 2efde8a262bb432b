//! `peel rewrite` as a process: suggestions as text and JSON, the Layer 1 and prohibited answers,
//! and exit 2 with one sentence for a wrong kind.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::process::Command;

fn peel(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_peel"))
        .args(args)
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
