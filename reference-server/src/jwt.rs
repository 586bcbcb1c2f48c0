//! RFC 9068 access tokens: the claims, and the verifier the resource
//! server, introspection and revocation share.
//!
//! The verifier follows RFC 8725 (JWT BCP): an explicit algorithm allowlist
//! (never `none`, never HMAC, §3.1), the key chosen by `kid` among the
//! server's own published keys only (`jwk`, `jku` and `x5u` headers are
//! never followed), the key's algorithm must equal the header's, unknown
//! `crit` extensions are refused (RFC 7515 §4.1.11), `typ` must be `at+jwt`
//! (RFC 9068 §4), and `iss`, `aud`, `exp`, `nbf`, `iat` are all checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::UnixTime;
use crate::keys::{KeySet, SigningAlg};

/// Claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
}

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Clock skew tolerated on `exp`, `nbf` and `iat` (RFC 7519 §4.1.4 allows
/// "a small leeway").
pub const LEEWAY: i64 = 30;

/// Why a token was refused: each reason is an `invalid_token` description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token is too large")]
    TooLarge,
    #[error("the token header is not valid")]
    BadHeader,
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(String),
    #[error("the token type is not at+jwt")]
    Type,
    #[error("unknown critical header parameter")]
    Critical,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("the signature does not verify")]
    Signature,
    #[error("the token claims are not valid")]
    BadClaims,
    #[error("wrong issuer")]
    Issuer,
    #[error("wrong audience")]
    Audience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued in the future")]
    IssuedInFuture,
    #[error("the token has been revoked")]
    Revoked,
}

fn decode_segment(s: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Malformed)
}

/// What a verification needs to know about the server.
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: UnixTime,
    /// Whether `exp` is enforced (always, but under a fault).
    pub check_exp: bool,
}

/// Verifies an access token's signature and claims. Revocation (`jti`) is
/// the caller's to check.
pub fn verify_access_token(
    token: &str,
    keys: &KeySet,
    expect: &Expectations<'_>,
) -> Result<AccessClaims, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Value =
        serde_json::from_slice(&decode_segment(h)?).map_err(|_| TokenError::BadHeader)?;
    let header = header.as_object().ok_or(TokenError::BadHeader)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(TokenError::BadHeader)?;
    let alg = SigningAlg::parse(alg_name).ok_or_else(|| TokenError::Algorithm(alg_name.into()))?;
    if header.contains_key("crit") {
        // This verifier understands no extension, so any `crit` is unknown.
        return Err(TokenError::Critical);
    }
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(TokenError::Type);
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(TokenError::UnknownKey)?;
    let key = keys.find(kid, expect.now).ok_or(TokenError::UnknownKey)?;
    if key.alg() != alg {
        return Err(TokenError::Algorithm(alg_name.into()));
    }
    let sig = decode_segment(s)?;
    let signing_input = &token[..h.len() + 1 + p.len()];
    if !key.verify(signing_input.as_bytes(), &sig) {
        return Err(TokenError::Signature);
    }
    let payload: Value =
        serde_json::from_slice(&decode_segment(p)?).map_err(|_| TokenError::BadClaims)?;
    check_claims(&payload, expect)
}

fn check_claims(payload: &Value, expect: &Expectations<'_>) -> Result<AccessClaims, TokenError> {
    let obj = payload.as_object().ok_or(TokenError::BadClaims)?;
    let str_claim = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(TokenError::BadClaims)
    };
    let num_claim = |name: &str| {
        obj.get(name)
            .map(|v| v.as_i64().ok_or(TokenError::BadClaims))
    };
    let iss = str_claim("iss")?;
    if iss != expect.issuer {
        return Err(TokenError::Issuer);
    }
    let aud_ok = match obj.get("aud") {
        Some(Value::String(a)) => a == expect.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(TokenError::Audience);
    }
    let exp = num_claim("exp").ok_or(TokenError::BadClaims)??;
    if expect.check_exp && expect.now >= exp + LEEWAY {
        return Err(TokenError::Expired);
    }
    if num_claim("nbf")
        .transpose()?
        .is_some_and(|nbf| nbf > expect.now + LEEWAY)
    {
        return Err(TokenError::NotYetValid);
    }
    let iat = num_claim("iat").ok_or(TokenError::BadClaims)??;
    if iat > expect.now + LEEWAY {
        return Err(TokenError::IssuedInFuture);
    }
    Ok(AccessClaims {
        iss,
        sub: str_claim("sub")?,
        aud: expect.audience.to_string(),
        exp,
        iat,
        jti: str_claim("jti")?,
        client_id: str_claim("client_id")?,
        scope: obj
            .get("scope")
            .map(|v| v.as_str().map(str::to_owned).ok_or(TokenError::BadClaims))
            .transpose()?
            .unwrap_or_default(),
    })
}

