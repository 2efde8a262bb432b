//! Finding phrases in a prompt the way people write them: case and accents ignored ("Pokémon" =
//! "pokemon"), hyphens and punctuation as word breaks ("Spider-Man" = "spider man"), a possessive
//! 's and a plural s/es tolerated ("Elsa's", "Minions"), whole words only ("Elsa" is not found in
//! "Elsaesser"). Every hit keeps its byte span in the original text, so edits can replace exactly
//! what was written.
//!
//! Peel's one phrase matcher: the rewrite assistant, the preflight and the simulator's safety judge
//! all find names and terms with it, so they agree on what a prompt contains. It lives here, below
//! both `rewrite` and `sim`, because both may use `diagnosis` (it is also `rewrite::matcher`).

use std::ops::Range;

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

/// One word of a text: its folded form and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Lowercase, accents removed, possessive and apostrophes dropped.
    pub folded: String,
    /// Byte range in the original text (without a possessive 's).
    pub span: Range<usize>,
    /// Whether only spaces or hyphens separate it from the word before ("Spider-Man", "Hello
    /// Kitty"), not a comma, full stop or other punctuation ("a tiger, woods behind").
    pub joined: bool,
}

/// A text cut into tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokens(pub Vec<Token>);

/// Folds one word: lowercase, accents removed, apostrophes dropped.
pub fn fold(word: &str) -> String {
    word.nfkd()
        .filter(|c| !is_combining_mark(*c) && *c != '\'' && *c != '\u{2019}')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '\u{2019}'
}

impl Tokens {
    /// Cuts `text` into words.
    pub fn new(text: &str) -> Self {
        let mut tokens = Vec::new();
        let mut start = None;
        for (index, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (start, is_word_char(c) && index < text.len()) {
                (None, true) => start = Some(index),
                (Some(from), false) => {
                    start = None;
                    if let Some(mut token) = token(text, from, index) {
                        token.joined = tokens.last().is_some_and(|previous: &Token| {
                            text[previous.span.end..token.span.start]
                                .trim_start_matches(['\'', '\u{2019}', 's'])
                                .chars()
                                .all(|c| c.is_whitespace() || c == '-')
                        });
                        tokens.push(token);
                    }
                }
                _ => {}
            }
        }
        Self(tokens)
    }

    /// Byte spans where `phrase` stands, left to right, not overlapping.
    pub fn find(&self, phrase: &Phrase) -> Vec<Range<usize>> {
        let (words, wanted) = (&self.0, &phrase.0);
        let mut spans = Vec::new();
        if wanted.is_empty() || wanted.len() > words.len() {
            return spans;
        }
        let mut index = 0;
        while index + wanted.len() <= words.len() {
            let window = &words[index..index + wanted.len()];
            if window
                .iter()
                .zip(wanted)
                .all(|(word, want)| same_word(&word.folded, want))
                && window[1..].iter().all(|word| word.joined)
            {
                spans.push(window[0].span.start..window[wanted.len() - 1].span.end);
                index += wanted.len();
            } else {
                index += 1;
            }
        }
        spans
    }

    /// Whether `phrase` stands anywhere.
    pub fn contains(&self, phrase: &Phrase) -> bool {
        !self.find(phrase).is_empty()
    }
}

/// A word from `text[from..to]`, with a possessive 's left out of its span.
fn token(text: &str, from: usize, to: usize) -> Option<Token> {
    let raw = &text[from..to];
    let trimmed_start = raw.len() - raw.trim_start_matches(['\'', '\u{2019}']).len();
    let raw = raw.trim_start_matches(['\'', '\u{2019}']);
    let from = from + trimmed_start;
    let mut end = from + raw.len();
    for suffix in ["'s", "\u{2019}s", "'", "\u{2019}"] {
        if let Some(stem) = raw.strip_suffix(suffix)
            && !stem.is_empty()
        {
            end = from + stem.len();
            break;
        }
    }
    let folded = fold(&text[from..end]);
    (!folded.is_empty()).then_some(Token {
        folded,
        span: from..end,
        joined: false,
    })
}

/// Equal, or a plural of the wanted word.
pub fn same_word(word: &str, wanted: &str) -> bool {
    word == wanted
        || word.strip_suffix('s').is_some_and(|stem| stem == wanted)
        || word.strip_suffix("es").is_some_and(|stem| stem == wanted)
}

/// A phrase to look for, folded once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase(Vec<String>);

impl Phrase {
    /// Folds `text` into the words to look for.
    pub fn new(text: &str) -> Self {
        Self(Tokens::new(text).0.into_iter().map(|t| t.folded).collect())
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no words.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The folded words, in order.
    pub fn words(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found<'a>(text: &'a str, phrase: &str) -> Vec<&'a str> {
        Tokens::new(text)
            .find(&Phrase::new(phrase))
            .into_iter()
            .map(|span| &text[span])
            .collect()
    }

    #[test]
    fn case_accents_and_punctuation_do_not_matter() {
        assert_eq!(found("a POKÉMON card", "Pokemon"), ["POKÉMON"]);
        assert_eq!(found("Spider-Man swinging", "spider man"), ["Spider-Man"]);
        assert_eq!(found("spider man swinging", "Spider-Man"), ["spider man"]);
        assert_eq!(
            found("a HELLO KITTY backpack", "Hello Kitty"),
            ["HELLO KITTY"]
        );
    }

    #[test]
    fn possessives_and_plurals_are_tolerated_and_left_out_of_the_span() {
        assert_eq!(found("Elsa's ice palace", "Elsa"), ["Elsa"]);
        assert_eq!(found("Elsa\u{2019}s ice palace", "Elsa"), ["Elsa"]);
        assert_eq!(found("three Minions dancing", "Minion"), ["Minions"]);
        assert_eq!(found("the Smurfs' village", "Smurf"), ["Smurfs"]);
    }

    #[test]
    fn a_phrase_does_not_run_across_sentence_punctuation() {
        assert!(found("a tiger, woods behind it", "Tiger Woods").is_empty());
        assert!(found("a textured wall, e.g. plaster", "Wall-E").is_empty());
        assert!(found("Hello, Kitty!", "hello kitty").is_empty());
        assert_eq!(found("Tiger Woods' swing", "Tiger Woods"), ["Tiger Woods"]);
    }

    #[test]
    fn only_whole_words_match() {
        assert!(found("an Elsaesser landscape", "Elsa").is_empty());
        assert!(found("a batmobile toy", "Batman").is_empty());
        assert!(found("pineapple", "apple").is_empty());
    }

    #[test]
    fn every_occurrence_is_found_once() {
        assert_eq!(found("Mario and mario", "Mario"), ["Mario", "mario"]);
        assert_eq!(
            found("Super Mario Bros and Super Mario", "Super Mario"),
            ["Super Mario", "Super Mario"]
        );
    }
}
