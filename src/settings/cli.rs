//! Command-line arguments, raw as clap parses them. `config` turns them into settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Talk to Trifork's Tidsreg from ChatGPT: one binary that serves the GPT Action API,
/// opens its own tunnel and renders the Action schema with the live URL.
#[derive(Debug, Parser)]
#[command(name = "tidsreg-gpt", version)]
#[command(after_help = "Try it without an account: tidsreg-gpt serve --demo")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Config file [default: <platform config dir>/tidsreg-gpt/config.toml]
    #[arg(long, global = true, env = "TIDSREG_GPT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log level or filter (error, warn, info, debug, trace; RUST_LOG syntax also works)
    #[arg(long, global = true, env = "TIDSREG_GPT_LOG", value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Log line format, on standard error
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and the tunnel), render the schema, print what to paste in the GPT editor
    Serve(ServeArgs),
    /// Print or write the Action schema (OpenAPI 3.1) for a given public URL
    Schema(SchemaArgs),
    /// Print what goes in the GPT editor: name, description, instructions, starters
    Gpt(GptArgs),
    /// Write a ChatGPT / Codex plugin bundle (skills, manifest, MCP URL) for the public URL
    Plugin(PluginArgs),
    /// Ask for the ngrok authtoken, Tidsreg URL and domain, and write the config file
    Init,
    /// Print the settings `serve` would use (same flags), secrets redacted, with their source
    Config(ServeArgs),
    /// Store your Tidsreg login for `serve`, so the password never passes through the chat
    Login(LoginArgs),
    /// Forget the stored Tidsreg login
    Logout,
    /// Show, add or rotate API keys (a running server notices at once)
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Print a shell completion script, e.g. `tidsreg-gpt completions bash > ~/.local/share/bash-completion/completions/tidsreg-gpt`
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// `login` flags.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Tidsreg base URL to verify the login against [default: https://tidsreg.trifork.com]
    #[arg(long, env = "TIDSREG_URL", value_name = "URL")]
    pub tidsreg_url: Option<String>,

    /// The API key whose session this login signs in (each key is one person)
    #[arg(long, default_value = "default")]
    pub key: String,

    /// Where to keep the password [default: the OS keyring; the config file only if you
    /// agree when no keyring is available]
    #[arg(long, value_enum)]
    pub store: Option<super::config_file::PasswordStore>,
}

/// What `key` does.
#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// Print the API keys (to paste in the GPT editor)
    Show {
        /// Only this key
        #[arg(long)]
        id: Option<String>,
    },
    /// Replace a key with a new random one; the old one stops working at once
    Rotate {
        /// The key to replace
        #[arg(long, default_value = "default")]
        id: String,
    },
    /// Add a key for another person or device (each key has its own Tidsreg session)
    Add {
        /// A name for the key, shown in logs, e.g. anna-laptop
        id: String,
    },
}

/// `gpt` flags.
#[derive(Debug, Args)]
pub struct GptArgs {
    /// Language of the texts (French, as the original guide, or English)
    #[arg(long, value_enum, default_value_t = Lang::Fr)]
    pub lang: Lang,
}

/// `plugin` flags.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// Public base URL of the server, e.g. https://example.ngrok.app [default: public_url, or
    /// https://<domain>, from the config file]
    #[arg(long, env = "TIDSREG_GPT_PUBLIC_URL", value_name = "URL")]
    pub url: Option<String>,

    /// Folder to write the bundle into (created if missing; only the bundle's files replaced)
    #[arg(long, short, value_name = "DIR", default_value = "tidsreg-plugin")]
    pub out: PathBuf,
}

