//! The A1111-style `parameters` text most image tools read and write: the prompt, an optional
//! `Negative prompt: …` line, then one line of `Key: value` pairs (a value with a comma or a
//! quote is written in double quotes).

use super::Provenance;

/// An A1111 `parameters` text, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parameters {
    /// The prompt (the lines before the negative prompt or the settings line).
    pub prompt: String,
    /// The negative prompt, when there is one.
    pub negative_prompt: Option<String>,
    /// The settings line's pairs, in order.
    pub settings: Vec<(String, String)>,
}

impl Parameters {
    /// The value of setting `key` (case-insensitive), when given and not `none`.
    pub fn value(&self, key: &str) -> Option<String> {
        self.settings
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.clone())
            .filter(|value| !value.is_empty() && !value.eq_ignore_ascii_case("none"))
    }
}

/// The `parameters` text for `provenance`: the prompt, then
/// `Model: …, Size: …, Aspect ratio: …, Seed: none` (and the model version when known).
pub fn parameters_text(provenance: &Provenance) -> String {
    let mut pairs = vec![("Model", provenance.model.clone())];
    if let Some(version) = &provenance.model_version {
        pairs.push(("Model version", version.clone()));
    }
    let or_default = |value: &Option<String>| value.clone().unwrap_or_else(|| "default".to_owned());
    pairs.push(("Size", or_default(&provenance.image_size)));
    pairs.push(("Aspect ratio", or_default(&provenance.aspect_ratio)));
    pairs.push(("Seed", "none".to_owned()));
    let line = pairs
        .iter()
        .map(|(key, value)| format!("{key}: {}", quoted(value)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{}\n{line}", provenance.prompt.trim_end())
}

fn quoted(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{}\"", escaped.replace('\n', " "))
    } else {
        value.to_owned()
    }
}

/// Parses a `parameters` text: the last line is the settings line when it reads as
/// `Key: value` pairs; the prompt ends at the first line starting with `Negative prompt:`
/// or at the settings line.
pub fn parse_parameters(text: &str) -> Parameters {
    let lines: Vec<&str> = text.lines().collect();
    let (body, settings) = match lines.split_last() {
        Some((last, rest)) if !rest.is_empty() || last.starts_with("Steps:") => match pairs(last) {
            Some(settings) => (rest, settings),
            None => (lines.as_slice(), Vec::new()),
        },
        _ => (lines.as_slice(), Vec::new()),
    };
    let negative_at = body
        .iter()
        .position(|line| line.starts_with("Negative prompt:"));
    let (prompt, negative) = match negative_at {
        Some(at) => (&body[..at], Some(&body[at..])),
        None => (body, None),
    };
    let negative_prompt = negative.map(|lines| {
        let joined = lines.join("\n");
        joined
            .trim_start_matches("Negative prompt:")
            .trim()
            .to_owned()
    });
    Parameters {
        prompt: prompt.join("\n").trim().to_owned(),
        negative_prompt,
        settings,
    }
}

/// `Key: value, Key: "value, with comma", …` as pairs; `None` unless the whole line is such pairs.
fn pairs(line: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once(':')?;
        let key = key.trim();
        let key_ok = key.chars().next().is_some_and(char::is_alphabetic)
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '/'));
        if !key_ok {
            return None;
        }
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = closing_quote(quoted)?;
            let value = quoted[..end].replace("\\\"", "\"").replace("\\\\", "\\");
            let next = quoted[end + 1..].trim_start();
            (value, next.strip_prefix(',').unwrap_or(next))
        } else {
            match after.split_once(',') {
                Some((value, next)) => (value.trim().to_owned(), next),
                None => (after.trim().to_owned(), ""),
            }
        };
        pairs.push((key.to_owned(), value));
        rest = next.trim_start();
    }
    (!pairs.is_empty()).then_some(pairs)
}

/// Where the closing quote of a quoted value is (a backslash escapes the next character).
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(at),
            _ => {}
        }
    }
    None
}
