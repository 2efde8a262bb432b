//! The simulator's two safety layers, decided by the readable rules in
//! `assets/sim_safety_rules.toml` (not by code): prohibited prompts, Layer 1 (the prompt filter,
//! which obeys the request's `safetySettings`), prompts answered without an image, and Layer 2 (the
//! image filter, which ignores settings).

use std::sync::OnceLock;

use serde::Deserialize;

use super::terms::{PhraseList, Words};
use crate::api::enums::{FinishReason, HarmBlockThreshold, HarmCategory, HarmProbability};
use crate::api::wire::SafetySetting;

/// The rules file shipped with Peel.
pub const RULES_TOML: &str = include_str!("../../assets/sim_safety_rules.toml");

/// The threshold Peel's simulator applies when a request sets none for a category.
pub const DEFAULT_THRESHOLD: HarmBlockThreshold = HarmBlockThreshold::BlockMediumAndAbove;

#[derive(Debug, Deserialize)]
struct RulesFile {
    #[serde(default)]
    layer1: Vec<Layer1Rule>,
    #[serde(default)]
    layer2: Vec<Layer2Rule>,
    #[serde(default)]
    prohibited: Vec<PlainRule>,
    #[serde(default)]
    no_image: Vec<NoImageRule>,
}

#[derive(Debug, Deserialize)]
struct Layer1Rule {
    name: String,
    category: String,
    probability: String,
    #[serde(rename = "where", default)]
    place: Option<String>,
    terms: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Layer2Rule {
    name: String,
    finish_reason: String,
    #[serde(default)]
    finish_message: Option<String>,
    #[serde(default)]
    strict_only: bool,
    terms: Vec<String>,
    #[serde(default)]
    and_any: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PlainRule {
    name: String,
    terms: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct NoImageRule {
    name: String,
    mode: String,
    #[serde(default)]
    reply: Option<String>,
    terms: Vec<String>,
}

/// A Layer 1 rule, ready to match.
#[derive(Debug)]
struct Layer1 {
    name: String,
    category: HarmCategory,
    probability: HarmProbability,
    on_output: bool,
    terms: PhraseList,
}

#[derive(Debug)]
struct Layer2 {
    name: String,
    finish_reason: FinishReason,
    finish_message: Option<String>,
    strict_only: bool,
    terms: PhraseList,
    and_any: Option<PhraseList>,
}

#[derive(Debug)]
struct NoImage {
    name: String,
    text_reply: Option<String>,
    terms: PhraseList,
}

/// The parsed rules.
#[derive(Debug)]
pub struct SafetyRules {
    layer1: Vec<Layer1>,
    layer2: Vec<Layer2>,
    prohibited: Vec<(String, PhraseList)>,
    no_image: Vec<NoImage>,
}

/// A rules file Peel cannot use.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Not valid TOML for the schema.
    #[error("The simulator's safety rules could not be read: {0}")]
    Parse(#[from] toml::de::Error),
    /// A value outside the allowed set.
    #[error("The simulator's safety rules are wrong in rule \"{rule}\": {problem}")]
    Invalid {
        /// The rule's name.
        rule: String,
        /// What is wrong.
        problem: String,
    },
}

/// One safety rating the simulator reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rating {
    /// Category.
    pub category: HarmCategory,
    /// Probability.
    pub probability: HarmProbability,
    /// Whether this rating caused the block.
    pub blocked: bool,
}

/// What the safety layers decided for one prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing stops the image.
    Pass,
    /// `promptFeedback.blockReason = PROHIBITED_CONTENT`, no candidates.
    Prohibited {
        /// The rule that fired.
        rule: String,
    },
    /// Layer 1 blocked the prompt (`promptFeedback.blockReason = SAFETY`).
    PromptBlocked {
        /// All ratings, the blocking one marked.
        ratings: Vec<Rating>,
    },
    /// Layer 1 blocked the answer (`finishReason = SAFETY`).
    OutputBlocked {
        /// All ratings, the blocking one marked.
        ratings: Vec<Rating>,
    },
    /// The model answers in words only.
    TextOnly {
        /// The reply.
        reply: String,
    },
    /// `finishReason = NO_IMAGE`.
    NoImage,
    /// Layer 2 withheld the image.
    ImageBlocked {
        /// The finish reason.
        finish_reason: FinishReason,
        /// Google's text, when a real one is known.
        finish_message: Option<String>,
        /// The rule that fired.
        rule: String,
    },
}

fn probability(raw: &str, rule: &str) -> Result<HarmProbability, RulesError> {
    match HarmProbability::from_wire(raw) {
        p @ (HarmProbability::Low | HarmProbability::Medium | HarmProbability::High) => Ok(p),
        _ => Err(RulesError::Invalid {
            rule: rule.to_owned(),
            problem: format!("probability {raw} is not LOW, MEDIUM or HIGH"),
        }),
    }
}

impl Layer1 {
    /// Checks a Layer 1 rule: a configurable category, `where` = prompt or output, a probability.
    fn from_rule(rule: Layer1Rule) -> Result<Self, RulesError> {
        let category = HarmCategory::from_wire(&rule.category);
        if !HarmCategory::CONFIGURABLE.contains(&category) {
            return Err(RulesError::Invalid {
                rule: rule.name,
                problem: format!("unknown category {}", rule.category),
            });
        }
        let on_output = match rule.place.as_deref() {
            None | Some("prompt") => false,
            Some("output") => true,
            Some(other) => {
                return Err(RulesError::Invalid {
                    rule: rule.name,
                    problem: format!("where = {other:?}"),
                });
            }
        };
        Ok(Self {
            probability: probability(&rule.probability, &rule.name)?,
            category,
            on_output,
            terms: PhraseList::new(&rule.terms),
            name: rule.name,
        })
    }
}

impl Layer2 {
    /// Checks a Layer 2 rule: its finish reason must be one of the `IMAGE_*` ones.
    fn from_rule(rule: Layer2Rule) -> Result<Self, RulesError> {
        let finish_reason = FinishReason::from_wire(&rule.finish_reason);
        if !matches!(
            finish_reason,
            FinishReason::ImageSafety
                | FinishReason::ImageRecitation
                | FinishReason::ImageProhibitedContent
                | FinishReason::ImageOther
        ) {
            return Err(RulesError::Invalid {
                rule: rule.name,
                problem: format!("finish_reason {}", rule.finish_reason),
            });
        }
        Ok(Self {
            finish_reason,
            finish_message: rule.finish_message,
            strict_only: rule.strict_only,
            terms: PhraseList::new(&rule.terms),
            and_any: (!rule.and_any.is_empty()).then(|| PhraseList::new(&rule.and_any)),
            name: rule.name,
        })
    }
}

impl NoImage {
    /// Checks a no-image rule: `mode` = `no_image` or `text_only` (with a default reply).
    fn from_rule(rule: NoImageRule) -> Result<Self, RulesError> {
        let text_reply = match rule.mode.as_str() {
            "no_image" => None,
            "text_only" => Some(
                rule.reply
                    .unwrap_or_else(|| "I can't create that image.".to_owned()),
            ),
            other => {
                return Err(RulesError::Invalid {
                    rule: rule.name,
                    problem: format!("mode {other:?}"),
                });
            }
        };
        Ok(Self {
            name: rule.name,
            text_reply,
            terms: PhraseList::new(&rule.terms),
        })
    }
}

/// Whether `threshold` blocks content rated `probability`.
pub fn blocks(threshold: &HarmBlockThreshold, probability: &HarmProbability) -> bool {
    let level = match probability {
        HarmProbability::Low => 1,
        HarmProbability::Medium => 2,
        HarmProbability::High => 3,
        _ => 0,
    };
    let lowest_blocked = match threshold {
        HarmBlockThreshold::BlockLowAndAbove => 1,
        HarmBlockThreshold::BlockMediumAndAbove | HarmBlockThreshold::Unspecified => 2,
        HarmBlockThreshold::BlockOnlyHigh => 3,
        HarmBlockThreshold::BlockNone
        | HarmBlockThreshold::Off
        | HarmBlockThreshold::Unknown(_) => 4,
    };
    level >= lowest_blocked
}

impl SafetyRules {
    /// The shipped rules, parsed once.
    ///
    /// # Panics
    ///
    /// Only if `assets/sim_safety_rules.toml` is broken, which a unit test rules out.
    pub fn builtin() -> &'static SafetyRules {
        static RULES: OnceLock<SafetyRules> = OnceLock::new();
        RULES.get_or_init(|| match SafetyRules::from_toml(RULES_TOML) {
            Ok(rules) => rules,
            Err(error) => panic!("built-in simulator safety rules are broken: {error}"),
        })
    }

