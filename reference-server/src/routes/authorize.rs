//! The authorization endpoint (RFC 6749 §4.1.1) and the login and consent
//! pages behind it.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use subtle::ConstantTimeEq;

use crate::error::{ErrorCode, OAuthError};
use crate::faults::Fault;
use crate::form::{Form, Params};
use crate::interaction::Interaction;
use crate::pages::{error_page, render};
use crate::protocol::{GrantType, Scope, is_valid_s256_challenge};
use crate::secrets::{SecretHash, random_id, random_token};
use crate::session::{SESSION_COOKIE, Session};
use crate::state::AppState;
use crate::store::{CodeRecord, GrantRecord};

pub(crate) const BROWSER_COOKIE: &str = "oauthspec_browser";

/// The longest `state` the authorization endpoint takes (bytes). RFC 6749
/// sets no limit; clients that pack a signed JWT into it stay well under.
pub const MAX_STATE: usize = 4096;

/// A 303 to `location`.
pub(crate) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            res.headers_mut().insert(header::LOCATION, v);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(_) => OAuthError::server_error("unencodable redirect").into_response(),
    }
}

/// Sends the authorization response to the client's redirect URI, keeping
/// any query the registered URI has (RFC 6749 §3.1.2) and adding `iss`
/// (RFC 9207 §2).
fn redirect_to_client(
    state: &AppState,
    redirect_uri: &str,
    params: &[(&str, &str)],
    client_state: Option<&str>,
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return error_page(
            &state.templates,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unusable redirect URI",
        );
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = client_state.filter(|_| !state.fault(Fault::StateNotEchoed)) {
            q.append_pair("state", s);
        }
        if !state.fault(Fault::IssMissing) {
            q.append_pair("iss", &state.issuer);
        }
    }
    see_other(url.as_str())
}

pub(crate) fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    client_state: Option<&str>,
    err: OAuthError,
) -> Response {
    redirect_to_client(
        state,
        redirect_uri,
        &[
            ("error", err.code.as_str()),
            ("error_description", &err.description),
        ],
        client_state,
    )
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Every authorization request parameter this server reads or knows it
/// may ignore (RFC 6749 §4.1.1, RFC 7636, RFC 8707, OpenID Connect Core
/// §3.1.2.1, §5.5, §6): the `unknown-parameter-refused` fault refuses
/// any other.
const KNOWN_PARAMETERS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
    "response_mode",
    "nonce",
    "display",
    "prompt",
    "max_age",
    "ui_locales",
    "claims_locales",
    "id_token_hint",
    "login_hint",
    "acr_values",
    "claims",
    "request",
    "request_uri",
];

/// `GET /authorize`: the request's parameters in the query.
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    authorization_request(state, query.unwrap_or_default().as_bytes(), &headers)
}

/// `POST /authorize`: the request's parameters form-encoded in the body
/// (OpenID Connect Core §3.1.2.1: "Authorization Servers MUST support the
/// use of the HTTP GET and POST methods [...] at the Authorization
/// Endpoint"; "If using the HTTP POST method, the request parameters are
/// serialized using Form Serialization").
pub async fn authorize_post(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if state.fault(Fault::AuthorizePostRefused) {
        return super::method_not_allowed().await;
    }
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return error_page(
            &state.templates,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a POST to the authorization endpoint carries its parameters as application/x-www-form-urlencoded",
        );
    }
    authorization_request(state, &body, &headers)
}

