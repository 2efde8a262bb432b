//! The async Gemini client: `generateContent` and `models.list` over reqwest (rustls).
//!
//! The API key travels only in the `x-goog-api-key` header (marked sensitive, so it never shows in
//! debug output); it is never put in a URL. The base URL and API version are configurable, so the
//! same code talks to Google, a proxy, or Peel's simulator; the endpoint passes
//! [`check_base_url`](super::endpoint::check_base_url) (https, or http on this computer only).
//! Redirects are never followed (reqwest keeps `x-goog-api-key` on a redirect to another host):
//! a 3xx answer is an [`ApiError::Redirected`] naming where it pointed. Bodies are read up to a
//! cap and at a minimum pace ([`super::pace`]), and every failure comes back as an [`ApiError`]
//! that the diagnosis can explain.

use std::fmt;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};

use super::endpoint::{check_base_url, is_loopback_url};
use super::pace::{Pace, PaceLimits, TooSlow};
use super::transport::TransportFailure;
use super::wire::{GenerateContentRequest, GenerateContentResponse, ListModelsResponse, ModelInfo};
use crate::redact::redact;

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
/// Most of an error or unreadable body kept (the diagnosis reads at most 4 MiB of it).
const KEPT_ERROR_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Most of an unreadable 2xx body kept for the diagnosis (its head says what it was).
const KEPT_MALFORMED_BODY_BYTES: usize = 64 * 1024;
/// Most `models.list` pages followed.
const MAX_MODEL_PAGES: usize = 20;
/// Header that carries the key.
pub const API_KEY_HEADER: &str = "x-goog-api-key";

