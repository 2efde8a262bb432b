//! Named characters, franchises, brands, studio styles and real public figures, each with a
//! generic visual description (`assets/rewrite_names.toml`), and finding them in a prompt.

use std::ops::Range;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::diagnosis::matcher::{Phrase, Tokens};

/// What a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    /// A character (film, animation, comics, games, toys, mascots).
    Character,
    /// A franchise or fictional world.
    Franchise,
    /// A brand, logo or product.
    Brand,
    /// A real public figure.
    PublicFigure,
    /// A studio's house style.
    StudioStyle,
}

impl NameKind {
    /// Why replacing it helps, in one sentence.
    pub fn reason(self, name: &str) -> String {
        match self {
            NameKind::Character | NameKind::Franchise => format!(
                "\"{name}\" is a protected character or franchise: the image filter blocks pictures that reproduce it (IMAGE_RECITATION or IMAGE_SAFETY); a description of how it looks is not a copy"
            ),
            NameKind::Brand => format!(
                "\"{name}\" is a brand: logos and trademarked designs are withheld by the image filter; a generic product keeps the idea"
            ),
            NameKind::PublicFigure => format!(
                "\"{name}\" is a real person: the image filter withholds recognisable images of real people; a generic description keeps the look without the likeness"
            ),
            NameKind::StudioStyle => format!(
                "\"{name}\" names a studio's house style, which the image filter treats as copying; describing the style's traits is allowed"
            ),
        }
    }
}

/// One name with its aliases and what to say instead.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct NameEntry {
    /// The usual name.
    pub name: String,
    /// Other ways people write it.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What it is.
    pub kind: NameKind,
    /// A generic visual description.
    pub description: String,
}

#[derive(Deserialize)]
struct NameFile {
    entry: Vec<NameEntry>,
}

/// A name found in a prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameHit<'a> {
    /// Where it stands in the prompt.
    pub span: Range<usize>,
    /// The entry.
    pub entry: &'a NameEntry,
}

/// Every name, with its phrases folded once, longest first.
#[derive(Debug)]
pub struct NameBook {
    entries: Vec<NameEntry>,
    /// (phrase, entry index), longest phrase first so "Super Mario" wins over "Mario".
    phrases: Vec<(Phrase, usize)>,
}

impl NameBook {
    /// Reads a names file.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        let file: NameFile = toml::from_str(text)?;
        let mut phrases: Vec<(Phrase, usize)> = file
            .entry
            .iter()
            .enumerate()
            .flat_map(|(index, entry)| {
                std::iter::once(&entry.name)
                    .chain(&entry.aliases)
                    .map(move |text| (Phrase::new(text), index))
            })
            .filter(|(phrase, _)| !phrase.is_empty())
            .collect();
        phrases.sort_by_key(|(phrase, _)| std::cmp::Reverse(phrase.len()));
        Ok(Self {
            entries: file.entry,
            phrases,
        })
    }

    /// The names shipped in `assets/rewrite_names.toml`.
    ///
    /// # Panics
    ///
    /// Never in a build that passed its tests: the asset is compiled in and a unit test parses it.
    pub fn builtin() -> &'static NameBook {
        static BOOK: OnceLock<NameBook> = OnceLock::new();
        BOOK.get_or_init(|| {
            #[expect(
                clippy::expect_used,
                reason = "a shipped asset; its own unit test parses it"
            )]
            NameBook::parse(include_str!("../../assets/rewrite_names.toml"))
                .expect("assets/rewrite_names.toml parses")
        })
    }

    /// Every entry.
    pub fn entries(&self) -> &[NameEntry] {
        &self.entries
    }

    /// The names in `tokens`, left to right, longest match first, never overlapping.
    pub fn find(&self, tokens: &Tokens) -> Vec<NameHit<'_>> {
        let mut hits: Vec<NameHit<'_>> = Vec::new();
        for (phrase, index) in &self.phrases {
            for span in tokens.find(phrase) {
                let overlaps = hits
                    .iter()
                    .any(|hit| hit.span.start < span.end && span.start < hit.span.end);
                if !overlaps {
                    hits.push(NameHit {
                        span,
                        entry: &self.entries[*index],
                    });
                }
            }
        }
        hits.sort_by_key(|hit| hit.span.start);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[entry]]
name = "Mario"
aliases = ["Super Mario"]
kind = "character"
description = "a cheerful plumber with a red cap and blue overalls"

[[entry]]
name = "Super Mario Bros"
kind = "franchise"
description = "a bright platform-game world of green pipes and brick blocks"
"#;

    #[test]
    fn the_longest_name_wins_and_hits_never_overlap() {
        let book = NameBook::parse(SAMPLE).unwrap();
        let text = "Super Mario Bros poster with Mario's hat";
        let hits = book.find(&Tokens::new(text));
        let found: Vec<(&str, &str)> = hits
            .iter()
            .map(|h| (&text[h.span.clone()], h.entry.name.as_str()))
            .collect();
        assert_eq!(
            found,
            [("Super Mario Bros", "Super Mario Bros"), ("Mario", "Mario")]
        );
    }

    #[test]
    fn the_shipped_names_parse_and_are_many() {
        let book = NameBook::builtin();
        assert!(book.entries().len() >= 400, "{}", book.entries().len());
        for entry in book.entries() {
            assert!(!entry.description.trim().is_empty(), "{}", entry.name);
        }
    }
}
