//! "Log in with NAME": the login page's way out to an upstream OpenID
//! provider, the callback it comes back to, and the way back to the client
//! when that login failed (see [`crate::upstream`]).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde_json::json;

use super::authorize::{cookie, error_redirect, posted_form, see_other};
use crate::error::{ErrorCode, OAuthError};
use crate::faults::Fault;
use crate::form::{Form, Params};
use crate::interaction::Interaction;
use crate::pages::{error_page, render};
use crate::state::AppState;
use crate::upstream::{
    self, CALLBACK_PATH, Callback, Checks, LOGIN_COOKIE, LoginError, UpstreamSettings,
};

fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.issuer)
}

/// The page a user sees when a login through `provider` failed: what went
/// wrong, and a button back to the client, which is then told
/// `access_denied` (or `temporarily_unavailable`).
fn failure_page(
    state: &AppState,
    ix: Option<&Interaction>,
    provider: &str,
    err: &LoginError,
) -> Response {
    let code = err.client_error();
    let description = format!("login with {provider} failed: {err}");
    tracing::info!(provider, error = %err, "upstream login refused");
    if let Some(ix) = ix {
        state
            .upstreams
            .note_failure(&ix.id, code, description.clone());
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::FORBIDDEN);
    render(
        &state.templates,
        "upstream_error.html",
        status,
        context! {
            provider, error => code.as_str(), description,
            id => ix.map(|i| i.id.clone()), csrf_token => ix.map(|i| i.csrf_token.clone()),
            client_name => ix.map(|i| i.client_name.clone().unwrap_or_else(|| i.client_id.to_string())),
        },
    )
}

fn with_cookie(mut res: Response, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `POST /interaction/{id}/upstream/{name}`: sends the browser to the
/// provider with a fresh `state`, `nonce` and PKCE challenge (OpenID Connect
/// Core §3.1.2.1, RFC 7636 §4.3), bound to this browser by a cookie.
pub async fn start(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let (ix, _) = match posted_form(&state, &id, &headers, form) {
        Ok(posted) => posted,
        Err(res) => return res,
    };
    let Some(settings) = state.upstreams.get(&name) else {
        return error_page(
            &state.templates,
            StatusCode::NOT_FOUND,
            "invalid_request",
            "no such upstream provider",
        );
    };
    let meta = match upstream::discover(&state.http, &settings).await {
        Ok(m) => m,
        Err(e) => return failure_page(&state, Some(&ix), &name, &e),
    };
    let now = state.clock.now();
    let (url, login) = match upstream::authorization_url(
        &meta,
        &settings,
        &redirect_uri(&state),
        &ix.id,
        &name,
        now,
    ) {
        Ok(x) => x,
        Err(e) => return failure_page(&state, Some(&ix), &name, &e),
    };
    let session = match state.upstreams.begin(login, now) {
        Ok(s) => s,
        Err(full) => return failure_page(&state, Some(&ix), &name, &LoginError::from(full)),
    };
    with_cookie(
        see_other(&url),
        &format!("{LOGIN_COOKIE}={session}; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax"),
    )
}

/// `GET /upstream/callback`: checks the provider's answer, exchanges the
/// code, validates the ID token, and on success logs the interaction's
/// user in as `NAME:SUB` and goes on to consent.
pub async fn callback(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let clear = format!("{LOGIN_COOKIE}=; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=0");
    let now = state.clock.now();
    let login = cookie(&headers, LOGIN_COOKIE).and_then(|s| state.upstreams.take(s, now));
    let Some(login) = login else {
        return failure_page(&state, None, "the provider", &LoginError::NoPendingLogin);
    };
    let Some(ix) = state.interactions.get(&login.interaction, now) else {
        return error_page(
            &state.templates,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "this login has expired or does not exist; start again from the application",
        );
    };
    let Some(settings): Option<UpstreamSettings> = state.upstreams.get(&login.provider) else {
        return failure_page(
            &state,
            Some(&ix),
            &login.provider,
            &LoginError::Discovery("the provider is no longer configured".into()),
        );
    };
    let params = Params::parse(query.unwrap_or_default().as_bytes()).unwrap_or(Params(Vec::new()));
    let get = |n: &str| params.single(n).ok().flatten().map(str::to_owned);
    let answer = Callback {
        state: get("state"),
        code: get("code"),
        error: get("error"),
        error_description: get("error_description"),
    };
    let checks = Checks {
        state: !state.fault(Fault::UpstreamStateNotChecked),
        signature: !state.fault(Fault::UpstreamIdTokenSignatureNotVerified),
        nonce: !state.fault(Fault::UpstreamNonceIgnored),
    };
    let result = upstream::finish(
        &state.http,
        &settings,
        &login,
        &answer,
        &redirect_uri(&state),
        checks,
    )
    .await;
    let res = match result {
        Ok(user) => {
            state
                .interactions
                .set_user(&ix.id, &user.local_username(), state.clock.now());
            see_other(&format!("/interaction/{}/consent", ix.id))
        }
        Err(e) => failure_page(&state, Some(&ix), &login.provider, &e),
    };
    with_cookie(res, &clear)
}

/// `POST /interaction/{id}/abort`: the user goes back to the client, which
/// is told why (RFC 6749 §4.1.2.1): the failed upstream login's error, or
/// `access_denied` when the user just gave up.
pub async fn abort(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    if let Err(res) = posted_form(&state, &id, &headers, form) {
        return res;
    }
    let Some(ix) = state.interactions.take(&id, state.clock.now()) else {
        return error_page(
            &state.templates,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "this login has already finished",
        );
    };
    let (code, description) = state.upstreams.take_failure(&id).unwrap_or((
        ErrorCode::AccessDenied,
        "the user cancelled the login".into(),
    ));
    error_redirect(
        &state,
        &ix.redirect_uri,
        ix.state.as_deref(),
        OAuthError::new(code, description),
    )
}

/// `PUT /__admin/upstreams/{name}` (test-admin only): configures a provider
/// at run time, with the body of an `[upstream.NAME]` table as JSON.
pub async fn admin_put(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Result<Json<UpstreamSettings>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(settings) = match body {
        Ok(b) => b,
        Err(e) => return OAuthError::invalid_request(e.body_text()).into_response(),
    };
    if let Err(m) = settings.validate(&name) {
        return OAuthError::invalid_request(m).into_response();
    }
    state.upstreams.put(&name, settings);
    Json(json!({ "name": name, "redirect_uri": redirect_uri(&state) })).into_response()
}

/// `DELETE /__admin/upstreams/{name}` (test-admin only).
pub async fn admin_delete(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    if state.upstreams.remove(&name) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        OAuthError::invalid_request("no such upstream provider")
            .with_status(StatusCode::NOT_FOUND)
            .into_response()
    }
}
