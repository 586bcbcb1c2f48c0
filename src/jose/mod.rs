//! JOSE for attackers and for checking them: JWS compact parsing and
//! serialization (RFC 7515), signing and verification (RFC 7518 §3, RFC 8037),
//! JWKs (RFC 7517), DER/PEM public keys for the algorithm-confusion attack,
//! the forgeries of RFC 8725 §2 as named functions ([`forge`]), and the
//! weak-HMAC-secret dictionary ([`weak`]).
//!
//! Checked against Project Wycheproof's JWS and JWK vectors and RFC 7520's
//! examples (`tests.rs`).

pub mod alg;
pub mod der;
pub mod forge;
pub mod jwk;
pub mod jws;
pub mod weak;

#[cfg(test)]
mod tests;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use alg::Alg;
pub use jwk::{Jwk, JwkSet, KeyMaterial};
pub use jws::{Jws, Signer};

/// Why a token or key was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    #[error("a compact JWS has three segments, this has {0}")]
    Segments(usize),
    #[error("a segment is not unpadded base64url (RFC 7515 §2)")]
    Base64,
    #[error("the header is not a JSON object")]
    Header,
    #[error("the payload is not a JSON object of claims")]
    Claims,
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(String),
    #[error("unknown critical header parameter (RFC 7515 §4.1.11)")]
    Critical,
    #[error("the key does not match the token: {0}")]
    KeyMismatch(String),
    #[error("the key type does not suit the algorithm")]
    WrongKeyType,
    #[error("unusable key: {0}")]
    Key(String),
    #[error("the signature does not verify")]
    Signature,
    #[error("cryptographic operation failed")]
    Crypto,
}

/// Strict unpadded base64url decoding (RFC 7515 §2): no padding, no
/// whitespace, no characters outside the alphabet, no non-zero trailing bits.
pub fn b64d(s: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| JoseError::Base64)
}

/// Unpadded base64url encoding.
pub fn b64e(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
