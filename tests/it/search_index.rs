//! Search at scale: the catalogue index built after sign-in (at most 8 lookups in flight),
//! answers from it with no upstream call, the first search while it is being built, the
//! index kept across a restart and built again when a day old or stale, MCP progress, and
//! the quality set: sloppily typed names that must find their place in the top 3.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tidsreg_gpt::http::AppConfig;
use tidsreg_gpt::settings::Secret;
use tidsreg_gpt::store::StateStore;
use tidsreg_gpt::store::sealed::{Sealer, new_key};
use tidsreg_gpt::store::sqlite::Sqlite;

use crate::fixture::{KEY_A, TestServer, start, start_configured, start_over};

/// Generated customers of the large catalogue (plus the demo's and the quality paths).
const LARGE: usize = 300;

/// Typed forms of real-looking names: (what the person types, the customer and the
/// activity it must find in the top 3).
const QUALITY_SET: &[(&str, &str, &str)] = &[
    (
        "brodrene sorensen bogforing",
        "Brødrene Sørensen ApS",
        "Bogføring",
    ),
    (
        "broedrene soerensen bogfoering",
        "Brødrene Sørensen ApS",
        "Bogføring",
    ),
    ("sorensen bogfring", "Brødrene Sørensen ApS", "Bogføring"),
    (
        "dangelo datamodellering",
        "D'Angelo Consulting Ltd",
        "Datamodellering",
    ),
    (
        "dangelo datamodel workshops",
        "D'Angelo Consulting Ltd",
        "Workshops",
    ),
    (
        "dangelo datamodelering",
        "D'Angelo Consulting Ltd",
        "Datamodellering",
    ),
    ("abenra sogning", "Åbenrå Fjernvarme", "Søgning"),
    ("aabenraa soegning", "Åbenrå Fjernvarme", "Søgning"),
    (
        "abenraa sogelosning test",
        "Åbenrå Fjernvarme",
        "Test & kvalitet",
    ),
    (
        "hvidovre integratoin",
        "Hvidovre Kommune",
        "Integration af løn",
    ),
    (
        "hvidovre integration lon",
        "Hvidovre Kommune",
        "Integration af løn",
    ),
    ("obrien golive", "O'Brien & Partners", "Golive-support"),
    (
        "o'brien go live support",
        "O'Brien & Partners",
        "Golive-support",
    ),
    (
        "obrien kunde portal projektledelse",
        "O'Brien & Partners",
        "Projektledelse",
    ),
    (
        "nordso projekledelse",
        "Nordsø Offshore A/S",
        "Projektledelse",
    ),
    (
        "nordsoe projektsledelse",
        "Nordsø Offshore A/S",
        "Projektledelse",
    ),
    ("aero bryggeri regnskav", "Ærø Bryggeri", "Regnskab"),
    ("humle malt kundemoder", "Ærø Bryggeri", "Kundemøder"),
    (
        "skovandersen tomrerarbejde",
        "Skov-Andersen Tømrer",
        "Tømrerarbejde",
    ),
    ("skov andersen tilbud", "Skov-Andersen Tømrer", "Tilbud"),
    ("bakers code reveiw", "Baker's Dozen Ltd", "Code review"),
    ("Ærø Fødevarer udvikling", "Ærø Fødevarer A/S", "Udvikling"),
];