/// An API key, held in a [`SecretString`] (wiped from memory when the last copy is dropped). Its
/// `Debug` never shows it and it has no `Display`, so no `{:?}` of a struct that holds one (the
/// client settings, the engine's settings, a keychain request) can print it. The key itself
/// comes out only through [`ExposeSecret::expose_secret`], where the `x-goog-api-key` header is
/// built and where the keychain stores it.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key, trimming whitespace a paste may add. `None` when empty.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let raw = SecretString::from(key.into());
        let trimmed = raw.expose_secret().trim();
        (!trimmed.is_empty()).then(|| Self(SecretString::from(trimmed)))
    }

    /// "AIza…1234"-style hint for display.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.expose_secret().chars().collect();
        if chars.len() <= 8 {
            return "••••".to_owned();
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl ExposeSecret<str> for ApiKey {
    /// The key itself: for the `x-goog-api-key` header and the keychain only.
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for ApiKey {}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

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

/// Everything that can go wrong calling the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The settings cannot make a request (bad endpoint URL, bad model id, bad key characters).
    #[error("{0}")]
    Config(String),
    /// No HTTP answer: DNS, connection, TLS, reset, timeout, or a body over the cap.
    #[error("Network problem: {} ({detail})", failure.describe())]
    Transport {
        /// What failed.
        failure: TransportFailure,
        /// The client's description, redacted.
        detail: String,
    },
    /// A non-2xx answer.
    #[error("The server answered HTTP {status}")]
    Http {
        /// The status.
        status: u16,
        /// The body, redacted.
        body: String,
        /// The `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// A 3xx answer: the endpoint pointed elsewhere, and Peel did not follow.
    #[error(
        "The endpoint answered with a redirect (HTTP {status}) to {target}. Peel never follows redirects, so \
         your key is not sent to another host. Check the endpoint in Settings."
    )]
    Redirected {
        /// The status.
        status: u16,
        /// Where it pointed: scheme, host and path only (no query, no credentials), redacted.
        target: String,
    },
    /// A 2xx answer that is not the expected JSON.
    #[error("The server's answer could not be read: {reason}")]
    Malformed {
        /// The status.
        status: u16,
        /// The body, redacted.
        body: String,
        /// What did not parse.
        reason: String,
    },
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
        let model = model.strip_prefix("models/").unwrap_or(model);
        if !is_safe_segment(model) {
            return Err(ApiError::Config(format!(
                "\"{model}\" is not a valid model id. Pick a model from the list."
            )));
        }
        let url = self.url(&format!("models/{model}:generateContent"));
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
        let (status, bytes) = self.read_body(sent, sent_at).await?;
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
        })
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
            let (status, bytes) = self.read_body(sent, sent_at).await?;
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

    /// Reads the body up to the cap; a 3xx answer becomes [`ApiError::Redirected`] (its body is
    /// not read), other non-2xx answers [`ApiError::Http`]. A body that stops arriving, or
    /// arrives slower than the floor ([`ClientConfig::body_min_bytes_per_window`]), or is still
    /// arriving at the ceiling counted from `sent_at` ([`ClientConfig::attempt_ceiling`]), ends
    /// the attempt.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        sent_at: tokio::time::Instant,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(redirected(status, &response));
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = self.config.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large(limit));
        }
        let expected = response
            .content_length()
            .map_or(0, |len| usize::try_from(len).unwrap_or(0));
        let mut bytes = Vec::with_capacity(expected);
        let mut pace = Pace::new(self.pace_limits(), sent_at, tokio::time::Instant::now());
        loop {
            let next = tokio::time::timeout_at(pace.deadline(), response.chunk()).await;
            let arrived = match next {
                Ok(Ok(Some(chunk))) => {
                    if bytes.len() + chunk.len() > limit {
                        return Err(too_large(limit));
                    }
                    bytes.extend_from_slice(&chunk);
                    true
                }
                Ok(Ok(None)) => break,
                Ok(Err(e)) => return Err(transport_error(&e)),
                // No data by the deadline: the pace decides whether to wait on.
                Err(_) => false,
            };
            pace.check(tokio::time::Instant::now(), bytes.len(), arrived)
                .map_err(too_slow)?;
        }
        if (200..300).contains(&status) {
            Ok((status, bytes))
        } else {
            Err(ApiError::Http {
                status,
                body: redact(&lossy_head(&bytes, KEPT_ERROR_BODY_BYTES)).into_owned(),
                retry_after,
            })
        }
    }

    fn pace_limits(&self) -> PaceLimits {
        PaceLimits {
            idle: self.config.body_idle_timeout,
            window: self.config.body_pace_window,
            min_bytes_per_window: self.config.body_min_bytes_per_window,
            ceiling: self.config.attempt_ceiling,
        }
    }
}

/// A 3xx answer, refused: where it pointed (scheme, host, port and path; no query, fragment or
/// credentials), redacted.
fn redirected(status: u16, response: &reqwest::Response) -> ApiError {
    let target = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|location| response.url().join(location.trim()).ok())
        .map_or_else(
            || "an address it did not give".to_owned(),
            |mut url| {
                url.set_query(None);
                url.set_fragment(None);
                let _ = url.set_username("");
                let _ = url.set_password(None);
                redact(url.as_str()).into_owned()
            },
        );
    ApiError::Redirected { status, target }
}

/// A body given up for its pace, as a transport failure.
fn too_slow(slow: TooSlow) -> ApiError {
    match slow {
        TooSlow::Stalled {
            pause,
            received_bytes,
        } => ApiError::Transport {
            failure: TransportFailure::Stalled,
            detail: format!(
                "no data for {} s after {} of the answer had arrived",
                pause.as_secs(),
                human_bytes(received_bytes)
            ),
        },
        TooSlow::Trickle {
            window_bytes,
            window,
            received_bytes,
        } => ApiError::Transport {
            failure: TransportFailure::TooSlow,
            detail: format!(
                "only {} arrived in {} s ({} in all), far below a working connection",
                human_bytes(window_bytes),
                window.as_secs(),
                human_bytes(received_bytes)
            ),
        },
        TooSlow::TooLong {
            ceiling,
            received_bytes,
        } => ApiError::Transport {
            failure: TransportFailure::TooSlow,
            detail: format!(
                "the answer took over {} minutes to arrive ({} had come), longer than any real \
                 answer takes; the server or a proxy is holding it back",
                ceiling.as_secs().div_ceil(60),
                human_bytes(received_bytes)
            ),
        },
    }
}

