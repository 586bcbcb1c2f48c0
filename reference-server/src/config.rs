//! Server settings. The TOML file is the lowest layer; `OAUTHSPEC_*`
//! environment variables and then command-line flags override it (the
//! binary does that merge; this module parses and validates the file).

use std::net::SocketAddr;
use std::path::PathBuf;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::keys::SigningAlg;
use crate::protocol::{AuthMethod, GrantType, Scope};
use crate::upstream::UpstreamSettings;

/// The argon2id hash of `alice-password`, the default user's password.
pub const ALICE_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$DesNnsjRqeKXyxTDBZOrSg$YGnyZA+YgAsTQS9KvxUBx7f3PQmIUBO9IMNaGPQU6LM";

/// What the login page is: an HTML form, or a script page that logs in
/// through a JSON call (a fixture for harness login strategies other than
/// the form walker; the form's POST still works in both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginPage {
    /// `<form method="post">` with username and password (the default).
    #[default]
    Form,
    /// No `<form>`: a script posts `{"username", "password"}` as JSON to
    /// `/interaction/{id}/api/login` with the `X-CSRF-Token` header, then
    /// goes where the answer's `next` says (the consent page).
    Script,
}

impl std::str::FromStr for LoginPage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "form" => Ok(LoginPage::Form),
            "script" => Ok(LoginPage::Script),
            _ => Err(format!("{s:?} is not a login page kind: form or script")),
        }
    }
}

/// Where the server keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    Memory,
    Sqlite(PathBuf),
}

/// Default token lifetimes in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DefaultLifetimes {
    pub access_token: i64,
    pub refresh_token: i64,
    /// RFC 6749 §4.1.2 recommends at most ten minutes; this server uses 60 s.
    pub code: i64,
}

impl Default for DefaultLifetimes {
    fn default() -> Self {
        Self {
            access_token: 600,
            refresh_token: 86_400,
            code: 60,
        }
    }
}

/// A resource owner who can log in at the login page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub username: String,
    /// A PHC-format argon2 hash.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// A clear-text password, hashed with argon2 at start and then dropped.
    #[serde(default)]
    pub password: Option<String>,
}

/// A client registered by configuration rather than by RFC 7591.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticClient {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default = "default_grants")]
    pub grant_types: Vec<String>,
    #[serde(default = "default_auth_method")]
    pub token_endpoint_auth_method: String,
    #[serde(default)]
    pub scope: Option<String>,
}

fn default_grants() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}
fn default_auth_method() -> String {
    "client_secret_basic".into()
}

/// `[connections]`: how long clients may take and how many may be
/// connected (see [`crate::connections`]). Seconds and a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionsConfig {
    /// Seconds to send a request's headers (from connecting, or from the
    /// previous answer on a keep-alive connection). Default 10.
    pub header_read_timeout: u64,
    /// Seconds between two pieces of a request body. Default 10.
    pub body_read_timeout: u64,
    /// Open connections at most; past it the oldest that never sent a
    /// request is closed. Default 512.
    pub max_connections: usize,
}

impl Default for ConnectionsConfig {
    fn default() -> Self {
        let l = crate::connections::Limits::default();
        ConnectionsConfig {
            header_read_timeout: l.header_read.as_secs(),
            body_read_timeout: l.body_read.as_secs(),
            max_connections: l.max_connections,
        }
    }
}

/// The TOML configuration file. Every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub bind: Option<SocketAddr>,
    pub issuer: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub in_memory: Option<bool>,
    pub signing_alg: Option<SigningAlg>,
    pub test_admin: Option<bool>,
    pub scopes: Option<Vec<String>>,
    pub lifetimes: Option<DefaultLifetimes>,
    pub users: Option<Vec<UserConfig>>,
    #[serde(default)]
    pub clients: Vec<StaticClient>,
    /// `[upstream.NAME]`: providers users may log in through.
    #[serde(default)]
    pub upstream: BTreeMap<String, UpstreamSettings>,
    pub connections: Option<ConnectionsConfig>,
    /// `"form"` (default) or `"script"`.
    pub login_page: Option<LoginPage>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid setting {field}: {message}")]
    Invalid { field: String, message: String },
}

