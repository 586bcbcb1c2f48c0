//! Signing keys: generated once, kept in the store, parsed once and cached.
//!
//! A key is *active* (signs new tokens), *retired* (still published in the
//! JWKS so tokens it signed keep verifying until they expire), or gone.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, ParsedPublicKey, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::UnixTime;

/// JWS algorithms the server signs access tokens with (RFC 7518 §3.1,
/// RFC 8037 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlg {
    EdDSA,
    ES256,
    RS256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::EdDSA => "EdDSA",
            SigningAlg::ES256 => "ES256",
            SigningAlg::RS256 => "RS256",
        }
    }

    /// Exact, case-sensitive match (RFC 7515 §4.1.1: `alg` is case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EdDSA" => Some(SigningAlg::EdDSA),
            "ES256" => Some(SigningAlg::ES256),
            "RS256" => Some(SigningAlg::RS256),
            _ => None,
        }
    }
}

impl std::str::FromStr for SigningAlg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
            .ok_or_else(|| format!("unknown signing algorithm {s:?} (EdDSA, ES256, RS256)"))
    }
}

/// A key as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub kid: String,
    pub alg: SigningAlg,
    /// PKCS#8 v1 DER of the private key.
    pub pkcs8: Vec<u8>,
    pub created_at: UnixTime,
    /// Set when the key stops signing; it stays published until then.
    pub publish_until: Option<UnixTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("could not generate a {0:?} key")]
    Generate(SigningAlg),
    #[error("stored key {kid} is not a valid {alg:?} PKCS#8 key")]
    Parse { kid: String, alg: SigningAlg },
    #[error("signing failed")]
    Sign,
}

enum Signer {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A key parsed once: signer, verifier, public JWK and the encoded JWS
/// header, all cached.
pub struct SigningKey {
    pub record: KeyRecord,
    signer: Signer,
    verifier: ParsedPublicKey,
    jwk: Value,
    /// base64url of `{"alg":..,"typ":"at+jwt","kid":..}`.
    at_jwt_header: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.record.kid)
            .field("alg", &self.record.alg)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SigningKey {
    /// Generates a fresh key; its `kid` is its RFC 7638 JWK thumbprint.
    pub fn generate(alg: SigningAlg, now: UnixTime) -> Result<Self, KeyError> {
        let err = || KeyError::Generate(alg);
        let pkcs8 = match alg {
            SigningAlg::EdDSA => Ed25519KeyPair::generate()
                .map_err(|_| err())?
                .to_pkcs8v1()
                .map_err(|_| err())?
                .as_ref()
                .to_vec(),
            SigningAlg::ES256 => {
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| err())?
                    .to_pkcs8v1()
                    .map_err(|_| err())?
                    .as_ref()
                    .to_vec()
            }
            SigningAlg::RS256 => {
                let kp = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| err())?;
                AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&kp)
                    .map_err(|_| err())?
                    .as_ref()
                    .to_vec()
            }
        };
        Self::from_record(KeyRecord {
            kid: String::new(),
            alg,
            pkcs8,
            created_at: now,
            publish_until: None,
        })
    }

    /// Parses a stored key. An empty `kid` is replaced by the thumbprint.
    pub fn from_record(mut record: KeyRecord) -> Result<Self, KeyError> {
        let perr = |r: &KeyRecord| KeyError::Parse {
            kid: r.kid.clone(),
            alg: r.alg,
        };
        let (signer, verifier, jwk_members) = match record.alg {
            SigningAlg::EdDSA => {
                let kp = Ed25519KeyPair::from_pkcs8(&record.pkcs8).map_err(|_| perr(&record))?;
                let public = kp.public_key().as_ref().to_vec();
                let verifier = ParsedPublicKey::new(&signature::ED25519, &public)
                    .map_err(|_| perr(&record))?;
                // RFC 7638 §3.2: required members in lexicographic order.
                let members = json!({"crv": "Ed25519", "kty": "OKP", "x": b64(&public)});
                (Signer::Ed25519(kp), verifier, members)
            }
            SigningAlg::ES256 => {
                let kp = EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &record.pkcs8,
                )
                .map_err(|_| perr(&record))?;
                let point = kp.public_key().as_ref().to_vec();
                if point.len() != 65 || point[0] != 4 {
                    return Err(perr(&record));
                }
                let verifier = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                    .map_err(|_| perr(&record))?;
                let members = json!({
                    "crv": "P-256", "kty": "EC",
                    "x": b64(&point[1..33]), "y": b64(&point[33..65]),
                });
                (Signer::Ecdsa(kp), verifier, members)
            }
            SigningAlg::RS256 => {
                let kp = RsaKeyPair::from_pkcs8(&record.pkcs8).map_err(|_| perr(&record))?;
                let public = kp.public_key();
                let n = public.modulus().big_endian_without_leading_zero().to_vec();
                let e = public.exponent().big_endian_without_leading_zero().to_vec();
                let verifier =
                    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public.as_ref())
                        .map_err(|_| perr(&record))?;
                let members = json!({"e": b64(&e), "kty": "RSA", "n": b64(&n)});
                (Signer::Rsa(kp), verifier, members)
            }
        };
        if record.kid.is_empty() {
            // serde_json without preserve_order sorts keys: exactly RFC 7638's form.
            let canonical = serde_json::to_vec(&jwk_members).map_err(|_| perr(&record))?;
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &canonical);
            record.kid = b64(digest.as_ref());
        }
        let mut jwk = jwk_members;
        jwk["kid"] = json!(record.kid);
        jwk["alg"] = json!(record.alg.as_str());
        jwk["use"] = json!("sig");
        let header = json!({"alg": record.alg.as_str(), "typ": "at+jwt", "kid": record.kid});
        let at_jwt_header = b64(&serde_json::to_vec(&header).map_err(|_| perr(&record))?);
        Ok(Self {
            record,
            signer,
            verifier,
            jwk,
            at_jwt_header,
        })
    }

    pub fn kid(&self) -> &str {
        &self.record.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.record.alg
    }

    /// The public JWK (RFC 7517), never any private member.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The public key as PEM `PUBLIC KEY` (RFC 7468 §13: SubjectPublicKeyInfo,
    /// base64 in 64-character lines). Only the `hmac-public-key-accepted`
    /// fault uses it, as an HMAC secret.
    pub fn public_pem(&self) -> Option<String> {
        use aws_lc_rs::encoding::PublicKeyX509Der;
        let der: PublicKeyX509Der<'static> = self.verifier.as_der().ok()?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).ok()?);
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        Some(out)
    }

    /// Signs `message` with this key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.signer {
            Signer::Ed25519(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            Signer::Ecdsa(kp) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                Ok(kp
                    .sign(&rng, message)
                    .map_err(|_| KeyError::Sign)?
                    .as_ref()
                    .to_vec())
            }
            Signer::Rsa(kp) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
        }
    }

    /// Verifies a signature made with this key's algorithm.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        self.verifier.verify_sig(message, sig).is_ok()
    }

    /// Encodes and signs a compact JWS with header `typ: at+jwt` (RFC 9068 §2.1).
    pub fn sign_at_jwt(&self, claims: &impl Serialize) -> Result<String, KeyError> {
        self.sign_compact(&self.at_jwt_header, claims)
    }

    /// The JWS header `{"alg":..,"kid":..,"typ":typ}` of this key.
    pub fn header(&self, typ: &str) -> Value {
        json!({"alg": self.record.alg.as_str(), "kid": self.record.kid, "typ": typ})
    }

    /// Signs a compact JWS (RFC 7515 §7.1) whose header is already
    /// base64url-encoded: `header.payload.signature`, signed by this key
    /// whatever the header says.
    pub fn sign_compact(
        &self,
        header_b64: &str,
        claims: &impl Serialize,
    ) -> Result<String, KeyError> {
        let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Sign)?;
        let mut out = String::with_capacity(header_b64.len() + payload.len() * 4 / 3 + 100);
        out.push_str(header_b64);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut out);
        let sig = self.sign(out.as_bytes())?;
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut out);
        Ok(out)
    }
}

