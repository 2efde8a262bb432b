//! Phrases indexed by their first word, so finding hundreds of names in a long prompt costs one
//! hash look-up per word instead of one scan of the prompt per name. Same matching as
//! [`Tokens::find`] (plurals, possessives, joined words), same result as [`NameBook::find`]: left
//! to right, never overlapping, the longest phrase wins.
//!
//! [`NameBook::find`]: super::names::NameBook::find

use std::collections::HashMap;
use std::ops::Range;

use crate::diagnosis::matcher::{Phrase, Tokens, same_word};

/// Phrases indexed by their first word, longest first, each with a payload.
#[derive(Debug)]
pub struct PhraseIndex {
    /// (folded words, payload), longest first (stable).
    phrases: Vec<(Vec<String>, usize)>,
    /// First word → positions in `phrases`, ascending.
    by_first: HashMap<String, Vec<usize>>,
}

impl PhraseIndex {
    /// Indexes `phrases` (each with its payload).
    pub fn new(phrases: impl IntoIterator<Item = (Phrase, usize)>) -> Self {
        let mut phrases: Vec<(Vec<String>, usize)> = phrases
            .into_iter()
            .filter(|(phrase, _)| !phrase.is_empty())
            .map(|(phrase, payload)| (phrase.words().to_vec(), payload))
            .collect();
        phrases.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, (words, _)) in phrases.iter().enumerate() {
            by_first.entry(words[0].clone()).or_default().push(position);
        }
        Self { phrases, by_first }
    }

    /// Byte spans and payloads of the phrases in `tokens`, left to right, never overlapping; the
    /// longest phrase wins (as `NameBook::find` does).
    pub fn find(&self, tokens: &Tokens) -> Vec<(Range<usize>, usize)> {
        let words = &tokens.0;
        // (phrase position, first token, token count)
        let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
        for (at, token) in words.iter().enumerate() {
            let folded = token.folded.as_str();
            let keys = [
                Some(folded),
                folded.strip_suffix('s'),
                folded.strip_suffix("es"),
            ];
            for key in keys.into_iter().flatten() {
                let Some(positions) = self.by_first.get(key) else {
                    continue;
                };
                for &position in positions {
                    let wanted = &self.phrases[position].0;
                    let Some(window) = words.get(at..at + wanted.len()) else {
                        continue;
                    };
                    let same = window
                        .iter()
                        .zip(wanted)
                        .all(|(word, want)| same_word(&word.folded, want))
                        && window[1..].iter().all(|word| word.joined);
                    if same {
                        candidates.push((position, at, wanted.len()));
                    }
                }
            }
        }
        candidates.sort_unstable();
        let mut taken: Vec<(Range<usize>, usize)> = Vec::new();
        let mut used = vec![false; words.len()];
        for (position, at, count) in candidates {
            if used[at..at + count].iter().any(|u| *u) {
                continue;
            }
            used[at..at + count].iter_mut().for_each(|u| *u = true);
            let span = words[at].span.start..words[at + count - 1].span.end;
            taken.push((span, self.phrases[position].1));
        }
        taken.sort_by_key(|(span, _)| span.start);
        taken
    }
}
