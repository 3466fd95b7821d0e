//! What a server on the public internet must survive: password guessing, floods, oversized
//! input, a slow or failing upstream, and logs that must never hold a secret.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use tidsreg_gpt::settings::serve_settings::RateLimits;

use crate::fixture::binary::{HERMETIC, local_url, read_until_ready};
use crate::fixture::{
    KEY_A, KEY_B, assert_error, into_json, start, start_with_limits, start_with_timeout,
};

#[tokio::test]
async fn guessing_passwords_hits_429_with_retry_after() {
    let server = start().await;
    server.start_of_a_minute();
    let mut limited = None;
    for attempt in 0..20 {
        let response = server
            .request(Method::POST, "/api/login")
            .bearer_auth(KEY_A)
            .json(&json!({"username": "demo", "password": format!("guess-{attempt}")}))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((attempt, response));
            break;
        }
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let (attempt, response) = limited.expect("login attempts are limited");
    assert_eq!(
        attempt,
        tidsreg_gpt::settings::serve_settings::DEFAULT_LOGINS_PER_MINUTE as usize
    );
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (status, body) = into_json(response).await;
    let message = assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(message.contains("wait"), "{message}");
    // Other calls of the same key are on a separate, larger budget.
    let (status, _) = server.get(Some(KEY_A), "/api/week").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_flood_from_one_key_is_limited() {
    let server = start_with_limits(RateLimits {
        per_minute: 5,
        logins_per_minute: 5,
    })
    .await;
    for _ in 0..5 {
        let (status, _) = server.get(Some(KEY_A), "/api/week").await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = server.get(Some(KEY_A), "/api/week").await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Unknown keys are limited by address before any key comparison.
    let (status, _) = server.get(Some("tgpt_guess"), "/api/week").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_oversized_body_is_413_json() {
    let server = start().await;
    let huge = "x".repeat(tidsreg_gpt::http::frame::MAX_BODY_BYTES + 1);
    let response = server
        .request(Method::POST, "/api/hours")
        .bearer_auth(KEY_A)
        .header("content-type", "application/json")
        .body(format!("{{\"note\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    let (status, body) = into_json(response).await;
    let message = assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    assert!(message.contains("KiB"), "{message}");
}

#[tokio::test]
async fn an_overlong_query_is_refused_as_json() {
    let server = start().await;
    let q = "a".repeat(tidsreg_gpt::http::frame::MAX_URI_BYTES);
    let (status, body) = server.get(Some(KEY_A), &format!("/api/search?q={q}")).await;
    let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(message.contains("at most"), "{message}");
}

#[tokio::test]
async fn a_slow_upstream_is_504_within_the_bound_and_others_are_not_held_up() {
    let server = start_with_timeout(Duration::from_millis(500)).await;
    server.login(KEY_A).await;
    server.controls.set_latency(Duration::from_secs(3));
    let slow = async {
        let started = Instant::now();
        let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
        assert_error(
            status,
            &body,
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
        );
        started.elapsed()
    };
    let others = async {
        // Once the slow request is waiting on the upstream, the others go.
        while server.controls.requests_to("/Find/SelectCustomers") == 0 {
            tokio::task::yield_now().await;
        }
        let started = Instant::now();
        let (status, _) = server.get(Some(KEY_B), "/api/week").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = server.get(None, "/health").await;
        assert_eq!(status, StatusCode::OK);
        started.elapsed()
    };
    let (slow, others) = tokio::join!(slow, others);
    assert!(slow < Duration::from_secs(2), "504 came after {slow:?}");
    assert!(
        others < Duration::from_millis(400),
        "other callers waited {others:?}"
    );
}

#[tokio::test]
async fn after_upstream_faults_the_server_keeps_serving() {
    let server = start().await;
    server.login(KEY_A).await;
    server.login(KEY_B).await;
    server.controls.set_fail_status(Some(500));
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    assert_error(status, &body, StatusCode::BAD_GATEWAY, "upstream_error");
    let (status, _) = server.get(Some(KEY_B), "/api/week").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a call that needs no upstream still works"
    );
    server.controls.set_fail_status(None);
    server.controls.set_html_instead_of_json(true);
    let (status, _) = server.get(Some(KEY_B), "/api/customers").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.controls.set_html_instead_of_json(false);
    let (status, _) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK, "the first caller recovers");
}

/// The whole binary with debug logs in JSON: its log lines carry requests but never the API
/// key, the password or the upstream cookie.
#[test]
fn logs_hold_one_line_per_request_and_no_secret() {
    let home = tempfile::tempdir().unwrap();
    let key = "tgpt_secret-key-that-must-never-be-logged-0123";
    let password = "demo";
    let mut command = Command::new(env!("CARGO_BIN_EXE_tidsreg-gpt"));
    for name in HERMETIC {
        command.env_remove(name);
    }
    let child = command
        .args([
            "--log-format",
            "json",
            "--log-level",
            "debug",
            "serve",
            "--demo",
            "--port",
            "0",
        ])
        .env("XDG_CONFIG_HOME", home.path())
        // The state store goes under HOME too: never the developer's own.
        .env("HOME", home.path())
        .env("TIDSREG_GPT_API_KEY", key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Stopped as a platform stops it (SIGTERM, so queued log lines are written), and killed
    // after a while or when an assertion fails first, so no server outlives the test.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            // Already reaped (a server that never got ready is killed): its pid is free.
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            let pid = self.0.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            for _ in 0..50 {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = KillOnDrop(child);
    // Drain the logs as they come, or a full pipe would block the server.
    let mut stderr = child.0.stderr.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut logs = String::new();
        stderr.read_to_string(&mut logs).unwrap();
        logs
    });
    let screen = read_until_ready(&mut child.0);
    let base = local_url(&screen);
    let http = reqwest::blocking::Client::new();
    let login = http
        .post(format!("{base}/api/login"))
        .bearer_auth(key)
        .json(&json!({"username": "demo", "password": password}))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let week = http
        .get(format!("{base}/api/hours?date=2026-03-02"))
        .bearer_auth(key)
        .send()
        .unwrap();
    assert_eq!(week.status(), 200);
    let _ = http
        .get(format!("{base}/api/customers"))
        .bearer_auth("tgpt_wrong-key-also-secret")
        .send()
        .unwrap();
    drop(child);
    let logs = drain.join().unwrap();

    for secret in [
        key,
        "tgpt_wrong-key-also-secret",
        "\"password\":\"demo\"",
        "AuthTicket=",
    ] {
        assert!(!logs.contains(secret), "the logs contain {secret}");
    }
    let requests: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["target"] == "request")
        .collect();
    let hours = requests
        .iter()
        .find(|r| r["fields"]["path"] == "/api/hours")
        .unwrap_or_else(|| panic!("no request line for /api/hours in {logs}"));
    assert_eq!(hours["fields"]["status"], 200);
    assert_eq!(hours["fields"]["caller"], "key:env");
    assert_eq!(hours["fields"]["method"], "GET");
    assert!(hours["fields"]["ms"].as_f64().is_some());
    assert!(
        !hours.to_string().contains("2026-03-02"),
        "no query in the log: {hours}"
    );
    let wrong = requests
        .iter()
        .find(|r| r["fields"]["status"] == 401)
        .expect("the 401 is logged");
    assert_eq!(wrong["fields"]["caller"], "-");
}

#[tokio::test]
async fn guessing_passwords_on_the_sign_in_page_is_limited_too() {
    let server = start().await;
    server.start_of_a_minute();
    let mut statuses = Vec::new();
    for attempt in 0..=tidsreg_gpt::settings::serve_settings::DEFAULT_LOGINS_PER_MINUTE {
        let response = server
            .request(Method::POST, "/oauth/authorize")
            .form(&[
                ("request", "unknown"),
                ("username", "demo"),
                ("password", &format!("guess-{attempt}")),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|s| *s != StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

/// A username that keeps failing is slowed whatever the key or address: password guessing
/// spread over many callers still meets a budget, and the budget says when to retry.
#[tokio::test]
async fn a_username_that_keeps_failing_is_slowed_for_every_caller() {
    let server = crate::fixture::start_configured(|config| {
        // The per-address and per-key login budgets are not what this test is about.
        config.rate_limits.logins_per_minute = 0;
    })
    .await;
    for attempt in 0..10 {
        let key = if attempt % 2 == 0 { KEY_A } else { KEY_B };
        let (status, _) = server
            .login_as(key, "demo", &format!("wrong-{attempt}"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let tries_before = server.controls.requests_to("/Login");
    let response = server
        .request(Method::POST, "/api/login")
        .bearer_auth(KEY_B)
        .json(&json!({"username": "demo", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let (status, body) = into_json(response).await;
    let message = assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(message.contains("wait"), "{message}");
    assert_eq!(
        server.controls.requests_to("/Login"),
        tries_before,
        "Tidsreg was not asked"
    );
    // Another username is not held up, and the username's own budget comes back.
    let (status, body) = server.login_as(KEY_B, "anna", "anna-pw").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.clock.advance(Duration::from_secs(retry_after));
    server.login(KEY_A).await;
}

/// A forged `X-Forwarded-For` buys no new budget: with no trusted proxy the TCP peer is the
/// client, and behind a trusted one (our tunnel, on loopback) only the hop it appended counts.
#[tokio::test]
async fn forged_forwarded_for_headers_buy_no_new_budget() {
    use tidsreg_gpt::http::rate_limits::TrustedProxies;
    for trusted in [TrustedProxies::default(), TrustedProxies::loopback()] {
        let server = crate::fixture::start_configured(|config| {
            config.trusted_proxies = trusted.clone();
        })
        .await;
        server.start_of_a_minute();
        let mut refused_at = None;
        for attempt in 0..40 {
            let response = server
                .request(Method::POST, "/oauth/authorize")
                // What the tunnel's edge passes on: the client's forged value, then the
                // address it really came from.
                .header(
                    "x-forwarded-for",
                    format!("198.51.100.{attempt}, 203.0.113.9"),
                )
                .form(&[
                    ("request", "unknown"),
                    ("username", "demo"),
                    ("password", &format!("guess-{attempt}")),
                ])
                .send()
                .await
                .unwrap();
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                assert!(response.headers().contains_key("retry-after"));
                refused_at = Some(attempt);
                break;
            }
        }
        let budget = tidsreg_gpt::settings::serve_settings::DEFAULT_LOGINS_PER_MINUTE as usize;
        assert_eq!(refused_at, Some(budget), "{trusted:?}");
    }
}
