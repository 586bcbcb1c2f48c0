//! Steps of `features/scopes.feature`: unknown scopes at the authorization
//! and token endpoints, and how a protected API refuses a token (RFC 6750 §3).
//!
//! The resource-server scenarios run against OAuth targets (a token for one
//! resource's scope, used on a resource needing another) and against jwt-api
//! targets (a user without the role a resource needs), where the role plays
//! the part of the scope.

use cucumber::{given, then, when};

use super::answer::Answer;
use super::authorize::describe;
use super::control::ControlKind;
use super::outcome::{OrSkip, skip_with, unmet};
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::{self, AuthorizationOutcome, Challenge};
use crate::driver::forms::ConsentChoice;
use crate::protocol::{Scope, random_token};
use crate::target::Endpoint;
use crate::target::TargetKind;
use crate::target::profile::ResourceProfile;

/// A scope no server defines.
const UNKNOWN_SCOPE: &str = "oauthspec-unknown-scope";

/// What this area keeps between its steps.
#[derive(Default)]
struct ScopeProbe {
    /// A token lacking what `resource` needs.
    token: String,
    /// The resource to call with it, and what it needs.
    resource: Option<ResourceProfile>,
    needed: String,
}

// ── unknown scopes ────────────────────────────────────────────────────

#[given("the request also asks for a scope the server does not know")]
async fn also_unknown_scope(w: &mut Spec) {
    let p = w.pending();
    let scope = match p.request.get("scope") {
        Some(s) if !s.is_empty() => format!("{s} {UNKNOWN_SCOPE}"),
        _ => UNKNOWN_SCOPE.to_owned(),
    };
    p.request = p.request.clone().set("scope", &scope);
}

#[when("the client exchanges any code it received for tokens")]
async fn exchange_any_code(w: &mut Spec) {
    let code = match &w.flow.outcome {
        Some(AuthorizationOutcome::Redirected(r)) => r.code.as_ref().map(|c| c.secret().to_owned()),
        _ => None,
    };
    let Some(code) = code else { return };
    let client = w.client();
    let verifier = w.flow.verifier.take();
    w.flow.token_answer = None;
    w.exchange(&client, &code, verifier.as_ref()).await;
}

#[then("no token carries the scope the server does not know")]
async fn unknown_scope_not_granted(w: &mut Spec) {
    super::common::token_endpoint_control(w);
    let requirement = "a scope the server does not know is never granted; a token response whose scope differs from the request says so in scope (RFC 6749 §3.3, §5.1)";
    let refused_at_authorization = matches!(
        &w.flow.outcome,
        Some(AuthorizationOutcome::Redirected(r)) if r.code.is_none()
    );
    let Some(res) = w.flow.token_answer.clone() else {
        // Nothing came back to redeem: refused at the authorization
        // endpoint (an error redirect or an error page).
        if let Some(o) = w.flow.outcome.clone() {
            if !refused_at_authorization && !matches!(o, AuthorizationOutcome::NotRedirected(_)) {
                super::authorize::walk_failed(&o);
            }
            w.record(format!(
                "note: nothing was granted: the authorization endpoint answered {}",
                describe(&o)
            ));
        }
        return;
    };
    let Some(t) = res.success() else {
        // Client credentials: the refusal must be invalid_scope.
        if w.flow.outcome.is_none() && res.error().is_none_or(|e| e.error != "invalid_scope") {
            fail(Finding::format(
                "a token request for an unknown scope is refused with invalid_scope (RFC 6749 §5.2)",
                "400 error=invalid_scope",
                describe_token_answer(&res),
            ));
        }
        w.record(format!(
            "note: nothing was granted: the token endpoint answered {}",
            describe_token_answer(&res)
        ));
        return;
    };
    match &t.scope {
        Some(s) if s.contains(UNKNOWN_SCOPE) => fail(Finding::new(
            requirement,
            format!("a refusal, or a token whose scope leaves out {UNKNOWN_SCOPE}"),
            format!("{} with tokens and scope \"{s}\"", res.status),
        )),
        Some(_) => {}
        None => fail(Finding::new(
            requirement,
            format!("a refusal, or a token response whose scope leaves out {UNKNOWN_SCOPE}"),
            format!(
                "{} with tokens and no scope parameter, which means the scope requested, {UNKNOWN_SCOPE} included, was granted",
                res.status
            ),
        )),
    }
}

