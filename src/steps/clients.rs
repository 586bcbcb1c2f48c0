//! The clients a scenario acts as: registered for the scenario (RFC 7591)
//! when the profile lets the harness register them, else taken from the
//! profile's `[[clients]]`. A "second client" is always a different client
//! id, never the first one again.

use serde_json::json;

use super::Spec;
use super::outcome::{skip_with, unmet, unmet_with};
use crate::driver::flow::{self, ClientAuth};
use crate::protocol::AuthMethod;
use crate::protocol::{ClientId, ClientSecret, GrantType, Scope};
use crate::target::Endpoint;
use crate::target::profile::ClientProfile;

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

    /// The client as the profile lists it; `wanted` is the scope to ask
    /// for when the entry names none.
    pub fn from_profile(c: &ClientProfile, wanted: Option<Scope>) -> Self {
        TestClient {
            id: c.id.clone(),
            secret: c.secret.clone(),
            method: c.auth_method,
            redirect_uri: c.redirect_uri.clone().unwrap_or_default(),
            scope: c.scope.clone().or(wanted),
            grant_types: c.grant_types.iter().map(ToString::to_string).collect(),
            registration: None,
        }
    }
}

/// What kind of client a scenario needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientNeed {
    /// One that keeps a secret.
    Confidential,
    /// One without a secret (PKCE only).
    Public,
    /// Any client: a confidential one when there is one, else a public one.
    Any,
}

impl ClientNeed {
    fn words(self) -> &'static str {
        match self {
            ClientNeed::Confidential => "confidential client",
            ClientNeed::Public => "public client",
            ClientNeed::Any => "client",
        }
    }
}

/// The grants a registered client asks for, given the grant a scenario uses.
fn grants_for(grant: &str) -> &'static [&'static str] {
    match grant {
        "client_credentials" => &["client_credentials"],
        _ => &["authorization_code", "refresh_token"],
    }
}

impl Spec {
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
            .flat_map(|s| s.tokens().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        (!tokens.is_empty()).then(|| Scope::parse(&tokens.join(" ")))
    }

    /// Whether this scenario registers its clients (else it uses the
    /// profile's).
    pub fn registers_clients(&self) -> bool {
        let t = self.target();
        t.can_register() && t.profile.scenarios_register()
    }

