//! The time every expiry here is measured on (tokens, sign-in pages, cached answers,
//! idempotency records). It is the monotonic clock, plus an offset that only tests move:
//! a test of "the token has expired" advances the clock instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
