//! Answer parsing, timed and weighed: a real-sized Nano Banana Pro 4K answer (two 1024x1024
//! thought JPEGs and a 4096x4096 final JPEG of noise, about 22 MB of JSON) is read from a file,
//! parsed (`peel::api::client::parse_answer`, as `GeminiClient::generate_content` does), and its images
//! moved out and decoded from base64 (`peel::worker::received::take_out`, the first half of
//! `receive`); then the final image is checked (`received::check`, which decodes its pixels: the
//! second half of `receive`). A counting allocator records the peak of extra heap memory, which
//! must stay under 3x the final image's bytes up to the pixel check. Python's `json` + `base64`
//! does the same on the same file in the same run, when `python3` is installed.
//!
//! Then the streamed case: a 4K answer of about 30 MB as one `data:` event of
//! `streamGenerateContent?alt=sse`, arriving in 16 KiB pieces through the event splitter
//! (`peel::api::sse::EventSplitter`, the buffer a stream is read into) and parsed by
//! `peel::api::parse_event` (as `GeminiClient::stream_generate_content` does), its images then
//! moved out (`take_out`). Its peak extra memory is printed beside the same answer read whole
//! (`parse_answer`) and beside Python (`json` + `base64`, on the JSON and, the way google-genai
//! reads a stream, on the event's line), and held to the same budget.
//!
//! Run: `cargo bench --bench answer_parse`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use peel::api::client::parse_answer;
use peel::api::sse::{EventSplitter, Piece};
use peel::api::wire::GenerateContentResponse;
use peel::api::{Chunk, parse_event};
use peel::worker::received::{self, Expected};
use rand::{RngCore as _, SeedableRng as _};

/// The budget: peak extra memory, up to the pixel check, over the final image's bytes.
const BUDGET: f64 = 3.0;
const RUNS: usize = 5;
/// Noise in the final image: enough for a 4096x4096 JPEG of about 12 MB, as Pro 4K answers carry.
const FINAL_NOISE: u32 = 32;
/// Noise in the streamed case's final image: a JPEG of about 19 MB, so the event is about 30 MB.
const STREAMED_FINAL_NOISE: u32 = 64;
/// The pieces a stream arrives in.
const STREAM_PIECE_BYTES: usize = 16 * 1024;

/// The system allocator, counting the bytes it holds and the most it held.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(by: usize) {
    CURRENT.fetch_sub(by, Ordering::Relaxed);
}

#[expect(
    unsafe_code,
    reason = "a counting allocator must implement GlobalAlloc"
)]
// SAFETY: every call is passed to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    /// A block that grows is counted as a new block then the old one freed: the worst case (a
    /// copy), so the peak is never under-stated. One that shrinks is shrunk in place.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size > layout.size() {
                grew(new_size);
                shrank(layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a measurement: the peak becomes what is held now, which is returned.
fn baseline() -> usize {
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn peak_since(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

/// A JPEG of noise over a gradient: like a photograph, it hardly compresses. `amplitude` (a
/// power of two) sets how much: 256 is pure noise (a 4096x4096 one is about 31 MB).
fn noisy_jpeg(side: u32, amplitude: u32, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut pixels = vec![0u8; (side * side * 3) as usize];
    rng.fill_bytes(&mut pixels);
    let mask = (amplitude - 1) as u8;
    for (i, pixel) in pixels.iter_mut().enumerate() {
        let gradient = ((i / 3) as u32 % side * 255 / side) as u8;
        *pixel = gradient.wrapping_add(*pixel & mask);
    }
    let image = image::RgbImage::from_raw(side, side, pixels).unwrap();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .unwrap();
    out
}

/// Writes a Pro 4K answer (as `tests/engine/real_sized_answers.rs` builds it) whose final
/// image has `final_noise`; returns the final image's length.
fn write_answer(path: &Path, final_noise: u32) -> usize {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let final_image = noisy_jpeg(4096, final_noise, 3);
    let mut parts = vec![serde_json::json!({"text": "**Composing**", "thought": true})];
    for seed in [1, 2] {
        parts.push(serde_json::json!({
            "inlineData": {"mimeType": "image/jpeg", "data": b64(&noisy_jpeg(1024, 256, seed))},
            "thought": true
        }));
    }
    parts.push(
        serde_json::json!({"text": "Here is your image", "thoughtSignature": "dGV4dC1zaWc="}),
    );
    parts.push(serde_json::json!({
        "inlineData": {"mimeType": "image/jpeg", "data": b64(&final_image)},
        "thoughtSignature": "aW1hZ2Utc2ln".repeat(40)
    }));
    let answer = serde_json::json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 2000, "totalTokenCount": 2262},
        "modelVersion": "gemini-3-pro-image",
        "responseId": "answer-parse-bench"
    });
    std::fs::write(path, serde_json::to_vec(&answer).unwrap()).unwrap();
    final_image.len()
}

