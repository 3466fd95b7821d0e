//! The one home of state that outlives a request: who is signed in to Tidsreg as whom, and
//! the bounded maps and caches that hold per-caller records, all on one injectable clock.

pub mod backend;
pub mod bounded_map;
pub mod caller;
pub mod catalogue;
pub mod clock;
pub mod redis;
pub mod sealed;
pub mod sessions;
pub mod sqlite;
pub mod ttl_cache;

pub use backend::{Collection, StateStore, StoreError};
pub use bounded_map::BoundedMap;
pub use caller::CallerId;
pub use catalogue::{Catalogue, Child, PathAt, catalogue_key};
pub use clock::Clock;
pub use sessions::{SessionStore, Sessions, SignedIn};
pub use ttl_cache::TtlCache;

use crate::settings::state_store::StoreLocation;

/// Opens the state store at `location`: the embedded file (created owner-only, migrated),
/// or a Redis connection that reconnects by itself.
pub async fn open(location: &StoreLocation, clock: Clock) -> anyhow::Result<StateStore> {
    Ok(match location {
        StoreLocation::Embedded(path) => StateStore::new(sqlite::Sqlite::open(path, clock)?),
        StoreLocation::Memory => StateStore::new(sqlite::Sqlite::in_memory(clock)?),
        StoreLocation::Redis(url) => StateStore::new(redis::Redis::connect(url.expose()).await?),
    })
}