/// The authorization request, whichever way its parameters came.
fn authorization_request(state: AppState, raw: &[u8], headers: &HeaderMap) -> Response {
    let page = |status, error: &str, d: &str| error_page(&state.templates, status, error, d);
    let params = match Params::parse(raw) {
        Ok(p) => p,
        Err(e) => return page(StatusCode::BAD_REQUEST, "invalid_request", &e.description),
    };
    // Until client and redirect URI are verified, errors are shown here and
    // never redirected (RFC 6749 §4.1.2.1).
    let client_id = match params.single("client_id") {
        Ok(Some(id)) => id,
        Ok(None) => {
            return page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_id is missing",
            );
        }
        Err(e) => return page(StatusCode::BAD_REQUEST, "invalid_request", &e.description),
    };
    let client = match state.store.client(client_id) {
        Ok(Some(c)) => c,
        Ok(None) => return page(StatusCode::BAD_REQUEST, "invalid_client", "unknown client"),
        Err(e) => {
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &e.to_string(),
            );
        }
    };
    let (redirect_uri, redirect_uri_in_request) = match params.single("redirect_uri") {
        Err(e) => return page(StatusCode::BAD_REQUEST, "invalid_request", &e.description),
        // Exact string comparison (RFC 9700 §4.1.3).
        Ok(Some(uri)) if client.metadata.redirect_uris.iter().any(|r| r == uri) => {
            (uri.to_string(), true)
        }
        Ok(Some(uri))
            if state.fault(Fault::RedirectUriPrefixMatch)
                && client
                    .metadata
                    .redirect_uris
                    .iter()
                    .any(|r| uri.starts_with(r.as_str())) =>
        {
            (uri.to_string(), true)
        }
        Ok(Some(uri)) if state.fault(Fault::ErrorRedirectUnregistered) => {
            return error_redirect(
                &state,
                uri,
                params.single("state").ok().flatten(),
                OAuthError::invalid_request("redirect_uri is not registered"),
            );
        }
        Ok(Some(_)) => {
            return page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri does not match any URI registered for this client",
            );
        }
        Ok(None) if client.metadata.redirect_uris.len() == 1 => {
            (client.metadata.redirect_uris[0].clone(), false)
        }
        Ok(None) => {
            return page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is required: this client has no single registered redirect URI",
            );
        }
    };
    // From here on, errors go back to the client with state and iss.
    let client_state = params.single("state").ok().flatten().map(str::to_owned);
    let fail =
        |err: OAuthError| error_redirect(&state, &redirect_uri, client_state.as_deref(), err);
    if client_state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        // RFC 6749 §4.1.1 leaves state's length to the server; kept whole
        // for ten minutes, it must be bounded. Refused before anything is
        // stored; the error still echoes it (§4.1.2.1: "The exact value
        // received from the client").
        return fail(OAuthError::invalid_request(format!(
            "state is longer than {MAX_STATE} bytes"
        )));
    }
    if let Some(dup) = params
        .first_duplicate()
        .filter(|_| !state.fault(Fault::DuplicateParamsAccepted))
    {
        return fail(OAuthError::invalid_request(format!(
            "parameter {dup} is repeated (RFC 6749 §3.1)"
        )));
    }
    // OpenID Connect Core §3.1.2.1: request objects refused, prompt and
    // max_age checked, nonce and login_hint kept.
    let lapses = crate::authn::Lapses {
        request_objects_ignored: state.fault(Fault::RequestObjectIgnored),
        request_uris_ignored: state.fault(Fault::RequestUriIgnored),
        claims_refused: state.fault(Fault::ClaimsParameterRefused),
    };
    if state.fault(Fault::UnknownParameterRefused)
        && let Some(unknown) = params
            .0
            .iter()
            .find(|(k, _)| !KNOWN_PARAMETERS.contains(&k.as_str()))
    {
        return fail(OAuthError::invalid_request(format!(
            "unknown parameter {}",
            unknown.0
        )));
    }
    let authn = match crate::authn::read(&params, lapses) {
        Ok(a) => a,
        Err(refusal) => return fail(refusal.into()),
    };
    match params.single("response_type") {
        Ok(Some("code")) => {}
        Ok(Some(other)) => {
            return fail(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!("response_type {other:?} is not supported; use code"),
            ));
        }
        _ => return fail(OAuthError::invalid_request("response_type is missing")),
    }
    if !client
        .metadata
        .grant_types
        .contains(&GrantType::AuthorizationCode)
    {
        return fail(OAuthError::unauthorized_client(
            "this client may not use the authorization code grant",
        ));
    }
    let scope = match params.single("scope").ok().flatten() {
        None => client.metadata.scope.clone(),
        Some(s) => match Scope::parse(s) {
            Err(e) => return fail(OAuthError::invalid_scope(e)),
            Ok(scope) if state.fault(Fault::UnknownScopeAccepted) => {
                Scope::from_tokens(scope.iter().filter(|t| client.metadata.scope.contains(t)))
            }
            Ok(scope) => {
                if let Some(unknown) = scope.missing_from(&client.metadata.scope).next() {
                    return fail(OAuthError::invalid_scope(format!(
                        "scope {unknown:?} is unknown or not allowed for this client"
                    )));
                }
                scope
            }
        },
    };
    // PKCE is required of every client, and only S256 (RFC 9700 §2.1.1).
    let challenge = params.single("code_challenge").ok().flatten();
    let method = params.single("code_challenge_method").ok().flatten();
    // `method` is what gets stored: "S256", or under the pkce-missing-accepted
    // fault "" (no challenge at all).
    let (challenge, method) = match (challenge, method) {
        (Some(c), Some("S256")) => (c, "S256"),
        (None, _) if state.fault(Fault::PkceMissingAccepted) => ("", ""),
        (None, _) => {
            return fail(OAuthError::invalid_request(
                "code_challenge is required (PKCE, RFC 7636)",
            ));
        }
        (Some(_), None) => {
            return fail(OAuthError::invalid_request(
                "code_challenge_method is required and must be S256 (plain is not supported)",
            ));
        }
        (Some(_), Some(other)) => {
            return fail(OAuthError::invalid_request(format!(
                "code_challenge_method {other:?} is not supported; use S256"
            )));
        }
    };
    if method == "S256" && !is_valid_s256_challenge(challenge) {
        return fail(OAuthError::invalid_request(
            "code_challenge is not a base64url SHA-256 value",
        ));
    }
    let now = state.clock.now();
    // Core §3.1.2.1 id_token_hint: an ID token of this server for this
    // client (an expired one will do); its sub must be the session's user.
    let hinted_sub = match params.single("id_token_hint").ok().flatten() {
        None => None,
        Some(hint) => match hinted_sub(&state, hint, client.client_id.as_str()) {
            Ok(sub) => Some(sub),
            Err(e) => return fail(e),
        },
    };
    // The login session, when it may stand for a login now: not with
    // prompt=login, not when the login is older than max_age (Core
    // §3.1.2.1: "the OP MUST attempt to actively re-authenticate the
    // End-User"), not for another user than the hint's.
    let session = cookie(headers, SESSION_COOKIE)
        .and_then(|c| state.sessions.find(c, now))
        .filter(|_| !authn.prompt.login)
        .filter(|s| {
            state.fault(Fault::MaxAgeIgnored)
                || authn
                    .max_age
                    .is_none_or(|max| u64::try_from(now - s.auth_time).unwrap_or(0) <= max)
        })
        .filter(|s| hinted_sub.as_deref().is_none_or(|sub| sub == s.user));
    let consented = session
        .as_ref()
        .is_some_and(|s| !authn.prompt.consent && s.has_consent(client.client_id.as_str(), &scope));
    if authn.prompt.none && !state.fault(Fault::PromptNoneShowsLogin) {
        // Core §3.1.2.1: "The Authorization Server MUST NOT display any
        // authentication or consent user interface pages" (§3.1.2.6).
        if session.is_none() {
            return fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "prompt=none, and no user is logged in (or the login is older than max_age, or not the id_token_hint's user)",
            ));
        }
        if !consented {
            return fail(OAuthError::new(
                ErrorCode::ConsentRequired,
                "prompt=none, and the user has not yet consented to this client and scope",
            ));
        }
    }
    let ix = Interaction {
        id: random_id(),
        client_id: client.client_id.clone(),
        client_name: client.metadata.client_name.clone(),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_in_request,
        state: client_state.clone(),
        scope,
        code_challenge: challenge.to_string(),
        code_challenge_method: method.to_string(),
        csrf_token: random_token(),
        browser: random_token(),
        user: session.as_ref().map(|s| s.user.clone()),
        // The session's login time, not now: no one logged in now (Core §2).
        auth_time: session.as_ref().map(|s| {
            if state.fault(Fault::SessionAuthTimeReset) {
                now
            } else {
                s.auth_time
            }
        }),
        session: session.as_ref().map(|s| s.key.clone()),
        nonce: authn.nonce,
        login_hint: authn.login_hint,
        claims: authn.claims,
        created_at: now,
    };
    if let (true, Some(Session { user, .. })) = (consented, &session) {
        // Logged in and consented already: straight back with a code.
        return match issue_code(&state, &ix, user, now) {
            Ok(code) => redirect_to_client(
                &state,
                &ix.redirect_uri,
                &[("code", &code)],
                ix.state.as_deref(),
            ),
            Err(e) => fail(e),
        };
    }
    let next = if session.is_some() {
        format!("/interaction/{}/consent", ix.id)
    } else {
        format!("/interaction/{}", ix.id)
    };
    let mut res = see_other(&next);
    let cookie = format!(
        "{BROWSER_COOKIE}={}; Path=/interaction/{}; HttpOnly; SameSite=Lax",
        ix.browser, ix.id
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    if let Err(full) = state.interactions.insert(ix, now) {
        return fail(OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            full.to_string(),
        ));
    }
    res
}

