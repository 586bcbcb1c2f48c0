//! Steps of `features/authentication_request.feature`: what OpenID Connect
//! adds to the authorization request (Core §3.1.2.1): `prompt=none`,
//! `max_age`, and request objects (§6.1).

use cucumber::{then, when};
use serde_json::json;

use super::authorize::{describe, page_of};
use super::control::ControlKind;
use super::openid::IdToken;
use super::outcome::unmet;
use super::{Finding, Spec, fail};
use crate::driver::flow::{self, Arrival, AuthorizationOutcome, NoHook, Redirects};
use crate::driver::forms::ConsentChoice;
use crate::driver::http::{Browser, HttpRequest};
use crate::jose::jws;
use crate::protocol::random_token;

/// Error codes that say the provider needs the user (Core §3.1.2.6).
const NEEDS_THE_USER: [&str; 4] = [
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
];

/// What this area keeps between its steps.
#[derive(Debug, Default)]
struct AuthRequestState {
    /// How the `prompt=none` request ended, and the state it carried.
    prompt_none: Option<(String, Option<flow::AuthorizationResponse>, String)>,
    /// How the request-object request ended, and the state only the object
    /// carried.
    request_object: Option<(AuthorizationOutcome, String)>,
}

#[when("the client sends an authentication request with prompt=none before the user has logged in")]
async fn prompt_none(w: &mut Spec) {
    w.require_provider().await;
    let client = w.client();
    let (mut pending, _nonce) = w.authentication_request(&client);
    pending.request = pending.request.clone().set("prompt", "none");
    let url = pending.request.url();
    let driver = w.http();
    // A browser of its own: nobody has logged in in it.
    let browser = Browser::new();
    let mut walker = Redirects::new(&driver, &browser, Some(&pending.redirect_uri), 10);
    let arrival = walker.follow(HttpRequest::get(url), &mut NoHook).await;
    let arrival = w.answered(arrival, "the authorization endpoint");
    let (shown, response) = match arrival {
        Arrival::Client(r) => (
            describe(&AuthorizationOutcome::Redirected(r.clone())),
            Some(r),
        ),
        Arrival::Page(p) => (
            format!(
                "a page at {} (status {}): {}",
                page_of(&p.url),
                p.status,
                String::from_utf8_lossy(&p.body)
                    .chars()
                    .take(160)
                    .collect::<String>()
            ),
            None,
        ),
        Arrival::Elsewhere { status, location } => (
            format!("{status} redirect to {location}, a host the profile does not name"),
            None,
        ),
        Arrival::BadRedirect(p, why) => (format!("a redirect from {} with {why}", p.url), None),
        Arrival::TooManySteps(p) => (
            format!("redirects without end (last at {})", page_of(&p.url)),
            None,
        ),
    };
    w.area::<AuthRequestState>().prompt_none = Some((shown, response, pending.state));
}

#[then("the prompt=none request was answered with an error that asks for the user")]
async fn prompt_none_judged(w: &mut Spec) {
    let client = w.client();
    w.control(&ControlKind::AuthorizationCode(client.id.clone()));
    let Some((shown, response, state)) = w.area::<AuthRequestState>().prompt_none.clone() else {
        unmet("harness bug: no prompt=none request was sent");
    };
    let requirement = "with prompt=none and no logged-in user, the provider shows no page and redirects to the client with login_required, interaction_required, consent_required or account_selection_required (OpenID Connect Core §3.1.2.1, §3.1.2.6)";
    let expected = format!(
        "a redirect to the client with error=login_required (or another of §3.1.2.6) and state={state}"
    );
    let Some(r) = response else {
        fail(Finding::new(requirement, expected, shown));
    };
    if r.code.is_some() {
        fail(Finding::security(
            requirement,
            expected,
            format!("{shown}: a code for a user who never logged in"),
        ));
    }
    let ok_error = r
        .error
        .as_deref()
        .is_some_and(|e| NEEDS_THE_USER.contains(&e));
    if !ok_error || r.state.as_deref() != Some(state.as_str()) {
        fail(Finding::new(requirement, expected, shown));
    }
}

