//! Replays a typical ChatGPT conversation against the real API server and the built-in fake
//! upstream, with the lookup cache on and off, and prints the upstream calls it caused and
//! the bytes it answered. Run by `bench/conversation`:
//!
//! ```sh
//! cargo run --release --example conversation   # source: bench/conversation.rs
//! ```

use std::time::Duration;

use tokio::net::TcpListener;
use url::Url;

use tidsreg_gpt::fake::{DEMO_PASSWORD, DEMO_USERNAME, FakeUpstream};
use tidsreg_gpt::http::api_keys::ApiKeys;
use tidsreg_gpt::http::{self, AppConfig, AppState};
use tidsreg_gpt::settings::Secret;
use tidsreg_gpt::settings::config_file::ApiKey;
use tidsreg_gpt::settings::serve_settings::{DEFAULT_CACHE_TTL, RateLimits};

const KEY: &str = "tgpt_conversation-benchmark-key-0123456789";

/// The calls of one conversation, as ChatGPT would make them.
const STEPS: &[(&str, &str)] = &[
    ("walk", "/api/customers"),
    ("walk", "/api/projects?customerId=20417"),
    ("walk", "/api/phases?projectId=2201"),
    ("walk", "/api/activities?phaseId=3201"),
    (
        "walk",
        "/api/kinds?projectName=Lagerstyring%20p%C3%A5%20%C3%86r%C3%B8&activityName=Udvikling",
    ),
    ("walk", "/api/customers"),
    ("walk", "/api/projects?customerId=11166"),
    ("walk", "/api/phases?projectId=2101"),
    ("walk", "/api/activities?phaseId=3102"),
    (
        "walk",
        "/api/kinds?projectName=Betalingsplatform&activityName=Portal%20development",
    ),
    ("search", "/api/search?q=portal%20development"),
    ("search", "/api/search?q=aeroe%20udvikling"),
    ("search", "/api/search?q=m%C3%B8der"),
    ("week", "/api/hours?date=2026-03-04"),
    ("report", "/api/report?from=2026-03-01&to=2026-03-31"),
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("| cache | upstream calls | bytes answered | largest answer (bytes) |");
    println!("|---|---:|---:|---:|");
    for (label, ttl) in [("on (5 min)", DEFAULT_CACHE_TTL), ("off", Duration::ZERO)] {
        let (calls, bytes, largest) = replay(ttl).await?;
        println!("| {label} | {calls} | {bytes} | {largest} |");
    }
    println!("\nPer kind of call, cache on (bytes of one answer):");
    let fake = FakeUpstream::start().await?;
    let base = serve(&fake, DEFAULT_CACHE_TTL).await?;
    let http = reqwest::Client::new();
    login(&http, &base).await?;
    for (kind, path) in [STEPS[0], STEPS[3], STEPS[10], STEPS[13], STEPS[14]] {
        let body = get(&http, &base, path).await?;
        println!("  {kind:<7} {path:<60} {} bytes", body.len());
    }
    Ok(())
}

/// One whole conversation; answers (upstream calls, bytes answered, largest answer).
async fn replay(ttl: Duration) -> anyhow::Result<(u64, usize, usize)> {
    let fake = FakeUpstream::start().await?;
    let base = serve(&fake, ttl).await?;
    let http = reqwest::Client::new();
    login(&http, &base).await?;
    fake.controls().reset_counters();
    let mut bytes = 0;
    let mut largest = 0;
    for (_, path) in STEPS {
        let body = get(&http, &base, path).await?;
        bytes += body.len();
        largest = largest.max(body.len());
    }
    Ok((fake.controls().requests(), bytes, largest))
}

async fn serve(fake: &FakeUpstream, ttl: Duration) -> anyhow::Result<String> {
    let keys = vec![ApiKey {
        id: "bench".into(),
        key: Secret::new(KEY),
    }];
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(AppConfig {
        api_keys: ApiKeys::new(keys),
        cache_ttl: ttl,
        rate_limits: RateLimits {
            per_minute: 0,
            logins_per_minute: 0,
        },
        ..AppConfig::new(Url::parse(&fake.url())?, &base)
    })?;
    tokio::spawn(http::serve(listener, state, std::future::pending()));
    Ok(base)
}

async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let body = serde_json::json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD });
    let response = http
        .post(format!("{base}/api/login"))
        .bearer_auth(KEY)
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

async fn get(http: &reqwest::Client, base: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    let response = http
        .get(format!("{base}{path}"))
        .bearer_auth(KEY)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    Ok(response.bytes().await?.to_vec())
}
