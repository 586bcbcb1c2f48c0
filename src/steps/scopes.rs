//! Steps of `features/scopes.feature`: unknown scopes at the authorization
//! and token endpoints, and how a protected API refuses a token (RFC 6750 §3).
//!
//! The resource-server scenarios run against OAuth targets (a token for one
//! resource's scope, used on a resource needing another) and against jwt-api
//! targets (a user without the role a resource needs), where the role plays
//! the part of the scope.

use cucumber::{given, then, when};

use super::common::{describe, describe_token_answer};
use super::{Finding, OrSkip, Spec, fail, skip};
use crate::driver::flow::{self, Challenge, parse_www_authenticate};
use crate::driver::forms::ConsentChoice;
use crate::driver::jwt_api;
use crate::driver::pkce::{Scope, random_token};
use crate::target::TargetKind;
use crate::target::profile::ResourceProfile;

/// A scope no server defines.
pub(crate) const UNKNOWN_SCOPE: &str = "oauthspec-unknown-scope";

/// Keys in `w.vars`.
const VAR_TOKEN: &str = "scopes.token";
const VAR_RESOURCE: &str = "scopes.resource";
const VAR_NEEDED: &str = "scopes.needed";

fn pending(w: &mut Spec) -> &mut super::support::PendingAuthorization {
    w.flow
        .pending
        .as_mut()
        .unwrap_or_else(|| panic!("harness bug: no authorization request prepared"))
}

// ── unknown scopes ────────────────────────────────────────────────────

#[given("the request asks only for a scope the server does not know")]
async fn only_unknown_scope(w: &mut Spec) {
    let p = pending(w);
    p.request = p.request.clone().set("scope", UNKNOWN_SCOPE);
}

#[given("the request also asks for a scope the server does not know")]
async fn also_unknown_scope(w: &mut Spec) {
    let p = pending(w);
    let scope = match p.request.get("scope") {
        Some(s) if !s.is_empty() => format!("{s} {UNKNOWN_SCOPE}"),
        _ => UNKNOWN_SCOPE.to_owned(),
    };
    p.request = p.request.clone().set("scope", &scope);
}

#[when("the client exchanges any code it received for tokens")]
async fn exchange_any_code(w: &mut Spec) {
    super::pkce::exchange_any_code(w).await;
}

#[then("no token carries the scope the server does not know")]
async fn unknown_scope_not_granted(w: &mut Spec) {
    let requirement = "a scope the server does not know is never granted; a token response whose scope differs from the request says so in scope (RFC 6749 §3.3, §5.1)";
    let Some(res) = &w.flow.token_answer else {
        // Refused at the authorization endpoint: nothing was granted.
        if let Some(outcome) = &w.flow.outcome {
            let line = format!(
                "note: no code to redeem; the authorization endpoint answered: {}",
                describe(outcome)
            );
            w.record(line);
        }
        return;
    };
    let Some(t) = res.success() else {
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
    let endpoint = w.token_endpoint();
    let driver = w.http();
    let scope = Scope::parse(UNKNOWN_SCOPE);
    let res = flow::client_credentials(&driver, &endpoint, &client.auth(), Some(&scope))
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the token endpoint answers",
                "an HTTP answer",
                e.to_string(),
            ))
        });
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

/// OAuth targets: a token for the scope of one resource only, through the
/// authorization code flow. Returns the token, the resource index to call and
/// the scope it needs.
async fn token_for_one_scope(w: &mut Spec) -> (String, usize, String) {
    let resources = w.target().profile.resources.clone();
    let (granted_for, needs) = scope_pair(&resources)
        .or_skip("the profile names no two protected resources that need different scopes");
    let asked = resources[granted_for].scope.clone().unwrap_or_default();
    let needed = resources[needs].scope.clone().unwrap_or_default();
    if w.flow.client.is_none() {
        let c = w.confidential_client("authorization_code").await;
        w.flow.client = Some(c);
    }
    let client = w.client();
    let mut p = w.new_authorization(&client);
    p.request = p.request.set("scope", &asked.to_string());
    w.flow.pending = Some(p);
    w.send_authorization(ConsentChoice::Approve).await;
    let code = w.expect_code();
    let verifier = w.flow.verifier.take();
    let res = w.exchange(&client, &code, verifier.as_ref()).await;
    let Some(t) = res.success() else {
        fail(Finding::new(
            format!("a token for the scope \"{asked}\" is issued (RFC 6749 §4.1.3)"),
            "200 with an access token",
            describe_token_answer(&res),
        ));
    };
    if let Some(granted) = &t.scope
        && granted.includes(&needed)
    {
        skip(format!(
            "asked for \"{asked}\" only, the server granted \"{granted}\", which covers \"{needed}\": no token lacking a scope to test with"
        ));
    }
    (
        t.access_token.secret().to_owned(),
        needs,
        needed.to_string(),
    )
}

