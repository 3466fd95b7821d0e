//! What the state store is made of: named collections of records (bytes under a key, each
//! with an optional lifetime), kept by one of two backends: an embedded SQLite file
//! ([`super::sqlite`]) or a Redis shared by replicas ([`super::redis`]). Everything above
//! this module sees only [`StateStore`], which bounds every call in time and speaks JSON.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Every store call answers within this, or the store counts as unreachable: a caller gets
/// a 503 in seconds, not a hang.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(4);

/// The kinds of record, each in its own key space (a Redis key prefix, a SQLite column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    /// Dynamically registered OAuth clients, by client id.
    Clients,
    /// OAuth grants (one person through one client), by grant id.
    Grants,
    /// The live grant of a person through a client, by client id and username.
    GrantOfPerson,
    /// Authorization codes, by hash; single use.
    Codes,
    /// Access tokens, by hash.
    AccessTokens,
    /// Refresh tokens, by hash.
    RefreshTokens,
    /// Sign-ins in progress, by request id.
    PendingSignIns,
    /// Each caller's Tidsreg session (its cookie jar, sealed), by caller.
    Sessions,
    /// Bookings made or in flight, by caller and idempotency key.
    Idempotency,
    /// Rate-limit counters replicas share, by budget and window.
    Counters,
    /// Each Tidsreg user's catalogue index (`store::catalogue`), by hashed user.
    Catalogues,
}

impl Collection {
    /// The collection's name in keys and tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Clients => "client",
            Self::Grants => "grant",
            Self::GrantOfPerson => "grant_of_person",
            Self::Codes => "code",
            Self::AccessTokens => "access",
            Self::RefreshTokens => "refresh",
            Self::PendingSignIns => "pending",
            Self::Sessions => "session",
            Self::Idempotency => "idempotency",
            Self::Counters => "counter",
            Self::Catalogues => "catalogue",
        }
    }
}

/// Why a store call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer (Redis down, a locked file, a time-out).
    #[error("the state store is unreachable ({0}); try again in a moment")]
    Unavailable(String),
    /// A record could not be read back (a foreign or damaged value).
    #[error("the state store holds a record that cannot be read ({0})")]
    Corrupt(String),
}

/// One future a backend answers with.
pub type Answer<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// A backend: the few primitives both SQLite and Redis do well. Lifetimes are exact in
/// SQLite (expired records are never answered) and Redis (its own TTL).
pub trait Backend: Send + Sync + fmt::Debug + 'static {
    /// The record under `key`, if any and unexpired.
    fn get<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, Option<Vec<u8>>>;
    /// Keeps `value` under `key` for `ttl` (`None`: until deleted), replacing any record.
    fn put<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Answer<'a, ()>;
    /// Keeps `value` only when no unexpired record is there; true when it was kept. The one
    /// way two replicas agree on who goes first (a booking's idempotency record).
    fn put_new<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Answer<'a, bool>;
    /// Removes and answers the record under `key` in one step (single-use codes).
    fn take<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, Option<Vec<u8>>>;
    /// Removes the record under `key`, if any.
    fn delete<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, ()>;
    /// Adds one to the counter under `key`, which lives `window` from its first hit, and
    /// answers the new count.
    fn count<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        window: Duration,
    ) -> Answer<'a, u64>;
    /// Answers when the store works (for `/health`).
    fn ping(&self) -> Answer<'_, ()>;
    /// What the store is, for the start-up screen and `/health` (never a password).
    fn describe(&self) -> String;
}

/// The state store as the rest of the program uses it: typed (JSON) records, every call
/// bounded by [`STORE_TIMEOUT`]. Cloning shares the backend.
#[derive(Clone, Debug)]
pub struct StateStore(Arc<dyn Backend>);

impl StateStore {
    /// The store over `backend`.
    pub fn new(backend: impl Backend) -> Self {
        Self(Arc::new(backend))
    }

    /// The record under `key`, decoded.
    pub async fn get<T: DeserializeOwned>(
        &self,
        collection: Collection,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let bytes = bounded(self.0.get(collection, key)).await?;
        bytes.map(|bytes| decode(collection, &bytes)).transpose()
    }

