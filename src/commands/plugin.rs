//! `tidsreg-gpt plugin`: writes a plugin bundle for ChatGPT and Codex (the universal plugin
//! directory they share), pointing at this server's MCP URL: three skills, one per user goal,
//! around the MCP tools, the manifest, the MCP server entry and the icon.
//!
//! The layout follows, as read on 2026-11-30:
//! - OpenAI, "Package your plugin" (<https://developers.openai.com/apps-sdk/build/plugins/>):
//!   a portable Agent Plugins package, `plugin.json` at the root declaring the Agent Plugins
//!   schema, OpenAI's listing fields under `extensions."com.openai".interface`, MCP servers in
//!   `mcp.json`, skills in `skills/`; `.codex-plugin/plugin.json` stays supported as a
//!   compatibility fallback, and the older copy of the same page
//!   (<https://developers.openai.com/plugins/build/plugins.md>) still says every plugin has one,
//!   so the bundle carries both (a host reads one or the other).
//! - Agent Plugins 1.0.0 (<https://agent-plugins.org/specification>): the closed manifest
//!   fields, the plugin name rule, `mcp.json` with a `streamable-http` server whose URL is
//!   https unless it is loopback, and no secrets in the package.
//! - Agent Skills (<https://agentskills.io/specification>), which OpenAI's "Build skills"
//!   (<https://developers.openai.com/plugins/build/skills>) and Codex's "Agent Skills"
//!   (<https://developers.openai.com/codex/skills>) pages build on: `skills/<name>/SKILL.md`,
//!   YAML front matter with `name` (1-64 characters, lower-case letters, digits and single
//!   hyphens, the folder's name) and `description` (1-1024 characters), then the workflow.
//! - The compatibility manifest's fields: OpenAI's `plugin-creator` reference
//!   (`openai/plugins`, `.agents/skills/plugin-creator/references/plugin-json-spec.md`); its
//!   `.mcp.json` as OpenAI's own plugins write it (`{"mcpServers": {name: {"type": "http",
//!   "url": ...}}}`).
//! - The listing limits OpenAI's submission checks state: display name and short description at
//!   most 30 characters, at most 3 starter prompts of at most 128 characters.
//!
//! The skill texts live in `assets/plugin/skills/`, so they read as documents.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use url::Url;

use crate::http::icon::ICON_SVG;
use crate::http::mcp::MCP_PATH;
use crate::settings::base_url::parse_base_url;
use crate::settings::cli::PluginArgs;
use crate::settings::config_file::FileConfig;

/// The plugin's name: its identity in the directory and the namespace of its skills.
pub const PLUGIN_NAME: &str = "tidsreg";
/// The name of the MCP server inside the bundle.
const SERVER_NAME: &str = "tidsreg";
/// Agent Plugins 1.0.0 manifest schema identifier.
pub const PLUGIN_SCHEMA: &str = "https://agent-plugins.org/schemas/1.0.0/plugin.schema.json";
/// Agent Plugins 1.0.0 MCP configuration schema identifier (the same version as the manifest).
pub const MCP_SCHEMA: &str = "https://agent-plugins.org/schemas/1.0.0/mcp.schema.json";
/// Where the icon goes inside the bundle; the listing's logo and composer icon point here.
const ICON_FILE: &str = "assets/icon.svg";

/// Most characters in a skill's `name` (Agent Skills).
pub const MAX_SKILL_NAME_CHARS: usize = 64;
/// Most characters in a skill's `description` (Agent Skills).
pub const MAX_SKILL_DESCRIPTION_CHARS: usize = 1024;
/// Most characters in the listing's display name and short description (OpenAI submission).
pub const MAX_LISTING_TITLE_CHARS: usize = 30;
/// Most starter prompts, and most characters in each (OpenAI submission).
pub const MAX_STARTER_PROMPTS: usize = 3;
pub const MAX_STARTER_PROMPT_CHARS: usize = 128;

/// One skill per user goal: find where to book and book; review a week; report.
pub const SKILLS: &[(&str, &str)] = &[
    (
        "tidsreg-book-hours",
        include_str!("../../assets/plugin/skills/tidsreg-book-hours/SKILL.md"),
    ),
    (
        "tidsreg-review-week",
        include_str!("../../assets/plugin/skills/tidsreg-review-week/SKILL.md"),
    ),
    (
        "tidsreg-hours-report",
        include_str!("../../assets/plugin/skills/tidsreg-hours-report/SKILL.md"),
    ),
];

