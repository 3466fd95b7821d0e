//! `key show|add|rotate` against a running server: rotation takes effect at once.

use crate::fixture::binary::{cli, local_url, serve};

fn key_cmd(home: &std::path::Path, args: &[&str]) -> String {
    let output = cli(home).arg("key").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn status_with(base: &str, key: &str) -> (u16, String) {
    let response = reqwest::blocking::Client::new()
        .get(format!("{base}/api/customers"))
        .bearer_auth(key)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().unwrap();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn rotating_a_key_locks_the_old_one_out_of_a_running_server_at_once() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(home.path(), &["--demo", "--port", "0"], &[]);
    let base = local_url(&served.screen);
    let shown = key_cmd(home.path(), &["show"]);
    let (id, old) = shown.trim().split_once("  ").unwrap();
    assert_eq!(id, "default");
    // The test reads stdout through a pipe, not a terminal: the key is not printed, only
    // its id and how to print it.
    assert!(!served.screen.contains(old), "{}", served.screen);
    assert!(
        served.screen.contains("tidsreg-gpt key show --id default"),
        "{}",
        served.screen
    );
    // A known key that has not signed in to Tidsreg yet.
    assert_eq!(
        status_with(&base, old),
        (401, "tidsreg_login_required".into())
    );

    let rotated = key_cmd(home.path(), &["rotate"]);
    let new = rotated.trim().split_once("  ").unwrap().1.to_string();
    assert_ne!(new, old);
    assert_eq!(status_with(&base, old), (401, "unauthorized".into()));
    assert_eq!(
        status_with(&base, &new),
        (401, "tidsreg_login_required".into())
    );

    let added = key_cmd(home.path(), &["add", "anna-laptop"]);
    let anna = added.trim().split_once("  ").unwrap().1.to_string();
    assert_eq!(
        status_with(&base, &anna),
        (401, "tidsreg_login_required".into())
    );
    assert_eq!(
        key_cmd(home.path(), &["show", "--id", "anna-laptop"]).trim(),
        format!("anna-laptop  {anna}")
    );
}
