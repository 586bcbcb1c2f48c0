//! A bounded map of short-lived entries: pending interactions between
//! `/authorize` and consent, pending upstream logins. Anyone can create
//! them (registration is open, `/authorize` needs no login), so the map
//! is bounded in entries, in bytes and per group (per client), and entries
//! expire in insertion order without a scan of the whole map on each insert.
//!
//! When the map is full, a newcomer from a group holding fewer entries than
//! the largest group pushes out that group's oldest entry: one client
//! flooding the server loses its own oldest logins, not other clients'.
//! Only when the largest group is no larger than the newcomer's is the
//! newcomer refused.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use crate::clock::UnixTime;

/// Why an entry was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Full {
    #[error("the server holds as many pending logins as it allows; try again later")]
    Total,
    #[error("this client has as many pending logins as it may ({0}); try again later")]
    Group(usize),
}

/// How much the map may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Entries in all.
    pub entries: usize,
    /// The sum of the entries' weights (their approximate size in bytes).
    pub bytes: usize,
    /// Entries of one group.
    pub per_group: usize,
}

struct Entry<V> {
    value: V,
    created_at: UnixTime,
    group: String,
    weight: usize,
}

/// A group's live entries, and its keys oldest first (keys already gone
/// from the map stay until they reach the front or a compaction).
#[derive(Default)]
struct Group {
    count: usize,
    keys: VecDeque<String>,
}

struct Inner<V> {
    map: HashMap<String, Entry<V>>,
    /// Keys in insertion order with their creation time; a key taken early
    /// stays here until it would have expired (or a compaction drops it).
    order: VecDeque<(UnixTime, String)>,
    groups: HashMap<String, Group>,
    /// (live entries, group) of every group: the largest is the last.
    by_size: BTreeSet<(usize, String)>,
    bytes: usize,
}

impl<V> Inner<V> {
    fn count(&self, group: &str) -> usize {
        self.groups.get(group).map_or(0, |g| g.count)
    }

    fn resize(&mut self, group: &str, from: usize, to: usize) {
        if from > 0 {
            self.by_size.remove(&(from, group.to_owned()));
        }
        if to > 0 {
            self.by_size.insert((to, group.to_owned()));
        }
    }

    /// Removes the entry under `key`, keeping counts and bytes true.
    fn remove(&mut self, key: &str) -> Option<Entry<V>> {
        let e = self.map.remove(key)?;
        self.bytes -= e.weight;
        let from = self.count(&e.group);
        self.resize(&e.group, from, from - 1);
        if from == 1 {
            self.groups.remove(&e.group);
        } else if let Some(g) = self.groups.get_mut(&e.group) {
            g.count -= 1;
            if g.keys.len() > 2 * g.count + 16 {
                let map = &self.map;
                g.keys.retain(|k| map.contains_key(k));
            }
        }
        Some(e)
    }

    /// Removes the oldest live entry of `group`.
    fn evict_oldest(&mut self, group: &str) {
        loop {
            let Some(key) = self.groups.get_mut(group).and_then(|g| g.keys.pop_front()) else {
                return;
            };
            if self.map.get(&key).is_some_and(|e| e.group == group) {
                self.remove(&key);
                return;
            }
        }
    }
}

/// Entries living `ttl` seconds, within `caps`.
pub struct Expiring<V> {
    inner: Mutex<Inner<V>>,
    ttl: i64,
    caps: Caps,
}

impl<V: Clone> Expiring<V> {
    pub fn new(ttl: i64, caps: Caps) -> Self {
        Expiring {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                groups: HashMap::new(),
                by_size: BTreeSet::new(),
                bytes: 0,
            }),
            ttl,
            caps,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<V>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn alive(&self, created_at: UnixTime, now: UnixTime) -> bool {
        created_at.saturating_add(self.ttl) > now
    }

    /// Stores `value` (about `weight` bytes) under a fresh `key` in
    /// `group`: unless the group is at its cap, or the map is full and no
    /// group is larger than this one.
    pub fn insert(
        &self,
        key: String,
        group: &str,
        value: V,
        weight: usize,
        now: UnixTime,
    ) -> Result<(), Full> {
        let mut inner = self.lock();
        self.prune(&mut inner, now);
        inner.remove(&key);
        let own = inner.count(group);
        if own >= self.caps.per_group {
            return Err(Full::Group(self.caps.per_group));
        }
        if weight > self.caps.bytes {
            return Err(Full::Total);
        }
        while inner.map.len() >= self.caps.entries || inner.bytes + weight > self.caps.bytes {
            match inner.by_size.last() {
                Some((largest, g)) if *largest > own + 1 => {
                    let g = g.clone();
                    inner.evict_oldest(&g);
                }
                _ => return Err(Full::Total),
            }
        }
        inner.resize(group, own, own + 1);
        let g = inner.groups.entry(group.to_owned()).or_default();
        g.count += 1;
        g.keys.push_back(key.clone());
        inner.order.push_back((now, key.clone()));
        inner.bytes += weight;
        inner.map.insert(
            key,
            Entry {
                value,
                created_at: now,
                group: group.to_owned(),
                weight,
            },
        );
        Ok(())
    }