#[when("the client asks for a client credentials token with a scope the server does not know")]
async fn cc_unknown_scope(w: &mut Spec) {
    let client = w.client();
    let endpoint = w.endpoint(Endpoint::Token);
    let driver = w.http();
    let scope = Scope::parse(&match &client.scope {
        Some(s) => format!("{s} {UNKNOWN_SCOPE}"),
        None => UNKNOWN_SCOPE.to_owned(),
    });
    let res = flow::TokenRequest::client_credentials()
        .scope(Some(&scope))
        .send(&driver, &endpoint, &client.auth())
        .await;
    let res = w.answered(res, "the token endpoint");
    w.keep_token_answer(res);
}

// ── a token lacking the scope an API needs ───────────────────────────

/// Two resources of the profile: one whose scope the token gets, and one
/// needing a scope that the first one's does not include.
fn scope_pair(resources: &[ResourceProfile]) -> Option<(usize, usize)> {
    for (i, a) in resources.iter().enumerate() {
        for (j, b) in resources.iter().enumerate() {
            if let (Some(sa), Some(sb)) = (&a.scope, &b.scope)
                && !sa.includes(sb)
            {
                return Some((i, j));
            }
        }
    }
    None
}

/// OAuth targets: a token for the scope of one resource only, shown to work
/// there (the control). Returns the token, the resource it lacks the scope
/// for, and that scope.
async fn token_for_one_scope(w: &mut Spec) -> (String, ResourceProfile, String) {
    let resources = w.target().profile.resources.clone();
    let (granted_for, needs) = scope_pair(&resources).unwrap_or_else(|| {
        skip_with(
            "the profile names no two protected resources that need different scopes",
            "list two [[resources]] whose scopes differ (e.g. profile and notes:read)",
        )
    });
    let asked = resources[granted_for].scope.clone().unwrap_or_default();
    let needed = resources[needs].scope.clone().unwrap_or_default();
    if w.flow.client.is_none() {
        let c = w
            .client_for(super::clients::ClientNeed::Any, "authorization_code")
            .await;
        w.flow.client = Some(c);
    }
    let client = w.client();
    let mut p = w.new_authorization(&client);
    p.request = p.request.set("scope", &asked.to_string());
    w.flow.pending = Some(p);
    w.walk(ConsentChoice::Approve).await;
    let code = w.setup_code();
    let verifier = w.flow.verifier.take();
    let res = w.exchange(&client, &code, verifier.as_ref()).await;
    let Some(t) = res.success().cloned() else {
        unmet(format!(
            "a code for the scope \"{asked}\" was not exchanged for tokens: {}",
            describe_token_answer(&res)
        ));
    };
    if let Some(granted) = &t.scope
        && granted.includes(&needed)
    {
        skip_with(
            format!(
                "asked for \"{asked}\" only, the server granted \"{granted}\", which covers \"{needed}\": no token lacking a scope to test with"
            ),
            "nothing to change: the server grants more than asked",
        );
    }
    let token = t.access_token.secret().to_owned();
    w.accepted_by(
        &resources[granted_for],
        &token,
        &format!("a token for \"{asked}\" at the API that needs it"),
    )
    .await;
    (token, resources[needs].clone(), needed.to_string())
}

/// jwt-api targets: a token of a user without the role a resource needs,
/// shown to work at a resource that needs no role (the control).
async fn token_without_role(w: &mut Spec) -> (String, ResourceProfile, String) {
    let profile = w.target().profile.clone();
    let api = profile
        .jwt_api
        .clone()
        .or_skip("the profile has no [jwt_api] section to log in with");
    let found = profile.resources.iter().find_map(|r| {
        let role = r.role.as_ref()?;
        let user = api.user_without_role(role)?;
        Some((r.clone(), role.clone(), user.clone()))
    });
    let (resource, role, user) = found.unwrap_or_else(|| {
        skip_with(
            "the profile names no resource needing a role together with a user who lacks that role",
            "list a [[resources]] entry with a role, and a [[jwt_api.users]] entry without it",
        )
    });
    let (token, _) = w.jwt_api_login(&user).await;
    let open = profile
        .resources
        .iter()
        .find(|r| r.role.is_none())
        .cloned()
        .unwrap_or_else(|| {
            skip_with(
                "the profile names no resource that any logged-in user may call, to show the token works",
                "list a [[resources]] entry without a role",
            )
        });
    w.accepted_by(&open, &token, &format!("{}'s token", user.username))
        .await;
    (token, resource, role)
}

