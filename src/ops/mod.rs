//! One function per operation: raw input → validation → upstream → typed output. The REST
//! API and the MCP tools are thin adapters over these, so both agree by construction.

mod booking;
mod error;
pub mod hours;
mod lookups;
pub mod params;
mod report;
mod search;
mod text_match;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use booking::{Booked, IDEMPOTENCY_WINDOW, RegisterInput};
pub use error::OpError;
pub use hours::{HoursInput, WeekInput};
pub use lookups::{KindsInput, ListInput};
pub use report::{Report, ReportInput};
pub use search::{SearchHit, SearchInput};

use crate::sessions::{CallerId, Sessions, SignedIn};
use crate::tidsreg::{Tidsreg, UpstreamError};

/// What every operation needs: the upstream client and the per-caller sessions.
#[derive(Clone, Debug)]
pub struct Ops {
    tidsreg: Tidsreg,
    sessions: Sessions,
    idempotency: Arc<booking::Idempotency>,
    /// Hours a working day should hold; fewer gives a warning in `get_hours`.
    expected_hours: f64,
    /// How long each session keeps lookups and week pages.
    cache_ttl: Duration,
}

/// Input of `login`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginInput {
    pub username: Option<String>,
    pub password: Option<crate::secret::Secret>,
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
    /// Operations over `tidsreg`, with sessions kept in `sessions`.
    pub fn new(tidsreg: Tidsreg, sessions: Sessions) -> Self {
        Self {
            tidsreg,
            sessions,
            idempotency: Arc::default(),
            expected_hours: hours::DEFAULT_EXPECTED_HOURS,
            cache_ttl: crate::cache::DEFAULT_TTL,
        }
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

    /// Signs the caller's own Tidsreg session in. A failed attempt signs the caller out,
    /// so after "wrong password" nothing keeps answering as the previous login.
    pub async fn login(
        &self,
        caller: &CallerId,
        input: LoginInput,
    ) -> Result<LoginOutput, OpError> {
        let username = params::required("username", input.username.as_deref())?.to_owned();
        let password = input.password.unwrap_or_default();
        params::required(
            "password",
            Some(password.expose()).filter(|p| !p.is_empty()),
        )?;
        let result = self.tidsreg.login(&username, password.expose()).await;
        let upstream = match result {
            Ok(upstream) => upstream,
            Err(e) => {
                self.sessions.sign_out(caller);
                return Err(e.into());
            }
        };
        let signed_in = SignedIn::new(username.clone(), upstream, self.cache_ttl);
        self.sessions.sign_in(caller, signed_in);
        tracing::info!(%caller, %username, "signed in to Tidsreg");
        Ok(LoginOutput {
            signed_in: true,
            message: format!(
                "Signed in to Tidsreg as {username}. Now retry the call that asked for login."
            ),
            username,
        })
    }

    /// Runs `call` with the caller's login. An expired session is forgotten, so the caller
    /// is told to log in again instead of hitting the dead session repeatedly.
    async fn with_session<T, F, Fut>(&self, caller: &CallerId, call: F) -> Result<T, OpError>
    where
        F: FnOnce(SignedIn) -> Fut,
        Fut: Future<Output = Result<T, UpstreamError>>,
    {
        let signed_in = self.sessions.get(caller).ok_or(OpError::LoginRequired)?;
        match call(signed_in).await {
            Err(UpstreamError::SessionExpired) => {
                tracing::info!(%caller, "Tidsreg session expired");
                self.sessions.sign_out(caller);
                Err(OpError::SessionExpired)
            }
            other => other.map_err(OpError::from),
        }
    }
}
