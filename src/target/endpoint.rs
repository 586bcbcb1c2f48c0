//! The endpoints the harness uses, as one enum: each carries its RFC 8414 §2 metadata member,
//! its key in the profile's `[endpoints]` and the fix a scenario gives when the target has
//! none. Adding an endpoint is a variant, its place in [`Endpoint::ALL`] (and the array's
//! length), its row in `row`; a field of the profile's raw `[endpoints]` and its arm in
//! `RawEndpoints::get` (`profile/raw.rs`); a field of `Metadata` and its arm in
//! `Metadata::endpoint` (`discovery.rs`).

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
    Userinfo,
}

impl Endpoint {
    /// Every endpoint, in the order the profile documents them (and errors are reported).
    pub const ALL: [Endpoint; 7] = [
        Endpoint::Authorization,
        Endpoint::Token,
        Endpoint::Registration,
        Endpoint::Revocation,
        Endpoint::Introspection,
        Endpoint::Jwks,
        Endpoint::Userinfo,
    ];

    /// One row per endpoint: everything else about it is read from here.
    fn row(self) -> Row {
        let (name, metadata_member, fix) = match self {
            Endpoint::Authorization => (
                "authorization",
                "authorization_endpoint",
                "give [endpoints] authorization in the profile",
            ),
            Endpoint::Token => (
                "token",
                "token_endpoint",
                "give [endpoints] token in the profile",
            ),
            Endpoint::Registration => (
                "registration",
                "registration_endpoint",
                "give [endpoints] registration in the profile, if the server has one",
            ),
            Endpoint::Revocation => (
                "revocation",
                "revocation_endpoint",
                "give [endpoints] revocation in the profile, if the server has one",
            ),
            Endpoint::Introspection => (
                "introspection",
                "introspection_endpoint",
                "give [endpoints] introspection in the profile, if the server has one",
            ),
            Endpoint::Jwks => (
                "jwks",
                "jwks_uri",
                "give [endpoints] jwks in the profile, if the server publishes keys",
            ),
            Endpoint::Userinfo => (
                "userinfo",
                "userinfo_endpoint",
                "give [endpoints] userinfo in the profile, if the server is an OpenID Provider",
            ),
        };
        Row {
            name,
            metadata_member,
            fix,
        }
    }

    /// Its name in messages and its key in `[endpoints]`.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The authorization server metadata member that gives it (RFC 8414 §2, RFC 7591 §3,
    /// RFC 7009 §4, RFC 7662 §4; OpenID Connect Discovery §3 for `userinfo_endpoint`).
    pub fn metadata_member(self) -> &'static str {
        self.row().metadata_member
    }

    /// The field of the profile that overrides it, as errors name it.
    pub fn profile_field(self) -> String {
        format!("endpoints.{}", self.name())
    }

    /// What to change when a scenario needs it and the target has none.
    pub fn fix(self) -> &'static str {
        self.row().fix
    }
}

/// What the harness knows of an endpoint.
struct Row {
    name: &'static str,
    metadata_member: &'static str,
    fix: &'static str,
}

/// A URL per endpoint, where known: the profile's overrides, or a target's resolved endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints([Option<Url>; Endpoint::ALL.len()]);

impl Endpoints {
    /// The URL of an endpoint, if known.
    pub fn get(&self, e: Endpoint) -> Option<&Url> {
        self.0[e as usize].as_ref()
    }

    /// Sets the URL of an endpoint.
    pub fn set(&mut self, e: Endpoint, url: Option<Url>) {
        self.0[e as usize] = url;
    }

    /// Every known endpoint with its URL, in [`Endpoint::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Endpoint, &Url)> {
        Endpoint::ALL
            .into_iter()
            .filter_map(|e| self.get(e).map(|u| (e, u)))
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
            assert!(seen.insert(e.name()), "{e:?}");
            assert_eq!(Endpoint::ALL[e as usize], e, "ALL is in declaration order");
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
