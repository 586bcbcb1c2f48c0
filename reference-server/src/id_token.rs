//! ID tokens (OpenID Connect Core §2, §3.1.3.3, §3.1.3.6, §12.2): what the
//! token endpoint adds to a grant whose scope holds `openid`.
//!
//! An ID token is a JWS with header `alg`, `kid`, `typ: JWT`, signed with
//! the client's `id_token_signed_response_alg` (RS256 unless it registered
//! the server's access-token algorithm), and the claims of Core §2 plus
//! `at_hash` (§3.1.3.6). The ID-token faults of [`crate::faults`] are all
//! consulted here, where each claim is made.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::faults::Fault;
use crate::keys::{SigningAlg, SigningKey};
use crate::secrets::random_id;
use crate::state::AppState;
use crate::store::ClientRecord;

/// How long an ID token is valid: five minutes from `iat`.
pub const ID_TOKEN_TTL: i64 = 300;

/// The scope value that makes an authorization request an OpenID Connect
/// authentication request (Core §3.1.2.1).
pub const OPENID: &str = "openid";

/// The claims of an ID token (Core §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: UnixTime,
    pub iat: UnixTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub azp: String,
    pub at_hash: String,
    /// Claims asked for by name with the `claims` parameter (Core §5.5).
    #[serde(flatten)]
    pub requested: serde_json::Map<String, serde_json::Value>,
}

/// Who logged in and how, as the grant remembers it.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    /// The user's stable identifier (today the username).
    pub sub: &'a str,
    /// When the user logged in at the login form.
    pub auth_time: Option<UnixTime>,
    /// The authentication request's `nonce`; `None` on refresh (Core §12.2).
    pub nonce: Option<&'a str>,
    /// Claims of the user asked for in the ID token (Core §5.5).
    pub claims: &'a [String],
}

/// The `alg` a client's ID tokens are signed with (OpenID Connect Dynamic
/// Client Registration §2: "The default, if omitted, is RS256").
pub fn alg_for(client: &ClientRecord) -> SigningAlg {
    client
        .metadata
        .id_token_signed_response_alg
        .unwrap_or(SigningAlg::RS256)
}

/// `at_hash` (Core §3.1.3.6): base64url of the left-most half of the hash
/// of the ASCII access token, with the hash of the ID token's `alg`:
/// SHA-256 for RS256 and ES256, SHA-512 for EdDSA (Ed25519, as the OpenID
/// errata and common practice have it).
pub fn at_hash(alg: SigningAlg, access_token: &str) -> String {
    use aws_lc_rs::digest;
    let algorithm = match alg {
        SigningAlg::RS256 | SigningAlg::ES256 => &digest::SHA256,
        SigningAlg::EdDSA => &digest::SHA512,
    };
    let d = digest::digest(algorithm, access_token.as_bytes());
    let bytes = d.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

/// The claims of an ID token issued now for `client` beside `access_token`.
pub fn claims(
    state: &AppState,
    client: &ClientRecord,
    alg: SigningAlg,
    login: Login<'_>,
    access_token: &str,
) -> IdClaims {
    let now = state.clock.now();
    let f = |x| state.fault(x);
    let client_id = client.client_id.to_string();
    IdClaims {
        iss: if f(Fault::IdTokenWrongIssuer) {
            format!("{}/evil", state.issuer)
        } else {
            state.issuer.clone()
        },
        sub: if f(Fault::IdTokenSubUnstable) {
            random_id()
        } else {
            login.sub.to_string()
        },
        aud: if f(Fault::IdTokenWrongAudience) {
            "someone-else".to_string()
        } else {
            client_id.clone()
        },
        exp: if f(Fault::IdTokenExpired) {
            now - 60
        } else {
            now + ID_TOKEN_TTL
        },
        iat: now,
        auth_time: login.auth_time.filter(|_| !f(Fault::AuthTimeMissing)),
        nonce: login
            .nonce
            .filter(|_| !f(Fault::IdTokenNonceDropped))
            .map(str::to_owned),
        azp: if f(Fault::IdTokenAzpWrong) {
            "someone-else".to_string()
        } else {
            client_id
        },
        at_hash: if f(Fault::IdTokenAtHashWrong) {
            at_hash(alg, "not-the-access-token")
        } else {
            at_hash(alg, access_token)
        },
        requested: {
            let mut c =
                crate::user_claims::claims(login.sub, login.claims.iter().map(String::as_str));
            c.remove("sub");
            c
        },
    }
}

/// Issues the ID token of a token response for `client`.
pub fn issue(
    state: &AppState,
    client: &ClientRecord,
    login: Login<'_>,
    access_token: &str,
) -> Result<String, OAuthError> {
    let alg = alg_for(client);
    let key = state.id_token_key(alg).ok_or_else(|| {
        OAuthError::server_error(format!(
            "this client's id_token_signed_response_alg {} has no key any more",
            alg.as_str()
        ))
    })?;
    let claims = claims(state, client, alg, login, access_token);
    let sign_err = |e: crate::keys::KeyError| OAuthError::server_error(e.to_string());
    if state.fault(Fault::IdTokenUnsigned) {
        // Fault: an unsecured JWS (RFC 7515 Appendix A.5), empty signature.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = serde_json::to_vec(&claims).map_err(|e| sign_err_json(&e))?;
        return Ok(format!("{header}.{}.", URL_SAFE_NO_PAD.encode(payload)));
    }
    let header = encode_header(&key.header("JWT")).map_err(|e| sign_err_json(&e))?;
    let signer: &SigningKey = if state.fault(Fault::IdTokenBadSignature) {
        // Fault: the published key's kid, another key's signature.
        forger(alg).ok_or_else(|| OAuthError::server_error("no forging key"))?
    } else {
        &key
    };
    signer.sign_compact(&header, &claims).map_err(sign_err)
}

fn encode_header(header: &serde_json::Value) -> Result<String, serde_json::Error> {
    Ok(URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?))
}

fn sign_err_json(e: &serde_json::Error) -> OAuthError {
    OAuthError::server_error(e.to_string())
}

/// A key of `alg` that is in no JWK Set: what the `id-token-bad-signature`
/// fault signs with. Generated once per process.
fn forger(alg: SigningAlg) -> Option<&'static SigningKey> {
    static FORGERS: [OnceLock<Option<SigningKey>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match alg {
        SigningAlg::EdDSA => 0,
        SigningAlg::ES256 => 1,
        SigningAlg::RS256 => 2,
    };
    FORGERS[slot]
        .get_or_init(|| SigningKey::generate(alg, 0).ok())
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_alg_s_hash() {
        // OpenID Connect Core §A.3 example: at_hash of this access token
        // under RS256 (SHA-256).
        assert_eq!(
            at_hash(
                SigningAlg::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(at_hash(SigningAlg::ES256, "x").len(), 22);
        // SHA-512: 32 bytes, 43 base64url characters.
        assert_eq!(at_hash(SigningAlg::EdDSA, "x").len(), 43);
    }

    #[test]
    fn the_forging_key_is_one_per_alg_and_not_regenerated() {
        let a = forger(SigningAlg::EdDSA).unwrap();
        let b = forger(SigningAlg::EdDSA).unwrap();
        assert!(std::ptr::eq(a, b));
        assert_eq!(a.alg(), SigningAlg::EdDSA);
    }
}
