//! The typed profile: what validation makes of the TOML.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::driver::api_login::ApiLogin;
use crate::driver::browser::login::BrowserLogin;
use crate::driver::command::LoginCommand;
use crate::driver::flow::{LoginCredentials, WalkOptions};
use crate::driver::forms::ConsentChoice;
use crate::driver::http::HostAllowlist;
use crate::protocol::AuthMethod;
use crate::protocol::{ClientId, ClientSecret, GrantType, InitialAccessToken, Scope};

/// What kind of server the target is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum TargetKind {
    /// An OAuth 2.0 authorization server, possibly with resource servers.
    #[default]
    #[serde(rename = "oauth")]
    OAuth,
    /// An API that issues its own JWTs from a login endpoint.
    #[serde(rename = "jwt-api")]
    JwtApi,
    /// An app that logs its users in through an upstream OpenID provider
    /// (which the harness fakes) and then issues its own session or token.
    #[serde(rename = "relying-party")]
    RelyingParty,
}

/// Endpoints given in the profile (`[endpoints]`); they win over discovery.
pub type EndpointOverrides = crate::target::endpoint::Endpoints;

/// A client registered with the target beforehand.
#[derive(Clone, Debug)]
pub struct ClientProfile {
    pub id: ClientId,
    pub secret: Option<ClientSecret>,
    pub auth_method: AuthMethod,
    /// Exactly as registered (servers compare redirect URIs as strings).
    pub redirect_uri: Option<String>,
    pub scope: Option<Scope>,
    pub grant_types: Vec<GrantType>,
}

impl ClientProfile {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn supports_grant(&self, grant: &GrantType) -> bool {
        self.grant_types.contains(grant)
    }
}

/// Where the clients of scenarios come from when the harness may register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioClients {
    /// Each scenario registers its own clients (RFC 7591); the default.
    #[default]
    Registered,
    /// Scenarios use the profile's `[[clients]]`; registration is used only
    /// by the registration area.
    Profile,
}

/// Clients the harness registers itself (RFC 7591).
#[derive(Clone, Debug)]
pub struct RegistrationProfile {
    pub enabled: bool,
    pub redirect_uri: String,
    pub scope: Option<Scope>,
    pub auth_method: AuthMethod,
    /// Bearer token for the registration endpoint, if it is protected.
    pub initial_access_token: Option<InitialAccessToken>,
    /// Whether scenarios register their clients or use the profile's.
    pub scenario_clients: ScenarioClients,
}

/// Names of the login form's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginFields {
    pub username: String,
    pub password: String,
}

/// How the harness gets a user through the login page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStrategy {
    /// Fill the HTML login form like a browser without scripts (the default).
    #[default]
    Form,
    /// There is no login page: the authorization endpoint redirects straight
    /// back to the client (auto-approve, e.g. a server configured for CI).
    None,
    /// An external program logs in and prints where the browser ended
    /// (`[login] command`; the contract is in `driver::command`).
    Command,
    /// HTTP calls listed in `[[login.api]]` log in at the first page the
    /// walk reaches (see `driver::api_login`).
    Api,
    /// A headless Chromium runs the pages' scripts; `[login.browser]` names
    /// the fields and buttons (see `driver::browser::login`).
    Browser,
}

/// Whether the server shows a consent page after login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPage {
    /// An HTML consent form, approved or denied with its buttons (the default).
    #[default]
    Form,
    /// No consent page: approval is implicit.
    None,
}

/// How to get through the authorization endpoint as a user.
#[derive(Clone)]
pub struct LoginProfile {
    pub strategy: LoginStrategy,
    pub username: String,
    pub password: String,
    pub fields: LoginFields,
    /// Whether there is a consent page at all.
    pub consent_page: ConsentPage,
    /// Which consent button approves.
    pub consent: ConsentChoice,
    /// Extra parameters every authorization request carries, e.g.
    /// `prompt = "consent"`, which OpenID providers need before they honour
    /// `offline_access` (OpenID Connect Core §11).
    pub authorization_params: Vec<(String, String)>,
    /// With `strategy = "command"`: the program that logs in.
    pub command: Option<LoginCommand>,
    /// With `strategy = "api"`: the requests that log in.
    pub api: Option<ApiLogin>,
    /// With `strategy = "browser"`: the selectors and the shared browser.
    pub browser: Option<BrowserLogin>,
}

impl fmt::Debug for LoginProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginProfile")
            .field("strategy", &self.strategy)
            .field("username", &self.username)
            .field("password", &"«redacted»")
            .field("fields", &self.fields)
            .field("consent", &self.consent)
            .field("command", &self.command)
            .field("api", &self.api.as_ref().map(|a| a.steps.len()))
            .field("browser", &self.browser)
            .finish()
    }
}

impl LoginProfile {
    pub fn credentials(&self) -> LoginCredentials {
        LoginCredentials {
            username: self.username.clone(),
            password: self.password.clone(),
            username_field: self.fields.username.clone(),
            password_field: self.fields.password.clone(),
        }
    }

    /// Options for `driver::flow::authorize` that log in as this user (when
    /// there is a login page) and approve (when there is a consent page).
    pub fn walk_options(&self) -> WalkOptions {
        WalkOptions {
            login: matches!(
                self.strategy,
                LoginStrategy::Form
                    | LoginStrategy::Command
                    | LoginStrategy::Api
                    | LoginStrategy::Browser
            )
            .then(|| self.credentials()),
            consent: self.consent.clone(),
            consent_page: self.consent_page == ConsentPage::Form,
            command: self.command.clone(),
            api: self.api.clone(),
            browser: self.browser.clone(),
            ..WalkOptions::default()
        }
    }
}

