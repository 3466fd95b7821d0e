//! The one screen `serve` prints: everything needed to connect ChatGPT (a plugin) or Claude (a
//! connector) over MCP first, then what a GPT Action needs, and nothing else.

use std::fmt::Write as _;

use crate::http::api_keys::ApiKeys;
use crate::http::oauth::{AUTHORIZE_PATH, SCOPE, TOKEN_PATH};
use crate::settings::config_file::OAuthClient;
use crate::settings::serve_settings::{API_KEY_ENV, OAUTH_CLIENT_SECRET_ENV};

/// What the screen shows.
pub struct Screen<'a> {
    pub local_url: &'a str,
    /// The URL ChatGPT calls: the tunnel's, `--public-url`, or the local one.
    pub public_url: &'a str,
    /// True when the public URL is a tunnel or `--public-url`, not just the local one: only
    /// then can ChatGPT or Claude reach us, and only then is a plugin bundle worth writing.
    pub reachable: bool,
    pub schema_file: &'a str,
    /// What happened with the clipboard, in a few plain words (never an error's own text).
    pub clipboard: Option<String>,
    pub keys: &'a ApiKeys,
    /// True when `TIDSREG_GPT_API_KEY` provides the key (it is not in the config file).
    pub key_from_env: bool,
    /// True when the environment provides the static OAuth client.
    pub oauth_client_from_env: bool,
    /// Print the API key and the OAuth client secret themselves: only when stdout is a
    /// terminal. Piped or redirected output (a service's journal, a CI log, a file) gets
    /// the key id and where to read each secret instead, so they do not end up in logs.
    pub show_secrets: bool,
    /// The static OAuth client, for a GPT Action that signs people in with OAuth.
    pub oauth_client: Option<&'a OAuthClient>,
    pub config_file: &'a str,
    /// Where the state lives (`embedded /path/state.db`, a Redis URL without password).
    pub state_store: &'a str,
    /// `Some((url, username, password))` when serving the built-in demo upstream.
    pub demo: Option<(&'a str, &'a str, &'a str)>,
    pub upstream_url: &'a str,
    /// Why there is no tunnel, and how to get one.
    pub tunnel_note: Option<&'a str>,
}

/// The ChatGPT steps for a custom MCP server (OpenAI, "Connect and test your plugin":
/// developer mode under Security and login, then the plus button on the Plugins page).
const CHATGPT_STEPS: &str = "ChatGPT: Settings → Security and login → Developer mode on; Plugins → + → paste the MCP URL → Create";
/// The Claude steps for a custom connector.
const CLAUDE_STEPS: &str =
    "Claude: Settings → Connectors → Add custom connector → paste the MCP URL, then Connect";
/// Said when nothing makes this server public.
const NOT_PUBLIC: &str = "No tunnel: ChatGPT and Claude cannot reach a local URL. Pass --public-url when something else makes this server public.";