/// `serve` flags. Each has an environment variable; the config file comes after both.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Use a built-in demo Tidsreg (no account, no internet): sign in as demo / demo
    #[arg(long)]
    pub demo: bool,

    /// Tidsreg base URL [default: https://tidsreg.trifork.com]
    #[arg(long, env = "TIDSREG_URL", value_name = "URL")]
    pub tidsreg_url: Option<String>,

    /// Port to listen on (cloud platforms set PORT) [default: 8000]
    #[arg(long, short, env = "PORT")]
    pub port: Option<u16>,

    /// Address to listen on; 0.0.0.0 exposes the server to the network [default: 127.0.0.1]
    #[arg(long, env = "TIDSREG_GPT_HOST")]
    pub host: Option<String>,

    /// Public base URL to put in the schema, when something else (a platform, your own
    /// tunnel) makes this server reachable
    #[arg(long, env = "TIDSREG_GPT_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// How the server becomes reachable from ChatGPT [default: ngrok when an authtoken is
    /// known and no --public-url is given, else none]
    #[arg(long, value_enum, env = "TIDSREG_GPT_TUNNEL")]
    pub tunnel: Option<TunnelKind>,

    /// ngrok authtoken (https://dashboard.ngrok.com/get-started/your-authtoken)
    #[arg(
        long,
        env = "NGROK_AUTHTOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub authtoken: Option<String>,

    /// Reserved ngrok domain, for a URL that never changes (the GPT then never needs editing)
    #[arg(long, env = "NGROK_DOMAIN")]
    pub domain: Option<String>,

    /// ngrok service address (host:port), for dedicated ingress
    #[arg(long, env = "NGROK_SERVER_ADDR", value_name = "HOST:PORT")]
    pub ngrok_server_addr: Option<String>,

    /// Where state that outlives a restart is kept: a file for the embedded store,
    /// redis://HOST:PORT[/DB] (rediss:// for TLS) for replicas sharing one Redis, or `memory`
    /// (nothing survives a restart) [default: state.db in the platform data directory]
    #[arg(
        long,
        env = "TIDSREG_GPT_STORE",
        hide_env_values = true,
        value_name = "PATH|URL"
    )]
    pub store: Option<String>,

    /// Proxies whose X-Forwarded-For names the client, as CIDR ranges (comma-separated);
    /// the client is the rightmost address that is not one of them [default: loopback when
    /// the ngrok tunnel is on, else none: the TCP peer is the client]
    #[arg(long, env = "TIDSREG_GPT_TRUST_PROXY", value_name = "CIDR[,CIDR]")]
    pub trust_proxy: Option<String>,

    /// More web origins allowed to call /mcp from a browser, comma-separated (like
    /// http://localhost:6274 for the MCP Inspector) [default: only this server's own URLs]
    #[arg(long, env = "TIDSREG_GPT_ALLOW_ORIGIN", value_name = "ORIGIN[,ORIGIN]")]
    pub allow_origin: Option<String>,

    /// Seconds opening the ngrok tunnel may take before serve says it failed (and keeps
    /// serving locally) [default: 10]
    #[arg(long, env = "TIDSREG_GPT_TUNNEL_TIMEOUT", value_name = "SECONDS")]
    pub tunnel_timeout: Option<u64>,

    /// Hours a working day should hold; reading the hours warns about days with fewer
    /// [default: 7.5]
    #[arg(long, env = "TIDSREG_GPT_EXPECTED_HOURS", value_name = "HOURS")]
    pub expected_hours: Option<f64>,

    /// Seconds each session keeps lookups and week pages; 0 turns the cache off [default: 300]
    #[arg(long, env = "TIDSREG_GPT_CACHE_TTL", value_name = "SECONDS")]
    pub cache_ttl: Option<u64>,

    /// Requests per minute per API key and per client address; 0 turns the limit off
    /// [default: 600]
    #[arg(long, env = "TIDSREG_GPT_RATE_LIMIT", value_name = "PER_MINUTE")]
    pub rate_limit: Option<u32>,

    /// Login attempts per minute per API key and per client address; 0 turns the limit off
    /// [default: 10]
    #[arg(long, env = "TIDSREG_GPT_LOGIN_RATE_LIMIT", value_name = "PER_MINUTE")]
    pub login_rate_limit: Option<u32>,

    /// Do not open the GPT editor in the browser
    #[arg(long)]
    pub no_open: bool,

    /// Do not copy the schema to the clipboard
    #[arg(long)]
    pub no_clipboard: bool,
}

/// Tunnel choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TunnelKind {
    /// An ngrok tunnel opened in-process (needs an authtoken)
    Ngrok,
    /// No tunnel: serve locally (or behind --public-url)
    None,
}

/// `schema` flags.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Public base URL of the server, e.g. https://example.ngrok.app
    #[arg(long, env = "TIDSREG_GPT_PUBLIC_URL", value_name = "URL")]
    pub url: String,

    /// Write to this file instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = SchemaFormat::Yaml)]
    pub format: SchemaFormat,

    /// Check the rendered schema against the GPT Action rules instead of printing it;
    /// exits non-zero with a list of problems when one is an error
    #[arg(long)]
    pub check: bool,

    /// Render this template instead of the built-in one (to check your own edits)
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

/// Schema output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    Yaml,
    Json,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines
    Pretty,
    /// One JSON object per line, for log collectors
    Json,
}

/// The language of the texts to put in the GPT editor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}
