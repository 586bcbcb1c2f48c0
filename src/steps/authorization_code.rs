//! Steps of `features/authorization_code.feature` beyond the shared ones in `common.rs`.

use cucumber::{given, then, when};

use super::common::describe;
use super::support::TestClient;
use super::{Finding, Spec, fail};
use crate::driver::flow::{self, AuthorizationOutcome};
use crate::driver::pkce::{AuthorizationCode, PkceCodeVerifier};

/// Redeems `code` at the token endpoint as `client`, sending exactly this
/// `redirect_uri` (or none) and `verifier` (or none), and keeps the answer.
/// For requests that differ from the client's correct one in one parameter.
pub(crate) async fn exchange_code_as(
    w: &mut Spec,
    client: &TestClient,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&PkceCodeVerifier>,
) {
    let endpoint = w.token_endpoint();
    let driver = w.http();
    let code = AuthorizationCode::new(code.to_owned());
    let res = flow::exchange_code(
        &driver,
        &endpoint,
        &client.auth(),
        &code,
        redirect_uri,
        verifier,
    )
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

// ── the authorization request ─────────────────────────────────────────

#[given(expr = "the request's redirect_uri extends the registered one with {string}")]
async fn extended_redirect_uri(w: &mut Spec, suffix: String) {
    let client = w.client();
    let uri = format!("{}{suffix}", client.redirect_uri);
    let p = w
        .flow
        .pending
        .as_mut()
        .unwrap_or_else(|| panic!("harness bug: no authorization request prepared"));
    p.request = p.request.clone().set("redirect_uri", &uri);
    // Where a server that compares by prefix would send the browser.
    p.redirect_uri = uri;
}

#[then("the client gets no token and is told the response type is not allowed")]
async fn response_type_refused(w: &mut Spec) {
    let requirement = "an authorization request for a response type the client may not use is refused (RFC 6749 §4.1.2.1, §3.1.1)";
    let r = match &w.flow.outcome {
        Some(AuthorizationOutcome::Redirected(r)) => r.clone(),
        Some(other) => fail(Finding::new(
            requirement,
            "a redirect back to the client with error=unsupported_response_type",
            describe(other),
        )),
        None => panic!("harness bug: no authorization request was sent"),
    };
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

// ── the token request ─────────────────────────────────────────────────

#[when("the second client exchanges the code for tokens")]
async fn second_client_exchanges(w: &mut Spec) {
    let client = w.client();
    let other = w
        .flow
        .other_client
        .clone()
        .unwrap_or_else(|| panic!("harness bug: no second client in this scenario"));
    let code = w.expect_code();
    // Everything right (the redirect URI and the verifier of the request)
    // except who redeems it: only the binding to the client can stop this.
    let verifier = w.flow.verifier.take();
    exchange_code_as(
        w,
        &other,
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
    let code = w.expect_code();
    let other = format!("{}/other", client.redirect_uri.trim_end_matches('/'));
    let verifier = w.flow.verifier.take();
    exchange_code_as(w, &client, &code, Some(&other), verifier.as_ref()).await;
    w.flow.verifier = verifier;
}

#[when("the client exchanges the code for tokens without the redirect_uri")]
async fn exchange_without_redirect(w: &mut Spec) {
    let client = w.client();
    let code = w.expect_code();
    let verifier = w.flow.verifier.take();
    exchange_code_as(w, &client, &code, None, verifier.as_ref()).await;
    w.flow.verifier = verifier;
}
