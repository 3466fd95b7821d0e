//! The Action schema and the router agree, both ways, and the rendered schema is valid.

use std::collections::BTreeSet;

use tidsreg_gpt::http::api;
use tidsreg_gpt::schema;

/// Routes that are not Actions: the schema itself is served, not described.
const UNDOCUMENTED: &[&str] = &["/openapi.yaml"];

#[test]
fn every_documented_operation_is_routed_and_every_route_documented() {
    let rendered = schema::render("https://example.ngrok.app").unwrap();
    let documented: BTreeSet<(String, String)> = schema::documented_operations(&rendered)
        .unwrap()
        .into_iter()
        .collect();
    let routed: BTreeSet<(String, String)> = api::routes()
        .iter()
        .filter(|r| !UNDOCUMENTED.contains(&r.path))
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not in the schema: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "in the schema but not routed: {unrouted:?}"
    );
}

#[test]
fn the_rendered_schema_passes_the_gpt_action_checks_and_parses_as_openapi_3_1() {
    let rendered = schema::render("https://example.ngrok.app").unwrap();
    let problems = schema::check(&rendered);
    assert!(problems.is_empty(), "{problems:#?}");
    let spec = oas3::from_yaml(&rendered).expect("parses as OpenAPI 3.1");
    assert!(spec.openapi.starts_with("3.1"));
}

#[test]
fn every_operation_documents_its_errors_with_the_shared_error_shape() {
    let rendered = schema::render("https://example.ngrok.app").unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&schema::to_json(&rendered).unwrap()).unwrap();
    for (method, path) in schema::documented_operations(&rendered).unwrap() {
        let op = &json["paths"][&path][method.to_lowercase()];
        assert!(op["operationId"].is_string(), "{method} {path}");
        if path.starts_with("/api") {
            // getWeek is arithmetic: it never reaches Tidsreg, so it cannot fail upstream.
            let upstream = op["operationId"] != "getWeek";
            let statuses: &[&str] = if upstream {
                &["400", "401", "502", "504"]
            } else {
                &["400", "401"]
            };
            for status in statuses {
                assert!(
                    op["responses"][status].is_object(),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
}
