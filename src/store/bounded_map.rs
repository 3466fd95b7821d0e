//! A map that cannot grow without bound: each entry may expire, and a full map makes room by
//! dropping the expired entries, then the oldest. The one home of "evict the oldest" for the
//! registered OAuth clients, the sign-ins in progress, the idempotency records and each
//! session's cache.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Clock;

/// Entries by key, at most `capacity` of them, each alive until its expiry (if any) on
/// `clock`. Every method takes the lock once and never awaits while holding it.
#[derive(Debug)]
pub struct BoundedMap<K, V> {
    capacity: usize,
    clock: Clock,
    entries: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    /// Counts insertions: the entry with the smallest number is the oldest.
    inserted: u64,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    expires: Option<Instant>,
    order: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedMap<K, V> {
    /// An empty map of at most `capacity` entries (at least one).
    pub fn new(capacity: usize, clock: Clock) -> Self {
        Self {
            capacity: capacity.max(1),
            clock,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                inserted: 0,
            }),
        }
    }

    /// Keeps `value` under `key` for `ttl` (`None`: until evicted), replacing any entry there.
    pub fn insert(&self, key: K, value: V, ttl: Option<Duration>) {
        let now = self.clock.now();
        let mut entries = self.lock();
        entries.map.remove(&key);
        self.make_room(&mut entries, now);
        entries.add(key, value, ttl.map(|ttl| now + ttl));
    }

    /// The live value under `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        let now = self.clock.now();
        let entries = self.lock();
        let entry = entries.map.get(key)?;
        entry.alive_at(now).then(|| entry.value.clone())
    }

    /// The live value under `key`, or `make()`'s, kept for `ttl`.
    pub fn get_or_insert_with(&self, key: K, ttl: Option<Duration>, make: impl FnOnce() -> V) -> V {
        let now = self.clock.now();
        let mut entries = self.lock();
        if let Some(entry) = entries.map.get(&key)
            && entry.alive_at(now)
        {
            return entry.value.clone();
        }
        entries.map.remove(&key);
        self.make_room(&mut entries, now);
        let value = make();
        entries.add(key, value.clone(), ttl.map(|ttl| now + ttl));
        value
    }

    /// Takes the entry under `key` out, live or not.
    pub fn remove(&self, key: &K) -> Option<V> {
        self.lock().map.remove(key).map(|entry| entry.value)
    }

    /// Live entries (tests and metrics).
    pub fn len(&self) -> usize {
        let now = self.clock.now();
        self.lock().map.values().filter(|e| e.alive_at(now)).count()
    }

    /// True when no entry is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Before an insertion into a full map: drops the expired entries, then the oldest.
    fn make_room(&self, entries: &mut Entries<K, V>, now: Instant) {
        if entries.map.len() < self.capacity {
            return;
        }
        entries.map.retain(|_, entry| entry.alive_at(now));
        while entries.map.len() >= self.capacity {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, entry)| entry.order)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => entries.map.remove(&key),
                None => break,
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<K: Eq + Hash, V> Entries<K, V> {
    fn add(&mut self, key: K, value: V, expires: Option<Instant>) {
        self.inserted += 1;
        let order = self.inserted;
        self.map.insert(
            key,
            Entry {
                value,
                expires,
                order,
            },
        );
    }
}

impl<V> Entry<V> {
    fn alive_at(&self, now: Instant) -> bool {
        self.expires.is_none_or(|expires| now < expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_drops_the_expired_then_the_oldest() {
        let clock = Clock::system();
        let map = BoundedMap::new(3, clock.clone());
        map.insert("short", 1, Some(Duration::from_secs(1)));
        map.insert("a", 2, None);
        map.insert("b", 3, None);
        clock.advance(Duration::from_secs(2));
        assert_eq!(map.get(&"short"), None, "expired");
        map.insert("c", 4, None);
        assert_eq!((map.get(&"a"), map.get(&"b")), (Some(2), Some(3)));
        map.insert("d", 5, None);
        assert_eq!(map.get(&"a"), None, "the oldest made room");
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn get_or_insert_keeps_a_live_value_and_replaces_an_expired_one() {
        let clock = Clock::system();
        let map = BoundedMap::new(10, clock.clone());
        let ttl = Some(Duration::from_secs(60));
        assert_eq!(map.get_or_insert_with("k", ttl, || 1), 1);
        assert_eq!(map.get_or_insert_with("k", ttl, || 2), 1);
        clock.advance(Duration::from_secs(61));
        assert_eq!(map.get_or_insert_with("k", ttl, || 3), 3);
        assert_eq!(map.remove(&"k"), Some(3));
        assert!(map.is_empty());
    }
}
