//! Layers every request passes: the request log, and the rule that every error answer is
//! our JSON, even one the HTTP stack produced itself (body too large, time-out).

use std::time::Instant;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::sessions::CallerId;

/// Largest request body accepted: a login or a booking is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest path and query accepted.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Every answer comes within this, or a 504: under ChatGPT's 45 s Action time-out.
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// One structured line per request: method, path (never the query, which may carry
/// names), status, duration and the caller's key id (never the key).
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let caller = response
        .extensions()
        .get::<CallerId>()
        .map(ToString::to_string)
        .unwrap_or_else(|| "-".into());
    tracing::info!(
        target: "request",
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        caller,
        "request"
    );
    response
}

/// Refuses an over-long URI before anything parses it.
pub async fn check_uri(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if length > MAX_URI_BYTES {
        // 400, not 414: every operation documents 400, and the words say what is wrong.
        return ApiError::Transport {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: format!(
                "the path and query are {length} bytes; at most {MAX_URI_BYTES} are accepted"
            ),
        }
        .into_response();
    }
    next.run(request).await
}

/// Turns an error answer the HTTP stack wrote as plain text (or with no body type) into
/// our `{"error","status","code"}` shape. JSON and the sign-in page's HTML stay as they are.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if status.as_u16() < 400 || !plain {
        return response;
    }
    let extensions = response.extensions().clone();
    let mut converted = transport_error(status).into_response();
    *converted.extensions_mut() = extensions;
    converted
}

fn transport_error(status: StatusCode) -> ApiError {
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            format!(
                "the request body is larger than {} KiB; send less",
                MAX_BODY_BYTES / 1024
            ),
        ),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => (
            "upstream_timeout",
            format!(
                "no answer within {} seconds; try again in a moment",
                REQUEST_DEADLINE.as_secs()
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "bad_request",
            "send the body as application/json".to_string(),
        ),
        s if s.is_client_error() => (
            "bad_request",
            format!("the request was refused ({s}); check it against /openapi.yaml"),
        ),
        s => (
            "upstream_error",
            format!("the server failed ({s}); try again in a moment"),
        ),
    };
    ApiError::Transport {
        status,
        code,
        message,
    }
}
