//! JWS Compact Serialization (RFC 7515 §7.1): parsing, signing and
//! verification for the algorithms of RFC 7518 §3 and RFC 8037 §3.1.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{Map, Value, json};

pub use super::alg::Alg;
use super::jwk::{Jwk, KeyMaterial};
use super::{JoseError, b64d, b64e};

/// A parsed compact JWS. The encoded segments are kept exactly as they
/// came, because the signature covers them, not the decoded JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct Jws {
    pub header: Map<String, Value>,
    pub header_b64: String,
    pub payload: Vec<u8>,
    pub payload_b64: String,
    pub signature: Vec<u8>,
    pub signature_b64: String,
}

impl Jws {
    /// Parses `header.payload.signature` (RFC 7515 §7.1): exactly three
    /// segments, each strict unpadded base64url (§2), the header a JSON
    /// object (§4). The JSON serialization (§7.2) is refused.
    pub fn parse(compact: &str) -> Result<Jws, JoseError> {
        let parts: Vec<&str> = compact.split('.').collect();
        let [h, p, s] = parts.as_slice() else {
            return Err(JoseError::Segments(parts.len()));
        };
        let header_bytes = b64d(h)?;
        let header: Value = serde_json::from_slice(&header_bytes).map_err(|_| JoseError::Header)?;
        let Value::Object(header) = header else {
            return Err(JoseError::Header);
        };
        Ok(Jws {
            header,
            header_b64: (*h).to_owned(),
            payload: b64d(p)?,
            payload_b64: (*p).to_owned(),
            signature: b64d(s)?,
            signature_b64: (*s).to_owned(),
        })
    }

    /// The bytes the signature covers (RFC 7515 §5.1 step 5).
    pub fn signing_input(&self) -> String {
        format!("{}.{}", self.header_b64, self.payload_b64)
    }

    pub fn compact(&self) -> String {
        format!(
            "{}.{}.{}",
            self.header_b64, self.payload_b64, self.signature_b64
        )
    }

    /// The `alg` header as written.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// The payload as a JWT claims set (RFC 7519 §7.2 step 10), if it is one.
    pub fn claims(&self) -> Option<Map<String, Value>> {
        match serde_json::from_slice(&self.payload).ok()? {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Verifies the signature with `key` (RFC 7515 §5.2), following RFC
    /// 8725 §3.1: the header's `alg` must be one this module implements, the
    /// key's own `alg` (if any) must equal it, and it must suit the key's
    /// type and size. `crit` is refused (no extension is understood, RFC
    /// 7515 §4.1.11). `jwk`, `jku`, `x5u` and `x5c` are never followed.
    pub fn verify(&self, key: &Jwk) -> Result<Alg, JoseError> {
        let alg_name = self.alg().ok_or(JoseError::Header)?;
        let alg = Alg::parse(alg_name).ok_or_else(|| JoseError::Algorithm(alg_name.to_owned()))?;
        if self.header.contains_key("crit") {
            return Err(JoseError::Critical);
        }
        if let (Some(want), Some(have)) = (self.kid(), key.kid.as_deref())
            && want != have
        {
            return Err(JoseError::KeyMismatch("kid".into()));
        }
        key.check_alg(alg)?;
        verify_raw(
            alg,
            &key.material,
            self.signing_input().as_bytes(),
            &self.signature,
        )?;
        Ok(alg)
    }
}

/// Verifies `sig` over `input` with `alg` and key material already known to
/// suit each other.
pub(crate) fn verify_raw(
    alg: Alg,
    key: &KeyMaterial,
    input: &[u8],
    sig: &[u8],
) -> Result<(), JoseError> {
    let ok = match key {
        KeyMaterial::Oct(k) => {
            let h = alg.hmac_alg().ok_or(JoseError::WrongKeyType)?;
            hmac::verify(&hmac::Key::new(h, k), input, sig).is_ok()
        }
        KeyMaterial::Rsa { n, e, .. } => {
            let params = alg.rsa().ok_or(JoseError::WrongKeyType)?;
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, input, sig)
                .is_ok()
        }
        KeyMaterial::Ec { point, .. } => {
            let v = alg.ecdsa().ok_or(JoseError::WrongKeyType)?;
            signature::UnparsedPublicKey::new(v, point)
                .verify(input, sig)
                .is_ok()
        }
        KeyMaterial::Okp { x, .. } => {
            if alg != Alg::EdDSA {
                return Err(JoseError::WrongKeyType);
            }
            signature::UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(input, sig)
                .is_ok()
        }
    };
    if ok {
        Ok(())
    } else {
        Err(JoseError::Signature)
    }
}

/// base64url of a JSON value (a header or claims segment).
pub fn encode_json(v: &Value) -> String {
    b64e(&serde_json::to_vec(v).unwrap_or_default())
}

/// A key the harness signs with: an attacker's key, a guessed HMAC secret, or
/// a key from a test vector.
pub enum Signer {
    Hmac(Vec<u8>),
    Ec(EcdsaKeyPair, Alg),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Signer::Hmac(_) => "hmac",
            Signer::Ec(_, a) => a.as_str(),
            Signer::Ed(_) => "EdDSA",
            Signer::Rsa(_) => "RSA",
        };
        write!(f, "Signer({kind})")
    }
}

