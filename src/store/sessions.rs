//! Who is signed in to Tidsreg as whom. Keyed by the caller's identity (an API key id or an
//! OAuth grant), never global: one caller can never reach another's cookie jar.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::{CallerId, Clock, TtlCache};
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

/// The store. Reads (every lookup) take a read lock only long enough to clone an `Arc`.
#[derive(Debug, Default)]
pub struct SessionStore {
    signed_in: RwLock<HashMap<CallerId, Arc<SignedIn>>>,
}

impl SessionStore {
    /// The caller's current login, if any.
    pub fn get(&self, caller: &CallerId) -> Option<Arc<SignedIn>> {
        self.read().get(caller).cloned()
    }

    /// Records a successful login, replacing any earlier one of the same caller.
    pub fn sign_in(&self, caller: &CallerId, session: Arc<SignedIn>) {
        self.write().insert(caller.clone(), session);
    }

    /// Forgets the caller's login (failed re-login, expired upstream session).
    pub fn sign_out(&self, caller: &CallerId) {
        self.write().remove(caller);
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
