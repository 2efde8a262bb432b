//! Preflight: what the filters will likely object to in a prompt, found while the designer types,
//! before a request is paid for. Like a spell checker, it marks words — named characters,
//! franchises, brands, studio styles, real people, ambiguous age words next to clothing or body
//! words, prohibited content — each with why the filter tends to block it and a generic description
//! to use instead, and gives a verdict with the expected cost of a block.
//!
//! It reuses the rewrite assistant's names, rules and matching (no second copy of the data), with
//! the names indexed by their first word once ([`LazyLock`]), so a 2,000-character prompt is checked
//! in well under a millisecond. The prohibited phrases are in `assets/preflight_rules.toml`. What the
//! designer's own past jobs taught (a name that passed, a prompt that was blocked) comes in as a
//! [`Memory`]; nothing here reads or writes anything.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::names::{NameBook, NameEntry, NameKind};
use super::phrase_index::PhraseIndex;
use super::rules::Rules;
use super::{Edit, Rule, minor_edits, with_article};
use crate::api::catalog::ModelEntry;
use crate::api::enums::HarmCategory;
use crate::diagnosis::matcher::{Phrase, Tokens};

/// Thinking tokens a blocked answer typically bills on a model that always thinks
/// (`thoughtsTokenCount: 240` on a blocked image call, `gemini-api-facts.md` section 3).
pub const TYPICAL_BLOCK_THINKING_TOKENS: u64 = 240;

/// What a mark is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// A named character.
    Character,
    /// A franchise or fictional world.
    Franchise,
    /// A brand, logo or product.
    Brand,
    /// A studio's house style.
    StudioStyle,
    /// A real public figure (most often blocked in a photographic prompt).
    PublicFigure,
    /// A word that can read as a minor ("girl") in a prompt with clothing, pose or body words.
    AmbiguousAge,
    /// A clothing, pose or body word in a prompt about a child.
    ChildDescriptor,
    /// Content Google's policy forbids whatever the settings.
    Prohibited,
}

impl MarkKind {
    /// A short name a designer understands ("named character").
    pub fn label(self) -> &'static str {
        match self {
            MarkKind::Character => "named character",
            MarkKind::Franchise => "franchise",
            MarkKind::Brand => "brand",
            MarkKind::StudioStyle => "studio style",
            MarkKind::PublicFigure => "real person",
            MarkKind::AmbiguousAge => "ambiguous age",
            MarkKind::ChildDescriptor => "clothing or body word next to a child",
            MarkKind::Prohibited => "prohibited content",
        }
    }

    /// Whether it is a name (character, franchise, brand, studio style, public figure).
    pub fn is_name(self) -> bool {
        matches!(
            self,
            MarkKind::Character
                | MarkKind::Franchise
                | MarkKind::Brand
                | MarkKind::StudioStyle
                | MarkKind::PublicFigure
        )
    }

    fn of_name(kind: NameKind) -> Self {
        match kind {
            NameKind::Character => MarkKind::Character,
            NameKind::Franchise => MarkKind::Franchise,
            NameKind::Brand => MarkKind::Brand,
            NameKind::PublicFigure => MarkKind::PublicFigure,
            NameKind::StudioStyle => MarkKind::StudioStyle,
        }
    }
}

/// How prompts with one name fared before, for this designer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Past {
    /// Jobs with the name that delivered an image.
    pub passed: u32,
    /// Jobs with the name a content filter stopped.
    pub blocked: u32,
}

impl Past {
    /// "passed before", "blocked before", or both with counts; `None` when nothing is known.
    pub fn words(self) -> Option<String> {
        match (self.passed, self.blocked) {
            (0, 0) => None,
            (_, 0) => Some("passed before".to_owned()),
            (0, _) => Some("blocked before".to_owned()),
            (passed, blocked) => Some(format!("passed {passed}× and blocked {blocked}× before")),
        }
    }

    /// Passed at least once and never blocked.
    pub fn cleared(self) -> bool {
        self.passed > 0 && self.blocked == 0
    }
}

/// The last block of a prompt with the same words, for this designer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PromptPast {
    /// The diagnosis id of the block (`blocked_safety`, `image_safety`, …).
    pub kind: String,
    /// For a Layer 1 block, the harm category that blocked it (wire name).
    pub category: Option<String>,
}

/// What the designer's own past jobs taught, filled from the history; nothing leaves the machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// By a name's usual spelling ([`NameEntry::name`]).
    pub names: HashMap<String, Past>,
    /// By [`prompt_key`]: prompts a filter blocked.
    pub prompts: HashMap<String, PromptPast>,
}

