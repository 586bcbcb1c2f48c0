//! Target profiles: a TOML file that says where the target is and what the harness may use
//! there. Parsing errors name the file, the 1-based line and column, and the field at fault:
//!
//! ```text
//! examples/targets/x.toml:7:1: clients[0].redirect_uri: relative URL without a base
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use crate::driver::api_login::{self, ApiBody, ApiLogin, ApiStep, Capture, CaptureFrom};
use crate::driver::browser::login::{BrowserLogin, Selectors};
use crate::driver::command::LoginCommand;
use crate::driver::flow::{LoginCredentials, WalkOptions};
use crate::driver::forms::ConsentChoice;
use crate::driver::http::{Driver, DriverConfig, DriverError, HostAllowlist, HostPort};
use crate::protocol::AuthMethod;
use crate::protocol::{ClientId, ClientSecret, Scope};

// ---------------------------------------------------------------------------------------------
// Errors

/// Where in a profile something is wrong, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileIssue {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted path of the field, e.g. `clients[0].redirect_uri`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ProfileIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// A profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{}: cannot read the target profile: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(ProfileIssue),
}

impl ProfileError {
    /// The issue, for an invalid profile.
    pub fn issue(&self) -> Option<&ProfileIssue> {
        match self {
            ProfileError::Invalid(i) => Some(i),
            ProfileError::Read { .. } => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The profile

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

/// Endpoints given in the profile; they win over discovery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    pub authorization: Option<Url>,
    pub token: Option<Url>,
    pub registration: Option<Url>,
    pub revocation: Option<Url>,
    pub introspection: Option<Url>,
    pub jwks: Option<Url>,
}

/// A client registered with the target beforehand.
#[derive(Clone, Debug)]
pub struct ClientProfile {
    pub id: ClientId,
    pub secret: Option<ClientSecret>,
    pub auth_method: AuthMethod,
    /// Exactly as registered (servers compare redirect URIs as strings).
    pub redirect_uri: Option<String>,
    pub scope: Option<Scope>,
    pub grant_types: Vec<String>,
}

impl ClientProfile {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn supports_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
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
#[derive(Clone)]
pub struct RegistrationProfile {
    pub enabled: bool,
    pub redirect_uri: String,
    pub scope: Option<Scope>,
    pub auth_method: AuthMethod,
    /// Bearer token for the registration endpoint, if it is protected.
    pub initial_access_token: Option<String>,
    /// Whether scenarios register their clients or use the profile's.
    pub scenario_clients: ScenarioClients,
}

impl fmt::Debug for RegistrationProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationProfile")
            .field("enabled", &self.enabled)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("auth_method", &self.auth_method)
            .field(
                "initial_access_token",
                &self.initial_access_token.as_ref().map(|_| "«redacted»"),
            )
            .field("scenario_clients", &self.scenario_clients)
            .finish()
    }
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

pub use super::relying_party::{RelyingPartyProfile, RpSession, RpSuccess, TokenFrom};

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
    pub load: super::load::LoadProfile,
}

impl TargetProfile {
    /// Reads and validates a profile file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates profile text; `source` is used in error messages.
    pub fn parse(text: &str, source: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let source = source.as_ref();
        let doc = match DeTable::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                return Err(issue(source, text, span.start, String::new(), e.message()));
            }
        };
        let raw: RawProfile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let field = path_at(&doc, span.start);
                return Err(issue(source, text, span.start, field, e.message()));
            }
        };
        let mut v = Validator {
            source,
            text,
            doc: &doc,
        };
        v.build(raw)
    }

    /// A driver that may contact exactly the hosts this profile names.
    pub fn driver(&self) -> Result<Driver, DriverError> {
        Driver::new(
            self.allowed_hosts.clone(),
            DriverConfig {
                timeout: self.timeout,
                tls: self.tls.clone(),
                ..DriverConfig::default()
            },
        )
    }

    pub fn client(&self, id: &str) -> Option<&ClientProfile> {
        self.clients.iter().find(|c| c.id.as_str() == id)
    }

    /// The first confidential client allowed this grant.
    pub fn confidential_client(&self, grant: &str) -> Option<&ClientProfile> {
        self.clients
            .iter()
            .find(|c| !c.is_public() && c.supports_grant(grant))
    }

    /// The first public client allowed this grant.
    pub fn public_client(&self, grant: &str) -> Option<&ClientProfile> {
        self.clients
            .iter()
            .find(|c| c.is_public() && c.supports_grant(grant))
    }

    /// Whether the harness may register clients itself.
    pub fn registration_enabled(&self) -> bool {
        self.registration.as_ref().is_some_and(|r| r.enabled)
    }

    /// Whether scenarios register their own clients (rather than use the
    /// profile's `[[clients]]`).
    pub fn scenarios_register(&self) -> bool {
        self.registration
            .as_ref()
            .is_some_and(|r| r.enabled && r.scenario_clients == ScenarioClients::Registered)
    }

    /// Another client of the profile than `not`, allowed `grant`:
    /// confidential ones first.
    pub fn other_client(&self, not: &str, grant: &str) -> Option<&ClientProfile> {
        let fits = |c: &&ClientProfile| c.id.as_str() != not && c.supports_grant(grant);
        self.clients
            .iter()
            .filter(fits)
            .find(|c| !c.is_public())
            .or_else(|| self.clients.iter().find(fits))
    }
}

