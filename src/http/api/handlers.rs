//! Request handlers: parse the HTTP shape of the input, call the operation, answer JSON.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, OriginalUri, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::ApiState;
use crate::http::error::ApiError;
use crate::ops::hours::{WeekBounds, WeekHours};
use crate::ops::{
    Booked, HoursInput, KindsInput, ListInput, LoginInput, RegisterInput, Report, ReportInput,
    SearchHit, SearchInput, WeekInput,
};
use crate::store::CallerId;

type Answer<T> = Result<Json<T>, ApiError>;

/// A JSON answer encoded once and kept (a cached lookup list): sent as it is.
pub struct JsonBytes(Bytes);

impl IntoResponse for JsonBytes {
    fn into_response(self) -> axum::response::Response {
        let json = HeaderValue::from_static("application/json");
        ([(header::CONTENT_TYPE, json)], self.0).into_response()
    }
}

/// Liveness, public: lets a tunnel or platform check the process answers.
pub async fn health() -> impl IntoResponse {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// The rendered Action schema, public so the GPT editor can import it by URL.
pub async fn openapi(State(state): State<ApiState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        state.schema.get().to_string(),
    )
}

/// `POST /api/login`, JSON or form-encoded (the seed crashed on forms).
pub async fn login(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer<crate::ops::LoginOutput> {
    let input = login_input(&headers, &body)?;
    Ok(Json(state.ops.login(&caller, input).await?))
}

fn login_input(headers: &HeaderMap, body: &[u8]) -> Result<LoginInput, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let mut form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        return Ok(LoginInput {
            username: form.remove("username"),
            password: form.remove("password").map(Into::into),
        });
    }
    json_body(body, r#"{"username": "...", "password": "..."}"#)
}

/// `GET /api/customers?date`
pub async fn customers(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Result<JsonBytes, ApiError> {
    let input = list_input(query, None);
    Ok(JsonBytes(
        state.ops.list_customers(&caller, input).await?.json(),
    ))
}

/// `GET /api/projects?customerId&date`
pub async fn projects(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Result<JsonBytes, ApiError> {
    let input = list_input(query, Some("customerId"));
    Ok(JsonBytes(
        state.ops.list_projects(&caller, input).await?.json(),
    ))
}

/// `GET /api/phases?projectId&date`
pub async fn phases(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Result<JsonBytes, ApiError> {
    let input = list_input(query, Some("projectId"));
    Ok(JsonBytes(
        state.ops.list_phases(&caller, input).await?.json(),
    ))
}

/// `GET /api/activities?phaseId&date`
pub async fn activities(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Result<JsonBytes, ApiError> {
    let input = list_input(query, Some("phaseId"));
    Ok(JsonBytes(
        state.ops.list_activities(&caller, input).await?.json(),
    ))
}

/// `GET /api/kinds?projectName&activityName`
pub async fn kinds(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Result<JsonBytes, ApiError> {
    let mut query = query_map(query);
    let input = KindsInput {
        project_name: query.remove("projectName"),
        activity_name: query.remove("activityName"),
    };
    Ok(JsonBytes(
        state.ops.list_kinds(&caller, input).await?.json(),
    ))
}

/// `GET /api/hours?date`
pub async fn hours(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Answer<WeekHours> {
    let input = HoursInput {
        date: query_map(query).remove("date"),
    };
    Ok(Json(state.ops.get_hours(&caller, input).await?))
}

/// `POST /api/hours` with an optional `Idempotency-Key` header.
pub async fn register_hours(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer<Booked> {
    let input: RegisterInput = json_body(&body, HOURS_EXAMPLE)?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    Ok(Json(state.ops.register_hours(&caller, key, input).await?))
}

const HOURS_EXAMPLE: &str =
    r#"{"date": "2026-03-02", "hours": 7.5, "activityId": 4201, "kindId": 13, "note": "..."}"#;

/// `GET /api/week?year&week`
pub async fn week(State(state): State<ApiState>, RawQuery(query): RawQuery) -> Answer<WeekBounds> {
    let mut query = query_map(query);
    let input = WeekInput {
        year: query.remove("year"),
        week: query.remove("week"),
    };
    Ok(Json(state.ops.get_week(input)?))
}

/// `GET /api/search?q&date&limit`
pub async fn search(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Answer<Vec<SearchHit>> {
    let mut query = query_map(query);
    let input = SearchInput {
        q: query.remove("q"),
        date: query.remove("date"),
        limit: query.remove("limit"),
    };
    Ok(Json(state.ops.search(&caller, input).await?))
}

/// `GET /api/report?from&to`
pub async fn report(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Answer<Report> {
    let mut query = query_map(query);
    let input = ReportInput {
        from: query.remove("from"),
        to: query.remove("to"),
    };
    Ok(Json(state.ops.get_report(&caller, input).await?))
}

/// A JSON body, or a 400 that shows the expected shape. An empty body is `{}`, so the
/// operation names the first missing field.
fn json_body<T: serde::de::DeserializeOwned + Default>(
    body: &[u8],
    example: &str,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadBody(format!("the body must be JSON like {example} ({e})")))
}

/// JSON 404 for every unknown path.
pub async fn not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(uri.path().to_string())
}

/// JSON 405 for a known path with the wrong method.
pub async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}

fn list_input(query: Option<String>, parent: Option<&str>) -> ListInput {
    let mut query = query_map(query);
    ListInput {
        parent_id: parent.and_then(|name| query.remove(name)),
        date: query.remove("date"),
    }
}

/// Decodes a query string leniently: a malformed pair cannot fail the request here; the
/// operation then reports exactly which parameter is missing or wrong.
fn query_map(query: Option<String>) -> HashMap<String, String> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}
