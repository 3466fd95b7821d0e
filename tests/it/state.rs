//! Durable state: a restart with the same state store loses nothing a user relies on.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use tidsreg_gpt::fake::data::{KIND_BILLABLE, UDVIKLING_ACTIVITY_ID};
use tidsreg_gpt::fake::{ANNA_PASSWORD, ANNA_USERNAME, DEMO_USERNAME};
use tidsreg_gpt::http::AppConfig;
use tidsreg_gpt::settings::Secret;
use tidsreg_gpt::store::StateStore;
use tidsreg_gpt::store::sealed::{Sealer, new_key};
use tidsreg_gpt::store::sqlite::Sqlite;

use crate::fixture::oauth::{self, sign_in, token_request};
use crate::fixture::{KEY_A, start_configured, start_over};

/// Gives the app the embedded store at `path`, sealed with `key`, as `serve` does.
fn durable(path: &Path, key: &Secret) -> impl FnOnce(&mut AppConfig) {
    let (path, key) = (path.to_path_buf(), key.clone());
    move |config: &mut AppConfig| {
        config.store = StateStore::new(Sqlite::open(&path, config.clock.clone()).unwrap());
        config.sealer = Sealer::from_text(&key).unwrap();
    }
}

async fn mcp_tools(url: &str, token: &str) -> StatusCode {
    oauth::http()
        .post(format!("{url}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .send()
        .await
        .unwrap()
        .status()
}

fn booking() -> Value {
    json!({
        "date": "2026-03-04",
        "hours": 1.25,
        "activityId": UDVIKLING_ACTIVITY_ID,
        "kindId": KIND_BILLABLE,
        "note": "restart test"
    })
}

#[tokio::test]
async fn a_restart_with_the_same_store_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state").join("state.db");
    let key = new_key();
    let first = start_configured(durable(&path, &key)).await;
    first.login(KEY_A).await;
    let (client, tokens) = sign_in(&first, ANNA_USERNAME, ANNA_PASSWORD).await;
    let book = |server: &crate::fixture::TestServer| {
        server
            .request(reqwest::Method::POST, "/api/hours")
            .bearer_auth(KEY_A)
            .header("idempotency-key", "restart-1")
            .json(&booking())
            .send()
    };
    let (status, body) = crate::fixture::into_json(book(&first).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["replayed"], false);

    let second = start_over(first.into_upstream(), durable(&path, &key)).await;
    // The API key's Tidsreg sign-in survived: no login call.
    let (status, body) = second.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The OAuth connector's saved access token still answers, and its refresh token works.
    assert_eq!(mcp_tools(&second.url, &tokens.access).await, StatusCode::OK);
    let (status, body) = token_request(
        &second,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &tokens.refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Its client id can still start a sign-in.
    let url = oauth::authorize_url(&second, &client, &oauth::pkce().challenge, "s");
    let (status, html) = oauth::open_page(&url).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // A booking retried with the same key is answered, not booked again.
    let (status, body) = crate::fixture::into_json(book(&second).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["replayed"], true, "{body}");
    let booked = second.controls.bookings(DEMO_USERNAME);
    let restarted: Vec<_> = booked.iter().filter(|b| b.note == "restart test").collect();
    assert_eq!(restarted.len(), 1, "booked once: {booked:?}");

    // The state is the owner's alone, and holds no token, password or cookie in clear.
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        let entry = entry.unwrap().path();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", entry.display());
        }
        stored.extend(std::fs::read(&entry).unwrap());
    }
    let stored = String::from_utf8_lossy(&stored);
    for secret in [
        tokens.access.as_str(),
        tokens.refresh.as_str(),
        ANNA_PASSWORD,
        "AuthTicket",
    ] {
        assert!(!stored.contains(secret), "{secret} is in the state files");
    }
}