fn issue(source: &Path, text: &str, offset: usize, field: String, message: &str) -> ProfileError {
    let (line, column) = line_col(text, offset);
    ProfileError::Invalid(ProfileIssue {
        file: source.to_owned(),
        line,
        column,
        field,
        message: message.trim().to_owned(),
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

// ---------------------------------------------------------------------------------------------
// Spans: from a byte offset to a field path, and from a field path to a span

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn render_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

/// The dotted path of the deepest key or value whose span holds `pos`.
fn path_at(doc: &Spanned<DeTable<'_>>, pos: usize) -> String {
    let mut path = Vec::new();
    walk_table(doc.get_ref(), pos, &mut path);
    render_path(&path)
}

fn walk_table(table: &DeTable<'_>, pos: usize, path: &mut Vec<Seg>) {
    for (k, v) in table.iter() {
        if contains(&k.span(), pos) {
            path.push(Seg::Key(k.get_ref().to_string()));
            return;
        }
        if contains(&v.span(), pos) {
            path.push(Seg::Key(k.get_ref().to_string()));
            walk_value(v.get_ref(), pos, path);
            return;
        }
    }
    // Tables written as `[section]` headers may not span their contents: look inside anyway.
    for (k, v) in table.iter() {
        let mut sub = vec![Seg::Key(k.get_ref().to_string())];
        let before = sub.len();
        walk_value(v.get_ref(), pos, &mut sub);
        if sub.len() > before {
            path.extend(sub);
            return;
        }
    }
}

fn walk_value(value: &DeValue<'_>, pos: usize, path: &mut Vec<Seg>) {
    match value {
        DeValue::Table(t) => walk_table(t, pos, path),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                let before = path.len();
                path.push(Seg::Index(i));
                if contains(&item.span(), pos) {
                    walk_value(item.get_ref(), pos, path);
                    return;
                }
                walk_value(item.get_ref(), pos, path);
                if path.len() > before + 1 {
                    return;
                }
                path.truncate(before);
            }
        }
        _ => {}
    }
}

/// The span to point at for a path: the key of the last segment that exists (so a missing
/// field points at its table), or the start of the file.
fn span_of(doc: &Spanned<DeTable<'_>>, path: &[Seg]) -> Range<usize> {
    let mut best = 0..0;
    let mut current: &DeValue<'_> = &DeValue::Boolean(false);
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    for seg in path {
        match (seg, table, current) {
            (Seg::Key(k), Some(t), _) => {
                let Some((key, value)) = t.iter().find(|(key, _)| key.get_ref() == k) else {
                    break;
                };
                best = key.span();
                current = value.get_ref();
            }
            (Seg::Index(i), _, DeValue::Array(a)) => {
                let Some(item) = a.get(*i) else { break };
                best = item.span();
                current = item.get_ref();
            }
            _ => break,
        }
        table = match current {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    best
}

// ---------------------------------------------------------------------------------------------
// The raw shape, as serde reads it

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    #[serde(default)]
    kind: TargetKind,
    issuer: Option<String>,
    #[serde(default)]
    endpoints: RawEndpoints,
    #[serde(default)]
    clients: Vec<RawClient>,
    registration: Option<RawRegistration>,
    login: Option<RawLogin>,
    #[serde(default)]
    resources: Vec<RawResource>,
    expiry: Option<RawExpiry>,
    lifetimes: Option<RawLifetimes>,
    test_admin: Option<RawTestAdmin>,
    jwt_api: Option<RawJwtApi>,
    relying_party: Option<super::relying_party::RawRelyingParty>,
    http: Option<RawHttp>,
    tls: Option<super::tls::RawTls>,
    load: Option<super::load::RawLoad>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoints {
    authorization: Option<String>,
    token: Option<String>,
    registration: Option<String>,
    revocation: Option<String>,
    introspection: Option<String>,
    jwks: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    id: String,
    secret: Option<String>,
    auth_method: Option<AuthMethod>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    grant_types: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistration {
    #[serde(default = "yes")]
    enabled: bool,
    redirect_uri: Option<String>,
    scope: Option<String>,
    auth_method: Option<AuthMethod>,
    initial_access_token: Option<String>,
    scenario_clients: Option<ScenarioClients>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogin {
    strategy: Option<LoginStrategy>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    consent: Option<ConsentPage>,
    fields: Option<RawLoginFields>,
    /// Value or label of the button that approves on the consent page.
    consent_button: Option<String>,
    #[serde(default)]
    authorization_params: std::collections::BTreeMap<String, String>,
    /// `strategy = "command"`: the program and its first arguments.
    command: Option<Vec<String>>,
    /// `strategy = "command"`: the longest one login may take.
    command_timeout: Option<String>,
    /// `strategy = "api"`: the requests that log in.
    api: Option<Vec<RawApiStep>>,
    /// `strategy = "api"`: values taken from the page the walk reached.
    #[serde(default)]
    page_capture: std::collections::BTreeMap<String, String>,
    /// `strategy = "api"`: where the walk goes on.
    #[serde(rename = "continue")]
    continue_to: Option<String>,
    /// `strategy = "browser"`: selectors, timeout, executable.
    browser: Option<RawBrowser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBrowser {
    username: Option<String>,
    password: Option<String>,
    submit: Option<String>,
    approve: Option<String>,
    deny: Option<String>,
    timeout: Option<String>,
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApiStep {
    method: Option<String>,
    url: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    json: Option<toml::Value>,
    form: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    capture: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoginFields {
    username: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    url: String,
    method: Option<String>,
    scope: Option<String>,
    role: Option<String>,
    body: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpiry {
    max_wait: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifetimes {
    code: Option<String>,
    access: Option<String>,
    refresh: Option<String>,
    clock_skew: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTestAdmin {
    url: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJwtApi {
    login_url: String,
    login_body: Option<toml::Value>,
    token_field: Option<String>,
    refresh_url: Option<String>,
    refresh_token_field: Option<String>,
    refresh_with: Option<RefreshWith>,
    logout_url: Option<String>,
    #[serde(default)]
    users: Vec<RawJwtUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJwtUser {
    username: String,
    password: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    timeout: Option<String>,
    /// Extra `host:port` pairs the harness may contact (hosts discovery
    /// names that no URL of the profile does).
    #[serde(default)]
    allow_hosts: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Parses a duration such as `500ms`, `10s`, `2m`, `1h` or `1m30s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{s}` is not a duration: expected a number, as in \"500ms\", \"10s\", \"2m\""
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{s}`: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "" => {
                return Err(format!(
                    "`{s}` has no unit: write e.g. \"{n}s\" (units: ms, s, m, h)"
                ));
            }
            other => {
                return Err(format!(
                    "`{s}`: unknown unit `{other}` (units: ms, s, m, h)"
                ));
            }
        };
        total = total.saturating_add(d);
    }
    Ok(total)
}

pub(super) struct Validator<'a> {
    source: &'a Path,
    text: &'a str,
    doc: &'a Spanned<DeTable<'a>>,
}

/// A path written like `clients[0].redirect_uri`.
fn parse_path(p: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in p.split('.') {
        let (key, mut idx) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key.to_owned()));
        }
        while let Some(end) = idx.find(']') {
            if let Ok(n) = idx[1..end].parse() {
                out.push(Seg::Index(n));
            }
            idx = &idx[end + 1..];
        }
    }
    out
}

impl Validator<'_> {
    /// The bytes of a file a profile field names, relative to the profile's directory.
    pub(super) fn read_file(&self, field: &str, file: &str) -> Result<Vec<u8>, ProfileError> {
        let path = Path::new(file);
        let path = match self.source.parent() {
            Some(dir) if path.is_relative() && !dir.as_os_str().is_empty() => dir.join(path),
            _ => path.to_path_buf(),
        };
        std::fs::read(&path)
            .map_err(|e| self.err(field, format!("cannot read {}: {e}", path.display())))
    }

    pub(super) fn err(&self, field: &str, message: impl AsRef<str>) -> ProfileError {
        let span = span_of(self.doc, &parse_path(field));
        issue(
            self.source,
            self.text,
            span.start,
            field.to_owned(),
            message.as_ref(),
        )
    }

    pub(super) fn url(&self, field: &str, value: &str) -> Result<Url, ProfileError> {
        let url = Url::parse(value).map_err(|e| self.err(field, e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(self.err(
                field,
                format!(
                    "`{}` URLs are not supported: use http or https",
                    url.scheme()
                ),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(self.err(field, "the URL has no host"));
        }
        Ok(url)
    }

    fn opt_url(&self, field: &str, value: &Option<String>) -> Result<Option<Url>, ProfileError> {
        value.as_deref().map(|v| self.url(field, v)).transpose()
    }

    fn redirect_uri(&self, field: &str, value: &str) -> Result<String, ProfileError> {
        let url = self.url(field, value)?;
        if url.fragment().is_some() {
            return Err(self.err(
                field,
                "a redirect URI must not have a fragment (RFC 6749 §3.1.2)",
            ));
        }
        Ok(value.to_owned())
    }

    pub(super) fn duration(
        &self,
        field: &str,
        value: &Option<String>,
        default: Duration,
    ) -> Result<Duration, ProfileError> {
        match value {
            None => Ok(default),
            Some(v) => {
                let d = parse_duration(v).map_err(|m| self.err(field, m))?;
                if d.is_zero() {
                    return Err(self.err(field, "must be longer than zero"));
                }
                Ok(d)
            }
        }
    }

    /// `[[login.api]]`, `page_capture` and `continue`, checked: only with
    /// `strategy = "api"`, each placeholder known by the time it is used.
    fn api_login(
        &self,
        strategy: LoginStrategy,
        l: &RawLogin,
    ) -> Result<Option<ApiLogin>, ProfileError> {
        let steps = match (strategy, &l.api) {
            (LoginStrategy::Api, Some(steps)) if !steps.is_empty() => steps,
            (LoginStrategy::Api, _) => {
                return Err(self.err(
                    "login.strategy",
                    "strategy = \"api\" needs [[login.api]] requests",
                ));
            }
            (_, None) if l.page_capture.is_empty() && l.continue_to.is_none() => return Ok(None),
            (_, Some(_)) => {
                return Err(self.err("login.api", "only used with strategy = \"api\""));
            }
            (_, None) => {
                let field = if l.continue_to.is_some() {
                    "login.continue"
                } else {
                    "login.page_capture"
                };
                return Err(self.err(field, "only used with strategy = \"api\""));
            }
        };
        let captures = |field: &str, raw: &std::collections::BTreeMap<String, String>| {
            raw.iter()
                .map(|(name, from)| {
                    CaptureFrom::parse(from)
                        .map(|from| Capture {
                            name: name.clone(),
                            from,
                        })
                        .map_err(|m| self.err(&format!("{field}.{name}"), m))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut out = Vec::new();
        for (i, raw) in steps.iter().enumerate() {
            let at = |f: &str| format!("login.api[{i}].{f}");
            let method = raw.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
            let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| {
                self.err(&at("method"), format!("{method:?} is not an HTTP method"))
            })?;
            let body = match (&raw.json, &raw.form) {
                (Some(_), Some(_)) => {
                    return Err(self.err(&at("form"), "give json or form, not both"));
                }
                (Some(j), None) => ApiBody::Json(
                    serde_json::to_value(j).map_err(|e| self.err(&at("json"), e.to_string()))?,
                ),
                (None, Some(f)) => {
                    ApiBody::Form(f.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                }
                (None, None) => ApiBody::None,
            };
            out.push(ApiStep {
                method,
                url: raw.url.clone(),
                headers: raw
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                body,
                capture: captures(&at("capture"), &raw.capture)?,
            });
        }
        let api = ApiLogin {
            page_capture: captures("login.page_capture", &l.page_capture)?,
            steps: out,
            continue_to: l.continue_to.clone(),
        };
        for (field, template, known) in api.templates() {
            for name in api_login::placeholders(&template) {
                if !api_login::BUILT_IN.contains(&name.as_str()) && !known.contains(&name) {
                    let field = if field.starts_with("login.continue") {
                        field
                    } else {
                        field.split('.').take(2).collect::<Vec<_>>().join(".")
                    };
                    return Err(self.err(
                        &field,
                        format!(
                            "{{{name}}} is not known here: use {} or a name captured before",
                            api_login::BUILT_IN.map(|b| format!("{{{b}}}")).join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Some(api))
    }

    /// `[login.browser]`: only with `strategy = "browser"`; the approving
    /// button is needed unless there is no consent page.
    fn browser_login(
        &self,
        strategy: LoginStrategy,
        l: &RawLogin,
    ) -> Result<Option<BrowserLogin>, ProfileError> {
        match (strategy, &l.browser) {
            (LoginStrategy::Browser, _) => {}
            (_, Some(_)) => {
                return Err(self.err("login.browser", "only used with strategy = \"browser\""));
            }
            (_, None) => return Ok(None),
        }
        let empty = RawBrowser {
            username: None,
            password: None,
            submit: None,
            approve: None,
            deny: None,
            timeout: None,
            executable: None,
        };
        let b = l.browser.as_ref().unwrap_or(&empty);
        let field_name = |f: Option<&RawLoginFields>, user: bool| {
            f.and_then(|f| {
                if user {
                    f.username.clone()
                } else {
                    f.password.clone()
                }
            })
        };
        let username = b.username.clone().unwrap_or_else(|| {
            let name = field_name(l.fields.as_ref(), true).unwrap_or_else(|| "username".into());
            format!("input[name={name:?}]")
        });
        let password = b.password.clone().unwrap_or_else(|| {
            field_name(l.fields.as_ref(), false).map_or_else(
                || "input[type=password]".into(),
                |n| format!("input[name={n:?}]"),
            )
        });
        let consent_page = l.consent.unwrap_or_default() == ConsentPage::Form;
        if consent_page && b.approve.is_none() {
            return Err(self.err(
                if l.browser.is_some() { "login.browser" } else { "login.strategy" },
                "name the consent page's approving button: [login.browser] approve = \"CSS selector\" (or consent = \"none\" if there is no consent page)",
            ));
        }
        Ok(Some(BrowserLogin::new(
            Selectors {
                username,
                password,
                submit: b.submit.clone(),
                approve: b.approve.clone(),
                deny: b.deny.clone(),
            },
            self.duration("login.browser.timeout", &b.timeout, Duration::from_secs(15))?,
            b.executable.clone(),
        )))
    }

    pub(super) fn non_empty(&self, field: &str, value: &str) -> Result<(), ProfileError> {
        if value.trim().is_empty() {
            Err(self.err(field, "must not be empty"))
        } else {
            Ok(())
        }
    }

    fn build(&mut self, raw: RawProfile) -> Result<TargetProfile, ProfileError> {
        self.non_empty("name", &raw.name)?;

        let issuer = self.opt_url("issuer", &raw.issuer)?;
        if issuer
            .as_ref()
            .is_some_and(|i| i.query().is_some() || i.fragment().is_some())
        {
            return Err(self.err("issuer", "an issuer has no query or fragment (RFC 8414 §2)"));
        }
        let e = &raw.endpoints;
        let endpoints = EndpointOverrides {
            authorization: self.opt_url("endpoints.authorization", &e.authorization)?,
            token: self.opt_url("endpoints.token", &e.token)?,
            registration: self.opt_url("endpoints.registration", &e.registration)?,
            revocation: self.opt_url("endpoints.revocation", &e.revocation)?,
            introspection: self.opt_url("endpoints.introspection", &e.introspection)?,
            jwks: self.opt_url("endpoints.jwks", &e.jwks)?,
        };

        let mut clients: Vec<ClientProfile> = Vec::new();
        for (i, c) in raw.clients.iter().enumerate() {
            let at = |f: &str| format!("clients[{i}].{f}");
            self.non_empty(&at("id"), &c.id)?;
            if clients.iter().any(|o| o.id.as_str() == c.id) {
                return Err(self.err(&at("id"), format!("client `{}` is listed twice", c.id)));
            }
            let auth_method = c.auth_method.unwrap_or(if c.secret.is_some() {
                AuthMethod::ClientSecretBasic
            } else {
                AuthMethod::None
            });
            match (auth_method, &c.secret) {
                (AuthMethod::None, Some(_)) => {
                    return Err(self.err(
                        &at("secret"),
                        "a public client (auth_method = \"none\") has no secret",
                    ));
                }
                (AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth, Some(_)) => {
                    return Err(self.err(
                        &at("secret"),
                        format!("a `{auth_method}` client proves itself with its certificate ([tls] client_cert), not a secret"),
                    ));
                }
                (AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost, None) => {
                    return Err(self.err(
                        &at("auth_method"),
                        format!("`{auth_method}` needs a `secret`"),
                    ));
                }
                _ => {}
            }
            let redirect_uri = c
                .redirect_uri
                .as_deref()
                .map(|r| self.redirect_uri(&at("redirect_uri"), r))
                .transpose()?;
            let grant_types = c
                .grant_types
                .clone()
                .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
            if grant_types.iter().any(|g| g == "authorization_code") && redirect_uri.is_none() {
                return Err(self.err(
                    &format!("clients[{i}]"),
                    "a client for the authorization_code grant needs a `redirect_uri`",
                ));
            }
            clients.push(ClientProfile {
                id: ClientId::new(c.id.clone()),
                secret: c.secret.clone().map(ClientSecret::new),
                auth_method,
                redirect_uri,
                scope: c.scope.as_deref().map(Scope::parse),
                grant_types,
            });
        }

        let registration = match &raw.registration {
            None => None,
            Some(r) => Some(RegistrationProfile {
                enabled: r.enabled,
                redirect_uri: match &r.redirect_uri {
                    Some(u) => self.redirect_uri("registration.redirect_uri", u)?,
                    None => DEFAULT_REDIRECT_URI.to_owned(),
                },
                scope: r.scope.as_deref().map(Scope::parse),
                auth_method: match r.auth_method {
                    Some(m) if m.by_certificate() => {
                        return Err(self.err(
                            "registration.auth_method",
                            format!("the harness cannot register `{m}` clients (RFC 8705 §2.1.2 needs the certificate's subject in the metadata): list the client in [[clients]]"),
                        ));
                    }
                    m => m.unwrap_or(AuthMethod::ClientSecretBasic),
                },
                initial_access_token: r.initial_access_token.clone(),
                scenario_clients: r.scenario_clients.unwrap_or_default(),
            }),
        };
        if registration
            .as_ref()
            .is_some_and(|r| r.scenario_clients == ScenarioClients::Profile)
            && clients.is_empty()
        {
            return Err(self.err(
                "registration.scenario_clients",
                "scenarios are to use the profile's clients, but there are no [[clients]]",
            ));
        }

        let mut login = match &raw.login {
            None => None,
            Some(l) => {
                let strategy = l.strategy.unwrap_or_default();
                if strategy == LoginStrategy::Form {
                    self.non_empty("login.username", &l.username)?;
                }
                let command = match (strategy, &l.command) {
                    (LoginStrategy::Command, Some(argv))
                        if argv.first().is_some_and(|p| !p.trim().is_empty()) =>
                    {
                        Some(LoginCommand {
                            argv: argv.clone(),
                            timeout: self.duration(
                                "login.command_timeout",
                                &l.command_timeout,
                                Duration::from_secs(30),
                            )?,
                            dir: self
                                .source
                                .parent()
                                .filter(|d| !d.as_os_str().is_empty())
                                .map(Path::to_path_buf),
                        })
                    }
                    (LoginStrategy::Command, Some(_)) => {
                        return Err(self.err(
                            "login.command",
                            "give the program first, as in [\"node\", \"login.js\"]",
                        ));
                    }
                    (LoginStrategy::Command, None) => {
                        return Err(self.err(
                            "login.strategy",
                            "strategy = \"command\" needs command = [\"program\", \"arg\", …]",
                        ));
                    }
                    (_, Some(_)) => {
                        return Err(self.err(
                            "login.command",
                            "a command is only used with strategy = \"command\"",
                        ));
                    }
                    (_, None) => None,
                };
                let api = self.api_login(strategy, l)?;
                let browser = self.browser_login(strategy, l)?;
                let fields = LoginFields {
                    username: l
                        .fields
                        .as_ref()
                        .and_then(|f| f.username.clone())
                        .unwrap_or_else(|| "username".into()),
                    password: l
                        .fields
                        .as_ref()
                        .and_then(|f| f.password.clone())
                        .unwrap_or_else(|| "password".into()),
                };
                self.non_empty("login.fields.username", &fields.username)?;
                self.non_empty("login.fields.password", &fields.password)?;
                Some(LoginProfile {
                    strategy,
                    username: l.username.clone(),
                    password: l.password.clone(),
                    fields,
                    consent_page: l.consent.unwrap_or_default(),
                    consent: l
                        .consent_button
                        .clone()
                        .map_or(ConsentChoice::Approve, ConsentChoice::Button),
                    authorization_params: l
                        .authorization_params
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    command,
                    api,
                    browser,
                })
            }
        };

        let mut resources = Vec::new();
        for (i, r) in raw.resources.iter().enumerate() {
            let at = |f: &str| format!("resources[{i}].{f}");
            let url = self.url(&at("url"), &r.url)?;
            let method = r.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
            if !matches!(
                method.as_str(),
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
            ) {
                return Err(self.err(&at("method"), format!("unknown HTTP method `{method}`")));
            }
            let body = r
                .body
                .as_ref()
                .map(serde_json::to_value)
                .transpose()
                .map_err(|e| self.err(&at("body"), e.to_string()))?;
            resources.push(ResourceProfile {
                url,
                method,
                scope: r.scope.as_deref().map(Scope::parse),
                role: r.role.clone(),
                body,
            });
        }

        let expiry = ExpiryProfile {
            max_wait: self.duration(
                "expiry.max_wait",
                &raw.expiry.as_ref().and_then(|e| e.max_wait.clone()),
                Duration::from_secs(10),
            )?,
        };
        let timeout = self.duration(
            "http.timeout",
            &raw.http.as_ref().and_then(|h| h.timeout.clone()),
            Duration::from_secs(10),
        )?;
        let lifetimes = self.lifetimes(raw.lifetimes.as_ref())?;
        let mut extra_hosts = Vec::new();
        for (i, h) in raw
            .http
            .iter()
            .flat_map(|h| h.allow_hosts.iter())
            .enumerate()
        {
            extra_hosts.push(self.host_port(&format!("http.allow_hosts[{i}]"), h)?);
        }

        let test_admin = match &raw.test_admin {
            None => None,
            Some(t) => {
                self.non_empty("test_admin.token", &t.token)?;
                Some(TestAdminProfile {
                    url: self.url("test_admin.url", &t.url)?,
                    token: t.token.clone(),
                })
            }
        };

        let jwt_api = match &raw.jwt_api {
            None => None,
            Some(j) => {
                let login_body = match &j.login_body {
                    None => serde_json::json!({"username": "{username}", "password": "{password}"}),
                    Some(v) => serde_json::to_value(v)
                        .map_err(|e| self.err("jwt_api.login_body", e.to_string()))?,
                };
                let mut users = Vec::new();
                for (i, u) in j.users.iter().enumerate() {
                    self.non_empty(&format!("jwt_api.users[{i}].username"), &u.username)?;
                    users.push(JwtUser {
                        username: u.username.clone(),
                        password: u.password.clone(),
                        roles: u.roles.clone(),
                    });
                }
                Some(JwtApiProfile {
                    login_url: self.url("jwt_api.login_url", &j.login_url)?,
                    login_body,
                    token_field: j
                        .token_field
                        .clone()
                        .unwrap_or_else(|| "access_token".into()),
                    refresh_url: self.opt_url("jwt_api.refresh_url", &j.refresh_url)?,
                    refresh_token_field: j
                        .refresh_token_field
                        .clone()
                        .unwrap_or_else(|| "refresh_token".into()),
                    refresh_with: j.refresh_with.unwrap_or_default(),
                    logout_url: self.opt_url("jwt_api.logout_url", &j.logout_url)?,
                    users,
                })
            }
        };

        let mut relying_party = raw
            .relying_party
            .as_ref()
            .map(|r| self.relying_party(r))
            .transpose()?;
        if relying_party.is_some() && raw.kind != TargetKind::RelyingParty {
            return Err(self.err(
                "relying_party",
                "[relying_party] is for relying-party targets: add `kind = \"relying-party\"`",
            ));
        }

        // Kind-specific requirements.
        match raw.kind {
            TargetKind::RelyingParty => {
                let Some(rp) = &relying_party else {
                    return Err(self.err(
                        "kind",
                        "a relying-party target needs a [relying_party] table (login_url, callback_url, upstream_port, client_id, client_secret)",
                    ));
                };
                if let Some(i) = resources.iter().position(|r| r.role.is_some()) {
                    return Err(self.err(
                        &format!("resources[{i}].role"),
                        "roles are for jwt-api targets: a relying party's API is called with the token of its one login",
                    ));
                }
                if !resources.is_empty() && rp.token.is_none() && rp.session.is_none() {
                    return Err(self.err(
                        "relying_party.token",
                        "[[resources]] of a relying party are called with the app's own token: say where the callback's answer carries it (json:/pointer, cookie:NAME or header:NAME)",
                    ));
                }
            }
            TargetKind::OAuth => {
                if jwt_api.is_some() {
                    return Err(self.err(
                        "jwt_api",
                        "[jwt_api] is for jwt-api targets: add `kind = \"jwt-api\"`",
                    ));
                }
                if issuer.is_none()
                    && endpoints.authorization.is_none()
                    && endpoints.token.is_none()
                {
                    return Err(self.err(
                        "issuer",
                        "an oauth target needs an `issuer` (for discovery) or [endpoints] with `authorization` or `token`",
                    ));
                }
                let can_get_a_client =
                    !clients.is_empty() || registration.as_ref().is_some_and(|r| r.enabled);
                if !can_get_a_client && resources.is_empty() {
                    return Err(self.err(
                        "",
                        "nothing to check: name [[clients]], enable [registration], or list [[resources]]",
                    ));
                }
            }
            TargetKind::JwtApi => {
                let Some(j) = &jwt_api else {
                    return Err(self.err(
                        "kind",
                        "a jwt-api target needs a [jwt_api] table with at least `login_url`",
                    ));
                };
                if j.users.is_empty() {
                    return Err(self.err(
                        "jwt_api",
                        "a jwt-api target needs at least one [[jwt_api.users]] entry",
                    ));
                }
                for (i, r) in resources.iter().enumerate() {
                    let missing = r
                        .role
                        .as_ref()
                        .filter(|role| j.user_with_role(role).is_none());
                    if let Some(role) = missing {
                        return Err(self.err(
                            &format!("resources[{i}].role"),
                            format!("no [[jwt_api.users]] entry has the role `{role}`"),
                        ));
                    }
                }
            }
        }

        // Every host the profile names.
        let mut hosts: BTreeSet<HostPort> = BTreeSet::new();
        let mut add = |u: &Url| {
            if let Some(hp) = HostPort::from_url(u) {
                hosts.insert(hp);
            }
        };
        issuer.iter().for_each(&mut add);
        for u in [
            &endpoints.authorization,
            &endpoints.token,
            &endpoints.registration,
            &endpoints.revocation,
            &endpoints.introspection,
            &endpoints.jwks,
        ]
        .into_iter()
        .flatten()
        {
            add(u);
        }
        resources.iter().for_each(|r| add(&r.url));
        if let Some(j) = &jwt_api {
            add(&j.login_url);
            j.refresh_url.iter().for_each(&mut add);
            j.logout_url.iter().for_each(&mut add);
        }
        if let Some(t) = &test_admin {
            add(&t.url);
        }
        if let Some(r) = &relying_party {
            add(&r.login_url);
            add(&r.callback_url);
            // The fake provider the harness starts, where the app sends the browser.
            hosts.insert(HostPort::new("127.0.0.1", r.upstream_port));
        }
        hosts.extend(extra_hosts);
        let tls = self.tls(raw.tls.as_ref())?;
        let load = self.load(raw.load.as_ref())?;
        if tls.identity.is_none()
            && let Some(i) = clients.iter().position(|c| c.auth_method.by_certificate())
        {
            return Err(self.err(
                &format!("clients[{i}].auth_method"),
                "mutual-TLS client authentication (RFC 8705) needs the certificate: set [tls] client_cert and client_key",
            ));
        }
        // Chromium has its own trust store: it follows only the opt-out (see README, "TLS").
        if tls.skip_verify {
            let login_browser = login.as_mut().and_then(|l| l.browser.as_mut());
            if let Some(b) = login_browser {
                b.process.ignore_certificate_errors = true;
            }
            let rp_browser = relying_party.as_mut().and_then(|r| r.browser.as_mut());
            if let Some(b) = rp_browser {
                b.process.ignore_certificate_errors = true;
            }
        }

        Ok(TargetProfile {
            source: self.source.to_owned(),
            name: raw.name,
            kind: raw.kind,
            issuer,
            endpoints,
            clients,
            registration,
            login,
            resources,
            expiry,
            lifetimes,
            test_admin,
            jwt_api,
            relying_party,
            timeout,
            allowed_hosts: HostAllowlist::new(hosts),
            tls,
            load,
        })
    }

    fn lifetimes(&self, raw: Option<&RawLifetimes>) -> Result<Lifetimes, ProfileError> {
        let d = Lifetimes::default();
        let Some(r) = raw else { return Ok(d) };
        let opt = |field: &str, v: &Option<String>| -> Result<Option<Duration>, ProfileError> {
            v.as_ref()
                .map(|_| self.duration(field, v, Duration::ZERO))
                .transpose()
        };
        Ok(Lifetimes {
            code: opt("lifetimes.code", &r.code)?,
            access: opt("lifetimes.access", &r.access)?,
            refresh: opt("lifetimes.refresh", &r.refresh)?,
            clock_skew: match &r.clock_skew {
                None => d.clock_skew,
                Some(v) => parse_duration(v).map_err(|m| self.err("lifetimes.clock_skew", m))?,
            },
        })
    }

    /// A `host:port` pair.
    fn host_port(&self, field: &str, value: &str) -> Result<HostPort, ProfileError> {
        let (host, port) = value
            .rsplit_once(':')
            .filter(|(h, _)| !h.is_empty())
            .ok_or_else(|| self.err(field, format!("`{value}` is not host:port")))?;
        let port: u16 = port
            .parse()
            .map_err(|_| self.err(field, format!("`{port}` is not a port number")))?;
        Ok(HostPort::new(host.trim_matches(['[', ']']), port))
    }
}

/// The redirect URI of clients the harness registers when the profile names none. It is never
/// contacted: the walker stops at the redirect.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TargetProfile, ProfileError> {
        TargetProfile::parse(text, "examples/targets/x.toml")
    }

    fn issue_of(text: &str) -> ProfileIssue {
        match parse(text) {
            Err(ProfileError::Invalid(i)) => i,
            Err(e) => panic!("unexpected error {e}"),
            Ok(p) => panic!("expected an error, got {p:?}"),
        }
    }

    const GOOD: &str = r#"name = "oidc-provider"
issuer = "http://127.0.0.1:3000"

[endpoints]
jwks = "http://127.0.0.1:3000/jwks"

[[clients]]
id = "confidential-client"
secret = "confidential-secret-0123456789abcdef"
redirect_uri = "http://127.0.0.1:8765/callback"
scope = "openid profile"
grant_types = ["authorization_code", "refresh_token", "client_credentials"]

[[clients]]
id = "public-client"
redirect_uri = "http://127.0.0.1:8765/callback"

[login]
username = "alice"
password = "pw"
fields = { username = "login", password = "password" }

[[resources]]
url = "http://127.0.0.1:3001/api/notes"
method = "post"
scope = "notes:write"
body = { text = "hello" }

[expiry]
max_wait = "1m30s"
"#;

    #[test]
    fn a_good_profile_parses_with_defaults_and_computed_hosts() {
        let p = parse(GOOD).unwrap();
        assert_eq!(p.name, "oidc-provider");
        assert_eq!(p.kind, TargetKind::OAuth);
        assert_eq!(p.clients[0].auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(p.clients[1].auth_method, AuthMethod::None);
        assert_eq!(p.clients[1].grant_types, vec!["authorization_code"]);
        assert!(p.confidential_client("client_credentials").is_some());
        assert_eq!(
            p.public_client("authorization_code").unwrap().id.as_str(),
            "public-client"
        );
        let login = p.login.as_ref().unwrap();
        assert_eq!(login.fields.username, "login");
        assert_eq!(login.walk_options().login.unwrap().username_field, "login");
        assert_eq!(p.resources[0].method, "POST");
        assert_eq!(
            p.resources[0].body,
            Some(serde_json::json!({"text": "hello"}))
        );
        assert_eq!(p.expiry.max_wait, Duration::from_secs(90));
        assert_eq!(p.timeout, Duration::from_secs(10));
        let hosts: Vec<String> = p.allowed_hosts.hosts().map(|h| h.to_string()).collect();
        // The redirect URI's host (8765) is not one the driver may contact.
        assert_eq!(hosts, vec!["127.0.0.1:3000", "127.0.0.1:3001"]);
        assert!(!format!("{login:?}").contains("pw\""));
    }

    #[test]
    fn login_strategies_are_checked_with_line_and_field() {
        let api = |extra: &str| {
            GOOD.replace(
                "fields = { username = \"login\", password = \"password\" }\n",
                &format!("strategy = \"api\"\npage_capture = {{ csrf = 'regex:csrf=\"([^\"]+)\"' }}\ncontinue = \"{{next}}\"\n{extra}"),
            )
        };
        let good = api("");
        let good = format!(
            "{good}\n[[login.api]]\nmethod = \"post\"\nurl = \"{{page}}/api/login\"\nheaders = {{ \"X-CSRF-Token\" = \"{{csrf}}\" }}\njson = {{ username = \"{{username}}\" }}\ncapture = {{ next = \"json:/next\" }}\n"
        );
        let p = parse(&good).unwrap();
        let login = p.login.as_ref().unwrap();
        assert_eq!(login.strategy, LoginStrategy::Api);
        let walk = login.walk_options();
        assert_eq!(
            walk.api.as_ref().unwrap().steps[0].method,
            reqwest::Method::POST
        );
        assert_eq!(walk.login.unwrap().password, "pw");

        // A placeholder nothing captured.
        let i = issue_of(&good.replace("{csrf}", "{token}"));
        assert_eq!(i.field, "login.api[0]");
        assert!(
            i.message.contains("{token} is not known here"),
            "{}",
            i.message
        );
        assert!(
            i.line > 25,
            "the line of the request, not the file's start: {}",
            i.line
        );
        // `continue` may use what the requests captured, but not more.
        let i = issue_of(&good.replace("continue = \"{next}\"", "continue = \"{later}\""));
        assert_eq!(i.field, "login.continue");
        // A capture that is not json:, header: or regex:.
        let i = issue_of(&good.replace("json:/next", "json:next"));
        assert_eq!(i.field, "login.api[0].capture.next");
        assert!(i.message.contains("RFC 6901"));
        // The strategy needs its requests; the requests need the strategy.
        let i = issue_of(&api(""));
        assert_eq!(i.field, "login.strategy");
        let i = issue_of(&good.replace("strategy = \"api\"\n", ""));
        assert_eq!(i.field, "login.api");
        // command: the program first.
        let cmd = GOOD.replace(
            "fields = { username = \"login\", password = \"password\" }\n",
            "strategy = \"command\"\ncommand = [\"\"]\n",
        );
        assert_eq!(issue_of(&cmd).field, "login.command");
        let cmd = cmd.replace(
            "command = [\"\"]",
            "command = [\"node\", \"login.js\"]\ncommand_timeout = \"5s\"",
        );
        let p = parse(&cmd).unwrap();
        let c = p.login.unwrap().command.unwrap();
        assert_eq!(c.argv, ["node", "login.js"]);
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.dir.as_deref(), Some(Path::new("examples/targets")));
    }

    #[test]
    fn a_relative_redirect_uri_is_reported_at_its_line_and_field() {
        let text = GOOD.replace(
            "redirect_uri = \"http://127.0.0.1:8765/callback\"\n\n[login]",
            "redirect_uri = \"/callback\"\n\n[login]",
        );
        let i = issue_of(&text);
        assert_eq!(i.field, "clients[1].redirect_uri");
        assert_eq!((i.line, i.column), (16, 1));
        assert_eq!(
            i.to_string(),
            "examples/targets/x.toml:16:1: clients[1].redirect_uri: relative URL without a base"
        );
    }

    #[test]
    fn unknown_fields_are_errors_with_their_line() {
        let text = GOOD.replace(
            "scope = \"openid profile\"",
            "scope = \"openid\"\nsecrett = \"x\"",
        );
        let i = issue_of(&text);
        assert_eq!(i.line, 12, "{i}");
        assert_eq!(i.column, 1);
        assert_eq!(i.field, "clients[0].secrett");
        assert!(i.message.contains("unknown field `secrett`"), "{i}");

        let i =
            issue_of("name = \"x\"\nissuer = \"http://h\"\n[endpoints]\ntokens = \"http://h/t\"\n");
        assert_eq!((i.line, i.field.as_str()), (4, "endpoints.tokens"), "{i}");

        let i = issue_of("name = \"x\"\nissuer = \"http://h\"\ncolour = 1\n");
        assert_eq!((i.line, i.field.as_str()), (3, "colour"), "{i}");
    }

    #[test]
    fn wrong_types_and_bad_enums_point_at_the_value() {
        let i = issue_of(
            "name = \"x\"\nissuer = \"http://h\"\n\n[[clients]]\nid = \"c\"\nsecret = \"s\"\nauth_method = \"private_key_jwt\"\n",
        );
        assert_eq!(i.line, 7, "{i}");
        assert_eq!(i.field, "clients[0].auth_method");
        let i = issue_of("name = 3\n");
        assert_eq!((i.line, i.field.as_str()), (1, "name"), "{i}");
    }

    #[test]
    fn toml_syntax_errors_have_a_line() {
        let i = issue_of("name = \"x\"\nissuer = \n");
        assert_eq!(i.line, 2, "{i}");
        assert!(i.to_string().starts_with("examples/targets/x.toml:2:"));
    }

    #[test]
    fn validation_rules() {
        let base = "name = \"x\"\nissuer = \"http://127.0.0.1:1\"\n[registration]\n";
        let i = issue_of(&format!(
            "{base}redirect_uri = \"http://127.0.0.1:2/cb#frag\"\n"
        ));
        assert_eq!((i.line, i.field.as_str()), (4, "registration.redirect_uri"));
        assert!(i.message.contains("fragment"));
        let i = issue_of(&format!("{base}[expiry]\nmax_wait = \"10\"\n"));
        assert_eq!((i.line, i.field.as_str()), (5, "expiry.max_wait"));
        assert!(i.message.contains("no unit"), "{i}");
        let i = issue_of("name = \"x\"\nissuer = \"ftp://h\"\n[registration]\n");
        assert_eq!(i.field, "issuer");
        assert!(i.message.contains("http or https"));
        let i = issue_of("name = \"x\"\nissuer = \"http://h/?q=1\"\n[registration]\n");
        assert!(i.message.contains("RFC 8414"));
        // Nothing to check.
        let i = issue_of("name = \"x\"\nissuer = \"http://h\"\n");
        assert_eq!(i.field, "");
        assert!(i.message.contains("nothing to check"));
        // A secret-using method without a secret.
        let i = issue_of(
            "name = \"x\"\nissuer = \"http://h\"\n[[clients]]\nid = \"a\"\nauth_method = \"client_secret_post\"\ngrant_types = [\"client_credentials\"]\n",
        );
        assert_eq!(
            (i.line, i.field.as_str()),
            (5, "clients[0].auth_method"),
            "{i}"
        );
        // Duplicate ids.
        let i = issue_of(
            "name = \"x\"\nissuer = \"http://h\"\n[[clients]]\nid = \"a\"\ngrant_types = []\n[[clients]]\nid = \"a\"\ngrant_types = []\n",
        );
        assert_eq!((i.line, i.field.as_str()), (7, "clients[1].id"), "{i}");
        // An oauth target with no way in.
        let i = issue_of("name = \"x\"\n[registration]\n");
        assert_eq!(i.field, "issuer");
    }

    #[test]
    fn jwt_api_profiles() {
        let text = r#"name = "flask"
kind = "jwt-api"

[jwt_api]
login_url = "http://127.0.0.1:5000/login"
refresh_url = "http://127.0.0.1:5000/refresh"

[[jwt_api.users]]
username = "alice"
password = "alice-password"
roles = ["user"]

[[resources]]
url = "http://127.0.0.1:5000/admin"
role = "admin"
"#;
        let i = issue_of(text);
        assert_eq!((i.line, i.field.as_str()), (15, "resources[0].role"), "{i}");
        let p =
            parse(&text.replace("roles = [\"user\"]", "roles = [\"user\", \"admin\"]")).unwrap();
        let j = p.jwt_api.as_ref().unwrap();
        assert_eq!(j.token_field, "access_token");
        assert_eq!(j.refresh_with, RefreshWith::Bearer);
        assert_eq!(
            j.login_body_for(&j.users[0]),
            serde_json::json!({"username": "alice", "password": "alice-password"})
        );
        assert_eq!(p.allowed_hosts.hosts().count(), 1);

        let i = issue_of("name = \"f\"\nkind = \"jwt-api\"\n\n[jwt_api]\ntoken_field = \"t\"\n");
        assert_eq!(i.field, "jwt_api", "{i}");
        assert!(i.message.contains("login_url"), "{i}");
        assert_eq!(i.line, 4, "{i}");
        let i = issue_of("name = \"f\"\nkind = \"jwt\"\n");
        assert_eq!((i.line, i.field.as_str()), (2, "kind"), "{i}");
    }

    #[test]
    fn the_shipped_example_profiles_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/targets");
        let oidc = TargetProfile::load(dir.join("oidc-provider.toml")).unwrap();
        assert_eq!(oidc.clients.len(), 2);
        assert_eq!(oidc.login.as_ref().unwrap().fields.username, "login");
        assert_eq!(oidc.resources.len(), 3);
        let hosts: Vec<String> = oidc.allowed_hosts.hosts().map(|h| h.to_string()).collect();
        assert_eq!(hosts, vec!["127.0.0.1:3000", "127.0.0.1:3001"]);
        let flask = TargetProfile::load(dir.join("flask-jwt-api.toml")).unwrap();
        assert_eq!(flask.kind, TargetKind::JwtApi);
        let j = flask.jwt_api.as_ref().unwrap();
        assert_eq!(j.user_with_role("admin").unwrap().username, "root");
        assert_eq!(j.user_without_role("admin").unwrap().username, "alice");
        let reference = TargetProfile::load(dir.join("reference.toml")).unwrap();
        assert!(reference.registration_enabled());
        assert_eq!(
            reference.login.as_ref().unwrap().consent,
            ConsentChoice::Button("approve".into())
        );
        let missing = TargetProfile::load(dir.join("no-such-profile.toml")).unwrap_err();
        assert!(matches!(missing, ProfileError::Read { .. }));
        assert!(missing.to_string().contains("no-such-profile.toml"));
    }

    #[test]
    fn relying_party_profiles() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/targets");
        let p = TargetProfile::load(dir.join("flask-social-login.toml")).unwrap();
        assert_eq!(p.kind, TargetKind::RelyingParty);
        let r = p.relying_party.as_ref().unwrap();
        assert_eq!((r.upstream_port, r.provider.as_str()), (8766, "google"));
        assert_eq!(r.answer_within, Duration::from_secs(5));
        assert_eq!(r.token, Some(super::TokenFrom::Json("/token".into())));
        assert_eq!(
            r.session.as_ref().map(|s| (s.url.path(), s.status)),
            Some(("/dashboard", 200))
        );
        assert!(!format!("{r:?}").contains("app-secret"), "{r:?}");
        let hosts: Vec<String> = p.allowed_hosts.hosts().map(|h| h.to_string()).collect();
        assert_eq!(hosts, vec!["127.0.0.1:8765", "127.0.0.1:8766"]);

        let i = issue_of("name = \"f\"\nkind = \"relying-party\"\n");
        assert_eq!(i.field, "kind", "{i}");
        let table = "[relying_party]\nlogin_url = \"http://127.0.0.1:1/login\"\ncallback_url = \"http://127.0.0.1:1/cb\"\nupstream_port = 0\nclient_id = \"a\"\nclient_secret = \"b\"\n";
        let i = issue_of(&format!("name = \"f\"\nkind = \"relying-party\"\n{table}"));
        assert_eq!(i.field, "relying_party.upstream_port", "{i}");
        let i = issue_of(&format!(
            "name = \"f\"\nissuer = \"http://127.0.0.1:1\"\n{}",
            table.replace("= 0", "= 2")
        ));
        assert_eq!(i.field, "relying_party", "{i}");
        let i = issue_of(&format!(
            "name = \"f\"\nkind = \"relying-party\"\n{}provider = \"okta\"\n",
            table.replace("= 0", "= 2")
        ));
        assert_eq!(
            (i.field.as_str(), i.line),
            ("relying_party.provider", 9),
            "{i}"
        );
        // A profile must say how a login that worked looks.
        let bare = format!(
            "name = \"f\"\nkind = \"relying-party\"\n{}",
            table.replace("= 0", "= 2")
        );
        let i = issue_of(&bare);
        assert_eq!(i.field, "relying_party", "{i}");
        assert!(i.message.contains("[relying_party.session]"), "{i}");
        let with = |extra: &str| format!("{bare}{extra}");
        let i = issue_of(&with(
            "token = \"body\"\n[relying_party.success]\nstatus = 200\n",
        ));
        assert_eq!(
            (i.field.as_str(), i.line),
            ("relying_party.token", 9),
            "{i}"
        );
        let i = issue_of(&with("[relying_party.success]\nstatus = 700\n"));
        assert_eq!(i.field, "relying_party.success.status", "{i}");
        let i = issue_of(&with("[relying_party.success]\nheader = \"Bad Name: x\"\n"));
        assert_eq!(i.field, "relying_party.success.header", "{i}");
        let i = issue_of(&with("[relying_party.session]\nurl = \"/me\"\n"));
        assert_eq!(i.field, "relying_party.session.url", "{i}");
        let api = "[[resources]]\nurl = \"http://127.0.0.1:1/api\"\n";
        let i = issue_of(&with(&format!(
            "[relying_party.success]\nstatus = 200\n{api}"
        )));
        assert_eq!(i.field, "relying_party.token", "{i}");
        let i = issue_of(&with(&format!(
            "token = \"cookie:jwt\"\n[relying_party.success]\nstatus = 200\n{api}role = \"admin\"\n"
        )));
        assert_eq!(i.field, "resources[0].role", "{i}");
        let ok = parse(&with(&format!(
            "token = \"cookie:jwt\"\n[relying_party.session]\nurl = \"http://127.0.0.1:1/me\"\n{api}"
        )))
        .unwrap();
        assert_eq!(ok.resources.len(), 1);
        let b = parse(&with(
            "[relying_party.session]\nurl = \"http://127.0.0.1:1/me\"\n[relying_party.browser]\nstart = \"#go\"\ntimeout = \"9s\"\n",
        ))
        .unwrap();
        let b = b.relying_party.unwrap().browser.unwrap();
        assert_eq!(
            (b.start.as_deref(), b.timeout),
            (Some("#go"), Duration::from_secs(9))
        );
        let i = issue_of(&with(
            "[relying_party.session]\nurl = \"http://127.0.0.1:1/me\"\n[relying_party.browser]\nstart = \" \"\n",
        ));
        assert_eq!(i.field, "relying_party.browser.start", "{i}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h2m3s"), Ok(Duration::from_secs(3723)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("a\nbé c", 5), (2, 3));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
