//! A plan of a run (`oauthspec check --plan`): which scenarios would run
//! against a target and, for the others, why not and which profile change
//! would run them. It is worked out from the profile and the target's
//! metadata (discovery is the only request it sends), so it can be read
//! before a long run, or in CI to see why a run is thin.
//!
//! What a scenario needs is read off its steps ([`needs_of`]): every step of
//! the spec is classified, and a test keeps the table complete. Some needs
//! only the run itself can settle (does the target issue refresh tokens?
//! JWT access tokens?); the plan lists those as "may SKIP".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cucumber::gherkin;

use crate::protocol::AuthMethod;
use crate::report::model::{self, Level};
use crate::runner::{FeatureSource, RunError, features};
use crate::target::profile::ScenarioClients;
use crate::target::{Endpoint, Target};

mod check;
use check::check;

/// Something a scenario needs of the target or its profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// An OAuth authorization server (`kind = "oauth"`).
    OAuth,
    /// An OAuth server, or a jwt-api target (an API that issues its own JWTs).
    TokenApi,
    /// A user who logs in at the authorization endpoint (`[login]`).
    Login,
    /// Some client for the authorization code flow.
    CodeClient,
    /// A confidential client for the authorization code flow.
    ConfidentialClient,
    /// A public client for the authorization code flow.
    PublicClient,
    /// A confidential client for client credentials.
    CcClient,
    /// A second client, another client id, for the authorization code flow.
    SecondClient,
    /// A client that authenticates with this method.
    Method(AuthMethod),
    /// The server offers the client credentials grant.
    CcGrant,
    /// The harness may register clients (RFC 7591).
    Registration,
    /// RFC 8414 metadata.
    Metadata,
    Jwks,
    /// An endpoint the target must have (revocation, introspection, …).
    Endpoint(Endpoint),
    /// A protected resource.
    Resource,
    /// Two resources that need different scopes (or, for a jwt-api target,
    /// a resource needing a role and a user without it).
    TwoScopes,
    /// Tokens the target signs with claims the harness chooses.
    Signing,
    /// A fake upstream provider the target can be made to use.
    Upstream,
    /// Time passing on the target's clock.
    Clock,
    /// Decided only by the run: the target issues refresh tokens.
    RefreshTokens,
    /// Decided only by the run: the target's access tokens are JWTs.
    Jwt,
    /// Decided only by the run: the target issues ID tokens.
    IdToken,
    /// Decided only by the run: the target serves an OpenID Provider
    /// configuration (OpenID Connect Discovery §4).
    OpenId,
}