/// Stands in the body for the image moved out of it while the rest is parsed. No base64 string
/// contains `!`, and the moved string was the body's largest.
const MOVED_DATA_MARKER: &str = "!peel-moved-image-data!";
/// Smallest base64 string worth moving out of the body rather than copying.
const MOVE_OUT_MIN_BYTES: usize = 1024 * 1024;

/// Parses a `generateContent` answer, consuming its body. Parsed plainly, a body and the strings
/// parsed from it are both alive at the end, twice the answer's size; here the largest image's
/// base64 (a 4K answer's final image: most of the body) becomes its `data` string in the body's own
/// memory, so parsing needs little more than the body itself. The result is exactly
/// `serde_json::from_slice`'s; on failure the body comes back whole, with `from_slice`'s error.
pub fn parse_answer(
    mut body: Vec<u8>,
) -> Result<GenerateContentResponse, (serde_json::Error, Vec<u8>)> {
    let plain = |body: Vec<u8>| match serde_json::from_slice::<GenerateContentResponse>(&body) {
        Ok(response) => Ok(response),
        Err(error) => Err((error, body)),
    };
    let Some(range) = largest_data_string(&body) else {
        return plain(body);
    };
    let mut rest = Vec::with_capacity(body.len() - range.len() + MOVED_DATA_MARKER.len());
    rest.extend_from_slice(&body[..range.start]);
    rest.extend_from_slice(MOVED_DATA_MARKER.as_bytes());
    rest.extend_from_slice(&body[range.end..]);
    let (start, len) = (range.start, range.len());
    body.copy_within(range, 0);
    body.truncate(len);
    body.shrink_to_fit();
    // Puts the image back where it was: the original body.
    let restore = |rest: &[u8], image: Vec<u8>| {
        let mut body = Vec::with_capacity(rest.len() - MOVED_DATA_MARKER.len() + image.len());
        body.extend_from_slice(&rest[..start]);
        body.extend_from_slice(&image);
        body.extend_from_slice(&rest[start + MOVED_DATA_MARKER.len()..]);
        body
    };
    let image = match String::from_utf8(body) {
        Ok(image) => image,
        Err(error) => return plain(restore(&rest, error.into_bytes())),
    };
    let Ok(mut response) = serde_json::from_slice::<GenerateContentResponse>(&rest) else {
        return plain(restore(&rest, image.into_bytes()));
    };
    let mut marked = response
        .candidates
        .iter_mut()
        .filter_map(|candidate| candidate.content.as_mut())
        .flat_map(|content| content.parts.iter_mut())
        .filter_map(|part| part.inline_data.as_mut())
        .filter(|blob| blob.data == MOVED_DATA_MARKER);
    match (marked.next(), marked.next()) {
        (Some(blob), None) => {
            blob.data = image;
            Ok(response)
        }
        _ => plain(restore(&rest, image.into_bytes())),
    }
}

/// Where the contents of the body's largest string are, when it is worth moving out: at least
/// [`MOVE_OUT_MIN_BYTES`], free of escapes and control characters (so its text is its bytes, and
/// `from_slice` would accept it), and the value of a `"data"` key. `None` for anything else,
/// including a body that is not JSON.
fn largest_data_string(body: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut largest: Option<std::ops::Range<usize>> = None;
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        let mut escaped = false;
        while end < body.len() && body[end] != b'"' {
            if body[end] == b'\\' || body[end] < 0x20 {
                escaped = true;
                end += usize::from(body[end] == b'\\');
            }
            end += 1;
        }
        if end >= body.len() {
            return None;
        }
        let len = end - start;
        if !escaped
            && len >= MOVE_OUT_MIN_BYTES
            && largest.as_ref().is_none_or(|r| len > r.len())
            && body[..start - 1]
                .trim_ascii_end()
                .strip_suffix(b":")
                .is_some_and(|key| key.trim_ascii_end().ends_with(b"\"data\""))
        {
            largest = Some(start..end);
        }
        i = end + 1;
    }
    largest
}

