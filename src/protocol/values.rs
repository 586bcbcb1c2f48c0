//! Client identifiers and secrets, tokens, codes and scopes (RFC 6749 §2.2, §2.3.1, §1.4,
//! §1.5, §1.3.1, §3.3) as types, in the manner of oauth2-rs. Secrets (`ClientSecret`,
//! `AccessToken`, `RefreshToken`, `AuthorizationCode`) never show their value in `Debug`;
//! read it with `secret()`.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
                write!(f, concat!(stringify!($name), "({})"), super::redact::redact_value(&self.0))
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
    /// The bearer token a protected registration endpoint asks for (RFC 7591 §3: "initial
    /// access token").
    InitialAccessToken
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
    use crate::protocol::PkceCodeVerifier;

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
        let t = InitialAccessToken::new("initial-access-token-value");
        assert!(!format!("{t:?}").contains("initial-access"));
        assert!(!format!("{:?}", Some(&t)).contains("token-value"));
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
