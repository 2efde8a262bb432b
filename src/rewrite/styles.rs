//! The rewrite assistant's style declarations, offered in the prompt library as built-in
//! fragments: the explicit art styles rule 2 puts in a photo of people's place
//! (`[style] styles` in `assets/rewrite_rules.toml`), and, for each studio house style of rule 1,
//! the description the assistant writes instead of its name (`kind = "studio_style"` in
//! `assets/rewrite_names.toml`). Nothing here is stored: the shipped rules are the source.

use std::sync::OnceLock;

use super::names::{NameBook, NameKind};
use super::rules::Rules;

/// A style the rewrite assistant declares, as the prompt library offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StyleDeclaration {
    /// Its name in the list ("Flat vector illustration", "Pixar style, described").
    pub name: String,
    /// The words it inserts.
    pub text: String,
    /// Where the assistant uses it, in a few words.
    pub note: String,
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The declarations in `rules` and `book`: the art styles first, in the rules' order, then the
/// studio styles described, by name.
pub fn declarations_from(rules: &Rules, book: &NameBook) -> Vec<StyleDeclaration> {
    let art = rules.styles.iter().map(|style| StyleDeclaration {
        name: capitalised(style),
        text: style.clone(),
        note: "the art style the assistant offers for a photo of real people".to_owned(),
    });
    let mut studios: Vec<StyleDeclaration> = book
        .entries()
        .iter()
        .filter(|entry| entry.kind == NameKind::StudioStyle)
        .map(|entry| StyleDeclaration {
            name: format!("{}, described", entry.name),
            text: entry.description.clone(),
            note: format!(
                "says \"{}\" without the name the image filter treats as copying",
                entry.name
            ),
        })
        .collect();
    studios.sort_by_key(|declaration| declaration.name.to_lowercase());
    art.chain(studios).collect()
}

/// The declarations of the shipped rules (read once).
pub fn style_declarations() -> &'static [StyleDeclaration] {
    static DECLARATIONS: OnceLock<Vec<StyleDeclaration>> = OnceLock::new();
    DECLARATIONS.get_or_init(|| declarations_from(Rules::builtin(), NameBook::builtin()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_art_styles_come_first_then_each_studio_style_described() {
        let declarations = style_declarations();
        let rules = Rules::builtin();
        assert_eq!(
            declarations.len(),
            rules.styles.len() + 25,
            "three art styles, 25 studios"
        );
        assert_eq!(declarations[0].name, "Digital watercolor illustration");
        assert_eq!(declarations[0].text, "digital watercolor illustration");
        let pixar = declarations
            .iter()
            .find(|d| d.name == "Pixar style, described")
            .unwrap();
        assert_eq!(
            pixar.text,
            "a polished 3D animated family-film style with soft lighting"
        );
        assert!(pixar.note.contains("\"Pixar style\""), "{}", pixar.note);
        let studios = &declarations[rules.styles.len()..];
        assert!(
            studios
                .windows(2)
                .all(|w| w[0].name.to_lowercase() <= w[1].name.to_lowercase())
        );
    }

    #[test]
    fn a_declaration_never_names_what_it_replaces() {
        // The point of a description: the words the image filter objects to are not in it.
        let book = NameBook::builtin();
        for declaration in style_declarations() {
            let tokens = crate::diagnosis::matcher::Tokens::new(&declaration.text);
            let found: Vec<_> = book
                .find(&tokens)
                .into_iter()
                .map(|h| &h.entry.name)
                .collect();
            assert!(found.is_empty(), "{}: {found:?}", declaration.name);
        }
    }
}
