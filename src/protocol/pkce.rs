//! PKCE (RFC 7636): code verifiers (never `Clone`, never shown in `Debug`) and their
//! challenges, and the CSPRNG the harness draws verifiers, states and nonces from.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `count` bytes from the system's CSPRNG (aws-lc-rs).
pub fn random_bytes(count: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; count];
    // aws-lc-rs only fails here if the OS entropy source is unavailable, which is not a state
    // a test harness can recover from.
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random number generator failed");
    bytes
}

/// A random URL-safe value of `bytes` bytes of entropy (base64url, no padding): for `state`,
/// `nonce` and the like.
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// A PKCE `code_verifier` (RFC 7636 §4.1). Deliberately neither `Clone` nor `Copy`, and its
/// `Debug` output hides the value.
pub struct PkceCodeVerifier(String);

impl PkceCodeVerifier {
    /// 32 random bytes, base64url without padding: 43 characters from the unreserved set.
    pub fn new_random() -> Self {
        Self(URL_SAFE_NO_PAD.encode(random_bytes(32)))
    }

    /// A verifier with a given value (RFC test vectors, or values a scenario builds itself).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// 42 characters: one fewer than RFC 7636 §4.1 allows.
    pub fn too_short() -> Self {
        let mut v = Self::new_random().0;
        v.truncate(42);
        Self(v)
    }

    /// 129 characters: one more than RFC 7636 §4.1 allows.
    pub fn too_long() -> Self {
        let mut v = String::new();
        while v.len() < 129 {
            v.push_str(&Self::new_random().0);
        }
        v.truncate(129);
        Self(v)
    }

    /// 43 characters, but with characters outside `[A-Za-z0-9-._~]` (`+`, `/`, `=`, space).
    pub fn with_illegal_chars() -> Self {
        let mut v = Self::new_random().0;
        v.truncate(39);
        v.push_str("+/= ");
        Self(v)
    }

    /// The verifier's value, to send it.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Whether the value is a well-formed RFC 7636 verifier (43–128 unreserved characters).
    pub fn is_well_formed(&self) -> bool {
        (43..=128).contains(&self.0.len())
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    }
}

impl fmt::Debug for PkceCodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceCodeVerifier(«redacted»)")
    }
}

/// The transformation named in `code_challenge_method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkceMethod {
    S256,
    Plain,
}

impl PkceMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PkceMethod::S256 => "S256",
            PkceMethod::Plain => "plain",
        }
    }
}

impl fmt::Display for PkceMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PKCE `code_challenge` and its method (RFC 7636 §4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceCodeChallenge {
    value: String,
    method: PkceMethod,
}

impl PkceCodeChallenge {
    /// `BASE64URL(SHA256(ASCII(code_verifier)))`.
    pub fn s256(verifier: &PkceCodeVerifier) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.0.as_bytes());
        Self {
            value: URL_SAFE_NO_PAD.encode(digest.as_ref()),
            method: PkceMethod::S256,
        }
    }

    /// `code_challenge = code_verifier`.
    pub fn plain(verifier: &PkceCodeVerifier) -> Self {
        Self {
            value: verifier.0.clone(),
            method: PkceMethod::Plain,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn method(&self) -> PkceMethod {
        self.method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_verifier_is_43_unreserved_chars_and_differs_each_time() {
        let a = PkceCodeVerifier::new_random();
        let b = PkceCodeVerifier::new_random();
        assert_eq!(a.secret().len(), 43);
        assert!(a.is_well_formed());
        assert_ne!(a.secret(), b.secret());
    }

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        let v = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let c = PkceCodeChallenge::s256(&v);
        assert_eq!(c.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(c.method().as_str(), "S256");
        let p = PkceCodeChallenge::plain(&v);
        assert_eq!(p.as_str(), v.secret());
        assert_eq!(p.method().as_str(), "plain");
    }

    #[test]
    fn bad_verifiers_are_bad_in_the_advertised_way() {
        let short = PkceCodeVerifier::too_short();
        assert_eq!(short.secret().len(), 42);
        assert!(!short.is_well_formed());
        let long = PkceCodeVerifier::too_long();
        assert_eq!(long.secret().len(), 129);
        assert!(!long.is_well_formed());
        let illegal = PkceCodeVerifier::with_illegal_chars();
        assert_eq!(illegal.secret().len(), 43);
        assert!(!illegal.is_well_formed());
        assert!(illegal.secret().contains('+'));
    }
}
