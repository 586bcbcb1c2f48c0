//! Step phrases shared by several areas: clients, the authorization request
//! walked through login and consent, the code exchange, protected
//! resources. Area files add only what is particular to their area.

use cucumber::{given, then, when};

use super::authorize::describe;
use super::clients::ClientNeed;
use super::control::ControlKind;
use super::outcome::unmet;
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{
    AuthorizationOutcome, AuthorizationResponse, StopReason, matches_redirect_uri,
};
use crate::driver::forms::ConsentChoice;

// ── clients ────────────────────────────────────────────────────────────

#[given("a client registered for the authorization code flow")]
async fn code_client(w: &mut Spec) {
    let c = w.client_for(ClientNeed::Any, "authorization_code").await;
    w.flow.client = Some(c);
}

#[given("a confidential client registered for the authorization code flow")]
async fn confidential_code_client(w: &mut Spec) {
    let c = w.confidential_client("authorization_code").await;
    w.flow.client = Some(c);
}

#[given("a public client registered for the authorization code flow")]
async fn public_code_client(w: &mut Spec) {
    let c = w.public_client().await;
    w.flow.client = Some(c);
}

#[given("a confidential client allowed to use client credentials")]
async fn cc_client(w: &mut Spec) {
    let c = w.confidential_client("client_credentials").await;
    w.flow.client = Some(c);
}

#[given("a second client registered for the authorization code flow")]
async fn second_client(w: &mut Spec) {
    let c = w.second_client("authorization_code").await;
    w.flow.other_client = Some(c);
}

#[given("the second client gets tokens for a code of its own")]
async fn second_client_control(w: &mut Spec) {
    let other = w.other_client();
    let first = w.client();
    w.tokens_for(&other).await;
    // Its own flow replaced the scenario's last walk and tokens: the
    // scenario goes on with the first client's.
    w.flow.tokens.pop();
    w.flow.client = Some(first);
}

// ── the authorization request ─────────────────────────────────────────

#[given("an authorization request from the client")]
async fn authorization_request(w: &mut Spec) {
    let client = w.client();
    w.flow.pending = Some(w.new_authorization(&client));
}

#[given("the client gets a code for a well-formed request")]
async fn control_code(w: &mut Spec) {
    let client = w.client();
    w.approved_code(&client).await;
}

/// The same control, after the request under test (`And` after a `When`).
#[when("the client gets a code for a well-formed request")]
async fn control_code_after(w: &mut Spec) {
    control_code(w).await;
}

#[given(expr = "the request's {word} is {string}")]
async fn set_param(w: &mut Spec, name: String, value: String) {
    let p = w.pending();
    p.request = p.request.clone().set(&name, &value);
    if name == "redirect_uri" {
        p.redirect_uri = value;
    }
}

#[given(expr = "the request has no {word}")]
async fn remove_param(w: &mut Spec, name: String) {
    let p = w.pending();
    p.request = p.request.clone().remove(&name);
}

#[given(expr = "the request repeats its {word}")]
async fn repeat_param(w: &mut Spec, name: String) {
    let p = w.pending();
    let value = p
        .request
        .get(&name)
        .map(str::to_owned)
        .unwrap_or_else(|| unmet(format!("harness bug: the request has no {name} to repeat")));
    p.request = p.request.clone().append(&name, &value);
}

#[when("the user logs in and approves the request")]
async fn approve(w: &mut Spec) {
    w.walk(ConsentChoice::Approve).await;
}

#[when("the user logs in and denies the request")]
async fn deny(w: &mut Spec) {
    w.walk(ConsentChoice::Deny).await;
}

#[when("the client sends the request")]
async fn send_request(w: &mut Spec) {
    w.walk(ConsentChoice::Approve).await;
}

#[given("the user has approved an authorization request from the client")]
async fn approved(w: &mut Spec) {
    let client = w.client();
    w.approved_code(&client).await;
}

fn outcome(w: &Spec) -> AuthorizationOutcome {
    w.flow
        .outcome
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no authorization request was sent"))
}