    /// Keeps `value` under `key` for `ttl`.
    pub async fn put<T: Serialize>(
        &self,
        collection: Collection,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<(), StoreError> {
        bounded(self.0.put(collection, key, encode(value)?, ttl)).await
    }

    /// Keeps `value` only when the key is free; true when kept.
    pub async fn put_new<T: Serialize>(
        &self,
        collection: Collection,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        bounded(self.0.put_new(collection, key, encode(value)?, ttl)).await
    }

    /// Removes and answers the record under `key`.
    pub async fn take<T: DeserializeOwned>(
        &self,
        collection: Collection,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let bytes = bounded(self.0.take(collection, key)).await?;
        bytes.map(|bytes| decode(collection, &bytes)).transpose()
    }

    /// Removes the record under `key`.
    pub async fn delete(&self, collection: Collection, key: &str) -> Result<(), StoreError> {
        bounded(self.0.delete(collection, key)).await
    }

    /// One more hit on the counter under `key` (alive `window`); the new count.
    pub async fn count(
        &self,
        collection: Collection,
        key: &str,
        window: Duration,
    ) -> Result<u64, StoreError> {
        bounded(self.0.count(collection, key, window)).await
    }

    /// One more hit on `scope`'s counter in the current fixed window of length `window`
    /// (windows start at multiples of it, on the clock's `now_ms`): the count so far in this
    /// window, and the time left until the next one. Replicas counting the same scope agree.
    pub async fn hit_window(
        &self,
        scope: &str,
        window: Duration,
        now_ms: u64,
    ) -> Result<(u64, Duration), StoreError> {
        let (key, left) = window_key(scope, window, now_ms);
        Ok((self.count(Collection::Counters, &key, window).await?, left))
    }

    /// The count of `scope`'s current window without adding to it, and the time left.
    pub async fn peek_window(
        &self,
        scope: &str,
        window: Duration,
        now_ms: u64,
    ) -> Result<(u64, Duration), StoreError> {
        let (key, left) = window_key(scope, window, now_ms);
        let count: Option<u64> = self.get(Collection::Counters, &key).await?;
        Ok((count.unwrap_or(0), left))
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        bounded(self.0.ping()).await
    }

    /// What the store is (`embedded /path/state.db`, `redis://host:6379/0`).
    pub fn describe(&self) -> String {
        self.0.describe()
    }
}

/// The key of `scope`'s current window, and the time left in it.
fn window_key(scope: &str, window: Duration, now_ms: u64) -> (String, Duration) {
    let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
    let left = Duration::from_millis(window_ms - now_ms % window_ms);
    (format!("{scope}:{}", now_ms / window_ms), left)
}

async fn bounded<T>(call: Answer<'_, T>) -> Result<T, StoreError> {
    tokio::time::timeout(STORE_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(format!(
                "no answer within {} s",
                STORE_TIMEOUT.as_secs()
            )))
        })
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

fn decode<T: DeserializeOwned>(collection: Collection, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Corrupt(format!("a {} record: {e}", collection.name())))
}

/// What every backend must do alike, checked by each backend's own tests.
#[cfg(test)]
pub(super) mod conformance {
    use super::{Collection, StateStore};
    use std::time::Duration;

    /// Single-use records, first-come claims and counters that read back as numbers. Leaves
    /// `Grants/g` (no lifetime), `Codes/c` = 3 (an hour) and `Counters/n` = 2 (a minute).
    pub async fn records_behave(db: &StateStore) {
        let hour = Some(Duration::from_secs(3600));
        let minute = Duration::from_secs(60);
        db.put(Collection::Grants, "g", &"kept", None)
            .await
            .unwrap();
        db.put(Collection::Codes, "c", &1, hour).await.unwrap();
        assert!(!db.put_new(Collection::Codes, "c", &2, hour).await.unwrap());
        let first: Option<u32> = db.take(Collection::Codes, "c").await.unwrap();
        assert_eq!(first, Some(1));
        let again: Option<u32> = db.take(Collection::Codes, "c").await.unwrap();
        assert_eq!(again, None, "single use");
        assert!(db.put_new(Collection::Codes, "c", &3, hour).await.unwrap());
        assert_eq!(
            db.count(Collection::Counters, "n", minute).await.unwrap(),
            1
        );
        assert_eq!(
            db.count(Collection::Counters, "n", minute).await.unwrap(),
            2
        );
        let counted: Option<u64> = db.get(Collection::Counters, "n").await.unwrap();
        assert_eq!(counted, Some(2), "a counter reads back as a number");
    }
}