/// A protected endpoint and what it needs.
#[derive(Clone, Debug)]
pub struct ResourceProfile {
    pub url: Url,
    /// Upper case: GET, POST, ….
    pub method: String,
    pub scope: Option<Scope>,
    /// For jwt-api targets: the role claim value it needs.
    pub role: Option<String>,
    /// JSON body to send (e.g. for POST).
    pub body: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryProfile {
    /// How long an expiry scenario may wait for a token to expire.
    pub max_wait: Duration,
}

/// How long the target's credentials live, as far as the profile knows
/// (`[lifetimes]`): expiry scenarios wait exactly what these imply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// Authorization codes; `None`: not known (RFC 6749 §4.1.2 recommends
    /// at most 600 s, which a scenario of its own checks).
    pub code: Option<Duration>,
    /// Access tokens; `None`: the token response's `expires_in`.
    pub access: Option<Duration>,
    /// Refresh tokens, from the time they are issued; `None`: what
    /// introspection says (`exp`), else unknown.
    pub refresh: Option<Duration>,
    /// How long past its end of life a credential may still be accepted
    /// (RFC 7519 §4.1.4: "some small leeway, usually no more than a few
    /// minutes, to account for clock skew"). Default 60 s.
    pub clock_skew: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            code: None,
            access: None,
            refresh: None,
            clock_skew: Duration::from_secs(60),
        }
    }
}

/// The reference server's admin API (`serve --test-admin`).
#[derive(Clone)]
pub struct TestAdminProfile {
    pub url: Url,
    pub token: String,
}

impl fmt::Debug for TestAdminProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestAdminProfile")
            .field("url", &self.url)
            .field("token", &"«redacted»")
            .finish()
    }
}

/// How a jwt-api target takes its refresh token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshWith {
    /// `Authorization: Bearer <refresh token>` (Flask-JWT-Extended).
    #[default]
    Bearer,
    /// A JSON body `{ <refresh_token_field>: <refresh token> }`.
    Body,
}

/// A user of a jwt-api target.
#[derive(Clone)]
pub struct JwtUser {
    pub username: String,
    pub password: String,
    pub roles: Vec<String>,
}

impl fmt::Debug for JwtUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtUser")
            .field("username", &self.username)
            .field("password", &"«redacted»")
            .field("roles", &self.roles)
            .finish()
    }
}

/// An API that issues its own JWTs from a login endpoint.
#[derive(Clone, Debug)]
pub struct JwtApiProfile {
    pub login_url: Url,
    /// JSON template; `{username}` and `{password}` in string values are replaced.
    pub login_body: serde_json::Value,
    pub token_field: String,
    pub refresh_url: Option<Url>,
    pub refresh_token_field: String,
    pub refresh_with: RefreshWith,
    pub logout_url: Option<Url>,
    pub users: Vec<JwtUser>,
}

impl JwtApiProfile {
    /// The login body for a user.
    pub fn login_body_for(&self, user: &JwtUser) -> serde_json::Value {
        fn fill(v: &serde_json::Value, user: &JwtUser) -> serde_json::Value {
            match v {
                serde_json::Value::String(s) => serde_json::Value::String(
                    s.replace("{username}", &user.username)
                        .replace("{password}", &user.password),
                ),
                serde_json::Value::Array(a) => {
                    serde_json::Value::Array(a.iter().map(|x| fill(x, user)).collect())
                }
                serde_json::Value::Object(o) => serde_json::Value::Object(
                    o.iter().map(|(k, x)| (k.clone(), fill(x, user))).collect(),
                ),
                other => other.clone(),
            }
        }
        fill(&self.login_body, user)
    }

    /// The first user with this role.
    pub fn user_with_role(&self, role: &str) -> Option<&JwtUser> {
        self.users
            .iter()
            .find(|u| u.roles.iter().any(|r| r == role))
    }

    /// The first user without this role.
    pub fn user_without_role(&self, role: &str) -> Option<&JwtUser> {
        self.users
            .iter()
            .find(|u| !u.roles.iter().any(|r| r == role))
    }
}

pub use crate::target::relying_party::{RelyingPartyProfile, RpSession, RpSuccess, TokenFrom};

/// A parsed, validated target profile.
#[derive(Clone, Debug)]
pub struct TargetProfile {
    /// The file it came from.
    pub source: PathBuf,
    pub name: String,
    pub kind: TargetKind,
    pub issuer: Option<Url>,
    pub endpoints: EndpointOverrides,
    pub clients: Vec<ClientProfile>,
    pub registration: Option<RegistrationProfile>,
    pub login: Option<LoginProfile>,
    pub resources: Vec<ResourceProfile>,
    pub expiry: ExpiryProfile,
    pub lifetimes: Lifetimes,
    pub test_admin: Option<TestAdminProfile>,
    pub jwt_api: Option<JwtApiProfile>,
    pub relying_party: Option<RelyingPartyProfile>,
    /// Timeout of every request to the target.
    pub timeout: Duration,
    /// Every host:port the profile names (issuer, endpoints, resources, jwt-api URLs, test
    /// admin, `[http] allow_hosts`): the only ones the driver may contact. Redirect URIs are
    /// not in it.
    pub allowed_hosts: HostAllowlist,
    /// `[tls]`: extra trusted CAs, a client certificate, or verification off.
    pub tls: crate::driver::tls::TlsSettings,
    /// `[load]`: what `oauthspec load` adds to its token requests.
    pub load: crate::target::load::LoadProfile,
}
