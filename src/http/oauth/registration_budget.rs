//! How many clients may register: per client address and in total, per hour, counted in
//! the state store (so replicas agree and a restart does not reset it). Registration is
//! open to anyone, as MCP clients expect, so these caps are what keeps a script from
//! filling the store. They only ever refuse *new* registrations: a registered client lives
//! its own lifetime in the store and is never pushed out by others.

use std::net::IpAddr;
use std::time::Duration;

use super::error::OAuthError;
use crate::store::{Clock, StateStore};

/// The window both caps are counted over (fixed windows, like the login budget).
const WINDOW: Duration = Duration::from_secs(60 * 60);
/// Registrations per client address per hour. A person adding a connector registers once
/// (a client that retries or a few people behind one office NAT, a handful of times); 20
/// leaves room for that while a script from one address gets nowhere.
pub const PER_ADDRESS_PER_HOUR: u64 = 20;
/// Registrations per hour from everywhere together. A team's server sees a few a day; 1 000
/// an hour is far above real use and bounds what many addresses together can store (an
/// unused registration lives an hour, so at most about this many wait at any time).
pub const TOTAL_PER_HOUR: u64 = 1_000;

/// The two caps; [`RegistrationCaps::default`] is what `serve` uses.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationCaps {
    pub per_address_per_hour: u64,
    pub total_per_hour: u64,
}

impl Default for RegistrationCaps {
    fn default() -> Self {
        Self {
            per_address_per_hour: PER_ADDRESS_PER_HOUR,
            total_per_hour: TOTAL_PER_HOUR,
        }
    }
}

/// The two counters.
#[derive(Debug)]
pub struct RegistrationBudget {
    store: StateStore,
    clock: Clock,
    caps: RegistrationCaps,
}

impl RegistrationBudget {
    /// Counters in `store`, windows on `clock`, refusing past `caps`.
    pub fn new(store: StateStore, clock: Clock, caps: RegistrationCaps) -> Self {
        Self { store, clock, caps }
    }

    /// Counts one registration from `address`; refuses it (429) when the address or
    /// everyone together is over the cap, saying when to try again.
    pub async fn check(&self, address: IpAddr) -> Result<(), OAuthError> {
        let per_address = format!("register:address:{address}");
        let caps = self.caps;
        self.count(&per_address, caps.per_address_per_hour, "from your address")
            .await?;
        self.count("register:total", caps.total_per_hour, "on this server")
            .await
    }

    async fn count(&self, scope: &str, cap: u64, whose: &str) -> Result<(), OAuthError> {
        let (count, left) = self
            .store
            .hit_window(scope, WINDOW, self.clock.unix_ms())
            .await?;
        if count > cap {
            let wait = left.as_millis().div_ceil(1000) as u64;
            return Err(OAuthError::too_many_requests(
                wait,
                format!(
                    "too many client registrations {whose} (at most {cap} an hour); clients already registered keep working; try again in {wait} seconds"
                ),
            ));
        }
        Ok(())
    }
}
