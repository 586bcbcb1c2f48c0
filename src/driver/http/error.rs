//! The errors of the HTTP layer.

use std::time::Duration;

/// Errors of the HTTP layer. A server's bad answer is never one of these: it is an
/// `HttpResponse` for the caller to judge.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("refused to contact {host} ({url}): the target profile does not name this host")]
    HostNotAllowed { host: String, url: String },
    #[error("refused to contact {url}: only http and https URLs are supported")]
    UnsupportedScheme { url: String },
    #[error("{method} {url}: no complete answer within {timeout:?}")]
    Timeout {
        method: String,
        url: String,
        timeout: Duration,
    },
    #[error("{method} {url}: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
    },
    #[error("{method} {url}: response body larger than {limit} bytes")]
    BodyTooLarge {
        method: String,
        url: String,
        limit: usize,
    },
    #[error("invalid request header {name}: {message}")]
    InvalidHeader { name: String, message: String },
    #[error("cannot send a request to {url}: {message}")]
    InvalidUrl { url: String, message: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}
