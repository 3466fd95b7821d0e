//! Errors on `/mcp` speak JSON-RPC. An MCP client reads an error answer as a JSON-RPC error
//! object whatever the HTTP status, so every refusal on the way (the door's 401, 403 and
//! 429, the SDK's 405, 406 and 415, a body that is not JSON or not one message) is answered
//! as `{"jsonrpc":"2.0","id":…,"error":{"code","message","data"}}` with its HTTP status and
//! headers (`WWW-Authenticate`, `Retry-After`) kept.
//!
//! Codes: `-32700` when the body is not JSON, `-32600` when it is not one JSON-RPC request
//! (a batch, a missing `jsonrpc`) or the HTTP request itself is wrong (method, media
//! types), `-32001` when the caller is not let in (401, 403, 429: `data.status` says which),
//! `-32603` when the server failed.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::MCP_PATH;

/// JSON-RPC's "Parse error".
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC's "Invalid Request".
const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC's "Internal error".
const INTERNAL_ERROR: i64 = -32603;
/// A server-defined code (the range -32000 to -32099): the caller is not let in.
const NOT_ADMITTED: i64 = -32001;

/// Largest error body rewritten; ours are a few hundred bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The layer in front of `/mcp` (outside the door, so the door's refusals are rewritten
/// too); every other path passes untouched. It reads a JSON body once, for the id to echo
/// and for [`refuse_malformed`] to judge after the door has let the caller in (so a caller
/// without a token learns that first).
pub async fn json_rpc_errors(request: Request, next: Next) -> Response {
    if request.uri().path() != MCP_PATH {
        return next.run(request).await;
    }
    let checked = request.method() == Method::POST && is_json(&request);
    let (request, id) = match checked {
        true => match read_message(request).await {
            Ok(read) => read,
            Err(refused) => return refused,
        },
        false => (request, Value::Null),
    };
    let mut response = next.run(request).await;
    if response.status().as_u16() < 400 {
        return response;
    }
    // The SDK answers 415 to JSON that is not one of its messages; the media type was
    // right, the message was not.
    if checked && response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    as_json_rpc_error(response, id).await
}

/// Behind the door, on `/mcp` itself: refuses a body that is not one JSON-RPC message, as
/// [`json_rpc_errors`] judged it.
pub async fn refuse_malformed(request: Request, next: Next) -> Response {
    match request.extensions().get::<Malformed>() {
        Some(Malformed { code, message, id }) => {
            error(StatusCode::BAD_REQUEST, id.clone(), *code, message)
        }
        None => next.run(request).await,
    }
}

/// Why a body is not one JSON-RPC message (a request extension).
#[derive(Debug, Clone)]
struct Malformed {
    code: i64,
    message: String,
    id: Value,
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
        })
}

/// Reads the body once, notes whether it is one JSON-RPC message, and hands it on with
/// its id.
async fn read_message(request: Request) -> Result<(Request, Value), Response> {
    let (mut parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, crate::http::frame::MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                Value::Null,
                INVALID_REQUEST,
                "the request body is too large; send one JSON-RPC message of at most 64 KiB",
            )
        })?;
    let (id, malformed) = match serde_json::from_slice::<Value>(&bytes) {
        Err(e) => (
            Value::Null,
            Some((
                PARSE_ERROR,
                format!("Parse error: the body is not JSON ({e})"),
            )),
        ),
        Ok(message) => {
            let id = message.get("id").cloned().unwrap_or(Value::Null);
            let problem = match &message {
                Value::Array(_) => {
                    Some("JSON-RPC batches are not supported: send one message per request")
                }
                Value::Object(fields) if fields.get("jsonrpc") != Some(&json!("2.0")) => {
                    Some("Invalid Request: a JSON-RPC 2.0 message needs \"jsonrpc\": \"2.0\"")
                }
                Value::Object(_) => None,
                _ => Some("Invalid Request: a JSON-RPC message is a JSON object"),
            };
            (id, problem.map(|p| (INVALID_REQUEST, p.to_string())))
        }
    };
    if let Some((code, message)) = malformed {
        parts.extensions.insert(Malformed {
            code,
            message,
            id: id.clone(),
        });
    }
    Ok((Request::from_parts(parts, Body::from(bytes)), id))
}

/// An error answer of the door or the SDK, rewritten as a JSON-RPC error with the same
/// status, headers and words.
async fn as_json_rpc_error(response: Response, id: Value) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
    if parsed.as_ref().is_some_and(|v| v.get("jsonrpc").is_some()) {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let status = parts.status;
    let (message, code) = match parsed.as_ref() {
        // Our own `{"error","status","code"}` shape (the door, the frame).
        Some(body) => (
            body["error"].as_str().unwrap_or_default().to_string(),
            body["code"].as_str().map(str::to_string),
        ),
        // The SDK's plain-text refusals, which already say what to send instead.
        None => (String::from_utf8_lossy(&bytes).trim().to_string(), None),
    };
    let message = match message.is_empty() {
        true => status.canonical_reason().unwrap_or("error").to_string(),
        false => message,
    };
    let rpc_code = match status.as_u16() {
        401 | 403 | 429 => NOT_ADMITTED,
        s if s >= 500 => INTERNAL_ERROR,
        _ => INVALID_REQUEST,
    };
    let mut rewritten = error_with(status, id, rpc_code, &message, code.as_deref());
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    *rewritten.extensions_mut() = parts.extensions;
    rewritten
}

/// A JSON-RPC error answer.
fn error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    error_with(status, id, code, message, None)
}

/// A JSON-RPC error answer whose `data` also carries our own error code (`unauthorized`,
/// `rate_limited`, …), as the REST API names it.
fn error_with(
    status: StatusCode,
    id: Value,
    code: i64,
    message: &str,
    our_code: Option<&str>,
) -> Response {
    let mut data = json!({"status": status.as_u16()});
    if let Some(our_code) = our_code {
        data["code"] = json!(our_code);
    }
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message, "data": data},
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
