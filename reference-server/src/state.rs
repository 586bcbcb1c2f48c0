//! The state every handler shares.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::clock::{Clock, UnixTime};
use crate::config::{DefaultLifetimes, Settings};
use crate::interaction::Interactions;
use crate::keys::{KeyError, KeySet, SigningAlg, SigningKey};
use crate::protocol::{AuthMethod, ClientId, GrantType, Scope, Secret};
use crate::secrets::{SecretHash, random_token};
use crate::store::{ClientMetadata, ClientRecord, Lifetimes, Store, StoreError};

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub struct Inner {
    /// The issuer identifier (RFC 8414 §2), without a trailing slash.
    pub issuer: String,
    /// The `aud` of every access token: this server's resource server.
    pub audience: String,
    pub scopes: Scope,
    pub lifetimes: DefaultLifetimes,
    pub signing_alg: SigningAlg,
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    keys: RwLock<KeySet>,
    /// The RS256 key of ID tokens when access tokens use another algorithm
    /// (OpenID Connect Discovery §3: "The algorithm RS256 MUST be
    /// included"); unused when the active key is RS256 and signs both. A
    /// stored key is loaded at start; otherwise one is generated (and
    /// stored) the first time it is needed, since an RSA key takes a while
    /// to generate and most servers started by tests never need one.
    rs256: OnceLock<Option<Arc<SigningKey>>>,
    /// Deny-listed access token `jti`s and when each may be forgotten.
    denied: RwLock<HashMap<String, UnixTime>>,
    /// Longest access-token lifetime any client has: how long a retired key
    /// must stay published.
    max_access_ttl: AtomicI64,
    /// Users and their argon2 hashes (PHC strings).
    pub users: HashMap<String, String>,
    pub interactions: Interactions,
    /// Login sessions (see [`crate::session`]).
    pub sessions: crate::session::Sessions,
    /// Argon2 checks of the login page, bounded in time and memory.
    pub passwords: crate::password::PasswordChecker,
    /// The test-admin bearer token, when the admin API is on.
    pub admin_token: Option<Secret>,
    pub templates: minijinja::Environment<'static>,
    pub(crate) key_rotation: Mutex<()>,
    /// Deliberate defects this server runs with (see [`crate::faults`]).
    pub faults: crate::faults::Faults,
    /// Upstream providers for "Log in with NAME", and logins in flight.
    pub upstreams: crate::upstream::Upstreams,
    /// The login page's kind.
    pub login_page: crate::config::LoginPage,
    /// The HTTP client for calls to upstream providers (each call sets its
    /// own timeout; redirects are never followed).
    pub http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("user {0}: {1}")]
    User(String, String),
    #[error("cannot build the HTTP client for upstream providers: {0}")]
    Http(String),
}