/// One marked stretch of the prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// Byte range underlined in the prompt.
    pub span: Range<usize>,
    /// Byte range a suggestion replaces (the span, with "a", "an" or "the" when the description
    /// brings its own article, or a removed word's space).
    pub replace: Range<usize>,
    /// The words as written.
    pub text: String,
    /// What it is.
    pub kind: MarkKind,
    /// The name's usual spelling (the memory's key), for names.
    pub name: Option<String>,
    /// Why the filter tends to block it, in one sentence.
    pub why: String,
    /// What to write instead, best first; an empty string removes the words; none for
    /// prohibited content.
    pub suggestions: Vec<String>,
    /// How this name fared before, when the memory knows it.
    pub before: Option<Past>,
}

impl Mark {
    /// "Replace with …" / "Remove …": the button text for `suggestion`.
    pub fn action(&self, suggestion: &str) -> String {
        if suggestion.is_empty() {
            format!("Remove \"{}\"", self.text)
        } else {
            format!("Replace with \"{suggestion}\"")
        }
    }
}

/// The verdict on a prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing the filters are known to object to.
    LikelyToPass,
    /// The image filter (or, when it blocked these words before, Layer 1) will likely stop it.
    LikelyBlocked,
    /// Google's policy forbids it whatever the settings.
    BlockedByPolicy,
}

/// What a blocked answer still costs on a model and size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockCost {
    /// The model's marketing name.
    pub model: String,
    /// Prompt tokens billed, estimated from the prompt's length (about four characters a token).
    pub prompt_tokens: u64,
    /// Thinking tokens billed on a model that always thinks (typical count), else 0.
    pub thinking_tokens: u64,
    /// Dollars billed for those tokens at the catalog's published prices.
    pub usd: f64,
    /// Whether every price needed was published; when not, `usd` counts the unknown ones as 0.
    pub prices_published: bool,
    /// What the image would have cost had it arrived, for scale.
    pub image_usd: Option<f64>,
}

impl BlockCost {
    /// Estimates the cost of a block of `prompt` on `model` at `image_size`.
    pub fn estimate(model: &ModelEntry, image_size: &str, prompt: &str) -> Self {
        let prompt_tokens = (prompt.chars().count() as u64).div_ceil(4).max(1);
        let thinking_tokens = if model.thinking == Some(true) {
            TYPICAL_BLOCK_THINKING_TOKENS
        } else {
            0
        };
        let input_price = model.price_input_per_million_usd;
        // The catalog publishes no thinking-token price: a thinking model's block is never fully
        // priced, and Peel never guesses a price.
        let prices_published = input_price.is_some() && thinking_tokens == 0;
        let usd = prompt_tokens as f64 * input_price.unwrap_or(0.0) / 1_000_000.0;
        let size = if image_size.is_empty() {
            "1K"
        } else {
            image_size
        };
        Self {
            model: model.display_name.clone(),
            prompt_tokens,
            thinking_tokens,
            usd,
            prices_published,
            image_usd: model.price_per_image_usd.get(size).copied(),
        }
    }

    /// One sentence for the preflight line.
    pub fn sentence(&self) -> String {
        let image = self
            .image_usd
            .map(|usd| format!(" (the image itself would cost ${usd:.3})"))
            .unwrap_or_default();
        if self.prices_published {
            format!(
                "A block on {} bills about ${:.4} for ~{} prompt tokens, and no image{image}.",
                self.model, self.usd, self.prompt_tokens
            )
        } else if self.thinking_tokens > 0 {
            format!(
                "A block on {} still bills ~{} prompt and ~{} thinking tokens at prices Google has not published for it, and no image{image}.",
                self.model, self.prompt_tokens, self.thinking_tokens
            )
        } else {
            format!(
                "A block on {} may bill ~{} prompt tokens (price not published), and no image{image}.",
                self.model, self.prompt_tokens
            )
        }
    }
}

/// The preflight of one prompt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Preflight {
    /// The marks, left to right, never overlapping.
    pub marks: Vec<Mark>,
    /// The verdict.
    pub verdict: Verdict,
    /// The verdict in words ("Likely blocked by the image filter (2 names)").
    pub headline: String,
    /// The expected cost of a block, when the model is known.
    pub block_cost: Option<BlockCost>,
    /// A Layer 1 hint: which category to relax, when Layer 1 blocked these words before.
    pub hint: Option<String>,
}

impl Preflight {
    /// The line under the editor: the headline, the hint and the cost of a block.
    pub fn line(&self) -> String {
        let mut line = self.headline.clone();
        if let Some(hint) = &self.hint {
            line.push_str(". ");
            line.push_str(hint);
        }
        if let (Some(cost), false) = (&self.block_cost, self.verdict == Verdict::LikelyToPass) {
            line.push_str(". ");
            line.push_str(&cost.sentence());
        } else if !line.ends_with('.') {
            line.push('.');
        }
        line
    }

