//! Steps of `features/client_credentials.feature`: the client credentials
//! grant (RFC 6749 §4.4), where a confidential client gets a token for
//! itself, with no user involved.

use cucumber::{given, then, when};
use serde_json::json;

use super::common::describe_token_answer;
use super::support::TestClient;
use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{self, AuthMethod, EndpointResponse, TokenResponse};

const PUBLIC_CC_REGISTRATION: &str = "client_credentials.public_registration";

fn token_answer(w: &Spec) -> &EndpointResponse<TokenResponse> {
    w.flow
        .token_answer
        .as_ref()
        .unwrap_or_else(|| panic!("harness bug: no token request was made"))
}

#[given("the server offers the client credentials grant")]
async fn offered(w: &mut Spec) {
    if let Some(m) = &w.target().metadata {
        let grants = m.grant_types();
        if !grants.iter().any(|g| g == "client_credentials") {
            skip(format!(
                "the server does not offer the client credentials grant (grant_types_supported = {grants:?})"
            ));
        }
    }
}

#[given("a public client that asked to be allowed client credentials")]
async fn public_cc_client(w: &mut Spec) {
    let target = w.target();
    if !(target.can_register() && target.profile.registration_enabled()) {
        let c = target
            .profile
            .clients
            .iter()
            .find(|c| c.is_public())
            .cloned()
            .unwrap_or_else(|| {
                skip("the target has no registration and the profile names no public client")
            });
        w.flow.client = Some(TestClient {
            id: c.id,
            secret: None,
            method: AuthMethod::None,
            redirect_uri: c.redirect_uri.unwrap_or_default(),
            scope: c.scope.or_else(|| w.wanted_scope()),
            grant_types: c.grant_types,
            registration: None,
        });
        return;
    }
    // First ask to register a public client for exactly this grant. A server
    // that refuses is right (RFC 6749 §4.4); the scenario then tries the
    // grant with a public client registered for the code flow.
    let mut metadata = json!({
        "client_name": format!("oauthspec: {}", w.scenario),
        "grant_types": ["client_credentials"],
        "response_types": [],
        "token_endpoint_auth_method": "none",
    });
    if let Some(s) = w.wanted_scope() {
        metadata["scope"] = json!(s.to_string());
    }
    let answer = w
        .register_metadata("a public client for client_credentials", &metadata)
        .await;
    w.vars
        .insert(PUBLIC_CC_REGISTRATION.into(), json!(answer.describe()));
    let client = if (200..300).contains(&answer.status) {
        w.client_from_registration(&answer, AuthMethod::None, &["client_credentials"])
    } else {
        w.public_client().await
    };
    w.flow.client = Some(client);
}

#[given("the client asks for a token with client credentials")]
#[when("the client asks for a token with client credentials")]
async fn ask(w: &mut Spec) {
    let client = w.client();
    let endpoint = w.token_endpoint();
    let driver = w.http();
    let res = flow::client_credentials(&driver, &endpoint, &client.auth(), client.scope.as_ref())
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

#[then("the client credentials response carries no refresh token")]
async fn no_refresh(w: &mut Spec) {
    let res = token_answer(w);
    let Some(t) = res.success() else {
        fail(Finding::new(
            "a confidential client gets a token with its client credentials (RFC 6749 §4.4.3)",
            "200 with an access token",
            describe_token_answer(res),
        ));
    };
    if t.raw.get("refresh_token").is_some() {
        fail(Finding::new(
            "a client credentials token response does not include a refresh token (RFC 6749 §4.4.3)",
            "no refresh_token member",
            "a refresh_token member",
        ));
    }
}

#[then("the client credentials request is refused")]
async fn refused(w: &mut Spec) {
    let res = token_answer(w);
    let registration = w
        .vars
        .get(PUBLIC_CC_REGISTRATION)
        .and_then(|v| v.as_str())
        .map(|r| format!(" (registering it for client_credentials answered: {r})"))
        .unwrap_or_default();
    if res.success().is_some() {
        fail(Finding::security(
            "only confidential clients may use the client credentials grant (RFC 6749 §4.4)",
            "400 error=unauthorized_client or 401 error=invalid_client",
            format!("{}{registration}", describe_token_answer(res)),
        ));
    }
    let ok = res.error().is_some_and(|e| {
        (e.error == "unauthorized_client" && res.status == 400)
            || (e.error == "invalid_client" && (res.status == 401 || res.status == 400))
    });
    if !ok {
        fail(Finding::format(
            "the refusal is a standard error (RFC 6749 §5.2)",
            "400 error=unauthorized_client or 401 error=invalid_client",
            describe_token_answer(res),
        ));
    }
}
