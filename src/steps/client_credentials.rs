//! Steps of `features/client_credentials.feature`: the client credentials
//! grant (RFC 6749 §4.4), where a confidential client gets a token for
//! itself, with no user involved.

use cucumber::{given, then, when};
use serde_json::json;

use super::clients::{ClientNeed, TestClient};
use super::control::ControlKind;
use super::outcome::{skip_with, unmet};
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow;
use crate::protocol::{AuthMethod, GrantType};
use crate::target::Endpoint;

/// What this area keeps between its steps.
#[derive(Default)]
struct CcState {
    /// The public client of the negative scenario, when one was had.
    public: Option<TestClient>,
    /// What registering a public client for client_credentials answered.
    registration: Option<super::answer::Answer>,
}

impl Spec {
    /// Asks for a client-credentials token as `client`; keeps the answer.
    async fn client_credentials_as(&mut self, client: &TestClient) {
        let endpoint = self.endpoint(Endpoint::Token);
        let driver = self.http();
        let res = flow::TokenRequest::client_credentials()
            .scope(client.scope.as_ref())
            .send(&driver, &endpoint, &client.auth())
            .await;
        let res = self.answered(res, "the token endpoint");
        self.keep_token_answer(res);
        self.flow.last_token_used_basic =
            Some(matches!(client.method, AuthMethod::ClientSecretBasic));
    }
}

#[given("the server offers the client credentials grant")]
async fn offered(w: &mut Spec) {
    if let Some(m) = &w.target().metadata {
        let grants = m.grant_types();
        if !grants.contains(&GrantType::ClientCredentials) {
            skip_with(
                format!(
                    "the server does not offer the client credentials grant (grant_types_supported = {})",
                    grants
                        .iter()
                        .map(GrantType::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "nothing to change: the server does not offer it",
            );
        }
    }
}

#[given("a public client that asked to be allowed client credentials")]
async fn public_cc_client(w: &mut Spec) {
    if !w.registers_clients() {
        let c = w.client_for(ClientNeed::Public, "authorization_code").await;
        w.area::<CcState>().public = Some(c);
        return;
    }
    // A server may refuse to register a public client for this grant
    // (RFC 6749 §4.4): that refusal is the answer the scenario judges.
    let mut metadata = json!({
        "client_name": format!("oauthspec: {}", w.scenario),
        "grant_types": ["client_credentials"],
        "response_types": [],
        "token_endpoint_auth_method": "none",
    });
    if let Some(s) = w.wanted_scope() {
        metadata["scope"] = json!(s.to_string());
    }
    let endpoint = w.endpoint(Endpoint::Registration);
    let reg = w
        .target()
        .profile
        .registration
        .clone()
        .unwrap_or_else(|| unmet("harness bug: registering without [registration]"));
    let driver = w.http();
    let res = flow::register(
        &driver,
        &endpoint,
        &metadata,
        reg.initial_access_token.as_ref(),
    )
    .await;
    let res = w.answered(res, "the registration endpoint");
    let answer = super::answer::Answer::of_endpoint(format!("POST {endpoint}"), &res);
    let refused = !answer.accepted();
    let state = w.area::<CcState>();
    state.registration = Some(answer);
    if let Some(ok) = res.into_success() {
        state.public = Some(TestClient {
            id: ok.client_id,
            secret: None,
            method: AuthMethod::None,
            redirect_uri: reg.redirect_uri,
            scope: ok.scope,
            grant_types: vec!["client_credentials".into()],
            registration: None,
        });
    }
    if refused {
        // The server enforced the rule at registration. A public client
        // of another grant must still be refused at the token endpoint.
        let c = w.client_for(ClientNeed::Public, "authorization_code").await;
        w.area::<CcState>().public = Some(c);
    }
}

#[given("the client gets a token with client credentials")]
async fn control_cc(w: &mut Spec) {
    let client = w.client();
    w.client_credentials_as(&client).await;
    let res = w.token_answer();
    if res.success().is_none() {
        unmet(format!(
            "control: the confidential client {} got no client-credentials token: {}",
            client.id,
            describe_token_answer(res)
        ));
    }
    let status = res.status;
    w.control_held(
        ControlKind::TokenEndpoint(client.id.clone()),
        format!("{status} with a client-credentials token"),
    );
}

#[when("the client asks for a token with client credentials")]
async fn ask(w: &mut Spec) {
    let client = w.client();
    w.client_credentials_as(&client).await;
}

#[when("the public client asks for a token with client credentials")]
async fn public_asks(w: &mut Spec) {
    let c = w
        .area::<CcState>()
        .public
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no public client (add the Given step)"));
    w.client_credentials_as(&c).await;
}

#[then("the client credentials response carries no refresh token")]
async fn no_refresh(w: &mut Spec) {
    let res = w.token_answer();
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
    let client = w.client();
    w.control(&ControlKind::TokenEndpoint(client.id.clone()));
    let registration = w.area::<CcState>().registration.clone();
    if let Some(a) = registration.as_ref().filter(|a| !a.accepted()) {
        w.record(format!(
            "note: the server refused to register a public client for client_credentials: {}",
            a.describe()
        ));
    }
    let res = w.token_answer();
    let registered = registration
        .map(|a| {
            format!(
                " (registering it for client_credentials answered: {})",
                a.describe()
            )
        })
        .unwrap_or_default();
    if res.success().is_some() {
        fail(Finding::security(
            "only confidential clients may use the client credentials grant; the server must authenticate the client (RFC 6749 §4.4, §4.4.2)",
            "400 error=unauthorized_client or 400/401 error=invalid_client",
            format!("{}{registered}", describe_token_answer(res)),
        ));
    }
    let ok = res.error().is_some_and(|e| {
        (e.error == "unauthorized_client" && res.status == 400)
            || (e.error == "invalid_client" && (res.status == 401 || res.status == 400))
    });
    if !ok {
        fail(Finding::format(
            "the refusal is a standard error (RFC 6749 §5.2)",
            "400 error=unauthorized_client or 400/401 error=invalid_client",
            describe_token_answer(res),
        ));
    }
}
