//! The GPT Action REST API: the route table, and the router built from it. Handlers are
//! thin adapters over [`crate::ops`].

pub(crate) mod bearer;
pub mod error;
mod handlers;
pub mod limits;
pub mod middleware;

use std::sync::{Arc, RwLock};

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::http::Method;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{MethodRouter, get, post};

use crate::auth::ApiKeys;
use crate::oauth::OAuth;
use crate::ops::Ops;
use limits::{Limits, RateLimits};

/// Everything a request handler may need. axum clones the state several times per
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
    pub limits: Arc<Limits>,
}

impl AppState {
    /// State with the default rate limits.
    pub fn new(ops: Ops, keys: ApiKeys, schema: LiveSchema, oauth: OAuth) -> Self {
        Self::build(ops, keys, schema, oauth, RateLimits::default())
    }

    /// State with these rate limits.
    pub fn build(
        ops: Ops,
        keys: ApiKeys,
        schema: LiveSchema,
        oauth: OAuth,
        limits: RateLimits,
    ) -> Self {
        Self(Arc::new(Shared {
            ops,
            keys: Arc::new(keys),
            schema,
            oauth,
            limits: Arc::new(Limits::new(limits)),
        }))
    }
}

/// The schema being served. It changes when the tunnel reopens with another URL, so it is
/// shared and replaceable rather than fixed at start-up.
#[derive(Clone, Debug, Default)]
pub struct LiveSchema(Arc<RwLock<Arc<str>>>);

impl LiveSchema {
    /// A schema that serves `yaml` until replaced.
    pub fn new(yaml: &str) -> Self {
        Self(Arc::new(RwLock::new(yaml.into())))
    }

    /// Serves `yaml` from now on.
    pub fn set(&self, yaml: &str) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = yaml.into();
    }

    /// The current schema.
    pub fn get(&self) -> Arc<str> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// One row of the route table. The router is built from this table, so tests that walk it
/// (schema agreement, "every /api route needs a key") walk exactly what is served.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    /// Whether the route sits behind the bearer check (every `/api` route does).
    pub authenticated: bool,
    handler: MethodRouter<AppState>,
}

/// The served routes.
pub fn routes() -> Vec<Route> {
    vec![
        open(Method::GET, "/health", get(handlers::health)),
        open(Method::GET, "/openapi.yaml", get(handlers::openapi)),
        api(Method::POST, "/api/login", post(handlers::login)),
        api(Method::GET, "/api/customers", get(handlers::customers)),
        api(Method::GET, "/api/projects", get(handlers::projects)),
        api(Method::GET, "/api/phases", get(handlers::phases)),
        api(Method::GET, "/api/activities", get(handlers::activities)),
        api(Method::GET, "/api/kinds", get(handlers::kinds)),
        api(Method::GET, "/api/hours", get(handlers::hours)),
        api(Method::POST, "/api/hours", post(handlers::register_hours)),
        api(Method::GET, "/api/week", get(handlers::week)),
        api(Method::GET, "/api/search", get(handlers::search)),
        api(Method::GET, "/api/report", get(handlers::report)),
    ]
}

fn open(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        authenticated: false,
        handler,
    }
}

fn api(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        authenticated: true,
        handler,
    }
}

/// The whole HTTP app, apart from serving, so tests can also drive it directly.
pub fn app(state: AppState) -> Router {
    let mut public = Router::new();
    let mut protected = Router::new();
    for route in routes() {
        if route.authenticated {
            protected = protected.route(route.path, route.handler);
        } else {
            public = public.route(route.path, route.handler);
        }
    }
    let protected = protected.route_layer(from_fn_with_state(state.clone(), bearer::require));
    // No CORS layer on purpose: GPT Actions and MCP clients call server to server, so no
    // browser origin is ever allowed to read answers (the seed echoed any origin).
    // Beside the Action routes: the OAuth server (`crate::oauth`) and MCP (`crate::mcp`).
    let mcp = crate::mcp::router(&state);
    public
        .merge(protected)
        .merge(crate::oauth::router(&state))
        .merge(mcp)
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(middleware::MAX_BODY_BYTES))
        .layer(from_fn(middleware::frame))
        .with_state(state)
}

/// The app as a service that tells handlers each client's address (for rate limits):
/// `axum::serve(listener, api::service(state))`.
pub fn service(state: AppState) -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    app(state).into_make_service_with_connect_info::<SocketAddr>()
}
