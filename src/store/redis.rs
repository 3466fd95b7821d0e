//! The state store shared by replicas: one Redis (6.2 or newer, for `GETDEL`), reached
//! through the `redis` crate's tokio `ConnectionManager`, which reconnects by itself. Every
//! key is `tidsreg-gpt:{collection}:{key}`, so the store can share a Redis with others, and
//! every lifetime is Redis's own TTL. A dead or hung Redis answers each call with
//! [`StoreError::Unavailable`] within [`CONNECT_TIMEOUT`] or [`RESPONSE_TIMEOUT`], and once
//! Redis is back the calls work again without a restart.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, IntoConnectionInfo, ProtocolVersion, RedisError};
use url::Url;

use super::backend::{Answer, Backend, Collection, StoreError};

/// The first part of every key, so our records stand apart in a shared Redis.
const KEY_PREFIX: &str = "tidsreg-gpt";
/// How long one attempt to connect (TCP, TLS, `AUTH`, `SELECT`) may take: well under
/// [`super::backend::STORE_TIMEOUT`], so a dead Redis is our own clear error, not a time-out.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long Redis may take to answer one command before the call fails.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Adds one to a counter and, on its first hit only, starts its window; atomic, as a script
/// is (Redis 6.2 has no `PEXPIRE ... NX`).
const COUNT_SCRIPT: &str = "local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n";

/// The Redis backend. Cloning shares the connection.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    /// The URL without credentials, for [`Backend::describe`].
    public_url: String,
}

impl fmt::Debug for Redis {
    // By hand: the URL as `describe` shows it says all, where the manager's `Debug` would
    // print its whole connection and retry set-up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// The store at `url` (`redis://[:PASSWORD@]HOST[:PORT][/DB]`, or `rediss://` for TLS
    /// checked against the system's certificates). It connects on first use, so a Redis that
    /// is down at start-up only makes the calls fail until it is up; a warning says so.
    pub async fn connect(url: &str) -> Result<Self> {
        let public_url = public_url(url)?;
        let cannot = || format!("cannot use the Redis URL {public_url}");
        let mut info = url.into_connection_info().with_context(cannot)?;
        // RESP3 (Redis 6 and newer; we need 6.2) tells the manager the moment a connection
        // drops, so it reconnects before the next call, which then finds a Redis that was
        // restarted between two calls; on RESP2 that call fails. `?protocol=` in the URL wins.
        let chosen = Url::parse(url).is_ok_and(|u| u.query_pairs().any(|(k, _)| k == "protocol"));
        if !chosen {
            let settings = info
                .redis_settings()
                .clone()
                .set_protocol(ProtocolVersion::RESP3);
            info = info.set_redis_settings(settings);
        }
        let client = redis::Client::open(info).with_context(cannot)?;
        // No retries inside a call: each attempt is bounded by CONNECT_TIMEOUT, and the
        // manager starts a new attempt in the background after every failed one, so the
        // calls after Redis is back find a working connection.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(0);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .with_context(|| format!("cannot set up the connection to {public_url}"))?;
        let redis = Self {
            connection,
            public_url,
        };
        if let Err(error) = redis.ping().await {
            tracing::warn!(
                store = %redis.public_url,
                %error,
                "Redis does not answer yet; store calls fail (503) until it does"
            );
        }
        Ok(redis)
    }

    /// Runs `cmd`. A refused connection means the command was never sent, and the manager
    /// has just started a new attempt; one more try saves the first call after an outage
    /// from the stale failure of an attempt made while Redis was down.
    fn run<'a, T: FromRedisValue + Send + 'a>(&'a self, cmd: Cmd) -> Answer<'a, T> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            match cmd.query_async(&mut connection).await {
                Err(e) if e.is_connection_refusal() => cmd.query_async(&mut connection).await,
                answer => answer,
            }
            .map_err(unavailable)
        })
    }
}

impl Backend for Redis {
    fn get<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, Option<Vec<u8>>> {
        self.run(keyed("GET", collection, key))
    }

