//! A request for the driver to send, and its body.

use std::time::Duration;

use url::Url;

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
