//! The UserInfo endpoint (OpenID Connect Core §5.3): `GET` and `POST
//! /userinfo`, an OAuth 2.0 protected resource (RFC 6750) that answers with
//! the claims the access token's scope asks for (§5.4).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{BearerError, OAuthError};
use crate::faults::Fault;
use crate::form::Params;
use crate::id_token::OPENID;
use crate::protocol::Scope;
use crate::routes::no_store;
use crate::routes::resource::{bearer_error, check_token, presented_token};
use crate::state::AppState;
use crate::user_claims;

/// `GET /userinfo` (Core §5.3.1): the token in the `Authorization` header.
pub async fn get(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(&state, &headers, q.as_deref(), None)
}

/// `POST /userinfo` (Core §5.3.1: "MUST support the use of the HTTP GET
/// and HTTP POST methods"): the token in the header, or as the
/// `access_token` parameter of a form body (RFC 6750 §2.2).
pub async fn post(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if state.fault(Fault::UserinfoPostRefused) {
        return OAuthError::invalid_request("method not allowed on this endpoint")
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
            .into_response();
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let mut res = crate::form::body_error(rejection).into_response();
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"oauthspec\", error=\"invalid_request\""),
            );
            return res;
        }
    };
    // RFC 6750 §2.2: the body parameter only in a form-encoded body.
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let form_token = if is_form {
        let read = Params::parse(&body)
            .and_then(|p| p.single("access_token").map(|t| t.map(str::to_owned)));
        match read {
            Ok(t) => t,
            Err(e) => return bearer_error(&state, BearerError::InvalidRequest(e.description)),
        }
    } else {
        None
    };
    answer(&state, &headers, q.as_deref(), form_token.as_deref())
}

/// The UserInfo response (Core §5.3.2), or the RFC 6750 §3 error.
fn answer(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Option<&str>,
) -> Response {
    let token = match presented_token(state, headers, query, body) {
        Ok(t) => t,
        Err(e) => return bearer_error(state, e),
    };
    let (sub, scope, asked) = if state.fault(Fault::UserinfoTokenNotChecked) {
        // Fault: whatever the token, alice's claims.
        (
            "alice".to_string(),
            Scope::from_tokens([OPENID, "profile", "email"]),
            Vec::new(),
        )
    } else {
        match check_token(state, &token) {
            Ok(claims) => (
                claims.sub,
                Scope::parse(&claims.scope).unwrap_or_default(),
                // Claims asked for by name (Core §5.5), kept in the token.
                claims
                    .userinfo_claims
                    .split(' ')
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            ),
            Err(e) => return bearer_error(state, e),
        }
    };
    // Core §5.3: the access token was obtained by an OpenID Connect
    // authentication request, so it holds openid.
    if !scope.contains(OPENID) {
        return bearer_error(state, BearerError::InsufficientScope(OPENID.into()));
    }
    let mut claims = user_claims::claims(&sub, user_claims::for_scope(&scope, &asked));
    if state.fault(Fault::UserinfoSubMismatch) {
        claims.insert("sub".into(), format!("{sub}-x").into());
    }
    no_store(Json(serde_json::Value::Object(claims)).into_response())
}
