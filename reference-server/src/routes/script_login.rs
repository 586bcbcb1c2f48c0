//! `POST /interaction/{id}/api/login`: the JSON login behind the script
//! login page (`login_page = "script"`), the shape of single-page-app
//! logins: `{"username", "password"}` with the page's CSRF token in
//! `X-CSRF-Token`, answered `{"next": "/interaction/{id}/consent"}`. Only
//! served with the script page; errors are JSON in the RFC 6749 §5.2 shape.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::authorize::{BROWSER_COOKIE, cookie, ct_eq, verify_password};
use crate::config::LoginPage;
use crate::error::{ErrorCode, OAuthError};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    username: String,
    password: String,
}

fn refuse(status: StatusCode, code: ErrorCode, d: &str) -> Response {
    OAuthError::new(code, d).with_status(status).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.login_page != LoginPage::Script {
        return refuse(
            StatusCode::NOT_FOUND,
            ErrorCode::InvalidRequest,
            "no such endpoint: this server's login page is a form",
        );
    }
    let Some(ix) = state.interactions.get(&id, state.clock.now()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            "this login has expired or does not exist; start again from the application",
        );
    };
    if !cookie(&headers, BROWSER_COOKIE).is_some_and(|c| ct_eq(c, &ix.browser)) {
        return refuse(
            StatusCode::FORBIDDEN,
            ErrorCode::InvalidRequest,
            "this login was started in another browser",
        );
    }
    let csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if !csrf.is_some_and(|t| ct_eq(t, &ix.csrf_token)) {
        return refuse(
            StatusCode::FORBIDDEN,
            ErrorCode::InvalidRequest,
            "the X-CSRF-Token header is missing or wrong",
        );
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::InvalidRequest,
            "send the credentials as application/json",
        );
    }
    let Ok(creds) = serde_json::from_slice::<Credentials>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            "the body must be {\"username\": \"…\", \"password\": \"…\"}",
        );
    };
    let known = state.users.get(&creds.username).cloned();
    let is_known = known.is_some();
    if verify_password(&state, known, creds.password).await && is_known {
        let now = state.clock.now();
        let session = super::authorize::start_session(&state, &headers, &creds.username, now);
        state.interactions.log_in(
            &id,
            &creds.username,
            now,
            session.as_ref().map(|(_, key)| key.clone()),
        );
        let next = format!("/interaction/{id}/consent");
        let mut res = (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({ "next": next })),
        )
            .into_response();
        if let Some((cookie, _)) = session {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        res
    } else {
        refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AccessDenied,
            "invalid username or password",
        )
    }
}
