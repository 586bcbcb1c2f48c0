//! The token endpoint (RFC 6749 §3.2): authorization code, refresh token
//! and client credentials grants.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::client_auth::authenticate;
use crate::error::{ErrorCode, OAuthError};
use crate::faults::Fault;
use crate::form::{Form, Params};
use crate::id_token::{self, Login, OPENID};
use crate::jwt::AccessClaims;
use crate::protocol::{GrantType, Scope, is_valid_code_verifier};
use crate::routes::no_store;
use crate::secrets::{SecretHash, random_id, random_token, s256};
use crate::state::AppState;
use crate::store::{ClientRecord, RefreshRecord, RefreshState, Rotation, StoreError};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// Always sent: a server that narrowed a request must say so (RFC 6749
    /// §3.3), and saying it always is the simplest way never to forget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// For a scope holding `openid` (OpenID Connect Core §3.1.3.3, §12.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

fn store_err(e: StoreError) -> OAuthError {
    OAuthError::server_error(e.to_string())
}

/// `POST /token`.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let result = async {
        let Form(params) = form?;
        let grant_type = params.required("grant_type")?.to_string();
        let client = match authenticate(&state, &headers, &params) {
            Ok(c) => c,
            Err(e)
                if grant_type == "refresh_token"
                    && state.fault(Fault::RefreshWithoutClientAuth) =>
            {
                // Fault: the refresh token alone identifies the client.
                let presented = params.required("refresh_token")?;
                state
                    .store
                    .refresh(&SecretHash::of(presented))
                    .ok()
                    .flatten()
                    .and_then(|r| state.store.client(r.client_id.as_str()).ok().flatten())
                    .ok_or(e)?
            }
            Err(e) => return Err(e),
        };
        let grant = GrantType::parse(&grant_type).ok_or_else(|| {
            OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant type {grant_type:?} is not supported"),
            )
        })?;
        let public_cc =
            grant == GrantType::ClientCredentials && state.fault(Fault::ClientCredentialsPublic);
        if !client.metadata.grant_types.contains(&grant) && !public_cc {
            return Err(OAuthError::unauthorized_client(format!(
                "this client is not registered for the {} grant",
                grant.as_str()
            )));
        }
        match grant {
            GrantType::AuthorizationCode => authorization_code(&state, &client, &params),
            GrantType::RefreshToken => refresh_token(&state, &client, &params),
            GrantType::ClientCredentials => client_credentials(&state, &client, &params),
        }
    }
    .await;
    let result = result.map(|mut body| {
        // Fault: unknown scopes are dropped (above) and the answer never says
        // what was granted, so the client believes it got what it asked for.
        if state.fault(Fault::UnknownScopeAccepted) {
            body.scope = None;
        }
        body
    });
    match result {
        Ok(body) if state.fault(Fault::NoStoreMissing) => Json(body).into_response(),
        Ok(body) => no_store(Json(body).into_response()),
        Err(e) => crate::routes::error_response(&state, e),
    }
}

/// An access token as issued: the JWT, its lifetime, and whether its grant
/// was still live when it was recorded.
struct Issued {
    token: String,
    expires_in: i64,
    grant_live: bool,
}

/// Signs an access token and, for grants, records it so revoking the grant
/// revokes it.
///
/// If the grant is revoked while the token is being made (a concurrent
/// replay of the same code or refresh token, or a revocation request), the
/// token is deny-listed at once but still returned: this request won the
/// single-use credential, so it succeeds exactly as it would have had it
/// finished before the replay, and the replay's revocation covers what it
/// issued (RFC 6749 §4.1.2, RFC 9700 §4.14.2). Failing it instead would let
/// concurrent replays make every redemption fail.
fn access_token(
    state: &AppState,
    client: &ClientRecord,
    sub: &str,
    scope: &Scope,
    grant_id: Option<&str>,
    userinfo_claims: &[String],
) -> Result<Issued, OAuthError> {
    let now = state.clock.now();
    let ttl = state.lifetimes_for(client).access_token;
    let claims = AccessClaims {
        iss: state.issuer.clone(),
        sub: sub.to_string(),
        aud: state.audience.clone(),
        exp: now + ttl,
        iat: now,
        jti: random_id(),
        client_id: client.client_id.to_string(),
        scope: scope.to_string(),
        userinfo_claims: userinfo_claims.join(" "),
    };
    let token = state
        .keys()
        .active
        .sign_at_jwt(&claims)
        .map_err(|e| OAuthError::server_error(e.to_string()))?;
    let mut grant_live = true;
    if let Some(grant_id) = grant_id {
        grant_live = state
            .store
            .record_access_token(&claims.jti, grant_id, claims.exp)
            .map_err(store_err)?;
        if !grant_live {
            // The grant was revoked while this token was being made.
            state.deny(&claims.jti, claims.exp).map_err(store_err)?;
        }
    }
    Ok(Issued {
        token,
        expires_in: ttl,
        grant_live,
    })
}

