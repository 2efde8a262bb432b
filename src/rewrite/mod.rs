//! The rewrite assistant: for a prompt a content filter blocked, up to three suggested rewrites,
//! each a list of edits with a reason. Pure: no I/O, no async, no UI; the rules are data in
//! `assets/`. Nothing is ever applied here: the app shows suggestions and the designer decides.
//!
//! - [`matcher`]: finding phrases as people write them (case, accents, possessives, plurals,
//!   punctuation, whole words), with byte spans in the prompt; it lives in
//!   [`crate::diagnosis::matcher`] so the simulator's safety judge uses the same one.
//! - [`names`]: characters, franchises, brands, studio styles and public figures, each with a
//!   generic visual description (rule 1).
//! - [`rules`]: photo cues and art styles (rule 2), minor-looking subjects with clothing, pose or
//!   body descriptors (rule 3).
//! - [`diff`]: the word-level diff the app draws.
//! - [`phrase_index`]: phrases indexed by their first word, for matching hundreds of names fast.
//! - [`preflight`]: marks and a verdict while the designer types, before a request is paid for.
//! - [`styles`]: the style declarations above (art styles, studio styles described), offered
//!   as built-in fragments in the prompt library.
//!
//! Rule 4 is [`advise`]'s routing: a Layer 1 block (`blocked_safety`) gets the setting that lets it
//! through and no rewrite; `blocked_prohibited` and `image_prohibited` get a plain "neither a
//! setting nor a rewrite will help".

pub mod diff;
pub mod names;
pub mod phrase_index;
pub mod preflight;
pub mod rules;
pub mod styles;

pub use crate::diagnosis::matcher;

use std::ops::Range;

use serde::Serialize;

use crate::diagnosis::matcher::Tokens;
use crate::diagnosis::{Diagnosis, Kind, Layer};
use names::{NameBook, NameKind};
use rules::Rules;

/// Most suggestions offered for one prompt.
pub const MAX_SUGGESTIONS: usize = 3;

/// Which rule made an edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A name replaced by a generic description.
    GenericDescription,
    /// A photo cue replaced by an explicit art style (or a style added).
    ArtStyle,
    /// A minor-looking subject made explicitly adult.
    AdultSubject,
    /// A clothing, pose or body descriptor removed next to a child.
    RemovedDescriptor,
}

/// One change to the prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// Byte range replaced in the original prompt (empty: an insertion).
    pub span: Range<usize>,
    /// What stood there.
    pub from: String,
    /// What stands there instead (empty: removed).
    pub to: String,
    /// The rule.
    pub rule: Rule,
    /// Why, in one sentence.
    pub reason: String,
}

/// One suggested rewrite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// A short name ("Describe instead of naming, as a flat vector illustration").
    pub title: String,
    /// The edits, left to right.
    pub edits: Vec<Edit>,
    /// The prompt with every edit applied.
    pub prompt: String,
}

/// What the assistant says about a blocked prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "advice", rename_all = "snake_case")]
pub enum Advice {
    /// Only a different prompt helps: these rewrites (possibly none, with a note why).
    Rewrites {
        /// Up to [`MAX_SUGGESTIONS`].
        suggestions: Vec<Suggestion>,
        /// When there is nothing to suggest, what to try by hand.
        note: Option<String>,
    },
    /// Layer 1 (adjustable): a setting lets it through; no rewrite is offered.
    ChangeSetting {
        /// Which setting, in a sentence.
        message: String,
    },
    /// Google's policy: neither a setting nor a rewrite will help.
    NothingHelps {
        /// Said plainly.
        message: String,
    },
    /// Not a content block: rewriting the prompt is not the fix.
    NotAContentBlock,
}

/// Advice for `prompt` given its diagnosis.
pub fn advise(prompt: &str, diagnosis: &Diagnosis) -> Advice {
    match diagnosis.kind {
        Kind::BlockedSafety => Advice::ChangeSetting {
            message: format!(
                "No rewrite needed: Layer 1 is the adjustable filter. {}",
                diagnosis.fix
            ),
        },
        _ => advise_kind(prompt, diagnosis.kind),
    }
}

/// Advice for `prompt` given only the kind of block (the CLI's `--kind`).
pub fn advise_kind(prompt: &str, kind: Kind) -> Advice {
    match kind {
        Kind::BlockedSafety => Advice::ChangeSetting {
            message: "No rewrite needed: Layer 1 is the adjustable filter. In the editor's Safety filters (Layer 1), set the flagged category to \"Block only high\" (or \"Block none\") and generate again.".to_owned(),
        },
        Kind::BlockedProhibited | Kind::ImageProhibited => Advice::NothingHelps {
            message: "Neither a setting nor a rewrite will help: Google judged this as prohibited content, a rule no setting changes and rewording does not get around. Ask for something different.".to_owned(),
        },
        kind if kind.layer() == Layer::ImageFilter || kind.layer() == Layer::Policy => {
            let suggestions = rewrites(prompt);
            let note = suggestions.is_empty().then(|| {
                "Peel found no names, photo requests of people, or age-related wording to change. Try describing the subject more generically, or asking for an illustration instead of a photo.".to_owned()
            });
            Advice::Rewrites { suggestions, note }
        }
        _ => Advice::NotAContentBlock,
    }
}