impl Screen<'_> {
    /// The screen as text: first MCP (ChatGPT plugins, Claude connectors), which every plan
    /// can use, then the GPT Action, for workspaces that can still create GPTs.
    pub fn render(&self) -> String {
        let base = self.public_url.trim_end_matches('/');
        let mut out = format!(
            "tidsreg-gpt {} is serving MCP (ChatGPT plugins, Claude connectors) and the GPT Action API\n\n",
            env!("CARGO_PKG_VERSION")
        );
        self.mcp(&mut out, base);
        if !self.reachable {
            let note = self.tunnel_note.unwrap_or(NOT_PUBLIC);
            let _ = write!(out, "\n  {note}\n");
        }
        let _ = write!(
            out,
            "\n  GPT Action (for ChatGPT workspaces that can still create GPTs)\n"
        );
        self.gpt_action(&mut out, base);
        out
    }

    /// Where MCP clients connect and how, and where this server and its state are.
    fn mcp(&self, out: &mut String, base: &str) {
        let mut line = |label: &str, value: &str| {
            let _ = writeln!(out, "  {label:<12} {value}");
        };
        line(
            "MCP URL",
            &format!("{base}/mcp   (sign-in: OAuth, on our own page)"),
        );
        line("", CHATGPT_STEPS);
        line("", CLAUDE_STEPS);
        if self.reachable {
            line(
                "",
                &format!("Plugin bundle (skills for ChatGPT): tidsreg-gpt plugin --url {base}"),
            );
        }
        line("Public URL", base);
        line("Local URL", self.local_url);
        line("State", self.state_store);
        match self.demo {
            Some((url, user, password)) => line(
                "Upstream",
                &format!("demo Tidsreg at {url} (sign in as {user} / {password})"),
            ),
            None => line("Upstream", self.upstream_url),
        }
    }

    /// What the GPT editor needs: the schema, the API key, or the OAuth client instead.
    fn gpt_action(&self, out: &mut String, base: &str) {
        let mut line = |label: &str, value: &str| {
            let _ = writeln!(out, "  {label:<12} {value}");
        };
        line(
            "Schema URL",
            &format!("{base}/openapi.yaml   (GPT editor: Actions → Import from URL)"),
        );
        let copied = self
            .clipboard
            .as_deref()
            .map(|c| format!("; {c}"))
            .unwrap_or_default();
        line("Schema file", &format!("{}{copied}", self.schema_file));
        let keys = self.keys.keys();
        if let Some(key) = keys.first() {
            let shown = if self.show_secrets {
                format!("{}   (key id: {})", key.key.expose(), key.id)
            } else if self.key_from_env {
                format!("the value of {API_KEY_ENV}   (key id: {})", key.id)
            } else {
                format!(
                    "key id {0}; not shown because the output is not a terminal: print it with `tidsreg-gpt key show --id {0}`",
                    key.id
                )
            };
            line("API key", &shown);
            line(
                "",
                "GPT editor: Actions → Authentication → API Key → Auth Type: Bearer",
            );
        }
        if keys.len() > 1 {
            let more = keys.len() - 1;
            line("", &format!("(+{more} more keys in {})", self.config_file));
        }
        if let Some(client) = self.oauth_client {
            line(
                "OAuth",
                "GPT editor: Actions → Authentication → OAuth, with:",
            );
            line("", &format!("Client ID          {}", client.id));
            let secret = if self.show_secrets {
                client.secret.expose().to_string()
            } else if self.oauth_client_from_env {
                format!("the value of {OAUTH_CLIENT_SECRET_ENV}")
            } else {
                format!(
                    "not shown because the output is not a terminal: it is `secret` under [oauth_client] in {}",
                    self.config_file
                )
            };
            line("", &format!("Client Secret      {secret}"));
            line("", &format!("Authorization URL  {base}{AUTHORIZE_PATH}"));
            line("", &format!("Token URL          {base}{TOKEN_PATH}"));
            line("", &format!("Scope              {SCOPE}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;
    use crate::settings::config_file::ApiKey;

    const KEY: &str = "tgpt_screen-test-key-0123456789abcdef";
    const CLIENT_SECRET: &str = "client-secret-0123456789abcdef";

    fn render(show_secrets: bool) -> String {
        render_with(show_secrets, true)
    }

    fn render_with(show_secrets: bool, reachable: bool) -> String {
        let keys = ApiKeys::new(vec![ApiKey {
            id: "default".into(),
            key: Secret::new(KEY),
        }]);
        let client = OAuthClient {
            id: "client-id".into(),
            secret: Secret::new(CLIENT_SECRET),
            redirect_uris: Vec::new(),
        };
        let public_url = if reachable {
            "https://x.example"
        } else {
            "http://127.0.0.1:8000"
        };
        Screen {
            local_url: "http://127.0.0.1:8000",
            public_url,
            reachable,
            schema_file: "/c/openapi.yaml",
            clipboard: None,
            keys: &keys,
            key_from_env: false,
            oauth_client: Some(&client),
            oauth_client_from_env: false,
            show_secrets,
            config_file: "/c/config.toml",
            state_store: "embedded /d/state.db",
            demo: None,
            upstream_url: "https://tidsreg.example",
            tunnel_note: None,
        }
        .render()
    }

    /// Where each of `needles` first appears in `screen`, failing when one is missing.
    fn positions(screen: &str, needles: &[&str]) -> Vec<usize> {
        needles
            .iter()
            .map(|needle| {
                screen
                    .find(needle)
                    .unwrap_or_else(|| panic!("missing {needle}: {screen}"))
            })
            .collect()
    }

    #[test]
    fn the_mcp_url_and_its_steps_lead_and_the_gpt_action_follows() {
        let screen = render(false);
        let order = positions(
            &screen,
            &[
                "MCP URL      https://x.example/mcp",
                "ChatGPT: Settings",
                "Claude: Settings → Connectors → Add custom connector",
                "tidsreg-gpt plugin --url https://x.example",
                "Public URL",
                "\n  Local URL    http://127.0.0.1:8000\n",
                "GPT Action (for ChatGPT workspaces that can still create GPTs)",
                "Schema URL",
                "API key",
                "Client ID",
            ],
        );
        assert!(order.is_sorted(), "{order:?}\n{screen}");
        assert!(!screen.contains("cannot reach"), "{screen}");
    }

    #[test]
    fn without_a_public_url_the_screen_says_so_before_the_gpt_action_and_offers_no_bundle() {
        let screen = render_with(false, false);
        let order = positions(
            &screen,
            &[
                "MCP URL",
                "Local URL",
                "cannot reach a local URL",
                "GPT Action (for",
            ],
        );
        assert!(order.is_sorted(), "{order:?}\n{screen}");
        assert!(!screen.contains("tidsreg-gpt plugin"), "{screen}");
    }

    #[test]
    fn secrets_are_shown_on_a_terminal_only() {
        let shown = render(true);
        assert!(
            shown.contains(KEY) && shown.contains(CLIENT_SECRET),
            "{shown}"
        );
        let hidden = render(false);
        assert!(
            !hidden.contains(KEY) && !hidden.contains(CLIENT_SECRET),
            "{hidden}"
        );
        assert!(
            hidden.contains("tidsreg-gpt key show --id default"),
            "{hidden}"
        );
        assert!(
            hidden.contains("[oauth_client] in /c/config.toml"),
            "{hidden}"
        );
        assert!(hidden.contains("client-id"), "{hidden}");
    }
}
