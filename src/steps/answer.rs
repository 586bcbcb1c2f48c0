//! [`Answer`]: one HTTP answer as the steps judge it, whatever endpoint it
//! came from (a resource, introspection, revocation, registration, a
//! metadata document), or the fact that none came.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::driver::flow::{Challenge, EndpointResponse, parse_www_authenticate};
use crate::driver::http::{DriverError, HttpResponse, redact_body};

/// Bodies longer than this are kept truncated (the length is remembered).
const KEPT_BODY: usize = 256 * 1024;

/// What came back for one request.
#[derive(Clone, Debug)]
pub struct Answer {
    /// `METHOD url` of the request, for findings.
    pub request: String,
    /// `None` when no answer came (see `no_answer`).
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    /// The body, at most 256 KiB of it.
    pub body: Vec<u8>,
    /// The body's full length.
    pub body_len: usize,
    /// Why nothing came back (timeout, connection refused, host not allowed).
    pub no_answer: Option<String>,
}

fn headers_of(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn kept(body: &[u8]) -> Vec<u8> {
    body[..body.len().min(KEPT_BODY)].to_vec()
}

impl Answer {
    pub fn of(request: impl Into<String>, res: &HttpResponse) -> Self {
        Answer {
            request: request.into(),
            status: Some(res.status),
            headers: headers_of(&res.headers),
            body: kept(&res.body),
            body_len: res.body.len(),
            no_answer: None,
        }
    }

    pub fn of_endpoint<T>(request: impl Into<String>, res: &EndpointResponse<T>) -> Self {
        Answer {
            request: request.into(),
            status: Some(res.status),
            headers: headers_of(&res.headers),
            body: kept(&res.body),
            body_len: res.body.len(),
            no_answer: None,
        }
    }

    pub fn none(request: impl Into<String>, error: &DriverError) -> Self {
        Answer {
            request: request.into(),
            status: None,
            headers: Vec::new(),
            body: Vec::new(),
            body_len: 0,
            no_answer: Some(error.to_string()),
        }
    }

    /// A 2xx answer.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    pub fn status_is(&self, status: u16) -> bool {
        self.status == Some(status)
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        if self.body_len > self.body.len() {
            return None;
        }
        serde_json::from_slice(&self.body).ok()
    }

    /// A string member of a JSON body.
    pub fn member_str(&self, name: &str) -> Option<String> {
        self.json()
            .and_then(|v| v.get(name).and_then(Value::as_str).map(str::to_owned))
    }

    /// The `error` member of an RFC 6749 §5.2 error body.
    pub fn error_code(&self) -> Option<String> {
        self.member_str("error")
    }

    /// Every challenge of every `WWW-Authenticate` header.
    pub fn challenges(&self) -> Vec<Challenge> {
        self.header_all("www-authenticate")
            .into_iter()
            .flat_map(parse_www_authenticate)
            .collect()
    }

    /// The first challenge with this auth scheme (case-insensitive).
    pub fn challenge(&self, scheme: &str) -> Option<Challenge> {
        self.challenges()
            .into_iter()
            .find(|c| c.scheme.eq_ignore_ascii_case(scheme))
    }

    /// Whether a header holds this directive (e.g. `Cache-Control: no-store`).
    pub fn has_directive(&self, header: &str, directive: &str) -> bool {
        self.header_all(header).iter().any(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case(directive))
        })
    }

    /// One line saying what came back: status, challenge, body excerpt
    /// (secrets redacted), for findings.
    pub fn describe(&self) -> String {
        let Some(status) = self.status else {
            return format!(
                "no answer to {} ({})",
                self.request,
                self.no_answer.as_deref().unwrap_or("no reason given")
            );
        };
        let www = self.header_all("www-authenticate");
        let challenge = if www.is_empty() {
            "no WWW-Authenticate".to_owned()
        } else {
            format!("WWW-Authenticate: {}", www.join(" | "))
        };
        let body = if self.body.is_empty() {
            "empty body".to_owned()
        } else {
            let shown = redact_body(self.content_type(), &self.body, 300).replace('\n', " ");
            if self.body_len > self.body.len() {
                format!("body ({} bytes) {shown}", self.body_len)
            } else {
                format!("body {shown}")
            }
        };
        format!("{status}, {challenge}, {body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
        Answer {
            request: "GET http://h/r".into(),
            status: Some(status),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
            body_len: body.len(),
            no_answer: None,
        }
    }

    #[test]
    fn reads_errors_challenges_and_directives() {
        let a = answer(
            401,
            &[
                ("WWW-Authenticate", "Bearer error=\"invalid_token\""),
                ("Cache-Control", "private, no-store"),
            ],
            r#"{"error":"invalid_token","access_token":"secret-value"}"#,
        );
        assert_eq!(a.error_code().as_deref(), Some("invalid_token"));
        assert_eq!(
            a.challenge("bearer")
                .and_then(|c| c.param("error").map(str::to_owned)),
            Some("invalid_token".into())
        );
        assert!(a.has_directive("cache-control", "no-store"));
        let line = a.describe();
        assert!(line.starts_with("401, WWW-Authenticate: Bearer"), "{line}");
        assert!(!line.contains("secret-value"), "{line}");
    }

    #[test]
    fn describes_a_missing_answer_and_a_long_body() {
        let a = Answer {
            no_answer: Some("timed out".into()),
            status: None,
            ..answer(200, &[], "")
        };
        assert_eq!(a.describe(), "no answer to GET http://h/r (timed out)");
        let mut long = answer(200, &[], "x");
        long.body_len = 5_000_000;
        assert!(long.describe().contains("(5000000 bytes)"));
        assert!(long.json().is_none());
    }
}