#[given("the client holds an access token granted only the scope of another API")]
async fn token_lacking_scope(w: &mut Spec) {
    let (token, resource, needed) = match w.target().profile.kind {
        TargetKind::OAuth => token_for_one_scope(w).await,
        TargetKind::JwtApi => token_without_role(w).await,
        TargetKind::RelyingParty => {
            super::skip("a relying-party target issues no access tokens for scopes")
        }
    };
    *w.area::<ScopeProbe>() = ScopeProbe {
        token,
        resource: Some(resource),
        needed,
    };
}

fn probe(w: &mut Spec) -> (String, ResourceProfile, String) {
    let p = w.area::<ScopeProbe>();
    let r = p
        .resource
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no resource was chosen (add the Given step)"));
    (p.token.clone(), r, p.needed.clone())
}

#[when("the client calls the API that needs a scope the token lacks")]
async fn call_lacking_scope(w: &mut Spec) {
    let (token, resource, _) = probe(w);
    w.call(&resource, Some(&token)).await;
}

/// Any protected resource of the profile (the first), for calls where the
/// scope does not matter.
fn any_resource(w: &Spec) -> ResourceProfile {
    w.target()
        .profile
        .resources
        .first()
        .cloned()
        .unwrap_or_else(|| {
            skip_with(
                "the profile names no protected resource",
                "add a [[resources]] entry",
            )
        })
}

#[when("the client calls a protected API without any access token")]
async fn call_without_token(w: &mut Spec) {
    let resource = any_resource(w);
    w.call(&resource, None).await;
}

#[when("the client calls a protected API with a token the server never issued")]
async fn call_with_made_up_token(w: &mut Spec) {
    let resource = any_resource(w);
    let token = format!("oauthspec-made-up-{}", random_token(24));
    w.call(&resource, Some(&token)).await;
}

// ── what the API answered ────────────────────────────────────────────

/// The API's last answer, and where it came from.
fn answer(w: &Spec) -> (ResourceProfile, Answer) {
    let (r, a) = w
        .flow
        .resource_answer
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no resource was called"));
    if a.status.is_none() {
        unmet(a.describe());
    }
    (r, a)
}

/// The lacking-scope scenarios judge a refusal only after the token was
/// shown to work where its scope (or role) suffices.
fn probe_control(w: &mut Spec) {
    if w.area::<ScopeProbe>().resource.is_some()
        && !w
            .controls
            .iter()
            .any(|c| matches!(c.kind, ControlKind::Resource(_)))
    {
        unmet(
            "no positive control: the token was never shown to work at an API whose scope it has",
        );
    }
}

fn describe_answer(r: &ResourceProfile, a: &Answer) -> String {
    format!("{} from {} {}", a.describe(), r.method, r.url)
}

fn bearer_challenge(a: &Answer) -> Option<Challenge> {
    a.challenge("bearer")
}

#[then("the API refuses the call")]
async fn api_refuses(w: &mut Spec) {
    probe_control(w);
    let (r, a) = answer(w);
    if a.accepted() {
        let needed = w.area::<ScopeProbe>().needed.clone();
        let what = if needed.is_empty() {
            "a protected API refuses a request that carries no access token (RFC 6749 §7, RFC 6750 §3)".to_owned()
        } else {
            format!(
                "a protected API checks that the token's scope covers the request, here \"{needed}\" (RFC 6749 §7)"
            )
        };
        fail(Finding::security(
            what,
            "a refusal (403 insufficient_scope, or 401 without a token)",
            describe_answer(&r, &a),
        ));
    }
}

