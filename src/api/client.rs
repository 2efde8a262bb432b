//! The async Gemini client: `generateContent` and `models.list` over reqwest (rustls).
//!
//! The API key travels only in the `x-goog-api-key` header (marked sensitive, so it never shows in
//! debug output); it is never put in a URL. The base URL and API version are configurable, so the
//! same code talks to Google, a proxy, or Peel's simulator; the endpoint passes
//! [`check_base_url`] (https, or http on this computer only).
//! Redirects are never followed (reqwest keeps `x-goog-api-key` on a redirect to another host):
//! a 3xx answer is an [`ApiError::Redirected`] naming where it pointed. Bodies are read up to a
//! cap and at a minimum pace ([`super::pace`]), and every failure comes back as an [`ApiError`]
//! that the diagnosis can explain.

use std::fmt;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::ExposeSecret as _;

pub use super::answer_parse::parse_answer;
pub use super::api_error::{ApiError, human_bytes};
use super::api_error::{interrupted, malformed, transport_error};
pub use super::api_key::ApiKey;
use super::body::read_body;
use super::endpoint::{check_base_url, is_loopback_url};
use super::transport::TransportFailure;
use super::wire::{GenerateContentRequest, GenerateContentResponse, ListModelsResponse, ModelInfo};

/// Google's public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// The API version the current official SDK (google-genai 3.6) uses by default.
pub const DEFAULT_API_VERSION: &str = "v1";
/// How long Google may think before its answer starts (4K images on a busy server are slow).
pub const DEFAULT_TIMEOUT_S: u64 = 300;
/// How long opening a connection may take.
pub const DEFAULT_CONNECT_TIMEOUT_S: u64 = 20;
/// Largest answer read. A Nano Banana Pro 4K answer (two thought images and a final image of
/// 10+ MB, in base64) is 20–30 MB of JSON, and users report replies over 30 MB: keep room.
pub const DEFAULT_MAX_BODY_BYTES: usize = 96 * 1024 * 1024;
/// How long the body may stop arriving once the headers came, before the attempt ends. Google
/// thinks before it sends the headers (that wait is not cut); after them the bytes flow.
pub const DEFAULT_BODY_IDLE_TIMEOUT_S: u64 = 30;
/// The window the body's minimum pace is counted over.
pub const DEFAULT_BODY_PACE_WINDOW_S: u64 = 20;
/// Fewest bytes a body must deliver in each window (0.8 KB/s: a byte a second ends within a
/// window, while a usable connection brings megabytes in one).
pub const DEFAULT_BODY_MIN_BYTES_PER_WINDOW: usize = 16 * 1024;
/// Longest one attempt may take in all, from sending the request to the answer's last byte:
/// 15 minutes. Nano Banana Pro at 4K may think 150 s before its headers and then send ~30 MB,
/// which takes under 15 minutes even at 40 KB/s; a server that drips just above the pace floor
/// is cut here instead of holding the attempt for hours.
pub const DEFAULT_ATTEMPT_CEILING_S: u64 = 15 * 60;
/// Most `models.list` pages followed.
const MAX_MODEL_PAGES: usize = 20;
/// Header that carries the key.
pub const API_KEY_HEADER: &str = "x-goog-api-key";

/// Where and how to reach the API.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    /// Base URL without the version, e.g. `https://generativelanguage.googleapis.com`.
    pub base_url: String,
    /// `v1` or `v1beta`.
    pub api_version: String,
    /// The key; `None` sends no key (the simulator and some gateways need none).
    pub api_key: Option<ApiKey>,
    /// Limit for the answer to start (its headers); the body has [`Self::body_idle_timeout`].
    pub timeout: Duration,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// Largest body read.
    pub max_body_bytes: usize,
    /// Longest pause between two pieces of a body, once the headers arrived.
    pub body_idle_timeout: Duration,
    /// The window [`Self::body_min_bytes_per_window`] is counted over.
    pub body_pace_window: Duration,
    /// Fewest bytes of a body that must arrive in each window once the headers arrived (0: no
    /// floor); below it the attempt ends as too slow.
    pub body_min_bytes_per_window: usize,
    /// Longest one attempt may take in all, headers and body (zero: no ceiling); past it the
    /// attempt ends as broken off.
    pub attempt_ceiling: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            api_key: None,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_S),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_S),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_idle_timeout: Duration::from_secs(DEFAULT_BODY_IDLE_TIMEOUT_S),
            body_pace_window: Duration::from_secs(DEFAULT_BODY_PACE_WINDOW_S),
            body_min_bytes_per_window: DEFAULT_BODY_MIN_BYTES_PER_WINDOW,
            attempt_ceiling: Duration::from_secs(DEFAULT_ATTEMPT_CEILING_S),
        }
    }
}

