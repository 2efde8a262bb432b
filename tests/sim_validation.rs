#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The simulator refuses bad requests the way Google does, and each refusal is diagnosed as the
//! right request or auth kind.

mod common;

use base64::Engine as _;
use common::{client_for, diagnosis_of, request, start_sim};
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