    /// Drops expired entries from the front of the order: each entry is
    /// looked at once, so an insert costs O(log n) amortised.
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
            {
                inner.remove(&key);
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
        let e = self.lock().remove(key)?;
        self.alive(e.created_at, now).then_some(e.value)
    }

    /// Entries held (expired ones not yet pruned included).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sum of the weights of the entries held.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(entries: usize, bytes: usize, per_group: usize) -> Caps {
        Caps {
            entries,
            bytes,
            per_group,
        }
    }

    #[test]
    fn a_group_at_its_cap_is_refused() {
        let m = Expiring::new(600, caps(10, 1000, 2));
        m.insert("a".into(), "c1", 1, 1, 0).unwrap();
        m.insert("b".into(), "c1", 2, 1, 0).unwrap();
        assert_eq!(m.insert("c".into(), "c1", 3, 1, 0), Err(Full::Group(2)));
        // Taking one frees its place in the group.
        assert_eq!(m.take("a", 1), Some(1));
        m.insert("c".into(), "c1", 3, 1, 1).unwrap();
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn when_full_the_largest_group_gives_way_oldest_first() {
        let m = Expiring::new(600, caps(4, 1000, 10));
        for k in ["f1", "f2", "f3"] {
            m.insert(k.into(), "flood", 0, 1, 0).unwrap();
        }
        m.insert("h1".into(), "honest", 1, 1, 0).unwrap();
        // Full: an honest newcomer pushes out the flood's oldest entry.
        m.insert("h2".into(), "other", 2, 1, 1).unwrap();
        assert_eq!(m.get("f1", 1), None);
        assert_eq!(m.get("f2", 1), Some(0));
        assert_eq!(m.get("h1", 1), Some(1));
        // The flood (2 entries) cannot push out groups of 1.
        assert_eq!(m.insert("f4".into(), "flood", 0, 1, 1), Err(Full::Total));
        // Nor can a group as large as the largest push it out.
        assert_eq!(m.insert("h3".into(), "honest", 3, 1, 1), Err(Full::Total));
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn the_byte_budget_holds_and_is_freed() {
        let m = Expiring::new(600, caps(100, 10, 100));
        m.insert("a".into(), "c1", 1, 6, 0).unwrap();
        assert_eq!(m.insert("b".into(), "c1", 2, 6, 0), Err(Full::Total));
        assert_eq!(m.insert("c".into(), "c2", 3, 11, 0), Err(Full::Total));
        m.insert("d".into(), "c2", 4, 4, 0).unwrap();
        assert_eq!(m.bytes(), 10);
        m.take("a", 0);
        assert_eq!(m.bytes(), 4);
        m.insert("b".into(), "c1", 2, 6, 0).unwrap();
    }

    #[test]
    fn entries_expire_and_free_their_places() {
        let m = Expiring::new(10, caps(2, 1000, 2));
        m.insert("a".into(), "c", 1, 1, 0).unwrap();
        m.insert("b".into(), "c", 2, 1, 5).unwrap();
        assert_eq!(m.get("a", 9), Some(1));
        assert_eq!(m.get("a", 10), None, "dead at created_at + ttl");
        // At 10, "a" is pruned on insert, so "c" fits.
        m.insert("c".into(), "c", 3, 1, 10).unwrap();
        assert_eq!(m.take("b", 15), None, "expired: not returned");
        assert_eq!(m.len(), 1);
        assert_eq!(m.bytes(), 1);
    }

    #[test]
    fn keys_taken_early_do_not_pile_up() {
        let m = Expiring::new(600, caps(10, 1000, 10));
        for i in 0..10_000 {
            let k = format!("k{i}");
            m.insert(k.clone(), "c", i, 1, 0).unwrap();
            if i % 2 == 0 {
                assert_eq!(m.take(&k, 0), Some(i));
            } else {
                // Keep one alive so the group stays.
                m.take(&format!("k{}", i - 2), 0);
            }
        }
        let inner = m.lock();
        assert!(inner.order.len() <= 1024 + 2 * inner.map.len() + 1);
        assert!(
            inner
                .groups
                .values()
                .all(|g| g.keys.len() <= 2 * g.count + 17)
        );
        assert_eq!(inner.by_size.len(), inner.groups.len());
    }
}
