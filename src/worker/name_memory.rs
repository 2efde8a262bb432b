//! Learning from outcomes for the preflight: when a job ends, the names the preflight marks in its
//! prompt are counted as passed (an image arrived) or blocked (a content filter stopped it), and a
//! prompt a filter stopped with no name marked — or that Layer 1 stopped, with the category — is
//! remembered by its words. Nothing leaves the machine. Rewrites (a blocked job's suggestions,
//! tried one by one or several at once from "Try these rewrites") are jobs like any other: each
//! outcome, passed or blocked, teaches the same way.
//!
//! The engine records each lesson in the database when a job ends (no event: a job's last event
//! stays `Finished`); the window gets the whole memory once at start ([`Event::NameMemory`], only
//! when there is something in it) and then learns the same lessons from each `Finished` itself
//! ([`learn`]).

use jiff::Timestamp;

use super::engine::Engine;
use super::protocol::{Event, JobOutcome};
use super::sink::EventSink;
use crate::diagnosis::Kind;
use crate::job::JobState;
use crate::rewrite::preflight::{Context, Memory, Past, PromptPast, preflight, prompt_key};
use crate::store::Store;
use crate::store::name_memory::{NameMemoryRows, PromptBlock};

/// What one ended job teaches, or nothing (cancelled, parked, a failure that is not a content
/// block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// The names the preflight marks in the prompt.
    pub names: Vec<String>,
    /// Whether an image arrived (else a content filter stopped it).
    pub passed: bool,
    /// A block to remember by the prompt's words (no name marked, or Layer 1).
    pub prompt_block: Option<PromptBlock>,
    /// A block to forget: the same words passed since.
    pub forget_prompt: Option<String>,
}

/// What the job with `prompt` that ended as `outcome` teaches.
pub fn lesson(prompt: &str, outcome: &JobOutcome) -> Option<Lesson> {
    let marks = preflight(prompt, &Context::default()).marks;
    let mut names: Vec<String> = marks.iter().filter_map(|m| m.name.clone()).collect();
    names.sort();
    names.dedup();
    let key = prompt_key(prompt);
    if outcome.status == JobState::Delivered {
        return Some(Lesson {
            names,
            passed: true,
            prompt_block: None,
            forget_prompt: Some(key),
        });
    }
    let diagnosis = outcome.diagnosis.as_ref()?;
    if !diagnosis.kind.is_content_block() {
        return None;
    }
    let layer_1 = diagnosis.kind == Kind::BlockedSafety;
    // With no name to count (nothing marked, or only age and clothing words), the block is
    // remembered by the prompt's words: every blocked outcome teaches something.
    let prompt_block = (layer_1 || names.is_empty()).then(|| PromptBlock {
        key,
        kind: diagnosis.kind.id().to_owned(),
        category: layer_1.then(|| blocking_category(&diagnosis.raw)).flatten(),
    });
    Some(Lesson {
        names,
        passed: false,
        prompt_block,
        forget_prompt: None,
    })
}

/// The category of the first safety rating marked `"blocked": true` in a (redacted) answer.
fn blocking_category(raw: &str) -> Option<String> {
    fn find(value: &serde_json::Value) -> Option<String> {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("blocked") == Some(&serde_json::Value::Bool(true))
                    && let Some(serde_json::Value::String(category)) = map.get("category")
                {
                    return Some(category.clone());
                }
                map.values().find_map(find)
            }
            serde_json::Value::Array(items) => items.iter().find_map(find),
            _ => None,
        }
    }
    find(&serde_json::from_str(raw).ok()?)
}

/// The memory as the preflight reads it.
pub fn memory_of(rows: NameMemoryRows) -> Memory {
    Memory {
        names: rows
            .names
            .into_iter()
            .map(|r| {
                (
                    r.name,
                    Past {
                        passed: r.passed,
                        blocked: r.blocked,
                    },
                )
            })
            .collect(),
        prompts: rows
            .prompts
            .into_iter()
            .map(|p| {
                (
                    p.key,
                    PromptPast {
                        kind: p.kind,
                        category: p.category,
                    },
                )
            })
            .collect(),
    }
}

/// Applies `lesson` to `memory`, as [`Engine::learn_names`] applies it to the database.
pub fn learn(memory: &mut Memory, lesson: &Lesson) {
    for name in &lesson.names {
        let past = memory.names.entry(name.clone()).or_default();
        if lesson.passed {
            past.passed += 1;
        } else {
            past.blocked += 1;
        }
    }
    if let Some(block) = &lesson.prompt_block {
        memory.prompts.insert(
            block.key.clone(),
            PromptPast {
                kind: block.kind.clone(),
                category: block.category.clone(),
            },
        );
    }
    if let Some(key) = &lesson.forget_prompt {
        memory.prompts.remove(key);
    }
}

impl Engine {
    /// Records in the database what the job with `prompt` that ended as `outcome` teaches.
    pub(super) async fn learn_names(&self, prompt: &str, outcome: &JobOutcome) {
        let Some(lesson) = lesson(prompt, outcome) else {
            return;
        };
        let recorded = self
            .db(move |store| {
                store.record_lesson(
                    &lesson.names,
                    lesson.passed,
                    lesson.prompt_block.as_ref(),
                    lesson.forget_prompt.as_deref(),
                    Timestamp::now(),
                )
            })
            .await;
        if let Err(error) = recorded {
            tracing::warn!("the preflight's name memory could not learn from a job: {error}");
        }
    }

