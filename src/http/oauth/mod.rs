//! The built-in OAuth 2.1 authorization server, so ChatGPT and Claude never see a Tidsreg
//! password and each person signs in as themselves.
//!
//! The flow: a client discovers us ([`metadata`]), registers ([`endpoints::register`]) or
//! uses the static client from the config file, sends the person to [`authorize`], where
//! they sign in to Tidsreg on our own page; the server keeps that Tidsreg session for a new
//! grant and hands the client a code, which [`endpoints::token`] exchanges (PKCE S256) for
//! an access token and a rotating refresh token ([`grants`]). Access tokens then work as
//! bearer tokens on `/mcp` and `/api`, as the grant's [`CallerId`].

mod authorize;
mod client_documents;
mod clients;
mod endpoints;
pub mod error;
mod grants;
mod metadata;
mod page;
mod registration_budget;
pub use client_documents::ClientDocuments;
pub use clients::Clients;
pub use registration_budget::RegistrationCaps;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use super::public_url::PublicUrl;
use crate::ops::Ops;
use crate::store::{CallerId, Clock, StateStore, StoreError};

pub use grants::CODE_TTL;

/// The one scope: everything the person may do in Tidsreg through us. Requested scopes are
/// not refused; this is what every token gets.
pub const SCOPE: &str = "tidsreg";
/// Access token lifetime: short, since a refresh costs a client one request.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// Where the sign-in page lives.
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
/// The token endpoint.
pub const TOKEN_PATH: &str = "/oauth/token";
/// Dynamic client registration.
pub const REGISTER_PATH: &str = "/oauth/register";
/// Token revocation.
pub const REVOKE_PATH: &str = "/oauth/revoke";
/// Authorization server metadata (RFC 8414).
pub const AS_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// Protected resource metadata (RFC 9728), the document `/mcp`'s 401 points at.
pub const RESOURCE_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// The authorization server's state, shared by its handlers and the bearer checks.
#[derive(Debug, Clone)]
pub struct OAuth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The operations: a sign-in on our page is the `login` operation, for a new grant.
    ops: Ops,
    public_url: PublicUrl,
    clients: clients::Clients,
    grants: grants::Grants,
    pending: authorize::PendingRequests,
    registrations: registration_budget::RegistrationBudget,
}

impl OAuth {
    /// A server at `public_url` whose grants sign in through `ops` and keep their Tidsreg
    /// sessions in its session store; access tokens live `access_token_ttl` on `clock`.
    pub fn new(
        clients: Clients,
        access_token_ttl: Duration,
        public_url: PublicUrl,
        ops: Ops,
        clock: Clock,
        store: StateStore,
        registration_caps: RegistrationCaps,
    ) -> Self {
        let sessions = ops.sessions().clone();
        Self {
            inner: Arc::new(Inner {
                ops,
                public_url,
                clients,
                grants: grants::Grants::new(
                    store.clone(),
                    sessions,
                    access_token_ttl,
                    clock.clone(),
                ),
                pending: authorize::PendingRequests::new(store.clone()),
                registrations: registration_budget::RegistrationBudget::new(
                    store,
                    clock,
                    registration_caps,
                ),
            }),
        }
    }

    /// The caller an access token stands for; `None` when unknown, expired or revoked.
    pub async fn identify(&self, access_token: &str) -> Result<Option<CallerId>, StoreError> {
        self.inner.grants.identify(access_token).await
    }

    /// The public base URL the metadata is built from.
    pub fn public_url(&self) -> &PublicUrl {
        &self.inner.public_url
    }

    /// The value of `WWW-Authenticate` on a 401 from `/mcp` (MCP authorization spec, RFC
    /// 9728 §5.1); `invalid_token` when a token was presented but is not (or no longer) good.
    pub fn challenge(&self, token_presented: bool) -> String {
        // The document for `/mcp` itself, whose `resource` is the MCP URL the client
        // called (RFC 9728 §3.3: it must match what the client asked for).
        let metadata = self
            .inner
            .public_url
            .join(&format!("{RESOURCE_METADATA_PATH}{MCP_PATH}"));
        let error = if token_presented {
            r#", error="invalid_token", error_description="the access token is unknown, expired or revoked; refresh it or sign in again""#
        } else {
            ""
        };
        format!(r#"Bearer resource_metadata="{metadata}", scope="{SCOPE}"{error}"#)
    }

    /// True when an RFC 8707 `resource` names this server (its base URL or a path under it).
    fn serves_resource(&self, resource: &str) -> bool {
        let base = self.inner.public_url.get();
        let resource = resource.trim_end_matches('/');
        resource == base.as_ref()
            || resource
                .strip_prefix(base.as_ref())
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// The OAuth routes, all public (they are how a caller gets a token); the door in front of
/// them applies the client address's budget, and the login budget to the sign-in form.
pub fn router(oauth: OAuth) -> Router {
    Router::new()
        .route(AS_METADATA_PATH, get(metadata::authorization_server))
        .route(RESOURCE_METADATA_PATH, get(metadata::protected_resource))
        .route(
            &format!("{RESOURCE_METADATA_PATH}{MCP_PATH}"),
            get(metadata::protected_resource_mcp),
        )
        .route(REGISTER_PATH, post(endpoints::register))
        .route(AUTHORIZE_PATH, get(authorize::show).post(authorize::submit))
        .route(TOKEN_PATH, post(endpoints::token))
        .route(REVOKE_PATH, post(endpoints::revoke))
        .with_state(oauth)
}

/// Where the MCP endpoint is mounted: the resource whose metadata lives under
/// [`RESOURCE_METADATA_PATH`]. The same path as `http::mcp::MCP_PATH` (a test checks it);
/// written here so the OAuth server imports nothing from the MCP endpoint.
pub const MCP_PATH: &str = "/mcp";
