//! The GPT Action REST API: the route table, and the router built from it. Handlers are
//! thin adapters over [`crate::ops`]; the door in front of them has already said who is
//! calling (every `/api` route needs a bearer token) and applied the rate limits.

mod handlers;

use axum::Router;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use crate::http::icon;
use crate::http::live_text::LiveSchema;
use crate::ops::{
    ActivitiesInput, CopyWeekInput, CustomersInput, HoursInput, KindsInput, Ops, PhasesInput,
    ProjectsInput, ReportInput, SearchInput, WeekInput,
};
use handlers::query;

pub use handlers::{method_not_allowed, not_found};

/// What the REST handlers use: the operations and the schema they serve.
#[derive(Clone, Debug)]
pub struct ApiState {
    ops: Ops,
    schema: LiveSchema,
}

/// One row of the route table. The router is built from this table, so tests that walk it
/// (schema agreement, "every /api route needs a key") walk exactly what is served.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<ApiState>,
}

/// The served routes.
pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/health", get(handlers::health)),
        route(Method::GET, "/openapi.yaml", get(handlers::openapi)),
        route(Method::GET, icon::ICON_PATH, get(icon::serve)),
        route(Method::POST, "/api/login", post(handlers::login)),
        route(Method::GET, "/api/customers", get(query::<CustomersInput>)),
        route(Method::GET, "/api/projects", get(query::<ProjectsInput>)),
        route(Method::GET, "/api/phases", get(query::<PhasesInput>)),
        route(
            Method::GET,
            "/api/activities",
            get(query::<ActivitiesInput>),
        ),
        route(Method::GET, "/api/kinds", get(query::<KindsInput>)),
        route(Method::GET, "/api/hours", get(query::<HoursInput>)),
        route(Method::POST, "/api/hours", post(handlers::register_hours)),
        route(
            Method::POST,
            "/api/hours/batch",
            post(handlers::register_hours_batch),
        ),
        route(Method::GET, "/api/week/copy", get(query::<CopyWeekInput>)),
        route(Method::GET, "/api/week", get(query::<WeekInput>)),
        route(Method::GET, "/api/search", get(query::<SearchInput>)),
        route(Method::GET, "/api/report", get(query::<ReportInput>)),
    ]
}

fn route(method: Method, path: &'static str, handler: MethodRouter<ApiState>) -> Route {
    Route {
        method,
        path,
        handler,
    }
}

/// The REST routes over `ops`, serving `schema` at `/openapi.yaml`.
pub fn router(ops: Ops, schema: LiveSchema) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, route.handler)
        })
        .with_state(ApiState { ops, schema })
}
