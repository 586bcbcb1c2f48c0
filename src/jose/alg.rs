//! JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) and what each needs of a key: a leaf that
//! both [`jwk`](super::jwk) (which keys suit which algorithm) and [`jws`](super::jws)
//! (signing and verifying) use.

use aws_lc_rs::hmac;
use aws_lc_rs::signature;

/// JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1). `none` is deliberately
/// not one: it is never verified (RFC 8725 §3.1), only forged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

impl Alg {
    pub const ALL: [Alg; 13] = [
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// Exact, case-sensitive (RFC 7515 §4.1.1).
    pub fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn is_hmac(self) -> bool {
        matches!(self, Alg::HS256 | Alg::HS384 | Alg::HS512)
    }

    pub(crate) fn hmac_alg(self) -> Option<hmac::Algorithm> {
        match self {
            Alg::HS256 => Some(hmac::HMAC_SHA256),
            Alg::HS384 => Some(hmac::HMAC_SHA384),
            Alg::HS512 => Some(hmac::HMAC_SHA512),
            _ => None,
        }
    }

    /// Minimum HMAC key length: the hash output size (RFC 7518 §3.2).
    pub fn min_hmac_key_len(self) -> usize {
        match self {
            Alg::HS384 => 48,
            Alg::HS512 => 64,
            _ => 32,
        }
    }

    /// The EC curve an `ES*` algorithm requires (RFC 7518 §3.4).
    pub fn curve(self) -> Option<&'static str> {
        match self {
            Alg::ES256 => Some("P-256"),
            Alg::ES384 => Some("P-384"),
            Alg::ES512 => Some("P-521"),
            _ => None,
        }
    }

    pub(crate) fn ecdsa(self) -> Option<&'static signature::EcdsaVerificationAlgorithm> {
        match self {
            Alg::ES256 => Some(&signature::ECDSA_P256_SHA256_FIXED),
            Alg::ES384 => Some(&signature::ECDSA_P384_SHA384_FIXED),
            Alg::ES512 => Some(&signature::ECDSA_P521_SHA512_FIXED),
            _ => None,
        }
    }

    pub(crate) fn rsa(self) -> Option<&'static signature::RsaParameters> {
        match self {
            Alg::RS256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
            Alg::RS384 => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
            Alg::RS512 => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
            Alg::PS256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
            Alg::PS384 => Some(&signature::RSA_PSS_2048_8192_SHA384),
            Alg::PS512 => Some(&signature::RSA_PSS_2048_8192_SHA512),
            _ => None,
        }
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
