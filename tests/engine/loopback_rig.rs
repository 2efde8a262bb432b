//! The loopback rig: a small HTTP server (an axum router) on 127.0.0.1, the real client pointed at
//! a loopback address with a key of the test's, and the checks of a failed attempt: the transport
//! failure it ended as and its diagnosis. Shared by the modules of the `engine` test binary that
//! play the server themselves.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::net::SocketAddr;

use axum::Router;
use jiff::Timestamp;
use peel::api::{ApiError, ApiKey, ClientConfig, GeminiClient};
use peel::diagnosis::{Diagnosis, DiagnosisContext, Evidence, TransportFailure, diagnose};
use tokio::net::TcpListener;

/// Serves `router` on `listener` in the background; returns its address.
pub fn serve_on(listener: TcpListener, router: Router) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Serves `router` on 127.0.0.1 with a free port in the background; returns its address.
pub async fn serve(router: Router) -> SocketAddr {
    serve_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), router)
}

/// The real client for the server at `addr` with `key` (the default version), changed by `tweak`.
pub fn client_at(
    addr: SocketAddr,
    key: &str,
    tweak: impl FnOnce(&mut ClientConfig),
) -> GeminiClient {
    let mut config = ClientConfig {
        base_url: format!("http://{addr}"),
        api_key: ApiKey::new(key),
        ..ClientConfig::default()
    };
    tweak(&mut config);
    GeminiClient::new(config).unwrap()
}

/// Fails unless `error` is the transport failure `failure`.
pub fn assert_transport_failure(error: &ApiError, failure: TransportFailure) {
    assert!(
        matches!(error, ApiError::Transport { failure: got, .. } if *got == failure),
        "{error:?}"
    );
}

/// The diagnosis of `error` with no model named, as now.
pub fn diagnosis_of_error(error: &ApiError) -> Diagnosis {
    diagnose(
        &Evidence::from(error),
        &DiagnosisContext::new(Timestamp::now()),
    )
}
