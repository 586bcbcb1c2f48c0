//! Validation of an upstream provider's ID token, as OpenID Connect Core 1.0
//! §3.1.3.7 lists it, with RFC 8725's rules for the JWS: an algorithm
//! allowlist (RS256, ES256; never `none`, never HMAC, §3.1), the key chosen
//! by `kid` among the keys the provider publishes at its `jwks_uri` only
//! (`jwk`, `jku`, `x5u` headers are never followed, §3.10).

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::clock::UnixTime;

/// Clock skew tolerated on `exp` and `iat` (OpenID Connect Core §3.1.3.7
/// steps 9 and 10 leave it to the client).
pub const LEEWAY: i64 = 60;

/// Algorithms accepted for upstream ID tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdTokenAlg {
    RS256,
    ES256,
}

impl IdTokenAlg {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(IdTokenAlg::RS256),
            "ES256" => Some(IdTokenAlg::ES256),
            _ => None,
        }
    }

    fn kty(self) -> &'static str {
        match self {
            IdTokenAlg::RS256 => "RSA",
            IdTokenAlg::ES256 => "EC",
        }
    }
}

/// Why an ID token was refused; each names the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is not a compact JWS (RFC 7515 §7.1)")]
    Malformed,
    #[error(
        "the ID token is signed with {0:?}, which is not accepted: only RS256 and ES256 (RFC 8725 §3.1)"
    )]
    Algorithm(String),
    #[error(
        "the ID token names a critical header extension this server does not understand (RFC 7515 §4.1.11)"
    )]
    Critical,
    #[error("the ID token's signing key is not among the provider's published keys")]
    UnknownKey,
    #[error(
        "the ID token's signature does not verify with the provider's key (OpenID Connect Core §3.1.3.7 step 6)"
    )]
    Signature,
    #[error(
        "the ID token's claims are not a JSON object with the required members (OpenID Connect Core §2)"
    )]
    Claims,
    #[error(
        "the ID token was issued by {0:?}, not by the provider (OpenID Connect Core §3.1.3.7 step 2)"
    )]
    Issuer(String),
    #[error(
        "the ID token is not meant for this server: aud does not name its client (OpenID Connect Core §3.1.3.7 step 3)"
    )]
    Audience,
    #[error("the ID token has expired (OpenID Connect Core §3.1.3.7 step 9)")]
    Expired,
    #[error("the ID token was issued in the future (OpenID Connect Core §3.1.3.7 step 10)")]
    IssuedInFuture,
    #[error(
        "the ID token's nonce is not the one this login sent (OpenID Connect Core §3.1.3.7 step 11)"
    )]
    Nonce,
}

/// What the token must match.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: UnixTime,
    /// Both true, except under a relying-party fault.
    pub verify_signature: bool,
    pub check_nonce: bool,
}

fn segment(s: &str) -> Result<Vec<u8>, IdTokenError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| IdTokenError::Malformed)
}

/// Validates `token` against the provider's JWK Set and `expect`; returns its claims.
pub fn validate(token: &str, jwks: &Value, expect: &Expected<'_>) -> Result<Value, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed);
    };
    let header: Value =
        serde_json::from_slice(&segment(h)?).map_err(|_| IdTokenError::Malformed)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(IdTokenError::Malformed)?;
    let alg =
        IdTokenAlg::parse(alg_name).ok_or_else(|| IdTokenError::Algorithm(alg_name.into()))?;
    if header.get("crit").is_some() {
        return Err(IdTokenError::Critical);
    }
    let payload: Value =
        serde_json::from_slice(&segment(p)?).map_err(|_| IdTokenError::Malformed)?;
    if expect.verify_signature {
        let key = find_key(jwks, header.get("kid").and_then(Value::as_str), alg)?;
        let sig = segment(s)?;
        let input = &token.as_bytes()[..h.len() + 1 + p.len()];
        if !verify(key, alg, input, &sig)? {
            return Err(IdTokenError::Signature);
        }
    }
    check_claims(&payload, expect)?;
    Ok(payload)
}

/// The key named by `kid` (or the only key of the right type when the
/// token names none), of the type `alg` needs.
fn find_key<'a>(
    jwks: &'a Value,
    kid: Option<&str>,
    alg: IdTokenAlg,
) -> Result<&'a Value, IdTokenError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(IdTokenError::UnknownKey)?;
    let fits = |k: &&Value| {
        k.get("kty").and_then(Value::as_str) == Some(alg.kty())
            && k.get("use")
                .and_then(Value::as_str)
                .is_none_or(|u| u == "sig")
            && k.get("alg")
                .and_then(Value::as_str)
                .is_none_or(|a| IdTokenAlg::parse(a) == Some(alg))
    };
    match kid {
        Some(kid) => keys
            .iter()
            .filter(fits)
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
            .ok_or(IdTokenError::UnknownKey),
        None => {
            let mut candidates = keys.iter().filter(fits);
            match (candidates.next(), candidates.next()) {
                (Some(k), None) => Ok(k),
                _ => Err(IdTokenError::UnknownKey),
            }
        }
    }
}

fn verify(jwk: &Value, alg: IdTokenAlg, input: &[u8], sig: &[u8]) -> Result<bool, IdTokenError> {
    let member = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
            .ok_or(IdTokenError::UnknownKey)
    };
    Ok(match alg {
        IdTokenAlg::RS256 => {
            let key = RsaPublicKeyComponents {
                n: member("n")?,
                e: member("e")?,
            };
            key.verify(&signature::RSA_PKCS1_2048_8192_SHA256, input, sig)
                .is_ok()
        }
        IdTokenAlg::ES256 => {
            if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
                return Err(IdTokenError::UnknownKey);
            }
            let (x, y) = (member("x")?, member("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(IdTokenError::UnknownKey);
            }
            let mut point = Vec::with_capacity(65);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(input, sig)
                .is_ok()
        }
    })
}