/// Phrases of steps, and what a step containing one needs. The first
/// matching row wins; a step that matches none is a harness bug (see the
/// test that classifies every step of the spec).
const TABLE: &[(&str, &[Need])] = &[
    // upstream logins first: their phrases mention tokens and clients.
    (
        "gives a token the app's API accepts",
        &[Need::Upstream, Need::TokenApi, Need::Resource],
    ),
    ("the app's API accepts nothing", &[Need::Resource]),
    ("upstream", &[Need::Upstream]),
    ("the login is refused", &[]),
    ("the login succeeds", &[]),
    // OpenID Connect: before the API, token and request rows their phrases share.
    ("presented the ID token", &[Need::IdToken, Need::Resource]),
    ("OpenID Provider", &[Need::OAuth, Need::OpenId]),
    (
        "time passes and the user logs in",
        &[Need::OpenId, Need::CodeClient, Need::Login, Need::Clock],
    ),
    (
        "for an authentication request",
        &[Need::OpenId, Need::CodeClient, Need::Login],
    ),
    (
        "a little later the client sends an authentication request with prompt=none",
        &[Need::OpenId, Need::CodeClient, Need::Clock],
    ),
    (
        "authentication request with prompt=none",
        &[Need::OpenId, Need::CodeClient],
    ),
    (
        "as an unsigned request object",
        &[Need::OpenId, Need::CodeClient, Need::Login],
    ),
    ("UserInfo", &[Need::OpenId]),
    (
        "refreshes its tokens a little later",
        &[Need::RefreshTokens],
    ),
    ("ID token", &[Need::OpenId]),
    ("the configuration", &[Need::OpenId]),
    ("prompt=none request", &[]),
    ("logged in again", &[]),
    ("the request object was", &[]),
    ("the request_uri was", &[]),
    (
        "sends an authentication request",
        &[Need::OpenId, Need::CodeClient, Need::Login],
    ),
    // clients
    ("a second client", &[Need::SecondClient]),
    ("the second client gets tokens", &[Need::Login]),
    (
        "revokes the client's refresh token",
        &[Need::Endpoint(Endpoint::Revocation), Need::RefreshTokens],
    ),
    (
        "refreshes with the client's refresh token",
        &[Need::RefreshTokens],
    ),
    ("the second client", &[]),
    (
        "a confidential client allowed to use client credentials",
        &[Need::CcClient, Need::CcGrant],
    ),
    (
        "the server offers the client credentials grant",
        &[Need::CcGrant],
    ),
    (
        "a public client that asked to be allowed client credentials",
        &[Need::PublicClient],
    ),
    ("the public client asks", &[]),
    ("credentials response", &[]),
    ("with client credentials", &[Need::CcClient]),
    ("client credentials", &[]),
    ("a public client registered", &[Need::PublicClient]),
    (
        "a confidential client registered",
        &[Need::ConfidentialClient],
    ),
    (
        "a client registered with client_secret_basic",
        &[Need::Method(AuthMethod::ClientSecretBasic)],
    ),
    (
        "a client registered with client_secret_post",
        &[Need::Method(AuthMethod::ClientSecretPost)],
    ),
    (
        "a client registered for the authorization code flow",
        &[Need::CodeClient],
    ),
    ("a client with short-lived tokens", &[Need::CodeClient]),
    ("a client whose codes live a known time", &[Need::Clock]),
    ("a client the server does not know", &[]),
    // registration
    (
        "the target lets the harness register clients",
        &[Need::Registration],
    ),
    ("regist", &[]),
    ("the unknown method", &[]),
    // discovery and keys
    ("metadata", &[Need::Metadata]),
    ("the server declares", &[Need::Metadata]),
    ("the server does not offer the token response type", &[]),
    ("key set", &[Need::Jwks]),
    ("key in the set", &[]),
    ("key id", &[]),
    // time
    ("lifetime has passed", &[Need::Clock]),
    ("ten minutes", &[Need::Clock]),
    ("outlives the access token", &[Need::RefreshTokens]),
    // introspection and revocation
    (
        "refresh token is reported active",
        &[Need::Endpoint(Endpoint::Introspection), Need::RefreshTokens],
    ),
    (
        "introspects its refresh token",
        &[Need::Endpoint(Endpoint::Introspection), Need::RefreshTokens],
    ),
    ("introspect", &[Need::Endpoint(Endpoint::Introspection)]),
    (
        "revoked its refresh token",
        &[Need::Endpoint(Endpoint::Revocation), Need::RefreshTokens],
    ),
    (
        "revokes its refresh token",
        &[Need::Endpoint(Endpoint::Revocation), Need::RefreshTokens],
    ),
    (
        "revocation of its refresh token",
        &[Need::Endpoint(Endpoint::Revocation), Need::RefreshTokens],
    ),
    (
        "the revoked refresh token",
        &[Need::Endpoint(Endpoint::Revocation), Need::RefreshTokens],
    ),
    ("the genuine token is revoked", &[Need::Resource]),
    ("revocation", &[Need::Endpoint(Endpoint::Revocation)]),
    ("revoke", &[Need::Endpoint(Endpoint::Revocation)]),
    // refresh tokens
    (
        "the API is presented the refresh token",
        &[Need::RefreshTokens, Need::Resource],
    ),
    ("refresh", &[Need::RefreshTokens]),
    // the API and its tokens
    (
        "a genuine access token that the API accepts",
        &[Need::TokenApi, Need::Resource],
    ),
    ("signed with", &[Need::Jwt, Need::Signing, Need::Resource]),
    (
        "\"an unknown crit header\"",
        &[Need::Jwt, Need::Signing, Need::Resource],
    ),
    ("forged with \"malformed encodings\"", &[Need::Resource]),
    ("forged with \"a sample of forgeries\"", &[Need::Resource]),
    ("forged with", &[Need::Jwt, Need::Resource]),
    ("typed at+jwt", &[Need::Jwt]),
    ("the ID token", &[Need::IdToken, Need::Resource]),
    (
        "granted only the scope of another API",
        &[Need::TokenApi, Need::TwoScopes],
    ),
    ("common secret", &[Need::Jwt]),
    ("marked private", &[]),
    ("query string", &[Need::Resource]),
    ("genuine token", &[Need::Resource]),
    ("protected resource", &[Need::Resource]),
    ("protected API", &[Need::Resource]),
    ("the API", &[Need::Resource]),
    ("refusal", &[]),
    ("names the issuer in iss", &[]),
    ("challenge", &[]),
    // the authorization endpoint and the token endpoint
    (
        "holds tokens from the authorization code flow",
        &[Need::Login],
    ),
    ("holds tokens the user granted", &[Need::Login]),
    ("the user has approved", &[Need::Login]),
    ("the client gets a code", &[Need::Login]),
    ("the user logs in", &[Need::Login]),
    ("the client sends the request", &[Need::Login]),
    ("an authorization request from the client", &[Need::OAuth]),
    ("the request", &[]),
    ("authorization response", &[]),
    ("the client receives", &[]),
    ("the client gets no token", &[]),
    ("the user is not redirected", &[]),
    ("exchanges", &[]),
    ("the token", &[]),
    ("no token", &[]),
    ("scope", &[]),
    ("the client asks for a token", &[]),
];

