//! Steps of `features/client_authentication.feature`: how a confidential
//! client proves who it is at the token endpoint (RFC 6749 §2.3, §3.2.1),
//! and how the server answers when it cannot.

use cucumber::{given, then, when};

use super::common::describe_token_answer;
use super::support::TestClient;
use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{
    self, AuthMethod, ClientAuth, EndpointResponse, TokenResponse, parse_www_authenticate,
};
use crate::driver::pkce::{AuthorizationCode, ClientId, ClientSecret, random_token};

impl Spec {
    /// A confidential client that authenticates with `method`, allowed the
    /// authorization code flow: registered for the scenario when the target
    /// allows, else one of the profile's; SKIPs when neither is possible.
    pub(crate) async fn client_with_method(&mut self, method: AuthMethod) -> TestClient {
        let target = self.target();
        if let Some(m) = &target.metadata {
            let offered = m.token_endpoint_auth_methods();
            if !offered.iter().any(|o| o == method.as_str()) {
                skip(format!(
                    "the server does not offer {method} (token_endpoint_auth_methods_supported = {offered:?})"
                ));
            }
        }
        if target.can_register() && target.profile.registration_enabled() {
            return self
                .register_client(&["authorization_code", "refresh_token"], method)
                .await;
        }
        let scope = self.wanted_scope();
        match target.profile.clients.iter().find(|c| {
            c.auth_method == method
                && c.supports_grant("authorization_code")
                && c.redirect_uri.is_some()
        }) {
            Some(c) => TestClient {
                id: c.id.clone(),
                secret: c.secret.clone(),
                method: c.auth_method,
                redirect_uri: c.redirect_uri.clone().unwrap_or_default(),
                scope: c.scope.clone().or(scope),
                grant_types: c.grant_types.clone(),
                registration: None,
            },
            None => skip(format!(
                "the target has no registration and the profile names no {method} client for the authorization code flow"
            )),
        }
    }

    /// Redeems the scenario's code as the client, but authenticating with
    /// `auth`; keeps the answer.
    pub(crate) async fn exchange_with(
        &mut self,
        auth: &ClientAuth,
    ) -> EndpointResponse<TokenResponse> {
        let client = self.client();
        let code = AuthorizationCode::new(self.expect_code());
        let verifier = self.flow.verifier.take();
        let endpoint = self.token_endpoint();
        let driver = self.http();
        let res = flow::exchange_code(
            &driver,
            &endpoint,
            auth,
            &code,
            Some(&client.redirect_uri),
            verifier.as_ref(),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the token endpoint answers",
                "an HTTP answer",
                e.to_string(),
            ))
        });
        self.flow.verifier = verifier;
        self.keep_token_answer(res.clone());
        res
    }

    fn client_secret(&self) -> ClientSecret {
        self.client()
            .secret
            .unwrap_or_else(|| panic!("harness bug: the scenario's client has no secret"))
    }
}

fn token_answer(w: &Spec) -> &EndpointResponse<TokenResponse> {
    w.flow
        .token_answer
        .as_ref()
        .unwrap_or_else(|| panic!("harness bug: no token request was made"))
}

#[given(expr = "a client registered with {word} for the authorization code flow")]
async fn client_with(w: &mut Spec, method: String) {
    let m: AuthMethod = serde_json::from_value(serde_json::json!(method))
        .unwrap_or_else(|_| panic!("harness bug: unknown authentication method {method:?}"));
    let c = w.client_with_method(m).await;
    w.flow.client = Some(c);
}

#[when("the client exchanges the code for tokens with a wrong secret")]
async fn wrong_secret(w: &mut Spec) {
    let client = w.client();
    let secret = w.client_secret();
    let wrong = ClientSecret::new(format!("{}x", secret.secret()));
    let auth = match client.method {
        AuthMethod::ClientSecretPost => ClientAuth::Post {
            id: client.id,
            secret: wrong,
        },
        _ => ClientAuth::Basic {
            id: client.id,
            secret: wrong,
        },
    };
    w.exchange_with(&auth).await;
}