fn check_claims(claims: &Value, expect: &Expected<'_>) -> Result<(), IdTokenError> {
    let obj = claims.as_object().ok_or(IdTokenError::Claims)?;
    let iss = obj
        .get("iss")
        .and_then(Value::as_str)
        .ok_or(IdTokenError::Claims)?;
    if iss != expect.issuer {
        return Err(IdTokenError::Issuer(iss.to_owned()));
    }
    match obj.get("sub").and_then(Value::as_str) {
        Some(s) if !s.is_empty() => {}
        _ => return Err(IdTokenError::Claims),
    }
    // Step 3: aud contains the client; step 4/5: with several audiences, azp is the client.
    let audiences: Vec<&str> = match obj.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => return Err(IdTokenError::Claims),
    };
    if !audiences.contains(&expect.client_id) {
        return Err(IdTokenError::Audience);
    }
    if audiences.len() > 1 && obj.get("azp").and_then(Value::as_str) != Some(expect.client_id) {
        return Err(IdTokenError::Audience);
    }
    let exp = obj
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(IdTokenError::Claims)?;
    let iat = obj
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(IdTokenError::Claims)?;
    if exp + LEEWAY <= expect.now {
        return Err(IdTokenError::Expired);
    }
    if iat > expect.now + LEEWAY {
        return Err(IdTokenError::IssuedInFuture);
    }
    if expect.check_nonce {
        let nonce = obj.get("nonce").and_then(Value::as_str);
        let same = nonce.is_some_and(|n| {
            n.len() == expect.nonce.len()
                && bool::from(subtle::ConstantTimeEq::ct_eq(
                    n.as_bytes(),
                    expect.nonce.as_bytes(),
                ))
        });
        if !same {
            return Err(IdTokenError::Nonce);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::keys::{SigningAlg, SigningKey};

    fn sign(key: &SigningKey, header: Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        );
        let sig = key.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn claims(now: i64) -> Value {
        json!({"iss": "http://up", "sub": "42", "aud": "rp", "exp": now + 600, "iat": now, "nonce": "n1"})
    }

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            issuer: "http://up",
            client_id: "rp",
            nonce: "n1",
            now,
            verify_signature: true,
            check_nonce: true,
        }
    }

    #[test]
    fn genuine_tokens_pass_and_every_broken_part_is_named() {
        let now = 1_700_000_000;
        for alg in [SigningAlg::RS256, SigningAlg::ES256] {
            let key = SigningKey::generate(alg, now).unwrap();
            let jwks = json!({"keys": [key.public_jwk()]});
            let header = json!({"alg": alg.as_str(), "kid": key.kid()});
            let good = sign(&key, header.clone(), &claims(now));
            assert!(validate(&good, &jwks, &expected(now)).is_ok(), "{alg:?}");
            let other = SigningKey::generate(alg, now).unwrap();
            let forged = sign(&other, header.clone(), &claims(now));
            assert_eq!(
                validate(&forged, &jwks, &expected(now)),
                Err(IdTokenError::Signature)
            );
            let relaxed = Expected {
                verify_signature: false,
                ..expected(now)
            };
            assert!(validate(&forged, &jwks, &relaxed).is_ok());
            let mut c = claims(now);
            c["nonce"] = json!("n2");
            let t = sign(&key, header.clone(), &c);
            assert_eq!(
                validate(&t, &jwks, &expected(now)),
                Err(IdTokenError::Nonce)
            );
            c["iss"] = json!("http://evil");
            let t = sign(&key, header.clone(), &c);
            assert!(matches!(
                validate(&t, &jwks, &expected(now)),
                Err(IdTokenError::Issuer(_))
            ));
            let mut c = claims(now);
            c["aud"] = json!(["rp", "other"]);
            let t = sign(&key, header.clone(), &c);
            assert_eq!(
                validate(&t, &jwks, &expected(now)),
                Err(IdTokenError::Audience)
            );
            c["azp"] = json!("rp");
            let t = sign(&key, header.clone(), &c);
            assert!(validate(&t, &jwks, &expected(now)).is_ok());
            let mut c = claims(now);
            c["exp"] = json!(now - 3600);
            let t = sign(&key, header.clone(), &c);
            assert_eq!(
                validate(&t, &jwks, &expected(now)),
                Err(IdTokenError::Expired)
            );
        }
    }

    #[test]
    fn unsigned_and_hmac_tokens_are_refused() {
        let now = 1_700_000_000;
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let none = format!("{}.{}.", enc(&json!({"alg": "none"})), enc(&claims(now)));
        let jwks = json!({"keys": []});
        assert_eq!(
            validate(&none, &jwks, &expected(now)),
            Err(IdTokenError::Algorithm("none".into()))
        );
        let relaxed = Expected {
            verify_signature: false,
            ..expected(now)
        };
        assert!(
            validate(&none, &jwks, &relaxed).is_err(),
            "never none, even unverified"
        );
        let hs = format!(
            "{}.{}.c2ln",
            enc(&json!({"alg": "HS256"})),
            enc(&claims(now))
        );
        assert!(matches!(
            validate(&hs, &jwks, &expected(now)),
            Err(IdTokenError::Algorithm(_))
        ));
        assert_eq!(
            validate("a.b", &jwks, &expected(now)),
            Err(IdTokenError::Malformed)
        );
    }
}
