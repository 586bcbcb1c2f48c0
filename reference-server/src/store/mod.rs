//! Storage behind one trait, two implementations: [`MemoryStore`] and
//! [`SqliteStore`] (WAL, the default for `serve`, so a restart or a
//! `kill -9` loses no client, grant, refresh token or signing key).
//!
//! Every operation that decides "exactly once" (redeeming a code, rotating a
//! refresh token) is atomic inside the store, so concurrent requests with
//! the same credential succeed once.

mod memory;
mod sqlite;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::keys::{KeyRecord, SigningAlg};
use crate::protocol::{AuthMethod, ClientId, GrantType, Scope};
use crate::secrets::SecretHash;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("cannot open the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Registered client metadata (RFC 7591 §2). Unknown members the client
/// sent are kept verbatim in `extra` and echoed back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMetadata {
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<String>,
    pub token_endpoint_auth_method: AuthMethod,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The `alg` of this client's ID tokens (OpenID Connect Dynamic Client
    /// Registration §2); `None` is the default, RS256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<SigningAlg>,
    #[serde(default, flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Per-client token lifetimes in seconds, set through the test-admin API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifetimes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: ClientId,
    pub secret_hash: Option<SecretHash>,
    pub registration_token_hash: Option<SecretHash>,
    pub metadata: ClientMetadata,
    pub issued_at: UnixTime,
    #[serde(default)]
    pub lifetimes: Lifetimes,
}