#[when(expr = "the user logs in for an authentication request with max_age {string}")]
async fn max_age(w: &mut Spec, seconds: String) {
    w.openid_login(&[("max_age", &seconds)]).await;
}

#[then("the ID token says when the user logged in")]
async fn auth_time(w: &mut Spec) {
    let token: IdToken = w.last_openid_login().id_token();
    let requirement = "an ID token answering a request with max_age has auth_time, a number of seconds not after its iat (OpenID Connect Core §3.1.2.1, §2)";
    let Some(auth_time) = token.time("auth_time") else {
        fail(Finding::new(
            requirement,
            "auth_time, a JSON number",
            format!("auth_time = {}", token.shown("auth_time")),
        ));
    };
    let skew = i64::try_from(w.clock_skew()).unwrap_or(i64::MAX);
    if let Some(iat) = token.time("iat")
        && auth_time > iat.saturating_add(skew)
    {
        fail(Finding::new(
            requirement,
            format!("auth_time not after iat ({iat}) beyond the clock-skew margin ({skew} s)"),
            format!("auth_time = {auth_time}"),
        ));
    }
}

#[when("the client sends its authentication request as an unsigned request object")]
async fn request_object(w: &mut Spec) {
    let config = w.require_provider().await;
    let client = w.client();
    let (mut pending, nonce) = w.authentication_request(&client);
    // The state travels only inside the object: the answer's state tells
    // whether the object was read.
    let state = random_token(16);
    let mut claims = json!({
        "iss": client.id.as_str(),
        "aud": config.str("issuer").unwrap_or_default(),
        "state": state,
        "nonce": nonce,
    });
    for name in [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "code_challenge",
        "code_challenge_method",
    ] {
        if let Some(v) = pending.request.get(name) {
            claims[name] = json!(v);
        }
    }
    let object = jws::unsecured(
        &json!({"alg": "none"}),
        &serde_json::to_vec(&claims).unwrap_or_default(),
    );
    pending.request = pending
        .request
        .clone()
        .remove("state")
        .remove("nonce")
        .set("request", &object);
    pending.state = state.clone();
    w.flow.pending = Some(pending);
    let outcome = w.walk(ConsentChoice::Approve).await;
    w.area::<AuthRequestState>().request_object = Some((outcome, state));
}

#[then(expr = "the request object was either followed or refused with {string}")]
async fn request_object_judged(w: &mut Spec, refusal: String) {
    let client = w.client();
    w.control(&ControlKind::AuthorizationCode(client.id.clone()));
    let Some((outcome, state)) = w.area::<AuthRequestState>().request_object.clone() else {
        unmet("harness bug: no request object was sent");
    };
    let config = w.require_provider().await;
    // A provider that takes only signed objects says so in its
    // configuration; it may then refuse the unsigned one as invalid.
    let signed_only = config
        .strings("request_object_signing_alg_values_supported")
        .is_some_and(|algs| !algs.iter().any(|a| a == "none"));
    let requirement = "a provider follows a request object (its values supersede the query's) or answers request_not_supported (OpenID Connect Core §6.1)";
    let expected = format!(
        "a code with state={state} (the object's), or error={refusal}{}",
        if signed_only {
            " or invalid_request_object"
        } else {
            ""
        }
    );
    let shown = describe(&outcome);
    let Some(r) = outcome.response() else {
        fail(Finding::new(requirement, expected, shown));
    };
    let followed = r.code.is_some() && r.state.as_deref() == Some(state.as_str());
    let refused = match r.error.as_deref() {
        Some(e) if e == refusal => true,
        Some("invalid_request_object") => signed_only,
        _ => false,
    };
    if followed || refused {
        return;
    }
    if r.code.is_some() {
        fail(Finding::new(
            requirement,
            expected,
            format!("{shown}: the code came without the object's state, so the object was ignored"),
        ));
    }
    fail(Finding::new(requirement, expected, shown));
}