/// The `sub` of an `id_token_hint` (Core §3.1.2.1): a JWS signed with one
/// of this server's keys (found by `kid`), issued by this server to
/// `client_id`. Its expiry does not matter: it is a hint of who the client
/// thinks is logged in, not a credential.
fn hinted_sub(state: &AppState, hint: &str, client_id: &str) -> Result<String, OAuthError> {
    let refuse = |why: &str| OAuthError::invalid_request(format!("id_token_hint {why}"));
    let payload = state
        .verify_own_jws(hint)
        .map_err(|e| refuse(&format!("is not an ID token of this server: {e}")))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| refuse("has no JSON claims"))?;
    if claims["iss"].as_str() != Some(state.issuer.as_str()) {
        return Err(refuse("was not issued by this server"));
    }
    let for_client = match &claims["aud"] {
        serde_json::Value::String(aud) => aud == client_id,
        serde_json::Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !for_client {
        return Err(refuse("was not issued to this client"));
    }
    claims["sub"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| refuse("has no sub"))
}

/// Starts a login session for `user`, who just entered the password, in
/// place of the browser's current one: returns the `Set-Cookie` value and
/// the session's key, or nothing when the server holds all the sessions it
/// may (the login still goes on, without single sign-on).
pub(crate) fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: &str,
    now: crate::clock::UnixTime,
) -> Option<(HeaderValue, String)> {
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        state.sessions.end(old, now);
    }
    let (value, session) = state
        .sessions
        .start(user, now)
        .inspect_err(|e| tracing::warn!("no login session: {e}"))
        .ok()?;
    let secure = if state.issuer.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}");
    Some((HeaderValue::from_str(&cookie).ok()?, session.key))
}