    /// Sends the whole name memory to the listeners, when it holds anything (at start).
    pub async fn send_name_memory(&self, events: &EventSink) {
        if let Ok(rows) = self.db(Store::name_memory).await
            && !(rows.names.is_empty() && rows.prompts.is_empty())
        {
            events
                .send(Event::NameMemory(Box::new(memory_of(rows))))
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{DiagnosisContext, Evidence, diagnose};

    fn ended(status: JobState, body: Option<&str>) -> JobOutcome {
        let mut outcome = JobOutcome::new(1);
        outcome.status = status;
        outcome.diagnosis = body.map(|body| {
            diagnose(
                &Evidence::http(200, body),
                &DiagnosisContext::new(Timestamp::now()),
            )
        });
        outcome
    }

    const IMAGE_RECITATION: &str =
        r#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_RECITATION"}]}"#;
    const IMAGE_SAFETY: &str =
        r#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_SAFETY"}]}"#;
    const LAYER_1: &str = r#"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"},{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH","blocked":true}]}}"#;

    #[test]
    fn a_delivered_prompt_counts_its_names_as_passed_and_clears_its_block() {
        let lesson = lesson(
            "Elsa and Batman at a party",
            &ended(JobState::Delivered, None),
        )
        .unwrap();
        assert_eq!(lesson.names, ["Batman", "Elsa"]);
        assert!(lesson.passed);
        assert_eq!(lesson.forget_prompt.unwrap(), "elsa and batman at a party");
    }

    #[test]
    fn a_blocked_marked_prompt_counts_its_names_and_an_unmarked_one_is_remembered() {
        let marked = lesson(
            "Elsa at night",
            &ended(JobState::Stopped, Some(IMAGE_RECITATION)),
        )
        .unwrap();
        assert_eq!(marked.names, ["Elsa"]);
        assert!(!marked.passed);
        assert!(marked.prompt_block.is_none(), "the marks already say it");

        let unmarked = lesson(
            "a quiet lake",
            &ended(JobState::Stopped, Some(IMAGE_RECITATION)),
        )
        .unwrap();
        assert!(unmarked.names.is_empty());
        let block = unmarked.prompt_block.unwrap();
        assert_eq!(block.key, "a quiet lake");
        assert_eq!(block.kind, "image_recitation");
        assert_eq!(block.category, None);
    }

    #[test]
    fn a_blocked_prompt_marked_only_for_age_is_remembered_by_its_words() {
        let lesson = lesson(
            "a girl in a bikini on the beach",
            &ended(JobState::Stopped, Some(IMAGE_SAFETY)),
        )
        .unwrap();
        assert!(lesson.names.is_empty());
        assert!(!lesson.passed);
        let block = lesson.prompt_block.expect("learnt from the block");
        assert_eq!(block.key, "a girl in a bikini on the beach");
        assert_eq!(block.kind, "image_safety");
    }

    #[test]
    fn a_layer_1_block_is_remembered_with_its_category() {
        let lesson = lesson(
            "a knight with a sword",
            &ended(JobState::Stopped, Some(LAYER_1)),
        )
        .unwrap();
        let block = lesson.prompt_block.unwrap();
        assert_eq!(block.kind, "blocked_safety");
        assert_eq!(
            block.category.as_deref(),
            Some("HARM_CATEGORY_DANGEROUS_CONTENT")
        );
    }

    #[test]
    fn the_window_learns_the_same_lessons_as_the_database() {
        let mut memory = Memory::default();
        let blocked = lesson(
            "Elsa at night",
            &ended(JobState::Stopped, Some(IMAGE_RECITATION)),
        )
        .unwrap();
        learn(&mut memory, &blocked);
        let layer_1 = lesson(
            "a knight with a sword",
            &ended(JobState::Stopped, Some(LAYER_1)),
        )
        .unwrap();
        learn(&mut memory, &layer_1);
        assert_eq!(
            memory.names["Elsa"],
            Past {
                passed: 0,
                blocked: 1
            }
        );
        assert_eq!(
            memory.prompts["a knight with a sword"].kind,
            "blocked_safety"
        );
        let passed = lesson("A knight, with a sword", &ended(JobState::Delivered, None)).unwrap();
        learn(&mut memory, &passed);
        assert!(memory.prompts.is_empty(), "the words passed since");
    }

    #[test]
    fn other_failures_teach_nothing() {
        let overloaded =
            r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#;
        let mut outcome = ended(JobState::Stopped, None);
        outcome.diagnosis = Some(diagnose(
            &Evidence::http(503, overloaded),
            &DiagnosisContext::new(Timestamp::now()),
        ));
        assert_eq!(lesson("Elsa at night", &outcome), None);
        assert_eq!(
            lesson("Elsa at night", &ended(JobState::Parked, None)),
            None
        );
    }
}
