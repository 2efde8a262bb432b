//! The rewrite assistant against the simulator: on a `strict-safety` day, a prompt the image filter
//! blocks goes through once a suggestion is applied, and the pair is remembered for next time.
//! Also: every name the simulator's image filter blocks has a generic description to use instead,
//! and the preflight marks it while the designer types; and the preflight, the rewrite assistant and
//! the simulator's safety judge (one phrase matcher) agree on those names and on ordinary prompts.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] runs the test body with block_on; there is no UI thread in a test"
)]

use std::sync::Arc;

use crate::sim_rig::{client_for, run_to_end, spec, start_sim};
use peel::diagnosis::Layer;
use peel::rewrite::matcher::Tokens;
use peel::rewrite::names::NameBook;
use peel::rewrite::preflight::{Context, Verdict, preflight};
use peel::rewrite::{Advice, Rule, advise, rewrites};
use peel::sim::Scenario;
use peel::sim::safety::{self, SafetyRules};
use peel::store::Store;
use peel::worker::{Engine, EngineConfig, JobSpec, JobState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_strict_day_an_applied_suggestion_goes_through_and_is_remembered() {
    let sim = start_sim(Scenario::StrictSafety, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("peel.db")).unwrap());
    let engine = Engine::new(
        client_for(&sim, "v1beta", None),
        Arc::clone(&store),
        EngineConfig::defaults(dir.path().join("images"), 2),
    );

    for (prompt, wanted_rule) in [
        (
            "a fox in a snowy forest, Studio Ghibli style",
            Rule::GenericDescription,
        ),
        (
            "a photo of Keanu Reeves riding a motorcycle",
            Rule::ArtStyle,
        ),
        ("Elsa's ice palace at night", Rule::GenericDescription),
    ] {
        let blocked = run_to_end(&engine, &spec(prompt)).await;
        assert_eq!(
            blocked.status,
            JobState::Stopped,
            "{prompt}: {}",
            blocked.reason
        );
        let diagnosis = blocked.diagnosis.unwrap();
        assert_eq!(diagnosis.layer, Layer::ImageFilter, "{prompt}");
        assert_eq!(blocked.attempts.len(), 1, "a content block is not retried");

        let Advice::Rewrites { suggestions, .. } = advise(prompt, &diagnosis) else {
            panic!("{prompt}: the image filter gets rewrites")
        };
        let chosen = suggestions
            .iter()
            .find(|s| s.edits.iter().any(|e| e.rule == wanted_rule))
            .unwrap_or_else(|| {
                panic!("{prompt}: no {wanted_rule:?} suggestion in {suggestions:#?}")
            });
        let passed = run_to_end(
            &engine,
            &JobSpec {
                rewrite_of: Some(blocked.job),
                ..spec(&chosen.prompt)
            },
        )
        .await;
        assert_eq!(
            passed.status,
            JobState::Delivered,
            "{prompt} → {}: {}",
            chosen.prompt,
            passed.reason
        );
    }
    let remembered = store.remembered_rewrites(10).unwrap();
    assert_eq!(remembered.len(), 3);
    assert_eq!(remembered[0].blocked, "Elsa's ice palace at night");
    assert_eq!(remembered[0].names, vec!["Elsa".to_owned()]);
    sim.shutdown().await.unwrap();
}

/// Every name the simulator's image filter blocks (characters and franchises it recites, real
/// public figures), with its rule's name; the simulator's own `sim:` trigger words left out.
fn names_the_simulator_blocks() -> Vec<(String, String)> {
    let rules: toml::Value = toml::from_str(peel::sim::safety::RULES_TOML).unwrap();
    let mut names = Vec::new();
    for rule in rules["layer2"].as_array().unwrap() {
        let name = rule["name"].as_str().unwrap();
        let names_only = rule["finish_reason"].as_str() == Some("IMAGE_RECITATION")
            || name.starts_with("real public figures");
        if !names_only {
            continue;
        }
        for term in rule["terms"].as_array().unwrap() {
            let term = term.as_str().unwrap();
            if !term.starts_with("sim:") {
                names.push((term.to_owned(), name.to_owned()));
            }
        }
    }
    assert!(names.len() > 100, "{}", names.len());
    names
}

#[test]
fn every_name_the_simulator_blocks_has_a_description() {
    let book = NameBook::builtin();
    for (term, rule) in names_the_simulator_blocks() {
        assert!(
            !book.find(&Tokens::new(&term)).is_empty(),
            "no description for {term:?} (rule {rule:?})"
        );
    }
}

#[test]
fn every_name_the_simulators_image_filter_blocks_is_marked_by_the_preflight() {
    for (term, rule) in names_the_simulator_blocks() {
        let prompt = format!("a poster of {term} in the rain");
        let placed = 12..12 + term.len();
        let result = preflight(&prompt, &Context::default());
        assert_eq!(result.verdict, Verdict::LikelyBlocked, "{term:?} ({rule})");
        assert!(
            result.marks.iter().any(|m| m.kind.is_name()
                && m.span.start < placed.end
                && placed.start < m.span.end),
            "{term:?} ({rule}) not marked: {:?}",
            result.marks
        );
    }
}

/// What each of the three says about `prompt`: the preflight's verdict, whether the rewrite
/// assistant replaces a name, and the simulator's verdict on its strictest day.
fn three_opinions(prompt: &str) -> (Verdict, bool, safety::Verdict) {
    let preflight = preflight(prompt, &Context::default()).verdict;
    let renamed = rewrites(prompt)
        .iter()
        .flat_map(|s| &s.edits)
        .any(|e| e.rule == Rule::GenericDescription);
    let judged = SafetyRules::builtin().judge(prompt, &[], true);
    (preflight, renamed, judged)
}

#[test]
fn the_preflight_the_rewrite_assistant_and_the_simulator_agree() {
    for (term, rule) in names_the_simulator_blocks() {
        // A photo: the simulator blocks real people only in photographs.
        let prompt = format!("a photo of {term} in the rain");
        let (preflight, renamed, judged) = three_opinions(&prompt);
        assert_eq!(preflight, Verdict::LikelyBlocked, "{prompt:?} ({rule})");
        assert!(renamed, "{prompt:?} ({rule}): no name replaced");
        assert!(
            matches!(judged, safety::Verdict::ImageBlocked { .. }),
            "{prompt:?} ({rule}): the simulator says {judged:?}"
        );
    }
    let ordinary = include_str!("../fixtures/ordinary_prompts.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty());
    for prompt in ordinary {
        let (preflight, renamed, judged) = three_opinions(prompt);
        assert_eq!(preflight, Verdict::LikelyToPass, "{prompt:?}");
        assert!(!renamed, "{prompt:?}: a name replaced");
        assert_eq!(judged, safety::Verdict::Pass, "{prompt:?}");
    }
}
