//! The budget of password tries: counted in the state store, so replicas agree on it and a
//! restart does not reset it. A try is `POST /api/login`, the MCP `login` tool or the OAuth
//! sign-in form; each counts against the client address and, when known, the caller.
//! Fixed one-minute windows: simple, shared, and as strict as the budget says.

use std::net::IpAddr;
use std::time::Duration;

use super::error::ApiError;
use crate::store::{CallerId, Clock, StateStore};

/// The window the budget is counted over.
const WINDOW: Duration = Duration::from_secs(60);

/// Password tries per window, counted in the store.
#[derive(Debug, Clone)]
pub struct LoginBudget {
    store: StateStore,
    clock: Clock,
    /// Tries per minute per address and per caller; zero turns the budget off.
    per_minute: u32,
}

impl LoginBudget {
    /// A budget of `per_minute` tries, counted in `store` on `clock`.
    pub fn new(store: StateStore, clock: Clock, per_minute: u32) -> Self {
        Self {
            store,
            clock,
            per_minute,
        }
    }

    /// Counts one try from `address` (and `caller`, once known); refuses it when over the
    /// budget, saying when to retry. Without the store, the try is refused too (503): the
    /// budget cannot be checked, and a sign-in could not be kept anyway.
    pub async fn check(&self, address: IpAddr, caller: Option<&CallerId>) -> Result<(), ApiError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        self.count(&format!("address:{address}")).await?;
        if let Some(caller) = caller {
            self.count(&format!("caller:{caller}")).await?;
        }
        Ok(())
    }

    async fn count(&self, scope: &str) -> Result<(), ApiError> {
        let (tries, left) = self
            .store
            .hit_window(&format!("login:{scope}"), WINDOW, self.clock.unix_ms())
            .await
            .map_err(|e| ApiError::Op(e.into()))?;
        if tries > u64::from(self.per_minute) {
            return Err(ApiError::RateLimited {
                retry_after_secs: left.as_millis().div_ceil(1000) as u64,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::Sqlite;

    #[tokio::test]
    async fn the_budget_runs_out_says_when_to_retry_and_comes_back() {
        let clock = Clock::system();
        let store = StateStore::new(Sqlite::in_memory(clock.clone()).unwrap());
        let budget = LoginBudget::new(store, clock.clone(), 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        budget.check(ip, None).await.unwrap();
        budget.check(ip, None).await.unwrap();
        match budget.check(ip, None).await {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("{other:?}"),
        }
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        budget.check(other, None).await.unwrap();
        clock.advance(WINDOW);
        budget.check(ip, None).await.unwrap();
    }
}
