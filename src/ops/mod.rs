//! One function per operation: raw input → validation → upstream → typed output. The REST
//! API and the MCP tools are thin adapters over these, so both agree by construction.

mod error;
mod lookups;
pub mod params;

use std::future::Future;

use serde::Serialize;

pub use error::OpError;
pub use lookups::{KindsInput, ListInput};

use crate::sessions::{CallerId, Sessions, SignedIn};
use crate::tidsreg::{Tidsreg, UpstreamError, UpstreamSession};

/// What every operation needs: the upstream client and the per-caller sessions.
#[derive(Clone, Debug)]
pub struct Ops {
    tidsreg: Tidsreg,
    sessions: Sessions,
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
        Self { tidsreg, sessions }
    }

    /// Signs the caller's own Tidsreg session in. A failed attempt signs the caller out,
    /// so after "wrong password" nothing keeps answering as the previous login. OAuth callers
    /// are refused: their session came with the grant, from the sign-in page, and a login
    /// here would swap the person behind the grant, or end it on a typo.
    pub async fn login(
        &self,
        caller: &CallerId,
        input: LoginInput,
    ) -> Result<LoginOutput, OpError> {
        if caller.is_oauth() {
            return Err(OpError::bad_input(
                "username",
                "this connection is already signed in to Tidsreg as the user (OAuth): do not call `login`; call the operation you need",
            ));
        }
        self.sign_in(caller, input).await
    }

    /// The same login for a new OAuth grant, from the sign-in page: its Tidsreg session is
    /// kept under the grant's own identity.
    pub async fn sign_in_grant(
        &self,
        grant: &CallerId,
        input: LoginInput,
    ) -> Result<LoginOutput, OpError> {
        debug_assert!(grant.is_oauth(), "only OAuth grants sign in here");
        self.sign_in(grant, input).await
    }

    async fn sign_in(&self, caller: &CallerId, input: LoginInput) -> Result<LoginOutput, OpError> {
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
        self.sessions.sign_in(
            caller,
            SignedIn {
                username: username.clone(),
                upstream,
            },
        );
        tracing::info!(%caller, %username, "signed in to Tidsreg");
        Ok(LoginOutput {
            signed_in: true,
            message: format!(
                "Signed in to Tidsreg as {username}. Now retry the call that asked for login."
            ),
            username,
        })
    }

    /// Runs `call` with the caller's upstream session. An expired session is forgotten, so
    /// the caller is told to log in again instead of hitting the dead session repeatedly.
    async fn with_session<T, F, Fut>(&self, caller: &CallerId, call: F) -> Result<T, OpError>
    where
        F: FnOnce(UpstreamSession) -> Fut,
        Fut: Future<Output = Result<T, UpstreamError>>,
    {
        let signed_in = self.sessions.get(caller).ok_or(OpError::LoginRequired)?;
        match call(signed_in.upstream).await {
            Err(UpstreamError::SessionExpired) => {
                tracing::info!(%caller, "Tidsreg session expired");
                self.sessions.sign_out(caller);
                Err(OpError::SessionExpired)
            }
            other => other.map_err(OpError::from),
        }
    }
}
