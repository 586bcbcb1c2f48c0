//! JSON Web Keys (RFC 7517) and key sets, parsed strictly: a key that could
//! be misused is refused when it is read, not when it is used.

use std::collections::BTreeMap;

use aws_lc_rs::{digest, signature};
use serde_json::{Map, Value};

use super::alg::Alg;
use super::der;
use super::{JoseError, b64d, b64e};

/// The key itself. Private members are read only to tell a private key from
/// a public one; the harness verifies with the public part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    /// `kty: oct` (RFC 7518 §6.4): a shared secret.
    Oct(Vec<u8>),
    /// `kty: RSA` (RFC 7518 §6.3), `n` and `e` without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
        private: bool,
    },
    /// `kty: EC` (RFC 7518 §6.2): `point` is `04 || x || y`.
    Ec {
        crv: String,
        point: Vec<u8>,
        private: bool,
    },
    /// `kty: OKP` (RFC 8037 §2), Ed25519 only.
    Okp {
        crv: String,
        x: Vec<u8>,
        private: bool,
    },
}

impl KeyMaterial {
    /// Whether the JWK carried private (or, for `oct`, secret) material.
    pub fn is_private(&self) -> bool {
        match self {
            KeyMaterial::Oct(_) => true,
            KeyMaterial::Rsa { private, .. }
            | KeyMaterial::Ec { private, .. }
            | KeyMaterial::Okp { private, .. } => *private,
        }
    }
}

/// A parsed JWK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    pub kid: Option<String>,
    pub alg: Option<String>,
    pub material: KeyMaterial,
    /// The JSON it came from.
    pub json: Map<String, Value>,
}

fn member<'a>(o: &'a Map<String, Value>, name: &str) -> Result<&'a str, JoseError> {
    o.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| JoseError::Key(format!("missing or non-string \"{name}\"")))
}

/// The ROCA fingerprint (CVE-2017-15361, Nemec et al. 2017): a modulus made
/// by the vulnerable Infineon generator is, modulo each of these primes, a
/// power of 65537. A random modulus passes this test with negligible
/// probability.
const ROCA_PRIMES: [u64; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// Whether an RSA modulus carries the ROCA fingerprint.
pub fn is_roca_modulus(n: &[u8]) -> bool {
    ROCA_PRIMES.iter().all(|&p| {
        let r = n
            .iter()
            .fold(0u64, |acc, b| (acc * 256 + u64::from(*b)) % p);
        let g = 65537 % p;
        let mut x = 1 % p;
        for _ in 0..p {
            if x == r {
                return true;
            }
            x = x * g % p;
        }
        false
    })
}

fn coordinate_len(crv: &str) -> Option<usize> {
    match crv {
        "P-256" => Some(32),
        "P-384" => Some(48),
        "P-521" => Some(66),
        _ => None,
    }
}

/// `use` must be `sig` (RFC 7517 §4.2) and `key_ops` must allow `verify`
/// (§4.3), when present.
fn check_use(o: &Map<String, Value>) -> Result<(), JoseError> {
    if let Some(u) = o.get("use")
        && u.as_str() != Some("sig")
    {
        return Err(JoseError::Key(format!("\"use\" is {u}, not \"sig\"")));
    }
    if let Some(ops) = o.get("key_ops") {
        let ops = ops
            .as_array()
            .ok_or_else(|| JoseError::Key("\"key_ops\" is not an array".into()))?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err(JoseError::Key("\"key_ops\" does not allow verify".into()));
        }
    }
    Ok(())
}

/// `kty: oct` (RFC 7518 §6.4): a non-empty `k`.
fn oct_material(o: &Map<String, Value>) -> Result<KeyMaterial, JoseError> {
    let k = b64d(member(o, "k")?)?;
    if k.is_empty() {
        return Err(JoseError::Key("empty symmetric key".into()));
    }
    Ok(KeyMaterial::Oct(k))
}

/// `kty: RSA` (RFC 7518 §6.3): no leading zeros, a modulus of 2048 bits or
/// more (§3.3), an odd exponent of 3 or more (RFC 8017 §3.1), no ROCA.
fn rsa_material(o: &Map<String, Value>) -> Result<KeyMaterial, JoseError> {
    let n = b64d(member(o, "n")?)?;
    let e = b64d(member(o, "e")?)?;
    if n.first().is_none_or(|b| *b == 0) || e.first().is_none_or(|b| *b == 0) {
        return Err(JoseError::Key("RSA n or e has a leading zero".into()));
    }
    if n.len() * 8 < 2048 {
        return Err(JoseError::Key(format!("{}-bit RSA modulus", n.len() * 8)));
    }
    let e_small = e.len() == 1 && e[0] < 3;
    if e_small || e.last().is_some_and(|b| b % 2 == 0) {
        return Err(JoseError::Key(
            "RSA public exponent is not odd and >= 3".into(),
        ));
    }
    if is_roca_modulus(&n) {
        return Err(JoseError::Key(
            "RSA modulus has the ROCA fingerprint".into(),
        ));
    }
    Ok(KeyMaterial::Rsa {
        n,
        e,
        private: o.contains_key("d"),
    })
}

