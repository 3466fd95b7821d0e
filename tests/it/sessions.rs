//! Login and per-key sessions: the seed's global session, its `{"ok": true}` on a wrong
//! password, its expired session answered as success, and its crash on a form login.

use reqwest::{Method, StatusCode};
use tidsreg_gpt::fake::{DEMO_PASSWORD, DEMO_USERNAME};

use crate::fixture::{KEY_A, KEY_B, assert_error, into_json, start};

#[tokio::test]
async fn login_success_answers_who_signed_in() {
    let server = start().await;
    let (status, body) = server.login_as(KEY_A, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signedIn"], true);
    assert_eq!(body["username"], DEMO_USERNAME);
}

#[tokio::test]
async fn wrong_password_is_refused_even_after_a_good_login() {
    let server = start().await;
    server.login(KEY_A).await;
    let (status, body) = server.login_as(KEY_A, DEMO_USERNAME, "wrong").await;
    let message = assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_login_rejected",
    );
    assert!(message.contains("username or password"), "{message}");
    // And the failed attempt left nothing signed in.
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_login_required",
    );
}

#[tokio::test]
async fn form_encoded_login_works() {
    let server = start().await;
    let response = server
        .request(Method::POST, "/api/login")
        .bearer_auth(KEY_A)
        .form(&[("username", DEMO_USERNAME), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    let (status, body) = into_json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signedIn"], true);
}

#[tokio::test]
async fn login_with_missing_fields_or_bad_json_names_the_problem() {
    let server = start().await;
    let (status, body) = server
        .post_json(
            Some(KEY_A),
            "/api/login",
            serde_json::json!({ "username": "demo" }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(body["field"], "password");
    let response = server
        .request(Method::POST, "/api/login")
        .bearer_auth(KEY_A)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = into_json(response).await;
    let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(message.contains("JSON"), "{message}");
}

#[tokio::test]
async fn lookups_before_login_say_to_log_in_first() {
    let server = start().await;
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    let message = assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_login_required",
    );
    assert!(message.contains("call `login`"), "{message}");
}

#[tokio::test]
async fn a_second_key_cannot_use_the_first_keys_login() {
    let server = start().await;
    server.login(KEY_A).await;
    let (status, _) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = server.get(Some(KEY_B), "/api/customers").await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_login_required",
    );
}

#[tokio::test]
async fn two_keys_signed_in_as_two_people_stay_apart() {
    let server = start().await;
    server.login(KEY_A).await;
    let (status, body) = server.login_as(KEY_B, "anna", "anna-pw").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // B signing in again with a wrong password does not disturb A.
    let (status, _) = server.login_as(KEY_B, "anna", "nope").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_upstream_session_asks_to_log_in_again_and_is_never_data() {
    let server = start().await;
    server.login(KEY_A).await;
    server.controls.expire_sessions();
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    let message = assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_session_expired",
    );
    assert!(message.contains("login"), "{message}");
    server.login(KEY_A).await;
    let (status, _) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_html_page_where_json_was_expected_is_an_expired_session() {
    let server = start().await;
    server.login(KEY_A).await;
    server.controls.set_html_instead_of_json(true);
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_session_expired",
    );
    assert!(!body.to_string().contains("<html"), "{body}");
}
