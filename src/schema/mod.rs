//! The GPT Action schema: render `openapi.template.yaml` for a public base URL, convert it
//! to JSON, and check it against the rules the GPT editor enforces, so a broken schema is
//! caught here rather than by a red banner in ChatGPT.

use std::collections::HashMap;
use std::fmt;

use url::Url;
use yaml_serde::{Mapping, Value};

mod check;

pub use check::check;

/// The template, embedded in the binary.
pub const TEMPLATE: &str = include_str!("../../openapi.template.yaml");

/// The placeholder [`render`] replaces with the public base URL.
pub const SERVER_URL_PLACEHOLDER: &str = "{{server_url}}";

/// Most characters in an operation's `summary`, and in its `description`. Source: OpenAI,
/// "Production notes on GPT Actions", section "Open API specification limits"
/// (<https://developers.openai.com/api/docs/actions/production>).
pub const MAX_OPERATION_TEXT_CHARS: usize = 300;

/// Most characters in a parameter's `description`. Same source as
/// [`MAX_OPERATION_TEXT_CHARS`].
pub const MAX_PARAMETER_DESCRIPTION_CHARS: usize = 700;

/// Most characters in an `operationId`. ChatGPT turns each operation into a function whose
/// name is the operationId; OpenAI function names are limited to 64 characters of
/// `a-z A-Z 0-9 _ -`. Not stated on the GPT Actions pages, hence only a warning.
pub const MAX_OPERATION_ID_CHARS: usize = 64;

/// The only port ChatGPT calls an action on (same source as [`MAX_OPERATION_TEXT_CHARS`],
/// section "Use TLS and HTTPS").
pub const HTTPS_PORT: u16 = 443;

/// The example given to whoever passes a bad URL.
const EXAMPLE_URL: &str = "https://example.ngrok.app";

/// The keys of an OpenAPI path item that hold operations.
const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why the schema could not be rendered or read.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The public base URL given to [`render`] is unusable; `problem` says why.
    #[error("`{url}` {problem}; pass the public base URL, like {EXAMPLE_URL}")]
    BadServerUrl { url: String, problem: &'static str },
    /// The document is not YAML.
    #[error("the OpenAPI document is not valid YAML ({0}); fix openapi.template.yaml")]
    Yaml(#[from] yaml_serde::Error),
    /// The document could not be written as JSON.
    #[error("the OpenAPI document cannot be written as JSON ({0}); fix openapi.template.yaml")]
    Json(#[from] serde_json::Error),
    /// The document has no `paths` mapping.
    #[error("the OpenAPI document has no `paths` mapping; fix openapi.template.yaml")]
    NoPaths,
}

/// How bad a [`Problem`] is: an `Error` makes the GPT editor reject the schema (or the
/// Action fail), a `Warning` works but deserves a look.
#[derive(Debug, Clone, PartialEq)]
pub enum Severity {
    Error,
    Warning,
}

/// One thing [`check`] found wrong with a schema.
#[derive(Debug, Clone)]
pub struct Problem {
    pub severity: Severity,
    /// Where, e.g. `GET /api/customers: description`.
    pub location: String,
    /// What, as the rest of a sentence after the location, e.g. `is 301 characters; ...`.
    pub message: String,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} {}", self.severity, self.location, self.message)
    }
}

/// Renders the template for `server_url`, the public base URL ChatGPT will call.
pub fn render(server_url: &str) -> Result<String, SchemaError> {
    render_template(TEMPLATE, server_url)
}

/// Renders another template (a user's edited copy, checked with `schema --check --template`).
pub fn render_template(template: &str, server_url: &str) -> Result<String, SchemaError> {
    let base = base_url(server_url)?;
    Ok(template.replace(SERVER_URL_PLACEHOLDER, &base))
}

/// Checks `raw` is an http(s) base URL and returns it normalised, without a trailing `/`.
fn base_url(raw: &str) -> Result<String, SchemaError> {
    let raw = raw.trim();
    let url = crate::settings::base_url::parse_base_url(raw).map_err(|problem| {
        SchemaError::BadServerUrl {
            url: raw.to_owned(),
            problem,
        }
    })?;
    let mut base = String::from(url);
    if base.ends_with('/') {
        base.pop();
    }
    Ok(base)
}