/// jwt-api targets: a token of a user without the role a resource needs.
async fn token_without_role(w: &mut Spec) -> (String, usize, String) {
    let profile = w.target().profile.clone();
    let api = profile
        .jwt_api
        .clone()
        .or_skip("the profile has no [jwt_api] section to log in with");
    let found = profile.resources.iter().enumerate().find_map(|(i, r)| {
        let role = r.role.as_ref()?;
        let user = api.user_without_role(role)?;
        Some((i, role.clone(), user.clone()))
    });
    let (index, role, user) = found.or_skip(
        "the profile names no resource needing a role together with a user who lacks that role",
    );
    let driver = w.http();
    let login = jwt_api::login(&driver, &api, &user)
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the login endpoint answers",
                "an HTTP answer",
                e.to_string(),
            ))
        });
    let Some(token) = login.access_token else {
        fail(Finding::new(
            format!("the login endpoint issues a token to {}", user.username),
            format!("2xx with {}", api.token_field),
            format!("{} {}", login.response.status, login.response.text()),
        ));
    };
    (token.secret().to_owned(), index, role)
}

#[given("the client holds an access token granted only the scope of another API")]
async fn token_lacking_scope(w: &mut Spec) {
    let (token, index, needed) = match w.target().profile.kind {
        TargetKind::OAuth => token_for_one_scope(w).await,
        TargetKind::JwtApi => token_without_role(w).await,
        TargetKind::RelyingParty => {
            skip("a relying-party target issues no access tokens for scopes")
        }
    };
    w.vars.insert(VAR_TOKEN.into(), token.into());
    w.vars.insert(VAR_RESOURCE.into(), index.into());
    w.vars.insert(VAR_NEEDED.into(), needed.into());
}

fn chosen_resource(w: &Spec) -> ResourceProfile {
    let index = w
        .vars
        .get(VAR_RESOURCE)
        .and_then(serde_json::Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or_else(|| panic!("harness bug: no resource was chosen (add the Given step)"));
    w.target().profile.resources[index].clone()
}

fn var_str(w: &Spec, key: &str) -> String {
    w.vars
        .get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("harness bug: {key} is not set (add the Given step)"))
}

#[when("the client calls the API that needs a scope the token lacks")]
async fn call_lacking_scope(w: &mut Spec) {
    let resource = chosen_resource(w);
    let token = var_str(w, VAR_TOKEN);
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
        .or_skip("the profile names no protected resource")
}

#[when("the client calls a protected API without any access token")]
async fn call_without_token(w: &mut Spec) {
    let resource = any_resource(w);
    w.vars
        .insert(VAR_RESOURCE.into(), serde_json::Value::from(0_u64));
    w.call(&resource, None).await;
}

#[when("the client calls a protected API with a token the server never issued")]
async fn call_with_made_up_token(w: &mut Spec) {
    let resource = any_resource(w);
    w.vars
        .insert(VAR_RESOURCE.into(), serde_json::Value::from(0_u64));
    let token = format!("oauthspec-made-up-{}", random_token(24));
    w.call(&resource, Some(&token)).await;
}

// ── what the API answered ────────────────────────────────────────────

/// One line saying what the API answered: status, challenge, body.
fn describe_answer(w: &Spec) -> String {
    let status = w.flow.last_status.unwrap_or_default();
    let challenges: Vec<&str> = www_authenticate(w);
    let challenge = if challenges.is_empty() {
        "no WWW-Authenticate header".to_owned()
    } else {
        format!("WWW-Authenticate: {}", challenges.join(" | "))
    };
    let body = w
        .flow
        .last_body
        .as_ref()
        .map(|b| format!(", body {b}"))
        .unwrap_or_default();
    let resource = w
        .vars
        .get(VAR_RESOURCE)
        .and_then(serde_json::Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| w.target().profile.resources.get(i))
        .map(|r| format!(" from {} {}", r.method, r.url))
        .unwrap_or_default();
    format!("{status}{resource}, {challenge}{body}")
}

