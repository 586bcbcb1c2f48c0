//! The HTTP layer of the flow driver: one `reqwest` client that never follows redirects, a
//! per-request timeout, cookie jars owned by "browsers", a host allowlist checked before
//! anything is sent, and an evidence log of every exchange with its secrets redacted.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::cookie::CookieStore as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use url::Url;

// The redaction rules live with the protocol values (whose `Debug` uses them).
pub use crate::protocol::redact::{REDACTED, SECRET_FIELDS, is_secret_field, redact_value};

/// A host and port the driver may contact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into().to_ascii_lowercase(),
            port,
        }
    }

    /// The host and port (explicit or the scheme's default) of a URL.
    pub fn from_url(url: &Url) -> Option<Self> {
        Some(Self::new(url.host_str()?, url.port_or_known_default()?))
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// The hosts the driver may send requests to; anything else is refused before it is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAllowlist {
    hosts: BTreeSet<HostPort>,
}

impl HostAllowlist {
    pub fn new(hosts: impl IntoIterator<Item = HostPort>) -> Self {
        Self {
            hosts: hosts.into_iter().collect(),
        }
    }

    pub fn insert(&mut self, host: HostPort) {
        self.hosts.insert(host);
    }

    pub fn allows(&self, url: &Url) -> bool {
        HostPort::from_url(url).is_some_and(|hp| self.hosts.contains(&hp))
    }

    pub fn hosts(&self) -> impl Iterator<Item = &HostPort> {
        self.hosts.iter()
    }
}

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

/// Settings of a `Driver`.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// Timeout of every request, from sending to the last byte of the body.
    pub timeout: Duration,
    /// Bodies longer than this are kept truncated in evidence.
    pub evidence_body_limit: usize,
    /// The evidence log keeps at most this many exchanges (the most recent ones).
    pub evidence_max_exchanges: usize,
    /// Record exchanges at all (load profiles turn this off).
    pub record_evidence: bool,
    /// A response body larger than this is an error rather than a memory problem.
    pub max_response_body: usize,
    pub user_agent: String,
    /// Extra trusted CAs, a client certificate, or verification off (`[tls]`).
    pub tls: super::tls::TlsSettings,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            evidence_body_limit: 4096,
            evidence_max_exchanges: 1000,
            record_evidence: true,
            max_response_body: 8 * 1024 * 1024,
            user_agent: concat!("oauthspec/", env!("CARGO_PKG_VERSION")).to_owned(),
            tls: super::tls::TlsSettings::default(),
        }
    }
}

/// The body of a request.
#[derive(Clone, Debug, Default)]
pub enum RequestBody {
    #[default]
    Empty,
    /// `application/x-www-form-urlencoded`, in this order, duplicates kept.
    Form(Vec<(String, String)>),
    /// `application/json`.
    Json(serde_json::Value),
    /// Anything else, byte for byte (for malformed-request tests).
    Raw {
        content_type: Option<String>,
        bytes: Vec<u8>,
    },
}

impl RequestBody {
    pub fn content_type(&self) -> Option<&str> {
        match self {
            RequestBody::Empty => None,
            RequestBody::Form(_) => Some("application/x-www-form-urlencoded"),
            RequestBody::Json(_) => Some("application/json"),
            RequestBody::Raw { content_type, .. } => content_type.as_deref(),
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            RequestBody::Empty => Vec::new(),
            RequestBody::Form(pairs) => form_urlencode(pairs).into_bytes(),
            RequestBody::Json(v) => v.to_string().into_bytes(),
            RequestBody::Raw { bytes, .. } => bytes.clone(),
        }
    }
}

