//! One function per operation: raw input → validation → upstream → typed output. The REST
//! API and the MCP tools are thin adapters over these, so both agree by construction.

mod booking;
mod error;
pub mod hours;
mod lookups;
pub mod params;
mod report;
mod search;
mod signin;
mod text_match;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use booking::{Booked, IDEMPOTENCY_WINDOW, RegisterInput};
pub use error::OpError;
pub use hours::{HoursInput, WeekInput};
pub use lookups::{KindsInput, ListInput};
pub use report::{Report, ReportInput};
pub use search::{SearchHit, SearchInput};

use crate::settings::credentials::Credentials;
use crate::settings::serve_settings::DEFAULT_EXPECTED_HOURS;
use crate::store::{CallerId, Clock, Sessions};
use crate::tidsreg::Tidsreg;

/// What every operation needs: the upstream client and the per-caller sessions.
#[derive(Clone, Debug)]
pub struct Ops {
    tidsreg: Tidsreg,
    sessions: Sessions,
    idempotency: Arc<booking::Idempotency>,
    /// The time cached answers and idempotency records expire on.
    clock: Clock,
    /// Hours a working day should hold; fewer gives a warning in `get_hours`.
    expected_hours: f64,
    /// How long each session keeps lookups and week pages.
    cache_ttl: Duration,
    /// Stored logins (`tidsreg-gpt login`), by the caller they sign in.
    credentials: Arc<HashMap<CallerId, Credentials>>,
}

/// Input of `login`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginInput {
    pub username: Option<String>,
    pub password: Option<crate::settings::secret::Secret>,
}

/// Answer of `login`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginOutput {
    pub signed_in: bool,
    pub username: String,
    pub message: String,
}

impl Ops {
    /// Operations over `tidsreg`, with sessions kept in `sessions`, expiring on `clock`.
    pub fn new(tidsreg: Tidsreg, sessions: Sessions, clock: Clock) -> Self {
        Self {
            tidsreg,
            sessions,
            idempotency: Arc::new(booking::Idempotency::new(clock.clone())),
            clock,
            expected_hours: DEFAULT_EXPECTED_HOURS,
            cache_ttl: crate::store::ttl_cache::DEFAULT_TTL,
            credentials: Arc::default(),
        }
    }

    /// The per-caller Tidsreg sessions (OAuth grants keep theirs here too).
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Signs `credentials.key_id`'s session in by itself, and again when it expires.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        let caller = CallerId::api_key(&credentials.key_id);
        Arc::make_mut(&mut self.credentials).insert(caller, credentials);
        self
    }

    /// Keeps lookups and week pages for `ttl` per session; zero turns the cache off.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Warns about working days with fewer than `hours` booked.
    pub fn with_expected_hours(mut self, hours: f64) -> Self {
        self.expected_hours = hours;
        self
    }
}
