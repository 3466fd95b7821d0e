//! `tidsreg-gpt plugin`: the real binary writes a bundle whose manifests parse, name the MCP
//! URL and reference files that exist, and whose skills have valid front matter; the server
//! serves its icon publicly and advertises it in the MCP `serverInfo`.

use std::path::Path;

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::Value;
use tidsreg_gpt::commands::plugin::{
    MAX_LISTING_TITLE_CHARS, MAX_SKILL_DESCRIPTION_CHARS, MAX_SKILL_NAME_CHARS,
    MAX_STARTER_PROMPT_CHARS, MAX_STARTER_PROMPTS, MCP_SCHEMA, PLUGIN_SCHEMA,
};

use crate::fixture::binary::cli;
use crate::fixture::{KEY_A, start};

/// The only top-level fields an Agent Plugins 1.0.0 manifest may hold.
const MANIFEST_FIELDS: &[&str] = &[
    "$schema",
    "name",
    "version",
    "description",
    "author",
    "homepage",
    "repository",
    "license",
    "keywords",
    "extensions",
];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `./x` inside `root`, which must exist.
fn assert_bundled(root: &Path, reference: &Value) {
    let reference = reference.as_str().expect("a path");
    let relative = reference.strip_prefix("./").expect("paths start with ./");
    assert!(
        root.join(relative).exists(),
        "{reference} is not in the bundle"
    );
}

/// Agent Plugins' name rule: 1-64 of a-z 0-9 - ., alphanumeric at both ends, no -- or ..
fn valid_plugin_name(name: &str) -> bool {
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (1..=64).contains(&name.len())
        && allowed
        && ends(name.chars().next())
        && ends(name.chars().last())
        && !name.contains("--")
        && !name.contains("..")
}

fn check_listing(interface: &Value, root: &Path) {
    for field in ["displayName", "shortDescription"] {
        let text = interface[field].as_str().unwrap();
        assert!(text.chars().count() <= MAX_LISTING_TITLE_CHARS, "{field}");
    }
    let prompts = interface["defaultPrompt"].as_array().unwrap();
    assert!(!prompts.is_empty() && prompts.len() <= MAX_STARTER_PROMPTS);
    for prompt in prompts {
        assert!(prompt.as_str().unwrap().chars().count() <= MAX_STARTER_PROMPT_CHARS);
    }
    assert_bundled(root, &interface["logo"]);
    assert_bundled(root, &interface["composerIcon"]);
}

/// Every `skills/<folder>/SKILL.md`: YAML front matter with a name equal to the folder and a
/// description within the Agent Skills limits. Answers the skill names.
fn check_skills(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root.join("skills")).unwrap() {
        let folder = entry.unwrap().path();
        let text = std::fs::read_to_string(folder.join("SKILL.md")).unwrap();
        let rest = text.strip_prefix("---\n").expect("front matter first");
        let (yaml, body) = rest.split_once("\n---\n").expect("front matter closed");
        let fields: yaml_serde::Value = yaml_serde::from_str(yaml).expect("front matter is YAML");
        let name = fields["name"].as_str().expect("a name");
        let description = fields["description"].as_str().expect("a description");
        assert_eq!(name, folder.file_name().unwrap().to_str().unwrap());
        assert!(name.chars().count() <= MAX_SKILL_NAME_CHARS);
        assert!(valid_plugin_name(name) && !name.contains('.'), "{name}");
        assert!((1..=MAX_SKILL_DESCRIPTION_CHARS).contains(&description.chars().count()));
        assert!(!body.trim().is_empty(), "{name} has a workflow");
        names.push(name.to_owned());
    }
    names.sort();
    names
}

#[test]
fn plugin_writes_a_bundle_that_names_the_mcp_url_and_has_valid_skills() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("bundle");
    cli(home.path())
        .args(["plugin", "--url", "https://tidsreg.example.org/", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("https://tidsreg.example.org/mcp"));

    let manifest = read_json(&out.join("plugin.json"));
    assert_eq!(manifest["$schema"], PLUGIN_SCHEMA);
    for field in manifest.as_object().unwrap().keys() {
        assert!(MANIFEST_FIELDS.contains(&field.as_str()), "{field}");
    }
    let name = manifest["name"].as_str().unwrap();
    assert!(valid_plugin_name(name), "{name}");
    check_listing(&manifest["extensions"]["com.openai"]["interface"], &out);

    let mcp = read_json(&out.join("mcp.json"));
    assert_eq!(mcp["$schema"], MCP_SCHEMA);
    let servers = mcp["mcpServers"].as_object().unwrap();
    assert_eq!(servers.len(), 1);
    let server = servers.values().next().unwrap();
    assert_eq!(server["type"], "streamable-http");
    assert_eq!(server["url"], "https://tidsreg.example.org/mcp");
    assert!(server.get("headers").is_none(), "no secrets in the package");

    // The compatibility layout says the same.
    let codex = read_json(&out.join(".codex-plugin/plugin.json"));
    assert_eq!(codex["name"], name);
    assert_bundled(&out, &codex["skills"]);
    assert_bundled(&out, &codex["mcpServers"]);
    check_listing(&codex["interface"], &out);
    let codex_mcp = read_json(&out.join(".mcp.json"));
    let url = &codex_mcp["mcpServers"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["url"];
    assert_eq!(url, "https://tidsreg.example.org/mcp");

    assert_eq!(
        check_skills(&out),
        [
            "tidsreg-book-hours",
            "tidsreg-hours-report",
            "tidsreg-review-week"
        ]
    );
    let icon = std::fs::read_to_string(out.join("assets/icon.svg")).unwrap();
    assert!(icon.contains("<svg"));
}

#[test]
fn plugin_takes_the_public_url_from_the_config_file_or_says_what_to_pass() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("bundle");
    cli(home.path())
        .args(["plugin", "--out"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicates::str::contains("--url https://"))
        .stderr(predicates::str::contains("Public URL"));
    assert!(!out.exists(), "nothing written without a URL");

    let config = home.path().join("tidsreg-gpt/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "public_url = \"https://from-config.example\"\n").unwrap();
    cli(home.path())
        .args(["plugin", "--out"])
        .arg(&out)
        .assert()
        .success();
    let mcp = read_json(&out.join("mcp.json"));
    assert_eq!(
        mcp["mcpServers"]["tidsreg"]["url"],
        "https://from-config.example/mcp"
    );

    cli(home.path())
        .args(["plugin", "--url", "http://tidsreg.example.org", "--out"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicates::str::contains("https"));
}

#[tokio::test]
async fn the_icon_is_public_and_named_in_the_mcp_server_info() {
    let server = start().await;
    let response = server
        .request(reqwest::Method::GET, "/icon.svg")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert!(response.text().await.unwrap().contains("<svg"));

    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", server.url))
        .auth_header(KEY_A.to_string());
    let client =
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .expect("MCP handshake");
    let info = client.peer_info().expect("server info");
    let server_info = info.server_info.clone().expect("serverInfo");
    let icons = server_info.icons.expect("icons");
    assert_eq!(icons[0].src, format!("{}/icon.svg", server.url));
    assert_eq!(icons[0].mime_type.as_deref(), Some("image/svg+xml"));
    client.cancel().await.unwrap();
}
