//! Signing in to Tidsreg: the `login` operation, stored credentials, and running every
//! other operation inside the caller's own session.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{LoginInput, LoginOutput, OpError, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::UpstreamError;

/// Failed sign-ins one Tidsreg username may have per [`FAILURE_WINDOW`], whatever the
/// address, key or door they come through: password guessing spread over many addresses
/// still meets this. A person who mistypes a few times is not held up.
const FAILURES_PER_USERNAME: u64 = 10;
/// The window failed sign-ins are counted in.
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The counter of a username's failed sign-ins: hashed, so the store holds no username.
fn failures_scope(username: &str) -> String {
    let username = username.trim().to_lowercase();
    format!(
        "signin-failures:{}",
        crate::settings::secret::sha256_hex(&username)
    )
}

impl Ops {
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
        let failures = failures_scope(&username);
        let now_ms = self.clock.unix_ms();
        let (failed, left) = self
            .store
            .peek_window(&failures, FAILURE_WINDOW, now_ms)
            .await?;
        if failed >= FAILURES_PER_USERNAME {
            tracing::warn!(%caller, "sign-in refused: too many failures for this username");
            return Err(OpError::TooManyFailedSignIns {
                retry_after_secs: left.as_millis().div_ceil(1000) as u64,
            });
        }
        let result = self.tidsreg.login(&username, password.expose()).await;
        let upstream = match result {
            Ok(upstream) => upstream,
            Err(e) => {
                if matches!(e, UpstreamError::LoginRejected) {
                    self.store
                        .hit_window(&failures, FAILURE_WINDOW, now_ms)
                        .await?;
                }
                self.sessions.sign_out(caller).await?;
                return Err(e.into());
            }
        };
        let signed_in = Arc::new(self.sessions.new_session(username.clone(), upstream));
        self.sessions.sign_in(caller, signed_in.clone()).await?;
        tracing::info!(%caller, %username, "signed in to Tidsreg");
        self.index_after_sign_in(caller, signed_in);
        Ok(LoginOutput {
            signed_in: true,
            message: format!(
                "Signed in to Tidsreg as {username}. Now retry the call that asked for login."
            ),
            username,
        })
    }

    /// Runs `call` with the caller's login. Without one, a caller with stored credentials
    /// is signed in first. An expired session is forgotten; with stored credentials the
    /// caller is signed in again and `call` retried once (a session that expired answered
    /// nothing, so the retry cannot double anything), else told to log in again, or, for an
    /// OAuth caller, which cannot call `login`, that its sign-in has ended.
    pub(super) async fn with_session<T, F, Fut>(
        &self,
        caller: &CallerId,
        call: F,
    ) -> Result<T, OpError>
    where
        F: Fn(Arc<SignedIn>) -> Fut,
        Fut: Future<Output = Result<T, UpstreamError>>,
    {
        let result = self.in_session(caller, call).await;
        match result {
            Err(OpError::LoginRequired | OpError::SessionExpired) if caller.is_oauth() => {
                Err(OpError::SignInEnded)
            }
            other => other,
        }
    }

    /// [`Self::with_session`] in the words of an API key caller.
    async fn in_session<T, F, Fut>(&self, caller: &CallerId, call: F) -> Result<T, OpError>
    where
        F: Fn(Arc<SignedIn>) -> Fut,
        Fut: Future<Output = Result<T, UpstreamError>>,
    {
        let signed_in = match self.sessions.get(caller).await? {
            Some(signed_in) => signed_in,
            None => self.sign_in_stored(caller).await?,
        };
        match self.attempt(caller, &signed_in, &call).await? {
            Err(UpstreamError::SessionExpired) => {
                // Another replica may have signed the caller in again: use that session.
                if let Some(newer) = self.sessions.newer_than(caller, &signed_in).await? {
                    let result = self.attempt(caller, &newer, &call).await?;
                    return self.expired_or(caller, result).await;
                }
                tracing::info!(%caller, "Tidsreg session expired");
                self.sessions.sign_out(caller).await?;
                if !self.credentials.contains_key(caller) {
                    return Err(OpError::SessionExpired);
                }
                let fresh = self.sign_in_stored(caller).await?;
                let result = self.attempt(caller, &fresh, &call).await?;
                self.expired_or(caller, result).await
            }
            other => self.expired_or(caller, other).await,
        }
    }

    /// Runs `call` in `session`, then keeps the session's cookies when the answer changed
    /// them (the store fails the operation only then).
    async fn attempt<T, F, Fut>(
        &self,
        caller: &CallerId,
        session: &Arc<SignedIn>,
        call: &F,
    ) -> Result<Result<T, UpstreamError>, OpError>
    where
        F: Fn(Arc<SignedIn>) -> Fut,
        Fut: Future<Output = Result<T, UpstreamError>>,
    {
        let result = call(session.clone()).await;
        self.sessions.save_if_changed(caller, session).await?;
        Ok(result)
    }

    /// The result, with an upstream error turned into the operation's; an expired session
    /// is forgotten first.
    async fn expired_or<T>(
        &self,
        caller: &CallerId,
        result: Result<T, UpstreamError>,
    ) -> Result<T, OpError> {
        match result {
            Ok(value) => Ok(value),
            Err(error) => {
                if matches!(error, UpstreamError::SessionExpired) {
                    self.sessions.sign_out(caller).await?;
                }
                Err(error.into())
            }
        }
    }

    /// Signs the caller in with its stored credentials, or says a login is needed.
    async fn sign_in_stored(&self, caller: &CallerId) -> Result<Arc<SignedIn>, OpError> {
        let credentials = self.credentials.get(caller).ok_or(OpError::LoginRequired)?;
        let upstream = self
            .tidsreg
            .login(&credentials.username, credentials.password.expose())
            .await
            .map_err(|e| match e {
                UpstreamError::LoginRejected => OpError::StoredLoginRejected,
                e => e.into(),
            })?;
        let signed_in = Arc::new(
            self.sessions
                .new_session(credentials.username.clone(), upstream),
        );
        self.sessions.sign_in(caller, signed_in.clone()).await?;
        tracing::info!(%caller, username = %credentials.username, "signed in to Tidsreg with stored credentials");
        self.index_after_sign_in(caller, signed_in.clone());
        Ok(signed_in)
    }
}