/// The published keys: the active one first, then retired ones still
/// within their publication window.
#[derive(Debug, Clone)]
pub struct KeySet {
    pub active: Arc<SigningKey>,
    pub retired: Vec<Arc<SigningKey>>,
}

impl KeySet {
    /// The key with this `kid`, if it is still published at `now`.
    pub fn find(&self, kid: &str, now: UnixTime) -> Option<&Arc<SigningKey>> {
        std::iter::once(&self.active)
            .chain(
                self.retired
                    .iter()
                    .filter(|k| k.record.publish_until.is_some_and(|t| t > now)),
            )
            .find(|k| k.kid() == kid)
    }

    /// The JWKS document (RFC 7517 §5): public keys only.
    pub fn jwks(&self, now: UnixTime) -> Value {
        let keys: Vec<&Value> = std::iter::once(&self.active)
            .chain(
                self.retired
                    .iter()
                    .filter(|k| k.record.publish_until.is_some_and(|t| t > now)),
            )
            .map(|k| k.public_jwk())
            .collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alg_signs_verifies_and_round_trips_through_its_record() {
        for alg in [SigningAlg::EdDSA, SigningAlg::ES256, SigningAlg::RS256] {
            let key = SigningKey::generate(alg, 0).unwrap();
            let sig = key.sign(b"hello").unwrap();
            assert!(key.verify(b"hello", &sig), "{alg:?}");
            assert!(!key.verify(b"hellp", &sig), "{alg:?}");
            let again = SigningKey::from_record(key.record.clone()).unwrap();
            assert_eq!(again.kid(), key.kid());
            assert!(again.verify(b"hello", &sig));
            let jwk = key.public_jwk();
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(jwk.get(private).is_none(), "{alg:?} leaks {private}");
            }
        }
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        // RFC 8037 Appendix A.3: thumbprint of the example Ed25519 key.
        let members =
            json!({"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let canonical = serde_json::to_vec(&members).unwrap();
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &canonical);
        assert_eq!(
            b64(d.as_ref()),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
