//! Token revocation (RFC 7009).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::client_auth::authenticate;
use crate::error::OAuthError;
use crate::faults::Fault;
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
        let client = match authenticate(&state, &headers, &params) {
            Ok(c) => Some(c),
            Err(_) if state.fault(Fault::RevocationUnauthenticated) => None,
            Err(e) => return Err(e),
        };
        let token = params.required("token")?;
        if state.fault(Fault::RevocationNoop) {
            return Ok(());
        }
        let not_owner = |owner: &str| {
            client
                .as_ref()
                .is_some_and(|c| c.client_id.as_str() != owner)
        };
        let store_err = |e: crate::store::StoreError| OAuthError::server_error(e.to_string());
        // The hint is only an optimisation (§2.1), so both kinds are tried.
        if let Some(refresh) = state
            .store
            .refresh(&SecretHash::of(token))
            .map_err(store_err)?
        {
            if not_owner(refresh.client_id.as_str()) {
                return Err(not_yours());
            }
            if state.fault(Fault::RevocationRefreshKeepsFamily) {
                let mut only_this = refresh;
                only_this.state = crate::store::RefreshState::Revoked;
                state.store.put_refresh(&only_this).map_err(store_err)?;
                return Ok(());
            }
            state.revoke_grant(&refresh.grant_id).map_err(store_err)?;
            return Ok(());
        }
        // An invalid, expired or already revoked token needs nothing done
        // and is still a 200 (§2.2).
        if let Ok(claims) = verify_access(&state, token) {
            if not_owner(&claims.client_id) {
                return Err(not_yours());
            }
            state.deny(&claims.jti, claims.exp).map_err(store_err)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => no_store(axum::http::StatusCode::OK.into_response()),
        Err(e) => crate::routes::error_response(&state, e),
    }
}
