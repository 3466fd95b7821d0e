//! The Action schema and the router agree, both ways, and the rendered schema is valid.

use std::collections::BTreeSet;

use tidsreg_gpt::http::api;
use tidsreg_gpt::schema;

/// Routes that are not Actions: the schema itself and the icon are served, not described.
const UNDOCUMENTED: &[&str] = &["/openapi.yaml", "/icon.svg"];

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

/// The pattern the template gives `components.schemas.<name>`, or a parameter's, found by
/// its first line after `key`.
fn pattern_after(template: &str, key: &str) -> regex::Regex {
    let start = template.find(key).unwrap_or_else(|| panic!("no {key}"));
    let line = template[start..]
        .lines()
        .find(|line| line.trim_start().starts_with("pattern:"))
        .unwrap();
    let quoted = line.trim_start().trim_start_matches("pattern:").trim();
    let pattern = &quoted[1..quoted.len() - 1];
    let pattern = match quoted.starts_with('"') {
        true => pattern.replace("\\\\", "\\"),
        false => pattern.to_string(),
    };
    regex::Regex::new(&pattern).unwrap()
}

/// Schemathesis sends whatever the schema allows and expects it taken, and whatever it
/// forbids and expects it refused: the date pattern and the server must agree on every
/// string, checked here on every day-shaped string of the years around the range.
#[test]
fn the_date_pattern_allows_exactly_the_dates_the_server_takes() {
    let template = include_str!("../../openapi.template.yaml");
    let day = pattern_after(template, "    Day:\n");
    let mut checked = 0;
    for year in 1898..=2202 {
        for month in 0..=13 {
            for day_of_month in 0..=32 {
                let text = format!("{year:04}-{month:02}-{day_of_month:02}");
                let server = tidsreg_gpt::ops::params::date("date", &text).is_ok();
                assert_eq!(day.is_match(&text), server, "{text}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000);
    for odd in [
        "2024-1-8",
        "+2024-01-08",
        " 2024-01-08",
        "2024-01-08 ",
        "20240108",
    ] {
        assert!(!day.is_match(odd), "{odd}");
    }
}

#[test]
fn the_name_pattern_allows_exactly_the_names_the_server_takes() {
    let template = include_str!("../../openapi.template.yaml");
    let name = pattern_after(template, "- name: activityName");
    for text in [
        "Udvikling",
        " Udvikling ",
        "Købmand & Søn",
        "a",
        "",
        " ",
        "\u{a0}",
        "\u{85}",
        "a\tb",
        "a\nb",
        "tab\t",
        "\u{0}",
        "\u{9f}x",
        "\u{2028}",
        "\u{200b}",
    ] {
        let server = tidsreg_gpt::ops::params::required("activityName", Some(text)).is_ok();
        assert_eq!(name.is_match(text), server, "{text:?}");
    }
}
