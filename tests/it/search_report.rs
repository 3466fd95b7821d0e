//! Search and reports against the fake upstream, counting its calls.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tidsreg_gpt::fake::data::{KIND_BILLABLE, KIND_NOT_BILLABLE, UDVIKLING_ACTIVITY_ID};

use tidsreg_gpt::http::AppConfig;

use crate::fixture::{KEY_A, TestServer, assert_error, start, start_configured};

fn hits(body: &Value) -> &Vec<Value> {
    body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {body}"))
}

#[tokio::test]
async fn finds_udvikling_under_a_danish_project_typed_without_danish_letters() {
    let server = start().await;
    server.login(KEY_A).await;
    let (status, body) = server
        .get(Some(KEY_A), "/api/search?q=aeroe%20udvikling")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let top = &hits(&body)[0];
    assert_eq!(top["activity"]["id"], UDVIKLING_ACTIVITY_ID, "{body}");
    assert_eq!(top["project"]["name"], "Lagerstyring på Ærø");
    assert!(top["customer"]["id"].as_u64().is_some() && top["phase"]["id"].as_u64().is_some());
    for hit in hits(&body) {
        assert!(
            hit["customer"]["name"].as_str().unwrap().starts_with("Ærø"),
            "{hit}"
        );
    }
}

#[tokio::test]
async fn finds_a_customer_with_an_ampersand_in_its_name() {
    let server = start().await;
    server.login(KEY_A).await;
    for q in ["money%20portal", "smith%20soenner", "%26money"] {
        let (status, body) = server.get(Some(KEY_A), &format!("/api/search?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(!hits(&body).is_empty(), "{q}: {body}");
        let customer = hits(&body)[0]["customer"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(customer.contains('&'), "{q}: {customer}");
    }
}

#[tokio::test]
async fn an_exact_activity_name_ranks_over_a_partial_one() {
    let server = start().await;
    server.login(KEY_A).await;
    let (_, body) = server
        .get(Some(KEY_A), "/api/search?q=Udvikling&limit=50")
        .await;
    let names: Vec<&str> = hits(&body)
        .iter()
        .map(|h| h["activity"]["name"].as_str().unwrap())
        .collect();
    let exact = names
        .iter()
        .position(|n| *n == "Udvikling")
        .expect("exact match found");
    let partial = names
        .iter()
        .position(|n| *n == "Udvikling af rapporter")
        .expect("partial found");
    assert!(exact < partial, "{names:?}");
    assert_eq!(names[0], "Udvikling", "{names:?}");
}

#[tokio::test]
async fn a_repeated_search_makes_no_upstream_call() {
    let server = start().await;
    server.login(KEY_A).await;
    let mut first = Value::Null;
    for _ in 0..100 {
        (_, first) = server.get(Some(KEY_A), "/api/search?q=portal").await;
        if first["complete"] == true {
            break;
        }
    }
    assert_eq!(first["complete"], true, "{first}");
    assert!(server.controls.requests_to("/Find") > 0);
    server.controls.reset_counters();
    let (_, second) = server.get(Some(KEY_A), "/api/search?q=portal").await;
    assert_eq!(first, second);
    assert_eq!(server.controls.requests(), 0, "answered from the index");
}

#[tokio::test]
async fn a_new_login_or_a_disabled_cache_asks_upstream_again() {
    // Without the index built at sign-in, which walks the catalogue in the background.
    let no_index = |config: &mut AppConfig| config.index.on_sign_in = false;
    let server = start_configured(no_index).await;
    server.login(KEY_A).await;
    server.get(Some(KEY_A), "/api/customers").await;
    server.login(KEY_A).await;
    server.controls.reset_counters();
    server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(server.controls.requests_to("/Find/SelectCustomers"), 1);

    let uncached = start_configured(|config| {
        no_index(config);
        config.cache_ttl = Duration::ZERO;
    })
    .await;
    uncached.login(KEY_A).await;
    uncached.get(Some(KEY_A), "/api/customers").await;
    uncached.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(uncached.controls.requests_to("/Find/SelectCustomers"), 2);
}

#[tokio::test]
async fn search_needs_words() {
    let server = start().await;
    server.login(KEY_A).await;
    for path in [
        "/api/search",
        "/api/search?q=%20",
        "/api/search?q=%26%26",
        "/api/search?q=x&limit=0",
    ] {
        let (status, body) = server.get(Some(KEY_A), path).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    }
}

async fn book(server: &TestServer, date: &str, hours: f64, activity: u64, kind: u64) {
    let body = json!({"date": date, "hours": hours, "activityId": activity, "kindId": kind});
    let (status, answer) = server.post_json(Some(KEY_A), "/api/hours", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn a_three_week_report_adds_up_to_the_bookings() {
    let server = start().await;
    server.login(KEY_A).await;
    // Three weeks of March 2026, plus one booking outside the period that must not count.
    book(
        &server,
        "2026-03-02",
        7.5,
        UDVIKLING_ACTIVITY_ID,
        KIND_BILLABLE,
    )
    .await;
    book(
        &server,
        "2026-03-03",
        4.0,
        UDVIKLING_ACTIVITY_ID,
        KIND_BILLABLE,
    )
    .await;
    book(&server, "2026-03-03", 3.5, 4501, KIND_NOT_BILLABLE).await;
    book(&server, "2026-03-11", 6.25, 4103, KIND_BILLABLE).await;
    book(
        &server,
        "2026-03-20",
        2.0,
        UDVIKLING_ACTIVITY_ID,
        KIND_NOT_BILLABLE,
    )
    .await;
    book(
        &server,
        "2026-03-25",
        8.0,
        UDVIKLING_ACTIVITY_ID,
        KIND_BILLABLE,
    )
    .await;

    let (status, report) = server
        .get(Some(KEY_A), "/api/report?from=2026-03-02&to=2026-03-22")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["total"], 23.25, "{report}");
    assert_eq!(report["billable"], 17.75);
    assert_eq!(report["notBillable"], 5.5);
    let by_day: f64 = report["byDay"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["hours"].as_f64().unwrap())
        .sum();
    assert_eq!(by_day, 23.25);
    let by_customer: f64 = report["byCustomer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["hours"].as_f64().unwrap())
        .sum();
    assert_eq!(by_customer, 23.25);
    assert_eq!(report["byCustomer"][0]["name"], "Ærø Fødevarer A/S");
    assert_eq!(report["byCustomer"][0]["hours"], 13.5);
    assert!(
        report["emptyDays"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-03-04"))
    );
    assert!(
        report["shortDays"].to_string().contains("2026-03-11"),
        "{report}"
    );
    assert!(!report.to_string().contains("null"), "compact: {report}");
}

#[tokio::test]
async fn a_report_reads_each_week_once() {
    let server = start().await;
    server.login(KEY_A).await;
    server.controls.reset_counters();
    let (status, _) = server
        .get(Some(KEY_A), "/api/report?from=2026-03-02&to=2026-03-22")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.controls.requests_to("/Hours"), 3);
    server
        .get(Some(KEY_A), "/api/report?from=2026-03-09&to=2026-03-15")
        .await;
    assert_eq!(server.controls.requests_to("/Hours"), 3, "cached");
}

#[tokio::test]
async fn a_report_period_is_taken_as_given_swapped_or_cut_never_refused() {
    let server = start().await;
    server.login(KEY_A).await;
    let (status, body) = server.get(Some(KEY_A), "/api/report?from=2026-13-01").await;
    let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(body["field"], "from", "{message}");

    let (status, body) = server
        .get(Some(KEY_A), "/api/report?from=2026-01-01&to=2026-04-02")
        .await;
    assert_eq!(status, StatusCode::OK, "92 days is one report: {body}");
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-01-01"), Some("2026-04-02"))
    );
    assert!(body.get("warnings").is_none(), "{body}");

    let (status, body) = server
        .get(Some(KEY_A), "/api/report?from=2025-01-01&to=2025-12-31")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2025-10-01"), Some("2025-12-31"))
    );
    let warning = body["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("ask again for 2025-01-01 to 2025-09-30"),
        "{warning}"
    );

    let (status, body) = server
        .get(Some(KEY_A), "/api/report?from=2026-03-10&to=2026-03-01")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-03-01"), Some("2026-03-10"))
    );
    assert!(
        body["warnings"][0].as_str().unwrap().contains("was after"),
        "{body}"
    );
}