/// Runs `work` (encoding a request, parsing an answer) on tokio's blocking pool, so the CPU it
/// takes (tens of milliseconds for a 20 MB request, more for an answer of up to
/// [`DEFAULT_MAX_BODY_BYTES`]) never holds up the async threads, where every countdown, pace
/// check and other job's body shares the cores (two, on a small machine). `what` names it in the
/// `cpu_work` span (debug level), made on the thread that does the work.
async fn on_blocking_pool<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        let _span = tracing::debug_span!("cpu_work", work = what).entered();
        work()
    })
    .await
}

/// A 2xx body whose parse never finished (it panicked, or the runtime is shutting down).
fn interrupted(status: u16, body_bytes: usize, error: &tokio::task::JoinError) -> ApiError {
    ApiError::Malformed {
        status,
        body: String::new(),
        reason: format!(
            "its parse stopped: {error} (the answer had {})",
            human_bytes(body_bytes)
        ),
    }
}

/// A 2xx body that is not the expected JSON: its head, redacted, and what did not parse.
fn malformed(status: u16, bytes: &[u8], error: &serde_json::Error) -> ApiError {
    ApiError::Malformed {
        status,
        body: redact(&lossy_head(bytes, KEPT_MALFORMED_BODY_BYTES)).into_owned(),
        reason: format!("{error} (the answer had {})", human_bytes(bytes.len())),
    }
}

/// The first `max` bytes as text (invalid UTF-8 replaced).
fn lossy_head(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned()
}

/// "13.2 MB", "512 bytes".
pub fn human_bytes(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::Transport {
        failure: TransportFailure::BodyTooLarge,
        detail: format!("the answer is larger than {} MB", limit / (1024 * 1024)),
    }
}

