//! Steps of `features/pkce.feature`.
//!
//! The shared steps (clients, the authorization request walked through the
//! login form, `the client exchanges the code for tokens`, `the token request
//! fails with …`) come from `common.rs`; these add the PKCE-specific twists:
//! a missing challenge, a wrong or missing verifier.

use cucumber::{then, when};

use super::authorize::describe;
use super::common::{expect_token_error, redirected};
use super::control::ControlKind;
use super::outcome::unmet;
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::AuthorizationOutcome;
use crate::protocol::PkceCodeVerifier;

#[then(
    "the client receives the error \"invalid_request\" instead of a code, for lack of a PKCE challenge"
)]
async fn refused_without_challenge(w: &mut Spec) {
    let requirement = "an authorization request of a public client without code_challenge is refused with invalid_request (RFC 9700 §2.1.1, RFC 7636 §4.4.1)";
    let expected = "a redirect back to the client with error=invalid_request and no code";
    let r = redirected(w, requirement, expected);
    if r.code.is_some() {
        fail(Finding::security(
            requirement,
            expected,
            describe(&AuthorizationOutcome::Redirected(r)),
        ));
    }
    if r.error.as_deref() != Some("invalid_request") {
        fail(Finding::format(
            requirement,
            expected,
            describe(&AuthorizationOutcome::Redirected(r)),
        ));
    }
}

#[when("the client exchanges the code with a different code_verifier")]
async fn exchange_wrong_verifier(w: &mut Spec) {
    let client = w.client();
    let code = w.setup_code();
    // Well formed, but not the one behind the challenge.
    let other = PkceCodeVerifier::new_random();
    w.exchange(&client, &code, Some(&other)).await;
}

#[when("the client exchanges the code without a code_verifier")]
async fn exchange_no_verifier(w: &mut Spec) {
    let client = w.client();
    let code = w.setup_code();
    w.exchange(&client, &code, None).await;
}

/// If the authorization server sent a code back for the request without a
/// challenge, redeems it with a verifier anyway (the downgrade of RFC 9700
/// §4.8.2). If it refused the request, there is nothing to redeem.
#[when("the client exchanges any code it received, sending a code_verifier anyway")]
async fn exchange_any_code_anyway(w: &mut Spec) {
    let code = match &w.flow.outcome {
        Some(AuthorizationOutcome::Redirected(r)) => r.code.as_ref().map(|c| c.secret().to_owned()),
        _ => None,
    };
    let Some(code) = code else {
        return;
    };
    let client = w.client();
    let verifier = w
        .flow
        .verifier
        .take()
        .unwrap_or_else(PkceCodeVerifier::new_random);
    w.exchange(&client, &code, Some(&verifier)).await;
}

#[then("the token endpoint issues no tokens for that code")]
async fn no_tokens_for_code(w: &mut Spec) {
    let client = w.client();
    w.control(&ControlKind::TokenEndpoint(client.id.clone()));
    let requirement = "a token request with a code_verifier is accepted only if the authorization request carried a code_challenge (RFC 9700 §2.1.1, §4.8.2)";
    let outcome = w
        .flow
        .outcome
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no authorization request was sent"));
    match &outcome {
        // Refused at the authorization endpoint: PKCE is mandated, which
        // implements the rule (RFC 9700 §4.8.2).
        AuthorizationOutcome::Redirected(r) if r.code.is_none() && r.error.is_some() => {
            w.record(format!(
                "note: no code to redeem: the authorization endpoint refused the request without a challenge ({})",
                describe(&outcome)
            ));
        }
        AuthorizationOutcome::Redirected(r) if r.code.is_some() => {
            let res = w.token_answer();
            if res.success().is_some() {
                fail(Finding::security(
                    requirement,
                    "400 error=invalid_grant (or invalid_request)",
                    describe_token_answer(res),
                ));
            }
            expect_token_error(w, &["invalid_grant".into(), "invalid_request".into()]);
        }
        other => super::authorize::walk_failed(other),
    }
}