#[then("the client receives an authorization code")]
async fn receives_code(w: &mut Spec) {
    let requirement = "an approved, well-formed authorization request returns a code to the client (RFC 6749 §4.1.2)";
    match outcome(w) {
        AuthorizationOutcome::Redirected(r) if r.code.is_some() => {}
        // The server failing on a well-formed request is its own fault…
        AuthorizationOutcome::Redirected(r) if r.error.as_deref() == Some("server_error") => {
            fail(Finding::new(
                requirement,
                "a redirect to the client with code",
                describe(&AuthorizationOutcome::Redirected(r)),
            ))
        }
        AuthorizationOutcome::NotRedirected(s) if s.status >= 500 => fail(Finding::new(
            requirement,
            "a redirect to the client with code",
            describe(&AuthorizationOutcome::NotRedirected(s)),
        )),
        // …any other refusal may be the profile's (a scope or redirect URI
        // the server does not know), so it is a setup error with a hint.
        other => super::authorize::walk_failed(&other),
    }
}

#[then("the client receives an authorization code, as it does for a plain request")]
async fn receives_code_too(w: &mut Spec) {
    // The control (a plain request of this client got a code) makes any
    // other ending of this variant the server's doing, not the profile's.
    let client = w.client();
    w.control(&ControlKind::AuthorizationCode(client.id.clone()));
    let state = w.last_state();
    match outcome(w) {
        AuthorizationOutcome::Redirected(r)
            if r.code.is_some() && r.state.as_deref() == Some(state.as_str()) => {}
        other => fail(Finding::new(
            "a request that differs from a working one only in what the scenario names gets a code too",
            format!("a redirect to the client with a code and state={state}"),
            describe(&other),
        )),
    }
}

/// The redirect back to the client that a Then step judges. Anything else
/// is the finding `requirement` ("… is sent back to the client") once the
/// control showed that this client's well-formed requests do come back, so
/// the walk itself works; without the control, the walk's stop is a setup
/// error.
pub fn redirected(w: &Spec, requirement: &str, expected: &str) -> AuthorizationResponse {
    match outcome(w) {
        AuthorizationOutcome::Redirected(r) => r,
        other @ AuthorizationOutcome::RedirectedElsewhere { .. } => {
            super::authorize::walk_failed(&other)
        }
        other => {
            // Without the control, nothing showed that this client's
            // requests can come back at all: the walk's own stop (a script
            // page, a page without a form, a refused well-formed request)
            // is why the scenario could not be set up.
            let client = w.client();
            if !w.holds(&ControlKind::AuthorizationCode(client.id.clone())) {
                super::authorize::walk_failed(&other)
            }
            fail(Finding::new(requirement, expected, describe(&other)))
        }
    }
}

#[then("the authorization response carries the request's state")]
async fn carries_state(w: &mut Spec) {
    let r = redirected(
        w,
        "the authorization response echoes state (RFC 6749 §4.1.2)",
        "a redirect to the client",
    );
    let expected = w.last_state();
    if r.state.as_deref() != Some(expected.as_str()) || r.count("state") != 1 {
        fail(Finding::new(
            "the authorization response carries the client's state exactly once, unchanged (RFC 6749 §4.1.2, §4.1.2.1)",
            format!("state={expected}"),
            match &r.state {
                Some(s) => format!("state={s} ({} times)", r.count("state")),
                None => "no state".to_owned(),
            },
        ));
    }
}

#[then("the authorization response names the issuer in iss")]
async fn carries_iss(w: &mut Spec) {
    let r = redirected(
        w,
        "the authorization response carries iss (RFC 9207 §2)",
        "a redirect to the client",
    );
    let issuer = w
        .target()
        .metadata
        .as_ref()
        .and_then(|m| m.issuer.clone())
        .unwrap_or_else(|| {
            super::skip_with(
                "the target published no issuer to compare iss with",
                "nothing to change: RFC 9207 ties iss to the metadata's issuer",
            )
        });
    if r.iss.as_deref() != Some(issuer.as_str()) {
        fail(Finding::new(
            "the authorization response carries iss equal to the issuer (RFC 9207 §2)",
            format!("iss={issuer}"),
            r.iss.map_or("no iss".to_owned(), |i| format!("iss={i}")),
        ));
    }
}