/// Up to [`MAX_SUGGESTIONS`] rewrites of `prompt`, from the built-in names and rules; none for an
/// ordinary prompt.
pub fn rewrites(prompt: &str) -> Vec<Suggestion> {
    rewrites_with(prompt, NameBook::builtin(), Rules::builtin())
}

/// [`rewrites`] with given names and rules.
pub fn rewrites_with(prompt: &str, book: &NameBook, rules: &Rules) -> Vec<Suggestion> {
    let tokens = Tokens::new(prompt);
    let ordinary: Vec<Range<usize>> = rules
        .ordinary
        .iter()
        .flat_map(|term| tokens.find(&term.phrase))
        .collect();
    let hits: Vec<_> = book
        .find(&tokens)
        .into_iter()
        .filter(|hit| {
            !ordinary
                .iter()
                .any(|o| o.start <= hit.span.start && hit.span.end <= o.end)
        })
        .collect();
    let names: Vec<Edit> = hits
        .iter()
        .map(|hit| {
            let span = with_article(prompt, hit.span.clone(), &hit.entry.description);
            Edit {
                from: prompt[span.clone()].to_owned(),
                span,
                to: hit.entry.description.clone(),
                rule: Rule::GenericDescription,
                reason: hit.entry.kind.reason(&prompt[hit.span.clone()]),
            }
        })
        .collect();
    let minors = minor_edits(prompt, &tokens, rules);
    let real_people = hits
        .iter()
        .any(|hit| hit.entry.kind == NameKind::PublicFigure);
    // Identifiable people only: a real person's name, or a named character as a person in a photo.
    // A photo of an anonymous person is ordinary and gets no edit.
    let people = real_people
        || (!hits.is_empty() && rules.people.iter().any(|t| tokens.contains(&t.phrase)));

    let mut base = names.clone();
    base.extend(minors.iter().cloned());
    let mut suggestions = Vec::new();
    if !base.is_empty() {
        let title = match (names.is_empty(), minors.is_empty()) {
            (false, true) => "Describe instead of naming".to_owned(),
            (true, false) => "Make the subject's age unambiguous".to_owned(),
            _ => "Describe instead of naming, ages made unambiguous".to_owned(),
        };
        suggestions.push(suggestion(prompt, title, base.clone()));
    }
    if people {
        for style in &rules.styles {
            let styled = style_edits(prompt, &tokens, rules, style, real_people);
            if styled.is_empty() {
                break;
            }
            let mut edits = base.clone();
            edits.extend(styled);
            let title = if base.is_empty() {
                format!("As a {style}")
            } else {
                format!(
                    "{}, as a {style}",
                    suggestions
                        .first()
                        .map_or("", |s: &Suggestion| s.title.as_str())
                )
            };
            suggestions.push(suggestion(prompt, title, edits));
        }
    }
    suggestions.dedup_by(|a, b| a.prompt == b.prompt);
    suggestions.truncate(MAX_SUGGESTIONS);
    suggestions
}

/// Extends a name's span over "a", "an" or "the" before it when the description brings its own
/// article ("an Elsa doll" → "a young woman … doll", not "an a young woman …").
fn with_article(prompt: &str, span: Range<usize>, description: &str) -> Range<usize> {
    let own_article = ["a ", "an ", "the "]
        .iter()
        .any(|a| description.to_lowercase().starts_with(a));
    if !own_article {
        return span;
    }
    // Compared as bytes: the bytes before a name may end inside a multi-byte character ("café
    // Elsa"), where slicing the text would panic; an ASCII article can only match whole.
    let before = &prompt.as_bytes()[..span.start];
    for article in ["a ", "an ", "the "] {
        if before.len() >= article.len() {
            let start = span.start - article.len();
            // An ASCII match starts on a character boundary, so `prompt[..start]` is safe after it.
            if before[start..].eq_ignore_ascii_case(article.as_bytes())
                && (start == 0 || !prompt[..start].ends_with(char::is_alphanumeric))
            {
                return start..span.end;
            }
        }
    }
    span
}

fn style_edits(
    prompt: &str,
    tokens: &Tokens,
    rules: &Rules,
    style: &str,
    real_people: bool,
) -> Vec<Edit> {
    let mut edits: Vec<Edit> = Vec::new();
    for cue in &rules.style_cues {
        for span in tokens.find(&cue.term.phrase) {
            if edits
                .iter()
                .any(|e| e.span.start < span.end && span.start < e.span.end)
            {
                continue;
            }
            let to = cue.becomes.replace("{style}", style);
            let span = if to.is_empty() {
                with_one_space(prompt, span)
            } else {
                span
            };
            edits.push(Edit {
                from: prompt[span.clone()].to_owned(),
                span,
                reason: format!(
                    "Photorealistic pictures of people are what the image filter withholds most; an explicit art style ({style}) makes the picture clearly not a photo"
                ),
                to,
                rule: Rule::ArtStyle,
            });
        }
    }
    if edits.is_empty() && real_people {
        // No photo words, but a real person's name implies a photo: say the style outright.
        let end = prompt.trim_end().len();
        edits.push(Edit {
            span: end..end,
            from: String::new(),
            to: format!(", as a {style}"),
            rule: Rule::ArtStyle,
            reason: format!(
                "A real person's name implies a photo, which the image filter withholds; an explicit art style ({style}) makes the picture clearly not a photo"
            ),
        });
    }
    edits
}