/// What a step needs; `None` for a step the table does not know.
pub fn needs_of(step: &str) -> Option<&'static [Need]> {
    TABLE
        .iter()
        .find(|(phrase, _)| step.contains(phrase))
        .map(|(_, needs)| *needs)
}

/// Whether the plan thinks a scenario will run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanStatus {
    Runs,
    /// It runs, but may SKIP on what only the run can tell.
    MaySkip(Vec<String>),
    /// It will SKIP: why, and what would run it.
    Skips {
        reason: String,
        fix: String,
    },
}

/// One scenario in the plan.
#[derive(Clone, Debug)]
pub struct Planned {
    pub id: String,
    pub level: Level,
    pub status: PlanStatus,
}

/// The scenarios of `features` selected by `tags`, planned against `target`.
pub fn plan(
    source: &FeatureSource,
    target: &Target,
    tags: Option<&str>,
) -> Result<Vec<Planned>, RunError> {
    let op = tags
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(features::parse_tags)
        .transpose()?;
    let mut parsed = features::load(source)?;
    if features::filter(&mut parsed, op.as_ref()) == 0 {
        return Err(RunError::NoScenarios {
            tags: tags.unwrap_or_default().to_owned(),
        });
    }
    let mut out = Vec::new();
    for f in &parsed {
        let area = features::area_of(f);
        let background: Vec<&gherkin::Step> =
            f.background.iter().flat_map(|b| b.steps.iter()).collect();
        let scenarios = f
            .scenarios
            .iter()
            .chain(f.rules.iter().flat_map(|r| r.scenarios.iter()));
        for s in scenarios {
            let tags: Vec<String> = f
                .tags
                .iter()
                .chain(s.tags.iter())
                .map(|t| t.trim_start_matches('@').to_owned())
                .collect();
            let mut needs: Vec<Need> = background
                .iter()
                .copied()
                .chain(s.steps.iter())
                .flat_map(|st| needs_of(&st.value).unwrap_or(&[]).iter().copied())
                .collect();
            needs.sort();
            needs.dedup();
            let mut notes = Vec::new();
            let mut status = PlanStatus::Runs;
            for n in needs {
                match check(n, target) {
                    Err((reason, fix)) => {
                        status = PlanStatus::Skips { reason, fix };
                        break;
                    }
                    Ok(Some(note)) => notes.push(note.to_owned()),
                    Ok(None) => {}
                }
            }
            if status == PlanStatus::Runs && !notes.is_empty() {
                status = PlanStatus::MaySkip(notes);
            }
            out.push(Planned {
                id: format!("{area}/{}", model::slug(&s.name)),
                level: model::level_from_tags(&tags).unwrap_or(Level::Must),
                status,
            });
        }
    }
    Ok(out)
}