const DISPLAY_NAME: &str = "Tidsreg";
const SHORT_DESCRIPTION: &str = "Read and book your hours";
const DESCRIPTION: &str = "Read and register working hours in Trifork's Tidsreg: find where to book, book after confirming, review a week and report on a period.";
const LONG_DESCRIPTION: &str = "Talk to Tidsreg, Trifork's time-registration system, from the chat. Find the customer, project and activity to book on from your own words, book hours after you confirm them, review what a week holds and which days are short, and sum up where your time went over a period. You sign in to Tidsreg on the server's own page; the chat never sees your password.";
const STARTER_PROMPTS: &[&str] = &[
    "Book 7.5 hours today on the project I worked on yesterday",
    "What did I register last week, and which days are short?",
    "How many hours did I book per customer this month?",
];

/// Writes the bundle `args` asks for and says what to do with it.
pub fn run(args: PluginArgs, config_path: &Path) -> Result<()> {
    let base = public_url(args.url.as_deref(), config_path)?;
    let written = write_bundle(&args.out, &base)?;
    println!(
        "Wrote the Tidsreg plugin for {base}{MCP_PATH} to {}:",
        args.out.display()
    );
    for path in &written {
        println!("  {path}");
    }
    println!(
        "\nNext: zip the folder's contents (plugin.json at the top) and upload it on the plugin\n\
         submission page, or add the folder to a local Codex marketplace to try it. It holds no\n\
         secret: each person signs in to Tidsreg through the server's OAuth page."
    );
    Ok(())
}

