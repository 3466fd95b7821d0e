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
use ipnet::IpNet;

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

/// The client address the door settled on, as a request extension, so every handler
/// behind the door counts the same address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// The client's address, as the door settled it (see [`TrustedProxies::client_of`]); the
/// TCP peer when the request did not pass the door.
pub fn client_address(request: &Request) -> IpAddr {
    if let Some(ClientAddress(address)) = request.extensions().get::<ClientAddress>() {
        return *address;
    }
    peer_of(request)
}

fn peer_of(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        })
}

/// The proxies whose `X-Forwarded-For` is believed (`--trust-proxy`). Anyone can send that
/// header, so only the hops a trusted proxy appended count: the client is the rightmost
/// address that is not a trusted proxy, as nginx's `real_ip` takes it.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// These ranges.
    pub fn new(ranges: Vec<IpNet>) -> Self {
        Self(ranges)
    }

    /// Loopback only: our own in-process tunnel forwards from there, its edge appending
    /// the real client to `X-Forwarded-For`.
    pub fn loopback() -> Self {
        let nets = ["127.0.0.0/8", "::1/128"].map(|n| n.parse().expect("static range"));
        Self(nets.to_vec())
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `request`: its TCP peer, or, while that is a trusted proxy, the
    /// hop before it in `X-Forwarded-For`, right to left.
    pub fn client_of(&self, request: &Request) -> IpAddr {
        let mut client = peer_of(request);
        if self.0.is_empty() || !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            if !self.trusts(client) {
                break;
            }
            match hop.trim().parse() {
                Ok(address) => client = address,
                Err(_) => break,
            }
        }
        client
    }
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

    fn request(peer: &str, forwarded: &[&str]) -> Request {
        let mut request = Request::new(axum::body::Body::empty());
        let peer: SocketAddr = format!("{peer}:4000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        for value in forwarded {
            request
                .headers_mut()
                .append("x-forwarded-for", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn only_hops_a_trusted_proxy_appended_count() {
        let none = TrustedProxies::default();
        let loopback = TrustedProxies::loopback();
        let platform = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Nobody trusted: the peer, whatever the header says.
        assert_eq!(
            none.client_of(&request("127.0.0.1", &["1.2.3.4"])),
            ip("127.0.0.1")
        );
        // The tunnel appends the real client; a forged first entry is ignored.
        let forged = request("127.0.0.1", &["6.6.6.6, 203.0.113.9"]);
        assert_eq!(loopback.client_of(&forged), ip("203.0.113.9"));
        // A peer that is no trusted proxy is the client, header or not.
        assert_eq!(
            loopback.client_of(&request("198.51.100.7", &["6.6.6.6"])),
            ip("198.51.100.7")
        );
        // Through two trusted hops, over two header lines.
        let chain = request("10.0.0.2", &["6.6.6.6, 203.0.113.9", "10.0.0.1"]);
        assert_eq!(platform.client_of(&chain), ip("203.0.113.9"));
        // A garbled hop stops the walk at the last address known.
        assert_eq!(
            platform.client_of(&request("10.0.0.2", &["garbage"])),
            ip("10.0.0.2")
        );
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
