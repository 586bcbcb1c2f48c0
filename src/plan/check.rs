//! Whether a profile offers what a need asks for: one function per kind of need (clients,
//! endpoints, the rest), each a `match` whose other needs are met.

use super::Need;
use crate::protocol::GrantType;
use crate::target::{Endpoint, Target, TargetKind};

/// Why a need is not met, and the fix; `Ok(Some(note))` when only the run
/// can tell.
pub(super) fn check(need: Need, t: &Target) -> Checked {
    match need {
        Need::CodeClient
        | Need::ConfidentialClient
        | Need::PublicClient
        | Need::CcClient
        | Need::SecondClient
        | Need::Method(_) => client_need(need, t),
        Need::CcGrant | Need::Registration | Need::Metadata | Need::Jwks | Need::Endpoint(_) => {
            endpoint_need(need, t)
        }
        _ => other_need(need, t),
    }
}

/// What [`check`] says of one need.
type Checked = Result<Option<&'static str>, (String, String)>;

fn no(reason: &str, fix: &str) -> Checked {
    Err((reason.to_owned(), fix.to_owned()))
}

/// The clients a scenario needs: the profile's, or registered.
fn client_need(need: Need, t: &Target) -> Checked {
    let p = &t.profile;
    let registers = t.can_register() && p.scenarios_register();
    let code_clients = |f: &dyn Fn(&crate::target::profile::ClientProfile) -> bool| {
        p.clients
            .iter()
            .filter(|c| c.supports_grant(&GrantType::AuthorizationCode) && f(c))
            .count()
    };
    match need {
        Need::CodeClient if !registers && code_clients(&|_| true) == 0 => no(
            "the profile names no client for authorization_code (and the harness does not register clients)",
            "add a [[clients]] entry for authorization_code, or enable [registration]",
        ),
        Need::ConfidentialClient if !registers && code_clients(&|c| !c.is_public()) == 0 => no(
            "the profile names no confidential client for authorization_code (and the harness does not register clients)",
            "add a [[clients]] entry with a secret for authorization_code, or enable [registration]",
        ),
        Need::PublicClient if !registers && code_clients(&|c| c.is_public()) == 0 => no(
            "the profile names no public client for authorization_code (and the harness does not register clients)",
            "add a [[clients]] entry with auth_method = \"none\", or enable [registration]",
        ),
        Need::CcClient
            if !registers
                && !p
                    .clients
                    .iter()
                    .any(|c| !c.is_public() && c.supports_grant(&GrantType::ClientCredentials)) =>
        {
            no(
                "the profile names no confidential client for client_credentials (and the harness does not register clients)",
                "add a [[clients]] entry with a secret and grant_types = [\"client_credentials\"], or enable [registration]",
            )
        }
        Need::SecondClient if !registers && code_clients(&|_| true) < 2 => no(
            "the scenario needs a second client for authorization_code, with another client id, and the profile names none",
            "add a second [[clients]] entry (another client id) for authorization_code, or enable [registration]",
        ),
        Need::Method(m) => {
            if let Some(md) = &t.metadata
                && !md
                    .token_endpoint_auth_methods()
                    .iter()
                    .any(|o| o == m.as_str())
            {
                return no(
                    &format!("the server does not offer {m}"),
                    "nothing to change: the server does not offer it",
                );
            }
            if !registers && !p.clients.iter().any(|c| c.auth_method == m) {
                return no(
                    &format!(
                        "the profile names no {m} client for authorization_code (and the harness does not register clients)"
                    ),
                    &format!("add a [[clients]] entry with auth_method = \"{m}\""),
                );
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// The endpoints, metadata and grants a scenario needs.
fn endpoint_need(need: Need, t: &Target) -> Checked {
    let p = &t.profile;
    match need {
        Need::CcGrant => match &t.metadata {
            Some(m) if !m.grant_types().contains(&GrantType::ClientCredentials) => no(
                "the server does not offer the client credentials grant",
                "nothing to change: the server does not offer it",
            ),
            _ => Ok(None),
        },
        Need::Registration if !p.registration_enabled() => no(
            "the profile does not let the harness register clients",
            "add [registration] with enabled = true, if the server offers RFC 7591 registration",
        ),
        Need::Registration if t.endpoints.get(Endpoint::Registration).is_none() => no(
            "the target has no registration endpoint",
            "nothing to change, unless the server has one: give [endpoints] registration",
        ),
        Need::Metadata if t.metadata.is_none() => no(
            "the target publishes no RFC 8414 metadata",
            "nothing to change, unless the issuer is wrong",
        ),
        Need::Jwks if t.endpoints.get(Endpoint::Jwks).is_none() => no(
            "the target publishes no jwks_uri",
            "give [endpoints] jwks in the profile, if the server publishes keys",
        ),
        Need::Endpoint(e) if t.endpoints.get(e).is_none() => {
            no(&format!("the target has no {} endpoint", e.name()), e.fix())
        }
        _ => Ok(None),
    }
}

/// The kind of target, login, resources and the rest.
fn other_need(need: Need, t: &Target) -> Checked {
    let p = &t.profile;
    match need {
        Need::OAuth if p.kind != TargetKind::OAuth => no(
            "the target is not an OAuth authorization server",
            "nothing to change: the scenario is about authorization servers",
        ),
        Need::TokenApi
            if p.kind == TargetKind::RelyingParty
                && p.relying_party.as_ref().is_some_and(|r| r.token.is_none()) =>
        {
            no(
                "the profile does not say where the app's own token comes back, so its API cannot be called as the user",
                "set [relying_party] token = \"json:/pointer\", \"cookie:NAME\" or \"header:NAME\", and list the app's API in [[resources]]",
            )
        }
        Need::Login if p.kind == TargetKind::OAuth && p.login.is_none() => no(
            "the profile says nothing of how to log in",
            "add [login] with username and password, or strategy = \"none\" if the server has no login page",
        ),
        Need::Resource if p.relying_party.as_ref().is_some_and(|r| r.token.is_none()) => no(
            "the profile does not say where the app's own token comes back, so its API cannot be called as the user",
            "set [relying_party] token = \"json:/pointer\", \"cookie:NAME\" or \"header:NAME\", and list the app's API in [[resources]]",
        ),
        Need::Resource if p.resources.is_empty() => no(
            "the profile names no protected resource",
            "add a [[resources]] entry: a URL of the API that accepts the target's access tokens, with the scope it needs",
        ),
        Need::TwoScopes => {
            let scopes: std::collections::BTreeSet<String> = p
                .resources
                .iter()
                .filter_map(|r| r.scope.as_ref().map(ToString::to_string))
                .collect();
            let roles = p.resources.iter().any(|r| r.role.is_some());
            if scopes.len() < 2 && !roles {
                return no(
                    "the profile names no two protected resources that need different scopes",
                    "list two [[resources]] whose scopes differ (e.g. profile and notes:read)",
                );
            }
            Ok(None)
        }
        Need::Signing if t.profile.test_admin.is_none() => no(
            "the harness cannot have the target sign a token with chosen claims (no test-admin signing API)",
            "nothing to change for a third-party server; the reference server offers it with serve --test-admin",
        ),
        Need::Upstream if p.kind != TargetKind::RelyingParty && t.profile.test_admin.is_none() => {
            no(
                "the target is neither a relying-party app nor an authorization server with a test-admin API to configure an upstream provider with",
                "describe a relying-party app with kind = \"relying-party\" and [relying_party]",
            )
        }
        Need::Clock if t.profile.test_admin.is_none() => Ok(Some(
            "if the lifetimes it waits for exceed [expiry] max_wait",
        )),
        Need::RefreshTokens => Ok(Some("if the target issues no refresh tokens")),
        Need::Jwt => Ok(Some("if the target's access tokens are not JWTs")),
        Need::IdToken => Ok(Some("if the target issues no ID tokens")),
        Need::OpenId => Ok(Some(
            "if the target serves no OpenID Provider configuration",
        )),
        _ => Ok(None),
    }
}
