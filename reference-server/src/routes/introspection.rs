//! Token introspection (RFC 7662).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::client_auth::authenticate;
use crate::error::OAuthError;
use crate::faults::Fault;
use crate::form::Form;
use crate::routes::no_store;
use crate::routes::resource::verify_access_with;
use crate::secrets::SecretHash;
use crate::state::AppState;
use crate::store::RefreshState;

/// `POST /introspect`: needs a confidential client (RFC 7662 §2.1). An
/// inactive token of any kind gives exactly `{"active": false}` (§2.2).
pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let result = (|| {
        let Form(params) = form?;
        if !state.fault(Fault::IntrospectionUnauthenticated) {
            let client = authenticate(&state, &headers, &params)?;
            if !client.metadata.token_endpoint_auth_method.is_confidential()
                && !state.fault(Fault::IntrospectionPublicClient)
            {
                return Err(OAuthError::invalid_client(
                    "introspection needs a confidential client",
                ));
            }
        }
        let token = params.required("token")?;
        Ok(describe(&state, token))
    })();
    match result {
        Ok(body) => no_store(Json(body).into_response()),
        Err(e) => crate::routes::error_response(&state, e),
    }
}

fn describe(state: &AppState, token: &str) -> Value {
    let mut inactive = json!({ "active": false });
    if state.fault(Fault::IntrospectionLeaksInactive) {
        // Fault: whatever the token claims is told even when it is dead.
        if let Some(serde_json::Value::Object(claims)) = crate::jwt::peek_claims(token)
            && let Some(o) = inactive.as_object_mut()
        {
            o.extend(claims);
        }
    }
    let check_exp = !state.fault(Fault::ExpiredTokenIntrospectsActive);
    if let Ok(c) = verify_access_with(state, token, check_exp) {
        return json!({
            "active": true, "scope": c.scope, "client_id": c.client_id, "sub": c.sub,
            "exp": c.exp, "iat": c.iat, "iss": c.iss, "aud": c.aud, "jti": c.jti,
            "token_type": "Bearer",
        });
    }
    let now = state.clock.now();
    let Ok(Some(r)) = state.store.refresh(&SecretHash::of(token)) else {
        return inactive;
    };
    let grant_live = matches!(state.store.grant(&r.grant_id), Ok(Some(g)) if !g.revoked);
    let client_live = matches!(state.store.client(r.client_id.as_str()), Ok(Some(_)));
    if r.state != RefreshState::Active || now >= r.expires_at || !grant_live || !client_live {
        return inactive;
    }
    json!({
        "active": true, "scope": r.scope.to_string(), "client_id": r.client_id, "sub": r.sub,
        "exp": r.expires_at, "iat": r.issued_at, "iss": state.issuer, "aud": state.audience,
        "token_type": "refresh_token",
    })
}