/// Loads an interaction and checks it belongs to this browser.
// The error is the page to show, built on a rare path; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(crate) fn interaction(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<Interaction, Response> {
    let page = |status, d: &str| error_page(&state.templates, status, "invalid_request", d);
    let ix = state
        .interactions
        .get(id, state.clock.now())
        .ok_or_else(|| {
            page(
                StatusCode::BAD_REQUEST,
                "this login has expired or does not exist; start again from the application",
            )
        })?;
    match cookie(headers, BROWSER_COOKIE) {
        Some(c) if ct_eq(c, &ix.browser) => Ok(ix),
        _ => Err(page(
            StatusCode::FORBIDDEN,
            "this login was started in another browser",
        )),
    }
}

// The error is the page to show, built on a rare path; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(crate) fn check_csrf(
    state: &AppState,
    ix: &Interaction,
    params: &Params,
) -> Result<(), Response> {
    match params.single("csrf_token") {
        Ok(Some(t)) if ct_eq(t, &ix.csrf_token) => Ok(()),
        _ => Err(error_page(
            &state.templates,
            StatusCode::FORBIDDEN,
            "invalid_request",
            "the form's CSRF token is missing or wrong",
        )),
    }
}

fn client_label(ix: &Interaction) -> String {
    ix.client_name
        .clone()
        .unwrap_or_else(|| ix.client_id.to_string())
}

fn login_form(
    state: &AppState,
    ix: &Interaction,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
) -> Response {
    let template = match state.login_page {
        crate::config::LoginPage::Form => "login.html",
        crate::config::LoginPage::Script => "login_script.html",
    };
    render(
        &state.templates,
        template,
        status,
        context! {
            id => &ix.id, csrf_token => &ix.csrf_token, client_name => client_label(ix), error, username,
            upstreams => state.upstreams.names(),
        },
    )
}

/// `GET /interaction/{id}`: the login form.
pub async fn login_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match interaction(&state, &id, &headers) {
        Ok(ix) if ix.user.is_some() => see_other(&format!("/interaction/{id}/consent")),
        // The login_hint prefills the username (Core §3.1.2.1).
        Ok(ix) => {
            let hint = ix.login_hint.clone().unwrap_or_default();
            login_form(&state, &ix, StatusCode::OK, None, &hint)
        }
        Err(res) => res,
    }
}

/// Verifies a password against an argon2 hash off the async runtime.
pub(crate) async fn verify_password(
    state: &AppState,
    hash: Option<String>,
    password: String,
) -> bool {
    // An unknown user costs the same as a known one.
    let hash = hash.unwrap_or_else(|| crate::config::ALICE_PASSWORD_HASH.to_string());
    state.passwords.verify(hash, password).await
}

/// Loads the interaction a form was posted to and checks the post: this
/// browser's cookie, a readable form body, and the form's CSRF token.
// The error is the page to show, built on a rare path; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(crate) fn posted_form(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
) -> Result<(Interaction, Params), Response> {
    let ix = interaction(state, id, headers)?;
    let params = form.map(|Form(p)| p).map_err(|e| {
        error_page(
            &state.templates,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &e.description,
        )
    })?;
    check_csrf(state, &ix, &params)?;
    Ok((ix, params))
}

