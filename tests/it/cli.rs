//! The binary itself: `--help`, `schema`, and `serve --demo` printing its screen.

use predicates::prelude::*;

use crate::fixture::binary::{local_url, serve};

fn bin() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_tidsreg-gpt"))
}

#[test]
fn help_explains_the_commands() {
    bin()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("serve"))
        .stdout(predicate::str::contains("schema"))
        .stdout(predicate::str::contains("plugin"))
        .stdout(predicate::str::contains("--demo"));
    bin()
        .args(["serve", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("TIDSREG_URL"))
        .stdout(predicate::str::contains("PORT"));
}

#[test]
fn schema_prints_yaml_with_the_given_url() {
    bin()
        .args(["schema", "--url", "https://example.ngrok.app"])
        .assert()
        .success()
        .stdout(predicate::str::contains("https://example.ngrok.app"))
        .stdout(predicate::str::contains("{{").not())
        .stdout(predicate::str::contains("operationId: listCustomers"));
}

#[test]
fn schema_json_parses_and_out_writes_a_file() {
    let output = bin()
        .args([
            "schema",
            "--url",
            "https://example.ngrok.app",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["servers"][0]["url"], "https://example.ngrok.app");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.yaml");
    bin()
        .args(["schema", "--url", "https://x.example", "--out"])
        .arg(&path)
        .assert()
        .success()
        .stdout("");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("https://x.example")
    );
}

#[test]
fn schema_with_a_bad_url_says_how_to_fix_it() {
    bin()
        .args(["schema", "--url", "ftp://nope"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("tidsreg-gpt: error:"))
        .stderr(predicate::str::contains("https://"));
}

#[test]
fn serve_demo_prints_the_screen_and_answers() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(home.path(), &["--demo", "--port", "0"], &[]);
    let screen = &served.screen;
    for expected in [
        "Local URL",
        "Schema URL",
        "API key",
        "Authentication",
        "Bearer",
        "demo / demo",
    ] {
        assert!(screen.contains(expected), "missing {expected}: {screen}");
    }
    let config = home.path().join("tidsreg-gpt/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("key = "))
        .unwrap()
        .trim_matches('"');
    // Read through a pipe, not a terminal: the key is named, not shown.
    assert!(
        !screen.contains(key),
        "the screen hides the stored key: {screen}"
    );
    assert!(screen.contains("tidsreg-gpt key show"), "{screen}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(home.path().join("tidsreg-gpt/openapi.yaml").exists());

    let base = local_url(screen);
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let client = reqwest::blocking::Client::new();
    let health: serde_json::Value = client
        .get(format!("{base}/health"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["status"], "ok");
    let login = client
        .post(format!("{base}/api/login"))
        .bearer_auth(key)
        .json(&serde_json::json!({"username": "demo", "password": "demo"}))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let customers = client
        .get(format!("{base}/api/customers"))
        .bearer_auth(key)
        .send()
        .unwrap();
    assert_eq!(customers.status(), 200);
}

#[test]
fn serve_honours_public_url_and_env_api_key() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(
        home.path(),
        &[
            "--demo",
            "--port",
            "0",
            "--public-url",
            "https://tidsreg.example.org",
        ],
        &[(
            "TIDSREG_GPT_API_KEY",
            "tgpt_from-the-environment-0123456789",
        )],
    );
    assert!(
        served
            .screen
            .contains("https://tidsreg.example.org/openapi.yaml"),
        "{}",
        served.screen
    );
    // Not a terminal: the screen names where the key is, not the key.
    assert!(
        !served
            .screen
            .contains("tgpt_from-the-environment-0123456789"),
        "{}",
        served.screen
    );
    assert!(
        served.screen.contains("the value of TIDSREG_GPT_API_KEY"),
        "{}",
        served.screen
    );
    let base = local_url(&served.screen);
    let schema = reqwest::blocking::get(format!("{base}/openapi.yaml"))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        schema.contains("url: \"https://tidsreg.example.org\"")
            || schema.contains("https://tidsreg.example.org"),
        "{schema}"
    );
    let status = reqwest::blocking::Client::new()
        .get(format!("{base}/api/customers"))
        .bearer_auth("tgpt_from-the-environment-0123456789")
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 401, "known key, but not signed in to Tidsreg yet");
}

#[test]
fn serve_leads_with_mcp_and_says_plainly_when_there_is_no_clipboard() {
    let home = tempfile::tempdir().unwrap();
    // No display (the fixture removes DISPLAY and WAYLAND_DISPLAY) and no tunnel.
    let served = serve(home.path(), &["--demo", "--port", "0"], &[]);
    let screen = &served.screen;
    let at = |needle: &str| {
        screen
            .find(needle)
            .unwrap_or_else(|| panic!("missing {needle}: {screen}"))
    };
    assert!(at("MCP URL") < at("Local URL"), "{screen}");
    assert!(at("Local URL") < at("GPT Action (for"), "{screen}");
    assert!(at("GPT Action (for") < at("Schema URL"), "{screen}");
    let schema_line = screen
        .lines()
        .find(|line| line.trim_start().starts_with("Schema file"))
        .unwrap();
    assert!(
        schema_line.ends_with("could not copy it to the clipboard (no display)"),
        "{schema_line}"
    );
    for raw in ["X11", "xcb", "Wayland", "error"] {
        assert!(!screen.contains(raw), "{raw} on the screen: {screen}");
    }
    // No public URL: no plugin bundle to offer, and the GPT editor is not opened.
    assert!(!screen.contains("tidsreg-gpt plugin"), "{screen}");
    assert!(!screen.contains("opened https://chatgpt.com"), "{screen}");
}
