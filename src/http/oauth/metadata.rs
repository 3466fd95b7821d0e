//! The discovery documents: authorization server metadata (RFC 8414) and protected resource
//! metadata (RFC 9728). Both are built per request from the current public URL.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::OAuth;
use super::{AUTHORIZE_PATH, REGISTER_PATH, REVOKE_PATH, SCOPE, TOKEN_PATH};

/// `GET /.well-known/oauth-authorization-server`. The issuer is the bare public URL, so this
/// path is exactly where RFC 8414 §3.1 says a client looks.
pub async fn authorization_server(State(state): State<OAuth>) -> Json<Value> {
    let url = state.public_url();
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    Json(json!({
        "issuer": url.get().as_ref(),
        "authorization_endpoint": url.join(AUTHORIZE_PATH),
        "token_endpoint": url.join(TOKEN_PATH),
        "registration_endpoint": url.join(REGISTER_PATH),
        "revocation_endpoint": url.join(REVOKE_PATH),
        "scopes_supported": [SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        // RFC 9207: every authorization response names this issuer in `iss`.
        "authorization_response_iss_parameter_supported": true,
        // A client may name itself by the URL of its metadata document instead of
        // registering (CIMD); such clients are public and use PKCE.
        "client_id_metadata_document_supported": true,
    }))
}

/// `GET /.well-known/oauth-protected-resource`: the whole server (`/mcp` and `/api`) is one
/// resource, protected by the authorization server at the same URL. This is the document
/// the `/mcp` challenge points at.
pub async fn protected_resource(State(state): State<OAuth>) -> Json<Value> {
    let url = state.public_url();
    Json(resource_document(url.get().as_ref(), url.get().as_ref()))
}

/// `GET /.well-known/oauth-protected-resource/mcp`: the same, for clients that derive the
/// metadata URL from the MCP URL (RFC 9728 §3.1 inserts the well-known part before the path),
/// whose `resource` must then name `/mcp` itself (§3.3).
pub async fn protected_resource_mcp(State(state): State<OAuth>) -> Json<Value> {
    let url = state.public_url();
    Json(resource_document(
        &url.join(super::MCP_PATH),
        url.get().as_ref(),
    ))
}

fn resource_document(resource: &str, issuer: &str) -> Value {
    json!({
        "resource": resource,
        "authorization_servers": [issuer],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "Tidsreg",
    })
}