    /// Registers a client for this scenario (RFC 7591) with these grant
    /// types and authentication method. A registration that fails is a
    /// setup error: the scenario never reached its rule.
    pub async fn register_client(&mut self, grants: &[&str], method: AuthMethod) -> TestClient {
        let Some(reg) = self
            .target()
            .profile
            .registration
            .clone()
            .filter(|r| r.enabled)
        else {
            unmet("harness bug: registering without [registration]");
        };
        let endpoint = self.endpoint(Endpoint::Registration);
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
            reg.initial_access_token.as_ref(),
        )
        .await;
        let res = self.answered(res, "the registration endpoint");
        let status = res.status;
        let text: String = res.text().chars().take(300).collect();
        let body = res.body.clone();
        let Some(ok) = res.into_success() else {
            unmet_with(
                format!(
                    "registering the scenario's {} client answered {status}: {text}",
                    method
                ),
                "check [registration] (initial_access_token, scope, redirect_uri), or set [registration] scenario_clients = \"profile\" and list [[clients]]",
            );
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

    /// A client of this kind allowed `grant`: registered for the scenario,
    /// or the first fitting `[[clients]]` entry; SKIPs with the profile
    /// change that would give one.
    pub async fn client_for(&mut self, need: ClientNeed, grant: &str) -> TestClient {
        self.require_authorization_server();
        if self.registers_clients() {
            let method = match need {
                ClientNeed::Public => AuthMethod::None,
                ClientNeed::Confidential | ClientNeed::Any => self
                    .target()
                    .profile
                    .registration
                    .as_ref()
                    .map(|r| r.auth_method)
                    .filter(|m| *m != AuthMethod::None)
                    .unwrap_or(AuthMethod::ClientSecretBasic),
            };
            return self.register_client(grants_for(grant), method).await;
        }
        let p = &self.target().profile;
        let fits = |c: &&ClientProfile| c.supports_grant(&GrantType::parse(grant));
        let found = match need {
            ClientNeed::Confidential => p.clients.iter().filter(fits).find(|c| !c.is_public()),
            ClientNeed::Public => p.clients.iter().filter(fits).find(|c| c.is_public()),
            ClientNeed::Any => p
                .clients
                .iter()
                .filter(fits)
                .find(|c| !c.is_public())
                .or_else(|| p.clients.iter().find(fits)),
        };
        match found {
            Some(c) => TestClient::from_profile(c, self.wanted_scope()),
            None => skip_with(
                format!(
                    "the profile names no {} for {grant} (and the harness does not register clients)",
                    need.words()
                ),
                format!(
                    "add a [[clients]] entry{} with grant_types = [\"{grant}\"], or enable [registration]",
                    match need {
                        ClientNeed::Public => " with auth_method = \"none\"",
                        ClientNeed::Confidential => " with a secret",
                        ClientNeed::Any => "",
                    }
                ),
            ),
        }
    }

    /// A confidential client that may use `grant`.
    pub async fn confidential_client(&mut self, grant: &str) -> TestClient {
        self.client_for(ClientNeed::Confidential, grant).await
    }

    /// A public client (PKCE, no secret) for the authorization code grant.
    pub async fn public_client(&mut self) -> TestClient {
        self.client_for(ClientNeed::Public, "authorization_code")
            .await
    }

    /// A second client for `grant`, with a different client id from the
    /// scenario's client: registered, or another `[[clients]]` entry.
    pub async fn second_client(&mut self, grant: &str) -> TestClient {
        let first = self.client();
        let other = if self.registers_clients() {
            let method = if first.is_public() {
                AuthMethod::None
            } else {
                first.method
            };
            self.register_client(grants_for(grant), method).await
        } else {
            let p = &self.target().profile;
            match p.other_client(first.id.as_str(), &GrantType::parse(grant)) {
                Some(c) => TestClient::from_profile(c, self.wanted_scope()),
                None => skip_with(
                    format!(
                        "the scenario needs a second client for {grant}, with a client id other than {}, and the profile names none",
                        first.id
                    ),
                    format!(
                        "add a second [[clients]] entry (another client id) with grant_types = [\"{grant}\"], or enable [registration]"
                    ),
                ),
            }
        };
        if other.id == first.id {
            unmet(format!(
                "the second client has the same client id as the first ({}): the scenario would test one client against itself",
                first.id
            ));
        }
        other
    }

    /// A confidential client that authenticates with `method`, for the
    /// authorization code flow; SKIPs when the server does not offer the
    /// method or the profile has no such client.
    pub async fn client_with_method(&mut self, method: AuthMethod) -> TestClient {
        self.require_authorization_server();
        let target = self.target();
        if let Some(m) = &target.metadata {
            let offered = m.token_endpoint_auth_methods();
            if !offered.iter().any(|o| o == method.as_str()) {
                skip_with(
                    format!(
                        "the server does not offer {method} (token_endpoint_auth_methods_supported = {})",
                        offered.join(", ")
                    ),
                    "nothing to change: the server does not offer it",
                );
            }
        }
        if self.registers_clients() {
            return self
                .register_client(&["authorization_code", "refresh_token"], method)
                .await;
        }
        let wanted = self.wanted_scope();
        match self.target().profile.clients.iter().find(|c| {
            c.auth_method == method
                && c.supports_grant(&GrantType::AuthorizationCode)
                && c.redirect_uri.is_some()
        }) {
            Some(c) => TestClient::from_profile(c, wanted),
            None => skip_with(
                format!(
                    "the profile names no {method} client for authorization_code (and the harness does not register clients)"
                ),
                format!(
                    "add a [[clients]] entry with auth_method = \"{method}\" and grant_types = [\"authorization_code\"]"
                ),
            ),
        }
    }

    /// Whether the scenario can get tokens through the authorization code
    /// flow: the profile says how to log in, and a client for it is
    /// registered or listed.
    pub fn code_flow_possible(&self) -> bool {
        let p = &self.target().profile;
        p.login.is_some()
            && (self.registers_clients()
                || p.clients.iter().any(|c| {
                    c.supports_grant(&GrantType::AuthorizationCode) && c.redirect_uri.is_some()
                }))
    }

    /// SKIPs unless the target is an OAuth authorization server: a JWT API
    /// or a relying-party app has no clients and no registration.
    pub fn require_authorization_server(&self) {
        if self.target().profile.kind != crate::target::TargetKind::OAuth {
            skip_with(
                "the target is not an OAuth authorization server, so it has no clients",
                "nothing to change: the scenario is about authorization servers",
            );
        }
    }

    /// The scenario's client; a harness bug if no step made one.
    pub fn client(&self) -> TestClient {
        self.flow
            .client
            .clone()
            .unwrap_or_else(|| unmet("harness bug: no client in this scenario (add a Given step)"))
    }

    /// The scenario's second client.
    pub fn other_client(&self) -> TestClient {
        self.flow
            .other_client
            .clone()
            .unwrap_or_else(|| unmet("harness bug: no second client in this scenario"))
    }

    /// The scenario's client, which must keep a secret for this scenario's
    /// rule; SKIPs when the target gave a public one.
    pub fn confidential(&self) -> TestClient {
        let c = self.client();
        if c.is_public() {
            skip_with(
                format!(
                    "the rule concerns a client that authenticates, and the scenario's client {} is public",
                    c.id
                ),
                "add a confidential [[clients]] entry (with a secret), or enable [registration]",
            );
        }
        c
    }
}
