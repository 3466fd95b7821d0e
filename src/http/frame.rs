//! The layer every request passes: the request log, size and time limits, and the rule that
//! every error answer is our JSON, even one the HTTP stack produced itself (body too large, time-out).

use std::time::Instant;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use std::sync::LazyLock;

use super::error::ApiError;
use super::refusal_log::RefusalLog;
use crate::store::CallerId;

/// Largest request body accepted: a login or a booking is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest path and query accepted.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Every answer comes within this, or a 504: under ChatGPT's 45 s Action time-out.
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// The frame around every request, as one layer: each axum `from_fn` layer costs a boxed
/// service clone and a boxed future per request (see the profiles in `bench/README.md`).
/// - an over-long URI is refused before anything parses it;
/// - the answer comes within [`REQUEST_DEADLINE`], or a 504;
/// - an error the HTTP stack wrote as plain text becomes our JSON shape;
/// - one structured log line: method, path (never the query, which may carry names),
///   status, duration and the caller's key id (never the key).
pub async fn frame(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = match over_long_uri(&uri) {
        Some(refused) => refused.into_response(),
        None => match tokio::time::timeout(REQUEST_DEADLINE, next.run(request)).await {
            Ok(response) => as_json_error(response),
            Err(_) => transport_error(StatusCode::GATEWAY_TIMEOUT).into_response(),
        },
    };
    let status = response.status().as_u16();
    if matches!(status, 401 | 429) && !REFUSALS.count(status) {
        return response;
    }
    let caller = response.extensions().get::<CallerId>();
    tracing::info!(
        target: "request",
        %method,
        path = uri.path(),
        status,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        caller = caller.map_or("-", CallerId::as_str),
        "request"
    );
    response
}

/// The refusals of a flood, logged as counts (see [`RefusalLog`]).
static REFUSALS: LazyLock<RefusalLog> = LazyLock::new(RefusalLog::default);

/// The refusal of a path and query longer than [`MAX_URI_BYTES`].
fn over_long_uri(uri: &axum::http::Uri) -> Option<ApiError> {
    let length = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    // 400, not 414: every operation documents 400, and the words say what is wrong.
    (length > MAX_URI_BYTES).then(|| ApiError::Transport {
        status: StatusCode::BAD_REQUEST,
        code: "bad_request",
        message: format!(
            "the path and query are {length} bytes; at most {MAX_URI_BYTES} are accepted"
        ),
    })
}

/// Turns an error answer the HTTP stack wrote as plain text (or with no body type) into
/// our `{"error","status","code"}` shape. JSON and the sign-in page's HTML stay as they are.
fn as_json_error(response: Response) -> Response {
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