#[when("a client the server does not know exchanges the code for tokens")]
async fn unknown_client(w: &mut Spec) {
    let auth = ClientAuth::Basic {
        id: ClientId::new(format!("oauthspec-unknown-{}", random_token(8))),
        secret: ClientSecret::new(random_token(24)),
    };
    w.exchange_with(&auth).await;
}

#[when(
    "the client exchanges the code for tokens with its secret both in the header and in the body"
)]
async fn two_methods(w: &mut Spec) {
    let auth = ClientAuth::BasicAndPost {
        id: w.client().id,
        secret: w.client_secret(),
    };
    w.exchange_with(&auth).await;
}

#[when("the client exchanges the code for tokens without its secret")]
async fn no_secret(w: &mut Spec) {
    let auth = ClientAuth::None { id: w.client().id };
    w.exchange_with(&auth).await;
}

#[then("the refusal challenges the client to authenticate with Basic")]
async fn basic_challenge(w: &mut Spec) {
    let res = token_answer(w);
    let values: Vec<&str> = res
        .headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let basic = values
        .iter()
        .flat_map(|v| parse_www_authenticate(v))
        .any(|c| c.scheme.eq_ignore_ascii_case("basic"));
    if res.status != 401 || !basic {
        fail(Finding::format(
            "a client that authenticated with the Authorization header and failed gets 401 with a WWW-Authenticate challenge for that scheme (RFC 6749 §5.2)",
            "401 with WWW-Authenticate: Basic …",
            format!(
                "{} with {}",
                res.status,
                if values.is_empty() {
                    "no WWW-Authenticate header".to_owned()
                } else {
                    format!("WWW-Authenticate: {}", values.join(", "))
                }
            ),
        ));
    }
}

#[then(expr = "the client gets no tokens and is told {string}")]
async fn no_tokens(w: &mut Spec, code: String) {
    let res = token_answer(w);
    if res.success().is_some() {
        fail(Finding::security(
            "a client that fails authentication gets no tokens (RFC 6749 §2.3.1, §3.2.1)",
            format!("error={code}"),
            describe_token_answer(res),
        ));
    }
    if res.error().is_none_or(|e| e.error != code) {
        fail(Finding::format(
            format!("the refusal says error={code} (RFC 6749 §5.2)"),
            format!("error={code}"),
            describe_token_answer(res),
        ));
    }
}

#[then("the token request is refused as unauthenticated")]
async fn refused_unauthenticated(w: &mut Spec) {
    let res = token_answer(w);
    if res.success().is_some() {
        fail(Finding::security(
            "a confidential client must authenticate at the token endpoint (RFC 6749 §3.2.1, §4.1.3)",
            "400 or 401 error=invalid_client",
            describe_token_answer(res),
        ));
    }
    let code_ok = res.error().is_some_and(|e| e.error == "invalid_client");
    if !code_ok || !(res.status == 400 || res.status == 401) {
        fail(Finding::format(
            "missing client authentication is refused with invalid_client (RFC 6749 §5.2)",
            "400 or 401 error=invalid_client",
            describe_token_answer(res),
        ));
    }
}

#[then("the token request is refused for using two authentication methods")]
async fn refused_two_methods(w: &mut Spec) {
    let res = token_answer(w);
    if res.success().is_some() {
        fail(Finding::new(
            "a request that uses more than one client authentication method is refused (RFC 6749 §2.3)",
            "400 error=invalid_request (or 401 error=invalid_client)",
            describe_token_answer(res),
        ));
    }
    let ok = res.error().is_some_and(|e| {
        (e.error == "invalid_request" && res.status == 400)
            || (e.error == "invalid_client" && res.status == 401)
    });
    if !ok {
        fail(Finding::format(
            "the refusal is a standard error (RFC 6749 §5.2)",
            "400 error=invalid_request (or 401 error=invalid_client)",
            describe_token_answer(res),
        ));
    }
}
