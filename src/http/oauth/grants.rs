//! Grants and their tokens, in the state store, so a restart or another replica keeps
//! every connector signed in. A grant is one person's sign-in through one client; its codes,
//! access tokens and refresh tokens all lead to the same [`CallerId`], whose Tidsreg session
//! lives in the shared [`Sessions`]. Tokens are stored as hashes only, and each names its
//! grant: revoking a grant deletes its record (and signs its session out), which kills every
//! token of it at once, wherever it is presented; the token records then expire by
//! themselves.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::tokens::{self, ACCESS_PREFIX, CODE_PREFIX, REFRESH_PREFIX};
use crate::settings::secret::Secret;
use crate::store::{CallerId, Clock, Collection, Sessions, StateStore, StoreError};

/// How long an authorization code may wait for its exchange. Clients exchange it within a
/// second; RFC 6749 §4.1.2 advises at most ten minutes.
pub const CODE_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a grant (and its refresh token) lives without a refresh. Each refresh starts it
/// again, so a connector in use stays signed in; one unused for this long signs in again.
pub const GRANT_TTL: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// What a grant was given for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewGrant {
    pub client_id: String,
    pub username: String,
    pub scope: String,
}

/// What the code was issued for; the exchange must present the same.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// The S256 PKCE challenge, when the client sent one.
    pub challenge: Option<String>,
}