/// A successful `generateContent` call: the parsed answer. The body text is not kept: it was
/// parsed whole (every size up to the cap), and its images are the answer's only large part.
#[derive(Clone, Debug)]
pub struct GenerateOutcome {
    /// The parsed answer, image bytes included (base64, as sent).
    pub response: GenerateContentResponse,
    /// The HTTP status (2xx).
    pub status: u16,
    /// How many bytes the body had.
    pub body_bytes: usize,
    /// Whether the answer came as a stream of events (`streamGenerateContent?alt=sse`).
    pub streamed: bool,
}

/// The Gemini REST client.
#[derive(Clone, Debug)]
pub struct GeminiClient {
    http: reqwest::Client,
    config: ClientConfig,
}

impl GeminiClient {
    /// Builds a client. Fails only on settings that can never work.
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        check_base_url(&config.base_url).map_err(|error| ApiError::Config(error.to_string()))?;
        if !is_safe_segment(&config.api_version) {
            return Err(ApiError::Config(format!(
                "The API version \"{}\" is not valid; use v1 or v1beta.",
                config.api_version
            )));
        }
        let mut headers = HeaderMap::new();
        if let Some(key) = &config.api_key {
            let mut value = HeaderValue::from_str(key.expose_secret()).map_err(|_| {
                ApiError::Config(
                    "The API key contains characters a key cannot have. Paste it again.".to_owned(),
                )
            })?;
            value.set_sensitive(true);
            headers.insert(API_KEY_HEADER, value);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("peel/", env!("CARGO_PKG_VERSION")));
        if is_loopback_url(&config.base_url) {
            // `HTTP_PROXY`/`ALL_PROXY` would otherwise get a plain-http request, key and all.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::Config(format!("The HTTP client could not start: {e}")))?;
        Ok(Self { http, config })
    }

    /// The settings this client uses.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.config.base_url.trim_end_matches('/'),
            self.config.api_version,
            path
        )
    }

    /// `POST /{version}/models/{model}:generateContent`.
    pub async fn generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<GenerateOutcome, ApiError> {
        let url = self.model_url(model, "generateContent")?;
        let (sent, sent_at) = self.post_request(url, request).await?;
        let (status, bytes) = read_body(sent, &self.config, sent_at).await?;
        let body_bytes = bytes.len();
        let response = on_blocking_pool("parse answer", move || {
            parse_answer(bytes).map_err(|(error, bytes)| malformed(status, &bytes, &error))
        })
        .await
        .unwrap_or_else(|e| Err(interrupted(status, body_bytes, &e)))?;
        Ok(GenerateOutcome {
            response,
            status,
            body_bytes,
            streamed: false,
        })
    }

    /// The address of `method` (`generateContent`, `streamGenerateContent`) on `model`
    /// (`models/` prefix allowed); a model id that could change the path is refused.
    pub(super) fn model_url(&self, model: &str, method: &str) -> Result<String, ApiError> {
        let model = model.strip_prefix("models/").unwrap_or(model);
        if !is_safe_segment(model) {
            return Err(ApiError::Config(format!(
                "\"{model}\" is not a valid model id. Pick a model from the list."
            )));
        }
        Ok(self.url(&format!("models/{model}:{method}")))
    }

    /// Encodes `request` and posts it to `url` (a [`Self::model_url`], perhaps with a query);
    /// returns the answer once its headers arrived, and when the request was sent.
    pub(super) async fn post_request(
        &self,
        url: String,
        request: &GenerateContentRequest,
    ) -> Result<(reqwest::Response, tokio::time::Instant), ApiError> {
        // Encoded on the blocking pool: up to 20 MB of base64 is tens of milliseconds of CPU.
        // The copy handed over is a plain memory copy, far cheaper than the encoding.
        let request = request.clone();
        let not_encoded = |e: &dyn fmt::Display| {
            ApiError::Config(format!("The request could not be encoded: {e}"))
        };
        let body = on_blocking_pool("encode request", move || serde_json::to_vec(&request))
            .await
            .map_err(|e| not_encoded(&e))?
            .map_err(|e| not_encoded(&e))?;
        let sent_at = tokio::time::Instant::now();
        let sent = self
            .headers_within_limit(
                self.http
                    .post(url)
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .send(),
            )
            .await?;
        Ok((sent, sent_at))
    }

    /// `GET /{version}/models`, following pages.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, ApiError> {
        let mut models = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_MODEL_PAGES {
            let mut request = self
                .http
                .get(self.url("models"))
                .query(&[("pageSize", "1000")]);
            if let Some(token) = &page_token {
                request = request.query(&[("pageToken", token.as_str())]);
            }
            let sent_at = tokio::time::Instant::now();
            let sent = self.headers_within_limit(request.send()).await?;
            let (status, bytes) = read_body(sent, &self.config, sent_at).await?;
            let body_bytes = bytes.len();
            let page = on_blocking_pool("parse model list", move || {
                serde_json::from_slice::<ListModelsResponse>(&bytes)
                    .map_err(|e| malformed(status, &bytes, &e))
            })
            .await
            .unwrap_or_else(|e| Err(interrupted(status, body_bytes, &e)))?;
            models.extend(page.models);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(token) => page_token = Some(token),
                None => break,
            }
        }
        Ok(models)
    }

    /// Waits for the answer's headers up to [`ClientConfig::timeout`]: Google thinks (tens of
    /// seconds for a 4K picture) before it answers. The body then has its own limit (no pause
    /// longer than [`ClientConfig::body_idle_timeout`]), so a large answer on a slow line that
    /// keeps arriving is never cut.
    async fn headers_within_limit(
        &self,
        sent: impl Future<Output = reqwest::Result<reqwest::Response>>,
    ) -> Result<reqwest::Response, ApiError> {
        match tokio::time::timeout(self.config.timeout, sent).await {
            Ok(result) => result.map_err(|e| transport_error(&e)),
            Err(_) => Err(ApiError::Transport {
                failure: TransportFailure::Timeout,
                detail: format!(
                    "no answer within {} s of sending the request",
                    self.config.timeout.as_secs()
                ),
            }),
        }
    }
}