    fn put<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Answer<'a, ()> {
        self.run(set(collection, key, value, ttl))
    }

    fn put_new<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Answer<'a, bool> {
        let mut cmd = set(collection, key, value, ttl);
        cmd.arg("NX");
        let kept = self.run::<Option<String>>(cmd);
        Box::pin(async move { Ok(kept.await?.is_some()) })
    }

    fn take<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, Option<Vec<u8>>> {
        self.run(keyed("GETDEL", collection, key))
    }

    fn delete<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, ()> {
        self.run(keyed("DEL", collection, key))
    }

    fn count<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        window: Duration,
    ) -> Answer<'a, u64> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(COUNT_SCRIPT).arg(1).arg(key_of(collection, key));
        cmd.arg(millis(window));
        self.run(cmd)
    }

    fn ping(&self) -> Answer<'_, ()> {
        self.run(redis::cmd("PING"))
    }

    fn describe(&self) -> String {
        self.public_url.clone()
    }
}

/// The Redis key of a record.
fn key_of(collection: Collection, key: &str) -> String {
    format!("{KEY_PREFIX}:{}:{key}", collection.name())
}

/// `COMMAND key`, the key of the record.
fn keyed(command: &str, collection: Collection, key: &str) -> Cmd {
    let mut cmd = redis::cmd(command);
    cmd.arg(key_of(collection, key));
    cmd
}

