//! The resource server (RFC 6750): `/api/profile` and `/api/notes`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::BearerError;
use crate::faults::Fault;
use crate::form::Params;
use crate::jwt::{AccessClaims, Expectations, Lax, TokenError, verify_access_token};
use crate::protocol::Scope;
use crate::state::AppState;

/// Verifies one of this server's access tokens: signature, claims, deny
/// list, and that its client still exists (RFC 7592 §2.3).
pub(crate) fn verify_access(state: &AppState, token: &str) -> Result<AccessClaims, TokenError> {
    verify_access_with(state, token, !state.fault(Fault::ExpNotChecked))
}

/// [`verify_access`], with `exp` enforced or (under a fault) not.
pub(crate) fn verify_access_with(
    state: &AppState,
    token: &str,
    check_exp: bool,
) -> Result<AccessClaims, TokenError> {
    let keys = state.keys();
    let expect = Expectations {
        issuer: &state.issuer,
        audience: &state.audience,
        now: state.clock.now(),
        check_exp,
        lax: lax(state),
    };
    let claims = verify_access_token(token, &keys, &expect)?;
    if state.is_revoked(&claims.jti) {
        return Err(TokenError::Revoked);
    }
    match state.store.client(&claims.client_id) {
        Ok(Some(_)) => Ok(claims),
        _ => Err(TokenError::Revoked),
    }
}

/// The verifier's checks that a fault turns off (none without faults).
fn lax(state: &AppState) -> Lax {
    if state.faults.is_empty() {
        return Lax::default();
    }
    let f = |x| state.fault(x);
    Lax {
        alg_none: f(Fault::AlgNoneAccepted),
        hmac_public_key: f(Fault::HmacPublicKeyAccepted),
        skip_signature: f(Fault::SignatureNotVerified),
        embedded_jwk: f(Fault::EmbeddedJwkTrusted),
        jku: f(Fault::JkuFollowed),
        kid_path: f(Fault::KidPathTraversal),
        ignore_crit: f(Fault::CritIgnored),
        ignore_typ: f(Fault::TypNotChecked),
        ignore_iss: f(Fault::IssNotChecked),
        ignore_aud: f(Fault::AudNotChecked),
        ignore_nbf: f(Fault::NbfNotChecked),
        exp_optional: f(Fault::ExpMissingAccepted),
    }
}

/// The RFC 6750 §3 error response, or under a fault one without its challenge.
pub(crate) fn bearer_error(state: &AppState, e: BearerError) -> Response {
    if state.fault(Fault::MalformedToken500)
        && let BearerError::InvalidToken(d) = &e
        && [
            TokenError::Malformed,
            TokenError::BadHeader,
            TokenError::BadClaims,
        ]
        .iter()
        .any(|m| *d == m.to_string())
    {
        // The classic: an unwrap on a token that does not parse.
        return crate::error::OAuthError::server_error("internal error").into_response();
    }
    let mut res = e.into_response();
    if state.fault(Fault::RsChallengeMissing) && res.status() == StatusCode::UNAUTHORIZED {
        res.headers_mut().remove(header::WWW_AUTHENTICATE);
    }
    res
}