/// An authorization code, stored under its hash (RFC 6749 §4.1.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub hash: SecretHash,
    pub client_id: ClientId,
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri`; if so the
    /// token request must repeat it (RFC 6749 §4.1.3).
    pub redirect_uri_in_request: bool,
    pub code_challenge: String,
    /// `S256`; other values only under a PKCE fault.
    #[serde(default = "s256_method")]
    pub code_challenge_method: String,
    pub scope: Scope,
    pub sub: String,
    pub grant_id: String,
    pub expires_at: UnixTime,
    pub used: bool,
    /// When the user logged in (OpenID Connect Core §2 `auth_time`); absent
    /// in rows written before the server was an OpenID Provider.
    #[serde(default)]
    pub auth_time: Option<UnixTime>,
    /// The authentication request's `nonce`, for the ID token (Core §3.1.2.1).
    #[serde(default)]
    pub nonce: Option<String>,
    /// The claims asked for by the `claims` parameter (Core §5.5).
    #[serde(default)]
    pub claims: crate::authn::RequestedClaims,
}

fn s256_method() -> String {
    "S256".to_string()
}

/// A grant: what one authorization (or one code) produced. Refresh tokens
/// of one grant are a family; revoking the grant revokes them all and every
/// access token recorded under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantRecord {
    pub grant_id: String,
    pub client_id: ClientId,
    pub sub: String,
    pub scope: Scope,
    pub revoked: bool,
    pub created_at: UnixTime,
    /// When the user logged in: every ID token of the grant, refreshed
    /// ones too, carries it (OpenID Connect Core §12.2).
    #[serde(default)]
    pub auth_time: Option<UnixTime>,
    /// The claims asked for by the `claims` parameter (Core §5.5), for
    /// refreshed tokens too.
    #[serde(default)]
    pub claims: crate::authn::RequestedClaims,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshState {
    Active,
    Rotated,
    Revoked,
}

impl RefreshState {
    fn as_str(self) -> &'static str {
        match self {
            RefreshState::Active => "active",
            RefreshState::Rotated => "rotated",
            RefreshState::Revoked => "revoked",
        }
    }
    fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "active" => Ok(RefreshState::Active),
            "rotated" => Ok(RefreshState::Rotated),
            "revoked" => Ok(RefreshState::Revoked),
            other => Err(StoreError::Corrupt(format!("refresh state {other:?}"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub hash: SecretHash,
    pub grant_id: String,
    pub client_id: ClientId,
    pub sub: String,
    pub scope: Scope,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    pub state: RefreshState,
}

/// Outcome of an attempt to rotate a refresh token.
#[derive(Debug, Clone, PartialEq)]
pub enum Rotation {
    /// The old token was active; it is now rotated out and the new one stored.
    Rotated,
    /// The old token was not active (already rotated, revoked, or its grant
    /// revoked): nothing was stored.
    NotActive(RefreshState),
    /// No such token.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub text: String,
    pub created_at: UnixTime,
}

/// Everything the server persists.
pub trait Store: Send + Sync + 'static {
    /// Inserts or replaces a client.
    fn put_client(&self, client: &ClientRecord) -> StoreResult<()>;
    fn client(&self, id: &str) -> StoreResult<Option<ClientRecord>>;
    /// Deletes a client; true if it existed.
    fn delete_client(&self, id: &str) -> StoreResult<bool>;

    /// Inserts or replaces a signing key.
    fn put_key(&self, key: &KeyRecord) -> StoreResult<()>;
    fn keys(&self) -> StoreResult<Vec<KeyRecord>>;

    fn put_code(&self, code: &CodeRecord) -> StoreResult<()>;
    fn code(&self, hash: &SecretHash) -> StoreResult<Option<CodeRecord>>;
    /// Marks a code used. True only for the one caller that found it unused.
    fn consume_code(&self, hash: &SecretHash) -> StoreResult<bool>;

    fn put_grant(&self, grant: &GrantRecord) -> StoreResult<()>;
    fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>>;
    /// Revokes a grant and its refresh tokens; returns `(jti, exp)` of every
    /// access token recorded under it, for the deny list.
    fn revoke_grant(&self, id: &str) -> StoreResult<Vec<(String, UnixTime)>>;
    /// Records an access token issued under a grant. False if the grant was
    /// revoked meanwhile (the caller must then deny-list the token).
    fn record_access_token(&self, jti: &str, grant_id: &str, exp: UnixTime) -> StoreResult<bool>;

    fn put_refresh(&self, token: &RefreshRecord) -> StoreResult<()>;
    fn refresh(&self, hash: &SecretHash) -> StoreResult<Option<RefreshRecord>>;
    /// Atomically: if `old` is active and its grant is not revoked, mark it
    /// rotated and store `new`.
    fn rotate_refresh(&self, old: &SecretHash, new: &RefreshRecord) -> StoreResult<Rotation>;

    /// Puts an access token's `jti` on the deny list until `exp`.
    fn revoke_jti(&self, jti: &str, exp: UnixTime) -> StoreResult<()>;
    /// Deny-listed `jti`s that have not expired at `now`.
    fn revoked_jtis(&self, now: UnixTime) -> StoreResult<Vec<(String, UnixTime)>>;

    fn add_note(&self, sub: &str, text: &str, now: UnixTime) -> StoreResult<Note>;
    fn notes(&self, sub: &str) -> StoreResult<Vec<Note>>;
}

#[cfg(test)]
mod old_rows {
    use super::*;

    /// Rows written before the server was an OpenID Provider still load.
    #[test]
    fn records_without_the_openid_fields_load() {
        let code: CodeRecord = serde_json::from_str(
            r#"{"hash":"00000000000000000000000000000000000000000000000000000000000000ff",
                "client_id":"c","redirect_uri":"http://127.0.0.1/cb",
                "redirect_uri_in_request":true,"code_challenge":"x","scope":"profile",
                "sub":"alice","grant_id":"g","expires_at":1,"used":false}"#,
        )
        .unwrap();
        assert_eq!((code.auth_time, code.nonce), (None, None));
        let grant: GrantRecord = serde_json::from_str(
            r#"{"grant_id":"g","client_id":"c","sub":"alice","scope":"profile",
                "revoked":false,"created_at":1}"#,
        )
        .unwrap();
        assert_eq!(grant.auth_time, None);
        let meta: ClientMetadata = serde_json::from_str(
            r#"{"redirect_uris":[],"grant_types":[],"response_types":[],
                "token_endpoint_auth_method":"none","scope":"profile","logo_uri":"x"}"#,
        )
        .unwrap();
        assert_eq!(meta.id_token_signed_response_alg, None);
        assert_eq!(meta.extra["logo_uri"], "x");
    }
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour both stores must share, run against each.
    use super::*;

    pub fn client(id: &str) -> ClientRecord {
        ClientRecord {
            client_id: ClientId(id.into()),
            secret_hash: Some(SecretHash::of("s")),
            registration_token_hash: None,
            metadata: ClientMetadata {
                redirect_uris: vec!["http://127.0.0.1/cb".into()],
                grant_types: vec![GrantType::AuthorizationCode],
                response_types: vec!["code".into()],
                token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
                scope: Scope::parse("profile").unwrap(),
                client_name: Some("n".into()),
                id_token_signed_response_alg: Some(SigningAlg::RS256),
                extra: Default::default(),
            },
            issued_at: 1,
            lifetimes: Lifetimes::default(),
        }
    }

    fn refresh(secret: &str, grant: &str) -> RefreshRecord {
        RefreshRecord {
            hash: SecretHash::of(secret),
            grant_id: grant.into(),
            client_id: ClientId("c".into()),
            sub: "alice".into(),
            scope: Scope::parse("profile").unwrap(),
            issued_at: 1,
            expires_at: 100,
            state: RefreshState::Active,
        }
    }

    pub fn run(store: &dyn Store) {
        // Clients.
        let c = client("c");
        store.put_client(&c).unwrap();
        assert_eq!(store.client("c").unwrap(), Some(c.clone()));
        assert!(store.delete_client("c").unwrap());
        assert!(!store.delete_client("c").unwrap());
        assert_eq!(store.client("c").unwrap(), None);

        // Codes are consumed once.
        let code = CodeRecord {
            hash: SecretHash::of("code"),
            client_id: ClientId("c".into()),
            redirect_uri: "http://127.0.0.1/cb".into(),
            redirect_uri_in_request: true,
            code_challenge: "x".into(),
            code_challenge_method: "S256".into(),
            scope: Scope::parse("profile").unwrap(),
            sub: "alice".into(),
            grant_id: "g1".into(),
            expires_at: 60,
            used: false,
            auth_time: Some(7),
            nonce: Some("n-0S6_WzA2Mj".into()),
            claims: crate::authn::RequestedClaims {
                userinfo: vec!["name".into()],
                id_token: vec![],
            },
        };
        store.put_code(&code).unwrap();
        assert_eq!(store.code(&code.hash).unwrap(), Some(code.clone()));
        assert!(store.consume_code(&code.hash).unwrap());
        assert!(!store.consume_code(&code.hash).unwrap());
        assert!(store.code(&code.hash).unwrap().unwrap().used);

        // Grants, refresh rotation, family revocation.
        store
            .put_grant(&GrantRecord {
                grant_id: "g1".into(),
                client_id: ClientId("c".into()),
                sub: "alice".into(),
                scope: Scope::parse("profile").unwrap(),
                revoked: false,
                created_at: 1,
                auth_time: Some(7),
                claims: Default::default(),
            })
            .unwrap();
        assert_eq!(store.grant("g1").unwrap().unwrap().auth_time, Some(7));
        store.put_refresh(&refresh("r1", "g1")).unwrap();
        assert_eq!(
            store
                .rotate_refresh(&SecretHash::of("r1"), &refresh("r2", "g1"))
                .unwrap(),
            Rotation::Rotated
        );
        assert_eq!(
            store
                .rotate_refresh(&SecretHash::of("r1"), &refresh("r3", "g1"))
                .unwrap(),
            Rotation::NotActive(RefreshState::Rotated)
        );
        assert_eq!(store.refresh(&SecretHash::of("r3")).unwrap(), None);
        assert_eq!(
            store
                .rotate_refresh(&SecretHash::of("nope"), &refresh("r4", "g1"))
                .unwrap(),
            Rotation::Unknown
        );
        assert!(store.record_access_token("j1", "g1", 50).unwrap());
        let denied = store.revoke_grant("g1").unwrap();
        assert_eq!(denied, vec![("j1".to_string(), 50)]);
        assert!(store.grant("g1").unwrap().unwrap().revoked);
        assert_eq!(
            store.refresh(&SecretHash::of("r2")).unwrap().unwrap().state,
            RefreshState::Revoked
        );
        assert!(!store.record_access_token("j2", "g1", 50).unwrap());
        assert_eq!(
            store
                .rotate_refresh(&SecretHash::of("r2"), &refresh("r5", "g1"))
                .unwrap(),
            Rotation::NotActive(RefreshState::Revoked)
        );

        // Deny list expires.
        store.revoke_jti("j9", 10).unwrap();
        assert!(
            store
                .revoked_jtis(5)
                .unwrap()
                .contains(&("j9".to_string(), 10))
        );
        assert!(
            !store
                .revoked_jtis(10)
                .unwrap()
                .iter()
                .any(|(j, _)| j == "j9")
        );

        // Notes per subject.
        let n = store.add_note("alice", "hello", 3).unwrap();
        assert_eq!(store.notes("alice").unwrap(), vec![n]);
        assert!(store.notes("bob").unwrap().is_empty());

        // Keys.
        let k = KeyRecord {
            kid: "k1".into(),
            alg: SigningAlg::EdDSA,
            pkcs8: vec![1, 2, 3],
            created_at: 1,
            publish_until: None,
        };
        store.put_key(&k).unwrap();
        let mut k2 = k.clone();
        k2.publish_until = Some(99);
        store.put_key(&k2).unwrap();
        assert_eq!(store.keys().unwrap(), vec![k2]);
    }
}
