//! The HTTP layer of the flow driver: one `reqwest` client that never follows redirects, a
//! per-request timeout, cookie jars owned by "browsers", a host allowlist checked before
//! anything is sent, and an evidence log of every exchange with its secrets redacted.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::cookie::CookieStore as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

// The redaction rules live with the protocol values (whose `Debug` uses them).
pub use crate::protocol::redact::{REDACTED, SECRET_FIELDS, is_secret_field, redact_value};

mod allowlist;
mod config;
mod cookies;
mod error;
mod evidence;
mod redact;
mod request;
mod response;

pub use allowlist::{HostAllowlist, HostPort};
pub use config::DriverConfig;
pub use cookies::Browser;
pub use error::DriverError;
pub use evidence::{Evidence, Exchange};
pub use redact::{redact_body, redact_form, redact_header, redact_json_text, redact_url};
pub use request::{HttpRequest, RequestBody, form_urlencode};
pub use response::{HEAVY_BODY, HEAVY_PERMITS, HttpResponse};
use response::{HEAVY_WAIT, ReadAnswer};
/// The one HTTP client of the harness. Cheap to clone; clones share the connection pool and
/// the evidence log.
#[derive(Clone)]
pub struct Driver {
    client: reqwest::Client,
    allowlist: Arc<HostAllowlist>,
    config: Arc<DriverConfig>,
    evidence: Evidence,
    heavy: Arc<tokio::sync::Semaphore>,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("allowlist", &self.allowlist)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Driver {
    pub fn new(allowlist: HostAllowlist, config: DriverConfig) -> Result<Self, DriverError> {
        let client = client_builder(&config)
            .build()
            .map_err(|e| DriverError::Client(error_chain(&e)))?;
        Ok(Self {
            client,
            allowlist: Arc::new(allowlist),
            config: Arc::new(config),
            evidence: Evidence::new(),
            heavy: Arc::new(tokio::sync::Semaphore::new(HEAVY_PERMITS)),
        })
    }

    pub fn config(&self) -> &DriverConfig {
        &self.config
    }

    pub fn allowlist(&self) -> &HostAllowlist {
        &self.allowlist
    }

    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// A clone that shares the connection pool but records into a new, empty evidence log
    /// (one per scenario).
    pub fn with_fresh_evidence(&self) -> Self {
        Self {
            evidence: Evidence::new(),
            ..self.clone()
        }
    }

    /// A new browser with an empty cookie jar.
    pub fn new_browser(&self) -> Browser {
        Browser::new()
    }

    /// Sends a request without cookies.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, DriverError> {
        self.execute(None, request).await
    }

    /// Sends a request as `browser`: its cookies go along, `Set-Cookie` answers land in its jar.
    pub async fn send_in(
        &self,
        browser: &Browser,
        request: HttpRequest,
    ) -> Result<HttpResponse, DriverError> {
        self.execute(Some(browser), request).await
    }

    async fn execute(
        &self,
        browser: Option<&Browser>,
        request: HttpRequest,
    ) -> Result<HttpResponse, DriverError> {
        let method = request.method.to_string();
        let shown_url = redact_url(request.url.as_str());
        let headers = self.request_headers(browser, &request);
        let body = request.body.bytes();
        let mut exchange = self.recorded_request(&method, &shown_url, &headers, &body);
        if let Some(err) = self.refusal(&request.url, &shown_url) {
            exchange.error = Some(format!("not sent: {err}"));
            self.record(exchange);
            return Err(err);
        }
        let timeout = request.timeout.unwrap_or(self.config.timeout);
        let builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .headers(header_map(&headers)?)
            .timeout(timeout)
            .body(body);

        let started = Instant::now();
        let result = self.receive(builder, timeout, &method, &shown_url).await;
        exchange.elapsed = started.elapsed();
        match result {
            Ok(answer) => Ok(self.answered(browser, request.url, exchange, answer)),
            Err(err) => {
                exchange.error = Some(err.to_string());
                self.record(exchange);
                Err(err)
            }
        }
    }