/// Reads a token's claims *without* verifying anything. Only for choosing
/// what to revoke after the caller has verified the signature some other
/// way; never for authorization decisions.
pub fn peek_claims(token: &str) -> Option<Value> {
    let p = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::keys::SigningKey;

    fn setup(alg: SigningAlg) -> (KeySet, AccessClaims) {
        let key = Arc::new(SigningKey::generate(alg, 1000).unwrap());
        let claims = AccessClaims {
            iss: "http://127.0.0.1:1".into(),
            sub: "alice".into(),
            aud: "http://127.0.0.1:1/api".into(),
            exp: 2000,
            iat: 1000,
            jti: "j1".into(),
            client_id: "c1".into(),
            scope: "profile".into(),
        };
        (
            KeySet {
                active: key,
                retired: vec![],
            },
            claims,
        )
    }

    fn expect(now: i64) -> Expectations<'static> {
        Expectations {
            issuer: "http://127.0.0.1:1",
            audience: "http://127.0.0.1:1/api",
            now,
            check_exp: true,
        }
    }

    fn forge(header: Value, claims: &Value, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap()),
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    #[test]
    fn genuine_tokens_verify_for_every_alg() {
        for alg in [SigningAlg::EdDSA, SigningAlg::ES256, SigningAlg::RS256] {
            let (keys, claims) = setup(alg);
            let token = keys.active.sign_at_jwt(&claims).unwrap();
            assert_eq!(
                verify_access_token(&token, &keys, &expect(1500)),
                Ok(claims)
            );
        }
    }

    #[test]
    fn time_claims_are_enforced() {
        let (keys, claims) = setup(SigningAlg::EdDSA);
        let token = keys.active.sign_at_jwt(&claims).unwrap();
        assert_eq!(
            verify_access_token(&token, &keys, &expect(2000 + LEEWAY)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify_access_token(&token, &keys, &expect(1000 - LEEWAY - 1)),
            Err(TokenError::IssuedInFuture)
        );
    }

    #[test]
    fn forgeries_are_refused() {
        let (keys, claims) = setup(SigningAlg::EdDSA);
        let claims_v = serde_json::to_value(&claims).unwrap();
        let kid = keys.active.kid().to_string();
        for alg in ["none", "None", "NONE", "nOnE", "HS256"] {
            let t = forge(
                serde_json::json!({"alg": alg, "typ": "at+jwt", "kid": kid}),
                &claims_v,
                b"",
            );
            assert_eq!(
                verify_access_token(&t, &keys, &expect(1500)),
                Err(TokenError::Algorithm(alg.into()))
            );
        }
        // Tampered payload, original signature.
        let genuine = keys.active.sign_at_jwt(&claims).unwrap();
        let mut wider = claims_v.clone();
        wider["scope"] = "profile notes:write".into();
        let parts: Vec<&str> = genuine.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wider).unwrap()),
            parts[2]
        );
        assert_eq!(
            verify_access_token(&tampered, &keys, &expect(1500)),
            Err(TokenError::Signature)
        );
        // Wrong typ, unknown crit, unknown kid, extra segment.
        let sign = |header: Value| {
            let unsigned = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims_v).unwrap())
            );
            let sig = keys.active.sign(unsigned.as_bytes()).unwrap();
            format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode(sig))
        };
        let t = sign(serde_json::json!({"alg":"EdDSA","typ":"JWT","kid":kid}));
        assert_eq!(
            verify_access_token(&t, &keys, &expect(1500)),
            Err(TokenError::Type)
        );
        let t = sign(
            serde_json::json!({"alg":"EdDSA","typ":"at+jwt","kid":kid,"crit":["exp"],"exp":1}),
        );
        assert_eq!(
            verify_access_token(&t, &keys, &expect(1500)),
            Err(TokenError::Critical)
        );
        let t = sign(serde_json::json!({"alg":"EdDSA","typ":"at+jwt","kid":"../../dev/null"}));
        assert_eq!(
            verify_access_token(&t, &keys, &expect(1500)),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(
            verify_access_token(&format!("{genuine}.x"), &keys, &expect(1500)),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            verify_access_token(&"a".repeat(MAX_TOKEN_LEN + 1), &keys, &expect(1500)),
            Err(TokenError::TooLarge)
        );
    }
}