/// One pass: times and peaks of each step.
struct Run {
    read: Duration,
    parse: Duration,
    take_out: Duration,
    check: Duration,
    /// Peak extra heap bytes from before the read to the end of `take_out`.
    peak_decoded: usize,
    /// The same, through the pixel check.
    peak_checked: usize,
}

fn run(path: &Path) -> Run {
    let base = baseline();
    let started = Instant::now();
    let body = std::fs::read(path).unwrap();
    let read = started.elapsed();
    let started = Instant::now();
    let response = parse_answer(body).unwrap();
    let parse = started.elapsed();
    let started = Instant::now();
    let received = received::take_out(response);
    let take_out = started.elapsed();
    let peak_decoded = peak_since(base);
    assert_eq!(received.images.len(), 3);
    let image = received.final_image().unwrap();
    let expected = Expected {
        long_side_px: Some(4096),
    };
    let started = Instant::now();
    received::check(&image.mime_type, &image.bytes, expected).unwrap();
    let check = started.elapsed();
    let peak_checked = peak_since(base);
    drop(received);
    Run {
        read,
        parse,
        take_out,
        check,
        peak_decoded,
        peak_checked,
    }
}

/// The same without [`parse_answer`]'s move: `serde_json::from_slice`, which holds the body and a
/// copy of every string at once. Returns the peak extra bytes up to the end of `take_out`.
fn plain_peak(path: &Path) -> usize {
    let base = baseline();
    let body = std::fs::read(path).unwrap();
    let response = serde_json::from_slice::<GenerateContentResponse>(&body).unwrap();
    drop(body);
    let received = received::take_out(response);
    let peak = peak_since(base);
    drop(received);
    peak
}

/// One streamed pass: times and the peak of extra heap bytes from the first piece's arrival to
/// the end of `take_out`.
struct StreamedRun {
    split: Duration,
    parse: Duration,
    take_out: Duration,
    peak: usize,
}