/// `application/x-www-form-urlencoded` serialisation of pairs, in order.
pub fn form_urlencode(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A request for the driver to send.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: reqwest::Method,
    pub url: Url,
    /// Extra headers, in order (e.g. `Authorization`, `Accept`).
    pub headers: Vec<(String, String)>,
    pub body: RequestBody,
    /// Overrides the driver's timeout for this request.
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    pub fn new(method: reqwest::Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: Vec::new(),
            body: RequestBody::Empty,
            timeout: None,
        }
    }

    pub fn get(url: Url) -> Self {
        Self::new(reqwest::Method::GET, url)
    }

    pub fn post(url: Url) -> Self {
        Self::new(reqwest::Method::POST, url)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    pub fn form(mut self, pairs: Vec<(String, String)>) -> Self {
        self.body = RequestBody::Form(pairs);
        self
    }

    pub fn json(mut self, value: serde_json::Value) -> Self {
        self.body = RequestBody::Json(value);
        self
    }

    pub fn raw_body(mut self, content_type: Option<&str>, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = RequestBody::Raw {
            content_type: content_type.map(str::to_owned),
            bytes: bytes.into(),
        };
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

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
type ReadAnswer = (
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
const HEAVY_WAIT: Duration = Duration::from_secs(5);

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

/// A cookie jar: one simulated browser. Clones share the jar; `Driver::new_browser` makes a
/// fresh one.
#[derive(Clone, Default)]
pub struct Browser {
    jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new() -> Self {
        Self::default()
    }

    /// The `Cookie` header this browser would send to `url`.
    pub fn cookie_header(&self, url: &Url) -> Option<String> {
        self.jar
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// Adds a cookie as if `url` had set it with `Set-Cookie: cookie`.
    pub fn add_cookie(&self, cookie: &str, url: &Url) {
        self.jar.add_cookie_str(cookie, url);
    }
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Browser { .. }")
    }
}

/// One recorded request and its answer, secrets redacted.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// `None` if no answer came (refused, timeout, connection error: see `error`).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub elapsed: Duration,
    pub error: Option<String>,
}

/// The evidence log: every exchange of a driver (and its clones), in order.
#[derive(Clone, Default)]
pub struct Evidence {
    inner: Arc<Mutex<EvidenceInner>>,
}

#[derive(Default)]
struct EvidenceInner {
    exchanges: Vec<Exchange>,
    dropped: usize,
}

impl Evidence {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, EvidenceInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, exchange: Exchange, max: usize) {
        let mut inner = self.lock();
        inner.exchanges.push(exchange);
        if inner.exchanges.len() > max {
            let excess = inner.exchanges.len() - max;
            inner.exchanges.drain(..excess);
            inner.dropped += excess;
        }
    }

    /// A copy of the exchanges recorded so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().exchanges.clone()
    }

    /// Exchanges recorded after the first `from` (to show one step's traffic).
    pub fn since(&self, from: usize) -> Vec<Exchange> {
        self.lock().exchanges.iter().skip(from).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lock().exchanges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.exchanges.clear();
        inner.dropped = 0;
    }

    /// Renders exchanges as HTTP transcripts.
    /// One exchange as a transcript, numbered `n`.
    pub fn render_one(n: usize, exchange: &Exchange) -> String {
        let mut out = String::new();
        render_exchange(&mut out, n, exchange);
        out
    }

    pub fn render(exchanges: &[Exchange]) -> String {
        let mut out = String::new();
        for (i, x) in exchanges.iter().enumerate() {
            render_exchange(&mut out, i + 1, x);
        }
        out
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Evidence({} exchanges)", self.len())
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        if inner.dropped > 0 {
            writeln!(f, "({} earlier exchanges not kept)", inner.dropped)?;
        }
        f.write_str(&Self::render(&inner.exchanges))
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        render_exchange(&mut out, 1, self);
        f.write_str(&out)
    }
}

fn render_exchange(out: &mut String, n: usize, x: &Exchange) {
    use std::fmt::Write as _;
    let outcome = match (x.status, &x.error) {
        (Some(s), _) => format!("{s} {}", reason_phrase(s)),
        (None, Some(e)) => format!("no answer: {e}"),
        (None, None) => "no answer".to_owned(),
    };
    let _ = writeln!(
        out,
        "── #{n} {} {} → {} ({} ms)",
        x.method,
        x.url,
        outcome.trim_end(),
        x.elapsed.as_millis()
    );
    let target = Url::parse(&x.url)
        .map(|u| {
            let mut t = u.path().to_owned();
            if let Some(q) = u.query() {
                t.push('?');
                t.push_str(q);
            }
            t
        })
        .unwrap_or_else(|_| x.url.clone());
    let _ = writeln!(out, "> {} {} HTTP/1.1", x.method, target);
    for (k, v) in &x.request_headers {
        let _ = writeln!(out, "> {k}: {v}");
    }
    if let Some(body) = &x.request_body {
        let _ = writeln!(out, ">");
        for line in body.lines() {
            let _ = writeln!(out, "> {line}");
        }
    }
    if let Some(status) = x.status {
        let _ = writeln!(out, "< HTTP/1.1 {status} {}", reason_phrase(status));
        for (k, v) in &x.response_headers {
            let _ = writeln!(out, "< {k}: {v}");
        }
        if let Some(body) = &x.response_body {
            let _ = writeln!(out, "<");
            for line in body.lines() {
                let _ = writeln!(out, "< {line}");
            }
        }
    }
    out.push('\n');
}