    /// Parses and checks a rules file.
    pub fn from_toml(text: &str) -> Result<Self, RulesError> {
        let file: RulesFile = toml::from_str(text)?;
        let layer1 = file
            .layer1
            .into_iter()
            .map(Layer1::from_rule)
            .collect::<Result<_, _>>()?;
        let layer2 = file
            .layer2
            .into_iter()
            .map(Layer2::from_rule)
            .collect::<Result<_, _>>()?;
        let no_image = file
            .no_image
            .into_iter()
            .map(NoImage::from_rule)
            .collect::<Result<_, _>>()?;
        let prohibited = file
            .prohibited
            .into_iter()
            .map(|r| (r.name, PhraseList::new(&r.terms)))
            .collect();
        Ok(Self {
            layer1,
            layer2,
            prohibited,
            no_image,
        })
    }

    /// Decides what happens to `prompt` under `settings`, in the order Google's pipeline applies.
    pub fn judge(&self, prompt: &str, settings: &[SafetySetting], strict: bool) -> Verdict {
        let words = Words::new(prompt);
        if let Some((rule, _)) = self
            .prohibited
            .iter()
            .find(|(_, terms)| terms.first_match(&words).is_some())
        {
            return Verdict::Prohibited { rule: rule.clone() };
        }
        let threshold = |category: &HarmCategory| {
            settings
                .iter()
                .find(|setting| &setting.category == category)
                .map_or(DEFAULT_THRESHOLD, |setting| setting.threshold.clone())
        };
        for on_output in [false, true] {
            let matched: Vec<&Layer1> = self
                .layer1
                .iter()
                .filter(|rule| {
                    rule.on_output == on_output && rule.terms.first_match(&words).is_some()
                })
                .collect();
            if let Some(blocking) = matched
                .iter()
                .find(|rule| blocks(&threshold(&rule.category), &rule.probability))
            {
                tracing::debug!(rule = %blocking.name, "simulator: Layer 1 blocked");
                let ratings = ratings(&matched, blocking);
                if on_output {
                    return Verdict::OutputBlocked { ratings };
                }
                return Verdict::PromptBlocked { ratings };
            }
            if !on_output
                && let Some(rule) = self
                    .no_image
                    .iter()
                    .find(|rule| rule.terms.first_match(&words).is_some())
            {
                tracing::debug!(rule = %rule.name, "simulator: answered without an image");
                return match &rule.text_reply {
                    Some(reply) => Verdict::TextOnly {
                        reply: reply.clone(),
                    },
                    None => Verdict::NoImage,
                };
            }
        }
        for rule in &self.layer2 {
            if rule.strict_only && !strict {
                continue;
            }
            let hit = rule.terms.first_match(&words).is_some()
                && rule
                    .and_any
                    .as_ref()
                    .is_none_or(|also| also.first_match(&words).is_some());
            if hit {
                return Verdict::ImageBlocked {
                    finish_reason: rule.finish_reason.clone(),
                    finish_message: rule.finish_message.clone(),
                    rule: rule.name.clone(),
                };
            }
        }
        Verdict::Pass
    }
}

