#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The simulator refuses bad requests the way Google does, and each refusal is diagnosed as the
//! right request or auth kind. It also sends bad answers on demand (`sim:truncated-image`,
//! `sim:bomb-image`, `sim:mime-lie`, `sim:stall-body`, `sim:drop`, the `broken-answers` scenario),
//! and each is what it says.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::sim_rig::{client_for, diagnosis_of, request, start_sim};
use base64::Engine as _;
use peel::api::enums::{HarmBlockThreshold, HarmCategory};
use peel::api::wire::{Content, Part, SafetySetting};
use peel::diagnosis::Kind;
use peel::sim::Scenario;

const PRO: &str = "gemini-3-pro-image";

fn png_bytes() -> String {
    let image = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes.get_ref())
}

#[tokio::test]
async fn bad_requests_get_googles_answers() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let client = client_for(&sim, "v1beta", None);
    let kind_of = |outcome| diagnosis_of(&outcome, PRO);

    // A category that does not exist.
    let mut copyright = request("a fox", None, None);
    copyright.safety_settings = vec![SafetySetting {
        category: HarmCategory::from_wire("COPYRIGHT_INFRINGEMENT"),
        threshold: HarmBlockThreshold::BlockNone,
    }];
    let diagnosis = kind_of(client.generate_content(PRO, &copyright).await);
    assert_eq!(diagnosis.kind, Kind::InvalidArgument);
    assert!(
        diagnosis
            .explanation
            .contains("safety_settings[0].category"),
        "{}",
        diagnosis.explanation
    );

    // Lowercase size.
    let lowercase = kind_of(
        client
            .generate_content(PRO, &request("a fox", None, Some("1k")))
            .await,
    );
    assert_eq!(lowercase.kind, Kind::InvalidArgument);
    assert!(
        lowercase.explanation.contains("uppercase K"),
        "{}",
        lowercase.explanation
    );

    // An aspect ratio the model does not offer.
    let ratio = kind_of(
        client
            .generate_content(PRO, &request("a fox", Some("8:1"), None))
            .await,
    );
    assert_eq!(ratio.kind, Kind::InvalidArgument);

    // A data: URL in inline data.
    let mut data_url = request("make it blue", None, None);
    data_url.contents[0].parts.push(Part::inline_image(
        "image/png",
        format!("data:image/png;base64,{}", png_bytes()),
    ));
    let diagnosis = kind_of(client.generate_content(PRO, &data_url).await);
    assert_eq!(diagnosis.kind, Kind::InvalidArgument);
    assert!(
        diagnosis
            .explanation
            .contains("contents[0].parts[1].inline_data.data"),
        "{}",
        diagnosis.explanation
    );

    // Bytes that are not an image.
    let mut not_image = request("make it blue", None, None);
    not_image.contents[0].parts.push(Part::inline_image(
        "image/png",
        base64::engine::general_purpose::STANDARD.encode(b"hello, not a picture"),
    ));
    assert_eq!(
        kind_of(client.generate_content(PRO, &not_image).await).kind,
        Kind::InvalidInputImage
    );

    // Fifteen references for a model that takes fourteen.
    let mut too_many = request("a collage", None, None);
    for _ in 0..15 {
        too_many.contents[0]
            .parts
            .push(Part::inline_image("image/png", png_bytes()));
    }
    assert_eq!(
        kind_of(client.generate_content(PRO, &too_many).await).kind,
        Kind::InvalidArgument
    );

    // More than 20 MB.
    let mut huge = request("a fox", None, None);
    huge.contents[0].parts.push(Part::inline_image(
        "image/png",
        "A".repeat(21 * 1024 * 1024),
    ));
    assert_eq!(
        kind_of(client.generate_content(PRO, &huge).await).kind,
        Kind::PayloadTooLarge
    );

    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn edits_need_the_models_parts_verbatim() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let client = client_for(&sim, "v1beta", None);
    let first = client
        .generate_content(PRO, &request("a red fox", None, None))
        .await
        .unwrap();
    let model_turn = first.response.candidates[0].content.clone().unwrap();

    let mut edit = request("a red fox", None, None);
    edit.contents.push(model_turn.clone());
    edit.contents.push(Content {
        role: Some("user".to_owned()),
        parts: vec![Part::text("now make it winter")],
    });
    let edited = client.generate_content(PRO, &edit).await;
    assert_eq!(
        diagnosis_of(&edited, PRO).kind,
        Kind::Success,
        "resending the parts verbatim works"
    );

    // Rebuilding the model turn from the decoded image loses the signature.
    let mut rebuilt = model_turn;
    for part in &mut rebuilt.parts {
        part.thought_signature = None;
    }
    let mut broken = request("a red fox", None, None);
    broken.contents.push(rebuilt);
    broken.contents.push(Content {
        role: Some("user".to_owned()),
        parts: vec![Part::text("now make it winter")],
    });
    let diagnosis = diagnosis_of(&client.generate_content(PRO, &broken).await, PRO);
    assert_eq!(
        diagnosis.kind,
        Kind::ThoughtSignatureMissing,
        "{}",
        diagnosis.raw
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn keys_and_model_ids_are_checked() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let no_key = peel::api::GeminiClient::new(peel::api::ClientConfig {
        base_url: sim.base_url(),
        api_key: None,
        ..peel::api::ClientConfig::default()
    })
    .unwrap();
    let missing = diagnosis_of(
        &no_key
            .generate_content(PRO, &request("a fox", None, None))
            .await,
        PRO,
    );
    assert_eq!(missing.kind, Kind::ApiKeyMissing);

    let bad_key = client_for(&sim, "v1beta", Some("not-a-key"));
    let invalid = diagnosis_of(
        &bad_key
            .generate_content(PRO, &request("a fox", None, None))
            .await,
        PRO,
    );
    assert_eq!(invalid.kind, Kind::ApiKeyInvalid);

    let client = client_for(&sim, "v1beta", None);
    let typo = "gemini-3-pro-imgae";
    let diagnosis = diagnosis_of(
        &client
            .generate_content(typo, &request("a fox", None, None))
            .await,
        typo,
    );
    assert_eq!(diagnosis.kind, Kind::ModelNotFound);
    assert!(diagnosis.fix.contains("Did you mean"), "{}", diagnosis.fix);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_simulator_refuses_non_loopback_addresses() {
    let error = peel::sim::start(
        "0.0.0.0:0".parse().unwrap(),
        peel::sim::SimConfig::default(),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("loopback"), "{error}");
}

/// A `generateContent` request straight over HTTP, for tests about the bytes themselves.
async fn send_raw(base_url: &str, model: &str, prompt: &str) -> reqwest::Response {
    let body = serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {"imageConfig": {"aspectRatio": "1:1"}},
    });
    reqwest::Client::new()
        .post(format!("{base_url}/v1beta/models/{model}:generateContent"))
        .header("x-goog-api-key", peel::sim::SIM_API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The final image's MIME type and decoded bytes.
async fn final_image(base_url: &str, model: &str, prompt: &str) -> (String, Vec<u8>) {
    let response = send_raw(base_url, model, prompt).await;
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    let last = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last["thoughtSignature"].is_string(), "still signed: {last}");
    let data = last["inlineData"]["data"].as_str().unwrap();
    (
        last["inlineData"]["mimeType"].as_str().unwrap().to_owned(),
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_triggers_answer_what_they_say() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let url = sim.base_url();

    // Cut in half: the first half of the real JPEG (Pro) or PNG (2.5 flash) the prompt draws.
    let prompt = "a red fox sim:truncated-image";
    let (mime, cut) = final_image(&url, PRO, prompt).await;
    assert_eq!(mime, "image/jpeg");
    let whole = peel::sim::picture::encode_cached(prompt, 1024, 1024, 7, "image/jpeg").unwrap();
    let whole = base64::engine::general_purpose::STANDARD
        .decode(&whole.base64)
        .unwrap();
    assert!(whole.starts_with(&cut), "a prefix of the real picture");
    assert!(cut.len().abs_diff(whole.len() / 2) <= 3, "about half of it");
    assert_eq!(&cut[..3], &[0xFF, 0xD8, 0xFF]);
    assert_ne!(
        &cut[cut.len() - 2..],
        &[0xFF, 0xD9],
        "no end-of-image marker"
    );
    // Note: the image crate's JPEG decoder is lenient and paints a cut JPEG's missing half grey
    // instead of failing, so a client has to look for the end marker itself. PNG fails outright.
    let (mime, cut_png) = final_image(&url, "gemini-2.5-flash-image", prompt).await;
    assert_eq!(mime, "image/png");
    assert_eq!(&cut_png[..4], b"\x89PNG");
    assert!(image::load_from_memory(&cut_png).is_err());

    // The bomb: a tiny, well-formed PNG that declares 100000x100000 pixels.
    let (mime, bomb) = final_image(&url, PRO, "a red fox sim:bomb-image").await;
    assert_eq!(mime, "image/png");
    assert!(bomb.len() < 200, "{}", bomb.len());
    let declared = image::ImageReader::new(std::io::Cursor::new(&bomb))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap();
    assert_eq!(declared, (100_000, 100_000));

    // The mime lie: text labelled image/png.
    let (mime, text) = final_image(&url, PRO, "a red fox sim:mime-lie").await;
    assert_eq!(mime, "image/png");
    assert!(
        String::from_utf8(text.clone())
            .unwrap()
            .starts_with("this is not an image")
    );
    assert!(image::guess_format(&text).is_err());

    // The drop: half the body, then a reset.
    let dropped = send_raw(&url, PRO, "a red fox sim:drop").await;
    assert_eq!(dropped.status(), 200);
    assert!(dropped.bytes().await.is_err());
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_stops_sending_and_ends_when_the_client_hangs_up() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let mut response = send_raw(&sim.base_url(), PRO, "a red fox sim:stall-body").await;
    assert_eq!(response.status(), 200);
    let promised = response.content_length().unwrap();
    let mut received = 0;
    let stalled = loop {
        match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
            Ok(Ok(Some(chunk))) => received += chunk.len() as u64,
            Ok(other) => panic!("the body ended instead of stalling: {other:?}"),
            Err(_) => break true,
        }
    };
    assert!(stalled);
    assert!(
        received > 0 && received < promised,
        "{received} of {promised}"
    );
    assert_eq!(sim.state().stats.stalls_open.load(Ordering::Relaxed), 1);

    // The client hangs up: the server's side of the stall ends with it.
    drop(response);
    let started = std::time::Instant::now();
    while sim.state().stats.stalls_open.load(Ordering::Relaxed) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the stall outlived its client"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A stall still open does not hold the shutdown.
    let _waiting = send_raw(&sim.base_url(), PRO, "a blue fox sim:stall-body").await;
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_answers_break_about_a_third_of_the_images() {
    // A simulated minute lasts 0.3 s, so the paid tier's 20 requests a minute refuse seldom.
    let sim = start_sim(Scenario::BrokenAnswers, 0.005).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let body = serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": "a pebble on sand"}]}],
        "generationConfig": {"imageConfig": {"aspectRatio": "1:1", "imageSize": "512"}},
    });
    let mut kinds = std::collections::BTreeMap::new();
    while kinds.values().sum::<u32>() < 60 {
        let sent = client
            .post(format!(
                "{}/v1beta/models/gemini-3.1-flash-image:generateContent",
                sim.base_url()
            ))
            .header("x-goog-api-key", peel::sim::SIM_API_KEY)
            .json(&body)
            .send()
            .await;
        let kind = match sent {
            Err(_) => "stalled or dropped",
            Ok(response) if response.status() == 429 => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                continue;
            }
            Ok(response) => match response.json::<serde_json::Value>().await {
                Err(_) => "stalled or dropped",
                Ok(answer) => {
                    let last = answer["candidates"][0]["content"]["parts"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{answer}"))
                        .last()
                        .unwrap()
                        .clone();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(last["inlineData"]["data"].as_str().unwrap())
                        .unwrap();
                    if bytes.starts_with(b"this is not an image") {
                        "mime lie"
                    } else if bytes.len() < 200 {
                        "bomb"
                    } else if !bytes.ends_with(&[0xFF, 0xD9]) {
                        // A JPEG without its end marker (see above: it may still decode).
                        "truncated"
                    } else {
                        "image"
                    }
                }
            },
        };
        *kinds.entry(kind).or_insert(0_u32) += 1;
    }
    let images = kinds.get("image").copied().unwrap_or(0);
    assert!((30..=52).contains(&images), "{kinds:?}");
    for kind in ["truncated", "bomb", "mime lie"] {
        assert!(kinds.contains_key(kind), "no {kind} in {kinds:?}");
    }
    sim.shutdown().await.unwrap();
}
