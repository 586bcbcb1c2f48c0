//! `[load]` of a profile: what `oauthspec load` adds to its token requests, per grant. A
//! server that wants a `scope`, a resource indicator (RFC 8707) or a vendor's `audience`
//! refuses every load request without them; with them the load measures what users send.
//!
//! ```toml
//! [load.client_credentials]          # every client credentials grant (RFC 6749 §4.4)
//! scope = "api:read"                 # instead of the client's own scope
//! resource = "https://api.example.com/"   # RFC 8707 §2; one URI or a list
//! audience = "https://api.example.com/"   # the parameter Auth0-style servers and RFC 8693 use
//! params = { tenant = "acme" }       # anything else, sent as given
//!
//! [load.authorization_code]          # scope, resource, audience also on the authorization request
//! [load.refresh_token]               # RFC 6749 §6
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use url::Url;

use super::profile::{ProfileError, Validator};
use crate::driver::Scope;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLoad {
    client_credentials: Option<RawGrant>,
    authorization_code: Option<RawGrant>,
    refresh_token: Option<RawGrant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    scope: Option<String>,
    #[serde(default)]
    resource: OneOrMany,
    audience: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
}

#[derive(Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

/// What the load adds to each kind of token request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadProfile {
    pub client_credentials: GrantParams,
    pub authorization_code: GrantParams,
    pub refresh_token: GrantParams,
}

/// The parameters of one grant's requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrantParams {
    /// Replaces the client's `scope` (RFC 6749 §3.3).
    pub scope: Option<Scope>,
    /// RFC 8707 §2: "the resource parameter ... can be used in the authorization request ...
    /// and in token requests"; repeated for several resources. Sent as written (checked to be
    /// an absolute URI without fragment, not normalised: servers compare them).
    pub resources: Vec<String>,
    /// `audience`, sent as given.
    pub audience: Option<String>,
    /// Anything else, in name order.
    pub params: Vec<(String, String)>,
}

impl GrantParams {
    /// The form pairs of a token request, after the grant's own (`scope` only when given
    /// here: the client's scope is the caller's default).
    pub fn token_form(&self) -> Vec<(String, String)> {
        let mut form = Vec::new();
        if let Some(s) = &self.scope {
            form.push(("scope".to_owned(), s.to_string()));
        }
        form.extend(self.resource_pairs());
        if let Some(a) = &self.audience {
            form.push(("audience".to_owned(), a.clone()));
        }
        form.extend(self.params.iter().cloned());
        form
    }

    /// `resource=` once per resource.
    pub fn resource_pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.resources
            .iter()
            .map(|r| ("resource".to_owned(), r.clone()))
    }
}

/// Parameters the load sets itself, or that have their own field.
const RESERVED: &[(&str, &str)] = &[
    ("grant_type", "the load sets it for each grant"),
    ("code", "the load sets it from the authorization response"),
    ("code_verifier", "the load sets it (PKCE, RFC 7636)"),
    ("redirect_uri", "it is the client's redirect_uri"),
    (
        "refresh_token",
        "the load sets it from the last token response",
    ),
    ("client_id", "the client's authentication sets it"),
    ("client_secret", "the client's authentication sets it"),
    ("client_assertion", "the client's authentication sets it"),
    (
        "client_assertion_type",
        "the client's authentication sets it",
    ),
    ("scope", "use the scope field"),
    ("resource", "use the resource field"),
    ("audience", "use the audience field"),
];

