//! The ways a hostile or broken upstream provider misbehaves
//! (`--misbehave NAME`). Each one really produces what it names; the unit
//! tests of [`super::respond`] check that with an independent verifier.

use std::fmt;
use std::str::FromStr;

macro_rules! misbehaviours {
    ($( $variant:ident = $name:literal, $id_token:literal, $what:literal; )*) => {
        /// One deliberate misbehaviour of a fake upstream.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Misbehaviour { $( #[doc = $what] $variant, )* }

        impl Misbehaviour {
            /// Every misbehaviour, in catalogue order.
            pub const ALL: &'static [Misbehaviour] = &[ $( Misbehaviour::$variant, )* ];

            /// The name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Misbehaviour::$variant => $name, )* }
            }

            /// Whether it alters the ID token (so needs an OpenID provider).
            pub fn needs_id_token(self) -> bool {
                match self { $( Misbehaviour::$variant => $id_token, )* }
            }

            /// What the fake does, in one sentence.
            pub fn describe(self) -> &'static str {
                match self { $( Misbehaviour::$variant => $what, )* }
            }
        }
    };
}

misbehaviours! {
    BadIdTokenSignature = "bad-id-token-signature", true,
        "The ID token names the published key (kid) but is signed by another key (OpenID Connect Core §3.1.3.7 step 6).";
    WrongNonce = "wrong-nonce", true,
        "The ID token's nonce is not the one the authorization request sent (OpenID Connect Core §3.1.3.7 step 11).";
    WrongAud = "wrong-aud", true,
        "The ID token was issued to another client: aud and azp name it (OpenID Connect Core §3.1.3.7 steps 3-5).";
    WrongIss = "wrong-iss", true,
        "The ID token's iss is not the provider's issuer (OpenID Connect Core §3.1.3.7 step 2).";
    ExpiredIdToken = "expired-id-token", true,
        "The ID token expired an hour ago (OpenID Connect Core §3.1.3.7 step 9).";
    AlgNoneIdToken = "alg-none-id-token", true,
        "The ID token is unsigned: alg none and an empty signature (RFC 8725 §3.1).";
    WrongState = "wrong-state", false,
        "The authorization response carries a state other than the request's (RFC 6749 §4.1.2, §10.12).";
    AccessDenied = "access-denied", false,
        "The authorization endpoint answers error=access_denied (RFC 6749 §4.1.2.1).";
    ServerError = "server-error", false,
        "The token endpoint answers 500 with error=server_error (RFC 6749 §5.2).";
    Slow = "slow", false,
        "The token endpoint holds its answer past any reasonable client timeout.";
    WrongCodeExchange = "wrong-code-exchange", false,
        "The token endpoint refuses the code with invalid_grant (RFC 6749 §5.2).";
}

impl Misbehaviour {
    /// Every name, in catalogue order.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|m| m.name()).collect()
    }
}

impl fmt::Display for Misbehaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A misbehaviour name the fake does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown misbehaviour {0:?} (one of: {list})", list = Misbehaviour::names().join(", "))]
pub struct UnknownMisbehaviour(pub String);

impl FromStr for Misbehaviour {
    type Err = UnknownMisbehaviour;
    fn from_str(s: &str) -> Result<Self, UnknownMisbehaviour> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMisbehaviour(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        assert_eq!(Misbehaviour::ALL.len(), 11);
        for m in Misbehaviour::ALL {
            assert_eq!(m.name().parse::<Misbehaviour>(), Ok(*m));
            assert!(!m.describe().is_empty());
        }
        let mut names = Misbehaviour::names();
        names.dedup();
        assert_eq!(names.len(), Misbehaviour::ALL.len());
        assert!("polite".parse::<Misbehaviour>().is_err());
    }
}