/// `SET key value [PX ms]`.
fn set(collection: Collection, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Cmd {
    let mut cmd = keyed("SET", collection, key);
    cmd.arg(value);
    if let Some(ttl) = ttl {
        cmd.arg("PX").arg(millis(ttl));
    }
    cmd
}

/// A lifetime in whole milliseconds, at least 1 (Redis refuses `PX 0`).
fn millis(lifetime: Duration) -> u64 {
    u64::try_from(lifetime.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// A Redis error as the store reports it: the crate's message never holds the password.
fn unavailable(error: RedisError) -> StoreError {
    let why = if error.is_connection_refusal() {
        "Redis refused the connection".to_owned()
    } else if error.is_timeout() {
        format!(
            "Redis did not answer within {} s",
            CONNECT_TIMEOUT.max(RESPONSE_TIMEOUT).as_secs()
        )
    } else {
        format!("Redis: {error}")
    };
    StoreError::Unavailable(why)
}

/// `url` as we show it: scheme, host, port and database, never the user or password.
fn public_url(url: &str) -> Result<String> {
    const EXPECTED: &str = "expected redis://HOST:PORT[/DB], or rediss://... for TLS";
    // The parse error never repeats the URL, so it cannot show a password.
    let parsed =
        Url::parse(url).with_context(|| format!("the Redis URL is not a URL; {EXPECTED}"))?;
    let scheme = parsed.scheme();
    if scheme != "redis" && scheme != "rediss" {
        bail!("the Redis URL starts with {scheme}://; {EXPECTED}");
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        bail!("the Redis URL names no host; {EXPECTED}");
    };
    let port = parsed.port().unwrap_or(6379);
    let public = format!("{scheme}://{host}:{port}");
    if parsed.fragment().is_some() {
        bail!(
            "the Redis URL {public} ends in a #fragment, which tidsreg-gpt does not accept (TLS certificates are always checked); remove it"
        );
    }
    let db = match parsed.path().trim_matches('/') {
        "" => 0,
        db => db.parse::<u32>().ok().with_context(|| {
            format!("the Redis URL {public} names database `{db}`, not a number; {EXPECTED}")
        })?,
    };
    Ok(format!("{public}/{db}"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    use super::*;
    use crate::store::StateStore;

    /// Set (CI sets it) to make a missing redis-server fail the tests instead of skipping them.
    const REQUIRE_VAR: &str = "REQUIRE_REDIS_SERVER";
    /// How long a started redis-server has to answer `PING`.
    const START_TIMEOUT: Duration = Duration::from_secs(5);

    /// A real `redis-server` on a loopback port, without persistence, killed on drop.
    struct RedisServer {
        child: Child,
        port: u16,
    }

    impl RedisServer {
        /// Starts one on a free port, or answers `None` (the test is then skipped) when
        /// `redis-server` is not installed, unless [`REQUIRE_VAR`] is set.
        fn start(test: &str) -> Option<Self> {
            Self::start_on(free_port(), test)
        }

        fn start_on(port: u16, test: &str) -> Option<Self> {
            let spawned = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    assert!(
                        std::env::var_os(REQUIRE_VAR).is_none(),
                        "redis-server is not on PATH and {REQUIRE_VAR} is set; install it: apt-get install redis-server"
                    );
                    // Past the test harness's capture, so a plain `cargo test` shows it.
                    let _ = writeln!(
                        std::io::stderr(),
                        "skipping {test}: redis-server is not on PATH (apt-get install redis-server)"
                    );
                    return None;
                }
                Err(e) => panic!("cannot start redis-server: {e}"),
            };
            let mut server = Self { child, port };
            server.wait_ready();
            Some(server)
        }

        /// Blocks until the server answers `PING`, at most [`START_TIMEOUT`].
        fn wait_ready(&mut self) {
            let started = Instant::now();
            while started.elapsed() < START_TIMEOUT {
                if let Some(status) = self.child.try_wait().unwrap() {
                    panic!("redis-server on port {} exited: {status}", self.port);
                }
                if pong(self.port) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            panic!("redis-server on port {} did not answer PING", self.port);
        }

        fn url(&self) -> String {
            format!("redis://127.0.0.1:{}", self.port)
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Whether a Redis on `port` answers `PING` (raw RESP, so no client state is involved).
    fn pong(port: u16) -> bool {
        use std::io::Read;
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut answer = [0; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    fn free_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    /// A record's time to live as Redis reports it (`PTTL`: ms, -1 without one).
    async fn pttl(server: &RedisServer, key: &str) -> i64 {
        let client = redis::Client::open(server.url()).unwrap();
        let mut raw = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut raw)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn records_live_their_lifetime_and_outlive_the_connection() {
        let Some(server) =
            RedisServer::start("records_live_their_lifetime_and_outlive_the_connection")
        else {
            return;
        };
        let db = StateStore::new(Redis::connect(&server.url()).await.unwrap());
        assert_eq!(
            db.describe(),
            format!("redis://127.0.0.1:{}/0", server.port)
        );
        crate::store::backend::conformance::records_behave(&db).await;
        let window = pttl(&server, "tidsreg-gpt:counter:n").await;
        db.count(Collection::Counters, "n", Duration::from_secs(60))
            .await
            .unwrap();
        // Redis's TTLs run on real time, so expiry itself is Redis's business: we check
        // that each lifetime is set, and that a second hit does not restart the window.
        let code = pttl(&server, "tidsreg-gpt:code:c").await;
        assert!(3_590_000 < code && code <= 3_600_000, "PTTL {code}");
        assert!(0 < window && window <= 60_000, "PTTL {window}");
        let later = pttl(&server, "tidsreg-gpt:counter:n").await;
        assert!(0 < later && later <= window, "PTTL {later} after {window}");
        assert_eq!(
            pttl(&server, "tidsreg-gpt:grant:g").await,
            -1,
            "no lifetime"
        );
        db.delete(Collection::Codes, "c").await.unwrap();
        assert_eq!(db.get::<u32>(Collection::Codes, "c").await.unwrap(), None);
        drop(db);
        let again = StateStore::new(Redis::connect(&server.url()).await.unwrap());
        let kept: Option<String> = again.get(Collection::Grants, "g").await.unwrap();
        assert_eq!(kept.as_deref(), Some("kept"));
    }

    #[tokio::test]
    async fn a_dead_redis_fails_fast_and_a_restarted_one_is_used_again() {
        let test = "a_dead_redis_fails_fast_and_a_restarted_one_is_used_again";
        let Some(server) = RedisServer::start(test) else {
            return;
        };
        let port = server.port;
        let db = StateStore::new(Redis::connect(&server.url()).await.unwrap());
        db.put(Collection::Grants, "g", &1, None).await.unwrap();
        drop(server);
        for _ in 0..2 {
            let started = Instant::now();
            let err = db.get::<u32>(Collection::Grants, "g").await.unwrap_err();
            let failed_in = started.elapsed();
            assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
            assert!(
                failed_in < Duration::from_secs(5),
                "failed in {failed_in:?}"
            );
            eprintln!("{test}: a call to the dead Redis failed in {failed_in:?}: {err}");
        }
        let _restarted = RedisServer::start_on(port, test).unwrap();
        let restarted = Instant::now();
        loop {
            match db.put(Collection::Grants, "g", &2, None).await {
                Ok(()) => break,
                Err(e) if restarted.elapsed() < Duration::from_secs(10) => {
                    eprintln!("{test}: still failing after {:?}: {e}", restarted.elapsed());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("still failing 10 s after Redis came back: {e}"),
            }
        }
        eprintln!(
            "{test}: calls work again {:?} after the restart",
            restarted.elapsed()
        );
        assert_eq!(
            db.get::<u32>(Collection::Grants, "g").await.unwrap(),
            Some(2)
        );
    }

    #[tokio::test]
    async fn a_redis_restarted_between_two_calls_answers_the_next_one() {
        let test = "a_redis_restarted_between_two_calls_answers_the_next_one";
        let Some(server) = RedisServer::start(test) else {
            return;
        };
        let port = server.port;
        let db = StateStore::new(Redis::connect(&server.url()).await.unwrap());
        db.put(Collection::Grants, "g", &1, None).await.unwrap();
        drop(server);
        // A restart takes a moment, in which the client sees the connection drop.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _restarted = RedisServer::start_on(port, test).unwrap();
        db.put(Collection::Grants, "g", &2, None).await.unwrap();
        assert_eq!(
            db.get::<u32>(Collection::Grants, "g").await.unwrap(),
            Some(2)
        );
    }

    #[tokio::test]
    async fn a_redis_down_at_start_up_is_no_reason_not_to_start() {
        let port = free_port();
        for scheme in ["redis", "rediss"] {
            let started = Instant::now();
            let redis = Redis::connect(&format!("{scheme}://:hunter2@127.0.0.1:{port}/2"))
                .await
                .unwrap();
            assert_eq!(redis.describe(), format!("{scheme}://127.0.0.1:{port}/2"));
            assert!(!format!("{redis:?}").contains("hunter2"));
            let err = StateStore::new(redis).ping().await.unwrap_err();
            assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
            assert!(
                started.elapsed() < CONNECT_TIMEOUT,
                "{:?}",
                started.elapsed()
            );
        }
    }

    #[tokio::test]
    async fn a_redis_that_accepts_but_never_answers_fails_within_the_connect_timeout() {
        // The kernel completes the TCP handshake for a listener that never accepts.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("redis://{}", silent.local_addr().unwrap());
        let db = StateStore::new(Redis::connect(&url).await.unwrap());
        let started = Instant::now();
        let err = db.ping().await.unwrap_err();
        let failed_in = started.elapsed();
        assert!(
            err.to_string().contains("did not answer within 2 s"),
            "{err}"
        );
        assert!(
            failed_in < CONNECT_TIMEOUT + Duration::from_secs(1),
            "{failed_in:?}"
        );
    }

    #[test]
    fn urls_are_checked_and_shown_without_credentials() {
        assert_eq!(
            public_url("redis://user:pw@redis.internal:7000/3").unwrap(),
            "redis://redis.internal:7000/3"
        );
        assert_eq!(
            public_url("rediss://[::1]").unwrap(),
            "rediss://[::1]:6379/0"
        );
        for (url, says) in [
            ("redis.internal:6379", "starts with redis.internal://"),
            ("http://:pw@redis.internal", "starts with http://"),
            ("redis://:pw@redis.internal/cache", "database `cache`"),
            ("rediss://:pw@redis.internal/#insecure", "#fragment"),
            ("not a url, pw", "not a URL"),
        ] {
            let err = public_url(url).unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
            assert!(!err.contains("pw"), "{url}: {err}");
        }
    }
}