impl Signer {
    /// A fresh key for `alg` (an attacker's own key pair).
    pub fn generate(alg: Alg) -> Result<Signer, JoseError> {
        let e = |_| JoseError::Crypto;
        Ok(match alg {
            Alg::EdDSA => Signer::Ed(
                Ed25519KeyPair::from_pkcs8(
                    Ed25519KeyPair::generate()
                        .map_err(e)?
                        .to_pkcs8v1()
                        .map_err(e)?
                        .as_ref(),
                )
                .map_err(|_| JoseError::Crypto)?,
            ),
            Alg::ES256 => Signer::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).map_err(e)?,
                alg,
            ),
            Alg::ES384 => Signer::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_FIXED_SIGNING).map_err(e)?,
                alg,
            ),
            Alg::ES512 => Signer::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P521_SHA512_FIXED_SIGNING).map_err(e)?,
                alg,
            ),
            a if a.rsa().is_some() => {
                Signer::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(e)?)
            }
            _ => {
                let mut k = vec![0u8; 32];
                aws_lc_rs::rand::fill(&mut k).map_err(e)?;
                Signer::Hmac(k)
            }
        })
    }

    /// The public JWK of an asymmetric signer (`None` for HMAC).
    pub fn public_jwk(&self) -> Option<Value> {
        match self {
            Signer::Hmac(_) => None,
            Signer::Ed(kp) => Some(json!({
                "kty": "OKP", "crv": "Ed25519", "x": b64e(kp.public_key().as_ref())
            })),
            Signer::Ec(kp, alg) => {
                let p = kp.public_key().as_ref();
                let n = (p.len() - 1) / 2;
                Some(json!({
                    "kty": "EC", "crv": alg.curve().unwrap_or("P-256"),
                    "x": b64e(&p[1..=n]), "y": b64e(&p[1 + n..])
                }))
            }
            Signer::Rsa(kp) => {
                let pk = kp.public_key();
                Some(json!({
                    "kty": "RSA",
                    "n": b64e(pk.modulus().big_endian_without_leading_zero()),
                    "e": b64e(pk.exponent().big_endian_without_leading_zero()),
                }))
            }
        }
    }

    /// Signs `input` with `alg`.
    pub fn sign(&self, alg: Alg, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        let rng = SystemRandom::new();
        match self {
            Signer::Hmac(k) => {
                let h = alg.hmac_alg().ok_or(JoseError::WrongKeyType)?;
                Ok(hmac::sign(&hmac::Key::new(h, k), input).as_ref().to_vec())
            }
            Signer::Ed(kp) if alg == Alg::EdDSA => Ok(kp.sign(input).as_ref().to_vec()),
            Signer::Ec(kp, a) if *a == alg => Ok(kp
                .sign(&rng, input)
                .map_err(|_| JoseError::Crypto)?
                .as_ref()
                .to_vec()),
            Signer::Rsa(kp) => {
                let pad: &'static dyn signature::RsaEncoding = match alg {
                    Alg::RS256 => &signature::RSA_PKCS1_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    Alg::PS512 => &signature::RSA_PSS_SHA512,
                    _ => return Err(JoseError::WrongKeyType),
                };
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(pad, &rng, input, &mut sig)
                    .map_err(|_| JoseError::Crypto)?;
                Ok(sig)
            }
            _ => Err(JoseError::WrongKeyType),
        }
    }
}

/// Encodes `header` and `payload` and signs them with `signer` under the
/// header's `alg` (which must be set).
pub fn sign(header: &Value, payload: &[u8], signer: &Signer) -> Result<String, JoseError> {
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JoseError::Header)?;
    let alg = Alg::parse(alg_name).ok_or_else(|| JoseError::Algorithm(alg_name.to_owned()))?;
    let input = format!("{}.{}", encode_json(header), b64e(payload));
    let sig = signer.sign(alg, input.as_bytes())?;
    Ok(format!("{input}.{}", b64e(&sig)))
}

/// An unsecured JWS (RFC 7515 §A.5, RFC 7519 §6.1): `header` (whose `alg`
/// the caller sets to `none`) and `payload` encoded, the signature empty.
pub fn unsecured(header: &Value, payload: &[u8]) -> String {
    format!("{}.{}.", encode_json(header), b64e(payload))
}
