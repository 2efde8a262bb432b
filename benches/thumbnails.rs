//! Gallery thumbnails against libvips: Peel's 192 px thumbnail of big noisy JPEGs (in process,
//! through the media service, no disk cache), the old path (full decode, then the `image` crate's
//! resize), and `vipsthumbnail -s 192` on the same files as a whole process. Prints medians and
//! the ratio to libvips; also the large view (longer side capped at 4096 px).
//!
//! Run: `cargo bench --bench thumbnails`. Needs `vipsthumbnail` on PATH for the comparison
//! (`apt-get install -y libvips-tools`); without it the libvips column says so.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use peel::app::media::{self, FULL_IMAGE_MAX_SIDE_PX, MediaEvent, MediaHandle, MediaRequest};
use rand::{RngCore as _, SeedableRng as _};

/// Runs of each measurement; the median is reported.
const RUNS: usize = 9;

/// The gallery's thumbnail side.
const THUMBNAIL_PX: u32 = 192;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median time of each of `runs`, timed in turns (one of each per round, after one warm-up
/// round) so that load from elsewhere on a shared machine falls on all of them alike.
fn interleaved_medians(runs: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    for run in runs.iter_mut() {
        run();
    }
    let mut samples = vec![Vec::with_capacity(RUNS); runs.len()];
    for _ in 0..RUNS {
        for (run, samples) in runs.iter_mut().zip(&mut samples) {
            let started = Instant::now();
            run();
            samples.push(started.elapsed());
        }
    }
    samples.into_iter().map(median).collect()
}

/// The sources: (width, height, format). Pro answers JPEG up to 4K; Nano Banana 2 answers PNG.
const SOURCES: [(u32, u32, Format); 3] = [
    (4096, 4096, Format::Jpeg),
    (5504, 3072, Format::Jpeg),
    (2048, 2048, Format::Png),
];

/// How a source is encoded.
#[derive(Clone, Copy)]
enum Format {
    Jpeg,
    Png,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }
}

/// A photographic-looking picture: smooth gradients under per-pixel noise (pure gradients decode
/// unrealistically fast). As a JPEG at quality 90: about 10 MB at 4096x4096, like a 4K photo; as
/// a PNG (the `image` crate's default compression) about 2.6 bytes a pixel.
fn write_noisy_picture(path: &Path, width: u32, height: u32, seed: u64, format: Format) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut noise = vec![0u8; (width * height * 3) as usize];
    rng.fill_bytes(&mut noise);
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let at = ((y * width + x) * 3) as usize;
        let base = [
            x * 255 / width,
            y * 255 / height,
            (x + y) * 127 / (width + height),
        ];
        image::Rgb(std::array::from_fn(|channel| {
            (base[channel] as u8 / 2).saturating_add(noise[at + channel] / 8)
        }))
    });
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    match format {
        Format::Jpeg => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&picture)
            .unwrap(),
        Format::Png => picture
            .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
            .unwrap(),
    }
}

/// Peel's thumbnail of `path`, asked of the media service as the gallery asks.
fn peel_request(service: &mut MediaHandle, request: MediaRequest) {
    service.requests.blocking_send(request).unwrap();
    let event = service.events.blocking_recv().unwrap();
    assert!(
        matches!(
            event,
            MediaEvent::Thumbnail { .. } | MediaEvent::FullImage { .. }
        ),
        "{event:?}"
    );
}

/// The path before shrink-on-load: decode the whole image, then `image`'s thumbnail resize.
fn old_thumbnail(path: &Path) {
    let rgba = image::open(path).unwrap().into_rgba8();
    let (width, height) = rgba.dimensions();
    let longer = width.max(height);
    let small = image::imageops::thumbnail(
        &rgba,
        width * THUMBNAIL_PX / longer,
        height * THUMBNAIL_PX / longer,
    );
    let size = [small.width() as usize, small.height() as usize];
    let _ = egui::ColorImage::from_rgba_unmultiplied(size, small.as_raw());
}

/// Whether `vipsthumbnail` runs here.
fn vips_installed() -> bool {
    Command::new("vipsthumbnail")
        .arg("--vips-version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// `vipsthumbnail -s 192 FILE -o OUT` as a whole process.
fn vips_thumbnail(path: &Path, out: &Path) {
    let status = Command::new("vipsthumbnail")
        .arg("-s")
        .arg(THUMBNAIL_PX.to_string())
        .arg(path)
        .arg("-o")
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "vipsthumbnail failed: {status}");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let service = std::cell::RefCell::new(media::spawn(runtime.handle(), None));
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!("thumbnails ({THUMBNAIL_PX} px), median of {RUNS} runs, {cores} cores");
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "source", "Peel new", "Peel old", "libvips", "new/vips", "view 4096"
    );
    let vips_here = vips_installed();
    for (index, (width, height, format)) in SOURCES.into_iter().enumerate() {
        let extension = format.extension();
        let path = dir
            .path()
            .join(format!("noisy-{width}x{height}.{extension}"));
        write_noisy_picture(&path, width, height, index as u64 + 1, format);
        let megabytes = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let thumbnail = MediaRequest::Thumbnail {
            path: path.clone(),
            max_side_px: THUMBNAIL_PX,
        };
        let view = MediaRequest::FullImage {
            path: path.clone(),
            max_side_px: FULL_IMAGE_MAX_SIDE_PX,
        };
        let out = dir.path().join("vips-%s.jpg");
        let mut new = || peel_request(&mut service.borrow_mut(), thumbnail.clone());
        let mut large = || peel_request(&mut service.borrow_mut(), view.clone());
        let mut old = || old_thumbnail(&path);
        let mut vips = || vips_thumbnail(&path, &out);
        let medians = if vips_here {
            interleaved_medians(&mut [&mut new, &mut large, &mut old, &mut vips])
        } else {
            interleaved_medians(&mut [&mut new, &mut large, &mut old])
        };
        let (new, large, old, vips) = (medians[0], medians[1], medians[2], medians.get(3));
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        println!(
            "{:<26} {:>10} {:>10} {:>10} {:>10} {:>9}",
            format!(
                "{width}x{height} {} {megabytes:.1} MB",
                extension.to_ascii_uppercase()
            ),
            ms(new),
            ms(old),
            vips.map_or_else(|| "-".to_owned(), |vips| ms(*vips)),
            vips.map_or_else(
                || "-".to_owned(),
                |vips| format!("{:.2}x", new.as_secs_f64() / vips.as_secs_f64())
            ),
            ms(large),
        );
    }
    if !vips_here {
        println!(
            "libvips is not installed (no `vipsthumbnail` on PATH): install it with \
             `apt-get install -y libvips-tools` to compare."
        );
    }
}
