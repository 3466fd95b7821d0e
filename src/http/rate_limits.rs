//! Rate limits, checked by the door: per client address (before authentication, so guessing
//! API keys is slow too) and per caller, in this process's memory (they are checked on
//! every request). The much stricter budget of password tries is shared through the state
//! store (`login_budget`). Over a limit: 429 JSON with `Retry-After`.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{ConnectInfo, Request};
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::error::ApiError;
pub use crate::settings::serve_settings::RateLimits;
use crate::store::CallerId;

/// Distinct keys a limiter remembers before it drops those that are full again.
const MAX_TRACKED: usize = 10_000;
/// Requests between two looks at how many keys are tracked: counting them locks every
/// shard of the limiter's map, too dear for every request. A limiter can thus hold at most
/// `MAX_TRACKED + TIDY_EVERY` keys.
const TIDY_EVERY: usize = 1024;

/// A keyed limiter on the standard monotonic clock. governor's default clock calibrates
/// the CPU counter in a busy loop at start-up (up to 200 ms on a busy machine), which would
/// delay the first `/health`; the monotonic clock costs a few nanoseconds more per check.
type Keyed<K> = RateLimiter<
    K,
    DefaultKeyedStateStore<K>,
    MonotonicClock,
    NoOpMiddleware<<MonotonicClock as Clock>::Instant>,
>;

/// The limiters, shared by all requests.
pub struct Limits {
    per_address: Option<Keyed<IpAddr>>,
    per_key: Option<Keyed<CallerId>>,
    /// Requests checked so far, for [`TIDY_EVERY`].
    checked: AtomicUsize,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limits")
    }
}

impl Limits {
    /// Limiters for `limits`.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            per_address: limiter(limits.per_minute),
            per_key: limiter(limits.per_minute),
            checked: AtomicUsize::new(0),
        }
    }

    /// Before authentication: the client address's budget.
    pub fn check_address(&self, address: IpAddr) -> Result<(), ApiError> {
        if self
            .checked
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(TIDY_EVERY)
        {
            self.tidy();
        }
        check(&self.per_address, &address)
    }

    /// After authentication: the caller's budget.
    pub fn check_caller(&self, caller: &CallerId) -> Result<(), ApiError> {
        check(&self.per_key, caller)
    }

    /// Forgets the keys whose budget is full again, in a limiter that tracks too many.
    fn tidy(&self) {
        tidy(&self.per_address);
        tidy(&self.per_key);
    }
}

fn tidy<K: Clone + Hash + Eq>(limiter: &Option<Keyed<K>>) {
    if let Some(limiter) = limiter
        && limiter.len() > MAX_TRACKED
    {
        limiter.retain_recent();
    }
}

fn limiter<K: Clone + Hash + Eq>(per_minute: u32) -> Option<Keyed<K>> {
    NonZeroU32::new(per_minute).map(|n| {
        RateLimiter::new(
            Quota::per_minute(n),
            DefaultKeyedStateStore::default(),
            MonotonicClock,
        )
    })
}

fn check<K: Clone + Hash + Eq>(limiter: &Option<Keyed<K>>, key: &K) -> Result<(), ApiError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(MonotonicClock.now());
        ApiError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
        }
    })
}

/// The client's address. Behind our own tunnel every connection comes from loopback, so a
/// loopback peer's `X-Forwarded-For` (set by the tunnel's edge) names the real client; from
/// any other peer that header could be forged, so the peer address is used.
pub fn client_address(request: &Request) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        });
    if !peer.is_loopback() {
        return peer;
    }
    request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|first| first.trim().parse().ok())
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_out_and_says_when_to_retry() {
        let limits = Limits::new(RateLimits {
            per_minute: 3,
            logins_per_minute: 1,
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            limits.check_address(ip).unwrap();
        }
        match limits.check_address(ip) {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=21).contains(&retry_after_secs))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zero_turns_limits_off() {
        let limits = Limits::new(RateLimits {
            per_minute: 0,
            logins_per_minute: 0,
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..1000 {
            limits.check_address(ip).unwrap();
        }
    }
}
