//! `/mcp` as raw HTTP: DNS-rebinding protection (a foreign `Host` or `Origin` is 403) and
//! every transport-level failure answered as a JSON-RPC error object with its HTTP status.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tidsreg_gpt::http::AppConfig;

use crate::fixture::{KEY_A, TestServer, start, start_configured};

fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "1"}
        }
    })
}

/// POSTs `body` to `/mcp` with the key, the MCP media types and `headers`.
async fn post(
    server: &TestServer,
    headers: &[(&str, &str)],
    body: String,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut sent = reqwest::header::HeaderMap::new();
    sent.insert(
        "accept",
        "application/json, text/event-stream".parse().unwrap(),
    );
    sent.insert("content-type", "application/json".parse().unwrap());
    for (name, value) in headers {
        let name: reqwest::header::HeaderName = name.parse().unwrap();
        sent.insert(name, value.parse().unwrap());
    }
    let response = reqwest::Client::new()
        .post(format!("{}/mcp", server.url))
        .bearer_auth(KEY_A)
        .headers(sent)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, headers, body)
}

/// The JSON-RPC error of an answer: its code and message.
fn rpc_error(body: &Value) -> (i64, String) {
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    let error = &body["error"];
    (
        error["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no code: {body}")),
        error["message"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_foreign_host_or_origin_is_refused_with_403() {
    let server = start().await;
    let port = server.url.rsplit(':').next().unwrap().to_string();
    for (name, value) in [
        ("host", "evil.example.com".to_string()),
        ("origin", "https://evil.example".to_string()),
        ("origin", "null".to_string()),
    ] {
        let (status, _, body) = post(&server, &[(name, &value)], initialize().to_string()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {value}: {body}");
        let (code, message) = rpc_error(&body);
        assert_eq!(code, -32001, "{body}");
        assert!(message.contains("--allow-origin"), "{message}");
    }
    for (name, value) in [
        ("host", format!("localhost:{port}")),
        ("host", format!("127.0.0.1:{port}")),
        ("origin", server.url.clone()),
    ] {
        let (status, _, body) = post(&server, &[(name, &value)], initialize().to_string()).await;
        assert_eq!(status, StatusCode::OK, "{name}: {value}: {body}");
    }
}

#[tokio::test]
async fn allow_origin_lets_a_browser_client_in() {
    let inspector = "http://localhost:6274";
    let server = start_configured(|config: &mut AppConfig| {
        config.allowed_origins = vec![inspector.to_string()];
    })
    .await;
    let (status, _, body) = post(&server, &[("origin", inspector)], initialize().to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn transport_failures_are_json_rpc_errors() {
    let server = start().await;
    let (status, _, body) = post(&server, &[], "{not json".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(rpc_error(&body).0, -32700, "{body}");

    let batch = json!([initialize(), initialize()]).to_string();
    let (status, _, body) = post(&server, &[], batch).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (code, message) = rpc_error(&body);
    assert_eq!(code, -32600);
    assert!(message.contains("batches"), "{message}");

    let (status, _, body) =
        post(&server, &[], json!({"id": 7, "method": "ping"}).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(rpc_error(&body).0, -32600, "{body}");
    assert_eq!(body["id"], 7, "the id is echoed: {body}");

    let (status, _, body) = post(
        &server,
        &[("accept", "text/html")],
        initialize().to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{body}");
    assert_eq!(rpc_error(&body).0, -32600);

    let (status, _, body) = post(
        &server,
        &[("content-type", "text/plain")],
        initialize().to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(rpc_error(&body).0, -32600);

    let response = reqwest::Client::new()
        .post(format!("{}/mcp", server.url))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    let (code, _) = rpc_error(&body);
    assert_eq!(code, -32001);
    assert_eq!(body["error"]["data"]["status"], 401, "{body}");
    assert_eq!(body["id"], 1, "{body}");

    let response = reqwest::Client::new()
        .put(format!("{}/mcp", server.url))
        .bearer_auth(KEY_A)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(rpc_error(&body).0, -32600, "{body}");
}
