//! What a thinking model showed of its answer so far: thought summaries and interim images, in
//! the order they arrived, for the attempt under way. The window shows the newest interim image
//! in the tile and the large view (marked as not the final image) and the summaries in the
//! why-panel.

use crate::worker::protocol::{InterimImage, ThoughtSeen};

/// The thoughts of a job's latest attempt (this session only: they are not in the history).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Thinking {
    /// The attempt they came with (0: none yet).
    pub attempt: u32,
    /// Summaries and interim images, in arrival order.
    pub thoughts: Vec<ThoughtSeen>,
}

impl Thinking {
    /// Adds a thought; one of a newer attempt replaces the older attempt's.
    pub fn add(&mut self, thought: ThoughtSeen) {
        if thought.attempt != self.attempt {
            self.attempt = thought.attempt;
            self.thoughts.clear();
        }
        self.thoughts.push(thought);
    }

    /// A new attempt started: the last one's thoughts are no longer its answer's.
    pub fn attempt_started(&mut self, attempt: u32) {
        if attempt != self.attempt {
            self.attempt = attempt;
            self.thoughts.clear();
        }
    }

    /// The job ended: its interim images are gone from disk (the summaries stay readable).
    pub fn job_ended(&mut self) {
        for thought in &mut self.thoughts {
            thought.image = None;
        }
        self.thoughts.retain(|thought| thought.text.is_some());
    }

    /// The newest interim image, with its place among the thoughts.
    pub fn latest_image(&self) -> Option<(&ThoughtSeen, &InterimImage)> {
        self.thoughts
            .iter()
            .rev()
            .find_map(|thought| Some((thought, thought.image.as_ref()?)))
    }

    /// The summaries, in arrival order.
    pub fn summaries(&self) -> impl Iterator<Item = &ThoughtSeen> {
        self.thoughts
            .iter()
            .filter(|thought| thought.text.is_some())
    }
}

/// The label over an interim image, so no one takes it for the result.
pub const NOT_FINAL: &str = "thinking — not the final image";

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn thought(attempt: u32, index: u32, image: bool) -> ThoughtSeen {
        ThoughtSeen {
            attempt,
            index,
            at_s: f64::from(index),
            text: (!image).then(|| format!("thought {index}")),
            image: image.then(|| InterimImage {
                path: PathBuf::from(format!("job-1-{attempt}-{index}.jpg")),
                mime_type: "image/jpeg".to_owned(),
                width: 768,
                height: 768,
            }),
        }
    }

    #[test]
    fn the_newest_image_of_the_attempt_under_way_shows_and_goes_when_the_job_ends() {
        let mut thinking = Thinking::default();
        assert!(thinking.latest_image().is_none());
        thinking.attempt_started(1);
        thinking.add(thought(1, 1, false));
        thinking.add(thought(1, 2, true));
        thinking.add(thought(1, 3, false));
        assert_eq!(thinking.latest_image().unwrap().0.index, 2);
        thinking.add(thought(1, 4, true));
        assert_eq!(thinking.latest_image().unwrap().0.index, 4);
        assert_eq!(thinking.summaries().count(), 2);
        assert_eq!(
            thinking
                .thoughts
                .iter()
                .filter(|t| t.image.is_some())
                .count(),
            2
        );
        thinking.attempt_started(2);
        assert!(
            thinking.thoughts.is_empty(),
            "attempt 1's thoughts are not attempt 2's"
        );
        thinking.add(thought(2, 1, false));
        thinking.add(thought(2, 2, true));
        thinking.job_ended();
        assert!(thinking.latest_image().is_none(), "its file is gone");
        assert_eq!(thinking.summaries().count(), 1, "the words stay");
    }
}