impl AppState {
    /// Builds the state: loads or creates the signing key, hashes any
    /// clear-text passwords, registers configured clients.
    pub fn new(
        settings: &Settings,
        issuer: String,
        store: Arc<dyn Store>,
    ) -> Result<Self, StateError> {
        let clock = Clock::system();
        let now = clock.now();
        let (keys, rs256) = load_keys(
            store.as_ref(),
            settings.signing_alg,
            now,
            settings.lifetimes.access_token,
        )?;
        let mut users = HashMap::new();
        for u in &settings.users {
            let hash = match (&u.password_hash, &u.password) {
                (Some(h), _) => {
                    argon2::PasswordHash::new(h)
                        .map_err(|e| StateError::User(u.username.clone(), e.to_string()))?;
                    h.clone()
                }
                (None, Some(p)) => {
                    use argon2::PasswordHasher;
                    let h: argon2::PasswordHash = argon2::Argon2::default()
                        .hash_password(p.as_bytes())
                        .map_err(|e| StateError::User(u.username.clone(), e.to_string()))?;
                    h.to_string()
                }
                (None, None) => {
                    return Err(StateError::User(u.username.clone(), "no password".into()));
                }
            };
            users.insert(u.username.clone(), hash);
        }
        for c in &settings.clients {
            let method = AuthMethod::parse(&c.token_endpoint_auth_method)
                .unwrap_or(AuthMethod::ClientSecretBasic);
            let grant_types: Vec<GrantType> = c
                .grant_types
                .iter()
                .filter_map(|g| GrantType::parse(g))
                .collect();
            let record = ClientRecord {
                client_id: ClientId(c.client_id.clone()),
                secret_hash: c.client_secret.as_deref().map(SecretHash::of),
                registration_token_hash: None,
                metadata: ClientMetadata {
                    redirect_uris: c.redirect_uris.clone(),
                    response_types: if grant_types.contains(&GrantType::AuthorizationCode) {
                        vec!["code".into()]
                    } else {
                        vec![]
                    },
                    grant_types,
                    token_endpoint_auth_method: method,
                    scope: c
                        .scope
                        .as_deref()
                        .and_then(|s| Scope::parse(s).ok())
                        .unwrap_or_else(|| settings.scopes.clone()),
                    client_name: None,
                    id_token_signed_response_alg: None,
                    extra: Default::default(),
                },
                issued_at: now,
                lifetimes: Lifetimes::default(),
            };
            store.put_client(&record)?;
        }
        let denied = store.revoked_jtis(now)?.into_iter().collect();
        let admin_token = settings.test_admin.then(|| Secret(random_token()));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_millis(
                crate::upstream::DEFAULT_TIMEOUT_MS,
            ))
            .build()
            .map_err(|e| StateError::Http(e.to_string()))?;
        Ok(AppState(Arc::new(Inner {
            audience: format!("{issuer}/api"),
            issuer,
            scopes: settings.scopes.clone(),
            lifetimes: settings.lifetimes,
            signing_alg: settings.signing_alg,
            store,
            clock,
            keys: RwLock::new(keys),
            rs256: match rs256 {
                Some(k) => OnceLock::from(Some(k)),
                None => OnceLock::new(),
            },
            denied: RwLock::new(denied),
            max_access_ttl: AtomicI64::new(settings.lifetimes.access_token),
            users,
            interactions: Interactions::default(),
            sessions: crate::session::Sessions::default(),
            passwords: crate::password::PasswordChecker::default(),
            admin_token,
            templates: crate::pages::environment(),
            key_rotation: Mutex::new(()),
            faults: crate::faults::Faults::from_list(&settings.faults),
            upstreams: crate::upstream::Upstreams::new(settings.upstreams.clone()),
            login_page: settings.login_page,
            http,
        })))
    }

    /// The published keys.
    pub fn keys(&self) -> KeySet {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key that signs ID tokens with `alg`: the active key when it has
    /// that algorithm, else the RS256 key for `RS256`, else none.
    pub fn id_token_key(&self, alg: SigningAlg) -> Option<Arc<SigningKey>> {
        let active = self.keys().active;
        if active.alg() == alg {
            return Some(active);
        }
        self.rs256_key().filter(|k| k.alg() == alg)
    }

    /// The payload of a JWS signed by one of this server's ID-token keys
    /// (found by `kid`: the published keys, and the RS256 ID-token key when
    /// it is a key of its own). Claims are not looked at.
    pub fn verify_own_jws(&self, token: &str) -> Result<Vec<u8>, crate::jwt::TokenError> {
        use crate::jwt::{Lax, TokenError, verify_jws};
        let now = self.clock.now();
        match verify_jws(token, &self.keys(), now, &Lax::default()) {
            Err(TokenError::UnknownKey) => {
                // Not generated yet: it has signed nothing.
                let rs256 = self
                    .rs256
                    .get()
                    .cloned()
                    .flatten()
                    .ok_or(TokenError::UnknownKey)?;
                let only = KeySet {
                    active: rs256,
                    retired: Vec::new(),
                };
                verify_jws(token, &only, now, &Lax::default()).map(|j| j.payload)
            }
            other => other.map(|j| j.payload),
        }
    }

    /// The separate RS256 key, generated and stored at its first use;
    /// `None` when the access-token key is RS256 itself (or, should
    /// generating or storing fail, until the next start).
    fn rs256_key(&self) -> Option<Arc<SigningKey>> {
        if self.signing_alg == SigningAlg::RS256 {
            return None;
        }
        self.rs256
            .get_or_init(|| {
                let generated = SigningKey::generate(SigningAlg::RS256, self.clock.now())
                    .map_err(|e| e.to_string())
                    .and_then(|k| {
                        self.store.put_key(&k.record).map_err(|e| e.to_string())?;
                        Ok(Arc::new(k))
                    });
                generated
                    .inspect_err(|e| tracing::error!("no RS256 key for ID tokens: {e}"))
                    .ok()
            })
            .clone()
    }

    /// The published JWK Set (RFC 7517 §5): the access-token keys, with the
    /// RS256 ID-token key second when it is a key of its own.
    pub fn jwks(&self, now: UnixTime) -> serde_json::Value {
        let mut body = self.keys().jwks(now);
        if let (Some(k), Some(keys)) = (self.rs256_key(), body["keys"].as_array_mut()) {
            keys.insert(1.min(keys.len()), k.public_jwk().clone());
        }
        body
    }

    /// Generates a new active key; the old one stays published until every
    /// token it signed has expired.
    pub fn rotate_keys(&self) -> Result<String, StateError> {
        let _guard = self.key_rotation.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        let new = Arc::new(SigningKey::generate(self.signing_alg, now)?);
        let mut current = self.keys();
        let mut old = current.active.record.clone();
        old.publish_until = Some(now + self.publish_window());
        self.store.put_key(&old)?;
        self.store.put_key(&new.record)?;
        current
            .retired
            .retain(|k| k.record.publish_until.is_some_and(|t| t > now));
        current
            .retired
            .push(Arc::new(SigningKey::from_record(old)?));
        current.active = new.clone();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = current;
        Ok(new.kid().to_string())
    }

    /// How long a retired key stays published: until every access token
    /// and ID token it signed has expired.
    fn publish_window(&self) -> i64 {
        self.max_access_ttl
            .load(Ordering::Relaxed)
            .max(crate::id_token::ID_TOKEN_TTL)
            + crate::jwt::LEEWAY
    }

    /// Whether an access token's `jti` is on the deny list.
    pub fn is_revoked(&self, jti: &str) -> bool {
        self.denied
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(jti)
    }

    /// Puts a `jti` on the deny list until `exp`, in memory and in the store.
    pub fn deny(&self, jti: &str, exp: UnixTime) -> Result<(), StoreError> {
        self.store.revoke_jti(jti, exp)?;
        let mut denied = self.denied.write().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        if denied.len() > 10_000 {
            denied.retain(|_, e| *e + crate::jwt::LEEWAY > now);
        }
        denied.insert(jti.to_string(), exp + crate::jwt::LEEWAY);
        Ok(())
    }

    /// Revokes a grant: its refresh tokens, and every access token issued
    /// under it goes on the deny list.
    pub fn revoke_grant(&self, grant_id: &str) -> Result<(), StoreError> {
        for (jti, exp) in self.store.revoke_grant(grant_id)? {
            self.deny(&jti, exp)?;
        }
        Ok(())
    }

    /// Effective lifetimes for a client: its own overrides, else the defaults.
    pub fn lifetimes_for(&self, client: &ClientRecord) -> DefaultLifetimes {
        DefaultLifetimes {
            access_token: client
                .lifetimes
                .access_token
                .unwrap_or(self.lifetimes.access_token),
            refresh_token: client
                .lifetimes
                .refresh_token
                .unwrap_or(self.lifetimes.refresh_token),
            code: client.lifetimes.code.unwrap_or(self.lifetimes.code),
        }
    }

    /// Whether this server runs with `fault`.
    #[inline]
    pub fn fault(&self, fault: crate::faults::Fault) -> bool {
        self.faults.has(fault)
    }

    /// Records that some client's access tokens may live `ttl` seconds.
    pub fn note_access_ttl(&self, ttl: i64) {
        self.max_access_ttl.fetch_max(ttl, Ordering::Relaxed);
    }
}

