//! The load profiles.

use std::fmt;
use std::str::FromStr;

/// What the users of a run do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// RFC 6749 §4.4 grants, back to back.
    ClientCredentials,
    /// The whole code flow per iteration: authorization request, login form, consent, code
    /// exchange (RFC 6749 §4.1, RFC 7636).
    AuthorizationCode,
    /// Each user logs in once and then walks its own refresh-token rotation chain
    /// (RFC 6749 §6), so reuse detection is never tripped by the test itself.
    Refresh,
    /// RFC 7662 introspection of an active token.
    Introspection,
    /// Protected-resource calls with a valid Bearer token (RFC 6750 §2.1).
    Resource,
    /// A weighted mix, like a real day: resource 10, introspection 4, client credentials 3,
    /// refresh 2, the whole code flow 1.
    Mixed,
    /// Every round, all users replay one refresh token at once: exactly one may win
    /// (RFC 9700 §4.14.2, RFC 6749 §10.4).
    RefreshRace,
    /// The target's cheapest request (`GET /healthz`).
    Healthz,
    /// A loopback endpoint the generator serves itself: the generator's own ceiling on this
    /// machine, with no target in it.
    Ceiling,
}

impl Profile {
    pub const ALL: [Profile; 9] = [
        Profile::ClientCredentials,
        Profile::AuthorizationCode,
        Profile::Refresh,
        Profile::Introspection,
        Profile::Resource,
        Profile::Mixed,
        Profile::RefreshRace,
        Profile::Healthz,
        Profile::Ceiling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::ClientCredentials => "client-credentials",
            Profile::AuthorizationCode => "authorization-code",
            Profile::Refresh => "refresh",
            Profile::Introspection => "introspection",
            Profile::Resource => "resource",
            Profile::Mixed => "mixed",
            Profile::RefreshRace => "refresh-race",
            Profile::Healthz => "healthz",
            Profile::Ceiling => "ceiling",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown load profile `{0}` (known: client-credentials, authorization-code, refresh, introspection, resource, mixed, refresh-race, healthz, ceiling)"
)]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}
