#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

//! `peel explain` as a user runs it: files, standard input, `--status`, `--json`, exit codes.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn peel(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_peel"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn readme_example_prints_kind_and_retry_delay() {
    let output = peel(
        &[
            "explain",
            "tests/fixtures/real-errors/429-tokens-per-minute-01.json",
            "--json",
        ],
        None,
    );
    let value = json(&output);
    assert_eq!(value["kind"], "tokens_per_minute");
    assert_eq!(value["layer"], "quota");
    assert_eq!(value["retry_after_s"], 26.0);
    assert_eq!(value["http_status"], 429);
    assert_eq!(
        value["quota"]["id"],
        "GenerateContentInputTokensPerModelPerMinute-FreeTier"
    );
    for field in ["resets_at", "finish_reason", "block_reason", "model_text"] {
        assert!(value[field].is_null(), "{field} should be null");
    }
}

#[test]
fn stdin_with_a_status_and_readable_text() {
    let output = peel(
        &["explain", "-", "--status", "503"],
        Some("The model is overloaded. Please try again later."),
    );
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("The model is overloaded\n"), "{text}");
    assert!(text.contains("overloaded · layer: server"), "{text}");
    assert!(text.contains("What to do:"), "{text}");
}

#[test]
fn python_sdk_paste_from_stdin_without_a_file_argument() {
    let paste = "google.genai.errors.ClientError: 429 RESOURCE_EXHAUSTED. {'error': {'code': 429, 'message': 'You exceeded your current quota. Please retry in 41.2s.', 'status': 'RESOURCE_EXHAUSTED', 'details': [{'@type': 'type.googleapis.com/google.rpc.QuotaFailure', 'violations': [{'quotaId': 'GenerateRequestsPerMinutePerProjectPerModel', 'quotaValue': '10'}]}]}}";
    let value = json(&peel(&["explain", "--json"], Some(paste)));
    assert_eq!(value["kind"], "rate_limit_minute");
    assert_eq!(value["retry_after_s"], 41.2);
    assert_eq!(value["input_format"], "python_repr");
}

#[test]
fn daily_quota_reports_the_pacific_reset() {
    let value = json(&peel(
        &[
            "explain",
            "tests/fixtures/real-errors/429-quota-daily-01.json",
            "--json",
            "--now",
            "2026-07-01T12:00:00Z",
        ],
        None,
    ));
    assert_eq!(value["kind"], "quota_daily");
    assert_eq!(value["resets_at"], "2026-07-02T07:00:00Z");
}

#[test]
fn unknown_input_still_exits_zero_with_the_raw_text() {
    let output = peel(&["explain", "-"], Some("something odd happened"));
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Peel could not tell"), "{text}");
    assert!(text.contains("something odd happened"), "{text}");
}

#[test]
fn unreadable_input_exits_two_with_one_line() {
    let missing = peel(&["explain", "no/such/file.json"], None);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("Could not read no/such/file.json"),
        "{stderr}"
    );

    let empty = peel(&["explain", "-"], Some("  \n"));
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        String::from_utf8(empty.stderr)
            .unwrap()
            .contains("The input is empty")
    );

    let bad_status = peel(&["explain", "-", "--status", "42"], Some("x"));
    assert_eq!(bad_status.status.code(), Some(2));
}

#[test]
fn help_lists_the_subcommands() {
    let output = peel(&["--help"], None);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for subcommand in ["explain", "generate", "sim"] {
        assert!(text.contains(subcommand), "{text}");
    }
}

#[test]
fn keys_in_a_paste_never_reach_the_output() {
    let paste = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"Invalid API key: AIzaSyLeak0123456789abcdefghijklmnopqr"}]}}"#;
    for args in [&["explain", "-"][..], &["explain", "-", "--json"][..]] {
        let output = peel(args, Some(paste));
        assert!(output.status.success());
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!everything.contains("AIzaSyLeak"), "{everything}");
        assert!(
            everything.contains("api_key_invalid")
                || everything.contains("The API key is not valid")
        );
    }
}