/// Loads the stored keys: the newest unretired key of the configured
/// algorithm signs access tokens; when that is not RS256, the newest
/// unretired RS256 key signs ID tokens (generated at first use when there
/// is none, see [`AppState::id_token_key`]); any other unretired key is
/// retired now; an access-token key is generated when none fits.
fn load_keys(
    store: &dyn Store,
    alg: SigningAlg,
    now: UnixTime,
    access_ttl: i64,
) -> Result<(KeySet, Option<Arc<SigningKey>>), StateError> {
    let mut active: Option<Arc<SigningKey>> = None;
    let mut rs256: Option<Arc<SigningKey>> = None;
    let mut retired = Vec::new();
    let mut records = store.keys()?;
    records.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    for mut rec in records {
        match rec.publish_until {
            Some(until) if until <= now => continue,
            Some(_) => retired.push(Arc::new(SigningKey::from_record(rec)?)),
            None if rec.alg == alg && active.is_none() => {
                active = Some(Arc::new(SigningKey::from_record(rec)?))
            }
            None if rec.alg == SigningAlg::RS256 && alg != SigningAlg::RS256 && rs256.is_none() => {
                rs256 = Some(Arc::new(SigningKey::from_record(rec)?))
            }
            None => {
                rec.publish_until =
                    Some(now + access_ttl.max(crate::id_token::ID_TOKEN_TTL) + crate::jwt::LEEWAY);
                store.put_key(&rec)?;
                retired.push(Arc::new(SigningKey::from_record(rec)?));
            }
        }
    }
    let generate = |alg| -> Result<Arc<SigningKey>, StateError> {
        let k = SigningKey::generate(alg, now)?;
        store.put_key(&k.record)?;
        Ok(Arc::new(k))
    };
    let active = match active {
        Some(k) => k,
        None => generate(alg)?,
    };
    Ok((KeySet { active, retired }, rs256))
}
