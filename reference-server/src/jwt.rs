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
    /// The claims the client asked for by name for the UserInfo response
    /// (OpenID Connect Core §5.5), space-separated: a private claim, absent
    /// when there are none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub userinfo_claims: String,
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

/// Rules a verification may be told to skip. Only deliberate faults
/// (`--fault`, see [`crate::faults`]) ever turn one on; [`Lax::default`] is
/// the strict verifier, and a check costs one load of a `bool`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lax {
    /// `alg: none` (any case) is accepted without a signature.
    pub alg_none: bool,
    /// `HS256` is verified with the key's public PEM as the HMAC secret.
    pub hmac_public_key: bool,
    /// The signature is not checked at all.
    pub skip_signature: bool,
    /// A `jwk` header is trusted as the verification key.
    pub embedded_jwk: bool,
    /// A `jku` header is fetched (loopback URLs only) for the key.
    pub jku: bool,
    /// A `kid` ending in `/dev/null` selects an empty HMAC key.
    pub kid_path: bool,
    pub ignore_crit: bool,
    pub ignore_typ: bool,
    pub ignore_iss: bool,
    pub ignore_aud: bool,
    pub ignore_nbf: bool,
    pub exp_optional: bool,
}

/// What a verification needs to know about the server.
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: UnixTime,
    /// Whether `exp` is enforced (always, but under a fault).
    pub check_exp: bool,
    /// Checks skipped under a fault; strict by default.
    pub lax: Lax,
}

/// A JWS whose signature verified with one of the server's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJws {
    pub header: serde_json::Map<String, Value>,
    pub payload: Vec<u8>,
}

/// Verifies an access token's signature and claims. Revocation (`jti`) is
/// the caller's to check.
pub fn verify_access_token(
    token: &str,
    keys: &KeySet,
    expect: &Expectations<'_>,
) -> Result<AccessClaims, TokenError> {
    let jws = verify_jws(token, keys, expect.now, &expect.lax)?;
    let typ = jws.header.get("typ").and_then(Value::as_str).unwrap_or("");
    if !expect.lax.ignore_typ
        && !typ.eq_ignore_ascii_case("at+jwt")
        && !typ.eq_ignore_ascii_case("application/at+jwt")
    {
        return Err(TokenError::Type);
    }
    let payload: Value = serde_json::from_slice(&jws.payload).map_err(|_| TokenError::BadClaims)?;
    check_claims(&payload, expect)
}

/// The signature layer of RFC 7515 §5.2 with RFC 8725 §3.1's rules: compact
/// form with strict base64url (§2), a JSON-object header, an allowlisted
/// `alg` equal to the key's own, the key found by `kid` among the server's
/// published keys only (`jwk`, `jku`, `x5u` are never followed, RFC 8725
/// §3.10), no `crit` (no extension is understood, RFC 7515 §4.1.11), and a
/// signature that verifies. Claims are not looked at.
pub fn verify_jws(
    token: &str,
    keys: &KeySet,
    now: UnixTime,
    lax: &Lax,
) -> Result<VerifiedJws, TokenError> {
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
    let Value::Object(header) = header else {
        return Err(TokenError::BadHeader);
    };
    let payload = decode_segment(p)?;
    let sig = decode_segment(s)?;
    let signing_input = &token[..h.len() + 1 + p.len()];
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(TokenError::BadHeader)?;
    if header.contains_key("crit") && !lax.ignore_crit {
        // This verifier understands no extension, so any `crit` is unknown.
        return Err(TokenError::Critical);
    }
    if lax.alg_none && alg_name.eq_ignore_ascii_case("none") {
        return Ok(VerifiedJws { header, payload });
    }
    if let Some(found) = lax::lenient_key(&header, alg_name, signing_input, &sig, keys, now, lax) {
        return if found {
            Ok(VerifiedJws { header, payload })
        } else {
            Err(TokenError::Signature)
        };
    }
    let alg = SigningAlg::parse(alg_name).ok_or_else(|| TokenError::Algorithm(alg_name.into()))?;
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(TokenError::UnknownKey)?;
    let key = keys.find(kid, now).ok_or(TokenError::UnknownKey)?;
    if key.alg() != alg {
        return Err(TokenError::Algorithm(alg_name.into()));
    }
    if !lax.skip_signature && !key.verify(signing_input.as_bytes(), &sig) {
        return Err(TokenError::Signature);
    }
    Ok(VerifiedJws { header, payload })
}

/// The deliberately broken key choices of [`Lax`]; never reached by the
/// strict verifier.
mod lax {
    use std::io::{Read, Write};
    use std::time::Duration;

