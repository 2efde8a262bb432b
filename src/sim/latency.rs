//! How long the simulated models take to answer, per model and size, so that the window, the
//! engine's timeouts and a designer's patience meet the times of the real service. Google
//! publishes no latency figures; the ranges are what users report for Nano Banana Pro (a thinking
//! model: tens of seconds, longer at 4K) and for the flash-class models (a few seconds).
//!
//! Times are simulated seconds: the server turns them into real time with its clock's time scale,
//! and waits before it sends the headers of a plain answer (the model "thinks", then answers); a
//! streamed answer sends its events spread over the same time, the last at its end.

use crate::api::catalog::ModelEntry;

/// What the model was asked to do, as far as its answer time goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// The prompt filter refused it before any generation.
    Refused,
    /// A text answer (no image asked for, or the model answered in words).
    Text,
    /// An image, which the image filter may still block.
    Image,
}

/// Whether the model is of the slow, thinking, Pro class.
fn is_pro(model: &ModelEntry) -> bool {
    model.thinking == Some(true) || model.id.contains("-pro-")
}

/// The range of answer times `(shortest, longest)` in simulated seconds.
pub fn range_s(model: &ModelEntry, image_size: &str, work: Work) -> (f64, f64) {
    let pro = is_pro(model);
    match work {
        Work::Refused => (0.4, 1.5),
        Work::Text if pro => (5.0, 12.0),
        Work::Text => (2.0, 5.0),
        Work::Image => match (pro, image_size) {
            (true, "4K") => (25.0, 60.0),
            (true, "2K") => (15.0, 35.0),
            (true, _) => (12.0, 25.0),
            (false, "4K") => (6.0, 12.0),
            (false, "2K") => (5.0, 11.0),
            (false, "512") => (3.0, 7.0),
            (false, _) => (4.0, 9.0),
        },
    }
}

/// One answer time in simulated seconds from two rolls in 0..1: their mean puts most answers
/// near the middle of the range and few at its ends, as with real traffic.
pub fn pick_s(range: (f64, f64), roll_a: f64, roll_b: f64) -> f64 {
    let (shortest, longest) = range;
    shortest + (longest - shortest) * (roll_a + roll_b) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalog::Catalog;

    #[test]
    fn pro_is_slow_and_slower_at_4k_flash_is_quick() {
        let catalog = Catalog::builtin();
        let pro = catalog.get("gemini-3-pro-image").unwrap();
        let flash = catalog.get("gemini-nano-banana-2.1").unwrap();
        assert_eq!(range_s(pro, "1K", Work::Image), (12.0, 25.0));
        assert_eq!(range_s(pro, "4K", Work::Image), (25.0, 60.0));
        let (_, flash_longest) = range_s(flash, "1K", Work::Image);
        assert!(flash_longest <= 12.0);
        assert!(range_s(pro, "1K", Work::Refused).1 < 2.0);
        assert_eq!(pick_s((10.0, 20.0), 0.0, 0.0), 10.0);
        assert_eq!(pick_s((10.0, 20.0), 1.0, 1.0), 20.0);
        assert_eq!(pick_s((10.0, 20.0), 0.25, 0.75), 15.0);
    }
}
