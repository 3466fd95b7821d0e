//! A small per-session cache with a time-to-live, for lookups and week pages. People ask
//! about the same customers and weeks many times in one conversation; the hierarchy rarely
//! changes within minutes, and each upstream call costs the person a wait.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use super::{BoundedMap, Clock};

/// Entries one session may hold; past it, expired ones are dropped and then the oldest.
const MAX_ENTRIES: usize = 4096;

/// Answers by key, each fresh for `ttl`. Concurrent requests for the same key share one
/// fetch. A failed fetch is not remembered, so the next request tries again.
#[derive(Debug)]
pub struct TtlCache<T> {
    ttl: Duration,
    slots: BoundedMap<String, Arc<OnceCell<Arc<T>>>>,
}

impl<T> TtlCache<T> {
    /// A cache whose answers live `ttl` on `clock`; zero turns caching off.
    pub fn new(ttl: Duration, clock: Clock) -> Self {
        Self {
            ttl,
            slots: BoundedMap::new(MAX_ENTRIES, clock),
        }
    }

    /// The fresh answer for `key`, or the result of `fetch`, shared with concurrent callers.
    pub async fn get_or_fetch<E, F, Fut>(&self, key: &str, fetch: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if self.ttl.is_zero() {
            return fetch().await.map(Arc::new);
        }
        let cell = self
            .slots
            .get_or_insert_with(key.to_string(), Some(self.ttl), Arc::default);
        cell.get_or_try_init(|| async { fetch().await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Forgets `key`, e.g. the week page a booking just changed.
    pub fn invalidate(&self, key: &str) {
        self.slots.remove(&key.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn fetch_counting(calls: &AtomicUsize, value: u32) -> Result<u32, ()> {
        calls.fetch_add(1, Ordering::SeqCst);
        // Yields, so the other requests arrive while this fetch is in flight.
        tokio::task::yield_now().await;
        Ok(value)
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_fetch_and_repeats_hit() {
        let cache = TtlCache::new(Duration::from_secs(60), Clock::system());
        let calls = AtomicUsize::new(0);
        let get = || cache.get_or_fetch("k", || fetch_counting(&calls, 7));
        let (a, b, c) = tokio::join!(get(), get(), get());
        assert_eq!((*a.unwrap(), *b.unwrap(), *c.unwrap()), (7, 7, 7));
        assert_eq!(*get().await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache.invalidate("k");
        get().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn zero_ttl_and_failures_are_not_cached() {
        let off = TtlCache::new(Duration::ZERO, Clock::system());
        let calls = AtomicUsize::new(0);
        off.get_or_fetch("k", || fetch_counting(&calls, 1))
            .await
            .unwrap();
        off.get_or_fetch("k", || fetch_counting(&calls, 1))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let on = TtlCache::<u32>::new(Duration::from_secs(60), Clock::system());
        assert!(
            on.get_or_fetch("k", || async { Err::<u32, ()>(()) })
                .await
                .is_err()
        );
        assert_eq!(
            *on.get_or_fetch("k", || async { Ok::<u32, ()>(3) })
                .await
                .unwrap(),
            3
        );
    }

    #[tokio::test]
    async fn entries_expire() {
        let clock = Clock::system();
        let cache = TtlCache::new(Duration::from_secs(30), clock.clone());
        let calls = AtomicUsize::new(0);
        cache
            .get_or_fetch("k", || fetch_counting(&calls, 1))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(31));
        cache
            .get_or_fetch("k", || fetch_counting(&calls, 1))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