    /// `prompt` with the first suggestion of every mark applied (prohibited marks stay).
    pub fn apply_all(&self, prompt: &str) -> String {
        let edits: Vec<Edit> = self
            .marks
            .iter()
            .filter_map(|mark| Some(edit(mark, mark.suggestions.first()?)))
            .collect();
        super::apply(prompt, &edits)
    }
}

/// `prompt` with `mark` replaced by `suggestion` (spaces tidied).
pub fn apply_one(prompt: &str, mark: &Mark, suggestion: &str) -> String {
    super::apply(prompt, &[edit(mark, suggestion)])
}

fn edit(mark: &Mark, suggestion: &str) -> Edit {
    Edit {
        span: mark.replace.clone(),
        from: mark.text.clone(),
        to: suggestion.to_owned(),
        rule: if mark.kind.is_name() {
            Rule::GenericDescription
        } else {
            Rule::RemovedDescriptor
        },
        reason: mark.why.clone(),
    }
}

/// The model and size a prompt is for, and the memory; all optional.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The chosen model (for the cost of a block).
    pub model: Option<&'a ModelEntry>,
    /// The chosen size ("1K", "2K", "4K").
    pub image_size: &'a str,
    /// What past jobs taught.
    pub memory: Option<&'a Memory>,
}

/// The key a prompt is remembered by: its words folded (case, accents, punctuation ignored).
pub fn prompt_key(prompt: &str) -> String {
    let tokens = Tokens::new(prompt);
    let words: Vec<&str> = tokens.0.iter().map(|t| t.folded.as_str()).collect();
    words.join(" ")
}

/// The preflight of `prompt` with the shipped names and rules.
pub fn preflight(prompt: &str, context: &Context<'_>) -> Preflight {
    let data = &*DATA;
    let tokens = Tokens::new(prompt);
    let mut marks = prohibited_marks(prompt, &tokens, data);
    marks.extend(name_marks(prompt, &tokens, data, context.memory));
    for minor in minor_edits(prompt, &tokens, data.rules) {
        let trimmed = trim_span(prompt, minor.span.clone());
        let kind = if minor.rule == Rule::AdultSubject {
            MarkKind::AmbiguousAge
        } else {
            MarkKind::ChildDescriptor
        };
        marks.push(Mark {
            text: prompt[trimmed.clone()].to_owned(),
            span: trimmed,
            replace: minor.span,
            kind,
            name: None,
            why: minor.reason,
            suggestions: vec![minor.to],
            before: None,
        });
    }
    marks.sort_by_key(|m| (m.span.start, m.span.end));
    let mut kept: Vec<Mark> = Vec::with_capacity(marks.len());
    for mark in marks {
        if !kept.iter().any(|k| overlaps(&k.replace, &mark.replace)) {
            kept.push(mark);
        }
    }
    judge(prompt, kept, context)
}

fn judge(prompt: &str, marks: Vec<Mark>, context: &Context<'_>) -> Preflight {
    let past = context
        .memory
        .and_then(|memory| memory.prompts.get(&prompt_key(prompt)));
    let hint = past
        .filter(|p| p.kind == "blocked_safety")
        .map(|p| layer_1_hint(p.category.as_deref()));
    let open: Vec<&Mark> = marks
        .iter()
        .filter(|m| !m.before.is_some_and(Past::cleared))
        .collect();
    let (verdict, headline) = if marks.iter().any(|m| m.kind == MarkKind::Prohibited) {
        (
            Verdict::BlockedByPolicy,
            "Blocked by policy whatever the settings".to_owned(),
        )
    } else if !open.is_empty() {
        (
            Verdict::LikelyBlocked,
            format!("Likely blocked by the image filter ({})", counted(&open)),
        )
    } else if hint.is_some() {
        (
            Verdict::LikelyBlocked,
            "Likely blocked by the safety settings (Layer 1 blocked these words before)".to_owned(),
        )
    } else if let Some(past) = past {
        (
            Verdict::LikelyBlocked,
            format!(
                "Likely blocked: this prompt was blocked before ({})",
                past.kind
            ),
        )
    } else if marks.is_empty() {
        (Verdict::LikelyToPass, "Likely to pass".to_owned())
    } else {
        (
            Verdict::LikelyToPass,
            "Likely to pass: every marked name passed before".to_owned(),
        )
    };
    Preflight {
        block_cost: context
            .model
            .map(|model| BlockCost::estimate(model, context.image_size, prompt)),
        marks,
        verdict,
        headline,
        hint,
    }
}

