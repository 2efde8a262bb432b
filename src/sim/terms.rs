//! The terms of the simulator's safety rules, matched with Peel's one phrase matcher
//! ([`crate::diagnosis::matcher`], the one the rewrite assistant and the preflight use), so the
//! simulator's judge and the client's checks agree on every prompt: case- and accent-insensitive,
//! whole words, possessives and plural s/es tolerated, hyphens as word breaks, and a phrase never
//! running across sentence punctuation ("a tiger, woods behind" is not "Tiger Woods").
//!
//! The simulator's own test triggers (`sim:image-safety` …) are not phrases: each is one word of
//! letters, digits, ':' and '-', found only whole ("sim:image" is not in "sim:image-safety").

use crate::diagnosis::matcher::{Phrase, Tokens};

/// The prefix of the simulator's trigger words.
const TRIGGER_PREFIX: &str = "sim:";

/// A prompt, cut once for every rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Words {
    /// The prompt's words, as the shared matcher cuts them.
    tokens: Tokens,
    /// The prompt's trigger-shaped words, lowercase.
    triggers: Vec<String>,
}

impl Words {
    /// Cuts `prompt` into words.
    pub fn new(prompt: &str) -> Self {
        let triggers = prompt
            .split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '-'))
            .filter(|word| word.len() > TRIGGER_PREFIX.len())
            .map(str::to_lowercase)
            .filter(|word| word.starts_with(TRIGGER_PREFIX))
            .collect();
        Self {
            tokens: Tokens::new(prompt),
            triggers,
        }
    }
}

/// The value of the first of `triggers` (lowercase `sim:` words) that stands whole in `prompt`:
/// how faults and hostile answers are forced, the same way as the safety rules' triggers.
pub fn triggered<T: Copy>(prompt: &str, triggers: &[(&str, T)]) -> Option<T> {
    let words = Words::new(prompt);
    triggers
        .iter()
        .find(|(word, _)| words.triggers.iter().any(|found| found == word))
        .map(|(_, value)| *value)
}

/// One term of a rule: a phrase, or a trigger word.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    /// Found with the shared matcher.
    Phrase(Phrase),
    /// Found whole, lowercase.
    Trigger(String),
}

impl Term {
    fn new(text: &str) -> Self {
        let lower = text.to_lowercase();
        if lower.starts_with(TRIGGER_PREFIX) {
            Self::Trigger(lower)
        } else {
            Self::Phrase(Phrase::new(text))
        }
    }

    fn is_in(&self, words: &Words) -> bool {
        match self {
            Self::Phrase(phrase) => words.tokens.contains(phrase),
            Self::Trigger(trigger) => words.triggers.contains(trigger),
        }
    }
}

/// A list of terms, folded once.
#[derive(Clone, Debug, Default)]
pub struct PhraseList {
    terms: Vec<(String, Term)>,
}

impl PhraseList {
    /// Folds every term.
    pub fn new<S: AsRef<str>>(terms: &[S]) -> Self {
        Self {
            terms: terms
                .iter()
                .map(|t| (t.as_ref().to_owned(), Term::new(t.as_ref())))
                .collect(),
        }
    }

    /// The first term found in `words`, as written in the list.
    pub fn first_match(&self, words: &Words) -> Option<&str> {
        self.terms
            .iter()
            .find(|(_, term)| term.is_in(words))
            .map(|(raw, _)| raw.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str, term: &str) -> bool {
        PhraseList::new(&[term])
            .first_match(&Words::new(text))
            .is_some()
    }

    #[test]
    fn hazards_of_real_prompts() {
        assert!(hit("Elsa's ice palace at dawn", "Elsa"));
        assert!(hit("a POKÉMON battle", "pokemon"));
        assert!(hit("Spider-Man swinging", "spider man"));
        assert!(hit("two spider man figures", "Spider-Man"));
        assert!(hit("kids in bikinis", "bikini"));
        assert!(hit("a 12-year-old girl", "12 year old"));
        assert!(hit("McDonald’s fries", "McDonald's"));
        assert!(hit("trigger sim:image-safety please", "sim:image-safety"));
        assert!(hit("(SIM:IMAGE-SAFETY)", "sim:image-safety"));
    }

    #[test]
    fn no_partial_words() {
        assert!(!hit("a spiderweb at dawn", "spider man"));
        assert!(!hit("Elsanna fan art", "Elsa"));
        assert!(!hit("a mouse eating cheese", "Mickey Mouse"));
        assert!(!hit("sim:image", "sim:image-safety"));
        assert!(!hit("sim:image-safety-xyz", "sim:image-safety"));
    }

    #[test]
    fn a_trigger_list_gives_the_first_whole_trigger() {
        let triggers = [("sim:drop", 1), ("sim:mime-lie", 2)];
        assert_eq!(triggered("a fox, SIM:MIME-LIE.", &triggers), Some(2));
        assert_eq!(triggered("a fox sim:dropped", &triggers), None);
        assert_eq!(triggered("a fox", &triggers), None);
    }

    #[test]
    fn a_phrase_does_not_run_across_sentence_punctuation() {
        assert!(!hit("a tiger, woods behind it", "Tiger Woods"));
        assert!(hit("Tiger Woods' swing", "Tiger Woods"));
    }
}
