//! The one home of state that outlives a request: who is signed in to Tidsreg as whom, and
//! the bounded maps and caches that hold per-caller records, all on one injectable clock.

pub mod backend;
pub mod bounded_map;
pub mod caller;
pub mod clock;
pub mod redis;
pub mod sessions;
pub mod sqlite;
pub mod ttl_cache;

pub use backend::{Collection, StateStore, StoreError};
pub use bounded_map::BoundedMap;
pub use caller::CallerId;
pub use clock::Clock;
pub use sessions::{SessionStore, Sessions, SignedIn};
pub use ttl_cache::TtlCache;
