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