#[then("the user is not redirected to the client")]
async fn not_redirected(w: &mut Spec) {
    let client = w.client();
    w.control(&ControlKind::AuthorizationCode(client.id.clone()));
    match outcome(w) {
        AuthorizationOutcome::NotRedirected(s) if s.reason == StopReason::ScriptPage => {
            unmet(format!(
                "the answer at {} is a page that runs a script, so the harness cannot tell whether it leads back to the client",
                s.url
            ))
        }
        AuthorizationOutcome::NotRedirected(_) => {}
        AuthorizationOutcome::Redirected(r) => fail(Finding::security(
            "an invalid client or redirect URI is never redirected to (RFC 6749 §4.1.2.1, §3.1.2.4)",
            "an error page at the authorization server",
            describe(&AuthorizationOutcome::Redirected(r)),
        )),
        // The client's own registered URI is not the invalid one: RFC
        // 6749 §3.1.2.4 only recommends an error page instead.
        AuthorizationOutcome::RedirectedElsewhere { location, status }
            if matches_redirect_uri(&location, &client.redirect_uri) =>
        {
            w.record(format!(
                "note: {status} redirect to the client's registered redirect URI ({}), not to the one the request named; RFC 6749 §3.1.2.4 allows it (it SHOULD show an error page instead)",
                crate::driver::http::redact_url(location.as_str())
            ));
        }
        other @ AuthorizationOutcome::RedirectedElsewhere { .. } => {
            super::authorize::walk_failed(&other)
        }
    }
}

#[then(expr = "the client receives the error {string}")]
async fn receives_error(w: &mut Spec, code: String) {
    let requirement = format!(
        "the authorization server sends error={code} back to the client (RFC 6749 §4.1.2.1)"
    );
    let r = redirected(
        w,
        &requirement,
        &format!("a redirect to the client with error={code}"),
    );
    if r.code.is_some() {
        fail(Finding::new(
            requirement,
            format!("a redirect with error={code} and no code"),
            describe(&AuthorizationOutcome::Redirected(r)),
        ));
    }
    if r.error.as_deref() != Some(code.as_str()) {
        fail(Finding::format(
            requirement,
            format!("a redirect with error={code}"),
            describe(&AuthorizationOutcome::Redirected(r)),
        ));
    }
}

// ── the token endpoint ────────────────────────────────────────────────

#[given("the client exchanges the code for tokens")]
async fn exchange_setup(w: &mut Spec) {
    let client = w.client();
    let code = w.setup_code();
    let verifier = w.flow.verifier.take();
    let res = w.exchange(&client, &code, verifier.as_ref()).await;
    w.flow.verifier = verifier;
    if res.success().is_none() {
        unmet(format!(
            "a genuine code of {} was not exchanged for tokens: {}",
            client.id,
            describe_token_answer(&res)
        ));
    }
    w.control_held(
        ControlKind::TokenEndpoint(client.id.clone()),
        format!("{} with tokens for the code", res.status),
    );
}

#[when("the client exchanges the code for tokens")]
async fn exchange(w: &mut Spec) {
    let client = w.client();
    let code = w.setup_code();
    let verifier = w.flow.verifier.take();
    w.exchange(&client, &code, verifier.as_ref()).await;
    w.flow.verifier = verifier;
}

#[when("the client exchanges the same code again")]
async fn exchange_again(w: &mut Spec) {
    exchange(w).await;
}

#[given("the client holds tokens from the authorization code flow")]
async fn holds_tokens(w: &mut Spec) {
    w.obtain_tokens().await;
}

#[then("the token request succeeds")]
async fn token_ok(w: &mut Spec) {
    let res = w.token_answer();
    match res.success() {
        Some(t) if res.status == 200 && t.token_type.eq_ignore_ascii_case("bearer") => {}
        _ => fail(Finding::new(
            "a valid token request succeeds (RFC 6749 §5.1)",
            "200 with access_token and token_type Bearer",
            describe_token_answer(res),
        )),
    }
}

/// Whether the scenario showed that the token endpoint issues tokens to a
/// genuine client: the control every token-endpoint refusal needs.
pub fn token_endpoint_control(w: &Spec) {
    if !w.controls.iter().any(|c| {
        matches!(
            c.kind,
            ControlKind::TokenEndpoint(_) | ControlKind::Refresh(_)
        )
    }) {
        unmet(
            "no positive control: the scenario never showed the token endpoint issuing tokens to a genuine client, so a refusal here proves nothing",
        );
    }
}

