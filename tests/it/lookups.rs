//! The five lookups through the API, against the fake upstream, over real HTTP.

use reqwest::StatusCode;
use tidsreg_gpt::fake::KeyStyle;

use crate::fixture::{KEY_A, id_of, names, start, start_configured};

#[tokio::test]
async fn walks_customer_to_kind_with_danish_names_and_ampersands_intact() {
    let server = start().await;
    server.login(KEY_A).await;

    let (status, customers) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK, "{customers}");
    let customer_names = names(&customers);
    assert!(
        customer_names.contains(&"&Money ApS".to_string()),
        "{customer_names:?}"
    );
    assert!(
        customer_names.iter().any(|n| n.contains('æ')
            || n.contains('ø')
            || n.contains('å')
            || n.contains('Æ')
            || n.contains('Ø')
            || n.contains('Å')),
        "{customer_names:?}"
    );
    assert!(
        customer_names.iter().any(|n| n.contains('"')),
        "{customer_names:?}"
    );

    // Walk the whole tree below every customer: every level answers `{id, name}`.
    let mut activities_seen = 0;
    for customer in customers.as_array().unwrap() {
        let customer_id = customer["id"].as_u64().unwrap();
        let (status, projects) = server
            .get(
                Some(KEY_A),
                &format!("/api/projects?customerId={customer_id}&date=2026-03-02"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{projects}");
        for project in projects.as_array().unwrap() {
            let (_, phases) = server
                .get(
                    Some(KEY_A),
                    &format!("/api/phases?projectId={}", project["id"]),
                )
                .await;
            for phase in phases.as_array().unwrap() {
                let (status, activities) = server
                    .get(
                        Some(KEY_A),
                        &format!("/api/activities?phaseId={}", phase["id"]),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{activities}");
                activities_seen += activities.as_array().unwrap().len();
            }
        }
    }
    assert!(activities_seen > 5, "only {activities_seen} activities");
}

#[tokio::test]
async fn kinds_are_looked_up_by_names_with_special_characters() {
    let server = start().await;
    server.login(KEY_A).await;
    let (_, customers) = server.get(Some(KEY_A), "/api/customers").await;
    let money = id_of(&customers, "&Money ApS");
    let (_, projects) = server
        .get(Some(KEY_A), &format!("/api/projects?customerId={money}"))
        .await;
    let project = projects[0]["name"].as_str().unwrap().to_string();
    let project_id = projects[0]["id"].as_u64().unwrap();
    let (_, phases) = server
        .get(Some(KEY_A), &format!("/api/phases?projectId={project_id}"))
        .await;
    let (_, activities) = server
        .get(
            Some(KEY_A),
            &format!("/api/activities?phaseId={}", phases[0]["id"]),
        )
        .await;
    let activity = activities[0]["name"].as_str().unwrap().to_string();

    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("projectName", &project)
        .append_pair("activityName", &activity)
        .finish();
    let (status, kinds) = server
        .get(Some(KEY_A), &format!("/api/kinds?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{kinds}");
    assert!(names(&kinds).contains(&"Billable".to_string()), "{kinds}");
    assert_eq!(id_of(&kinds, "Billable"), 13);
}

#[tokio::test]
async fn both_upstream_key_spellings_give_the_same_answer() {
    // Calls are counted below: no index walking the catalogue in the background.
    let server = start_configured(|config| config.index.on_sign_in = false).await;
    server.login(KEY_A).await;
    let (_, pascal) = server.get(Some(KEY_A), "/api/customers").await;
    server.controls.set_key_style(KeyStyle::Lower);
    // A new login starts with an empty cache, so the next answers really come from upstream.
    server.login(KEY_A).await;
    server.controls.reset_counters();
    let (status, lower) = server.get(Some(KEY_A), "/api/customers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pascal, lower);
    assert!(!names(&lower).is_empty());
    let first_id = pascal[0]["id"].as_u64().unwrap();
    let (status, projects) = server
        .get(Some(KEY_A), &format!("/api/projects?customerId={first_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(projects[0]["id"].as_u64().is_some(), "{projects}");
    assert_eq!(server.controls.requests_to("/Find/SelectCustomers"), 1);
}
