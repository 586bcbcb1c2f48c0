//! The raw shape of a profile, as serde reads it: unknown fields are errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::model::{ConsentPage, LoginStrategy, RefreshWith, ScenarioClients, TargetKind};
use crate::protocol::AuthMethod;
use crate::target::endpoint::Endpoint;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfile {
    pub(super) name: String,
    #[serde(default)]
    pub(super) kind: TargetKind,
    pub(super) issuer: Option<String>,
    #[serde(default)]
    pub(super) endpoints: RawEndpoints,
    #[serde(default)]
    pub(super) clients: Vec<RawClient>,
    pub(super) registration: Option<RawRegistration>,
    pub(super) login: Option<RawLogin>,
    #[serde(default)]
    pub(super) resources: Vec<RawResource>,
    pub(super) expiry: Option<RawExpiry>,
    pub(super) lifetimes: Option<RawLifetimes>,
    pub(super) test_admin: Option<RawTestAdmin>,
    pub(super) jwt_api: Option<RawJwtApi>,
    pub(super) relying_party: Option<crate::target::relying_party::RawRelyingParty>,
    pub(super) http: Option<RawHttp>,
    pub(super) tls: Option<crate::target::tls::RawTls>,
    pub(super) load: Option<crate::target::load::RawLoad>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEndpoints {
    pub(super) authorization: Option<String>,
    pub(super) token: Option<String>,
    pub(super) registration: Option<String>,
    pub(super) revocation: Option<String>,
    pub(super) introspection: Option<String>,
    pub(super) jwks: Option<String>,
    pub(super) userinfo: Option<String>,
}

impl RawEndpoints {
    pub(super) fn get(&self, e: Endpoint) -> &Option<String> {
        match e {
            Endpoint::Authorization => &self.authorization,
            Endpoint::Token => &self.token,
            Endpoint::Registration => &self.registration,
            Endpoint::Revocation => &self.revocation,
            Endpoint::Introspection => &self.introspection,
            Endpoint::Jwks => &self.jwks,
            Endpoint::Userinfo => &self.userinfo,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClient {
    pub(super) id: String,
    pub(super) secret: Option<String>,
    pub(super) auth_method: Option<AuthMethod>,
    pub(super) redirect_uri: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) grant_types: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRegistration {
    #[serde(default = "yes")]
    pub(super) enabled: bool,
    pub(super) redirect_uri: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) auth_method: Option<AuthMethod>,
    pub(super) initial_access_token: Option<String>,
    pub(super) scenario_clients: Option<ScenarioClients>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLogin {
    pub(super) strategy: Option<LoginStrategy>,
    #[serde(default)]
    pub(super) username: String,
    #[serde(default)]
    pub(super) password: String,
    pub(super) consent: Option<ConsentPage>,
    pub(super) fields: Option<RawLoginFields>,
    /// Value or label of the button that approves on the consent page.
    pub(super) consent_button: Option<String>,
    #[serde(default)]
    pub(super) authorization_params: BTreeMap<String, String>,
    /// `strategy = "command"`: the program and its first arguments.
    pub(super) command: Option<Vec<String>>,
    /// `strategy = "command"`: the longest one login may take.
    pub(super) command_timeout: Option<String>,
    /// `strategy = "api"`: the requests that log in.
    pub(super) api: Option<Vec<RawApiStep>>,
    /// `strategy = "api"`: values taken from the page the walk reached.
    #[serde(default)]
    pub(super) page_capture: BTreeMap<String, String>,
    /// `strategy = "api"`: where the walk goes on.
    #[serde(rename = "continue")]
    pub(super) continue_to: Option<String>,
    /// `strategy = "browser"`: selectors, timeout, executable.
    pub(super) browser: Option<RawBrowser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBrowser {
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
    pub(super) submit: Option<String>,
    pub(super) approve: Option<String>,
    pub(super) deny: Option<String>,
    pub(super) timeout: Option<String>,
    pub(super) executable: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApiStep {
    pub(super) method: Option<String>,
    pub(super) url: String,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    pub(super) json: Option<toml::Value>,
    pub(super) form: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) capture: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLoginFields {
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResource {
    pub(super) url: String,
    pub(super) method: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) role: Option<String>,
    pub(super) body: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpiry {
    pub(super) max_wait: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLifetimes {
    pub(super) code: Option<String>,
    pub(super) access: Option<String>,
    pub(super) refresh: Option<String>,
    pub(super) clock_skew: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTestAdmin {
    pub(super) url: String,
    pub(super) token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJwtApi {
    pub(super) login_url: String,
    pub(super) login_body: Option<toml::Value>,
    pub(super) token_field: Option<String>,
    pub(super) refresh_url: Option<String>,
    pub(super) refresh_token_field: Option<String>,
    pub(super) refresh_with: Option<RefreshWith>,
    pub(super) logout_url: Option<String>,
    #[serde(default)]
    pub(super) users: Vec<RawJwtUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJwtUser {
    pub(super) username: String,
    pub(super) password: String,
    #[serde(default)]
    pub(super) roles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    pub(super) timeout: Option<String>,
    /// Extra `host:port` pairs the harness may contact (hosts discovery
    /// names that no URL of the profile does).
    #[serde(default)]
    pub(super) allow_hosts: Vec<String>,
}