fn reason_phrase(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Redacts the secret query and fragment parameters of a URL.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    if let Some(redacted) = parsed
        .query()
        .filter(|q| query_has_secret(q))
        .map(redact_form)
    {
        parsed.set_query(Some(&redacted));
    }
    if let Some(redacted) = parsed
        .fragment()
        .filter(|f| f.contains('=') && query_has_secret(f))
        .map(redact_form)
    {
        parsed.set_fragment(Some(&redacted));
    }
    parsed.to_string()
}

fn query_has_secret(q: &str) -> bool {
    url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| is_secret_field(&k))
}

/// Redacts secret fields of an `application/x-www-form-urlencoded` string.
pub fn redact_form(body: &str) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| {
            let v = if is_secret_field(&k) {
                redact_value(&v)
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    form_urlencode(&pairs)
}

/// Redacts the string values of secret keys in JSON text. Works on the text itself, so it
/// keeps the server's formatting and copes with truncated or malformed JSON.
pub fn redact_json_text(text: &str) -> String {
    redact_json_capped(text, usize::MAX)
}

/// Appends at most what keeps `out` within `cap` bytes (on a char
/// boundary); whether `out` is now full.
fn push_capped(out: &mut String, s: &str, cap: usize) -> bool {
    let room = cap.saturating_sub(out.len());
    if s.len() <= room {
        out.push_str(s);
        return out.len() >= cap;
    }
    let mut cut = room;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(&s[..cut]);
    true
}

/// [`redact_json_text`] that stops once `cap` bytes of output are written:
/// a huge body costs `cap` bytes of memory, not its own size.
fn redact_json_capped(text: &str, cap: usize) -> String {
    // In a JWK or JWK Set, the private members (RFC 7518 §6.2.2, §6.3.2,
    // §6.4.1; RFC 8037 §2) are secrets too: a server that leaks its private
    // key must not have the harness leak it again into a report.
    let is_jwk = text.contains("\"kty\"");
    let is_secret = |key: &str| {
        is_secret_field(key)
            || (is_jwk && matches!(key, "d" | "p" | "q" | "dp" | "dq" | "qi" | "k" | "oth"))
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len().min(cap));
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        // A string starts at i: find its end.
        let Some(end) = string_end(bytes, i) else {
            break;
        };
        let key = &text[i + 1..end];
        // Is it a key followed by a string value?
        let mut j = end + 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b':' && is_secret(key) {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'"' {
                let value_end = string_end(bytes, j).unwrap_or(bytes.len());
                let value = &text[j + 1..value_end.max(j + 1)];
                if push_capped(&mut out, &text[copied..=j], cap)
                    || push_capped(&mut out, &redact_value(value), cap)
                {
                    return out;
                }
                copied = value_end.min(bytes.len());
                i = value_end + 1;
                continue;
            }
        }
        i = end + 1;
    }
    push_capped(&mut out, &text[copied.min(text.len())..], cap);
    out
}

/// The index of the closing quote of the JSON string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut k = start + 1;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 2,
            b'"' => return Some(k),
            _ => k += 1,
        }
    }
    None
}

/// Basic credentials with the password hidden and the user (the client id,
/// RFC 6749 §2.3.1, which is not a secret) shown, so evidence tells which
/// client a request came from.
fn redact_basic(cred: &str) -> String {
    use base64::Engine as _;
    let user = base64::engine::general_purpose::STANDARD
        .decode(cred)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(u, _)| u.to_owned()))
        .map(|u| {
            url::form_urlencoded::parse(format!("u={u}").as_bytes())
                .next()
                .map_or(u, |(_, v)| v.into_owned())
        });
    match user {
        Some(u) => format!("{REDACTED} (client_id {u:?}, secret redacted)"),
        None => REDACTED.to_owned(),
    }
}

