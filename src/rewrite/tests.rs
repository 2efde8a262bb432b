//! Tests per rule and per matching hazard, and the zero-edit list of ordinary prompts.

use super::*;
use crate::diagnosis::{DiagnosisContext, Evidence, diagnose};

const BOOK: &str = r#"
[[entry]]
name = "Elsa"
aliases = ["Queen Elsa"]
kind = "character"
description = "a young woman with a long platinum braid in an icy blue gown"

[[entry]]
name = "Spider-Man"
aliases = ["Spiderman", "Peter Parker"]
kind = "character"
description = "a masked acrobat in a red and blue suit with a web pattern"

[[entry]]
name = "Pokémon"
aliases = ["Pokemon"]
kind = "franchise"
description = "small colourful pocket monsters"

[[entry]]
name = "Taylor Swift"
kind = "public_figure"
description = "a tall woman with long wavy blonde hair and red lipstick"

[[entry]]
name = "Apple logo"
kind = "brand"
description = "a simple fruit-shaped logo"

[[entry]]
name = "Studio Ghibli style"
aliases = ["Ghibli style"]
kind = "studio_style"
description = "a soft hand-painted animation style with watercolor backgrounds"
"#;

fn suggest(prompt: &str) -> Vec<Suggestion> {
    let book = NameBook::parse(BOOK).unwrap();
    rewrites_with(prompt, &book, Rules::builtin())
}

fn first(prompt: &str) -> String {
    suggest(prompt)
        .first()
        .map(|s| s.prompt.clone())
        .unwrap_or_default()
}

#[test]
fn rule_1_names_become_generic_descriptions_with_a_reason() {
    let suggestions = suggest("Elsa walking through a snowy forest at dusk");
    assert_eq!(
        suggestions.len(),
        1,
        "no people or photo words: one suggestion"
    );
    let edit = &suggestions[0].edits[0];
    assert_eq!(edit.rule, Rule::GenericDescription);
    assert_eq!(edit.from, "Elsa");
    assert!(
        edit.reason.contains("protected character"),
        "{}",
        edit.reason
    );
    assert_eq!(
        suggestions[0].prompt,
        "a young woman with a long platinum braid in an icy blue gown walking through a snowy forest at dusk"
    );
}

#[test]
fn rule_1_covers_brands_franchises_studio_styles_and_articles() {
    assert_eq!(
        first("a phone case with the Apple logo"),
        "a phone case with a simple fruit-shaped logo"
    );
    assert_eq!(
        first("a fox, Ghibli style"),
        "a fox, a soft hand-painted animation style with watercolor backgrounds"
    );
    assert_eq!(
        first("an Elsa doll on a shelf"),
        "a young woman with a long platinum braid in an icy blue gown doll on a shelf"
    );
}

#[test]
fn hazards_case_possessives_plurals_punctuation_diacritics_multiword_aliases() {
    for (prompt, from) in [
        ("ELSA in the snow", "ELSA"),
        ("Elsa's ice palace", "Elsa"),
        ("Elsa\u{2019}s ice palace", "Elsa"),
        ("two Pokemons in a meadow", "Pokemons"),
        ("a POKÉMON in a meadow", "POKÉMON"),
        ("spider man on a roof", "spider man"),
        ("Spiderman on a roof", "Spiderman"),
        ("Peter Parker on a roof", "Peter Parker"),
        ("Queen Elsa on a throne", "Queen Elsa"),
        ("a poster: Elsa, in the snow!", "Elsa"),
    ] {
        let suggestions = suggest(prompt);
        let edits = &suggestions
            .first()
            .unwrap_or_else(|| panic!("{prompt}"))
            .edits;
        assert_eq!(edits[0].from, from, "{prompt}");
    }
    // The possessive stays in place after the description.
    assert!(first("Elsa's ice palace").ends_with("gown's ice palace"));
}

#[test]
fn hazards_a_name_inside_an_ordinary_phrase_is_left_alone() {
    let book = NameBook::builtin();
    let rules = Rules::builtin();
    assert!(rewrites_with("a King Charles spaniel asleep on a rug", book, rules).is_empty());
    assert!(!rewrites_with("a portrait of King Charles in uniform", book, rules).is_empty());
}

#[test]
fn hazards_names_inside_other_words_are_left_alone() {
    for prompt in [
        "an Elsaesser-style landscape",
        "a red apple on a table",
        "a spider on a man's hat",
        "pokemonlike creatures",
    ] {
        assert!(suggest(prompt).is_empty(), "{prompt}");
    }
}

#[test]
fn rule_2_photos_of_people_get_an_explicit_art_style() {
    let suggestions = suggest("a photo of Taylor Swift at the beach, 85mm, DSLR");
    assert_eq!(suggestions.len(), 3, "{suggestions:#?}");
    assert_eq!(
        suggestions[0].prompt,
        "a photo of a tall woman with long wavy blonde hair and red lipstick at the beach, 85mm, DSLR"
    );
    assert_eq!(
        suggestions[1].prompt,
        "a digital watercolor illustration of a tall woman with long wavy blonde hair and red lipstick at the beach"
    );
    assert!(
        suggestions[2]
            .prompt
            .starts_with("a flat vector illustration of")
    );
    let style = suggestions[1]
        .edits
        .iter()
        .find(|e| e.rule == Rule::ArtStyle)
        .unwrap();
    assert!(style.reason.contains("art style"), "{}", style.reason);
}

