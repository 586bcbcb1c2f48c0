//! Pending authorization requests between `/authorize` and the redirect
//! back to the client: the login and consent steps in between.
//!
//! Each interaction is bound to the browser that started it by a cookie, and
//! each form carries a CSRF token; both must match on every POST. An
//! interaction lives ten minutes and is kept in memory (a restart of the
//! server asks the user to start the login again), at most
//! [`MAX_PENDING`] of them and [`MAX_PENDING_PER_CLIENT`] per client.

use crate::clock::UnixTime;
use crate::expiring::{Caps, Expiring, Full};
use crate::protocol::{ClientId, Scope};

/// How long a user has to log in and consent.
pub const INTERACTION_TTL: i64 = 600;

/// A validated authorization request waiting for the user.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: String,
    pub client_id: ClientId,
    pub client_name: Option<String>,
    pub redirect_uri: String,
    pub redirect_uri_in_request: bool,
    pub state: Option<String>,
    pub scope: Scope,
    pub code_challenge: String,
    /// `S256`; other values only under a PKCE fault.
    pub code_challenge_method: String,
    pub csrf_token: String,
    /// The value of the browser-binding cookie set at `/authorize`.
    pub browser: String,
    /// Set once the user has logged in.
    pub user: Option<String>,
    /// When the user logged in (OpenID Connect Core §2 `auth_time`): set
    /// with `user`, when the credentials were checked.
    pub auth_time: Option<UnixTime>,
    /// The store key of the login session the user is logged in with
    /// (see [`crate::session`]): where an approval is remembered.
    pub session: Option<String>,
    /// The authentication request's `nonce`, echoed in the ID token
    /// (OpenID Connect Core §3.1.2.1).
    pub nonce: Option<String>,
    /// The request's `login_hint`, prefilled in the login form.
    pub login_hint: Option<String>,
    /// The claims asked for one by one (Core §5.5).
    pub claims: crate::authn::RequestedClaims,
    pub created_at: UnixTime,
}

impl Interaction {
    /// About how many bytes this takes in memory: a fixed part measured
    /// with small values (1.4 KB each for 10,000 interactions, with the
    /// map's own keys), plus what the client chose the length of.
    pub fn weight(&self) -> usize {
        1024 + self.state.as_ref().map_or(0, String::len)
            + self.redirect_uri.len()
            + self.client_name.as_ref().map_or(0, String::len)
            + self.scope.to_string().len()
            + self.nonce.as_ref().map_or(0, String::len)
            + self.login_hint.as_ref().map_or(0, String::len)
            + self.claims.weight()
    }
}

/// At most this many interactions are pending at once…
pub const MAX_PENDING: usize = 10_000;
/// …weighing at most this much in all (see [`Interaction::weight`])…
pub const MAX_PENDING_BYTES: usize = 32 << 20;
/// …and at most this many for one client. When the server is full, the
/// client holding the most gives way (see [`crate::expiring`]).
pub const MAX_PENDING_PER_CLIENT: usize = 1_000;

/// The pending interactions, bounded (see [`crate::expiring`]).
pub struct Interactions {
    inner: Expiring<Interaction>,
}

impl Default for Interactions {
    fn default() -> Self {
        Interactions {
            inner: Expiring::new(
                INTERACTION_TTL,
                Caps {
                    entries: MAX_PENDING,
                    bytes: MAX_PENDING_BYTES,
                    per_group: MAX_PENDING_PER_CLIENT,
                },
            ),
        }
    }
}

impl Interactions {
    /// Stores an interaction, unless the server or its client holds as many
    /// as they may.
    pub fn insert(&self, ix: Interaction, now: UnixTime) -> Result<(), Full> {
        let client = ix.client_id.as_str().to_owned();
        let weight = ix.weight();
        self.inner.insert(ix.id.clone(), &client, ix, weight, now)
    }

    pub fn get(&self, id: &str, now: UnixTime) -> Option<Interaction> {
        self.inner.get(id, now)
    }

    /// Records who logged in, and when (`auth_time`), outside any login
    /// session (an upstream login, a test fixture).
    pub fn set_user(&self, id: &str, user: &str, now: UnixTime) {
        self.log_in(id, user, now, None);
    }

    /// Records who logged in, when (`auth_time`), and the login session
    /// this started, if any.
    pub fn log_in(&self, id: &str, user: &str, now: UnixTime, session: Option<String>) {
        self.inner.update(id, |i| {
            i.user = Some(user.to_string());
            i.auth_time = Some(now);
            i.session = session;
        });
    }

    /// Removes and returns the interaction: the consent step ends it, once.
    pub fn take(&self, id: &str, now: UnixTime) -> Option<Interaction> {
        self.inner.take(id, now)
    }

    /// Interactions held.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Their weight in all (see [`Interaction::weight`]).
    pub fn bytes(&self) -> usize {
        self.inner.bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}
