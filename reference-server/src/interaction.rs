//! Pending authorization requests between `/authorize` and the redirect
//! back to the client: the login and consent steps in between.
//!
//! Each interaction is bound to the browser that started it by a cookie, and
//! each form carries a CSRF token; both must match on every POST. An
//! interaction lives ten minutes and is kept in memory (a restart of the
//! server asks the user to start the login again).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::UnixTime;
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
    pub created_at: UnixTime,
}

#[derive(Default)]
pub struct Interactions {
    inner: Mutex<HashMap<String, Interaction>>,
}

impl Interactions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Interaction>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, ix: Interaction, now: UnixTime) {
        let mut map = self.lock();
        map.retain(|_, i| i.created_at + INTERACTION_TTL > now);
        map.insert(ix.id.clone(), ix);
    }

    pub fn get(&self, id: &str, now: UnixTime) -> Option<Interaction> {
        self.lock()
            .get(id)
            .filter(|i| i.created_at + INTERACTION_TTL > now)
            .cloned()
    }

    pub fn set_user(&self, id: &str, user: &str) {
        if let Some(i) = self.lock().get_mut(id) {
            i.user = Some(user.to_string());
        }
    }

    /// Removes and returns the interaction: the consent step ends it, once.
    pub fn take(&self, id: &str, now: UnixTime) -> Option<Interaction> {
        self.lock()
            .remove(id)
            .filter(|i| i.created_at + INTERACTION_TTL > now)
    }
}