/// Runs `work` (encoding a request, parsing an answer) on tokio's blocking pool, so the CPU it
/// takes (tens of milliseconds for a 20 MB request, more for an answer of up to
/// [`DEFAULT_MAX_BODY_BYTES`]) never holds up the async threads, where every countdown, pace
/// check and other job's body shares the cores (two, on a small machine). `what` names it in the
/// `cpu_work` span (debug level), made on the thread that does the work.
pub(super) async fn on_blocking_pool<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        let _span = tracing::debug_span!("cpu_work", work = what).entered();
        work()
    })
    .await
}

/// A path segment that cannot change the URL's meaning.
fn is_safe_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 128
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_show_in_debug() {
        let key = ApiKey::new("  AIzaSyExample0123456789abcdefghijklmno ").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey([REDACTED])");
        assert_eq!(key.masked(), "AIza…lmno");
        let config = ClientConfig {
            api_key: Some(key),
            ..ClientConfig::default()
        };
        assert!(!format!("{config:?}").contains("AIzaSyExample"));
        assert!(!format!("{config:#?}").contains("0123456789"));
        let client = GeminiClient::new(config).unwrap();
        assert!(!format!("{client:?}").contains("AIzaSyExample"));
        assert!(!format!("{client:#?}").contains("0123456789"));
        assert!(ApiKey::new("   ").is_none());
    }

    #[test]
    fn bad_settings_are_refused_with_a_reason() {
        let with = |base_url: &str| ClientConfig {
            base_url: base_url.to_owned(),
            ..ClientConfig::default()
        };
        assert!(
            GeminiClient::new(with("not a url"))
                .unwrap_err()
                .to_string()
                .contains("not a valid URL")
        );
        assert!(
            GeminiClient::new(with("ftp://x"))
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        let error = GeminiClient::new(with("https://x.test/?key=AIzaSecret"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("API key field") && !error.contains("AIzaSecret"),
            "{error}"
        );
        let error = GeminiClient::new(with("http://gateway.example.com"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("clear text"), "{error}");
        assert!(GeminiClient::new(with("http://127.0.0.1:8080")).is_ok());
        assert!(GeminiClient::new(with("http://[::1]:8080/")).is_ok());
    }

    /// The `cpu_work` spans made while a test ran: what was done, on which thread.
    #[derive(Clone, Default)]
    struct CpuWorkSeen(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CpuWorkSeen {
        fn on_new_span(
            &self,
            attrs: &tracing::span::Attributes<'_>,
            _id: &tracing::span::Id,
            _ctx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            /// The span's `work` field.
            struct Work(String);
            impl tracing::field::Visit for Work {
                fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                    if field.name() == "work" {
                        value.clone_into(&mut self.0);
                    }
                }
                fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn fmt::Debug) {}
            }
            if attrs.metadata().name() != "cpu_work" {
                return;
            }
            let mut work = Work(String::new());
            attrs.record(&mut work);
            let thread = std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_owned();
            self.0.lock().unwrap().push((work.0, thread));
        }
    }

    /// The blocking pool's threads in [`a_large_request_and_answer_are_worked_off_the_async_thread`].
    const BLOCKING_THREAD: &str = "peel-test-blocking";

    /// Serves `answer` on 127.0.0.1: as JSON to `:generateContent`, as one server-sent event to
    /// `:streamGenerateContent`. Each request must arrive whole (over 12 MB).
    async fn serve_answer(answer: String) -> std::net::SocketAddr {
        use axum::routing::post;
        let router = axum::Router::new()
            .route(
                "/{*path}",
                post(
                    move |uri: axum::http::Uri, body: axum::body::Bytes| async move {
                        assert!(body.len() > 12 << 20, "the whole request arrived");
                        if uri.path().ends_with(":streamGenerateContent") {
                            let event = format!("data: {answer}\r\n\r\n");
                            ([(CONTENT_TYPE, "text/event-stream")], event)
                        } else {
                            ([(CONTENT_TYPE, "application/json")], answer)
                        }
                    },
                ),
            )
            .layer(axum::extract::DefaultBodyLimit::disable());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }

    /// On a runtime with one async thread (the test's own), a 12 MB request is encoded and a
    /// 24 MB answer parsed on the blocking pool's threads, never on the async thread that runs
    /// every timer and pace check, whether it comes whole or as an event of a stream; and the
    /// answer comes back whole.
    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a test drives its own runtime with block_on; it is not the UI thread"
    )]
    fn a_large_request_and_answer_are_worked_off_the_async_thread() {
        use crate::api::wire::{Content, Part};
        use tracing_subscriber::layer::SubscriberExt as _;

        let seen = CpuWorkSeen::default();
        let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(seen.clone()));
        let for_pool = dispatch.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name(BLOCKING_THREAD)
            .on_thread_start(move || {
                // The blocking pool's threads report to the test's subscriber for their life.
                std::mem::forget(tracing::dispatcher::set_default(&for_pool));
            })
            .build()
            .unwrap();
        let image_len = 24 * 1024 * 1024;
        let answer = format!(
            r#"{{"candidates":[{{"content":{{"role":"model","parts":[{{"inlineData":{{"mimeType":"image/png","data":"{}"}}}}]}},"finishReason":"STOP"}}]}}"#,
            "A".repeat(image_len)
        );
        let request = GenerateContentRequest {
            contents: vec![Content {
                role: Some("user".to_owned()),
                parts: vec![
                    Part::text("a lake"),
                    Part::inline_image("image/png", "B".repeat(12 << 20)),
                ],
            }],
            ..GenerateContentRequest::default()
        };
        let outcomes = tracing::dispatcher::with_default(&dispatch, || {
            runtime.block_on(async move {
                let client = GeminiClient::new(ClientConfig {
                    base_url: format!("http://{}", serve_answer(answer).await),
                    ..ClientConfig::default()
                })
                .unwrap();
                let model = "gemini-3-pro-image";
                let (thoughts, _) = tokio::sync::mpsc::channel(1);
                [
                    client.generate_content(model, &request).await.unwrap(),
                    client
                        .stream_generate_content(model, &request, thoughts)
                        .await
                        .unwrap(),
                ]
            })
        });
        for outcome in &outcomes {
            assert_eq!(
                outcome.response.final_image().unwrap().data.len(),
                image_len
            );
        }
        assert!(outcomes[1].streamed);
        let seen = seen.0.lock().unwrap().clone();
        for work in ["encode request", "parse answer", "parse event"] {
            let threads: Vec<&str> = seen
                .iter()
                .filter(|(done, _)| done == work)
                .map(|(_, thread)| thread.as_str())
                .collect();
            assert!(!threads.is_empty(), "no {work:?} seen: {seen:?}");
            assert!(
                threads.iter().all(|thread| *thread == BLOCKING_THREAD),
                "{work:?} ran on {threads:?}, not only on the blocking pool"
            );
        }
    }

    #[test]
    fn model_ids_cannot_change_the_path() {
        assert!(is_safe_segment("gemini-3-pro-image"));
        assert!(is_safe_segment("gemini-3.1-flash-image"));
        assert!(!is_safe_segment("../v1/files"));
        assert!(!is_safe_segment("x?key=1"));
    }
}
