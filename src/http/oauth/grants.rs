//! Grants and their tokens, in memory. A grant is one person's sign-in through one client;
//! its codes, access tokens and refresh tokens all lead to the same [`CallerId`], whose
//! Tidsreg session lives in the shared [`Sessions`] store. Revoking a grant signs that
//! session out, so no token of it can reach Tidsreg again.
//!
//! In memory on purpose: a restart forgets every grant and every Tidsreg session alike, and
//! clients answer the resulting 401 by asking the person to sign in again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::OAuthError;
use super::tokens::{self, ACCESS_PREFIX, CODE_PREFIX, REFRESH_PREFIX, TokenHash};
use crate::settings::secret::Secret;
use crate::store::{CallerId, Clock, Sessions};

/// How long an authorization code may wait for its exchange. Clients exchange it within a
/// second; RFC 6749 §4.1.2 advises at most ten minutes.
pub const CODE_TTL: Duration = Duration::from_secs(5 * 60);

/// What a grant was given for.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub client_id: String,
    pub username: String,
    pub scope: String,
}

/// What the code was issued for; the exchange must present the same.
#[derive(Debug, Clone)]
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

#[derive(Debug)]
struct Grant {
    new: NewGrant,
}

#[derive(Debug)]
struct Code {
    grant_id: String,
    request: CodeRequest,
    expires: Instant,
    used: bool,
}

#[derive(Debug)]
struct Access {
    grant_id: String,
    expires: Instant,
}

#[derive(Debug)]
struct Refresh {
    grant_id: String,
    /// Already exchanged for a newer pair: presenting it again means it leaked.
    rotated: bool,
}

#[derive(Debug, Default)]
struct Tables {
    grants: HashMap<String, Grant>,
    codes: HashMap<TokenHash, Code>,
    access: HashMap<TokenHash, Access>,
    refresh: HashMap<TokenHash, Refresh>,
}

/// The store. Every method takes the lock once and never awaits while holding it.
#[derive(Debug)]
pub struct Grants {
    tables: Mutex<Tables>,
    sessions: Sessions,
    access_ttl: Duration,
    /// The time codes and access tokens expire on.
    clock: Clock,
}

impl Grants {
    /// An empty store whose grants' Tidsreg sessions live in `sessions`.
    pub fn new(sessions: Sessions, access_ttl: Duration, clock: Clock) -> Self {
        Self {
            tables: Mutex::default(),
            sessions,
            access_ttl,
            clock,
        }
    }

    /// Records a grant whose Tidsreg session is already signed in under
    /// `CallerId::oauth(grant_id)`. An older grant of the same person through the same
    /// client is revoked: signing in again replaces, it does not pile up.
    pub fn add(&self, grant_id: &str, new: NewGrant) {
        let mut tables = self.lock();
        let older: Vec<String> = tables
            .grants
            .iter()
            .filter(|(_, g)| g.new.client_id == new.client_id && g.new.username == new.username)
            .map(|(id, _)| id.clone())
            .collect();
        for id in older {
            tracing::info!(grant = %id, "revoked by a newer sign-in of the same person");
            self.revoke_locked(&mut tables, &id);
        }
        tables.grants.insert(grant_id.to_string(), Grant { new });
    }

    /// A single-use code for `grant_id`.
    pub fn issue_code(&self, grant_id: &str, request: CodeRequest) -> Secret {
        let code = tokens::random_token(CODE_PREFIX);
        let mut tables = self.lock();
        self.sweep(&mut tables);
        tables.codes.insert(
            tokens::hash(code.expose()),
            Code {
                grant_id: grant_id.to_string(),
                request,
                expires: self.clock.now() + CODE_TTL,
                used: false,
            },
        );
        code
    }

    /// Exchanges a code (RFC 6749 §4.1.3 with PKCE). Any attempt uses the code up; a second
    /// attempt revokes the grant, since the code has evidently leaked (§10.5).
    pub fn redeem_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<TokenPair, OAuthError> {
        let mut tables = self.lock();
        let Some(found) = tables.codes.get_mut(&tokens::hash(code)) else {
            return Err(OAuthError::invalid_grant(
                "unknown or expired authorization code; start the sign-in again",
            ));
        };
        if found.used {
            let grant_id = found.grant_id.clone();
            self.revoke_locked(&mut tables, &grant_id);
            return Err(OAuthError::invalid_grant(
                "this authorization code was already used, so its tokens are revoked; start the sign-in again",
            ));
        }
        found.used = true;
        let (grant_id, request, expires) =
            (found.grant_id.clone(), found.request.clone(), found.expires);
        let expired = expires <= self.clock.now();
        if let Err(refused) = check_code(&request, expired, client_id, redirect_uri, verifier) {
            // The code is spent and nobody else may finish this sign-in: end it now rather
            // than leave a signed-in Tidsreg session without tokens.
            self.revoke_locked(&mut tables, &grant_id);
            return Err(refused);
        }
        self.issue_pair(&mut tables, &grant_id)
    }