#[test]
fn rule_2_a_real_name_without_photo_words_still_gets_a_style() {
    let suggestions = suggest("Taylor Swift at the beach");
    assert_eq!(suggestions.len(), 3);
    assert!(
        suggestions[1]
            .prompt
            .ends_with("at the beach, as a digital watercolor illustration"),
        "{}",
        suggestions[1].prompt
    );
}

#[test]
fn rule_2_photos_without_identifiable_people_are_left_alone() {
    assert!(suggest("a photo of a mountain lake at dawn, 35mm").is_empty());
    assert!(suggest("a photorealistic red apple").is_empty());
    assert!(suggest("a photo of a woman reading in a cafe, 85mm").is_empty());
}

#[test]
fn rule_2_a_character_as_a_real_person_in_a_photo_gets_a_style() {
    let suggestions = suggest("a realistic photo of Elsa as a real woman, cosplay");
    assert!(suggestions.len() >= 2, "{suggestions:#?}");
    assert!(
        suggestions[1]
            .edits
            .iter()
            .any(|e| e.rule == Rule::ArtStyle)
    );
}

#[test]
fn rule_3_an_ambiguous_girl_is_made_explicitly_adult() {
    let suggestions = suggest("a girl in a bikini on the beach");
    let edit = &suggestions[0].edits[0];
    assert_eq!(edit.rule, Rule::AdultSubject);
    assert_eq!(
        suggestions[0].prompt,
        "an adult woman in a bikini on the beach"
    );
    assert!(edit.reason.contains("age is made explicit"));
}

#[test]
fn rule_3_a_child_is_never_aged_up_the_descriptors_go() {
    let suggestions = suggest("a child in a bikini on the beach");
    assert_eq!(suggestions[0].prompt, "a child on the beach");
    let suggestions_2 = suggest("a teenager wearing lingerie, lying on a bed");
    assert_eq!(suggestions_2[0].prompt, "a teenager");
    assert!(
        suggestions[0]
            .edits
            .iter()
            .all(|e| e.rule == Rule::RemovedDescriptor)
    );
    assert!(
        suggestions[0].edits[0]
            .reason
            .contains("never makes a child older")
    );
}

#[test]
fn rule_3_needs_both_a_young_subject_and_a_descriptor() {
    assert!(suggest("a girl reading in a library").is_empty());
    assert!(suggest("a woman in a bikini on the beach").is_empty());
    assert!(suggest("children playing football in the park").is_empty());
}

fn diagnosis_of(status: u16, body: &str) -> Diagnosis {
    diagnose(
        &Evidence::http(status, body),
        &DiagnosisContext::new(jiff::Timestamp::now()),
    )
}

#[test]
fn rule_4_layer_1_gets_a_setting_and_prohibited_gets_a_plain_no() {
    let layer_1 = diagnosis_of(
        200,
        r#"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"MEDIUM","blocked":true}]}}"#,
    );
    assert_eq!(layer_1.kind, Kind::BlockedSafety);
    let Advice::ChangeSetting { message } = advise("Elsa with a sword", &layer_1) else {
        panic!("Layer 1 gets a setting, not a rewrite")
    };
    assert!(message.contains("No rewrite needed"), "{message}");
    assert!(message.to_lowercase().contains("dangerous"), "{message}");

    let prohibited = diagnosis_of(
        200,
        r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#,
    );
    let Advice::NothingHelps { message } = advise("Elsa", &prohibited) else {
        panic!("prohibited: nothing helps")
    };
    assert!(message.starts_with("Neither a setting nor a rewrite will help"));

    let image = diagnosis_of(
        200,
        r#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_SAFETY"}]}"#,
    );
    assert!(
        matches!(advise("Elsa", &image), Advice::Rewrites { suggestions, .. } if !suggestions.is_empty())
    );
    let overloaded = diagnosis_of(503, r#"{"error":{"code":503,"status":"UNAVAILABLE"}}"#);
    assert_eq!(advise("Elsa", &overloaded), Advice::NotAContentBlock);
}

#[test]
fn an_image_block_with_nothing_to_change_says_what_to_try() {
    let Advice::Rewrites { suggestions, note } = advise_kind("a fox", Kind::ImageSafety) else {
        panic!("image filter: rewrites")
    };
    assert!(suggestions.is_empty());
    assert!(note.unwrap().contains("no names"));
}

#[test]
fn ordinary_prompts_get_zero_edits() {
    let list = include_str!("../../tests/fixtures/ordinary_prompts.txt");
    let prompts: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    assert!(prompts.len() >= 200, "{} ordinary prompts", prompts.len());
    for prompt in prompts {
        let suggestions = rewrites(prompt);
        assert!(
            suggestions.is_empty(),
            "{prompt:?} got edits: {:?}",
            suggestions.first().map(|s| &s.edits)
        );
    }
}

#[test]
fn a_name_after_a_multi_byte_character_is_replaced_without_a_panic() {
    // "é", "✨" and "雪" end in bytes that are not character boundaries two or three bytes
    // before the name: looking for an article there must not slice inside them.
    for prompt in [
        "café Elsa at dusk",
        "✨ Elsa in her ice palace",
        "雪 Elsa",
        "é Elsa",
    ] {
        let rewritten = first(prompt);
        assert!(
            rewritten.contains("a young woman"),
            "{prompt:?} → {rewritten:?}"
        );
        assert!(!rewritten.contains("Elsa"), "{rewritten}");
    }
    assert_eq!(
        first("ça a Elsa doll"),
        "ça a young woman with a long platinum braid in an icy blue gown doll"
    );
}