async fn search(server: &TestServer, q: &str) -> Value {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let (status, body) = server.get(Some(KEY_A), &format!("/api/search?q={q}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn results(body: &Value) -> &Vec<Value> {
    body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
}

/// Searches until the answer says the whole catalogue was searched.
async fn wait_until_indexed(server: &TestServer) -> Value {
    for _ in 0..100 {
        let body = search(server, "udvikling").await;
        if body["complete"] == true {
            return body;
        }
    }
    panic!("the catalogue was never indexed completely");
}

/// A server in front of the large generated catalogue, signed in.
async fn large(latency: Duration) -> TestServer {
    let server = start().await;
    server.controls.use_generated_catalogue(LARGE);
    server.controls.set_latency(latency);
    server.login(KEY_A).await;
    server
}

#[tokio::test]
async fn the_quality_set_finds_each_typed_name_in_the_top_three() {
    let server = large(Duration::ZERO).await;
    wait_until_indexed(&server).await;
    let mut missed = Vec::new();
    for (q, customer, activity) in QUALITY_SET {
        let body = search(&server, q).await;
        let found = results(&body)
            .iter()
            .take(3)
            .any(|r| r["customer"]["name"] == *customer && r["activity"]["name"] == *activity);
        if !found {
            let top: Vec<String> = results(&body)
                .iter()
                .take(3)
                .map(|r| format!("{} / {}", r["customer"]["name"], r["activity"]["name"]))
                .collect();
            missed.push(format!("{q:?} → {top:?}"));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} missed:\n{}",
        missed.len(),
        QUALITY_SET.len(),
        missed.join("\n")
    );
    // An exact name still ranks first, ahead of names that only contain it.
    let body = search(&server, "Projektledelse").await;
    assert_eq!(results(&body)[0]["activity"]["name"], "Projektledelse");
    assert_eq!(results(&body)[0]["match"], "exact");
}

#[tokio::test]
async fn an_indexed_search_answers_complete_with_no_upstream_call() {
    let server = large(Duration::ZERO).await;
    let first = wait_until_indexed(&server).await;
    assert_eq!(first["searched"]["customersTotal"], 315, "{first}");
    assert!(first["indexBuiltAt"].is_string(), "{first}");
    server.controls.reset_counters();
    for q in ["hvidovre integratoin", "møder", "zzzz nothing"] {
        let body = search(&server, q).await;
        assert_eq!(body["complete"], true, "{body}");
        assert!(body["note"].as_str().unwrap().contains("whole catalogue"));
    }
    assert_eq!(server.controls.requests(), 0, "no upstream call");
}

#[tokio::test]
async fn the_index_is_walked_once_with_at_most_eight_lookups_in_flight() {
    let server = start().await;
    let lookups = server.controls.use_generated_catalogue(100);
    server.controls.set_latency(Duration::from_millis(10));
    server.controls.reset_counters();
    server.login(KEY_A).await;
    wait_until_indexed(&server).await;
    let peak = server.controls.peak_in_flight();
    assert!((2..=8).contains(&peak), "peak in flight {peak}");
    let walked = server.controls.requests_to("/Find");
    assert_eq!(walked, u64::try_from(lookups).unwrap(), "each lookup once");
}

#[tokio::test]
async fn the_first_search_while_indexing_answers_from_what_is_there_marked_incomplete() {
    let server = large(Duration::from_millis(100)).await;
    // Hvidovre is the last customer but three; the search has its lookups fetched first.
    let body = search(&server, "hvidovre integration").await;
    assert_eq!(body["complete"], false, "{body}");
    assert!(
        body["note"]
            .as_str()
            .unwrap()
            .contains("still being indexed")
    );
    assert_eq!(body["searched"]["customersTotal"], 315, "{body}");
    assert_eq!(
        results(&body)[0]["customer"]["name"],
        "Hvidovre Kommune",
        "{body}"
    );
    assert!(server.controls.peak_in_flight() <= 8);
}

#[tokio::test]
async fn nothing_close_is_answered_with_the_closest_marked_partial() {
    let server = start().await;
    server.login(KEY_A).await;
    wait_until_indexed(&server).await;
    let body = search(&server, "aeroe zebra").await;
    assert_eq!(body["partial"], true, "{body}");
    assert!(!results(&body).is_empty());
    for result in results(&body) {
        assert_eq!(result["match"], "partial", "{result}");
        assert_eq!(result["missing"], json!(["zebra"]), "{result}");
    }
    let body = search(&server, "moder").await;
    assert_eq!(results(&body)[0]["activity"]["name"], "Møder", "{body}");
    let body = search(&server, "qqqqqq").await;
    assert!(results(&body).is_empty(), "nothing resembles it: {body}");
}

/// Gives the app the embedded store at `path`, sealed with `key`, as `serve` does.
fn durable(path: &std::path::Path, key: &Secret) -> impl FnOnce(&mut AppConfig) {
    let (path, key) = (path.to_path_buf(), key.clone());
    move |config: &mut AppConfig| {
        config.store = StateStore::new(Sqlite::open(&path, config.clock.clone()).unwrap());
        config.sealer = Sealer::from_text(&key).unwrap();
    }
}

#[tokio::test]
async fn after_a_restart_the_kept_index_answers_complete_with_no_upstream_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let key = new_key();
    let first = start_configured(durable(&path, &key)).await;
    first.controls.use_generated_catalogue(50);
    first.login(KEY_A).await;
    wait_until_indexed(&first).await;
    let second = start_over(first.into_upstream(), durable(&path, &key)).await;
    second.controls.reset_counters();
    let body = search(&second, "hvidovre integration").await;
    assert_eq!(body["complete"], true, "{body}");
    assert_eq!(results(&body)[0]["customer"]["name"], "Hvidovre Kommune");
    assert_eq!(second.controls.requests(), 0, "no upstream call");
}

/// Waits (a bounded while) until the fake saw a customers lookup.
async fn wait_for_a_walk(server: &TestServer) {
    for _ in 0..500 {
        if server.controls.requests_to("/Find/SelectCustomers") > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the index was not built again");
}

#[tokio::test]
async fn a_day_old_index_answers_and_is_built_again_in_the_background() {
    let server = start().await;
    server.login(KEY_A).await;
    let before = wait_until_indexed(&server).await;
    server.clock.advance(Duration::from_secs(25 * 60 * 60));
    server.controls.reset_counters();
    let body = search(&server, "udvikling").await;
    assert_eq!(body["complete"], true, "{body}");
    assert!(
        body["note"].as_str().unwrap().contains("refreshed"),
        "{body}"
    );
    wait_for_a_walk(&server).await;
    for _ in 0..500 {
        let after = search(&server, "udvikling").await;
        if after["indexBuiltAt"] != before["indexBuiltAt"] {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the index was not replaced");
}

#[tokio::test]
async fn a_lookup_that_differs_from_the_index_has_it_built_again() {
    let server = start().await;
    server.login(KEY_A).await;
    wait_until_indexed(&server).await;
    assert!(results(&search(&server, "hvidovre").await).is_empty());
    // Tidsreg now has more customers; a new login starts with an empty lookup cache.
    server.controls.use_generated_catalogue(5);
    server.login(KEY_A).await;
    server.controls.reset_counters();
    let (status, _) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK);
    wait_for_a_walk(&server).await;
    for _ in 0..500 {
        let body = search(&server, "hvidovre").await;
        if results(&body)
            .first()
            .is_some_and(|r| r["customer"]["name"] == "Hvidovre Kommune")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the stale index was not replaced");
}

#[tokio::test]
async fn an_mcp_search_while_indexing_sends_progress_when_asked() {
    let server = large(Duration::from_millis(50)).await;
    let call = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "search",
            "arguments": {"q": "udvikling zzzz"},
            "_meta": {"progressToken": "search-1"}
        }
    });
    let response = server
        .request(reqwest::Method::POST, "/mcp")
        .bearer_auth(KEY_A)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&call)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("notifications/progress"), "{body}");
    assert!(body.contains("search-1"), "{body}");
    assert!(body.contains(r#"\"complete\":false"#), "{body}");
}

#[tokio::test]
async fn a_refused_booking_has_the_index_built_again() {
    let server = start().await;
    server.login(KEY_A).await;
    wait_until_indexed(&server).await;
    server.controls.reset_counters();
    let booking = json!({"date": "2026-03-02", "hours": 1, "activityId": 999999, "kindId": 13});
    let (status, _) = server.post_json(Some(KEY_A), "/api/hours", booking).await;
    assert_eq!(status, StatusCode::CONFLICT, "Tidsreg refused it");
    wait_for_a_walk(&server).await;
}
