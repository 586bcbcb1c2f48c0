//! Steps shared by every area: clients, the authorization request walked
//! through login and consent, the code exchange, protected resources, and
//! time passing. Area files add only what is particular to their area.

use cucumber::{given, then, when};

use super::{Finding, Spec, fail};
use crate::driver::flow::{AuthorizationOutcome, EndpointResponse, TokenResponse};
use crate::driver::forms::ConsentChoice;

/// One line saying how an authorization request ended, for findings.
pub fn describe(outcome: &AuthorizationOutcome) -> String {
    match outcome {
        AuthorizationOutcome::Redirected(r) => {
            let params: Vec<String> = r
                .params
                .iter()
                .map(|(k, v)| {
                    if k == "code" {
                        format!("{k}=«code»")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            format!(
                "{} redirect to the client with {}",
                r.status,
                params.join("&")
            )
        }
        AuthorizationOutcome::RedirectedElsewhere { status, location } => {
            format!("{status} redirect to {location}, a host the profile does not name")
        }
        AuthorizationOutcome::NotRedirected(s) => s.to_string(),
    }
}

/// One line saying what the token endpoint answered, for findings.
pub fn describe_token_answer(res: &EndpointResponse<TokenResponse>) -> String {
    match res.error() {
        Some(e) => format!(
            "{} error={} ({})",
            res.status,
            e.error,
            e.error_description.as_deref().unwrap_or("")
        ),
        None if res.success().is_some() => format!("{} with tokens", res.status),
        None => format!("{} {}", res.status, res.text()),
    }
}

// ── clients ────────────────────────────────────────────────────────────

#[given(regex = r"^a (?:confidential )?client registered for the authorization code flow$")]
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
    let c = w.confidential_client("authorization_code").await;
    w.flow.other_client = Some(c);
}

// ── the authorization request ─────────────────────────────────────────

#[given("an authorization request from the client")]
async fn authorization_request(w: &mut Spec) {
    let client = w.client();
    w.flow.pending = Some(w.new_authorization(&client));
}

fn pending(w: &mut Spec) -> &mut super::support::PendingAuthorization {
    w.flow
        .pending
        .as_mut()
        .unwrap_or_else(|| panic!("harness bug: no authorization request prepared"))
}

#[given(expr = "the request's {word} is {string}")]
async fn set_param(w: &mut Spec, name: String, value: String) {
    let p = pending(w);
    p.request = p.request.clone().set(&name, &value);
    if name == "redirect_uri" {
        p.redirect_uri = value;
    }
}

#[given(expr = "the request has no {word}")]
async fn remove_param(w: &mut Spec, name: String) {
    let p = pending(w);
    p.request = p.request.clone().remove(&name);
}

#[given(expr = "the request repeats its {word}")]
async fn repeat_param(w: &mut Spec, name: String) {
    let p = pending(w);
    let value = p
        .request
        .get(&name)
        .unwrap_or_else(|| panic!("harness bug: the request has no {name} to repeat"))
        .to_owned();
    p.request = p.request.clone().append(&name, &value);
}

#[given("the user logs in and approves the request")]
#[when("the user logs in and approves the request")]
async fn approve(w: &mut Spec) {
    w.send_authorization(ConsentChoice::Approve).await;
}

#[given("the user logs in and denies the request")]
#[when("the user logs in and denies the request")]
async fn deny(w: &mut Spec) {
    w.send_authorization(ConsentChoice::Deny).await;
}

#[given("the client sends the request")]
#[when("the client sends the request")]
async fn send_request(w: &mut Spec) {
    w.send_authorization(ConsentChoice::Approve).await;
}

#[given("the user has approved an authorization request from the client")]
async fn approved(w: &mut Spec) {
    let client = w.client();
    w.flow.pending = Some(w.new_authorization(&client));
    w.send_authorization(ConsentChoice::Approve).await;
    w.expect_code();
}

#[then("the client receives an authorization code")]
async fn receives_code(w: &mut Spec) {
    w.expect_code();
}

fn redirected(w: &Spec, requirement: &str) -> crate::driver::flow::AuthorizationResponse {
    match &w.flow.outcome {
        Some(AuthorizationOutcome::Redirected(r)) => r.clone(),
        Some(other) => fail(Finding::new(
            requirement,
            "a redirect back to the client",
            describe(other),
        )),
        None => panic!("harness bug: no authorization request was sent"),
    }
}

#[then("the authorization response carries the request's state")]
async fn carries_state(w: &mut Spec) {
    let r = redirected(
        w,
        "the authorization response echoes state (RFC 6749 §4.1.2)",
    );
    let expected = w.last_state();
    if r.state.as_deref() != Some(expected.as_str()) || r.count("state") != 1 {
        fail(Finding::new(
            "the authorization response carries the client's state exactly once, unchanged (RFC 6749 §4.1.2)",
            format!("state={expected}"),
            format!("state={:?} ({} times)", r.state, r.count("state")),
        ));
    }
}

#[then("the authorization response names the issuer in iss")]
async fn carries_iss(w: &mut Spec) {
    let r = redirected(w, "the authorization response carries iss (RFC 9207 §2)");
    let issuer = w
        .target()
        .metadata
        .as_ref()
        .and_then(|m| m.issuer.clone())
        .unwrap_or_else(|| super::skip("the target published no issuer to compare iss with"));
    if r.iss.as_deref() != Some(issuer.as_str()) {
        fail(Finding::new(
            "the authorization response carries iss equal to the issuer (RFC 9207 §2)",
            format!("iss={issuer}"),
            format!("iss={:?}", r.iss),
        ));
    }
}

#[then("the user is not redirected to the client")]
async fn not_redirected(w: &mut Spec) {
    match &w.flow.outcome {
        Some(AuthorizationOutcome::NotRedirected(_)) => {}
        Some(other) => fail(Finding::security(
            "an invalid client or redirect URI is never redirected to (RFC 6749 §4.1.2.1, RFC 9700 §4.1)",
            "an error page at the authorization server",
            describe(other),
        )),
        None => panic!("harness bug: no authorization request was sent"),
    }
}

#[then(expr = "the client receives the error {string}")]
async fn receives_error(w: &mut Spec, code: String) {
    let r = redirected(
        w,
        &format!("the error {code} is sent back to the client (RFC 6749 §4.1.2.1)"),
    );
    if r.error.as_deref() != Some(code.as_str()) {
        fail(Finding::new(
            format!("the authorization server answers with error={code} (RFC 6749 §4.1.2.1)"),
            format!("a redirect with error={code}"),
            describe(&AuthorizationOutcome::Redirected(r)),
        ));
    }
}

// ── the token endpoint ────────────────────────────────────────────────

#[given("the client exchanges the code for tokens")]
#[when("the client exchanges the code for tokens")]
async fn exchange(w: &mut Spec) {
    let client = w.client();
    let code = w.expect_code();
    let verifier = w.flow.verifier.take();
    w.exchange(&client, &code, verifier.as_ref()).await;
    w.flow.verifier = verifier;
}

#[when("the client exchanges the same code again")]
async fn exchange_again(w: &mut Spec) {
    exchange(w).await;
}

#[given("the client holds tokens from the authorization code flow")]
#[when("the client holds tokens from the authorization code flow")]
async fn holds_tokens(w: &mut Spec) {
    w.obtain_tokens().await;
}

fn token_answer(w: &Spec) -> &EndpointResponse<TokenResponse> {
    w.flow
        .token_answer
        .as_ref()
        .unwrap_or_else(|| panic!("harness bug: no token request was made"))
}

#[then("the token request succeeds")]
async fn token_ok(w: &mut Spec) {
    let res = token_answer(w);
    match res.success() {
        Some(t) if res.status == 200 && t.token_type.eq_ignore_ascii_case("bearer") => {}
        _ => fail(Finding::new(
            "a valid token request succeeds (RFC 6749 §5.1)",
            "200 with access_token and token_type Bearer",
            describe_token_answer(res),
        )),
    }
}

#[then(expr = "the token request fails with {string}")]
async fn token_fails(w: &mut Spec, code: String) {
    let res = token_answer(w);
    // RFC 6749 §5.2: invalid_client is 401 when the client authenticated
    // with the Authorization header, and may be 400 or 401 otherwise.
    let basic = w.flow.last_token_used_basic;
    let status_ok = match (code.as_str(), basic) {
        ("invalid_client", Some(true)) => res.status == 401,
        ("invalid_client", _) => res.status == 400 || res.status == 401,
        _ => res.status == 400,
    };
    let expected_status = match (code.as_str(), basic) {
        ("invalid_client", Some(true)) => "401",
        ("invalid_client", _) => "400 or 401",
        _ => "400",
    };
    let code_ok = res.error().is_some_and(|e| e.error == code);
    if res.success().is_some() {
        fail(Finding::security(
            format!("the token endpoint refuses this request with {code} (RFC 6749 §5.2)"),
            format!("{expected_status} error={code}"),
            describe_token_answer(res),
        ));
    }
    if !status_ok || !code_ok {
        fail(Finding::format(
            format!("the refusal uses error={code} with the status RFC 6749 §5.2 gives"),
            format!("{expected_status} error={code}"),
            describe_token_answer(res),
        ));
    }
}

// ── protected resources ───────────────────────────────────────────────

#[given("the client calls the protected resource with its access token")]
#[when("the client calls the protected resource with its access token")]
async fn call_with_token(w: &mut Spec) {
    let r = w.scoped_resource();
    let t = w.access_token();
    w.call(&r, Some(&t)).await;
}

#[then("the protected resource accepts the access token")]
async fn resource_accepts(w: &mut Spec) {
    let r = w.scoped_resource();
    let t = w.access_token();
    let status = w.call(&r, Some(&t)).await;
    if !(200..300).contains(&status) {
        fail(Finding::new(
            "a valid access token with the needed scope is accepted (RFC 6750 §2.1)",
            "2xx",
            format!("{status} from {} {}", r.method, r.url),
        ));
    }
}

#[then("the first access token is refused by the protected resource")]
async fn first_refused(w: &mut Spec) {
    let r = w.scoped_resource();
    let t = w
        .flow
        .tokens
        .first()
        .map(|t| t.access_token.secret().to_owned())
        .unwrap_or_else(|| panic!("harness bug: no token obtained"));
    let status = w.call(&r, Some(&t)).await;
    if status != 401 {
        fail(Finding::security(
            "a revoked access token is refused (RFC 6749 §4.1.2, RFC 7009 §2.1)",
            "401 invalid_token",
            format!("{status} from {} {}", r.method, r.url),
        ));
    }
}

// ── time ──────────────────────────────────────────────────────────────

#[given(expr = "{int} seconds pass")]
#[when(expr = "{int} seconds pass")]
async fn seconds_pass(w: &mut Spec, seconds: u64) {
    w.let_time_pass(seconds).await;
}

impl Spec {
    /// The state the last authorization request carried.
    pub fn last_state(&self) -> String {
        self.flow.last_state.clone().unwrap_or_default()
    }
}