/// A successful exchange or refresh.
#[derive(Debug)]
pub struct TokenPair {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub expires_in: Duration,
    pub scope: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Code {
    grant_id: String,
    request: CodeRequest,
    /// Unix milliseconds.
    expires: u64,
    used: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Access {
    grant_id: String,
    /// Unix milliseconds.
    expires: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Refresh {
    grant_id: String,
    /// Already exchanged for a newer pair: presenting it again means it leaked.
    rotated: bool,
}

/// The grants, over the state store. Every method may answer a store failure, which the
/// endpoints turn into a 503.
#[derive(Debug)]
pub struct Grants {
    store: StateStore,
    sessions: Sessions,
    access_ttl: Duration,
    /// The time codes and access tokens expire on.
    clock: Clock,
}

/// The store key of a token: its SHA-256, in hex.
fn key_of(token: &str) -> String {
    crate::settings::secret::sha256_hex(token)
}

/// The key of "the grant of this person through this client".
fn person_key(new: &NewGrant) -> String {
    format!("{}\u{0}{}", new.client_id, new.username)
}

impl Grants {
    /// Grants in `store` whose Tidsreg sessions live in `sessions`.
    pub fn new(store: StateStore, sessions: Sessions, access_ttl: Duration, clock: Clock) -> Self {
        Self {
            store,
            sessions,
            access_ttl,
            clock,
        }
    }

    /// Records a grant whose Tidsreg session is already signed in under
    /// `CallerId::oauth(grant_id)`. An older grant of the same person through the same
    /// client is revoked: signing in again replaces, it does not pile up. Until its code is
    /// exchanged the grant lives only as long as the code.
    pub async fn add(&self, grant_id: &str, new: NewGrant) -> Result<(), StoreError> {
        let person = person_key(&new);
        let older: Option<String> = self.store.get(Collection::GrantOfPerson, &person).await?;
        if let Some(older) = older.filter(|older| older != grant_id) {
            tracing::info!(grant = %older, "revoked by a newer sign-in of the same person");
            self.revoke_grant(&older).await?;
        }
        let ttl = Some(CODE_TTL);
        self.store
            .put(Collection::Grants, grant_id, &new, ttl)
            .await?;
        self.store
            .put(Collection::GrantOfPerson, &person, &grant_id, ttl)
            .await
    }

    /// A single-use code for `grant_id`.
    pub async fn issue_code(
        &self,
        grant_id: &str,
        request: CodeRequest,
    ) -> Result<Secret, StoreError> {
        let code = tokens::random_token(CODE_PREFIX);
        let record = Code {
            grant_id: grant_id.to_string(),
            request,
            expires: self.expiry(CODE_TTL),
            used: false,
        };
        self.store
            .put(
                Collection::Codes,
                &key_of(code.expose()),
                &record,
                Some(CODE_TTL),
            )
            .await?;
        Ok(code)
    }

    /// Exchanges a code (RFC 6749 §4.1.3 with PKCE). Any attempt uses the code up; a second
    /// attempt revokes the grant, since the code has evidently leaked (§10.5).
    pub async fn redeem_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<TokenPair, OAuthError> {
        let key = key_of(code);
        let Some(mut found) = self.store.take::<Code>(Collection::Codes, &key).await? else {
            return Err(OAuthError::invalid_grant(
                "unknown or expired authorization code; start the sign-in again",
            ));
        };
        if found.used {
            self.revoke_grant(&found.grant_id).await?;
            return Err(OAuthError::invalid_grant(
                "this authorization code was already used, so its tokens are revoked; start the sign-in again",
            ));
        }
        found.used = true;
        self.store
            .put(Collection::Codes, &key, &found, Some(CODE_TTL))
            .await?;
        let expired = found.expires <= self.clock.unix_ms();
        let checked = check_code(&found.request, expired, client_id, redirect_uri, verifier);
        if let Err(refused) = checked {
            // The code is spent and nobody else may finish this sign-in: end it now rather
            // than leave a signed-in Tidsreg session without tokens.
            self.revoke_grant(&found.grant_id).await?;
            return Err(refused);
        }
        self.issue_pair(&found.grant_id).await
    }

    /// Exchanges a refresh token for a new pair; the old one stops working (rotation). A
    /// rotated token presented again revokes the whole grant (RFC 9700 §4.14.2).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
    ) -> Result<TokenPair, OAuthError> {
        let key = key_of(refresh_token);
        let found: Option<Refresh> = self.store.get(Collection::RefreshTokens, &key).await?;
        let Some(mut found) = found else {
            return Err(OAuthError::invalid_grant(
                "unknown or revoked refresh token; sign in again",
            ));
        };
        if found.rotated {
            self.revoke_grant(&found.grant_id).await?;
            return Err(OAuthError::invalid_grant(
                "this refresh token was already used, so the grant is revoked; sign in again",
            ));
        }
        let grant: Option<NewGrant> = self.store.get(Collection::Grants, &found.grant_id).await?;
        match grant {
            Some(grant) if grant.client_id == client_id => {}
            Some(_) => {
                return Err(OAuthError::invalid_grant(
                    "this refresh token was issued to another client",
                ));
            }
            None => {
                return Err(OAuthError::invalid_grant(
                    "this sign-in was revoked (a newer sign-in replaced it); sign in again",
                ));
            }
        }
        if !self.alive(&found.grant_id).await? {
            return Err(OAuthError::invalid_grant(
                "the Tidsreg session of this grant has ended; sign in again",
            ));
        }
        found.rotated = true;
        self.store
            .put(Collection::RefreshTokens, &key, &found, Some(GRANT_TTL))
            .await?;
        self.issue_pair(&found.grant_id).await
    }

    /// The caller an access token stands for, when it is known, unexpired, and its grant
    /// still has a Tidsreg session. Otherwise `None`, and the client must refresh or sign in.
    pub async fn identify(&self, access_token: &str) -> Result<Option<CallerId>, StoreError> {
        let access: Option<Access> = self
            .store
            .get(Collection::AccessTokens, &key_of(access_token))
            .await?;
        let Some(access) = access.filter(|a| a.expires > self.clock.unix_ms()) else {
            return Ok(None);
        };
        let alive = self.alive(&access.grant_id).await?;
        Ok(alive.then(|| CallerId::oauth(&access.grant_id)))
    }

    /// RFC 7009: revokes the grant of `token` (access or refresh) when it belongs to
    /// `client_id`; unknown tokens and other clients' tokens are silently ignored.
    pub async fn revoke(&self, token: &str, client_id: &str) -> Result<(), StoreError> {
        let key = key_of(token);
        let access: Option<Access> = self.store.get(Collection::AccessTokens, &key).await?;
        let grant_id = match access {
            Some(access) => access.grant_id,
            None => match self
                .store
                .get::<Refresh>(Collection::RefreshTokens, &key)
                .await?
            {
                Some(refresh) => refresh.grant_id,
                None => return Ok(()),
            },
        };
        let grant: Option<NewGrant> = self.store.get(Collection::Grants, &grant_id).await?;
        if grant.is_some_and(|g| g.client_id == client_id) {
            tracing::info!(grant = %grant_id, "revoked by its client");
            self.revoke_grant(&grant_id).await?;
        }
        Ok(())
    }

    /// A grant lives while it is recorded and its Tidsreg session is signed in. A grant
    /// whose session ended (expired upstream) is revoked here, so its tokens die with it.
    async fn alive(&self, grant_id: &str) -> Result<bool, StoreError> {
        let grant: Option<NewGrant> = self.store.get(Collection::Grants, grant_id).await?;
        if grant.is_none() {
            return Ok(false);
        }
        if self
            .sessions
            .is_signed_in(&CallerId::oauth(grant_id))
            .await?
        {
            return Ok(true);
        }
        tracing::info!(grant = %grant_id, "Tidsreg session ended; grant revoked");
        self.revoke_grant(grant_id).await?;
        Ok(false)
    }

    /// A new access and refresh token for the grant, which lives [`GRANT_TTL`] from now.
    async fn issue_pair(&self, grant_id: &str) -> Result<TokenPair, OAuthError> {
        let grant: Option<NewGrant> = self.store.get(Collection::Grants, grant_id).await?;
        let Some(grant) = grant else {
            return Err(OAuthError::invalid_grant(
                "this sign-in was revoked (a newer sign-in replaced it); sign in again",
            ));
        };
        let access_token = tokens::random_token(ACCESS_PREFIX);
        let refresh_token = tokens::random_token(REFRESH_PREFIX);
        let access = Access {
            grant_id: grant_id.to_string(),
            expires: self.expiry(self.access_ttl),
        };
        let refresh = Refresh {
            grant_id: grant_id.to_string(),
            rotated: false,
        };
        let kept = Some(GRANT_TTL);
        let stored = async {
            self.store
                .put(Collection::Grants, grant_id, &grant, kept)
                .await?;
            self.store
                .put(
                    Collection::GrantOfPerson,
                    &person_key(&grant),
                    &grant_id,
                    kept,
                )
                .await?;
            self.store
                .put(
                    Collection::AccessTokens,
                    &key_of(access_token.expose()),
                    &access,
                    Some(self.access_ttl),
                )
                .await?;
            self.store
                .put(
                    Collection::RefreshTokens,
                    &key_of(refresh_token.expose()),
                    &refresh,
                    kept,
                )
                .await
        };
        stored.await?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.access_ttl,
            scope: grant.scope,
        })
    }

