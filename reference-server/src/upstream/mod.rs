//! The reference server as a relying party: "Log in with NAME" through an
//! upstream OpenID provider, then this server finishes its own
//! authorization request and issues its own tokens.
//!
//! The flow is the authorization code flow with `state`, `nonce` and PKCE
//! (OpenID Connect Core 1.0 §3.1, RFC 7636, RFC 9700 §2.1): the pending
//! login is bound to the browser by a cookie scoped to the callback, the
//! callback's `state` must equal the one sent, the ID token is validated
//! in full ([`id_token`]), and the upstream subject becomes the local user
//! `NAME:SUB`. Every call to the provider has a timeout, so a provider that
//! hangs is answered promptly.

pub mod id_token;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use crate::clock::UnixTime;
use crate::error::ErrorCode;
use crate::expiring::{Caps, Expiring, Full};
use crate::secrets::{random_token, s256};

pub use id_token::IdTokenError;

/// The path of the redirect URI registered with every upstream provider.
pub const CALLBACK_PATH: &str = "/upstream/callback";
/// The cookie binding a pending upstream login to its browser.
pub const LOGIN_COOKIE: &str = "oauthspec_upstream";
/// How long a user has to come back from the provider.
pub const PENDING_TTL: i64 = 600;

/// At most this many upstream logins are in flight at once…
pub const MAX_PENDING_LOGINS: usize = 10_000;
/// …and at most this many for one interaction (a user clicking "Log in
/// with …" again and again).
pub const MAX_LOGINS_PER_INTERACTION: usize = 16;
/// What a pending upstream login is counted as weighing: its values are
/// all of the server's own making, so the byte cap is the count cap.
const PENDING_LOGIN_WEIGHT: usize = 1024;
/// Default limit on every call to a provider.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
const DISCOVERY_SUFFIX: &str = "/.well-known/openid-configuration";

/// `[upstream.NAME]` in the configuration file (and the test-admin API's body).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    /// `ISSUER/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).
    pub discovery_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Limit on each call to the provider, in milliseconds.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}

impl UpstreamSettings {
    /// The issuer the discovery URL belongs to (Discovery 1.0 §4.1), or why
    /// the settings cannot work.
    pub fn issuer(&self) -> Result<String, String> {
        let url = url::Url::parse(&self.discovery_url).map_err(|e| e.to_string())?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
            return Err("discovery_url must be an http(s) URL without a query".into());
        }
        self.discovery_url
            .strip_suffix(DISCOVERY_SUFFIX)
            .map(str::to_owned)
            .ok_or_else(|| format!("discovery_url must end with {DISCOVERY_SUFFIX}"))
    }

    pub fn validate(&self, name: &str) -> Result<(), String> {
        if !valid_name(name) {
            return Err("the name must be 1 to 32 letters, digits, '-' or '_'".into());
        }
        self.issuer()?;
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return Err("client_id and client_secret must not be empty".into());
        }
        if self.timeout_ms == 0 || self.timeout_ms > 60_000 {
            return Err("timeout_ms must be between 1 and 60000".into());
        }
        Ok(())
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Provider names appear in URLs and on the login page.
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A login sent to a provider, waiting for the browser to come back.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub interaction: String,
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub created_at: UnixTime,
}

/// The configured providers and the logins in flight.
pub struct Upstreams {
    providers: RwLock<BTreeMap<String, UpstreamSettings>>,
    /// By the value of the browser's [`LOGIN_COOKIE`], grouped by the
    /// interaction they serve.
    pending: Expiring<PendingLogin>,
    /// The last failed upstream login of an interaction, by interaction id:
    /// what the client is told when the user goes back to it.
    failures: Mutex<HashMap<String, (ErrorCode, String)>>,
}

impl Default for Upstreams {
    fn default() -> Self {
        Upstreams::new(BTreeMap::new())
    }
}

impl Upstreams {
    pub fn new(providers: BTreeMap<String, UpstreamSettings>) -> Self {
        Upstreams {
            providers: RwLock::new(providers),
            pending: Expiring::new(
                PENDING_TTL,
                Caps {
                    entries: MAX_PENDING_LOGINS,
                    bytes: MAX_PENDING_LOGINS * PENDING_LOGIN_WEIGHT,
                    per_group: MAX_LOGINS_PER_INTERACTION,
                },
            ),
            failures: Mutex::default(),
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.providers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<UpstreamSettings> {
        self.providers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Adds or replaces a provider (test-admin API).
    pub fn put(&self, name: &str, settings: UpstreamSettings) {
        self.providers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), settings);
    }

    pub fn remove(&self, name: &str) -> bool {
        self.providers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name)
            .is_some()
    }

