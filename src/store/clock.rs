//! The time every expiry here is measured on (tokens, sign-in pages, cached answers,
//! idempotency records). It is the monotonic clock, plus an offset that only tests move:
//! a test of "the token has expired" advances the clock instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A monotonic clock that tests can move forward. Clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Nanoseconds added to the real clock; zero in production.
    offset_nanos: Arc<AtomicU64>,
}

impl Clock {
    /// The real clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Now, as every expiry is checked.
    pub fn now(&self) -> Instant {
        Instant::now() + Duration::from_nanos(self.offset_nanos.load(Ordering::Relaxed))
    }

    /// Now as wall-clock milliseconds since 1970, for lifetimes that outlive the process
    /// (records in the state store), with the same offset as [`Clock::now`].
    pub fn unix_ms(&self) -> u64 {
        let offset = self.offset_nanos.load(Ordering::Relaxed) / 1_000_000;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        now.saturating_add(offset)
    }

    /// Moves this clock (and every clone of it) forward by `by`: what a test does instead
    /// of waiting for a lifetime to pass.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let clock = Clock::system();
        let clone = clock.clone();
        let before = clone.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clone.now() >= before + Duration::from_secs(3600));
    }
}
