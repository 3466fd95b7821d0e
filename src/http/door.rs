//! The one door: every request passes here before any route. It says who is calling and
//! applies every rate limit, for the REST API, `/mcp` and the OAuth pages alike, so a new
//! route cannot forget either.
//!
//! - Every request is counted against its client address's budget, before anything else.
//! - `/api/…` and `/mcp` need a bearer token: an API key or an OAuth access token. The caller
//!   it stands for is counted against its own budget and handed to the route (an extension,
//!   never the token), and rides on the response for the request log.
//! - Password guessing is slow everywhere: `POST /api/login`, the MCP `login` tool and the
//!   OAuth sign-in form also count against the much stricter login budget.

use std::borrow::Cow;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::frame::MAX_BODY_BYTES;
use super::mcp::{LOGIN_TOOL, MCP_PATH};
use super::oauth::AUTHORIZE_PATH;
use super::rate_limits;
use super::state::AppState;
use crate::store::{CallerId, StoreError};

/// The REST route with the login budget.
const LOGIN_PATH: &str = "/api/login";
/// Every REST operation lives under this prefix, and needs a bearer token.
const API_PREFIX: &str = "/api/";

/// How the door treats a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entrance {
    /// Public: health, the schema, OAuth metadata and pages; address budget only.
    Open { login: bool },
    /// A bearer token is required: the REST API.
    Rest { login: bool },
    /// A bearer token is required: MCP, whose refusals carry the OAuth challenge.
    Mcp { login: bool },
}

impl Entrance {
    fn is_login(self) -> bool {
        match self {
            Self::Open { login } | Self::Rest { login } | Self::Mcp { login } => login,
        }
    }
}

/// Lets the request through within the rate limits and, where a route needs one, with a
/// known bearer token.
pub async fn door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let address = state.trusted_proxies.client_of(&request);
    let (entrance, mut request) = match entrance(request).await {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let login = entrance.is_login();
    if let Err(refused) = state.limits.check_address(address) {
        return refused.into_response();
    }
    if let Entrance::Mcp { .. } = entrance
        && let Some(why) = state
            .allowed_origins
            .refusal(request.headers(), &state.public_url.get())
    {
        tracing::info!(why, "MCP request refused: foreign Host or Origin");
        return ApiError::Transport {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: why,
        }
        .into_response();
    }
    request
        .extensions_mut()
        .insert(rate_limits::ClientAddress(address));
    if let Entrance::Open { .. } = entrance {
        if login && let Err(refused) = state.login_budget.check(address, None).await {
            return refused.into_response();
        }
        return next.run(request).await;
    }
    let presented = bearer_token(request.headers());
    let caller = match presented {
        Some(token) => match identify(&state, token).await {
            Ok(caller) => caller,
            Err(error) => return ApiError::Op(error.into()).into_response(),
        },
        None => None,
    };
    let Some(caller) = caller else {
        return unauthorized(&state, entrance, presented.is_some());
    };
    if let Err(refused) = state.limits.check_caller(&caller) {
        return refused.into_response();
    }
    if login && let Err(refused) = state.login_budget.check(address, Some(&caller)).await {
        return refused.into_response();
    }
    request.extensions_mut().insert(caller.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(caller);
    response
}

/// Which door a request takes. An MCP call's body is read to see whether it calls the
/// `login` tool (then handed on unchanged): MCP bodies are small, and the SDK reads them
/// whole anyway.
async fn entrance(request: Request) -> Result<(Entrance, Request), ApiError> {
    let path = request.uri().path();
    let post = request.method() == Method::POST;
    if path == MCP_PATH {
        if !post {
            return Ok((Entrance::Mcp { login: false }, request));
        }
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::Transport {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "payload_too_large",
                message: format!(
                    "the request body is larger than {} KiB; send less",
                    MAX_BODY_BYTES / 1024
                ),
            })?;
        let login = calls_login_tool(&bytes);
        return Ok((
            Entrance::Mcp { login },
            Request::from_parts(parts, Body::from(bytes)),
        ));
    }
    let entrance = if path.starts_with(API_PREFIX) {
        Entrance::Rest {
            login: path == LOGIN_PATH,
        }
    } else {
        Entrance::Open {
            login: post && path == AUTHORIZE_PATH,
        }
    };
    Ok((entrance, request))
}

/// One JSON-RPC message, as far as the door reads it. Texts are `Cow`s: a name written
/// with escapes (`"\u006cogin"`) is still read as the SDK reads it.
#[derive(Deserialize)]
struct RpcCall<'a> {
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<CallParams<'a>>,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

/// True when the body calls the `login` tool (alone, or anywhere in a batch).
fn calls_login_tool(body: &[u8]) -> bool {
    let is_login = |call: &RpcCall| {
        call.method.as_deref() == Some("tools/call")
            && call.params.as_ref().and_then(|p| p.name.as_deref()) == Some(LOGIN_TOOL)
    };
    if let Ok(call) = serde_json::from_slice::<RpcCall>(body) {
        return is_login(&call);
    }
    serde_json::from_slice::<Vec<RpcCall>>(body).is_ok_and(|calls| calls.iter().any(is_login))
}

/// The caller a bearer token stands for: an API key, else a live OAuth access token (looked
/// up in the state store, which may not answer).
async fn identify(state: &AppState, presented: &str) -> Result<Option<CallerId>, StoreError> {
    match state.keys.identify(presented) {
        Some(caller) => Ok(Some(caller)),
        None => state.oauth.identify(presented).await,
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, per RFC 9110).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The 401 of a request without a good token. REST callers are told where the key comes
/// from; MCP callers also get the challenge the MCP authorization spec requires, pointing
/// at our protected resource metadata, which is how a client finds the sign-in.
fn unauthorized(state: &AppState, entrance: Entrance, token_presented: bool) -> Response {
    if let Entrance::Rest { .. } | Entrance::Open { .. } = entrance {
        let error = match token_presented {
            true => ApiError::WrongKey,
            false => ApiError::MissingKey,
        };
        return error.into_response();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_call_of_the_login_tool_counts_as_a_login() {
        let call = |name: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{name}","arguments":{{}}}}}}"#
            )
        };
        assert!(calls_login_tool(call("login").as_bytes()));
        assert!(!calls_login_tool(call("search").as_bytes()));
        let batch = format!("[{},{}]", call("search"), call("login"));
        assert!(calls_login_tool(batch.as_bytes()));
        assert!(!calls_login_tool(
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
        ));
        assert!(!calls_login_tool(b"not json"));
        let escaped = call("\\u006cogin");
        assert!(calls_login_tool(escaped.as_bytes()), "{escaped}");
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_needs_a_token() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
    }
}
