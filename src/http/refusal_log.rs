//! Repeated refusals (429 over a budget, 401 without a good token) are logged as counts per
//! interval, not a line each: a flood must not fill the disk with log lines (one test run
//! once wrote 72 MB), while a person can still see that, and how much, was refused.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the counts are written, at most.
pub const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// The refusals since the last line.
#[derive(Debug)]
pub struct RefusalLog {
    rate_limited: AtomicU64,
    unauthorized: AtomicU64,
    last_line: Mutex<Instant>,
}

impl Default for RefusalLog {
    fn default() -> Self {
        Self {
            rate_limited: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            last_line: Mutex::new(Instant::now()),
        }
    }
}

impl RefusalLog {
    /// Counts a refusal with `status` (429 or 401; others are not counted here). Answers
    /// true when the caller should log this response itself: the first refusal of a quiet
    /// period, so a single refusal still shows at once.
    pub fn count(&self, status: u16) -> bool {
        let counter = match status {
            429 => &self.rate_limited,
            401 => &self.unauthorized,
            _ => return true,
        };
        let before = counter.fetch_add(1, Ordering::Relaxed);
        self.flush_if_due();
        before == 0
    }

    /// Writes the counts when [`REFUSAL_LOG_EVERY`] has passed since the last line.
    fn flush_if_due(&self) {
        let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() < REFUSAL_LOG_EVERY {
            return;
        }
        *last = Instant::now();
        let rate_limited = self.rate_limited.swap(0, Ordering::Relaxed);
        let unauthorized = self.unauthorized.swap(0, Ordering::Relaxed);
        if rate_limited + unauthorized > 0 {
            tracing::warn!(
                target: "request",
                rate_limited,
                unauthorized,
                every_s = REFUSAL_LOG_EVERY.as_secs(),
                "refused requests in the last interval"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_refusal_of_a_flood_is_its_own_line() {
        let log = RefusalLog::default();
        assert!(log.count(429), "the first one shows at once");
        assert!(!log.count(429));
        assert!(!log.count(429));
        assert!(log.count(401), "the first of another kind too");
        assert!(log.count(200), "anything else is logged as usual");
    }
}
