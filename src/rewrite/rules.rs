//! The art-style and minor-subject rules (`assets/rewrite_rules.toml`), folded once.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::diagnosis::matcher::Phrase;

#[derive(Deserialize)]
struct RulesFile {
    names: NamesFile,
    style: StyleFile,
    minors: MinorsFile,
}

#[derive(Deserialize)]
struct NamesFile {
    ordinary: Vec<String>,
}

#[derive(Deserialize)]
struct StyleFile {
    styles: Vec<String>,
    cue: Vec<CueFile>,
    people: Vec<String>,
}

#[derive(Deserialize)]
struct CueFile {
    terms: Vec<String>,
    becomes: String,
}

#[derive(Deserialize)]
struct MinorsFile {
    ambiguous: Vec<AmbiguousFile>,
    children: Vec<String>,
    descriptors: Vec<String>,
    descriptor_lead: Vec<String>,
}

#[derive(Deserialize)]
struct AmbiguousFile {
    term: String,
    becomes: String,
}

/// A phrase as written in the rules, and folded.
#[derive(Clone, Debug)]
pub struct Term {
    /// As written.
    pub text: String,
    /// Folded.
    pub phrase: Phrase,
}

impl Term {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            phrase: Phrase::new(text),
        }
    }
}

fn terms(texts: &[String]) -> Vec<Term> {
    let mut terms: Vec<Term> = texts.iter().map(|t| Term::new(t)).collect();
    // Longest first, so "portrait photo" is found before "photo".
    terms.sort_by_key(|t| std::cmp::Reverse(t.phrase.len()));
    terms
}

/// Words that ask for a photo, and what they become (`{style}` is the suggestion's style).
#[derive(Clone, Debug)]
pub struct StyleCue {
    /// The words.
    pub term: Term,
    /// Their replacement; empty removes them.
    pub becomes: String,
}

/// Every rule besides the names.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Ordinary phrases that contain a name ("King Charles spaniel"): names inside are left alone.
    pub ordinary: Vec<Term>,
    /// The art styles offered, one per suggestion.
    pub styles: Vec<String>,
    /// Photo cues, longest first.
    pub style_cues: Vec<StyleCue>,
    /// Words that put people in the picture.
    pub people: Vec<Term>,
    /// Words that may mean a young adult, with their explicit adult form.
    pub ambiguous: Vec<(Term, String)>,
    /// Words that clearly mean a child.
    pub children: Vec<Term>,
    /// Clothing, pose and body descriptors.
    pub descriptors: Vec<Term>,
    /// Small words removed with a descriptor just before it.
    pub descriptor_lead: Vec<String>,
}

impl Rules {
    /// Reads a rules file.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        let file: RulesFile = toml::from_str(text)?;
        let mut style_cues: Vec<StyleCue> = file
            .style
            .cue
            .iter()
            .flat_map(|cue| {
                cue.terms.iter().map(|term| StyleCue {
                    term: Term::new(term),
                    becomes: cue.becomes.clone(),
                })
            })
            .collect();
        style_cues.sort_by_key(|c| std::cmp::Reverse(c.term.phrase.len()));
        let mut ambiguous: Vec<(Term, String)> = file
            .minors
            .ambiguous
            .iter()
            .map(|a| (Term::new(&a.term), a.becomes.clone()))
            .collect();
        ambiguous.sort_by_key(|(t, _)| std::cmp::Reverse(t.phrase.len()));
        Ok(Self {
            ordinary: terms(&file.names.ordinary),
            styles: file.style.styles,
            style_cues,
            people: terms(&file.style.people),
            ambiguous,
            children: terms(&file.minors.children),
            descriptors: terms(&file.minors.descriptors),
            descriptor_lead: file
                .minors
                .descriptor_lead
                .iter()
                .map(|w| crate::diagnosis::matcher::fold(w))
                .collect(),
        })
    }

    /// The rules shipped in `assets/rewrite_rules.toml`.
    ///
    /// # Panics
    ///
    /// Never in a build that passed its tests: the asset is compiled in and a unit test parses it.
    pub fn builtin() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(|| {
            #[expect(
                clippy::expect_used,
                reason = "a shipped asset; its own unit test parses it"
            )]
            Rules::parse(include_str!("../../assets/rewrite_rules.toml"))
                .expect("assets/rewrite_rules.toml parses")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let rules = Rules::builtin();
        assert_eq!(rules.styles.len(), 3);
        assert!(rules.style_cues.iter().any(|c| c.term.text == "photo"));
        assert!(rules.children.iter().any(|t| t.text == "child"));
        assert!(rules.descriptors.iter().any(|t| t.text == "bikini"));
    }
}