    use aws_lc_rs::signature::{self, UnparsedPublicKey};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Map, Value};

    use super::Lax;
    use crate::clock::UnixTime;
    use crate::keys::KeySet;

    fn b64(s: Option<&Value>) -> Option<Vec<u8>> {
        URL_SAFE_NO_PAD.decode(s?.as_str()?).ok()
    }

    /// Verifies with a JWK taken from the token or a URL (the CVE-2018-0114
    /// and SSRF bugs): EdDSA, ES256 or RS256 keys.
    fn verify_with_jwk(jwk: &Value, alg: &str, input: &[u8], sig: &[u8]) -> bool {
        let (v, key): (&'static dyn signature::VerificationAlgorithm, Vec<u8>) = match alg {
            "EdDSA" => (&signature::ED25519, b64(jwk.get("x")).unwrap_or_default()),
            "ES256" => {
                let mut point = vec![4u8];
                point.extend(b64(jwk.get("x")).unwrap_or_default());
                point.extend(b64(jwk.get("y")).unwrap_or_default());
                (&signature::ECDSA_P256_SHA256_FIXED, point)
            }
            "RS256" => {
                let (Some(n), Some(e)) = (b64(jwk.get("n")), b64(jwk.get("e"))) else {
                    return false;
                };
                return signature::RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, input, sig)
                    .is_ok();
            }
            _ => return false,
        };
        UnparsedPublicKey::new(v, key).verify(input, sig).is_ok()
    }

    /// `GET url` over plain HTTP, loopback only, two-second limits.
    fn fetch_loopback(url: &str) -> Option<Value> {
        let rest = url.strip_prefix("http://127.0.0.1:")?;
        let (port, path) = rest.split_once('/').unwrap_or((rest, ""));
        let port: u16 = port.parse().ok()?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let mut stream =
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(
            stream,
            "GET /{path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .ok()?;
        let mut body = Vec::new();
        stream.take(1 << 20).read_to_end(&mut body).ok()?;
        let text = String::from_utf8_lossy(&body);
        serde_json::from_str(text.split_once("\r\n\r\n")?.1).ok()
    }

    /// `Some(verified)` when a fault decided the key; `None` to go on with
    /// the strict path.
    pub(super) fn lenient_key(
        header: &Map<String, Value>,
        alg: &str,
        input: &str,
        sig: &[u8],
        keys: &KeySet,
        now: UnixTime,
        lax: &Lax,
    ) -> Option<bool> {
        if lax.embedded_jwk
            && let Some(jwk) = header.get("jwk")
        {
            return Some(verify_with_jwk(jwk, alg, input.as_bytes(), sig));
        }
        if lax.jku
            && let Some(url) = header.get("jku").and_then(Value::as_str)
        {
            let set = fetch_loopback(url)?;
            let kid = header.get("kid").and_then(Value::as_str);
            let keys = set.get("keys")?.as_array()?;
            let jwk = keys
                .iter()
                .find(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)?;
            return Some(verify_with_jwk(jwk, alg, input.as_bytes(), sig));
        }
        let hmac = |secret: &[u8]| {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
            aws_lc_rs::hmac::verify(&key, input.as_bytes(), sig).is_ok()
        };
        let kid = header.get("kid").and_then(Value::as_str);
        if alg == "HS256" && lax.kid_path && kid.is_some_and(|k| k.ends_with("/dev/null")) {
            return Some(hmac(b""));
        }
        if alg == "HS256" && lax.hmac_public_key {
            let key = kid.and_then(|k| keys.find(k, now)).unwrap_or(&keys.active);
            return Some(key.public_pem().is_some_and(|pem| hmac(pem.as_bytes())));
        }
        None
    }
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
    let lax = &expect.lax;
    let iss = str_claim("iss")?;
    if iss != expect.issuer && !lax.ignore_iss {
        return Err(TokenError::Issuer);
    }
    let aud_ok = match obj.get("aud") {
        Some(Value::String(a)) => a == expect.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !aud_ok && !lax.ignore_aud {
        return Err(TokenError::Audience);
    }
    let exp = match num_claim("exp") {
        Some(e) => e?,
        None if lax.exp_optional => UnixTime::MAX - LEEWAY,
        None => return Err(TokenError::BadClaims),
    };
    if expect.check_exp && expect.now >= exp + LEEWAY {
        return Err(TokenError::Expired);
    }
    if num_claim("nbf")
        .transpose()?
        .is_some_and(|nbf| nbf > expect.now + LEEWAY)
        && !lax.ignore_nbf
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
        userinfo_claims: obj
            .get("userinfo_claims")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
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
            userinfo_claims: String::new(),
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
            lax: Lax::default(),
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
