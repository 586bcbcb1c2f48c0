//! Errors whose variants are the RFCs' error codes, and how each is
//! written on the wire.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7591 §3.2.2, RFC 7009
/// §2.2.1, together with the HTTP status each is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    UnsupportedTokenType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    InvalidRedirectUri,
    InvalidClientMetadata,
    InvalidToken,
    /// OpenID Connect Core §3.1.2.6: `prompt=none` and no login session.
    LoginRequired,
    /// OpenID Connect Core §3.1.2.6: `prompt=none`, a login session, and no
    /// consent given yet to this client for this scope.
    ConsentRequired,
    /// OpenID Connect Core §3.1.2.6: the `request` parameter is not supported.
    RequestNotSupported,
    /// OpenID Connect Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
        }
    }
}

/// An OAuth error response: RFC 6749 §5.2 JSON body, `Cache-Control:
/// no-store`, and for `invalid_client` a 401 with a `WWW-Authenticate`
/// challenge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    pub status: StatusCode,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        let status = match code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            code,
            description: sanitize_description(&description.into()),
            status,
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }
    pub fn server_error(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServerError, d)
    }
}

/// Keeps an `error_description` inside the characters RFC 6749 §5.2 allows
/// (`%x20-21 / %x23-5B / %x5D-7E`): no CR, LF, quote or backslash.
pub fn sanitize_description(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if (' '..='~').contains(&c) => c,
            _ => ' ',
        })
        .collect()
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    error_description: &'a str,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorBody {
            error: self.code.as_str(),
            error_description: &self.description,
        })
        .unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.code == ErrorCode::InvalidClient {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauthspec\", charset=\"UTF-8\""),
            );
        }
        res
    }
}

/// Errors at a protected resource (RFC 6750 §3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// No credentials at all: a bare challenge, no error code (RFC 6750 §3.1).
    #[error("no access token")]
    Missing,
    /// Malformed request, e.g. two ways of sending a token (400).
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// Expired, revoked, malformed or forged token (401).
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    /// The token lacks the scope the resource needs (403).
    #[error("insufficient_scope: needs {0}")]
    InsufficientScope(String),
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge, body) = match &self {
            BearerError::Missing => (
                StatusCode::UNAUTHORIZED,
                "Bearer realm=\"oauthspec\"".to_string(),
                None,
            ),
            BearerError::InvalidRequest(d) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "Bearer realm=\"oauthspec\", error=\"invalid_request\", error_description=\"{}\"",
                    sanitize_description(d)
                ),
                Some(("invalid_request", d.as_str())),
            ),
            BearerError::InvalidToken(d) => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "Bearer realm=\"oauthspec\", error=\"invalid_token\", error_description=\"{}\"",
                    sanitize_description(d)
                ),
                Some(("invalid_token", d.as_str())),
            ),
            BearerError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                format!(
                    "Bearer realm=\"oauthspec\", error=\"insufficient_scope\", scope=\"{}\"",
                    sanitize_description(scope)
                ),
                Some((
                    "insufficient_scope",
                    "the access token lacks the scope this resource needs",
                )),
            ),
        };
        let mut res = match body {
            Some((error, description)) => (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_vec(&serde_json::json!({
                    "error": error,
                    "error_description": sanitize_description(description),
                }))
                .unwrap_or_default(),
            )
                .into_response(),
            None => status.into_response(),
        };
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_lose_forbidden_characters() {
        assert_eq!(sanitize_description("a\r\nb\"c\\d"), "a  b'c/d");
    }

    #[test]
    fn invalid_client_is_401_with_challenge() {
        let res = OAuthError::invalid_client("bad secret").into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    }
}