    /// Records a pending login; returns the browser cookie's value, or why
    /// there is no room.
    pub fn begin(&self, login: PendingLogin, now: UnixTime) -> Result<String, Full> {
        let session = random_token();
        let interaction = login.interaction.clone();
        self.pending.insert(
            session.clone(),
            &interaction,
            login,
            PENDING_LOGIN_WEIGHT,
            now,
        )?;
        Ok(session)
    }

    /// Remembers why an interaction's upstream login failed.
    pub fn note_failure(&self, interaction: &str, code: ErrorCode, description: String) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(interaction.to_owned(), (code, description));
    }

    /// Takes the failure noted for an interaction.
    pub fn take_failure(&self, interaction: &str) -> Option<(ErrorCode, String)> {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(interaction)
    }

    /// Takes the pending login of this browser: a callback is used once.
    pub fn take(&self, session: &str, now: UnixTime) -> Option<PendingLogin> {
        self.pending.take(session, now)
    }
}

/// Why a login through a provider did not succeed. Each is shown to the
/// user and sent to the client as [`LoginError::client_error`].
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("there is no login in progress in this browser, or it has expired")]
    NoPendingLogin,
    #[error(
        "the provider answered with a state this login did not send (RFC 6749 §10.12: possible cross-site request forgery)"
    )]
    StateMismatch,
    #[error("the provider refused the login: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("the provider sent neither a code nor an error")]
    NoCode,
    #[error("the provider did not answer within {0} ms")]
    Timeout(u64),
    #[error("the provider cannot be reached: {0}")]
    Unreachable(String),
    #[error("the provider's metadata is not usable: {0}")]
    Discovery(String),
    #[error("the provider's token endpoint refused the code: {status} {error}")]
    TokenEndpoint { status: u16, error: String },
    #[error("the provider's token response has no ID token")]
    NoIdToken,
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    #[error(transparent)]
    Busy(#[from] Full),
}

impl LoginError {
    /// The error the client receives (RFC 6749 §4.1.2.1): the provider being
    /// down or slow is `temporarily_unavailable`; everything refused is
    /// `access_denied`.
    pub fn client_error(&self) -> ErrorCode {
        match self {
            LoginError::Timeout(_) | LoginError::Unreachable(_) | LoginError::Busy(_) => {
                ErrorCode::TemporarilyUnavailable
            }
            LoginError::TokenEndpoint { status, .. } if *status >= 500 => {
                ErrorCode::TemporarilyUnavailable
            }
            _ => ErrorCode::AccessDenied,
        }
    }

    /// The status of the page the user sees.
    pub fn status(&self) -> u16 {
        match self {
            LoginError::Timeout(_) => 504,
            LoginError::Unreachable(_) | LoginError::Discovery(_) => 502,
            LoginError::TokenEndpoint { status, .. } if *status >= 500 => 502,
            LoginError::NoPendingLogin => 400,
            LoginError::Busy(_) => 503,
            _ => 403,
        }
    }
}

/// The parts of the provider's metadata this server uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

fn transport(timeout: &UpstreamSettings, e: reqwest::Error) -> LoginError {
    if e.is_timeout() {
        LoginError::Timeout(timeout.timeout_ms)
    } else {
        LoginError::Unreachable(e.without_url().to_string())
    }
}

/// Fetches and checks the provider's metadata (Discovery 1.0 §4.3: its
/// issuer must be the one the discovery URL belongs to).
pub async fn discover(
    http: &reqwest::Client,
    settings: &UpstreamSettings,
) -> Result<ProviderMetadata, LoginError> {
    let expected = settings.issuer().map_err(LoginError::Discovery)?;
    let res = http
        .get(&settings.discovery_url)
        .timeout(settings.timeout())
        .send()
        .await
        .map_err(|e| transport(settings, e))?;
    if !res.status().is_success() {
        return Err(LoginError::Discovery(format!("status {}", res.status())));
    }
    let meta: ProviderMetadata = res.json().await.map_err(|e| {
        if e.is_timeout() {
            transport(settings, e)
        } else {
            LoginError::Discovery(e.to_string())
        }
    })?;
    if meta.issuer != expected {
        return Err(LoginError::Discovery(format!(
            "its issuer {:?} is not {expected:?}",
            meta.issuer
        )));
    }
    Ok(meta)
}

