//! The fake's signing keys: an RS256 key it publishes in its JWKS and signs
//! ID tokens with, and a second one it never publishes, to forge signatures
//! for `bad-id-token-signature`. Both are the harness's own
//! [`jose`](crate::jose) keys: generated, signed with and published by it.
//!
//! RSA key generation is slow (tens of milliseconds), so keys are generated
//! once per process ([`UpstreamKeys::shared`]) and shared by every fake.

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use crate::jose::{Alg, Jwk, Signer, jws};

/// Why keys could not be made or used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyError {
    #[error("cannot generate an RSA key: {0}")]
    Generate(String),
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// The algorithm of every ID token a fake signs.
const ALG: Alg = Alg::RS256;

/// The published key and the forger's key.
pub struct UpstreamKeys {
    published: Signer,
    /// The published key's public JWK, with its `kid`, `alg` and `use`.
    public: Jwk,
    forger: Signer,
}

impl std::fmt::Debug for UpstreamKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamKeys")
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

/// How the header of an ID token is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signature {
    /// RS256 by the published key: a genuine token.
    Genuine,
    /// RS256 claiming the published kid, signed by the forger's key.
    Forged,
    /// `alg: none`, empty signature (RFC 7519 §6.1 "unsecured JWT").
    None,
}

impl UpstreamKeys {
    /// Generates both keys (RSA 2048, RS256).
    pub fn generate() -> Result<Self, KeyError> {
        let make = || Signer::generate(ALG).map_err(|e| KeyError::Generate(e.to_string()));
        let published = make()?;
        let public = public_jwk(&published)?;
        Ok(UpstreamKeys {
            published,
            public,
            forger: make()?,
        })
    }

    /// The keys every fake of this process shares.
    pub fn shared() -> Result<Arc<Self>, KeyError> {
        static KEYS: OnceLock<Result<Arc<UpstreamKeys>, KeyError>> = OnceLock::new();
        KEYS.get_or_init(|| UpstreamKeys::generate().map(Arc::new))
            .clone()
    }

    /// The published key's id (its RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        self.public.kid.as_deref().unwrap_or_default()
    }

    /// The JWK Set the fake publishes (RFC 7517 §5): the public key only.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [Value::Object(self.public.public_json())] })
    }

    /// Encodes `claims` as a compact JWS (RFC 7515 §7.1).
    pub fn sign(&self, claims: &Value, how: Signature) -> Result<String, KeyError> {
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        let signer = match how {
            Signature::None => {
                let header = json!({ "alg": "none", "typ": "JWT" });
                return Ok(jws::unsecured(&header, &payload));
            }
            Signature::Genuine => &self.published,
            Signature::Forged => &self.forger,
        };
        let header = json!({ "alg": ALG.as_str(), "typ": "JWT", "kid": self.kid() });
        jws::sign(&header, &payload, signer).map_err(|e| KeyError::Sign(e.to_string()))
    }
}

/// The public JWK of `signer` as published: `kid` its RFC 7638 thumbprint,
/// `alg` and `use: sig`, read back through [`Jwk::parse`] so what is
/// published is a key the harness itself accepts.
fn public_jwk(signer: &Signer) -> Result<Jwk, KeyError> {
    let bad = |why: String| KeyError::Generate(format!("the public key: {why}"));
    let members = signer
        .public_jwk()
        .ok_or_else(|| bad("an RSA signer has a public key".into()))?;
    let kid = Jwk::parse(&members)
        .map_err(|e| bad(e.to_string()))?
        .thumbprint();
    let mut published = members;
    published["kid"] = json!(kid);
    published["alg"] = json!(ALG.as_str());
    published["use"] = json!("sig");
    Jwk::parse(&published).map_err(|e| bad(e.to_string()))
}
