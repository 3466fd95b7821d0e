//! Every error is JSON with the right status and words that say what to do next. (A slow
//! upstream's 504 is in `hardening`, with the bound on how long it takes.)

use reqwest::{Method, StatusCode};

use crate::fixture::{KEY_A, assert_error, into_json, start};

#[tokio::test]
async fn no_key_and_wrong_key_are_401_with_a_bearer_challenge() {
    let server = start().await;
    let response = server
        .request(Method::GET, "/api/customers")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body) = into_json(response).await;
    let message = assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(message.contains("Authorization: Bearer"), "{message}");
    let (status, body) = server.get(Some("tgpt_not-a-key"), "/api/customers").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn every_api_route_needs_a_key() {
    let server = start().await;
    for route in tidsreg_gpt::http::api::routes() {
        if !route.path.starts_with("/api") {
            continue;
        }
        let response = server
            .request(route.method.clone(), route.path)
            .send()
            .await
            .unwrap();
        let (status, body) = into_json(response).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

#[tokio::test]
async fn missing_and_malformed_parameters_name_the_parameter() {
    let server = start().await;
    server.login(KEY_A).await;
    let cases = [
        ("/api/projects", "customerId"),
        ("/api/projects?customerId=abc", "customerId"),
        ("/api/projects?customerId=0", "customerId"),
        ("/api/phases", "projectId"),
        ("/api/activities?phaseId=-3", "phaseId"),
        ("/api/customers?date=2025-13-40", "date"),
        ("/api/projects?customerId=1&date=31-12-2025", "date"),
        ("/api/kinds?projectName=X", "activityName"),
        // Found by schemathesis: beyond int64, an empty date, a date outside four digits.
        ("/api/phases?projectId=9223372036854775808", "projectId"),
        ("/api/customers?date=", "date"),
        ("/api/customers?date=0000-01-01", "date"),
        ("/api/week?year=-771", "year"),
        ("/api/kinds?activityName=X", "projectName"),
    ];
    for (path, field) in cases {
        let (status, body) = server.get(Some(KEY_A), path).await;
        let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(message.contains(field), "{path}: {message}");
    }
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_json() {
    let server = start().await;
    let (status, body) = server.get(Some(KEY_A), "/api/nope").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let response = server
        .request(Method::DELETE, "/api/customers")
        .bearer_auth(KEY_A)
        .send()
        .await
        .unwrap();
    let (status, body) = into_json(response).await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn upstream_failure_is_502_with_its_status() {
    let server = start().await;
    server.login(KEY_A).await;
    server.controls.set_fail_status(Some(500));
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    let message = assert_error(status, &body, StatusCode::BAD_GATEWAY, "upstream_error");
    assert!(message.contains("Tidsreg answered HTTP 500"), "{message}");
    let whole = body.to_string();
    assert!(!whole.contains("http://"), "{whole}");
}

#[tokio::test]
async fn upstream_down_is_502() {
    let mut server = start().await;
    server.login(KEY_A).await;
    server.stop_upstream().await;
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    let message = assert_error(status, &body, StatusCode::BAD_GATEWAY, "upstream_error");
    assert!(message.contains("cannot reach Tidsreg"), "{message}");
    // Plain words: where the upstream is, and reqwest's error chain, stay in the log.
    let port = server.upstream.port().unwrap().to_string();
    let whole = body.to_string();
    for internal in [
        "127.0.0.1",
        "localhost",
        "http://",
        port.as_str(),
        "error sending request",
    ] {
        assert!(!whole.contains(internal), "{internal} in {whole}");
    }
}

#[tokio::test]
async fn no_cors_origin_is_echoed() {
    let server = start().await;
    for method in [Method::GET, Method::OPTIONS] {
        let response = server
            .request(method, "/api/customers")
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
}

#[tokio::test]
async fn health_and_schema_are_public() {
    let server = start().await;
    let (status, body) = server.get(None, "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let response = server
        .request(Method::GET, "/openapi.yaml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(&server.url));
}
