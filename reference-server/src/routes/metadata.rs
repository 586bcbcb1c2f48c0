//! Discovery (RFC 8414), the JWKS (RFC 7517) and the health check.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::protocol::{AuthMethod, GrantType};
use crate::state::AppState;

/// Authorization server metadata (RFC 8414 §2), served at both well-known
/// locations.
pub fn document(state: &AppState) -> Value {
    use crate::faults::Fault;
    let iss = &state.issuer;
    let mut doc = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "registration_endpoint": format!("{iss}/register"),
        "revocation_endpoint": format!("{iss}/revoke"),
        "introspection_endpoint": format!("{iss}/introspect"),
        "scopes_supported": state.scopes.iter().collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GrantType::ALL.map(GrantType::as_str),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "revocation_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": true,
        "access_token_signing_alg_values_supported": [state.signing_alg.as_str()],
    });
    if state.fault(Fault::DiscoveryWrongIssuer) {
        doc["issuer"] = json!(format!("{iss}/"));
    }
    doc
}

pub async fn discovery(State(state): State<AppState>) -> impl IntoResponse {
    Json(document(&state))
}

pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    use crate::faults::Fault;
    let mut body = state.keys().jwks(state.clock.now());
    if let Some(keys) = body["keys"].as_array_mut() {
        if state.fault(Fault::JwksPrivateKey)
            && let Some(first) = keys.first_mut()
        {
            // Fault: the private key ships with the public one.
            first["d"] = json!(base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                &state.keys().active.record.pkcs8
            ));
        }
        if state.fault(Fault::JwksDuplicateKid)
            && let Some(first) = keys.first().cloned()
        {
            keys.push(first);
        }
    }
    ([("content-type", "application/jwk-set+json")], Json(body))
}

pub async fn healthz() -> &'static str {
    "ok"
}