/// Redacts a header value: credentials of `Authorization`, cookie values, and secret
/// parameters of a `Location`.
pub fn redact_header(name: &str, value: &str) -> String {
    let lname = name.to_ascii_lowercase();
    match lname.as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, cred)) if scheme.eq_ignore_ascii_case("basic") => {
                format!("{scheme} {}", redact_basic(cred.trim()))
            }
            Some((scheme, cred)) => format!("{scheme} {}", redact_value(cred.trim())),
            None => REDACTED.to_owned(),
        },
        "cookie" => value
            .split(';')
            .map(|c| match c.trim().split_once('=') {
                Some((n, _)) => format!("{n}={REDACTED}"),
                None => c.trim().to_owned(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => {
            let (first, rest) = value.split_once(';').unwrap_or((value, ""));
            let first = match first.split_once('=') {
                Some((n, _)) => format!("{}={REDACTED}", n.trim()),
                None => first.to_owned(),
            };
            if rest.is_empty() {
                first
            } else {
                format!("{first};{rest}")
            }
        }
        "location" | "content-location" => redact_url(value),
        _ => value.to_owned(),
    }
}

/// Redacts a body according to its content type, then truncates it to
/// `limit` bytes, saying how large it was. Memory stays near `limit` for any
/// body: JSON is redacted as it is scanned, other text cut first.
pub fn redact_body(content_type: Option<&str>, body: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let trimmed = text.trim_start();
    let redacted = if ct.contains("x-www-form-urlencoded") {
        redact_form(&text)
    } else if ct.contains("json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        redact_json_capped(&text, limit.saturating_add(4))
    } else {
        let mut out = String::new();
        push_capped(&mut out, &text, limit.saturating_add(4));
        out
    };
    truncate(redacted, limit, body.len())
}

/// `s` cut to `limit` bytes on a char boundary, with the body's full size
/// when anything was cut.
fn truncate(mut s: String, limit: usize, total: usize) -> String {
    if s.len() <= limit {
        return s;
    }
    let mut cut = limit;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s.push_str(&format!("… (cut; the body has {total} bytes)"));
    s.shrink_to_fit();
    s
}

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
        let body = request.body.bytes();
        let request_content_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone());
        let limit = self.config.evidence_body_limit;
        let mut exchange = Exchange {
            method: method.clone(),
            url: shown_url.clone(),
            request_headers: headers
                .iter()
                .map(|(k, v)| (k.clone(), redact_header(k, v)))
                .collect(),
            request_body: (!body.is_empty())
                .then(|| redact_body(request_content_type.as_deref(), &body, limit)),
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            elapsed: Duration::ZERO,
            error: None,
        };

        let refusal = if !matches!(request.url.scheme(), "http" | "https") {
            Some(DriverError::UnsupportedScheme {
                url: shown_url.clone(),
            })
        } else if !self.allowlist.allows(&request.url) {
            Some(DriverError::HostNotAllowed {
                host: HostPort::from_url(&request.url)
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "(no host)".into()),
                url: shown_url.clone(),
            })
        } else {
            None
        };
        if let Some(err) = refusal {
            exchange.error = Some(format!("not sent: {err}"));
            self.record(exchange);
            return Err(err);
        }

        let mut header_map = HeaderMap::new();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("host") {
                continue;
            }
            let name =
                HeaderName::from_bytes(k.as_bytes()).map_err(|e| DriverError::InvalidHeader {
                    name: k.clone(),
                    message: e.to_string(),
                })?;
            let value = HeaderValue::from_str(v).map_err(|e| DriverError::InvalidHeader {
                name: k.clone(),
                message: e.to_string(),
            })?;
            header_map.append(name, value);
        }
        let timeout = request.timeout.unwrap_or(self.config.timeout);
        let builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .headers(header_map)
            .timeout(timeout)
            .body(body);

        let started = Instant::now();
        let result = self.receive(builder, timeout, &method, &shown_url).await;
        exchange.elapsed = started.elapsed();
        match result {
            Ok((status, resp_headers, resp_body, heavy)) => {
                if let Some(b) = browser {
                    let mut cookies = resp_headers.get_all(reqwest::header::SET_COOKIE).iter();
                    b.jar.set_cookies(&mut cookies, &request.url);
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
                    exchange.response_body = Some(redact_body(ct, &resp_body, limit));
                }
                let elapsed = exchange.elapsed;
                self.record(exchange);
                Ok(HttpResponse {
                    status,
                    headers: resp_headers,
                    body: resp_body,
                    url: request.url,
                    elapsed,
                    heavy,
                })
            }
            Err(err) => {
                exchange.error = Some(err.to_string());
                self.record(exchange);
                Err(err)
            }
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
                    message: super::tls::explain(&e, &host, self.config.tls.identity.is_some())
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

/// The HTTP client every request of the harness goes through: no redirects followed (the
/// flows walk them), no retries, no proxy, the profile's timeout and TLS settings.
pub(crate) fn client_builder(config: &DriverConfig) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .no_proxy()
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

#[cfg(test)]
mod tests {
    #[test]
    fn jwk_private_members_are_redacted_only_in_jwks() {
        let jwks =
            r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"pub","d":"PRIVATE","k":"SHARED"}]}"#;
        let out = redact_json_text(jwks);
        assert!(!out.contains("PRIVATE") && !out.contains("SHARED"), "{out}");
        assert!(out.contains("\"x\":\"pub\""), "{out}");
        let other = r#"{"d":"kept","k":"kept"}"#;
        assert_eq!(redact_json_text(other), other);
    }

    use super::*;

    const JWT: &str =
        "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

    #[test]
    fn authorization_header_keeps_scheme_only() {
        assert_eq!(
            redact_header("Authorization", "Basic Y2xpZW50OnNlY3JldA=="),
            "Basic «redacted» (client_id \"client\", secret redacted)"
        );
        // A form-urlencoded client id is shown decoded; junk stays hidden.
        assert_eq!(
            redact_header("Authorization", "Basic YSUzQWIlMkZjOnM="),
            "Basic «redacted» (client_id \"a:b/c\", secret redacted)"
        );
        assert_eq!(
            redact_header("Authorization", "Basic !!!"),
            "Basic «redacted»"
        );
        let bearer = redact_header("authorization", &format!("Bearer {JWT}"));
        assert_eq!(bearer, "Bearer eyJhbGci…«redacted»");
        assert!(!bearer.contains("eyJzdWIi"));
        assert_eq!(
            redact_header("Authorization", "Bearer opaque-token-123"),
            "Bearer «redacted»"
        );
        assert_eq!(
            redact_header("Cookie", "sid=abc123; csrf=zzz"),
            "sid=«redacted»; csrf=«redacted»"
        );
        assert_eq!(
            redact_header("set-cookie", "sid=abc123; Path=/; HttpOnly"),
            "sid=«redacted»; Path=/; HttpOnly"
        );
        assert_eq!(
            redact_header("Accept", "application/json"),
            "application/json"
        );
    }

    #[test]
    fn form_bodies_lose_their_secrets_but_keep_the_rest() {
        let body = "grant_type=authorization_code&code=abc&code_verifier=verifier123456&client_secret=s3cr3t&client_id=app";
        let r = redact_body(
            Some("application/x-www-form-urlencoded"),
            body.as_bytes(),
            4096,
        );
        assert!(r.contains("grant_type=authorization_code"));
        assert!(r.contains("client_id=app"));
        assert!(!r.contains("verifier123456"));
        assert!(!r.contains("s3cr3t"));
        assert!(r.contains("code_verifier=%C2%ABredacted%C2%BB"));
        let r = redact_form("username=alice&password=alice-password&csrf_token=t");
        assert!(!r.contains("alice-password"));
        assert!(r.contains("username=alice"));
        assert!(r.contains("csrf_token=t"));
    }

    #[test]
    fn json_bodies_lose_their_secrets_even_when_truncated() {
        let body = format!(
            r#"{{"access_token": "{JWT}", "token_type":"Bearer","refresh_token":"rt-\"quoted\"-value","expires_in":300,"registration_access_token":"rat"}}"#
        );
        let r = redact_body(Some("application/json"), body.as_bytes(), 4096);
        assert!(
            r.contains(r#""access_token": "eyJhbGci…«redacted»""#),
            "{r}"
        );
        assert!(r.contains(r#""refresh_token":"«redacted»""#), "{r}");
        assert!(
            r.contains(r#""registration_access_token":"«redacted»""#),
            "{r}"
        );
        assert!(r.contains(r#""token_type":"Bearer""#));
        assert!(!r.contains("quoted"));
        assert!(!r.contains("eyJzdWIi"));
        // Truncated mid-secret: still nothing of the secret survives.
        let cut = r#"{"password": "hunter2-and-more"#;
        let r = redact_json_text(cut);
        assert!(!r.contains("hunter2"), "{r}");
        // Nested objects and arrays.
        let r = redact_json_text(r#"{"users":[{"name":"a","password":"p1"}],"token":"t"}"#);
        assert_eq!(
            r,
            r#"{"users":[{"name":"a","password":"«redacted»"}],"token":"«redacted»"}"#
        );
    }

    #[test]
    fn urls_lose_secret_parameters() {
        let u = redact_url("http://127.0.0.1:8765/callback#access_token=abc&state=xyz");
        assert!(!u.contains("abc"), "{u}");
        assert!(u.contains("state=xyz"));
        let u = redact_url("http://h/x?code=c1&state=s");
        assert_eq!(u, "http://h/x?code=c1&state=s");
    }

    #[test]
    fn a_huge_body_costs_the_limit_not_its_size() {
        let keys: Vec<String> = (0..50_000)
            .map(|i| {
                format!(r#"{{"kty":"RSA","kid":"k{i}","n":"{i:032x}","e":"AQAB","d":"private"}}"#)
            })
            .collect();
        let body = format!(r#"{{"keys":[{}]}}"#, keys.join(","));
        let r = redact_body(Some("application/json"), body.as_bytes(), 4096);
        assert!(r.capacity() < 8192, "{} bytes kept", r.capacity());
        assert!(
            !r.contains("private"),
            "private members are redacted before the cut"
        );
        assert!(r.ends_with(&format!("(cut; the body has {} bytes)", body.len())));
        let token = format!(
            r#"{{"access_token":"{}","token_type":"Bearer"}}"#,
            "a".repeat(5 << 20)
        );
        let r = redact_body(Some("application/json"), token.as_bytes(), 4096);
        assert!(
            r.contains(r#""token_type":"Bearer""#),
            "a huge secret is redacted, not cut: {r}"
        );
    }

    #[test]
    fn long_bodies_are_truncated_on_a_char_boundary() {
        let body = "é".repeat(3000);
        let r = redact_body(Some("text/html"), body.as_bytes(), 4096);
        assert!(r.len() < 4200);
        assert!(r.ends_with("(cut; the body has 6000 bytes)"), "{r}");
    }

    #[tokio::test]
    async fn requests_to_hosts_not_named_are_refused_before_sending() {
        // A listener that would record a connection if the driver contacted it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let allow = HostAllowlist::new([HostPort::new("127.0.0.1", port + 1)]);
        let driver = Driver::new(allow, DriverConfig::default()).unwrap();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/secret?token=abc")).unwrap();
        let err = driver.send(HttpRequest::get(url)).await.unwrap_err();
        assert!(
            matches!(err, DriverError::HostNotAllowed { ref host, .. } if host == &format!("127.0.0.1:{port}")),
            "{err}"
        );
        assert!(!err.to_string().contains("abc"), "{err}");
        // Nothing connected.
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the driver connected to a refused host");
        // The refusal is in the evidence.
        let ex = driver.evidence().exchanges();
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].status, None);
        assert!(ex[0].error.as_deref().unwrap().contains("not sent"));
        // Other schemes are refused too.
        let err = driver
            .send(HttpRequest::get(Url::parse("file:///etc/passwd").unwrap()))
            .await
            .unwrap_err();
        assert!(matches!(err, DriverError::UnsupportedScheme { .. }));
    }

    #[tokio::test]
    async fn a_slow_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accept and never answer.
        let _hold = tokio::spawn(async move {
            let (_sock, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let driver = Driver::new(
            HostAllowlist::new([HostPort::new("127.0.0.1", port)]),
            DriverConfig {
                timeout: Duration::from_millis(300),
                ..DriverConfig::default()
            },
        )
        .unwrap();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let started = Instant::now();
        let err = driver.send(HttpRequest::get(url)).await.unwrap_err();
        assert!(matches!(err, DriverError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
