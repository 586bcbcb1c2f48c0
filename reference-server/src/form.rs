//! Request parameters, parsed strictly.
//!
//! `application/x-www-form-urlencoded` bodies and query strings are decoded
//! by hand rather than into a struct, so that a repeated parameter can be
//! refused (RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT
//! be included more than once") and invalid UTF-8 is an error rather than a
//! silent replacement character.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};

use crate::error::{ErrorCode, OAuthError};

/// Most bytes any request body may have (larger ones get 413).
pub const MAX_BODY: usize = 64 * 1024;

/// Decoded `name=value` pairs, in order, duplicates kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Decodes a form-urlencoded string: `+` is a space, `%XX` a byte, and
    /// the bytes must be UTF-8.
    pub fn parse(input: &[u8]) -> Result<Self, OAuthError> {
        let mut out = Vec::new();
        for pair in input.split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            out.push((decode(name)?, decode(value)?));
        }
        Ok(Self(out))
    }

    /// The one value of `name`. An empty value counts as absent
    /// (RFC 6749 §3.1); a repeated name is `invalid_request`.
    pub fn single(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut found = None;
        for (n, v) in &self.0 {
            if n == name {
                if found.is_some() {
                    return Err(OAuthError::invalid_request(format!(
                        "parameter {name} is repeated (RFC 6749 §3.1)"
                    )));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }

    /// The one value of `name`, which must be there.
    pub fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.single(name)?
            .ok_or_else(|| OAuthError::invalid_request(format!("parameter {name} is missing")))
    }

    /// The first parameter name that appears more than once.
    pub fn first_duplicate(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(i, (n, _))| self.0[..*i].iter().any(|(m, _)| m == n))
            .map(|(_, (n, _))| n.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

fn decode(raw: &[u8]) -> Result<String, OAuthError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes)
        .map_err(|_| OAuthError::invalid_request("parameters are not valid UTF-8"))
}

pub(crate) fn body_error(rejection: axum::extract::rejection::BytesRejection) -> OAuthError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        OAuthError::invalid_request(format!("request body is larger than {MAX_BODY} bytes"))
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    } else {
        OAuthError::invalid_request("could not read the request body")
    }
}

fn content_type_is(req: &Request, expected: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(expected))
}

/// A POST body in `application/x-www-form-urlencoded`, as the token,
/// revocation and introspection endpoints require (RFC 6749 §4.1.3,
/// RFC 7009 §2.1, RFC 7662 §2.1).
pub struct Form(pub Params);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, OAuthError> {
        if !content_type_is(&req, "application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        Params::parse(&bytes).map(Form)
    }
}

/// A JSON object body, as client registration takes (RFC 7591 §3.1).
pub struct JsonObject(pub serde_json::Map<String, serde_json::Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, OAuthError> {
        let bad = |d: &str| OAuthError::new(ErrorCode::InvalidClientMetadata, d);
        if !content_type_is(&req, "application/json") {
            return Err(bad("the body must be application/json"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(bad("the body must be a JSON object")),
            Err(e) => Err(bad(&format!("the body is not valid JSON: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_finds_duplicates() {
        let p = Params::parse(b"a=1&b=x+y%21&a=2&c=").unwrap();
        assert_eq!(p.single("b").unwrap(), Some("x y!"));
        assert!(p.single("a").is_err());
        assert_eq!(p.single("c").unwrap(), None);
        assert_eq!(p.first_duplicate(), Some("a"));
        assert!(Params::parse(b"a=%ff").is_err());
    }
}