impl Validator<'_> {
    pub(super) fn load(&self, raw: Option<&RawLoad>) -> Result<LoadProfile, ProfileError> {
        let Some(raw) = raw else {
            return Ok(LoadProfile::default());
        };
        let grant = |name: &str, g: &Option<RawGrant>| match g {
            Some(g) => self.grant(&format!("load.{name}"), g),
            None => Ok(GrantParams::default()),
        };
        Ok(LoadProfile {
            client_credentials: grant("client_credentials", &raw.client_credentials)?,
            authorization_code: grant("authorization_code", &raw.authorization_code)?,
            refresh_token: grant("refresh_token", &raw.refresh_token)?,
        })
    }

    fn grant(&self, at: &str, raw: &RawGrant) -> Result<GrantParams, ProfileError> {
        let scope = match &raw.scope {
            Some(s) if s.split(' ').all(str::is_empty) => {
                return Err(self.err(
                    &format!("{at}.scope"),
                    "an empty scope: leave the field out to send the client's own",
                ));
            }
            Some(s) => Some(Scope::parse(s)),
            None => None,
        };
        let listed: Vec<(String, &String)> = match &raw.resource {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(r) => vec![(format!("{at}.resource"), r)],
            OneOrMany::Many(rs) => rs
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("{at}.resource[{i}]"), r))
                .collect(),
        };
        let mut resources = Vec::new();
        for (field, r) in listed {
            // Sent as written, so checked as written: URL parsing would forgive these.
            if r.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
            {
                return Err(self.err(
                    &field,
                    "a resource indicator is an absolute URI (RFC 8707 §2): no spaces, control characters or backslashes",
                ));
            }
            // RFC 8707 §2: "MUST be an absolute URI ... MUST NOT include a fragment component".
            let url = Url::parse(r).map_err(|e| {
                self.err(
                    &field,
                    format!("a resource indicator is an absolute URI (RFC 8707 §2): {e}"),
                )
            })?;
            if url.fragment().is_some() {
                return Err(self.err(
                    &field,
                    "a resource indicator must not include a fragment (RFC 8707 §2)",
                ));
            }
            resources.push(r.clone());
        }
        for name in raw.params.keys() {
            if let Some((_, why)) = RESERVED.iter().find(|(n, _)| n == name) {
                return Err(self.err(
                    &format!("{at}.params.{name}"),
                    format!("`{name}` cannot be set here: {why}"),
                ));
            }
        }
        Ok(GrantParams {
            scope,
            resources,
            audience: raw.audience.clone(),
            params: raw
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::target::TargetProfile;

    const BASE: &str = "name = \"t\"\nkind = \"oauth\"\nissuer = \"http://127.0.0.1:1\"\n\n[[clients]]\nid = \"c\"\nsecret = \"s\"\ngrant_types = [\"client_credentials\"]\n\n";

    fn parse(load: &str) -> Result<TargetProfile, crate::target::ProfileError> {
        TargetProfile::parse(&format!("{BASE}{load}"), "t.toml")
    }

    fn issue(load: &str) -> (usize, String, String) {
        match parse(load).unwrap_err() {
            crate::target::ProfileError::Invalid(i) => (i.line, i.field, i.message),
            other => panic!("not a located issue: {other}"),
        }
    }

    #[test]
    fn grants_take_scope_resources_audience_and_params_in_order() {
        let p = parse(
            "[load.client_credentials]\nscope = \"a b\"\nresource = \"https://api.example.com\"\naudience = \"x\"\nparams = { z = \"1\", tenant = \"acme\" }\n\n[load.authorization_code]\nresource = [\"https://a.example/\", \"urn:example:b\"]\n",
        )
        .unwrap();
        let form = p.load.client_credentials.token_form();
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("scope", "a b"),
                // As written: no trailing slash added.
                ("resource", "https://api.example.com"),
                ("audience", "x"),
                ("tenant", "acme"),
                ("z", "1"),
            ]
        );
        assert_eq!(
            p.load.authorization_code.resources,
            ["https://a.example/", "urn:example:b"]
        );
        assert!(p.load.refresh_token.token_form().is_empty());
        assert!(
            parse("")
                .unwrap()
                .load
                .client_credentials
                .token_form()
                .is_empty()
        );
    }

    #[test]
    fn bad_load_sections_name_line_and_field() {
        let (line, field, msg) =
            issue("[load.client_credentials]\nparams = { grant_type = \"password\" }\n");
        assert_eq!(
            (line, field.as_str()),
            (11, "load.client_credentials.params.grant_type")
        );
        assert!(msg.contains("sets it"), "{msg}");
        let (line, field, msg) =
            issue("[load.refresh_token]\nresource = [\"https://ok/\", \"https://x/#frag\"]\n");
        assert_eq!(
            (line, field.as_str()),
            (11, "load.refresh_token.resource[1]")
        );
        assert!(msg.contains("fragment"), "{msg}");
        let (_, field, msg) = issue("[load.client_credentials]\nresource = \" https://api/\"\n");
        assert_eq!(field, "load.client_credentials.resource");
        assert!(msg.contains("no spaces"), "{msg}");
        let (_, field, msg) = issue("[load.authorization_code]\nresource = \"/relative\"\n");
        assert_eq!(field, "load.authorization_code.resource");
        assert!(msg.contains("absolute URI"), "{msg}");
        let (_, field, _) = issue("[load.client_credentials]\nscope = \" \"\n");
        assert_eq!(field, "load.client_credentials.scope");
        let (_, field, msg) = issue("[load.client_credentials]\nscopes = \"a\"\n");
        assert!(
            field.starts_with("load.client_credentials"),
            "{field}: {msg}"
        );
        let (_, field, msg) = issue("[load.password]\nscope = \"a\"\n");
        assert!(field.starts_with("load"), "{field}: {msg}");
        let (_, _, msg) = issue("[load.client_credentials]\nparams = { scope = \"a\" }\n");
        assert!(msg.contains("use the scope field"), "{msg}");
    }
}