    /// Ends a grant: its record goes (so every token of it stops working) and its Tidsreg
    /// session is signed out.
    async fn revoke_grant(&self, grant_id: &str) -> Result<(), StoreError> {
        let grant: Option<NewGrant> = self.store.take(Collection::Grants, grant_id).await?;
        if let Some(grant) = grant {
            let person = person_key(&grant);
            let current: Option<String> =
                self.store.get(Collection::GrantOfPerson, &person).await?;
            if current.as_deref() == Some(grant_id) {
                self.store
                    .delete(Collection::GrantOfPerson, &person)
                    .await?;
            }
        }
        self.sessions.sign_out(&CallerId::oauth(grant_id)).await
    }

    /// Unix milliseconds `ttl` from now.
    fn expiry(&self, ttl: Duration) -> u64 {
        self.clock
            .unix_ms()
            .saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The checks of a code exchange beyond "known and unused".
fn check_code(
    request: &CodeRequest,
    expired: bool,
    client_id: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<(), OAuthError> {
    if expired {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired; start the sign-in again",
        ));
    }
    if request.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "this authorization code was issued to another client",
        ));
    }
    if redirect_uri != Some(request.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "`redirect_uri` must be exactly the one of the authorization request",
        ));
    }
    match (&request.challenge, verifier) {
        (Some(challenge), Some(verifier)) if tokens::pkce_matches(challenge, verifier) => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant(
            "`code_verifier` does not match the `code_challenge` of the authorization request",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant(
            "`code_verifier` is required: the authorization request used PKCE",
        )),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "`code_verifier` sent, but the authorization request had no `code_challenge`",
        )),
        (None, None) => Ok(()),
    }
}
