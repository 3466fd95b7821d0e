//! The GPT Action rules a rendered schema must meet (`schema --check`, and `serve`).

use super::*;

/// Checks a rendered schema against the GPT Action rules; an empty list means all is well.
pub fn check(rendered_yaml: &str) -> Vec<Problem> {
    let mut report = Report::default();
    match yaml_serde::from_str(rendered_yaml) {
        Ok(doc @ Value::Mapping(_)) => {
            check_header(&doc, &mut report);
            check_servers(&doc, &mut report);
            check_operations(&doc, &mut report);
            check_component_parameters(&doc, &mut report);
            check_security(&doc, &mut report);
            check_refs_and_objects(&doc, &mut report);
        }
        Ok(_) => report.error("document", "is not a YAML mapping"),
        Err(err) => report.error("document", format!("is not valid YAML: {err}")),
    }
    report.0
}

/// The problems found so far.
#[derive(Default)]
struct Report(Vec<Problem>);

impl Report {
    fn error(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Error, location.into(), message.into());
    }

    fn warning(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Warning, location.into(), message.into());
    }

    fn push(&mut self, severity: Severity, location: String, message: String) {
        self.0.push(Problem {
            severity,
            location,
            message,
        });
    }

    /// An error when `text` is longer than `max` characters (not bytes).
    fn length(&mut self, location: String, text: &str, max: usize) {
        let count = text.chars().count();
        if count > max {
            self.error(
                location,
                format!("is {count} characters; the GPT editor allows at most {max}"),
            );
        }
    }
}

fn check_header(doc: &Value, report: &mut Report) {
    match doc.get("openapi") {
        None => report.error("openapi", "is missing; start with `openapi: 3.1.0`"),
        Some(Value::String(version)) if version.starts_with("3.1") => {}
        Some(Value::String(version)) => report.error(
            "openapi",
            format!("is `{version}`; this schema must be OpenAPI 3.1, like `openapi: 3.1.0`"),
        ),
        Some(_) => report.error("openapi", "must be a string, like `3.1.0`"),
    }
    let info = doc.get("info");
    for field in ["title", "version"] {
        if !info
            .and_then(|info| info.get(field))
            .is_some_and(Value::is_string)
        {
            report.error(format!("info.{field}"), "is missing or not a string");
        }
    }
    let paths = doc.get("paths").and_then(Value::as_mapping);
    if paths.is_none_or(Mapping::is_empty) {
        report.error("paths", "is empty; the Action needs at least one operation");
    }
}

fn check_servers(doc: &Value, report: &mut Report) {
    let servers = doc.get("servers").and_then(Value::as_sequence);
    let Some(first) = servers.and_then(|servers| servers.first()) else {
        report.error(
            "servers",
            "is missing; add one server whose url is the public https base URL",
        );
        return;
    };
    if let Some(count) = servers.map(Vec::len).filter(|count| *count > 1) {
        report.warning(
            "servers",
            format!("lists {count} servers; ChatGPT uses one, keep only the public one"),
        );
    }
    let location = "servers[0].url";
    let Some(url) = first.get("url").and_then(Value::as_str) else {
        report.error(location, "is missing; set it to the public https base URL");
        return;
    };
    if url.contains("{{") {
        report.error(
            location,
            format!("still holds a placeholder (`{url}`); render the template first"),
        );
        return;
    }
    let Ok(parsed) = Url::parse(url) else {
        let msg = format!("`{url}` is not an absolute URL; ChatGPT needs the full https base URL");
        report.error(location, msg);
        return;
    };
    match (parsed.scheme(), parsed.port()) {
        ("https", Some(port)) if port != HTTPS_PORT => report.warning(
            location,
            format!("uses port {port}; ChatGPT only calls https on port {HTTPS_PORT}"),
        ),
        ("https", _) => {}
        ("http", _) => report.warning(
            location,
            format!("`{url}` is http; ChatGPT only calls https, so use it for local tests only"),
        ),
        _ => report.error(location, format!("`{url}` is not an https URL")),
    }
}

