//! An answer, whatever its status, and the heavy-body accounting.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use url::Url;

/// An answer, whatever its status.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The URL that was requested (no redirect is ever followed).
    pub url: Url,
    pub elapsed: Duration,
    /// Held while a body over [`HEAVY_BODY`] is read and then kept: at most
    /// [`HEAVY_PERMITS`] such bodies are in memory at once across a run.
    pub heavy: Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
}

/// Status, headers, body and the heavy-body permit of an answer.
pub(super) type ReadAnswer = (
    u16,
    HeaderMap,
    Vec<u8>,
    Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
);

/// A body larger than this counts as heavy (see [`HttpResponse::heavy`]).
pub const HEAVY_BODY: usize = 1 << 20;

/// Heavy bodies in memory at once, across every scenario of a run.
pub const HEAVY_PERMITS: usize = 2;

/// How long a request waits for a heavy-body permit before reading anyway
/// (a scenario holding two heavy answers must not wait for itself).
pub(super) const HEAVY_WAIT: Duration = Duration::from_secs(5);

impl HttpResponse {
    /// The first value of a header, if it is valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status) && self.headers.contains_key("location")
    }

    /// The `Location` header resolved against the request URL.
    pub fn location(&self) -> Option<Result<Url, url::ParseError>> {
        self.header("location").map(|l| self.url.join(l))
    }

    /// Whether `Cache-Control` carries `no-store` (RFC 6749 §5.1).
    pub fn has_cache_control_no_store(&self) -> bool {
        self.header_all("cache-control").iter().any(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        })
    }
}
