//! Who is signed in to Tidsreg as whom. Keyed by the caller's identity (an API key id or an
//! OAuth grant), never global: one caller can never reach another's cookie jar.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::sealed::Sealer;
use super::{CallerId, Clock, Collection, StateStore, StoreError, TtlCache};
use crate::tidsreg::week::WeekPage;
use crate::tidsreg::{LookupList, UpstreamSession};

/// A caller's upstream login: who they signed in as, their own cookie jar, and their own
/// caches (a new login starts them empty; so does an expired session, which is dropped).
#[derive(Debug)]
pub struct SignedIn {
    pub username: String,
    pub upstream: UpstreamSession,
    pub lookups: Arc<TtlCache<LookupList>>,
    pub weeks: Arc<TtlCache<WeekPage>>,
}

impl SignedIn {
    /// A fresh login whose caches keep answers for `cache_ttl` on `clock` (zero: no
    /// caching).
    pub fn new(
        username: String,
        upstream: UpstreamSession,
        cache_ttl: Duration,
        clock: &Clock,
    ) -> Self {
        Self {
            username,
            upstream,
            lookups: Arc::new(TtlCache::new(cache_ttl, clock.clone())),
            weeks: Arc::new(TtlCache::new(cache_ttl, clock.clone())),
        }
    }
}

/// How long a Tidsreg session is kept in the state store without use. Tidsreg ends its own
/// sessions sooner or later; then the caller signs in again (or is signed in again).
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// A session as the state store keeps it: who, and the cookie jar, sealed.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSession {
    username: String,
    sealed_jar: String,
}

/// The sessions: in memory for speed (every lookup reads one), in the state store so a
/// restart or another replica finds them. Reads take a read lock only long enough to clone
/// an `Arc`; a caller not in memory is looked up in the store once.
#[derive(Debug)]
pub struct SessionStore {
    signed_in: RwLock<HashMap<CallerId, Arc<SignedIn>>>,
    store: StateStore,
    sealer: Sealer,
    cache_ttl: Duration,
    clock: Clock,
}

impl SessionStore {
    /// Sessions kept in `store`, their cookies sealed by `sealer`, each with caches that keep
    /// answers for `cache_ttl` on `clock`.
    pub fn new(store: StateStore, sealer: Sealer, cache_ttl: Duration, clock: Clock) -> Self {
        Self {
            signed_in: RwLock::default(),
            store,
            sealer,
            cache_ttl,
            clock,
        }
    }

    /// A fresh login of `username` with this upstream session, with empty caches.
    pub fn new_session(&self, username: String, upstream: UpstreamSession) -> SignedIn {
        SignedIn::new(username, upstream, self.cache_ttl, &self.clock)
    }

    /// The caller's current login, if any: from memory, else from the state store.
    pub async fn get(&self, caller: &CallerId) -> Result<Option<Arc<SignedIn>>, StoreError> {
        if let Some(found) = self.read().get(caller).cloned() {
            return Ok(Some(found));
        }
        self.load(caller).await
    }

    /// True when the caller has a login, here or in the store.
    pub async fn is_signed_in(&self, caller: &CallerId) -> Result<bool, StoreError> {
        Ok(self.get(caller).await?.is_some())
    }

    /// Records a successful login, replacing any earlier one of the same caller.
    pub async fn sign_in(
        &self,
        caller: &CallerId,
        session: Arc<SignedIn>,
    ) -> Result<(), StoreError> {
        session.upstream.take_changed();
        self.save_record(caller, &session).await?;
        self.write().insert(caller.clone(), session);
        Ok(())
    }

    /// Keeps the session's cookies again when a response changed them.
    pub async fn save_if_changed(
        &self,
        caller: &CallerId,
        session: &SignedIn,
    ) -> Result<(), StoreError> {
        if session.upstream.take_changed() {
            self.save_record(caller, session).await?;
        }
        Ok(())
    }

    /// Forgets the caller's login (failed re-login, expired upstream session, revoked grant).
    pub async fn sign_out(&self, caller: &CallerId) -> Result<(), StoreError> {
        self.write().remove(caller);
        self.store
            .delete(Collection::Sessions, caller.as_str())
            .await
    }

    /// The store's session of the caller when it is not `expired` (the copy the upstream
    /// just refused): another replica may have signed the caller in again meanwhile.
    pub async fn newer_than(
        &self,
        caller: &CallerId,
        expired: &SignedIn,
    ) -> Result<Option<Arc<SignedIn>>, StoreError> {
        self.write().remove(caller);
        let stored = self.load(caller).await?;
        let old_jar = expired.upstream.to_json();
        Ok(stored.filter(|s| s.upstream.to_json() != old_jar))
    }

    async fn save_record(&self, caller: &CallerId, session: &SignedIn) -> Result<(), StoreError> {
        let record = StoredSession {
            username: session.username.clone(),
            sealed_jar: self
                .sealer
                .seal(&session.upstream.to_json(), caller.as_str()),
        };
        self.store
            .put(
                Collection::Sessions,
                caller.as_str(),
                &record,
                Some(SESSION_TTL),
            )
            .await
    }

    async fn load(&self, caller: &CallerId) -> Result<Option<Arc<SignedIn>>, StoreError> {
        let Some(record) = self
            .store
            .get::<StoredSession>(Collection::Sessions, caller.as_str())
            .await?
        else {
            return Ok(None);
        };
        let jar = self.sealer.open(&record.sealed_jar, caller.as_str())?;
        let Some(upstream) = UpstreamSession::from_json(&jar) else {
            return Err(StoreError::Corrupt(
                "a stored cookie jar cannot be read".into(),
            ));
        };
        let session = Arc::new(self.new_session(record.username, upstream));
        self.write().insert(caller.clone(), session.clone());
        Ok(Some(session))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<CallerId, Arc<SignedIn>>> {
        self.signed_in.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<CallerId, Arc<SignedIn>>> {
        self.signed_in.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Shared handle, as the server state holds it.
pub type Sessions = Arc<SessionStore>;
