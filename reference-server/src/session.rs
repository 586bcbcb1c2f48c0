//! Login sessions of the OpenID Provider (OpenID Connect Core §3.1.2.1
//! `prompt`, `max_age`): single sign-on across authorization requests.
//!
//! A successful password login sets the `op_session` cookie, a 256-bit
//! random value; the server keeps only its SHA-256, keying `{ user,
//! auth_time }` and the consents the user gave during the session. A
//! session lives [`SESSION_TTL`] seconds on the server's clock (so the
//! test-admin clock can end it) and is held in memory within caps, like
//! the pending interactions (see [`crate::expiring`]): a restart logs
//! everyone out.

use crate::clock::UnixTime;
use crate::expiring::{Caps, Expiring, Full};
use crate::protocol::Scope;
use crate::secrets::{SecretHash, random_token};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "op_session";

/// How long a login session lasts from the password login: one hour.
pub const SESSION_TTL: i64 = 3600;

/// At most this many sessions in all…
pub const MAX_SESSIONS: usize = 10_000;
/// …weighing at most this much (see [`Session::weight`])…
pub const MAX_SESSION_BYTES: usize = 32 << 20;
/// …and at most this many for one user: logging in again and again as one
/// user pushes out that user's oldest sessions, not other users'.
pub const MAX_SESSIONS_PER_USER: usize = 1_000;
/// The consents one session remembers; the oldest is forgotten first.
pub const MAX_CONSENTS: usize = 16;

/// A consent the user gave during the session: this client, this scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub client_id: String,
    pub scope: Scope,
}

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The key the session is stored under (hex SHA-256 of the cookie).
    pub key: String,
    pub user: String,
    /// When the user entered the password (Core §2 `auth_time`).
    pub auth_time: UnixTime,
    pub consents: Vec<Consent>,
}

impl Session {
    /// Whether the user already granted `client_id` a scope that includes
    /// `scope`.
    pub fn has_consent(&self, client_id: &str, scope: &Scope) -> bool {
        self.consents
            .iter()
            .any(|c| c.client_id == client_id && scope.missing_from(&c.scope).next().is_none())
    }

    /// About how many bytes this takes, counted with room for every
    /// consent it may come to hold (the map's weight is fixed at insert):
    /// a consent is a server-made client id and a scope drawn from the
    /// server's own (registration refuses any other), about 128 bytes. So
    /// 10,000 sessions weigh about 31 MB.
    fn weight(user: &str) -> usize {
        1024 + user.len() + MAX_CONSENTS * 128
    }
}

/// The live sessions, bounded (see [`crate::expiring`]).
pub struct Sessions {
    inner: Expiring<Session>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            inner: Expiring::new(
                SESSION_TTL,
                Caps {
                    entries: MAX_SESSIONS,
                    bytes: MAX_SESSION_BYTES,
                    per_group: MAX_SESSIONS_PER_USER,
                },
            ),
        }
    }
}

/// The store key of a session cookie's value.
fn key_of(cookie: &str) -> String {
    SecretHash::of(cookie).to_hex()
}

impl Sessions {
    /// Starts a session for `user`, authenticated at `now`; returns the
    /// cookie value (the only copy of it) and the session.
    pub fn start(&self, user: &str, now: UnixTime) -> Result<(String, Session), Full> {
        let cookie = random_token();
        let session = Session {
            key: key_of(&cookie),
            user: user.to_string(),
            auth_time: now,
            consents: Vec::new(),
        };
        self.inner.insert(
            session.key.clone(),
            user,
            session.clone(),
            Session::weight(user),
            now,
        )?;
        Ok((cookie, session))
    }

    /// The live session a cookie value names.
    pub fn find(&self, cookie: &str, now: UnixTime) -> Option<Session> {
        self.inner.get(&key_of(cookie), now)
    }

    /// Ends the session a cookie value names, if any (a new login replaces
    /// it).
    pub fn end(&self, cookie: &str, now: UnixTime) {
        self.inner.take(&key_of(cookie), now);
    }

    /// Remembers, in the session stored under `key`, that the user granted
    /// `client_id` the `scope`.
    pub fn remember_consent(&self, key: &str, client_id: &str, scope: &Scope) {
        self.inner.update(key, |s| {
            s.consents.retain(|c| c.client_id != client_id);
            if s.consents.len() >= MAX_CONSENTS {
                s.consents.remove(0);
            }
            s.consents.push(Consent {
                client_id: client_id.to_string(),
                scope: scope.clone(),
            });
        });
    }

    /// Sessions held.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_cookie_until_it_expires() {
        let s = Sessions::default();
        let (cookie, session) = s.start("alice", 100).unwrap();
        assert_ne!(session.key, cookie, "only the hash is kept");
        assert_eq!(s.find(&cookie, 100 + SESSION_TTL - 1), Some(session));
        assert_eq!(s.find(&cookie, 100 + SESSION_TTL), None);
        assert_eq!(s.find("not-a-cookie", 100), None);
    }

    #[test]
    fn consents_cover_narrower_scopes_of_the_same_client_and_are_bounded() {
        let s = Sessions::default();
        let (cookie, session) = s.start("alice", 0).unwrap();
        let wide = Scope::parse("openid email profile").unwrap();
        s.remember_consent(&session.key, "c1", &wide);
        let now = s.find(&cookie, 1).unwrap();
        assert!(now.has_consent("c1", &Scope::parse("openid email").unwrap()));
        assert!(!now.has_consent("c1", &Scope::parse("openid notes:read").unwrap()));
        assert!(!now.has_consent("c2", &Scope::parse("openid").unwrap()));
        for i in 0..2 * MAX_CONSENTS {
            s.remember_consent(&session.key, &format!("x{i}"), &wide);
        }
        assert_eq!(s.find(&cookie, 1).unwrap().consents.len(), MAX_CONSENTS);
    }
}
