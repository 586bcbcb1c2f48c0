//! Steps of `features/pkce.feature`.
//!
//! The shared steps (clients, the authorization request walked through the
//! login form, `the client exchanges the code for tokens`, `the token request
//! fails with …`) come from `common.rs`; these add the PKCE-specific twists:
//! a plain or missing challenge, a wrong, missing or malformed verifier.

use cucumber::{given, then, when};

use super::common::{describe, describe_token_answer};
use super::{Finding, Spec, fail};
use crate::driver::flow::AuthorizationOutcome;
use crate::driver::pkce::{PkceCodeChallenge, PkceCodeVerifier};

fn pending(w: &mut Spec) -> &mut super::support::PendingAuthorization {
    w.flow
        .pending
        .as_mut()
        .unwrap_or_else(|| panic!("harness bug: no authorization request prepared"))
}

/// Redeems `code` as the scenario's client, with its own redirect URI and
/// `verifier` (or none), and keeps the answer.
pub(crate) async fn exchange_with_verifier(
    w: &mut Spec,
    code: &str,
    verifier: Option<&PkceCodeVerifier>,
) {
    let client = w.client();
    w.exchange(&client, code, verifier).await;
}

// ── the authorization request ─────────────────────────────────────────

#[given("the request uses the plain PKCE method, showing the verifier itself")]
async fn plain_method(w: &mut Spec) {
    let p = pending(w);
    let verifier = p
        .verifier
        .as_ref()
        .unwrap_or_else(|| panic!("harness bug: the request has no verifier"));
    let challenge = PkceCodeChallenge::plain(verifier);
    p.request = p
        .request
        .clone()
        .set("code_challenge", challenge.as_str())
        .set("code_challenge_method", challenge.method().as_str());
}

#[given(regex = r"^an authorization request from the client whose code verifier is (.+)$")]
async fn request_with_bad_verifier(w: &mut Spec, problem: String) {
    let verifier = if problem.starts_with("42 characters") {
        PkceCodeVerifier::too_short()
    } else if problem.starts_with("129 characters") {
        PkceCodeVerifier::too_long()
    } else if problem.starts_with("made of characters outside") {
        PkceCodeVerifier::with_illegal_chars()
    } else {
        panic!("harness bug: no malformed verifier is known as {problem:?}")
    };
    // The challenge is a well-formed S256 hash of the malformed verifier: only
    // the token endpoint, which sees the verifier, can tell it is wrong.
    let client = w.client();
    let mut p = w.new_authorization(&client);
    let challenge = PkceCodeChallenge::s256(&verifier);
    p.request = p
        .request
        .set("code_challenge", challenge.as_str())
        .set("code_challenge_method", challenge.method().as_str());
    p.verifier = Some(verifier);
    w.flow.pending = Some(p);
}

/// The authorization server refused the request with `invalid_request`,
/// redirected back to the client (RFC 7636 §4.4.1).
fn expect_pkce_refusal(w: &Spec, requirement: &str) {
    let expected = "a redirect back to the client with error=invalid_request and no code";
    match &w.flow.outcome {
        Some(AuthorizationOutcome::Redirected(r)) if r.code.is_some() => fail(Finding::security(
            requirement,
            expected,
            describe(w.flow.outcome.as_ref().expect("matched above")),
        )),
        Some(AuthorizationOutcome::Redirected(r))
            if r.error.as_deref() == Some("invalid_request") => {}
        Some(other) => fail(Finding::format(
            format!(
                "{requirement}, with error=invalid_request sent back to the client (RFC 7636 §4.4.1)"
            ),
            expected,
            describe(other),
        )),
        None => panic!("harness bug: no authorization request was sent"),
    }
}

#[then(
    "the client receives the error \"invalid_request\" instead of a code, for lack of a PKCE challenge"
)]
async fn refused_without_challenge(w: &mut Spec) {
    expect_pkce_refusal(
        w,
        "an authorization request of a public client without code_challenge is refused (RFC 9700 §2.1.1, RFC 7636 §4.4.1)",
    );
}

