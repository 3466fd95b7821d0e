//! `tidsreg-gpt serve`: wires the upstream, the app, the tunnel, the schema and the screen.
//! The local server starts first and keeps serving whatever happens to the tunnel. Its
//! helpers live beside it: the start-up screen, the clipboard and browser, the spinner.

mod desktop;
mod spinner;
mod start_screen;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use crate::fake::{self, FakeUpstream};
use crate::http::api_keys::ApiKeys;
use crate::http::public_url::PublicUrl;
use crate::http::rate_limits::TrustedProxies;
use crate::http::{self, AppConfig, AppState, LiveSchema};
use crate::schema::{self, Severity};
use crate::settings::cli::ServeArgs;
use crate::settings::config_file::{FileConfig, write_private};
use crate::settings::serve_settings::{self, ServeSettings, TunnelPlan, Upstream};
use crate::settings::state_store;
use crate::store::sealed::Sealer;
use crate::store::{self, Clock};
use crate::tunnel::{NgrokSettings, REOPEN_FIRST_DELAY, REOPEN_MAX_DELAY, Tunnel};
use start_screen::Screen;

/// The line printed once the server answers; scripts and tests wait for it.
pub const READY_LINE: &str = "Ready. Press Ctrl-C to stop.";

/// Makes sure a first run has what `serve` needs (an API key, the static OAuth client),
/// resolves the settings, and serves until Ctrl-C.
pub fn run(
    args: ServeArgs,
    matches: Option<&clap::ArgMatches>,
    config_path: PathBuf,
) -> Result<()> {
    prepare_first_run(&config_path)?;
    let settings = ServeSettings::resolve(args, matches, config_path)?;
    tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")?
        .block_on(serve(settings))
}

/// Generates and saves, on first run, the API key, the static OAuth client and the state
/// key, unless the environment provides them. The only place `serve` writes its settings.
fn prepare_first_run(path: &Path) -> Result<()> {
    if state_store::ensure_state_key(path)? {
        tracing::info!(path = %state_store::state_key_path(path).display(), "generated the state key");
    }
    let needs_key = !serve_settings::api_key_from_env();
    let needs_client = !serve_settings::oauth_client_from_env();
    if !needs_key && !needs_client {
        return Ok(());
    }
    let mut file = FileConfig::load(path)?;
    if needs_key && file.ensure_api_key(path)? {
        tracing::info!(path = %path.display(), "generated an API key");
    }
    if needs_client && file.ensure_oauth_client(path)? {
        tracing::info!(path = %path.display(), "generated the OAuth client credentials");
    }
    Ok(())
}

/// Runs until Ctrl-C (or SIGTERM), then closes the tunnel, finishes in-flight requests and
/// returns.
async fn serve(settings: ServeSettings) -> Result<()> {
    let demo = match settings.upstream {
        Upstream::Demo => {
            let fake = FakeUpstream::start()
                .await
                .context("cannot start the demo Tidsreg")?;
            // Last week and this week to date, so the first look shows a real week.
            fake.controls().seed_demo_weeks(crate::ops::params::today());
            Some(fake)
        }
        Upstream::Url(_) => None,
    };
    let upstream_url = match (&settings.upstream, &demo) {
        (Upstream::Url(url), _) => url.clone(),
        (_, Some(fake)) => Url::parse(&fake.url()).context("demo Tidsreg URL")?,
        (Upstream::Demo, None) => unreachable!("the demo upstream was started above"),
    };
    let listener = bind(&settings.host, settings.port).await?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let local_url = format!("http://{}", display_addr(local));

    let api_keys = match settings.keys_from_file {
        true => ApiKeys::watching(settings.api_keys.clone(), settings.config_path.clone()),
        false => ApiKeys::new(settings.api_keys.clone()),
    };
    let clock = Clock::system();
    let store = store::open(&settings.store, clock.clone())
        .await
        .context("cannot open the state store")?;
    let state_key = settings
        .state_key
        .as_ref()
        .context("no state key; run `tidsreg-gpt serve` once without TIDSREG_GPT_STATE_KEY to generate state.key")?;
    let sealer = Sealer::from_text(state_key).context("the state key is not a key")?;
    let state = AppState::new(AppConfig {
        store,
        sealer,
        clock,
        trusted_proxies: TrustedProxies::new(settings.trusted_proxies.clone()),
        api_keys,
        static_client: settings.oauth_client.clone(),
        rate_limits: settings.rate_limits,
        cache_ttl: settings.cache_ttl,
        expected_hours: settings.expected_hours,
        credentials: settings.credentials.clone(),
        allowed_origins: settings.allowed_origins.clone(),
        ..AppConfig::new(upstream_url.clone(), &local_url)
    })?;
    let live_schema = state.schema.clone();
    let live_url = state.public_url.clone();
    let keys = state.keys.clone();
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = tokio::spawn(http::serve(listener, state, stopped(stop_rx.clone())));

    let (tunnel, tunnel_note) = open_tunnel(&settings.tunnel, local).await;
    let public_url = match (&tunnel, &settings.public_url) {
        (Some(tunnel), _) => tunnel.url().to_string(),
        (None, Some(url)) => url.to_string(),
        (None, None) => local_url.clone(),
    };
    live_url.set(&public_url);
    let schema_path = settings.schema_path();
    let yaml = publish_schema(&live_schema, &public_url, &schema_path)?;
    let clipboard = settings
        .clipboard
        .then(|| desktop::copy_to_clipboard(&yaml));
    let demo_line = demo.as_ref().map(|_| {
        (
            upstream_url.as_str(),
            fake::DEMO_USERNAME,
            fake::DEMO_PASSWORD,
        )
    });
    let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let reachable = tunnel.is_some() || settings.public_url.is_some();
    let screen = Screen {
        local_url: &local_url,
        public_url: &public_url,
        reachable,
        schema_file: &schema_path.display().to_string(),
        clipboard,
        keys: &keys,
        key_from_env: !settings.keys_from_file,
        oauth_client: settings.oauth_client.as_ref(),
        oauth_client_from_env: serve_settings::oauth_client_from_env(),
        show_secrets: on_terminal,
        config_file: &settings.config_path.display().to_string(),
        state_store: &settings.store.describe(),
        demo: demo_line,
        upstream_url: upstream_url.as_str(),
        tunnel_note: tunnel_note.as_deref(),
    };
    println!("{}", screen.render());
    if desktop::opens_gpt_editor(settings.open_browser, on_terminal, reachable) {
        println!("  {}\n", desktop::open_gpt_editor());
    }
    println!("{READY_LINE}");

    let supervisor = tunnel.map(|tunnel| {
        let TunnelPlan::Ngrok(ngrok) = settings.tunnel.clone() else {
            unreachable!("a tunnel is open only under an ngrok plan")
        };
        tokio::spawn(supervise(
            tunnel,
            ngrok,
            local,
            live_schema,
            live_url,
            schema_path,
            stop_rx,
        ))
    });
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    if let Some(supervisor) = supervisor {
        let _ = supervisor.await;
    }
    server.await.context("the HTTP server task failed")?;
    tracing::info!("stopped");
    Ok(())
}

