//! Positive controls: before a scenario may PASS on a refusal, the same
//! scenario must show that the path it judges accepts the genuine
//! credential (or that the thing it withholds was really obtained).
//!
//! Operations that succeed with genuine credentials record a [`Control`]
//! ([`super::Spec::control_held`]). A step that judges a refusal asks for the
//! one it needs ([`super::Spec::control`]); without it the scenario is an
//! ERROR, never a PASS. The report names every control a scenario showed.

use std::fmt;

use crate::protocol::ClientId;

/// What a control showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlKind {
    /// A well-formed authorization request of this client was answered with
    /// a code.
    AuthorizationCode(ClientId),
    /// The token endpoint issued tokens to this client, authenticated its
    /// own correct way.
    TokenEndpoint(ClientId),
    /// This resource (`METHOD url`) accepted a genuine access token in the
    /// `Authorization` header.
    Resource(String),
    /// The client's current refresh token was accepted.
    Refresh(ClientId),
    /// The introspection endpoint answered this client about a genuine
    /// token with `"active": true`.
    IntrospectionActive(ClientId),
    /// The introspection endpoint reported a genuine, valid refresh token
    /// active.
    RefreshIntrospectsActive,
    /// The revocation endpoint accepted this client's credentials.
    Revocation(ClientId),
    /// The client's registration was read with its registration access
    /// token.
    RegistrationRead,
    /// An honest login through the fake upstream provider succeeded.
    UpstreamLogin,
}

impl fmt::Display for ControlKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlKind::AuthorizationCode(c) => {
                write!(f, "a well-formed authorization request of {c} gets a code")
            }
            ControlKind::TokenEndpoint(c) => {
                write!(f, "the token endpoint issues tokens to {c}")
            }
            ControlKind::Resource(r) => write!(f, "{r} accepts a genuine access token"),
            ControlKind::Refresh(c) => write!(f, "{c}'s current refresh token works"),
            ControlKind::IntrospectionActive(c) => {
                write!(f, "introspection by {c} reports a genuine token active")
            }
            ControlKind::RefreshIntrospectsActive => {
                f.write_str("introspection reports a valid refresh token active")
            }
            ControlKind::Revocation(c) => {
                write!(f, "the revocation endpoint accepts {c}'s credentials")
            }
            ControlKind::RegistrationRead => {
                f.write_str("the registration is read with its registration access token")
            }
            ControlKind::UpstreamLogin => {
                f.write_str("an honest login through the upstream provider succeeds")
            }
        }
    }
}

/// A control that held in this scenario, and what showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    pub kind: ControlKind,
    /// One line on the exchange that showed it ("GET …/api/profile: 200").
    pub shown: String,
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind, self.shown)
    }
}