/// `kty: EC` (RFC 7518 §6.2): a known curve, coordinates of its length
/// (§6.2.1.2), the point on the curve.
fn ec_material(o: &Map<String, Value>) -> Result<KeyMaterial, JoseError> {
    let crv = member(o, "crv")?;
    let len = coordinate_len(crv).ok_or_else(|| JoseError::Key(format!("unknown curve {crv}")))?;
    let x = b64d(member(o, "x")?)?;
    let y = b64d(member(o, "y")?)?;
    if x.len() != len || y.len() != len {
        return Err(JoseError::Key(format!(
            "{crv} coordinates must be {len} bytes"
        )));
    }
    let mut point = vec![4u8];
    point.extend(x);
    point.extend(y);
    let alg = match crv {
        "P-256" => &signature::ECDSA_P256_SHA256_FIXED,
        "P-384" => &signature::ECDSA_P384_SHA384_FIXED,
        _ => &signature::ECDSA_P521_SHA512_FIXED,
    };
    signature::ParsedPublicKey::new(alg, &point)
        .map_err(|_| JoseError::Key(format!("the point is not on {crv}")))?;
    Ok(KeyMaterial::Ec {
        crv: crv.to_owned(),
        point,
        private: o.contains_key("d"),
    })
}

/// `kty: OKP` (RFC 8037 §2): Ed25519 only, 32 bytes.
fn okp_material(o: &Map<String, Value>) -> Result<KeyMaterial, JoseError> {
    let crv = member(o, "crv")?;
    if crv != "Ed25519" {
        return Err(JoseError::Key(format!("unsupported OKP curve {crv}")));
    }
    let x = b64d(member(o, "x")?)?;
    if x.len() != 32 {
        return Err(JoseError::Key("Ed25519 keys are 32 bytes".into()));
    }
    Ok(KeyMaterial::Okp {
        crv: crv.to_owned(),
        x,
        private: o.contains_key("d"),
    })
}

impl Jwk {
    /// Parses one JWK and refuses keys unfit for signatures: unknown `kty`
    /// or `crv`, `use` other than `sig` (RFC 7517 §4.2), `key_ops` without
    /// `verify` (§4.3), an EC point not on its curve or with coordinates of
    /// the wrong length (RFC 7518 §6.2.1.2), RSA moduli under 2048 bits (RFC
    /// 7518 §3.3), public exponents that are even or under 3 (RFC 8017
    /// §3.1), ROCA moduli, an empty `oct` key, and an `alg` that does not
    /// suit the key.
    pub fn parse(v: &Value) -> Result<Jwk, JoseError> {
        let o = v
            .as_object()
            .ok_or_else(|| JoseError::Key("not a JSON object".into()))?;
        let kty = member(o, "kty")?;
        check_use(o)?;
        let material = match kty {
            "oct" => oct_material(o)?,
            "RSA" => rsa_material(o)?,
            "EC" => ec_material(o)?,
            "OKP" => okp_material(o)?,
            other => return Err(JoseError::Key(format!("unknown kty {other}"))),
        };
        let jwk = Jwk {
            kid: o.get("kid").and_then(Value::as_str).map(str::to_owned),
            alg: o.get("alg").and_then(Value::as_str).map(str::to_owned),
            material,
            json: o.clone(),
        };
        if let Some(a) = &jwk.alg {
            let alg = Alg::parse(a).ok_or_else(|| JoseError::Key(format!("unknown alg {a}")))?;
            jwk.suits(alg)?;
        }
        Ok(jwk)
    }

    /// Whether `alg` can be used with this key's type, curve and size.
    fn suits(&self, alg: Alg) -> Result<(), JoseError> {
        let ok = match &self.material {
            KeyMaterial::Oct(k) => {
                if alg.is_hmac() && k.len() < alg.min_hmac_key_len() {
                    return Err(JoseError::Key(format!(
                        "a {alg} key needs at least {} bytes (RFC 7518 §3.2), this one has {}",
                        alg.min_hmac_key_len(),
                        k.len()
                    )));
                }
                alg.is_hmac()
            }
            KeyMaterial::Rsa { .. } => alg.rsa().is_some(),
            KeyMaterial::Ec { crv, .. } => alg.curve() == Some(crv.as_str()),
            KeyMaterial::Okp { .. } => alg == Alg::EdDSA,
        };
        if ok {
            Ok(())
        } else {
            Err(JoseError::WrongKeyType)
        }
    }