/// A path segment that cannot change the URL's meaning.
fn is_safe_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 128
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Sorts a reqwest error into a [`TransportFailure`] by walking its source chain.
fn transport_error(error: &reqwest::Error) -> ApiError {
    let mut chain = String::new();
    let mut reset = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            )
        {
            reset = true;
        }
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&current.to_string());
        source = current.source();
    }
    let lower = chain.to_lowercase();
    let failure = if error.is_timeout() {
        TransportFailure::Timeout
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        TransportFailure::Dns
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        TransportFailure::Tls
    } else if reset
        || lower.contains("connection reset")
        || lower.contains("connection closed")
        || lower.contains("incomplete message")
        || lower.contains("end of file")
    {
        TransportFailure::ConnectionReset
    } else if error.is_connect() {
        TransportFailure::Connect
    } else if error.is_body() || error.is_decode() {
        TransportFailure::ConnectionReset
    } else {
        TransportFailure::Other
    };
    ApiError::Transport {
        failure,
        detail: redact(&chain).into_owned(),
    }
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

    /// `parse_answer` gives exactly what `from_slice` gives, whichever way the body is shaped.
    #[test]
    fn answers_parse_as_from_slice_parses_them() {
        let big = |c: char| c.to_string().repeat(MOVE_OUT_MIN_BYTES + 7);
        let answer = |parts: &str| {
            format!(
                r#"{{"candidates": [{{"content": {{"role": "model", "parts": [{parts}]}}, "finishReason": "STOP"}}], "modelVersion": "m"}}"#
            )
        };
        let blob = |data: &str| {
            format!(r#"{{"inlineData": {{"mimeType": "image/jpeg", "data" : "{data}"}}}}"#)
        };
        let bodies = [
            answer(&format!(
                r#"{{"text": "hi"}}, {}, {}"#,
                blob("QUJD"),
                blob(&big('A'))
            )),
            answer(&format!(
                "{}, {}",
                blob(&big('B')),
                blob(&format!("{}C", big('C')))
            )),
            answer(&format!(
                r#"{}, {{"text": "{}"}}"#,
                blob(&big('D')),
                big('t')
            )),
            answer(&format!("{}, {}", blob(MOVED_DATA_MARKER), blob(&big('E')))),
            answer(&format!(
                r#"{{"text": "{MOVED_DATA_MARKER}"}}, {}"#,
                blob(&big('F'))
            )),
            answer(&format!(
                r#"{}, {{"text": "a \"quote\""}}"#,
                blob(&big('G'))
            )),
            answer(&blob(&format!(r"{}\n", big('H')))),
            answer(&blob(&format!(r"{}\u0001", big('I')))),
            answer(&blob(&format!("{}\u{1}", big('J')))),
            format!(
                r#"{{"candidates": [{{"other": {{"data": "{}"}}}}]}}"#,
                big('K')
            ),
            format!(r#"{{"candidates": [{}"#, blob(&big('L'))),
            format!(r#"{{"candidates": 3, "x": {{"data": "{}"}}}}"#, big('M')),
            answer(&blob(&big('N'))).replace("STOP", r"STOP\u"),
            "not json".to_owned(),
        ];
        // The first moves its image out of the body; one with an escape in it does not.
        let first = largest_data_string(bodies[0].as_bytes()).unwrap();
        assert_eq!(first.len(), MOVE_OUT_MIN_BYTES + 7);
        assert!(bodies[0][first].bytes().all(|b| b == b'A'));
        assert_eq!(largest_data_string(bodies[6].as_bytes()), None);
        for body in bodies {
            let expected = serde_json::from_slice::<GenerateContentResponse>(body.as_bytes());
            match (parse_answer(body.clone().into_bytes()), expected) {
                (Ok(got), Ok(expected)) => assert_eq!(
                    serde_json::to_string(&got).unwrap(),
                    serde_json::to_string(&expected).unwrap()
                ),
                (Err((got, back)), Err(expected)) => {
                    assert_eq!(got.to_string(), expected.to_string());
                    assert!(back == body.as_bytes(), "the body comes back whole");
                }
                (got, expected) => panic!("{:?} against {expected:?}", got.map_err(|e| e.0)),
            }
        }
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

    /// On a runtime with one async thread (the test's own), a 12 MB request is encoded and a
    /// 24 MB answer parsed on the blocking pool's threads, never on the async thread that runs
    /// every timer and pace check; and the answer comes back whole.
    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a test drives its own runtime with block_on; it is not the UI thread"
    )]
    fn a_large_request_and_answer_are_worked_off_the_async_thread() {
        use crate::api::wire::{Content, Part};
        use axum::routing::post;
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
        let outcome = tracing::dispatcher::with_default(&dispatch, || {
            runtime.block_on(async move {
                let router = axum::Router::new()
                    .route(
                        "/{*path}",
                        post(move |body: axum::body::Bytes| async move {
                            assert!(body.len() > 12 << 20, "the whole request arrived");
                            ([(CONTENT_TYPE, "application/json")], answer)
                        }),
                    )
                    .layer(axum::extract::DefaultBodyLimit::disable());
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(async move { axum::serve(listener, router).await });
                let client = GeminiClient::new(ClientConfig {
                    base_url: format!("http://{addr}"),
                    ..ClientConfig::default()
                })
                .unwrap();
                client
                    .generate_content("gemini-3-pro-image", &request)
                    .await
                    .unwrap()
            })
        });
        let image = outcome.response.candidates[0]
            .content
            .as_ref()
            .and_then(|content| content.parts[0].inline_data.as_ref())
            .unwrap();
        assert_eq!(image.data.len(), image_len);
        let seen = seen.0.lock().unwrap().clone();
        for work in ["encode request", "parse answer"] {
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