/// The plan as text: counts, then the SKIPs grouped by cause with their
/// fix, then the run-time conditions.
pub fn render(plan: &[Planned], target_name: &str) -> String {
    let runs = plan.iter().filter(|p| p.status == PlanStatus::Runs).count();
    let may = plan
        .iter()
        .filter(|p| matches!(p.status, PlanStatus::MaySkip(_)))
        .count();
    let skips = plan.len() - runs - may;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for {target_name}: {} scenarios; {runs} will run, {may} will run but may SKIP on what only the run can tell, {skips} will SKIP.",
        plan.len()
    );
    let mut by_cause: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    let mut by_note: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for p in plan {
        match &p.status {
            PlanStatus::Skips { reason, fix } => by_cause
                .entry((reason.clone(), fix.clone()))
                .or_default()
                .push(&p.id),
            PlanStatus::MaySkip(notes) => {
                for n in notes {
                    by_note.entry(n.clone()).or_default().push(&p.id);
                }
            }
            PlanStatus::Runs => {}
        }
    }
    if !by_cause.is_empty() {
        out.push_str("\nWill SKIP, by cause:\n");
        let mut causes: Vec<_> = by_cause.into_iter().collect();
        causes.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        for ((reason, fix), ids) in causes {
            let _ = writeln!(out, "- {reason} ({} scenarios)", ids.len());
            let _ = writeln!(out, "  to run them: {fix}");
            for id in ids {
                let _ = writeln!(out, "    {id}");
            }
        }
    }
    if !by_note.is_empty() {
        out.push_str("\nMay SKIP at run time:\n");
        for (note, ids) in by_note {
            let _ = writeln!(out, "- {note} ({} scenarios)", ids.len());
        }
    }
    out
}

/// How the plan describes where the scenarios' clients come from.
pub fn clients_line(t: &Target) -> String {
    let p = &t.profile;
    match (t.can_register(), p.registration.as_ref().map(|r| r.scenario_clients)) {
        (true, Some(ScenarioClients::Registered)) => {
            "clients: each scenario registers its own (RFC 7591); set [registration] scenario_clients = \"profile\" to use [[clients]] instead".into()
        }
        _ => format!("clients: the profile's {} [[clients]] entries", p.clients.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every step of the spec is classified, so the plan sees every need.
    #[test]
    fn every_step_of_the_spec_is_classified() {
        let features = features::load(&FeatureSource::Embedded).expect("the spec parses");
        let mut unknown = Vec::new();
        for f in &features {
            let steps = f
                .background
                .iter()
                .flat_map(|b| b.steps.iter())
                .chain(f.scenarios.iter().flat_map(|s| s.steps.iter()))
                .chain(
                    f.rules
                        .iter()
                        .flat_map(|r| r.scenarios.iter().flat_map(|s| s.steps.iter())),
                );
            for st in steps {
                if needs_of(&st.value).is_none() {
                    unknown.push(st.value.clone());
                }
            }
        }
        unknown.sort();
        unknown.dedup();
        assert!(
            unknown.is_empty(),
            "steps the plan does not know: {unknown:#?}"
        );
    }

    #[test]
    fn phrases_map_to_needs() {
        assert_eq!(
            needs_of("a second client registered for the authorization code flow"),
            Some(&[Need::SecondClient][..])
        );
        assert_eq!(
            needs_of("the client revokes its refresh token"),
            Some(&[Need::Endpoint(Endpoint::Revocation), Need::RefreshTokens][..])
        );
        assert_eq!(
            needs_of("the client revokes its access token"),
            Some(&[Need::Endpoint(Endpoint::Revocation)][..])
        );
        assert_eq!(
            needs_of("the user logs in through the upstream provider"),
            Some(&[Need::Upstream][..])
        );
        assert_eq!(needs_of("something else entirely"), None);
    }
}