impl ConfigFile {
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// Everything [`crate::start`] needs, already merged and validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    /// Defaults to `http://{bound address}`.
    pub issuer: Option<String>,
    pub storage: Storage,
    pub signing_alg: SigningAlg,
    pub test_admin: bool,
    pub scopes: Scope,
    pub lifetimes: DefaultLifetimes,
    pub users: Vec<UserConfig>,
    pub clients: Vec<StaticClient>,
    /// Deliberate defects (`--fault`); empty for a correct server.
    pub faults: Vec<crate::faults::Fault>,
    /// Upstream providers offered as "Log in with NAME".
    pub upstreams: BTreeMap<String, UpstreamSettings>,
    /// Connection timeouts and the connection cap.
    pub connections: crate::connections::Limits,
    /// The login page's kind.
    pub login_page: LoginPage,
}

impl Default for Settings {
    /// In memory, on `127.0.0.1:0`, EdDSA, the default user `alice`.
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            issuer: None,
            storage: Storage::Memory,
            signing_alg: SigningAlg::EdDSA,
            test_admin: false,
            scopes: default_scopes(),
            lifetimes: DefaultLifetimes::default(),
            users: vec![UserConfig {
                username: "alice".into(),
                password_hash: Some(ALICE_PASSWORD_HASH.into()),
                password: None,
            }],
            clients: Vec::new(),
            faults: Vec::new(),
            upstreams: BTreeMap::new(),
            connections: crate::connections::Limits::default(),
            login_page: LoginPage::Form,
        }
    }
}

/// The scopes the reference server understands: OpenID Connect's
/// (`openid`, and `profile` and `email` for the UserInfo claims, Core §5.4)
/// and the resource server's.
pub fn default_scopes() -> Scope {
    Scope::from_tokens(["openid", "profile", "email", "notes:read", "notes:write"])
}

impl Settings {
    /// Applies a configuration file over the defaults (flags and
    /// environment are applied over the result by the caller).
    pub fn with_file(mut self, file: ConfigFile) -> Result<Self, ConfigError> {
        if let Some(b) = file.bind {
            self.bind = b;
        }
        if file.issuer.is_some() {
            self.issuer = file.issuer;
        }
        match (file.in_memory, file.data_dir) {
            (Some(true), _) => self.storage = Storage::Memory,
            (_, Some(dir)) => self.storage = Storage::Sqlite(dir),
            _ => {}
        }
        if let Some(a) = file.signing_alg {
            self.signing_alg = a;
        }
        if let Some(t) = file.test_admin {
            self.test_admin = t;
        }
        if let Some(s) = file.scopes {
            self.scopes = Scope::from_tokens(s);
        }
        if let Some(l) = file.lifetimes {
            self.lifetimes = l;
        }
        if let Some(u) = file.users {
            self.users = u;
        }
        self.clients = file.clients;
        self.upstreams = file.upstream;
        if let Some(p) = file.login_page {
            self.login_page = p;
        }
        if let Some(c) = file.connections {
            for (field, secs) in [
                ("connections.header_read_timeout", c.header_read_timeout),
                ("connections.body_read_timeout", c.body_read_timeout),
            ] {
                if !(1..=3600).contains(&secs) {
                    return Err(ConfigError::Invalid {
                        field: field.into(),
                        message: format!("must be 1 to 3600 seconds, got {secs}"),
                    });
                }
            }
            if !(1..=1_000_000).contains(&c.max_connections) {
                return Err(ConfigError::Invalid {
                    field: "connections.max_connections".into(),
                    message: format!("must be 1 to 1000000, got {}", c.max_connections),
                });
            }
            self.connections = crate::connections::Limits {
                header_read: std::time::Duration::from_secs(c.header_read_timeout),
                body_read: std::time::Duration::from_secs(c.body_read_timeout),
                max_connections: c.max_connections,
            };
        }
        self.validate()?;
        Ok(self)
    }

