//! The weak-HMAC-secret attack, offline: try each secret of a short shipped
//! dictionary against an HS-signed token (RFC 8725 §3.5: HMAC keys must have
//! enough entropy; RFC 7518 §3.2: at least the hash size).

use super::jwk::KeyMaterial;
use super::jws::{Alg, Jws};

/// Common secrets from tutorials, defaults and leaked configurations.
pub const WORDLIST: &str = include_str!("weak_secrets.txt");

/// The dictionary, one secret a line (blank lines skipped).
pub fn dictionary() -> impl Iterator<Item = &'static str> {
    WORDLIST.lines().filter(|l| !l.is_empty())
}

/// The secret of the dictionary that verifies `jws`, if any. `None` also
/// when the token is not HMAC-signed.
pub fn crack(jws: &Jws) -> Option<&'static str> {
    let alg = Alg::parse(jws.alg()?).filter(|a| a.is_hmac())?;
    let input = jws.signing_input();
    dictionary().find(|secret| {
        super::jws::verify_raw(
            alg,
            &KeyMaterial::Oct(secret.as_bytes().to_vec()),
            input.as_bytes(),
            &jws.signature,
        )
        .is_ok()
    })
}