/// A rating per configurable category: NEGLIGIBLE unless a matched rule raised it.
fn ratings(matched: &[&Layer1], blocking: &Layer1) -> Vec<Rating> {
    let rank = |p: &HarmProbability| match p {
        HarmProbability::High => 3,
        HarmProbability::Medium => 2,
        HarmProbability::Low => 1,
        _ => 0,
    };
    [
        HarmCategory::SexuallyExplicit,
        HarmCategory::HateSpeech,
        HarmCategory::Harassment,
        HarmCategory::DangerousContent,
    ]
    .into_iter()
    .map(|category| {
        let probability = matched
            .iter()
            .filter(|rule| rule.category == category)
            .map(|rule| rule.probability.clone())
            .max_by_key(rank)
            .unwrap_or(HarmProbability::Negligible);
        let blocked = category == blocking.category;
        Rating {
            category,
            probability,
            blocked,
        }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(prompt: &str) -> Verdict {
        SafetyRules::builtin().judge(prompt, &[], false)
    }

    #[test]
    fn the_shipped_rules_parse() {
        let rules = SafetyRules::builtin();
        assert!(rules.layer1.len() >= 4 && rules.layer2.len() >= 4);
        assert!(!rules.prohibited.is_empty() && !rules.no_image.is_empty());
    }

    #[test]
    fn each_test_trigger_reaches_its_outcome() {
        assert!(matches!(
            judge("sim:prohibited"),
            Verdict::Prohibited { .. }
        ));
        assert!(matches!(
            judge("sim:blocked-safety"),
            Verdict::PromptBlocked { .. }
        ));
        assert!(matches!(
            judge("sim:output-safety"),
            Verdict::OutputBlocked { .. }
        ));
        assert!(matches!(judge("sim:text-only"), Verdict::TextOnly { .. }));
        assert_eq!(judge("sim:no-image"), Verdict::NoImage);
        let image = |prompt| match judge(prompt) {
            Verdict::ImageBlocked { finish_reason, .. } => finish_reason,
            other => panic!("{prompt}: {other:?}"),
        };
        assert_eq!(image("sim:image-safety"), FinishReason::ImageSafety);
        assert_eq!(image("sim:image-recitation"), FinishReason::ImageRecitation);
        assert_eq!(
            image("sim:image-prohibited"),
            FinishReason::ImageProhibitedContent
        );
        assert_eq!(image("sim:image-other"), FinishReason::ImageOther);
    }

    #[test]
    fn layer_one_obeys_settings_and_layer_two_does_not() {
        let rules = SafetyRules::builtin();
        let off = |category| SafetySetting {
            category,
            threshold: HarmBlockThreshold::BlockNone,
        };
        let relaxed = [off(HarmCategory::DangerousContent)];
        assert!(matches!(
            rules.judge("sim:blocked-safety", &[], false),
            Verdict::PromptBlocked { .. }
        ));
        assert_eq!(
            rules.judge("sim:blocked-safety", &relaxed, false),
            Verdict::Pass
        );
        let all_off: Vec<SafetySetting> = HarmCategory::CONFIGURABLE.into_iter().map(off).collect();
        assert!(matches!(
            rules.judge("Elsa from Frozen singing", &all_off, false),
            Verdict::ImageBlocked { .. }
        ));
    }

    #[test]
    fn blocked_ratings_name_the_category() {
        let Verdict::PromptBlocked { ratings } = judge("sim:blocked-safety") else {
            panic!()
        };
        let blocked: Vec<&Rating> = ratings.iter().filter(|r| r.blocked).collect();
        assert_eq!(blocked.len(), 1);
        assert_eq!(blocked[0].category, HarmCategory::DangerousContent);
        assert_eq!(blocked[0].probability, HarmProbability::High);
    }

    #[test]
    fn minors_block_only_with_clothing_or_pose_cues() {
        assert_eq!(
            judge("kids playing football in a park, flat vector"),
            Verdict::Pass
        );
        assert!(matches!(
            judge("a little girl in a bikini on the beach"),
            Verdict::ImageBlocked { .. } | Verdict::PromptBlocked { .. }
        ));
    }

    #[test]
    fn strict_rules_apply_only_in_the_strict_scenario() {
        let rules = SafetyRules::builtin();
        assert_eq!(
            rules.judge("sim:strict-image-safety", &[], false),
            Verdict::Pass
        );
        assert!(matches!(
            rules.judge("sim:strict-image-safety", &[], true),
            Verdict::ImageBlocked { .. }
        ));
    }

    #[test]
    fn ordinary_prompts_pass() {
        for prompt in [
            "a girl reading in a cafe, watercolor",
            "a teen skateboarder, comic style",
            "an apple on a table",
            "portrait of an old man, oil painting",
            "a cat in a spacesuit",
            "a mouse eating cheese",
            "a bat flying at night",
            "a spider on a web",
            "nude lipstick palette product shot",
            "a black panther in the jungle",
        ] {
            assert_eq!(judge(prompt), Verdict::Pass, "{prompt}");
        }
    }

    #[test]
    fn thresholds_order() {
        use HarmBlockThreshold as T;
        use HarmProbability as P;
        assert!(blocks(&T::BlockLowAndAbove, &P::Low));
        assert!(!blocks(&T::BlockMediumAndAbove, &P::Low));
        assert!(blocks(&T::BlockMediumAndAbove, &P::Medium));
        assert!(!blocks(&T::BlockOnlyHigh, &P::Medium));
        assert!(blocks(&T::BlockOnlyHigh, &P::High));
        assert!(!blocks(&T::BlockNone, &P::High));
        assert!(!blocks(&T::Off, &P::High));
    }
}
