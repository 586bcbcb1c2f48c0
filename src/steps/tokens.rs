//! Token-endpoint requests the scenarios share: redeeming a code,
//! refreshing, and the whole flow that leaves the client holding tokens.

use super::Spec;
use super::clients::{ClientNeed, TestClient};
use super::control::ControlKind;
use super::outcome::{skip_with, unmet, unmet_with};
use crate::driver::flow::{self, ClientAuth, EndpointResponse, TokenResponse};
use crate::protocol::{AuthorizationCode, PkceCodeVerifier, RefreshToken, Scope};
use crate::target::Endpoint;

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
        None => {
            let text: String = res.text().chars().take(300).collect();
            format!("{} {text}", res.status)
        }
    }
}

impl Spec {
    /// Redeems `code` at the token endpoint authenticated with `auth`,
    /// sending exactly this `redirect_uri` (or none) and `verifier` (or
    /// none); keeps the answer as the scenario's last token answer.
    pub async fn redeem(
        &mut self,
        auth: &ClientAuth,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&PkceCodeVerifier>,
    ) -> EndpointResponse<TokenResponse> {
        let endpoint = self.endpoint(Endpoint::Token);
        let driver = self.http();
        let code = AuthorizationCode::new(code.to_owned());
        let res = flow::TokenRequest::authorization_code(&code)
            .redirect_uri(redirect_uri)
            .verifier(verifier)
            .send(&driver, &endpoint, auth)
            .await;
        let res = self.answered(res, "the token endpoint");
        self.keep_token_answer(res.clone());
        self.flow.last_token_used_basic = Some(matches!(
            auth,
            ClientAuth::Basic { .. }
                | ClientAuth::BasicAndPost { .. }
                | ClientAuth::BasicUnencoded { .. }
        ));
        res
    }

    /// Redeems `code` as `client`, the correct way (its own authentication,
    /// its redirect URI, this verifier).
    pub async fn exchange(
        &mut self,
        client: &TestClient,
        code: &str,
        verifier: Option<&PkceCodeVerifier>,
    ) -> EndpointResponse<TokenResponse> {
        let redirect = client.redirect_uri.clone();
        self.redeem(&client.auth(), code, Some(&redirect), verifier)
            .await
    }

    /// Keeps a token-endpoint answer as the scenario's last, and its tokens.
    pub fn keep_token_answer(&mut self, res: EndpointResponse<TokenResponse>) {
        self.flow.last_token_used_basic = None;
        if let Some(t) = res.success() {
            self.flow.tokens.push(t.clone());
        }
        self.flow.token_answer = Some(res);
    }

    /// The last token-endpoint answer.
    pub fn token_answer(&self) -> &EndpointResponse<TokenResponse> {
        self.flow
            .token_answer
            .as_ref()
            .unwrap_or_else(|| unmet("harness bug: no token request was made"))
    }

    /// A genuine code of `client` redeemed the correct way, as setup: the
    /// tokens, with the controls that the client gets codes and tokens. A
    /// step that fails here is a setup error.
    pub async fn tokens_for(&mut self, client: &TestClient) -> TokenResponse {
        let code = self.approved_code(client).await;
        let verifier = self.flow.verifier.take();
        let res = self.exchange(client, &code, verifier.as_ref()).await;
        self.flow.verifier = verifier;
        match res.success() {
            Some(t) => {
                let t = t.clone();
                self.control_held(
                    ControlKind::TokenEndpoint(client.id.clone()),
                    format!("{} with tokens for a genuine code", res.status),
                );
                t
            }
            None => unmet_with(
                format!(
                    "a genuine code of {} was not exchanged for tokens: {}",
                    client.id,
                    describe_token_answer(&res)
                ),
                "check the client's secret, auth_method and redirect_uri in the profile",
            ),
        }
    }

    /// The whole flow as setup: the scenario's client (any client, when no
    /// step chose one), login, consent, code exchange.
    pub async fn obtain_tokens(&mut self) -> TokenResponse {
        if self.flow.client.is_none() {
            let c = self.client_for(ClientNeed::Any, "authorization_code").await;
            self.flow.client = Some(c);
        }
        let client = self.client();
        self.tokens_for(&client).await
    }

