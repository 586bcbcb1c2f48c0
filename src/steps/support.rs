//! What most scenarios need from a target, as operations on the
//! [`Spec`] world: a client (registered for the scenario, or from the
//! profile), the authorization-code flow walked through the login form, a
//! token, a protected resource, and time passing.
//!
//! Everything here fails with a [`Finding`] that names the requirement when
//! the target misbehaves, and SKIPs when the target lacks what is needed.

use std::time::Duration;

use serde_json::json;
use url::Url;

use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{
    self, AuthMethod, AuthorizationOutcome, AuthorizationRequest, AuthorizationResponse,
    ClientAuth, EndpointResponse, TokenResponse, WalkOptions,
};
use crate::driver::forms::ConsentChoice;
use crate::driver::http::{Driver, Evidence};
use crate::driver::pkce::{
    ClientId, ClientSecret, PkceCodeChallenge, PkceCodeVerifier, Scope, random_token,
};
use crate::target::Target;
use crate::target::profile::ResourceProfile;

/// A client the scenario acts as.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub id: ClientId,
    pub secret: Option<ClientSecret>,
    pub method: AuthMethod,
    pub redirect_uri: String,
    pub scope: Option<Scope>,
    pub grant_types: Vec<String>,
    /// The RFC 7591 response, when the harness registered this client.
    pub registration: Option<serde_json::Value>,
}

impl TestClient {
    /// The client's own, correct authentication.
    pub fn auth(&self) -> ClientAuth {
        ClientAuth::for_method(self.method, &self.id, self.secret.as_ref()).unwrap_or(
            ClientAuth::None {
                id: self.id.clone(),
            },
        )
    }

    pub fn is_public(&self) -> bool {
        self.method == AuthMethod::None
    }
}

/// A pending authorization request: the URL parameters and the PKCE
/// verifier that belongs to them (never cloned, RFC 7636 §4.1).
#[derive(Debug)]
pub struct PendingAuthorization {
    pub request: AuthorizationRequest,
    pub verifier: Option<PkceCodeVerifier>,
    pub state: String,
    pub redirect_uri: String,
}

/// The typed state steps hand to each other within a scenario.
#[derive(Debug, Default)]
pub struct Flow {
    pub client: Option<TestClient>,
    pub other_client: Option<TestClient>,
    pub pending: Option<PendingAuthorization>,
    pub outcome: Option<AuthorizationOutcome>,
    /// The authorization response of the last successful walk.
    pub response: Option<AuthorizationResponse>,
    /// The verifier that went with the last authorization request.
    pub verifier: Option<PkceCodeVerifier>,
    /// The last token-endpoint answer.
    pub token_answer: Option<EndpointResponse<TokenResponse>>,
    /// Tokens, oldest first, as the scenario obtained them.
    pub tokens: Vec<TokenResponse>,
    /// The last plain HTTP answer (resource, registration, …).
    pub last_status: Option<u16>,
    pub last_headers: Vec<(String, String)>,
    pub last_body: Option<serde_json::Value>,
    /// The `state` of the last authorization request sent.
    pub last_state: Option<String>,
    /// Whether the last token request authenticated with the `Authorization`
    /// header (then a failure must be 401, RFC 6749 §5.2); `None` if unknown.
    pub last_token_used_basic: Option<bool>,
}

impl Spec {
    /// The resolved target. A run without one is a harness bug.
    pub fn target(&self) -> &Target {
        match self.ctx().target.as_deref() {
            Some(t) => t,
            None => panic!("harness bug: the run has no target"),
        }
    }

    /// This scenario's driver: the run's driver with a fresh evidence log.
    pub fn http(&mut self) -> Driver {
        if self.driver.is_none() {
            let base = match &self.ctx().driver {
                Some(d) => d.with_fresh_evidence(),
                None => panic!("harness bug: the run has no driver"),
            };
            self.driver = Some(base);
        }
        self.driver.clone().expect("set above")
    }

    /// The scenario's evidence: what steps recorded by hand, then every
    /// HTTP exchange the driver made (already redacted).
    pub fn collected_evidence(&self) -> Vec<String> {
        let mut out = self.evidence.clone();
        if let Some(d) = &self.driver {
            let start = out.len();
            out.extend(
                d.evidence()
                    .exchanges()
                    .iter()
                    .enumerate()
                    .map(|(i, x)| Evidence::render_one(start + i + 1, x)),
            );
        }
        out
    }