/// The ID token of a token response: one when the scope of the access
/// token holds `openid` (OpenID Connect Core §3.1.3.3, §12.2), else none.
fn id_token_for(
    state: &AppState,
    client: &ClientRecord,
    scope: &Scope,
    login: Login<'_>,
    access_token: &str,
) -> Result<Option<String>, OAuthError> {
    if !scope.contains(OPENID) || state.fault(Fault::IdTokenMissing) {
        return Ok(None);
    }
    id_token::issue(state, client, login, access_token).map(Some)
}

fn new_refresh(
    state: &AppState,
    client: &ClientRecord,
    grant_id: &str,
    sub: &str,
    scope: &Scope,
) -> (String, RefreshRecord) {
    let now = state.clock.now();
    let token = random_token();
    let record = RefreshRecord {
        hash: SecretHash::of(&token),
        grant_id: grant_id.to_string(),
        client_id: client.client_id.clone(),
        sub: sub.to_string(),
        scope: scope.clone(),
        issued_at: now,
        expires_at: now + state.lifetimes_for(client).refresh_token,
        state: RefreshState::Active,
    };
    (token, record)
}

/// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6).
fn authorization_code(
    state: &AppState,
    client: &ClientRecord,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let code = params.required("code")?;
    let hash = SecretHash::of(code);
    let record = state
        .store
        .code(&hash)
        .map_err(store_err)?
        .ok_or_else(|| OAuthError::invalid_grant("unknown authorization code"))?;
    if record.client_id != client.client_id && !state.fault(Fault::CodeNotBoundToClient) {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    let reuse_accepted = state.fault(Fault::CodeReuseAccepted);
    if record.used && !reuse_accepted {
        // RFC 6749 §4.1.2: a code used twice revokes what it produced.
        if !state.fault(Fault::CodeReuseKeepsTokens) {
            state.revoke_grant(&record.grant_id).map_err(store_err)?;
        }
        return Err(OAuthError::invalid_grant(
            "the authorization code has already been used; tokens issued from it are revoked",
        ));
    }
    if state.clock.now() >= record.expires_at && !state.fault(Fault::ExpiredCodeAccepted) {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    match params.single("redirect_uri")? {
        _ if state.fault(Fault::CodeRedirectUriNotChecked) => {}
        Some(uri) if uri != record.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the authorization request",
            ));
        }
        None if record.redirect_uri_in_request => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri is required: the authorization request carried one (RFC 6749 §4.1.3)",
            ));
        }
        _ => {}
    }
    // A code issued without a challenge exists only under the
    // pkce-missing-accepted fault; such a server checks nothing here.
    if !record.code_challenge.is_empty() {
        let verifier = params
            .single("code_verifier")?
            .ok_or_else(|| OAuthError::invalid_grant("code_verifier is missing (PKCE)"))?;
        if !is_valid_code_verifier(verifier) {
            return Err(OAuthError::invalid_grant(
                "code_verifier is not 43-128 unreserved characters (RFC 7636 §4.1)",
            ));
        }
        let computed = s256(verifier);
        if !SecretHash::of(&computed).ct_eq(&SecretHash::of(&record.code_challenge))
            && !state.fault(Fault::PkceNotVerified)
        {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
    }
    if !state.store.consume_code(&hash).map_err(store_err)? && !reuse_accepted {
        // Lost a race with a concurrent redemption: that is a reuse.
        state.revoke_grant(&record.grant_id).map_err(store_err)?;
        return Err(OAuthError::invalid_grant(
            "the authorization code has already been used",
        ));
    }
    let issued = access_token(
        state,
        client,
        &record.sub,
        &record.scope,
        Some(&record.grant_id),
        &record.claims.userinfo,
    )?;
    let refresh_token = if client
        .metadata
        .grant_types
        .contains(&GrantType::RefreshToken)
    {
        let (token, mut rec) =
            new_refresh(state, client, &record.grant_id, &record.sub, &record.scope);
        if !issued.grant_live {
            rec.state = RefreshState::Revoked;
        }
        state.store.put_refresh(&rec).map_err(store_err)?;
        Some(token)
    } else {
        None
    };
    let login = Login {
        sub: &record.sub,
        auth_time: record.auth_time,
        nonce: record.nonce.as_deref(),
        claims: &record.claims.id_token,
    };
    let id_token = id_token_for(state, client, &record.scope, login, &issued.token)?;
    Ok(TokenResponse {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: Some(record.scope.to_string()),
        refresh_token,
        id_token,
    })
}

