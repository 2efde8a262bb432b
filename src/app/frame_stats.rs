//! Frame statistics for the real window: with `PEEL_FRAME_STATS=1` the app records each frame's
//! CPU time (as eframe measures it: `ui` plus rendering, without waiting for vsync) and, when the
//! window closes, prints p50, p99 and max with the peak resident memory to stderr, so anyone can
//! check the budgets on their own machine and GPU.
//!
//! With `PEEL_EXIT_AFTER_FIRST_FRAME=1` the app prints how long after start its first frame was
//! shown, then closes (the start-up measurement in the README). With `PEEL_EXIT_AFTER_S=N` it
//! closes itself N seconds after start (so `benches/window_startup.rs` can read the memory and
//! frame figures of a window that stayed open).

use std::io::Write as _;
use std::time::{Duration, Instant};

/// The variable that turns the statistics on.
pub const FRAME_STATS_VARIABLE: &str = "PEEL_FRAME_STATS";

/// The variable that closes the window once the first frame is shown.
pub const EXIT_AFTER_FIRST_FRAME_VARIABLE: &str = "PEEL_EXIT_AFTER_FIRST_FRAME";

/// The variable that closes the window a number of seconds after start.
pub const EXIT_AFTER_SECONDS_VARIABLE: &str = "PEEL_EXIT_AFTER_S";

/// Whether `variable` is set to something other than empty or `0`.
fn is_on(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|value| !value.is_empty() && value != "0")
}

/// Each frame's CPU time, and the start-up hook.
#[derive(Debug, Default)]
pub struct FrameStats {
    /// CPU seconds of each frame so far (`None`: not recording).
    samples_s: Option<Vec<f32>>,
    /// When the window's start began (`Some` while the first frame is awaited and the start-up
    /// hook is on).
    first_frame_from: Option<Instant>,
    /// Frames drawn so far.
    frames: u64,
    /// When the window closes itself (`PEEL_EXIT_AFTER_S`).
    close_at: Option<Instant>,
}

impl FrameStats {
    /// Statistics as the environment asks (`PEEL_FRAME_STATS`, `PEEL_EXIT_AFTER_FIRST_FRAME`);
    /// `started` is when the window's start began.
    pub fn from_environment(started: Instant) -> Self {
        Self {
            samples_s: is_on(FRAME_STATS_VARIABLE).then(Vec::new),
            first_frame_from: is_on(EXIT_AFTER_FIRST_FRAME_VARIABLE).then_some(started),
            frames: 0,
            close_at: std::env::var(EXIT_AFTER_SECONDS_VARIABLE)
                .ok()
                .and_then(|value| value.trim().parse::<f64>().ok())
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .map(|seconds| started + Duration::from_secs_f64(seconds)),
        }
    }

    /// Records the previous frame's CPU seconds (eframe's `frame.info().cpu_usage`; `None` on the
    /// first frame). Returns true when the window should close now (the start-up hook: the
    /// first frame has been shown, or `PEEL_EXIT_AFTER_S` has passed).
    pub fn on_frame(&mut self, previous_cpu_s: Option<f32>) -> bool {
        if self.close_at.is_some_and(|at| Instant::now() >= at) {
            return true;
        }
        self.frames += 1;
        if let (Some(samples), Some(seconds)) = (&mut self.samples_s, previous_cpu_s) {
            samples.push(seconds);
        }
        // The second frame begins once the first was painted and presented.
        if self.frames == 2
            && let Some(started) = self.first_frame_from.take()
        {
            let _ = writeln!(
                std::io::stderr(),
                "first frame shown {:.0} ms after start",
                started.elapsed().as_secs_f64() * 1e3
            );
            return true;
        }
        false
    }

    /// Whether the start-up hook waits for the first frame (the app asks for a second frame).
    pub fn awaits_first_frame(&self) -> bool {
        self.first_frame_from.is_some()
    }

    /// How long until the window closes itself (`PEEL_EXIT_AFTER_S`), so the app asks for a frame
    /// then even when nothing else changes.
    pub fn time_to_close(&self) -> Option<Duration> {
        self.close_at
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// The summary line, when recording.
    pub fn summary(&self) -> Option<String> {
        let samples = self.samples_s.as_ref()?;
        let peak = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| peak_resident_kb(&status))
            .map_or_else(
                || "unknown".to_owned(),
                |kb| format!("{:.0} MB", kb as f64 / 1024.0),
            );
        Some(summary_line(samples, &peak))
    }
}

