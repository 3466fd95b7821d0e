//! Signs the benchmark's API key in as the demo user (`POST /api/login`), for the examples
//! in this folder that drive a server on the built-in fake.

use tidsreg_gpt::fake::{DEMO_PASSWORD, DEMO_USERNAME};

/// Signs `key` in at `base` as the demo user.
pub async fn sign_in_demo(http: &reqwest::Client, base: &str, key: &str) -> anyhow::Result<()> {
    let body = serde_json::json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD });
    let response = http
        .post(format!("{base}/api/login"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "login failed: {}",
        response.status()
    );
    Ok(())
}