#[then("the answer carries a Bearer challenge in WWW-Authenticate")]
async fn carries_bearer_challenge(w: &mut Spec) {
    probe_control(w);
    let (r, a) = answer(w);
    if a.accepted() {
        fail(Finding::security(
            "a protected API refuses a request without a token that grants access (RFC 6749 §7, RFC 6750 §3)",
            "a refusal with WWW-Authenticate: Bearer",
            describe_answer(&r, &a),
        ));
    }
    if bearer_challenge(&a).is_none() {
        fail(Finding::format(
            "a refused request to a protected API gets a WWW-Authenticate header with the Bearer scheme (RFC 6750 §3)",
            "WWW-Authenticate: Bearer …",
            describe_answer(&r, &a),
        ));
    }
}

#[then(expr = "the API answers {int}")]
async fn api_answers_status(w: &mut Spec, status: u16) {
    let (r, a) = answer(w);
    if a.accepted() {
        fail(Finding::security(
            "a protected API refuses a request that carries no access token (RFC 6749 §7, RFC 6750 §3)",
            format!("{status} with WWW-Authenticate: Bearer"),
            describe_answer(&r, &a),
        ));
    }
    if a.status != Some(status) {
        fail(Finding::format(
            format!("a request without credentials is answered {status} (RFC 9110 §15.5.2)"),
            format!("{status}"),
            describe_answer(&r, &a),
        ));
    }
}

#[then(expr = "the API answers {int} with the error {string} in its challenge")]
async fn api_answers_error(w: &mut Spec, status: u16, code: String) {
    probe_control(w);
    let (r, a) = answer(w);
    let expected = format!("{status} with WWW-Authenticate: Bearer error=\"{code}\"");
    if a.accepted() {
        fail(Finding::security(
            format!(
                "a protected API refuses this request with {code} (RFC 6749 §7, RFC 6750 §3.1)"
            ),
            expected,
            describe_answer(&r, &a),
        ));
    }
    let error = bearer_challenge(&a).and_then(|c| c.param("error").map(str::to_owned));
    if a.status != Some(status) || error.as_deref() != Some(code.as_str()) {
        fail(Finding::format(
            format!(
                "the refusal is {status} with error=\"{code}\" in the Bearer challenge (RFC 6750 §3.1)"
            ),
            expected,
            describe_answer(&r, &a),
        ));
    }
}

#[then("the challenge names the scope the API needs, if it names one")]
async fn challenge_names_scope(w: &mut Spec) {
    let (r, a) = answer(w);
    let needed = w.area::<ScopeProbe>().needed.clone();
    let Some(named) = bearer_challenge(&a).and_then(|c| c.param("scope").map(str::to_owned)) else {
        // RFC 6750 §3.1: the scope attribute MAY be included.
        return;
    };
    if w.target().profile.kind == TargetKind::JwtApi {
        // The "needed" value is a role, which no scope attribute names.
        return;
    }
    if !Scope::parse(&named).includes(&Scope::parse(&needed)) {
        fail(Finding::format(
            "the scope attribute of an insufficient_scope challenge names the scope the resource needs (RFC 6750 §3)",
            format!("scope=\"{needed}\""),
            describe_answer(&r, &a),
        ));
    }
}

#[then("the Bearer challenge carries no error code")]
async fn bare_challenge(w: &mut Spec) {
    let (r, a) = answer(w);
    let Some(c) = bearer_challenge(&a) else {
        // No challenge at all is the MUST scenario's finding; without one
        // there is no error code to look for.
        skip_with(
            format!(
                "the API answered without a Bearer challenge ({}), so there is no error code to look at",
                describe_answer(&r, &a)
            ),
            "nothing to change here: the missing challenge is reported by its own scenario",
        );
    };
    if c.param("error").is_some() || c.param("error_description").is_some() {
        fail(Finding::format(
            "a request that carries no credentials at all gets no error code in its challenge (RFC 6750 §3.1: SHOULD NOT)",
            "WWW-Authenticate: Bearer (with at most realm and scope)",
            describe_answer(&r, &a),
        ));
    }
}
