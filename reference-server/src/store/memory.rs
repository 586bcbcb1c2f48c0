//! The in-memory store (`--in-memory`): everything is lost on exit.

use std::collections::HashMap;
use std::sync::Mutex;

use super::*;

#[derive(Default)]
struct Inner {
    clients: HashMap<String, ClientRecord>,
    keys: Vec<KeyRecord>,
    codes: HashMap<SecretHash, CodeRecord>,
    grants: HashMap<String, GrantRecord>,
    access: HashMap<String, Vec<(String, UnixTime)>>,
    refresh: HashMap<SecretHash, RefreshRecord>,
    denied: HashMap<String, UnixTime>,
    notes: HashMap<String, Vec<Note>>,
    next_note: i64,
}

/// Keeps everything in process memory.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written record
        // (every update is a single insert), so a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn put_client(&self, client: &ClientRecord) -> StoreResult<()> {
        self.lock()
            .clients
            .insert(client.client_id.0.clone(), client.clone());
        Ok(())
    }
    fn client(&self, id: &str) -> StoreResult<Option<ClientRecord>> {
        Ok(self.lock().clients.get(id).cloned())
    }
    fn delete_client(&self, id: &str) -> StoreResult<bool> {
        Ok(self.lock().clients.remove(id).is_some())
    }

    fn put_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let mut g = self.lock();
        g.keys.retain(|k| k.kid != key.kid);
        g.keys.push(key.clone());
        Ok(())
    }
    fn keys(&self) -> StoreResult<Vec<KeyRecord>> {
        Ok(self.lock().keys.clone())
    }

    fn put_code(&self, code: &CodeRecord) -> StoreResult<()> {
        self.lock().codes.insert(code.hash, code.clone());
        Ok(())
    }
    fn code(&self, hash: &SecretHash) -> StoreResult<Option<CodeRecord>> {
        Ok(self.lock().codes.get(hash).cloned())
    }
    fn consume_code(&self, hash: &SecretHash) -> StoreResult<bool> {
        Ok(match self.lock().codes.get_mut(hash) {
            Some(c) if !c.used => {
                c.used = true;
                true
            }
            _ => false,
        })
    }

    fn put_grant(&self, grant: &GrantRecord) -> StoreResult<()> {
        self.lock()
            .grants
            .insert(grant.grant_id.clone(), grant.clone());
        Ok(())
    }
    fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>> {
        Ok(self.lock().grants.get(id).cloned())
    }
    fn revoke_grant(&self, id: &str) -> StoreResult<Vec<(String, UnixTime)>> {
        let mut g = self.lock();
        if let Some(grant) = g.grants.get_mut(id) {
            grant.revoked = true;
        }
        for r in g.refresh.values_mut().filter(|r| r.grant_id == id) {
            r.state = RefreshState::Revoked;
        }
        let access = g.access.get(id).cloned().unwrap_or_default();
        for (jti, exp) in &access {
            g.denied.insert(jti.clone(), *exp);
        }
        Ok(access)
    }
    fn record_access_token(&self, jti: &str, grant_id: &str, exp: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock();
        g.access
            .entry(grant_id.to_string())
            .or_default()
            .push((jti.to_string(), exp));
        Ok(!g.grants.get(grant_id).is_some_and(|gr| gr.revoked))
    }

    fn put_refresh(&self, token: &RefreshRecord) -> StoreResult<()> {
        self.lock().refresh.insert(token.hash, token.clone());
        Ok(())
    }
    fn refresh(&self, hash: &SecretHash) -> StoreResult<Option<RefreshRecord>> {
        Ok(self.lock().refresh.get(hash).cloned())
    }
    fn rotate_refresh(&self, old: &SecretHash, new: &RefreshRecord) -> StoreResult<Rotation> {
        let mut g = self.lock();
        let Some(current) = g.refresh.get(old) else {
            return Ok(Rotation::Unknown);
        };
        if current.state != RefreshState::Active {
            return Ok(Rotation::NotActive(current.state));
        }
        if g.grants.get(&current.grant_id).is_some_and(|gr| gr.revoked) {
            return Ok(Rotation::NotActive(RefreshState::Revoked));
        }
        if let Some(current) = g.refresh.get_mut(old) {
            current.state = RefreshState::Rotated;
        }
        g.refresh.insert(new.hash, new.clone());
        Ok(Rotation::Rotated)
    }

    fn revoke_jti(&self, jti: &str, exp: UnixTime) -> StoreResult<()> {
        self.lock().denied.insert(jti.to_string(), exp);
        Ok(())
    }
    fn revoked_jtis(&self, now: UnixTime) -> StoreResult<Vec<(String, UnixTime)>> {
        let mut g = self.lock();
        g.denied.retain(|_, exp| *exp > now);
        Ok(g.denied.iter().map(|(j, e)| (j.clone(), *e)).collect())
    }

    fn add_note(&self, sub: &str, text: &str, now: UnixTime) -> StoreResult<Note> {
        let mut g = self.lock();
        g.next_note += 1;
        let note = Note {
            id: g.next_note,
            text: text.to_string(),
            created_at: now,
        };
        g.notes
            .entry(sub.to_string())
            .or_default()
            .push(note.clone());
        Ok(note)
    }
    fn notes(&self, sub: &str) -> StoreResult<Vec<Note>> {
        Ok(self.lock().notes.get(sub).cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_store_meets_the_contract() {
        super::super::contract::run(&super::MemoryStore::new());
    }
}