/// The same document as pretty-printed JSON, keys in the order the YAML gives them.
pub fn to_json(rendered_yaml: &str) -> Result<String, SchemaError> {
    // Serialising the YAML value directly (rather than through `serde_json::Value`, whose
    // map sorts keys unless `preserve_order` is on) keeps the document's order.
    let doc: Value = yaml_serde::from_str(rendered_yaml)?;
    Ok(serde_json::to_string_pretty(&doc)?)
}

/// Every operation the document declares, as (upper-case method, path), in document order.
pub fn documented_operations(rendered_yaml: &str) -> Result<Vec<(String, String)>, SchemaError> {
    let doc: Value = yaml_serde::from_str(rendered_yaml)?;
    doc.get("paths")
        .and_then(Value::as_mapping)
        .ok_or(SchemaError::NoPaths)?;
    Ok(operations(&doc)
        .into_iter()
        .map(|op| (op.method, op.path.to_owned()))
        .collect())
}

/// One operation of the document.
struct Operation<'a> {
    /// Upper-case, e.g. `GET`.
    method: String,
    path: &'a str,
    body: &'a Value,
    /// Parameters declared on the path item, shared by all its operations.
    path_parameters: &'a [Value],
}

impl Operation<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = doc.get("paths").and_then(Value::as_mapping) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        let Some(path) = path.as_str() else { continue };
        let path_parameters = item
            .get("parameters")
            .and_then(Value::as_sequence)
            .map_or(&[][..], Vec::as_slice);
        for method in HTTP_METHODS {
            if let Some(body) = item.get(method) {
                let method = method.to_ascii_uppercase();
                found.push(Operation {
                    method,
                    path,
                    body,
                    path_parameters,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTPS_URL: &str = "https://example.ngrok.app";
    const LOCAL_URL: &str = "http://127.0.0.1:8000";

    fn errors(problems: &[Problem]) -> Vec<String> {
        problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(Problem::to_string)
            .collect()
    }

    /// The rendered template with `from` replaced by `to` (which must be there).
    fn edited(from: &str, to: &str) -> String {
        let yaml = render(HTTPS_URL).unwrap();
        assert!(yaml.contains(from), "the template no longer holds {from:?}");
        yaml.replacen(from, to, 1)
    }

    fn has_error(problems: &[Problem], location: &str, message_part: &str) -> bool {
        problems.iter().any(|p| {
            p.severity == Severity::Error
                && p.location == location
                && p.message.contains(message_part)
        })
    }

    #[test]
    fn renders_with_https_and_strips_one_trailing_slash() {
        let yaml = render("https://example.ngrok.app/").unwrap();
        assert!(yaml.contains("url: \"https://example.ngrok.app\""));
        assert!(!yaml.contains(SERVER_URL_PLACEHOLDER));
        let with_path = render("https://example.org/tidsreg/").unwrap();
        assert!(with_path.contains("url: \"https://example.org/tidsreg\""));
    }

    #[test]
    fn renders_with_local_http() {
        let yaml = render(LOCAL_URL).unwrap();
        assert!(yaml.contains("url: \"http://127.0.0.1:8000\""));
    }

    #[test]
    fn rendered_template_is_openapi_3_1() {
        for url in [HTTPS_URL, LOCAL_URL] {
            let spec = oas3::from_yaml(render(url).unwrap()).expect("oas3 parses the schema");
            assert_eq!(spec.validate_version().unwrap().minor, 1);
            assert_eq!(spec.primary_server().unwrap().url, url);
            assert!(spec.operations().count() > 0);
        }
    }

    #[test]
    fn every_error_response_uses_the_error_schema() {
        let spec = oas3::from_yaml(render(HTTPS_URL).unwrap()).unwrap();
        for (path, method, op) in spec.operations() {
            let responses = op.responses(&spec);
            let failures: Vec<_> = responses
                .iter()
                .filter(|(status, _)| status.starts_with(['4', '5']))
                .collect();
            assert!(
                !failures.is_empty(),
                "{method} {path} documents no error response"
            );
            for (status, response) in failures {
                let schema = response.content["application/json"].schema.as_ref();
                let Some(oas3::spec::Schema::Object(schema)) = schema else {
                    panic!("{method} {path} {status} has no JSON schema");
                };
                let oas3::spec::ObjectOrReference::Ref { ref_path, .. } = schema.as_ref() else {
                    panic!("{method} {path} {status} does not reference the Error schema");
                };
                assert_eq!(
                    ref_path, "#/components/schemas/Error",
                    "{method} {path} {status}"
                );
            }
        }
    }

    #[test]
    fn only_health_check_goes_without_the_api_key() {
        let spec = oas3::from_yaml(render(HTTPS_URL).unwrap()).unwrap();
        assert!(
            spec.security
                .iter()
                .any(|req| req.0.contains_key("bearerAuth"))
        );
        // oas3 reads `security: []` and no `security` alike, so look at the YAML itself.
        let doc: Value = yaml_serde::from_str(&render(HTTPS_URL).unwrap()).unwrap();
        for op in operations(&doc) {
            let security = op.body.get("security");
            if op.path == "/health" {
                assert_eq!(security.and_then(Value::as_sequence).map(Vec::len), Some(0));
            } else {
                assert!(
                    security.is_none(),
                    "{} overrides the global security",
                    op.label()
                );
            }
        }
    }

    #[test]
    fn check_finds_no_error_in_the_template() {
        let problems = check(&render(HTTPS_URL).unwrap());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn check_only_warns_about_local_http() {
        let problems = check(&render(LOCAL_URL).unwrap());
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].severity, Severity::Warning);
        assert_eq!(problems[0].location, "servers[0].url");
    }

    #[test]
    fn check_rejects_the_unrendered_template() {
        assert!(has_error(&check(TEMPLATE), "servers[0].url", "placeholder"));
    }

    #[test]
    fn check_catches_a_long_operation_description() {
        let long = "x".repeat(MAX_OPERATION_TEXT_CHARS + 1);
        let yaml = edited(
            "summary: List the customers the user can register hours on",
            &format!("summary: {long}"),
        );
        let problems = check(&yaml);
        assert!(has_error(
            &problems,
            "GET /api/customers: summary",
            "is 301 characters"
        ));
        assert_eq!(
            problems[0].to_string(),
            "error: GET /api/customers: summary is 301 characters; the GPT editor allows at most 300"
        );
        // Characters, not bytes: 300 letters with accents pass.
        let yaml = edited(
            "summary: List the customers the user can register hours on",
            &format!("summary: {}", "é".repeat(MAX_OPERATION_TEXT_CHARS)),
        );
        assert!(errors(&check(&yaml)).is_empty());
    }

    #[test]
    fn check_catches_a_missing_operation_id() {
        let problems = check(&edited("      operationId: listPhases\n", ""));
        assert!(has_error(
            &problems,
            "GET /api/phases",
            "has no operationId"
        ));
    }

    #[test]
    fn check_catches_a_duplicate_operation_id() {
        let problems = check(&edited(
            "operationId: listPhases",
            "operationId: listProjects",
        ));
        assert!(has_error(
            &problems,
            "GET /api/phases: operationId",
            "also used by GET /api/projects"
        ));
    }

    #[test]
    fn check_catches_a_long_parameter_description() {
        let long = "y".repeat(MAX_PARAMETER_DESCRIPTION_CHARS + 1);
        let problems = check(&edited(
            "description: Id of the phase, from the phases lookup.",
            &format!("description: {long}"),
        ));
        assert!(has_error(
            &problems,
            "GET /api/activities: parameter `phaseId`: description",
            "is 701 characters"
        ));
        // Shared parameters are checked once, where they are defined.
        let problems = check(&edited(
            "description: >-\n        Day the lookup is for",
            &format!("description: >-\n        {long}"),
        ));
        assert!(has_error(
            &problems,
            "components.parameters.Date: description",
            "at most 700"
        ));
        assert_eq!(errors(&problems).len(), 1, "{problems:#?}");
    }

    #[test]
    fn check_catches_other_gpt_action_mistakes() {
        let problems = check(&edited("openapi: 3.1.0", "openapi: 3.0.3"));
        assert!(has_error(&problems, "openapi", "3.0.3"));

        let problems = check(&edited(
            "#/components/schemas/LoginResult",
            "#/components/schemas/Nope",
        ));
        assert!(
            errors(&problems)
                .iter()
                .any(|e| e.contains("points to nothing")),
            "{problems:#?}"
        );

        let problems = check(&edited("  - bearerAuth: []", "  - apiKey: []"));
        assert!(has_error(&problems, "security", "`apiKey`"));

        let problems = check(&edited("/api/phases:", "/api/phases/{phaseId}:"));
        assert!(has_error(
            &problems,
            "GET /api/phases/{phaseId}",
            "no path parameter `phaseId`"
        ));

        let problems = check(&edited(
            "\nservers:\n  - url: \"https://example.ngrok.app\"",
            "",
        ));
        assert!(has_error(&problems, "servers", "is missing"));

        let problems = check(&edited(
            "https://example.ngrok.app",
            "ftp://example.ngrok.app",
        ));
        assert!(has_error(&problems, "servers[0].url", "not an https URL"));

        let problems = check(&edited(
            "https://example.ngrok.app",
            "https://example.ngrok.app:8443",
        ));
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].message.contains("port 8443"));

        let problems = check(&edited(
            "#/components/schemas/LoginResult",
            "other.yaml#/Login",
        ));
        assert!(
            errors(&problems).iter().any(|e| e.contains("not a local")),
            "{problems:#?}"
        );

        assert!(has_error(
            &check("openapi: [unclosed"),
            "document",
            "not valid YAML"
        ));
    }

    #[test]
    fn render_rejects_bad_urls() {
        let cases = [
            ("ftp://x", "is not an http(s) URL"),
            ("example.ngrok.app", "is not an http(s) URL"),
            ("https://", "is not a valid URL"),
            ("https://x.app/?a=1", "has a query or a fragment"),
            ("https://x.app/#top", "has a query or a fragment"),
            ("https://x.app/\"", "holds a quote"),
            ("https://x.app/a b", "holds a quote"),
            ("https://me:pw@x.app", "user name or password"),
        ];
        for (url, problem) in cases {
            let err = render(url).expect_err(url).to_string();
            assert!(err.contains(problem), "{url}: {err}");
            assert!(
                err.contains("like https://example.ngrok.app"),
                "{url}: {err}"
            );
        }
        assert_eq!(
            render("ftp://x").unwrap_err().to_string(),
            "`ftp://x` is not an http(s) URL; pass the public base URL, like https://example.ngrok.app"
        );
    }

    #[test]
    fn to_json_round_trips_and_keeps_key_order() {
        let yaml = render(HTTPS_URL).unwrap();
        let json = to_json(&yaml).unwrap();
        let from_json: serde_json::Value = serde_json::from_str(&json).unwrap();
        let from_yaml: serde_json::Value = yaml_serde::from_str(&yaml).unwrap();
        assert_eq!(from_json, from_yaml);
        let keys = [
            "\"openapi\"",
            "\"info\"",
            "\"servers\"",
            "\"security\"",
            "\"paths\"",
            "\"components\"",
        ];
        let positions: Vec<_> = keys.iter().map(|key| json.find(key).unwrap()).collect();
        assert!(positions.is_sorted(), "{positions:?}");
        oas3::from_json(&json).expect("oas3 parses the JSON form");
    }

    #[test]
    fn documented_operations_lists_method_and_path_in_order() {
        let ops = documented_operations(&render(HTTPS_URL).unwrap()).unwrap();
        assert_eq!(
            ops.len(),
            oas3::from_yaml(render(HTTPS_URL).unwrap())
                .unwrap()
                .operations()
                .count()
        );
        assert_eq!(ops[0], ("POST".to_owned(), "/api/login".to_owned()));
        assert!(ops.contains(&("GET".to_owned(), "/health".to_owned())));
        assert!(matches!(
            documented_operations("openapi: 3.1.0"),
            Err(SchemaError::NoPaths)
        ));
    }
}