    /// Exchanges a refresh token for a new pair; the old one stops working (rotation). A
    /// rotated token presented again revokes the whole grant (RFC 9700 §4.14.2).
    pub fn refresh(&self, refresh_token: &str, client_id: &str) -> Result<TokenPair, OAuthError> {
        let mut tables = self.lock();
        let hash = tokens::hash(refresh_token);
        let Some(found) = tables.refresh.get_mut(&hash) else {
            return Err(OAuthError::invalid_grant(
                "unknown or revoked refresh token; sign in again",
            ));
        };
        let grant_id = found.grant_id.clone();
        if found.rotated {
            self.revoke_locked(&mut tables, &grant_id);
            return Err(OAuthError::invalid_grant(
                "this refresh token was already used, so the grant is revoked; sign in again",
            ));
        }
        let owner = tables
            .grants
            .get(&grant_id)
            .map(|g| g.new.client_id.as_str());
        if owner != Some(client_id) {
            return Err(OAuthError::invalid_grant(
                "this refresh token was issued to another client",
            ));
        }
        if !self.alive(&mut tables, &grant_id) {
            return Err(OAuthError::invalid_grant(
                "the Tidsreg session of this grant has ended; sign in again",
            ));
        }
        if let Some(found) = tables.refresh.get_mut(&hash) {
            found.rotated = true;
        }
        self.issue_pair(&mut tables, &grant_id)
    }

    /// The caller an access token stands for, when it is known, unexpired, and its grant
    /// still has a Tidsreg session. Otherwise `None`, and the client must refresh or sign in.
    pub fn identify(&self, access_token: &str) -> Option<CallerId> {
        let mut tables = self.lock();
        let access = tables.access.get(&tokens::hash(access_token))?;
        if access.expires <= self.clock.now() {
            return None;
        }
        let grant_id = access.grant_id.clone();
        self.alive(&mut tables, &grant_id)
            .then(|| CallerId::oauth(&grant_id))
    }

    /// RFC 7009: revokes the grant of `token` (access or refresh) when it belongs to
    /// `client_id`; unknown tokens and other clients' tokens are silently ignored.
    pub fn revoke(&self, token: &str, client_id: &str) {
        let mut tables = self.lock();
        let hash = tokens::hash(token);
        let grant_id = match (tables.access.get(&hash), tables.refresh.get(&hash)) {
            (Some(a), _) => a.grant_id.clone(),
            (_, Some(r)) => r.grant_id.clone(),
            _ => return,
        };
        let owner = tables
            .grants
            .get(&grant_id)
            .map(|g| g.new.client_id.as_str());
        if owner == Some(client_id) {
            tracing::info!(grant = %grant_id, "revoked by its client");
            self.revoke_locked(&mut tables, &grant_id);
        }
    }

    /// A grant lives while it is recorded and its Tidsreg session is signed in. A grant
    /// whose session ended (expired upstream) is revoked here, so its tokens die with it.
    fn alive(&self, tables: &mut Tables, grant_id: &str) -> bool {
        if !tables.grants.contains_key(grant_id) {
            return false;
        }
        if self.sessions.get(&CallerId::oauth(grant_id)).is_some() {
            return true;
        }
        tracing::info!(grant = %grant_id, "Tidsreg session ended; grant revoked");
        self.revoke_locked(tables, grant_id);
        false
    }

    fn issue_pair(&self, tables: &mut Tables, grant_id: &str) -> Result<TokenPair, OAuthError> {
        let scope = match tables.grants.get(grant_id) {
            Some(grant) => grant.new.scope.clone(),
            None => {
                return Err(OAuthError::invalid_grant(
                    "this sign-in was revoked (a newer sign-in replaced it); sign in again",
                ));
            }
        };
        self.sweep(tables);
        let access_token = tokens::random_token(ACCESS_PREFIX);
        let refresh_token = tokens::random_token(REFRESH_PREFIX);
        tables.access.insert(
            tokens::hash(access_token.expose()),
            Access {
                grant_id: grant_id.to_string(),
                expires: self.clock.now() + self.access_ttl,
            },
        );
        tables.refresh.insert(
            tokens::hash(refresh_token.expose()),
            Refresh {
                grant_id: grant_id.to_string(),
                rotated: false,
            },
        );
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.access_ttl,
            scope,
        })
    }

    /// Drops expired codes and access tokens, so the tables do not grow with time. A grant
    /// whose code expired unexchanged is revoked with its Tidsreg session.
    fn sweep(&self, tables: &mut Tables) {
        let now = self.clock.now();
        tables.access.retain(|_, a| a.expires > now);
        let mut abandoned = Vec::new();
        tables.codes.retain(|_, c| {
            let keep = c.expires > now;
            if !keep && !c.used {
                abandoned.push(c.grant_id.clone());
            }
            keep
        });
        for grant_id in abandoned {
            if !tables.refresh.values().any(|r| r.grant_id == grant_id) {
                self.revoke_locked(tables, &grant_id);
            }
        }
    }

    fn revoke_locked(&self, tables: &mut Tables, grant_id: &str) {
        tables.grants.remove(grant_id);
        tables.codes.retain(|_, c| c.grant_id != grant_id);
        tables.access.retain(|_, a| a.grant_id != grant_id);
        tables.refresh.retain(|_, r| r.grant_id != grant_id);
        self.sessions.sign_out(&CallerId::oauth(grant_id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
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