    /// The key may verify a JWS whose header says `alg`: the key's own `alg`,
    /// when it has one, must be exactly that (RFC 8725 §3.1), and `alg` must
    /// suit the key.
    pub fn check_alg(&self, alg: Alg) -> Result<(), JoseError> {
        if let Some(mine) = &self.alg
            && mine != alg.as_str()
        {
            return Err(JoseError::KeyMismatch(format!(
                "the key is for {mine}, the header says {alg}"
            )));
        }
        self.suits(alg)
    }

    /// The JWK thumbprint (RFC 7638 §3): base64url of the SHA-256 of the
    /// key type's required members, in lexicographic order, without
    /// whitespace (§3.2, §3.3). A key's usual `kid`.
    pub fn thumbprint(&self) -> String {
        let required: &[&str] = match &self.material {
            KeyMaterial::Oct(_) => &["k", "kty"],
            KeyMaterial::Rsa { .. } => &["e", "kty", "n"],
            KeyMaterial::Ec { .. } => &["crv", "kty", "x", "y"],
            KeyMaterial::Okp { .. } => &["crv", "kty", "x"],
        };
        // A BTreeMap keeps the names sorted; serde_json writes no whitespace.
        let members: BTreeMap<&str, &Value> = required
            .iter()
            .filter_map(|name| Some((*name, self.json.get(*name)?)))
            .collect();
        let canonical = serde_json::to_vec(&members).unwrap_or_default();
        b64e(digest::digest(&digest::SHA256, &canonical).as_ref())
    }

    /// SubjectPublicKeyInfo DER of an asymmetric key (RFC 5280 §4.1.2.7).
    pub fn spki_der(&self) -> Option<Vec<u8>> {
        match &self.material {
            KeyMaterial::Oct(_) => None,
            KeyMaterial::Rsa { n, e, .. } => Some(der::rsa_spki(n, e)),
            KeyMaterial::Ec { crv, point, .. } => {
                let oid = match crv.as_str() {
                    "P-256" => der::oid::P256,
                    "P-384" => der::oid::P384,
                    _ => der::oid::P521,
                };
                Some(der::ec_spki(oid, point))
            }
            KeyMaterial::Okp { x, .. } => Some(der::ed25519_spki(x)),
        }
    }

    /// The public key as PEM `PUBLIC KEY` (RFC 7468 §13), as servers keep it
    /// on disk: what a confused verifier uses as an HMAC secret.
    pub fn public_pem(&self) -> Option<String> {
        self.spki_der().map(|d| der::pem("PUBLIC KEY", &d))
    }

    /// The public members only (RFC 7517 §4, RFC 7518 §6): what a JWKS may
    /// publish.
    pub fn public_json(&self) -> Map<String, Value> {
        const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
        self.json
            .iter()
            .filter(|(k, _)| !PRIVATE.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Verifies raw bytes (for checks that are not about a JWS).
    pub fn verify_raw(&self, alg: Alg, input: &[u8], sig: &[u8]) -> Result<(), JoseError> {
        self.check_alg(alg)?;
        super::jws::verify_raw(alg, &self.material, input, sig)
    }
}

/// A JWK Set (RFC 7517 §5), refused when ambiguous: duplicate `kid`s
/// (§4.5), or public keys mixed with private or secret ones.
#[derive(Clone, Debug)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    pub fn parse(v: &Value) -> Result<JwkSet, JoseError> {
        let list = v
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| JoseError::Key("a JWK Set has a \"keys\" array".into()))?;
        let keys = list.iter().map(Jwk::parse).collect::<Result<Vec<_>, _>>()?;
        let mut kids: Vec<&str> = keys.iter().filter_map(|k| k.kid.as_deref()).collect();
        kids.sort_unstable();
        if kids.windows(2).any(|w| w[0] == w[1]) {
            return Err(JoseError::Key("duplicate kid in the key set".into()));
        }
        let private = keys.iter().filter(|k| k.material.is_private()).count();
        if private != 0 && private != keys.len() {
            return Err(JoseError::Key(
                "the key set mixes public and private keys".into(),
            ));
        }
        Ok(JwkSet { keys })
    }

    /// The key a JWS names by `kid`, or the only key when it names none.
    pub fn select(&self, kid: Option<&str>) -> Option<&Jwk> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
    }
}

/// The `04 || x || y` point of an EC JWK, for callers that build keys.
pub fn ec_point(jwk: &Jwk) -> Option<&[u8]> {
    match &jwk.material {
        KeyMaterial::Ec { point, .. } => Some(point),
        _ => None,
    }
}