/// Feeds `stream` (already in memory: it stands for the network) to the splitter in 16 KiB
/// pieces, parses the event it makes with `parse_event` and moves the images out.
fn streamed_run(stream: &[u8]) -> StreamedRun {
    let base = baseline();
    let started = Instant::now();
    let mut splitter = EventSplitter::new();
    let mut pieces = Vec::new();
    for piece in stream.chunks(STREAM_PIECE_BYTES) {
        splitter.feed(piece);
        pieces.extend(std::iter::from_fn(|| splitter.next_piece()));
    }
    splitter.finish();
    pieces.extend(std::iter::from_fn(|| splitter.next_piece()));
    let split = started.elapsed();
    let [Piece::Event(event)] = <[Piece; 1]>::try_from(pieces).unwrap() else {
        panic!("the stream is one event")
    };
    let started = Instant::now();
    let Ok(Chunk::Answers(mut answers)) = parse_event(event) else {
        panic!("the event is an answer")
    };
    let parse = started.elapsed();
    let started = Instant::now();
    let received = received::take_out(answers.pop().unwrap());
    let take_out = started.elapsed();
    let peak = peak_since(base);
    assert_eq!(received.images.len(), 3);
    drop(received);
    StreamedRun {
        split,
        parse,
        take_out,
        peak,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

/// What Python does with the same file: `json.load`, then `base64.b64decode` of each image (the
/// final one included), each `data` string dropped as it is decoded, as Peel does. Prints the
/// median seconds of 5 runs untraced, then the peak traced bytes (tracemalloc) of one more.
const PYTHON: &str = r"
import base64, json, sys, time, tracemalloc
def run(path):
    with open(path) as f:
        answer = json.load(f)
    images = []
    for candidate in answer['candidates']:
        for part in candidate['content']['parts']:
            blob = part.get('inlineData')
            if blob:
                images.append(base64.b64decode(blob.pop('data')))
    return images
";

/// What google-genai does with a stream's event (`_iter_response_stream`): the body split into
/// lines, each decoded, the `data: ` prefix cut off, the data lines joined and `json.loads`ed;
/// then `base64.b64decode` of each image, as above. Prints as [`PYTHON`] does.
const PYTHON_STREAMED: &str = r"
import base64, json, sys, time, tracemalloc
def run(path):
    with open(path, 'rb') as f:
        body = f.read()
    data = []
    for line in body.splitlines():
        line = line.decode('utf-8')
        if line.startswith('data: '):
            data.append(line[len('data: '):])
    del body
    answer = json.loads('\n'.join(data))
    del data
    images = []
    for candidate in answer['candidates']:
        for part in candidate['content']['parts']:
            blob = part.get('inlineData')
            if blob:
                images.append(base64.b64decode(blob.pop('data')))
    return images
";

/// How [`PYTHON`] and [`PYTHON_STREAMED`] are timed and weighed: `run` 5 times untraced (the
/// median seconds), then once under tracemalloc (the peak bytes).
const PYTHON_TIMING: &str = r"
times = []
for _ in range(5):
    started = time.perf_counter()
    images = run(sys.argv[1])
    times.append(time.perf_counter() - started)
    del images
times.sort()
tracemalloc.start()
images = run(sys.argv[1])
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(times[len(times) // 2], peak, len(images[-1]))
";

/// Python's median seconds and peak bytes running `script` (its `run`) on `path` under
/// [`PYTHON_TIMING`], or why there are none.
fn python(script: &str, path: &Path) -> Result<(Duration, usize), String> {
    let output = std::process::Command::new("python3")
        .args(["-c", &format!("{script}{PYTHON_TIMING}")])
        .arg(path)
        .output()
        .map_err(|error| format!("python3 is not installed ({error})"))?;
    if !output.status.success() {
        return Err(format!(
            "python3 failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace();
    let seconds: f64 = fields.next().unwrap().parse().unwrap();
    let peak: usize = fields.next().unwrap().parse().unwrap();
    Ok((Duration::from_secs_f64(seconds), peak))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answer-4k.json");
    let final_bytes = write_answer(&path, FINAL_NOISE);
    let json_bytes = std::fs::metadata(&path).unwrap().len() as usize;
    println!(
        "answer: {:.1} MB of JSON, three JPEGs (two 1024x1024 thoughts, a 4096x4096 final of {:.1} MB)",
        mb(json_bytes),
        mb(final_bytes)
    );
    let runs: Vec<Run> = (0..RUNS).map(|_| run(&path)).collect();
    let time = |step: fn(&Run) -> Duration| median(runs.iter().map(step).collect());
    let peak_decoded = runs.iter().map(|r| r.peak_decoded).max().unwrap();
    let peak_checked = runs.iter().map(|r| r.peak_checked).max().unwrap();
    let (read, parse, take_out, check) = (
        time(|r| r.read),
        time(|r| r.parse),
        time(|r| r.take_out),
        time(|r| r.check),
    );
    let peel_time = read + parse + take_out;
    println!(
        "Peel: read {read:.0?} + parse {parse:.0?} + base64 and hash {take_out:.0?} = {peel_time:.0?} (median of {RUNS})"
    );
    let ratio = peak_decoded as f64 / final_bytes as f64;
    println!(
        "Peel: peak extra memory {:.1} MB = {ratio:.2}x the final image (budget {BUDGET}x): {}",
        mb(peak_decoded),
        if ratio < BUDGET { "within" } else { "OVER" }
    );
    let plain = plain_peak(&path);
    println!(
        "  (parsed with serde_json::from_slice instead, body and strings both alive: peak {:.1} MB = {:.2}x)",
        mb(plain),
        plain as f64 / final_bytes as f64
    );
    println!(
        "Peel: then the pixel check (a full decode of the final image) {check:.0?}, peak {:.1} MB = {:.2}x the final image (not in the budget)",
        mb(peak_checked),
        peak_checked as f64 / final_bytes as f64
    );
    match python(PYTHON, &path) {
        Ok((python_time, python_peak)) => {
            let python_ratio = python_peak as f64 / final_bytes as f64;
            println!(
                "Python json + base64: {python_time:.0?}, peak {:.1} MB = {python_ratio:.2}x the final image (tracemalloc)",
                mb(python_peak)
            );
            println!(
                "Peel vs Python: {:.1}x the speed, {:.2}x the peak memory",
                python_time.as_secs_f64() / peel_time.as_secs_f64(),
                peak_decoded as f64 / python_peak as f64
            );
        }
        Err(why) => println!("Python json + base64: not measured: {why}"),
    }
    let streamed_ok = streamed(dir.path());
    assert!(ratio < BUDGET, "the unstreamed parse is over its budget");
    assert!(streamed_ok, "the streamed parse is over its budget");
}

/// The streamed case (see the module): prints its figures; returns whether it kept the budget.
fn streamed(dir: &Path) -> bool {
    let json_path = dir.join("answer-30mb.json");
    let final_bytes = write_answer(&json_path, STREAMED_FINAL_NOISE);
    let json = std::fs::read(&json_path).unwrap();
    let stream = [b"data: ".as_slice(), &json, b"\n\n"].concat();
    let event_path = dir.join("answer-30mb.sse");
    std::fs::write(&event_path, &stream).unwrap();
    drop(json);
    println!();
    println!(
        "streamed: one data: event of {:.1} MB (a 4096x4096 final of {:.1} MB), in {} KiB pieces",
        mb(stream.len()),
        mb(final_bytes),
        STREAM_PIECE_BYTES / 1024
    );
    let runs: Vec<StreamedRun> = (0..RUNS).map(|_| streamed_run(&stream)).collect();
    drop(stream);
    let time = |step: fn(&StreamedRun) -> Duration| median(runs.iter().map(step).collect());
    let (split, parse, take_out) = (time(|r| r.split), time(|r| r.parse), time(|r| r.take_out));
    let peak = runs.iter().map(|r| r.peak).max().unwrap();
    let ratio = peak as f64 / final_bytes as f64;
    println!(
        "Peel streamed: split {split:.0?} + parse_event {parse:.0?} + base64 and hash {take_out:.0?} = {:.0?} (median of {RUNS})",
        split + parse + take_out
    );
    println!(
        "Peel streamed: peak extra memory {:.1} MB = {ratio:.2}x the final image (budget {BUDGET}x): {}",
        mb(peak),
        if ratio < BUDGET { "within" } else { "OVER" }
    );
    let whole = (0..RUNS)
        .map(|_| run(&json_path).peak_decoded)
        .max()
        .unwrap();
    println!(
        "Peel unstreamed, the same answer read whole (parse_answer): peak {:.1} MB = {:.2}x",
        mb(whole),
        whole as f64 / final_bytes as f64
    );
    for (what, script, path) in [
        ("the JSON", PYTHON, &json_path),
        (
            "the event, as google-genai reads a stream",
            PYTHON_STREAMED,
            &event_path,
        ),
    ] {
        match python(script, path) {
            Ok((python_time, python_peak)) => println!(
                "Python json + base64 on {what}: {python_time:.0?}, peak {:.1} MB = {:.2}x the final image (tracemalloc)",
                mb(python_peak),
                python_peak as f64 / final_bytes as f64
            ),
            Err(why) => println!("Python json + base64 on {what}: not measured: {why}"),
        }
    }
    ratio < BUDGET
}
