//! The endpoints the harness uses, as one enum: each carries its RFC 8414 §2 metadata member,
//! its key in the profile's `[endpoints]` and the fix a scenario gives when the target has
//! none. Adding an endpoint is a variant, a line in each `match` below, a field of
//! [`Endpoints`] and of the profile's raw `[endpoints]`, and a member of `Metadata`.

use url::Url;

/// An endpoint of the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Authorization,
    Token,
    Registration,
    Revocation,
    Introspection,
    Jwks,
}

impl Endpoint {
    /// Every endpoint, in the order the profile documents them (and errors are reported).
    pub const ALL: [Endpoint; 6] = [
        Endpoint::Authorization,
        Endpoint::Token,
        Endpoint::Registration,
        Endpoint::Revocation,
        Endpoint::Introspection,
        Endpoint::Jwks,
    ];

    /// Its name in messages and its key in `[endpoints]`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Authorization => "authorization",
            Endpoint::Token => "token",
            Endpoint::Registration => "registration",
            Endpoint::Revocation => "revocation",
            Endpoint::Introspection => "introspection",
            Endpoint::Jwks => "jwks",
        }
    }

    /// The authorization server metadata member that gives it (RFC 8414 §2, RFC 7591 §3,
    /// RFC 7009 §4, RFC 7662 §4).
    pub fn metadata_member(self) -> &'static str {
        match self {
            Endpoint::Authorization => "authorization_endpoint",
            Endpoint::Token => "token_endpoint",
            Endpoint::Registration => "registration_endpoint",
            Endpoint::Revocation => "revocation_endpoint",
            Endpoint::Introspection => "introspection_endpoint",
            Endpoint::Jwks => "jwks_uri",
        }
    }

    /// The field of the profile that overrides it, as errors name it.
    pub fn profile_field(self) -> &'static str {
        match self {
            Endpoint::Authorization => "endpoints.authorization",
            Endpoint::Token => "endpoints.token",
            Endpoint::Registration => "endpoints.registration",
            Endpoint::Revocation => "endpoints.revocation",
            Endpoint::Introspection => "endpoints.introspection",
            Endpoint::Jwks => "endpoints.jwks",
        }
    }

    /// What to change when a scenario needs it and the target has none.
    pub fn fix(self) -> &'static str {
        match self {
            Endpoint::Authorization => "give [endpoints] authorization in the profile",
            Endpoint::Token => "give [endpoints] token in the profile",
            Endpoint::Registration => {
                "give [endpoints] registration in the profile, if the server has one"
            }
            Endpoint::Revocation => {
                "give [endpoints] revocation in the profile, if the server has one"
            }
            Endpoint::Introspection => {
                "give [endpoints] introspection in the profile, if the server has one"
            }
            Endpoint::Jwks => "give [endpoints] jwks in the profile, if the server publishes keys",
        }
    }
}

/// A URL per endpoint, where known: the profile's overrides, or a target's resolved endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub authorization: Option<Url>,
    pub token: Option<Url>,
    pub registration: Option<Url>,
    pub revocation: Option<Url>,
    pub introspection: Option<Url>,
    pub jwks: Option<Url>,
}

impl Endpoints {
    /// The URL of an endpoint, if known.
    pub fn get(&self, e: Endpoint) -> Option<&Url> {
        self.slot(e).as_ref()
    }

    /// Sets the URL of an endpoint.
    pub fn set(&mut self, e: Endpoint, url: Option<Url>) {
        *self.slot_mut(e) = url;
    }

    /// Every known endpoint with its URL, in [`Endpoint::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Endpoint, &Url)> {
        Endpoint::ALL
            .into_iter()
            .filter_map(|e| self.get(e).map(|u| (e, u)))
    }

    fn slot(&self, e: Endpoint) -> &Option<Url> {
        match e {
            Endpoint::Authorization => &self.authorization,
            Endpoint::Token => &self.token,
            Endpoint::Registration => &self.registration,
            Endpoint::Revocation => &self.revocation,
            Endpoint::Introspection => &self.introspection,
            Endpoint::Jwks => &self.jwks,
        }
    }

    fn slot_mut(&mut self, e: Endpoint) -> &mut Option<Url> {
        match e {
            Endpoint::Authorization => &mut self.authorization,
            Endpoint::Token => &mut self.token,
            Endpoint::Registration => &mut self.registration,
            Endpoint::Revocation => &mut self.revocation,
            Endpoint::Introspection => &mut self.introspection,
            Endpoint::Jwks => &mut self.jwks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_has_its_own_names_and_slot() {
        let mut seen = std::collections::BTreeSet::new();
        let mut all = Endpoints::default();
        for (i, e) in Endpoint::ALL.into_iter().enumerate() {
            assert!(seen.insert(e.metadata_member()), "{e:?}");
            assert!(seen.insert(e.profile_field()), "{e:?}");
            assert_eq!(e.profile_field(), format!("endpoints.{}", e.name()));
            assert!(e.fix().contains(&format!("[endpoints] {}", e.name())));
            let url = Url::parse(&format!("http://h/{i}")).unwrap();
            all.set(e, Some(url.clone()));
            assert_eq!(all.get(e), Some(&url));
        }
        assert_eq!(all.iter().count(), Endpoint::ALL.len());
        assert_eq!(Endpoint::Jwks.metadata_member(), "jwks_uri");
    }
}
