//! The bearer check in front of every `/api` route: an API key or an OAuth access token.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::error::ApiError;
use super::{AppState, limits};
use crate::sessions::CallerId;

/// Lets the request through only within the rate limits and with a known key, and hands
/// the handler the caller's identity (an extension), never the key itself. The identity
/// also rides on the response, for the request log.
pub async fn require(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let login = request.uri().path() == LOGIN_PATH;
    state
        .limits
        .check_address(limits::client_address(&request), login)?;
    let presented = bearer_token(request.headers()).ok_or(ApiError::MissingKey)?;
    let caller = identify(&state, presented).ok_or(ApiError::WrongKey)?;
    state.limits.check_caller(&caller, login)?;
    request.extensions_mut().insert(caller.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(caller);
    Ok(response)
}

/// The route with the strict budget.
const LOGIN_PATH: &str = "/api/login";

/// The caller a bearer token stands for: an API key, else a live OAuth access token.
pub fn identify(state: &AppState, presented: &str) -> Option<CallerId> {
    state
        .keys
        .identify(presented)
        .or_else(|| state.oauth.identify(presented))
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, per RFC 9110).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