    fn endpoint(&self, name: &'static str, url: Option<&Url>) -> Url {
        url.cloned()
            .unwrap_or_else(|| skip(format!("the target has no {name} endpoint")))
    }

    pub fn token_endpoint(&self) -> Url {
        self.endpoint("token", self.target().endpoints.token.as_ref())
    }
    pub fn authorization_endpoint(&self) -> Url {
        self.endpoint(
            "authorization",
            self.target().endpoints.authorization.as_ref(),
        )
    }
    pub fn registration_endpoint(&self) -> Url {
        self.endpoint(
            "registration",
            self.target().endpoints.registration.as_ref(),
        )
    }
    pub fn revocation_endpoint(&self) -> Url {
        self.endpoint("revocation", self.target().endpoints.revocation.as_ref())
    }
    pub fn introspection_endpoint(&self) -> Url {
        self.endpoint(
            "introspection",
            self.target().endpoints.introspection.as_ref(),
        )
    }

    /// The scope the harness asks for: the profile's registration scope, or
    /// every scope the profile's resources need.
    pub fn wanted_scope(&self) -> Option<Scope> {
        let p = &self.target().profile;
        if let Some(s) = p.registration.as_ref().and_then(|r| r.scope.clone()) {
            return Some(s);
        }
        let tokens: Vec<String> = p
            .resources
            .iter()
            .filter_map(|r| r.scope.as_ref())
            .flat_map(|s| {
                s.to_string()
                    .split(' ')
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        if tokens.is_empty() {
            None
        } else {
            Some(Scope::parse(&tokens.join(" ")))
        }
    }

    /// Registers a client for this scenario (RFC 7591) with these grant
    /// types and authentication method, or SKIPs when the target has no
    /// registration the profile allows.
    pub async fn register_client(&mut self, grants: &[&str], method: AuthMethod) -> TestClient {
        let target = self.target();
        let Some(reg) = target.profile.registration.clone().filter(|r| r.enabled) else {
            skip("the profile does not let the harness register clients");
        };
        let endpoint = self.registration_endpoint();
        let uses_code = grants.contains(&"authorization_code");
        let mut metadata = json!({
            "client_name": format!("oauthspec: {}", self.scenario),
            "grant_types": grants,
            "response_types": if uses_code { vec!["code"] } else { vec![] },
            "token_endpoint_auth_method": method.as_str(),
        });
        if uses_code {
            metadata["redirect_uris"] = json!([reg.redirect_uri]);
        }
        if let Some(s) = self.wanted_scope() {
            metadata["scope"] = json!(s.to_string());
        }
        let driver = self.http();
        let res = flow::register(
            &driver,
            &endpoint,
            &metadata,
            reg.initial_access_token.as_deref(),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "client registration answers (RFC 7591 §3)",
                "an HTTP answer",
                e.to_string(),
            ))
        });
        let body = res.body.clone();
        let Some(ok) = res.into_success() else {
            fail(Finding::new(
                "a valid registration request succeeds (RFC 7591 §3.2.1)",
                "201 with client_id",
                String::from_utf8_lossy(&body).into_owned(),
            ));
        };
        TestClient {
            id: ok.client_id,
            secret: ok.client_secret,
            method,
            redirect_uri: reg.redirect_uri,
            scope: ok.scope.or_else(|| self.wanted_scope()),
            grant_types: grants.iter().map(|g| (*g).to_owned()).collect(),
            registration: serde_json::from_slice(&body).ok(),
        }
    }

    /// A confidential client that may use `grant`: registered for the
    /// scenario when the target allows, else the profile's.
    pub async fn confidential_client(&mut self, grant: &str) -> TestClient {
        let target = self.target();
        if target.can_register() && target.profile.registration_enabled() {
            let method = target
                .profile
                .registration
                .as_ref()
                .map(|r| r.auth_method)
                .filter(|m| *m != AuthMethod::None)
                .unwrap_or(AuthMethod::ClientSecretBasic);
            let grants: &[&str] = match grant {
                "client_credentials" => &["client_credentials"],
                _ => &["authorization_code", "refresh_token"],
            };
            return self.register_client(grants, method).await;
        }
        match target.profile.confidential_client(grant) {
            Some(c) => from_profile(c, self.wanted_scope()),
            None => skip(format!(
                "the target has no registration and the profile names no confidential client for {grant}"
            )),
        }
    }

    /// A public client (PKCE, no secret) for the authorization code grant.
    pub async fn public_client(&mut self) -> TestClient {
        let target = self.target();
        if target.can_register() && target.profile.registration_enabled() {
            return self
                .register_client(&["authorization_code", "refresh_token"], AuthMethod::None)
                .await;
        }
        match target.profile.public_client("authorization_code") {
            Some(c) => from_profile(c, self.wanted_scope()),
            None => skip("the target has no registration and the profile names no public client"),
        }
    }

    /// The scenario's client; a harness bug if no step made one.
    pub fn client(&self) -> TestClient {
        self.flow
            .client
            .clone()
            .unwrap_or_else(|| panic!("harness bug: no client in this scenario (add a Given step)"))
    }

    /// Builds a correct authorization request for `client` (PKCE S256, a
    /// fresh state) for steps to modify before it is sent.
    pub fn new_authorization(&self, client: &TestClient) -> PendingAuthorization {
        let verifier = PkceCodeVerifier::new_random();
        let challenge = PkceCodeChallenge::s256(&verifier);
        let state = random_token(16);
        let mut request = AuthorizationRequest::code(
            self.authorization_endpoint(),
            &client.id,
            &client.redirect_uri,
            client.scope.as_ref(),
            &state,
            Some(&challenge),
        );
        if let Some(login) = &self.target().profile.login {
            for (k, v) in &login.authorization_params {
                request = request.set(k, v);
            }
        }
        PendingAuthorization {
            request,
            verifier: Some(verifier),
            state,
            redirect_uri: client.redirect_uri.clone(),
        }
    }

    /// Walks the pending request through login and consent like a browser,
    /// and keeps the outcome (and the verifier for the token request).
    pub async fn send_authorization(&mut self, consent: ConsentChoice) -> AuthorizationOutcome {
        let deny = matches!(consent, ConsentChoice::Deny);
        let pending = self
            .flow
            .pending
            .take()
            .unwrap_or_else(|| panic!("harness bug: no authorization request was prepared"));
        let login = self
            .target()
            .profile
            .login
            .clone()
            .unwrap_or_else(|| skip("the profile says nothing of how to log in ([login])"));
        let mut options: WalkOptions = login.walk_options();
        options.consent = consent;
        let driver = self.http();
        let browser = driver.new_browser();
        let timeout = self.step_timeout();
        let url = pending.request.url();
        let outcome = super::with_timeout(
            timeout,
            "the authorization flow",
            flow::authorize(&driver, &browser, &url, &pending.redirect_uri, &options),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the authorization endpoint answers",
                "an HTTP answer",
                e.to_string(),
            ))
        });
        if let AuthorizationOutcome::NotRedirected(stopped) = &outcome
            && stopped.reason == flow::StopReason::NoMatchingButton
            && deny
        {
            skip("the consent page offers no way to deny the request");
        }
        self.flow.verifier = pending.verifier;
        self.flow.last_state = pending.request.get("state").map(str::to_owned);
        if let Some(r) = outcome.response() {
            self.flow.response = Some(r.clone());
        }
        self.flow.outcome = Some(outcome.clone());
        outcome
    }

    /// The code of the last authorization response, or a failure saying
    /// what came back instead.
    pub fn expect_code(&self) -> String {
        match &self.flow.outcome {
            Some(AuthorizationOutcome::Redirected(r)) => match &r.code {
                Some(c) => c.secret().to_owned(),
                None => fail(Finding::new(
                    "an approved authorization request returns a code (RFC 6749 §4.1.2)",
                    "a redirect with code",
                    format!(
                        "a redirect with error={} ({})",
                        r.error.as_deref().unwrap_or("none"),
                        r.error_description.as_deref().unwrap_or("")
                    ),
                )),
            },
            Some(other) => fail(Finding::new(
                "an approved authorization request returns a code (RFC 6749 §4.1.2)",
                "a redirect back to the client with code",
                format!("{other:?}"),
            )),
            None => panic!("harness bug: no authorization request was sent"),
        }
    }

    /// Redeems `code` at the token endpoint as `client`, with the verifier
    /// and redirect URI of the request; keeps the answer.
    pub async fn exchange(
        &mut self,
        client: &TestClient,
        code: &str,
        verifier: Option<&PkceCodeVerifier>,
    ) -> EndpointResponse<TokenResponse> {
        let token_endpoint = self.token_endpoint();
        let driver = self.http();
        let code = crate::driver::pkce::AuthorizationCode::new(code.to_owned());
        let res = flow::exchange_code(
            &driver,
            &token_endpoint,
            &client.auth(),
            &code,
            Some(&client.redirect_uri),
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
        self.keep_token_answer(res.clone());
        self.flow.last_token_used_basic = Some(matches!(client.auth(), ClientAuth::Basic { .. }));
        res
    }

    /// Keeps a token-endpoint answer as the scenario's last, and its tokens.
    /// Whoever made the request says how it authenticated, after this call.
    pub fn keep_token_answer(&mut self, res: EndpointResponse<TokenResponse>) {
        self.flow.last_token_used_basic = None;
        if let Some(t) = res.success() {
            self.flow.tokens.push(t.clone());
        }
        self.flow.token_answer = Some(res);
    }

    /// The whole flow: a confidential client, login, consent, code
    /// exchange. Fails with a finding at the first step that goes wrong.
    pub async fn obtain_tokens(&mut self) -> TokenResponse {
        if self.flow.client.is_none() {
            let c = self.confidential_client("authorization_code").await;
            self.flow.client = Some(c);
        }
        let client = self.client();
        self.flow.pending = Some(self.new_authorization(&client));
        self.send_authorization(ConsentChoice::Approve).await;
        let code = self.expect_code();
        let verifier = self.flow.verifier.take();
        let res = self.exchange(&client, &code, verifier.as_ref()).await;
        self.flow.verifier = verifier;
        match res.success() {
            Some(t) => t.clone(),
            None => fail(Finding::new(
                "a valid code is exchanged for tokens (RFC 6749 §4.1.3)",
                "200 with an access token",
                format!("{} {}", res.status, res.text()),
            )),
        }
    }

    /// The latest access token the scenario obtained.
    pub fn access_token(&self) -> String {
        self.flow
            .tokens
            .last()
            .map(|t| t.access_token.secret().to_owned())
            .unwrap_or_else(|| panic!("harness bug: no token obtained yet"))
    }

    /// A protected resource of the profile that needs a scope (the first).
    pub fn scoped_resource(&self) -> ResourceProfile {
        self.target()
            .profile
            .resources
            .iter()
            .find(|r| r.scope.is_some())
            .cloned()
            .unwrap_or_else(|| skip("the profile names no protected resource with a scope"))
    }

    /// Calls `resource` with `token` (or none) and keeps the answer.
    pub async fn call(&mut self, resource: &ResourceProfile, token: Option<&str>) -> u16 {
        let driver = self.http();
        let method =
            reqwest::Method::from_bytes(resource.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let res = flow::call_resource(&driver, method, &resource.url, token, resource.body.clone())
            .await
            .unwrap_or_else(|e| {
                fail(Finding::new(
                    "the protected resource answers",
                    "an HTTP answer",
                    e.to_string(),
                ))
            });
        self.flow.last_status = Some(res.status);
        self.flow.last_headers = res
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        self.flow.last_body = res.json().ok();
        res.status
    }

    /// Lets `seconds` pass on the target's clock: through its test-admin API
    /// when it has one, else by waiting, up to the profile's `max_wait`;
    /// beyond that the scenario SKIPs.
    pub async fn let_time_pass(&mut self, seconds: u64) {
        let driver = self.http();
        if let Some(admin) = self.ctx().admin.clone() {
            admin
                .advance_clock(&driver, i64::try_from(seconds).unwrap_or(i64::MAX))
                .await
                .unwrap_or_else(|e| {
                    fail(Finding::new(
                        "the test-admin API moves the clock",
                        "200",
                        e.to_string(),
                    ))
                });
            return;
        }
        let max = self.target().profile.expiry.max_wait;
        let wait = Duration::from_secs(seconds);
        if wait > max {
            skip(format!(
                "waiting {seconds} s for expiry exceeds the profile's max_wait of {} s and the target has no test-admin clock",
                max.as_secs()
            ));
        }
        tokio::time::sleep(wait).await;
    }
}

fn from_profile(c: &crate::target::profile::ClientProfile, wanted: Option<Scope>) -> TestClient {
    TestClient {
        id: c.id.clone(),
        secret: c.secret.clone(),
        method: c.auth_method,
        redirect_uri: c.redirect_uri.clone().unwrap_or_default(),
        scope: c.scope.clone().or(wanted),
        grant_types: c.grant_types.clone(),
        registration: None,
    }
}
