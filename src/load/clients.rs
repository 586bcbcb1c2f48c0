//! The clients a load uses: a confidential client allowed `client_credentials`, and one
//! allowed `authorization_code` with a redirect URI; the profile's own, else one registered
//! under RFC 7591 when the target allows it.

use crate::driver::flow::{self, ClientAuth};
use crate::driver::{AuthMethod, ClientId, Driver, Scope};
use crate::protocol::GrantType;
use crate::target::profile::{ClientProfile, RegistrationProfile};
use crate::target::{Endpoint, Target};

use super::FlowsError;

/// A client the load uses: how it authenticates, and what it asks for.
#[derive(Clone, Debug)]
pub(super) struct LoadClient {
    pub(super) id: ClientId,
    pub(super) auth: ClientAuth,
    pub(super) redirect_uri: Option<String>,
    pub(super) scope: Option<Scope>,
}

/// The clients of a load.
pub(super) struct LoadClients {
    /// Allowed `client_credentials`, with a secret.
    pub(super) cc: Option<LoadClient>,
    /// Allowed `authorization_code`, with a redirect URI.
    pub(super) code: Option<LoadClient>,
}

impl LoadClients {
    /// The profile's clients; what they leave missing is registered once (one client for
    /// both) when the target lets the harness register.
    pub(super) async fn choose(target: &Target, driver: &Driver) -> Result<Self, FlowsError> {
        let p = &target.profile;
        let mut cc = p
            .confidential_client(&GrantType::ClientCredentials)
            .and_then(as_client);
        let mut code = p
            .clients
            .iter()
            .filter(|c| c.supports_grant(&GrantType::AuthorizationCode) && c.redirect_uri.is_some())
            .find(|c| !c.is_public())
            .and_then(as_client);
        if (cc.is_none() || code.is_none()) && target.can_register() {
            let client = register(target, driver).await?;
            cc.get_or_insert_with(|| client.clone());
            code.get_or_insert(client);
        }
        Ok(LoadClients { cc, code })
    }
}

fn as_client(c: &ClientProfile) -> Option<LoadClient> {
    ClientAuth::for_method(c.auth_method, &c.id, c.secret.as_ref()).map(|auth| LoadClient {
        id: c.id.clone(),
        auth,
        redirect_uri: c.redirect_uri.clone(),
        scope: c.scope.clone(),
    })
}

/// One confidential client for every grant of the load (RFC 7591).
async fn register(target: &Target, driver: &Driver) -> Result<LoadClient, FlowsError> {
    let reg: &RegistrationProfile = target
        .profile
        .registration
        .as_ref()
        .expect("can_register implies a registration section");
    let endpoint = target
        .endpoints
        .get(Endpoint::Registration)
        .expect("can_register");
    let method = match reg.auth_method {
        AuthMethod::None => AuthMethod::ClientSecretBasic,
        m => m,
    };
    let mut metadata = serde_json::json!({
        "redirect_uris": [reg.redirect_uri],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method.as_str(),
        "client_name": "oauthspec load",
    });
    if let Some(s) = &reg.scope {
        metadata["scope"] = serde_json::Value::String(s.to_string());
    }
    let answer = flow::register(
        driver,
        endpoint,
        &metadata,
        reg.initial_access_token.as_ref(),
    )
    .await
    .map_err(|e| FlowsError::Registration(e.to_string()))?;
    let status = answer.status;
    let text = answer.text();
    let info = answer
        .into_success()
        .ok_or_else(|| FlowsError::Registration(format!("status {status}: {text}")))?;
    let auth = ClientAuth::for_method(method, &info.client_id, info.client_secret.as_ref())
        .ok_or_else(|| FlowsError::Registration("no client_secret in the answer".into()))?;
    Ok(LoadClient {
        id: info.client_id,
        auth,
        redirect_uri: Some(reg.redirect_uri.clone()),
        scope: reg.scope.clone(),
    })
}