impl Drop for FrameStats {
    /// Prints the summary to stderr when recording (the window closed and dropped the app).
    fn drop(&mut self) {
        if let Some(line) = self.summary() {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

/// "frame CPU p50 … ms, p99 … ms, max … ms over N frames; peak resident memory …".
fn summary_line(samples_s: &[f32], peak: &str) -> String {
    let mut sorted: Vec<Duration> = samples_s
        .iter()
        .map(|s| Duration::from_secs_f32(s.max(0.0)))
        .collect();
    sorted.sort();
    let ms = |d: Option<Duration>| {
        d.map_or_else(
            || "-".to_owned(),
            |d| format!("{:.2}", d.as_secs_f64() * 1e3),
        )
    };
    format!(
        "frame CPU p50 {} ms, p99 {} ms, max {} ms over {} frames; peak resident memory {peak}",
        ms(percentile(&sorted, 50)),
        ms(percentile(&sorted, 99)),
        ms(sorted.last().copied()),
        sorted.len()
    )
}

/// The `percent`th percentile of `sorted` (nearest rank: the smallest sample with at least
/// `percent` % of the samples at or below it); `None` when empty.
pub fn percentile<T: Copy>(sorted: &[T], percent: u32) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * percent.min(100) as usize).div_ceil(100);
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The peak resident set (`VmHWM`) in kB, from the text of `/proc/self/status`.
pub fn peak_resident_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut words = line["VmHWM:".len()..].split_whitespace();
    let kb = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50), Some(50));
        assert_eq!(percentile(&samples, 99), Some(99));
        assert_eq!(percentile(&samples, 100), Some(100));
        assert_eq!(percentile(&samples, 0), Some(1));
        assert_eq!(percentile(&[7], 99), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile::<u32>(&[], 50), None);
    }

    #[test]
    fn the_peak_resident_set_is_read_from_proc_status() {
        let status =
            "Name:\tpeel\nVmPeak:\t 2048000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  100000 kB\n";
        assert_eq!(peak_resident_kb(status), Some(153_600));
        assert_eq!(peak_resident_kb("Name:\tpeel\n"), None);
        assert_eq!(peak_resident_kb("VmHWM:\tlots kB\n"), None);
        assert_eq!(peak_resident_kb("VmHWM:\t12 MB\n"), None);
    }

    #[test]
    fn the_summary_names_every_figure() {
        let line = summary_line(&[0.002, 0.001, 0.003, 0.010], "150 MB");
        assert_eq!(
            line,
            "frame CPU p50 2.00 ms, p99 10.00 ms, max 10.00 ms over 4 frames; peak resident memory 150 MB"
        );
        assert!(summary_line(&[], "unknown").starts_with("frame CPU p50 - ms"));
    }

    #[test]
    fn the_start_up_hook_closes_at_the_second_frame() {
        let mut stats = FrameStats {
            samples_s: Some(Vec::new()),
            first_frame_from: Some(Instant::now()),
            frames: 0,
            close_at: None,
        };
        assert!(stats.awaits_first_frame());
        assert!(!stats.on_frame(None));
        assert!(stats.on_frame(Some(0.004)));
        assert!(!stats.awaits_first_frame());
        assert!(!stats.on_frame(Some(0.002)));
        assert_eq!(stats.samples_s.take(), Some(vec![0.004, 0.002]));
    }

    #[test]
    fn the_timed_hook_closes_once_its_time_has_passed() {
        let mut stats = FrameStats {
            samples_s: None,
            first_frame_from: None,
            frames: 0,
            close_at: Some(Instant::now() + Duration::from_hours(1)),
        };
        assert!(!stats.on_frame(None));
        assert!(
            stats
                .time_to_close()
                .is_some_and(|left| left > Duration::from_mins(50))
        );
        stats.close_at = Some(Instant::now());
        assert!(stats.on_frame(Some(0.001)));
        assert_eq!(stats.time_to_close(), Some(Duration::ZERO));
    }
}
