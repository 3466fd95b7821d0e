//! The bearer check in front of `/mcp`: an OAuth access token (what ChatGPT and Claude get by
//! signing the person in) or an API key (scripts, and clients that only send a fixed header).
//! A refusal carries the challenge the MCP authorization spec requires, pointing at our
//! protected resource metadata, which is how a client finds the sign-in.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::AppState;
use crate::api::bearer;

/// Lets the request through with a known token, handing the MCP handler the caller's
/// identity (an HTTP extension the SDK passes on to the tools).
pub async fn require(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let presented = bearer::bearer_token(request.headers());
    match presented.and_then(|token| bearer::identify(&state, token)) {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => unauthorized(&state, presented.is_some()),
    }
}

/// 401 with `WWW-Authenticate: Bearer resource_metadata="..."` and our usual JSON body.
fn unauthorized(state: &AppState, token_presented: bool) -> Response {
    let error = if token_presented {
        "the access token is unknown, expired or revoked: refresh it, or sign in again (your MCP client does this when it follows the WWW-Authenticate header)"
    } else {
        "sign in first: send `Authorization: Bearer <token>` with an OAuth access token (MCP clients get one by following the WWW-Authenticate header) or an API key `tidsreg-gpt serve` printed"
    };
    let body = json!({ "error": error, "status": 401, "code": "unauthorized" });
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    let challenge = state.oauth.challenge(token_presented);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
