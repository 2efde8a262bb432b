//! Phrase matching for the simulator's safety rules: case-insensitive, accent-insensitive
//! ("Pokémon" = "Pokemon"), whole words, possessives ("Elsa's") and plural s/es tolerated,
//! hyphens and punctuation treated as word breaks ("Spider-Man" = "spider man").

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

/// A text cut into comparable words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Words(Vec<String>);

impl Words {
    /// Splits and folds a text.
    pub fn new(text: &str) -> Self {
        let folded: String = text
            .nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .map(|c| if c == '\u{2019}' { '\'' } else { c })
            .collect();
        let words = folded
            .split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '\''))
            .map(|word| {
                let word = word.trim_matches('\'');
                let word = word.strip_suffix("'s").unwrap_or(word);
                word.replace('\'', "")
            })
            .filter(|word| !word.is_empty())
            .collect();
        Self(words)
    }

    /// Whether `phrase` occurs here as whole words.
    pub fn contains(&self, phrase: &Words) -> bool {
        let (words, wanted) = (&self.0, &phrase.0);
        if wanted.is_empty() || wanted.len() > words.len() {
            return false;
        }
        words.windows(wanted.len()).any(|window| {
            window
                .iter()
                .zip(wanted)
                .all(|(word, want)| same_word(word, want))
        })
    }
}

/// Equal, or a plural of the wanted word.
fn same_word(word: &str, wanted: &str) -> bool {
    word == wanted
        || word.strip_suffix('s').is_some_and(|stem| stem == wanted)
        || word.strip_suffix("es").is_some_and(|stem| stem == wanted)
}

/// A list of phrases, folded once.
#[derive(Clone, Debug, Default)]
pub struct PhraseList {
    phrases: Vec<(String, Words)>,
}

impl PhraseList {
    /// Folds every phrase.
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> Self {
        Self {
            phrases: phrases
                .iter()
                .map(|p| (p.as_ref().to_owned(), Words::new(p.as_ref())))
                .collect(),
        }
    }

    /// The first phrase found in `words`, as written in the list.
    pub fn first_match(&self, words: &Words) -> Option<&str> {
        self.phrases
            .iter()
            .find(|(_, phrase)| words.contains(phrase))
            .map(|(raw, _)| raw.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str, phrase: &str) -> bool {
        Words::new(text).contains(&Words::new(phrase))
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
    }

    #[test]
    fn no_partial_words() {
        assert!(!hit("a spiderweb at dawn", "spider man"));
        assert!(!hit("Elsanna fan art", "Elsa"));
        assert!(!hit("a mouse eating cheese", "Mickey Mouse"));
        assert!(!hit("sim:image", "sim:image-safety"));
    }
}
