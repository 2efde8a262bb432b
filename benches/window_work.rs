//! What the window waits for, timed: a gallery thumbnail and a large-view image from a 4K JPEG (the
//! media service, off the UI thread), and the rewrite assistant on ordinary and blocked prompts
//! (computed once per selected job, on the UI thread, so it must stay well under a frame).
//!
//! Prints medians. Run: `cargo bench --bench window_work`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::time::{Duration, Instant};

use peel::app::media::{self, FULL_IMAGE_MAX_SIDE_PX, MediaEvent, MediaRequest};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("peel-4k.jpg");
    // A 4096x4096 picture with detail (a smooth gradient would decode unrealistically fast).
    let picture = image::RgbImage::from_fn(4096, 4096, |x, y| {
        let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) % 64;
        image::Rgb([(x / 16) as u8, (y / 16) as u8, (noise * 4) as u8])
    });
    picture.save(&path).unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    println!("source: 4096x4096 JPEG, {:.1} MB", bytes as f64 / 1e6);

    let mut service = media::spawn(runtime.handle(), None);
    let large_view = |max_side_px| MediaRequest::FullImage {
        path: path.clone(),
        max_side_px,
    };
    for (name, request) in [
        (
            "gallery thumbnail (192 px)",
            MediaRequest::Thumbnail {
                path: path.clone(),
                max_side_px: 192,
            },
        ),
        ("large view at a 1400 px screen's size", large_view(1400)),
        (
            "large view (full size, after zooming in)",
            large_view(FULL_IMAGE_MAX_SIDE_PX),
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..7 {
            let started = Instant::now();
            service.requests.blocking_send(request.clone()).unwrap();
            let event = service.events.blocking_recv().unwrap();
            assert!(
                matches!(
                    event,
                    MediaEvent::Thumbnail { .. } | MediaEvent::FullImage { .. }
                ),
                "{event:?}"
            );
            samples.push(started.elapsed());
        }
        println!("{name}: median {:?} over 7", median(samples));
    }

    let ordinary: Vec<&str> = include_str!("../tests/fixtures/ordinary_prompts.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let _ = peel::rewrite::rewrites("warm up the name book");
    let started = Instant::now();
    for prompt in &ordinary {
        assert!(peel::rewrite::rewrites(prompt).is_empty());
    }
    println!(
        "rewrite, ordinary prompt: {:?} each ({} prompts)",
        started.elapsed() / ordinary.len() as u32,
        ordinary.len()
    );
    let blocked = [
        "a photo of Keanu Reeves riding a motorcycle, 85mm",
        "Elsa and Olaf in a snowy forest, Studio Ghibli style",
        "a girl in a bikini on the beach",
        "Spider-Man's mask on a Nike shoebox next to a Coca-Cola can",
    ];
    let mut samples = Vec::new();
    for _ in 0..50 {
        for prompt in blocked {
            let started = Instant::now();
            assert!(!peel::rewrite::rewrites(prompt).is_empty(), "{prompt}");
            samples.push(started.elapsed());
        }
    }
    println!("rewrite, blocked prompt: median {:?}", median(samples));
}
