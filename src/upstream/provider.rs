//! What a fake upstream is: which provider it imitates, the clients it
//! knows, the users it logs in as, and how it misbehaves.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Map, Value};

use super::misbehave::{Misbehaviour, UnknownMisbehaviour};

/// The provider a fake imitates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Google's OpenID provider: discovery, JWKS, ID tokens, at Google's paths.
    #[default]
    Google,
    /// GitHub's plain OAuth 2.0 apps: no ID token, `GET /user`.
    Github,
    /// A generic OpenID provider (OpenID Connect Core 1.0) at plain paths.
    Oidc,
}

impl Provider {
    /// Every provider, in the order help and errors list them.
    pub const ALL: [Provider; 3] = [Provider::Google, Provider::Github, Provider::Oidc];

    /// The name used on the command line and in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Github => "github",
            Provider::Oidc => "oidc",
        }
    }

    /// Whether it is an OpenID provider (ID tokens, discovery, JWKS).
    pub fn is_openid(self) -> bool {
        !matches!(self, Provider::Github)
    }

    /// The paths of its endpoints.
    pub fn paths(self) -> Paths {
        match self {
            Provider::Google => Paths {
                authorization: "/o/oauth2/v2/auth",
                token: "/token",
                userinfo: "/v1/userinfo",
                jwks: "/oauth2/v3/certs",
            },
            Provider::Github => Paths {
                authorization: "/login/oauth/authorize",
                token: "/login/oauth/access_token",
                userinfo: "/user",
                jwks: "",
            },
            Provider::Oidc => Paths {
                authorization: "/authorize",
                token: "/token",
                userinfo: "/userinfo",
                jwks: "/jwks",
            },
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name the fakes do not imitate; its message lists the names
/// they do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?} ({list})", list = choices())]
pub struct UnknownProvider(pub String);

/// `google, github or oidc`.
fn choices() -> String {
    let names: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;
    /// Exact, lower-case names.
    fn from_str(s: &str) -> Result<Self, UnknownProvider> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

/// Endpoint paths of a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paths {
    pub authorization: &'static str,
    pub token: &'static str,
    pub userinfo: &'static str,
    /// Empty for providers without JWKS.
    pub jwks: &'static str,
}

/// A registered client: `--client ID:SECRET`.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientPair {
    pub id: String,
    pub secret: String,
}

impl fmt::Debug for ClientPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientPair")
            .field("id", &self.id)
            .field("secret", &"«redacted»")
            .finish()
    }
}

impl FromStr for ClientPair {
    type Err = ConfigError;
    /// `ID:SECRET`; the secret may contain further colons, neither may be empty.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s.split_once(':') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => Ok(ClientPair {
                id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            _ => Err(ConfigError::Client(s.to_owned())),
        }
    }
}

/// A user the fake logs in as: a JSON object of claims with at least `sub`,
/// or `key=value,key=value` (`--user sub=1234,email=ann@example.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserClaims(pub Map<String, Value>);

impl UserClaims {
    /// The default user, when none is configured.
    pub fn default_user() -> Self {
        let mut m = Map::new();
        m.insert("sub".into(), "1029384756".into());
        m.insert("email".into(), "ann@example.com".into());
        m.insert("email_verified".into(), true.into());
        m.insert("name".into(), "Ann Example".into());
        m.insert("login".into(), "ann".into());
        UserClaims(m)
    }

    pub fn sub(&self) -> &str {
        self.0.get("sub").and_then(Value::as_str).unwrap_or("")
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

impl FromStr for UserClaims {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::User(s.to_owned(), why.to_owned());
        let map = if s.trim_start().starts_with('{') {
            match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => m,
                Ok(_) => return Err(bad("not a JSON object")),
                Err(e) => return Err(bad(&e.to_string())),
            }
        } else {
            let mut m = Map::new();
            for pair in s.split(',').filter(|p| !p.trim().is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| bad("expected key=value pairs separated by commas"))?;
                let v = v.trim();
                let value = match v {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::String(v.to_owned()),
                };
                m.insert(k.trim().to_owned(), value);
            }
            m
        };
        match map.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => Ok(UserClaims(map)),
            _ => Err(bad("a user needs a non-empty string sub")),
        }
    }
}