fn www_authenticate(w: &Spec) -> Vec<&str> {
    w.flow
        .last_headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn bearer_challenge(w: &Spec) -> Option<Challenge> {
    www_authenticate(w)
        .into_iter()
        .flat_map(parse_www_authenticate)
        .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
}

fn accepted(w: &Spec) -> bool {
    w.flow.last_status.is_some_and(|s| (200..300).contains(&s))
}

#[then("the API refuses the call")]
async fn api_refuses(w: &mut Spec) {
    if accepted(w) {
        let needed = var_str(w, VAR_NEEDED);
        fail(Finding::security(
            format!(
                "a protected API checks that the token's scope covers the request, here \"{needed}\" (RFC 6749 §7)"
            ),
            "a refusal: 403 with error=\"insufficient_scope\"",
            describe_answer(w),
        ));
    }
}

#[then("the answer carries a Bearer challenge in WWW-Authenticate")]
async fn carries_bearer_challenge(w: &mut Spec) {
    if accepted(w) {
        fail(Finding::security(
            "a protected API refuses a request without a token that grants access (RFC 6749 §7, RFC 6750 §3)",
            "a refusal with WWW-Authenticate: Bearer",
            describe_answer(w),
        ));
    }
    if bearer_challenge(w).is_none() {
        fail(Finding::format(
            "a refused request to a protected API gets a WWW-Authenticate header with the Bearer scheme (RFC 6750 §3)",
            "WWW-Authenticate: Bearer …",
            describe_answer(w),
        ));
    }
}

#[then(expr = "the API answers {int}")]
async fn api_answers_status(w: &mut Spec, status: u16) {
    if accepted(w) {
        fail(Finding::security(
            "a protected API refuses a request that carries no access token (RFC 6749 §7, RFC 6750 §3)",
            format!("{status} with WWW-Authenticate: Bearer"),
            describe_answer(w),
        ));
    }
    if w.flow.last_status != Some(status) {
        fail(Finding::format(
            format!(
                "a request without credentials is answered {status} (RFC 6750 §3, RFC 9110 §15.5.2)"
            ),
            format!("{status} with WWW-Authenticate: Bearer"),
            describe_answer(w),
        ));
    }
}

#[then(expr = "the API answers {int} with the error {string} in its challenge")]
async fn api_answers_error(w: &mut Spec, status: u16, code: String) {
    let expected = format!("{status} with WWW-Authenticate: Bearer error=\"{code}\"");
    if accepted(w) {
        fail(Finding::security(
            format!(
                "a protected API refuses this request with {code} (RFC 6749 §7, RFC 6750 §3.1)"
            ),
            expected,
            describe_answer(w),
        ));
    }
    let error = bearer_challenge(w).and_then(|c| c.param("error").map(str::to_owned));
    if w.flow.last_status != Some(status) || error.as_deref() != Some(code.as_str()) {
        fail(Finding::format(
            format!(
                "the refusal is {status} with error=\"{code}\" in the Bearer challenge (RFC 6750 §3.1)"
            ),
            expected,
            describe_answer(w),
        ));
    }
}

#[then("the challenge names the scope the API needs, if it names one")]
async fn challenge_names_scope(w: &mut Spec) {
    let needed = var_str(w, VAR_NEEDED);
    let Some(named) = bearer_challenge(w).and_then(|c| c.param("scope").map(str::to_owned)) else {
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
            describe_answer(w),
        ));
    }
}

#[then("the Bearer challenge carries no error code")]
async fn bare_challenge(w: &mut Spec) {
    let Some(c) = bearer_challenge(w) else {
        fail(Finding::format(
            "a request without credentials gets a bare Bearer challenge (RFC 6750 §3.1)",
            "WWW-Authenticate: Bearer (with at most realm and scope)",
            describe_answer(w),
        ));
    };
    if c.param("error").is_some() || c.param("error_description").is_some() {
        fail(Finding::format(
            "a request that carries no credentials at all gets no error code in its challenge (RFC 6750 §3.1: SHOULD NOT)",
            "WWW-Authenticate: Bearer (with at most realm and scope)",
            describe_answer(w),
        ));
    }
}
