//! Reading an answer's body: chunk by chunk, at the minimum pace ([`super::pace`]) and up to the
//! cap, whether it is read whole ([`read_body`]) or event by event (the streamed call). Both
//! count the same bytes the same way, so a stream of many small events is held to the pace that
//! one body is.

use reqwest::header::RETRY_AFTER;

use super::api_error::{http_error, redirected, too_large, too_slow, transport_error};
use super::client::{ApiError, ClientConfig};
use super::pace::{Pace, PaceLimits};

/// A body being read: each [`PacedBody::next_chunk`] waits for the next piece no longer than
/// the pace allows, and the pieces together never pass the cap.
pub(super) struct PacedBody {
    response: reqwest::Response,
    pace: Pace,
    limit: usize,
    received: usize,
}

impl PacedBody {
    /// Starts reading `response`'s body now (its headers arrived); the ceiling counts from
    /// `sent_at`. Fails at once when the announced length is over the cap.
    pub(super) fn new(
        response: reqwest::Response,
        config: &ClientConfig,
        sent_at: tokio::time::Instant,
    ) -> Result<Self, ApiError> {
        let limit = config.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large(limit));
        }
        let limits = PaceLimits {
            idle: config.body_idle_timeout,
            window: config.body_pace_window,
            min_bytes_per_window: config.body_min_bytes_per_window,
            ceiling: config.attempt_ceiling,
        };
        Ok(Self {
            response,
            pace: Pace::new(limits, sent_at, tokio::time::Instant::now()),
            limit,
            received: 0,
        })
    }

    /// The length the server announced, if it did.
    pub(super) fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// Bytes received so far.
    pub(super) fn received(&self) -> usize {
        self.received
    }

    /// The next piece of the body, or `None` at its end. A body that stops arriving, arrives
    /// slower than the floor, is still arriving at the ceiling, or grows past the cap ends here
    /// as an [`ApiError::Transport`], as does a broken connection.
    pub(super) async fn next_chunk(
        &mut self,
    ) -> Result<Option<impl AsRef<[u8]> + use<>>, ApiError> {
        loop {
            let next = tokio::time::timeout_at(self.pace.deadline(), self.response.chunk()).await;
            let chunk = match next {
                Ok(Ok(Some(chunk))) => {
                    if self.received + chunk.len() > self.limit {
                        return Err(too_large(self.limit));
                    }
                    self.received += chunk.len();
                    Some(chunk)
                }
                Ok(Ok(None)) => return Ok(None),
                Ok(Err(e)) => return Err(transport_error(&e)),
                // No data by the deadline: the pace decides whether to wait on.
                Err(_) => None,
            };
            self.pace
                .check(tokio::time::Instant::now(), self.received, chunk.is_some())
                .map_err(too_slow)?;
            if chunk.is_some() {
                return Ok(chunk);
            }
        }
    }
}

/// The `Retry-After` header of an answer, if it has a readable one.
pub(super) fn retry_after(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads the body whole, at the pace and up to the cap; a 3xx answer becomes
/// [`ApiError::Redirected`] (its body is not read), other non-2xx answers [`ApiError::Http`].
pub(super) async fn read_body(
    response: reqwest::Response,
    config: &ClientConfig,
    sent_at: tokio::time::Instant,
) -> Result<(u16, Vec<u8>), ApiError> {
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(read_error(response, config, sent_at).await);
    }
    Ok((status, read_all(response, config, sent_at).await?))
}

/// A non-2xx answer as an error: a 3xx is [`ApiError::Redirected`] (its body is not read),
/// anything else [`ApiError::Http`] with its body, read at the pace and up to the cap.
pub(super) async fn read_error(
    response: reqwest::Response,
    config: &ClientConfig,
    sent_at: tokio::time::Instant,
) -> ApiError {
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        return redirected(status, &response);
    }
    let retry_after = retry_after(&response);
    match read_all(response, config, sent_at).await {
        Ok(bytes) => http_error(status, &bytes, retry_after),
        Err(error) => error,
    }
}

/// The whole body, read at the pace and up to the cap.
pub(super) async fn read_all(
    response: reqwest::Response,
    config: &ClientConfig,
    sent_at: tokio::time::Instant,
) -> Result<Vec<u8>, ApiError> {
    let mut body = PacedBody::new(response, config, sent_at)?;
    let expected = body
        .content_length()
        .map_or(0, |len| usize::try_from(len).unwrap_or(0));
    let mut bytes = Vec::with_capacity(expected);
    while let Some(chunk) = body.next_chunk().await? {
        bytes.extend_from_slice(chunk.as_ref());
    }
    Ok(bytes)
}