    /// A client-credentials token of a confidential client (RFC 6749 §4.4),
    /// which becomes the scenario's client; a refusal is a setup error.
    pub async fn client_credentials_token(&mut self) -> TokenResponse {
        let client = self
            .client_for(ClientNeed::Confidential, "client_credentials")
            .await;
        self.flow.client = Some(client.clone());
        let endpoint = self.endpoint(Endpoint::Token);
        let driver = self.http();
        let res = flow::TokenRequest::client_credentials()
            .scope(client.scope.as_ref())
            .send(&driver, &endpoint, &client.auth())
            .await;
        let res = self.answered(res, "the token endpoint");
        let Some(t) = res.success().cloned() else {
            unmet(format!(
                "the confidential client {} got no client-credentials token: {}",
                client.id,
                describe_token_answer(&res)
            ))
        };
        self.keep_token_answer(res);
        self.control_held(
            ControlKind::TokenEndpoint(client.id.clone()),
            "200 with a client-credentials token",
        );
        t
    }

    /// The latest access token the scenario obtained.
    pub fn access_token(&self) -> String {
        self.flow
            .tokens
            .last()
            .map(|t| t.access_token.secret().to_owned())
            .unwrap_or_else(|| unmet("harness bug: no token obtained yet"))
    }

    /// The refresh token of the latest token response that carried one (the
    /// client's current one). SKIPs when the target issued none.
    pub fn current_refresh_token(&self) -> RefreshToken {
        self.flow
            .tokens
            .iter()
            .rev()
            .find_map(|t| t.refresh_token.clone())
            .unwrap_or_else(|| {
                skip_with(
                    "the target issued no refresh token with the tokens (RFC 6749 §1.5 makes them optional)",
                    "if the server issues refresh tokens only for some scope (e.g. offline_access) or prompt, ask for it in the client's scope or [login] authorization_params",
                )
            })
    }

    /// Sends a refresh request (RFC 6749 §6) with this authentication,
    /// token and scope. Keeps the answer as the last token answer, but not
    /// its tokens: use [`Spec::refresh_with`] for the client's own refresh.
    pub async fn send_refresh(
        &mut self,
        auth: &ClientAuth,
        token: &RefreshToken,
        scope: Option<&Scope>,
    ) -> EndpointResponse<TokenResponse> {
        let endpoint = self.endpoint(Endpoint::Token);
        let driver = self.http();
        let res = super::outcome::with_timeout(
            self.step_timeout(),
            "the refresh request",
            flow::TokenRequest::refresh_token(token)
                .scope(scope)
                .send(&driver, &endpoint, auth),
        )
        .await;
        let res = self.answered(res, "the token endpoint");
        self.flow.token_answer = Some(res.clone());
        self.flow.last_token_used_basic = Some(matches!(auth, ClientAuth::Basic { .. }));
        res
    }

    /// The client refreshes with its current refresh token, properly
    /// authenticated; a successful answer's tokens become the client's.
    pub async fn refresh_with(&mut self, scope: Option<&Scope>) -> EndpointResponse<TokenResponse> {
        let client = self.client();
        let token = self.current_refresh_token();
        let res = self.send_refresh(&client.auth(), &token, scope).await;
        self.flow.used_refresh.push(token);
        self.keep_token_answer(res.clone());
        res
    }

    /// A refresh that must work for the scenario to go on (the control that
    /// the refresh grant takes the client's genuine refresh token).
    pub async fn refresh_as_setup(&mut self) -> TokenResponse {
        let res = self.refresh_with(None).await;
        let client = self.client();
        match res.success() {
            Some(t) => {
                let t = t.clone();
                self.control_held(
                    ControlKind::Refresh(client.id.clone()),
                    format!(
                        "{} with new tokens for the current refresh token",
                        res.status
                    ),
                );
                t
            }
            None => unmet(format!(
                "refreshing with {}'s genuine refresh token failed: {}",
                client.id,
                describe_token_answer(&res)
            )),
        }
    }
}
