//! Steps of `features/authorization_code.feature` beyond the shared ones in
//! `common.rs`.

use cucumber::{given, then, when};

use super::authorize::describe;
use super::control::ControlKind;
use super::outcome::{skip_with, unmet};
use super::time::Lifetime;
use super::{Finding, Spec, fail};
use crate::driver::flow::AuthorizationOutcome;

/// Code lifetime the harness gives its client through a test-admin API.
const SHORT_CODE: i64 = 30;

// ── the authorization request ─────────────────────────────────────────

#[given("the server declares that its authorization responses carry iss")]
async fn declares_iss(w: &mut Spec) {
    let declared = w
        .target()
        .metadata
        .as_ref()
        .and_then(|m| m.authorization_response_iss_parameter_supported);
    if declared != Some(true) {
        skip_with(
            "the server does not declare authorization_response_iss_parameter_supported, so RFC 9207 does not bind it",
            "nothing to change: RFC 9207 binds only servers that support it",
        );
    }
}

#[given("the server does not offer the token response type")]
async fn no_implicit(w: &mut Spec) {
    let offered = w
        .target()
        .metadata
        .as_ref()
        .and_then(|m| m.response_types_supported.clone())
        .unwrap_or_default();
    if offered.iter().any(|t| t.split(' ').any(|p| p == "token")) {
        skip_with(
            "the server offers response types that issue tokens from the authorization endpoint, which RFC 6749 allows",
            "nothing to change: the server offers the implicit grant",
        );
    }
}

#[given(expr = "the request's redirect_uri extends the registered one with {string}")]
async fn extended_redirect_uri(w: &mut Spec, suffix: String) {
    let client = w.client();
    let uri = format!("{}{suffix}", client.redirect_uri);
    let p = w.pending();
    p.request = p.request.clone().set("redirect_uri", &uri);
    // Where a server that compares by prefix would send the browser.
    p.redirect_uri = uri;
}

#[then("the client gets no token and is told the response type is not allowed")]
async fn response_type_refused(w: &mut Spec) {
    let requirement = "an authorization request for a response type the server does not offer is refused (RFC 6749 §3.1.1, §4.1.2.1)";
    let r = super::common::redirected(
        w,
        requirement,
        "a redirect back to the client with error=unsupported_response_type",
    );
    if r.count("access_token") > 0 || r.code.is_some() {
        fail(Finding::security(
            requirement,
            "a redirect with error=unsupported_response_type and no token or code",
            describe(&AuthorizationOutcome::Redirected(r)),
        ));
    }
    // unsupported_response_type when the server offers no implicit flow at
    // all; unauthorized_client when it does, but not to this client (which
    // registered only the code response type).
    if !matches!(
        r.error.as_deref(),
        Some("unsupported_response_type" | "unauthorized_client")
    ) {
        fail(Finding::format(
            "a refused response type is reported as unsupported_response_type (RFC 6749 §4.1.2.1)",
            "a redirect with error=unsupported_response_type (or unauthorized_client)",
            describe(&AuthorizationOutcome::Redirected(r)),
        ));
    }
}

#[then("the error response that reaches the client names the issuer in iss")]
async fn error_carries_iss(w: &mut Spec) {
    let client = w.client();
    w.control(&ControlKind::AuthorizationCode(client.id.clone()));
    let r = match w.flow.outcome.clone() {
        Some(AuthorizationOutcome::Redirected(r)) if r.error.is_some() => r,
        Some(AuthorizationOutcome::Redirected(r)) => fail(Finding::new(
            "a request without response_type is refused (RFC 6749 §3.1.1)",
            "a redirect with an error",
            describe(&AuthorizationOutcome::Redirected(r)),
        )),
        Some(other) => skip_with(
            format!(
                "no error response reached the client to look at ({})",
                describe(&other)
            ),
            "nothing to change: the server answers this error with a page of its own",
        ),
        None => unmet("harness bug: no authorization request was sent"),
    };
    let issuer = w
        .target()
        .metadata
        .as_ref()
        .and_then(|m| m.issuer.clone())
        .unwrap_or_default();
    if r.iss.as_deref() != Some(issuer.as_str()) {
        fail(Finding::new(
            "an error response to the client carries iss equal to the issuer (RFC 9207 §2)",
            format!("iss={issuer}"),
            format!(
                "{} ({})",
                r.iss
                    .clone()
                    .map_or("no iss".to_owned(), |i| format!("iss={i}")),
                describe(&AuthorizationOutcome::Redirected(r.clone()))
            ),
        ));
    }
}

// ── the token request ─────────────────────────────────────────────────

#[when("the second client exchanges the code for tokens")]
async fn second_client_exchanges(w: &mut Spec) {
    let client = w.client();
    let other = w.other_client();
    w.control(&ControlKind::TokenEndpoint(other.id.clone()));
    let code = w.setup_code();
    // Everything right (the redirect URI and the verifier of the request)
    // except who redeems it: only the binding to the client can stop this.
    let verifier = w.flow.verifier.take();
    w.redeem(
        &other.auth(),
        &code,
        Some(&client.redirect_uri),
        verifier.as_ref(),
    )
    .await;
    w.flow.verifier = verifier;
}

#[when("the client exchanges the code for tokens with a different redirect_uri")]
async fn exchange_other_redirect(w: &mut Spec) {
    let client = w.client();
    let code = w.setup_code();
    let other = format!("{}/other", client.redirect_uri.trim_end_matches('/'));
    let verifier = w.flow.verifier.take();
    w.redeem(&client.auth(), &code, Some(&other), verifier.as_ref())
        .await;
    w.flow.verifier = verifier;
}

#[when("the client exchanges the code for tokens without the redirect_uri")]
async fn exchange_without_redirect(w: &mut Spec) {
    let client = w.client();
    let code = w.setup_code();
    let verifier = w.flow.verifier.take();
    w.redeem(&client.auth(), &code, None, verifier.as_ref())
        .await;
    w.flow.verifier = verifier;
}

// ── codes that expire ─────────────────────────────────────────────────

#[given("a client whose codes live a known time")]
async fn known_code_lifetime(w: &mut Spec) {
    let client = w.client();
    if let Some(admin) = w.ctx().admin.clone() {
        let driver = w.http();
        admin
            .set_lifetimes(&driver, client.id.as_str(), None, None, Some(SHORT_CODE))
            .await
            .unwrap_or_else(|e| {
                unmet(format!(
                    "the test-admin API did not set the code lifetime: {e}"
                ))
            });
        w.flow.code_lifetime_set = Some(SHORT_CODE as u64);
        return;
    }
    // SKIPs, with the fix, when the profile does not say.
    w.lifetime(Lifetime::Code).await;
}

#[when("the code's lifetime has passed")]
async fn code_lifetime_passes(w: &mut Spec) {
    w.outlive(Lifetime::Code).await;
}

#[when("ten minutes and the clock-skew margin have passed")]
async fn ten_minutes_pass(w: &mut Spec) {
    let skew = w.clock_skew();
    w.let_time_pass(
        600 + skew,
        &format!(
            "the 10 minutes RFC 6749 §4.1.2 recommends as the longest code lifetime, plus the clock-skew margin ({skew} s)"
        ),
    )
    .await;
}