/// RFC 6749 §6, rotating on every use with reuse detection (RFC 9700 §4.14.2).
fn refresh_token(
    state: &AppState,
    client: &ClientRecord,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.required("refresh_token")?;
    let hash = SecretHash::of(presented);
    let record = state
        .store
        .refresh(&hash)
        .map_err(store_err)?
        .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
    if record.client_id != client.client_id && !state.fault(Fault::RefreshNotBoundToClient) {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    let reuse = |state: &AppState| -> OAuthError {
        if state.fault(Fault::RefreshReuseUndetected) {
            return OAuthError::invalid_grant("the refresh token was already used");
        }
        if let Err(e) = state.revoke_grant(&record.grant_id) {
            return store_err(e);
        }
        OAuthError::invalid_grant("the refresh token was already used; its whole family is revoked")
    };
    match record.state {
        RefreshState::Rotated => return Err(reuse(state)),
        RefreshState::Revoked => {
            return Err(OAuthError::invalid_grant(
                "the refresh token has been revoked",
            ));
        }
        RefreshState::Active => {}
    }
    if state.clock.now() >= record.expires_at && !state.fault(Fault::ExpiredRefreshAccepted) {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let grant = state
        .store
        .grant(&record.grant_id)
        .map_err(store_err)?
        .ok_or_else(|| OAuthError::invalid_grant("the grant no longer exists"))?;
    if grant.revoked {
        return Err(OAuthError::invalid_grant("the grant has been revoked"));
    }
    // RFC 6749 §6: no scope beyond what the resource owner originally granted.
    let scope = match params.single("scope")? {
        None => record.scope.clone(),
        Some(s) => {
            let requested = Scope::parse(s).map_err(OAuthError::invalid_scope)?;
            let allowed = if state.fault(Fault::RefreshScopeWidening) {
                &client.metadata.scope
            } else {
                &grant.scope
            };
            if let Some(extra) = requested.missing_from(allowed).next() {
                return Err(OAuthError::invalid_scope(format!(
                    "scope {extra:?} was not granted originally"
                )));
            }
            requested
        }
    };
    // OpenID Connect Core §12.2: the refreshed ID token keeps the
    // original authentication's auth_time, and has no nonce.
    let login = Login {
        sub: &record.sub,
        auth_time: if state.fault(Fault::RefreshIdTokenNewAuthTime) {
            Some(state.clock.now())
        } else {
            grant.auth_time
        },
        nonce: None,
        claims: &grant.claims.id_token,
    };
    if state.fault(Fault::RefreshNotRotated) {
        // Fault: the same refresh token is handed back and stays active.
        let issued = access_token(
            state,
            client,
            &record.sub,
            &scope,
            Some(&record.grant_id),
            &grant.claims.userinfo,
        )?;
        let id_token = id_token_for(state, client, &scope, login, &issued.token)?;
        return Ok(TokenResponse {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            scope: Some(scope.to_string()),
            refresh_token: Some(presented.to_string()),
            id_token,
        });
    }
    // RFC 6749 §6: "the refresh token scope MUST be identical to that of the
    // refresh token included by the client in the request": a narrower
    // request narrows the access token only.
    let kept = if state.fault(Fault::RefreshScopeNotKept) {
        &scope
    } else {
        &record.scope
    };
    let (new_token, new_record) = new_refresh(state, client, &record.grant_id, &record.sub, kept);
    match state
        .store
        .rotate_refresh(&hash, &new_record)
        .map_err(store_err)?
    {
        Rotation::Rotated => {}
        Rotation::NotActive(RefreshState::Rotated) => return Err(reuse(state)),
        Rotation::NotActive(_) | Rotation::Unknown => {
            return Err(OAuthError::invalid_grant(
                "the refresh token has been revoked",
            ));
        }
    }
    let issued = access_token(
        state,
        client,
        &record.sub,
        &scope,
        Some(&record.grant_id),
        &grant.claims.userinfo,
    )?;
    let id_token = id_token_for(state, client, &scope, login, &issued.token)?;
    Ok(TokenResponse {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: Some(scope.to_string()),
        refresh_token: Some(new_token),
        id_token,
    })
}

/// RFC 6749 §4.4: confidential clients only (enforced at registration and
/// by client authentication), no refresh token (§4.4.3).
fn client_credentials(
    state: &AppState,
    client: &ClientRecord,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    if !client.metadata.token_endpoint_auth_method.is_confidential()
        && !state.fault(Fault::ClientCredentialsPublic)
    {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    let scope = match params.single("scope")? {
        None => client.metadata.scope.clone(),
        Some(s) => {
            let requested = Scope::parse(s).map_err(OAuthError::invalid_scope)?;
            if state.fault(Fault::UnknownScopeAccepted) {
                return Ok(Scope::from_tokens(
                    requested
                        .iter()
                        .filter(|t| client.metadata.scope.contains(t)),
                ))
                .and_then(|scope| client_credentials_with(state, client, scope));
            }
            if let Some(extra) = requested.missing_from(&client.metadata.scope).next() {
                return Err(OAuthError::invalid_scope(format!(
                    "scope {extra:?} is unknown or not allowed for this client"
                )));
            }
            requested
        }
    };
    client_credentials_with(state, client, scope)
}

fn client_credentials_with(
    state: &AppState,
    client: &ClientRecord,
    scope: Scope,
) -> Result<TokenResponse, OAuthError> {
    let issued = access_token(state, client, client.client_id.as_str(), &scope, None, &[])?;
    Ok(TokenResponse {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: Some(scope.to_string()),
        refresh_token: None,
        id_token: None,
    })
}