/// A fresh login: its state, nonce and PKCE verifier, and the URL to send
/// the browser to.
pub fn authorization_url(
    meta: &ProviderMetadata,
    settings: &UpstreamSettings,
    redirect_uri: &str,
    interaction: &str,
    provider: &str,
    now: UnixTime,
) -> Result<(String, PendingLogin), LoginError> {
    let login = PendingLogin {
        interaction: interaction.to_owned(),
        provider: provider.to_owned(),
        state: random_token(),
        nonce: random_token(),
        verifier: random_token(),
        created_at: now,
    };
    let mut url = url::Url::parse(&meta.authorization_endpoint)
        .map_err(|e| LoginError::Discovery(format!("authorization_endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid email profile")
        .append_pair("state", &login.state)
        .append_pair("nonce", &login.nonce)
        .append_pair("code_challenge", &s256(&login.verifier))
        .append_pair("code_challenge_method", "S256");
    Ok((url.to_string(), login))
}

/// Which checks run: all, except under a relying-party fault.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    pub state: bool,
    pub signature: bool,
    pub nonce: bool,
}

/// What the provider's callback carried.
#[derive(Debug, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The provider's user, once the login holds up.
#[derive(Debug, Clone)]
pub struct UpstreamUser {
    pub provider: String,
    pub sub: String,
    pub claims: Value,
}

impl UpstreamUser {
    /// The local user this upstream subject maps to: `NAME:SUB`.
    pub fn local_username(&self) -> String {
        format!("{}:{}", self.provider, self.sub)
    }
}

fn wall_clock() -> UnixTime {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Finishes a login at the callback: state, code exchange with the PKCE
/// verifier (RFC 6749 §4.1.3, RFC 7636 §4.5), ID token validation.
///
/// The provider's tokens are judged by the wall clock: the test-admin
/// clock moves only this server's own time.
pub async fn finish(
    http: &reqwest::Client,
    settings: &UpstreamSettings,
    login: &PendingLogin,
    callback: &Callback,
    redirect_uri: &str,
    checks: Checks,
) -> Result<UpstreamUser, LoginError> {
    let state_ok = callback.state.as_deref().is_some_and(|s| {
        s.len() == login.state.len()
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                s.as_bytes(),
                login.state.as_bytes(),
            ))
    });
    if checks.state && !state_ok {
        return Err(LoginError::StateMismatch);
    }
    if let Some(error) = &callback.error {
        return Err(LoginError::Refused {
            error: error.clone(),
            description: callback.error_description.clone(),
        });
    }
    let code = callback.code.as_deref().ok_or(LoginError::NoCode)?;
    let meta = discover(http, settings).await?;
    let body = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", login.verifier.as_str()),
    ])
    .map_err(|e| LoginError::Unreachable(e.to_string()))?;
    // client_secret_basic: id and secret form-encoded, then Base64 (RFC 6749 §2.3.1).
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let res = http
        .post(&meta.token_endpoint)
        .timeout(settings.timeout())
        .basic_auth(enc(&settings.client_id), Some(enc(&settings.client_secret)))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| transport(settings, e))?;
    let status = res.status().as_u16();
    let answer: Value = res.json().await.map_err(|e| {
        if e.is_timeout() {
            transport(settings, e)
        } else {
            LoginError::TokenEndpoint {
                status,
                error: "the answer is not JSON".into(),
            }
        }
    })?;
    if status != 200 {
        let error = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no error code")
            .to_owned();
        return Err(LoginError::TokenEndpoint { status, error });
    }
    let token = answer
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or(LoginError::NoIdToken)?;
    let jwks: Value = http
        .get(&meta.jwks_uri)
        .timeout(settings.timeout())
        .send()
        .await
        .map_err(|e| transport(settings, e))?
        .json()
        .await
        .map_err(|e| LoginError::Discovery(format!("jwks_uri: {e}")))?;
    let claims = id_token::validate(
        token,
        &jwks,
        &id_token::Expected {
            issuer: &meta.issuer,
            client_id: &settings.client_id,
            nonce: &login.nonce,
            now: wall_clock(),
            verify_signature: checks.signature,
            check_nonce: checks.nonce,
        },
    )?;
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(UpstreamUser {
        provider: login.provider.clone(),
        sub,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_validated() {
        let mut s = UpstreamSettings {
            discovery_url: "http://127.0.0.1:9/.well-known/openid-configuration".into(),
            client_id: "rp".into(),
            client_secret: "secret".into(),
            timeout_ms: 1000,
        };
        assert_eq!(s.issuer().unwrap(), "http://127.0.0.1:9");
        assert!(s.validate("google").is_ok());
        assert!(s.validate("no spaces").is_err());
        s.discovery_url = "http://127.0.0.1:9/metadata".into();
        assert!(s.validate("google").is_err());
    }

    #[test]
    fn errors_map_to_client_errors() {
        assert_eq!(
            LoginError::Timeout(5).client_error(),
            ErrorCode::TemporarilyUnavailable
        );
        assert_eq!(
            LoginError::StateMismatch.client_error(),
            ErrorCode::AccessDenied
        );
        assert_eq!(
            LoginError::IdToken(IdTokenError::Nonce).client_error(),
            ErrorCode::AccessDenied
        );
    }
}
