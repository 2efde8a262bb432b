//! "Try these rewrites": for a job a content layer blocked, the top suggestions (up to three)
//! queued as ordinary jobs with the blocked job's model and settings, only the prompt replaced,
//! and what they will cost at most, said before anything is sent. Pure: the why-panel's button
//! and its confirmation (`ui::try_rewrites`) use it, and Compare shows the outcome.

use super::compare::estimate;
use super::state::JobView;
use crate::job::JobSpec;
use crate::rewrite::Advice;

/// Most rewrites one press queues (one column each beside the original in Compare).
pub const MAX_REWRITES_TRIED: usize = super::compare::MAX_COMPARED - 1;

/// The prompts of the top suggestions in `advice`, best first (none when the advice is a setting
/// or "nothing helps").
pub fn rewrites_to_try(advice: &Advice) -> Vec<String> {
    match advice {
        Advice::Rewrites { suggestions, .. } => suggestions
            .iter()
            .take(MAX_REWRITES_TRIED)
            .map(|suggestion| suggestion.prompt.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// One job per prompt: `original`'s spec (model, fallback, ratio, size, references, safety
/// settings, edit history) with the prompt replaced, marked as a rewrite of it (so a rewrite
/// that passes is remembered for next time).
pub fn rewrite_specs(original: &JobView, prompts: &[String]) -> Vec<JobSpec> {
    prompts
        .iter()
        .take(MAX_REWRITES_TRIED)
        .map(|prompt| JobSpec {
            prompt: prompt.clone(),
            rewrite_of: Some(original.id),
            ..original.spec.clone()
        })
        .collect()
}

/// "Estimated cost: $0.134 per image × 3 = $0.40", worded as the editor's cost line, with
/// "(simulated: nothing is billed)" without a key; or why the price is unknown.
pub fn cost_line(spec: &JobSpec, count: usize, simulated: bool) -> String {
    let Some(each) = estimate(spec) else {
        return format!(
            "Estimated cost: Google publishes no price for {} at {}",
            spec.model,
            spec.image_size.as_deref().unwrap_or("its size")
        );
    };
    let billed = if simulated {
        " (simulated: nothing is billed)"
    } else {
        ""
    };
    if count == 1 {
        format!("Estimated cost: ${each:.3} per image{billed}")
    } else {
        let total = each * count as f64;
        format!("Estimated cost: ${each:.3} per image × {count} = ${total:.2}{billed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{DiagnosisContext, Evidence, diagnose};
    use crate::rewrite::advise;
    use crate::view::state::AppState;
    use crate::worker::Event;

    fn blocked(prompt: &str, body: &str) -> (JobView, Advice) {
        let mut state = AppState::default();
        state.apply(Event::Queued {
            job: 7,
            spec: JobSpec {
                prompt: prompt.to_owned(),
                model: "gemini-3-pro-image".to_owned(),
                fallback: Some("gemini-nano-banana-2.1".to_owned()),
                aspect_ratio: Some("16:9".to_owned()),
                image_size: Some("2K".to_owned()),
                ..JobSpec::default()
            },
        });
        let diagnosis = diagnose(
            &Evidence::http(200, body),
            &DiagnosisContext::new(jiff::Timestamp::now()),
        );
        let advice = advise(prompt, &diagnosis);
        (state.jobs.remove(0), advice)
    }

    const RECITATION: &str =
        r#"{"candidates":[{"content":{"role":"model"},"finishReason":"IMAGE_RECITATION"}]}"#;
    const LAYER_1: &str = r#"{"promptFeedback":{"blockReason":"SAFETY"}}"#;

    #[test]
    fn the_top_three_suggestions_become_jobs_with_the_originals_settings() {
        let prompt = "a photo of a woman cosplaying Elsa at a comic convention";
        let (original, advice) = blocked(prompt, RECITATION);
        let prompts = rewrites_to_try(&advice);
        assert_eq!(prompts.len(), 3, "{advice:#?}");
        assert!(prompts.iter().all(|p| !p.contains("Elsa")), "{prompts:?}");
        let specs = rewrite_specs(&original, &prompts);
        assert_eq!(specs.len(), 3);
        for (spec, prompt) in specs.iter().zip(&prompts) {
            assert_eq!(&spec.prompt, prompt);
            assert_eq!(spec.rewrite_of, Some(7));
            assert_eq!(
                JobSpec {
                    prompt: original.spec.prompt.clone(),
                    rewrite_of: None,
                    ..spec.clone()
                },
                original.spec,
                "only the prompt changes"
            );
        }
    }

    #[test]
    fn a_layer_1_block_gets_a_setting_and_no_rewrites_to_try() {
        let (_, advice) = blocked("a knight with a sword", LAYER_1);
        assert!(rewrites_to_try(&advice).is_empty());
    }

    #[test]
    fn the_cost_is_said_per_image_and_in_total_before_sending() {
        let (original, _) = blocked("Elsa", RECITATION);
        let each = estimate(&original.spec).unwrap();
        assert!(each > 0.0);
        assert_eq!(
            cost_line(&original.spec, 3, false),
            format!(
                "Estimated cost: ${each:.3} per image × 3 = ${:.2}",
                each * 3.0
            )
        );
        assert!(cost_line(&original.spec, 2, true).ends_with("(simulated: nothing is billed)"));
        let unpriced = JobSpec {
            model: "no-such-model".to_owned(),
            ..original.spec
        };
        assert_eq!(
            cost_line(&unpriced, 3, false),
            "Estimated cost: Google publishes no price for no-such-model at 2K"
        );
    }
}