/// The public URL: `--url` (or `TIDSREG_GPT_PUBLIC_URL`), else the config file's `public_url`,
/// else its reserved ngrok `domain`. A running server's random tunnel URL is not recorded
/// anywhere, so then the person passes the Public URL its screen shows.
pub fn public_url(flag: Option<&str>, config_path: &Path) -> Result<String> {
    let file = FileConfig::load(config_path)?;
    let raw = match (flag, file.public_url, file.domain) {
        (Some(url), _, _) => url.to_owned(),
        (None, Some(url), _) => url,
        (None, None, Some(domain)) => format!("https://{domain}"),
        (None, None, None) => bail!(
            "no public URL to put in the plugin. Pass --url https://… with the Public URL that \
             `tidsreg-gpt serve` prints (its tunnel's, or your --public-url), or set public_url \
             (or a reserved ngrok domain) in {}",
            config_path.display()
        ),
    };
    let url = parse_base_url(&raw).map_err(|why| {
        anyhow::anyhow!("the public URL {raw} {why}; pass one like https://tidsreg.example.com")
    })?;
    if url.scheme() != "https" && !is_loopback(&url) {
        bail!(
            "the public URL {raw} is plain http: plugins reach an MCP server over https (http only \
             on this machine's loopback). Pass the https URL your tunnel or platform gives"
        );
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(host)) => host == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The bundle's files for the server at `base`, as (path inside the bundle, contents).
pub fn bundle(base: &str) -> Vec<(String, String)> {
    let mcp_url = format!("{base}{MCP_PATH}");
    let interface = json!({
        "displayName": DISPLAY_NAME,
        "shortDescription": SHORT_DESCRIPTION,
        "longDescription": LONG_DESCRIPTION,
        "category": "Productivity",
        "capabilities": ["Read", "Write"],
        "defaultPrompt": STARTER_PROMPTS,
        "brandColor": "#1F4E79",
        "composerIcon": format!("./{ICON_FILE}"),
        "logo": format!("./{ICON_FILE}"),
    });
    let identity = json!({
        "name": PLUGIN_NAME,
        "version": env!("CARGO_PKG_VERSION"),
        "description": DESCRIPTION,
        "author": { "name": "tidsreg-gpt" },
        "license": env!("CARGO_PKG_LICENSE"),
        "keywords": ["tidsreg", "trifork", "time registration", "timesheet", "hours"],
    });
    let manifest = merged(&[
        json!({ "$schema": PLUGIN_SCHEMA }),
        identity.clone(),
        json!({ "extensions": { "com.openai": { "interface": interface.clone() } } }),
    ]);
    let mcp = json!({
        "$schema": MCP_SCHEMA,
        "mcpServers": { SERVER_NAME: { "type": "streamable-http", "url": mcp_url } },
    });
    let codex_manifest = merged(&[
        identity,
        json!({ "skills": "./skills/", "mcpServers": "./.mcp.json", "interface": interface }),
    ]);
    let codex_mcp = json!({
        "mcpServers": { SERVER_NAME: { "type": "http", "url": mcp_url } },
    });
    let mut files = vec![
        ("plugin.json".to_owned(), pretty(&manifest)),
        ("mcp.json".to_owned(), pretty(&mcp)),
        (
            ".codex-plugin/plugin.json".to_owned(),
            pretty(&codex_manifest),
        ),
        (".mcp.json".to_owned(), pretty(&codex_mcp)),
    ];
    files.extend(
        SKILLS
            .iter()
            .map(|(name, text)| (format!("skills/{name}/SKILL.md"), (*text).to_owned())),
    );
    files.push((ICON_FILE.to_owned(), ICON_SVG.to_owned()));
    files
}

/// The fields of all `parts` (JSON objects) in one object.
fn merged(parts: &[Value]) -> Value {
    let mut out = serde_json::Map::new();
    for part in parts {
        if let Value::Object(fields) = part {
            out.extend(fields.clone());
        }
    }
    Value::Object(out)
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    text.push('\n');
    text
}

/// Writes [`bundle`] under `out` (created if missing; the bundle's own files replaced, nothing
/// else touched) and answers the paths written.
fn write_bundle(out: &Path, base: &str) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for (path, text) in bundle(base) {
        let target: PathBuf = out.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        std::fs::write(&target, text)
            .with_context(|| format!("cannot write {}", target.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::mcp::McpServer;

    /// A SKILL.md's front matter, parsed, and its body.
    fn front_matter(text: &str) -> (yaml_serde::Value, &str) {
        let rest = text.strip_prefix("---\n").expect("starts with ---");
        let (yaml, body) = rest
            .split_once("\n---\n")
            .expect("front matter ends with ---");
        (
            yaml_serde::from_str(yaml).expect("front matter is YAML"),
            body,
        )
    }

    #[test]
    fn every_skill_has_a_valid_name_and_description() {
        assert_eq!(SKILLS.len(), 3, "one skill per user goal");
        for (folder, text) in SKILLS {
            let (fields, body) = front_matter(text);
            let name = fields["name"].as_str().expect("name");
            let description = fields["description"].as_str().expect("description");
            assert_eq!(name, *folder, "the name is the folder's");
            assert!((1..=MAX_SKILL_NAME_CHARS).contains(&name.chars().count()));
            assert!(
                name.split('-').all(|part| !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                "{name}: lower-case letters, digits and single hyphens"
            );
            let length = description.chars().count();
            assert!(
                (1..=MAX_SKILL_DESCRIPTION_CHARS).contains(&length),
                "{name}: {length}"
            );
            assert!(
                description.contains("Use when"),
                "{name} says when to use it"
            );
            assert!(body.trim().len() > 200, "{name} has a workflow");
        }
    }

    /// Like the MCP instructions: every tool a skill names must exist, so a renamed tool
    /// cannot leave a skill calling the old name.
    #[test]
    fn the_skills_name_only_tools_that_exist() {
        let tools: Vec<String> = McpServer::all_tools()
            .iter()
            .map(|tool| tool.name.to_string())
            .collect();
        for (folder, text) in SKILLS {
            let named = text.split('`').skip(1).step_by(2);
            let tool_like = |word: &&str| {
                word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            };
            let mut checked = 0;
            for word in named.filter(tool_like) {
                assert!(tools.iter().any(|t| t == word), "{folder} names `{word}`");
                checked += 1;
            }
            assert!(checked >= 1, "{folder} names the tools it uses");
        }
    }

    #[test]
    fn the_listing_fits_the_submission_limits() {
        for title in [DISPLAY_NAME, SHORT_DESCRIPTION] {
            assert!(title.chars().count() <= MAX_LISTING_TITLE_CHARS, "{title}");
        }
        assert!(STARTER_PROMPTS.len() <= MAX_STARTER_PROMPTS);
        for prompt in STARTER_PROMPTS {
            assert!(
                prompt.chars().count() <= MAX_STARTER_PROMPT_CHARS,
                "{prompt}"
            );
            assert!(!prompt.contains('@'), "no app mentions in starters");
        }
    }

    #[test]
    fn the_public_url_must_be_https_unless_loopback() {
        let none = Path::new("/nonexistent/config.toml");
        assert_eq!(
            public_url(Some("https://x.example/"), none).unwrap(),
            "https://x.example"
        );
        assert!(public_url(Some("http://127.0.0.1:8000"), none).is_ok());
        assert!(public_url(Some("http://localhost:8000"), none).is_ok());
        let plain = public_url(Some("http://x.example"), none).unwrap_err();
        assert!(plain.to_string().contains("https"), "{plain}");
        let missing = public_url(None, none).unwrap_err().to_string();
        assert!(missing.contains("--url"), "{missing}");
    }
}
