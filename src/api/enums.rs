//! Open enums of the Gemini API: finish reasons, block reasons, safety categories, thresholds,
//! probabilities and modalities.
//!
//! Google adds values over time, so every enum here is *open*: a value Peel does not know parses as
//! `Unknown(raw)` and is kept as it came, instead of failing the whole response. Old SDKs print enum
//! numbers (`finish_reason: 4`), so the proto numbers are accepted too.
//!
//! Sources: `google/ai/generativelanguage/v1beta/generative_service.proto` and `safety.proto`
//! (googleapis), `FinishReason`/`BlockedReason`/`HarmCategory` in the python-genai SDK `types.py`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Declares an open enum: known variants with their wire names and proto numbers, plus `Unknown(String)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($wire:literal, $number:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of Peel does not know, kept exactly as the server sent it.
            Unknown(String),
        }

        impl $name {
            /// Every known variant, in proto order.
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The name used on the wire (e.g. `"IMAGE_SAFETY"`), or the raw text of an unknown value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(raw) => raw,
                }
            }

            /// Parses a wire name; anything else becomes `Unknown`.
            pub fn from_wire(raw: &str) -> Self {
                match raw {
                    $( $wire => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// Maps a proto enum number (as printed by old SDKs) to its variant.
            pub fn from_number(number: i64) -> Self {
                match number {
                    $( $number => $name::$variant, )+
                    other => $name::Unknown(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct OpenVisitor;
                impl Visitor<'_> for OpenVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " name or number"))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        // A number sent as text (`"finishReason": "11"`) is read by its proto number.
                        match v.trim().parse::<i64>() {
                            Ok(number) => Ok($name::from_number(number)),
                            Err(_) => Ok($name::from_wire(v)),
                        }
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$name, E> {
                        Ok($name::from_number(v))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        Ok(i64::try_from(v).map_or_else(|_| $name::Unknown(v.to_string()), $name::from_number))
                    }
                }
                deserializer.deserialize_any(OpenVisitor)
            }
        }
    };
}

open_enum! {
    /// Why the model stopped producing a candidate (`Candidate.finishReason`): all 18 proto values.
    FinishReason {
        /// Default value; not used by the server.
        Unspecified = ("FINISH_REASON_UNSPECIFIED", 0),
        /// Natural stop: the model finished (an image model may still have answered only in words).
        Stop = ("STOP", 1),
        /// The output token limit was reached.
        MaxTokens = ("MAX_TOKENS", 2),
        /// Flagged by the configurable safety filter (Layer 1).
        Safety = ("SAFETY", 3),
        /// The output resembled existing material too closely.
        Recitation = ("RECITATION", 4),
        /// Stopped for an unspecified reason.
        Other = ("OTHER", 5),
        /// The language is not supported.
        Language = ("LANGUAGE", 6),
        /// Contained terms from a blocklist.
        Blocklist = ("BLOCKLIST", 7),
        /// Contained prohibited content (not configurable).
        ProhibitedContent = ("PROHIBITED_CONTENT", 8),
        /// Contained sensitive personally identifiable information.
        Spii = ("SPII", 9),
        /// The model produced an invalid function call.
        MalformedFunctionCall = ("MALFORMED_FUNCTION_CALL", 10),
        /// The generated image was blocked by the image filter (Layer 2).
        ImageSafety = ("IMAGE_SAFETY", 11),
        /// The model called a tool that was not offered.
        UnexpectedToolCall = ("UNEXPECTED_TOOL_CALL", 12),
        /// The model called tools too many times.
        TooManyToolCalls = ("TOO_MANY_TOOL_CALLS", 13),
        /// The generated image contains prohibited content.
        ImageProhibitedContent = ("IMAGE_PROHIBITED_CONTENT", 14),
        /// The generated image was blocked for another reason.
        ImageOther = ("IMAGE_OTHER", 15),
        /// An image was expected but none was generated.
        NoImage = ("NO_IMAGE", 16),
        /// The generated image may recite existing material.
        ImageRecitation = ("IMAGE_RECITATION", 17),
    }
}

open_enum! {
    /// Why the prompt itself was blocked (`promptFeedback.blockReason`).
    BlockReason {
        /// Default value; not used by the server.
        Unspecified = ("BLOCK_REASON_UNSPECIFIED", 0),
        /// Blocked by the configurable safety filter (Layer 1).
        Safety = ("SAFETY", 1),
        /// Blocked for an unspecified reason.
        Other = ("OTHER", 2),
        /// Contained terms from the terminology blocklist.
        Blocklist = ("BLOCKLIST", 3),
        /// Contained prohibited content (not configurable).
        ProhibitedContent = ("PROHIBITED_CONTENT", 4),
        /// Candidates blocked for unsafe image generation content.
        ImageSafety = ("IMAGE_SAFETY", 5),
        /// Vertex only: blocked by Model Armor.
        ModelArmor = ("MODEL_ARMOR", 6),
        /// Vertex only: judged a jailbreak attempt.
        Jailbreak = ("JAILBREAK", 7),
    }
}

open_enum! {
    /// Safety categories the Gemini API accepts in `safetySettings` and reports in `safetyRatings`.
    ///
    /// Only the real ones: there is no `COPYRIGHT_INFRINGEMENT` category (copyright-like blocks arrive
    /// as `RECITATION` / `IMAGE_RECITATION`). The `HARM_CATEGORY_IMAGE_*` ones are Vertex-only and
    /// arrive here as `Unknown`.
    HarmCategory {
        /// Default value; rejected by the server.
        Unspecified = ("HARM_CATEGORY_UNSPECIFIED", 0),
        /// Harassment.
        Harassment = ("HARM_CATEGORY_HARASSMENT", 7),
        /// Hate speech.
        HateSpeech = ("HARM_CATEGORY_HATE_SPEECH", 8),
        /// Sexually explicit content.
        SexuallyExplicit = ("HARM_CATEGORY_SEXUALLY_EXPLICIT", 9),
        /// Dangerous content.
        DangerousContent = ("HARM_CATEGORY_DANGEROUS_CONTENT", 10),
        /// Civic integrity (deprecated by Google, still accepted).
        CivicIntegrity = ("HARM_CATEGORY_CIVIC_INTEGRITY", 11),
    }
}

impl HarmCategory {
    /// The categories a designer can set a threshold for on the Gemini API (Layer 1).
    pub const CONFIGURABLE: [HarmCategory; 5] = [
        HarmCategory::Harassment,
        HarmCategory::HateSpeech,
        HarmCategory::SexuallyExplicit,
        HarmCategory::DangerousContent,
        HarmCategory::CivicIntegrity,
    ];

    /// A short name a designer understands ("Harassment").
    pub fn label(&self) -> &str {
        match self {
            HarmCategory::Unspecified => "Unspecified",
            HarmCategory::Harassment => "Harassment",
            HarmCategory::HateSpeech => "Hate speech",
            HarmCategory::SexuallyExplicit => "Sexually explicit",
            HarmCategory::DangerousContent => "Dangerous content",
            HarmCategory::CivicIntegrity => "Civic integrity",
            HarmCategory::Unknown(raw) => raw,
        }
    }
}

open_enum! {
    /// How strictly the configurable filter blocks a category (`safetySettings[].threshold`).
    HarmBlockThreshold {
        /// Default value: the model's own default applies.
        Unspecified = ("HARM_BLOCK_THRESHOLD_UNSPECIFIED", 0),
        /// Block when the probability is low or higher.
        BlockLowAndAbove = ("BLOCK_LOW_AND_ABOVE", 1),
        /// Block when the probability is medium or higher.
        BlockMediumAndAbove = ("BLOCK_MEDIUM_AND_ABOVE", 2),
        /// Block only when the probability is high.
        BlockOnlyHigh = ("BLOCK_ONLY_HIGH", 3),
        /// Never block (the rating is still reported).
        BlockNone = ("BLOCK_NONE", 4),
        /// Turn the filter off for this category.
        Off = ("OFF", 5),
    }
}

open_enum! {
    /// How likely content is to be harmful (`safetyRatings[].probability`).
    HarmProbability {
        /// Default value.
        Unspecified = ("HARM_PROBABILITY_UNSPECIFIED", 0),
        /// Negligible.
        Negligible = ("NEGLIGIBLE", 1),
        /// Low.
        Low = ("LOW", 2),
        /// Medium.
        Medium = ("MEDIUM", 3),
        /// High.
        High = ("HIGH", 4),
    }
}

open_enum! {
    /// A content modality in requests (`responseModalities`) and token details.
    Modality {
        /// Default value.
        Unspecified = ("MODALITY_UNSPECIFIED", 0),
        /// Text.
        Text = ("TEXT", 1),
        /// Image.
        Image = ("IMAGE", 2),
        /// Video.
        Video = ("VIDEO", 3),
        /// Audio.
        Audio = ("AUDIO", 4),
        /// Document (PDF).
        Document = ("DOCUMENT", 5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_eighteen_finish_reasons_round_trip() {
        assert_eq!(FinishReason::KNOWN.len(), 18);
        for reason in FinishReason::KNOWN {
            let json = serde_json::to_string(reason).unwrap();
            let back: FinishReason = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, reason);
        }
    }

    #[test]
    fn unknown_values_are_kept_not_rejected() {
        let reason: FinishReason = serde_json::from_str("\"IMAGE_TOO_SPICY\"").unwrap();
        assert_eq!(reason, FinishReason::Unknown("IMAGE_TOO_SPICY".to_owned()));
        assert_eq!(
            serde_json::to_string(&reason).unwrap(),
            "\"IMAGE_TOO_SPICY\""
        );
    }

    #[test]
    fn proto_numbers_from_old_sdks_parse() {
        let reason: FinishReason = serde_json::from_str("4").unwrap();
        assert_eq!(reason, FinishReason::Recitation);
        let block: BlockReason = serde_json::from_str("4").unwrap();
        assert_eq!(block, BlockReason::ProhibitedContent);
    }

    #[test]
    fn every_proto_number_reads_as_its_name() {
        for (number, reason) in (0..).zip(FinishReason::KNOWN) {
            let parsed: FinishReason = serde_json::from_str(&number.to_string()).unwrap();
            assert_eq!(&parsed, reason, "finish reason {number}");
            let quoted: FinishReason = serde_json::from_str(&format!("\"{number}\"")).unwrap();
            assert_eq!(&quoted, reason, "finish reason \"{number}\"");
        }
        for (number, name) in [
            (0, "BLOCK_REASON_UNSPECIFIED"),
            (1, "SAFETY"),
            (2, "OTHER"),
            (3, "BLOCKLIST"),
            (4, "PROHIBITED_CONTENT"),
            (5, "IMAGE_SAFETY"),
        ] {
            let parsed: BlockReason = serde_json::from_str(&number.to_string()).unwrap();
            assert_eq!(parsed.as_str(), name, "block reason {number}");
        }
        let unknown: FinishReason = serde_json::from_str("99").unwrap();
        assert_eq!(unknown, FinishReason::Unknown("99".to_owned()));
    }

    #[test]
    fn there_is_no_copyright_category() {
        let parsed = HarmCategory::from_wire("COPYRIGHT_INFRINGEMENT");
        assert!(matches!(parsed, HarmCategory::Unknown(_)));
        assert!(
            HarmCategory::KNOWN
                .iter()
                .all(|c| !c.as_str().contains("COPYRIGHT"))
        );
    }
}
