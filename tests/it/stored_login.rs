//! Stored credentials: `tidsreg-gpt login` verifies and stores them; `serve` signs its own
//! key in with them and re-signs in when the upstream session expires, so the GPT never
//! handles a password.

use assert_cmd::Command;
use reqwest::StatusCode;
use tidsreg_gpt::fake::{DEMO_PASSWORD, DEMO_USERNAME, FakeUpstream};
use tidsreg_gpt::settings::Secret;
use tidsreg_gpt::settings::credentials::Credentials;

use crate::fixture::binary::{self, local_url, serve};
use crate::fixture::{KEY_A, KEY_B, assert_error, start_configured};

fn credentials(key_id: &str, password: &str) -> Credentials {
    Credentials {
        key_id: key_id.into(),
        username: DEMO_USERNAME.into(),
        password: Secret::new(password),
    }
}

#[tokio::test]
async fn a_stored_login_signs_its_own_key_in_and_heals_an_expired_session() {
    let server = start_configured(|c| c.credentials = Some(credentials("a", DEMO_PASSWORD))).await;
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK, "no login call needed: {body}");
    server.controls.expire_sessions();
    let (status, body) = server
        .get(Some(KEY_A), "/api/customers?date=2026-03-02")
        .await;
    assert_eq!(status, StatusCode::OK, "re-signed in transparently: {body}");
    assert_eq!(server.controls.requests_to("/Login"), 2);
    // The stored login belongs to key a only: key b is another person.
    let (status, body) = server.get(Some(KEY_B), "/api/customers").await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_login_required",
    );
}

#[tokio::test]
async fn a_stored_password_that_stopped_working_says_who_must_act() {
    let server = start_configured(|c| c.credentials = Some(credentials("a", "changed"))).await;
    let (status, body) = server.get(Some(KEY_A), "/api/customers").await;
    let message = assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_login_rejected",
    );
    assert!(message.contains("tidsreg-gpt login"), "{message}");
}

fn cli(home: &std::path::Path) -> Command {
    let mut command = binary::cli(home);
    // No OS keyring reachable, whatever the developer's desktop has.
    command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_verifies_stores_only_with_consent_and_serve_uses_it() {
    let fake = FakeUpstream::start().await.unwrap();
    let url = fake.url();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("tidsreg-gpt/config.toml");

    let (h, u) = (home.path().to_path_buf(), url.clone());
    tokio::task::spawn_blocking(move || {
        // A wrong password stores nothing.
        let out = cli(&h)
            .args(["login", "--tidsreg-url", &u])
            .write_stdin("demo\nwrong\n")
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("rejected"));
        // No keyring, and the user declines the file: nothing stored either.
        let out = cli(&h)
            .args(["login", "--tidsreg-url", &u])
            .write_stdin("demo\ndemo\nn\n")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("No OS keyring"), "{stdout}");
        // The user agrees: stored in the owner-only config file.
        let out = cli(&h)
            .args(["login", "--tidsreg-url", &u])
            .write_stdin("demo\ndemo\ny\n")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = cli(&h)
            .args(["config", "--tidsreg-url", &u])
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            shown.contains("demo for key default (password redacted)"),
            "{shown}"
        );
    })
    .await
    .unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("store = \"file\""), "{text}");

    let (h, u) = (home.path().to_path_buf(), url.clone());
    tokio::task::spawn_blocking(move || {
        let served = serve(&h, &["--tidsreg-url", &u, "--port", "0"], &[]);
        let key = std::fs::read_to_string(h.join("tidsreg-gpt/config.toml")).unwrap();
        let key = key
            .lines()
            .find_map(|l| l.strip_prefix("key = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        let status = reqwest::blocking::Client::new()
            .get(format!("{}/api/customers", local_url(&served.screen)))
            .bearer_auth(key)
            .send()
            .unwrap()
            .status();
        assert_eq!(status, 200, "serve signed its key in with the stored login");
        let out = cli(&h).arg("logout").output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("Forgot"));
    })
    .await
    .unwrap();
    assert!(
        !std::fs::read_to_string(&config)
            .unwrap()
            .contains("[login]")
    );
}