/// Rule 3: next to clothing, pose or body descriptors, a clearly-young subject loses the
/// descriptors and an ambiguous one ("girl") is made explicitly adult.
fn minor_edits(prompt: &str, tokens: &Tokens, rules: &Rules) -> Vec<Edit> {
    let descriptors: Vec<(Range<usize>, &str)> = rules
        .descriptors
        .iter()
        .flat_map(|term| {
            tokens
                .find(&term.phrase)
                .into_iter()
                .map(move |span| (span, term.text.as_str()))
        })
        .collect();
    if descriptors.is_empty() {
        return Vec::new();
    }
    let child = rules.children.iter().find_map(|term| {
        tokens
            .find(&term.phrase)
            .first()
            .map(|s| prompt[s.clone()].to_owned())
    });
    if let Some(child) = child {
        let mut edits: Vec<Edit> = Vec::new();
        for (span, _) in descriptors {
            let span = with_one_space(prompt, with_leading_words(prompt, tokens, span, rules));
            if edits
                .iter()
                .any(|e| e.span.start < span.end && span.start < e.span.end)
            {
                continue;
            }
            edits.push(Edit {
                from: prompt[span.clone()].to_owned(),
                span,
                to: String::new(),
                rule: Rule::RemovedDescriptor,
                reason: format!(
                    "\"{child}\" describes a child; together with clothing, pose or body words the image filter blocks the picture, and Peel never makes a child older, so the descriptor goes"
                ),
            });
        }
        return edits;
    }
    let mut edits: Vec<Edit> = Vec::new();
    for (term, adult) in &rules.ambiguous {
        for span in tokens.find(&term.phrase) {
            if edits
                .iter()
                .any(|e| e.span.start < span.end && span.start < e.span.end)
            {
                continue;
            }
            let reason = format!(
                "\"{}\" can read as a minor; next to clothing, pose or body words the image filter blocks the picture, so the age is made explicit",
                &prompt[span.clone()]
            );
            // "a girl" becomes "an adult woman", not "a adult woman".
            let (span, to) = match prompt[..span.start].strip_suffix("a ") {
                Some(before)
                    if adult.starts_with(['a', 'e', 'i', 'o', 'u'])
                        && !before.ends_with(char::is_alphanumeric) =>
                {
                    (span.start - 2..span.end, format!("an {adult}"))
                }
                _ => (span, adult.clone()),
            };
            edits.push(Edit {
                from: prompt[span.clone()].to_owned(),
                reason,
                span,
                to,
                rule: Rule::AdultSubject,
            });
        }
    }
    edits
}

/// Extends a descriptor's span back over small words that belong to it ("in a bikini").
fn with_leading_words(
    prompt: &str,
    tokens: &Tokens,
    span: Range<usize>,
    rules: &Rules,
) -> Range<usize> {
    let mut start = span.start;
    let index = tokens.0.iter().position(|t| t.span.start == span.start);
    if let Some(index) = index {
        for token in tokens.0[..index].iter().rev() {
            let between = &prompt[token.span.end..start];
            if !between.trim().is_empty() || !rules.descriptor_lead.contains(&token.folded) {
                break;
            }
            start = token.span.start;
        }
    }
    start..span.end
}

/// Extends a removed span over one neighbouring space, so no double space is left.
fn with_one_space(prompt: &str, span: Range<usize>) -> Range<usize> {
    if prompt[..span.start].ends_with(' ') {
        span.start - 1..span.end
    } else if prompt[span.end..].starts_with(' ') {
        span.start..span.end + 1
    } else {
        span
    }
}

fn suggestion(prompt: &str, title: String, mut edits: Vec<Edit>) -> Suggestion {
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut kept: Vec<Edit> = Vec::new();
    for edit in edits {
        let clashes = kept.iter().any(|k| {
            (k.span.start < edit.span.end && edit.span.start < k.span.end) || k.span == edit.span
        });
        if !clashes {
            kept.push(edit);
        }
    }
    let text = apply(prompt, &kept);
    Suggestion {
        title,
        edits: kept,
        prompt: text,
    }
}

/// `prompt` with `edits` applied (sorted, non-overlapping), spaces and commas tidied.
pub fn apply(prompt: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(prompt.len() + 64);
    let mut at = 0;
    for edit in edits {
        out.push_str(&prompt[at..edit.span.start]);
        out.push_str(&edit.to);
        at = edit.span.end;
    }
    out.push_str(&prompt[at..]);
    let tidy = out
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",");
    tidy.trim_matches([' ', ',']).to_owned()
}

#[cfg(test)]
mod tests;
