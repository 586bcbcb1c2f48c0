//! Steps of `features/client_authentication.feature`: how a confidential
//! client proves who it is at the token endpoint (RFC 6749 §2.3, §3.2.1),
//! and how the server answers when it cannot.

use cucumber::{given, then, when};

use super::outcome::{skip_with, unmet};
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::{ClientAuth, parse_www_authenticate};
use crate::protocol::AuthMethod;
use crate::protocol::{ClientId, ClientSecret, random_token};

impl Spec {
    /// Redeems the scenario's code as the client, authenticating with
    /// `auth`; keeps the answer.
    async fn exchange_with(&mut self, auth: &ClientAuth) {
        let client = self.client();
        let code = self.setup_code();
        let verifier = self.flow.verifier.take();
        self.redeem(auth, &code, Some(&client.redirect_uri), verifier.as_ref())
            .await;
        self.flow.verifier = verifier;
    }

    fn client_secret(&self) -> ClientSecret {
        let client = self.confidential();
        if client.method.by_certificate() {
            skip_with(
                format!(
                    "the scenario's client authenticates with its TLS certificate ({}, RFC 8705): it has no secret to send wrongly",
                    client.method
                ),
                "add a [[clients]] entry with a secret (client_secret_basic or client_secret_post)",
            );
        }
        client
            .secret
            .unwrap_or_else(|| unmet("harness bug: the scenario's client has no secret"))
    }
}

#[given(expr = "a client registered with {word} for the authorization code flow")]
async fn client_with(w: &mut Spec, method: String) {
    let m: AuthMethod = serde_json::from_value(serde_json::json!(method)).unwrap_or_else(|_| {
        unmet(format!(
            "harness bug: unknown authentication method {method:?}"
        ))
    });
    let c = w.client_with_method(m).await;
    w.flow.client = Some(c);
}

#[when("the client exchanges the code for tokens with a wrong secret")]
async fn wrong_secret(w: &mut Spec) {
    let client = w.confidential();
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

#[when("the client exchanges the code for tokens without its secret")]
async fn no_secret(w: &mut Spec) {
    let client = w.confidential();
    w.exchange_with(&ClientAuth::None { id: client.id }).await;
}

#[then("the refusal challenges the client to authenticate with Basic")]
async fn basic_challenge(w: &mut Spec) {
    let res = w.token_answer();
    if res.success().is_some() {
        fail(Finding::security(
            "a client that fails authentication gets no tokens (RFC 6749 §4.1.3)",
            "401 with WWW-Authenticate: Basic",
            describe_token_answer(res),
        ));
    }
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
