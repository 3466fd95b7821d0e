//! Durable state: a restart with the same state store loses nothing a user relies on.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use tidsreg_gpt::fake::data::{KIND_BILLABLE, UDVIKLING_ACTIVITY_ID};
use tidsreg_gpt::fake::{ANNA_PASSWORD, ANNA_USERNAME, DEMO_USERNAME};
use tidsreg_gpt::http::AppConfig;
use tidsreg_gpt::settings::Secret;
use tidsreg_gpt::settings::state_store::StoreLocation;
use tidsreg_gpt::store::StateStore;
use tidsreg_gpt::store::sealed::{Sealer, new_key};
use tidsreg_gpt::store::sqlite::Sqlite;

use crate::fixture::oauth::{self, sign_in};
use crate::fixture::redis_server::RedisServer;
use crate::fixture::{KEY_A, start_beside, start_configured, start_over};

/// Gives the app the embedded store at `path`, sealed with `key`, as `serve` does.
fn durable(path: &Path, key: &Secret) -> impl FnOnce(&mut AppConfig) {
    let (path, key) = (path.to_path_buf(), key.clone());
    move |config: &mut AppConfig| {
        config.store = StateStore::new(Sqlite::open(&path, config.clock.clone()).unwrap());
        config.sealer = Sealer::from_text(&key).unwrap();
    }
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
    assert_eq!(
        oauth::mcp_status(&second, &tokens.access).await.0,
        StatusCode::OK
    );
    let (status, body) = oauth::refresh(&second, &client, &tokens.refresh).await;
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

/// Gives the app the Redis store at `url`, sealed with `key`, as `serve --store` does.
async fn shared(url: &str, key: &Secret) -> impl FnOnce(&mut AppConfig) + use<> {
    let location = StoreLocation::Redis(Secret::new(url));
    let store = tidsreg_gpt::store::open(&location, tidsreg_gpt::store::Clock::system())
        .await
        .unwrap();
    let key = key.clone();
    move |config: &mut AppConfig| {
        config.store = store;
        config.sealer = Sealer::from_text(&key).unwrap();
    }
}

/// Polls `check` every 100 ms until it holds or `within` has passed; answers how long it took.
async fn eventually(within: Duration, mut check: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn two_replicas_share_one_redis_and_ride_out_its_outage() {
    let Some(mut redis) = RedisServer::start("two_replicas_share_one_redis") else {
        return;
    };
    let key = new_key();
    let one = start_configured(shared(&redis.url(), &key).await).await;
    let two = start_beside(&one, shared(&redis.url(), &key).await).await;

    // A sign-in at one serves at the other: an API key's, and an OAuth grant's.
    one.login(KEY_A).await;
    let (status, body) = two.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, tokens) = sign_in(&one, ANNA_USERNAME, ANNA_PASSWORD).await;
    assert_eq!(
        oauth::mcp_status(&two, &tokens.access).await.0,
        StatusCode::OK
    );

    // A booking retried at the other replica is booked once.
    let book = |server: &crate::fixture::TestServer, key: &str| {
        server
            .request(reqwest::Method::POST, "/api/hours")
            .bearer_auth(KEY_A)
            .header("idempotency-key", key)
            .json(&booking())
            .send()
    };
    let (status, body) = crate::fixture::into_json(book(&one, "replica-1").await.unwrap()).await;
    assert_eq!(
        (status, &body["replayed"]),
        (StatusCode::OK, &json!(false)),
        "{body}"
    );
    let (status, body) = crate::fixture::into_json(book(&two, "replica-1").await.unwrap()).await;
    assert_eq!(
        (status, &body["replayed"]),
        (StatusCode::OK, &json!(true)),
        "{body}"
    );
    let booked = || {
        one.controls
            .bookings(DEMO_USERNAME)
            .iter()
            .filter(|b| b.note == "restart test")
            .count()
    };
    assert_eq!(booked(), 1);

    // Redis goes away: reads answer from what the replica holds, a booking is refused with
    // 503 and never sent, health says what is down, and the replica stays up.
    redis.stop();
    let started = Instant::now();
    let (status, body) = two.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let (status, body) = crate::fixture::into_json(book(&two, "replica-2").await.unwrap()).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "store_unavailable", "{body}");
    assert_eq!(booked(), 1, "nothing was sent to Tidsreg");
    let (status, body) = two.get(None, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "degraded", "{body}");

    // Redis is back (empty, as after a crash without persistence): serving resumes by
    // itself within seconds.
    redis.restart();
    let back = eventually(Duration::from_secs(10), async || {
        two.get(None, "/health").await.0 == StatusCode::OK
    })
    .await;
    assert!(
        back.is_some(),
        "the replica did not find Redis again within 10 s"
    );
    let (status, body) = crate::fixture::into_json(book(&two, "replica-2").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(booked(), 2);
}

/// `serve` as a person runs it keeps its state in the platform data directory, owner-only,
/// with the sealing key beside the config file, and `config` says where the state is.
#[test]
fn serve_keeps_its_state_private_in_the_data_directory() {
    let home = tempfile::tempdir().unwrap();
    let served = crate::fixture::binary::serve(
        home.path(),
        &[
            "--demo",
            "--port",
            "0",
            "--tunnel",
            "none",
            "--no-open",
            "--no-clipboard",
        ],
        &[],
    );
    let data = home.path().join(".local/share/tidsreg-gpt");
    let state = data.join("state.db");
    assert!(
        served.screen.contains(&state.display().to_string()),
        "{}",
        served.screen
    );
    let key = home.path().join("tidsreg-gpt/state.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&state), 0o600);
        assert_eq!(mode(&key), 0o600);
    }
    drop(served);
    let shown = crate::fixture::binary::cli(home.path())
        .arg("config")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("store") && shown.contains("state.db"),
        "{shown}"
    );
}
