//! OAuth grant types (RFC 6749 §4, RFC 8628 §3.4, RFC 7523 §2.1, RFC 8693 §2.1): a closed set
//! the harness knows, and `Other` for any a server's metadata or a profile may list besides.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `grant_type` value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1).
    AuthorizationCode,
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `implicit` (RFC 6749 §4.2; RFC 8414 §2's default with `authorization_code`).
    Implicit,
    /// `password` (RFC 6749 §4.3).
    Password,
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4).
    DeviceCode,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1).
    JwtBearer,
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2.1).
    TokenExchange,
    /// Any other value, kept as written.
    Other(String),
}

impl GrantType {
    /// The grant types the harness names, each with its wire value.
    pub const KNOWN: [(GrantType, &'static str); 8] = [
        (GrantType::AuthorizationCode, "authorization_code"),
        (GrantType::ClientCredentials, "client_credentials"),
        (GrantType::RefreshToken, "refresh_token"),
        (GrantType::Implicit, "implicit"),
        (GrantType::Password, "password"),
        (
            GrantType::DeviceCode,
            "urn:ietf:params:oauth:grant-type:device_code",
        ),
        (
            GrantType::JwtBearer,
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
        ),
        (
            GrantType::TokenExchange,
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
    ];

    /// The grant type of a wire value; values compare exactly, as servers do.
    pub fn parse(value: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(_, s)| *s == value)
            .map_or_else(|| GrantType::Other(value.to_owned()), |(g, _)| g.clone())
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            GrantType::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(g, _)| g == known)
                .map_or("", |(_, s)| s),
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for GrantType {
    fn from(value: &str) -> Self {
        Self::parse(value)
    }
}

impl PartialEq<str> for GrantType {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for GrantType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for GrantType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GrantType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip_and_unknown_ones_are_kept() {
        for (g, s) in GrantType::KNOWN {
            assert_eq!(GrantType::parse(s), g);
            assert_eq!(g.as_str(), s);
        }
        let other = GrantType::parse("urn:example:grant");
        assert_eq!(other, GrantType::Other("urn:example:grant".into()));
        assert_eq!(other.to_string(), "urn:example:grant");
        // Compared exactly, as servers compare them.
        assert!(matches!(
            GrantType::parse("Client_Credentials"),
            GrantType::Other(_)
        ));
        assert!(GrantType::ClientCredentials == "client_credentials");
        let g: Vec<GrantType> = serde_json::from_str(r#"["refresh_token","x"]"#).unwrap();
        assert_eq!(g, [GrantType::RefreshToken, GrantType::Other("x".into())]);
        assert_eq!(
            serde_json::to_string(&g).unwrap(),
            r#"["refresh_token","x"]"#
        );
    }
}