#[then(expr = "the token request fails with {string}")]
async fn token_fails(w: &mut Spec, code: String) {
    expect_token_error(w, &[code]);
}

#[then(expr = "the token request fails with {string} or {string}")]
async fn token_fails_either(w: &mut Spec, code: String, alternative: String) {
    expect_token_error(w, &[code, alternative]);
}

/// Judges the last token answer: a refusal with one of `codes`, with the
/// status RFC 6749 §5.2 gives (401 for invalid_client when the client used
/// the Authorization header; 400 or 401 otherwise; else 400). Tokens are a
/// security finding; another refusal a format one. Needs the control that
/// the token endpoint issues tokens to a genuine client.
pub fn expect_token_error(w: &Spec, codes: &[String]) {
    token_endpoint_control(w);
    let res = w.token_answer();
    let basic = w.flow.last_token_used_basic;
    let got = res.error().map(|e| e.error.clone());
    let named = got.as_ref().filter(|g| codes.contains(g));
    let (status_ok, expected_status) = match (named.map(String::as_str), basic) {
        (Some("invalid_client"), Some(true)) => (res.status == 401, "401"),
        (Some("invalid_client"), _) => (res.status == 400 || res.status == 401, "400 or 401"),
        _ => (res.status == 400, "400"),
    };
    let wanted = codes
        .iter()
        .map(|c| format!("error={c}"))
        .collect::<Vec<_>>()
        .join(" or ");
    if res.success().is_some() {
        fail(Finding::security(
            format!("the token endpoint refuses this request with {wanted} (RFC 6749 §5.2)"),
            format!("a refusal with {wanted}"),
            describe_token_answer(res),
        ));
    }
    if named.is_none() || !status_ok {
        fail(Finding::format(
            format!("the refusal uses {wanted} with the status RFC 6749 §5.2 gives"),
            format!("{expected_status} {wanted}"),
            describe_token_answer(res),
        ));
    }
}

// ── protected resources ───────────────────────────────────────────────

#[then("the protected resource accepts the access token")]
async fn resource_accepts(w: &mut Spec) {
    let r = w.api_resource();
    let t = w.access_token();
    let a = w.call(&r, Some(&t)).await;
    if !a.accepted() {
        if a.status.is_none() {
            unmet(a.describe());
        }
        fail(Finding::new(
            "a valid access token with the needed scope is accepted (RFC 6750 §2.1)",
            format!("2xx from {} {}", r.method, r.url),
            a.describe(),
        ));
    }
}

/// Fails unless the API refuses `token`: a 2xx is a security finding (the
/// token still works). Any refusal passes here; its shape (RFC 6750 §3.1)
/// is judged by the scenarios about that. Needs the control that the API
/// accepts genuine tokens.
pub async fn expect_refused(w: &mut Spec, token: &str, requirement: &str) {
    let r = w.api_resource();
    let at = format!("{} {}", r.method, r.url);
    w.control(&ControlKind::Resource(at.clone()));
    let a = w.call(&r, Some(token)).await;
    if a.status.is_none() {
        unmet(a.describe());
    }
    if a.accepted() {
        fail(Finding::security(
            requirement,
            format!("a refusal (401 with error=\"invalid_token\") from {at}"),
            format!("{}: the token still works", a.describe()),
        ));
    }
}

#[then("the first access token is refused by the protected resource")]
async fn first_refused(w: &mut Spec) {
    let t = w
        .flow
        .tokens
        .first()
        .map(|t| t.access_token.secret().to_owned())
        .unwrap_or_else(|| unmet("harness bug: no token obtained"));
    expect_refused(
        w,
        &t,
        "tokens issued from a code that was redeemed twice are revoked (RFC 6749 §4.1.2)",
    )
    .await;
}

#[given("the protected resource accepts the client's access token")]
async fn resource_control(w: &mut Spec) {
    let r = w.api_resource();
    let t = w.access_token();
    w.accepted_by(&r, &t, "the client's access token").await;
}

#[given("the protected resource accepts the client's first access token")]
async fn resource_control_first(w: &mut Spec) {
    let r = w.api_resource();
    let t = w
        .flow
        .tokens
        .first()
        .map(|t| t.access_token.secret().to_owned())
        .unwrap_or_else(|| skip("the scenario obtained no access token"));
    w.accepted_by(&r, &t, "the client's first access token")
        .await;
}