#[then(
    "the client receives the error \"invalid_request\" instead of a code, for using the plain method"
)]
async fn refused_plain(w: &mut Spec) {
    expect_pkce_refusal(
        w,
        "an authorization request with code_challenge_method=plain is refused: it shows the verifier to anyone who sees the URL (RFC 7636 §7.2, RFC 9700 §2.1.1)",
    );
}

// ── the token request ─────────────────────────────────────────────────

#[when("the client exchanges the code with a different code_verifier")]
async fn exchange_wrong_verifier(w: &mut Spec) {
    let code = w.expect_code();
    // Well formed, but not the one behind the challenge.
    let other = PkceCodeVerifier::new_random();
    exchange_with_verifier(w, &code, Some(&other)).await;
}

#[when("the client exchanges the code without a code_verifier")]
async fn exchange_no_verifier(w: &mut Spec) {
    let code = w.expect_code();
    exchange_with_verifier(w, &code, None).await;
}

/// If the authorization server sent a code back for a request without a
/// challenge, redeems it with the request's verifier anyway (the downgrade of
/// RFC 9700 §4.8.2). If it refused the request, there is nothing to redeem
/// and the next step notes it.
#[when("the client exchanges any code it received, sending a code_verifier anyway")]
async fn exchange_any_code_anyway(w: &mut Spec) {
    exchange_any_code(w).await;
}

/// Redeems the code of the last authorization response, if there is one,
/// with the request's verifier; does nothing if the request was refused.
pub(crate) async fn exchange_any_code(w: &mut Spec) {
    let code = match &w.flow.outcome {
        Some(AuthorizationOutcome::Redirected(r)) => r.code.as_ref().map(|c| c.secret().to_owned()),
        _ => None,
    };
    let Some(code) = code else {
        return;
    };
    let verifier = w
        .flow
        .verifier
        .take()
        .unwrap_or_else(PkceCodeVerifier::new_random);
    exchange_with_verifier(w, &code, Some(&verifier)).await;
    w.flow.verifier = Some(verifier);
}

#[then("the token endpoint issues no tokens for that code")]
async fn no_tokens_for_code(w: &mut Spec) {
    let Some(res) = &w.flow.token_answer else {
        // The authorization endpoint refused the request without a challenge:
        // no code, so the downgrade cannot even start. That is a pass.
        if let Some(outcome) = &w.flow.outcome {
            let line = format!(
                "note: no code to redeem; the authorization endpoint answered: {}",
                describe(outcome)
            );
            w.record(line);
        }
        return;
    };
    if res.success().is_some() {
        fail(Finding::security(
            "a token request with a code_verifier is accepted only if the authorization request carried a code_challenge (RFC 9700 §2.1.1, §4.8.2)",
            "400 error=invalid_grant",
            describe_token_answer(res),
        ));
    }
}

#[then("the token endpoint refuses the code verifier")]
async fn refuses_verifier(w: &mut Spec) {
    let res = w
        .flow
        .token_answer
        .as_ref()
        .unwrap_or_else(|| panic!("harness bug: no token request was made"));
    if res.success().is_some() {
        fail(Finding::security(
            "a code_verifier that is not 43 to 128 characters of [A-Za-z0-9-._~] is refused (RFC 7636 §4.1)",
            "400 error=invalid_grant (or invalid_request)",
            describe_token_answer(res),
        ));
    }
    let code_ok = res
        .error()
        .is_some_and(|e| e.error == "invalid_grant" || e.error == "invalid_request");
    if res.status != 400 || !code_ok {
        fail(Finding::format(
            "a malformed code_verifier is refused with a RFC 6749 §5.2 error",
            "400 error=invalid_grant (or invalid_request)",
            describe_token_answer(res),
        ));
    }
}
