#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! `peel history` as a designer runs it, against jobs `peel generate` ran on the simulator (one
//! delivered from a relative `--out`, one blocked) and one cancelled through the store: every
//! job listed with its state, absolute image path and last diagnosis kind; `--search` by prompt
//! words whatever the punctuation; `--failed`; `--limit`; bad input in a sentence.

use std::path::Path;
use std::process::{Command, Output};

use crate::sim_rig::{peel_command, start_sim};
use jiff::Timestamp;
use peel::sim::Scenario;
use peel::store::{JobState, Store};

fn peel(data_dir: &Path, args: &[&str]) -> Command {
    peel_command(data_dir, args)
}

/// `peel history --json ARGS` → the ids listed, and the entries.
fn history_json(data_dir: &Path, args: &[&str]) -> (Vec<i64>, Vec<serde_json::Value>) {
    let output = peel(data_dir, &[&["history", "--json"], args].concat())
        .output()
        .expect("peel runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("peel history --json prints a JSON array");
    let ids = entries
        .iter()
        .map(|e| e["id"].as_i64().expect("every entry has an id"))
        .collect();
    (ids, entries)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one story: three jobs, then every way of listing them"
)]
async fn history_lists_searches_and_filters_every_job() {
    let dir = tempfile::tempdir().unwrap();
    let (data, work) = (dir.path().join("data"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let generate = |prompt: &str| {
        peel(&data, &["generate", prompt, "--out", "out"])
            .args(["--api-version", "v1beta", "--endpoint", &calm.base_url()])
            .current_dir(&work)
            .output()
            .unwrap()
    };
    let delivered = tokio::task::block_in_place(|| generate("a red fox-tail in the snow"));
    assert_eq!(delivered.status.code(), Some(0), "{}", stderr(&delivered));
    let blocked = tokio::task::block_in_place(|| generate("sim:image-safety"));
    assert_eq!(blocked.status.code(), Some(3), "{}", stderr(&blocked));
    calm.shutdown().await.unwrap();
    {
        let store = Store::open(&data.join("peel.db")).unwrap();
        let spec = serde_json::json!({ "prompt": "the \"quoted\" lighthouse - at dusk" });
        let id = store.enqueue(&spec.to_string(), Timestamp::now()).unwrap();
        store
            .set_state(
                id,
                JobState::Cancelled,
                None,
                Some("cancelled by the designer"),
                Timestamp::now(),
            )
            .unwrap();
    }

    // Every job, newest first, with its state, model, absolute image path and diagnosis kind.
    let (ids, all) = history_json(&data, &[]);
    assert_eq!(ids, [3, 2, 1]);
    let fox = &all[2];
    assert_eq!(fox["state"], "delivered");
    assert_eq!(fox["prompt"], "a red fox-tail in the snow");
    assert_eq!(fox["diagnosis_kind"], "success");
    assert!(fox["model"].is_string(), "{fox}");
    let image = Path::new(fox["image_path"].as_str().unwrap());
    assert!(image.is_absolute(), "{}", image.display());
    assert!(image.starts_with(&work), "{}", image.display());
    assert!(image.exists(), "{}", image.display());
    assert!(fox["created_at"].as_str().unwrap().ends_with('Z'));
    let stop = &all[1];
    assert_eq!(stop["state"], "stopped");
    assert_eq!(stop["diagnosis_kind"], "image_safety");
    assert!(stop["image_path"].is_null());
    assert!(stop["reason"].is_string(), "{stop}");
    let cancelled = &all[0];
    assert_eq!(cancelled["state"], "cancelled");
    assert!(cancelled["diagnosis_kind"].is_null());
    assert!(cancelled["model"].is_null());
    assert_eq!(cancelled["reason"], "cancelled by the designer");
    for entry in &all {
        let mut keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "attempts",
                "boards",
                "cost_usd",
                "created_at",
                "diagnosis_kind",
                "id",
                "image_path",
                "model",
                "prompt",
                "reason",
                "starred",
                "state"
            ]
        );
    }

    // Search by prompt words: punctuation is text, never query syntax.
    assert_eq!(history_json(&data, &["--search", "fox"]).0, [1]);
    assert_eq!(history_json(&data, &["--search", "\"fox-tail"]).0, [1]);
    assert_eq!(history_json(&data, &["--search", "SNOW red"]).0, [1]);
    assert_eq!(history_json(&data, &["--search", "lighthouse\" -"]).0, [3]);
    assert_eq!(history_json(&data, &["--search", "\"quoted\""]).0, [3]);
    assert!(
        history_json(&data, &["--search", "fox OR lighthouse"])
            .0
            .is_empty()
    );
    assert!(history_json(&data, &["--search", "whale"]).0.is_empty());

    // Only the jobs that did not deliver; the newest N; all of them.
    assert_eq!(history_json(&data, &["--failed"]).0, [3, 2]);
    assert_eq!(
        history_json(&data, &["--failed", "--search", "image"]).0,
        [2]
    );
    assert_eq!(history_json(&data, &["--limit", "1"]).0, [3]);
    assert_eq!(history_json(&data, &["--limit", "0"]).0, [3, 2, 1]);

    // Text: one line per job, no image data.
    let text = peel(&data, &["history"]).output().unwrap();
    assert!(text.status.success(), "{}", stderr(&text));
    let text = String::from_utf8(text.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains("cancelled") && lines[0].contains("lighthouse"),
        "{text}"
    );
    assert!(lines[1].contains("image_safety"), "{text}");
    assert!(lines[2].contains(&image.display().to_string()), "{text}");
    assert!(text.len() < 2_000, "{text}");

    // Bad input: a sentence and exit 2.
    for bad in [
        &["--search", "-"][..],
        &["--search", " "],
        &["--limit", "many"],
    ] {
        let output = peel(&data, &[&["history"], bad].concat()).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{bad:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).is_empty());
    }
    let no_words = peel(&data, &["history", "--search", "\"-\""])
        .output()
        .unwrap();
    assert!(
        stderr(&no_words).contains("no letter or digit"),
        "{}",
        stderr(&no_words)
    );
}

#[test]
fn an_empty_data_folder_has_an_empty_history_and_gets_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let (ids, _) = history_json(dir.path(), &[]);
    assert!(ids.is_empty());
    let text = peel(dir.path(), &["history"]).output().unwrap();
    assert!(text.status.success());
    assert!(text.stdout.is_empty());
    assert!(stderr(&text).contains("No jobs yet"), "{}", stderr(&text));
    assert!(!dir.path().join("peel.db").exists());
}