    /// Checks the settings hold together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            field: field.into(),
            message,
        };
        if let Some(issuer) = &self.issuer {
            let url = url::Url::parse(issuer).map_err(|e| invalid("issuer", e.to_string()))?;
            // RFC 8414 §2: https, no query, no fragment (http allowed for loopback testing).
            if url.query().is_some() || url.fragment().is_some() {
                return Err(invalid("issuer", "must have no query or fragment".into()));
            }
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid("issuer", "must be an http(s) URL".into()));
            }
        }
        let l = &self.lifetimes;
        for (name, v) in [
            ("lifetimes.access_token", l.access_token),
            ("lifetimes.refresh_token", l.refresh_token),
            ("lifetimes.code", l.code),
        ] {
            if v <= 0 {
                return Err(invalid(name, format!("must be positive, got {v}")));
            }
        }
        for (i, u) in self.users.iter().enumerate() {
            if u.password.is_none() == u.password_hash.is_none() {
                return Err(invalid(
                    &format!("users[{i}]"),
                    "give exactly one of password and password_hash".into(),
                ));
            }
        }
        for (i, c) in self.clients.iter().enumerate() {
            let field = |f: &str| format!("clients[{i}].{f}");
            let method = AuthMethod::parse(&c.token_endpoint_auth_method).ok_or_else(|| {
                invalid(
                    &field("token_endpoint_auth_method"),
                    "unknown method".into(),
                )
            })?;
            if method.is_confidential() != c.client_secret.is_some() {
                return Err(invalid(
                    &field("client_secret"),
                    "confidential clients need a secret; public ones (none) must not have one"
                        .into(),
                ));
            }
            for g in &c.grant_types {
                GrantType::parse(g).ok_or_else(|| {
                    invalid(&field("grant_types"), format!("unknown grant type {g:?}"))
                })?;
            }
            for u in &c.redirect_uris {
                crate::protocol::validate_redirect_uri(u)
                    .map_err(|e| invalid(&field("redirect_uris"), e.to_string()))?;
            }
        }
        for (name, u) in &self.upstreams {
            u.validate(name)
                .map_err(|m| invalid(&format!("upstream.{name}"), m))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_password_hash_is_alice_password() {
        use argon2::PasswordVerifier;
        let hash = argon2::PasswordHash::new(ALICE_PASSWORD_HASH).unwrap();
        assert!(
            argon2::Argon2::default()
                .verify_password(b"alice-password", &hash)
                .is_ok()
        );
        assert!(
            argon2::Argon2::default()
                .verify_password(b"alice-passwore", &hash)
                .is_err()
        );
    }

    #[test]
    fn file_overrides_defaults_and_is_validated() {
        let file = ConfigFile::parse(
            r#"
            signing_alg = "ES256"
            scopes = ["a", "b"]
            [lifetimes]
            access_token = 5
            "#,
        )
        .unwrap();
        let s = Settings::default().with_file(file).unwrap();
        assert_eq!(s.signing_alg, SigningAlg::ES256);
        assert_eq!(s.lifetimes.access_token, 5);
        assert_eq!(s.lifetimes.code, 60);
        assert!(ConfigFile::parse("bogus = 1").is_err());
        let bad = ConfigFile::parse("[lifetimes]\naccess_token = 0").unwrap();
        assert!(Settings::default().with_file(bad).is_err());
    }

    #[test]
    fn connection_limits_come_from_the_file_within_range() {
        let file = ConfigFile::parse("[connections]\nheader_read_timeout = 3").unwrap();
        let s = Settings::default().with_file(file).unwrap();
        assert_eq!(s.connections.header_read, std::time::Duration::from_secs(3));
        assert_eq!(s.connections.body_read, std::time::Duration::from_secs(10));
        assert_eq!(s.connections.max_connections, 512);
        let bad = ConfigFile::parse("[connections]\nbody_read_timeout = 0").unwrap();
        let err = Settings::default().with_file(bad).unwrap_err().to_string();
        assert!(err.contains("connections.body_read_timeout"), "{err}");
        let bad = ConfigFile::parse("[connections]\nmax_connections = 0").unwrap();
        let err = Settings::default().with_file(bad).unwrap_err().to_string();
        assert!(err.contains("connections.max_connections"), "{err}");
        assert!(ConfigFile::parse("[connections]\nidle = 3").is_err());
    }
}
