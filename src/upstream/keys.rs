//! The fake's signing keys: an RS256 key it publishes in its JWKS and signs
//! ID tokens with, and a second one it never publishes, to forge signatures
//! for `bad-id-token-signature`.
//!
//! RSA key generation is slow (tens of milliseconds), so keys are generated
//! once per process ([`UpstreamKeys::shared`]) and shared by every fake.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauthspec_reference_server::SigningAlg;
use oauthspec_reference_server::keys::SigningKey;
use serde_json::{Value, json};

/// Why keys could not be made or used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyError {
    #[error("cannot generate an RSA key: {0}")]
    Generate(String),
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// The published key and the forger's key.
pub struct UpstreamKeys {
    published: SigningKey,
    forger: SigningKey,
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
        let make = || {
            SigningKey::generate(SigningAlg::RS256, 0)
                .map_err(|e| KeyError::Generate(e.to_string()))
        };
        Ok(UpstreamKeys {
            published: make()?,
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
        self.published.kid()
    }

    /// The JWK Set the fake publishes (RFC 7517 §5): the public key only.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.published.public_jwk()] })
    }

    /// Encodes `claims` as a compact JWS (RFC 7515 §7.1).
    pub fn sign(&self, claims: &Value, how: Signature) -> Result<String, KeyError> {
        let header = match how {
            Signature::None => json!({ "alg": "none", "typ": "JWT" }),
            _ => json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid() }),
        };
        let enc = |v: &Value| {
            serde_json::to_vec(v)
                .map(|b| URL_SAFE_NO_PAD.encode(b))
                .map_err(|e| KeyError::Sign(e.to_string()))
        };
        let input = format!("{}.{}", enc(&header)?, enc(claims)?);
        let signature = match how {
            Signature::None => Ok(Vec::new()),
            Signature::Genuine => self.published.sign(input.as_bytes()),
            Signature::Forged => self.forger.sign(input.as_bytes()),
        }
        .map_err(|e| KeyError::Sign(e.to_string()))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}
