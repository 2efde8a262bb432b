//! The word-level diff the why-panel draws between a blocked prompt and a suggestion (`similar`).

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// A run of words in the diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "text", rename_all = "snake_case")]
pub enum Piece {
    /// In both.
    Same(String),
    /// Only in the original.
    Removed(String),
    /// Only in the suggestion.
    Added(String),
}

/// The diff from `original` to `suggested`, word by word. A changed stretch reads as one removed
/// run then one added run (spaces between changed words stay inside the stretch, so "Keanu
/// Reeves" is removed as a whole rather than word by word between pieces of its replacement).
pub fn word_diff(original: &str, suggested: &str) -> Vec<Piece> {
    let diff = TextDiff::from_words(original, suggested);
    let mut pieces: Vec<Piece> = Vec::new();
    let (mut removed, mut added) = (String::new(), String::new());
    // Spaces met inside a changed stretch: they belong to both sides if the stretch goes on.
    let mut gap = String::new();
    let flush = |pieces: &mut Vec<Piece>, removed: &mut String, added: &mut String| {
        if !removed.is_empty() {
            pieces.push(Piece::Removed(std::mem::take(removed)));
        }
        if !added.is_empty() {
            pieces.push(Piece::Added(std::mem::take(added)));
        }
    };
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal
                if text.trim().is_empty() && !(removed.is_empty() && added.is_empty()) =>
            {
                gap.push_str(text);
            }
            ChangeTag::Equal => {
                flush(&mut pieces, &mut removed, &mut added);
                let text = format!("{}{text}", std::mem::take(&mut gap));
                match pieces.last_mut() {
                    Some(Piece::Same(run)) => run.push_str(&text),
                    _ => pieces.push(Piece::Same(text)),
                }
            }
            ChangeTag::Delete => {
                if !removed.is_empty() {
                    removed.push_str(&gap);
                }
                if !added.is_empty() {
                    added.push_str(&gap);
                }
                gap.clear();
                removed.push_str(text);
            }
            ChangeTag::Insert => {
                if !added.is_empty() {
                    added.push_str(&gap);
                }
                if !removed.is_empty() {
                    removed.push_str(&gap);
                }
                gap.clear();
                added.push_str(text);
            }
        }
    }
    flush(&mut pieces, &mut removed, &mut added);
    if !gap.is_empty() {
        pieces.push(Piece::Same(gap));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_name_shows_as_removed_then_added() {
        let pieces = word_diff(
            "Elsa in a snowy forest",
            "a young woman with a long platinum braid in a snowy forest",
        );
        assert_eq!(pieces.first(), Some(&Piece::Removed("Elsa".to_owned())));
        assert!(matches!(&pieces[1], Piece::Added(text) if text.contains("platinum braid")));
        assert!(matches!(pieces.last(), Some(Piece::Same(text)) if text.ends_with("snowy forest")));
    }

    #[test]
    fn a_multi_word_name_is_removed_whole_then_its_replacement_added() {
        let pieces = word_diff(
            "a photo of Keanu Reeves at the beach",
            "a photo of a man with dark hair at the beach",
        );
        assert_eq!(
            pieces,
            [
                Piece::Same("a photo of ".to_owned()),
                Piece::Removed("Keanu Reeves".to_owned()),
                Piece::Added("a man with dark hair".to_owned()),
                Piece::Same(" at the beach".to_owned()),
            ]
        );
    }

    #[test]
    fn equal_texts_are_one_piece() {
        assert_eq!(
            word_diff("a fox", "a fox"),
            [Piece::Same("a fox".to_owned())]
        );
    }
}