fn check_operations(doc: &Value, report: &mut Report) {
    let mut ids: HashMap<&str, String> = HashMap::new();
    for op in operations(doc) {
        let label = op.label();
        match op.body.get("operationId") {
            Some(Value::String(id)) => {
                check_operation_id(&label, id, report);
                if let Some(first) = ids.get(id.as_str()) {
                    let msg =
                        format!("`{id}` is also used by {first}; operationIds must be unique");
                    report.error(format!("{label}: operationId"), msg);
                } else {
                    ids.insert(id, label.clone());
                }
            }
            Some(_) => report.error(format!("{label}: operationId"), "is not a string"),
            None => report.error(
                &label,
                "has no operationId; ChatGPT calls operations by it, so add a unique one",
            ),
        }
        check_operation_texts(&label, op.body, report);
        check_parameters(doc, &op, report);
        check_bodies(doc, &label, op.body, report);
    }
}

fn check_operation_id(label: &str, id: &str, report: &mut Report) {
    let valid_chars = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if id.is_empty() || id.len() > MAX_OPERATION_ID_CHARS || !valid_chars {
        let msg = format!(
            "`{id}` may not work as a function name; use 1 to {MAX_OPERATION_ID_CHARS} of a-z, A-Z, 0-9, '_' and '-'"
        );
        report.warning(format!("{label}: operationId"), msg);
    }
}

fn check_operation_texts(label: &str, body: &Value, report: &mut Report) {
    let mut has_text = false;
    for field in ["summary", "description"] {
        match body.get(field) {
            None => {}
            Some(Value::String(text)) => {
                has_text |= !text.trim().is_empty();
                report.length(format!("{label}: {field}"), text, MAX_OPERATION_TEXT_CHARS);
            }
            Some(_) => report.error(format!("{label}: {field}"), "is not a string"),
        }
    }
    if !has_text {
        let msg = "has no summary or description; the model only sees its operationId, so say what it is for";
        report.warning(label, msg);
    }
}

fn check_parameters(doc: &Value, op: &Operation<'_>, report: &mut Report) {
    let label = op.label();
    let own = op.body.get("parameters").and_then(Value::as_sequence);
    let mut path_names = Vec::new();
    for parameter in op.path_parameters.iter().chain(own.into_iter().flatten()) {
        // A $ref'd parameter is checked once, under components.parameters.
        let is_ref = parameter.get("$ref").is_some();
        let Some(parameter) = resolve(doc, parameter) else {
            continue;
        };
        let name = parameter.get("name").and_then(Value::as_str).unwrap_or("?");
        let location = format!("{label}: parameter `{name}`");
        match parameter.get("in").and_then(Value::as_str) {
            Some("path") => path_names.push(name),
            Some("query" | "cookie") => {}
            Some("header") => report.warning(
                &location,
                "is a header; GPT Actions cannot send custom headers, make it a query parameter",
            ),
            _ => report.error(&location, "has no valid `in` (query, path, header, cookie)"),
        }
        if !is_ref {
            check_parameter_description(location, parameter, report);
        }
    }
    for segment in op.path.split('/') {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        if !path_names.contains(&name) {
            report.error(
                &label,
                format!("has `{{{name}}}` in its path but no path parameter `{name}`"),
            );
        }
    }
}

fn check_parameter_description(location: String, parameter: &Value, report: &mut Report) {
    let location = format!("{location}: description");
    match parameter.get("description") {
        None => {}
        Some(Value::String(text)) => report.length(location, text, MAX_PARAMETER_DESCRIPTION_CHARS),
        Some(_) => report.error(location, "is not a string"),
    }
}

fn check_component_parameters(doc: &Value, report: &mut Report) {
    let parameters = doc.get("components").and_then(|c| c.get("parameters"));
    for (key, parameter) in parameters.and_then(Value::as_mapping).into_iter().flatten() {
        let location = format!("components.parameters.{}", key_text(key));
        check_parameter_description(location, parameter, report);
    }
}

