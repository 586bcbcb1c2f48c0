//! Token revocation (RFC 7009).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::client_auth::authenticate;
use crate::error::OAuthError;
use crate::form::Form;
use crate::routes::no_store;
use crate::routes::resource::verify_access;
use crate::secrets::SecretHash;
use crate::state::AppState;

fn not_yours() -> OAuthError {
    OAuthError::invalid_request("the token was not issued to this client (RFC 7009 §2.1)")
}

/// `POST /revoke`: 200 whether or not the token was known (RFC 7009 §2.2).
/// A refresh token takes its whole family and the access tokens of its
/// grant with it (§2.1); an access token's `jti` is deny-listed until it
/// expires.
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let result = (|| {
        let Form(params) = form?;
        let client = authenticate(&state, &headers, &params)?;
        let token = params.required("token")?;
        let store_err = |e: crate::store::StoreError| OAuthError::server_error(e.to_string());
        // The hint is only an optimisation (§2.1), so both kinds are tried.
        if let Some(refresh) = state
            .store
            .refresh(&SecretHash::of(token))
            .map_err(store_err)?
        {
            if refresh.client_id != client.client_id {
                return Err(not_yours());
            }
            state.revoke_grant(&refresh.grant_id).map_err(store_err)?;
            return Ok(());
        }
        // An invalid, expired or already revoked token needs nothing done
        // and is still a 200 (§2.2).
        if let Ok(claims) = verify_access(&state, token) {
            if claims.client_id != client.client_id.as_str() {
                return Err(not_yours());
            }
            state.deny(&claims.jti, claims.exp).map_err(store_err)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => no_store(axum::http::StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}
