//! Replays a typical ChatGPT conversation against the real API server and the built-in fake
//! upstream, with the lookup cache on and off, and prints the upstream calls it caused and
//! the bytes it answered; then "book like last week" (8 bookings) both ways: one
//! `registerHours` per line, and `copyWeek` plus one `registerHoursBatch`. Run by
//! `bench/conversation`:
//!
//! ```sh
//! cargo run --release --example conversation   # source: bench/conversation.rs
//! ```

#[path = "demo_login.rs"]
mod demo_login;

use std::time::Duration;

use tokio::net::TcpListener;
use url::Url;

use tidsreg_gpt::fake::{DEMO_USERNAME, FakeUpstream};
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
    demo_login::sign_in_demo(&http, &base, KEY).await?;
    for (kind, path) in [STEPS[0], STEPS[3], STEPS[10], STEPS[13], STEPS[14]] {
        let body = get(&http, &base, path).await?;
        println!("  {kind:<7} {path:<60} {} bytes", body.len());
    }
    book_like_last_week().await
}

/// Last week (ISO week 10 of 2026): 8 bookings on 4 activities and kinds.
const LAST_WEEK: &[(&str, f64, u64, u64)] = &[
    ("2026-03-02", 6.0, 4201, 13),
    ("2026-03-03", 6.0, 4201, 13),
    ("2026-03-04", 6.0, 4201, 13),
    ("2026-03-05", 6.0, 4201, 13),
    ("2026-03-06", 6.0, 4201, 13),
    ("2026-03-02", 1.5, 4106, 13),
    ("2026-03-04", 1.5, 4203, 16),
    ("2026-03-06", 1.5, 4502, 16),
];
/// Seven days after each line of last week: the week to fill.
const THIS_WEEK_DAYS: i64 = 7;

/// What one way of booking a week cost.
struct WeekCost {
    calls: usize,
    bytes: usize,
    upstream: u64,
    posts: u64,
}

/// "Book like last week" both ways, cache on and off, each on a fresh server whose user has
/// booked last week: calls to our API, bytes answered, upstream calls, booking posts.
async fn book_like_last_week() -> anyhow::Result<()> {
    println!("\n\"Book like last week\" (8 bookings), from reading the week to fill to booked:");
    println!("| way | cache | calls | bytes answered | upstream calls | booking posts |");
    println!("|---|---|---:|---:|---:|---:|");
    for (label, ttl) in [("on", DEFAULT_CACHE_TTL), ("off", Duration::ZERO)] {
        for batch in [false, true] {
            let cost = fill_week(ttl, batch).await?;
            let way = if batch {
                "getHours, copyWeek, registerHoursBatch"
            } else {
                "getHours ×2, registerHours per line"
            };
            println!(
                "| {way} | {label} | {} | {} | {} | {} |",
                cost.calls, cost.bytes, cost.upstream, cost.posts
            );
        }
    }
    Ok(())
}

/// Books this week like last week, one line at a time or as one batch.
async fn fill_week(ttl: Duration, batch: bool) -> anyhow::Result<WeekCost> {
    let fake = FakeUpstream::start().await?;
    let base = serve(&fake, ttl).await?;
    let http = reqwest::Client::new();
    demo_login::sign_in_demo(&http, &base, KEY).await?;
    for &(date, hours, activity_id, kind_id) in LAST_WEEK {
        let line = serde_json::json!({
            "date": date, "hours": hours, "activityId": activity_id, "kindId": kind_id
        });
        post(&http, &base, "/api/hours", &line).await?;
    }
    fake.controls().reset_counters();
    let mut answers = vec![get(&http, &base, "/api/hours?date=2026-03-09").await?];
    if batch {
        let plan = get(&http, &base, "/api/week/copy?from=2026-03-02&to=2026-03-09").await?;
        let lines = serde_json::from_slice::<serde_json::Value>(&plan)?["lines"].clone();
        anyhow::ensure!(lines.as_array().map(Vec::len) == Some(LAST_WEEK.len()));
        answers.push(plan);
        let body = serde_json::json!({ "lines": lines });
        answers.push(post(&http, &base, "/api/hours/batch", &body).await?);
    } else {
        answers.push(get(&http, &base, "/api/hours?date=2026-03-02").await?);
        for &(date, hours, activity_id, kind_id) in LAST_WEEK {
            let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")?
                + chrono::Duration::days(THIS_WEEK_DAYS);
            let line = serde_json::json!({
                "date": date.format("%Y-%m-%d").to_string(),
                "hours": hours, "activityId": activity_id, "kindId": kind_id
            });
            answers.push(post(&http, &base, "/api/hours", &line).await?);
        }
    }
    let controls = fake.controls();
    anyhow::ensure!(controls.bookings(DEMO_USERNAME).len() == 2 * LAST_WEEK.len());
    Ok(WeekCost {
        calls: answers.len(),
        bytes: answers.iter().map(Vec::len).sum(),
        upstream: controls.requests(),
        posts: controls.requests_to("/api/hours"),
    })
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<Vec<u8>> {
    let response = http
        .post(format!("{base}{path}"))
        .bearer_auth(KEY)
        .json(body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    Ok(response.bytes().await?.to_vec())
}

/// One whole conversation; answers (upstream calls, bytes answered, largest answer).
async fn replay(ttl: Duration) -> anyhow::Result<(u64, usize, usize)> {
    let fake = FakeUpstream::start().await?;
    let base = serve(&fake, ttl).await?;
    let http = reqwest::Client::new();
    demo_login::sign_in_demo(&http, &base, KEY).await?;
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
