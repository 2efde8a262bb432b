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

/// The diff from `original` to `suggested`, word by word, with neighbouring runs of the same kind
/// merged.
pub fn word_diff(original: &str, suggested: &str) -> Vec<Piece> {
    let diff = TextDiff::from_words(original, suggested);
    let mut pieces: Vec<Piece> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match (pieces.last_mut(), change.tag()) {
            (Some(Piece::Same(run)), ChangeTag::Equal)
            | (Some(Piece::Removed(run)), ChangeTag::Delete)
            | (Some(Piece::Added(run)), ChangeTag::Insert) => run.push_str(text),
            (_, ChangeTag::Equal) => pieces.push(Piece::Same(text.to_owned())),
            (_, ChangeTag::Delete) => pieces.push(Piece::Removed(text.to_owned())),
            (_, ChangeTag::Insert) => pieces.push(Piece::Added(text.to_owned())),
        }
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
    fn equal_texts_are_one_piece() {
        assert_eq!(
            word_diff("a fox", "a fox"),
            [Piece::Same("a fox".to_owned())]
        );
    }
}