async fn bind(host: &str, port: u16) -> Result<TcpListener> {
    TcpListener::bind((host, port)).await.with_context(|| {
        format!("cannot listen on {host}:{port}; is another server using it? Pick another with --port (or PORT)")
    })
}

/// `0.0.0.0` is where we listen, not an address a browser can open.
fn display_addr(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    }
}

/// Opens the tunnel the plan asks for, with a spinner. A failure is a note for the screen,
/// never an exit: the local server is already serving.
async fn open_tunnel(plan: &TunnelPlan, local: SocketAddr) -> (Option<Tunnel>, Option<String>) {
    let ngrok = match plan {
        TunnelPlan::None { hint } => return (None, hint.clone()),
        TunnelPlan::Ngrok(ngrok) => ngrok,
    };
    let spinner = spinner::spinner("Opening the ngrok tunnel…");
    let result = Tunnel::open(ngrok, local).await;
    spinner.finish_and_clear();
    match result {
        Ok(tunnel) => {
            tracing::info!(url = %tunnel.url(), "tunnel open");
            (Some(tunnel), None)
        }
        Err(e) => {
            tracing::warn!("tunnel failed: {e:#}");
            let note = format!(
                "The ngrok tunnel did not open: {e:#}.\n  The server keeps answering locally; restart once that is fixed."
            );
            (None, Some(note))
        }
    }
}

/// Renders the schema for `public_url`, serves it, writes it to `path`, and logs any GPT
/// Action rule it breaks. Answers the YAML.
fn publish_schema(live: &LiveSchema, public_url: &str, path: &Path) -> Result<String> {
    let yaml = schema::render(public_url).context("cannot render the Action schema")?;
    for problem in schema::check(&yaml) {
        match problem.severity {
            Severity::Error => tracing::error!("schema: {problem}"),
            Severity::Warning => tracing::debug!("schema: {problem}"),
        }
    }
    live.set(&yaml);
    write_private(path, &yaml)
        .with_context(|| format!("cannot write the schema to {}", path.display()))?;
    Ok(yaml)
}

/// Watches the tunnel; when it drops, reopens it with a capped back-off, and when the URL
/// changed, re-renders the schema and says so. Closes the tunnel on shutdown.
async fn supervise(
    mut tunnel: Tunnel,
    settings: NgrokSettings,
    local: SocketAddr,
    live: LiveSchema,
    live_url: PublicUrl,
    schema_path: std::path::PathBuf,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            result = tunnel.closed() => {
                tracing::warn!("tunnel dropped: {}", result.err().map(|e| format!("{e:#}")).unwrap_or_default());
            }
            _ = stop.changed() => {
                tunnel.close().await;
                return;
            }
        }
        let old_url = tunnel.url().to_string();
        let Some(reopened) = reopen(&settings, local, &mut stop).await else {
            return;
        };
        tunnel = reopened;
        if tunnel.url() != old_url {
            let url = tunnel.url().to_string();
            live_url.set(&url);
            match publish_schema(&live, &url, &schema_path) {
                Ok(_) => println!(
                    "Tunnel reopened with a new URL: {url}\n  Update the MCP URL {url}/mcp in ChatGPT or Claude (a plugin bundle: tidsreg-gpt plugin --url {url}),\n  and re-import {url}/openapi.yaml in the GPT editor."
                ),
                Err(e) => tracing::error!("tunnel reopened at {url}, but the schema failed: {e:#}"),
            }
        } else {
            tracing::info!(url = %old_url, "tunnel reopened");
        }
    }
}

/// Tries to reopen until it works or shutdown is asked (then `None`).
async fn reopen(
    settings: &NgrokSettings,
    local: SocketAddr,
    stop: &mut watch::Receiver<bool>,
) -> Option<Tunnel> {
    let mut delay = REOPEN_FIRST_DELAY;
    loop {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return None,
        }
        match Tunnel::open(settings, local).await {
            Ok(tunnel) => return Some(tunnel),
            Err(e) => tracing::warn!(retry_in = ?delay, "tunnel still down: {e:#}"),
        }
        delay = (delay * 2).min(REOPEN_MAX_DELAY);
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Ctrl-C, or SIGTERM as platforms and `kill` send it.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
