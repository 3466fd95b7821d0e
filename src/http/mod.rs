//! The app root: the state every request may use ([`AppState`], built in one place from an
//! [`AppConfig`]), the router ([`app`]), and the two layers every request passes: the
//! [`frame`] (limits, deadline, JSON errors, the log line) and the [`door`] (who is calling,
//! and every rate limit). Under them sit the REST routes ([`api`]), the MCP endpoint
//! ([`mcp`]) and the OAuth server ([`oauth`]); none of the three imports another.

pub mod api;
pub mod api_keys;
pub mod door;
pub mod error;
pub mod frame;
pub mod live_text;
pub mod mcp;
pub mod oauth;
pub mod public_url;
pub mod rate_limits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::middleware::{from_fn, from_fn_with_state};
use url::Url;

use crate::ops::Ops;
use crate::settings::config_file::OAuthClient;
use crate::settings::credentials::Credentials;
use crate::settings::serve_settings::{DEFAULT_EXPECTED_HOURS, RateLimits};
use crate::store::{Clock, SessionStore};
use crate::tidsreg::Tidsreg;
use api_keys::ApiKeys;
pub use live_text::LiveSchema;
use oauth::OAuth;
use public_url::PublicUrl;
use rate_limits::Limits;

/// What the app is built from: `serve` fills it from its settings, tests and the benchmark
/// from [`AppConfig::new`]'s defaults with a field or two changed.
pub struct AppConfig {
    /// The Tidsreg base URL (the real one, or the fake's).
    pub upstream: Url,
    /// The whole-request budget of each upstream call.
    pub upstream_timeout: Duration,
    /// The base URL clients outside see; it follows the tunnel.
    pub public_url: PublicUrl,
    pub api_keys: ApiKeys,
    /// The static OAuth client (GPT Actions), if any.
    pub static_client: Option<OAuthClient>,
    pub access_token_ttl: Duration,
    pub rate_limits: RateLimits,
    /// How long each session keeps lookups and week pages; zero: no caching.
    pub cache_ttl: Duration,
    /// Hours a working day should hold; fewer gives a warning.
    pub expected_hours: f64,
    /// The stored login (`tidsreg-gpt login`) that signs its key in by itself.
    pub credentials: Option<Credentials>,
    /// The time every expiry is measured on.
    pub clock: Clock,
}

impl AppConfig {
    /// The defaults `serve` uses, in front of `upstream`, seen from outside at `public_url`,
    /// with no API key and no static OAuth client.
    pub fn new(upstream: Url, public_url: &str) -> Self {
        Self {
            upstream,
            upstream_timeout: crate::tidsreg::REQUEST_TIMEOUT,
            public_url: PublicUrl::new(public_url),
            api_keys: ApiKeys::new(Vec::new()),
            static_client: None,
            access_token_ttl: oauth::ACCESS_TOKEN_TTL,
            rate_limits: RateLimits::default(),
            cache_ttl: crate::store::ttl_cache::DEFAULT_TTL,
            expected_hours: DEFAULT_EXPECTED_HOURS,
            credentials: None,
            clock: Clock::system(),
        }
    }
}

/// Everything the door and the routes share. axum clones the state several times per
/// request (router, each layer, the extractor), so it is one `Arc`: a clone is one counter
/// bump instead of a dozen (the profile in bench/RESULTS.md showed 10 % of a cached lookup).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Debug)]
pub struct Shared {
    pub ops: Ops,
    pub keys: Arc<ApiKeys>,
    /// The rendered Action schema, served at `/openapi.yaml`.
    pub schema: LiveSchema,
    /// The OAuth authorization server: its tokens work on `/api` and `/mcp`.
    pub oauth: OAuth,
    pub limits: Limits,
    /// The base URL clients outside see.
    pub public_url: PublicUrl,
}

impl AppState {
    /// The one constructor: the upstream client, the per-caller sessions, the operations,
    /// the OAuth server and the rate limits, wired together; the schema rendered for the
    /// public URL (replace it with [`LiveSchema::set`] when the URL changes).
    pub fn new(config: AppConfig) -> Result<Self> {
        let tidsreg = Tidsreg::with_timeout(config.upstream, config.upstream_timeout)?;
        let sessions = Arc::new(SessionStore::default());
        let ops = Ops::new(tidsreg, sessions, config.clock.clone())
            .with_cache_ttl(config.cache_ttl)
            .with_expected_hours(config.expected_hours);
        let ops = match config.credentials {
            Some(credentials) => ops.with_credentials(credentials),
            None => ops,
        };
        let oauth = OAuth::new(
            config.static_client.as_ref(),
            config.access_token_ttl,
            config.public_url.clone(),
            ops.clone(),
            config.clock,
        );
        let yaml = crate::schema::render(&config.public_url.get())
            .context("cannot render the Action schema")?;
        Ok(Self(Arc::new(Shared {
            ops,
            keys: Arc::new(config.api_keys),
            schema: LiveSchema::new(&yaml),
            oauth,
            limits: Limits::new(config.rate_limits),
            public_url: config.public_url,
        })))
    }
}

/// The whole HTTP app, apart from serving, so tests can also drive it directly. Every route
/// sits behind the door; the frame wraps everything, the door's refusals included.
pub fn app(state: AppState) -> Router {
    let routes = api::router(state.ops.clone(), state.schema.clone())
        .merge(oauth::router(state.oauth.clone()))
        .merge(mcp::router(state.ops.clone()));
    // No CORS layer on purpose: GPT Actions and MCP clients call server to server, so no
    // browser origin is ever allowed to read answers (the seed echoed any origin).
    routes
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(from_fn_with_state(state, door::door))
        .layer(DefaultBodyLimit::max(frame::MAX_BODY_BYTES))
        .layer(from_fn(frame::frame))
}

/// The app as a service that tells the door each client's address (for rate limits):
/// `axum::serve(listener, http::service(state))`.
pub fn service(state: AppState) -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    app(state).into_make_service_with_connect_info::<SocketAddr>()
}