/// Everything a fake upstream needs to start.
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    pub provider: Provider,
    /// `None`: `127.0.0.1:0`.
    pub bind: Option<SocketAddr>,
    /// Empty: any client is accepted (and the fake says so at start).
    pub clients: Vec<ClientPair>,
    /// Empty: [`UserClaims::default_user`]. The first is used unless the
    /// authorization request's `login_hint` names another's `sub` or `email`.
    pub users: Vec<UserClaims>,
    pub misbehaviours: BTreeSet<Misbehaviour>,
    /// How long `slow` holds the token endpoint's answer.
    pub slow_delay: Duration,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        UpstreamConfig {
            provider: Provider::Google,
            bind: None,
            clients: Vec::new(),
            users: Vec::new(),
            misbehaviours: BTreeSet::new(),
            slow_delay: Duration::from_secs(10),
        }
    }
}

impl UpstreamConfig {
    /// Checks the configuration holds together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.provider.is_openid()
            && let Some(m) = self.misbehaviours.iter().find(|m| m.needs_id_token())
        {
            return Err(ConfigError::NeedsOpenId(*m, self.provider));
        }
        Ok(())
    }

    pub fn has(&self, m: Misbehaviour) -> bool {
        self.misbehaviours.contains(&m)
    }
}

/// Why a fake upstream cannot be configured as asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(transparent)]
    Provider(#[from] UnknownProvider),
    #[error("--client {0:?}: expected ID:SECRET, neither empty")]
    Client(String),
    #[error("--user {0:?}: {1}")]
    User(String, String),
    #[error(transparent)]
    Misbehaviour(#[from] UnknownMisbehaviour),
    #[error("misbehaviour {0} needs an OpenID provider (ID tokens); {1} has none")]
    NeedsOpenId(Misbehaviour, Provider),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clients_users_and_providers() {
        let c: ClientPair = "app:s3cr:et".parse().unwrap();
        assert_eq!((c.id.as_str(), c.secret.as_str()), ("app", "s3cr:et"));
        assert!("app".parse::<ClientPair>().is_err());
        assert!(":x".parse::<ClientPair>().is_err());
        assert!(!format!("{c:?}").contains("s3cr"));
        let u: UserClaims = "sub=42,email=a@b.c,email_verified=true".parse().unwrap();
        assert_eq!(u.sub(), "42");
        assert_eq!(u.get("email_verified"), Some(&Value::Bool(true)));
        let j: UserClaims = r#"{"sub":"7","name":"Bo"}"#.parse().unwrap();
        assert_eq!(j.sub(), "7");
        assert!("email=a@b.c".parse::<UserClaims>().is_err());
        assert!("[1]".parse::<UserClaims>().is_err());
        assert_eq!("github".parse::<Provider>(), Ok(Provider::Github));
        assert_eq!(
            "okta".parse::<Provider>().unwrap_err().to_string(),
            "unknown provider \"okta\" (google, github or oidc)"
        );
        for p in Provider::ALL {
            assert_eq!(p.to_string().parse::<Provider>(), Ok(p));
        }
    }

    #[test]
    fn id_token_misbehaviours_need_an_openid_provider() {
        let mut c = UpstreamConfig {
            provider: Provider::Github,
            ..UpstreamConfig::default()
        };
        c.misbehaviours.insert(Misbehaviour::WrongState);
        assert!(c.validate().is_ok());
        c.misbehaviours.insert(Misbehaviour::WrongNonce);
        assert!(matches!(c.validate(), Err(ConfigError::NeedsOpenId(..))));
    }
}
