//! Discovery (RFC 8414, OpenID Connect Discovery 1.0), the JWKS (RFC 7517) and the health check.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::keys::SigningAlg;
use crate::protocol::{AuthMethod, GrantType};
use crate::state::AppState;

/// Where a metadata document is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WellKnown {
    /// `/.well-known/oauth-authorization-server` (RFC 8414 §3).
    OAuth,
    /// `/.well-known/openid-configuration` (OpenID Connect Discovery §4).
    OpenId,
}

/// The claims this server can return (Discovery §3 `claims_supported`):
/// those of its ID tokens and of its UserInfo endpoint.
pub const CLAIMS_SUPPORTED: [&str; 16] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "at_hash",
    "name",
    "preferred_username",
    "given_name",
    "family_name",
    "updated_at",
    "email",
    "email_verified",
];

/// Authorization server metadata (RFC 8414 §2) that is also OpenID
/// Provider metadata (OpenID Connect Discovery §3): one document, served at
/// both well-known locations.
pub fn document(state: &AppState, at: WellKnown) -> Value {
    use crate::faults::Fault;
    let iss = &state.issuer;
    let mut id_token_algs = vec![SigningAlg::RS256.as_str()];
    if state.signing_alg != SigningAlg::RS256 {
        id_token_algs.push(state.signing_alg.as_str());
    }
    if state.fault(Fault::OidcDiscoveryRs256Missing) {
        id_token_algs.retain(|a| *a != SigningAlg::RS256.as_str());
    }
    let mut scopes: Vec<&str> = state.scopes.iter().collect();
    if state.fault(Fault::OidcDiscoveryScopesWithoutOpenid) {
        scopes.retain(|s| *s != crate::id_token::OPENID);
    }
    let mut doc = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "registration_endpoint": format!("{iss}/register"),
        "revocation_endpoint": format!("{iss}/revoke"),
        "introspection_endpoint": format!("{iss}/introspect"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GrantType::ALL.map(GrantType::as_str),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "revocation_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": true,
        "access_token_signing_alg_values_supported": [state.signing_alg.as_str()],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "claims_supported": CLAIMS_SUPPORTED,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": true,
    });
    if state.fault(Fault::OidcDiscoverySubjectTypesMissing)
        && let Some(obj) = doc.as_object_mut()
    {
        obj.remove("subject_types_supported");
    }
    if state.fault(Fault::DiscoveryWrongIssuer) {
        doc["issuer"] = json!(format!("{iss}/"));
    }
    if at == WellKnown::OpenId && state.fault(Fault::OidcDiscoveryIssuerMismatch) {
        doc["issuer"] = json!(format!("{iss}/x"));
    }
    doc
}

/// `GET /.well-known/oauth-authorization-server`.
pub async fn oauth_discovery(State(state): State<AppState>) -> impl IntoResponse {
    Json(document(&state, WellKnown::OAuth))
}

/// `GET /.well-known/openid-configuration`.
pub async fn openid_discovery(State(state): State<AppState>) -> impl IntoResponse {
    Json(document(&state, WellKnown::OpenId))
}

pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    use crate::faults::Fault;
    let mut body = state.jwks(state.clock.now());
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
