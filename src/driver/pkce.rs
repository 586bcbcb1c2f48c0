//! OAuth protocol values as types, in the manner of oauth2-rs: PKCE verifiers and challenges
//! (RFC 7636), client identifiers and secrets, scopes, tokens and codes.
//!
//! Secrets (`PkceCodeVerifier`, `ClientSecret`, `AccessToken`, `RefreshToken`,
//! `AuthorizationCode`) never show their value in `Debug`; read it with `secret()`.

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

macro_rules! public_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

macro_rules! secret_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Shared, not copied, when cloned: a server may hand out
        /// megabyte-sized tokens, and a scenario keeps several handles.
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(std::sync::Arc<str>);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(std::sync::Arc::from(value.into()))
            }
            /// The secret value itself, to send it.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), crate::driver::http::redact_value(&self.0))
            }
        }
    };
}

public_value!(
    /// An OAuth `client_id`.
    ClientId
);
secret_value!(
    /// A `client_secret`.
    ClientSecret
);
secret_value!(
    /// An access token (opaque or JWT).
    AccessToken
);
secret_value!(
    /// A refresh token.
    RefreshToken
);
secret_value!(
    /// An authorization code.
    AuthorizationCode
);

/// A `scope` value: a space-separated set of scope tokens (RFC 6749 §3.3). Equality ignores
/// order and duplicates; `Display` keeps the order the tokens were first given in.
#[derive(Clone, Default)]
pub struct Scope(Vec<String>);

impl Scope {
    pub fn new<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut v: Vec<String> = Vec::new();
        for t in tokens {
            let t = t.into();
            if !t.is_empty() && !v.contains(&t) {
                v.push(t);
            }
        }
        Self(v)
    }

    /// Parses a space-separated list (runs of spaces are tolerated).
    pub fn parse(s: &str) -> Self {
        Self::new(s.split(' ').filter(|t| !t.is_empty()))
    }

    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    /// Whether every token of `other` is in `self`.
    pub fn includes(&self, other: &Scope) -> bool {
        other.0.iter().all(|t| self.contains(t))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    fn as_set(&self) -> BTreeSet<&str> {
        self.tokens().collect()
    }
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        self.as_set() == other.as_set()
    }
}
impl Eq for Scope {}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({:?})", self.to_string())
    }
}

impl From<&str> for Scope {
    fn from(s: &str) -> Self {
        Scope::parse(s)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(Scope::parse(&s))
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

    #[test]
    fn debug_never_shows_secrets() {
        let v = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert!(!format!("{v:?}").contains("dBjft"));
        let s = ClientSecret::new("confidential-secret-0123456789abcdef");
        assert!(!format!("{s:?}").contains("confidential"));
        let r = RefreshToken::new("opaque-refresh-token-value");
        assert!(!format!("{r:?}").contains("opaque"));
        let c = AuthorizationCode::new("the-code-value-123");
        assert!(!format!("{c:?}").contains("code-value"));
        // Public values stay readable.
        assert_eq!(
            format!("{}", ClientId::new("public-client")),
            "public-client"
        );
    }

    #[test]
    fn scope_equality_ignores_order_and_duplicates() {
        assert_eq!(Scope::parse("b a"), Scope::parse("a  b a"));
        assert_ne!(Scope::parse("a b"), Scope::parse("a"));
        assert_eq!(
            Scope::parse("profile notes:read").to_string(),
            "profile notes:read"
        );
        assert!(Scope::parse("a b c").includes(&Scope::parse("c a")));
        assert!(!Scope::parse("a").includes(&Scope::parse("a b")));
        let s: Scope = serde_json::from_str("\"x y\"").unwrap();
        assert_eq!(s, Scope::new(["y", "x"]));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"x y\"");
    }
}