    /// The headers a request goes with: `Host`, `User-Agent`, the body's `Content-Type` unless
    /// the request names one, the request's own, and the browser's cookies.
    fn request_headers(
        &self,
        browser: Option<&Browser>,
        request: &HttpRequest,
    ) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(hp) = HostPort::from_url(&request.url) {
            let host = if request.url.port().is_some() {
                hp.to_string()
            } else {
                hp.host.clone()
            };
            headers.push(("Host".into(), host));
        }
        headers.push(("User-Agent".into(), self.config.user_agent.clone()));
        let has_content_type = request
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if let Some(ct) = request.body.content_type().filter(|_| !has_content_type) {
            headers.push(("Content-Type".into(), ct.to_owned()));
        }
        headers.extend(request.headers.iter().cloned());
        if let Some(cookie) = browser.and_then(|b| b.cookie_header(&request.url)) {
            headers.push(("Cookie".into(), cookie));
        }
        headers
    }

    /// The evidence record of a request, its secrets redacted, before any answer.
    fn recorded_request(
        &self,
        method: &str,
        shown_url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Exchange {
        let request_content_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str());
        Exchange {
            method: method.to_owned(),
            url: shown_url.to_owned(),
            request_headers: headers
                .iter()
                .map(|(k, v)| (k.clone(), redact_header(k, v)))
                .collect(),
            request_body: (!body.is_empty())
                .then(|| redact_body(request_content_type, body, self.config.evidence_body_limit)),
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            elapsed: Duration::ZERO,
            error: None,
        }
    }

    /// Why a request must not be sent: a scheme other than http(s), or a host the profile
    /// does not name.
    fn refusal(&self, url: &url::Url, shown_url: &str) -> Option<DriverError> {
        if !matches!(url.scheme(), "http" | "https") {
            Some(DriverError::UnsupportedScheme {
                url: shown_url.to_owned(),
            })
        } else if !self.allowlist.allows(url) {
            Some(DriverError::HostNotAllowed {
                host: HostPort::from_url(url)
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "(no host)".into()),
                url: shown_url.to_owned(),
            })
        } else {
            None
        }
    }

    /// An answer came: its cookies go to the browser, the exchange is recorded with it.
    fn answered(
        &self,
        browser: Option<&Browser>,
        url: url::Url,
        mut exchange: Exchange,
        (status, resp_headers, resp_body, heavy): ReadAnswer,
    ) -> HttpResponse {
        if let Some(b) = browser {
            let mut cookies = resp_headers.get_all(reqwest::header::SET_COOKIE).iter();
            b.jar.set_cookies(&mut cookies, &url);
        }
        exchange.status = Some(status);
        exchange.response_headers = resp_headers
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes());
                (k.as_str().to_owned(), redact_header(k.as_str(), &v))
            })
            .collect();
        if !resp_body.is_empty() {
            let ct = resp_headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            exchange.response_body =
                Some(redact_body(ct, &resp_body, self.config.evidence_body_limit));
        }
        let elapsed = exchange.elapsed;
        self.record(exchange);
        HttpResponse {
            status,
            headers: resp_headers,
            body: resp_body,
            url,
            elapsed,
            heavy,
        }
    }

    async fn receive(
        &self,
        builder: reqwest::RequestBuilder,
        timeout: Duration,
        method: &str,
        url: &str,
    ) -> Result<ReadAnswer, DriverError> {
        let map_err = |e: reqwest::Error| {
            if e.is_timeout() {
                DriverError::Timeout {
                    method: method.to_owned(),
                    url: url.to_owned(),
                    timeout,
                }
            } else {
                let host = e
                    .url()
                    .and_then(HostPort::from_url)
                    .map_or_else(|| url.to_owned(), |h| h.to_string());
                DriverError::Transport {
                    method: method.to_owned(),
                    url: url.to_owned(),
                    message: crate::driver::tls::explain(
                        &e,
                        &host,
                        self.config.tls.identity.is_some(),
                    )
                    .unwrap_or_else(|| error_chain(&e)),
                }
            }
        };
        let mut response = builder.send().await.map_err(map_err)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        // Sized once from Content-Length (within the limit): a large body is
        // not copied again each time the buffer would have doubled.
        let expected = response
            .content_length()
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
            .min(self.config.max_response_body);
        let mut heavy = None;
        let mut body = Vec::with_capacity(0);
        while let Some(chunk) = response.chunk().await.map_err(map_err)? {
            if heavy.is_none() && expected.max(body.len() + chunk.len()) > HEAVY_BODY {
                heavy = tokio::time::timeout(HEAVY_WAIT, self.heavy.clone().acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(Arc::new);
            }
            if body.capacity() == 0 {
                body.reserve(expected.max(chunk.len()));
            }
            if body.len() + chunk.len() > self.config.max_response_body {
                return Err(DriverError::BodyTooLarge {
                    method: method.to_owned(),
                    url: url.to_owned(),
                    limit: self.config.max_response_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body, heavy))
    }

    fn record(&self, exchange: Exchange) {
        if self.config.record_evidence {
            self.evidence
                .push(exchange, self.config.evidence_max_exchanges);
        }
    }
}

/// How long a kept-alive connection may sit idle and still be reused. Servers close idle
/// connections on their own clock (gunicorn after 2 s, node after 5 s); a request sent on one
/// just as the server closes it fails ("connection closed before message completed"), and the
/// harness never resends a request. A scenario that waits a couple of seconds between two
/// requests therefore opens a new connection rather than race the server's close.
const POOL_IDLE: std::time::Duration = std::time::Duration::from_millis(1500);

/// The HTTP client every request of the harness goes through: no redirects followed (the
/// flows walk them), no retries, no proxy, idle connections reused only while surely still
/// open ([`POOL_IDLE`]), the profile's timeout and TLS settings.
pub(crate) fn client_builder(config: &DriverConfig) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .no_proxy()
        .pool_idle_timeout(POOL_IDLE)
        .timeout(config.timeout);
    config.tls.apply(builder)
}

/// An error and its sources, joined with ": " (reqwest's own message is terse).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(src) = cur {
        let msg = src.to_string();
        if !s.contains(&msg) {
            s.push_str(": ");
            s.push_str(&msg);
        }
        cur = src.source();
    }
    s
}

/// The request's headers as reqwest takes them (`Host` comes from the URL).
fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, DriverError> {
    let mut header_map = HeaderMap::new();
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("host") {
            continue;
        }
        let invalid = |message: String| DriverError::InvalidHeader {
            name: k.clone(),
            message,
        };
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let value = HeaderValue::from_str(v).map_err(|e| invalid(e.to_string()))?;
        header_map.append(name, value);
    }
    Ok(header_map)
}

#[cfg(test)]
mod tests;
