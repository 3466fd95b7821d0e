//! Who is signed in to Tidsreg as whom. Keyed by the caller's identity (an API key id or an
//! OAuth grant), never global: one caller can never reach another's cookie jar.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use std::time::Duration;

use crate::cache::TtlCache;
use crate::tidsreg::week::WeekPage;
use crate::tidsreg::{LookupList, UpstreamSession};

/// A caller's identity as authentication established it. It names the caller in logs; it
/// is never the secret itself. Every request clones it a few times, so a clone is a
/// reference count, not a string copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallerId(Arc<str>);

impl CallerId {
    /// The identity of an API key, by its id in the config file.
    pub fn api_key(id: &str) -> Self {
        Self(format!("key:{id}").into())
    }

    /// The identity of an OAuth grant: one person's sign-in through one client. Every token
    /// of the grant maps here, and nothing else does.
    pub fn oauth(grant_id: &str) -> Self {
        Self(format!("{OAUTH_PREFIX}{grant_id}").into())
    }

    /// The identity as written in logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for an OAuth grant: that caller signed in to Tidsreg on our sign-in page, so it
    /// is never offered (or told to call) `login`.
    pub fn is_oauth(&self) -> bool {
        self.0.starts_with(OAUTH_PREFIX)
    }
}

/// Prefix of OAuth identities; API key ids cannot produce it (theirs is `key:`).
const OAUTH_PREFIX: &str = "oauth:";

impl fmt::Display for CallerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
    /// A fresh login whose caches keep answers for `cache_ttl` (zero: no caching).
    pub fn new(username: String, upstream: UpstreamSession, cache_ttl: Duration) -> Self {
        Self {
            username,
            upstream,
            lookups: Arc::new(TtlCache::new(cache_ttl)),
            weeks: Arc::new(TtlCache::new(cache_ttl)),
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
