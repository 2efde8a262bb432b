//! Preflight tests: marks per kind, the verdicts, replacements, the memory, the cost of a block,
//! and the two data tests (every name the simulator's image filter blocks is marked; the ordinary
//! prompts get no mark at all).

use super::*;
use crate::api::catalog::Catalog;
use crate::rewrite::names::NameBook;

fn check(prompt: &str) -> Preflight {
    preflight(prompt, &Context::default())
}

fn marked(prompt: &str) -> Vec<(&str, MarkKind)> {
    check(prompt)
        .marks
        .into_iter()
        .map(|m| (&prompt[m.span.clone()], m.kind))
        .collect()
}

fn ordinary_prompts() -> Vec<&'static str> {
    include_str!("../../../tests/fixtures/ordinary_prompts.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

#[test]
fn a_named_character_is_marked_with_why_and_a_description() {
    let result = check("Elsa's ice palace at night");
    assert_eq!(result.marks.len(), 1);
    let mark = &result.marks[0];
    assert_eq!(mark.text, "Elsa");
    assert_eq!(mark.kind, MarkKind::Character);
    assert!(mark.why.contains("image filter"), "{}", mark.why);
    assert!(!mark.suggestions[0].is_empty());
    assert!(!mark.suggestions[0].contains("Elsa"));
    assert_eq!(result.verdict, Verdict::LikelyBlocked);
    assert_eq!(
        result.headline,
        "Likely blocked by the image filter (1 name)"
    );
}

#[test]
fn names_brands_styles_and_people_are_counted_in_the_verdict() {
    assert_eq!(
        marked("Darth Vader drinking a Coca-Cola, Studio Ghibli style"),
        [
            ("Darth Vader", MarkKind::Character),
            ("Coca-Cola", MarkKind::Brand),
            ("Studio Ghibli style", MarkKind::StudioStyle),
        ]
    );
    assert_eq!(
        check("Batman and Superman on a rooftop").headline,
        "Likely blocked by the image filter (2 names)"
    );
    let photo = check("a photo of Keanu Reeves on a motorcycle");
    assert_eq!(photo.marks[0].kind, MarkKind::PublicFigure);
    assert!(photo.marks[0].why.contains("asks for a photo"));
    let painting = check("Keanu Reeves as an oil painting");
    assert!(!painting.marks[0].why.contains("asks for a photo"));
}

#[test]
fn ambiguous_age_and_child_descriptors_are_marked() {
    let adult = check("a girl in a bikini on the beach");
    assert_eq!(adult.marks.len(), 1, "{:?}", adult.marks);
    assert_eq!(adult.marks[0].kind, MarkKind::AmbiguousAge);
    assert_eq!(adult.marks[0].suggestions, ["an adult woman"]);
    assert_eq!(
        apply_one(
            "a girl in a bikini on the beach",
            &adult.marks[0],
            "an adult woman"
        ),
        "an adult woman in a bikini on the beach"
    );
    assert_eq!(
        adult.headline,
        "Likely blocked by the image filter (1 age word)"
    );

    let child = check("a child in a bikini at the pool");
    assert_eq!(child.marks[0].kind, MarkKind::ChildDescriptor);
    assert_eq!(child.marks[0].text, "in a bikini");
    assert_eq!(child.marks[0].action(""), "Remove \"in a bikini\"");
    assert_eq!(
        child.apply_all("a child in a bikini at the pool"),
        "a child at the pool"
    );
    // A girl with no clothing or body word is ordinary.
    assert!(check("a girl flying a kite").marks.is_empty());
}

#[test]
fn prohibited_content_is_blocked_by_policy_whatever_the_settings() {
    let result = check("revenge porn of Taylor Swift");
    assert_eq!(result.verdict, Verdict::BlockedByPolicy);
    assert_eq!(result.headline, "Blocked by policy whatever the settings");
    assert!(result.marks[0].suggestions.is_empty());
    assert_eq!(result.marks[0].kind, MarkKind::Prohibited);
}

#[test]
fn replace_all_applies_each_first_suggestion_and_leaves_nothing_marked() {
    let prompt = "Elsa and Buzz Lightyear at a birthday party, Pixar style";
    let result = check(prompt);
    assert_eq!(result.marks.len(), 3);
    let replaced = result.apply_all(prompt);
    assert!(
        !replaced.contains("Elsa") && !replaced.contains("Pixar"),
        "{replaced}"
    );
    assert!(check(&replaced).marks.is_empty(), "{replaced}");
    assert_eq!(check(&replaced).verdict, Verdict::LikelyToPass);
}

#[test]
fn the_memory_says_passed_before_and_names_the_layer_1_category() {
    let mut memory = Memory::default();
    memory.names.insert(
        "Elsa".to_owned(),
        Past {
            passed: 2,
            blocked: 0,
        },
    );
    let context = Context {
        memory: Some(&memory),
        ..Context::default()
    };
    let result = preflight("Elsa's ice palace at night", &context);
    assert_eq!(
        result.marks[0].before.and_then(Past::words).unwrap(),
        "passed before"
    );
    assert_eq!(result.verdict, Verdict::LikelyToPass);
    assert_eq!(
        result.headline,
        "Likely to pass: every marked name passed before"
    );

    memory.prompts.insert(
        prompt_key("A knight, with a sword!"),
        PromptPast {
            kind: "blocked_safety".to_owned(),
            category: Some("HARM_CATEGORY_DANGEROUS_CONTENT".to_owned()),
        },
    );
    let context = Context {
        memory: Some(&memory),
        ..Context::default()
    };
    let result = preflight("a knight with a sword", &context);
    assert_eq!(result.verdict, Verdict::LikelyBlocked);
    let hint = result.hint.unwrap();
    assert!(
        hint.contains("set Dangerous content to \"Block only high\""),
        "{hint}"
    );
    assert!(preflight("a knight with a shield", &context).hint.is_none());
}

#[test]
fn the_cost_of_a_block_comes_from_the_catalog() {
    let catalog = Catalog::builtin();
    let pro = catalog.get("gemini-3-pro-image").unwrap();
    let cost = BlockCost::estimate(pro, "4K", "Elsa's ice palace at night");
    assert_eq!(cost.thinking_tokens, TYPICAL_BLOCK_THINKING_TOKENS);
    assert_eq!(cost.prompt_tokens, 7);
    assert!(!cost.prices_published);
    assert_eq!(cost.image_usd, Some(0.24));
    assert!(
        cost.sentence().contains("~240 thinking tokens"),
        "{}",
        cost.sentence()
    );

    let flash = catalog.get("gemini-nano-banana-2.1").unwrap();
    let cost = BlockCost::estimate(flash, "1K", &"x".repeat(4000));
    assert!(cost.prices_published);
    assert_eq!(cost.thinking_tokens, 0);
    assert!((cost.usd - 1000.0 * 1.5 / 1_000_000.0).abs() < 1e-12);

    let context = Context {
        model: Some(pro),
        image_size: "1K",
        memory: None,
    };
    let line = preflight("Elsa's ice palace", &context).line();
    assert!(
        line.starts_with("Likely blocked by the image filter (1 name). A block on Nano Banana Pro"),
        "{line}"
    );
    assert_eq!(preflight("a red fox", &context).line(), "Likely to pass.");
}

#[test]
fn the_index_finds_what_the_name_book_finds() {
    let book = NameBook::builtin();
    let mut prompts = ordinary_prompts();
    prompts.extend([
        "Super Mario Bros poster with Mario's hat",
        "Spider-Man and spider man and SPIDERMAN",
        "three Minions, the Smurfs' village, Elsa's palace",
        "Tiger Woods' swing, a tiger, woods behind it",
        "Mickey Mouse and Minnie Mouse at Gotham City",
    ]);
    for prompt in prompts {
        let tokens = Tokens::new(prompt);
        let from_book: Vec<(Range<usize>, &str)> = book
            .find(&tokens)
            .into_iter()
            .map(|hit| (hit.span, hit.entry.name.as_str()))
            .collect();
        let from_index: Vec<(Range<usize>, &str)> = DATA
            .names
            .find(&tokens)
            .into_iter()
            .map(|(span, index)| (span, book.entries()[index].name.as_str()))
            .collect();
        assert_eq!(from_index, from_book, "{prompt}");
    }
}

#[test]
fn every_ordinary_prompt_gets_zero_marks() {
    let prompts = ordinary_prompts();
    assert!(prompts.len() >= 200, "{}", prompts.len());
    for prompt in prompts {
        let result = check(prompt);
        assert!(result.marks.is_empty(), "{prompt:?}: {:?}", result.marks);
        assert_eq!(result.verdict, Verdict::LikelyToPass);
    }
}

fn sim_rules() -> toml::Value {
    toml::from_str(include_str!("../../../assets/sim_safety_rules.toml")).unwrap()
}

// Every name the simulator's image filter blocks is marked: `tests/engine/rewrite_sim.rs`, beside
// the check that each has a description (both read the simulator's rules).

#[test]
fn every_prompt_the_simulator_prohibits_is_blocked_by_policy() {
    let rules = sim_rules();
    let mut checked = 0;
    for rule in rules["prohibited"].as_array().unwrap() {
        for term in rule["terms"].as_array().unwrap() {
            let term = term.as_str().unwrap();
            if term.starts_with("sim:") {
                continue;
            }
            assert_eq!(check(term).verdict, Verdict::BlockedByPolicy, "{term:?}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked}");
}

#[test]
fn text_with_multi_byte_characters_before_a_name_is_checked_without_a_panic() {
    for prompt in [
        "café Elsa",
        "✨ Elsa in her ice palace",
        "雪 Elsa",
        "naïve Elsa, a Elsa",
    ] {
        let result = check(prompt);
        assert_eq!(result.verdict, Verdict::LikelyBlocked, "{prompt:?}");
        for mark in &result.marks {
            assert!(
                prompt.is_char_boundary(mark.span.start) && prompt.is_char_boundary(mark.span.end)
            );
        }
    }
}
