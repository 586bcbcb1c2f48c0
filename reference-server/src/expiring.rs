//! A bounded map of short-lived entries: pending interactions between
//! `/authorize` and consent, pending upstream logins. Anyone can create
//! them (registration is open, `/authorize` needs no login), so the map
//! has a total cap and a cap per group (per client), and entries expire
//! in insertion order without a scan of the whole map on each insert.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use crate::clock::UnixTime;

/// Why an entry was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Full {
    #[error("the server holds as many pending logins as it allows ({0}); try again later")]
    Total(usize),
    #[error("this client has as many pending logins as it may ({0}); try again later")]
    Group(usize),
}

struct Entry<V> {
    value: V,
    created_at: UnixTime,
    group: String,
}

struct Inner<V> {
    map: HashMap<String, Entry<V>>,
    /// Keys in insertion order with their creation time; a key taken early
    /// stays here until it would have expired (or a compaction drops it).
    order: VecDeque<(UnixTime, String)>,
    per_group: HashMap<String, usize>,
}

/// Entries living `ttl` seconds, at most `cap` of them and `group_cap` per
/// group.
pub struct Expiring<V> {
    inner: Mutex<Inner<V>>,
    ttl: i64,
    cap: usize,
    group_cap: usize,
}

impl<V: Clone> Expiring<V> {
    pub fn new(ttl: i64, cap: usize, group_cap: usize) -> Self {
        Expiring {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                per_group: HashMap::new(),
            }),
            ttl,
            cap,
            group_cap,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<V>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn alive(&self, created_at: UnixTime, now: UnixTime) -> bool {
        created_at.saturating_add(self.ttl) > now
    }

    /// Stores `value` under `key` in `group`, unless a cap is reached.
    pub fn insert(&self, key: String, group: &str, value: V, now: UnixTime) -> Result<(), Full> {
        let mut inner = self.lock();
        self.prune(&mut inner, now);
        if inner.map.len() >= self.cap {
            return Err(Full::Total(self.cap));
        }
        let in_group = inner.per_group.get(group).copied().unwrap_or(0);
        if in_group >= self.group_cap {
            return Err(Full::Group(self.group_cap));
        }
        *inner.per_group.entry(group.to_owned()).or_default() += 1;
        inner.order.push_back((now, key.clone()));
        if let Some(old) = inner.map.insert(
            key,
            Entry {
                value,
                created_at: now,
                group: group.to_owned(),
            },
        ) {
            release(&mut inner.per_group, &old.group);
        }
        Ok(())
    }

    /// Drops expired entries from the front of the order: each entry is
    /// looked at once, so an insert costs O(1) amortised.
    fn prune(&self, inner: &mut Inner<V>, now: UnixTime) {
        while let Some((created_at, _)) = inner.order.front() {
            if self.alive(*created_at, now) {
                break;
            }
            let Some((created_at, key)) = inner.order.pop_front() else {
                break;
            };
            if inner
                .map
                .get(&key)
                .is_some_and(|e| e.created_at == created_at)
                && let Some(e) = inner.map.remove(&key)
            {
                release(&mut inner.per_group, &e.group);
            }
        }
        // Keys taken before they expired: compact once they dominate.
        if inner.order.len() > 2 * inner.map.len() + 1024 {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|(_, k)| map.contains_key(k));
        }
    }

    /// The live entry under `key`.
    pub fn get(&self, key: &str, now: UnixTime) -> Option<V> {
        self.lock()
            .map
            .get(key)
            .filter(|e| self.alive(e.created_at, now))
            .map(|e| e.value.clone())
    }

    /// Changes the entry under `key`, if there is one.
    pub fn update(&self, key: &str, f: impl FnOnce(&mut V)) {
        if let Some(e) = self.lock().map.get_mut(key) {
            f(&mut e.value);
        }
    }

    /// Removes and returns the live entry under `key`.
    pub fn take(&self, key: &str, now: UnixTime) -> Option<V> {
        let mut inner = self.lock();
        let e = inner.map.remove(key)?;
        release(&mut inner.per_group, &e.group);
        self.alive(e.created_at, now).then_some(e.value)
    }

    /// Entries held (expired ones not yet pruned included).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn release(per_group: &mut HashMap<String, usize>, group: &str) {
    if let Some(n) = per_group.get_mut(group) {
        *n -= 1;
        if *n == 0 {
            per_group.remove(group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_in_total_and_per_group() {
        let m = Expiring::new(600, 3, 2);
        m.insert("a".into(), "c1", 1, 0).unwrap();
        m.insert("b".into(), "c1", 2, 0).unwrap();
        assert_eq!(m.insert("c".into(), "c1", 3, 0), Err(Full::Group(2)));
        m.insert("d".into(), "c2", 4, 0).unwrap();
        assert_eq!(m.insert("e".into(), "c3", 5, 0), Err(Full::Total(3)));
        // Taking one frees its place in the total and in its group.
        assert_eq!(m.take("a", 1), Some(1));
        m.insert("c".into(), "c1", 3, 1).unwrap();
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn entries_expire_and_free_their_places() {
        let m = Expiring::new(10, 2, 2);
        m.insert("a".into(), "c", 1, 0).unwrap();
        m.insert("b".into(), "c", 2, 5).unwrap();
        assert_eq!(m.get("a", 9), Some(1));
        assert_eq!(m.get("a", 10), None, "dead at created_at + ttl");
        // At 10, "a" is pruned on insert, so "c" fits.
        m.insert("c".into(), "c", 3, 10).unwrap();
        assert_eq!(m.take("b", 15), None, "expired: not returned");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn keys_taken_early_do_not_pile_up_in_the_order() {
        let m = Expiring::new(600, 10, 10);
        for i in 0..10_000 {
            let k = format!("k{i}");
            m.insert(k.clone(), "c", i, 0).unwrap();
            assert_eq!(m.take(&k, 0), Some(i));
        }
        assert!(m.lock().order.len() <= 1024 + 1);
    }
}