/// `POST /interaction/{id}`: checks the credentials.
pub async fn login(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let (ix, params) = match posted_form(&state, &id, &headers, form) {
        Ok(posted) => posted,
        Err(res) => return res,
    };
    let username = params
        .single("username")
        .ok()
        .flatten()
        .unwrap_or("")
        .to_string();
    let password = params
        .single("password")
        .ok()
        .flatten()
        .unwrap_or("")
        .to_string();
    let known = state.users.get(&username).cloned();
    let is_known = known.is_some();
    if verify_password(&state, known, password).await && is_known {
        // Core §2 auth_time: when the credentials were checked.
        let now = state.clock.now();
        let session = start_session(&state, &headers, &username, now);
        state.interactions.log_in(
            &id,
            &username,
            now,
            session.as_ref().map(|(_, key)| key.clone()),
        );
        let mut res = see_other(&format!("/interaction/{id}/consent"));
        if let Some((cookie, _)) = session {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        res
    } else {
        login_form(
            &state,
            &ix,
            StatusCode::UNAUTHORIZED,
            Some("Invalid username or password."),
            &username,
        )
    }
}

/// `GET /interaction/{id}/consent`: the consent form.
pub async fn consent_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let ix = match interaction(&state, &id, &headers) {
        Ok(ix) => ix,
        Err(res) => return res,
    };
    let Some(user) = &ix.user else {
        return see_other(&format!("/interaction/{id}"));
    };
    render(
        &state.templates,
        "consent.html",
        StatusCode::OK,
        context! {
            id => &ix.id, csrf_token => &ix.csrf_token, client_name => client_label(&ix),
            user, scopes => ix.scope.iter().map(str::to_owned).collect::<Vec<_>>(),
        },
    )
}

/// `POST /interaction/{id}/consent`: approve issues the code; deny sends
/// `access_denied` (RFC 6749 §4.1.2.1).
pub async fn consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let (ix, params) = match posted_form(&state, &id, &headers, form) {
        Ok(posted) => posted,
        Err(res) => return res,
    };
    let Some(user) = ix.user.clone() else {
        return see_other(&format!("/interaction/{id}"));
    };
    let decision = params.single("decision").ok().flatten();
    if !matches!(decision, Some("approve" | "deny")) {
        return error_page(
            &state.templates,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "decision must be approve or deny",
        );
    }
    let now = state.clock.now();
    // Taking the interaction makes a double submit harmless.
    let Some(ix) = state.interactions.take(&id, now) else {
        return error_page(
            &state.templates,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "this login has already finished",
        );
    };
    if decision == Some("deny") {
        return error_redirect(
            &state,
            &ix.redirect_uri,
            ix.state.as_deref(),
            OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"),
        );
    }
    if let Some(key) = &ix.session {
        state
            .sessions
            .remember_consent(key, ix.client_id.as_str(), &ix.scope);
    }
    match issue_code(&state, &ix, &user, now) {
        Ok(code) => redirect_to_client(
            &state,
            &ix.redirect_uri,
            &[("code", &code)],
            ix.state.as_deref(),
        ),
        Err(e) => error_redirect(&state, &ix.redirect_uri, ix.state.as_deref(), e),
    }
}

fn issue_code(
    state: &AppState,
    ix: &Interaction,
    user: &str,
    now: i64,
) -> Result<String, OAuthError> {
    let store_err = |e: crate::store::StoreError| OAuthError::server_error(e.to_string());
    let client = state
        .store
        .client(ix.client_id.as_str())
        .map_err(store_err)?
        .ok_or_else(|| OAuthError::unauthorized_client("the client no longer exists"))?;
    let code = random_token();
    let grant_id = random_id();
    state
        .store
        .put_grant(&GrantRecord {
            grant_id: grant_id.clone(),
            client_id: ix.client_id.clone(),
            sub: user.to_string(),
            scope: ix.scope.clone(),
            revoked: false,
            created_at: now,
            auth_time: ix.auth_time,
            claims: ix.claims.clone(),
        })
        .map_err(store_err)?;
    state
        .store
        .put_code(&CodeRecord {
            hash: SecretHash::of(&code),
            client_id: ix.client_id.clone(),
            redirect_uri: ix.redirect_uri.clone(),
            redirect_uri_in_request: ix.redirect_uri_in_request,
            code_challenge: ix.code_challenge.clone(),
            code_challenge_method: ix.code_challenge_method.clone(),
            scope: ix.scope.clone(),
            sub: user.to_string(),
            grant_id,
            expires_at: now + state.lifetimes_for(&client).code,
            used: false,
            auth_time: ix.auth_time,
            nonce: ix.nonce.clone(),
            claims: ix.claims.clone(),
        })
        .map_err(store_err)?;
    Ok(code)
}