/// Whether `t` has the `b64token` syntax of RFC 6750 §2.1.
fn is_b64token(t: &str) -> bool {
    let body = t.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// The one access token a request presents: in the `Authorization`
/// header (RFC 6750 §2.1), or in the form body (§2.2) at an endpoint that
/// takes one (`body`, already read from the body's `access_token`). The
/// query-string method of §2.3 is not supported (RFC 9700 §2.4). A token
/// sent in more than one way is `invalid_request` (§3.1).
pub(crate) fn presented_token(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Option<&str>,
) -> Result<String, BearerError> {
    let in_query = query
        .and_then(|q| Params::parse(q.as_bytes()).ok())
        .is_some_and(|p| p.has("access_token"));
    let values: Vec<_> = headers.get_all(header::AUTHORIZATION).iter().collect();
    let value = match values.as_slice() {
        [] => None,
        [one] => Some(one.to_str().map_err(|_| {
            BearerError::InvalidRequest("the Authorization header is not ASCII".into())
        })?),
        _ => {
            return Err(BearerError::InvalidRequest(
                "more than one Authorization header".into(),
            ));
        }
    };
    let in_header = value.and_then(|value| {
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        let scheme_ok = if state.fault(Fault::BearerSchemeCaseSensitive) {
            scheme == "Bearer"
        } else {
            scheme.eq_ignore_ascii_case("bearer")
        };
        scheme_ok.then(|| token.trim_start_matches(' '))
    });
    let both_ways = || {
        BearerError::InvalidRequest(
            "the token was sent in more than one way (RFC 6750 §3.1)".into(),
        )
    };
    match (in_header, body) {
        (Some(_), Some(_)) => Err(both_ways()),
        (Some(_), None) | (None, Some(_)) if in_query => Err(both_ways()),
        (Some(""), None) => Err(BearerError::InvalidRequest(
            "the Bearer credentials are empty".into(),
        )),
        (Some(token), None) | (None, Some(token)) => Ok(token.to_string()),
        (None, None) if in_query && values.is_empty() && state.fault(Fault::QueryTokenAccepted) => {
            Ok(query
                .and_then(|q| Params::parse(q.as_bytes()).ok())
                .and_then(|p| p.single("access_token").ok().flatten().map(str::to_owned))
                .unwrap_or_default())
        }
        (None, None) => Err(BearerError::Missing),
    }
}

/// Checks a presented token is one of this server's valid access tokens.
pub(crate) fn check_token(state: &AppState, token: &str) -> Result<AccessClaims, BearerError> {
    if !is_b64token(token) {
        return Err(BearerError::InvalidToken(
            "the token has characters a bearer token cannot have".into(),
        ));
    }
    verify_access(state, token).map_err(|e| BearerError::InvalidToken(e.to_string()))
}

/// Takes the token from the `Authorization` header only, and checks it
/// grants `needed`.
fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    needed: &str,
) -> Result<AccessClaims, BearerError> {
    let token = presented_token(state, headers, query, None)?;
    let claims = check_token(state, &token)?;
    let granted = Scope::parse(&claims.scope).unwrap_or_default();
    if !granted.contains(needed) && !state.fault(Fault::RsScopeIgnored) {
        if state.fault(Fault::RsInsufficientScope401) {
            return Err(BearerError::InvalidToken("insufficient scope".into()));
        }
        return Err(BearerError::InsufficientScope(needed.to_string()));
    }
    Ok(claims)
}

/// `GET /api/profile` (scope `profile`).
pub async fn profile(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    match authorize(&state, &headers, q.as_deref(), "profile") {
        Ok(c) => Json(json!({ "sub": c.sub, "client_id": c.client_id, "scope": c.scope }))
            .into_response(),
        Err(e) => bearer_error(&state, e),
    }
}

/// `GET /api/notes` (scope `notes:read`): the subject's notes.
pub async fn list_notes(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let claims = match authorize(&state, &headers, q.as_deref(), "notes:read") {
        Ok(c) => c,
        Err(e) => return bearer_error(&state, e),
    };
    match state.store.notes(&claims.sub) {
        Ok(notes) => Json(json!({ "notes": notes })).into_response(),
        Err(e) => crate::error::OAuthError::server_error(e.to_string()).into_response(),
    }
}

/// `POST /api/notes` (scope `notes:write`) with `{"text": "..."}`.
pub async fn add_note(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // A body over the limit gets the same JSON 413 as every other endpoint,
    // not axum's plain-text rejection.
    let body = match body {
        Ok(b) => b,
        Err(rejection) => return crate::form::body_error(rejection).into_response(),
    };
    let claims = match authorize(&state, &headers, q.as_deref(), "notes:write") {
        Ok(c) => c,
        Err(e) => return bearer_error(&state, e),
    };
    let bad = |d: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_request", "error_description": d})),
        )
            .into_response()
    };
    let text = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => match v.get("text").and_then(|t| t.as_str()) {
            Some(t) if !t.is_empty() && t.chars().count() <= 1000 => t.to_string(),
            _ => return bad("the body must be {\"text\": \"...\"} with 1 to 1000 characters"),
        },
        Err(_) => return bad("the body must be JSON"),
    };
    match state.store.add_note(&claims.sub, &text, state.clock.now()) {
        Ok(note) => (StatusCode::CREATED, Json(note)).into_response(),
        Err(e) => crate::error::OAuthError::server_error(e.to_string()).into_response(),
    }
}
