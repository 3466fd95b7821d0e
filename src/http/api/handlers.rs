//! Request handlers. Every GET operation is one generic handler: the query string parsed
//! into the operation's input type (the same type MCP parses its arguments into), the
//! operation run, its answer sent as JSON. The POSTs add what only REST has: a login
//! form body, and the `Idempotency-Key` header (of a booking or a batch).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, OriginalUri, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ApiState;
use crate::http::error::ApiError;
use crate::ops::{Answer, BatchInput, LoginInput, OpError, Operation, RegisterInput, Text};
use crate::store::CallerId;

/// An operation's answer, already encoded (a cached lookup list keeps its encoding).
pub struct JsonBytes(Bytes);

impl IntoResponse for JsonBytes {
    fn into_response(self) -> Response {
        let json = HeaderValue::from_static("application/json");
        ([(header::CONTENT_TYPE, json)], self.0).into_response()
    }
}

impl JsonBytes {
    fn of(answer: &impl Answer) -> Result<Self, ApiError> {
        answer.to_json().map(Self).map_err(|e| {
            ApiError::Op(OpError::Upstream(format!(
                "the answer could not be encoded ({e}); try again"
            )))
        })
    }
}

/// Liveness, public: lets a tunnel or platform check the process answers, and says which
/// part is down when one is (503 while the state store does not answer).
pub async fn health(State(state): State<ApiState>) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    match state.ops.store().ping().await {
        Ok(()) => {
            Json(json!({ "status": "ok", "version": version, "store": "ok" })).into_response()
        }
        Err(error) => {
            let body = json!({
                "status": "degraded",
                "version": version,
                "store": error.to_string(),
                "error": format!("the state store does not answer ({error}); calls that need it answer 503 until it is back"),
                "code": "store_unavailable",
            });
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// The rendered Action schema, public so the GPT editor can import it by URL.
pub async fn openapi(State(state): State<ApiState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        state.schema.get().to_string(),
    )
}

/// `GET` of any operation whose input is its query string.
pub async fn query<I: Operation>(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    RawQuery(query): RawQuery,
) -> Result<JsonBytes, ApiError> {
    let input: I = from_query(query)?;
    JsonBytes::of(&input.run(&state.ops, &caller).await?)
}

/// `POST /api/login`, JSON or form-encoded (the seed crashed on forms).
pub async fn login(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<JsonBytes, ApiError> {
    let input = login_input(&headers, &body)?;
    JsonBytes::of(&input.run(&state.ops, &caller).await?)
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
            username: form
                .remove("username")
                .as_deref()
                .map(Text::from)
                .unwrap_or_default(),
            password: form.remove("password").map(Into::into),
        });
    }
    json_body(body, r#"{"username": "...", "password": "..."}"#)
}

/// `POST /api/hours` with an optional `Idempotency-Key` header.
pub async fn register_hours(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<JsonBytes, ApiError> {
    let mut input: RegisterInput = json_body(&body, HOURS_EXAMPLE)?;
    input.idempotency_key = idempotency_key(&headers);
    JsonBytes::of(&input.run(&state.ops, &caller).await?)
}

/// `POST /api/hours/batch` with an optional `Idempotency-Key` header for the whole batch.
pub async fn register_hours_batch(
    State(state): State<ApiState>,
    Extension(caller): Extension<CallerId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<JsonBytes, ApiError> {
    let mut input: BatchInput = json_body(&body, BATCH_EXAMPLE)?;
    input.idempotency_key = idempotency_key(&headers);
    JsonBytes::of(&input.run(&state.ops, &caller).await?)
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

const BATCH_EXAMPLE: &str = r#"{"lines": [{"date": "2026-03-02", "hours": 7.5, "activityId": 4201, "kindId": 13}], "dryRun": true}"#;

const HOURS_EXAMPLE: &str =
    r#"{"date": "2026-03-02", "hours": 7.5, "activityId": 4201, "kindId": 13, "note": "..."}"#;

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

/// The operation's input from a query string, decoded leniently: every parameter arrives as
/// text, a malformed pair cannot fail the request here, and the operation then reports
/// exactly which parameter is missing or wrong.
fn from_query<I: Operation>(query: Option<String>) -> Result<I, ApiError> {
    let pairs = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
                .collect()
        })
        .unwrap_or_default();
    serde_json::from_value(Value::Object(pairs))
        .map_err(|e| ApiError::BadBody(format!("the query string cannot be read ({e})")))
}
