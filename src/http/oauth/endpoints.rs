//! The machine-to-machine endpoints: `/oauth/token` (RFC 6749 §3.2, with PKCE),
//! `/oauth/revoke` (RFC 7009) and `/oauth/register` (RFC 7591). Their errors take the shape
//! of those RFCs ([`OAuthError`]).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::OAuth;
use super::clients::Registration;
use super::error::OAuthError;
use super::grants::TokenPair;
use crate::http::rate_limits::client_address;

/// `POST /oauth/token`: `authorization_code` (with `code_verifier`) or `refresh_token`.
pub async fn token(State(state): State<OAuth>, headers: HeaderMap, body: Bytes) -> Response {
    match exchange(&state, &headers, &body).await {
        Ok(pair) => token_answer(pair),
        Err(error) => {
            tracing::info!(error = error.code, description = %error.description, "token request refused");
            error.into_response()
        }
    }
}

async fn exchange(
    state: &OAuth,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenPair, OAuthError> {
    let form = parse_form(body)?;
    let client = state.inner.clients.authenticate(headers, &form).await?;
    let param = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if let Some(resource) = param("resource")
        && !state.serves_resource(resource)
    {
        return Err(OAuthError::invalid_target(
            "`resource` must be this server's URL",
        ));
    }
    let grants = &state.inner.grants;
    let pair = match param("grant_type") {
        Some("authorization_code") => {
            let code =
                param("code").ok_or_else(|| OAuthError::invalid_request("`code` is required"))?;
            grants
                .redeem_code(
                    code,
                    &client.id,
                    param("redirect_uri"),
                    param("code_verifier"),
                )
                .await
        }
        Some("refresh_token") => {
            let refresh = param("refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("`refresh_token` is required"))?;
            grants.refresh(refresh, &client.id).await
        }
        Some(other) => Err(OAuthError::unsupported_grant_type(format!(
            "grant_type `{other}` is not supported; use authorization_code or refresh_token"
        ))),
        None => Err(OAuthError::invalid_request("`grant_type` is required")),
    }?;
    // A client in use is kept as long as its grants.
    state.inner.clients.touch(&client).await?;
    Ok(pair)
}

/// RFC 6749 §5.1: the pair as JSON, never cached.
fn token_answer(pair: TokenPair) -> Response {
    let body = json!({
        "access_token": pair.access_token.expose(),
        "token_type": "Bearer",
        "expires_in": pair.expires_in.as_secs(),
        "refresh_token": pair.refresh_token.expose(),
        "scope": pair.scope,
    });
    no_store((StatusCode::OK, Json(body)).into_response())
}

/// `POST /oauth/revoke`: ends the grant of the token (access or refresh) and its Tidsreg
/// session. Answers 200 for unknown tokens too, as RFC 7009 §2.2 asks.
pub async fn revoke(State(state): State<OAuth>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let form = parse_form(&body)?;
        let client = state.inner.clients.authenticate(&headers, &form).await?;
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("`token` is required"))?;
        state
            .inner
            .grants
            .revoke(token, &client.id)
            .await
            .map_err(OAuthError::from)
    }
    .await;
    match result {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(error) => error.into_response(),
    }
}

/// The largest registration body read: client metadata is a few hundred bytes.
const MAX_REGISTRATION_BYTES: usize = 16 * 1024;

/// `POST /oauth/register`: dynamic client registration, open to anyone as MCP clients
/// expect, within the
/// [`RegistrationBudget`](super::registration_budget::RegistrationBudget). A registration grants nothing by itself: a
/// person must still sign in.
pub async fn register(State(state): State<OAuth>, request: Request) -> Response {
    // The address as the door sees it (the peer, or the tunnel's `X-Forwarded-For`).
    let address = client_address(&request);
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_REGISTRATION_BYTES).await else {
        return OAuthError::invalid_client_metadata(format!(
            "the body must be JSON client metadata of at most {MAX_REGISTRATION_BYTES} bytes"
        ))
        .into_response();
    };
    let request: Registration = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return OAuthError::invalid_client_metadata(format!(
                "the body must be JSON client metadata like {{\"redirect_uris\": [\"https://...\"]}} ({e})"
            ))
            .into_response();
        }
    };
    if let Err(error) = state.inner.clients.check(&request) {
        return error.into_response();
    }
    if let Err(refused) = state.inner.registrations.check(address).await {
        tracing::info!(%address, description = %refused.description, "registration refused");
        return refused.into_response();
    }
    match state.inner.clients.register(request).await {
        Ok(registered) => {
            tracing::info!(client = %registered.client_name, "OAuth client registered");
            no_store((StatusCode::CREATED, Json(registered)).into_response())
        }
        Err(error) => error.into_response(),
    }
}

/// A form body (`application/x-www-form-urlencoded`); a repeated parameter is an error
/// (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut form = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body).into_owned() {
        if form.insert(name.clone(), value).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "`{name}` is repeated; send each parameter once"
            )));
        }
    }
    Ok(form)
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