fn layer_1_hint(category: Option<&str>) -> String {
    match category {
        Some(wire) => format!(
            "Layer 1 blocked these words before for {0}: in Safety filters (Layer 1), set {0} to \"Block only high\"",
            HarmCategory::from_wire(wire).label()
        ),
        None => "Layer 1 blocked these words before: in Safety filters (Layer 1), set the flagged category to \"Block only high\"".to_owned(),
    }
}

/// "2 names", "1 name, 1 age word".
fn counted(marks: &[&Mark]) -> String {
    let names = marks.iter().filter(|m| m.kind.is_name()).count();
    let ages = marks
        .iter()
        .filter(|m| m.kind == MarkKind::AmbiguousAge)
        .count();
    let descriptors = marks
        .iter()
        .filter(|m| m.kind == MarkKind::ChildDescriptor)
        .count();
    let plural = |n: usize, one: &str, many: &str| {
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    };
    [
        plural(names, "name", "names"),
        plural(ages, "age word", "age words"),
        plural(
            descriptors,
            "clothing or body word next to a child",
            "clothing or body words next to a child",
        ),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

fn trim_span(prompt: &str, span: Range<usize>) -> Range<usize> {
    let text = &prompt[span.clone()];
    let start = span.start + (text.len() - text.trim_start().len());
    let end = span.end - (text.len() - text.trim_end().len());
    start..end.max(start)
}

fn name_marks(prompt: &str, tokens: &Tokens, data: &Data, memory: Option<&Memory>) -> Vec<Mark> {
    let ordinary: Vec<Range<usize>> = data
        .rules
        .ordinary
        .iter()
        .flat_map(|term| tokens.find(&term.phrase))
        .collect();
    // Photo words, "realistic", camera names: the case the filter blocks real people most.
    let photo = data
        .rules
        .style_cues
        .iter()
        .any(|cue| tokens.contains(&cue.term.phrase));
    data.names
        .find(tokens)
        .into_iter()
        .filter(|(span, _)| {
            !ordinary
                .iter()
                .any(|o| o.start <= span.start && span.end <= o.end)
        })
        .map(|(span, index)| {
            let entry: &NameEntry = &data.book.entries()[index];
            let text = &prompt[span.clone()];
            let mut why = entry.kind.reason(text);
            if entry.kind == NameKind::PublicFigure && photo {
                why.push_str("; this prompt asks for a photo, the case the filter blocks most");
            }
            Mark {
                replace: with_article(prompt, span.clone(), &entry.description),
                text: text.to_owned(),
                span,
                kind: MarkKind::of_name(entry.kind),
                name: Some(entry.name.clone()),
                why,
                suggestions: vec![entry.description.clone()],
                before: memory.and_then(|m| m.names.get(&entry.name).copied()),
            }
        })
        .collect()
}

fn prohibited_marks(prompt: &str, tokens: &Tokens, data: &Data) -> Vec<Mark> {
    data.prohibited
        .find(tokens)
        .into_iter()
        .map(|(span, _)| Mark {
            text: prompt[span.clone()].to_owned(),
            replace: span.clone(),
            span,
            kind: MarkKind::Prohibited,
            name: None,
            why: data.prohibited_why.clone(),
            suggestions: Vec::new(),
            before: None,
        })
        .collect()
}

#[derive(Deserialize)]
struct PreflightFile {
    prohibited: ProhibitedFile,
}

#[derive(Deserialize)]
struct ProhibitedFile {
    why: String,
    terms: Vec<String>,
}

/// Everything the preflight matches with, built once.
struct Data {
    book: &'static NameBook,
    rules: &'static Rules,
    names: PhraseIndex,
    prohibited: PhraseIndex,
    prohibited_why: String,
}

/// The prohibited phrases shipped in `assets/preflight_rules.toml`.
pub const PREFLIGHT_RULES_TOML: &str = include_str!("../../assets/preflight_rules.toml");

static DATA: LazyLock<Data> =
    LazyLock::new(|| {
        let book = NameBook::builtin();
        let names = PhraseIndex::new(book.entries().iter().enumerate().flat_map(
            |(index, entry)| {
                std::iter::once(&entry.name)
                    .chain(&entry.aliases)
                    .map(move |text| (Phrase::new(text), index))
            },
        ));
        #[expect(
            clippy::expect_used,
            reason = "a shipped asset; its own unit test parses it"
        )]
        let file: PreflightFile =
            toml::from_str(PREFLIGHT_RULES_TOML).expect("assets/preflight_rules.toml parses");
        Data {
            book,
            rules: Rules::builtin(),
            names,
            prohibited: PhraseIndex::new(
                file.prohibited
                    .terms
                    .iter()
                    .enumerate()
                    .map(|(index, term)| (Phrase::new(term), index)),
            ),
            prohibited_why: file.prohibited.why,
        }
    });

#[cfg(test)]
mod tests;