fn check_bodies(doc: &Value, label: &str, body: &Value, report: &mut Report) {
    if let Some(request) = body.get("requestBody").and_then(|b| resolve(doc, b)) {
        let content = request.get("content").and_then(Value::as_mapping);
        if !content.is_some_and(|c| c.contains_key("application/json")) {
            let msg = "offers no application/json content; ChatGPT sends JSON bodies";
            report.warning(format!("{label}: requestBody"), msg);
        }
    }
    let responses = body.get("responses").and_then(Value::as_mapping);
    for (status, response) in responses.into_iter().flatten() {
        let Some(response) = resolve(doc, response) else {
            continue;
        };
        if !response.get("description").is_some_and(Value::is_string) {
            let location = format!("{label}: response {}", key_text(status));
            report.error(location, "has no description; OpenAPI requires one");
        }
    }
}

fn check_security(doc: &Value, report: &mut Report) {
    let schemes = doc.get("components").and_then(|c| c.get("securitySchemes"));
    let schemes = schemes.and_then(Value::as_mapping);
    if let Some(count) = schemes.map(Mapping::len).filter(|count| *count > 1) {
        let msg = format!(
            "defines {count} schemes; a GPT Action supports one authentication type (plus calls without any)"
        );
        report.warning("components.securitySchemes", msg);
    }
    let mut requirements = vec![("security".to_owned(), doc.get("security"))];
    for op in operations(doc) {
        requirements.push((format!("{}: security", op.label()), op.body.get("security")));
    }
    for (location, requirement) in requirements {
        let alternatives = requirement
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten();
        for name in alternatives
            .filter_map(Value::as_mapping)
            .flat_map(Mapping::keys)
        {
            if !schemes.is_some_and(|s| s.contains_key(name)) {
                let name = key_text(name);
                report.error(
                    &location,
                    format!("names `{name}`, which components.securitySchemes does not define"),
                );
            }
        }
    }
}

/// Every `$ref` must point inside the document, and every object schema should list its
/// properties (ChatGPT warns "object schema missing properties" otherwise).
fn check_refs_and_objects(doc: &Value, report: &mut Report) {
    walk(doc, &mut Vec::new(), &mut |trail, map| {
        if let Some(target) = map.get("$ref") {
            let target = target.as_str().unwrap_or_default();
            if !target.starts_with("#/") {
                let msg = format!(
                    "`{target}` is not a local `#/...` reference; the GPT editor cannot fetch other files, inline it"
                );
                report.error(trail.join("."), msg);
            } else if pointer(doc, target).is_none() {
                report.error(trail.join("."), format!("`{target}` points to nothing"));
            }
        }
        let is_object = map.get("type").and_then(Value::as_str) == Some("object");
        if is_object && !map.contains_key("properties") {
            let msg =
                "is an object schema without properties; ChatGPT warns about those, list them";
            report.warning(trail.join("."), msg);
        }
    });
}

/// Calls `visit` on every mapping inside `value`, with the keys that lead to it.
fn walk(value: &Value, trail: &mut Vec<String>, visit: &mut impl FnMut(&[String], &Mapping)) {
    match value {
        Value::Mapping(map) => {
            visit(trail, map);
            for (key, child) in map {
                trail.push(key_text(key));
                walk(child, trail, visit);
                trail.pop();
            }
        }
        Value::Sequence(items) => {
            for (index, child) in items.iter().enumerate() {
                trail.push(index.to_string());
                walk(child, trail, visit);
                trail.pop();
            }
        }
        _ => {}
    }
}

/// Follows a local `$ref` if `value` is one; `None` when it points to nothing.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Option<&'a Value> {
    match value.get("$ref") {
        Some(target) => pointer(doc, target.as_str()?),
        None => Some(value),
    }
}

/// The value a local JSON pointer such as `#/components/schemas/Error` designates.
fn pointer<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    let path = target.strip_prefix('#')?;
    path.split('/').skip(1).try_fold(doc, |node, token| {
        let token = token.replace("~1", "/").replace("~0", "~");
        match node {
            Value::Sequence(items) => items.get(token.parse::<usize>().ok()?),
            _ => node.get(token.as_str()),
        }
    })
}

/// A mapping key as text (keys may be numbers, like an unquoted `200`).
fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => format!("{other:?}"),
    }
}
